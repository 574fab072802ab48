//! `carp_if`: every virtual host on one parent interface, driven from C.
//!
//! Frames in (`carp_if_input`), time in (`carp_if_handle_timeout` with the
//! caller's clock in microseconds), the next deadline out
//! (`carp_if_poll_timeout`), events out (`carp_if_poll_events`), frames out
//! through the driver's `transmit`. Nothing sleeps, allocates after
//! creation, or reads a clock.
//!
//! One `carp_if` is used by one thread at a time; callbacks must not call
//! back into it (`CARP_EBUSY`).

use core::cell::{Cell, RefCell};
use core::ffi::{c_char, c_int, c_void};
use std::sync::Arc;

use ::carp_sysctl::Sysctl;
use carp_core::Instant;
use carp_ifnet::carpif::{CarpIf, Input};

use crate::boundary::{bytes, guard, out_slice, put, put_opt};
use crate::driver::{carp_driver_ops, CDriver};
use crate::errno::{Error, CARP_OK};
use crate::sysctl::carp_sysctl;
use crate::types::{carp_event, carp_stats};

/// `carp_if_input`: not a CARP frame (nor ARP/ND for a virtual address);
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

/// The vhosts of one parent interface (opaque).
#[allow(non_camel_case_types)]
pub struct carp_if {
    inner: RefCell<Inner>,
    /// Set while a call runs and left set if it panicked.
    poisoned: Cell<bool>,
    last_error: Cell<Option<Error>>,
}

pub(crate) struct Inner {
    pub(crate) cif: CarpIf,
    pub(crate) driver: CDriver,
    pub(crate) sysctl: Arc<carp_sysctl>,
    seed: u64,
}

impl Inner {
    pub(crate) fn sysctl(&self) -> &Sysctl {
        &self.sysctl.tree
    }

    /// Sends what the interface owes (and runs due timers), with the
    /// parent's addresses as the callbacks report them now.
    pub(crate) fn flush(&mut self, now: Instant) {
        self.cif.set_parent(self.driver.parent_info());
        self.cif.poll(now, &mut self.driver, &self.sysctl.tree);
    }

    /// The first advert counter of a new vhid: the caller's seed, spread
    /// over vhids so two vhids never start alike.
    pub(crate) fn counter_seed(&self, vhid: u8) -> u64 {
        self.seed ^ (u64::from(vhid) << 56)
    }
}

/// Runs `body` on the interface at `cif`: NULL, re-entry and a poisoned
/// handle are refused; an error is kept for `carp_if_last_error`.
///
/// # Safety
/// `cif` is NULL or a live pointer from `carp_if_new`.
pub(crate) unsafe fn with_if(
    cif: *const carp_if,
    body: impl FnOnce(&mut Inner) -> Result<c_int, Error>,
) -> c_int {
    guard(|| {
        // SAFETY: NULL or live (caller). Only shared references to the
        // carp_if are made; the mutable state is behind a RefCell.
        let handle = unsafe { cif.as_ref() }.ok_or(Error::Null("cif"))?;
        let mut inner = handle.inner.try_borrow_mut().map_err(|_| Error::Busy)?;
        if handle.poisoned.get() {
            return Err(Error::Poisoned);
        }
        handle.poisoned.set(true);
        let result = body(&mut inner);
        handle.poisoned.set(false);
        if let Err(e) = result {
            handle.last_error.set(Some(e));
        }
        result
    })
}

pub(crate) fn instant(now_us: u64) -> Instant {
    Instant::from_micros(now_us)
}

/// Creates an interface over a driver and stores it in `*out`.
///
/// `ops` is copied; its functions are called with `ctx`. `sysctl` is the
/// host's tree (the interface takes a reference, so the caller may free
/// its own at any time) or NULL for a private one. `counter_seed` should be
/// random: it starts the advert replay counters. Returns 0, `CARP_EFAULT`,
/// or `CARP_EINVAL` for an unknown link type.
///
/// # Safety
/// `ops` and `out` are NULL or valid; the functions of `*ops` are callable
/// with `ctx` as `carp_driver_ops` documents until `carp_if_free`;
/// `sysctl` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn carp_if_new(
    ops: *const carp_driver_ops,
    ctx: *mut c_void,
    sysctl: *const carp_sysctl,
    counter_seed: u64,
    out: *mut *mut carp_if,
) -> c_int {
    guard(|| {
        if out.is_null() {
            return Err(Error::Null("out"));
        }
        // SAFETY: NULL or valid for a read (caller); the struct is Copy.
        let ops = unsafe { ops.as_ref() }.copied().ok_or(Error::Null("ops"))?;
        // SAFETY: the caller promises the callbacks' contract for the life
        // of the interface, which owns the driver.
        let driver = unsafe { CDriver::new(ops, ctx) }?;
        let sysctl = if sysctl.is_null() {
            Arc::new(carp_sysctl::default())
        } else {
            // SAFETY: `sysctl` is live (caller), so it came from
            // Arc::into_raw and its count is at least 1; we add our own.
            unsafe {
                Arc::increment_strong_count(sysctl);
                Arc::from_raw(sysctl)
            }
        };
        let handle = Box::new(carp_if {
            inner: RefCell::new(Inner {
                cif: CarpIf::new(driver.parent_info(), driver.link_state()),
                driver,
                sysctl,
                seed: counter_seed,
            }),
            poisoned: Cell::new(false),
            last_error: Cell::new(None),
        });
        // SAFETY: checked not NULL above; valid for a write (caller).
        unsafe { put(out, Box::into_raw(handle), "out") }?;
        Ok(CARP_OK)
    })
}

/// Frees an interface (and its reference to the sysctl tree). Vhids are
/// not bowed out: remove them first (`carp_if_ifconfig(.., "vhid N
/// destroy")`) for a graceful exit. NULL is ignored.
///
/// # Safety
/// `cif` is NULL or from `carp_if_new`, not yet freed, not used afterwards,
/// and not in a call (do not free from a callback).
#[no_mangle]
pub unsafe extern "C" fn carp_if_free(cif: *mut carp_if) {
    if !cif.is_null() {
        // SAFETY: from Box::into_raw in carp_if_new, freed once (caller).
        let handle = unsafe { Box::from_raw(cif) };
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(handle)));
    }
}

/// The interface's sysctl tree, borrowed: valid while `cif` lives. NULL if
/// `cif` is NULL.
///
/// # Safety
/// `cif` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn carp_if_sysctl(cif: *const carp_if) -> *const carp_sysctl {
    // SAFETY: NULL or live (caller).
    let Some(handle) = (unsafe { cif.as_ref() }) else {
        return core::ptr::null();
    };
    match handle.inner.try_borrow() {
        Ok(inner) => Arc::as_ptr(&inner.sysctl),
        Err(_) => core::ptr::null(),
    }
}

/// Takes one received link-layer frame of `len` bytes at time `now_us`.
/// Returns a `CARP_INPUT_*` value, or `CARP_EBADMSG` when an input check
/// rejected it (counted; `*reject_counter`, if not NULL, gets the index of
/// the counter moved, a field of `carp_stats`; -1 otherwise).
///
/// # Safety
/// `cif` is NULL or live; `frame` is NULL or valid for `len` bytes;
/// `reject_counter` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn carp_if_input(
    cif: *const carp_if,
    now_us: u64,
    frame: *const u8,
    len: usize,
    reject_counter: *mut c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { put_opt(reject_counter, -1) };
    // SAFETY: forwarded contract.
    unsafe {
        with_if(cif, |inner| {
            let frame = bytes(frame, len, "frame")?;
            let result = inner.cif.input(instant(now_us), frame, &inner.sysctl.tree);
            inner.flush(instant(now_us));
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

/// Runs every timer due at `now_us` and sends what is owed (harmless when
/// early). Returns 0.
///
/// # Safety
/// `cif` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn carp_if_handle_timeout(cif: *const carp_if, now_us: u64) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_if(cif, |inner| {
            inner.flush(instant(now_us));
            Ok(CARP_OK)
        })
    }
}

/// The next deadline: returns 1 and stores it (µs, the caller's clock) in
/// `*deadline_us`, or returns 0 when no timer runs.
///
/// # Safety
/// `cif` is NULL or live; `deadline_us` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn carp_if_poll_timeout(cif: *const carp_if, deadline_us: *mut u64) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_if(cif, |inner| match inner.cif.poll_timeout() {
            Some(at) => {
                put(deadline_us, at.micros(), "deadline_us")?;
                Ok(1)
            }
            None => Ok(0),
        })
    }
}

/// Moves up to `cap` queued events, oldest first, to `out[0..]`. Returns
/// how many were written (0 when none are queued).
///
/// # Safety
/// `cif` is NULL or live; `out` is NULL or valid for `cap` writes.
#[no_mangle]
pub unsafe extern "C" fn carp_if_poll_events(
    cif: *const carp_if,
    out: *mut carp_event,
    cap: usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_if(cif, |inner| {
            let slots = out_slice(out, cap.min(c_int::MAX as usize), "out")?;
            let mut n: c_int = 0;
            for slot in slots {
                let Some(event) = inner.cif.poll_event() else {
                    break;
                };
                slot.write(carp_event::from(&event));
                n = n.saturating_add(1);
            }
            Ok(n)
        })
    }
}

/// The parent link went up (`up` non-zero) or down. Returns 0.
///
/// # Safety
/// `cif` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn carp_if_set_link(cif: *const carp_if, now_us: u64, up: c_int) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_if(cif, |inner| {
            inner
                .cif
                .set_link(instant(now_us), up != 0, &inner.sysctl.tree);
            inner.flush(instant(now_us));
            Ok(CARP_OK)
        })
    }
}

/// The state of `vhid`: `CARP_STATE_INIT`, `_BACKUP` or `_MASTER`, or
/// `CARP_ENOENT`.
///
/// # Safety
/// `cif` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn carp_if_state(cif: *const carp_if, vhid: c_int) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_if(cif, |inner| {
            let host = crate::control::vhost(inner, vhid)?;
            Ok(carp_ctl::state_number(host.state()))
        })
    }
}

/// Copies the counters of this parent (input checks, adverts sent) to
/// `*out`. Returns 0.
///
/// # Safety
/// `cif` is NULL or live; `out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn carp_if_stats(cif: *const carp_if, out: *mut carp_stats) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_if(cif, |inner| {
            put(out, carp_stats::from(inner.cif.stats()), "out")?;
            Ok(CARP_OK)
        })
    }
}

/// Copies the counters of one vhid to `*out`. Returns 0 or `CARP_ENOENT`.
///
/// # Safety
/// `cif` is NULL or live; `out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn carp_if_vhid_stats(
    cif: *const carp_if,
    vhid: c_int,
    out: *mut carp_stats,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_if(cif, |inner| {
            let host = crate::control::vhost(inner, vhid)?;
            put(out, carp_stats::from(&host.stats()), "out")?;
            Ok(CARP_OK)
        })
    }
}

/// Writes the message of the last error on `cif` (e.g. "advskew 300: out of
/// range 0..254"), NUL-terminated and cut to fit, to `buf` of `len` bytes.
/// Returns the message's full length (0 if no call failed yet), so a
/// return >= `len` means it was cut.
///
/// # Safety
/// `cif` is NULL or live; `buf` is NULL or valid for `len` bytes of writes.
#[no_mangle]
pub unsafe extern "C" fn carp_if_last_error(
    cif: *const carp_if,
    buf: *mut c_char,
    len: usize,
) -> c_int {
    guard(|| {
        // SAFETY: NULL or live (caller); only a Cell is read.
        let handle = unsafe { cif.as_ref() }.ok_or(Error::Null("cif"))?;
        let message = handle
            .last_error
            .get()
            .map_or_else(String::new, |e| e.to_string());
        // SAFETY: forwarded contract.
        let out = unsafe { out_slice(buf.cast::<u8>(), len, "buf") }?;
        let mut src = message.bytes().chain(core::iter::repeat(0));
        let room = out.len().saturating_sub(1);
        for (i, slot) in out.iter_mut().enumerate() {
            let b = if i < room { src.next().unwrap_or(0) } else { 0 };
            slot.write(b);
        }
        Ok(c_int::try_from(message.len()).unwrap_or(c_int::MAX))
    })
}
