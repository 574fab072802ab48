//! VRRPv3 vhids and unicast peers on a `CarpIf`: frames out checked byte
//! by byte, frames in through every check, a CARP and a VRRP vhid side by
//! side on one parent.

use super::test_support::*;
use super::*;
use crate::frame::{parse, Body, Ipv4Repr, Ipv6Repr};
use carp_core::vhost::election::Verdict;
use carp_core::wire::vrrp::{self, PseudoHeader, VrrpFamily, VrrpPacket};
use carp_core::{Counter, Reject, Version};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::vec::Vec;

fn us(n: u64) -> Instant {
    Instant::from_micros(n)
}

fn v4(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, n))
}

fn ll(n: u16) -> Ipv6Addr {
    Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, n)
}

fn vrrp_config(vrid: u8, priority: u8) -> VhostConfig {
    VhostConfig::new(Vhid::new(vrid).unwrap())
        .with_version(Version::Vrrp)
        .with_vrrp_priority(priority)
        .unwrap()
        .with_address(v4(100))
        .unwrap()
}

fn carp_config(vhid: u8) -> VhostConfig {
    VhostConfig::new(Vhid::new(vhid).unwrap())
        .with_passphrase(b"secret42")
        .unwrap()
        .with_address(v4(50))
        .unwrap()
}

fn host_with(n: u8, configs: &[VhostConfig]) -> Host {
    let mut h = Host::bare(n);
    for c in configs {
        h.add(us(0), c.clone(), u64::from(n) << 40).unwrap();
    }
    h.poll(us(0));
    h.nic.sent.clear();
    h
}

/// The first frame a host sends after forcing `vhid` to MASTER.
fn master_frames(h: &mut Host, vhid: u8) -> Vec<Vec<u8>> {
    h.force(us(1), vhid, State::Master).unwrap();
    h.sent(us(1))
}

fn is_advert(frame: &[u8]) -> bool {
    matches!(parse(LinkType::Ethernet, frame), Ok(f) if matches!(f.body,
        Body::Ipv4 { header, .. } if header.protocol == 112)
        || matches!(f.body, Body::Ipv6 { header, .. } if header.next_header == 112))
}

use crate::lladdr::LinkType;

#[test]
fn a_vrrp_master_advertises_per_family_from_the_family_virtual_mac() {
    let config = vrrp_config(7, 200)
        .with_address(IpAddr::V6(ll(0x100)))
        .unwrap();
    let mut h = host_with(11, &[config]);
    let frames: Vec<Vec<u8>> = master_frames(&mut h, 7)
        .into_iter()
        .filter(|f| is_advert(f))
        .collect();
    assert_eq!(frames.len(), 2);
    let f4 = parse(LinkType::Ethernet, &frames[0]).unwrap();
    assert_eq!(f4.src, MacAddr([0, 0, 0x5e, 0, 1, 7]));
    assert_eq!(f4.dst, MacAddr([1, 0, 0x5e, 0, 0, 0x12]));
    let Body::Ipv4 { header, payload } = f4.body else {
        panic!("IPv4")
    };
    assert_eq!((header.ttl, header.dst), (255, carp_core::wire::GROUP_V4));
    let pseudo = PseudoHeader::V4 {
        src: header.src,
        dst: header.dst,
    };
    let p = VrrpPacket::new_checked(payload, VrrpFamily::V4).unwrap();
    assert!(p.verify_checksum(&pseudo));
    assert_eq!(
        (p.vrid(), p.priority(), p.max_adver_int(), p.count()),
        (7, 200, 100, 1)
    );

    let f6 = parse(LinkType::Ethernet, &frames[1]).unwrap();
    assert_eq!(f6.src, MacAddr([0, 0, 0x5e, 0, 2, 7]));
    let Body::Ipv6 { header, payload } = f6.body else {
        panic!("IPv6")
    };
    assert_eq!((header.src, header.hop_limit), (ll(11), 255));
    let pseudo6 = PseudoHeader::V6 {
        src: header.src,
        dst: header.dst,
    };
    assert!(VrrpPacket::new_checked(payload, VrrpFamily::V6)
        .unwrap()
        .verify_checksum(&pseudo6));
    // The master receives on both virtual MACs.
    assert_eq!(
        h.nic.unicast,
        [
            MacAddr([0, 0, 0x5e, 0, 1, 7]),
            MacAddr([0, 0, 0x5e, 0, 2, 7])
        ]
    );
}

/// keepalived 2.2.7's IPv4 advert, the whole Ethernet frame
/// (tests/fixtures/keepalived-vrrp3.pcap, frame 5): vrid 7, priority 200.
const KEEPALIVED_V4: [u8; 50] = [
    0x01, 0x00, 0x5e, 0x00, 0x00, 0x12, 0x02, 0x00, 0x00, 0x00, 0x07, 0x01, 0x08, 0x00, 0x45, 0xc0,
    0x00, 0x24, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0x18, 0x8b, 0xc0, 0x00, 0x02, 0x0b, 0xe0, 0x00,
    0x00, 0x12, 0x31, 0x07, 0xc8, 0x02, 0x00, 0x64, 0xdf, 0x28, 0xc0, 0x00, 0x02, 0x64, 0xc0, 0x00,
    0x02, 0x65,
];

#[test]
fn keepalived_adverts_reach_the_election_and_keep_a_lower_backup_listening() {
    let config = vrrp_config(7, 100).with_address(v4(101)).unwrap();
    let mut h = host_with(12, &[config]);
    let r = h.input(us(1_000), &KEEPALIVED_V4);
    assert_eq!(
        r,
        Ok(Input::Advert {
            vhid: 7,
            verdict: Verdict::KeepListening
        })
    );
    // Master-down from keepalived's interval (100 cs) and our priority 100.
    assert_eq!(h.cif.poll_timeout(), Some(us(1_000 + 3_609_375)));
    assert_eq!(h.cif.stats().get(Counter::Ipackets), 1);
}

#[test]
fn vrrp_checks_run_in_freebsd_order_and_count_once() {
    let mut h = host_with(12, &[vrrp_config(7, 100), carp_config(9)]);
    let mut check = |frame: &[u8], want: Reject| {
        let before = h.cif.stats().clone();
        assert_eq!(h.input(us(5), frame), Err(want), "{want}");
        let moved: u64 = h
            .cif
            .stats()
            .iter()
            .zip(before.iter())
            .map(|((_, a), (_, b))| a - b)
            .sum();
        assert_eq!(moved, 2, "{want}: ipackets and its own counter");
    };
    let edit = |f: &dyn Fn(&mut [u8])| {
        let mut frame = KEEPALIVED_V4;
        f(&mut frame);
        frame
    };
    // Shorter than the two addresses it counts.
    let mut short = KEEPALIVED_V4.to_vec();
    short.truncate(49);
    short[17] = 0x23;
    fix_ip_checksum(&mut short);
    check(&short, Reject::BadLength { len: 15 });
    // vrid 8: not configured; vrid 9: a CARP vhid.
    check(&edit(&|f| f[35] = 8), Reject::BadVhid(8));
    check(&edit(&|f| f[35] = 9), Reject::BadVersion(3));
    // TTL before the checksum, as vrrp_input_c.
    check(
        &edit(&|f| {
            f[22] = 254;
            fix_ip_checksum(f);
            f[40] ^= 0xff;
        }),
        Reject::BadTtl(254),
    );
    check(&edit(&|f| f[40] ^= 0xff), Reject::BadChecksum);
    // A type 2 with its checksum right.
    check(&edit(&|f| refill(f, 0x32)), Reject::BadType(2));
    // Our own advert looped back.
    let mut own = KEEPALIVED_V4;
    own[29] = 12;
    fix_ip_checksum(&mut own);
    refill(&mut own, 0x31);
    check(&own, Reject::Own);
    assert_eq!(h.state(7), State::Backup);
}

/// Re-checksums a VRRP advert of an Ethernet IPv4 frame after setting its
/// version/type byte.
fn refill(frame: &mut [u8], version_type: u8) {
    frame[34] = version_type;
    let (src, dst) = (
        Ipv4Addr::new(frame[26], frame[27], frame[28], frame[29]),
        Ipv4Addr::new(frame[30], frame[31], frame[32], frame[33]),
    );
    vrrp::fill_checksum(&mut frame[34..], &PseudoHeader::V4 { src, dst });
}

/// Re-checksums the IPv4 header (bytes 14..34) after an edit.
fn fix_ip_checksum(frame: &mut [u8]) {
    frame[24] = 0;
    frame[25] = 0;
    let sum = carp_core::wire::checksum(&frame[14..34]);
    frame[24..26].copy_from_slice(&sum.to_be_bytes());
}

#[test]
fn a_carp_and_a_vrrp_vhid_share_a_parent_and_each_elects_alone() {
    let mut a = host_with(11, &[carp_config(1), vrrp_config(2, 200)]);
    let mut b = host_with(12, &[carp_config(1), vrrp_config(2, 100)]);
    // Run both to 10 s, delivering every frame to the other.
    let mut now = us(0);
    while now < Instant::from_secs(10) {
        let next = [a.cif.poll_timeout(), b.cif.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
            .unwrap();
        now = next.max(now);
        for f in a.sent(now) {
            let _ = b.input(now, &f);
        }
        for f in b.sent(now) {
            let _ = a.input(now, &f);
        }
    }
    // CARP: equal advskew, the tie goes to the lower address (ucarp's
    // rank); VRRP: priority 200 wins.
    assert_eq!((a.state(1), a.state(2)), (State::Master, State::Master));
    assert_eq!((b.state(1), b.state(2)), (State::Backup, State::Backup));
    for h in [&a, &b] {
        let s = h.cif.stats();
        assert_eq!(s.get(Counter::Badver) + s.get(Counter::Badauth), 0);
    }
}

fn unicast_host(n: u8, peer: Ipv4Addr, config: VhostConfig) -> Host {
    let config = config.with_peer(IpAddr::V4(peer)).unwrap();
    host_with(n, &[config])
}

#[test]
fn a_unicast_peer_gets_ip_packets_not_frames() {
    let peer = Ipv4Addr::new(198, 51, 100, 224);
    for config in [carp_config(1), vrrp_config(1, 150)] {
        let vrrp = config.is_vrrp();
        let mut h = unicast_host(2, peer, config);
        let frames = master_frames(&mut h, 1);
        assert!(frames.iter().all(|f| !is_advert(f)), "no multicast advert");
        let packet = h.nic.ip_sent.remove(0);
        let (ip, payload) = Ipv4Repr::parse(&packet).unwrap();
        assert_eq!(
            (ip.src, ip.dst, ip.ttl),
            (Ipv4Addr::new(192, 0, 2, 2), peer, 255)
        );
        if vrrp {
            // The checksum covers the peer as destination.
            let pseudo = PseudoHeader::V4 {
                src: ip.src,
                dst: peer,
            };
            assert!(vrrp::verify_checksum(payload, &pseudo));
        } else {
            assert!(carp_core::wire::verify_checksum(payload));
        }
        assert_eq!(h.cif.stats().get(Counter::Opackets), 1);
    }
}

#[test]
fn a_driver_without_an_ip_stack_counts_unicast_adverts_as_send_errors() {
    struct NoIp(Mock);
    impl Driver for NoIp {
        fn transmit(&mut self, frame: &[u8]) -> Result<(), crate::driver::TxError> {
            self.0.transmit(frame)
        }
        fn join_multicast(&mut self, mac: MacAddr) -> Result<(), crate::driver::TxError> {
            self.0.join_multicast(mac)
        }
        fn leave_multicast(&mut self, mac: MacAddr) -> Result<(), crate::driver::TxError> {
            self.0.leave_multicast(mac)
        }
    }
    let mut h = unicast_host(2, Ipv4Addr::new(198, 51, 100, 224), carp_config(1));
    h.force(us(1), 1, State::Master).unwrap();
    let mut nic = NoIp(Mock::default());
    h.cif.poll(us(1), &mut nic, &h.s);
    assert_eq!(h.cif.stats().get(Counter::Senderr), 1);
    assert_eq!(h.cif.stats().get(Counter::Opackets), 0);
}

/// A unicast CARP advert of `from`'s vhid 1 as `to` receives it: the IP
/// packet in an Ethernet frame, TTL as a router left it.
fn unicast_frame(from: &mut Host, ttl: u8) -> Vec<u8> {
    from.force(us(1), 1, State::Master).unwrap();
    from.poll(us(1));
    let mut packet = from.nic.ip_sent.remove(0);
    packet[8] = ttl;
    packet[10] = 0;
    packet[11] = 0;
    let sum = carp_core::wire::checksum(&packet[..20]);
    packet[10..12].copy_from_slice(&sum.to_be_bytes());
    let mut frame = vec![0x02, 0, 0, 0, 0, 3, 0x02, 0, 0, 0, 0, 9, 0x08, 0x00];
    frame.extend_from_slice(&packet);
    frame
}

#[test]
fn unicast_mode_skips_the_ttl_and_admits_only_the_peer_before_the_digest() {
    let (a_addr, b_addr) = (Ipv4Addr::new(192, 0, 2, 2), Ipv4Addr::new(192, 0, 2, 3));
    let mut a = unicast_host(2, b_addr, carp_config(1));
    let mut b = unicast_host(3, a_addr, carp_config(1));
    // Through one router: TTL 254, accepted.
    let routed = unicast_frame(&mut a, 254);
    assert!(matches!(
        b.input(us(2), &routed),
        Ok(Input::Advert { vhid: 1, .. })
    ));
    // From a host that is not the peer, signed with another key: dropped
    // as badpeer before any HMAC work, so badauth does not move.
    let mut stranger = unicast_host(4, b_addr, carp_config(1).with_passphrase(b"wrong").unwrap());
    let forged = unicast_frame(&mut stranger, 255);
    assert_eq!(
        b.input(us(3), &forged),
        Err(Reject::BadPeer(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 4))))
    );
    assert_eq!(b.cif.stats().get(Counter::Badpeer), 1);
    assert_eq!(b.cif.stats().get(Counter::Badauth), 0);
    assert_eq!(b.s.stats().get(Counter::Badpeer), 1);
}

#[test]
fn a_multicast_vhid_beside_a_unicast_one_still_requires_ttl_255() {
    let peer = Ipv4Addr::new(192, 0, 2, 2);
    let mut b = host_with(
        3,
        &[
            carp_config(1).with_peer(IpAddr::V4(peer)).unwrap(),
            carp_config(5),
        ],
    );
    // vhid 5's multicast advert at TTL 254: the check waited for the vhid,
    // then applied.
    let mut a = host_with(2, &[carp_config(5)]);
    let mut frame = master_frames(&mut a, 5).remove(0);
    frame[22] = 254;
    fix_ip_checksum(&mut frame);
    assert_eq!(b.input(us(2), &frame), Err(Reject::BadTtl(254)));
}

#[test]
fn vrrp_answers_arp_and_nd_from_the_family_virtual_mac_and_accepts_only_as_owner() {
    let global: Ipv6Addr = "2001:db8::100".parse().unwrap();
    let config = vrrp_config(7, 100)
        .with_address(IpAddr::V6(global))
        .unwrap();
    let mut h = host_with(11, &[config]);
    h.force(us(1), 7, State::Master).unwrap();
    let requester = Ipv4Addr::new(192, 0, 2, 50);
    assert_eq!(
        h.cif
            .iamatch(Ipv4Addr::new(192, 0, 2, 100), requester, &h.s),
        Some(MacAddr([0, 0, 0x5e, 0, 1, 7]))
    );
    assert_eq!(
        h.cif.source_mac(IpAddr::V6(global)),
        Some(MacAddr([0, 0, 0x5e, 0, 2, 7]))
    );
    let owned: Vec<_> = h.cif.owned_addresses().map(|o| (o.mac, o.accept)).collect();
    assert_eq!(
        owned,
        [
            (MacAddr([0, 0, 0x5e, 0, 1, 7]), false),
            (MacAddr([0, 0, 0x5e, 0, 2, 7]), false)
        ]
    );
    let mut accepting = h.cif.vhost(7).unwrap().config().clone();
    accepting.vrrp.accept = true;
    h.cif.reconfigure(us(2), accepting, &h.s).unwrap();
    assert!(h.cif.owned_addresses().all(|o| o.accept));
}

#[test]
fn a_removed_vrrp_master_bows_out_with_priority_0() {
    let mut h = host_with(11, &[vrrp_config(7, 200)]);
    master_frames(&mut h, 7);
    h.cif.remove_vhost(us(5), 7, &h.s).unwrap();
    let frames = h.sent(us(5));
    let f = parse(LinkType::Ethernet, &frames[0]).unwrap();
    let Body::Ipv4 { payload, .. } = f.body else {
        panic!("IPv4")
    };
    assert_eq!(
        VrrpPacket::new_checked(payload, VrrpFamily::V4)
            .unwrap()
            .priority(),
        0
    );
    assert!(h.nic.unicast.is_empty());
}

#[test]
fn ipv6_unicast_adverts_leave_from_the_global_address_unless_the_peer_is_link_local() {
    let global_peer: Ipv6Addr = "2001:db8:2::2".parse().unwrap();
    for (peer, src) in [
        (global_peer, "2001:db8:1::2".parse::<Ipv6Addr>().unwrap()),
        (ll(3), ll(2)),
    ] {
        let config = VhostConfig::new(Vhid::new(1).unwrap())
            .with_address("2001:db8::1".parse().unwrap())
            .unwrap()
            .with_peer(IpAddr::V6(peer))
            .unwrap();
        let mut h = Host::<DEFAULT_VHIDS>::bare(2);
        let info = parent(2).with_ipv6("2001:db8:1::2".parse().unwrap());
        h.cif.set_parent(info);
        h.add(us(0), config, 1).unwrap();
        h.force(us(1), 1, State::Master).unwrap();
        h.poll(us(1));
        let (ip, _) = Ipv6Repr::parse(&h.nic.ip_sent[0]).unwrap();
        assert_eq!((ip.src, ip.dst, ip.hop_limit), (src, peer, 255));
    }
}
