//! Control requests from C, each handed whole to the engine
//! ([`carp_ctl::Engine`]): ifconfig words, `carp_req` set/get (`SIOCSVH` /
//! `SIOCGVH`), whole configuration files, forced states, admin up/down and
//! the `ifconfig` status. A refused request changes nothing and names what
//! was wrong (`carp_host_last_error`); an accepted one is followed by a
//! poll of every parent, so what the change owes the wire (a bow-out, an
//! advert) is sent through the parents' ops before the call returns.
//!
//! `target` is what `ifconfig` is given: a carp interface (`carp0`,
//! OpenBSD style, created with the `create` word) or a parent (`em0`,
//! FreeBSD style: `vhid N` picks the vhid on it).

use core::ffi::{c_char, c_int};

use carp_ctl::CarpReq;
use zerocopy::IntoBytes;

use crate::boundary::{bytes, ifname, out_slice, put_opt, text, write_text, TextOut};
use crate::errno::{Error, CARP_OK};
use crate::host::{carp_host, instant, with_host};
use crate::types::{carp_apply_report, carp_req, opt_vhid_from_number, state_from_number};

/// Applies ifconfig words of `len` bytes to `target`, as `ifconfig TARGET
/// WORDS` does: `create vhid 1 carpdev em0 advskew 100 pass s3cret
/// 192.0.2.100/24` on `carp0`, or `vhid 1 advskew 100 192.0.2.100/24` on
/// `em0`; then `up`/`down`, `state backup|master` (`state init` is
/// accepted and ignored, as BSD `SIOCSVH` ignores it), `-carpdev`,
/// `destroy`. All or nothing. Returns 0 or an error; `*bad_word` (if not
/// NULL) gets the 0-based index of the offending word, or -1 when the
/// error is not about one word.
///
/// # Safety
/// `host` is NULL or live; `target` is NULL or a NUL-terminated string;
/// `words` is NULL or valid for `len` bytes; `bad_word` is NULL or valid
/// for a write.
#[no_mangle]
pub unsafe extern "C" fn carp_host_ifconfig(
    host: *const carp_host,
    now_us: u64,
    target: *const c_char,
    words: *const c_char,
    len: usize,
    bad_word: *mut c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { put_opt(bad_word, -1) };
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let target = ifname(target, "target")?;
            let words = text(words, len, "words")?;
            let now = instant(now_us);
            let done = inner
                .engine
                .ifconfig(now, target, words)
                .map_err(Error::Ctl);
            if let Err(e) = done {
                if let Some(i) = e.word_index() {
                    put_opt(bad_word, c_int::try_from(i).unwrap_or(c_int::MAX));
                }
                return Err(e);
            }
            inner.poll_all(now);
            Ok(CARP_OK)
        })
    }
}

/// Applies a set request (`SIOCSVH`) to `target`: the whole configuration
/// of a carp interface's vhid (or, on a parent, of the request's vhid),
/// the prefix lengths of its addresses, its `carpdev` (all zero:
/// unchanged) and a forced BACKUP or MASTER (INIT ignored). `len` must be
/// `CARP_CARPREQ_LEN`. Returns 0, or the code of the field found wrong
/// (`CARP_ERANGE`, `CARP_EINVAL`, ...) with nothing changed;
/// `carp_host_last_error` names the field.
///
/// # Safety
/// `host` is NULL or live; `target` is NULL or a NUL-terminated string;
/// `req` is NULL or valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn carp_host_set_carpreq(
    host: *const carp_host,
    now_us: u64,
    target: *const c_char,
    req: *const carp_req,
    len: usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let target = ifname(target, "target")?;
            let req = CarpReq::from_bytes(bytes(req.cast::<u8>(), len, "req")?)?;
            let now = instant(now_us);
            inner.engine.set_carpreq(now, target, &req)?;
            inner.poll_all(now);
            Ok(CARP_OK)
        })
    }
}

/// Fills a get request (`SIOCGVH`) for `target` (a carp interface: `vhid`
/// 0; a parent: the vhid to read): configuration, state, `carpdev`, the
/// prefix lengths given, and the host's effective demotion in `demote`.
/// `len` must be `CARP_CARPREQ_LEN`. Returns 0, `CARP_ENOENT` or
/// `CARP_EMSGSIZE`.
///
/// # Safety
/// `host` is NULL or live; `target` is NULL or a NUL-terminated string;
/// `out` is NULL or valid for `len` bytes of writes.
#[no_mangle]
pub unsafe extern "C" fn carp_host_get_carpreq(
    host: *const carp_host,
    target: *const c_char,
    vhid: c_int,
    out: *mut carp_req,
    len: usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let target = ifname(target, "target")?;
            if len != carp_ctl::CARPREQ_LEN {
                return Err(Error::Length {
                    what: "carp_req",
                    want: carp_ctl::CARPREQ_LEN,
                    got: len,
                });
            }
            let req = inner
                .engine
                .get_carpreq(target, opt_vhid_from_number(vhid)?)?;
            let slots = out_slice(out.cast::<u8>(), len, "out")?;
            for (slot, b) in slots.iter_mut().zip(req.as_bytes()) {
                slot.write(*b);
            }
            Ok(CARP_OK)
        })
    }
}

/// Applies a whole configuration file of `len` bytes, declaratively: any
/// mix of shell `ifconfig carp0 ...` lines, OpenBSD `hostname.if` lines,
/// FreeBSD `rc.conf` lines, bare ifconfig words (for `default_target`,
/// which may be NULL) and sysctl lines. Applying the same file again
/// changes nothing; what the previous file configured and this one does
/// not is removed; a knob it no longer sets returns to its default;
/// `net.inet.carp.demotion` counts once per file, not once per apply.
/// All or nothing. Returns 0 or an error; `*bad_line` (if not NULL) gets
/// the line at fault (from 1), 0 when the file as a whole is refused, -1
/// on success; `*report` (if not NULL) what changed.
///
/// # Safety
/// `host` is NULL or live; `config` is NULL or valid for `len` bytes;
/// `default_target` is NULL or a NUL-terminated string; `bad_line` and
/// `report` are NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn carp_host_apply_config(
    host: *const carp_host,
    now_us: u64,
    config: *const c_char,
    len: usize,
    default_target: *const c_char,
    bad_line: *mut c_int,
    report: *mut carp_apply_report,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { put_opt(bad_line, -1) };
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let file = text(config, len, "config")?;
            let default = match default_target.is_null() {
                true => None,
                false => Some(ifname(default_target, "default_target")?),
            };
            let now = instant(now_us);
            let done = inner.engine.apply_config(now, file, default);
            let applied = done.inspect_err(|e| {
                put_opt(bad_line, c_int::try_from(e.line).unwrap_or(c_int::MAX));
            })?;
            put_opt(report, carp_apply_report::from(applied));
            inner.poll_all(now);
            Ok(CARP_OK)
        })
    }
}

/// Forces `target`'s vhid (`vhid` 0 for a carp interface, the vhid on a
/// parent) to `state`, as `ifconfig TARGET state master`: BACKUP or MASTER;
/// INIT is accepted and ignored, as BSD does. Returns 0, `CARP_ENOENT`,
/// `CARP_ERANGE` for a bad state, or `CARP_ENETDOWN` when the vhid is not
/// running (down, link down, no address).
///
/// # Safety
/// `host` is NULL or live; `target` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn carp_host_force_state(
    host: *const carp_host,
    now_us: u64,
    target: *const c_char,
    vhid: c_int,
    state: c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let target = ifname(target, "target")?;
            let vhid = opt_vhid_from_number(vhid)?;
            let state = state_from_number(state)?;
            let now = instant(now_us);
            inner.engine.force_state(now, target, vhid, state)?;
            inner.poll_all(now);
            Ok(CARP_OK)
        })
    }
}

/// Brings `target`'s vhid (`vhid` as for `carp_host_force_state`) up
/// (`up` non-zero) or down, as `ifconfig TARGET up|down`; a master going
/// down bows out. Returns 0 or `CARP_ENOENT`.
///
/// # Safety
/// `host` is NULL or live; `target` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn carp_host_set_admin(
    host: *const carp_host,
    now_us: u64,
    target: *const c_char,
    vhid: c_int,
    up: c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let target = ifname(target, "target")?;
            let vhid = opt_vhid_from_number(vhid)?;
            let now = instant(now_us);
            inner.engine.set_admin(now, target, vhid, up != 0)?;
            inner.poll_all(now);
            Ok(CARP_OK)
        })
    }
}

/// Writes what `ifconfig TARGET` shows, in BSD shape, NUL-terminated and
/// cut to fit, to `buf` of `len` bytes. For a carp interface (OpenBSD):
/// `carp0: flags=41<UP,RUNNING> mtu 1500`, `carp: MASTER carpdev em0 vhid
/// 1 advbase 1 advskew 0`, `inet 192.0.2.100 netmask 0xffffff00`; for a
/// parent (FreeBSD) its vhids, each address tagged `vhid N`. Returns the
/// full length (call with `len` 0 and `buf` NULL to size the buffer) or
/// `CARP_ENOENT`.
///
/// # Safety
/// `host` is NULL or live; `target` is NULL or a NUL-terminated string;
/// `buf` is NULL or valid for `len` bytes of writes (NULL allowed with
/// `len` 0).
#[no_mangle]
pub unsafe extern "C" fn carp_host_status(
    host: *const carp_host,
    target: *const c_char,
    buf: *mut c_char,
    len: usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let target = ifname(target, "target")?;
            // Checked before writing, so a refused target writes nothing.
            inner.engine.status(target, &mut TextOut::new(&mut []))?;
            write_text(buf, len, |out| {
                let _ = inner.engine.status(target, out);
            })
        })
    }
}

/// As `carp_host_status`, for every parent with vhids of its own and every
/// carp interface, in that order (`ifconfig -a`, carp's part). Returns the
/// full length.
///
/// # Safety
/// `host` is NULL or live; `buf` is NULL or valid for `len` bytes of
/// writes (NULL allowed with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn carp_host_status_all(
    host: *const carp_host,
    buf: *mut c_char,
    len: usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            write_text(buf, len, |out| inner.engine.status_all(out))
        })
    }
}
