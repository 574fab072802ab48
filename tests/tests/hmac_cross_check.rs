//! carp-core's HMAC digests against a second, independent implementation
//! written from the BSD sources (`tests/scripts/carp_hmac.py`: Python's
//! `hmac` and `hashlib`, the message assembled as OpenBSD
//! `carp_hmac_prepare_ctx` and FreeBSD `carp_hmac_prepare` do).
//!
//! First the script is checked against a real peer: it reproduces every
//! digest ucarp put in the fixtures. Then, for multi-address and IPv6
//! vhids, the digests carp-core signs must be the script's for the form
//! each BSD uses: OpenBSD's two IPv6 contexts (HMAC_NOV6LL, which it sends
//! with, without link-local addresses; HMAC_ORIG with them), FreeBSD's
//! (every address, no lladdr term), OpenBSD's lladdr term (hashed for a
//! carp MAC of its own, not for the virtual or the parent's MAC), several
//! IPv4 addresses in any order (and
//! duplicated), IPv4 with IPv6; and carp-core must accept what the script
//! signs in the form it does not send itself, as OpenBSD does.

use std::io::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::process::{Command, Stdio};

use carp_core::auth::AuthInput;
use carp_core::wire::Advert;
use carp_core::{AuthContext, Key, LinkLocalRule};
use carp_ifnet::lladdr::{hmac_lladdr, LinkType, MacAddr};
use carp_tests::fixtures::{FIXTURES, VIRTUAL_ADDR};
use carp_tests::require;
use carp_tests::require::Prerequisite::Python3;

/// The parent interface's MAC in every case.
const PARENT_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x0b];

/// One signing case for both implementations.
#[derive(Debug, Clone)]
struct Case {
    name: String,
    passphrase: Vec<u8>,
    vhid: u8,
    /// The carp interface's own MAC (`ifconfig carpN lladdr`), if set.
    lladdr: Option<[u8; 6]>,
    ipv4: Vec<Ipv4Addr>,
    ipv6: Vec<Ipv6Addr>,
    /// `openbsd-sent`, `openbsd-orig` or `freebsd` (see the script).
    form: &'static str,
    counter: u64,
}

impl Case {
    fn line(&self) -> String {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let list = |v: Vec<String>| {
            if v.is_empty() {
                "-".to_owned()
            } else {
                v.join(",")
            }
        };
        format!(
            "{} {} {} {} {} {} {} {} {}\n",
            self.name,
            if self.passphrase.is_empty() {
                "-".to_owned()
            } else {
                hex(&self.passphrase)
            },
            self.vhid,
            self.lladdr.map_or("-".to_owned(), |m| hex(&m)),
            hex(&PARENT_MAC),
            list(self.ipv4.iter().map(ToString::to_string).collect()),
            list(self.ipv6.iter().map(ToString::to_string).collect()),
            self.form,
            self.counter
        )
    }

    /// carp-core's context for the form: FreeBSD never hashes a lladdr;
    /// for OpenBSD the term is what carp-ifnet's `hmac_lladdr` decides for
    /// the carp interface's MAC (the vhid's virtual MAC when not set).
    fn context(&self, link_local: LinkLocalRule) -> AuthContext {
        let virtual_mac = LinkType::Ethernet.virtual_mac(self.vhid);
        let lladdr = match self.form {
            "freebsd" => None,
            _ => hmac_lladdr(
                self.lladdr.map_or(virtual_mac, MacAddr),
                virtual_mac,
                MacAddr(PARENT_MAC),
            ),
        };
        AuthContext::new(
            &Key::new(&self.passphrase).unwrap(),
            &AuthInput {
                vhid: self.vhid,
                lladdr,
                ipv4: &self.ipv4,
                ipv6: &self.ipv6,
                link_local,
            },
        )
    }

    /// The rule carp-core signs with for this form.
    fn rule(&self) -> LinkLocalRule {
        if self.form == "openbsd-sent" {
            LinkLocalRule::Exclude
        } else {
            LinkLocalRule::Include
        }
    }
}

/// The script's digest for every case, in order.
fn script_digests(cases: &[Case]) -> Vec<[u8; 20]> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/carp_hmac.py");
    let mut child = Command::new("python3")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    let input: String = cases.iter().map(Case::line).collect();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "carp_hmac.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), cases.len(), "one digest per case:\n{text}");
    cases
        .iter()
        .zip(lines)
        .map(|(case, line)| {
            let (name, hex) = line.split_once(' ').unwrap();
            assert_eq!(name, case.name);
            let mut d = [0u8; 20];
            for (i, b) in d.iter_mut().enumerate() {
                *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
            }
            d
        })
        .collect()
}

fn v4(s: &[&str]) -> Vec<Ipv4Addr> {
    s.iter().map(|a| a.parse().unwrap()).collect()
}

fn v6(s: &[&str]) -> Vec<Ipv6Addr> {
    s.iter().map(|a| a.parse().unwrap()).collect()
}

/// A name, the vhid, the carp interface's MAC, the IPv4 and the IPv6
/// addresses.
type AddressSet = (
    &'static str,
    u8,
    Option<[u8; 6]>,
    Vec<Ipv4Addr>,
    Vec<Ipv6Addr>,
);

/// Address sets, each signed in every form with a few counters and
/// passphrases; the lladdr term decided on each side on its own (the
/// script from OpenBSD's rule, carp from `carp_ifnet::lladdr::hmac_lladdr`).
fn cases() -> Vec<Case> {
    let sets: Vec<AddressSet> = vec![
        (
            "v4-several",
            7,
            None,
            v4(&[
                "198.51.100.7",
                "192.0.2.30",
                "192.0.2.4",
                "192.0.2.200",
                "192.0.2.4",
            ]),
            vec![],
        ),
        (
            "v6-global",
            9,
            None,
            vec![],
            v6(&["2001:db8::20", "2001:db8::3", "2001:db8:1::1"]),
        ),
        (
            "v6-with-link-local",
            200,
            None,
            vec![],
            v6(&["2001:db8::142", "fe80::1:2", "fe80::1"]),
        ),
        ("v6-link-local-only", 33, None, vec![], v6(&["fe80::5"])),
        (
            "v4-and-v6",
            255,
            None,
            v4(&["192.0.2.100", "192.0.2.1"]),
            v6(&["fe80::64", "2001:db8::100", "2001:db8::1"]),
        ),
        (
            "lladdr-default",
            12,
            Some([0x00, 0x00, 0x5e, 0x00, 0x01, 12]),
            v4(&["192.0.2.12"]),
            vec![],
        ),
        (
            "lladdr-parent",
            12,
            Some(PARENT_MAC),
            v4(&["192.0.2.12"]),
            v6(&["fe80::c"]),
        ),
        (
            "lladdr-non-default",
            12,
            Some([0x02, 0x00, 0x5e, 0x10, 0x20, 0x30]),
            v4(&["192.0.2.12", "192.0.2.3"]),
            v6(&["fe80::c", "2001:db8::c"]),
        ),
    ];
    let mut cases = Vec::new();
    for (name, vhid, lladdr, ipv4, ipv6) in sets {
        for form in ["openbsd-sent", "openbsd-orig", "freebsd"] {
            for (k, counter) in [0u64, 1, 0x0123_4567_89ab_cdef, u64::MAX]
                .into_iter()
                .enumerate()
            {
                for passphrase in [&b"s3cret"[..], b"", b"nineteen-bytes-long"] {
                    cases.push(Case {
                        name: format!("{name}/{form}/{k}/{}", passphrase.len()),
                        passphrase: passphrase.to_vec(),
                        vhid,
                        lladdr,
                        ipv4: ipv4.clone(),
                        ipv6: ipv6.clone(),
                        form,
                        counter,
                    });
                }
            }
        }
    }
    cases
}

#[test]
fn the_script_reproduces_every_digest_ucarp_sent_in_the_fixtures() {
    require!(Python3);
    let mut cases = Vec::new();
    let mut digests = Vec::new();
    for fixture in FIXTURES {
        for (i, frame) in fixture.adverts().iter().enumerate() {
            let h = &frame.header;
            let counter = u64::from_be_bytes(h[8..16].try_into().unwrap());
            cases.push(Case {
                name: format!("{}/{i}", fixture.file),
                passphrase: fixture.passphrase.to_vec(),
                vhid: h[1],
                lladdr: None,
                ipv4: vec![VIRTUAL_ADDR],
                ipv6: vec![],
                form: "freebsd",
                counter,
            });
            digests.push(<[u8; 20]>::try_from(&h[16..36]).unwrap());
        }
    }
    assert!(cases.len() >= 10, "fixture adverts: {}", cases.len());
    assert_eq!(script_digests(&cases), digests);
}

#[test]
fn carp_core_signs_what_the_bsd_sources_describe_for_multi_address_and_ipv6_vhids() {
    require!(Python3);
    let cases = cases();
    let expected = script_digests(&cases);
    let mut wrong = Vec::new();
    for (case, want) in cases.iter().zip(&expected) {
        let ours = case.context(case.rule()).sign(case.counter);
        if ours != *want {
            wrong.push(case.name.clone());
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} differ: {wrong:?}",
        wrong.len(),
        cases.len()
    );
}

#[test]
fn carp_core_accepts_either_openbsd_ipv6_form_whichever_it_sends() {
    require!(Python3);
    let cases = cases();
    let expected = script_digests(&cases);
    for (case, digest) in cases.iter().zip(expected) {
        if case.form == "freebsd" {
            continue;
        }
        let advert = Advert {
            vhid: case.vhid,
            advskew: 0,
            demote: 0,
            advbase: 1,
            counter: case.counter,
            digest,
        };
        for rule in [LinkLocalRule::Include, LinkLocalRule::Exclude] {
            assert!(
                case.context(rule).verify(&advert).is_ok(),
                "{}: signed by the script, refused by a context that sends {rule:?}",
                case.name
            );
        }
        // A digest of another vhid's message is refused.
        let mut other = case.clone();
        other.vhid = case.vhid % 255 + 1;
        assert!(
            other.context(case.rule()).verify(&advert).is_err(),
            "{}",
            case.name
        );
    }
}
