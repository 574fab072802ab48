//! The takeover delay distribution in the simulator: a few hundred
//! failovers of two hosts on a `carp_sim::Lan` (virtual clock, seeded).
//!
//! Each run draws the master's skew (0-100), the backup's (above it, up to
//! 200), the advert loss (0-10 %), the segment delay (0-2 ms) and jitter
//! (0-1 ms); the master crashes at a random instant in 10-20 s
//! (`tests/common/takeover_runs.rs`, shared with the `takeover_formula`
//! test, which asserts the exactness in `cargo test`). Recorded per run:
//! `excess = takeover - last advert handed to the backup - (3 * advbase +
//! skew/256)`, computed by `carp_sim::oracle` from the configuration and
//! the simulator's receive-side capture, which the simulator, firing
//! timers on time, must show as exactly 0, and `takeover - crash`, which
//! spreads with the crash's phase in the advert interval and with loss.
//! Runs where loss made the backup take over while the master lived are
//! counted as early.
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

#[path = "../tests/common/takeover_runs.rs"]
mod takeover_runs;

use takeover_runs::Run;

const RUNS: u64 = 400;

fn percentile(sorted: &[u64], p: usize) -> u64 {
    sorted[(sorted.len() - 1) * p / 100]
}

fn main() {
    let all: Vec<Option<Run>> = (1..=RUNS).map(takeover_runs::run).collect();
    let master_at_crash = all.iter().filter(|r| r.is_none()).count();
    let runs: Vec<Run> = all.into_iter().flatten().collect();
    // Every backup takeover judged, the early ones (loss) included.
    let excess = || runs.iter().flat_map(|r| r.all_excess_us.iter().copied());
    let excess_min = excess().min().unwrap();
    let excess_max = excess().max().unwrap();
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
