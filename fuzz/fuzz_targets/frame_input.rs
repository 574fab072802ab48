//! Any bytes as a received link frame on a parent with six vhids (IPv4,
//! IPv6, both; two of them the ucarp fixtures' own; one VRRPv3; one with
//! a unicast peer).
//!
//! Input: `[link selector, set-up flags, frame...]`. The link selector picks
//! Ethernet, FDDI or Token Ring; the flags pick the replay policy, `allow`,
//! `arpbalance`, which vhids are forced to MASTER first, and whether the
//! frame is delivered twice (the replay path).
//!
//! Before delivery: the input path's IPv4 shortcut agrees with the general
//! parser. After every delivery: no panic; a rejected frame moved exactly its own
//! counter (besides `ipackets`/`ipackets6`), in the parent and the host
//! stats alike, and changed no vhost state, deadline or counter and sent
//! nothing; a frame that was not CARP's moved nothing; an ARP or ND answer
//! is one frame from a MASTER; every deadline is in the future.
#![no_main]

use carp_core::{Counter, Instant, Reject, State};
use carp_fuzz::{is_input_counter, link_from_byte, receiver, snapshot, stats_diff, Snapshot};
use carp_ifnet::carpif::Input;
use carp_ifnet::frame::{self, Body, Frame};
use carp_ifnet::lladdr::LinkType;
use carp_sysctl::Sysctl;
use core::net::Ipv4Addr;
use libfuzzer_sys::fuzz_target;

/// Set-up flag bits.
const REPLAY_MASK: u8 = 0b0000_0011;
const DISALLOW: u8 = 0b0000_0100;
const ARPBALANCE: u8 = 0b0000_1000;
const FORCE_MASTER_7: u8 = 0b0001_0000;
const FORCE_MASTER_1: u8 = 0b0010_0000;
/// Forces vhid 200, the VRRP vhid 5 and the unicast vhid 12 to MASTER.
const FORCE_MASTER_200: u8 = 0b0100_0000;
const TWICE: u8 = 0b1000_0000;

fuzz_target!(|data: &[u8]| {
    let [link, flags, frame @ ..] = data else {
        return;
    };
    shortcut_agrees(link_from_byte(*link), frame);
    let sysctl = Sysctl::new();
    sysctl
        .set("replay", i64::from((flags & REPLAY_MASK) % 3))
        .expect("replay 0..2");
    sysctl
        .set("arpbalance", i64::from(flags & ARPBALANCE != 0))
        .expect("arpbalance");
    let mut r = receiver(link_from_byte(*link), &sysctl);
    let t0 = Instant::from_millis(1);
    for (bit, vhid) in [
        (FORCE_MASTER_7, 7),
        (FORCE_MASTER_1, 1),
        (FORCE_MASTER_200, 200),
        (FORCE_MASTER_200, 5),
        (FORCE_MASTER_200, 12),
    ] {
        if flags & bit != 0 {
            r.cif
                .force_state(t0, vhid, State::Master, &sysctl)
                .expect("force master");
        }
    }
    r.poll(t0, &sysctl);
    if flags & DISALLOW != 0 {
        sysctl.set("allow", 0).expect("allow");
    }
    let rounds = if flags & TWICE != 0 { 2 } else { 1 };
    for round in 0..rounds {
        let now = Instant::from_millis(2 + round);
        let before = snapshot(&r, &sysctl);
        let result = r.cif.input(now, frame, &sysctl);
        r.poll(now, &sysctl);
        let after = snapshot(&r, &sysctl);
        check(&before, &after, result, now);
    }
});

/// The input path's shortcut for IPv4 CARP over Ethernet takes a frame
/// only when the general parser reads the same header and payload.
fn shortcut_agrees(link: LinkType, frame: &[u8]) {
    let Some(fast) = frame::fast::ipv4_carp(link, frame) else {
        return;
    };
    match frame::parse(link, frame) {
        Ok(Frame {
            body: Body::Ipv4 { header, payload },
            ..
        }) => {
            assert_eq!(header.protocol, carp_core::wire::PROTO);
            assert_eq!(Ipv4Addr::from(fast.header.src), header.src);
            assert_eq!(Ipv4Addr::from(fast.header.dst), header.dst);
            assert_eq!(fast.header.ttl, header.ttl);
            assert_eq!(fast.header.is_fragment(), header.is_fragment());
            assert_eq!(fast.payload, payload);
        }
        other => panic!("shortcut took a frame parse reads as {other:?}"),
    }
}

fn check(before: &Snapshot, after: &Snapshot, result: Result<Input, Reject>, now: Instant) {
    let moved = stats_diff(&before.stats, &after.stats);
    let host_moved = stats_diff(&before.host_stats, &after.host_stats);
    assert_eq!(moved, host_moved, "parent and host counted differently");
    for (c, n) in &moved {
        assert_eq!(*n, 1, "{c} moved by {n}");
    }
    if let Some(d) = after.deadline {
        assert!(d > now, "deadline {d:?} not after {now:?}");
    }
    let tx_counters = [
        Counter::Opackets,
        Counter::Opackets6,
        Counter::Onomem,
        Counter::Senderr,
    ];
    match result {
        Err(reject) => {
            let checks: Vec<Counter> = moved
                .iter()
                .map(|(c, _)| *c)
                .filter(|c| !is_input_counter(*c))
                .collect();
            assert_eq!(checks, [reject.counter()], "{reject:?} moved {moved:?}");
            assert_eq!(after.vhosts, before.vhosts, "{reject:?} changed a vhost");
            assert_eq!(
                after.deadline, before.deadline,
                "{reject:?} moved a deadline"
            );
            assert_eq!(after.sent, before.sent, "{reject:?} sent a frame");
        }
        Ok(Input::NotCarp) => {
            assert!(moved.is_empty(), "not carp's, yet moved {moved:?}");
            assert_eq!(after, before, "not carp's, yet changed something");
        }
        Ok(Input::Silent) => {
            assert!(moved.is_empty());
            assert_eq!(after, before);
        }
        Ok(Input::ArpReplied { vhid }) | Ok(Input::NdReplied { vhid }) => {
            assert!(moved.is_empty());
            assert_eq!(after.sent, before.sent + 1, "one answer");
            assert_eq!(after.vhosts, before.vhosts);
            let state = after.vhosts.iter().find(|v| v.0 == vhid).map(|v| v.1);
            assert_eq!(state, Some(State::Master), "only a master answers");
        }
        Ok(Input::Advert { vhid, .. }) => {
            assert!(
                moved.iter().all(|(c, _)| is_input_counter(*c)
                    || tx_counters.contains(c)
                    || matches!(
                        c,
                        Counter::Ostates | Counter::Preempt | Counter::ReplayLogged
                    )),
                "accepted advert moved {moved:?}"
            );
            assert_eq!(
                moved.iter().filter(|(c, _)| is_input_counter(*c)).count(),
                1,
                "accepted advert not counted as received"
            );
            // Only the advert's own vhid may change.
            for (b, a) in before.vhosts.iter().zip(&after.vhosts) {
                if a.0 != vhid {
                    assert_eq!(a, b, "advert for {vhid} changed vhid {}", a.0);
                }
            }
        }
        Ok(other) => panic!("unexpected input result {other:?}"),
    }
}
