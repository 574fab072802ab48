//! The engine over recording NICs: the issue-14 table, transactions
//! (a refused request leaves every byte), declarative files, several
//! parents sharing one host's demotion.

use core::net::{IpAddr, Ipv4Addr};
use std::string::String;
use std::vec::Vec;

use carp_core::{Counter, Instant, State};
use carp_ifnet::driver::{Driver, LinkState, ParentInfo, TxError};
use carp_ifnet::lladdr::MacAddr;

use super::*;
use crate::{CarpReq, CtlError};

#[derive(Debug, Default)]
struct Nic {
    sent: Vec<Vec<u8>>,
}

impl Driver for Nic {
    fn transmit(&mut self, frame: &[u8]) -> Result<(), TxError> {
        self.sent.push(frame.to_vec());
        Ok(())
    }
    fn join_multicast(&mut self, _: MacAddr) -> Result<(), TxError> {
        Ok(())
    }
    fn leave_multicast(&mut self, _: MacAddr) -> Result<(), TxError> {
        Ok(())
    }
}

type Store = heapless::Vec<Parent<16>, 3>;
type TestEngine = Engine<Store, 16, 32>;

fn t(us: u64) -> Instant {
    Instant::from_micros(us)
}

fn info(n: u8) -> ParentInfo {
    ParentInfo::ethernet(MacAddr([2, 0, 0, 0, 0, n])).with_ipv4(Ipv4Addr::new(192, 0, 2, n))
}

/// An engine with parent em0 (192.0.2.11), link up.
fn engine() -> (TestEngine, ParentId) {
    let mut e = TestEngine::new(Store::new());
    let em0 = e.add_parent("em0", info(11), LinkState::Up).unwrap();
    (e, em0)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn state(e: &TestEngine, p: ParentId, vhid: u8) -> State {
    e.parent(p).unwrap().carpif().vhost(vhid).unwrap().state()
}

/// Runs the engine's timers (no peers) until `until`.
fn run(e: &mut TestEngine, p: ParentId, until: u64) {
    let mut nic = Nic::default();
    while let Some(d) = e.parent_poll_timeout(p).filter(|d| *d <= t(until)) {
        e.poll(d, p, &mut nic);
    }
}

fn dump(e: &TestEngine) -> String {
    format!("{e:?}")
}

// ===== the table of issue 14, through the engine =====

#[test]
fn state_init_is_accepted_and_ignored_as_bsd_siocsvh_does() {
    // Words.
    let (mut e, em0) = engine();
    e.ifconfig(
        t(0),
        "carp0",
        "create vhid 1 pass x 192.0.2.100/24 state init",
    )
    .unwrap();
    run(&mut e, em0, 10_000_000);
    assert_eq!(state(&e, em0, 1), State::Master, "runs as any vhid");
    // carpreq, state 0 (INIT): the same.
    let (mut e2, em0) = engine();
    e2.ifconfig(t(0), "carp0", "create").unwrap();
    let mut req = CarpReq::from_config(
        &carp_core::VhostConfig::new(carp_core::Vhid::new(1).unwrap())
            .with_address(ip("192.0.2.100"))
            .unwrap(),
        State::Init,
        None,
    );
    req.set_prefix_len(0, 24).unwrap();
    e2.set_carpreq(t(0), "carp0", &req).unwrap();
    run(&mut e2, em0, 10_000_000);
    assert_eq!(state(&e2, em0, 1), State::Master);
}

#[test]
fn prefix_lengths_are_stored_and_read_back_by_words_and_carpreq() {
    let (mut e, em0) = engine();
    e.ifconfig(t(0), "carp0", "create vhid 1 pass x 192.0.2.100/24")
        .unwrap();
    let req = e.get_carpreq("carp0", None).unwrap();
    assert_eq!(req.addresses().unwrap()[0], (ip("192.0.2.100"), 24));
    // Set through carpreq with /25, read back /25.
    let mut set = req;
    set.set_prefix_len(0, 25).unwrap();
    e.set_carpreq(t(0), "carp0", &set).unwrap();
    assert_eq!(
        e.get_carpreq("carp0", None).unwrap().addresses().unwrap()[0],
        (ip("192.0.2.100"), 25)
    );
    // FreeBSD style on the parent: /28.
    e.ifconfig(t(0), "em0", "vhid 2 pass y alias 192.0.2.200/28")
        .unwrap();
    assert_eq!(
        e.get_carpreq("em0", Some(2)).unwrap().addresses().unwrap()[0],
        (ip("192.0.2.200"), 28)
    );
    let mut out = String::new();
    e.status("carp0", &mut out).unwrap();
    assert!(out.contains("inet 192.0.2.100 netmask 0xffffff80"), "{out}");
    let _ = em0;
}

const FILE: &str = "\
net.inet.carp.preempt=1
net.inet.carp.demotion=10
ifconfig carp0 create
ifconfig carp0 vhid 1 advskew 100 pass x 192.0.2.100/24 state master
";

#[test]
fn reloading_a_file_with_state_master_forces_master_again() {
    let (mut e, em0) = engine();
    e.apply_config(t(0), FILE, None).unwrap();
    assert_eq!(state(&e, em0, 1), State::Master);
    e.force_state(t(1), "carp0", None, State::Backup).unwrap();
    assert_eq!(state(&e, em0, 1), State::Backup);
    e.apply_config(t(2), FILE, None).unwrap();
    assert_eq!(state(&e, em0, 1), State::Master, "as a fresh apply would");
}

#[test]
fn reloading_counts_demotion_once_and_resets_knobs_the_file_dropped() {
    let (mut e, _) = engine();
    for _ in 0..4 {
        e.apply_config(t(0), FILE, None).unwrap();
        assert_eq!(e.sysctl().demotion().effective(), 10);
        assert!(e.sysctl().preempt());
    }
    // An interactive write adds, as BSD's.
    e.sysctl_line(t(0), "net.inet.carp.demotion=5").unwrap();
    assert_eq!(e.sysctl().demotion().effective(), 15);
    e.apply_config(t(0), FILE, None).unwrap();
    assert_eq!(
        e.sysctl().demotion().effective(),
        15,
        "the file counts once"
    );
    // Lines deleted: the file's knobs go back.
    let without =
        "ifconfig carp0 create\nifconfig carp0 vhid 1 advskew 100 pass x 192.0.2.100/24\n";
    e.apply_config(t(0), without, None).unwrap();
    assert!(!e.sysctl().preempt(), "preempt back to its default");
    assert_eq!(e.sysctl().demotion().effective(), 5, "the file's 10 undone");
}

#[test]
fn forty_vhids_fit_a_parent_sized_for_them() {
    let mut e: Engine<heapless::Vec<Parent<64>, 1>, 64, 64> = Engine::new(heapless::Vec::new());
    let em0 = e.add_parent("em0", info(11), LinkState::Up).unwrap();
    for vhid in 1..=40u8 {
        e.ifconfig(
            t(0),
            "em0",
            &format!("vhid {vhid} pass x alias 198.51.100.{vhid}/24"),
        )
        .unwrap();
    }
    assert_eq!(e.parent(em0).unwrap().carpif().len(), 40);
}

#[test]
fn broadcast_and_ambiguous_addresses_are_refused_with_nothing_changed() {
    let (mut e, _) = engine();
    e.ifconfig(t(0), "carp0", "create vhid 1 pass x 192.0.2.100/24")
        .unwrap();
    let before = dump(&e);
    assert!(e.ifconfig(t(1), "carp0", "255.255.255.255").is_err());
    assert_eq!(dump(&e), before);
}

// ===== transactions =====

#[test]
fn every_refused_request_leaves_every_byte() {
    let (mut e, em0) = engine();
    e.add_parent("em1", info(12), LinkState::Up).unwrap();
    e.ifconfig(
        t(0),
        "carp0",
        "create vhid 1 pass x carpdev em0 192.0.2.100/24",
    )
    .unwrap();
    e.ifconfig(t(0), "em1", "vhid 7 pass y alias 192.0.2.7/32")
        .unwrap();
    e.set_link(t(0), em0, true);
    let bad: &[(&str, &str)] = &[
        ("carp0", "vhid 300"),
        ("carp0", "advskew 255"),
        ("carp0", "carpdev em9"),
        ("carp9", "vhid 2"),
        ("carp0", "create"),
        ("carp1", "create vhid 2 pass x 192.0.2.100/24 carpdev em0"),
        ("em0", "vhid 2 alias 192.0.2.100/32"),
        ("em0", "create"),
        ("em1", "carpdev em0"),
        ("carp0", "-carpdev state master"),
        ("em1", "vhid 8 192.0.2.7/32"),
        ("carp0", "bogus"),
    ];
    for (target, words) in bad {
        let before = dump(&e);
        let r = e.ifconfig(t(5), target, words);
        assert!(r.is_err(), "{target} {words}: accepted");
        assert_eq!(dump(&e), before, "{target} {words}: changed something");
    }
    let before = dump(&e);
    assert!(e
        .apply_config(
            t(6),
            "ifconfig carp0 vhid 1 pass x 192.0.2.1/24\nnet.inet.carp.preempt=7\n",
            None
        )
        .is_err());
    assert_eq!(dump(&e), before, "a refused file");
}

#[test]
fn a_vhid_number_changed_moves_through_init_and_a_skew_change_does_not() {
    let (mut e, em0) = engine();
    e.ifconfig(
        t(0),
        "carp0",
        "create vhid 1 pass x 192.0.2.100/24 state master",
    )
    .unwrap();
    let deadline = e.parent_poll_timeout(em0);
    e.ifconfig(t(0), "carp0", "advskew 10").unwrap();
    assert_eq!(state(&e, em0, 1), State::Master, "no detour through INIT");
    assert_ne!(e.parent_poll_timeout(em0), None);
    let _ = deadline;
    e.ifconfig(t(1), "carp0", "vhid 2").unwrap();
    let cif = e.parent(em0).unwrap().carpif();
    assert!(cif.vhost(1).is_none());
    assert_eq!(cif.vhost(2).unwrap().state(), State::Backup);
}

// ===== declarative files =====

#[test]
fn an_unchanged_file_touches_nothing_and_a_removed_vhid_goes() {
    let (mut e, em0) = engine();
    let file = "ifconfig em0 vhid 1 pass x alias 192.0.2.1/32\nifconfig em0 vhid 2 pass y alias 192.0.2.2/32\n";
    e.apply_config(t(0), file, None).unwrap();
    run(&mut e, em0, 5_000_000);
    let before = dump(&e);
    for _ in 0..3 {
        let report = e.apply_config(t(5_000_000), file, None).unwrap();
        assert_eq!(report.unchanged, 2);
        assert_eq!((report.added, report.changed, report.removed), (0, 0, 0));
        assert_eq!(dump(&e), before, "not re-timed, nothing touched");
    }
    let report = e
        .apply_config(
            t(5_000_000),
            "ifconfig em0 vhid 1 pass x alias 192.0.2.1/32\n",
            None,
        )
        .unwrap();
    assert_eq!((report.removed, report.unchanged), (1, 1));
    assert!(e.parent(em0).unwrap().carpif().vhost(2).is_none());
}

#[test]
fn what_was_configured_by_hand_survives_a_reload() {
    let (mut e, em0) = engine();
    e.apply_config(
        t(0),
        "ifconfig em0 vhid 1 pass x alias 192.0.2.1/32\n",
        None,
    )
    .unwrap();
    e.ifconfig(t(0), "em0", "vhid 9 pass z alias 192.0.2.9/32")
        .unwrap();
    e.apply_config(
        t(0),
        "ifconfig em0 vhid 1 pass x alias 192.0.2.1/32\n",
        None,
    )
    .unwrap();
    assert!(e.parent(em0).unwrap().carpif().vhost(9).is_some());
}

#[test]
fn every_fixture_line_applies_as_a_file() {
    let (mut e, _) = engine();
    e.add_parent("em1", info(12), LinkState::Up).unwrap();
    let file = "\
cloned_interfaces=\"carp1 carp2\"
ifconfig_carp1=\"vhid 1 advskew 50 pass BigPassword 99.88.77.66\"
ifconfig_carp2=\"vhid 2 advskew 50 pass BigPass2W 10.11.12.1\"
ifconfig carp3 create
ifconfig carp3 vhid 3 pass lanpasswd carpdev em0 172.16.0.100 255.255.255.0
ifconfig_em0_alias0=\"inet vhid 4 pass foo alias 10.0.0.1/32\"
net.inet.carp.preempt=1
sysctl -w net.inet.carp.log=1
";
    // carp1 and carp2 have no carpdev and two parents, neither in their
    // subnet: the engine asks for one.
    let err = e.apply_config(t(0), file, Some("em0")).unwrap_err();
    assert_eq!(err.line, 2);
    assert!(matches!(err.error, CtlError::NeedCarpdev(_)));
    let file = file
        .replace(
            "advskew 50 pass BigPassword",
            "advskew 50 carpdev em0 pass BigPassword",
        )
        .replace(
            "advskew 50 pass BigPass2W",
            "advskew 50 carpdev em1 pass BigPass2W",
        );
    let report = e.apply_config(t(0), &file, Some("em0")).unwrap();
    assert_eq!(report.added, 4);
    let mut out = String::new();
    e.status_all(&mut out);
    assert!(
        out.contains("carp: BACKUP carpdev em0 vhid 3 advbase 1 advskew 0"),
        "{out}"
    );
    assert!(
        out.contains("inet 10.0.0.1 netmask 0xffffffff vhid 4"),
        "{out}"
    );
}

// ===== parents =====

#[test]
fn the_parent_is_found_by_subnet_or_must_be_named() {
    let mut e = TestEngine::new(Store::new());
    let em0 = e.add_parent("em0", info(11), LinkState::Up).unwrap();
    let em1 = e
        .add_parent(
            "em1",
            ParentInfo::ethernet(MacAddr([2, 0, 0, 0, 1, 1]))
                .with_ipv4(Ipv4Addr::new(198, 51, 100, 1)),
            LinkState::Up,
        )
        .unwrap();
    e.ifconfig(t(0), "carp0", "create vhid 1 pass x 198.51.100.10/24")
        .unwrap();
    assert!(e.parent(em1).unwrap().carpif().vhost(1).is_some());
    assert!(e.parent(em0).unwrap().carpif().vhost(1).is_none());
    let err = e
        .ifconfig(t(0), "carp1", "create vhid 2 pass x 203.0.113.10/24")
        .unwrap_err();
    assert!(matches!(err, CtlError::NeedCarpdev(_)));
}

#[test]
fn a_link_lost_on_one_parent_demotes_the_vhids_of_the_others() {
    let mut e = TestEngine::new(Store::new());
    let em0 = e.add_parent("em0", info(11), LinkState::Up).unwrap();
    let em1 = e.add_parent("em1", info(12), LinkState::Up).unwrap();
    e.ifconfig(t(0), "em0", "vhid 1 pass x alias 192.0.2.1/32 state master")
        .unwrap();
    e.ifconfig(t(0), "em1", "vhid 2 pass x alias 192.0.2.2/32 state master")
        .unwrap();
    let mut nic = Nic::default();
    e.poll(t(0), em1, &mut nic);
    e.set_link(t(1), em0, false);
    assert_eq!(e.sysctl().demotion().effective(), 240);
    // At once, as OpenBSD's carp_group_demote_adj -> carp_send_ad_all.
    assert_eq!(e.parent_poll_timeout(em1), Some(t(1)));
    // em1's next advert carries the demotion: advskew 240, demote 240.
    nic.sent.clear();
    let d = e.parent_poll_timeout(em1).unwrap();
    e.poll(d, em1, &mut nic);
    let advert = nic.sent.iter().find(|f| f[12..14] == [8, 0]).unwrap();
    assert_eq!((advert[36], advert[38]), (240, 240), "advskew, demote");
}

#[test]
fn a_parent_removed_while_down_gives_its_demotion_back() {
    let (mut e, em0) = engine();
    let em1 = e.add_parent("em1", info(12), LinkState::Up).unwrap();
    e.ifconfig(t(0), "em0", "vhid 1 pass x alias 192.0.2.1/32")
        .unwrap();
    e.ifconfig(t(0), "em1", "vhid 2 pass x alias 192.0.2.2/32")
        .unwrap();
    // The interface is deleted: Linux reports it down, then gone.
    e.set_link(t(1), em0, false);
    assert_eq!(e.sysctl().demotion().effective(), 240);
    e.remove_parent(em0).unwrap();
    // As OpenBSD's carpdetach: em1's vhid is no longer demoted for it.
    assert_eq!(e.sysctl().demotion().effective(), 0);
    let em0 = e.add_parent("em0", info(11), LinkState::Up).unwrap();
    e.set_link(t(2), em0, true);
    assert_eq!(
        e.sysctl().demotion().effective(),
        0,
        "nothing to undo twice"
    );
    assert!(e.parent(em1).unwrap().carpif().vhost(2).is_some());
}

#[test]
fn a_removed_parent_keeps_named_configs_detached_and_drops_its_own_vhids() {
    let (mut e, em0) = engine();
    e.ifconfig(t(0), "carp0", "create vhid 1 pass x 192.0.2.100/24")
        .unwrap();
    e.ifconfig(t(0), "em0", "vhid 2 pass x alias 192.0.2.2/32")
        .unwrap();
    e.remove_parent(em0).unwrap();
    let req = e.get_carpreq("carp0", None).unwrap();
    assert_eq!(req.state, 0);
    assert!(req.carpdev().unwrap().is_none());
    let em0 = e.add_parent("em0", info(11), LinkState::Up).unwrap();
    e.ifconfig(t(0), "carp0", "carpdev em0").unwrap();
    assert!(e.parent(em0).unwrap().carpif().vhost(1).is_some());
    assert!(e.parent(em0).unwrap().carpif().vhost(2).is_none());
}

#[test]
fn one_address_on_two_vhids_needs_arpbalance() {
    let (mut e, em0) = engine();
    e.ifconfig(t(0), "em0", "vhid 1 pass x alias 192.0.2.100/32")
        .unwrap();
    let err = e
        .ifconfig(t(0), "em0", "vhid 2 pass x alias 192.0.2.100/32")
        .unwrap_err();
    assert_eq!(
        err,
        CtlError::AddressInUse {
            addr: ip("192.0.2.100"),
            vhid: 1
        }
    );
    e.sysctl_line(t(0), "net.inet.carp.arpbalance=1").unwrap();
    e.ifconfig(t(0), "em0", "vhid 2 pass x alias 192.0.2.100/32")
        .unwrap();
    assert_eq!(e.parent(em0).unwrap().carpif().len(), 2);
}

#[test]
fn freebsd_removing_the_last_address_removes_the_vhid() {
    let (mut e, em0) = engine();
    e.ifconfig(t(0), "em0", "vhid 1 pass x alias 192.0.2.1/32")
        .unwrap();
    e.ifconfig(t(0), "em0", "inet 192.0.2.1 -alias").unwrap();
    assert!(e.parent(em0).unwrap().carpif().is_empty());
    assert!(matches!(
        e.ifconfig(t(0), "em0", "create"),
        Err(CtlError::NotACarpInterface(_))
    ));
    let _ = CtlError::MissingVhid;
}

#[test]
fn the_data_path_goes_straight_to_the_parent() {
    let (mut e, em0) = engine();
    e.ifconfig(t(0), "em0", "vhid 7 pass secret42 alias 192.0.2.100/32")
        .unwrap();
    let r = e.input(t(1), em0, &[0u8; 60]);
    assert!(r.is_ok());
    let r = e.input(t(1), ParentId(99), &[0u8; 60]);
    assert_eq!(r, Ok(carp_ifnet::carpif::Input::NotCarp));
    assert_eq!(e.sysctl().stats().get(Counter::Ipackets), 0);
}

mod vrrp;
mod words;

#[test]
fn a_file_line_on_a_hand_made_interface_takes_it_over_from_a_fresh_start() {
    // Found by the ctl_parse fuzzer: a file saying only `down` for carp0,
    // which was configured by hand, must give the same state on every
    // apply: carp0 as a fresh host would have it (created, down, no vhid).
    let (mut e, em0) = engine();
    e.ifconfig(
        t(0),
        "carp0",
        "create vhid 1 pass x 192.0.2.100/24 state master",
    )
    .unwrap();
    e.ifconfig(t(0), "em0", "vhid 9 pass y alias 192.0.2.9/32")
        .unwrap();
    e.apply_config(
        t(1),
        "down\nifconfig em0 vhid 9 advskew 5 alias 192.0.2.99/32\n",
        Some("carp0"),
    )
    .unwrap();
    let once = dump(&e);
    let again = e
        .apply_config(
            t(1),
            "down\nifconfig em0 vhid 9 advskew 5 alias 192.0.2.99/32\n",
            Some("carp0"),
        )
        .unwrap();
    assert_eq!((again.added, again.changed, again.removed), (0, 0, 0));
    assert_eq!(dump(&e), once);
    assert!(e.get_carpreq("carp0", None).is_err(), "no vhid: fresh");
    let cif = e.parent(em0).unwrap().carpif();
    assert_eq!(
        cif.vhost(9).unwrap().config().addresses(),
        [ip("192.0.2.99")],
        "the file's vhid 9, not the hand-made one with an alias added"
    );
}

#[test]
fn a_detached_interface_reads_back_and_sets_back_detached() {
    // Found by the ctl_parse fuzzer: setting back the carpreq read from a
    // detached interface (empty carpdev) attached it to a parent.
    let (mut e, em0) = engine();
    e.ifconfig(t(0), "carp0", "create vhid 1 pass x 192.0.2.100/24")
        .unwrap();
    e.ifconfig(t(1), "carp0", "-carpdev").unwrap();
    let req = e.get_carpreq("carp0", None).unwrap();
    let before = dump(&e);
    e.set_carpreq(t(2), "carp0", &req).unwrap();
    assert_eq!(dump(&e), before);
    assert!(e.parent(em0).unwrap().carpif().is_empty());
}

#[test]
fn destroy_in_a_file_means_absent_and_holds_on_every_apply() {
    // Found by the ctl_parse fuzzer: a file destroying carp0 applied twice
    // failed the second time, when carp0 was gone.
    let (mut e, _) = engine();
    e.ifconfig(t(0), "carp0", "create vhid 1 pass x 192.0.2.100/24")
        .unwrap();
    for _ in 0..2 {
        e.apply_config(t(1), "ifconfig carp0 destroy\n", None)
            .unwrap();
        e.apply_config(t(1), "destroy\n", Some("carp0")).unwrap();
        assert_eq!(e.names().count(), 0);
    }
}

// ===== OpenBSD lladdr =====

#[test]
fn lladdr_sets_the_source_mac_and_the_hmac_term_by_openbsds_rule() {
    let (mut e, em0) = engine();
    let carp_mac = [0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee];
    e.ifconfig(
        t(0),
        "carp0",
        "create vhid 1 pass x lladdr 02:aa:bb:cc:dd:ee 192.0.2.100/24 state master",
    )
    .unwrap();
    let cfg = e
        .parent(em0)
        .unwrap()
        .carpif()
        .vhost(1)
        .unwrap()
        .config()
        .clone();
    assert_eq!(cfg.mac, Some(carp_mac));
    assert_eq!(
        cfg.lladdr,
        Some(carp_mac),
        "neither virtual nor parent MAC: hashed"
    );
    let mut nic = Nic::default();
    e.poll(t(0), em0, &mut nic);
    assert!(
        nic.sent.iter().all(|f| f[6..12] == carp_mac),
        "every frame from the carp MAC"
    );
    // The carpreq carries it both ways.
    let req = e.get_carpreq("carp0", None).unwrap();
    assert_eq!(req.flags & CarpReq::FLAG_LLADDR, CarpReq::FLAG_LLADDR);
    assert_eq!(req.lladdr, carp_mac);
    let before = dump(&e);
    e.set_carpreq(t(1), "carp0", &req).unwrap();
    assert_eq!(dump(&e), before);
    // The parent's own MAC: sent from, not hashed.
    e.ifconfig(t(1), "carp0", "lladdr 02:00:00:00:00:0b")
        .unwrap();
    let cfg = e
        .parent(em0)
        .unwrap()
        .carpif()
        .vhost(1)
        .unwrap()
        .config()
        .clone();
    assert_eq!((cfg.mac, cfg.lladdr), (Some([2, 0, 0, 0, 0, 11]), None));
    // The vhid's virtual MAC: no override at all.
    e.ifconfig(t(1), "carp0", "lladdr 00:00:5e:00:01:01")
        .unwrap();
    let cfg = e
        .parent(em0)
        .unwrap()
        .carpif()
        .vhost(1)
        .unwrap()
        .config()
        .clone();
    assert_eq!((cfg.mac, cfg.lladdr), (None, None));
}

#[test]
fn a_parent_mac_change_rekeys_the_lladdr_term() {
    let (mut e, em0) = engine();
    e.ifconfig(
        t(0),
        "carp0",
        "create vhid 1 pass x lladdr 02:aa:bb:cc:dd:ee 192.0.2.100/24",
    )
    .unwrap();
    let mut info = *e.parent(em0).unwrap().carpif().parent();
    info.hw_addr = MacAddr([0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee]);
    e.set_parent_info(t(1), em0, info).unwrap();
    let cfg = e
        .parent(em0)
        .unwrap()
        .carpif()
        .vhost(1)
        .unwrap()
        .config()
        .clone();
    assert_eq!(cfg.lladdr, None, "now the parent's MAC: not hashed");
}

#[test]
fn lladdr_random_is_a_local_unicast_mac_drawn_only_when_accepted() {
    let (mut e, em0) = engine();
    e.ifconfig(t(0), "carp0", "create vhid 1 pass x 192.0.2.100/24")
        .unwrap();
    let before = dump(&e);
    assert!(e.ifconfig(t(1), "carp0", "lladdr random vhid 300").is_err());
    assert_eq!(dump(&e), before, "a refused request draws nothing");
    e.ifconfig(t(1), "carp0", "lladdr random").unwrap();
    let mac = e
        .parent(em0)
        .unwrap()
        .carpif()
        .vhost(1)
        .unwrap()
        .config()
        .mac
        .unwrap();
    assert_eq!(mac[0] & 0x03, 0x02, "locally administered, unicast");
}
mod groups;
mod memory;
