//! Many vhids on one parent: 1, 16, 64, 128 and 255 vhids, all masters,
//! 60 virtual seconds of steady state each, timed per advert sent. Two
//! series: distinct skews (every vhid has its own deadline, so every
//! `handle_timeout` sends one advert: the worst case for per-call work that
//! scans every vhid) and one shared skew (all deadlines coincide).
//!
//! The figure is wall time on one thread, best of rounds (the loop never
//! blocks, so it is its CPU time). Prints
//! `scale: distinct skews ns/advert 1:<ns> 16:<ns> ... ratio 255/1 <x>` and
//! the same for the shared skew, and writes `bench/scale.csv` for
//! `scripts/plot.py`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::fmt::Write as _;
use std::time::Instant as WallClock;

use common::*;

const SERIES: [u8; 5] = [1, 16, 64, 128, 255];
const WINDOW_US: u64 = 60_000_000;

/// Best-of-rounds ns per advert over 60-virtual-second windows; each round
/// runs enough windows for about 4000 adverts.
fn ns_per_advert(vhids: u8, distinct: bool) -> (f64, u64) {
    let mut scale = Scale::new(vhids, distinct);
    let windows = (256 / u64::from(vhids)).max(1);
    let mut best = f64::MAX;
    let mut per_window = 0;
    for _ in 0..7 {
        let start = WallClock::now();
        let mut adverts = 0;
        for _ in 0..windows {
            adverts += scale.run_for(WINDOW_US);
        }
        let ns = start.elapsed().as_nanos() as f64 / adverts as f64;
        best = best.min(ns);
        per_window = adverts / windows;
    }
    (best, per_window)
}

/// `--check`: 1 and 255 vhids only; the per-advert cost must stay flat.
fn check() {
    let mut checks = Checks::new("scale");
    for (distinct, name) in [(true, "distinct skews"), (false, "shared skew")] {
        let (one, _) = ns_per_advert(1, distinct);
        let (all, _) = ns_per_advert(255, distinct);
        println!("scale: {name} ns/advert 1:{one:.0} 255:{all:.0}");
        checks.at_most(&format!("{name} 255/1"), all / one, 2.0);
    }
    checks.finish();
}

fn main() {
    if check_mode() {
        check();
        return;
    }
    if quick_mode() {
        Scale::new(16, true).run_for(WINDOW_US);
        return;
    }
    let floor = floor_ns();
    let mut csv =
        String::from("vhids,distinct_ns_per_advert,shared_ns_per_advert,adverts_per_60s\n");
    let mut lines = [
        String::from("scale: distinct skews ns/advert"),
        String::from("scale: shared skew ns/advert"),
    ];
    let mut firsts = [0.0f64; 2];
    let mut lasts = [0.0f64; 2];
    for n in SERIES {
        let (distinct, adverts) = ns_per_advert(n, true);
        let (shared, _) = ns_per_advert(n, false);
        writeln!(csv, "{n},{distinct:.1},{shared:.1},{adverts}").unwrap();
        for (i, ns) in [distinct, shared].into_iter().enumerate() {
            write!(lines[i], " {n}:{ns:.0}").unwrap();
            if n == 1 {
                firsts[i] = ns;
            }
            lasts[i] = ns;
        }
    }
    for (i, line) in lines.iter().enumerate() {
        println!(
            "{line}; ratio 255/1 {:.2}; 255 vhids {:.2}x floor (floor {floor:.1} ns)",
            lasts[i] / firsts[i],
            lasts[i] / floor
        );
    }
    std::fs::write(data_dir().join("scale.csv"), csv).unwrap();
}
