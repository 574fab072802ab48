//! `CarpIf` over a recording mock driver.

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

#[derive(Debug)]
struct Mock {
    link: LinkType,
    mac: MacAddr,
    ip: Ipv4Addr,
    ll: Ipv6Addr,
    up: bool,
    fail: Option<TxError>,
    sent: Vec<Vec<u8>>,
    groups: Vec<MacAddr>,
}

impl Mock {
    fn new(n: u8) -> Mock {
        Mock {
            link: LinkType::Ethernet,
            mac: MacAddr([0x02, 0, 0, 0, 0, n]),
            ip: Ipv4Addr::new(192, 0, 2, n),
            ll: Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, u16::from(n)),
            up: true,
            fail: None,
            sent: Vec::new(),
            groups: Vec::new(),
        }
    }
}

impl Driver for Mock {
    fn link_type(&self) -> LinkType {
        self.link
    }
    fn hw_addr(&self) -> MacAddr {
        self.mac
    }
    fn mtu(&self) -> usize {
        1500
    }
    fn link_state(&self) -> LinkState {
        if self.up {
            LinkState::Up
        } else {
            LinkState::Down
        }
    }
    fn ipv4_addr(&self) -> Option<Ipv4Addr> {
        Some(self.ip)
    }
    fn ipv6_link_local(&self) -> Option<Ipv6Addr> {
        Some(self.ll)
    }
    fn transmit(&mut self, frame: &[u8]) -> Result<(), TxError> {
        match self.fail {
            Some(e) => Err(e),
            None => {
                self.sent.push(frame.to_vec());
                Ok(())
            }
        }
    }
    fn join_multicast(&mut self, mac: MacAddr) -> Result<(), TxError> {
        self.groups.push(mac);
        Ok(())
    }
    fn leave_multicast(&mut self, mac: MacAddr) -> Result<(), TxError> {
        self.groups.retain(|g| *g != mac);
        Ok(())
    }
}

const VADDR: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 100);

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

fn host(n: u8, vhids: &[(u8, u8)]) -> (CarpIf<Mock>, Sysctl) {
    let sysctl = Sysctl::new();
    let mut cif = CarpIf::new(Mock::new(n));
    for (vhid, skew) in vhids {
        cif.add_vhost(us(0), config(*vhid, *skew), u64::from(n) << 40, &sysctl)
            .unwrap();
    }
    (cif, sysctl)
}

fn take_sent(cif: &mut CarpIf<Mock>) -> Vec<Vec<u8>> {
    core::mem::take(&mut cif.driver_mut().sent)
}

/// A master's first advert frame (Ethernet, IPv4).
fn master_advert() -> Vec<u8> {
    let (mut m, s) = host(11, &[(7, 10)]);
    m.force_state(us(0), 7, State::Master, &s).unwrap();
    take_sent(&mut m).remove(0)
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
    assert_eq!(&f[6..12], &[0x00, 0x00, 0x5e, 0x00, 0x01, 7]);
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
fn joins_the_carp_groups_with_the_first_vhid_and_leaves_with_the_last() {
    let (mut cif, s) = host(1, &[(1, 0)]);
    assert_eq!(cif.driver().groups.len(), 2);
    cif.remove_vhost(us(1), 1, &s).unwrap();
    assert!(cif.driver().groups.is_empty());
}

#[test]
fn accepted_advert_restarts_master_down() {
    let (mut b, s) = host(12, &[(7, 50)]);
    let f = master_advert();
    let r = b.input(us(1_000_000), &f, &s).unwrap();
    assert_eq!(
        r,
        Input::Advert {
            vhid: 7,
            verdict: Verdict::KeepListening
        }
    );
    assert_eq!(b.poll_timeout(), Some(us(1_000_000 + 3_195_312)));
    assert_eq!(b.stats().get(Counter::Ipackets), 1);
    assert_eq!(s.stats().get(Counter::Ipackets), 1);
}

/// Each malformed advert, with the one rejection it must cause.
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
        let (mut b, s) = host(12, &[(7, 50)]);
        let before_state = b.vhost(7).unwrap().state();
        let before_deadline = b.poll_timeout();
        let r = b.input(us(500), &frame, &s);
        assert_eq!(r, Err(expected), "{what}");
        assert_eq!(b.stats().get(expected.counter()), 1, "{what}");
        assert_eq!(s.stats().get(expected.counter()), 1, "{what}");
        let moved: u64 = b
            .stats()
            .iter()
            .filter(|(c, _)| !matches!(c, Counter::Ipackets | Counter::Ipackets6))
            .map(|(_, v)| v)
            .sum();
        assert_eq!(moved, 1, "{what}: exactly one counter");
        assert_eq!(b.vhost(7).unwrap().state(), before_state, "{what}");
        assert_eq!(b.poll_timeout(), before_deadline, "{what}");
        assert!(b.driver().sent.is_empty(), "{what}");
    }
}

#[test]
fn allow_zero_drops_and_counts() {
    let (mut b, s) = host(12, &[(7, 50)]);
    s.set("allow", 0).unwrap();
    assert_eq!(b.input(us(1), &master_advert(), &s), Err(Reject::Disabled));
    assert_eq!(b.stats().get(Counter::Disabled), 1);
}

#[test]
fn parent_without_vhids_counts_bad_interface() {
    let s = Sysctl::new();
    let mut cif: CarpIf<Mock> = CarpIf::new(Mock::new(12));
    assert_eq!(
        cif.input(us(1), &master_advert(), &s),
        Err(Reject::BadInterface)
    );
}

#[test]
fn replay_enforced_is_counted_and_ignored() {
    let (mut b, s) = host(12, &[(7, 50)]);
    s.set("replay", 2).unwrap();
    let f = master_advert();
    b.input(us(1), &f, &s).unwrap();
    let deadline = b.poll_timeout();
    let r = b.input(us(2), &f, &s);
    assert!(matches!(r, Err(Reject::Replay { .. })));
    assert_eq!(b.stats().get(Counter::Replay), 1);
    assert_eq!(b.poll_timeout(), deadline);
}

#[test]
fn non_carp_frames_are_left_alone() {
    let (mut b, s) = host(12, &[(7, 50)]);
    let mut f = master_advert();
    f[23] = 6; // TCP
    fix_ip_checksum(&mut f);
    assert_eq!(b.input(us(1), &f, &s), Ok(Input::NotCarp));
    assert_eq!(b.input(us(1), &[0u8; 5], &s), Ok(Input::NotCarp));
    assert_eq!(b.stats().iter().map(|(_, v)| v).sum::<u64>(), 0);
}

#[test]
fn takeover_sends_advert_then_gratuitous_arp_and_repeats_it_after_two_adverts() {
    let (mut cif, s) = host(11, &[(7, 10)]);
    let t = cif.poll_timeout().unwrap();
    assert_eq!(t, us(3_039_062));
    cif.handle_timeout(t, &s);
    let sent = take_sent(&mut cif);
    assert_eq!(sent.len(), 2);
    assert_eq!(&sent[0][12..14], &[0x08, 0x00], "advert first");
    assert_eq!(&sent[1][12..14], &[0x08, 0x06], "then ARP");
    let Ok(frame) = parse(LinkType::Ethernet, &sent[1]) else {
        panic!()
    };
    let Body::Arp(arp) = frame.body else { panic!() };
    assert!(arp.is_gratuitous());
    assert_eq!(arp.sender_ip, VADDR);
    assert_eq!(arp.sender_mac, MacAddr([0, 0, 0x5e, 0, 1, 7]));
    assert_eq!(frame.dst, MacAddr::BROADCAST);
    let t2 = cif.poll_timeout().unwrap();
    assert_eq!(t2, us(3_039_062 + 1_039_062));
    cif.handle_timeout(t2, &s);
    let sent = take_sent(&mut cif);
    assert_eq!(sent.len(), 2, "second advert carries the delayed ARP");
    cif.handle_timeout(cif.poll_timeout().unwrap(), &s);
    assert_eq!(take_sent(&mut cif).len(), 1);
    let events: Vec<EventKind> = core::iter::from_fn(|| cif.poll_event())
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
    let (mut m, s) = host(11, &[(7, 10)]);
    let (mut b, sb) = host(12, &[(7, 50)]);
    m.force_state(us(0), 7, State::Master, &s).unwrap();
    take_sent(&mut m);
    let req = arp_request(Ipv4Addr::new(192, 0, 2, 50), VADDR);
    assert_eq!(m.input(us(1), &req, &s), Ok(Input::ArpReplied { vhid: 7 }));
    assert_eq!(b.input(us(1), &req, &sb), Ok(Input::Silent));
    assert!(b.driver().sent.is_empty());
    let reply = take_sent(&mut m).remove(0);
    let Body::Arp(arp) = parse(LinkType::Ethernet, &reply).unwrap().body else {
        panic!()
    };
    assert_eq!(arp.operation, ArpOperation::Reply);
    assert_eq!(arp.sender_mac, MacAddr([0, 0, 0x5e, 0, 1, 7]));
    assert_eq!(&reply[6..12], &[0, 0, 0x5e, 0, 1, 7]);
    // Not a virtual address: not ours.
    let other = arp_request(Ipv4Addr::new(192, 0, 2, 50), Ipv4Addr::new(192, 0, 2, 99));
    assert_eq!(m.input(us(2), &other, &s), Ok(Input::NotCarp));
}

#[test]
fn arpbalance_spreads_requesters_evenly_over_the_masters() {
    // Three hosts share 192.0.2.100 on vhids 1..3; host k is master of vhid k.
    let mut hosts: Vec<(CarpIf<Mock>, Sysctl)> = (1..=3u8)
        .map(|k| {
            let (mut cif, s) = host(10 + k, &[(1, 100), (2, 100), (3, 100)]);
            s.set("arpbalance", 1).unwrap();
            cif.force_state(us(0), k, State::Master, &s).unwrap();
            take_sent(&mut cif);
            (cif, s)
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
        for (i, (cif, s)) in hosts.iter_mut().enumerate() {
            if let Ok(Input::ArpReplied { vhid }) = cif.input(us(1), &req, s) {
                assert_eq!(usize::from(vhid), i + 1);
                assert_eq!(vhid as u32, u32::from(sender) % 3 + 1);
                answered[i] += 1;
                replies += 1;
            }
        }
        assert_eq!(replies, 1, "exactly one host answers {sender}");
    }
    assert_eq!(answered, [100, 100, 100]);
}

#[test]
fn master_answers_neighbour_solicitation_and_announces_na_on_takeover() {
    let v6: Ipv6Addr = "2001:db8::100".parse().unwrap();
    let s = Sysctl::new();
    let mut cif: CarpIf<Mock> = CarpIf::new(Mock::new(11));
    let cfg = config(5, 0).with_address(IpAddr::V6(v6)).unwrap();
    cif.add_vhost(us(0), cfg, 0, &s).unwrap();
    // The two CARP groups and the solicited-node group of the address.
    assert!(cif
        .driver()
        .groups
        .contains(&MacAddr([0x33, 0x33, 0xff, 0x00, 0x01, 0x00])));
    cif.force_state(us(0), 5, State::Master, &s).unwrap();
    let sent = take_sent(&mut cif);
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
    assert_eq!(cif.input(us(1), &ns, &s), Ok(Input::NdReplied { vhid: 5 }));
    cif.force_state(us(2), 5, State::Backup, &s).unwrap();
    take_sent(&mut cif);
    assert_eq!(cif.input(us(3), &ns, &s), Ok(Input::Silent));
    assert!(cif.driver().sent.is_empty());
}

#[test]
fn link_flap_goes_to_init_demotes_the_host_and_recovers() {
    let (mut cif, s) = host(11, &[(1, 0), (2, 0)]);
    cif.force_state(us(0), 1, State::Master, &s).unwrap();
    cif.set_link(us(10), false, &s);
    assert!(cif.vhosts().all(|v| v.state() == State::Init));
    assert_eq!(cif.poll_timeout(), None);
    assert_eq!(s.demotion().get(DemoteReason::LinkDown), 240);
    assert_eq!(s.policy().demotion, 240);
    cif.set_link(us(20), true, &s);
    assert!(cif.vhosts().all(|v| v.state() == State::Backup));
    assert_eq!(s.policy().demotion, 0);
}

#[test]
fn send_errors_demote_the_host_by_the_factor_and_recover() {
    let (mut cif, s) = host(11, &[(1, 0)]);
    cif.force_state(us(0), 1, State::Master, &s).unwrap();
    cif.driver_mut().fail = Some(TxError::NoBuffers);
    let mut now = us(0);
    for _ in 0..3 {
        now = cif.poll_timeout().unwrap();
        cif.handle_timeout(now, &s);
    }
    // Three adverts and the delayed gratuitous ARP of the second one.
    assert_eq!(cif.stats().get(Counter::Onomem), 4);
    assert_eq!(s.stats().get(Counter::Onomem), 4);
    assert_eq!(s.demotion().get(DemoteReason::SendErrors), 240);
    cif.driver_mut().fail = None;
    for _ in 0..3 {
        now = cif.poll_timeout().unwrap();
        cif.handle_timeout(now, &s);
    }
    assert_eq!(s.demotion().get(DemoteReason::SendErrors), 0);
    assert!(now > us(0));
}

#[test]
fn poll_timeout_is_the_earliest_over_all_vhids() {
    let (mut cif, s) = host(11, &[(1, 200), (2, 10), (3, 100)]);
    assert_eq!(cif.poll_timeout(), Some(us(3_039_062)));
    cif.handle_timeout(us(3_039_062), &s);
    assert_eq!(cif.vhost(2).unwrap().state(), State::Master);
    assert_eq!(cif.vhost(1).unwrap().state(), State::Backup);
    // Next: vhid 3's master-down (3 s + 100/256 s), before vhid 2's second
    // advert (+1.039062 s) and vhid 1's master-down (3 s + 200/256 s).
    assert_eq!(cif.poll_timeout(), Some(us(3_390_625)));
    cif.handle_timeout(us(3_390_625), &s);
    assert_eq!(cif.poll_timeout(), Some(us(3_781_250)));
}

#[test]
fn commands_refuse_cleanly() {
    let (mut cif, s) = host(11, &[(1, 0)]);
    assert_eq!(
        cif.add_vhost(us(0), config(1, 5), 0, &s),
        Err(IfError::VhidExists(1))
    );
    assert_eq!(cif.vhost(1).unwrap().config().advskew.get(), 0);
    assert_eq!(
        cif.set_admin(us(0), 9, false, &s),
        Err(IfError::NoSuchVhid(9))
    );
    let mut small: CarpIf<Mock, 1> = CarpIf::new(Mock::new(3));
    small.add_vhost(us(0), config(1, 0), 0, &s).unwrap();
    assert_eq!(
        small.add_vhost(us(0), config(2, 0), 0, &s),
        Err(IfError::Full { capacity: 1 })
    );
}

#[test]
fn two_interfaces_on_a_wire_elect_and_fail_over() {
    let (mut a, sa) = host(11, &[(7, 10)]);
    let (mut b, sb) = host(12, &[(7, 50)]);
    let mut now = us(0);
    let mut a_alive = true;
    while now < Instant::from_secs(30) {
        if now >= Instant::from_secs(10) {
            a_alive = false;
        }
        if a_alive {
            a.handle_timeout(now, &sa);
        }
        b.handle_timeout(now, &sb);
        for f in take_sent(&mut a) {
            if a_alive {
                let _ = b.input(now, &f, &sb);
            }
        }
        for f in take_sent(&mut b) {
            if a_alive {
                let _ = a.input(now, &f, &sa);
            }
        }
        let next_a = if a_alive { a.poll_timeout() } else { None };
        now = [next_a, b.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
            .unwrap();
    }
    assert_eq!(b.vhost(7).unwrap().state(), State::Master);
    let last = b.vhost(7).unwrap().last_heard().unwrap();
    let took = core::iter::from_fn(|| b.poll_event())
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
