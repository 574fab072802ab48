//! [`super::super::fast::ipv4_carp`] against [`parse`]: the shortcut takes
//! the ucarp capture, refuses every frame it must leave to `parse`, and
//! never sees a frame differently from `parse` under any one-byte change,
//! truncation or padding of the capture.

use super::*;
use crate::frame::fast::ipv4_carp;

/// Bytes to write at each position of the capture: zero, all ones, and
/// the byte with its lowest or highest bit flipped.
fn variants(byte: u8) -> [u8; 4] {
    [0, 0xff, byte ^ 0x01, byte ^ 0x80]
}

/// Every frame the agreement is checked on: the capture, each one-byte
/// change of it, each truncation, and the capture padded.
fn corpus() -> std::vec::Vec<std::vec::Vec<u8>> {
    let mut frames = std::vec![UCARP_ADVERT.to_vec()];
    for at in 0..UCARP_ADVERT.len() {
        for value in variants(UCARP_ADVERT[at]) {
            let mut frame = UCARP_ADVERT.to_vec();
            frame[at] = value;
            frames.push(frame);
        }
    }
    for len in 0..UCARP_ADVERT.len() {
        frames.push(UCARP_ADVERT[..len].to_vec());
    }
    let mut padded = UCARP_ADVERT.to_vec();
    padded.extend_from_slice(&[0; 8]);
    frames.push(padded);
    frames
}

#[test]
fn the_capture_is_taken_with_parses_values() {
    let packet = ipv4_carp(Ethernet, &UCARP_ADVERT).expect("the capture is IPv4 CARP");
    assert_eq!(Ipv4Addr::from(packet.header.src), SRC4);
    assert_eq!(
        Ipv4Addr::from(packet.header.dst),
        Ipv4Addr::new(224, 0, 0, 18)
    );
    assert_eq!(packet.header.ttl, 255);
    assert!(!packet.header.is_fragment());
    assert_eq!(packet.payload, &carp()[..]);
}

#[test]
fn frames_for_the_general_path_are_refused() {
    let refused = |frame: &[u8], link: LinkType, why: &str| {
        assert!(ipv4_carp(link, frame).is_none(), "taken: {why}");
    };
    refused(&emit(Fddi, Fddi.virtual_mac(7), V4), Fddi, "FDDI");
    refused(
        &emit(TokenRing, TokenRing.virtual_mac(7), V4),
        TokenRing,
        "Token Ring",
    );
    refused(&UCARP_ADVERT, Fddi, "the Ethernet bytes read as FDDI");
    let v6 = emit(Ethernet, VMAC7, AdvertIp::V6 { src: src6() });
    refused(&v6, Ethernet, "IPv6");
    let mut udp = UCARP_ADVERT;
    udp[23] = 17;
    refused(&udp, Ethernet, "protocol 17");
    let mut bad_sum = UCARP_ADVERT;
    bad_sum[24] = 0x12;
    refused(&bad_sum, Ethernet, "a bad header checksum");
    let mut long = UCARP_ADVERT;
    long[17] = 0x39;
    refused(&long, Ethernet, "a total length past the frame");
    let mut short = UCARP_ADVERT;
    short[16..18].copy_from_slice(&[0, 19]);
    refused(&short, Ethernet, "a total length below the header");
    let mut options = UCARP_ADVERT[..14].to_vec();
    options.extend_from_slice(&ipv4_with_one_option_word());
    assert!(matches!(
        parse(Ethernet, &options).unwrap().body,
        Body::Ipv4 { .. }
    ));
    refused(&options, Ethernet, "IPv4 options");
}

#[test]
fn the_shortcut_and_parse_agree_on_every_variant_of_the_capture() {
    let mut taken = 0usize;
    for frame in corpus() {
        let general = parse(Ethernet, &frame);
        let carp_v4 = match &general {
            Ok(Frame {
                body: Body::Ipv4 { header, payload },
                ..
            }) if header.protocol == carp_core::wire::PROTO => Some((header, payload)),
            _ => None,
        };
        let no_options = frame.get(14) == Some(&0x45);
        match (ipv4_carp(Ethernet, &frame), carp_v4) {
            (Some(fast), Some((header, payload))) => {
                taken += 1;
                assert_eq!(Ipv4Addr::from(fast.header.src), header.src, "{frame:02x?}");
                assert_eq!(Ipv4Addr::from(fast.header.dst), header.dst, "{frame:02x?}");
                assert_eq!(fast.header.ttl, header.ttl, "{frame:02x?}");
                assert_eq!(
                    fast.header.is_fragment(),
                    header.is_fragment(),
                    "{frame:02x?}"
                );
                assert_eq!(fast.payload, *payload, "{frame:02x?}");
            }
            (None, Some(_)) => assert!(!no_options, "refused but parse takes it: {frame:02x?}"),
            (Some(_), None) => panic!("taken but parse says {general:?}: {frame:02x?}"),
            (None, None) => {}
        }
    }
    // At least the capture, its padded copy and every change outside the
    // IP header (12 MAC bytes and 36 CARP bytes, four values each), which
    // no IPv4 check reads: 2 + 48 x 4 = 194. The count keeps the test from
    // passing on a shortcut that refuses everything.
    assert!(taken >= 194, "only {taken} frames taken");
}
