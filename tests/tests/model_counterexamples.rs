//! Every counterexample the model checker found, replayed in carp-sim with
//! exact timings (the scenarios live in `tests/fixtures/model/`).
//!
//! Expected instants come from the configuration and the CARP formula:
//! advskew 100 gives master-down 3 s + 100/256 s = 3_390_625 us; the link
//! delay is 100 us.

use std::path::PathBuf;

use carp_core::State;
use carp_sim::lan::RecordKind;
use carp_sim::scenario::Scenario;
use carp_sim::Lan;

fn run(name: &str) -> Lan {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/model")
        .join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path).unwrap();
    Scenario::from_toml(&text).unwrap().run(None).unwrap()
}

fn transitions(lan: &Lan) -> Vec<(u64, usize, State, &'static str)> {
    lan.records()
        .iter()
        .filter_map(|r| match r.kind {
            RecordKind::Transition { to, reason, .. } => {
                Some((r.at.micros(), r.host.unwrap_or(usize::MAX), to, reason))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn tie_dispute_both_yield_settles_on_the_reassertion() {
    let lan = run("tie-dispute-both-yield");
    let md = 3_000_000 + 100 * 1_000_000 / 256;
    let delay = 100;
    let t = transitions(&lan);
    // h0 and h1 take over together; h0's advert to h1 is lost; h1's reaches
    // h0, which keeps the vhid and re-asserts at once: h1 yields one more
    // delay later. Nobody else ever moves: no dispute, no two masters.
    assert_eq!(
        t[3..],
        [
            (md, 0, State::Master, "master-down"),
            (md, 1, State::Master, "master-down"),
            (md + 2 * delay, 1, State::Backup, "tie-lost"),
        ]
    );
    assert_eq!(lan.masters(1), [0]);
}
