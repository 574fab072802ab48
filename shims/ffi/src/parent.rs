//! A host's parent interfaces ("carpdev"s): added by name with their
//! driver, removed, renamed, their link and addresses pushed by the
//! caller, and named back.

use core::ffi::{c_char, c_int, c_void};
use core::fmt::Write;

use carp_ctl::CtlError;

use crate::boundary::{ifname, put, write_text};
use crate::driver::{carp_driver_ops, carp_parent_info, CDriver};
use crate::errno::{Error, CARP_OK};
use crate::host::{carp_host, instant, parent_id, with_host};
use crate::types::{carp_parent_id, vhid_from_number};

/// Adds the parent interface `name` (its `carpdev` name: `em0`,
/// NUL-terminated, at most 15 bytes) over the driver `ops` with context
/// `ctx`, and stores its id in `*parent`. Its addresses, MTU, framing and
/// link state are asked through `ops` now (see `carp_driver_ops`). Carp
/// interfaces and vhids name it as their `carpdev`; frames it receives go
/// to `carp_host_input` with the id.
///
/// Returns 0, `CARP_EFAULT` (NULL, or `ops` without `transmit` or
/// `hw_addr`), `CARP_EINVAL` (a bad name or link type), `CARP_EEXIST` (a
/// parent or carp interface has the name) or `CARP_ENOSPC`.
///
/// # Safety
/// `host` is NULL or live; `name` is NULL or a NUL-terminated string;
/// `ops` is NULL or valid for a read; the functions of `*ops` are callable
/// with `ctx` as `carp_driver_ops` documents until the parent is removed
/// or the host freed; `parent` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn carp_host_add_parent(
    host: *const carp_host,
    name: *const c_char,
    ops: *const carp_driver_ops,
    ctx: *mut c_void,
    parent: *mut carp_parent_id,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let name = ifname(name, "name")?;
            let ops = ops.as_ref().copied().ok_or(Error::Null("ops"))?;
            if parent.is_null() {
                return Err(Error::Null("parent"));
            }
            // The caller promises the callbacks' contract for as long as
            // the parent lives, which is as long as the driver does.
            let dev = CDriver::new(ops, ctx)?;
            let id = inner.add_parent(name, dev)?;
            put(parent, u32::from(id.0), "parent")?;
            Ok(CARP_OK)
        })
    }
}

/// Removes a parent (its interface went away). Its vhids stop and nothing
/// is sent (the link is gone); a carp interface on it keeps its
/// configuration, detached, until a `carpdev` word attaches it again (BSD
/// `carpdetach`). Its `ops` are not called again. Returns 0 or
/// `CARP_ENOENT`.
///
/// # Safety
/// `host` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn carp_host_remove_parent(
    host: *const carp_host,
    parent: carp_parent_id,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let id = parent_id(inner, parent)?;
            inner.remove_parent(id)?;
            Ok(CARP_OK)
        })
    }
}

/// The parent was renamed to `name` (NUL-terminated); its id stays.
/// Returns 0, `CARP_ENOENT`, `CARP_EINVAL` or `CARP_EEXIST`.
///
/// # Safety
/// `host` is NULL or live; `name` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn carp_host_rename_parent(
    host: *const carp_host,
    parent: carp_parent_id,
    name: *const c_char,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let id = parent_id(inner, parent)?;
            inner.engine.rename_parent(id, ifname(name, "name")?)?;
            Ok(CARP_OK)
        })
    }
}

/// Stores the id of the parent called `name` in `*parent`. Returns 0 or
/// `CARP_ENOENT`.
///
/// # Safety
/// `host` is NULL or live; `name` is NULL or a NUL-terminated string;
/// `parent` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn carp_host_parent_id(
    host: *const carp_host,
    name: *const c_char,
    parent: *mut carp_parent_id,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let name = ifname(name, "name")?;
            let id = inner.engine.parent_id(name).ok_or_else(|| {
                Error::Ctl(
                    carp_ctl::IfName::new(name)
                        .map_or_else(|| CtlError::bad_ifname(0, name), CtlError::NoSuchParent),
                )
            })?;
            put(parent, u32::from(id.0), "parent")?;
            Ok(CARP_OK)
        })
    }
}

/// The parent's link went up (`up` non-zero) or down (carrier lost, or the
/// interface administratively down): call it from the link interrupt;
/// carp never asks. Its vhids go to INIT or come back, the host's
/// demotion follows (`net.inet.carp.ifdown_demotion_factor`), and every
/// parent sends what that owes the wire through its ops before this
/// returns. Returns 0 or `CARP_ENOENT`.
///
/// # Safety
/// `host` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn carp_host_set_link(
    host: *const carp_host,
    now_us: u64,
    parent: carp_parent_id,
    up: c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let id = parent_id(inner, parent)?;
            let now = instant(now_us);
            inner.engine.set_link(now, id, up != 0);
            inner.poll_all(now);
            Ok(CARP_OK)
        })
    }
}

/// The parent's addresses, hardware address, MTU, framing or router flag
/// changed: `*info` is its description from now on (read the current one
/// with `carp_host_parent_info` and change what changed). The ops'
/// description callbacks are not asked again. A new hardware address
/// re-keys the vhids whose HMAC holds an OpenBSD lladdr term, at `now_us`.
/// Returns 0, `CARP_ENOENT` or `CARP_EINVAL` (a bad link type).
///
/// # Safety
/// `host` is NULL or live; `info` is NULL or valid for a read.
#[no_mangle]
pub unsafe extern "C" fn carp_host_set_parent_info(
    host: *const carp_host,
    now_us: u64,
    parent: carp_parent_id,
    info: *const carp_parent_info,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let id = parent_id(inner, parent)?;
            let info = info.as_ref().ok_or(Error::Null("info"))?;
            inner
                .engine
                .set_parent_info(instant(now_us), id, info.to_parent_info()?)?;
            Ok(CARP_OK)
        })
    }
}

/// Copies the parent's description, as carp uses it, to `*out`. Returns 0
/// or `CARP_ENOENT`.
///
/// # Safety
/// `host` is NULL or live; `out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn carp_host_parent_info(
    host: *const carp_host,
    parent: carp_parent_id,
    out: *mut carp_parent_info,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let id = parent_id(inner, parent)?;
            let p = inner.engine.parent(id).ok_or(CtlError::UnknownParentId)?;
            put(out, carp_parent_info::from(p.carpif().parent()), "out")?;
            Ok(CARP_OK)
        })
    }
}

/// Writes the parent's name, NUL-terminated and cut to fit, to `buf` of
/// `len` bytes (`CARP_IFNAMSIZ` always fits). Returns its full length or
/// `CARP_ENOENT`.
///
/// # Safety
/// `host` is NULL or live; `buf` is NULL or valid for `len` bytes of
/// writes (NULL allowed with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn carp_host_parent_name(
    host: *const carp_host,
    parent: carp_parent_id,
    buf: *mut c_char,
    len: usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let id = parent_id(inner, parent)?;
            let p = inner.engine.parent(id).ok_or(CtlError::UnknownParentId)?;
            write_text(buf, len, |out| {
                let _ = out.write_str(p.name().as_str());
            })
        })
    }
}

/// Writes the name of the carp interface (`carp0`) that owns `vhid` on the
/// parent, NUL-terminated and cut to fit, to `buf` of `len` bytes: what
/// an event (parent, vhid) is about. Returns its full length, or
/// `CARP_ENOENT` when no carp interface owns it (the vhid is configured on
/// the parent itself, FreeBSD-style, or not at all).
///
/// # Safety
/// `host` is NULL or live; `buf` is NULL or valid for `len` bytes of
/// writes (NULL allowed with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn carp_host_carp_name(
    host: *const carp_host,
    parent: carp_parent_id,
    vhid: c_int,
    buf: *mut c_char,
    len: usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let id = parent_id(inner, parent)?;
            let vhid = vhid_from_number(vhid)?;
            let name = inner
                .engine
                .name_of(id, vhid)
                .ok_or(Error::Unnamed { vhid })?;
            write_text(buf, len, |out| {
                let _ = out.write_str(name.as_str());
            })
        })
    }
}
