//! Sign and verify one advert against the floor: two raw SHA-1
//! compressions (`sha1::compress`), what an HMAC with both pads precomputed
//! must at least cost.
//!
//! Prints, after criterion's own report:
//! `auth: sign <ns> ns, verify <ns> ns, floor <ns> ns, ratio <sign/floor>`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use carp_core::wire::Advert;
use carp_core::{AuthContext, Vhid, VhostConfig};
use criterion::{criterion_group, Criterion};
use sha1::digest::generic_array::GenericArray;

type Block = GenericArray<u8, sha1::digest::consts::U64>;

fn blocks() -> [Block; 2] {
    [
        GenericArray::from([0x5au8; 64]),
        GenericArray::from([0xa5u8; 64]),
    ]
}

fn context() -> AuthContext {
    let config = VhostConfig::new(Vhid::new(7).unwrap())
        .with_passphrase(b"secret42")
        .unwrap()
        .with_address(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 100)))
        .unwrap();
    config.with_auth_input(|input| AuthContext::new(&config.key, input))
}

/// The floor: one inner and one outer compression.
fn floor(state: &mut [u32; 5], blocks: &[Block; 2]) {
    sha1::compress(state, &blocks[..1]);
    sha1::compress(state, &blocks[1..]);
}

fn advert(ctx: &AuthContext) -> Advert {
    let counter = 0x0102_0304_0506_0708;
    Advert {
        vhid: 7,
        advskew: 10,
        demote: 0,
        advbase: 1,
        counter,
        digest: ctx.sign(counter),
    }
}

fn benches(c: &mut Criterion) {
    let ctx = context();
    let ad = advert(&ctx);
    let mut counter = 0u64;
    c.bench_function("auth/sign", |b| {
        b.iter(|| {
            counter = counter.wrapping_add(1);
            black_box(ctx.sign(black_box(counter)))
        })
    });
    c.bench_function("auth/verify", |b| {
        b.iter(|| black_box(ctx.verify(black_box(&ad)).is_ok()))
    });
    let blocks = blocks();
    let mut state = [
        0x6745_2301,
        0xefcd_ab89,
        0x98ba_dcfe,
        0x1032_5476,
        0xc3d2_e1f0,
    ];
    c.bench_function("auth/floor_two_sha1_compressions", |b| {
        b.iter(|| floor(black_box(&mut state), black_box(&blocks)))
    });
}

/// Best-of-rounds nanoseconds per call, measured here so the three figures
/// share one run, one machine state.
fn ns_per_call(mut f: impl FnMut()) -> f64 {
    const CALLS: u32 = 100_000;
    const ROUNDS: usize = 7;
    let mut best = f64::MAX;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..CALLS {
            f();
        }
        best = best.min(start.elapsed().as_nanos() as f64 / f64::from(CALLS));
    }
    best
}

fn summary() {
    let ctx = context();
    let ad = advert(&ctx);
    let mut counter = 0u64;
    let sign = ns_per_call(|| {
        counter = counter.wrapping_add(1);
        black_box(ctx.sign(black_box(counter)));
    });
    let verify = ns_per_call(|| {
        black_box(ctx.verify(black_box(&ad)).is_ok());
    });
    let blocks = blocks();
    let mut state = [
        0x6745_2301,
        0xefcd_ab89,
        0x98ba_dcfe,
        0x1032_5476,
        0xc3d2_e1f0,
    ];
    let floor_ns = ns_per_call(|| floor(black_box(&mut state), black_box(&blocks)));
    println!(
        "auth: sign {sign:.1} ns, verify {verify:.1} ns, floor {floor_ns:.1} ns, ratio {:.2}",
        sign / floor_ns
    );
}

criterion_group!(auth, benches);

fn main() {
    auth();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
