//! Neighbour discovery tests on hand-built frames with an independent checksum.

use super::*;
use crate::frame::{parse, Body, MAX_FRAME_LEN};
use std::vec::Vec;

const HOST_MAC: MacAddr = MacAddr([0x86, 0xe1, 0xc0, 0xd8, 0x12, 0xb1]);
const VMAC: MacAddr = MacAddr([0, 0, 0x5e, 0, 1, 7]);

fn host() -> Ipv6Addr {
    "fe80::84e1:c0ff:fed8:12b1".parse().unwrap()
}
fn vip() -> Ipv6Addr {
    "2001:db8::64".parse().unwrap()
}

/// Straightforward RFC 1071 sum over pseudo-header and message,
/// written independently of `Checksum`.
fn reference_icmpv6_sum(src: Ipv6Addr, dst: Ipv6Addr, msg: &[u8]) -> u16 {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&src.octets());
    bytes.extend_from_slice(&dst.octets());
    bytes.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    bytes.extend_from_slice(&[0, 0, 0, 58]);
    bytes.extend_from_slice(msg);
    if bytes.len() % 2 == 1 {
        bytes.push(0);
    }
    let mut sum: u32 = 0;
    for w in bytes.chunks(2) {
        sum += (u32::from(w[0]) << 8) | u32::from(w[1]);
    }
    while sum > 0xffff {
        sum = (sum >> 16) + (sum & 0xffff);
    }
    !(sum as u16)
}

/// A hand-built NS frame on Ethernet from `src` for `target`, with an
/// optional source lladdr option, checksum from the reference sum.
pub(crate) fn ns_frame(src: Ipv6Addr, target: Ipv6Addr, slla: Option<MacAddr>, hop: u8) -> Vec<u8> {
    let dst = crate::lladdr::solicited_node(target);
    let mut msg = std::vec![135, 0, 0, 0, 0, 0, 0, 0];
    msg.extend_from_slice(&target.octets());
    if let Some(mac) = slla {
        msg.extend_from_slice(&[1, 1]);
        msg.extend_from_slice(&mac.0);
    }
    let sum = reference_icmpv6_sum(src, dst, &msg);
    msg[2..4].copy_from_slice(&sum.to_be_bytes());
    let mut f = Vec::new();
    f.extend_from_slice(&LinkType::Ethernet.solicited_node_mac(target).0);
    f.extend_from_slice(&HOST_MAC.0);
    f.extend_from_slice(&[0x86, 0xdd, 0x60, 0, 0, 0, 0, msg.len() as u8, 58, hop]);
    f.extend_from_slice(&src.octets());
    f.extend_from_slice(&dst.octets());
    f.extend_from_slice(&msg);
    f
}

fn parse_ns(frame: &[u8]) -> Result<NeighborSolicit, FrameError> {
    match parse(LinkType::Ethernet, frame)?.body {
        Body::Ipv6 { header, payload } => NeighborSolicit::parse(&header, payload),
        other => panic!("{other:?}"),
    }
}

#[test]
fn parses_neighbor_solicitation_with_source_lladdr() {
    let frame = ns_frame(host(), vip(), Some(HOST_MAC), 255);
    assert_eq!(&frame[..6], &[0x33, 0x33, 0xff, 0, 0, 0x64]);
    let ns = parse_ns(&frame).unwrap();
    assert_eq!(ns.src, host());
    assert_eq!(ns.dst, "ff02::1:ff00:64".parse::<Ipv6Addr>().unwrap());
    assert_eq!(ns.target, vip());
    assert_eq!(ns.source_lladdr, Some(HOST_MAC));
}

#[test]
fn rejects_solicitation_with_hop_limit_254() {
    let frame = ns_frame(host(), vip(), Some(HOST_MAC), 254);
    assert_eq!(parse_ns(&frame), Err(FrameError::BadHopLimit(254)));
}

#[test]
fn rejects_solicitation_with_bad_checksum() {
    let mut frame = ns_frame(host(), vip(), None, 255);
    let good = u16::from_be_bytes([frame[56], frame[57]]);
    frame[57] ^= 0x01;
    assert_eq!(
        parse_ns(&frame),
        Err(FrameError::BadIcmpv6Checksum {
            got: good ^ 1,
            expected: good
        })
    );
}

#[test]
fn rejects_malformed_options_and_dad_with_lladdr() {
    let mut zero_len = ns_frame(host(), vip(), Some(HOST_MAC), 255);
    // Option length 0: fix the checksum so only the option is wrong.
    zero_len[79] = 0;
    let sum = reference_icmpv6_sum(host(), crate::lladdr::solicited_node(vip()), &{
        let mut m = zero_len[54..].to_vec();
        m[2] = 0;
        m[3] = 0;
        m
    });
    zero_len[56..58].copy_from_slice(&sum.to_be_bytes());
    assert_eq!(
        parse_ns(&zero_len),
        Err(FrameError::BadNdOption { kind: 1, len: 0 })
    );

    let dad = ns_frame(Ipv6Addr::UNSPECIFIED, vip(), Some(HOST_MAC), 255);
    assert_eq!(parse_ns(&dad), Err(FrameError::LladdrFromUnspecified));
    let dad = ns_frame(Ipv6Addr::UNSPECIFIED, vip(), None, 255);
    assert_eq!(parse_ns(&dad).unwrap().source_lladdr, None);

    let mcast = ns_frame(host(), "ff02::1".parse().unwrap(), None, 255);
    assert!(matches!(
        parse_ns(&mcast),
        Err(FrameError::MulticastTarget(_))
    ));
}

#[test]
fn every_truncation_of_a_solicitation_is_an_error() {
    let frame = ns_frame(host(), vip(), Some(HOST_MAC), 255);
    for cut in 0..frame.len() {
        assert!(parse_ns(&frame[..cut]).is_err(), "cut {cut}");
    }
    // Inside a consistent IPv6 packet, a short ICMPv6 message is truncated.
    let (ip, payload) = Ipv6Repr::parse(&frame[14..]).unwrap();
    for cut in 0..HEADER_LEN {
        let err = NeighborSolicit::parse(&ip, &payload[..cut]).unwrap_err();
        assert!(err.is_truncated(), "{err}");
    }
}

#[test]
fn solicited_advert_answers_the_soliciter_as_the_virtual_mac() {
    let ns = parse_ns(&ns_frame(host(), vip(), Some(HOST_MAC), 255)).unwrap();
    let mut out = [0u8; MAX_FRAME_LEN];
    let n = emit_solicited_na(
        LinkType::Ethernet,
        VMAC,
        &ns,
        MacAddr::ZERO,
        false,
        &mut out,
    )
    .unwrap();
    assert_eq!(n, advert_frame_len(LinkType::Ethernet));
    assert_eq!(n, 86);
    let f = &out[..n];
    assert_eq!(
        &f[..14],
        &[0x86, 0xe1, 0xc0, 0xd8, 0x12, 0xb1, 0, 0, 0x5e, 0, 1, 7, 0x86, 0xdd]
    );
    assert_eq!(&f[14..22], &[0x60, 0, 0, 0, 0, 32, 58, 255]);
    assert_eq!(&f[22..38], &vip().octets());
    assert_eq!(&f[38..54], &host().octets());
    let msg = &f[54..];
    assert_eq!(&msg[..2], &[136, 0]);
    assert_eq!(
        &msg[4..8],
        &[0x60, 0, 0, 0],
        "solicited + override, not router"
    );
    assert_eq!(&msg[8..24], &vip().octets());
    assert_eq!(&msg[24..], &[2, 1, 0, 0, 0x5e, 0, 1, 7]);
    let mut zeroed = msg.to_vec();
    zeroed[2] = 0;
    zeroed[3] = 0;
    let expected = reference_icmpv6_sum(vip(), host(), &zeroed);
    assert_eq!(u16::from_be_bytes([msg[2], msg[3]]), expected);

    let Body::Ipv6 { header, payload } = parse(LinkType::Ethernet, f).unwrap().body else {
        panic!()
    };
    let na = NeighborAdvert::parse(&header, payload).unwrap();
    assert!(na.solicited && na.override_flag && !na.router);
    assert_eq!(na.target_lladdr, Some(VMAC));
}

#[test]
fn solicited_advert_without_lladdr_option_goes_to_the_frame_source() {
    let ns = parse_ns(&ns_frame(host(), vip(), None, 255)).unwrap();
    let mut out = [0u8; MAX_FRAME_LEN];
    let n = emit_solicited_na(LinkType::Ethernet, VMAC, &ns, HOST_MAC, false, &mut out).unwrap();
    assert_eq!(&out[..6], &HOST_MAC.0);
    assert_eq!(n, 86);
}

#[test]
fn dad_solicitation_is_answered_to_all_nodes_unsolicited() {
    let ns = parse_ns(&ns_frame(Ipv6Addr::UNSPECIFIED, vip(), None, 255)).unwrap();
    let mut out = [0u8; MAX_FRAME_LEN];
    let n = emit_solicited_na(LinkType::Ethernet, VMAC, &ns, HOST_MAC, false, &mut out).unwrap();
    let Body::Ipv6 { header, payload } = parse(LinkType::Ethernet, &out[..n]).unwrap().body else {
        panic!()
    };
    assert_eq!(header.dst, ALL_NODES);
    assert_eq!(&out[..6], &[0x33, 0x33, 0, 0, 0, 1]);
    assert!(!NeighborAdvert::parse(&header, payload).unwrap().solicited);
}

#[test]
fn unsolicited_advert_on_every_link_type() {
    for link in [LinkType::Ethernet, LinkType::Fddi, LinkType::TokenRing] {
        let vmac = link.virtual_mac(7);
        let mut out = [0u8; MAX_FRAME_LEN];
        let n = emit_unsolicited_na(link, vmac, vip(), false, &mut out).unwrap();
        assert_eq!(n, advert_frame_len(link));
        let f = parse(link, &out[..n]).unwrap();
        assert_eq!(f.dst, link.all_nodes_mac());
        assert_eq!(f.src, vmac);
        let Body::Ipv6 { header, payload } = f.body else {
            panic!()
        };
        assert_eq!(
            (header.src, header.dst, header.hop_limit),
            (vip(), ALL_NODES, 255)
        );
        assert_eq!(payload[4], 0x20, "override only");
        let mut zeroed = payload.to_vec();
        zeroed[2] = 0;
        zeroed[3] = 0;
        assert_eq!(
            u16::from_be_bytes([payload[2], payload[3]]),
            reference_icmpv6_sum(vip(), ALL_NODES, &zeroed)
        );
        let na = NeighborAdvert::parse(&header, payload).unwrap();
        assert_eq!(
            na,
            NeighborAdvert {
                src: vip(),
                dst: ALL_NODES,
                target: vip(),
                router: false,
                solicited: false,
                override_flag: true,
                target_lladdr: Some(vmac),
            }
        );
        for cut in 0..n {
            assert!(parse(link, &out[..cut]).is_err());
        }
        let mut small = [0u8; 40];
        assert!(matches!(
            emit_unsolicited_na(link, vmac, vip(), false, &mut small),
            Err(FrameError::BufferTooSmall { .. })
        ));
    }
}

#[test]
fn advert_is_not_taken_for_a_solicitation() {
    let mut out = [0u8; MAX_FRAME_LEN];
    let n = emit_unsolicited_na(LinkType::Ethernet, VMAC, vip(), false, &mut out).unwrap();
    assert_eq!(
        parse_ns(&out[..n]),
        Err(FrameError::NotNeighborSolicitation(136))
    );
    let mut carp = [0u8; MAX_FRAME_LEN];
    let n = crate::frame::emit_advert(
        LinkType::Ethernet,
        VMAC,
        crate::frame::AdvertIp::V6 { src: host() },
        &[0; 36],
        &mut carp,
    )
    .unwrap();
    assert_eq!(parse_ns(&carp[..n]), Err(FrameError::NotIcmpv6(112)));
}
