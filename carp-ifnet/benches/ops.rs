//! The callgrind driver: runs ONE measured path N times and nothing else,
//! so `valgrind --tool=callgrind` counts its instructions
//! (`scripts/callgrind.sh` runs it twice with different N and divides the
//! difference, which cancels setup).
//!
//! `ops <path> <iterations>`; paths: floor, compress, accept, forged,
//! badvhid, ttl254, badversion, badchecksum, truncated, send,
//! arp-balanced, arp-unbalanced, part-parse, part-shortcut,
//! part-carp-checksum, part-sysctl-bump, part-sysctl-lane, part-verify, part-sign,
//! scale-<vhids> (one `handle_timeout` at the next deadline of <vhids>
//! masters with distinct skews). Prints
//! `ops: <path> iterations <n> units <u>`, where units are adverts sent
//! for `scale-*` and iterations otherwise. Under `cargo bench` (no path)
//! it prints its usage and exits.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::*;

fn run(iterations: u64, mut f: impl FnMut()) -> u64 {
    for _ in 0..iterations {
        f();
    }
    iterations
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(path), Some(n)) = (args.first(), args.get(1).and_then(|n| n.parse().ok())) else {
        println!(
            "ops: callgrind driver, usage: ops <path> <iterations> (see scripts/callgrind.sh)"
        );
        return;
    };
    let units = match path.as_str() {
        "floor" => run(n, floor_op()),
        "compress" => run(n, compress_op()),
        "accept" => run(n, accept_op()),
        "forged" => run(n, forged_op()),
        "badvhid" => run(n, badvhid_op()),
        "ttl254" => run(n, ttl254_op()),
        "badversion" => run(n, badversion_op()),
        "badchecksum" => run(n, badchecksum_op()),
        "truncated" => run(n, truncated_op()),
        "send" => run(n, send_op()),
        "arp-balanced" => run(n, arp_op(true)),
        "arp-unbalanced" => run(n, arp_op(false)),
        "part-parse" => run(n, part_parse_op()),
        "part-shortcut" => run(n, part_shortcut_op()),
        "part-carp-checksum" => run(n, part_carp_checksum_op()),
        "part-sysctl-bump" => run(n, part_sysctl_bump_op()),
        "part-sysctl-lane" => run(n, part_sysctl_lane_op()),
        "part-verify" => run(n, part_verify_op()),
        "part-sign" => run(n, part_sign_op()),
        other => match other.strip_prefix("scale-").and_then(|v| v.parse().ok()) {
            Some(vhids) => {
                let mut scale = Scale::new(vhids, true);
                scale.run_steps(n);
                scale.adverts()
            }
            None => panic!("unknown path {other}"),
        },
    };
    println!("ops: {path} iterations {n} units {units}");
}
