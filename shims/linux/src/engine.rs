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
/// `/dev/urandom` below the start time (CLOCK_REALTIME seconds in the top
/// 32 bits, see [`Engine::set_counter_seed`](carp_ctl::Engine::set_counter_seed)),
/// so a carpd restarted in a later second starts above every counter it
/// sent before.
pub fn new_engine() -> Box<HostEngine> {
    let mut engine = Box::new(HostEngine::new(Vec::new()));
    let secs = clock_gettime(ClockId::CLOCK_REALTIME)
        .map(|t| u64::try_from(t.tv_sec()).unwrap_or(0))
        .unwrap_or(0);
    engine.set_counter_seed(((secs & 0xffff_ffff) << 32) | (random_u64() >> 32));
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

    #[test]
    fn first_counters_carry_the_start_time_in_their_top_32_bits() {
        use carp_ifnet::driver::{LinkState, ParentInfo};
        use carp_ifnet::lladdr::MacAddr;
        let before = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let mut e = new_engine();
        let after = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let info = ParentInfo::ethernet(MacAddr([2, 0, 0, 0, 0, 1]));
        let p = e.add_parent("eth0", info, LinkState::Up).unwrap();
        e.ifconfig(now(), "eth0", "vhid 1 pass x 192.0.2.100/24")
            .unwrap();
        e.ifconfig(now(), "eth0", "vhid 2 pass x 192.0.2.101/24")
            .unwrap();
        for vhid in [1, 2] {
            let c = e.parent(p).unwrap().carpif().vhost(vhid).unwrap().counter();
            assert!((before..=after).contains(&(c >> 32)), "{c:#x}");
            assert!(c & 0xffff_ffff < 1 << 31, "{c:#x}");
        }
    }
}
