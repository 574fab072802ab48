//! A vhid's interface groups' demote count: added to the host's in what
//! it advertises and elects with, for that vhid only (OpenBSD
//! `carp_group_demote_count`).

use super::*;

/// The CARP adverts (IPv4, protocol 112) among `frames` (a forced master
/// also owes the delayed repeat of its gratuitous ARP).
fn adverts(frames: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    frames
        .into_iter()
        .filter(|f| f[12..14] == [0x08, 0x00] && f[23] == 112)
        .collect()
}

/// The demote and advskew bytes of an advert frame (Ethernet, IPv4).
fn demote_and_skew(frame: &[u8]) -> (u8, u8) {
    (frame[34 + 4], frame[34 + 2])
}

#[test]
fn a_master_advertises_its_groups_demotion_at_once_and_only_for_that_vhid() {
    let mut h = host(11, &[(1, 0), (2, 0)]);
    h.force(us(0), 1, State::Master).unwrap();
    h.force(us(0), 2, State::Master).unwrap();
    h.sent(us(0));
    h.cif.set_group_demote(us(10), 1, 1, &h.s).unwrap();
    assert_eq!(h.cif.group_demote(1), 1);
    let sent = adverts(h.sent(us(10)));
    // One advert, at once, from vhid 1 only: demote 1, and the early BSDs'
    // advskew 240 of a demoted host.
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0][35], 1);
    assert_eq!(demote_and_skew(&sent[0]), (1, 240));
    // The same value again owes nothing.
    h.cif.set_group_demote(us(20), 1, 1, &h.s).unwrap();
    assert!(adverts(h.sent(us(20))).is_empty());
    // The host's demotion adds to the group's.
    h.s.demote(DemoteReason::Global, 2);
    let sent = adverts(h.sent(us(30)));
    let mut by_vhid: Vec<(u8, (u8, u8))> =
        sent.iter().map(|f| (f[35], demote_and_skew(f))).collect();
    by_vhid.sort_unstable();
    assert_eq!(by_vhid, [(1, (3, 240)), (2, (2, 240))]);
    // Saturated at 255.
    h.cif.set_group_demote(us(40), 1, 255, &h.s).unwrap();
    assert_eq!(demote_and_skew(&adverts(h.sent(us(40)))[0]), (255, 240));
    assert_eq!(
        h.cif.set_group_demote(us(50), 9, 1, &h.s),
        Err(IfError::NoSuchVhid(9))
    );
}

#[test]
fn a_healthy_backup_takes_over_from_a_group_demoted_master() {
    let mut a = host(11, &[(1, 0)]);
    let mut b = host(12, &[(1, 100)]);
    a.force(us(0), 1, State::Master).unwrap();
    a.sent(us(0));
    a.cif.set_group_demote(us(10), 1, 1, &a.s).unwrap();
    let advert = adverts(a.sent(us(10))).remove(0);
    // Preempt is off: a more demoted master is taken over regardless.
    assert!(!b.s.preempt());
    b.input(us(11), &advert).unwrap();
    assert_eq!(b.state(1), State::Master);
    // And the demoted one yields to the healthy master's advert.
    let healthy = adverts(b.sent(us(11))).remove(0);
    a.input(us(12), &healthy).unwrap();
    assert_eq!(a.state(1), State::Backup);
}

#[test]
fn a_group_demoted_backup_does_not_preempt_a_healthy_master() {
    let mut m = host(11, &[(1, 100)]);
    let mut b = host(12, &[(1, 0)]);
    b.s.set_line("net.inet.carp.preempt=1").unwrap();
    m.force(us(0), 1, State::Master).unwrap();
    let advert = adverts(m.sent(us(0))).remove(0);
    b.cif.set_group_demote(us(5), 1, 1, &b.s).unwrap();
    b.input(us(10), &advert).unwrap();
    assert_eq!(b.state(1), State::Backup);
    // Undemoted, it preempts at the next advert it hears.
    b.cif.set_group_demote(us(20), 1, 0, &b.s).unwrap();
    b.input(us(30), &advert).unwrap();
    assert_eq!(b.state(1), State::Master);
}
