//! The takeover delay distribution in the simulator: a few hundred
//! failovers of two hosts on a `carp_sim::Lan` (virtual clock, seeded).
//!
//! Each run draws the master's skew (0-100), the backup's (above it, up to
//! 200), the advert loss (0-10 %), the segment delay (0-2 ms) and jitter
//! (0-1 ms); the master crashes at a random instant in 10-20 s. Recorded
//! per run from the simulator's own takeover records:
//! `excess = takeover - last advert accepted - (3 * advbase + skew/256)`,
//! which the simulator, firing timers on time, must show as exactly 0,
//! and `takeover - crash`, which spreads with the crash's phase in the
//! advert interval and with loss. Runs where loss made the backup take
//! over while the master lived are counted as early.
//!
//! Prints `takeover (carp-sim): runs <n>, excess over formula (us) min <a>
//! max <b>, takeover after crash (ms) min/median/p90/max ..., early
//! takeovers <k>, backup already master at the crash <m>` (runs of the
//! last kind have no takeover to measure) and writes `bench/takeover_sim.csv` for
//! `scripts/plot.py`. No timing is measured: this is a distribution.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};

use carp_core::{Duration, Instant, State, Vhid, VhostConfig};
use carp_sim::rng::SplitMix64;
use carp_sim::{Action, HostSpec, Knobs, Lan, LinkParams, RecordKind};

const RUNS: u64 = 400;
const VHID: u8 = 1;
const MASTER: usize = 0;
const BACKUP: usize = 1;

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

/// One run's figures; `None` when loss had the backup master already at
/// the crash (nothing to take over).
struct Run {
    excess_us: i64,
    after_crash_us: u64,
    early: bool,
}

fn run(seed: u64) -> Option<Run> {
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
    lan.add_host(host("master", 11, master_skew)).unwrap();
    lan.add_host(host("backup", 12, backup_skew)).unwrap();
    lan.schedule(crash, Action::Crash(MASTER));
    lan.run_until(Instant::from_micros(crash.micros() + 10_000_000));
    assert_eq!(
        lan.hosts()[BACKUP].state(VHID),
        State::Master,
        "seed {seed}"
    );

    let takeovers: Vec<_> = lan
        .records()
        .iter()
        .filter(|r| r.host == Some(BACKUP))
        .filter_map(|r| match &r.kind {
            RecordKind::Transition {
                to: State::Master,
                takeover: Some(t),
                ..
            } => Some((r.at, *t)),
            _ => None,
        })
        .collect();
    let early = takeovers.iter().any(|(at, _)| *at < crash);
    let (at, t) = *takeovers.iter().rev().find(|(at, _)| *at >= crash)?;
    Some(Run {
        excess_us: t.delay.micros() as i64 - t.expected.micros() as i64,
        after_crash_us: at.saturating_since(crash).micros(),
        early,
    })
}

fn percentile(sorted: &[u64], p: usize) -> u64 {
    sorted[(sorted.len() - 1) * p / 100]
}

fn main() {
    let all: Vec<Option<Run>> = (1..=RUNS).map(run).collect();
    let master_at_crash = all.iter().filter(|r| r.is_none()).count();
    let runs: Vec<Run> = all.into_iter().flatten().collect();
    let excess_min = runs.iter().map(|r| r.excess_us).min().unwrap();
    let excess_max = runs.iter().map(|r| r.excess_us).max().unwrap();
    let mut after: Vec<u64> = runs.iter().map(|r| r.after_crash_us).collect();
    after.sort_unstable();
    let early = runs.iter().filter(|r| r.early).count();
    let ms = |us: u64| us as f64 / 1000.0;
    println!(
        "takeover (carp-sim): runs {RUNS} ({} measured), excess over formula (us) min {excess_min} max {excess_max}, \
         takeover after crash (ms) min {:.1} median {:.1} p90 {:.1} max {:.1}, early takeovers (loss) {early}, \
         backup already master at the crash {master_at_crash}",
        runs.len(),
        ms(after[0]),
        ms(percentile(&after, 50)),
        ms(percentile(&after, 90)),
        ms(after[after.len() - 1]),
    );
    assert_eq!(
        (excess_min, excess_max),
        (0, 0),
        "the simulator fires master-down exactly at the formula"
    );

    let mut csv = String::from("excess_us,after_crash_us,early\n");
    for r in &runs {
        writeln!(
            csv,
            "{},{},{}",
            r.excess_us,
            r.after_crash_us,
            u8::from(r.early)
        )
        .unwrap();
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench");
    if std::fs::create_dir_all(&dir).is_ok() {
        std::fs::write(dir.join("takeover_sim.csv"), csv).unwrap();
    }
}
