//! `carp_host`: a host's carp, driven from C. One handle holds the
//! [`carp_ctl::Engine`] (every parent, every carp interface, the
//! `net.inet.carp` tree) and the driver of each parent.
//!
//! One thread at a time per handle; callbacks must not call back into it
//! (`CARP_EBUSY`). Nothing sleeps or reads a clock: times are the caller's,
//! in microseconds.

use core::cell::{Cell, RefCell};
use core::ffi::{c_char, c_int};
use core::fmt::Write;

use carp_core::{Instant, VirtualHost};
use carp_ctl::{CtlError, ParentId};
use carp_ifnet::carpif::IfError;

use crate::boundary::{code, put, write_text};
use crate::driver::CDriver;
use crate::errno::{Error, CARP_OK};
use crate::hosted::{self, guard, Drivers, HostEngine};
use crate::types::carp_parent_id;

/// A host's carp (opaque): its parents, carp interfaces and sysctl tree.
#[allow(non_camel_case_types)]
pub struct carp_host {
    inner: RefCell<Inner>,
    /// Set while a call runs and left set if it panicked.
    poisoned: Cell<bool>,
    last_error: Cell<Option<Error>>,
}

/// What a call on a host works on.
pub(crate) struct Inner {
    pub(crate) engine: hosted::Boxed<HostEngine>,
    pub(crate) drivers: Drivers,
}

impl Inner {
    /// Sends what every parent owes the wire (and runs its due timers):
    /// after every control request.
    pub(crate) fn poll_all(&mut self, now: Instant) {
        let Inner { engine, drivers } = self;
        for (id, dev) in drivers.iter_mut() {
            engine.poll(now, id, dev);
        }
    }

    /// Polls every parent whose deadline is at or before `now`.
    pub(crate) fn poll_due(&mut self, now: Instant) {
        let Inner { engine, drivers } = self;
        for (id, dev) in drivers.iter_mut() {
            if engine.parent_poll_timeout(id).is_some_and(|at| at <= now) {
                engine.poll(now, id, dev);
            }
        }
    }

    /// Polls one parent.
    pub(crate) fn poll_parent(&mut self, now: Instant, id: ParentId) {
        let Inner { engine, drivers } = self;
        if let Some(dev) = drivers.get_mut(id) {
            engine.poll(now, id, dev);
        }
    }

    /// Adds a parent named `name` over `dev`, described and with its link
    /// as the callbacks say now.
    pub(crate) fn add_parent(&mut self, name: &str, dev: CDriver) -> Result<ParentId, Error> {
        let id = self
            .engine
            .add_parent(name, dev.parent_info(), dev.link_state())?;
        self.drivers.push(id, dev);
        Ok(id)
    }

    /// Removes a parent and its driver.
    pub(crate) fn remove_parent(&mut self, id: ParentId) -> Result<(), Error> {
        self.engine.remove_parent(id)?;
        self.drivers.remove(id);
        Ok(())
    }
}

/// A parent id from C, which must name a parent of the host.
pub(crate) fn parent_id(inner: &Inner, parent: carp_parent_id) -> Result<ParentId, Error> {
    let id = u16::try_from(parent)
        .map(ParentId)
        .map_err(|_| Error::Ctl(CtlError::UnknownParentId))?;
    match inner.engine.parent(id) {
        Some(_) => Ok(id),
        None => Err(Error::Ctl(CtlError::UnknownParentId)),
    }
}

/// Vhid `vhid` on parent `id`.
pub(crate) fn vhost(inner: &Inner, id: ParentId, vhid: u8) -> Result<&VirtualHost, Error> {
    inner
        .engine
        .parent(id)
        .and_then(|p| p.carpif().vhost(vhid))
        .ok_or(Error::Ctl(CtlError::If(IfError::NoSuchVhid(vhid))))
}

/// Runs `body` on the host at `host` and returns its value or its error's
/// code: NULL, re-entry and a poisoned handle are refused; a panic poisons
/// the handle; an error is kept for `carp_host_last_error`.
///
/// # Safety
/// `host` is NULL or a live pointer from `carp_host_new`.
pub(crate) unsafe fn with_host(
    host: *const carp_host,
    body: impl FnOnce(&mut Inner) -> Result<c_int, Error>,
) -> c_int {
    // SAFETY: NULL or live (caller). Only shared references to the
    // carp_host are made; the mutable state is behind a RefCell.
    let Some(handle) = (unsafe { host.as_ref() }) else {
        return Error::Null("host").to_errno();
    };
    let result = guard(|| {
        let mut inner = handle.inner.try_borrow_mut().map_err(|_| Error::Busy)?;
        if handle.poisoned.get() {
            return Err(Error::Poisoned);
        }
        handle.poisoned.set(true);
        let result = body(&mut inner);
        handle.poisoned.set(false);
        result
    });
    result.unwrap_or_else(|e| {
        handle.last_error.set(Some(e));
        e.to_errno()
    })
}

pub(crate) fn instant(now_us: u64) -> Instant {
    Instant::from_micros(now_us)
}

/// Creates a host without parents or carp interfaces, every
/// `net.inet.carp` knob at its default, and stores it in `*out`.
///
/// `counter_seed` seeds the first advert counter of each new vhid (its
/// replay protection): put a boot epoch in its top 16 bits, so a restarted
/// host's counters stay above those it sent before, and randomness in the
/// rest. Returns 0 or `CARP_EFAULT`. The host takes about 450 KiB of heap,
/// each parent about 300 KiB more (255 vhids); building it uses up to that
/// much stack.
///
/// # Safety
/// `out` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn carp_host_new(counter_seed: u64, out: *mut *mut carp_host) -> c_int {
    code(guard(|| {
        if out.is_null() {
            return Err(Error::Null("out"));
        }
        let mut engine = hosted::new_engine();
        engine.set_counter_seed(counter_seed);
        let handle = hosted::into_raw(carp_host {
            inner: RefCell::new(Inner {
                engine,
                drivers: Drivers::default(),
            }),
            poisoned: Cell::new(false),
            last_error: Cell::new(None),
        });
        // SAFETY: checked not NULL above; valid for a write (caller).
        unsafe { put(out, handle, "out") }?;
        Ok(CARP_OK)
    }))
}

/// Frees a host, its parents and carp interfaces. Vhids are not bowed out:
/// destroy them first (`carp_host_ifconfig(host, now, "carp0", "destroy",
/// ..)`, or `"vhid N destroy"` on a parent) and poll, for a graceful exit.
/// NULL is ignored.
///
/// # Safety
/// `host` is NULL or from `carp_host_new`, not yet freed, not used
/// afterwards, and not in a call (do not free it from a callback).
#[no_mangle]
pub unsafe extern "C" fn carp_host_free(host: *mut carp_host) {
    if !host.is_null() {
        // SAFETY: from hosted::into_raw in carp_host_new, freed once
        // (caller).
        unsafe { hosted::drop_raw(host) };
    }
}

/// Writes the message of the last error on `host` (e.g. `advskew (word 4)
/// 300: out of range 0..254`, `line 3: word 2 "bogus": unknown ...`),
/// NUL-terminated and cut to fit, to `buf` of `len` bytes. Returns the
/// message's full length (0 if no call failed yet), so a return >= `len`
/// means it was cut. `buf` may be NULL when `len` is 0.
///
/// # Safety
/// `host` is NULL or live; `buf` is NULL or valid for `len` bytes of
/// writes.
#[no_mangle]
pub unsafe extern "C" fn carp_host_last_error(
    host: *const carp_host,
    buf: *mut c_char,
    len: usize,
) -> c_int {
    code(guard(|| {
        // SAFETY: NULL or live (caller); only a Cell is read.
        let handle = unsafe { host.as_ref() }.ok_or(Error::Null("host"))?;
        let error = handle.last_error.get();
        // SAFETY: forwarded contract.
        unsafe {
            write_text(buf, len, |out| {
                if let Some(e) = error {
                    let _ = write!(out, "{e}");
                }
            })
        }
    }))
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::errno::{CARP_EFAULT, CARP_ENOTRECOVERABLE};

    #[test]
    fn a_panic_becomes_a_code_and_poisons_the_handle() {
        let mut host = core::ptr::null_mut();
        // SAFETY: `host` is a live local.
        assert_eq!(unsafe { carp_host_new(1, &mut host) }, CARP_OK);
        // SAFETY: `host` is live until freed below.
        let rc = unsafe { with_host(host, |_| panic!("a bug inside carp")) };
        assert_eq!(rc, CARP_ENOTRECOVERABLE);
        // SAFETY: as above.
        let rc = unsafe { with_host(host, |_| Ok(CARP_OK)) };
        assert_eq!(rc, CARP_ENOTRECOVERABLE, "poisoned for good");
        let mut buf = [0u8; 64];
        // SAFETY: `buf` is a live local of 64 bytes.
        let n = unsafe { carp_host_last_error(host, buf.as_mut_ptr().cast(), buf.len()) };
        let msg = "internal error: handle unusable";
        assert_eq!((n, &buf[..msg.len()]), (msg.len() as c_int, msg.as_bytes()));
        // SAFETY: from carp_host_new, freed once.
        unsafe { carp_host_free(host) };
        assert_eq!(
            // SAFETY: NULL is refused before any use.
            unsafe { with_host(core::ptr::null(), |_| Ok(0)) },
            CARP_EFAULT
        );
    }
}
