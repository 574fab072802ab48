//! Any bytes as a CARP header: parsing never panics, and whatever parses is
//! emitted back byte for byte (parse demands a valid checksum, so nothing
//! is left for emit to normalise, except the choice between the two
//! one's-complement zeros in the checksum field).
//!
//! The same bytes as a VRRPv3 message over IPv4 and over IPv6, with a
//! pseudo-header of fixed addresses: parsing never panics, whatever parses
//! is emitted back (but the reserved interval bits and the two zeros), and
//! filling the checksum always makes it verify.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use carp_core::wire::vrrp::{
    self, PseudoHeader, VrrpAdvert, VrrpError, VrrpPacket, VRRP_HEADER_LEN,
};
use carp_core::wire::{checksum, verify_checksum, Advert, Packet, WireError, HEADER_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    vrrp_round_trip(data);
    carp_round_trip(data);
});

const PSEUDO: [PseudoHeader; 2] = [
    PseudoHeader::V4 {
        src: Ipv4Addr::new(192, 0, 2, 11),
        dst: Ipv4Addr::new(224, 0, 0, 18),
    },
    PseudoHeader::V6 {
        src: Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0xff, 0xfe00, 0x0701),
        dst: Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12),
    },
];

fn vrrp_round_trip(data: &[u8]) {
    for pseudo in PSEUDO {
        let family = pseudo.family();
        let packet = match VrrpPacket::new_checked(data, family) {
            Ok(p) => p,
            Err(VrrpError::Truncated { len, need }) => {
                assert_eq!(len, data.len());
                assert!(need > len && need >= VRRP_HEADER_LEN);
                continue;
            }
            Err(e) => panic!("new_checked: {e:?}"),
        };
        let message = packet.message();
        assert_eq!(message.len(), packet.message_len());
        assert_eq!(packet.addresses().count(), usize::from(packet.count()));
        match VrrpAdvert::parse(&packet, &pseudo) {
            Ok(advert) => {
                assert!(packet.verify_checksum(&pseudo));
                assert_eq!((advert.vrid, advert.priority), (data[1], data[2]));
                let addrs: Vec<IpAddr> = advert.addresses.collect();
                let mut out = vec![0u8; message.len()];
                let n = vrrp::emit(
                    advert.vrid,
                    advert.priority,
                    advert.max_adver_int,
                    family,
                    &addrs,
                    &mut out,
                )
                .expect("room for what was parsed");
                assert_eq!(n, message.len());
                vrrp::fill_checksum(&mut out, &pseudo);
                // The reserved high nibble of the interval is not kept; the
                // checksum then differs too, unless only its zero form does.
                if data[4] & 0xf0 == 0 && out[..] != *message {
                    assert_eq!(&out[..6], &message[..6]);
                    assert_eq!(&out[8..], &message[8..]);
                    assert_eq!(
                        (&message[6..8], &out[6..8]),
                        (&[0xff, 0xff][..], &[0, 0][..])
                    );
                }
                assert!(vrrp::verify_checksum(&out, &pseudo));
            }
            Err(VrrpError::BadChecksum { got, expected }) => {
                assert!(!packet.verify_checksum(&pseudo));
                assert_eq!(got, packet.checksum_field());
                assert_eq!(expected, vrrp::checksum(message, &pseudo));
            }
            Err(e) => assert_eq!(VrrpAdvert::parse_fields(&packet), Err(e)),
        }
        let mut fixed = message.to_vec();
        vrrp::fill_checksum(&mut fixed, &pseudo);
        assert!(vrrp::verify_checksum(&fixed, &pseudo));
    }
}

fn carp_round_trip(data: &[u8]) {
    let packet = match Packet::new_checked(data) {
        Ok(p) => p,
        Err(e) => {
            assert!(data.len() < HEADER_LEN);
            assert_eq!(e, WireError::Truncated { len: data.len() });
            assert!(Advert::parse(&Packet::new_unchecked(data)).is_err());
            return;
        }
    };
    let header = &data[..HEADER_LEN];
    assert_eq!(packet.verify_checksum(), verify_checksum(header));
    assert_eq!(packet.header_bytes(), header);
    match Advert::parse(&packet) {
        Ok(advert) => {
            assert!(packet.verify_checksum());
            assert_eq!(Advert::parse_fields(&packet), Ok(advert));
            assert_eq!(advert.vhid, data[1]);
            assert_eq!(advert.advskew, data[2]);
            assert_eq!(advert.demote, data[4]);
            assert_eq!(advert.advbase, data[5]);
            assert_eq!(advert.counter, packet.counter());
            let mut out = [0u8; HEADER_LEN];
            advert
                .emit(&mut Packet::new_unchecked(&mut out[..]))
                .expect("36 bytes are enough");
            // Ones' complement has two zeros: when the other 34 bytes sum
            // to 0xffff, a field of 0xffff verifies (as in the BSDs) and
            // emit writes 0x0000 (pinned in carp-core's wire tests). Every
            // other byte must round-trip exactly.
            if out[..] != *header {
                assert_eq!(&out[..6], &header[..6], "emit(parse(x)) != x");
                assert_eq!(&out[8..], &header[8..], "emit(parse(x)) != x");
                assert_eq!(
                    (&header[6..8], &out[6..8]),
                    (&[0xff, 0xff][..], &[0, 0][..])
                );
            }
        }
        Err(WireError::BadChecksum { got, expected }) => {
            assert!(!packet.verify_checksum());
            assert_eq!(got, packet.checksum());
            assert_eq!(expected, packet.expected_checksum());
        }
        Err(e) => {
            assert!(packet.verify_checksum(), "{e:?} before the checksum");
            assert_eq!(Advert::parse_fields(&packet), Err(e));
        }
    }
    // Filling in the checksum always yields a header that verifies.
    let mut fixed = [0u8; HEADER_LEN];
    fixed.copy_from_slice(header);
    Packet::new_unchecked(&mut fixed[..]).fill_checksum();
    assert!(verify_checksum(&fixed));
    assert_eq!(checksum(&fixed), 0);
    assert_eq!(
        Advert::parse_fields(&Packet::new_unchecked(&fixed[..])),
        Advert::parse_fields(&packet)
    );
}
