//! The takeover runs shared by the `takeover_formula` test and the
//! `takeover` bench: two hosts on a `carp_sim::Lan` (virtual clock,
//! seeded), the master crashes, the backup takes over.
//!
//! Each run draws the master's skew (0-100), the backup's (above it, up to
//! 200), the advert loss (0-10 %), the segment delay (0-2 ms) and jitter
//! (0-1 ms); the master crashes at a random instant in 10-20 s. The
//! expected takeover instant comes from `carp_sim::oracle`: the CARP
//! formula of the backup's configuration after the last advert the backup
//! was handed (the simulator's receive-side capture), never from carp.

use std::net::{IpAddr, Ipv4Addr};

use carp_core::{Duration, Instant, State, Vhid, VhostConfig};
use carp_sim::oracle::{check_takeovers, Configured, Reference};
use carp_sim::rng::SplitMix64;
use carp_sim::{Action, HostSpec, Knobs, Lan, LinkParams};

pub const VHID: u8 = 1;
pub const MASTER: usize = 0;
pub const BACKUP: usize = 1;

fn host(name: &str, n: u8, skew: u8) -> HostSpec {
    let config = VhostConfig::new(Vhid::new(VHID).unwrap())
        .with_advskew(skew)
        .unwrap()
        .with_passphrase(b"takeover")
        .unwrap()
        .with_address(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 100)))
        .unwrap();
    HostSpec::ethernet(name, n, vec![config], Knobs::default())
}

/// One run's figures.
pub struct Run {
    /// The backup's takeover after the crash minus the formula's instant
    /// (the last advert it was handed + master-down), in microseconds.
    pub excess_us: i64,
    /// Crash to takeover, in microseconds.
    pub after_crash_us: u64,
    /// Whether loss made the backup take over while the master lived.
    pub early: bool,
    /// Master-down takeovers judged in the run (early ones included),
    /// each as its excess over the formula in microseconds.
    pub all_excess_us: Vec<i64>,
}

/// Runs seed `seed`; `None` when loss had the backup master already at
/// the crash (nothing to take over).
pub fn run(seed: u64) -> Option<Run> {
    let mut rng = SplitMix64::new(seed);
    let master_skew = rng.up_to(100) as u8;
    let backup_skew = master_skew + 1 + rng.up_to(99) as u8;
    let link = LinkParams {
        loss_ppm: rng.up_to(100_000) as u32,
        delay: Duration::from_micros(rng.up_to(2_000)),
        jitter: Duration::from_micros(rng.up_to(1_000)),
        duplicate_ppm: 0,
    };
    let crash = Instant::from_micros(10_000_000 + rng.up_to(10_000_000));
    let mut lan = Lan::new(seed, link);
    let (m, b) = (
        host("master", 11, master_skew),
        host("backup", 12, backup_skew),
    );
    let configured: Vec<Configured> = [(MASTER, &m), (BACKUP, &b)]
        .into_iter()
        .flat_map(|(i, spec)| {
            spec.vhosts.iter().map(move |c| Configured {
                at: Instant::ZERO,
                host: i,
                config: c.clone(),
            })
        })
        .collect();
    lan.add_host(m).unwrap();
    lan.add_host(b).unwrap();
    lan.schedule(crash, Action::Crash(MASTER));
    lan.run_until(Instant::from_micros(crash.micros() + 10_000_000));
    assert_eq!(
        lan.hosts()[BACKUP].state(VHID),
        State::Master,
        "seed {seed}"
    );

    let judged: Vec<_> = check_takeovers(&lan, &configured)
        .unwrap_or_else(|e| panic!("seed {seed}: {e}"))
        .into_iter()
        .filter(|j| j.host == BACKUP)
        .collect();
    let early = judged.iter().any(|j| j.at < crash);
    let all_excess_us = judged.iter().map(|j| j.excess_us()).collect();
    let last = judged.iter().rev().find(|j| j.at >= crash)?;
    assert!(
        matches!(last.reference, Reference::Advert(_)),
        "seed {seed}: the takeover after the crash is timed from {:?}",
        last.reference
    );
    Some(Run {
        excess_us: last.excess_us(),
        after_crash_us: last.at.saturating_since(crash).micros(),
        early,
        all_excess_us,
    })
}
