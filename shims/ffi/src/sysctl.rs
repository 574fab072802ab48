//! `carp_sysctl`: the host-wide `net.inet.carp` tree, shared by reference
//! count between the caller and every `carp_if` created over it.
//!
//! A host with several parents creates one tree and passes it to each
//! `carp_if_new`, so demotion and the statistics are host-wide as on BSD.
//! The tree is thread-safe (atomics and short spin locks): its functions
//! may be called from any thread, at any time.

use core::ffi::{c_char, c_int};
use std::sync::Arc;

use ::carp_sysctl::{Sysctl, SysctlError};

use crate::boundary::{guard, put, text};
use crate::errno::{Error, CARP_OK};
use crate::types::carp_stats;

/// The `net.inet.carp` tree (opaque).
#[derive(Debug, Default)]
#[allow(non_camel_case_types)]
pub struct carp_sysctl {
    pub(crate) tree: Sysctl,
}

/// A new tree with every knob at its default; free it with
/// `carp_sysctl_free`. Interfaces created over it keep it alive until they
/// are freed too.
#[no_mangle]
pub extern "C" fn carp_sysctl_new() -> *mut carp_sysctl {
    let made = std::panic::catch_unwind(|| Arc::into_raw(Arc::new(carp_sysctl::default())));
    made.map_or(core::ptr::null_mut(), |p| p.cast_mut())
}

/// Drops the caller's reference to a tree. NULL is ignored.
///
/// # Safety
/// `sysctl` is NULL or a pointer from `carp_sysctl_new` not yet freed; it
/// is not used by the caller afterwards (interfaces holding it may be).
#[no_mangle]
pub unsafe extern "C" fn carp_sysctl_free(sysctl: *mut carp_sysctl) {
    if !sysctl.is_null() {
        // SAFETY: the pointer came from Arc::into_raw in carp_sysctl_new
        // and this reference has not been given back yet (caller).
        drop(unsafe { Arc::from_raw(sysctl.cast_const()) });
    }
}

/// Runs `body` over the tree at `sysctl`.
///
/// # Safety
/// `sysctl` is NULL or a live tree (from `carp_sysctl_new`, or borrowed
/// from a live interface with `carp_if_sysctl`).
unsafe fn with_tree(
    sysctl: *const carp_sysctl,
    body: impl FnOnce(&Sysctl) -> Result<c_int, Error>,
) -> c_int {
    guard(|| {
        // SAFETY: NULL or live (caller); only shared access is made.
        let tree = unsafe { sysctl.as_ref() }.ok_or(Error::Null("sysctl"))?;
        body(&tree.tree)
    })
}

/// Reads an integer node by full (`net.inet.carp.preempt`) or short
/// (`preempt`) name of `name_len` bytes into `*value`. Returns 0,
/// `CARP_ENOENT` for an unknown name, `CARP_EINVAL` for `stats` (use
/// `carp_sysctl_stats`).
///
/// # Safety
/// `sysctl` is NULL or live; `name` is NULL or valid for `name_len` bytes;
/// `value` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn carp_sysctl_get(
    sysctl: *const carp_sysctl,
    name: *const c_char,
    name_len: usize,
    value: *mut i64,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_tree(sysctl, |tree| {
            let name = text(name, name_len, "name")?;
            let v = tree.get(name)?;
            let int = v.as_int().ok_or(Error::Invalid {
                what: "sysctl node is not an integer",
                got: 0,
            })?;
            put(value, int, "value")?;
            Ok(CARP_OK)
        })
    }
}

/// Writes an integer node by name. Returns 0, `CARP_ENOENT`, `CARP_EPERM`
/// (read-only), or `CARP_ERANGE`; a refused write changes nothing.
///
/// # Safety
/// `sysctl` is NULL or live; `name` is NULL or valid for `name_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn carp_sysctl_set(
    sysctl: *const carp_sysctl,
    name: *const c_char,
    name_len: usize,
    value: i64,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_tree(sysctl, |tree| {
            tree.set(text(name, name_len, "name")?, value)?;
            Ok(CARP_OK)
        })
    }
}

/// Applies one `sysctl` / `sysctl.conf` line (`net.inet.carp.preempt=1`,
/// `sysctl -w preempt=1`, comments and blank lines accepted). Returns 0.
///
/// # Safety
/// `sysctl` is NULL or live; `line` is NULL or valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn carp_sysctl_set_line(
    sysctl: *const carp_sysctl,
    line: *const c_char,
    len: usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_tree(sysctl, |tree| {
            tree.set_line(text(line, len, "line")?)
                .map_err(|e: SysctlError| Error::Sysctl(e))?;
            Ok(CARP_OK)
        })
    }
}

/// Copies the host-wide counters (every interface over this tree) to
/// `*out`. Returns 0.
///
/// # Safety
/// `sysctl` is NULL or live; `out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn carp_sysctl_stats(
    sysctl: *const carp_sysctl,
    out: *mut carp_stats,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_tree(sysctl, |tree| {
            put(out, carp_stats::from(&tree.stats()), "out")?;
            Ok(CARP_OK)
        })
    }
}
