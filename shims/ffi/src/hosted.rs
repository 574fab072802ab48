//! Everything of the C library that needs `std`: the heap (the engine, its
//! parents and their drivers live there) and unwinding (a panic is caught
//! at the boundary instead of crossing into C).
//!
//! The rest of the crate uses only `core`. The freestanding build (no
//! libc, no allocator, `panic = "abort"`) replaces this one module with
//! `freestanding.rs`: storage the caller provides instead of `Box`/`Vec`,
//! and a `guard` that simply runs its body.

use core::ffi::c_int;
use std::boxed::Box;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::vec::Vec;

use carp_ctl::engine::HOSTED_ITEMS;
use carp_ctl::{Engine, Parent, ParentId};
use carp_ifnet::carpif::MAX_VHIDS;

use crate::driver::CDriver;
use crate::errno::Error;

// The capacities the header states are the engine's.
const _: () = assert!(crate::types::CARP_MAX_VHIDS == MAX_VHIDS);
const _: () = assert!(crate::types::CARP_MAX_ITEMS == HOSTED_ITEMS);

/// The host's engine: parents on the heap, 255 vhids each.
pub(crate) type HostEngine = Engine<Vec<Box<Parent<MAX_VHIDS>>>, MAX_VHIDS, HOSTED_ITEMS>;

/// A value on the heap.
pub(crate) type Boxed<T> = Box<T>;

/// A new engine, on the heap (its size, the parents apart, is in
/// docs/embedding.md's memory table).
pub(crate) fn new_engine() -> Boxed<HostEngine> {
    Box::new(HostEngine::new(Vec::new()))
}

/// The drivers of a host's parents, in the order added.
#[derive(Debug, Default)]
pub(crate) struct Drivers(Vec<(ParentId, CDriver)>);

impl Drivers {
    /// True when no other parent's driver fits (never: the heap grows).
    pub(crate) fn is_full(&self) -> bool {
        false
    }

    /// Adds the driver of a new parent.
    pub(crate) fn push(&mut self, id: ParentId, dev: CDriver) {
        self.0.push((id, dev));
    }

    /// Drops the driver of a removed parent.
    pub(crate) fn remove(&mut self, id: ParentId) {
        self.0.retain(|(p, _)| *p != id);
    }

    /// Every parent and its driver.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (ParentId, &mut CDriver)> + '_ {
        self.0.iter_mut().map(|(id, dev)| (*id, dev))
    }

    /// The driver of parent `id`.
    pub(crate) fn get_mut(&mut self, id: ParentId) -> Option<&mut CDriver> {
        self.0.iter_mut().find(|(p, _)| *p == id).map(|(_, d)| d)
    }
}

/// Moves `value` to the heap and gives up ownership: the pointer handed
/// to C.
pub(crate) fn into_raw<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Drops what [`into_raw`] gave out; a panic while dropping is caught.
///
/// # Safety
/// `ptr` came from [`into_raw`] with the same `T`, is dropped once, and is
/// not used afterwards.
pub(crate) unsafe fn drop_raw<T>(ptr: *mut T) {
    // SAFETY: from Box::into_raw, dropped once (caller).
    let value = unsafe { Box::from_raw(ptr) };
    let _ = catch_unwind(AssertUnwindSafe(|| drop(value)));
}

/// Runs `body`; a panic becomes [`Error::Poisoned`]
/// (`CARP_ENOTRECOVERABLE`) instead of unwinding into C.
pub(crate) fn guard(body: impl FnOnce() -> Result<c_int, Error>) -> Result<c_int, Error> {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(Err(Error::Poisoned))
}
