//! Per-advert cost inside the guest, against a same-run reference.
//!
//! A CarpIf on a driver that discards frames holds one vhid forced to
//! MASTER; each measured call is the `poll` at its advert deadline, which builds, signs (HMAC-SHA1 with precomputed pads, see
//! carp-core's auth module) and frames one advert.
//! The reference is one SHA-1 compression of a 64-byte block (the `sha1`
//! crate's software `compress`) timed the same way in the same boot. Both
//! are medians over [`ROUNDS`] runs in TSC ticks; under TCG these are host
//! ticks of emulated code, so the ratio is the figure to compare.
//!
//! Prints `carp: bench advert_ticks=<median> sha1_block_ticks=<median>
//! ratio=<advert/sha1, 2 decimals> rounds=<n>`.

use core::net::{IpAddr, Ipv4Addr};

use carp_core::{Instant, State, Vhid, VhostConfig};
use carp_ifnet::carpif::CarpIf;
use carp_ifnet::driver::{Driver, LinkState, ParentInfo, TxError};
use carp_ifnet::lladdr::MacAddr;
use carp_sysctl::Sysctl;

use crate::clock::{tsc, Clock};
use crate::println;

/// Measured calls per figure.
pub const ROUNDS: usize = 101;

static BENCH_SYSCTL: Sysctl = Sysctl::new();

struct Discard {
    sent: u64,
}

impl Driver for Discard {
    fn transmit(&mut self, frame: &[u8]) -> Result<(), TxError> {
        self.sent += core::hint::black_box(frame).len() as u64;
        Ok(())
    }
    fn join_multicast(&mut self, _: MacAddr) -> Result<(), TxError> {
        Ok(())
    }
    fn leave_multicast(&mut self, _: MacAddr) -> Result<(), TxError> {
        Ok(())
    }
}

fn median(samples: &mut [u64; ROUNDS]) -> u64 {
    samples.sort_unstable();
    samples[ROUNDS / 2]
}

fn adverts() -> Option<u64> {
    let config = VhostConfig::new(Vhid::new(1).ok()?)
        .with_passphrase(b"benchmark")
        .ok()?
        .with_address(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 100)))
        .ok()?;
    let parent =
        ParentInfo::ethernet(MacAddr([0x02, 0, 0, 0, 0, 1])).with_ipv4(Ipv4Addr::new(192, 0, 2, 1));
    let mut cif: CarpIf<1> = CarpIf::new(parent, LinkState::Up);
    let mut nic = Discard { sent: 0 };
    cif.add_vhost(Instant::ZERO, config, 0x5eed, &BENCH_SYSCTL)
        .ok()?;
    cif.force_state(Instant::ZERO, 1, State::Master, &BENCH_SYSCTL)
        .ok()?;
    // The forced MASTER's first advert and announcements.
    cif.poll(Instant::ZERO, &mut nic, &BENCH_SYSCTL);
    let mut samples = [0u64; ROUNDS];
    for sample in samples.iter_mut() {
        let deadline = cif.poll_timeout()?;
        let before = nic.sent;
        let t0 = tsc();
        cif.poll(deadline, &mut nic, &BENCH_SYSCTL);
        *sample = tsc().wrapping_sub(t0);
        if nic.sent == before {
            return None;
        }
    }
    Some(median(&mut samples))
}

fn sha1_block() -> u64 {
    let mut state = [
        0x6745_2301u32,
        0xefcd_ab89,
        0x98ba_dcfe,
        0x1032_5476,
        0xc3d2_e1f0,
    ];
    let block = [sha1::digest::generic_array::GenericArray::from(
        [0x5au8; 64],
    )];
    let mut samples = [0u64; ROUNDS];
    for sample in samples.iter_mut() {
        let t0 = tsc();
        sha1::compress(
            core::hint::black_box(&mut state),
            core::hint::black_box(&block),
        );
        *sample = tsc().wrapping_sub(t0);
    }
    median(&mut samples)
}

/// Runs both measurements and prints the `carp: bench` line.
pub fn run(_clock: &Clock) {
    let sha = sha1_block();
    match adverts() {
        Some(advert) => println!(
            "carp: bench advert_ticks={advert} sha1_block_ticks={sha} ratio={}.{:02} rounds={ROUNDS}",
            advert / sha.max(1),
            (advert * 100 / sha.max(1)) % 100
        ),
        None => println!("carp: bench error no advert sent"),
    }
}
