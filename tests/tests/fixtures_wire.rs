//! carp-core's wire and auth code against real ucarp adverts, byte for byte.

use carp_core::wire::{Advert, Packet, WireError, HEADER_LEN};
use carp_core::AuthContext;
use carp_tests::fixtures::{carp_frames, CarpFrame, FixtureVhost, FAILOVER, FIXTURES};

fn context(fixture: &FixtureVhost) -> AuthContext {
    let config = fixture.config().unwrap();
    config.with_auth_input(|input| AuthContext::new(&config.key, input))
}

fn parse(header: &[u8]) -> Result<Advert, WireError> {
    Advert::parse(&Packet::new_checked(header)?)
}

fn all_adverts() -> Vec<(FixtureVhost, CarpFrame)> {
    FIXTURES
        .iter()
        .flat_map(|f| f.adverts().into_iter().map(move |a| (*f, a)))
        .collect()
}

#[test]
fn fixtures_hold_the_expected_adverts() {
    let counts: Vec<usize> = FIXTURES.iter().map(|f| f.adverts().len()).collect();
    assert_eq!(counts, [3, 8]);
    for (fixture, frame) in all_adverts() {
        assert_eq!(frame.dst, carp_core::wire::GROUP_V4);
        assert_eq!(frame.frame[14 + 8], carp_core::wire::TTL, "TTL 255");
        assert_eq!(frame.header[1], fixture.vhid);
    }
}

#[test]
fn every_ucarp_advert_parses_with_a_valid_checksum() {
    for (fixture, frame) in all_adverts() {
        let packet = Packet::new_checked(&frame.header[..]).unwrap();
        assert!(packet.verify_checksum(), "record {}", frame.record);
        let advert = Advert::parse(&packet).unwrap();
        assert_eq!(advert.vhid, fixture.vhid);
        assert_eq!(advert.advbase, 1);
        assert_eq!(advert.demote, 0);
        let skew = if frame.src.octets()[3] == 11 { 10 } else { 50 };
        assert_eq!(advert.advskew, skew, "record {}", frame.record);
    }
}

#[test]
fn every_ucarp_digest_verifies_with_the_fixture_password() {
    for (fixture, frame) in all_adverts() {
        let advert = parse(&frame.header).unwrap();
        let verified = context(&fixture).verify(&advert).unwrap();
        assert_eq!(verified.advert(), &advert);
    }
}

#[test]
fn a_wrong_password_does_not_verify() {
    for (fixture, frame) in all_adverts() {
        let wrong = FixtureVhost {
            passphrase: b"secret43",
            ..fixture
        };
        let advert = parse(&frame.header).unwrap();
        assert!(context(&wrong).verify(&advert).is_err());
    }
}

#[test]
fn emitting_a_parsed_advert_reproduces_it_byte_for_byte() {
    for (_, frame) in all_adverts() {
        let advert = parse(&frame.header).unwrap();
        let mut buf = [0u8; HEADER_LEN];
        advert
            .emit(&mut Packet::new_unchecked(&mut buf[..]))
            .unwrap();
        assert_eq!(buf, frame.header, "record {}", frame.record);
    }
}

#[test]
fn signing_at_the_captured_counter_reproduces_ucarps_advert() {
    for (fixture, frame) in all_adverts() {
        let captured = parse(&frame.header).unwrap();
        let digest = context(&fixture).sign(captured.counter);
        assert_eq!(digest, captured.digest, "record {}", frame.record);
        let ours = Advert { digest, ..captured };
        let mut buf = [0u8; HEADER_LEN];
        ours.emit(&mut Packet::new_unchecked(&mut buf[..])).unwrap();
        assert_eq!(buf, frame.header, "record {}", frame.record);
    }
}

/// Checks a header as a receiver of `fixture`'s vhid would: parse
/// (checksum, version, type, authlen), demux by vhid, then the digest.
fn accepted(fixture: &FixtureVhost, header: &[u8]) -> bool {
    parse(header)
        .is_ok_and(|advert| advert.vhid == fixture.vhid && context(fixture).verify(&advert).is_ok())
}

#[test]
fn flipping_any_single_bit_is_rejected() {
    for (fixture, frame) in all_adverts() {
        assert!(accepted(&fixture, &frame.header));
        for bit in 0..HEADER_LEN * 8 {
            let mut header = frame.header;
            header[bit / 8] ^= 0x80 >> (bit % 8);
            assert!(
                !accepted(&fixture, &header),
                "record {} accepted with bit {bit} flipped",
                frame.record
            );
        }
    }
}

/// With the checksum recomputed after the flip, what still catches it is
/// the field check, the vhid demux or the HMAC. advskew, demote and advbase are outside the
/// HMAC in CARP (the digest covers version, type, vhid, addresses and
/// counter), so those flips are accepted: a known property of the protocol.
#[test]
fn flipped_bits_with_a_fixed_checksum_fail_the_field_checks_or_the_hmac() {
    for (fixture, frame) in all_adverts() {
        let ctx = context(&fixture);
        for bit in 0..HEADER_LEN * 8 {
            let byte = bit / 8;
            if byte == 6 || byte == 7 {
                continue; // the checksum itself: refilling restores it
            }
            let mut header = frame.header;
            header[byte] ^= 0x80 >> (bit % 8);
            Packet::new_unchecked(&mut header[..]).fill_checksum();
            let result = parse(&header);
            match byte {
                0 | 3 => assert!(result.is_err(), "bit {bit}: version/type/authlen"),
                2 | 4 | 5 => assert!(accepted(&fixture, &header), "bit {bit}: outside the HMAC"),
                1 => {
                    // Another vhid: not ours to verify, and its own key
                    // context (same password) rejects the digest too.
                    let advert = result.unwrap();
                    assert!(!accepted(&fixture, &header), "bit {bit}: vhid");
                    let other = FixtureVhost {
                        vhid: advert.vhid,
                        ..fixture
                    };
                    if advert.vhid != 0 {
                        assert!(context(&other).verify(&advert).is_err(), "bit {bit}: vhid");
                    }
                }
                _ => {
                    let advert = result.unwrap();
                    assert!(ctx.verify(&advert).is_err(), "bit {bit}: covered by HMAC");
                }
            }
        }
    }
}

#[test]
fn the_new_master_continues_the_counter_of_the_old_one() {
    let adverts = carp_frames(FAILOVER);
    let split = adverts
        .iter()
        .position(|a| a.src.octets()[3] == 12)
        .expect("the backup takes over");
    let (old, new) = adverts.split_at(split);
    assert!(old.iter().all(|a| a.src.octets()[3] == 11));
    assert!(new.iter().all(|a| a.src.octets()[3] == 12));
    let counter = |a: &CarpFrame| parse(&a.header).unwrap().counter;
    let last_seen = counter(old.last().unwrap());
    let counters: Vec<u64> = new.iter().map(counter).collect();
    assert_eq!(counters[0], last_seen + 1);
    // ...and counts up by one from there.
    assert!(counters.windows(2).all(|w| w[1] == w[0] + 1));
    // Takeover came about 3.807 s after the last advert of .11.
    let gap = new[0].ts_micros - old.last().unwrap().ts_micros;
    assert!((3_800_000..3_810_000).contains(&gap), "{gap} µs");
}
