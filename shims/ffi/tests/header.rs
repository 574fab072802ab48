//! `include/carp.h` is what cbindgen makes of the source today.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;

fn generate() -> String {
    let dir = env!("CARGO_MANIFEST_DIR");
    let config = cbindgen::Config::from_file(Path::new(dir).join("cbindgen.toml"))
        .expect("cbindgen.toml parses");
    let bindings = cbindgen::Builder::new()
        .with_crate(dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("header is UTF-8")
}

#[test]
fn checked_in_header_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/carp.h");
    let fresh = generate();
    if std::env::var_os("CARP_BLESS").is_some() {
        std::fs::write(&path, &fresh).expect("write include/carp.h");
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == fresh,
        "include/carp.h is stale: run CARP_BLESS=1 cargo test -p carp-ffi --test header"
    );
}

#[test]
fn stats_struct_lists_every_counter_in_carpstats_order() {
    let header = generate();
    let start = header
        .find("typedef struct carp_stats {")
        .expect("carp_stats in header");
    let body = &header[start..];
    let body = &body[..body.find('}').expect("end of carp_stats")];
    let fields: Vec<&str> = body
        .lines()
        .filter_map(|l| l.trim().strip_prefix("uint64_t "))
        .map(|f| f.trim_end_matches(';'))
        .collect();
    let names: Vec<&str> = carp_core::Counter::ALL.iter().map(|c| c.name()).collect();
    assert_eq!(fields, names);
}
