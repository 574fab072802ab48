//! VRRPv3 elections on the simulated LAN at exact instants: the address
//! owner, a master leaving with priority 0, preempt off and on, master-down
//! after a crash.
//!
//! Every expected instant is RFC 9568 6.1 worked by hand: with interval I
//! and priority P, Skew_Time = (256 - P)/256 x I and master-down =
//! 3 x I + Skew_Time, in microseconds with the fraction truncated.

use std::net::{IpAddr, Ipv4Addr};

use carp_core::{Instant, State, Version, Vhid, VhostConfig};
use carp_sim::lan::RecordKind;
use carp_sim::report::formula;
use carp_sim::{Action, HostSpec, Knobs, Lan, LinkParams};

const SEC: u64 = 1_000_000;

/// Skew_Time and master-down for interval 100 cs, in microseconds.
fn skew(priority: u64) -> u64 {
    (256 - priority) * SEC / 256
}
fn master_down(priority: u64) -> u64 {
    3 * SEC + skew(priority)
}

fn vrrp(priority: u8) -> VhostConfig {
    VhostConfig::new(Vhid::new(1).unwrap())
        .with_version(Version::Vrrp)
        .with_vrrp_priority(priority)
        .unwrap()
        .with_address(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 100)))
        .unwrap()
}

fn knobs(preempt: bool) -> Knobs {
    Knobs {
        preempt,
        ..Knobs::default()
    }
}

/// A (priority `a`) and B (priority `b`), both booting at 0.
fn pair(a: u8, b: u8, preempt: bool) -> Lan {
    let mut lan = Lan::new(1, LinkParams::default());
    lan.add_host(HostSpec::ethernet("a", 10, vec![vrrp(a)], knobs(preempt)))
        .unwrap();
    lan.add_host(HostSpec::ethernet("b", 11, vec![vrrp(b)], knobs(preempt)))
        .unwrap();
    lan
}

fn transitions(lan: &Lan, host: usize) -> Vec<(u64, State, &'static str)> {
    lan.records()
        .iter()
        .filter(|r| r.host == Some(host))
        .filter_map(|r| match r.kind {
            RecordKind::Transition { to, reason, .. } => Some((r.at.micros(), to, reason)),
            _ => None,
        })
        .collect()
}

#[test]
fn the_address_owner_is_master_from_boot_and_stays_master() {
    let mut lan = pair(255, 254, true);
    lan.run_until(Instant::from_secs(20));
    assert_eq!(transitions(&lan, 0), [(0, State::Master, "owner")]);
    assert_eq!(transitions(&lan, 1), [(0, State::Backup, "admin-up")]);
}

#[test]
fn after_a_crash_the_backup_takes_over_exactly_at_master_down() {
    let mut lan = pair(200, 100, false);
    lan.schedule(Instant::from_secs(10), Action::Crash(0));
    lan.run_until(Instant::from_secs(20));
    // A: BACKUP at 0, master-down of priority 200.
    let a_master = master_down(200);
    assert_eq!(
        transitions(&lan, 0)[1],
        (a_master, State::Master, "master-down")
    );
    // Its adverts every 1 s; the last before 10 s.
    let last = a_master + 6 * SEC;
    assert!(last < 10 * SEC && last + SEC > 10 * SEC);
    let b = lan
        .records()
        .iter()
        .find_map(|r| match &r.kind {
            RecordKind::Transition {
                to: State::Master,
                takeover: Some(t),
                ..
            } if r.host == Some(1) => Some((r.at.micros(), *t)),
            _ => None,
        })
        .unwrap();
    assert_eq!(b.0, last + master_down(100));
    assert_eq!(b.1.delay.micros(), master_down(100));
    assert_eq!(b.1.expected.micros(), master_down(100));
    assert_eq!(formula(&b.1), "3 x 100 cs + 156/256 x 100 cs");
}

#[test]
fn a_master_leaving_with_priority_0_is_replaced_after_the_skew_time() {
    let mut lan = pair(200, 100, false);
    lan.schedule(Instant::from_secs(10), Action::AdminDown(0, Some(1)));
    lan.run_until(Instant::from_secs(15));
    let b = transitions(&lan, 1);
    assert_eq!(
        b.last(),
        Some(&(10 * SEC + skew(100), State::Master, "bow-out"))
    );
}

#[test]
fn preempt_off_leaves_a_lower_master_in_place() {
    let mut lan = Lan::new(1, LinkParams::default());
    let mut high = HostSpec::ethernet("high", 10, vec![vrrp(200)], knobs(false));
    high.start = Instant::from_secs(5);
    lan.add_host(high).unwrap();
    lan.add_host(HostSpec::ethernet("low", 11, vec![vrrp(100)], knobs(false)))
        .unwrap();
    lan.run_until(Instant::from_secs(30));
    assert_eq!(
        transitions(&lan, 1)[1],
        (master_down(100), State::Master, "master-down")
    );
    assert_eq!(transitions(&lan, 0), [(5 * SEC, State::Backup, "admin-up")]);
    assert_eq!(lan.masters(1), [1]);
}

#[test]
fn preempt_on_takes_over_at_master_down_not_on_the_first_advert() {
    let mut lan = Lan::new(1, LinkParams::default());
    let mut high = HostSpec::ethernet("high", 10, vec![vrrp(200)], knobs(true));
    high.start = Instant::from_secs(5);
    lan.add_host(high).unwrap();
    lan.add_host(HostSpec::ethernet("low", 11, vec![vrrp(100)], knobs(true)))
        .unwrap();
    lan.run_until(Instant::from_secs(30));
    // RFC 9568 6.4.2: the higher backup discards the lower master's
    // adverts, so its master-down from boot fires: 5 s + 3 s + 56/256 s.
    let takeover = 5 * SEC + master_down(200);
    assert_eq!(
        transitions(&lan, 0)[1],
        (takeover, State::Master, "master-down")
    );
    // Its first advert, at once, makes the lower master yield.
    assert_eq!(
        transitions(&lan, 1).last(),
        Some(&(takeover, State::Backup, "better-master"))
    );
    assert_eq!(lan.masters(1), [0]);
}
