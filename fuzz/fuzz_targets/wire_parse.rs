//! Any bytes as a CARP header: parsing never panics, and whatever parses is
//! emitted back byte for byte (parse demands a valid checksum, so nothing
//! is left for emit to normalise, except the choice between the two
//! one's-complement zeros in the checksum field).
#![no_main]

use carp_core::wire::{checksum, verify_checksum, Advert, Packet, WireError, HEADER_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
});
