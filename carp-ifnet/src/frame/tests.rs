//! Frame tests on real bytes: the ucarp capture, hand-derived FDDI/Token
//! Ring/IPv6 frames, round trips, truncations and garbage.

use super::*;
use crate::lladdr::LinkType::{Ethernet, Fddi, TokenRing};

const LINKS: [LinkType; 3] = [Ethernet, Fddi, TokenRing];

/// Second frame of ucarp-v4-vhid7.pcap: an advert from 192.0.2.11, vhid 7.
const UCARP_ADVERT: [u8; 70] = [
    0x01, 0x00, 0x5e, 0x00, 0x00, 0x12, 0x00, 0x00, 0x5e, 0x00, 0x00, 0x07, 0x08,
    0x00, // Ethernet
    0x45, 0x10, 0x00, 0x38, 0xd6, 0x8d, 0x40, 0x00, 0xff, 0x70, 0x02, 0x9a, // IPv4
    0xc0, 0x00, 0x02, 0x0b, 0xe0, 0x00, 0x00, 0x12, //
    0x21, 0x07, 0x0a, 0x07, 0x00, 0x01, 0xd0, 0x03, 0xf4, 0xe6, 0xc6, 0x34, 0x74, 0xc1, 0xc2,
    0x7c, // CARP
    0x6f, 0x72, 0xb5, 0x33, 0xdf, 0x28, 0xe2, 0x87, 0x78, 0xa4, 0x45, 0x6b, 0x78, 0xd7, 0x1d, 0xc7,
    0x7f, 0x84, 0x58, 0x09,
];

fn carp() -> [u8; 36] {
    UCARP_ADVERT[34..].try_into().unwrap()
}

const SRC4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 11);
const V4: AdvertIp = AdvertIp::V4 {
    src: SRC4,
    tos: 0x10,
    ident: 0xd68d,
};
const VMAC7: MacAddr = MacAddr([0, 0, 0x5e, 0, 1, 7]);

fn src6() -> Ipv6Addr {
    "fe80::a022:75ff:fe58:bc15".parse().unwrap()
}

fn emit(link: LinkType, mac: MacAddr, ip: AdvertIp) -> std::vec::Vec<u8> {
    let mut out = [0u8; MAX_FRAME_LEN];
    let n = emit_advert(link, mac, ip, &carp(), &mut out).unwrap();
    assert_eq!(n, advert_frame_len(link, ip));
    out[..n].to_vec()
}

#[test]
fn ethernet_ipv4_advert_matches_ucarp_capture_but_for_the_source_mac() {
    let frame = emit(Ethernet, VMAC7, V4);
    assert_eq!(frame.len(), 70);
    assert_eq!(frame[..6], UCARP_ADVERT[..6]);
    assert_eq!(
        frame[6..12],
        VMAC7.0,
        "BSD virtual MAC, not ucarp's 00:00:5e:00:00:07"
    );
    // Same ident as captured, so the IP header (checksum 0x029a included)
    // and the CARP bytes are identical.
    assert_eq!(frame[12..], UCARP_ADVERT[12..]);
}

#[test]
fn parses_ucarp_advert_from_capture() {
    let f = parse(Ethernet, &UCARP_ADVERT).unwrap();
    assert_eq!(f.dst, MacAddr([1, 0, 0x5e, 0, 0, 0x12]));
    assert_eq!(f.src, MacAddr([0, 0, 0x5e, 0, 0, 7]));
    let Body::Ipv4 { header, payload } = f.body else {
        panic!("{:?}", f.body)
    };
    assert_eq!(header.src, SRC4);
    assert_eq!(header.dst, carp_core::wire::GROUP_V4);
    assert_eq!(
        (header.ttl, header.protocol, header.tos, header.ident),
        (255, 112, 0x10, 0xd68d)
    );
    assert!(header.dont_fragment && !header.is_fragment());
    assert_eq!(payload, &carp()[..]);
}

#[test]
fn fddi_ipv4_advert_bytes() {
    let frame = emit(Fddi, VMAC7, V4);
    let mut expected = std::vec![0x50, 0x01, 0x00, 0x5e, 0x00, 0x00, 0x12, 0, 0, 0x5e, 0, 1, 7];
    expected.extend_from_slice(&[0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00]);
    expected.extend_from_slice(&UCARP_ADVERT[14..]);
    assert_eq!(frame, expected);
    assert_eq!(frame.len(), 21 + 20 + 36);
}

#[test]
fn token_ring_ipv4_advert_bytes() {
    let vmac = TokenRing.virtual_mac(7);
    let frame = emit(TokenRing, vmac, V4);
    let mut expected =
        std::vec![0x10, 0x40, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x03, 0x00, 0x01, 0, 0, 0];
    expected.extend_from_slice(&[0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00]);
    expected.extend_from_slice(&UCARP_ADVERT[14..]);
    assert_eq!(frame, expected);
}

#[test]
fn freebsd_dscp_tos_changes_only_tos_and_checksum() {
    let frame = emit(
        Ethernet,
        VMAC7,
        AdvertIp::V4 {
            src: SRC4,
            tos: 56 << 2,
            ident: 0xd68d,
        },
    );
    assert_eq!(frame[15], 0xe0);
    // The word 0x4510 became 0x45e0: the checksum drops by 0xd0.
    let sum = u16::from_be_bytes([frame[24], frame[25]]);
    assert_eq!(sum, 0x029a - 0xd0);
    assert!(carp_core::wire::verify_checksum(&frame[14..34]));
}

#[test]
fn ethernet_ipv6_advert_bytes() {
    let frame = emit(Ethernet, VMAC7, AdvertIp::V6 { src: src6() });
    let mut expected = std::vec![0x33, 0x33, 0, 0, 0, 0x12, 0, 0, 0x5e, 0, 1, 7, 0x86, 0xdd];
    expected.extend_from_slice(&[0x60, 0, 0, 0, 0x00, 0x24, 0x70, 0xff]);
    expected.extend_from_slice(&[
        0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0xa0, 0x22, 0x75, 0xff, 0xfe, 0x58, 0xbc, 0x15,
    ]);
    expected.extend_from_slice(&[0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12]);
    expected.extend_from_slice(&carp());
    assert_eq!(frame, expected);
    assert_eq!(frame.len(), 14 + 40 + 36);
}

#[test]
fn longest_advert_is_max_frame_len() {
    // CARP's longest: IPv6 on Token Ring, 98 bytes.
    let frame = emit(
        TokenRing,
        TokenRing.virtual_mac(1),
        AdvertIp::V6 { src: src6() },
    );
    assert_eq!(frame.len(), 98);
    // VRRP's: eight IPv6 addresses, 100 bytes more.
    let vrrp = [0u8; MAX_ADVERT_LEN];
    let mut out = [0u8; MAX_FRAME_LEN];
    let n = emit_group_advert(
        TokenRing,
        TokenRing.virtual_mac(1),
        AdvertIp::V6 { src: src6() },
        &vrrp,
        &mut out,
    )
    .unwrap();
    assert_eq!((n, MAX_FRAME_LEN), (198, 198));
    assert_eq!(&frame[..2], &[0x10, 0x40]);
    assert_eq!(&frame[20..22], &[0x86, 0xdd]);
}

#[test]
fn unicast_adverts_are_ip_packets_to_the_peer_with_ttl_255() {
    let peer = Ipv4Addr::new(198, 51, 100, 224);
    let ip = UnicastIp::V4 {
        src: Ipv4Addr::new(198, 51, 100, 2),
        dst: peer,
        tos: 0x10,
        ident: 7,
    };
    let mut out = [0u8; MAX_IP_ADVERT_LEN];
    let n = emit_unicast_advert(ip, &carp(), &mut out).unwrap();
    let (h, payload) = Ipv4Repr::parse(&out[..n]).unwrap();
    assert_eq!(
        (h.dst, h.ttl, h.protocol, h.dont_fragment),
        (peer, 255, 112, true)
    );
    assert_eq!(payload, &carp()[..]);
    let peer6: Ipv6Addr = "2001:db8:2::2".parse().unwrap();
    let ip6 = UnicastIp::V6 {
        src: "2001:db8:1::2".parse().unwrap(),
        dst: peer6,
    };
    let n = emit_unicast_advert(ip6, &carp(), &mut out).unwrap();
    let (h, payload) = Ipv6Repr::parse(&out[..n]).unwrap();
    assert_eq!(
        (h.dst, h.hop_limit, h.next_header, n),
        (peer6, 255, 112, 76)
    );
    assert_eq!(payload, &carp()[..]);
    assert!(emit_unicast_advert(ip6, &carp(), &mut out[..75]).is_err());
}

#[test]
fn every_advert_round_trips_through_parse() {
    for link in LINKS {
        let vmac = link.virtual_mac(7);
        for ip in [V4, AdvertIp::V6 { src: src6() }] {
            let frame = emit(link, vmac, ip);
            let f = parse(link, &frame).unwrap();
            assert_eq!(f.src, vmac, "{link:?}");
            match (ip, f.body) {
                (AdvertIp::V4 { src, tos, ident }, Body::Ipv4 { header, payload }) => {
                    assert_eq!(f.dst, link.multicast_mac_v4());
                    assert_eq!(header, Ipv4Repr::advert(src, tos, ident, 36));
                    assert_eq!(payload, &carp()[..]);
                }
                (AdvertIp::V6 { src }, Body::Ipv6 { header, payload }) => {
                    assert_eq!(f.dst, link.multicast_mac_v6());
                    assert_eq!(header, Ipv6Repr::advert(src, 36));
                    assert_eq!(payload, &carp()[..]);
                }
                other => panic!("{link:?}: {other:?}"),
            }
        }
    }
}

#[test]
fn every_truncation_of_an_advert_is_an_error() {
    for link in LINKS {
        for ip in [V4, AdvertIp::V6 { src: src6() }] {
            let frame = emit(link, link.virtual_mac(9), ip);
            let ip_start = link_header_len(link);
            for cut in 0..frame.len() {
                let err = parse(link, &frame[..cut]).unwrap_err();
                if cut
                    < ip_start
                        + if matches!(ip, AdvertIp::V4 { .. }) {
                            20
                        } else {
                            40
                        }
                {
                    assert!(err.is_truncated(), "{link:?} cut {cut}: {err}");
                } else {
                    assert!(
                        matches!(
                            err,
                            FrameError::BadIpv4TotalLen { .. }
                                | FrameError::BadIpv6PayloadLen { .. }
                        ),
                        "{link:?} cut {cut}: {err}"
                    );
                }
            }
        }
    }
}

#[test]
fn link_padding_after_the_ip_packet_is_dropped() {
    let mut padded = UCARP_ADVERT.to_vec();
    padded.extend_from_slice(&[0; 8]);
    let Body::Ipv4 { payload, .. } = parse(Ethernet, &padded).unwrap().body else {
        panic!()
    };
    assert_eq!(payload.len(), 36);
}

#[test]
fn rejects_bad_ipv4_checksum_and_reports_the_right_one() {
    let mut bad = UCARP_ADVERT;
    bad[24] = 0x12;
    assert_eq!(
        parse(Ethernet, &bad),
        Err(FrameError::BadIpv4Checksum {
            got: 0x129a,
            expected: 0x029a
        })
    );
}

#[test]
fn rejects_wrong_ip_version_and_short_ihl() {
    let mut v6 = UCARP_ADVERT;
    v6[14] = 0x65;
    assert_eq!(parse(Ethernet, &v6), Err(FrameError::BadIpVersion(6)));
    let mut ihl4 = UCARP_ADVERT;
    ihl4[14] = 0x44;
    assert_eq!(parse(Ethernet, &ihl4), Err(FrameError::BadIpv4HeaderLen(4)));
    let (_, eth_v6) = (0, emit(Ethernet, VMAC7, AdvertIp::V6 { src: src6() }));
    let mut wrong = eth_v6.clone();
    wrong[14] = 0x40;
    assert_eq!(parse(Ethernet, &wrong), Err(FrameError::BadIpVersion(4)));
}

/// The captured IPv4 packet with IHL 6 and one word of NOP options, its
/// header checksum fixed.
fn ipv4_with_one_option_word() -> std::vec::Vec<u8> {
    let mut ip = std::vec![0x46, 0x10, 0x00, 0x3c, 0xd6, 0x8d, 0x40, 0x00, 0xff, 0x70, 0x00, 0x00];
    ip.extend_from_slice(&[0xc0, 0x00, 0x02, 0x0b, 0xe0, 0x00, 0x00, 0x12, 1, 1, 1, 1]);
    let sum = carp_core::wire::checksum(&ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    ip.extend_from_slice(&carp());
    ip
}

#[test]
fn ipv4_options_are_skipped() {
    let ip = ipv4_with_one_option_word();
    let (repr, payload) = Ipv4Repr::parse(&ip).unwrap();
    assert_eq!(repr.payload_len, 36);
    assert_eq!(payload, &carp()[..]);
    // Options cut off: truncated, not a panic.
    assert!(Ipv4Repr::parse(&ip[..22]).unwrap_err().is_truncated());
}

#[test]
fn token_ring_routing_information_is_skipped() {
    let frame = emit(TokenRing, TokenRing.virtual_mac(7), V4);
    for rif_len in [2usize, 6, 18] {
        let mut routed = frame[..14].to_vec();
        routed[8] |= token_ring::ROUTE_BIT;
        routed.push(rif_len as u8); // broadcast bits 0, length
        routed.extend(std::iter::repeat_n(0x30u8, rif_len - 1));
        routed.extend_from_slice(&frame[14..]);
        let f = parse(TokenRing, &routed).unwrap();
        assert_eq!(f.src, TokenRing.virtual_mac(7), "route bit cleared");
        assert!(matches!(f.body, Body::Ipv4 { .. }));
    }
    for bad_len in [0u8, 1, 3, 20] {
        let mut routed = frame[..14].to_vec();
        routed[8] |= token_ring::ROUTE_BIT;
        routed.push(bad_len);
        routed.extend_from_slice(&frame[14..]);
        assert_eq!(
            parse(TokenRing, &routed),
            Err(FrameError::BadRouteInfoLen(usize::from(bad_len)))
        );
    }
}

#[test]
fn rejects_non_llc_frame_control_and_non_snap_llc() {
    let mut smt = emit(Fddi, VMAC7, V4);
    smt[0] = 0x41;
    assert_eq!(
        parse(Fddi, &smt),
        Err(FrameError::UnsupportedFrameControl(0x41))
    );
    let mut prio = emit(Fddi, VMAC7, V4);
    prio[0] = 0x53;
    assert!(parse(Fddi, &prio).is_ok(), "LLC async of any priority");
    let mut mac_frame = emit(TokenRing, VMAC7, V4);
    mac_frame[1] = 0x01;
    assert_eq!(
        parse(TokenRing, &mac_frame),
        Err(FrameError::UnsupportedFrameControl(0x01))
    );
    let mut netbios = emit(TokenRing, VMAC7, V4);
    netbios[14] = 0xf0;
    netbios[15] = 0xf0;
    assert_eq!(
        parse(TokenRing, &netbios),
        Err(FrameError::NotSnap {
            dsap: 0xf0,
            ssap: 0xf0,
            control: 3
        })
    );
}

#[test]
fn unknown_ethertypes_are_reported_not_rejected() {
    let mut vlan = UCARP_ADVERT;
    vlan[12] = 0x81;
    vlan[13] = 0x00;
    let f = parse(Ethernet, &vlan).unwrap();
    assert_eq!(
        f.body,
        Body::Other {
            ethertype: 0x8100,
            payload: &UCARP_ADVERT[14..]
        }
    );
}

#[test]
fn small_output_buffer_is_an_error_not_a_panic() {
    for link in LINKS {
        let need = advert_frame_len(link, V4);
        let mut out = std::vec![0u8; need - 1];
        assert_eq!(
            emit_advert(link, VMAC7, V4, &carp(), &mut out),
            Err(FrameError::BufferTooSmall {
                len: need - 1,
                need
            })
        );
    }
    let mut tiny = [0u8; 10];
    assert!(Ipv4Repr::advert(SRC4, 0x10, 1, 36).emit(&mut tiny).is_err());
    assert!(Ipv6Repr::advert(src6(), 36).emit(&mut tiny).is_err());
    let huge = Ipv4Repr::advert(SRC4, 0x10, 1, 65_516);
    assert_eq!(
        huge.to_header(),
        Err(FrameError::PayloadTooLong { len: 65_516 })
    );
}

#[test]
fn garbage_never_panics() {
    let mut x: u32 = 0x9e37_79b9;
    let mut buf = [0u8; 128];
    let seed = UCARP_ADVERT;
    for round in 0..20_000 {
        for b in buf.iter_mut() {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            *b = x as u8;
        }
        // Half the rounds start from a valid frame with a few bytes changed.
        if round % 2 == 0 {
            buf[..70].copy_from_slice(&seed);
            let i = (x as usize) % 70;
            buf[i] ^= (x >> 8) as u8;
            buf[(x as usize >> 12) % 70] = (x >> 20) as u8;
        }
        let len = (x as usize >> 3) % buf.len();
        for link in LINKS {
            let _ = parse(link, &buf[..len]);
        }
    }
}

#[test]
fn errors_display_their_values() {
    use std::string::ToString;
    assert_eq!(
        FrameError::truncated(Layer::Ipv4, 3, 20).to_string(),
        "truncated IPv4 header: 3 bytes, need 20"
    );
    assert_eq!(
        FrameError::BadIpv4Checksum {
            got: 0x129a,
            expected: 0x029a
        }
        .to_string(),
        "bad IPv4 header checksum 0x129a, expected 0x029a"
    );
}

mod fast;
