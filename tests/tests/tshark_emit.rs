//! tshark, an independent dissector, reads the adverts our code emits and
//! signs exactly as we meant them: CARP, checksum good, same fields.

use carp_core::wire::{Advert, Packet, HEADER_LEN};
use carp_core::AuthContext;
use carp_sim::pcap::LINKTYPE_ETHERNET;
use carp_tests::fixtures::{CarpFrame, FixtureVhost, FIXTURES};
use carp_tests::pcapfile::TempPcap;
use carp_tests::require;
use carp_tests::require::Prerequisite::Tshark;
use carp_tests::tshark::{assert_every_carp_checksum_good, carp_fields};

/// Our advert for `fixture`'s configuration with vhid, skew and counter
/// chosen by `change`, signed by our AuthContext and emitted by our code.
fn our_advert(
    fixture: &FixtureVhost,
    captured: &CarpFrame,
    change: impl Fn(&mut Advert),
) -> (Advert, [u8; HEADER_LEN]) {
    let mut advert = Advert::parse(&Packet::new_checked(&captured.header[..]).unwrap()).unwrap();
    change(&mut advert);
    let config = FixtureVhost {
        vhid: advert.vhid,
        ..*fixture
    }
    .config()
    .unwrap();
    let ctx = config.with_auth_input(|input| AuthContext::new(&config.key, input));
    advert.digest = ctx.sign(advert.counter);
    let mut header = [0u8; HEADER_LEN];
    advert
        .emit(&mut Packet::new_unchecked(&mut header[..]))
        .unwrap();
    (advert, header)
}

/// Writes the fixture frames with their CARP headers replaced by ours and
/// checks tshark's reading of every one against what we emitted.
fn check_tshark_reads(name: &str, change: impl Fn(&mut Advert) + Copy) {
    for fixture in &FIXTURES {
        let captured = fixture.adverts();
        let ours: Vec<(Advert, Vec<u8>, u64)> = captured
            .iter()
            .map(|frame| {
                let (advert, header) = our_advert(fixture, frame, change);
                (advert, frame.with_header(&header), frame.ts_micros)
            })
            .collect();
        let frames: Vec<(u64, Vec<u8>)> = ours.iter().map(|(_, f, ts)| (*ts, f.clone())).collect();
        let pcap = TempPcap::write(
            &format!("{name}-vhid{}", fixture.vhid),
            LINKTYPE_ETHERNET,
            &frames,
        );

        assert_eq!(assert_every_carp_checksum_good(pcap.path()), ours.len());
        let decoded = carp_fields(pcap.path()).unwrap();
        assert_eq!(decoded.len(), ours.len());
        for ((advert, _, _), (fields, frame)) in ours.iter().zip(decoded.iter().zip(&captured)) {
            assert_eq!(fields.src, std::net::IpAddr::V4(frame.src));
            assert_eq!(fields.vhid, advert.vhid);
            assert_eq!(fields.advskew, advert.advskew);
            assert_eq!(fields.advbase, advert.advbase);
            assert_eq!(fields.demote, advert.demote);
            assert_eq!(fields.counter, advert.counter);
            assert_eq!(fields.hmac, advert.digest);
            assert!(fields.checksum_good);
        }
    }
}

#[test]
fn tshark_reads_our_resigned_fixture_adverts_as_good_carp() {
    require!(Tshark);
    check_tshark_reads("same", |_| {});
}

#[test]
fn tshark_reads_our_adverts_with_other_vhid_skew_and_counter() {
    require!(Tshark);
    check_tshark_reads("changed", |advert| {
        advert.vhid = 200;
        advert.advskew = 254;
        advert.counter = 0x0123_4567_89ab_cdef ^ u64::from(advert.counter as u8);
    });
}

#[test]
fn tshark_agrees_with_the_fixtures_themselves() {
    require!(Tshark);
    for fixture in &FIXTURES {
        let path = carp_tests::fixtures::path(fixture.file);
        let adverts = fixture.adverts();
        assert_eq!(assert_every_carp_checksum_good(&path), adverts.len());
        let decoded = carp_fields(&path).unwrap();
        for (fields, frame) in decoded.iter().zip(&adverts) {
            let advert = Advert::parse(&Packet::new_checked(&frame.header[..]).unwrap()).unwrap();
            assert_eq!(fields.frame as usize, frame.record + 1);
            assert_eq!(fields.vhid, advert.vhid);
            assert_eq!(fields.counter, advert.counter);
            assert_eq!(fields.hmac, advert.digest);
        }
    }
}

#[test]
fn tshark_flags_a_corrupted_checksum() {
    require!(Tshark);
    let fixture = &FIXTURES[0];
    let frame = &fixture.adverts()[0];
    let mut header = frame.header;
    header[6] ^= 0x01;
    let pcap = TempPcap::write(
        "corrupt",
        LINKTYPE_ETHERNET,
        &[(frame.ts_micros, frame.with_header(&header))],
    );
    let decoded = carp_fields(pcap.path()).unwrap();
    assert_eq!(decoded.len(), 1);
    assert!(!decoded[0].checksum_good);
    let caught = std::panic::catch_unwind(|| assert_every_carp_checksum_good(pcap.path()));
    assert!(caught.is_err());
}
