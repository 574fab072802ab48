//! The host's `net.inet.carp` tree from C: interactive writes (sysctl
//! lines and MIB writes, with BSD semantics: a `demotion` write adds) go
//! through the engine, which lets every parent act on them at once; reads
//! by name or MIB; the host-wide counters.

use core::ffi::{c_char, c_int};

use carp_sysctl::{Sysctl, SysctlError, Value};

use crate::boundary::{bytes, put, sysctl_name, text};
use crate::errno::{Error, CARP_OK};
use crate::host::{carp_host, instant, with_host};
use crate::types::carp_stats;

/// Applies one `sysctl` / `sysctl.conf` line of `len` bytes
/// (`net.inet.carp.preempt=1`, `sysctl -w preempt=1`; comments and blank
/// lines do nothing), then every parent sends what the change owes the
/// wire (a master's advert with the new demotion). Returns 0,
/// `CARP_ENOENT` (no such node), `CARP_EPERM` (read-only), `CARP_ERANGE`
/// or `CARP_EINVAL` (syntax); a refused line changes nothing.
///
/// # Safety
/// `host` is NULL or live; `line` is NULL or valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn carp_host_sysctl_line(
    host: *const carp_host,
    now_us: u64,
    line: *const c_char,
    len: usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let line = text(line, len, "line")?;
            let now = instant(now_us);
            inner.engine.sysctl_line(now, line)?;
            inner.poll_all(now);
            Ok(CARP_OK)
        })
    }
}

/// Writes `value` to the node at the MIB `mib` of `miblen` integers (the
/// full `{CTL_NET, PF_INET, IPPROTO_CARP, n}` or just `{n}`, BSD's
/// `CARPCTL_*` numbers), then every parent sends what that owes the wire.
/// Returns as `carp_host_sysctl_line`.
///
/// # Safety
/// `host` is NULL or live; `mib` is NULL or valid for `miblen` reads.
#[no_mangle]
pub unsafe extern "C" fn carp_host_sysctl_set_mib(
    host: *const carp_host,
    now_us: u64,
    mib: *const i32,
    miblen: usize,
    value: i64,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let mib = mib_slice(mib, miblen)?;
            let now = instant(now_us);
            inner.engine.sysctl_set_mib(now, mib, value)?;
            inner.poll_all(now);
            Ok(CARP_OK)
        })
    }
}

/// Reads the integer node `name` (NUL-terminated: `net.inet.carp.preempt`
/// or `preempt`) into `*value`; `demotion` reads the host's effective
/// demotion. Returns 0, `CARP_ENOENT`, or `CARP_EINVAL` for `stats` (use
/// `carp_host_stats`).
///
/// # Safety
/// `host` is NULL or live; `name` is NULL or a NUL-terminated string;
/// `value` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn carp_host_sysctl_get(
    host: *const carp_host,
    name: *const c_char,
    value: *mut i64,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let name = sysctl_name(name)?;
            put(value, int(inner.engine.sysctl(), |t| t.get(name))?, "value")?;
            Ok(CARP_OK)
        })
    }
}

/// Reads the integer node at `mib` (as `carp_host_sysctl_set_mib`) into
/// `*value`. Returns as `carp_host_sysctl_get`.
///
/// # Safety
/// `host` is NULL or live; `mib` is NULL or valid for `miblen` reads;
/// `value` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn carp_host_sysctl_get_mib(
    host: *const carp_host,
    mib: *const i32,
    miblen: usize,
    value: *mut i64,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let mib = mib_slice(mib, miblen)?;
            put(
                value,
                int(inner.engine.sysctl(), |t| t.get_mib(mib))?,
                "value",
            )?;
            Ok(CARP_OK)
        })
    }
}

/// Copies the host-wide counters (`net.inet.carp.stats`: every parent's
/// input checks and adverts sent, as `netstat -s -p carp`) to `*out`.
/// Returns 0.
///
/// # Safety
/// `host` is NULL or live; `out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn carp_host_stats(host: *const carp_host, out: *mut carp_stats) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            put(out, carp_stats::from(&inner.engine.sysctl().stats()), "out")?;
            Ok(CARP_OK)
        })
    }
}

/// The integer a read gives, or why not.
fn int(
    tree: &Sysctl,
    read: impl FnOnce(&Sysctl) -> Result<Value, SysctlError>,
) -> Result<i64, Error> {
    read(tree)?.as_int().ok_or(Error::Invalid {
        what: "sysctl node is not an integer (stats: use carp_host_stats)",
        got: 0,
    })
}

/// `len` MIB integers at `ptr`.
///
/// # Safety
/// `ptr` is NULL or valid for `len` reads of `i32`, aligned.
unsafe fn mib_slice<'a>(ptr: *const i32, len: usize) -> Result<&'a [i32], Error> {
    let size = len.checked_mul(4).ok_or(Error::Length {
        what: "mib",
        want: 4,
        got: len,
    })?;
    // SAFETY: checks NULL and the byte length; valid for `size` bytes
    // (caller).
    let raw = unsafe { bytes(ptr.cast::<u8>(), size, "mib") }?;
    // SAFETY: `raw` is `len` aligned i32s (caller), any bit pattern is an
    // i32, and it lives as long as `raw`.
    Ok(unsafe { core::slice::from_raw_parts(raw.as_ptr().cast::<i32>(), len) })
}
