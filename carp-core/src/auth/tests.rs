//! Authentication vectors: real ucarp adverts, and digests for several
//! addresses, IPv6 and the lladdr term computed independently (Python's
//! `hmac` over the message layout of the reference).

use super::*;
use crate::wire::{Packet, HEADER_LEN};
use core::net::{IpAddr, Ipv4Addr};

/// ucarp 1.5.2, vhid 7, `secret42`, 192.0.2.100 (fixtures/ucarp-v4-vhid7.pcap #1).
const UCARP_VHID7: [u8; HEADER_LEN] = [
    0x21, 0x07, 0x0a, 0x07, 0x00, 0x01, 0xd0, 0x03, 0xf4, 0xe6, 0xc6, 0x34, 0x74, 0xc1, 0xc2, 0x7c,
    0x6f, 0x72, 0xb5, 0x33, 0xdf, 0x28, 0xe2, 0x87, 0x78, 0xa4, 0x45, 0x6b, 0x78, 0xd7, 0x1d, 0xc7,
    0x7f, 0x84, 0x58, 0x09,
];
/// ucarp, vhid 9, 19-byte password, after the takeover by 192.0.2.12
/// (fixtures/ucarp-v4-failover.pcap #8).
const UCARP_VHID9_TAKEOVER: [u8; HEADER_LEN] = [
    0x21, 0x09, 0x32, 0x07, 0x00, 0x01, 0x66, 0xb1, 0x98, 0x45, 0x60, 0xda, 0x4a, 0x2b, 0xf5, 0x82,
    0x2d, 0xb4, 0xed, 0x78, 0xd9, 0x14, 0x98, 0x59, 0x1c, 0x29, 0xab, 0x69, 0x72, 0x43, 0x70, 0xe4,
    0x17, 0x8b, 0xbe, 0x8d,
];
const COUNTER: u64 = 0x0102_0304_0506_0708;

fn hex(s: &str) -> [u8; 20] {
    let mut out = [0u8; 20];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

fn ctx(
    pass: &[u8],
    vhid: u8,
    v4: &[Ipv4Addr],
    v6: &[Ipv6Addr],
    rule: LinkLocalRule,
) -> AuthContext {
    AuthContext::new(
        &Key::new(pass).unwrap(),
        &AuthInput {
            vhid,
            lladdr: None,
            ipv4: v4,
            ipv6: v6,
            link_local: rule,
        },
    )
}

fn parse(bytes: &[u8]) -> Advert {
    Advert::parse(&Packet::new_checked(bytes).unwrap()).unwrap()
}

#[test]
fn ucarp_adverts_verify_and_resign_byte_for_byte() {
    let vaddr = [Ipv4Addr::new(192, 0, 2, 100)];
    for (bytes, pass, vhid) in [
        (UCARP_VHID7, &b"secret42"[..], 7),
        (UCARP_VHID9_TAKEOVER, &b"abcdefghijklmnopqrs"[..], 9),
    ] {
        let advert = parse(&bytes);
        let c = ctx(pass, vhid, &vaddr, &[], LinkLocalRule::Include);
        assert!(c.verify(&advert).is_ok());
        assert_eq!(c.sign(advert.counter), advert.digest);
        let mut out = [0u8; HEADER_LEN];
        advert
            .emit(&mut Packet::new_unchecked(&mut out[..]))
            .unwrap();
        assert_eq!(out, bytes);
    }
}

#[test]
fn every_single_bit_flip_is_caught() {
    let c = ctx(
        b"secret42",
        7,
        &[Ipv4Addr::new(192, 0, 2, 100)],
        &[],
        LinkLocalRule::Include,
    );
    for bit in 0..HEADER_LEN * 8 {
        let mut bytes = UCARP_VHID7;
        bytes[bit / 8] ^= 1 << (bit % 8);
        let packet = Packet::new_checked(&bytes[..]).unwrap();
        let caught = match Advert::parse(&packet) {
            Err(_) => true,
            Ok(a) => c.verify(&a).is_err() || a.vhid != 7,
        };
        assert!(caught, "bit {bit} flipped unnoticed");
    }
}

#[test]
fn wrong_password_or_address_fails() {
    let advert = parse(&UCARP_VHID7);
    let vaddr = [Ipv4Addr::new(192, 0, 2, 100)];
    assert_eq!(
        ctx(b"secret43", 7, &vaddr, &[], LinkLocalRule::Include).verify(&advert),
        Err(AuthError::BadDigest)
    );
    let other = [Ipv4Addr::new(192, 0, 2, 101)];
    assert!(ctx(b"secret42", 7, &other, &[], LinkLocalRule::Include)
        .verify(&advert)
        .is_err());
}

#[test]
fn several_ipv4_addresses_are_signed_ascending_once_each() {
    let expected = hex("f16999f49b6037da0b44084c187ae759c8d57065");
    let a = [
        Ipv4Addr::new(192, 0, 2, 100),
        Ipv4Addr::new(10, 0, 0, 1),
        Ipv4Addr::new(192, 0, 2, 1),
    ];
    let b = [a[2], a[0], a[1], a[0]];
    for addrs in [&a[..], &b[..]] {
        let c = ctx(b"changeme", 1, addrs, &[], LinkLocalRule::Include);
        assert_eq!(c.sign(COUNTER), expected);
    }
}

#[test]
fn ipv6_link_local_forms_freebsd_and_openbsd() {
    let include = hex("d159cc3b21266c238bb97616a7cdd405c591d0a7");
    let exclude = hex("4b718111b43474228ad4b851b1d1cf02a0f82272");
    let v4 = [Ipv4Addr::new(192, 0, 2, 5)];
    let v6: [Ipv6Addr; 3] = [
        "2001:db8::a".parse().unwrap(),
        "fe80::1".parse().unwrap(),
        "2001:db8::1".parse().unwrap(),
    ];
    let pass = b"abcdefghijklmnopqrs";
    let freebsd = ctx(pass, 5, &v4, &v6, LinkLocalRule::Include);
    let openbsd = ctx(pass, 5, &v4, &v6, LinkLocalRule::Exclude);
    assert_eq!(freebsd.sign(COUNTER), include);
    assert_eq!(openbsd.sign(COUNTER), exclude);
    // Both accept both forms, as OpenBSD's verification does.
    for digest in [include, exclude] {
        let advert = Advert {
            vhid: 5,
            advskew: 0,
            demote: 0,
            advbase: 1,
            counter: COUNTER,
            digest,
        };
        assert!(freebsd.verify(&advert).is_ok());
        assert!(openbsd.verify(&advert).is_ok());
    }
    // A KAME-embedded scope id (fe80:2::1) signs like the written form.
    let embedded: [Ipv6Addr; 3] = [v6[0], "fe80:2::1".parse().unwrap(), v6[2]];
    assert_eq!(
        ctx(pass, 5, &v4, &embedded, LinkLocalRule::Include).sign(COUNTER),
        include
    );
}

#[test]
fn openbsd_lladdr_term_goes_after_the_type() {
    let c = AuthContext::new(
        &Key::new(b"foo").unwrap(),
        &AuthInput {
            vhid: 3,
            lladdr: Some([0x00, 0x00, 0x5e, 0x00, 0x01, 0x99]),
            ipv4: &[Ipv4Addr::new(192, 0, 2, 3)],
            ipv6: &[],
            link_local: LinkLocalRule::Include,
        },
    );
    assert_eq!(
        c.sign(COUNTER),
        hex("ef859a87d3457fd773d1d6f21a9c753669d5f18a")
    );
}

#[test]
fn empty_passphrase_still_signs() {
    let c = ctx(
        b"",
        1,
        &[Ipv4Addr::new(192, 0, 2, 1)],
        &[],
        LinkLocalRule::Include,
    );
    assert_eq!(
        c.sign(COUNTER),
        hex("d497f350f433ccc33c5e0b50223a2cada05b081b")
    );
}

#[test]
fn passphrases_of_20_bytes_or_more_are_refused() {
    assert!(Key::new(b"abcdefghijklmnopqrs").is_ok());
    assert_eq!(
        Key::new(b"abcdefghijklmnopqrst"),
        Err(KeyError::TooLong { len: 20 })
    );
    let k = Key::new(b"foo").unwrap();
    assert_eq!(k.passphrase(), b"foo");
    assert_eq!(&k.padded()[..4], b"foo\0");
    assert_eq!(format!("{k:?}"), "Key(<3 bytes>)");
}

#[test]
fn digests_are_never_compared_with_eq_in_verify() {
    // Guard for the constant-time rule: the verifier must go through
    // `verify_slice`, never `==` on digests.
    let src = include_str!("mod.rs");
    let verify = &src[src.find("pub fn verify").unwrap()..];
    let body = &verify[..verify.find("\n    }\n").unwrap()];
    assert!(body.contains("verify_slice"));
    assert!(!body.contains("digest =="));
    assert!(!body.contains("== advert.digest"));
    let _ = IpAddr::V4(Ipv4Addr::LOCALHOST);
}
