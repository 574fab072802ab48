//! `CarpIf` over a recording mock driver.

use super::test_support::*;
use super::*;
use crate::arp::{ArpOperation, ArpRepr};
use crate::driver::{LinkState, TxError};
use crate::frame::{parse, Body};
use crate::lladdr::LinkType;
use carp_core::vhost::election::Verdict;
use carp_core::wire::{Packet, HEADER_LEN};
use carp_core::{Counter, DemoteReason, EventKind, Reject};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::vec::Vec;

const VADDR: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 100);
const VMAC7: MacAddr = MacAddr([0, 0, 0x5e, 0, 1, 7]);

fn us(n: u64) -> Instant {
    Instant::from_micros(n)
}

fn config(vhid: u8, skew: u8) -> VhostConfig {
    VhostConfig::new(Vhid::new(vhid).unwrap())
        .with_advskew(skew)
        .unwrap()
        .with_passphrase(b"secret42")
        .unwrap()
        .with_address(IpAddr::V4(VADDR))
        .unwrap()
}

fn host(n: u8, vhids: &[(u8, u8)]) -> Host {
    let mut h = Host::bare(n);
    for (vhid, skew) in vhids {
        h.add(us(0), config(*vhid, *skew), u64::from(n) << 40)
            .unwrap();
    }
    h.poll(us(0));
    h.nic.sent.clear();
    h
}

/// A master's first advert frame (Ethernet, IPv4).
fn master_advert() -> Vec<u8> {
    let mut m = host(11, &[(7, 10)]);
    m.force(us(0), 7, State::Master).unwrap();
    m.sent(us(0)).remove(0)
}

/// Re-checksums the IPv4 header (bytes 14..34) after an edit.
fn fix_ip_checksum(frame: &mut [u8]) {
    frame[24] = 0;
    frame[25] = 0;
    let sum = carp_core::wire::checksum(&frame[14..34]);
    frame[24..26].copy_from_slice(&sum.to_be_bytes());
}

/// Re-checksums the CARP header after an edit.
fn fix_carp_checksum(frame: &mut [u8]) {
    Packet::new_unchecked(&mut frame[34..34 + HEADER_LEN]).fill_checksum();
}

#[test]
fn master_advert_frame_is_ipv4_multicast_from_the_virtual_mac() {
    let f = master_advert();
    assert_eq!(&f[0..6], &[0x01, 0x00, 0x5e, 0x00, 0x00, 0x12]);
    assert_eq!(&f[6..12], &VMAC7.0);
    assert_eq!(&f[12..14], &[0x08, 0x00]);
    // IPv4: version/IHL 0x45, TOS 0x10, total 56, DF, TTL 255, proto 112.
    assert_eq!(&f[14..18], &[0x45, 0x10, 0x00, 0x38]);
    assert_eq!(&f[20..24], &[0x40, 0x00, 255, 112]);
    assert_eq!(&f[26..34], &[192, 0, 2, 11, 224, 0, 0, 18]);
    assert!(carp_core::wire::verify_checksum(&f[14..34]));
    assert_eq!(f.len(), 14 + 20 + HEADER_LEN);
    assert_eq!(&f[34..36], &[0x21, 7]);
}

#[test]
fn commands_send_nothing_until_poll() {
    let mut h: Host = Host::bare(11);
    h.add(us(0), config(7, 10), 1).unwrap();
    h.force(us(0), 7, State::Master).unwrap();
    assert!(h.nic.sent.is_empty() && h.nic.groups.is_empty());
    assert!(h.cif.has_pending_output());
    // Output is owed since the command: poll at once.
    assert_eq!(h.cif.poll_timeout(), Some(us(0)));
    let sent = h.sent(us(0));
    assert_eq!(sent.len(), 2, "advert and gratuitous ARP");
    assert!(!h.cif.has_pending_output());
    assert_eq!(h.cif.poll_timeout(), Some(us(1_039_062)));
}

#[test]
fn joins_the_carp_groups_with_the_first_vhid_and_leaves_with_the_last() {
    let mut h = host(1, &[(1, 0)]);
    assert_eq!(
        h.nic.groups,
        [
            MacAddr([1, 0, 0x5e, 0, 0, 0x12]),
            MacAddr([0x33, 0x33, 0, 0, 0, 0x12])
        ]
    );
    h.cif.remove_vhost(us(1), 1, &h.s).unwrap();
    h.poll(us(1));
    assert!(h.nic.groups.is_empty());
}

#[test]
fn a_frame_borrowed_from_the_nic_is_input_without_a_copy() {
    /// A NIC that owns its receive buffer, as a DMA ring does.
    struct Nic {
        rx: [u8; 128],
        rx_len: usize,
        tx: Mock,
    }
    let advert = master_advert();
    let mut nic = Nic {
        rx: [0; 128],
        rx_len: advert.len(),
        tx: Mock::default(),
    };
    nic.rx[..advert.len()].copy_from_slice(&advert);
    let s = Sysctl::new();
    let mut cif: CarpIf = CarpIf::new(parent(12), LinkState::Up);
    cif.add_vhost(us(0), config(7, 50), 0, &s).unwrap();
    // The frame stays borrowed from the NIC while carp reads it.
    let frame = &nic.rx[..nic.rx_len];
    assert!(matches!(
        cif.input(us(5), frame, &s),
        Ok(Input::Advert { vhid: 7, .. })
    ));
    cif.poll(us(5), &mut nic.tx, &s);
    assert_eq!(nic.tx.groups.len(), 2);
}

#[test]
fn accepted_advert_restarts_master_down() {
    let mut b = host(12, &[(7, 50)]);
    let f = master_advert();
    let r = b.input(us(1_000_000), &f).unwrap();
    assert_eq!(
        r,
        Input::Advert {
            vhid: 7,
            verdict: Verdict::KeepListening
        }
    );
    assert_eq!(b.cif.poll_timeout(), Some(us(1_000_000 + 3_195_312)));
    assert!(!b.cif.has_pending_output());
    assert_eq!(b.cif.stats().get(Counter::Ipackets), 1);
    assert_eq!(b.s.stats().get(Counter::Ipackets), 1);
}

/// Each malformed advert, with the one rejection it must cause.
#[test]
fn the_input_path_finds_each_vhid_after_vhids_come_and_go() {
    // The input path looks a vhid up in the vhid index; the slots are
    // sorted by vhid. After every addition and removal the index must name
    // the slot that runs the vhid, for every vhid, and no slot for the rest.
    let mut h = host(12, &[]);
    let steps = [
        (true, 9),
        (true, 1),
        (true, 200),
        (true, 7),
        (false, 1),
        (true, 255),
        (false, 200),
        (true, 3),
        (false, 255),
        (false, 9),
    ];
    for (add, changed) in steps {
        if add {
            h.add(us(0), config(changed, 0), 1).unwrap();
        } else {
            h.cif.remove_vhost(us(0), changed, &h.s).unwrap();
            h.poll(us(0));
        }
        let sorted: Vec<u8> = h.cif.slots.iter().map(|s| s.host.vhid().get()).collect();
        assert!(sorted.is_sorted(), "{sorted:?}");
        for vhid in 0..=255u8 {
            let found = h
                .cif
                .running(vhid)
                .map(|(at, host)| (at, host.vhid().get()));
            let want = sorted.iter().position(|v| *v == vhid).map(|at| (at, vhid));
            assert_eq!(found, want, "vhid {vhid} after {add} {changed}: {sorted:?}");
        }
    }
    // A vhid after a removed one still takes its master's adverts.
    let mut h = host(12, &[(1, 0), (7, 50)]);
    h.cif.remove_vhost(us(0), 1, &h.s).unwrap();
    assert!(matches!(
        h.input(us(1), &master_advert()),
        Ok(Input::Advert { vhid: 7, .. })
    ));
}

fn bad_inputs() -> Vec<(&'static str, Vec<u8>, Reject)> {
    let good = master_advert();
    let edit = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut v = good.clone();
        f(&mut v);
        v
    };
    vec![
        (
            "ttl 254",
            edit(&|v| {
                v[22] = 254;
                fix_ip_checksum(v);
            }),
            Reject::BadTtl(254),
        ),
        (
            "ip header cut",
            good[..30].to_vec(),
            Reject::HeaderTruncated { len: 30 },
        ),
        (
            "carp payload 20 bytes",
            edit(&|v| {
                v.truncate(54);
                v[16..18].copy_from_slice(&40u16.to_be_bytes());
                fix_ip_checksum(v);
            }),
            Reject::BadLength { len: 20 },
        ),
        (
            "carp checksum",
            edit(&|v| v[40] ^= 0xff),
            Reject::BadChecksum,
        ),
        (
            "multicast source",
            edit(&|v| {
                v[26..30].copy_from_slice(&[224, 0, 0, 1]);
                fix_ip_checksum(v);
            }),
            Reject::BadAddress,
        ),
        (
            "unknown vhid",
            edit(&|v| {
                v[35] = 8;
                fix_carp_checksum(v);
            }),
            Reject::BadVhid(8),
        ),
        (
            "own advert",
            edit(&|v| {
                v[26..30].copy_from_slice(&[192, 0, 2, 12]);
                fix_ip_checksum(v);
            }),
            Reject::Own,
        ),
        (
            "version 3 (VRRPv3 next door)",
            edit(&|v| {
                v[34] = 0x31;
                fix_carp_checksum(v);
            }),
            Reject::BadVersion(3),
        ),
        (
            "type 2",
            edit(&|v| {
                v[34] = 0x22;
                fix_carp_checksum(v);
            }),
            Reject::BadType(2),
        ),
        (
            "authlen 6",
            edit(&|v| {
                v[37] = 6;
                fix_carp_checksum(v);
            }),
            Reject::BadAuthLen(6),
        ),
        (
            "forged digest, better skew",
            edit(&|v| {
                v[36] = 0;
                v[55] ^= 1;
                fix_carp_checksum(v);
            }),
            Reject::BadAuth,
        ),
    ]
}

#[test]
fn every_input_check_bumps_exactly_its_counter_and_changes_nothing() {
    for (what, frame, expected) in bad_inputs() {
        let mut b = host(12, &[(7, 50)]);
        let before_state = b.state(7);
        let before_deadline = b.cif.poll_timeout();
        // Setting up counted its state update (INIT -> BACKUP).
        let before = b.cif.stats().clone();
        let host_before = b.s.stats();
        let r = b.input(us(500), &frame);
        assert_eq!(r, Err(expected), "{what}");
        assert_eq!(b.cif.stats().get(expected.counter()), 1, "{what}");
        assert_eq!(b.s.stats().get(expected.counter()), 1, "{what}");
        // A received IPv4 CARP packet is counted under ipackets in both,
        // whatever its fate (OpenBSD carp_proto_input counts it first); a
        // frame cut inside its IP header never was one.
        let received = u64::from(!matches!(expected, Reject::HeaderTruncated { .. }));
        let ipackets =
            |s: &Stats, before: &Stats| s.get(Counter::Ipackets) - before.get(Counter::Ipackets);
        assert_eq!(ipackets(b.cif.stats(), &before), received, "{what}");
        assert_eq!(ipackets(&b.s.stats(), &host_before), received, "{what}");
        let moved: u64 = b
            .cif
            .stats()
            .iter()
            .filter(|(c, _)| !matches!(c, Counter::Ipackets | Counter::Ipackets6))
            .map(|(c, v)| v - before.get(c))
            .sum();
        assert_eq!(moved, 1, "{what}: exactly one counter");
        assert_eq!(b.state(7), before_state, "{what}");
        assert_eq!(b.cif.poll_timeout(), before_deadline, "{what}");
        assert!(!b.cif.has_pending_output(), "{what}");
        assert!(b.sent(us(500)).is_empty(), "{what}");
    }
}

/// The input path counts in a statistics lane of its own; detaching the
/// parent gives the lane back and the host keeps every count.
#[test]
fn detach_gives_the_statistics_lane_back_and_the_host_keeps_its_counts() {
    let mut b = host(12, &[(7, 50)]);
    let lanes_before = b.s.lanes_claimed();
    for (what, frame, expected) in bad_inputs() {
        assert_eq!(b.input(us(500), &frame), Err(expected), "{what}");
    }
    assert_eq!(b.s.lanes_claimed(), lanes_before + 1);
    let counted = b.s.stats();
    let dropped: u64 = counted
        .iter()
        .filter(|(c, _)| !matches!(c, Counter::Ipackets | Counter::Ipackets6 | Counter::Ostates))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(dropped, bad_inputs().len() as u64);
    b.cif.detach(&b.s);
    assert_eq!(b.s.lanes_claimed(), lanes_before);
    assert_eq!(b.s.stats(), counted);
}

#[test]
fn allow_zero_drops_and_counts() {
    let mut b = host(12, &[(7, 50)]);
    b.s.set("allow", 0).unwrap();
    assert_eq!(b.input(us(1), &master_advert()), Err(Reject::Disabled));
    assert_eq!(b.cif.stats().get(Counter::Disabled), 1);
}

#[test]
fn parent_without_vhids_counts_bad_interface() {
    let mut h: Host = Host::bare(12);
    assert_eq!(h.input(us(1), &master_advert()), Err(Reject::BadInterface));
}

/// A master's first `n` IPv4 adverts.
fn master_adverts(n: usize) -> Vec<Vec<u8>> {
    let mut m = host(11, &[(7, 10)]);
    m.force(us(0), 7, State::Master).unwrap();
    let mut out: Vec<Vec<u8>> = m.sent(us(0)).into_iter().filter(|f| f[23] == 112).collect();
    while out.len() < n {
        let t = m.cif.poll_timeout().unwrap();
        out.extend(m.sent(t).into_iter().filter(|f| f[23] == 112));
    }
    out.truncate(n);
    out
}

#[test]
fn replay_enforced_is_counted_and_ignored() {
    let mut b = host(12, &[(7, 50)]);
    b.s.set("replay", 2).unwrap();
    // The sender's counters are learned first (they go up by one).
    let adverts = master_adverts(usize::from(carp_core::vhost::LEARN_STEPS) + 1);
    for (i, f) in adverts.iter().enumerate() {
        b.input(us(1 + i as u64), f).unwrap();
    }
    let f = &adverts[0];
    let deadline = b.cif.poll_timeout();
    let r = b.input(us(10), f);
    assert!(matches!(r, Err(Reject::Replay { .. })));
    assert_eq!(b.cif.stats().get(Counter::Replay), 1);
    assert_eq!(b.cif.poll_timeout(), deadline);
    // The events name the sender as the frame's IPv4 header does (source
    // address at bytes 26..30 of an Ethernet frame): the address reached
    // the vhost intact through the input path.
    let sender = IpAddr::V4(Ipv4Addr::new(f[26], f[27], f[28], f[29]));
    let senders: Vec<IpAddr> = core::iter::from_fn(|| b.cif.poll_event())
        .filter_map(|e| match e.kind {
            EventKind::Counters { src, .. } | EventKind::Replay { src, .. } => Some(src),
            _ => None,
        })
        .collect();
    assert_eq!(senders, [sender, sender]);
}

#[test]
fn non_carp_frames_are_left_alone() {
    let mut b = host(12, &[(7, 50)]);
    let mut f = master_advert();
    f[23] = 6; // TCP
    fix_ip_checksum(&mut f);
    let before = b.cif.stats().clone();
    assert_eq!(b.input(us(1), &f), Ok(Input::NotCarp));
    assert_eq!(b.input(us(1), &[0u8; 5]), Ok(Input::NotCarp));
    assert_eq!(b.cif.stats(), &before);
}

#[test]
fn takeover_sends_advert_then_gratuitous_arp_and_repeats_it_after_two_adverts() {
    let mut h = host(11, &[(7, 10)]);
    assert_eq!(h.cif.poll_timeout(), Some(us(3_039_062)));
    let t = h.next();
    assert_eq!(t, us(3_039_062));
    let sent = core::mem::take(&mut h.nic.sent);
    assert_eq!(sent.len(), 2);
    assert_eq!(&sent[0][12..14], &[0x08, 0x00], "advert first");
    assert_eq!(&sent[1][12..14], &[0x08, 0x06], "then ARP");
    let Ok(frame) = parse(LinkType::Ethernet, &sent[1]) else {
        panic!()
    };
    let Body::Arp(arp) = frame.body else { panic!() };
    assert!(arp.is_gratuitous());
    assert_eq!(arp.sender_ip, VADDR);
    assert_eq!(arp.sender_mac, VMAC7);
    assert_eq!(frame.dst, MacAddr::BROADCAST);
    assert_eq!(h.next(), us(3_039_062 + 1_039_062));
    assert_eq!(
        h.sent(us(0)).len(),
        2,
        "second advert carries the delayed ARP"
    );
    h.next();
    assert_eq!(core::mem::take(&mut h.nic.sent).len(), 1);
    let events: Vec<EventKind> = core::iter::from_fn(|| h.cif.poll_event())
        .map(|e| e.kind)
        .collect();
    assert!(events.contains(&EventKind::Announce { repeat: true }));
}

fn arp_request(sender: Ipv4Addr, target: Ipv4Addr) -> Vec<u8> {
    let req = ArpRepr {
        operation: ArpOperation::Request,
        sender_mac: MacAddr([0x02, 0xaa, 0, 0, 0, 1]),
        sender_ip: sender,
        target_mac: MacAddr::ZERO,
        target_ip: target,
    };
    let mut buf = [0u8; 64];
    let n = req
        .emit_frame(
            LinkType::Ethernet,
            MacAddr::BROADCAST,
            req.sender_mac,
            &mut buf,
        )
        .unwrap();
    buf[..n].to_vec()
}

#[test]
fn only_the_master_answers_arp_with_the_virtual_mac() {
    let mut m = host(11, &[(7, 10)]);
    let mut b = host(12, &[(7, 50)]);
    m.force(us(0), 7, State::Master).unwrap();
    m.sent(us(0));
    let req = arp_request(Ipv4Addr::new(192, 0, 2, 50), VADDR);
    assert_eq!(m.input(us(1), &req), Ok(Input::ArpReplied { vhid: 7 }));
    // The answer is queued: poll now.
    assert_eq!(m.cif.poll_timeout(), Some(us(1)));
    assert_eq!(b.input(us(1), &req), Ok(Input::Silent));
    assert!(b.sent(us(1)).is_empty());
    let reply = m.sent(us(1)).remove(0);
    let Body::Arp(arp) = parse(LinkType::Ethernet, &reply).unwrap().body else {
        panic!()
    };
    assert_eq!(arp.operation, ArpOperation::Reply);
    assert_eq!(arp.sender_mac, VMAC7);
    assert_eq!(&reply[6..12], &VMAC7.0);
    // Not a virtual address: not ours.
    let other = arp_request(Ipv4Addr::new(192, 0, 2, 50), Ipv4Addr::new(192, 0, 2, 99));
    assert_eq!(m.input(us(2), &other), Ok(Input::NotCarp));
}

#[test]
fn answers_beyond_the_reply_queue_are_dropped_and_counted() {
    let mut m = host(11, &[(7, 10)]);
    m.force(us(0), 7, State::Master).unwrap();
    m.sent(us(0));
    let req = arp_request(Ipv4Addr::new(192, 0, 2, 50), VADDR);
    for _ in 0..REPLY_QUEUE {
        assert_eq!(m.input(us(1), &req), Ok(Input::ArpReplied { vhid: 7 }));
    }
    assert_eq!(m.input(us(1), &req), Ok(Input::Silent));
    assert_eq!(m.cif.stats().get(Counter::Onomem), 1);
    assert_eq!(m.sent(us(1)).len(), REPLY_QUEUE);
}

#[test]
fn arpbalance_spreads_requesters_evenly_over_the_masters() {
    // Three hosts share 192.0.2.100 on vhids 1..3; host k is master of vhid k.
    let mut hosts: Vec<Host> = (1..=3u8)
        .map(|k| {
            let mut h = host(10 + k, &[(1, 100), (2, 100), (3, 100)]);
            h.s.set("arpbalance", 1).unwrap();
            h.force(us(0), k, State::Master).unwrap();
            h.sent(us(0));
            h
        })
        .collect();
    let mut answered = [0usize; 3];
    // 150 consecutive requesters from each of two documentation networks.
    for n in 0..300u32 {
        let base = if n < 150 {
            Ipv4Addr::new(198, 51, 100, 0)
        } else {
            Ipv4Addr::new(203, 0, 113, 0)
        };
        let sender = Ipv4Addr::from(u32::from(base) + n % 150);
        let req = arp_request(sender, VADDR);
        let mut replies = 0;
        for (i, h) in hosts.iter_mut().enumerate() {
            let iamatch = h.cif.iamatch(VADDR, sender, &h.s);
            if let Ok(Input::ArpReplied { vhid }) = h.input(us(1), &req) {
                assert_eq!(usize::from(vhid), i + 1);
                assert_eq!(vhid as u32, u32::from(sender) % 3 + 1);
                assert_eq!(iamatch, Some(LinkType::Ethernet.virtual_mac(vhid)));
                answered[i] += 1;
                replies += 1;
            } else {
                assert_eq!(iamatch, None);
            }
            h.sent(us(1));
        }
        assert_eq!(replies, 1, "exactly one host answers {sender}");
    }
    assert_eq!(answered, [100, 100, 100]);
}

#[test]
fn master_answers_neighbour_solicitation_and_announces_na_on_takeover() {
    let v6: Ipv6Addr = "2001:db8::100".parse().unwrap();
    let mut h: Host = Host::bare(11);
    let cfg = config(5, 0).with_address(IpAddr::V6(v6)).unwrap();
    h.add(us(0), cfg, 0).unwrap();
    h.poll(us(0));
    // The two CARP groups and the solicited-node group of the address.
    assert!(h
        .nic
        .groups
        .contains(&MacAddr([0x33, 0x33, 0xff, 0x00, 0x01, 0x00])));
    h.force(us(0), 5, State::Master).unwrap();
    let sent = h.sent(us(0));
    // IPv4 advert, IPv6 advert, gratuitous ARP, unsolicited NA.
    let ethertypes: Vec<[u8; 2]> = sent.iter().map(|f| [f[12], f[13]]).collect();
    assert_eq!(ethertypes, [[8, 0], [0x86, 0xdd], [8, 6], [0x86, 0xdd]]);
    assert_eq!(&sent[1][0..6], &[0x33, 0x33, 0, 0, 0, 0x12]);
    assert_eq!(&sent[3][0..6], &[0x33, 0x33, 0, 0, 0, 1]);
    // Same CARP bytes (one digest) over both families.
    assert_eq!(&sent[0][34..70], &sent[1][54..90]);
    // A solicitation is answered.
    let soliciter: Ipv6Addr = "fe80::84e1:c0ff:fed8:12b1".parse().unwrap();
    let ns = crate::nd::tests::ns_frame(soliciter, v6, Some(MacAddr([2, 0, 0, 0, 0, 9])), 255);
    assert_eq!(h.input(us(1), &ns), Ok(Input::NdReplied { vhid: 5 }));
    assert_eq!(h.sent(us(1)).len(), 1);
    h.force(us(2), 5, State::Backup).unwrap();
    h.sent(us(2));
    assert_eq!(h.input(us(3), &ns), Ok(Input::Silent));
    assert!(h.sent(us(3)).is_empty());
}

/// The R flag of the neighbour advertisement in `frame` (Ethernet, IPv6).
fn na_router_flag(frame: &[u8]) -> bool {
    let Body::Ipv6 { header, payload } = parse(LinkType::Ethernet, frame).unwrap().body else {
        panic!()
    };
    crate::nd::NeighborAdvert::parse(&header, payload)
        .unwrap()
        .router
}

#[test]
fn neighbour_advertisements_carry_the_router_flag_of_the_parent() {
    let v6: Ipv6Addr = "2001:db8::100".parse().unwrap();
    for router in [false, true] {
        let mut h: Host = Host {
            cif: CarpIf::new(parent(11).with_router(router), LinkState::Up),
            nic: Mock::default(),
            s: Sysctl::new(),
        };
        let cfg = VhostConfig::new(Vhid::new(5).unwrap())
            .with_address(IpAddr::V6(v6))
            .unwrap();
        h.add(us(0), cfg, 0).unwrap();
        h.force(us(0), 5, State::Master).unwrap();
        let sent = h.sent(us(0));
        assert_eq!(na_router_flag(&sent[1]), router, "unsolicited NA");
        let soliciter: Ipv6Addr = "fe80::9".parse().unwrap();
        let ns = crate::nd::tests::ns_frame(soliciter, v6, Some(MacAddr([2, 0, 0, 0, 0, 9])), 255);
        h.input(us(1), &ns).unwrap();
        assert_eq!(na_router_flag(&h.sent(us(1))[0]), router, "solicited NA");
    }
}

#[test]
fn the_unicast_filter_follows_mastership_and_removal() {
    let mut h = host(11, &[(7, 10), (8, 10)]);
    assert!(h.nic.unicast.is_empty());
    h.force(us(0), 7, State::Master).unwrap();
    h.poll(us(0));
    assert_eq!(h.nic.unicast, [VMAC7]);
    h.force(us(1), 7, State::Backup).unwrap();
    h.poll(us(1));
    assert!(h.nic.unicast.is_empty());
    h.force(us(2), 8, State::Master).unwrap();
    h.poll(us(2));
    assert_eq!(h.nic.unicast, [MacAddr([0, 0, 0x5e, 0, 1, 8])]);
    // A removed master bows out, and the filter closes.
    h.nic.sent.clear();
    h.cif.remove_vhost(us(3), 8, &h.s).unwrap();
    let sent = h.sent(us(3));
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0][36], sent[0][39]),
        (255, 255),
        "bow-out: advskew and advbase 255"
    );
    assert!(h.nic.unicast.is_empty());
}

#[test]
fn what_the_host_ip_stack_asks() {
    let mut h = host(11, &[(7, 10), (9, 10)]);
    let requester = Ipv4Addr::new(192, 0, 2, 50);
    assert!(h.cif.is_virtual(IpAddr::V4(VADDR)));
    assert!(!h.cif.is_virtual(IpAddr::V4(requester)));
    assert_eq!(h.cif.iamatch(VADDR, requester, &h.s), None);
    assert_eq!(h.cif.source_mac(IpAddr::V4(VADDR)), None, "backup");
    assert_eq!(h.cif.owned_addresses().count(), 0);
    h.force(us(0), 9, State::Master).unwrap();
    let vmac9 = MacAddr([0, 0, 0x5e, 0, 1, 9]);
    assert_eq!(h.cif.iamatch(VADDR, requester, &h.s), Some(vmac9));
    assert_eq!(h.cif.source_mac(IpAddr::V4(VADDR)), Some(vmac9));
    let owned: Vec<OwnedAddr> = h.cif.owned_addresses().collect();
    assert_eq!(
        owned,
        [OwnedAddr {
            addr: IpAddr::V4(VADDR),
            vhid: 9,
            mac: vmac9,
            accept: true,
        }]
    );
    // In list order the first master answers.
    h.force(us(0), 7, State::Master).unwrap();
    assert_eq!(h.cif.source_mac(IpAddr::V4(VADDR)), Some(VMAC7));
    assert_eq!(h.cif.owned_addresses().count(), 2);
}

#[test]
fn a_parent_without_ipv4_sends_from_0_0_0_0_and_knows_its_own() {
    let mut h: Host = Host {
        cif: CarpIf::new(
            ParentInfo::ethernet(MacAddr([2, 0, 0, 0, 0, 11])),
            LinkState::Up,
        ),
        nic: Mock::default(),
        s: Sysctl::new(),
    };
    h.add(us(0), config(7, 10), 1).unwrap();
    h.force(us(0), 7, State::Master).unwrap();
    let advert = h.sent(us(0)).remove(0);
    assert_eq!(&advert[26..30], &[0, 0, 0, 0], "NetBSD's source");
    assert_eq!(h.cif.stats().get(Counter::Opackets), 1);
    // Looped back to us, it is ours (the counter we sent).
    assert_eq!(h.input(us(1), &advert), Err(Reject::Own));
    // A peer's advert from 0.0.0.0 is accepted.
    let mut b = host(12, &[(7, 50)]);
    assert!(matches!(
        b.input(us(1), &advert),
        Ok(Input::Advert { vhid: 7, .. })
    ));
}

#[test]
fn link_flap_goes_to_init_demotes_the_host_and_recovers() {
    let mut h = host(11, &[(1, 0), (2, 0)]);
    h.force(us(0), 1, State::Master).unwrap();
    h.cif.set_link(us(10), false, &h.s);
    assert!(h.cif.vhosts().all(|v| v.state() == State::Init));
    h.poll(us(10));
    assert_eq!(h.cif.poll_timeout(), None);
    assert_eq!(h.s.demotion().get(DemoteReason::LinkDown), 240);
    assert_eq!(h.s.policy().demotion, 240);
    // Told twice, demoted once.
    h.cif.set_link(us(11), false, &h.s);
    assert_eq!(h.s.demotion().get(DemoteReason::LinkDown), 240);
    h.cif.set_link(us(20), true, &h.s);
    assert!(h.cif.vhosts().all(|v| v.state() == State::Backup));
    assert_eq!(h.s.policy().demotion, 0);
}

#[test]
fn send_errors_demote_the_host_by_the_factor_and_recover() {
    let mut h = host(11, &[(1, 0)]);
    h.force(us(0), 1, State::Master).unwrap();
    h.sent(us(0));
    h.nic.fail = Some(TxError::NoBuffers);
    let mut now = us(0);
    for _ in 0..3 {
        now = h.next();
    }
    // Three adverts and the delayed gratuitous ARP of the second one.
    assert_eq!(h.cif.stats().get(Counter::Onomem), 4);
    assert_eq!(h.s.stats().get(Counter::Onomem), 4);
    assert_eq!(h.s.demotion().get(DemoteReason::SendErrors), 240);
    h.nic.fail = None;
    for _ in 0..3 {
        now = h.next();
    }
    assert_eq!(h.s.demotion().get(DemoteReason::SendErrors), 0);
    assert!(now > us(0));
}

#[test]
fn poll_timeout_is_the_earliest_over_all_vhids() {
    let mut h = host(11, &[(1, 200), (2, 10), (3, 100)]);
    assert_eq!(h.cif.poll_timeout(), Some(us(3_039_062)));
    h.poll(us(3_039_062));
    assert_eq!(h.state(2), State::Master);
    assert_eq!(h.state(1), State::Backup);
    // Next: vhid 3's master-down (3 s + 100/256 s), before vhid 2's second
    // advert (+1.039062 s) and vhid 1's master-down (3 s + 200/256 s).
    assert_eq!(h.cif.poll_timeout(), Some(us(3_390_625)));
    h.poll(us(3_390_625));
    assert_eq!(h.cif.poll_timeout(), Some(us(3_781_250)));
}

#[test]
fn commands_refuse_cleanly() {
    let mut h = host(11, &[(1, 0)]);
    assert_eq!(h.add(us(0), config(1, 5), 0), Err(IfError::VhidExists(1)));
    assert_eq!(h.cif.vhost(1).unwrap().config().advskew.get(), 0);
    assert_eq!(
        h.cif.set_admin(us(0), 9, false, &h.s),
        Err(IfError::NoSuchVhid(9))
    );
    let mut small: Host<1> = Host::bare(3);
    small.add(us(0), config(1, 0), 0).unwrap();
    assert_eq!(
        small.add(us(0), config(2, 0), 0),
        Err(IfError::Full { capacity: 1 })
    );
}

#[test]
fn removals_beyond_the_capacity_without_a_poll_are_refused() {
    let mut h: Host<1> = Host::bare(3);
    for vhid in 1..=2 {
        h.add(us(0), config(vhid, 0), 0).unwrap();
        h.force(us(0), vhid, State::Master).unwrap();
        if vhid == 1 {
            h.cif.remove_vhost(us(0), vhid, &h.s).unwrap();
        }
    }
    assert_eq!(
        h.cif.remove_vhost(us(0), 2, &h.s),
        Err(IfError::OutputPending)
    );
    assert_eq!(h.state(2), State::Master, "refused: nothing changed");
    let bow_outs = h.sent(us(0));
    assert!(bow_outs.iter().any(|f| f[36] == 255));
    h.cif.remove_vhost(us(0), 2, &h.s).unwrap();
}

#[test]
fn two_interfaces_on_a_wire_elect_and_fail_over() {
    let mut a = host(11, &[(7, 10)]);
    let mut b = host(12, &[(7, 50)]);
    let mut now = us(0);
    let mut a_alive = true;
    while now < Instant::from_secs(30) {
        if now >= Instant::from_secs(10) {
            a_alive = false;
        }
        if a_alive {
            a.poll(now);
        }
        b.poll(now);
        for f in core::mem::take(&mut a.nic.sent) {
            if a_alive {
                let _ = b.input(now, &f);
            }
        }
        for f in core::mem::take(&mut b.nic.sent) {
            if a_alive {
                let _ = a.input(now, &f);
            }
        }
        let next_a = if a_alive { a.cif.poll_timeout() } else { None };
        now = [next_a, b.cif.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
            .unwrap()
            .max(now);
    }
    assert_eq!(b.state(7), State::Master);
    let last = b.cif.vhost(7).unwrap().last_heard().unwrap();
    let took = core::iter::from_fn(|| b.cif.poll_event())
        .find(|e| {
            matches!(
                e.kind,
                EventKind::StateChange {
                    to: State::Master,
                    ..
                }
            )
        })
        .unwrap();
    assert_eq!(took.at, last + carp_core::Duration::from_micros(3_195_312));
}

#[test]
fn host_statistics_count_state_updates_and_transitions_to_master() {
    // BSD's carpstats are global: three vhids, each INIT -> BACKUP ->
    // MASTER, is six state updates and three transitions to master in
    // the host's tree, and they stay there when the vhids go.
    let mut h = host(1, &[(1, 0), (2, 0), (3, 0)]);
    for vhid in 1..=3 {
        h.force(us(10), vhid, State::Master).unwrap();
    }
    h.poll(us(10));
    let stats = h.s.stats();
    assert_eq!(stats.get(Counter::Preempt), 3);
    assert_eq!(stats.get(Counter::Ostates), 6);
    // The parent counts the same (a host with one parent: equal).
    assert_eq!(h.cif.stats(), &stats);
    for vhid in 1..=3 {
        h.cif.remove_vhost(us(20), vhid, &h.s).unwrap();
    }
    let stats = h.s.stats();
    assert_eq!(stats.get(Counter::Preempt), 3);
    // Removal: MASTER -> INIT, three more updates.
    assert_eq!(stats.get(Counter::Ostates), 9);
}

mod group_demote;
mod host_policy;
