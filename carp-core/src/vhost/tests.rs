//! State-machine tests at explicit instants.

use super::*;
use crate::time::Duration;
use crate::wire::{Packet, HEADER_LEN};
use core::net::{IpAddr, Ipv4Addr};
use std::vec::Vec;

const VADDR: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 100));

pub(super) fn src(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, n))
}

pub(super) fn config(advbase: u8, advskew: u8) -> VhostConfig {
    VhostConfig::new(Vhid::new(7).unwrap())
        .with_advbase(advbase)
        .with_advskew(advskew)
        .unwrap()
        .with_passphrase(b"secret42")
        .unwrap()
        .with_address(VADDR)
        .unwrap()
}

pub(super) fn us(micros: u64) -> Instant {
    Instant::from_micros(micros)
}

pub(super) fn running(advbase: u8, advskew: u8) -> VirtualHost {
    running_at(advbase, advskew, Instant::ZERO)
}

fn running_at(advbase: u8, advskew: u8, now: Instant) -> VirtualHost {
    let mut vh = VirtualHost::new(config(advbase, advskew), 1 << 32);
    vh.set_admin(now, true);
    vh.set_link(now, true);
    vh
}

pub(super) fn drain(vh: &mut VirtualHost) -> Vec<EventKind> {
    core::iter::from_fn(|| vh.poll_event())
        .map(|e| e.kind)
        .collect()
}

/// The advert a host owes now, parsed back from the bytes it wrote.
pub(super) fn transmit(
    vh: &mut VirtualHost,
    now: Instant,
    policy: &Policy,
) -> Option<(Advert, Transmit)> {
    let mut buf = [0u8; HEADER_LEN];
    let t = vh.poll_transmit(now, policy, &mut buf)?;
    let advert = Advert::parse(&Packet::new_checked(&buf[..]).unwrap()).unwrap();
    Some((advert, t))
}

/// An advert as a peer with `advbase`/`advskew` would send it, signed.
fn advert_in(
    vh: &mut VirtualHost,
    at: Instant,
    from: IpAddr,
    advbase: u8,
    advskew: u8,
    policy: &Policy,
) -> Result<Verdict, Reject> {
    let mut peer = running(advbase, advskew);
    peer.force_state(at, State::Master).unwrap();
    let (advert, _) = transmit(&mut peer, at, policy).unwrap();
    let ok = vh.verify(&advert).unwrap();
    vh.handle_advert(at, &ok, from, policy)
}

fn state_changes(events: &[EventKind]) -> Vec<(State, State, Reason)> {
    events
        .iter()
        .filter_map(|e| match *e {
            EventKind::StateChange { from, to, reason } => Some((from, to, reason)),
            _ => None,
        })
        .collect()
}

pub(super) const P: Policy = Policy::DEFAULT;

#[test]
fn starts_in_init_and_enters_backup_when_up_and_linked() {
    let mut vh = VirtualHost::new(config(1, 50), 0);
    assert_eq!(vh.state(), State::Init);
    vh.set_admin(us(5), true);
    assert_eq!(vh.state(), State::Init);
    assert_eq!(vh.poll_timeout(), None);
    vh.set_link(us(10), true);
    assert_eq!(vh.state(), State::Backup);
    assert_eq!(vh.poll_timeout(), Some(us(10 + 3_195_312)));
    assert_eq!(
        state_changes(&drain(&mut vh)),
        [(State::Init, State::Backup, Reason::LinkUp)]
    );
}

#[test]
fn host_without_addresses_stays_in_init() {
    let mut vh = VirtualHost::new(VhostConfig::new(Vhid::new(1).unwrap()), 0);
    vh.set_admin(us(0), true);
    vh.set_link(us(0), true);
    assert_eq!(vh.state(), State::Init);
    assert_eq!(
        vh.force_state(us(0), State::Master),
        Err(ConfigError::NotRunning)
    );
}

#[test]
fn backup_takes_over_exactly_at_master_down() {
    let mut vh = running(1, 50);
    drain(&mut vh);
    // Last advert heard at t = 2 s: master-down at 2 s + 3 s + 50/256 s.
    advert_in(&mut vh, us(2_000_000), src(11), 1, 10, &P).unwrap();
    assert_eq!(vh.poll_timeout(), Some(us(5_195_312)));
    vh.handle_timeout(us(5_195_311), &P);
    assert_eq!(vh.state(), State::Backup);
    assert!(transmit(&mut vh, us(5_195_311), &P).is_none());
    vh.handle_timeout(us(5_195_312), &P);
    assert_eq!(vh.state(), State::Master);
    let events = drain(&mut vh);
    assert_eq!(
        state_changes(&events),
        [(State::Backup, State::Master, Reason::MasterDown)]
    );
    assert!(events.contains(&EventKind::Announce { repeat: false }));
    let (advert, t) = transmit(&mut vh, us(5_195_312), &P).unwrap();
    assert_eq!((advert.advbase, advert.advskew, advert.vhid), (1, 50, 7));
    assert!(t.ipv4 && !t.ipv6 && !t.bow_out);
    // Then every 1 s + 50/256 s, from the deadline.
    assert_eq!(vh.poll_timeout(), Some(us(5_195_312 + 1_195_312)));
    assert_eq!(vh.stats().get(Counter::Preempt), 1);
}

#[test]
fn master_advertises_every_interval_and_repeats_announce_after_two_adverts() {
    let mut vh = running(1, 0);
    vh.force_state(us(0), State::Master).unwrap();
    drain(&mut vh);
    let mut sent = Vec::new();
    let mut now = us(0);
    for _ in 0..4 {
        vh.handle_timeout(now, &P);
        if let Some((a, _)) = transmit(&mut vh, now, &P) {
            sent.push((now, a.counter));
        }
        let repeat = drain(&mut vh).contains(&EventKind::Announce { repeat: true });
        assert_eq!(repeat, sent.len() == 2, "repeat after the second advert");
        now = vh.poll_timeout().unwrap();
    }
    let times: Vec<u64> = sent.iter().map(|(t, _)| t.micros()).collect();
    assert_eq!(times, [0, 1_000_000, 2_000_000, 3_000_000]);
    // The counter rises by one per advert.
    assert!(sent.windows(2).all(|w| w[1].1 == w[0].1 + 1));
}

#[test]
fn late_timeout_does_not_drift_the_advert_schedule() {
    let mut vh = running(1, 0);
    vh.force_state(us(0), State::Master).unwrap();
    vh.handle_timeout(us(1_000_300), &P);
    assert!(vh.has_pending_transmit());
    assert_eq!(vh.poll_timeout(), Some(us(2_000_000)));
}

#[test]
fn advbase_zero_uses_openbsd_sub_second_timing() {
    let mut vh = running(0, 2);
    assert_eq!(vh.poll_timeout(), Some(us(23_437)));
    vh.handle_timeout(us(23_437), &P);
    assert_eq!(vh.state(), State::Master);
    assert_eq!(vh.poll_timeout(), Some(us(23_437 + 7_812)));
    let mut zero = running(0, 0);
    assert_eq!(zero.poll_timeout(), Some(us(11_718)));
    zero.force_state(us(0), State::Master).unwrap();
    assert_eq!(zero.poll_timeout(), Some(us(3_906)));
}

#[test]
fn dead_ratio_changes_master_down_but_not_the_wire() {
    let cfg = config(1, 50).with_dead_ratio(5).unwrap();
    let mut vh = VirtualHost::new(cfg, 0);
    vh.set_admin(us(0), true);
    vh.set_link(us(0), true);
    assert_eq!(vh.poll_timeout(), Some(us(5_195_312)));
    vh.force_state(us(0), State::Master).unwrap();
    let (a, _) = transmit(&mut vh, us(0), &P).unwrap();
    assert_eq!((a.advbase, a.advskew), (1, 50));
}

#[test]
fn master_yields_to_more_frequent_master() {
    let mut vh = running(1, 100);
    vh.force_state(us(0), State::Master).unwrap();
    drain(&mut vh);
    let v = advert_in(&mut vh, us(500_000), src(12), 1, 50, &P).unwrap();
    assert_eq!(v, Verdict::Yield(Reason::BetterMaster));
    assert_eq!(vh.state(), State::Backup);
    assert_eq!(
        state_changes(&drain(&mut vh)),
        [(State::Master, State::Backup, Reason::BetterMaster)]
    );
    assert_eq!(vh.poll_timeout(), Some(us(500_000 + 3_390_625)));
}

#[test]
fn master_ignores_less_frequent_master_and_ties_yield() {
    let mut vh = running(1, 100);
    vh.force_state(us(0), State::Master).unwrap();
    assert_eq!(
        advert_in(&mut vh, us(1), src(12), 1, 101, &P).unwrap(),
        Verdict::Ignore
    );
    assert_eq!(vh.state(), State::Master);
    assert_eq!(
        advert_in(&mut vh, us(2), src(12), 1, 100, &P).unwrap(),
        Verdict::Yield(Reason::BetterMaster)
    );
    assert_eq!(vh.state(), State::Backup);
}

#[test]
fn backup_preempts_less_frequent_master_only_with_preempt() {
    let mut vh = running(1, 10);
    advert_in(&mut vh, us(1_000), src(12), 1, 50, &P).unwrap();
    assert_eq!(vh.state(), State::Backup);
    let preempt = Policy { preempt: true, ..P };
    advert_in(&mut vh, us(2_000), src(12), 1, 50, &preempt).unwrap();
    assert_eq!(vh.state(), State::Master);
    assert!(state_changes(&drain(&mut vh)).contains(&(
        State::Backup,
        State::Master,
        Reason::Preempt
    )));
}

#[test]
fn preempt_holddown_delays_preemption_of_a_heard_master_only() {
    let p = Policy {
        preempt: true,
        preempt_holddown: Duration::from_secs(5),
        ..P
    };
    let mut vh = running(1, 10);
    advert_in(&mut vh, us(1_000_000), src(12), 1, 50, &p).unwrap();
    advert_in(&mut vh, us(5_999_999), src(12), 1, 50, &p).unwrap();
    assert_eq!(vh.state(), State::Backup);
    advert_in(&mut vh, us(6_000_000), src(12), 1, 50, &p).unwrap();
    assert_eq!(vh.state(), State::Master);
    // Nobody heard: master-down is not delayed by the hold-down.
    let mut alone = running(1, 10);
    alone.handle_timeout(us(3_039_062), &p);
    assert_eq!(alone.state(), State::Master);
}

#[test]
fn bow_out_sends_255_and_backup_takes_over_at_once() {
    let mut master = running(1, 10);
    master.force_state(us(0), State::Master).unwrap();
    transmit(&mut master, us(0), &P).unwrap();
    let mut backup = running(1, 50);
    master.set_admin(us(400_000), false);
    assert_eq!(master.state(), State::Init);
    assert_eq!(master.poll_timeout(), None);
    let (bow, t) = transmit(&mut master, us(400_000), &P).unwrap();
    assert!(t.bow_out && bow.is_bow_out());
    assert!(transmit(&mut master, us(400_000), &P).is_none());
    let ok = backup.verify(&bow).unwrap();
    let v = backup.handle_advert(us(400_100), &ok, src(11), &P).unwrap();
    assert_eq!(v, Verdict::TakeOver(Reason::BowOut));
    assert_eq!(backup.state(), State::Master);
}

#[test]
fn admin_down_as_backup_sends_nothing() {
    let mut vh = running(1, 10);
    vh.set_admin(us(1), false);
    assert_eq!(vh.state(), State::Init);
    assert!(transmit(&mut vh, us(1), &P).is_none());
}

#[test]
fn link_down_goes_to_init_and_link_up_back_to_backup() {
    let mut vh = running(1, 10);
    vh.force_state(us(0), State::Master).unwrap();
    drain(&mut vh);
    vh.set_link(us(10), false);
    assert_eq!(vh.state(), State::Init);
    assert_eq!(vh.poll_timeout(), None);
    vh.set_link(us(20), true);
    assert_eq!(vh.state(), State::Backup);
    assert_eq!(
        state_changes(&drain(&mut vh)),
        [
            (State::Master, State::Init, Reason::LinkDown),
            (State::Init, State::Backup, Reason::LinkUp)
        ]
    );
}

#[test]
fn forced_states_behave_like_ifconfig_state() {
    let mut vh = running(1, 10);
    let mut events = drain(&mut vh);
    vh.force_state(us(5), State::Master).unwrap();
    assert_eq!(vh.state(), State::Master);
    assert!(vh.has_pending_transmit());
    events.extend(drain(&mut vh));
    vh.force_state(us(6), State::Backup).unwrap();
    assert_eq!(vh.state(), State::Backup);
    assert_eq!(vh.poll_timeout(), Some(us(6 + 3_039_062)));
    vh.force_state(us(7), State::Init).unwrap();
    assert_eq!(vh.state(), State::Init);
    events.extend(drain(&mut vh));
    let reasons: Vec<Reason> = state_changes(&events).into_iter().map(|c| c.2).collect();
    assert_eq!(
        reasons,
        [
            Reason::LinkUp,
            Reason::Forced,
            Reason::Forced,
            Reason::Forced
        ]
    );
}

#[test]
fn demoted_master_advertises_240_and_is_replaced_without_preempt() {
    let demoted = Policy { demotion: 1, ..P };
    let mut master = running(1, 0);
    master.force_state(us(0), State::Master).unwrap();
    let (a, _) = transmit(&mut master, us(0), &demoted).unwrap();
    assert_eq!((a.advskew, a.demote), (240, 1));
    let mut backup = running(1, 100);
    let ok = backup.verify(&a).unwrap();
    let v = backup.handle_advert(us(1), &ok, src(11), &P).unwrap();
    assert_eq!(v, Verdict::TakeOver(Reason::PeerDemoted));
    // With FreeBSD semantics the demote byte is ignored and 240 > 100 loses
    // only with preempt.
    let freebsd = Policy {
        ignore_peer_demote: true,
        ..P
    };
    let mut other = running(1, 100);
    let v = other.handle_advert(us(1), &ok, src(11), &freebsd).unwrap();
    assert_eq!(v, Verdict::KeepListening);
}

#[test]
fn counter_continues_the_senders_sequence_and_never_goes_back() {
    let mut master = running(1, 10);
    master.force_state(us(0), State::Master).unwrap();
    let (a, _) = transmit(&mut master, us(0), &P).unwrap();
    let mut backup = VirtualHost::new(config(1, 50), 5);
    backup.set_admin(us(0), true);
    backup.set_link(us(0), true);
    let ok = backup.verify(&a).unwrap();
    backup.handle_advert(us(1), &ok, src(11), &P).unwrap();
    backup.handle_timeout(backup.poll_timeout().unwrap(), &P);
    let (b, _) = transmit(&mut backup, us(4_000_000), &P).unwrap();
    assert_eq!(b.counter, a.counter + 1);
}

#[test]
fn reconfigure_keeps_state_and_rekeys() {
    let mut vh = running(1, 10);
    vh.force_state(us(0), State::Master).unwrap();
    transmit(&mut vh, us(0), &P).unwrap();
    drain(&mut vh);
    let new = config(2, 20).with_passphrase(b"other").unwrap();
    vh.reconfigure(us(100), new.clone()).unwrap();
    assert_eq!(vh.state(), State::Master);
    assert!(drain(&mut vh).is_empty(), "no detour through INIT");
    assert_eq!(vh.poll_timeout(), Some(us(100 + 2_078_125)));
    vh.handle_timeout(us(100 + 2_078_125), &P);
    let (a, _) = transmit(&mut vh, us(100 + 2_078_125), &P).unwrap();
    assert_eq!((a.advbase, a.advskew), (2, 20));
    let old_key_host = running(1, 10);
    assert!(old_key_host.verify(&a).is_err());
    let new_key_host = VirtualHost::new(new, 0);
    assert!(new_key_host.verify(&a).is_ok());
}

#[test]
fn rejected_reconfigure_leaves_old_config() {
    let mut vh = running(1, 10);
    let before = vh.config().clone();
    let other = VhostConfig::new(Vhid::new(8).unwrap());
    assert_eq!(
        vh.reconfigure(us(1), other),
        Err(ConfigError::VhidChanged { current: 7, got: 8 })
    );
    assert_eq!(vh.config(), &before);
    assert_eq!(vh.state(), State::Backup);
}

#[test]
fn removing_every_address_goes_to_init_and_adding_one_runs() {
    let mut vh = running(1, 10);
    let mut empty = config(1, 10);
    assert!(empty.remove_address(VADDR));
    vh.reconfigure(us(1), empty).unwrap();
    assert_eq!(vh.state(), State::Init);
    vh.reconfigure(us(2), config(1, 10)).unwrap();
    assert_eq!(vh.state(), State::Backup);
}

#[test]
fn three_send_errors_demote_and_three_successes_undo() {
    let mut vh = running(1, 10);
    drain(&mut vh);
    let demotes = |vh: &mut VirtualHost| -> Vec<i32> {
        drain(vh)
            .into_iter()
            .filter_map(|e| match e {
                EventKind::Demote { delta, .. } => Some(delta),
                _ => None,
            })
            .collect()
    };
    vh.handle_send_result(us(1), false);
    vh.handle_send_result(us(2), false);
    assert!(demotes(&mut vh).is_empty());
    vh.handle_send_result(us(3), false);
    vh.handle_send_result(us(4), false);
    assert_eq!(demotes(&mut vh), [1]);
    vh.handle_send_result(us(5), true);
    vh.handle_send_result(us(6), true);
    assert!(demotes(&mut vh).is_empty());
    vh.handle_send_result(us(7), true);
    assert_eq!(demotes(&mut vh), [-1]);
}

#[test]
fn event_overflow_drops_oldest_and_counts() {
    let mut vh = running(1, 10);
    for i in 0..20u64 {
        let s = if i % 2 == 0 {
            State::Master
        } else {
            State::Backup
        };
        vh.force_state(us(i), s).unwrap();
    }
    assert_eq!(
        vh.events_dropped() as usize + EVENT_CAPACITY,
        vh.next_seq as usize
    );
    let first = vh.poll_event().unwrap();
    assert_eq!(first.seq, u64::from(vh.events_dropped()));
    assert_eq!(vh.state(), State::Backup);
}

#[test]
fn advert_for_other_vhid_or_in_init_is_rejected() {
    let mut vh = running(1, 10);
    vh.set_admin(us(1), false);
    let r = advert_in(&mut vh, us(2), src(11), 1, 10, &P);
    assert_eq!(r, Err(Reject::BadVhid(7)));
    assert_eq!(vh.stats().get(Counter::Badvhid), 1);
}

/// A tiny LAN of virtual hosts: every advert reaches every other host that
/// is running, at the instant it is sent.
struct Lan {
    hosts: Vec<VirtualHost>,
    alive: Vec<bool>,
    now: Instant,
    policy: Policy,
}

impl Lan {
    fn new(skews: &[u8]) -> Lan {
        let hosts: Vec<VirtualHost> = skews.iter().map(|s| running(1, *s)).collect();
        let alive = vec![true; hosts.len()];
        Lan {
            hosts,
            alive,
            now: Instant::ZERO,
            policy: P,
        }
    }

    fn masters(&self) -> Vec<usize> {
        (0..self.hosts.len())
            .filter(|i| self.alive[*i] && self.hosts[*i].state() == State::Master)
            .collect()
    }

    /// Advances to each next deadline until `until`.
    fn run_until(&mut self, until: Instant) {
        for _ in 0..10_000 {
            self.deliver();
            let next = (0..self.hosts.len())
                .filter(|i| self.alive[*i])
                .filter_map(|i| self.hosts[i].poll_timeout())
                .min();
            match next {
                Some(t) if t <= until => {
                    self.now = t;
                    for i in 0..self.hosts.len() {
                        if self.alive[i] {
                            self.hosts[i].handle_timeout(t, &self.policy);
                        }
                    }
                }
                _ => {
                    self.now = until;
                    return;
                }
            }
        }
        panic!("did not converge");
    }

    fn deliver(&mut self) {
        for i in 0..self.hosts.len() {
            if !self.alive[i] {
                continue;
            }
            if let Some((advert, _)) = transmit(&mut self.hosts[i], self.now, &self.policy) {
                for j in 0..self.hosts.len() {
                    if j != i && self.alive[j] {
                        let h = &mut self.hosts[j];
                        if let Ok(ok) = h.verify(&advert) {
                            let _ = h.handle_advert(self.now, &ok, src(10 + i as u8), &self.policy);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn two_hosts_elect_one_master_and_fail_over_both_ways() {
    let mut lan = Lan::new(&[10, 50]);
    lan.run_until(Instant::from_secs(10));
    assert_eq!(lan.masters(), [0]);
    // Kill host 0: host 1 takes over at last advert + 3 s + 50/256 s.
    let last = lan.hosts[1].last_heard().unwrap();
    while lan.hosts[1].poll_event().is_some() {}
    lan.alive[0] = false;
    lan.run_until(Instant::from_secs(20));
    assert_eq!(lan.masters(), [1]);
    let became_master = core::iter::from_fn(|| lan.hosts[1].poll_event())
        .find(|e| {
            matches!(
                e.kind,
                EventKind::StateChange {
                    to: State::Master,
                    ..
                }
            )
        })
        .unwrap();
    assert_eq!(became_master.at - last, Duration::from_micros(3_195_312));
    // Host 0 returns (no preempt): stays backup while 1 is heard.
    lan.alive[0] = true;
    lan.hosts[0] = running_at(1, 10, lan.now);
    lan.run_until(Instant::from_secs(40));
    assert_eq!(lan.masters(), [1]);
    // Host 1 dies: host 0 takes over (the other direction).
    lan.alive[1] = false;
    lan.run_until(Instant::from_secs(50));
    assert_eq!(lan.masters(), [0]);
}

#[test]
fn three_hosts_fail_over_in_skew_order_and_preempt_back() {
    let mut lan = Lan::new(&[100, 10, 50]);
    lan.policy.preempt = true;
    lan.run_until(Instant::from_secs(10));
    assert_eq!(lan.masters(), [1]);
    lan.alive[1] = false;
    lan.run_until(Instant::from_secs(20));
    assert_eq!(lan.masters(), [2]);
    lan.alive[2] = false;
    lan.run_until(Instant::from_secs(30));
    assert_eq!(lan.masters(), [0]);
    // With preempt the best host takes the role back as soon as it is heard.
    lan.alive[1] = true;
    lan.hosts[1] = running_at(1, 10, lan.now);
    lan.run_until(Instant::from_secs(40));
    assert_eq!(lan.masters(), [1]);
}

#[test]
fn virtual_host_with_eight_addresses_fits_in_one_kib() {
    // Issue 10's budget: 255 vhids per parent must stay small.
    let mut cfg = config(1, 0);
    for n in 1..8u8 {
        cfg.add_address(src(100 + n)).unwrap();
    }
    assert_eq!(cfg.addresses().len(), MAX_ADDRS);
    let vh = VirtualHost::new(cfg, 0);
    assert!(
        core::mem::size_of_val(&vh) <= 1024,
        "{}",
        core::mem::size_of_val(&vh)
    );
}
