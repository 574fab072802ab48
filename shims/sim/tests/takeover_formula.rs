//! "In the simulator every one of 399 takeovers lands exactly on the
//! formula" (README), as a test: the 400 seeded failovers of the `takeover`
//! bench, each backup takeover compared with the instant `carp_sim::oracle`
//! computes from the configuration (3 x advbase + advskew/256) and the
//! last advert the backup was handed on the simulated wire.

#[path = "common/takeover_runs.rs"]
#[allow(dead_code)]
mod takeover_runs;

/// The bench's run count.
const RUNS: u64 = 400;

#[test]
fn every_simulated_takeover_lands_exactly_on_the_formula_after_the_last_advert_heard() {
    let all: Vec<_> = (1..=RUNS).map(takeover_runs::run).collect();
    let runs: Vec<_> = all.iter().flatten().collect();
    // The README's figure: one run has the backup master already at the
    // crash (loss), the other 399 are measured.
    assert_eq!(runs.len(), 399, "runs with a takeover after the crash");
    let off: Vec<(usize, i64)> = runs
        .iter()
        .enumerate()
        .flat_map(|(i, r)| r.all_excess_us.iter().map(move |e| (i, *e)))
        .filter(|(_, e)| *e != 0)
        .collect();
    assert!(
        off.is_empty(),
        "takeovers off the formula (run, us): {off:?}"
    );
    assert!(runs.iter().all(|r| r.excess_us == 0));
    // Early takeovers (adverts lost while the master lived) are judged
    // too: 26 runs in the README.
    assert_eq!(runs.iter().filter(|r| r.early).count(), 26);
}
