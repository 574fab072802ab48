//! FreeBSD 14's `carpver`, `vrrpprio`, `vrrpinterval`, `peer`, `peer6`,
//! `-peer`, `-peer6`, OpenBSD's `carppeer`, `-carppeer`, our
//! `vrrpaccept`: parsed, applied, refused with their ranges, and printed
//! back in the status as the BSDs print them.

use super::*;
use crate::{CarpLine, PeerChange};
use carp_core::{Peers, Version};

#[test]
fn freebsd_vrrp_words_make_a_vrrp_vhid() {
    // tests/sys/netinet/carp.sh, vrrp_v4: `add vhid 1 carpver 3 192.0.2.1/29`.
    let r = words("vhid 1 carpver 3 vrrpprio 200 vrrpinterval 50 192.0.2.1/29");
    let c = r.to_config().unwrap();
    assert_eq!(c.version, Version::Vrrp);
    assert_eq!((c.vrrp.priority.get(), c.vrrp.interval.get()), (200, 50));
    assert!(!c.vrrp.accept);
    let c = words("vhid 1 carpver 3 vrrpaccept 192.0.2.1")
        .to_config()
        .unwrap();
    assert!(c.vrrp.accept);
    // Back to CARP keeps the VRRP values for a later switch.
    let back = words("carpver 2").apply(&c).unwrap();
    assert_eq!((back.version, back.vrrp.accept), (Version::Carp, true));
}

#[test]
fn vrrp_words_are_refused_outside_their_ranges_naming_the_word() {
    for (line, text) in [
        (
            "vhid 1 vrrpprio 0",
            "vrrpprio (word 4) 0: out of range 1..255",
        ),
        (
            "vhid 1 vrrpprio 256",
            "vrrpprio (word 4) 256: out of range 1..255",
        ),
        (
            "vhid 1 vrrpinterval 0",
            "vrrpinterval (word 4) 0: out of range 1..4095",
        ),
        (
            "vhid 1 vrrpinterval 4096",
            "vrrpinterval (word 4) 4096: out of range 1..4095",
        ),
        ("vhid 1 carpver 4", "carpver (word 4) 4: out of range 2..3"),
        (
            "vhid 1 carpver 3 carpver 2",
            "carpver (word 5): given twice",
        ),
        (
            "vhid 1 vrrpaccept -vrrpaccept",
            "-vrrpaccept (word 4): contradicts an earlier word",
        ),
    ] {
        assert_eq!(parse_words(line).unwrap_err().to_string(), text, "{line}");
    }
}

#[test]
fn peers_set_clear_and_refuse_the_wrong_family_or_a_group() {
    let r = words("vhid 1 peer 198.51.100.224 peer6 2001:db8:2::2 192.0.2.1/32");
    assert_eq!(
        r.peer,
        Some(PeerChange::Set(Ipv4Addr::new(198, 51, 100, 224)))
    );
    let c = r.to_config().unwrap();
    assert_eq!(c.peers.destination_v4(), Ipv4Addr::new(198, 51, 100, 224));
    assert_eq!(c.peers.v6(), Some("2001:db8:2::2".parse().unwrap()));
    // OpenBSD's spelling is the same setting.
    let openbsd = words("vhid 1 carppeer 198.51.100.224 192.0.2.1/32")
        .to_config()
        .unwrap();
    assert_eq!(openbsd.peers.v4(), c.peers.v4());
    for clear in ["-peer -peer6", "-carppeer -peer6"] {
        assert_eq!(words(clear).apply(&c).unwrap().peers, Peers::MULTICAST);
    }
    let e = parse_words("vhid 1 peer 2001:db8::1").unwrap_err();
    assert_eq!(
        e.to_string(),
        "word 4 \"2001:db8::1\": wrong address family"
    );
    let e = parse_words("vhid 1 peer6 198.51.100.1").unwrap_err();
    assert!(matches!(e, CtlError::FamilyMismatch { index: 3, .. }));
    assert!(matches!(
        parse_words("vhid 1 peer bogus"),
        Err(CtlError::BadAddress { index: 3, .. })
    ));
    assert_eq!(
        parse_words("vhid 1 peer 198.51.100.1 -peer")
            .unwrap_err()
            .to_string(),
        "-peer (word 5): contradicts an earlier word"
    );
    assert_eq!(
        words("vhid 1 peer 224.0.0.1 192.0.2.1").to_config(),
        Err(CtlError::Config(ConfigError::BadPeer(ip("224.0.0.1"))))
    );
    // The group itself is FreeBSD's `-peer`.
    let c = words("vhid 1 peer 224.0.0.18 192.0.2.1")
        .to_config()
        .unwrap();
    assert_eq!(c.peers, Peers::MULTICAST);
}

#[test]
fn status_prints_freebsds_vrrp_line_and_peer_line() {
    let vrrp = words("vhid 1 carpver 3 192.0.2.1").to_config().unwrap();
    let line = CarpLine {
        state: State::Master,
        config: &vrrp,
        carpdev: None,
    };
    // FreeBSD ifconfig carp_print_vrrp3.
    assert_eq!(
        line.to_string(),
        "vrrp: MASTER vrid 1 prio 100 interval 100"
    );
    assert!(line.peer_line().is_none(), "multicast: no peer line");

    let unicast = words("vhid 1 peer 198.51.100.224 192.0.2.1")
        .to_config()
        .unwrap();
    let line = CarpLine {
        state: State::Backup,
        config: &unicast,
        carpdev: None,
    };
    assert_eq!(line.to_string(), "carp: BACKUP vhid 1 advbase 1 advskew 0");
    // FreeBSD carp_print_peer, after a tab: six spaces, both families.
    assert_eq!(
        line.peer_line().unwrap().to_string(),
        "      peer 198.51.100.224 peer6 ff02::12"
    );
    // OpenBSD's form carries the IPv4 peer on the carp line.
    let line = CarpLine {
        state: State::Backup,
        config: &unicast,
        carpdev: Some("em0"),
    };
    assert_eq!(
        line.to_string(),
        "carp: BACKUP carpdev em0 vhid 1 advbase 1 advskew 0 carppeer 198.51.100.224"
    );
    assert!(line.peer_line().is_none());
}

#[test]
fn config_file_lines_carry_the_new_words() {
    match parse_line(
        "ifconfig_em0_alias0=\"inet vhid 1 carpver 3 vrrpprio 200 alias 192.0.2.1/32\"",
    )
    .unwrap()
    {
        ConfigLine::Configure { request, .. } => {
            let c = request.to_config().unwrap();
            assert_eq!((c.version, c.vrrp.priority.get()), (Version::Vrrp, 200));
        }
        other => panic!("{other:?}"),
    }
    // OpenBSD hostname.carp0: the words after the address places.
    let r = parse_hostname_if("inet 10.0.0.1 255.255.255.0 NONE vhid 1 carppeer 10.0.0.2").unwrap();
    assert_eq!(r.peer, Some(PeerChange::Set(Ipv4Addr::new(10, 0, 0, 2))));
}
