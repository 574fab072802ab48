//! Takeover delay distribution with scheduling slack: a few hundred
//! failovers between two `CarpIf` hosts on a virtual clock. The LAN is
//! modelled here rather than in `carp_sim::Lan` because this bench adds
//! what the simulator leaves out on purpose: an embedder that wakes up late
//! for its deadlines (carp-sim's own distribution is its `takeover` bench).
//!
//! Each run draws the master's skew (0-100), the backup's (above it), the
//! advert loss rate (0-10 %), a delivery delay per frame (0-2 ms) and a
//! wake-up lateness per timer (0-4 ms, an embedder's scheduling slack; the
//! lateness is the only source of delay beyond the protocol's); the master
//! dies at a random instant in 10-20 s. Recorded per run:
//! `excess = takeover - last advert heard - (3 * advbase + skew/256)`
//! (the formula), and `takeover - death`. The excess must lie in
//! [0, 4 ms]: carp adds nothing of its own.
//!
//! Prints `failover: runs <n>, excess min/median/p99/max <us> ...,
//! takeover-after-death min/median/max <ms>, early takeovers <k>` and writes
//! `bench/takeover.csv` for `scripts/plot.py`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::fmt::Write as _;

use carp_core::{AdvTiming, EventKind, Instant, State};
use carp_ifnet::carpif::CarpIf;
use carp_ifnet::driver::LinkState;
use carp_sysctl::Sysctl;
use common::*;

const RUNS: u64 = 400;
const MAX_LATE_US: u64 = 4_000;
const MAX_DELAY_US: u64 = 2_000;

/// splitmix64: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 > 1.0 - p
    }
}

/// One host and the wake-up instant chosen for its current deadline.
struct Node {
    cif: CarpIf<1>,
    nic: Mock,
    s: Sysctl,
    deadline: Option<Instant>,
    wake: Option<Instant>,
}

impl Node {
    fn new(n: u8, skew: u8) -> Node {
        let s = Sysctl::new();
        let mut cif = CarpIf::new(parent(n), LinkState::Up);
        cif.add_vhost(us(0), config(1, skew), u64::from(n) << 40, &s)
            .unwrap();
        Node {
            cif,
            nic: Mock::capturing(),
            s,
            deadline: None,
            wake: None,
        }
    }

    /// A new deadline gets a new lateness.
    fn plan(&mut self, rng: &mut Rng) {
        let d = self.cif.poll_timeout();
        if d != self.deadline {
            self.deadline = d;
            self.wake = d.map(|d| us(d.micros() + rng.below(MAX_LATE_US + 1)));
        }
    }
}

struct Outcome {
    excess_us: u64,
    after_death_us: u64,
    early: bool,
}

fn run(seed: u64) -> Option<Outcome> {
    let mut rng = Rng(seed);
    let skew_a = rng.below(101) as u8;
    let skew_b = skew_a + 1 + rng.below(u64::from(254 - skew_a)) as u8;
    let loss = rng.below(101) as f64 / 1000.0;
    let death = us(10_000_000 + rng.below(10_000_000));
    let mut nodes = [Node::new(11, skew_a), Node::new(12, skew_b)];
    // Frames in flight: (arrival, destination).
    let mut wire: Vec<(Instant, usize, Vec<u8>)> = Vec::new();
    let mut early = false;
    let mut now = Instant::ZERO;
    let mut took_over = None;
    while now < us(60_000_000) && took_over.is_none() {
        for n in &mut nodes {
            n.plan(&mut rng);
        }
        let alive = now < death;
        // The next thing to happen.
        let next_wire = wire.iter().map(|w| w.0).min();
        let wake_a = if alive { nodes[0].wake } else { None };
        let wake_b = nodes[1].wake;
        let candidates = [(next_wire, 2), (wake_a, 0), (wake_b, 1)];
        let Some((at, who)) = candidates
            .iter()
            .filter_map(|(t, w)| t.map(|t| (t, *w)))
            .min_by_key(|(t, _)| *t)
        else {
            break;
        };
        now = at;
        if who == 2 {
            let i = wire.iter().position(|w| w.0 == at).unwrap();
            let (_, dst, frame) = wire.swap_remove(i);
            if dst == 1 || now < death {
                let n = &mut nodes[dst];
                let _ = n.cif.input(now, &frame, &n.s);
                n.cif.poll(now, &mut n.nic, &n.s);
            }
        } else {
            let n = &mut nodes[who];
            n.cif.poll(now, &mut n.nic, &n.s);
        }
        // Whatever was sent goes on the wire, or is lost.
        for (src, node) in nodes.iter_mut().enumerate() {
            for frame in std::mem::take(&mut node.nic.frames) {
                if src == 0 && now >= death {
                    continue;
                }
                if !rng.chance(loss) {
                    let arrival = us(now.micros() + rng.below(MAX_DELAY_US + 1));
                    wire.push((arrival, 1 - src, frame));
                }
            }
        }
        while let Some(e) = nodes[1].cif.poll_event() {
            if let EventKind::StateChange {
                to: State::Master, ..
            } = e.kind
            {
                if e.at < death {
                    early = true;
                } else {
                    took_over = Some(e.at);
                }
            }
        }
        while nodes[0].cif.poll_event().is_some() {}
    }
    let took_over = took_over?;
    let heard = nodes[1].cif.vhost(1)?.last_heard()?;
    let formula = AdvTiming::new(1, skew_b).master_down_interval(3).micros();
    Some(Outcome {
        excess_us: took_over.micros() - heard.micros() - formula,
        after_death_us: took_over.micros() - death.micros(),
        early,
    })
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    // `--check` (CI) runs all of them: it is a virtual clock, fast.
    let runs = if quick_mode() && !check_mode() {
        5
    } else {
        RUNS
    };
    let outcomes: Vec<Outcome> = (0..runs).filter_map(|i| run(0xca49_0000 + i)).collect();
    let mut excess: Vec<u64> = outcomes.iter().map(|o| o.excess_us).collect();
    let mut after: Vec<u64> = outcomes.iter().map(|o| o.after_death_us).collect();
    excess.sort_unstable();
    after.sort_unstable();
    let early = outcomes.iter().filter(|o| o.early).count();
    println!(
        "failover: runs {}, excess over formula (us) min {} median {} p99 {} max {} (bound {MAX_LATE_US}), takeover after death (ms) min {:.1} median {:.1} max {:.1}, runs with an early takeover (loss) {early}",
        outcomes.len(),
        excess[0],
        percentile(&excess, 0.5),
        percentile(&excess, 0.99),
        excess[excess.len() - 1],
        after[0] as f64 / 1e3,
        percentile(&after, 0.5) as f64 / 1e3,
        after[after.len() - 1] as f64 / 1e3,
    );
    assert!(excess[excess.len() - 1] <= MAX_LATE_US, "carp added delay");
    if quick_mode() || check_mode() {
        return;
    }
    let mut csv = String::from("excess_us,after_death_us,early\n");
    for o in &outcomes {
        writeln!(
            csv,
            "{},{},{}",
            o.excess_us,
            o.after_death_us,
            u8::from(o.early)
        )
        .unwrap();
    }
    std::fs::write(data_dir().join("takeover.csv"), csv).unwrap();
}
