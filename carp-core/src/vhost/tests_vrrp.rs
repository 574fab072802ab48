//! The VRRP personality at explicit instants: every expected time is RFC
//! 9568's formula worked by hand (3 x interval + (256 - priority)/256 x
//! interval), every advert checked on its bytes.

use super::*;
use crate::wire::vrrp::{fill_checksum, PseudoHeader, VrrpFamily, VrrpPacket};
use crate::wire::MAX_TRANSMIT_LEN;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::vec::Vec;

fn v4(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, n))
}

fn us(micros: u64) -> Instant {
    Instant::from_micros(micros)
}

fn vrrp(vrid: u8, priority: u8, centis: u16) -> VhostConfig {
    VhostConfig::new(Vhid::new(vrid).unwrap())
        .with_version(Version::Vrrp)
        .with_vrrp_priority(priority)
        .unwrap()
        .with_vrrp_interval(centis)
        .unwrap()
        .with_address(v4(100))
        .unwrap()
}

fn running(config: VhostConfig, now: Instant) -> VirtualHost {
    let mut vh = VirtualHost::new(config, 0);
    vh.set_admin(now, true);
    vh.set_link(now, true);
    vh
}

fn changes(vh: &mut VirtualHost) -> Vec<(Instant, State, Reason)> {
    core::iter::from_fn(|| vh.poll_event())
        .filter_map(|e| match e.kind {
            EventKind::StateChange { to, reason, .. } => Some((e.at, to, reason)),
            _ => None,
        })
        .collect()
}

/// A VRRP advert from a router of `priority` at `centis`, as bytes.
fn advert_bytes(vrid: u8, priority: u8, centis: u16) -> ([u8; 12], usize) {
    let mut buf = [0u8; 12];
    let len = crate::wire::vrrp::emit(vrid, priority, centis, VrrpFamily::V4, &[v4(100)], &mut buf)
        .unwrap();
    (buf, len)
}

fn hear(
    vh: &mut VirtualHost,
    at: Instant,
    from: u8,
    priority: u8,
    centis: u16,
    policy: &Policy,
) -> Result<Verdict, Reject> {
    let (buf, len) = advert_bytes(vh.vhid().get(), priority, centis);
    let packet = VrrpPacket::new_checked(&buf[..len], VrrpFamily::V4).unwrap();
    let advert = VrrpAdvert::parse_fields(&packet).unwrap();
    let origin = Origin::new(v4(from), Some(Ipv4Addr::new(192, 0, 2, 10)), None);
    vh.handle_vrrp_advert(at, &advert, origin, policy)
}

fn sent(vh: &mut VirtualHost, now: Instant) -> Option<(u8, u16, bool)> {
    let mut buf = [0u8; MAX_TRANSMIT_LEN];
    let t = vh.poll_transmit(now, &Policy::DEFAULT, &mut buf)?;
    let split = t.vrrp.unwrap();
    let p = VrrpPacket::new_checked(split.v4(&buf), VrrpFamily::V4).unwrap();
    Some((p.priority(), p.max_adver_int(), t.bow_out))
}

use crate::wire::vrrp::VrrpAdvert;

#[test]
fn the_address_owner_takes_over_as_soon_as_it_runs() {
    let mut vh = running(vrrp(1, 255, 100), us(5));
    assert_eq!(changes(&mut vh), [(us(5), State::Master, Reason::Owner)]);
    assert_eq!(sent(&mut vh, us(5)), Some((255, 100, false)));
    // It discards every advert, even a higher address at 255.
    let p = Policy::DEFAULT;
    assert_eq!(
        hear(&mut vh, us(10), 200, 255, 100, &p),
        Ok(Verdict::Ignore)
    );
    assert_eq!(vh.state(), State::Master);
}

#[test]
fn a_backup_takes_over_exactly_at_master_down() {
    let mut vh = running(vrrp(1, 100, 100), Instant::ZERO);
    assert_eq!(
        changes(&mut vh),
        [(Instant::ZERO, State::Backup, Reason::LinkUp)]
    );
    // 3 x 1 s + 156/256 s.
    assert_eq!(vh.poll_timeout(), Some(us(3_609_375)));
    vh.handle_timeout(us(3_609_374), &Policy::DEFAULT);
    assert_eq!(vh.state(), State::Backup);
    vh.handle_timeout(us(3_609_375), &Policy::DEFAULT);
    assert_eq!(
        changes(&mut vh),
        [(us(3_609_375), State::Master, Reason::MasterDown)]
    );
    assert_eq!(sent(&mut vh, us(3_609_375)), Some((100, 100, false)));
    // Then every interval.
    assert_eq!(vh.poll_timeout(), Some(us(4_609_375)));
}

#[test]
fn master_down_is_timed_from_the_masters_interval() {
    let mut vh = running(vrrp(1, 100, 100), Instant::ZERO);
    let p = Policy::DEFAULT;
    // A master at 50 cs: 1.5 s + 156/256 x 0.5 s = 1.804687 s after it.
    assert_eq!(
        hear(&mut vh, us(1_000_000), 11, 200, 50, &p),
        Ok(Verdict::KeepListening)
    );
    assert_eq!(vh.master_interval(), 50);
    assert_eq!(vh.poll_timeout(), Some(us(1_000_000 + 1_804_687)));
    assert_eq!(vh.last_heard(), Some(us(1_000_000)));
}

#[test]
fn a_master_leaving_with_priority_0_is_replaced_after_the_skew_only() {
    let mut vh = running(vrrp(1, 100, 100), Instant::ZERO);
    let p = Policy::DEFAULT;
    hear(&mut vh, us(500_000), 11, 200, 100, &p).unwrap();
    assert_eq!(
        hear(&mut vh, us(700_000), 11, 0, 100, &p),
        Ok(Verdict::KeepListening)
    );
    // Skew_Time: 156/256 s.
    assert_eq!(vh.poll_timeout(), Some(us(700_000 + 609_375)));
    vh.handle_timeout(us(1_309_375), &p);
    assert_eq!(
        changes(&mut vh).last(),
        Some(&(us(1_309_375), State::Master, Reason::BowOut))
    );
}

#[test]
fn preempt_off_keeps_a_lower_master_and_preempt_on_waits_out_master_down() {
    let off = Policy::DEFAULT;
    let on = Policy {
        preempt: true,
        ..Policy::DEFAULT
    };
    for (policy, expect_master) in [(off, false), (on, true)] {
        let mut vh = running(vrrp(1, 200, 100), Instant::ZERO);
        // A priority-100 master advertises every second from 0.5 s on; the
        // clock jumps to whichever comes first, its advert or our timer.
        let mut next_advert = us(500_000);
        while next_advert < us(10_000_000) {
            let timer = vh.poll_timeout().unwrap_or(next_advert);
            if timer < next_advert {
                vh.handle_timeout(timer, &policy);
                let _ = vh.poll_transmit(timer, &policy, &mut [0u8; MAX_TRANSMIT_LEN]);
                continue;
            }
            if vh.state() == State::Backup {
                let _ = hear(&mut vh, next_advert, 11, 100, 100, &policy);
            }
            next_advert += crate::time::Duration::from_secs(1);
        }
        assert_eq!(vh.state() == State::Master, expect_master);
        if expect_master {
            // Its adverts were discarded: master-down from the start,
            // 3 s + 56/256 s, not a preemption on the first advert.
            let took = changes(&mut vh);
            assert_eq!(
                took.last(),
                Some(&(us(3_218_750), State::Master, Reason::MasterDown))
            );
        }
    }
}

#[test]
fn a_master_yields_to_a_higher_priority_or_an_equal_one_with_a_higher_address() {
    let p = Policy::DEFAULT;
    for (prio, from, yields) in [
        (101, 5, true),
        (99, 200, false),
        (100, 11, true),
        (100, 9, false),
    ] {
        let mut vh = running(vrrp(1, 100, 100), Instant::ZERO);
        vh.force_state(us(1), State::Master).unwrap();
        let verdict = hear(&mut vh, us(2), from, prio, 40, &p).unwrap();
        assert_eq!(
            verdict == Verdict::Yield(Reason::BetterMaster),
            yields,
            "{prio} {from}"
        );
        if yields {
            // Backup with the yielded-to master's interval: 1.2 s + 156/256 x 0.4 s.
            assert_eq!(vh.poll_timeout(), Some(us(2 + 1_443_750)));
        }
    }
}

#[test]
fn a_master_hearing_priority_0_advertises_at_once() {
    let mut vh = running(vrrp(1, 100, 100), Instant::ZERO);
    vh.force_state(us(1), State::Master).unwrap();
    assert!(sent(&mut vh, us(1)).is_some());
    assert_eq!(
        hear(&mut vh, us(400_000), 11, 0, 100, &Policy::DEFAULT),
        Ok(Verdict::Ignore)
    );
    assert!(vh.has_pending_transmit());
    assert_eq!(vh.poll_timeout(), Some(us(1_400_000)));
}

#[test]
fn shutting_down_as_master_sends_priority_0() {
    let mut vh = running(vrrp(1, 255, 100), Instant::ZERO);
    sent(&mut vh, Instant::ZERO).unwrap();
    vh.set_admin(us(10), false);
    assert_eq!(sent(&mut vh, us(10)), Some((0, 100, true)));
    assert_eq!(vh.state(), State::Init);
}

#[test]
fn carp_and_vrrp_adverts_only_reach_their_own_personality() {
    let mut vh = running(vrrp(1, 100, 100), Instant::ZERO);
    let mut carp = VirtualHost::new(
        VhostConfig::new(Vhid::new(1).unwrap())
            .with_address(v4(100))
            .unwrap(),
        0,
    );
    carp.set_admin(Instant::ZERO, true);
    carp.set_link(Instant::ZERO, true);
    carp.force_state(us(1), State::Master).unwrap();
    let mut buf = [0u8; MAX_TRANSMIT_LEN];
    carp.poll_transmit(us(1), &Policy::DEFAULT, &mut buf)
        .unwrap();
    let advert =
        crate::wire::Advert::parse(&crate::wire::Packet::new_checked(&buf[..36]).unwrap()).unwrap();
    let ok = vh.verify(&advert).unwrap();
    assert_eq!(
        vh.handle_advert(us(2), &ok, v4(11), &Policy::DEFAULT),
        Err(Reject::BadVersion(2))
    );
    assert_eq!(
        hear(&mut carp, us(2), 11, 100, 100, &Policy::DEFAULT),
        Err(Reject::BadVersion(3))
    );
    assert_eq!(vh.stats().get(crate::stats::Counter::Badver), 1);
    assert_eq!(vh.state(), State::Backup);
}

#[test]
fn switching_the_protocol_starts_over_from_init() {
    let mut vh = running(vrrp(1, 100, 100), Instant::ZERO);
    vh.force_state(us(1), State::Master).unwrap();
    let _ = changes(&mut vh);
    let carp = vh.config().clone().with_version(Version::Carp);
    vh.reconfigure(us(2), carp).unwrap();
    assert_eq!(
        changes(&mut vh),
        [
            (us(2), State::Init, Reason::Reconfigured),
            (us(2), State::Backup, Reason::Reconfigured)
        ]
    );
    // CARP's master-down now: 3 x advbase 1 + 0/256.
    assert_eq!(vh.poll_timeout(), Some(us(3_000_002)));
}

#[test]
fn adverts_carry_each_family_link_local_first_and_match_keepalived() {
    // vrid 7, priority 200, 100 cs, 192.0.2.100 and .101 plus IPv6: the
    // IPv4 message is keepalived's (tests/fixtures/keepalived-vrrp3.pcap,
    // frame 5) once its checksum is filled for 192.0.2.11 -> 224.0.0.18.
    let ll: IpAddr = IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 1, 9));
    let global: IpAddr = "2001:db8::100".parse().unwrap();
    let config = vrrp(7, 200, 100)
        .with_address(global)
        .unwrap()
        .with_address(v4(101))
        .unwrap()
        .with_address(ll)
        .unwrap();
    let mut vh = running(config, Instant::ZERO);
    vh.force_state(us(1), State::Master).unwrap();
    let mut buf = [0u8; MAX_TRANSMIT_LEN];
    let t = vh.poll_transmit(us(1), &Policy::DEFAULT, &mut buf).unwrap();
    let split = t.vrrp.unwrap();
    assert!(t.ipv4 && t.ipv6 && !t.bow_out);
    assert_eq!((split.v4_len, split.v6_len, t.len), (16, 40, 56));
    let mut v4msg = [0u8; 16];
    v4msg.copy_from_slice(split.v4(&buf));
    fill_checksum(
        &mut v4msg,
        &PseudoHeader::V4 {
            src: Ipv4Addr::new(192, 0, 2, 11),
            dst: crate::wire::GROUP_V4,
        },
    );
    assert_eq!(
        v4msg,
        [
            0x31, 0x07, 0xc8, 0x02, 0x00, 0x64, 0xdf, 0x28, 0xc0, 0x00, 0x02, 0x64, 0xc0, 0x00,
            0x02, 0x65
        ]
    );
    let p = VrrpPacket::new_checked(split.v6(&buf), VrrpFamily::V6).unwrap();
    assert_eq!(p.addresses().collect::<Vec<_>>(), [ll, global]);
}
