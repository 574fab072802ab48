//! The advert send path: a master whose advert timer is due, driven through
//! `CarpIf::handle_timeout` (timer scan, counter, HMAC sign, CARP header and
//! checksum, Ethernet/IPv4 framing and IP checksum, driver, flush), per
//! advert, against the floor of two raw SHA-1 compressions (target <= 1.3x).
//!
//! Prints, after criterion's report:
//! `send: advert <ns> ns (<x>x floor); floor <ns> ns`.
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
    let mut f = floor_op();
    c.bench_function("send/floor_two_sha1_compressions", |b| b.iter(&mut f));
    let mut f = send_op();
    c.bench_function("send/advert", |b| b.iter(&mut f));
}

/// Prints the summary lines; returns advert / floor.
fn summary() -> f64 {
    let mut floor = Timed::new(10_000, floor_op());
    let mut send = Timed::new(10_000, send_op());
    let mut sign = Timed::new(10_000, part_sign_op());
    let span = interleave(&mut [&mut floor, &mut send, &mut sign]);
    let typical = span.median_round(|i| send.round(i) / floor.round(i));
    let (floor, send, sign) = (floor.ns(), send.ns(), sign.ns());
    let ratio = send / floor;
    println!("send: advert {send:.1} ns ({ratio:.2}x floor); floor {floor:.1} ns");
    println!(
        "send: target <= 1.30x floor {}",
        if ratio <= 1.3 { "MET" } else { "MISSED" }
    );
    println!(
        "send: parts: AuthContext::sign {sign:.1} ns ({:.2}x floor); advert minus sign {:.1} ns",
        sign / floor,
        send - sign
    );
    println!(
        "send: rounds: {}, each figure its path's fastest batch; the median round: advert {typical:.2}x floor",
        span.describe()
    );
    ratio
}

fn main() {
    if check_mode() {
        let ratio = summary();
        let mut checks = Checks::new("send");
        checks.at_most("advert/floor", ratio, 3.5);
        checks.finish();
        return;
    }
    if quick_mode() {
        send_op()();
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
    summary();
}
