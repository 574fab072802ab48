//! The freestanding build (carp-ffi without its `hosted` feature): the C
//! library for kernels. `#![no_std]`, no allocator, no libc, no threads,
//! `panic = "abort"`; it replaces the private `hosted` module and nothing
//! else, so every entry point but the handle's life is the hosted one.
//!
//! * **Memory**: the caller asks `carp_host_size()` and `carp_host_align()`
//!   and hands that memory to `carp_host_init`; the host (the engine, its
//!   parents in a `heapless::Vec`, their drivers) lives there, inline, until
//!   `carp_host_fini`. Nothing is allocated afterwards: parents, carp
//!   interfaces and vhids take room inside it up to the capacities below,
//!   fixed at compile time, and a request beyond them is refused with
//!   `CARP_ENOSPC` (nothing changed).
//! * **Capacities**: `CARP_MAX_PARENTS` (4) parents of `CARP_MAX_VHIDS`
//!   (16) vhids each, and `CARP_MAX_ITEMS` (64) carp interfaces and vhids
//!   described at once (every vhid of every parent), in `types.rs`; change
//!   them there and regenerate the header to build a library of another
//!   size.
//! * **Panics**: carp-core, carp-ifnet and carp-ctl are written not to
//!   panic (clippy denies `unwrap`, `expect`, `panic!` and indexing), but a
//!   bug still could (an overflow, a slice out of range in a
//!   dependency). Without unwinding the panic handler below formats the
//!   message and calls `carp_panic`, which the embedder defines (its
//!   kernel's panic: print, halt or reboot). It must not return; if it
//!   does, the library spins forever rather than go on with a broken host.
//! * **Threads**: none started, nothing waited for (the sysctl tree's
//!   atomics and short spin locks guard one handle's own state): one
//!   caller at a time per handle, as in the hosted build. In a kernel, take one lock around
//!   every call on a handle; if an interrupt handler calls it too, take a
//!   spinlock with that interrupt masked, or let the handler queue the
//!   frame or link change for the thread that owns the handle. An
//!   interrupt must never run a call on a handle whose call it interrupted
//!   (the `CARP_EBUSY` check is for callbacks, not a lock), and two CPUs
//!   inside one handle at once are a data race.
//!
//! Stack: built with the `freestanding` profile (optimised), the host and
//! its parents are written in place, never through the stack (each is far
//! larger than the run's stack: `carp_host_size()`, which README.md
//! quotes and `tests/freestanding.rs` holds it to):
//! `examples/freestanding/runtime.c` paints its stack and measures the
//! deepest use of the whole failover run (the program's own frames
//! included; the test prints it with the sizes as `freestanding figures:`)
//! and `tests/freestanding.rs` fails above 16 KiB. An unoptimised build
//! may move them through the stack.

use core::ffi::c_char;

use carp_ctl::{Engine, Parent, ParentId};

use crate::driver::CDriver;
use crate::errno::Error;
use crate::types::{CARP_MAX_ITEMS, CARP_MAX_PARENTS, CARP_MAX_VHIDS};

// The capacities, as the header states them.
const PARENTS: usize = CARP_MAX_PARENTS;
const VHIDS: usize = CARP_MAX_VHIDS;
const ITEMS: usize = CARP_MAX_ITEMS;
// The items describe every vhid of every parent.
const _: () = assert!(ITEMS == PARENTS * VHIDS);

/// The host's engine: its parents inline, in a fixed array.
pub(crate) type HostEngine = Engine<heapless::Vec<Parent<VHIDS>, PARENTS>, VHIDS, ITEMS>;

/// A value where its owner is: inline in the caller's memory.
pub(crate) type Boxed<T> = T;

/// A new engine, by value: `carp_host_init` writes it into the caller's
/// memory.
pub(crate) fn new_engine() -> HostEngine {
    HostEngine::new(heapless::Vec::new())
}

/// The drivers of a host's parents, in the order added.
#[derive(Debug, Default)]
pub(crate) struct Drivers(heapless::Vec<(ParentId, CDriver), PARENTS>);

impl Drivers {
    /// True when no other parent's driver fits.
    pub(crate) fn is_full(&self) -> bool {
        self.0.is_full()
    }

    /// Adds the driver of a new parent (dropped when full: the caller
    /// checks [`Drivers::is_full`] first, and the engine holds as many
    /// parents as this holds drivers).
    pub(crate) fn push(&mut self, id: ParentId, dev: CDriver) {
        let _ = self.0.push((id, dev));
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

/// Runs `body`: without unwinding a panic never comes back here (it ends
/// in [`carp_panic`]).
pub(crate) fn guard(
    body: impl FnOnce() -> Result<core::ffi::c_int, Error>,
) -> Result<core::ffi::c_int, Error> {
    body()
}

/// Longest panic message passed to [`carp_panic`], NUL excluded.
#[cfg(target_os = "none")]
const PANIC_MESSAGE_MAX: usize = 255;

#[cfg_attr(not(target_os = "none"), allow(dead_code))]
extern "C" {
    /// Defined by the embedder (freestanding build only): called once if
    /// carp hits an internal error (a bug: a panic in Rust), with a
    /// NUL-terminated message of `len` bytes (at most 255) naming the
    /// source file, line and what went wrong. It must not return: halt,
    /// reboot or end the program. If it returns, the calling thread spins
    /// forever inside carp. It runs on the calling thread, inside the
    /// failing call, and must not call into carp.
    pub fn carp_panic(msg: *const c_char, len: usize);
}

/// The panic handler of the freestanding library: the message to
/// [`carp_panic`], then nothing more (never returns). Bare-metal targets
/// only: on an operating system's target the crate links `std` somewhere
/// (its tests, a dev-dependency), which brings a handler of its own.
#[cfg(all(not(test), target_os = "none"))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    use core::fmt::Write;
    use core::mem::MaybeUninit;

    let mut buf = [MaybeUninit::new(0u8); PANIC_MESSAGE_MAX + 1];
    let mut out = crate::boundary::TextOut::new(&mut buf);
    let _ = write!(out, "carp: {info}");
    let len = usize::try_from(out.finish())
        .unwrap_or(0)
        .min(PANIC_MESSAGE_MAX);
    // SAFETY: `buf` holds `len` bytes of text and a NUL, and lives across
    // the call; the embedder defines `carp_panic` with this signature (the
    // library does not link without it).
    unsafe { carp_panic(buf.as_ptr().cast::<c_char>(), len) };
    loop {
        core::hint::spin_loop();
    }
}
