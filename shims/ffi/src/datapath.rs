//! The data path from C: frames in (`carp_host_input`, read where they lie),
//! time in (`carp_host_poll`), the next deadline (`carp_host_poll_timeout`)
//! and events out (`carp_host_poll_events`); frames out through each
//! parent's `transmit`. And what a vhid is now: its state and counters.

use core::ffi::c_int;

use carp_ifnet::carpif::Input;

use crate::boundary::{bytes, out_slice, put, put_opt};
use crate::errno::{Error, CARP_OK};
use crate::host::{carp_host, instant, parent_id, vhost, with_host};
use crate::types::{carp_event, carp_parent_id, carp_stats, vhid_from_number};

/// `carp_host_input`: not a CARP frame (nor ARP/ND for a virtual address);
/// hand it to the host's own stack.
pub const CARP_INPUT_NOT_CARP: c_int = 0;
/// An advert passed every check and reached the election.
pub const CARP_INPUT_ADVERT: c_int = 1;
/// An ARP request for a virtual address was answered.
pub const CARP_INPUT_ARP_REPLIED: c_int = 2;
/// A neighbour solicitation for a virtual address was answered.
pub const CARP_INPUT_ND_REPLIED: c_int = 3;
/// ARP or ND for a virtual address this host must not answer.
pub const CARP_INPUT_SILENT: c_int = 4;
/// Accepted in a way this version of the header does not name.
pub const CARP_INPUT_OTHER: c_int = 5;

/// Takes one link-layer frame of `len` bytes received on `parent` at
/// `now_us`, read in place (no copy: it may stay in the NIC's receive
/// buffer; carp does not keep the pointer). What it owes the wire (an ARP
/// reply, a preempting advert) is sent through the parent's ops before
/// this returns. Returns a `CARP_INPUT_*` value, or `CARP_EBADMSG` when an
/// input check rejected it (counted; `*reject_counter`, if not NULL, gets
/// the index of the counter moved, a field of `carp_stats` named by
/// `carp_counter_name`; -1 otherwise), or `CARP_ENOENT` for an unknown
/// parent.
///
/// # Safety
/// `host` is NULL or live; `frame` is NULL or valid for `len` bytes;
/// `reject_counter` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn carp_host_input(
    host: *const carp_host,
    now_us: u64,
    parent: carp_parent_id,
    frame: *const u8,
    len: usize,
    reject_counter: *mut c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { put_opt(reject_counter, -1) };
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let id = parent_id(inner, parent)?;
            let frame = bytes(frame, len, "frame")?;
            let now = instant(now_us);
            let result = inner.engine.input(now, id, frame);
            inner.poll_parent(now, id);
            match result {
                Ok(input) => Ok(match input {
                    Input::NotCarp => CARP_INPUT_NOT_CARP,
                    Input::Advert { .. } => CARP_INPUT_ADVERT,
                    Input::ArpReplied { .. } => CARP_INPUT_ARP_REPLIED,
                    Input::NdReplied { .. } => CARP_INPUT_ND_REPLIED,
                    Input::Silent => CARP_INPUT_SILENT,
                    _ => CARP_INPUT_OTHER,
                }),
                Err(reject) => {
                    put_opt(reject_counter, reject.counter() as c_int);
                    Err(Error::Reject(reject))
                }
            }
        })
    }
}

/// Runs the timers of every parent whose deadline is at or before
/// `now_us` and sends what they owe through their ops (harmless when
/// early). Returns 0.
///
/// # Safety
/// `host` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn carp_host_poll(host: *const carp_host, now_us: u64) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            inner.poll_due(instant(now_us));
            Ok(CARP_OK)
        })
    }
}

/// The next deadline over every parent: returns 1 and stores it (µs, the
/// caller's clock) in `*deadline_us`, or returns 0 when no timer runs. It
/// changes after every call on the host: ask again each time.
///
/// # Safety
/// `host` is NULL or live; `deadline_us` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn carp_host_poll_timeout(
    host: *const carp_host,
    deadline_us: *mut u64,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| match inner.engine.poll_timeout() {
            Some(at) => {
                put(deadline_us, at.micros(), "deadline_us")?;
                Ok(1)
            }
            None => Ok(0),
        })
    }
}

/// Moves up to `cap` queued events of every parent, oldest first per
/// parent, to `out[0..]`. Returns how many were written (0 when none are
/// queued).
///
/// # Safety
/// `host` is NULL or live; `out` is NULL or valid for `cap` writes.
#[no_mangle]
pub unsafe extern "C" fn carp_host_poll_events(
    host: *const carp_host,
    out: *mut carp_event,
    cap: usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let slots = out_slice(out, cap.min(c_int::MAX as usize), "out")?;
            let mut n: c_int = 0;
            for slot in slots {
                let Some((parent, event)) = inner.engine.poll_event() else {
                    break;
                };
                slot.write(carp_event::new(parent, &event));
                n = n.saturating_add(1);
            }
            Ok(n)
        })
    }
}

/// The state of `vhid` on `parent`: `CARP_STATE_INIT`, `_BACKUP` or
/// `_MASTER`, or `CARP_ENOENT`.
///
/// # Safety
/// `host` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn carp_host_state(
    host: *const carp_host,
    parent: carp_parent_id,
    vhid: c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let id = parent_id(inner, parent)?;
            let vhid = vhid_from_number(vhid)?;
            let host = vhost(inner, id, vhid)?;
            Ok(carp_ctl::state_number(host.state()))
        })
    }
}

/// Copies the counters of one parent (its input checks, adverts sent) to
/// `*out`. Returns 0 or `CARP_ENOENT`.
///
/// # Safety
/// `host` is NULL or live; `out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn carp_host_parent_stats(
    host: *const carp_host,
    parent: carp_parent_id,
    out: *mut carp_stats,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let id = parent_id(inner, parent)?;
            let p = inner
                .engine
                .parent(id)
                .ok_or(carp_ctl::CtlError::UnknownParentId)?;
            put(out, carp_stats::from(p.carpif().stats()), "out")?;
            Ok(CARP_OK)
        })
    }
}

/// Copies the counters of `vhid` on `parent` to `*out`. Returns 0 or
/// `CARP_ENOENT`.
///
/// # Safety
/// `host` is NULL or live; `out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn carp_host_vhid_stats(
    host: *const carp_host,
    parent: carp_parent_id,
    vhid: c_int,
    out: *mut carp_stats,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_host(host, |inner| {
            let id = parent_id(inner, parent)?;
            let vhid = vhid_from_number(vhid)?;
            let host = vhost(inner, id, vhid)?;
            put(out, carp_stats::from(&host.stats()), "out")?;
            Ok(CARP_OK)
        })
    }
}
