//! Tests of the control interface: every configuration line of the shared
//! fixture, every ifconfig word, bad inputs with their typed errors, the
//! `CarpReq` layout and round trip, and the status output.

use core::net::{IpAddr, Ipv4Addr};
use std::string::{String, ToString};
use std::vec::Vec;

use carp_core::vhost::{Field, MAX_ADDRS};
use carp_core::{AdvSkew, ConfigError, Key, LinkLocalRule, State, Vhid, VhostConfig};
use zerocopy::IntoBytes;

use super::*;

mod abi;
mod addresses;
mod ifconfig_words;
mod not_config;
mod vrrp_words;

const FIXTURE: &str = include_str!("../../tests/fixtures/config-examples.txt");

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn name(s: &str) -> IfName {
    IfName::new(s).unwrap()
}

fn words(s: &str) -> IfconfigRequest {
    parse_words(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn only_addr(w: &str) -> AddrSpec {
    let r = words(w);
    assert_eq!(r.addresses.len(), 1, "{w}");
    r.addresses[0]
}

fn base() -> VhostConfig {
    VhostConfig::new(Vhid::new(1).unwrap())
        .with_advskew(100)
        .unwrap()
        .with_passphrase(b"changeme")
        .unwrap()
        .with_address(ip("192.168.0.100"))
        .unwrap()
}

// ===== the fixture file =====

/// What a fixture line must mean.
#[derive(Debug)]
enum Expect {
    Create(&'static str),
    Cloned(&'static [&'static str]),
    NotMine,
    Configure {
        ifname: Option<&'static str>,
        vhid: u8,
        advbase: u8,
        advskew: u8,
        pass: &'static str,
        carpdev: Option<&'static str>,
        /// (address, prefix length, broadcast)
        addr: (&'static str, Option<u8>, Option<&'static str>),
        alias: Option<AliasOp>,
    },
}

fn conf(
    ifname: Option<&'static str>,
    vhid: u8,
    advskew: u8,
    pass: &'static str,
    carpdev: Option<&'static str>,
    addr: (&'static str, Option<u8>, Option<&'static str>),
) -> Expect {
    Expect::Configure {
        ifname,
        vhid,
        advbase: 1,
        advskew,
        pass,
        carpdev,
        addr,
        alias: None,
    }
}

fn fixture_table() -> Vec<(&'static str, Expect)> {
    let c0 = Some("carp0");
    vec![
        ("ifconfig carp0 create", Expect::Create("carp0")),
        (
            "ifconfig carp0 vhid 1 advskew 100 advbase 1 pass changeme 192.168.0.100",
            conf(c0, 1, 100, "changeme", None, ("192.168.0.100", None, None)),
        ),
        (
            "ifconfig carp0 vhid 1 advskew 110 advbase 1 pass changeme 192.168.0.100",
            conf(c0, 1, 110, "changeme", None, ("192.168.0.100", None, None)),
        ),
        (
            "ifconfig carp0 vhid 1 pass lanpasswd carpdev em0 172.16.0.100 255.255.255.0",
            conf(c0, 1, 0, "lanpasswd", Some("em0"), ("172.16.0.100", Some(24), None)),
        ),
        (
            "ifconfig carp1 vhid 2 pass wanpasswd carpdev em1 192.0.2.100 255.255.255.0",
            conf(Some("carp1"), 2, 0, "wanpasswd", Some("em1"), ("192.0.2.100", Some(24), None)),
        ),
        (
            "ifconfig carp0 vhid 1 pass lanpasswd carpdev em0 advskew 128 172.16.0.100 255.255.255.0",
            conf(c0, 1, 128, "lanpasswd", Some("em0"), ("172.16.0.100", Some(24), None)),
        ),
        (
            "inet 10.0.0.1 255.255.255.0 10.0.0.255 vhid 1 pass foo",
            conf(None, 1, 0, "foo", None, ("10.0.0.1", Some(24), Some("10.0.0.255"))),
        ),
        (
            "inet 192.168.0.1 255.255.255.0 192.168.0.255 vhid 2 pass bar",
            conf(None, 2, 0, "bar", None, ("192.168.0.1", Some(24), Some("192.168.0.255"))),
        ),
        (
            "inet 10.0.0.1 255.255.255.0 10.0.0.255 vhid 1 advskew 100 pass foo",
            conf(None, 1, 100, "foo", None, ("10.0.0.1", Some(24), Some("10.0.0.255"))),
        ),
        ("cloned_interfaces=\"carp1 carp2\"", Expect::Cloned(&["carp1", "carp2"])),
        (
            "ifconfig_carp1=\"vhid 1 advskew 50 pass BigPassword 99.88.77.66\"",
            conf(Some("carp1"), 1, 50, "BigPassword", None, ("99.88.77.66", None, None)),
        ),
        (
            "ifconfig_carp2=\"vhid 2 advskew 50 pass BigPass2W 10.11.12.1\"",
            conf(Some("carp2"), 2, 50, "BigPass2W", None, ("10.11.12.1", None, None)),
        ),
        (
            "ifconfig_carp1=\"vhid 1 advskew 80 pass BigPassword 99.88.77.66\"",
            conf(Some("carp1"), 1, 80, "BigPassword", None, ("99.88.77.66", None, None)),
        ),
        (
            "ifconfig_em0_alias0=\"inet vhid 1 pass foo alias 10.0.0.1/32\"",
            Expect::Configure {
                ifname: Some("em0"),
                vhid: 1,
                advbase: 1,
                advskew: 0,
                pass: "foo",
                carpdev: None,
                addr: ("10.0.0.1", Some(32), None),
                alias: Some(AliasOp::Add),
            },
        ),
        ("sysctl -w net.inet.carp.preempt=1", Expect::NotMine),
        ("net.inet.carp.preempt=1", Expect::NotMine),
        ("net.inet.carp.allow=1", Expect::NotMine),
        ("net.inet.carp.log=1", Expect::NotMine),
        ("net.inet.carp.arpbalance=1", Expect::NotMine),
    ]
}

fn check_line(line: &str, expect: &Expect) {
    let parsed = parse_line(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
    match (expect, parsed) {
        (Expect::Create(n), ConfigLine::Create { ifname }) => assert_eq!(ifname.as_str(), *n),
        (Expect::Cloned(want), ConfigLine::Cloned { names }) => {
            let got: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
            assert_eq!(got, *want);
        }
        (Expect::NotMine, ConfigLine::NotMine { line: back }) => assert_eq!(back, line),
        (
            Expect::Configure {
                ifname,
                vhid,
                advbase,
                advskew,
                pass,
                carpdev,
                addr,
                alias,
            },
            ConfigLine::Configure {
                ifname: got_if,
                request,
            },
        ) => {
            assert_eq!(got_if.as_deref(), *ifname, "{line}");
            assert_eq!(
                request.carpdev,
                carpdev.map(|d| CarpdevChange::Set(name(d))),
                "{line}"
            );
            assert_eq!(request.alias, *alias, "{line}");
            let spec = request.addresses.first().copied().unwrap();
            assert_eq!(request.addresses.len(), 1, "{line}");
            assert_eq!(spec.addr, ip(addr.0), "{line}");
            assert_eq!(spec.prefix_len, addr.1, "{line}");
            assert_eq!(spec.broadcast, addr.2.map(|b| b.parse().unwrap()), "{line}");
            // The configuration part; carpdev (checked above) is the
            // interface's, which is why to_config refuses these lines.
            let fresh = VhostConfig::new(request.vhid.unwrap());
            let config = request.apply(&fresh).unwrap();
            assert_eq!(
                request.to_config().ok(),
                carpdev.is_none().then(|| config.clone()),
                "{line}"
            );
            assert_eq!(config.vhid.get(), *vhid, "{line}");
            assert_eq!(config.advbase, *advbase, "{line}");
            assert_eq!(config.advskew.get(), *advskew, "{line}");
            assert_eq!(config.key.passphrase(), pass.as_bytes(), "{line}");
            assert_eq!(config.addresses(), &[ip(addr.0)], "{line}");
        }
        (e, got) => panic!("{line:?}: expected {e:?}, got {got:?}"),
    }
}

#[test]
fn every_fixture_line_parses_into_the_configuration_its_comment_describes() {
    let table = fixture_table();
    let mut seen = 0;
    for line in FIXTURE.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            assert_eq!(parse_line(line), Ok(ConfigLine::Blank), "{line:?}");
            continue;
        }
        let (_, expect) = table
            .iter()
            .find(|(l, _)| *l == trimmed)
            .unwrap_or_else(|| panic!("fixture line {trimmed:?} has no expectation"));
        check_line(line, expect);
        seen += 1;
    }
    assert_eq!(
        seen,
        table.len(),
        "every expectation is a line of the fixture"
    );
}

#[test]
fn openbsd_reconfiguration_changes_advskew_and_keeps_the_one_address() {
    let ConfigLine::Configure { request, .. } =
        parse_line("ifconfig carp0 vhid 1 advskew 100 advbase 1 pass changeme 192.168.0.100")
            .unwrap()
    else {
        panic!("not a configure line")
    };
    let first = request.to_config().unwrap();
    assert_eq!(first, base());
    let ConfigLine::Configure { request, .. } =
        parse_line("ifconfig carp0 vhid 1 advskew 110 advbase 1 pass changeme 192.168.0.100")
            .unwrap()
    else {
        panic!("not a configure line")
    };
    let second = request.apply(&first).unwrap();
    assert_eq!(second.advskew.get(), 110);
    assert_eq!(second.addresses(), &[ip("192.168.0.100")]);
}

#[test]
fn status_matches_the_shape_in_the_fixture_comment() {
    let shape: Vec<&str> = FIXTURE
        .lines()
        .skip_while(|l| !l.starts_with("# Expected status line shape"))
        .skip(1)
        .map(|l| l.trim_start_matches('#').trim())
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(shape.len(), 3);
    let config = base();
    let out = Status {
        ifname: "carp0",
        flags: IfFlags::UP | IfFlags::RUNNING,
        mtu: 1500,
        state: State::Master,
        config: &config,
        prefix_lens: &[24],
        carpdev: None,
        groups: &[],
    }
    .to_string();
    let ours: Vec<&str> = out.lines().map(str::trim).collect();
    assert_eq!(ours, shape);
}

// ===== config-file syntaxes =====

#[test]
fn ifconfig_lines_name_their_interface_and_classify_create_and_destroy() {
    assert_eq!(
        parse_line("ifconfig carp3 destroy"),
        Ok(ConfigLine::Destroy {
            ifname: name("carp3")
        })
    );
    assert_eq!(
        parse_line("  ifconfig carp0 create   # first\t"),
        Ok(ConfigLine::Create {
            ifname: name("carp0")
        })
    );
    let Ok(ConfigLine::Configure { ifname, request }) = parse_line("ifconfig carp0 create vhid 4")
    else {
        panic!("create with words is a configure line")
    };
    assert_eq!(ifname, Some(name("carp0")));
    assert_eq!(request.lifecycle, Some(Lifecycle::Create));
    assert_eq!(request.vhid, Some(Vhid::new(4).unwrap()));
    assert_eq!(
        parse_line("ifconfig carp0"),
        Ok(ConfigLine::Configure {
            ifname: Some(name("carp0")),
            request: IfconfigRequest::default()
        })
    );
}

#[test]
fn blank_and_comment_lines_are_blank() {
    for line in ["", "   ", "\t", "# comment", "   # indented comment"] {
        assert_eq!(parse_line(line), Ok(ConfigLine::Blank), "{line:?}");
    }
}

#[test]
fn rc_conf_values_take_either_quote_or_none_and_keep_hash_inside_quotes_out_of_comments() {
    for line in [
        "ifconfig_carp0='vhid 3 pass x 10.0.0.9/24'",
        "ifconfig_carp0=\"vhid 3 pass x 10.0.0.9/24\" # trailing comment",
        "ifconfig_carp0=vhid\t3 pass x 10.0.0.9/24",
    ] {
        let Ok(ConfigLine::Configure { ifname, request }) = parse_line(line) else {
            panic!("{line:?}")
        };
        assert_eq!(ifname, Some(name("carp0")));
        assert_eq!(request.to_config().unwrap().vhid.get(), 3, "{line:?}");
    }
    assert_eq!(
        parse_line("ifconfig_carp0=vhid"),
        Err(CtlError::MissingValue {
            word: "vhid",
            index: 0
        })
    );
    let Ok(ConfigLine::Configure { request, .. }) =
        parse_line("ifconfig_carp0='vhid 3 pass a#b 10.0.0.9/24'")
    else {
        panic!()
    };
    assert_eq!(request.pass.unwrap().passphrase(), b"a#b");
}

#[test]
fn rc_conf_alias_lines_configure_the_parent_and_imply_alias() {
    for (line, parent) in [
        ("ifconfig_em0_alias0=\"vhid 1 pass foo 10.0.0.1/32\"", "em0"),
        ("ifconfig_igb1_alias12=\"inet vhid 9 10.0.0.1/32\"", "igb1"),
        ("ifconfig_em0_aliases=\"inet vhid 2 10.0.0.1/32\"", "em0"),
    ] {
        let Ok(ConfigLine::Configure { ifname, request }) = parse_line(line) else {
            panic!("{line}")
        };
        assert_eq!(ifname, Some(name(parent)));
        assert_eq!(request.alias, Some(AliasOp::Add));
    }
    let Ok(ConfigLine::Configure { ifname, request }) =
        parse_line("ifconfig_em0_ipv6=\"inet6 2001:db8::5 prefixlen 64 vhid 5\"")
    else {
        panic!()
    };
    assert_eq!(ifname, Some(name("em0")));
    assert_eq!(request.alias, None);
    assert_eq!(request.addresses[0].prefix_len, Some(64));
}

#[test]
fn other_rc_conf_variables_sysctls_and_commands_are_handed_back() {
    for line in [
        "hostname=\"fw1.example.org\"",
        "defaultrouter=\"10.0.0.254\"",
        "sysctl net.inet.carp.log=2",
        "net.inet.carp.demotion=-240",
        "!/sbin/route add default 10.0.0.254",
    ] {
        assert_eq!(
            parse_line(line),
            Ok(ConfigLine::NotMine { line }),
            "{line:?}"
        );
    }
}

#[test]
fn config_file_errors_name_the_word_in_the_whole_line() {
    let cases: &[(&str, CtlError)] = &[
        (
            "ifconfig",
            CtlError::MissingValue {
                word: "ifconfig",
                index: 0,
            },
        ),
        ("ifconfig ../x vhid 1", CtlError::bad_ifname(1, "../x")),
        (
            "ifconfig carp0 vhid 1 bogus",
            CtlError::UnknownWord {
                index: 4,
                word: Snippet::new("bogus"),
            },
        ),
        (
            "ifconfig carp0 vhid 1 pass x 10.0.0.1 255.0.255.0",
            CtlError::BadNetmask {
                index: 7,
                word: Snippet::new("255.0.255.0"),
            },
        ),
        ("ifconfig_carp1=\"vhid 1", CtlError::UnterminatedQuote),
        ("ifconfig_em0_alias0='vhid 1", CtlError::UnterminatedQuote),
        (
            "ifconfig_carp1=\"vhid 1 bogus\"",
            CtlError::UnknownWord {
                index: 2,
                word: Snippet::new("bogus"),
            },
        ),
        (
            "ifconfig_a_very_long_interface_name=\"vhid 1\"",
            CtlError::bad_ifname(0, "a_very_long_interface_name"),
        ),
        (
            "cloned_interfaces=\"carp0 carp/1\"",
            CtlError::bad_ifname(1, "carp/1"),
        ),
        (
            "inet 10.0.0.1 255.255.255.0 10.0.0.255 vhid 0",
            CtlError::ValueOutOfRange {
                word: "vhid",
                index: 5,
                min: 1,
                max: 255,
                got: 0,
            },
        ),
        (
            "dhcp",
            CtlError::UnknownWord {
                index: 0,
                word: Snippet::new("dhcp"),
            },
        ),
    ];
    for (line, err) in cases {
        assert_eq!(parse_line(line), Err(*err), "{line:?}");
    }
    let many: String = (0..=MAX_CLONED).map(|i| format!("carp{i} ")).collect();
    assert_eq!(
        parse_line(&format!("cloned_interfaces=\"{many}\"")),
        Err(CtlError::TooManyNames { max: MAX_CLONED })
    );
}
