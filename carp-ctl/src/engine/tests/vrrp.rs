//! The engine with VRRPv3 vhids and unicast peers: FreeBSD 14's own test
//! sequences (tests/sys/netinet/carp.sh `vrrp_v4`, `unicast_v4`), the
//! status they print, and the requests it refuses whole.

use super::*;

fn status(e: &TestEngine, target: &str) -> String {
    let mut out = String::new();
    e.status(target, &mut out).unwrap();
    out
}

#[test]
fn a_freebsd_vrrp_vhid_runs_and_prints_its_vrrp_line() {
    let (mut e, em0) = engine();
    e.ifconfig(t(0), "em0", "add vhid 1 carpver 3 192.0.2.1/29")
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(state(&e, em0, 1), State::Backup);
    assert!(status(&e, "em0").contains("\tvrrp: BACKUP vrid 1 prio 100 interval 100\n"));
    // Alone it takes over at RFC 9568's master-down: 3 s + 156/256 s.
    run(&mut e, em0, 3_609_374);
    assert_eq!(state(&e, em0, 1), State::Backup);
    run(&mut e, em0, 3_609_375);
    assert_eq!(state(&e, em0, 1), State::Master);
    e.ifconfig(t(4_000_000), "em0", "vhid 1 vrrpprio 254 vrrpinterval 50")
        .unwrap();
    assert!(status(&e, "em0").contains("\tvrrp: MASTER vrid 1 prio 254 interval 50\n"));
}

#[test]
fn freebsd_unicast_v4_keeps_the_peer_when_settings_change() {
    // carp.sh unicast_v4: `add vhid 1 peer 198.51.100.224 192.0.2.1/32`,
    // then `vhid 1 advskew 2` must leave `peer 198.51.100.224` in the
    // status.
    let (mut e, em0) = engine();
    e.ifconfig(t(0), "em0", "add vhid 1 peer 198.51.100.224 192.0.2.1/32")
        .unwrap();
    e.ifconfig(t(1), "em0", "vhid 1 advskew 2").unwrap();
    let s = status(&e, "em0");
    assert!(
        s.contains("\tcarp: BACKUP vhid 1 advbase 1 advskew 2\n\t      peer 198.51.100.224 peer6 ff02::12\n"),
        "{s}"
    );
    let config = e.parent(em0).unwrap().carpif().vhost(1).unwrap().config();
    assert_eq!(config.peers.v4(), Some(Ipv4Addr::new(198, 51, 100, 224)));
}

#[test]
fn openbsd_carppeer_shows_on_the_carp_line_and_goes_with_minus_carppeer() {
    let (mut e, _) = engine();
    e.ifconfig(
        t(0),
        "carp0",
        "create vhid 1 carpdev em0 carppeer 192.0.2.12 192.0.2.100/24",
    )
    .unwrap();
    assert!(status(&e, "carp0")
        .contains("carp: BACKUP carpdev em0 vhid 1 advbase 1 advskew 0 carppeer 192.0.2.12\n"));
    e.ifconfig(t(1), "carp0", "-carppeer").unwrap();
    assert!(!status(&e, "carp0").contains("peer"));
}

#[test]
fn a_peer_that_is_this_host_is_refused_and_changes_nothing() {
    let (mut e, _) = engine();
    e.ifconfig(t(0), "em0", "add vhid 1 192.0.2.1/32").unwrap();
    let before = dump(&e);
    for (words, peer) in [
        ("vhid 1 peer 192.0.2.11", "192.0.2.11"),
        ("vhid 1 peer 192.0.2.1", "192.0.2.1"),
    ] {
        assert_eq!(
            e.ifconfig(t(1), "em0", words),
            Err(CtlError::PeerIsOurs { peer: ip(peer) }),
            "{words}"
        );
        assert_eq!(dump(&e), before);
    }
}

#[test]
fn a_carpreq_sets_and_reads_back_the_vrrp_personality_and_the_peers() {
    let (mut e, em0) = engine();
    e.ifconfig(t(0), "em0", "add vhid 3 192.0.2.3/32").unwrap();
    let mut req = e.get_carpreq("em0", Some(3)).unwrap();
    // INIT forces nothing (BSD SIOCSVH); BACKUP would force BACKUP.
    req.state = crate::request::STATE_INIT;
    req.version = 3;
    req.vrrp_priority = 255;
    req.flags |= CarpReq::FLAG_PEER;
    req.peer = [198, 51, 100, 9];
    e.set_carpreq(t(1), "em0", &req).unwrap();
    let back = e.get_carpreq("em0", Some(3)).unwrap();
    assert_eq!(
        (back.version, back.vrrp_priority, back.peer),
        (3, 255, [198, 51, 100, 9])
    );
    // Priority 255 owns the address: MASTER at once.
    assert_eq!(state(&e, em0, 3), State::Master);
    let before = dump(&e);
    let mut bad = back;
    bad.state = crate::request::STATE_INIT;
    bad.peer = [0; 4];
    assert_eq!(
        e.set_carpreq(t(2), "em0", &bad),
        Err(CtlError::MissingPeer { field: "peer" })
    );
    assert_eq!(dump(&e), before);
}
