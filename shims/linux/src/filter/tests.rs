//! Unit tests of the filter's data and generator. What the program does in
//! a kernel, frame by frame against the library's verdict, is checked by
//! `tests/tests/socket_filter.rs` (root).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use carp_core::Counter;

use super::*;

#[test]
fn vhid_set_holds_exactly_what_was_inserted() {
    let set: VhidSet = [1u8, 63, 64, 200, 255].into_iter().collect();
    for v in 0..=255u8 {
        assert_eq!(
            set.contains(v),
            [1, 63, 64, 200, 255].contains(&v),
            "vhid {v}"
        );
    }
    assert!(!set.is_empty());
    assert!(VhidSet::default().is_empty());
}

#[test]
fn spec_collects_vhids_and_addresses_once() {
    let a: [IpAddr; 2] = [
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 100)),
        "2001:db8::100".parse().unwrap(),
    ];
    let b: [IpAddr; 1] = [IpAddr::V4(Ipv4Addr::new(192, 0, 2, 100))];
    let spec = FilterSpec::from_vhosts(true, [(1, &a[..]), (7, &b[..])]);
    assert!(spec.allow);
    assert!(spec.vhids.contains(1) && spec.vhids.contains(7) && !spec.vhids.contains(2));
    assert_eq!(spec.ipv4, [Ipv4Addr::new(192, 0, 2, 100)]);
    assert_eq!(spec.ipv6, ["2001:db8::100".parse::<Ipv6Addr>().unwrap()]);
}

#[test]
fn program_assembles_for_empty_and_full_specs() {
    let empty = program::program(&FilterSpec::default(), 3).unwrap();
    let mut full = FilterSpec {
        allow: true,
        ..FilterSpec::default()
    };
    // Every vhid, and as many addresses as carpd can hold (32 vhids of 8
    // addresses), all of them IPv6 (the longer match), plus as many IPv4.
    for v in 1..=254u8 {
        full.vhids.insert(v);
    }
    for n in 0..256u16 {
        full.ipv4.push(Ipv4Addr::from(0xc000_0200 + u32::from(n)));
        full.ipv6
            .push(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, n));
    }
    let big = program::program(&full, 3).unwrap();
    assert!(big.len() > empty.len());
    // Linux before 5.2 refuses programs of more than 4096 instructions.
    assert!(big.len() <= 4096, "{} instructions", big.len());
}

#[test]
fn slots_map_onto_the_library_counters() {
    let carp: Vec<Counter> = Slot::ALL.iter().filter_map(|s| s.counter()).collect();
    assert_eq!(
        carp,
        [
            Counter::Ipackets,
            Counter::Ipackets6,
            Counter::Badttl,
            Counter::Badlen,
            Counter::Badsum,
            Counter::Badaddrs,
            Counter::Badvhid,
            Counter::Badver
        ]
    );
}

#[test]
fn the_report_says_which_filter_and_what_it_kept_out() {
    let mut counts = KernelCounts {
        mode: Some(FilterMode::Ebpf),
        not_carp: 5,
        passed: 9,
        ring_drops: 2,
        ..KernelCounts::default()
    };
    counts.carp.add(Counter::Ipackets, 3);
    counts.carp.add(Counter::Ipackets6, 1);
    let text = counts.to_string();
    assert!(
        text.contains("eBPF; 4 CARP frames dropped in the kernel"),
        "{text}"
    );
    assert!(text.contains("5 frames not for carp"), "{text}");
    assert!(text.contains("2 frames lost"), "{text}");
    counts.mode = Some(FilterMode::Classic("EPERM".into()));
    assert!(counts.to_string().contains("classic (EPERM)"));
}
