//! Adversaries on the segment, in the simulator: forged and replayed
//! adverts, a VRRP router on protocol 112, and malformed or misdirected
//! adverts. Each is counted under its own counter and none moves a state.
//!
//! Two hosts run vhid 7 (`secret42`, 192.0.2.100): A (192.0.2.11, advskew
//! 10) is MASTER from 3.04 s, B (192.0.2.12, advskew 50) BACKUP.

use std::net::{IpAddr, Ipv4Addr};

use carp_core::wire::{checksum, Advert, Packet, HEADER_LEN, TOS_LOWDELAY};
use carp_core::{AuthContext, Counter, Instant, ReplayPolicy, State, Stats, Vhid, VhostConfig};
use carp_ifnet::frame::{emit_advert, emit_ipv4_frame, AdvertIp, Ipv4Repr, MAX_FRAME_LEN};
use carp_ifnet::lladdr::LinkType;
use carp_sim::{Action, HostSpec, Knobs, Lan, LinkParams, RecordKind, Sender};

const VHID: u8 = 7;
const VADDR: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 100);
const A: usize = 0;
const B: usize = 1;
const ATTACKER_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 66);
const ETH_IP: usize = 14;
const ETH_CARP: usize = 34;

fn secs(s: u64) -> Instant {
    Instant::from_secs(s)
}

fn config(vhid: u8, skew: u8, pass: &[u8]) -> VhostConfig {
    VhostConfig::new(Vhid::new(vhid).unwrap())
        .with_advskew(skew)
        .unwrap()
        .with_passphrase(pass)
        .unwrap()
        .with_address(IpAddr::V4(VADDR))
        .unwrap()
}

/// A (advskew 10) and B (advskew 50), both with `knobs`, run to `until`.
fn pair(knobs: Knobs, until: Instant) -> Lan {
    let mut lan = Lan::new(1, LinkParams::default());
    lan.add_host(HostSpec::ethernet(
        "a",
        11,
        vec![config(VHID, 10, b"secret42")],
        knobs.clone(),
    ))
    .unwrap();
    lan.add_host(HostSpec::ethernet(
        "b",
        12,
        vec![config(VHID, 50, b"secret42")],
        knobs,
    ))
    .unwrap();
    lan.run_until(until);
    assert_eq!(lan.masters(VHID), [A], "A is master before the attack");
    assert_eq!(lan.hosts()[B].state(VHID), State::Backup);
    lan
}

fn preempt() -> Knobs {
    Knobs {
        preempt: true,
        ..Knobs::default()
    }
}

fn transitions_after(lan: &Lan, t: Instant) -> usize {
    lan.records()
        .iter()
        .filter(|r| r.at >= t && matches!(r.kind, RecordKind::Transition { .. }))
        .count()
}

/// Counters that moved between two snapshots, with how much.
fn moved(before: &Stats, after: &Stats) -> Vec<(Counter, u64)> {
    before
        .iter()
        .zip(after.iter())
        .filter(|((_, b), (_, a))| a != b)
        .map(|((c, b), (_, a))| (c, a - b))
        .collect()
}

/// An IPv4 advert for `vhid` from `src`, signed with `signer`'s key and
/// addresses.
fn advert_frame(signer: &VhostConfig, src: Ipv4Addr, advskew: u8, counter: u64) -> Vec<u8> {
    let auth = signer.with_auth_input(|input| AuthContext::new(&signer.key, input));
    let advert = Advert {
        vhid: signer.vhid.get(),
        advskew,
        demote: 0,
        advbase: 1,
        counter,
        digest: auth.sign(counter),
    };
    let mut carp = [0u8; HEADER_LEN];
    advert
        .emit(&mut Packet::new_unchecked(&mut carp[..]))
        .unwrap();
    let link = LinkType::Ethernet;
    let ip = AdvertIp::V4 {
        src,
        tos: TOS_LOWDELAY,
        ident: counter as u16,
    };
    let mut out = [0u8; MAX_FRAME_LEN];
    let n = emit_advert(
        link,
        link.virtual_mac(signer.vhid.get()),
        ip,
        &carp,
        &mut out,
    )
    .unwrap();
    out[..n].to_vec()
}

/// Every IPv4 CARP advert host `i` put on the segment, in order.
fn adverts_of(lan: &Lan, i: usize) -> Vec<(usize, Vec<u8>)> {
    lan.captured()
        .iter()
        .enumerate()
        .filter(|(_, c)| c.from == Sender::Host(i))
        .filter(|(_, c)| c.frame.get(12..14) == Some(&[8, 0]) && c.frame.get(23) == Some(&112))
        .map(|(n, c)| (n, c.frame.clone()))
        .collect()
}

fn fix_ip_checksum(frame: &mut [u8]) {
    frame[ETH_IP + 10..ETH_IP + 12].fill(0);
    let sum = checksum(&frame[ETH_IP..ETH_IP + 20]);
    frame[ETH_IP + 10..ETH_IP + 12].copy_from_slice(&sum.to_be_bytes());
}

// ===== forgery =====

#[test]
fn forged_flood_of_better_adverts_with_the_wrong_key_moves_nothing_and_counts_every_frame_as_badauth(
) {
    // Preempt on, so a forgery that got in would make B (and A) yield.
    let mut lan = pair(preempt(), secs(10));
    let before: Vec<Stats> = lan.hosts().iter().map(|h| h.counters()).collect();
    // 10,000 frames/s for 10 s: right vhid, advskew 0, demote 0, fresh
    // counters, signed with a wrong key.
    let forger = config(VHID, 0, b"not-the-key");
    const FRAMES: u64 = 100_000;
    for k in 0..FRAMES {
        let frame = advert_frame(&forger, ATTACKER_IP, 0, 1_000_000 + k);
        lan.inject(secs(10) + carp_core::Duration::from_micros(100 * k), frame);
    }
    lan.run_until(secs(21));
    assert_eq!(transitions_after(&lan, secs(10)), 0, "no state changed");
    assert_eq!(lan.masters(VHID), [A]);
    assert_eq!(lan.hosts()[B].state(VHID), State::Backup);
    for (i, h) in lan.hosts().iter().enumerate() {
        let after = h.counters();
        assert_eq!(
            after.get(Counter::Badauth) - before[i].get(Counter::Badauth),
            FRAMES,
            "host {i}: every forged frame counted as badauth"
        );
        let rejected: u64 = moved(&before[i], &after)
            .iter()
            .filter(|(c, _)| !matches!(c, Counter::Ipackets | Counter::Opackets | Counter::Badauth))
            .map(|(_, n)| n)
            .sum();
        assert_eq!(rejected, 0, "host {i}: nothing but badauth rejected");
    }
}

#[test]
fn the_same_forgery_signed_with_the_right_key_would_take_over() {
    // The control for the flood: the frame is otherwise good enough.
    let mut lan = pair(preempt(), secs(10));
    let insider = config(VHID, 0, b"secret42");
    for k in 0..50 {
        let frame = advert_frame(&insider, ATTACKER_IP, 0, u64::MAX / 2 + k);
        lan.inject(secs(10) + carp_core::Duration::from_millis(100 * k), frame);
    }
    lan.run_until(secs(15));
    assert!(
        lan.masters(VHID).is_empty(),
        "both yield to the better master"
    );
    assert!(transitions_after(&lan, secs(10)) >= 1);
}

// ===== replay =====

/// A and B, replay policy `policy`; A dies at 10 s, B takes over; from 20 s
/// an attacker replays every advert A sent. Returns the lan at 21 s and the
/// number of adverts replayed.
fn replay_after_death(policy: ReplayPolicy) -> (Lan, u64) {
    let knobs = Knobs {
        replay: policy,
        ..Knobs::default()
    };
    let mut lan = pair(knobs, secs(10));
    lan.schedule(secs(10), Action::Crash(A));
    lan.run_until(secs(20));
    assert_eq!(lan.masters(VHID), [B], "B took over from the dead A");
    let captured = adverts_of(&lan, A);
    assert!(captured.len() >= 6, "A advertised every ~1.04 s");
    for (k, (index, _)) in captured.iter().enumerate() {
        lan.replay(
            secs(20) + carp_core::Duration::from_millis(10 * k as u64),
            *index,
        );
    }
    lan.run_until(secs(21));
    (lan, captured.len() as u64)
}

fn replay_records(lan: &Lan, dropped: bool) -> usize {
    lan.records()
        .iter()
        .filter(|r| r.host == Some(B))
        .filter(|r| matches!(r.kind, RecordKind::Replay { dropped: d, .. } if d == dropped))
        .count()
}

#[test]
fn replayed_adverts_of_a_dead_master_are_dropped_under_enforce() {
    let (lan, n) = replay_after_death(ReplayPolicy::Enforce);
    let b = lan.hosts()[B].counters();
    assert_eq!(
        b.get(Counter::Replay),
        n,
        "every replay dropped and counted"
    );
    assert_eq!(b.get(Counter::ReplayLogged), 0);
    assert_eq!(replay_records(&lan, true), n as usize);
    assert_eq!(transitions_after(&lan, secs(20)), 0, "B stays master");
    assert_eq!(lan.masters(VHID), [B]);
}

#[test]
fn replayed_adverts_of_a_dead_master_are_counted_under_log() {
    let (mut lan, n) = replay_after_death(ReplayPolicy::Log);
    let b = lan.hosts()[B].counters();
    assert_eq!(b.get(Counter::ReplayLogged), n, "every replay counted");
    assert_eq!(b.get(Counter::Replay), 0, "none dropped");
    assert_eq!(replay_records(&lan, false), n as usize);
    // Accepted, as `log` promises: the better (replayed) master makes B
    // yield, which is why `enforce` exists. B takes over again once the
    // replays stop.
    assert_eq!(lan.hosts()[B].state(VHID), State::Backup);
    lan.run_until(secs(25));
    assert_eq!(lan.masters(VHID), [B]);
}

// ===== single bad frames: counted once, acted on never =====

/// Half an advert interval after A's last advert, in the future: nothing
/// else happens then.
fn quiet_instant(lan: &Lan) -> Instant {
    let interval = carp_core::Duration::from_micros(1_039_062);
    let last = lan
        .captured()
        .iter()
        .filter(|c| c.from == Sender::Host(A))
        .map(|c| c.at)
        .max()
        .unwrap();
    let mut at = last + carp_core::Duration::from_millis(500);
    while at <= lan.now() {
        at += interval;
    }
    at
}

/// Injects `frame` to `to` (or every host) at a quiet instant and returns,
/// per host, the counters that moved. Asserts that no state, deadline or
/// transmission changed anywhere.
fn inject_one(lan: &mut Lan, to: Option<usize>, frame: Vec<u8>) -> Vec<Vec<(Counter, u64)>> {
    let at = quiet_instant(lan);
    lan.run_until(Instant::from_micros(at.micros() - 1));
    let counters: Vec<Stats> = lan.hosts().iter().map(|h| h.counters()).collect();
    let deadlines: Vec<Option<Instant>> =
        lan.hosts().iter().map(|h| h.cif().poll_timeout()).collect();
    let states: Vec<State> = lan.hosts().iter().map(|h| h.state(VHID)).collect();
    let sent: Vec<u64> = lan.hosts().iter().map(|h| h.frames_sent()).collect();
    match to {
        Some(i) => lan.inject_to(at, i, frame),
        None => lan.inject(at, frame),
    }
    lan.run_until(at);
    for (i, h) in lan.hosts().iter().enumerate() {
        assert_eq!(h.state(VHID), states[i], "host {i} changed state");
        assert_eq!(
            h.cif().poll_timeout(),
            deadlines[i],
            "host {i} moved a deadline"
        );
        assert_eq!(h.frames_sent(), sent[i], "host {i} sent something");
    }
    lan.hosts()
        .iter()
        .zip(&counters)
        .map(|(h, before)| moved(before, &h.counters()))
        .collect()
}

/// The last advert A sent before 10 s.
fn a_advert(lan: &Lan) -> Vec<u8> {
    adverts_of(lan, A).pop().unwrap().1
}

#[test]
fn advert_with_ttl_254_is_counted_as_badttl_and_ignored() {
    let mut lan = pair(preempt(), secs(10));
    let mut frame = advert_frame(&config(VHID, 0, b"secret42"), ATTACKER_IP, 0, u64::MAX - 1);
    frame[ETH_IP + 8] = 254;
    fix_ip_checksum(&mut frame);
    let moved = inject_one(&mut lan, None, frame);
    for m in moved {
        assert_eq!(m, [(Counter::Ipackets, 1), (Counter::Badttl, 1)]);
    }
}

#[test]
fn advert_of_wrong_length_is_counted_as_badlen_and_ignored() {
    let mut lan = pair(preempt(), secs(10));
    // 35 CARP bytes: the IP total length says so, the frame ends there.
    let mut frame = advert_frame(&config(VHID, 0, b"secret42"), ATTACKER_IP, 0, u64::MAX - 1);
    frame.truncate(ETH_CARP + HEADER_LEN - 1);
    frame[ETH_IP + 2..ETH_IP + 4].copy_from_slice(&(20 + 35u16).to_be_bytes());
    fix_ip_checksum(&mut frame);
    let moved = inject_one(&mut lan, None, frame);
    for m in moved {
        assert_eq!(m, [(Counter::Ipackets, 1), (Counter::Badlen, 1)]);
    }
}

#[test]
fn our_own_advert_looped_back_is_counted_as_own_and_ignored() {
    let mut lan = pair(preempt(), secs(10));
    let own = a_advert(&lan);
    let moved = inject_one(&mut lan, Some(A), own);
    assert_eq!(moved[A], [(Counter::Ipackets, 1), (Counter::Own, 1)]);
    assert!(moved[B].is_empty(), "sent to A only");
}

#[test]
fn advert_on_a_parent_without_that_vhid_is_counted_as_badvhid_and_ignored() {
    let mut lan = Lan::new(1, LinkParams::default());
    lan.add_host(HostSpec::ethernet(
        "a",
        11,
        vec![config(VHID, 10, b"secret42")],
        preempt(),
    ))
    .unwrap();
    lan.add_host(HostSpec::ethernet(
        "b",
        12,
        vec![config(VHID, 50, b"secret42")],
        preempt(),
    ))
    .unwrap();
    // C runs vhid 8 only on the same segment (its parent has no vhid 7).
    let c = lan
        .add_host(HostSpec::ethernet(
            "c",
            13,
            vec![config(8, 0, b"other")],
            preempt(),
        ))
        .unwrap();
    lan.run_until(secs(10));
    let before = lan.hosts()[c].counters();
    // Every advert A sends reaches C too.
    lan.run_until(secs(20));
    let seen = moved(&before, &lan.hosts()[c].counters());
    let sent_by_a = adverts_of(&lan, A)
        .iter()
        .filter(|(n, _)| lan.captured()[*n].at > secs(10))
        .count() as u64;
    assert!(sent_by_a >= 9);
    assert_eq!(
        seen.iter()
            .filter(|(k, _)| !matches!(k, Counter::Opackets))
            .copied()
            .collect::<Vec<_>>(),
        [
            (Counter::Ipackets, sent_by_a),
            (Counter::Badvhid, sent_by_a)
        ]
    );
    assert_eq!(lan.masters(8), [c], "C runs its own vhid undisturbed");
    assert_eq!(lan.masters(VHID), [A]);
    // And one more, injected, changes nothing on C.
    let advert = a_advert(&lan);
    let moved = inject_one(&mut lan, Some(c), advert);
    assert_eq!(moved[c], [(Counter::Ipackets, 1), (Counter::Badvhid, 1)]);
}

// ===== a VRRPv3 router on protocol 112 =====

/// A VRRPv3 advertisement (RFC 9568) for `vrid` from 192.0.2.50 with these
/// IPv4 addresses, counting `count` of them, and its own checksum (over the
/// IPv4 pseudo-header).
fn vrrp3(vrid: u8, count: u8, addrs: &[[u8; 4]]) -> Vec<u8> {
    let mut msg = vec![0x31, vrid, 255, count, 0x00, 100, 0, 0];
    for a in addrs {
        msg.extend_from_slice(a);
    }
    let sum = vrrp_checksum(&msg);
    msg[6..8].copy_from_slice(&sum.to_be_bytes());
    vrrp_frame(&msg)
}

const VRRP_SRC: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 50);

fn vrrp_checksum(msg: &[u8]) -> u16 {
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&VRRP_SRC.octets());
    pseudo.extend_from_slice(&[224, 0, 0, 18, 0, 112]);
    pseudo.extend_from_slice(&(msg.len() as u16).to_be_bytes());
    pseudo.extend_from_slice(msg);
    checksum(&pseudo)
}

fn vrrp_frame(msg: &[u8]) -> Vec<u8> {
    let link = LinkType::Ethernet;
    let header = Ipv4Repr::advert(VRRP_SRC, 0xc0, 1, msg.len());
    let mut out = [0u8; 256];
    // VRRP's virtual MAC for VRID 7 is CARP's for vhid 7.
    let n = emit_ipv4_frame(
        link,
        link.multicast_mac_v4(),
        link.virtual_mac(VHID),
        &header,
        msg,
        &mut out,
    )
    .unwrap();
    out[..n].to_vec()
}

#[test]
fn vrrpv3_router_next_to_carp_is_counted_and_ignored() {
    let mut lan = pair(preempt(), secs(10));
    // As FreeBSD 14's carp_input: version 3 is read as VRRPv3. For a vhid
    // that speaks CARP: badver (vrrp_input_c's version check).
    let moved = inject_one(&mut lan, None, vrrp3(VHID, 1, &[[192, 0, 2, 100]]));
    for m in &moved {
        assert_eq!(m, &[(Counter::Ipackets, 1), (Counter::Badver, 1)]);
    }
    // For a VRID no vhid has: badvhid.
    let moved = inject_one(&mut lan, None, vrrp3(VHID + 1, 1, &[[192, 0, 2, 100]]));
    for m in &moved {
        assert_eq!(m, &[(Counter::Ipackets, 1), (Counter::Badvhid, 1)]);
    }
    // Counting seven addresses and carrying one: too short, badlen first.
    let moved = inject_one(&mut lan, None, vrrp3(VHID, 7, &[[192, 0, 2, 100]]));
    for m in &moved {
        assert_eq!(m, &[(Counter::Ipackets, 1), (Counter::Badlen, 1)]);
    }
    assert_eq!(lan.masters(VHID), [A]);
}

// ===== found by fuzzing (event_sequence) =====

#[test]
fn a_demoted_backup_and_a_healthy_master_above_advskew_240_settle_instead_of_flapping() {
    // H is healthy at advskew 250; X is demoted, so it advertises 240 with
    // demote 240. Preempt on both. X's interval is shorter, H's demotion is
    // lower: exactly one of them must win and keep winning.
    let mut lan = Lan::new(1, LinkParams::default());
    lan.add_host(HostSpec::ethernet(
        "h",
        11,
        vec![config(VHID, 250, b"secret42")],
        preempt(),
    ))
    .unwrap();
    let demoted = Knobs {
        preempt: true,
        extra: vec![("demotion".to_owned(), 240)],
        ..Knobs::default()
    };
    lan.add_host(HostSpec::ethernet(
        "x",
        12,
        vec![config(VHID, 0, b"secret42")],
        demoted,
    ))
    .unwrap();
    lan.run_until(secs(30));
    assert_eq!(lan.masters(VHID).len(), 1, "one master");
    assert_eq!(transitions_after(&lan, secs(15)), 0, "no flapping");
}
