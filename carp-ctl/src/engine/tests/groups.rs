//! Interface groups: OpenBSD's `group` words, per-group demote counters
//! carried in the members' adverts, `ifconfig -g`, and the declarative
//! file.

use super::*;
use crate::GroupName;
use std::string::ToString;

/// A firewall's two sides: carp1 on em0 and carp2 on em1 in group fw,
/// carp3 on em0 in no group; every vhid master.
fn firewall() -> (TestEngine, ParentId, ParentId) {
    let mut e = TestEngine::new(Store::new());
    let em0 = e.add_parent("em0", info(11), LinkState::Up).unwrap();
    let em1 = e.add_parent("em1", info(12), LinkState::Up).unwrap();
    e.ifconfig(
        t(0),
        "carp1",
        "create vhid 1 carpdev em0 pass x 192.0.2.1/24 group fw state master",
    )
    .unwrap();
    e.ifconfig(
        t(0),
        "carp2",
        "create vhid 2 carpdev em1 pass y 192.0.2.2/24 group fw state master",
    )
    .unwrap();
    e.ifconfig(
        t(0),
        "carp3",
        "create vhid 3 carpdev em0 pass z 192.0.2.3/24 state master",
    )
    .unwrap();
    (e, em0, em1)
}

/// Polls `p` at `now`; the (vhid, advskew, demote) of every advert sent.
fn adverts(e: &mut TestEngine, p: ParentId, now: u64) -> Vec<(u8, u8, u8)> {
    let mut nic = Nic::default();
    e.poll(t(now), p, &mut nic);
    let mut out: Vec<(u8, u8, u8)> = nic
        .sent
        .iter()
        .filter(|f| f[12..14] == [8, 0] && f[23] == 112)
        .map(|f| (f[35], f[36], f[38]))
        .collect();
    out.sort_unstable();
    out
}

fn status(e: &TestEngine, target: &str) -> String {
    let mut out = String::new();
    e.status(target, &mut out).unwrap();
    out
}

#[test]
fn members_show_their_groups_and_the_group_its_count() {
    let (e, em0, em1) = firewall();
    assert!(status(&e, "carp1").contains("\tcarp: MASTER carpdev em0 vhid 1 advbase 1 advskew 0\n\tgroups: carp fw\n\tinet 192.0.2.1"));
    assert!(
        !status(&e, "carp3").contains("groups:"),
        "carp only: no line"
    );
    let fw = GroupName::new("fw").unwrap();
    assert_eq!(e.groups().collect::<Vec<_>>(), [(fw, 0)]);
    let mut out = String::new();
    e.group_status("fw", &mut out).unwrap();
    assert_eq!(out, "fw: carp demote count 0\n");
    let members: Vec<(Option<ParentId>, Option<u8>, State)> = e
        .group_members("fw")
        .unwrap()
        .map(|m| (m.parent, m.vhid, m.state))
        .collect();
    assert_eq!(
        members,
        [
            (Some(em0), Some(1), State::Master),
            (Some(em1), Some(2), State::Master)
        ]
    );
    assert_eq!(e.group_members("carp").unwrap().count(), 3);
    assert_eq!(
        e.group_members("dmz").err(),
        Some(CtlError::NoSuchGroup(GroupName::new("dmz").unwrap()))
    );
}

#[test]
fn a_group_demotion_reaches_every_member_at_once_and_no_one_else() {
    let (mut e, em0, em1) = firewall();
    adverts(&mut e, em0, 0);
    adverts(&mut e, em1, 0);
    e.group_ifconfig(t(10), "fw", "carpdemote 2").unwrap();
    assert_eq!(e.group_demote_count("fw"), Ok(2));
    // The host's demotion (group carp) is untouched.
    assert_eq!(e.group_demote_count("carp"), Ok(0));
    // Each member advertises at once: advskew 240 and demote 2 (OpenBSD
    // carp_group_demote_adj -> carp_send_ad_all); carp3 owes nothing.
    assert_eq!(adverts(&mut e, em0, 10), [(1, 240, 2)]);
    assert_eq!(adverts(&mut e, em1, 10), [(2, 240, 2)]);
    // The host's demotion adds to the group's (the sum of all groups,
    // carp included, as carp_group_demote_count).
    e.group_ifconfig(t(20), "carp", "carpdemote 3").unwrap();
    assert_eq!(e.sysctl().demotion().effective(), 3);
    assert_eq!(adverts(&mut e, em0, 20), [(1, 240, 5), (3, 240, 3)]);
    e.group_ifconfig(t(30), "fw", "-carpdemote 2").unwrap();
    assert_eq!(adverts(&mut e, em1, 30), [(2, 240, 3)]);
    let mut out = String::new();
    e.group_status("carp", &mut out).unwrap();
    assert_eq!(out, "carp: carp demote count 3\n");
}

#[test]
fn refused_group_requests_name_the_word_and_change_nothing() {
    let (mut e, _, _) = firewall();
    e.group_ifconfig(t(0), "fw", "carpdemote").unwrap();
    let before = dump(&e);
    let refusals = [
        (
            e.group_ifconfig(t(1), "fw", "-carpdemote 2"),
            "fw: carp demote count 1 -2 is outside 0..255",
        ),
        (
            e.group_ifconfig(t(1), "fw", "carpdemote 129"),
            "carpdemote (word 2) 129: out of range 0..128",
        ),
        (
            e.group_ifconfig(t(1), "fw", "carpdemote x"),
            "carpdemote (word 2) \"x\": not a decimal number",
        ),
        (
            e.group_ifconfig(t(1), "fw", "demote 1"),
            "word 1 \"demote\": unknown (not a keyword, an address or a value)",
        ),
        (
            e.group_ifconfig(t(1), "dmz", "carpdemote"),
            "dmz: no such group (no carp interface in it)",
        ),
        (
            e.group_ifconfig(t(1), "fw2", "carpdemote"),
            "word 1 \"fw2\": not a group name (1-15 letters, digits, '.', '_', '-', not ending in a digit)",
        ),
        (
            e.ifconfig(t(1), "carp3", "-group fw"),
            "-group fw: carp3 is not in group fw",
        ),
        (
            e.ifconfig(t(1), "carp3", "group lan1"),
            "word 2 \"lan1\": not a group name (1-15 letters, digits, '.', '_', '-', not ending in a digit)",
        ),
        (
            e.ifconfig(t(1), "carp1", "-group carp"),
            "-group carp: every carp interface is in group carp (its count is the host's demotion)",
        ),
        (
            e.ifconfig(t(1), "carp1", "group fw -group fw"),
            "-group (word 3): contradicts an earlier word",
        ),
        (
            e.ifconfig(t(1), "em0", "vhid 9 pass x alias 192.0.2.9/32 group fw"),
            "group: em0 is a parent; interface groups are for carp interfaces (ifconfig carpN ... group NAME)",
        ),
    ];
    for (result, message) in refusals {
        assert_eq!(result.unwrap_err().to_string(), message);
        assert_eq!(dump(&e), before, "{message}");
    }
    // A daemon's own adjustment clamps instead (carp_group_demote_adj).
    assert_eq!(e.group_demote_adj(t(2), "fw", -5), Ok(0));
    assert_eq!(e.group_demote_adj(t(2), "fw", 300), Ok(255));
}

#[test]
fn the_last_member_leaving_takes_the_group_and_its_count() {
    let (mut e, _, _) = firewall();
    e.group_ifconfig(t(0), "fw", "carpdemote 4").unwrap();
    e.ifconfig(t(1), "carp1", "-group fw").unwrap();
    assert_eq!(e.group_demote_count("fw"), Ok(4), "carp2 still in it");
    assert!(!status(&e, "carp1").contains("groups:"));
    e.ifconfig(t(2), "carp2", "destroy").unwrap();
    assert!(e.groups().next().is_none());
    // Made again, it starts from 0, as a new OpenBSD interface group.
    e.ifconfig(t(3), "carp1", "group fw").unwrap();
    assert_eq!(e.group_demote_count("fw"), Ok(0));
}

#[test]
fn groups_are_bounded_and_a_full_table_refuses_with_nothing_changed() {
    let (mut e, _, _) = firewall();
    let names = [
        "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o",
    ];
    for n in names {
        e.ifconfig(t(0), "carp3", &format!("group {n}")).unwrap();
    }
    assert_eq!(e.groups().count(), 16);
    let before = dump(&e);
    assert_eq!(
        e.ifconfig(t(1), "carp1", "group p"),
        Err(CtlError::TooManyGroups { max: 16 })
    );
    assert_eq!(dump(&e), before);
}

#[test]
fn a_file_owns_its_groups_declaratively() {
    let mut e = TestEngine::new(Store::new());
    e.add_parent("em0", info(11), LinkState::Up).unwrap();
    e.add_parent("em1", info(12), LinkState::Up).unwrap();
    let file = "ifconfig carp1 create vhid 1 carpdev em0 pass x 192.0.2.1/24 group fw\n\
                ifconfig carp2 create vhid 2 carpdev em1 pass y 192.0.2.2/24 group fw\n";
    let report = e.apply_config(t(0), file, None).unwrap();
    assert_eq!(report.added, 2);
    e.group_ifconfig(t(1), "fw", "carpdemote 1").unwrap();
    // The same file again: nothing changes, the counter stays.
    let report = e.apply_config(t(2), file, None).unwrap();
    assert_eq!((report.unchanged, report.changed), (2, 0));
    assert_eq!(e.group_demote_count("fw"), Ok(1));
    // A file without the word: the group goes with its last member.
    let ungrouped = file.replace(" group fw", "");
    let report = e.apply_config(t(3), &ungrouped, None).unwrap();
    assert_eq!(report.changed, 2);
    assert!(e.groups().next().is_none());
    assert!(!status(&e, "carp1").contains("groups:"));
}
