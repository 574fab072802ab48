//! The tie-break and the advert on a policy change, at explicit instants.
//!
//! Expected instants come from the CARP formula: advbase 1, advskew 100
//! gives an interval of 1 s + 100/256 s = 1_390_625 us and a master-down of
//! 3 s + 100/256 s = 3_390_625 us; the tie margin is 1/256 s = 3_906 us.

use super::*;
use crate::time::Duration;
use crate::wire::{Packet, HEADER_LEN};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::vec::Vec;

const INTERVAL: u64 = 1_390_625;
const MASTER_DOWN: u64 = 3_390_625;
const MARGIN: u64 = 3_906;
const P: Policy = Policy::DEFAULT;

fn v4(n: u8) -> Ipv4Addr {
    Ipv4Addr::new(192, 0, 2, n)
}

fn ll(n: u16) -> Ipv6Addr {
    Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, n)
}

fn us(micros: u64) -> Instant {
    Instant::from_micros(micros)
}

fn config(advskew: u8, addrs: &[IpAddr]) -> VhostConfig {
    let mut c = VhostConfig::new(Vhid::new(3).unwrap())
        .with_advskew(advskew)
        .unwrap()
        .with_passphrase(b"tie")
        .unwrap();
    for a in addrs {
        c.add_address(*a).unwrap();
    }
    c
}

fn vaddr() -> [IpAddr; 1] {
    [IpAddr::V4(Ipv4Addr::new(192, 0, 2, 100))]
}

fn master(advskew: u8, addrs: &[IpAddr]) -> VirtualHost {
    let mut vh = VirtualHost::new(config(advskew, addrs), 1 << 40);
    vh.set_admin(us(0), true);
    vh.set_link(us(0), true);
    vh.force_state(us(0), State::Master).unwrap();
    sent(&mut vh, us(0), &P).unwrap();
    vh
}

fn sent(vh: &mut VirtualHost, now: Instant, policy: &Policy) -> Option<Advert> {
    let mut buf = [0u8; HEADER_LEN];
    vh.poll_transmit(now, policy, &mut buf)?;
    Some(Advert::parse(&Packet::new_checked(&buf[..]).unwrap()).unwrap())
}

/// The advert a master sends (its configuration, a fresh counter).
fn advert_of(vh: &VirtualHost) -> Advert {
    let mut copy = vh.clone();
    copy.force_state(us(0), State::Master).unwrap();
    sent(&mut copy, us(0), &P).unwrap()
}

/// `to` hears `advert` from `origin`.
fn hear(to: &mut VirtualHost, now: Instant, advert: &Advert, origin: Origin) -> Verdict {
    let ok = to.verify(advert).unwrap();
    to.handle_advert(now, &ok, origin, &P).unwrap()
}

fn reasons(vh: &mut VirtualHost) -> Vec<Reason> {
    core::iter::from_fn(|| vh.poll_event())
        .filter_map(|e| match e.kind {
            EventKind::StateChange { reason, .. } => Some(reason),
            _ => None,
        })
        .collect()
}

#[test]
fn two_equal_masters_keep_the_one_whose_address_ranks_first() {
    let mut a = master(100, &vaddr());
    let mut b = master(100, &vaddr());
    reasons(&mut a);
    reasons(&mut b);
    // Both adverts of the takeover cross on the wire.
    let ad_a = advert_of(&a);
    let ad_b = advert_of(&b);
    // 192.0.2.10 (a) ranks before 192.0.2.11 (b).
    let at = us(100);
    let va = hear(
        &mut a,
        at,
        &ad_b,
        Origin::new(IpAddr::V4(v4(11)), Some(v4(10)), None),
    );
    let vb = hear(
        &mut b,
        at,
        &ad_a,
        Origin::new(IpAddr::V4(v4(10)), Some(v4(11)), None),
    );
    assert_eq!(va, Verdict::Ignore);
    assert_eq!(vb, Verdict::Yield(Reason::TieLost));
    assert_eq!(a.state(), State::Master);
    assert_eq!(a.tie_run(), Some((at, 0)));
    assert_eq!(b.state(), State::Backup);
    assert_eq!(reasons(&mut b), [Reason::TieLost]);
    // The loser waits master-down plus one skew unit.
    assert_eq!(
        b.deadline(Timer::MasterDown),
        Some(us(100 + MASTER_DOWN + MARGIN))
    );
    // Its next advert from the winner restarts a plain master-down.
    let next = us(INTERVAL);
    a.handle_timeout(next, &P);
    let ad = sent(&mut a, next, &P).unwrap();
    let v = hear(
        &mut b,
        next + Duration::from_micros(100),
        &ad,
        IpAddr::V4(v4(10)).into(),
    );
    assert_eq!(v, Verdict::KeepListening);
    assert_eq!(
        b.deadline(Timer::MasterDown),
        Some(us(INTERVAL + 100 + MASTER_DOWN))
    );
}

#[test]
fn without_our_address_a_tie_yields_as_on_the_bsds() {
    let mut a = master(100, &vaddr());
    let ad_b = advert_of(&master(100, &vaddr()));
    let v = hear(&mut a, us(5), &ad_b, IpAddr::V4(v4(11)).into());
    assert_eq!(v, Verdict::Yield(Reason::BetterMaster));
    assert_eq!(a.deadline(Timer::MasterDown), Some(us(5 + MASTER_DOWN)));
}

fn equal_advert() -> Advert {
    advert_of(&master(100, &vaddr()))
}

#[test]
fn holding_a_tie_reasserts_once_and_three_more_equal_adverts_make_a_dispute() {
    let ad = equal_advert();
    let mut a = master(100, &vaddr());
    reasons(&mut a);
    // 192.0.2.200 ranks after 192.0.2.10: we keep the vhid and re-assert
    // with an advert at once, without moving the advert schedule ...
    let from = Origin::new(IpAddr::V4(v4(200)), Some(v4(10)), None);
    assert_eq!(hear(&mut a, us(1_000), &ad, from), Verdict::Ignore);
    assert!(sent(&mut a, us(1_000), &P).is_some());
    assert_eq!(a.poll_timeout(), Some(us(INTERVAL)));
    // ... a copy of the same advert changes nothing ...
    assert_eq!(hear(&mut a, us(1_050), &ad, from), Verdict::Ignore);
    assert!(!a.has_pending_transmit());
    assert_eq!(a.tie_run(), Some((us(1_000), 0)));
    // ... the equal master's next two periodic adverts are counted ...
    for k in 1..=2 {
        let at = us(1_000 + k * INTERVAL);
        assert_eq!(hear(&mut a, at, &ad, from), Verdict::Ignore);
        assert_eq!(a.tie_run(), Some((at, k as u8)));
    }
    assert!(!a.has_pending_transmit());
    // ... and the third (three intervals >= master-down after our claim):
    // it does not hear us, or ranks otherwise. Yield.
    let v = hear(&mut a, us(1_000 + 3 * INTERVAL), &ad, from);
    assert_eq!(v, Verdict::Yield(Reason::TieDisputed));
    assert_eq!(reasons(&mut a), [Reason::TieDisputed]);
    assert_eq!(
        a.deadline(Timer::MasterDown),
        Some(us(1_000 + 3 * INTERVAL + MASTER_DOWN + MARGIN))
    );
}

#[test]
fn an_equal_master_back_after_a_silence_starts_a_new_run() {
    let ad = equal_advert();
    let mut a = master(100, &vaddr());
    let from = Origin::new(IpAddr::V4(v4(200)), Some(v4(10)), None);
    hear(&mut a, us(0), &ad, from);
    sent(&mut a, us(0), &P).unwrap();
    hear(&mut a, us(INTERVAL), &ad, from);
    hear(&mut a, us(2 * INTERVAL), &ad, from);
    // It yielded and took over again after master-down of silence: a new
    // run (and a new re-assertion), not a dispute. Half-way between an
    // interval and master-down is the line.
    let line = 2 * INTERVAL + (INTERVAL + MASTER_DOWN) / 2;
    assert_eq!(hear(&mut a, us(line), &ad, from), Verdict::Ignore);
    assert_eq!(a.tie_run(), Some((us(line), 0)));
    assert!(a.has_pending_transmit());
}

#[test]
fn an_ipv6_advert_leaves_the_tie_to_the_ipv4_one_on_a_dual_stack_vhid() {
    let addrs = [
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 100)),
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x100)),
    ];
    let ad = advert_of(&master(100, &addrs));
    let mut a = master(100, &addrs);
    // Our link-local ranks after the sender's, but the IPv4 advert decides.
    let from6 = Origin::new(IpAddr::V6(ll(1)), Some(v4(10)), Some(ll(2)));
    assert_eq!(hear(&mut a, us(10), &ad, from6), Verdict::Ignore);
    // An IPv6-only vhid compares link-locals.
    let mut only6 = master(100, &addrs[1..]);
    let ad6 = advert_of(&master(100, &addrs[1..]));
    assert_eq!(
        hear(&mut only6, us(10), &ad6, from6),
        Verdict::Yield(Reason::TieLost)
    );
}

#[test]
fn a_master_advertises_at_once_when_demoted_and_when_undemoted() {
    let mut a = master(0, &vaddr());
    // Nothing changed: nothing due.
    a.handle_policy(us(400_000), &P);
    assert!(!a.has_pending_transmit());
    // Demoted at 0.5 s (OpenBSD carpdemote): advert now with advskew 240
    // and demote 1, next one an interval of the demoted timing later.
    let demoted = Policy { demotion: 1, ..P };
    a.handle_policy(us(500_000), &demoted);
    let ad = sent(&mut a, us(500_000), &demoted).unwrap();
    assert_eq!((ad.advskew, ad.demote), (240, 1));
    assert_eq!(a.advertised(), Some((240, 1)));
    assert_eq!(a.poll_timeout(), Some(us(500_000 + 1_937_500)));
    // The same policy again: nothing more.
    a.handle_policy(us(600_000), &demoted);
    assert!(!a.has_pending_transmit());
    // Undemoted: advert now with the configured values.
    a.handle_timeout(us(700_000), &P);
    let ad = sent(&mut a, us(700_000), &P).unwrap();
    assert_eq!((ad.advskew, ad.demote), (0, 0));
    assert_eq!(a.poll_timeout(), Some(us(1_700_000)));
}

#[test]
fn a_backup_sends_nothing_on_a_policy_change() {
    let mut vh = VirtualHost::new(config(0, &vaddr()), 0);
    vh.set_admin(us(0), true);
    vh.set_link(us(0), true);
    vh.handle_policy(us(1), &Policy { demotion: 5, ..P });
    assert!(!vh.has_pending_transmit());
}

#[test]
fn reconfiguring_a_masters_advskew_advertises_at_once() {
    let mut a = master(100, &vaddr());
    a.reconfigure(us(250_000), config(20, &vaddr())).unwrap();
    let ad = sent(&mut a, us(250_000), &P).unwrap();
    assert_eq!(ad.advskew, 20);
    assert_eq!(a.poll_timeout(), Some(us(250_000 + 1_078_125)));
    // A new key only re-times.
    let rekeyed = config(20, &vaddr()).with_passphrase(b"other").unwrap();
    a.reconfigure(us(300_000), rekeyed).unwrap();
    assert!(!a.has_pending_transmit());
}
