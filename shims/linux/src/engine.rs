//! The one control engine of a carpd, and the clocks and randomness it is
//! driven with.
//!
//! All of a carpd's parents live in one [`carp_ctl::Engine`] with one
//! `net.inet.carp` tree, so demotion and preemption act across parents as
//! in a BSD kernel: a parent losing its link demotes the host, and every
//! master on every other parent advertises the demotion at once.

use std::io::Read;

use carp_core::Instant;
use carp_ctl::engine::HOSTED_ITEMS;
use carp_ctl::{Engine, Parent};
use carp_ifnet::carpif::MAX_VHIDS;
use nix::sys::time::TimeSpec;
use nix::time::{clock_gettime, ClockId};

/// carpd's engine: parents on the heap, 255 vhids each (every vhid BSD
/// allows), room for [`HOSTED_ITEMS`] carp interfaces and vhids.
pub type HostEngine = Engine<Vec<Box<Parent<MAX_VHIDS>>>, MAX_VHIDS, HOSTED_ITEMS>;

/// A new engine with no parents, its advert counters seeded from
/// `/dev/urandom` below a boot epoch (seconds since the epoch in the top
/// 16 bits would wrap; CLOCK_REALTIME's minutes do not for 120 years), so
/// a restarted carpd's counters stay above those it sent before.
pub fn new_engine() -> Box<HostEngine> {
    let mut engine = Box::new(HostEngine::new(Vec::new()));
    let minutes = clock_gettime(ClockId::CLOCK_REALTIME)
        .map(|t| u64::try_from(t.tv_sec()).unwrap_or(0) / 60)
        .unwrap_or(0);
    engine.set_counter_seed(((minutes & 0xffff) << 48) | (random_u64() >> 16));
    engine
}

/// Now on CLOCK_MONOTONIC, in µs: the clock every carp deadline uses.
pub fn now() -> Instant {
    let t = clock_gettime(ClockId::CLOCK_MONOTONIC).unwrap_or_else(|_| TimeSpec::new(0, 0));
    let secs = u64::try_from(t.tv_sec()).unwrap_or(0);
    let nanos = u64::try_from(t.tv_nsec()).unwrap_or(0);
    Instant::from_micros(secs * 1_000_000 + nanos / 1_000)
}

fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_ok()
    {
        return u64::from_ne_bytes(bytes);
    }
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(now().micros());
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_is_monotonic() {
        let a = now();
        let b = now();
        assert!(b >= a);
        assert!(a.micros() > 0);
    }
}
