//! Authentication vectors: real ucarp adverts, and digests for several
//! addresses, IPv6 and the lladdr term computed independently (Python's
//! `hmac` over the message layout of the reference).

use super::*;
use crate::wire::{Packet, HEADER_LEN};
use core::net::{IpAddr, Ipv4Addr};
use std::vec::Vec;

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
    // `subtle`'s `ct_eq`, never `==` (or `!=`) on digests.
    let src = include_str!("mod.rs");
    let body = |name: &str, end: &str| -> &'static str {
        let from = &src[src.find(name).unwrap()..];
        &from[..from.find(end).unwrap()]
    };
    let verify = body("pub(crate) fn verify_with", "\n    }\n");
    let compare = body("fn same_words", "\n}\n");
    assert!(verify.contains("same_words("));
    assert!(compare.contains(".ct_eq("));
    for code in [verify, compare] {
        assert!(!code.contains("=="));
        assert!(!code.contains("!="));
        assert!(!code.contains(".eq("));
        assert!(!code.contains("verify_slice"));
    }
    let _ = IpAddr::V4(Ipv4Addr::LOCALHOST);
}

/// The message as the reference layout says, built independently of
/// `absorb`: already sorted, deduplicated, scope-cleared addresses.
fn reference_digest(
    pass: &[u8],
    vhid: u8,
    lladdr: Option<[u8; 6]>,
    v4: &[Ipv4Addr],
    v6: &[[u8; 16]],
    counter: u64,
) -> [u8; 20] {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(pass).unwrap();
    mac.update(&[2, 1]);
    if let Some(l) = lladdr {
        mac.update(&l);
    }
    mac.update(&[vhid]);
    for a in v4 {
        mac.update(&a.octets());
    }
    for a in v6 {
        mac.update(a);
    }
    mac.update(&counter.to_be_bytes());
    mac.finalize().into_bytes().into()
}

/// A small deterministic generator (xorshift64*), so failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Counters that stress the byte layout: zero, all ones, each single byte set.
fn edge_counters() -> impl Iterator<Item = u64> {
    [0, u64::MAX, COUNTER, 1 << 63]
        .into_iter()
        .chain((0..8).map(|i| 0xa5u64 << (8 * i)))
}

#[test]
fn every_static_tail_length_matches_the_hmac_crate() {
    // Static message 2 + 6 (lladdr) + 1 + 4n + 16m bytes, always odd: n IPv4
    // and m IPv6 addresses reach every odd tail length 1..63 of the final
    // inner block, so both the one-block and the two-block finishes (counter
    // straddling the block boundary included) are compared with `Hmac<Sha1>`.
    let mut tails = [false; 64];
    for lladdr in [None, Some([0x00, 0x00, 0x5e, 0x00, 0x01, 0x07])] {
        for n4 in 0..20u32 {
            for n6 in 0..5u16 {
                let v4: Vec<Ipv4Addr> = (0..n4).map(|i| Ipv4Addr::from(0x0a00_0001 + i)).collect();
                let v6: Vec<Ipv6Addr> = (0..n6)
                    .map(|i| Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, i + 1))
                    .collect();
                let v6_bytes: Vec<[u8; 16]> = v6.iter().map(|a| a.octets()).collect();
                let len = 2 + lladdr.map_or(0, |_| 6) + 1 + 4 * v4.len() + 16 * v6.len();
                tails[len % 64] = true;
                let c = AuthContext::new(
                    &Key::new(b"tails").unwrap(),
                    &AuthInput {
                        vhid: 42,
                        lladdr,
                        ipv4: &v4,
                        ipv6: &v6,
                        link_local: LinkLocalRule::Include,
                    },
                );
                for counter in edge_counters() {
                    let expected = reference_digest(b"tails", 42, lladdr, &v4, &v6_bytes, counter);
                    assert_eq!(c.sign(counter), expected, "len {len} counter {counter:#x}");
                    let advert = Advert {
                        vhid: 42,
                        advskew: 0,
                        demote: 0,
                        advbase: 1,
                        counter,
                        digest: expected,
                    };
                    assert!(c.verify(&advert).is_ok(), "len {len}");
                }
            }
        }
    }
    let missed: Vec<usize> = (1..64).step_by(2).filter(|t| !tails[*t]).collect();
    assert!(missed.is_empty(), "tail lengths missed: {missed:?}");
}

#[test]
fn random_configurations_sign_and_verify_like_the_hmac_crate() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..400 {
        let pass_len = rng.below(20) as usize;
        // Any byte but NUL, which no passphrase holds.
        let pass: Vec<u8> = (0..pass_len).map(|_| (rng.next() as u8).max(1)).collect();
        let vhid = rng.next() as u8;
        let lladdr = (rng.below(2) == 0).then(|| rng.next().to_be_bytes()[..6].try_into().unwrap());
        // Few distinct values, so duplicates and unsorted order are common.
        let v4: Vec<Ipv4Addr> = (0..rng.below(12))
            .map(|_| Ipv4Addr::from(0xc000_0200 + rng.below(8) as u32))
            .collect();
        let v6: Vec<Ipv6Addr> = (0..rng.below(6))
            .map(|_| {
                let link_local = rng.below(3) == 0;
                let scope = if rng.below(2) == 0 { 0 } else { 2 };
                let host = rng.below(4) as u16;
                if link_local {
                    Ipv6Addr::new(0xfe80, scope, 0, 0, 0, 0, 0, host)
                } else {
                    Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, host)
                }
            })
            .collect();
        let rule = if rng.below(2) == 0 {
            LinkLocalRule::Include
        } else {
            LinkLocalRule::Exclude
        };
        // The reference message: ascending, once each, scope cleared.
        let mut sorted4 = v4.clone();
        sorted4.sort();
        sorted4.dedup();
        let written = |with_ll: bool| -> Vec<[u8; 16]> {
            let mut out: Vec<[u8; 16]> = v6
                .iter()
                .filter(|a| with_ll || a.segments()[0] != 0xfe80)
                .map(|a| {
                    let mut o = a.octets();
                    if a.segments()[0] == 0xfe80 {
                        o[2] = 0;
                        o[3] = 0;
                    }
                    o
                })
                .collect();
            out.sort();
            out.dedup();
            out
        };
        let with = written(true);
        let without = written(false);
        let c = AuthContext::new(
            &Key::new(&pass).unwrap(),
            &AuthInput {
                vhid,
                lladdr,
                ipv4: &v4,
                ipv6: &v6,
                link_local: rule,
            },
        );
        for _ in 0..8 {
            let counter = rng.next();
            let inc = reference_digest(&pass, vhid, lladdr, &sorted4, &with, counter);
            let exc = reference_digest(&pass, vhid, lladdr, &sorted4, &without, counter);
            let signed = match rule {
                LinkLocalRule::Include => inc,
                LinkLocalRule::Exclude => exc,
            };
            assert_eq!(c.sign(counter), signed, "round {round}");
            for digest in [inc, exc] {
                let mut advert = Advert {
                    vhid,
                    advskew: 0,
                    demote: 0,
                    advbase: 1,
                    counter,
                    digest,
                };
                assert!(c.verify(&advert).is_ok(), "round {round}");
                advert.digest[rng.below(20) as usize] ^= 1 << rng.below(8);
                assert_eq!(c.verify(&advert), Err(AuthError::BadDigest));
                advert.digest = digest;
                advert.counter ^= 1 << rng.below(64);
                assert_eq!(c.verify(&advert), Err(AuthError::BadDigest));
            }
        }
    }
}

#[test]
fn precomputed_outer_bit_count_is_opad_block_plus_digest() {
    assert_eq!(precomputed::OUTER_BITS, 672);
}

#[test]
fn context_holds_at_most_two_precomputed_forms_in_little_space() {
    // Two forms (send, alternate) of states, tail template and lengths.
    let size = core::mem::size_of::<AuthContext>();
    println!("size_of::<AuthContext>() = {size}");
    assert!(size <= 256, "{size}");
}

#[test]
fn passphrases_holding_nul_are_refused() {
    assert_eq!(Key::new(b"ab\0cd"), Err(KeyError::Nul { at: 2 }));
    assert_eq!(Key::new(b"ab\0"), Err(KeyError::Nul { at: 2 }));
    assert_eq!(
        std::format!("{}", KeyError::Nul { at: 2 }),
        "passphrase holds a NUL byte at offset 2"
    );
}
