//! VRRPv3 on real bytes: two adverts keepalived 2.2.7 sent
//! (tests/fixtures/keepalived-vrrp3.pcap, frames 5 and 1), decoded by
//! tshark as VRRP with a good checksum.

use super::*;
use std::vec::Vec;

/// Frame 5: IPv4 192.0.2.11 -> 224.0.0.18, vrid 7, priority 200, 100 cs,
/// 192.0.2.100 and 192.0.2.101, checksum 0xdf28.
static KA_V4: [u8; 16] = [
    0x31, 0x07, 0xc8, 0x02, 0x00, 0x64, 0xdf, 0x28, 0xc0, 0x00, 0x02, 0x64, 0xc0, 0x00, 0x02, 0x65,
];
const KA_V4_PSEUDO: PseudoHeader = PseudoHeader::V4 {
    src: Ipv4Addr::new(192, 0, 2, 11),
    dst: Ipv4Addr::new(224, 0, 0, 18),
};

/// Frame 1: IPv6 fe80::ff:fe00:701 -> ff02::12, vrid 9, priority 150,
/// 50 cs, fe80::1:9 then 2001:db8::100, checksum 0x074f.
static KA_V6: [u8; 40] = [
    0x31, 0x09, 0x96, 0x02, 0x00, 0x32, 0x07, 0x4f, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0x01, 0x00, 0x09, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00,
];
const KA_V6_PSEUDO: PseudoHeader = PseudoHeader::V6 {
    src: Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0xff, 0xfe00, 0x0701),
    dst: Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12),
};

fn v4(a: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, a))
}

#[test]
fn deconstruct_keepalived_ipv4() {
    let p = VrrpPacket::new_checked(&KA_V4[..], VrrpFamily::V4).unwrap();
    assert_eq!(
        (p.version(), p.kind(), p.vrid(), p.priority()),
        (3, 1, 7, 200)
    );
    assert_eq!(
        (p.count(), p.max_adver_int(), p.checksum_field()),
        (2, 100, 0xdf28)
    );
    assert_eq!(p.addresses().collect::<Vec<_>>(), [v4(100), v4(101)]);
    assert!(p.verify_checksum(&KA_V4_PSEUDO));
}

#[test]
fn deconstruct_keepalived_ipv6() {
    let p = VrrpPacket::new_checked(&KA_V6[..], VrrpFamily::V6).unwrap();
    assert_eq!(
        (p.vrid(), p.priority(), p.count(), p.max_adver_int()),
        (9, 150, 2, 50)
    );
    let addrs: Vec<IpAddr> = p.addresses().collect();
    assert_eq!(
        addrs,
        [
            "fe80::1:9".parse::<IpAddr>().unwrap(),
            "2001:db8::100".parse().unwrap()
        ]
    );
    assert!(p.verify_checksum(&KA_V6_PSEUDO));
}

#[test]
fn emit_rebuilds_keepalived_bytes_exactly() {
    let addrs = [v4(100), v4(101), "2001:db8::1".parse().unwrap()];
    let mut out = [0u8; 64];
    let len = emit(7, 200, 100, VrrpFamily::V4, &addrs, &mut out).unwrap();
    fill_checksum(&mut out[..len], &KA_V4_PSEUDO);
    assert_eq!(out[..len], KA_V4);

    let addrs6: Vec<IpAddr> = VrrpPacket::new_checked(&KA_V6[..], VrrpFamily::V6)
        .unwrap()
        .addresses()
        .collect();
    let len = emit(9, 150, 50, VrrpFamily::V6, &addrs6, &mut out).unwrap();
    fill_checksum(&mut out[..len], &KA_V6_PSEUDO);
    assert_eq!(out[..len], KA_V6);
}

#[test]
fn parse_checks_length_version_type_then_checksum() {
    let p = VrrpPacket::new_checked(&KA_V4[..], VrrpFamily::V4).unwrap();
    let a = VrrpAdvert::parse(&p, &KA_V4_PSEUDO).unwrap();
    assert_eq!((a.vrid, a.priority, a.max_adver_int), (7, 200, 100));
    assert_eq!(a.addresses.collect::<Vec<_>>(), [v4(100), v4(101)]);
    assert!(!a.is_bow_out());

    // The pseudo-header is part of the sum: another destination fails.
    let unicast = PseudoHeader::V4 {
        src: Ipv4Addr::new(192, 0, 2, 11),
        dst: Ipv4Addr::new(192, 0, 2, 12),
    };
    assert!(matches!(
        VrrpAdvert::parse(&p, &unicast),
        Err(VrrpError::BadChecksum { got: 0xdf28, .. })
    ));
    let mut fixed = KA_V4;
    fill_checksum(&mut fixed, &unicast);
    let p = VrrpPacket::new_checked(&fixed[..], VrrpFamily::V4).unwrap();
    assert!(VrrpAdvert::parse(&p, &unicast).is_ok());

    // Truncated: the header counts two addresses.
    assert_eq!(
        VrrpPacket::new_checked(&KA_V4[..15], VrrpFamily::V4),
        Err(VrrpError::Truncated { len: 15, need: 16 })
    );
    assert_eq!(
        VrrpPacket::new_checked(&KA_V4[..7], VrrpFamily::V4),
        Err(VrrpError::Truncated { len: 7, need: 8 })
    );
    // Read as IPv6, the same count needs 40 bytes.
    assert!(VrrpPacket::new_checked(&KA_V4[..], VrrpFamily::V6).is_err());

    let mut bad = KA_V4;
    bad[0] = 0x21;
    let p = VrrpPacket::new_checked(&bad[..], VrrpFamily::V4).unwrap();
    assert_eq!(
        VrrpAdvert::parse(&p, &KA_V4_PSEUDO),
        Err(VrrpError::BadVersion(2))
    );
    bad[0] = 0x32;
    let p = VrrpPacket::new_checked(&bad[..], VrrpFamily::V4).unwrap();
    assert_eq!(
        VrrpAdvert::parse(&p, &KA_V4_PSEUDO),
        Err(VrrpError::BadType(2))
    );
}

#[test]
fn trailing_bytes_are_not_the_message() {
    // Ethernet pads a 16-byte VRRP advert: the padding is not summed.
    let mut padded = [0u8; 26];
    padded[..16].copy_from_slice(&KA_V4);
    padded[16..].fill(0xa5);
    let p = VrrpPacket::new_checked(&padded[..], VrrpFamily::V4).unwrap();
    assert_eq!(p.message(), &KA_V4[..]);
    assert!(p.verify_checksum(&KA_V4_PSEUDO));
}

#[test]
fn reserved_interval_bits_are_ignored_and_never_sent() {
    let mut b = KA_V4;
    b[4] |= 0xf0;
    let p = VrrpPacket::new_checked(&b[..], VrrpFamily::V4).unwrap();
    assert_eq!(p.max_adver_int(), 100);
    let mut out = [0u8; 8];
    emit(1, 100, 0xffff, VrrpFamily::V4, &[], &mut out).unwrap();
    assert_eq!(out[4..6], [0x0f, 0xff]);
}

#[test]
fn emit_refuses_a_short_buffer() {
    let mut out = [0u8; 11];
    assert_eq!(
        emit(7, 200, 100, VrrpFamily::V4, &[v4(100)], &mut out),
        None
    );
    assert_eq!(
        emit(7, 200, 100, VrrpFamily::V4, &[v4(100)], &mut out[..7]),
        None
    );
}

#[test]
fn both_zeros_verify_as_for_carp() {
    // A message whose other bytes sum to 0xffff with the pseudo-header
    // checks with the field 0x0000 (what we emit) or 0xffff.
    let pseudo = KA_V4_PSEUDO;
    let msg = (0..=u16::MAX)
        .map(|n| {
            let [vrid, prio] = n.to_be_bytes();
            [0x31, vrid, prio, 0, 0, 100, 0, 0]
        })
        .find(|m| checksum(m, &pseudo) == 0)
        .unwrap();
    assert!(verify_checksum(&msg, &pseudo));
    let mut ones = msg;
    ones[6..8].copy_from_slice(&[0xff, 0xff]);
    assert!(verify_checksum(&ones, &pseudo));
}
