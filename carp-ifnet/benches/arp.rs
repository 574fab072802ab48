//! The ARP decision with 255 vhids sharing one IPv4 address on one parent
//! (`CarpIf<_, 255>`), this host master of all of them, so every request is
//! answered: with `arpbalance` (the requester's address picks the vhid) and
//! without (the first master answers). ns per request, with the ratio
//! against one SHA-1 compression measured in the same run for scale.
//!
//! Prints, after criterion's report:
//! `arp: balanced <ns> ns/request (<x>x compress), unbalanced <ns> ns/request (<x>x compress)`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;
use criterion::Criterion;

fn benches(c: &mut Criterion) {
    let mut f = arp_op(true);
    c.bench_function("arp/255_vhids_balanced", |b| b.iter(&mut f));
    let mut f = arp_op(false);
    c.bench_function("arp/255_vhids_unbalanced", |b| b.iter(&mut f));
}

/// Prints the summary line; returns balanced / one compression.
fn summary() -> f64 {
    let mut compress = Timed::new(20_000, compress_op());
    let mut balanced = Timed::new(2_000, arp_op(true));
    let mut unbalanced = Timed::new(2_000, arp_op(false));
    interleave(&mut [&mut compress, &mut balanced, &mut unbalanced]);
    let (compress, balanced, unbalanced) = (compress.ns(), balanced.ns(), unbalanced.ns());
    println!(
        "arp: balanced {balanced:.1} ns/request ({:.2}x compress), unbalanced {unbalanced:.1} ns/request ({:.2}x compress); 255 vhids, compress {compress:.1} ns",
        balanced / compress,
        unbalanced / compress
    );
    balanced / compress
}

fn main() {
    if check_mode() {
        let balanced = summary();
        let mut checks = Checks::new("arp");
        checks.at_most("balanced (255 vhids)/compress", balanced, 35.0);
        checks.finish();
        return;
    }
    if quick_mode() {
        arp_op(true)();
        arp_op(false)();
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
    summary();
}
