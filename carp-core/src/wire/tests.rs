//! The smoltcp sextet on a real ucarp advert: deconstruct, construct, parse,
//! emit, check_len, buffer_len; plus every malformation.

use super::*;

/// fixtures/ucarp-v4-failover.pcap #1: vhid 9, advskew 10, advbase 1.
static UCARP: [u8; HEADER_LEN] = [
    0x21, 0x09, 0x0a, 0x07, 0x00, 0x01, 0x8a, 0xdc, 0x38, 0x82, 0xfe, 0x12, 0x91, 0xa9, 0x49, 0xec,
    0x41, 0xc0, 0xd1, 0x0f, 0x22, 0xea, 0x33, 0x64, 0xd7, 0xfe, 0x13, 0x4c, 0x69, 0x8d, 0xd5, 0xfd,
    0x43, 0x5c, 0x60, 0x96,
];

fn repr() -> Advert {
    Advert {
        vhid: 9,
        advskew: 10,
        demote: 0,
        advbase: 1,
        counter: 0x3882_fe12_91a9_49ec,
        digest: UCARP[16..].try_into().unwrap(),
    }
}

fn hexdiff(a: &[u8], b: &[u8]) -> std::string::String {
    let mut out = std::string::String::new();
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        if x != y {
            out += &format!("@{i}: {x:02x} != {y:02x}\n");
        }
    }
    out
}

#[test]
fn deconstruct() {
    let p = Packet::new_checked(&UCARP[..]).unwrap();
    assert_eq!(p.version(), VERSION);
    assert_eq!(p.kind(), TYPE_ADVERTISEMENT);
    assert_eq!(p.vhid(), 9);
    assert_eq!(p.advskew(), 10);
    assert_eq!(p.authlen(), AUTHLEN);
    assert_eq!(p.demote(), 0);
    assert_eq!(p.advbase(), 1);
    assert_eq!(p.checksum(), 0x8adc);
    assert_eq!(p.counter(), 0x3882_fe12_91a9_49ec);
    assert_eq!(p.counter_bytes(), UCARP[8..16]);
    assert_eq!(&p.digest()[..], &UCARP[16..]);
    assert!(p.verify_checksum());
}

#[test]
fn construct() {
    let mut bytes = [0xa5u8; HEADER_LEN];
    let mut p = Packet::new_unchecked(&mut bytes[..]);
    p.set_version_type(VERSION, TYPE_ADVERTISEMENT);
    p.set_vhid(9);
    p.set_advskew(10);
    p.set_authlen(AUTHLEN);
    p.set_demote(0);
    p.set_advbase(1);
    p.set_counter(0x3882_fe12_91a9_49ec);
    p.set_digest(&UCARP[16..].try_into().unwrap());
    p.fill_checksum();
    assert_eq!(bytes, UCARP, "\n{}", hexdiff(&bytes, &UCARP));
}

#[test]
fn parse_and_emit_round_trip() {
    let p = Packet::new_checked(&UCARP[..]).unwrap();
    assert_eq!(Advert::parse(&p).unwrap(), repr());
    let mut out = [0u8; HEADER_LEN];
    repr()
        .emit(&mut Packet::new_unchecked(&mut out[..]))
        .unwrap();
    assert_eq!(out, UCARP, "\n{}", hexdiff(&out, &UCARP));
}

#[test]
fn check_len_and_buffer_len() {
    assert_eq!(repr().buffer_len(), HEADER_LEN);
    for len in 0..HEADER_LEN {
        assert_eq!(
            Packet::new_checked(&UCARP[..len]).unwrap_err(),
            WireError::Truncated { len }
        );
    }
    // Trailing bytes are not CARP's and are ignored.
    let mut long = [0u8; 40];
    long[..HEADER_LEN].copy_from_slice(&UCARP);
    assert_eq!(
        Advert::parse(&Packet::new_checked(&long[..]).unwrap()).unwrap(),
        repr()
    );
    let mut short = [0u8; 10];
    assert_eq!(
        repr().emit(&mut Packet::new_unchecked(&mut short[..])),
        Err(WireError::Truncated { len: 10 })
    );
    assert_eq!(short, [0u8; 10], "nothing written on error");
}

#[test]
fn unchecked_view_over_short_buffer_reads_zero_and_never_panics() {
    let p = Packet::new_unchecked(&UCARP[..5]);
    assert_eq!((p.vhid(), p.counter(), p.checksum()), (0, 0, 0));
    assert!(!p.verify_checksum());
    let mut b = [0u8; 3];
    let mut q = Packet::new_unchecked(&mut b[..]);
    q.set_vhid(4);
    q.fill_checksum();
    assert_eq!(b, [0; 3]);
}

fn reparsed(edit: impl Fn(&mut [u8; HEADER_LEN])) -> Result<Advert, WireError> {
    let mut b = UCARP;
    edit(&mut b);
    let mut p = Packet::new_unchecked(&mut b[..]);
    p.fill_checksum();
    Advert::parse(&Packet::new_checked(&b[..]).unwrap())
}

#[test]
fn rejects_bad_version_type_authlen_and_checksum() {
    assert_eq!(reparsed(|b| b[0] = 0x31), Err(WireError::BadVersion(3)));
    assert_eq!(reparsed(|b| b[0] = 0x22), Err(WireError::BadType(2)));
    assert_eq!(reparsed(|b| b[3] = 6), Err(WireError::BadAuthLen(6)));
    let mut b = UCARP;
    b[2] = 11;
    assert_eq!(
        Advert::parse(&Packet::new_checked(&b[..]).unwrap()),
        Err(WireError::BadChecksum {
            got: 0x8adc,
            expected: 0x89dc
        })
    );
    // Checksum is checked first, as in the BSD order.
    let mut b = UCARP;
    b[0] = 0x31;
    assert!(matches!(
        Advert::parse(&Packet::new_checked(&b[..]).unwrap()),
        Err(WireError::BadChecksum { .. })
    ));
}

#[test]
fn bow_out_is_advbase_and_advskew_255() {
    let mut a = repr();
    assert!(!a.is_bow_out());
    a.advbase = BOW_OUT;
    a.advskew = BOW_OUT;
    assert!(a.is_bow_out());
}

#[test]
fn errors_say_what_was_wrong() {
    assert_eq!(
        format!("{}", WireError::Truncated { len: 3 }),
        "truncated CARP header: 3 bytes, need 36"
    );
    assert_eq!(
        format!("{}", WireError::BadVersion(3)),
        "bad CARP version 3, expected 2"
    );
}

/// An advert whose 34 other bytes sum to 0xffff: the checksum is 0x0000 and
/// a sender writing the other zero, 0xffff, is accepted as the BSDs accept
/// it. Emit always writes 0x0000.
#[test]
fn both_ones_complement_zeros_verify_and_emit_writes_0x0000() {
    let mut advert = repr();
    advert.counter = 0;
    let mut bytes = [0u8; HEADER_LEN];
    advert
        .emit(&mut Packet::new_unchecked(&mut bytes[..]))
        .unwrap();
    // Adding the checksum to the counter's low word makes the rest sum to
    // 0xffff.
    advert.counter = u64::from(Packet::new_unchecked(&bytes[..]).checksum());
    advert
        .emit(&mut Packet::new_unchecked(&mut bytes[..]))
        .unwrap();
    assert_eq!(bytes[6..8], [0, 0]);
    let zero = Packet::new_checked(&bytes[..]).unwrap();
    assert_eq!(Advert::parse(&zero), Ok(advert));

    let mut other = bytes;
    other[6..8].copy_from_slice(&[0xff, 0xff]);
    let other = Packet::new_checked(&other[..]).unwrap();
    assert!(other.verify_checksum());
    assert_eq!(Advert::parse(&other), Ok(advert));
    let mut out = [0u8; HEADER_LEN];
    advert
        .emit(&mut Packet::new_unchecked(&mut out[..]))
        .unwrap();
    assert_eq!(out, bytes, "emit writes 0x0000");
}
