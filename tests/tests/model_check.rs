//! The exhaustive model check of the election (see `carp_tests::model`):
//! the default bounds run in CI, a larger bound is `#[ignore]`d; and random
//! walks through the model replay exactly in carp-sim, so every
//! counterexample the checker prints is a scenario that reproduces it.

use std::time::Instant as Clock;

use carp_core::{Instant, State};
use carp_sim::lan::RecordKind;
use carp_sim::scenario::Scenario;
use carp_tests::model::search::{successors, Successor};
use carp_tests::model::world::{Budget, Transition, World};
use carp_tests::model::{check, to_toml, Bounds, FaultKinds, Limits};

/// On time 100 us; late 0.3 s (behind anything sent up to 0.3 s later).
const DELAYS: (u64, u64) = (100, 300_000);

fn bounds(skews: &[u8], starts: &[u64], preempt: bool, budget: Budget) -> Bounds {
    Bounds {
        skews: skews.to_vec(),
        starts_us: starts.to_vec(),
        preempt,
        delays_us: DELAYS,
        budget,
        kinds: FaultKinds::ALL,
    }
}

const fn budget(faults: u8, losses: u8, lates: u8, dups: u8) -> Budget {
    Budget {
        faults,
        losses,
        lates,
        dups,
    }
}

/// Runs every bound, prints one line each and the totals, and fails with
/// the replaying scenario of the first counterexample.
fn check_all(all: &[Bounds]) {
    let (mut states, mut transitions) = (0u64, 0u64);
    let started = Clock::now();
    for b in all {
        let t = Clock::now();
        let r = check(b);
        let l = Limits::of(b);
        println!(
            "model: skews {:?} starts {:?} us preempt {} budget {:?}: {} states, {} transitions, depth {}, {:.1} s (settle {}, live {})",
            b.skews,
            b.starts_us,
            b.preempt,
            b.budget,
            r.states,
            r.transitions,
            r.max_depth,
            t.elapsed().as_secs_f64(),
            l.settle,
            l.live
        );
        if let Some(c) = r.counterexample {
            let toml = to_toml(
                b,
                &c.path,
                &format!("model check counterexample: {}", c.property),
                5_000_000,
            );
            panic!(
                "property violated: {}\n--- carp-sim scenario ---\n{toml}",
                c.property
            );
        }
        states += r.states;
        transitions += r.transitions;
    }
    println!(
        "model: {} bounds, {states} states, {transitions} transitions, {:.1} s; held: safety after calm, \
         no takeover while heard, demotion never negative, no deadline in the past, liveness",
        all.len(),
        started.elapsed().as_secs_f64()
    );
}

fn default_bounds() -> Vec<Bounds> {
    let mut v = Vec::new();
    for preempt in [false, true] {
        // Two equal hosts (the tie), booting together or a delay apart.
        for starts in [[0, 0], [0, 50]] {
            v.push(bounds(&[100, 100], &starts, preempt, budget(2, 1, 1, 1)));
        }
        // Two different hosts, the worse one booting first.
        v.push(bounds(
            &[0, 100],
            &[500_000, 0],
            preempt,
            budget(2, 1, 1, 1),
        ));
        // Three hosts, two of them equal.
        v.push(bounds(
            &[100, 100, 0],
            &[0, 0, 2_000_000],
            preempt,
            budget(1, 1, 1, 0),
        ));
    }
    v
}

#[test]
fn model_check_default_bounds() {
    check_all(&default_bounds());
}

#[test]
#[ignore = "larger bounds: minutes; figures go in the README"]
fn model_check_larger_bounds() {
    let mut v = Vec::new();
    for preempt in [false, true] {
        for starts in [[0, 0], [0, 50]] {
            v.push(bounds(&[100, 100], &starts, preempt, budget(3, 2, 2, 1)));
        }
        v.push(bounds(
            &[0, 100],
            &[500_000, 0],
            preempt,
            budget(3, 2, 2, 1),
        ));
        v.push(bounds(
            &[100, 100, 0],
            &[0, 0, 2_000_000],
            preempt,
            budget(2, 1, 1, 1),
        ));
        v.push(bounds(
            &[100, 100, 100],
            &[0, 0, 0],
            preempt,
            budget(2, 1, 1, 0),
        ));
    }
    check_all(&v);
}

/// A small deterministic generator (SplitMix64).
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

fn sim_transitions(toml: &str, until: Instant) -> Vec<(u64, usize, State, &'static str)> {
    let lan = Scenario::from_toml(toml)
        .unwrap_or_else(|e| panic!("{e}\n{toml}"))
        .run(None)
        .unwrap();
    lan.records()
        .iter()
        .filter(|r| r.at <= until)
        .filter_map(|r| match r.kind {
            RecordKind::Transition { to, reason, .. } => {
                Some((r.at.micros(), r.host.unwrap_or(usize::MAX), to, reason))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn random_walks_through_the_model_replay_exactly_in_the_simulator() {
    let mut rng = Rng(19);
    let all = default_bounds();
    let (mut walks, mut faults, mut fates, mut changes) = (0, 0, 0, 0);
    for b in &all {
        for _ in 0..25 {
            let mut world = World::new(b);
            let mut path: Vec<Successor> = Vec::new();
            for _ in 0..60 {
                let mut next = successors(&world, b);
                if next.is_empty() {
                    break;
                }
                let s = next.swap_remove(rng.below(next.len()));
                world = s.world.clone();
                path.push(s);
            }
            let until = world.now;
            let model: Vec<(u64, usize, State, &str)> = path
                .iter()
                .flat_map(|s| s.transitions.iter())
                .map(|&(at, i, to, reason): &Transition| (at.micros(), i, to, reason))
                .collect();
            let toml = to_toml(b, &path, "random walk", 0);
            let sim = sim_transitions(&toml, until);
            assert_eq!(model, sim, "model and simulator disagree on\n{toml}");
            walks += 1;
            faults += toml.matches("[[event]]").count();
            fates += toml.matches("[[fate]]").count();
            changes += model.len();
        }
    }
    println!(
        "replayed {walks} random walks exactly: {faults} faults, {fates} fixed fates, {changes} state changes"
    );
    // The walks did exercise faults and fates, not only the happy path.
    assert!(faults > walks && fates > walks && changes > 3 * walks);
}
