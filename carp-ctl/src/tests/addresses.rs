//! Addresses and what qualifies them: which bare word is a netmask or a
//! broadcast (and which is refused as ambiguous), the prefix length of
//! every address in every syntax, and the addresses no vhid may carry.

use super::*;

fn hostname_if(line: &str) -> AddrSpec {
    let r = parse_hostname_if(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
    assert_eq!(r.addresses.len(), 1, "{line}");
    r.addresses[0]
}

#[test]
fn broadcast_follows_the_netmask_in_hostname_if_or_by_keyword() {
    let bcast = Some(Ipv4Addr::new(10, 0, 0, 255));
    for line in [
        "inet 10.0.0.1 255.255.255.0 10.0.0.255 vhid 1 pass foo",
        "inet alias 10.0.0.1 255.255.255.0 10.0.0.255 vhid 1",
        "inet 10.0.0.1 0xffffff00 10.0.0.255",
    ] {
        let spec = hostname_if(line);
        assert_eq!(
            (spec.prefix_len, spec.broadcast),
            (Some(24), bcast),
            "{line}"
        );
    }
    let spec = only_addr("10.0.0.1 netmask 255.255.255.0 broadcast 10.0.0.255");
    assert_eq!((spec.prefix_len, spec.broadcast), (Some(24), bcast));
    let spec = only_addr("10.0.0.1/24 broadcast 10.0.0.255");
    assert_eq!((spec.prefix_len, spec.broadcast), (Some(24), bcast));
    let spec = hostname_if("inet 10.0.0.1 NONE 10.0.0.255 vhid 1");
    assert_eq!((spec.prefix_len, spec.broadcast), (None, bcast));
    let spec = hostname_if("inet 10.0.0.1 255.255.255.0 NONE vhid 1");
    assert_eq!((spec.prefix_len, spec.broadcast), (Some(24), None));
    // netstart gives inet6 lines a prefix length place.
    let spec = hostname_if("inet6 2001:db8::1 64 vhid 1");
    assert_eq!((spec.addr, spec.prefix_len), (ip("2001:db8::1"), Some(64)));
    let spec = hostname_if("inet6 alias 2001:db8::1 48");
    assert_eq!(spec.prefix_len, Some(48));
}

#[test]
fn a_bare_address_after_an_address_is_refused_unless_its_place_says_what_it_is() {
    // The row: the second address silently became a broadcast.
    let ambiguous = |index, word| CtlError::AmbiguousAddress {
        index,
        word: Snippet::new(word),
    };
    for (line, index, word) in [
        ("192.0.2.83/24 192.0.2.9", 1, "192.0.2.9"),
        ("vhid 1 192.0.2.83 192.0.2.9", 3, "192.0.2.9"),
        ("10.0.0.1 255.255.255.0 10.0.0.255", 2, "10.0.0.255"),
        ("10.0.0.1 netmask 255.0.0.0 10.0.0.2", 3, "10.0.0.2"),
        ("10.0.0.1 broadcast 10.0.0.255 10.0.0.2", 3, "10.0.0.2"),
        ("10.0.0.1 192.0.0.0", 1, "192.0.0.0"),
        ("2001:db8::1 2001:db8::2", 1, "2001:db8::2"),
        ("2001:db8::1/64 2001:db8::2", 1, "2001:db8::2"),
        ("10.0.0.1/32 2001:db8::2", 1, "2001:db8::2"),
    ] {
        assert_eq!(parse_words(line), Err(ambiguous(index, word)), "{line}");
    }
    // A carpd or FreeBSD rc.conf line is ifconfig words: refused there too.
    assert_eq!(
        parse_line("ifconfig_carp0=\"vhid 1 192.0.2.83/24 192.0.2.9\""),
        Err(ambiguous(3, "192.0.2.9"))
    );
    assert_eq!(
        parse_line("vhid 1 pass x 192.0.2.83/24 192.0.2.9"),
        Err(ambiguous(5, "192.0.2.9"))
    );
    // hostname.if places: only right after the address, and only one
    // netmask and one broadcast.
    for (line, err) in [
        (
            "inet 10.0.0.1 255.255.255.0 10.0.0.255 10.0.0.2",
            ambiguous(4, "10.0.0.2"),
        ),
        ("inet6 2001:db8::1 2001:db8::2", ambiguous(2, "2001:db8::2")),
        (
            "inet 10.0.0.1 10.0.0.2",
            CtlError::BadNetmask {
                index: 2,
                word: Snippet::new("10.0.0.2"),
            },
        ),
    ] {
        assert_eq!(parse_hostname_if(line), Err(err), "{line}");
    }
    // What the syntax makes certain is accepted: a /prefix on each address,
    // a keyword between them, a netmask no address can be.
    for (line, n) in [
        ("10.0.0.1/32 10.0.0.2/32", 2),
        ("10.0.0.1 vhid 1 10.0.0.2", 2),
        ("10.0.0.1 alias 10.0.0.2", 2),
        ("2001:db8::1/64 2001:db8::2/64", 2),
        ("10.0.0.1 255.255.255.0", 1),
        ("10.0.0.1 0xffffff00", 1),
        ("10.0.0.1 240.0.0.0", 1),
        ("10.0.0.1 0.0.0.0", 1),
    ] {
        assert_eq!(words(line).addresses.len(), n, "{line}");
    }
}

#[test]
fn every_syntax_carries_the_prefix_length_of_every_address() {
    // (line, parsed as hostname.if, expected (address, prefix) in order)
    type Case<'a> = (&'a str, bool, &'a [(&'a str, u8)]);
    let cases: &[Case] = &[
        ("vhid 1 192.0.2.1/24", false, &[("192.0.2.1", 24)]),
        (
            "192.0.2.1 netmask 255.255.255.128",
            false,
            &[("192.0.2.1", 25)],
        ),
        ("192.0.2.1 netmask 0xffff0000", false, &[("192.0.2.1", 16)]),
        ("192.0.2.1 255.255.255.0", false, &[("192.0.2.1", 24)]),
        ("192.0.2.1 prefixlen 30", false, &[("192.0.2.1", 30)]),
        (
            "inet 192.0.2.1 255.255.255.0 NONE",
            true,
            &[("192.0.2.1", 24)],
        ),
        (
            "inet alias 192.0.2.1 0xffffff00",
            true,
            &[("192.0.2.1", 24)],
        ),
        ("inet6 2001:db8::1 64", true, &[("2001:db8::1", 64)]),
        (
            "inet6 2001:db8::1 prefixlen 56",
            false,
            &[("2001:db8::1", 56)],
        ),
        ("2001:db8::1/48", false, &[("2001:db8::1", 48)]),
        (
            "10.0.0.1/8 2001:db8::1/64 alias 192.0.2.9 netmask 255.255.255.0",
            false,
            &[("10.0.0.1", 8), ("2001:db8::1", 64), ("192.0.2.9", 24)],
        ),
    ];
    for (line, hn, expect) in cases {
        let req = if *hn {
            parse_hostname_if(line)
        } else {
            parse_words(line)
        }
        .unwrap_or_else(|e| panic!("{line:?}: {e}"));
        let got: Vec<(IpAddr, Option<u8>)> = req
            .addresses
            .iter()
            .map(|a| (a.addr, a.prefix_len))
            .collect();
        let want: Vec<(IpAddr, Option<u8>)> =
            expect.iter().map(|(a, p)| (ip(a), Some(*p))).collect();
        assert_eq!(got, want, "{line:?}");
    }
    // rc.conf and a carpreq carry them too.
    let Ok(ConfigLine::Configure { request, .. }) =
        parse_line("ifconfig_em0_alias0=\"inet vhid 1 pass foo alias 10.0.0.1/27\"")
    else {
        panic!()
    };
    assert_eq!(request.addresses[0].prefix_len, Some(27));
    let mut req = CarpReq::from_config(&base(), State::Init, None);
    req.set_prefix_len(0, 22).unwrap();
    let back = CarpReq::from_bytes(req.as_bytes()).unwrap();
    assert_eq!(
        back.addresses().unwrap().as_slice(),
        &[(ip("192.168.0.100"), 22)]
    );
    // Not given: the BSD default, classful for IPv4 and /64 for IPv6.
    let req = words("vhid 1 10.0.0.1");
    assert_eq!(req.addresses[0].prefix_len, None);
    assert_eq!(req.addresses[0].prefix_len_or_default(), 8);
    for (addr, len) in [
        ("10.0.0.1", 8),
        ("172.16.0.1", 16),
        ("192.168.1.1", 24),
        ("240.0.0.1", 32),
        ("2001:db8::1", 64),
    ] {
        assert_eq!(default_prefix_len(ip(addr)), len, "{addr}");
        let spec = AddrSpec {
            addr: ip(addr),
            prefix_len: None,
            broadcast: None,
        };
        assert_eq!(spec.prefix_len_or_default(), len);
        let given = AddrSpec {
            prefix_len: Some(31),
            ..spec
        };
        assert_eq!(given.prefix_len_or_default(), 31);
    }
}

#[test]
fn no_syntax_puts_an_unusable_address_on_a_vhid() {
    // The row: 255.255.255.255 was accepted and put in the HMAC.
    // carp-core's VhostConfig::add_address refuses it for every path.
    let refused = |a: &str| CtlError::Config(ConfigError::BadAddress(ip(a)));
    for addr in [
        "255.255.255.255",
        "0.0.0.0",
        "224.0.0.18",
        "127.0.0.1",
        "::1",
        "ff02::12",
    ] {
        let words = format!("vhid 1 {addr}");
        let fresh = VhostConfig::new(Vhid::new(1).unwrap());
        assert_eq!(
            parse_words(&words).unwrap().apply(&fresh),
            Err(refused(addr)),
            "{addr}"
        );
        assert_eq!(
            parse_words(&words).unwrap().to_config(),
            Err(refused(addr)),
            "{addr}"
        );
        let mut req = CarpReq::from_config(&fresh, State::Init, None);
        req.naddrs = 1;
        req.addrs[0] = CarpReqAddr::new(ip(addr), 32);
        assert_eq!(req.to_config(), Err(refused(addr)), "{addr}");
    }
    let Ok(ConfigLine::Configure { request, .. }) =
        parse_line("inet 255.255.255.255 255.255.255.0 NONE vhid 1")
    else {
        panic!()
    };
    assert_eq!(request.to_config(), Err(refused("255.255.255.255")));
}
