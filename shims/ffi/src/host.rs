//! `carp_host`: a host's carp, driven from C. One handle holds the
//! [`carp_ctl::Engine`] (every parent, every carp interface, the
//! `net.inet.carp` tree) and the driver of each parent.
//!
//! One thread at a time per handle; callbacks must not call back into it
//! (`CARP_EBUSY`). Nothing sleeps or reads a clock: times are the caller's,
//! in microseconds.
//!
//! Its life: `carp_host_new` / `carp_host_free` on the heap (hosted
//! build), or `carp_host_size` / `carp_host_align` / `carp_host_init` /
//! `carp_host_fini` in memory the caller provides (freestanding build).

use core::cell::{Cell, RefCell};
use core::ffi::{c_char, c_int};
use core::fmt::Write;

use carp_core::{Instant, VirtualHost};
use carp_ctl::{CtlError, ParentId};
use carp_ifnet::carpif::IfError;

use crate::boundary::{code, put, write_text};
use crate::driver::CDriver;
use crate::errno::{Error, CARP_OK};
use crate::platform::{self, guard, Drivers, HostEngine};
use crate::types::{carp_parent_id, CARP_MAX_PARENTS};

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
    pub(crate) engine: platform::Boxed<HostEngine>,
    pub(crate) drivers: Drivers,
}

impl carp_host {
    /// A handle over a new `engine` (no parents), its counters seeded.
    fn new(mut engine: platform::Boxed<HostEngine>, counter_seed: u64) -> carp_host {
        engine.set_counter_seed(counter_seed);
        carp_host {
            inner: RefCell::new(Inner {
                engine,
                drivers: Drivers::default(),
            }),
            poisoned: Cell::new(false),
            last_error: Cell::new(None),
        }
    }
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
        if self.drivers.is_full() {
            return Err(Error::Ctl(CtlError::TooManyParents {
                max: CARP_MAX_PARENTS,
            }));
        }
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
/// replay protection): put the boot time in seconds (Unix time) in its
/// top 32 bits, so a host restarted in a later second starts above every
/// counter it sent before, and randomness in the low 32. Returns 0 or
/// `CARP_EFAULT`. The host and each parent (255 vhids) take the heap that
/// docs/embedding.md's memory table gives for the hosted engine (a few
/// hundred KiB each); building it uses up to that much stack. Hosted build
/// only (the freestanding one has `carp_host_init`).
///
/// # Safety
/// `out` is NULL or valid for a write.
#[cfg(feature = "hosted")]
#[no_mangle]
pub unsafe extern "C" fn carp_host_new(counter_seed: u64, out: *mut *mut carp_host) -> c_int {
    code(guard(|| {
        if out.is_null() {
            return Err(Error::Null("out"));
        }
        let handle = platform::into_raw(carp_host::new(platform::new_engine(), counter_seed));
        // SAFETY: checked not NULL above; valid for a write (caller).
        unsafe { put(out, handle, "out") }?;
        Ok(CARP_OK)
    }))
}

/// Frees a host, its parents and carp interfaces. Vhids are not bowed out:
/// destroy them first (`carp_host_ifconfig(host, now, "carp0", "destroy",
/// ..)`, or `"vhid N destroy"` on a parent) and poll, for a graceful exit.
/// NULL is ignored. Hosted build only (the freestanding one has
/// `carp_host_fini`).
///
/// # Safety
/// `host` is NULL or from `carp_host_new`, not yet freed, not used
/// afterwards, and not in a call (do not free it from a callback).
#[cfg(feature = "hosted")]
#[no_mangle]
pub unsafe extern "C" fn carp_host_free(host: *mut carp_host) {
    if !host.is_null() {
        // SAFETY: from hosted::into_raw in carp_host_new, freed once
        // (caller).
        unsafe { platform::drop_raw(host) };
    }
}

/// Bytes of memory a host needs (`carp_host_init`): every parent, carp
/// interface and vhid up to the capacities `CARP_MAX_PARENTS`,
/// `CARP_MAX_VHIDS` and `CARP_MAX_ITEMS`, fixed when the library was
/// built. Freestanding build only.
#[cfg(not(feature = "hosted"))]
#[no_mangle]
pub extern "C" fn carp_host_size() -> usize {
    core::mem::size_of::<carp_host>()
}

/// The alignment, in bytes (a power of two), that the memory given to
/// `carp_host_init` must have. Freestanding build only.
#[cfg(not(feature = "hosted"))]
#[no_mangle]
pub extern "C" fn carp_host_align() -> usize {
    core::mem::align_of::<carp_host>()
}

/// Creates a host in the caller's memory `mem` of `size` bytes, as
/// `carp_host_new` does on the heap, and stores the handle in `*out` (it
/// points into `mem`). `mem` needs at least `carp_host_size()` bytes,
/// aligned to `carp_host_align()`; it need not be zeroed, and a static
/// buffer (`.bss`) suits: the host is too large for a small stack. From
/// then on the memory belongs to the host until `carp_host_fini`: do not
/// read, write or move it. Nothing else is allocated, ever: parents and
/// vhids take room inside it, up to the capacities (`CARP_ENOSPC`
/// beyond).
///
/// Returns 0, `CARP_EFAULT` (`mem` or `out` NULL), `CARP_EMSGSIZE`
/// (`size` too small) or `CARP_EINVAL` (`mem` misaligned); on an error
/// `mem` is untouched. Freestanding build only.
///
/// # Safety
/// `mem` is NULL or valid for `size` bytes of reads and writes, not used
/// by anything else until `carp_host_fini`; `out` is NULL or valid for a
/// write.
#[cfg(not(feature = "hosted"))]
#[no_mangle]
pub unsafe extern "C" fn carp_host_init(
    mem: *mut core::ffi::c_void,
    size: usize,
    counter_seed: u64,
    out: *mut *mut carp_host,
) -> c_int {
    code(guard(|| {
        if mem.is_null() {
            return Err(Error::Null("mem"));
        }
        if out.is_null() {
            return Err(Error::Null("out"));
        }
        if size < carp_host_size() {
            return Err(Error::Length {
                what: "mem",
                want: carp_host_size(),
                got: size,
            });
        }
        let misalign = (mem as usize) % carp_host_align();
        if misalign != 0 {
            return Err(Error::Invalid {
                what: "mem alignment (address modulo carp_host_align())",
                got: misalign as i64,
            });
        }
        let slot = mem.cast::<carp_host>();
        // SAFETY: `slot` is not NULL, aligned for a carp_host (checked
        // above) and valid for size_of::<carp_host>() bytes of writes
        // (size checked above, validity promised by the caller), and not
        // used by anything else (caller); whatever it held is overwritten,
        // not dropped.
        unsafe { slot.write(carp_host::new(platform::new_engine(), counter_seed)) };
        // SAFETY: checked not NULL above; valid for a write (caller).
        unsafe { put(out, slot, "out") }?;
        Ok(CARP_OK)
    }))
}

/// Ends a host made by `carp_host_init`: its parents and carp interfaces
/// are gone and its memory is the caller's again (to reuse, or to give to
/// `carp_host_init` anew). As with `carp_host_free`, vhids are not bowed
/// out: destroy them first and poll. NULL is ignored. Freestanding build
/// only.
///
/// # Safety
/// `host` is NULL or from `carp_host_init`, not yet ended, not used
/// afterwards, and not in a call (do not end it from a callback).
#[cfg(not(feature = "hosted"))]
#[no_mangle]
pub unsafe extern "C" fn carp_host_fini(host: *mut carp_host) {
    if !host.is_null() {
        // SAFETY: a live carp_host written by carp_host_init, ended once
        // and not in use (caller).
        unsafe { core::ptr::drop_in_place(host) };
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

#[cfg(all(test, feature = "hosted"))]
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
