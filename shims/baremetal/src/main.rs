//! carp without std: two carp interfaces over a static loopback wire,
//! driven by a fake clock, in an image with no OS, no allocator and no
//! `main`.
//!
//! This is what a firmware or unikernel links: carp-core (wire format,
//! HMAC, state machine), carp-ifnet (framing and the input checks; output
//! through a [`Driver`] lent to `CarpIf::poll`) and carp-sysctl (the
//! host's knobs, in a `static`). Frames go from one host's transmit buffers
//! straight into the other's `CarpIf::input`, without a copy. The
//! entry point runs a few rounds: both hosts start as BACKUP, the one with
//! the smaller advskew becomes MASTER at master-down and its adverts keep
//! the other BACKUP; then it stops being fed and the other takes over. The
//! outcome is written to `OUTCOME` (a debugger reads it).
//!
//! On Cortex-M (`thumbv7em-none-eabihf`) the image boots on QEMU's
//! `mps2-an386` through `cortex-m-rt` (module `semihosting`), prints the
//! outcome through semihosting and exits QEMU with it: `run-qemu.sh`
//! checks the line against the CARP formula. Elsewhere
//! (`x86_64-unknown-none`) `_start` stores the outcome and the core parks.
//! A real board adds a timer for the clock and its NIC as the [`Driver`].
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use core::net::{IpAddr, Ipv4Addr};
#[cfg(not(target_arch = "arm"))]
use core::panic::PanicInfo;
use core::sync::atomic::{AtomicU32, Ordering};

use carp_core::{Instant, State, Vhid, VhostConfig};
use carp_ifnet::carpif::CarpIf;
use carp_ifnet::driver::{Driver, LinkState, ParentInfo, TxError};
use carp_ifnet::lladdr::MacAddr;
use carp_sysctl::Sysctl;

/// The host's `net.inet.carp` tree: `const`-constructed, so no init code.
static SYSCTL: Sysctl = Sysctl::new();

/// What the run ended with: bits 0-7 the vhid state of host A, 8-15 of
/// host B, 16 set once B took over after A went silent.
static OUTCOME: AtomicU32 = AtomicU32::new(0);
/// Fake time of the takeover, in microseconds (32-bit: thumbv7em has no
/// 64-bit atomics).
static TAKEOVER_AT_US: AtomicU32 = AtomicU32::new(0);

/// Frames one host can have in flight on the wire.
const SLOTS: usize = 4;
/// Longest frame kept (an IPv4 advert on Ethernet is 70 bytes).
const FRAME: usize = 128;

/// One end of a loopback wire: sent frames wait here until the loop below
/// hands them to the other host.
struct Loopback {
    frames: [[u8; FRAME]; SLOTS],
    lens: [usize; SLOTS],
    queued: usize,
}

impl Loopback {
    const fn new() -> Loopback {
        Loopback {
            frames: [[0; FRAME]; SLOTS],
            lens: [0; SLOTS],
            queued: 0,
        }
    }

    /// Takes the queued frames, oldest first, into `deliver`.
    fn drain(&mut self, mut deliver: impl FnMut(&[u8])) {
        for (frame, len) in self.frames.iter().zip(self.lens).take(self.queued) {
            if let Some(bytes) = frame.get(..len) {
                deliver(bytes);
            }
        }
        self.queued = 0;
    }
}

/// Host `n`'s parent: Ethernet, 192.0.2.n.
const fn parent(n: u8) -> ParentInfo {
    ParentInfo::ethernet(MacAddr([0x02, 0, 0, 0, 0, n])).with_ipv4(Ipv4Addr::new(192, 0, 2, n))
}

impl Driver for Loopback {
    fn transmit(&mut self, frame: &[u8]) -> Result<(), TxError> {
        let slot = self.queued;
        let (Some(buf), Some(len)) = (self.frames.get_mut(slot), self.lens.get_mut(slot)) else {
            return Err(TxError::NoBuffers);
        };
        let dst = buf
            .get_mut(..frame.len())
            .ok_or(TxError::TooLong { len: frame.len() })?;
        dst.copy_from_slice(frame);
        *len = frame.len();
        self.queued += 1;
        Ok(())
    }
    fn join_multicast(&mut self, _mac: MacAddr) -> Result<(), TxError> {
        Ok(())
    }
    fn leave_multicast(&mut self, _mac: MacAddr) -> Result<(), TxError> {
        Ok(())
    }
}

fn config(skew: u8) -> Option<VhostConfig> {
    VhostConfig::new(Vhid::new(1).ok()?)
        .with_advskew(skew)
        .ok()?
        .with_passphrase(b"s3cret")
        .ok()?
        .with_address(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 100)))
        .ok()
}

fn state(cif: &CarpIf<4>) -> State {
    cif.vhost(1).map_or(State::Init, |v| v.state())
}

/// One host: its carp interface and its NIC.
struct Host {
    cif: CarpIf<4>,
    nic: Loopback,
}

impl Host {
    /// Sends what is due through its NIC.
    fn poll(&mut self, now: Instant) {
        self.cif.poll(now, &mut self.nic, &SYSCTL);
    }
}

/// Hands what `from` sent to `to` (frames read in place, from the sender's
/// buffers), then empties the sender's wire.
fn deliver(from: &mut Host, to: &mut Host, alive: bool, now: Instant) {
    if alive {
        from.nic.drain(|f| {
            let _ = to.cif.input(now, f, &SYSCTL);
        });
    } else {
        from.nic.queued = 0;
    }
}

/// A is killed at the first of its master rounds at or after this instant.
const KILL_AT_US: u64 = 5_000_000;
/// advskew of A (the master) and B (the backup).
const SKEWS: (u8, u8) = (0, 100);

/// Runs the scenario; returns the outcome word.
fn run() -> Option<u32> {
    let mut a = Host {
        cif: CarpIf::new(parent(1), LinkState::Up),
        nic: Loopback::new(),
    };
    let mut b = Host {
        cif: CarpIf::new(parent(2), LinkState::Up),
        nic: Loopback::new(),
    };
    let mut now = Instant::from_micros(0);
    a.cif
        .add_vhost(now, config(SKEWS.0)?, 0x1000, &SYSCTL)
        .ok()?;
    b.cif
        .add_vhost(now, config(SKEWS.1)?, 0x2000, &SYSCTL)
        .ok()?;
    let kill_at = Instant::from_micros(KILL_AT_US);
    let mut a_alive = true;
    for _round in 0..64 {
        if a_alive {
            a.poll(now);
        }
        b.poll(now);
        deliver(&mut a, &mut b, a_alive, now);
        deliver(&mut b, &mut a, a_alive, now);
        while a.cif.poll_event().is_some() || b.cif.poll_event().is_some() {}
        if a_alive && now >= kill_at && state(&a.cif) == State::Master {
            a_alive = false;
        }
        if !a_alive && state(&b.cif) == State::Master {
            TAKEOVER_AT_US.store(
                u32::try_from(now.micros()).unwrap_or(u32::MAX),
                Ordering::Relaxed,
            );
            break;
        }
        let next_a = if a_alive { a.cif.poll_timeout() } else { None };
        now = match (next_a, b.cif.poll_timeout()) {
            (Some(x), Some(y)) => x.min(y),
            (x, y) => x.or(y)?,
        }
        .max(now);
    }
    let took_over = u32::from(!a_alive && state(&b.cif) == State::Master);
    Some(state_bits(state(&a.cif)) | state_bits(state(&b.cif)) << 8 | took_over << 16)
}

const fn state_bits(s: State) -> u32 {
    match s {
        State::Init => 0,
        State::Backup => 1,
        State::Master => 2,
    }
}

/// Runs the scenario and records its outcome in [`OUTCOME`] (and, on
/// success, the takeover instant in [`TAKEOVER_AT_US`]); returns the word.
fn run_and_record() -> u32 {
    let outcome = run().unwrap_or(u32::MAX);
    OUTCOME.store(core::hint::black_box(outcome), Ordering::Relaxed);
    outcome
}

#[cfg(target_arch = "arm")]
mod semihosting;

/// The entry point the linker starts (no runtime, no `main`).
// `no_mangle` is the one unsafe attribute: the symbol must be `_start` for
// the linker, and nothing else in the image defines it.
#[cfg(not(target_arch = "arm"))]
#[allow(unsafe_code)]
#[no_mangle]
pub extern "C" fn _start() -> ! {
    run_and_record();
    loop {
        core::hint::spin_loop();
    }
}

#[cfg(not(target_arch = "arm"))]
#[panic_handler]
fn panic(_info: &PanicInfo) -> ! {
    OUTCOME.store(u32::MAX - 1, Ordering::Relaxed);
    loop {
        core::hint::spin_loop();
    }
}
