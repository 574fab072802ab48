//! ifconfig words: every keyword, `apply`, and bad input with its typed
//! error.

use super::*;
// ===== every ifconfig word =====

#[test]
fn carp_words_set_their_fields() {
    let r = words("vhid 7 advbase 3 advskew 254 pass secret carpdev em0.100 state master");
    assert_eq!(r.vhid, Some(Vhid::new(7).unwrap()));
    assert_eq!(r.advbase, Some(3));
    assert_eq!(r.advskew, Some(AdvSkew::new(254).unwrap()));
    assert_eq!(r.pass, Some(Key::new(b"secret").unwrap()));
    assert_eq!(r.carpdev, Some(CarpdevChange::Set(name("em0.100"))));
    assert_eq!(r.state, Some(State::Master));
    assert!(r.addresses.is_empty());
    assert_eq!(
        words("advbase 0").advbase,
        Some(0),
        "OpenBSD sub-second mode"
    );
    assert_eq!(words("vhid 255").vhid.map(Vhid::get), Some(255));
    assert_eq!(
        words("pass 1234567890123456789")
            .pass
            .unwrap()
            .passphrase()
            .len(),
        19
    );
    assert_eq!(words("-carpdev").carpdev, Some(CarpdevChange::Remove));
    assert_eq!(words(""), IfconfigRequest::default());
}

#[test]
fn state_values_match_in_any_case() {
    for (w, s) in [
        ("state init", State::Init),
        ("state backup", State::Backup),
        ("state MASTER", State::Master),
        ("state Backup", State::Backup),
    ] {
        assert_eq!(words(w).state, Some(s), "{w}");
    }
}

#[test]
fn interface_words_set_their_fields() {
    let r = words("inet up create alias");
    assert_eq!(r.family, Some(Family::Inet));
    assert_eq!(r.up, Some(true));
    assert_eq!(r.lifecycle, Some(Lifecycle::Create));
    assert_eq!(r.alias, Some(AliasOp::Add));
    let r = words("inet6 down destroy -alias");
    assert_eq!(r.family, Some(Family::Inet6));
    assert_eq!(r.up, Some(false));
    assert_eq!(r.lifecycle, Some(Lifecycle::Destroy));
    assert_eq!(r.alias, Some(AliasOp::Remove));
    assert_eq!(words("delete").alias, Some(AliasOp::Remove));
}

#[test]
fn every_netmask_spelling_gives_the_same_prefix() {
    for w in [
        "192.0.2.100/24",
        "192.0.2.100 255.255.255.0",
        "192.0.2.100 0xffffff00",
        "192.0.2.100 netmask 255.255.255.0",
        "192.0.2.100 netmask 0xffffff00",
        "inet 192.0.2.100 prefixlen 24",
        "vhid 1 192.0.2.100 netmask 255.255.255.0 advskew 4",
    ] {
        let spec = only_addr(w);
        assert_eq!(spec.addr, ip("192.0.2.100"), "{w}");
        assert_eq!(spec.prefix_len, Some(24), "{w}");
    }
    assert_eq!(only_addr("10.0.0.1").prefix_len, None);
    assert_eq!(only_addr("10.0.0.1 0.0.0.0").prefix_len, Some(0));
    assert_eq!(only_addr("10.0.0.1 255.255.255.255").prefix_len, Some(32));
}

#[test]
fn netmask_parser_accepts_only_contiguous_masks() {
    assert_eq!(parse_netmask("255.255.255.128"), Some(25));
    assert_eq!(parse_netmask("0xFFFF0000"), Some(16));
    assert_eq!(parse_netmask("0Xff000000"), Some(8));
    assert_eq!(parse_netmask("255.0.255.0"), None);
    assert_eq!(parse_netmask("0.255.255.255"), None);
    assert_eq!(parse_netmask("0x1ffffff00"), None);
    assert_eq!(parse_netmask("0x"), None);
    assert_eq!(parse_netmask("255.255.255"), None);
}

#[test]
fn inet6_addresses_take_cidr_or_prefixlen() {
    let spec = only_addr("inet6 2001:db8::1 prefixlen 64");
    assert_eq!((spec.addr, spec.prefix_len), (ip("2001:db8::1"), Some(64)));
    assert_eq!(only_addr("2001:db8::1/56").prefix_len, Some(56));
    assert_eq!(only_addr("fe80::1").prefix_len, None);
}

#[test]
fn several_addresses_separated_by_keywords_are_kept_in_order() {
    let r = words("vhid 1 10.0.0.1/24 alias 10.0.0.2 2001:db8::2/64 pass x 10.0.0.3");
    let addrs: Vec<IpAddr> = r.addresses.iter().map(|a| a.addr).collect();
    assert_eq!(
        addrs,
        [
            ip("10.0.0.1"),
            ip("10.0.0.2"),
            ip("2001:db8::2"),
            ip("10.0.0.3")
        ]
    );
}

#[test]
fn openbsd_and_freebsd_spellings_give_the_same_configuration() {
    let open = words("vhid 1 advbase 1 advskew 100 pass x carpdev em0 192.0.2.100 255.255.255.0");
    let free = words("vhid 1 advskew 100 pass x 192.0.2.100/24");
    let fresh = VhostConfig::new(Vhid::new(1).unwrap());
    assert_eq!(open.apply(&fresh), free.apply(&fresh));
    assert_eq!(open.addresses, free.addresses);
}

// ===== apply =====

#[test]
fn apply_replaces_fields_and_the_primary_address() {
    let b = base();
    let next = words("advskew 5 advbase 2 pass other 192.168.0.101")
        .apply(&b)
        .unwrap();
    assert_eq!(next.advskew.get(), 5);
    assert_eq!(next.advbase, 2);
    assert_eq!(next.key.passphrase(), b"other");
    assert_eq!(next.addresses(), &[ip("192.168.0.101")]);
    assert_eq!(next.vhid, b.vhid);
    assert_eq!(b, base(), "base untouched");
}

#[test]
fn apply_alias_adds_and_minus_alias_removes() {
    let b = base();
    let added = words("alias 192.168.0.2/32").apply(&b).unwrap();
    assert_eq!(added.addresses(), &[ip("192.168.0.100"), ip("192.168.0.2")]);
    let again = words("alias 192.168.0.2/32").apply(&added).unwrap();
    assert_eq!(again, added, "re-adding an alias keeps it once");
    let removed = words("-alias 192.168.0.100").apply(&added).unwrap();
    assert_eq!(removed.addresses(), &[ip("192.168.0.2")]);
    let v6 = words("inet6 2001:db8::1 prefixlen 64").apply(&b).unwrap();
    assert_eq!(
        v6.addresses(),
        &[ip("192.168.0.100"), ip("2001:db8::1")],
        "other family kept"
    );
}

#[test]
fn apply_ignores_the_words_that_are_not_configuration() {
    let b = base();
    assert_eq!(
        words("state backup carpdev em0 up create inet").apply(&b),
        Ok(b.clone())
    );
    assert_eq!(words("-carpdev down").apply(&b), Ok(b));
}

// ===== bad input =====

#[test]
fn bad_words_are_answered_by_typed_errors_naming_the_word() {
    let range = |word, index, min, max, got| CtlError::ValueOutOfRange {
        word,
        index,
        min,
        max,
        got,
    };
    let sn = Snippet::new;
    let cases: &[(&str, CtlError)] = &[
        ("vhid 0", range("vhid", 1, 1, 255, 0)),
        ("vhid 256", range("vhid", 1, 1, 255, 256)),
        ("vhid -1", range("vhid", 1, 1, 255, -1)),
        ("advbase 256", range("advbase", 1, 0, 255, 256)),
        ("advskew 255", range("advskew", 1, 0, 254, 255)),
        ("advskew 300", range("advskew", 1, 0, 254, 300)),
        (
            "vhid one",
            CtlError::BadNumber {
                word: "vhid",
                index: 1,
                got: sn("one"),
            },
        ),
        (
            "advskew 1e2",
            CtlError::BadNumber {
                word: "advskew",
                index: 1,
                got: sn("1e2"),
            },
        ),
        (
            "vhid 99999999999999999999",
            CtlError::BadNumber {
                word: "vhid",
                index: 1,
                got: sn("99999999999999999999"),
            },
        ),
        (
            "pass 12345678901234567890",
            CtlError::PassTooLong { len: 20 },
        ),
        (
            "vhid 1 pass ab\0cd 192.0.2.1",
            CtlError::PassHasNul { index: 3 },
        ),
        (
            "frobnicate",
            CtlError::UnknownWord {
                index: 0,
                word: sn("frobnicate"),
            },
        ),
        (
            "vhid 1 frobnicate",
            CtlError::UnknownWord {
                index: 2,
                word: sn("frobnicate"),
            },
        ),
        (
            "vhid",
            CtlError::MissingValue {
                word: "vhid",
                index: 0,
            },
        ),
        (
            "vhid 1 pass",
            CtlError::MissingValue {
                word: "pass",
                index: 2,
            },
        ),
        (
            "carpdev",
            CtlError::MissingValue {
                word: "carpdev",
                index: 0,
            },
        ),
        (
            "state",
            CtlError::MissingValue {
                word: "state",
                index: 0,
            },
        ),
        (
            "10.0.0.1 netmask",
            CtlError::MissingValue {
                word: "netmask",
                index: 1,
            },
        ),
        (
            "10.0.0.300",
            CtlError::BadAddress {
                index: 0,
                word: sn("10.0.0.300"),
            },
        ),
        (
            "vhid 1 192.168.0",
            CtlError::BadAddress {
                index: 2,
                word: sn("192.168.0"),
            },
        ),
        (
            "2001:db8::zz",
            CtlError::BadAddress {
                index: 0,
                word: sn("2001:db8::zz"),
            },
        ),
        (
            "10.0.0.1 broadcast 10.0.0",
            CtlError::BadAddress {
                index: 2,
                word: sn("10.0.0"),
            },
        ),
        (
            "10.0.0.1 255.0.255.0",
            CtlError::BadNetmask {
                index: 1,
                word: sn("255.0.255.0"),
            },
        ),
        (
            "10.0.0.1 0xff00ff00",
            CtlError::BadNetmask {
                index: 1,
                word: sn("0xff00ff00"),
            },
        ),
        (
            "10.0.0.1 netmask 0xff00ff00",
            CtlError::BadNetmask {
                index: 2,
                word: sn("0xff00ff00"),
            },
        ),
        (
            "10.0.0.1 netmask 24",
            CtlError::BadNetmask {
                index: 2,
                word: sn("24"),
            },
        ),
        ("10.0.0.1/33", range("prefixlen", 0, 0, 32, 33)),
        (
            "10.0.0.1/x",
            CtlError::BadNumber {
                word: "prefixlen",
                index: 0,
                got: sn("x"),
            },
        ),
        ("2001:db8::1/129", range("prefixlen", 0, 0, 128, 129)),
        (
            "2001:db8::1 prefixlen 129",
            range("prefixlen", 2, 0, 128, 129),
        ),
        ("10.0.0.1 prefixlen 33", range("prefixlen", 2, 0, 32, 33)),
        (
            "state bogus",
            CtlError::BadState {
                index: 1,
                got: sn("bogus"),
            },
        ),
        (
            "carpdev averyveryverylongname0",
            CtlError::BadIfName {
                index: 1,
                name: sn("averyveryverylongname0"),
            },
        ),
        (
            "carpdev em0;",
            CtlError::BadIfName {
                index: 1,
                name: sn("em0;"),
            },
        ),
        (
            "vhid 1 vhid 2",
            CtlError::Repeated {
                word: "vhid",
                index: 2,
            },
        ),
        (
            "pass a pass b",
            CtlError::Repeated {
                word: "pass",
                index: 2,
            },
        ),
        (
            "carpdev em0 carpdev em1",
            CtlError::Repeated {
                word: "carpdev",
                index: 2,
            },
        ),
        (
            "10.0.0.1/24 netmask 255.0.0.0",
            CtlError::Repeated {
                word: "netmask",
                index: 1,
            },
        ),
        (
            "up down",
            CtlError::Conflict {
                word: "down",
                index: 1,
            },
        ),
        (
            "create destroy",
            CtlError::Conflict {
                word: "destroy",
                index: 1,
            },
        ),
        (
            "carpdev em0 -carpdev",
            CtlError::Conflict {
                word: "-carpdev",
                index: 2,
            },
        ),
        (
            "-carpdev carpdev em0",
            CtlError::Conflict {
                word: "carpdev",
                index: 1,
            },
        ),
        (
            "alias -alias",
            CtlError::Conflict {
                word: "-alias",
                index: 1,
            },
        ),
        (
            "state master state backup",
            CtlError::Conflict {
                word: "state",
                index: 2,
            },
        ),
        (
            "inet inet6",
            CtlError::Conflict {
                word: "inet6",
                index: 1,
            },
        ),
        (
            "inet 2001:db8::1",
            CtlError::FamilyMismatch {
                index: 1,
                word: sn("2001:db8::1"),
            },
        ),
        (
            "inet6 10.0.0.1",
            CtlError::FamilyMismatch {
                index: 1,
                word: sn("10.0.0.1"),
            },
        ),
        (
            "10.0.0.1 inet6",
            CtlError::FamilyMismatch {
                index: 1,
                word: sn("inet6"),
            },
        ),
        (
            "2001:db8::1 netmask 255.255.255.0",
            CtlError::FamilyMismatch {
                index: 1,
                word: sn("255.255.255.0"),
            },
        ),
        (
            "2001:db8::1 broadcast 10.0.0.255",
            CtlError::FamilyMismatch {
                index: 2,
                word: sn("10.0.0.255"),
            },
        ),
        (
            "netmask 255.255.255.0",
            CtlError::Misplaced {
                word: "netmask",
                index: 0,
            },
        ),
        (
            "prefixlen 64 2001:db8::1",
            CtlError::Misplaced {
                word: "prefixlen",
                index: 0,
            },
        ),
        (
            "broadcast 10.0.0.255",
            CtlError::Misplaced {
                word: "broadcast",
                index: 0,
            },
        ),
        (
            "vhid 1 NONE",
            CtlError::Misplaced {
                word: "NONE",
                index: 2,
            },
        ),
    ];
    for (w, err) in cases {
        assert_eq!(parse_words(w), Err(*err), "{w:?}");
        // Every one names its word by position (counted from 1 when
        // shown), but the too-long passphrase, which is not echoed.
        let shown = err.to_string();
        match err.index() {
            Some(i) => assert!(shown.contains(&format!("word {}", i + 1)), "{w:?}: {shown}"),
            None => assert_eq!(*err, CtlError::PassTooLong { len: 20 }),
        }
    }
}

#[test]
fn nine_addresses_are_too_many() {
    let nine_v4: String = (1..=9).map(|i| format!("10.0.0.{i}/32 ")).collect();
    assert_eq!(
        parse_words(&nine_v4),
        Err(CtlError::TooManyAddresses { max: MAX_ADDRS })
    );
    let nine_v6: String = (1..=9).map(|i| format!("2001:db8::{i}/128 ")).collect();
    assert_eq!(
        parse_words(&nine_v6),
        Err(CtlError::TooManyAddresses { max: MAX_ADDRS })
    );
    let eight: String = (1..=8).map(|i| format!("10.0.0.{i}/32 ")).collect();
    assert_eq!(words(&eight).addresses.len(), 8);
}

#[test]
fn a_refused_apply_leaves_the_base_configuration_unchanged() {
    let full = (1..=7).fold(base(), |c, i| {
        c.with_address(ip(&format!("10.1.0.{i}"))).unwrap()
    });
    let cases: &[(&str, &VhostConfig, CtlError)] = &[
        (
            "advskew 1 224.0.0.18",
            &base(),
            CtlError::Config(ConfigError::BadAddress(ip("224.0.0.18"))),
        ),
        (
            "vhid 2 127.0.0.1",
            &base(),
            CtlError::Config(ConfigError::BadAddress(ip("127.0.0.1"))),
        ),
        (
            "pass zz 0.0.0.0",
            &base(),
            CtlError::Config(ConfigError::BadAddress(ip("0.0.0.0"))),
        ),
        (
            "advskew 9 -alias 10.9.9.9",
            &base(),
            CtlError::AddressNotFound(ip("10.9.9.9")),
        ),
        (
            "alias 10.0.0.1/32 vhid 3 10.0.0.1/32",
            &base(),
            CtlError::Config(ConfigError::DuplicateAddress(ip("10.0.0.1"))),
        ),
        (
            "alias 10.2.0.1/32 advskew 3 10.2.0.2/32",
            &full,
            CtlError::Config(ConfigError::TooManyAddresses { max: MAX_ADDRS }),
        ),
    ];
    for (w, b, err) in cases {
        let before = (*b).clone();
        assert_eq!(words(w).apply(b), Err(*err), "{w:?}");
        assert_eq!(*b, &before, "{w:?}");
    }
    assert_eq!(words("advskew 3").to_config(), Err(CtlError::MissingVhid));
}

#[test]
fn errors_display_the_word_and_the_reason() {
    let shown = |s: &str| parse_words(s).unwrap_err().to_string();
    // The row: `word 8: unknown` never said which word.
    assert_eq!(
        shown("vhid 1 advskew 100 pass x up bogus"),
        "word 8 \"bogus\": unknown (not a keyword, an address or a value)"
    );
    assert_eq!(
        shown("advskew 300"),
        "advskew (word 2) 300: out of range 0..254"
    );
    assert_eq!(shown("vhid 0"), "vhid (word 2) 0: out of range 1..255");
    assert_eq!(
        shown("vhid 1 10.0.0.1/33"),
        "prefixlen (word 3) 33: out of range 0..32"
    );
    assert_eq!(
        shown("vhid x1"),
        "vhid (word 2) \"x1\": not a decimal number"
    );
    assert_eq!(shown("vhid 1 pass"), "pass (word 3): missing value");
    assert_eq!(
        shown("pass 12345678901234567890"),
        "pass of 20 bytes: too long (at most 19)"
    );
    assert_eq!(
        shown("state bogus"),
        "state (word 2) \"bogus\": not init, backup or master"
    );
    assert_eq!(
        shown("10.0.0.1 255.0.255.0"),
        "word 2 \"255.0.255.0\": not a contiguous IPv4 netmask"
    );
    assert_eq!(
        shown("10.0.0.300"),
        "word 1 \"10.0.0.300\": not an IPv4 or IPv6 address"
    );
    assert_eq!(
        shown("192.0.2.83/24 192.0.2.9"),
        "word 2 \"192.0.2.9\": a bare address right after an address (netmask, broadcast or \
         another address?): write netmask, broadcast or a /prefix"
    );
    assert_eq!(
        shown("carpdev em0;"),
        "word 2 \"em0;\": not an interface name (1-15 letters, digits, '.', '_', '-')"
    );
    assert_eq!(
        shown("lladdr 01:00:5e:00:00:12"),
        "lladdr (word 2) \"01:00:5e:00:00:12\": not random or a unicast MAC xx:xx:xx:xx:xx:xx"
    );
    assert_eq!(
        CtlError::Config(ConfigError::BadAddress(ip("255.255.255.255"))).to_string(),
        "255.255.255.255 cannot be a virtual address: broadcast"
    );
    let e: &dyn core::error::Error = &CtlError::Config(ConfigError::TooManyAddresses { max: 8 });
    assert!(e.source().is_some());
}

#[test]
fn an_error_keeps_a_bounded_copy_of_the_word_and_outlives_the_line() {
    let line = format!("vhid 1 {}", "z".repeat(100));
    let err = parse_words(&line).unwrap_err();
    drop(line);
    let CtlError::UnknownWord { index: 2, word } = err else {
        panic!("{err:?}")
    };
    assert_eq!(word.as_str(), "z".repeat(32));
    assert!(word.is_truncated());
    assert_eq!(
        err.to_string(),
        format!(
            "word 3 \"{}...\": unknown (not a keyword, an address or a value)",
            "z".repeat(32)
        )
    );
    // Copy, and small enough to return by value everywhere.
    assert!(core::mem::size_of::<CtlError>() <= 64);
}

#[test]
fn any_three_words_from_the_vocabulary_parse_or_fail_without_panicking() {
    let vocab = [
        "vhid",
        "1",
        "0",
        "256",
        "advbase",
        "advskew",
        "pass",
        "carpdev",
        "em0",
        "-carpdev",
        "state",
        "master",
        "inet",
        "inet6",
        "alias",
        "-alias",
        "up",
        "down",
        "create",
        "netmask",
        "prefixlen",
        "broadcast",
        "NONE",
        "10.0.0.1",
        "10.0.0.1/24",
        "255.255.255.0",
        "0xffffff00",
        "2001:db8::1",
        "fe80::1/64",
        "224.0.0.18",
        "x/y",
        "",
    ];
    let b = base();
    for a in vocab {
        for c in vocab {
            for d in vocab {
                let line = format!("{a} {c} {d}");
                if let Ok(req) = parse_words(&line) {
                    let before = b.clone();
                    let _ = req.apply(&b);
                    assert_eq!(b, before);
                    let _ = req.to_config();
                }
                let _ = parse_line(&format!("ifconfig carp0 {line}"));
                let _ = parse_line(&format!("ifconfig_em0_alias0=\"{line}\""));
            }
        }
    }
}
