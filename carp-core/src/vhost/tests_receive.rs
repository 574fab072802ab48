//! `receive_advert` (digest and election in one call, the election planned
//! between the digest's compressions) against `verify` then
//! `handle_advert`, and the hold-down start the plan has to foresee.

use super::tests::{running, src, transmit, us, P};
use super::*;
use crate::time::Duration;
use core::net::{IpAddr, Ipv4Addr};
use std::format;
use std::string::String;
use std::vec::Vec;

/// The first `n` adverts a master with `advbase`/`advskew` sends from `at`
/// on; with `bow_out` the last is the one it sends when shut down
/// (advskew 255).
fn peer_adverts(advbase: u8, advskew: u8, bow_out: bool, at: Instant, n: usize) -> Vec<Advert> {
    let mut peer = running(advbase, advskew);
    peer.force_state(at, State::Master).unwrap();
    let mut out = Vec::new();
    let mut now = at;
    loop {
        if bow_out && out.len() + 1 == n {
            peer.set_admin(now, false);
        }
        out.push(transmit(&mut peer, now, &P).unwrap().0);
        if out.len() == n {
            return out;
        }
        now = peer.poll_timeout().unwrap();
        peer.handle_timeout(now, &P);
    }
}

/// What one call left behind: its result, the host's whole state, the
/// events it queued.
fn outcome(vh: &mut VirtualHost, result: Result<Verdict, Reject>) -> (String, String, String) {
    let events: Vec<EventKind> = core::iter::from_fn(|| vh.poll_event())
        .map(|e| e.kind)
        .collect();
    (
        format!("{result:?}"),
        format!("{vh:?}"),
        format!("{events:?}"),
    )
}

/// The hosts the comparison starts from: a fresh backup (no hold-down
/// start yet), a backup that heard a master, a master, a host in INIT.
fn hosts() -> Vec<VirtualHost> {
    let fresh = running(1, 10);
    let mut heard = running(1, 10);
    let first = peer_adverts(1, 50, false, us(0), 1)[0];
    let ok = heard.verify(&first).unwrap();
    heard.handle_advert(us(500), &ok, src(12), &P).unwrap();
    let mut master = running(1, 10);
    master.force_state(us(0), State::Master).unwrap();
    let mut init = running(1, 10);
    init.set_admin(us(0), false);
    let mut hosts = Vec::from([fresh, heard, master, init]);
    for vh in hosts.iter_mut() {
        while vh.poll_event().is_some() {}
    }
    hosts
}

#[test]
fn receive_advert_does_what_verify_then_handle_advert_does() {
    let policies = [
        P,
        Policy { preempt: true, ..P },
        Policy {
            preempt: true,
            preempt_holddown: Duration::from_secs(2),
            ..P
        },
        Policy { demotion: 1, ..P },
        Policy {
            replay: ReplayPolicy::Enforce,
            ..P
        },
        Policy {
            replay: ReplayPolicy::Log,
            ..P
        },
    ];
    // Better, worse, equal (a tie for the master), slower than
    // master-down, a bow-out.
    let peers = [
        (1, 0, false),
        (1, 50, false),
        (1, 10, false),
        (4, 0, false),
        (1, 0, true),
    ];
    let ours = Some(Ipv4Addr::new(192, 0, 2, 11));
    let mut seen = std::collections::BTreeSet::new();
    for policy in &policies {
        for &(advbase, advskew, bow_out) in &peers {
            // Enough adverts for the replay table to learn the sender,
            // then the last one again (a replay), from below and above our
            // own address (the tie-break's ranks).
            let n = usize::from(LEARN_STEPS) + 2;
            let mut adverts = peer_adverts(advbase, advskew, bow_out, us(1_000_000), n);
            assert_eq!(adverts[n - 1].is_bow_out(), bow_out);
            adverts.push(adverts[n - 2]);
            for from in [src(10), src(12)] {
                let origin = Origin::new(from, ours, None);
                for start in hosts() {
                    let (mut split, mut joined) = (start.clone(), start);
                    for (i, advert) in adverts.iter().enumerate() {
                        let now = us(1_000_000 + 700_000 * i as u64);
                        let expected = match split.verify(advert) {
                            Ok(ok) => split.handle_advert(now, &ok, origin, policy),
                            Err(_) => Err(Reject::BadAuth),
                        };
                        let got = joined.receive_advert(now, advert, origin, policy);
                        let (want, got) =
                            (outcome(&mut split, expected), outcome(&mut joined, got));
                        assert_eq!(
                            got, want,
                            "{policy:?}, peer {advbase}/{advskew} (bow-out {bow_out}) from {from}, advert {i}"
                        );
                        seen.insert(got.0);
                    }
                }
            }
        }
    }
    // The comparison went through every kind of verdict and refusal.
    for result in [
        "Ok(KeepListening)",
        "Ok(Ignore)",
        "Ok(TakeOver(Preempt))",
        "Ok(TakeOver(BowOut))",
        "Ok(TakeOver(PeerTooSlow))",
        "Ok(Yield(BetterMaster))",
        "Ok(Yield(TieLost))",
        "Ok(Yield(TieDisputed))",
        "Err(BadVhid(7))",
        "Err(Replay {",
    ] {
        assert!(
            seen.iter().any(|r| r.starts_with(result)),
            "{result} not among {seen:?}"
        );
    }
}

#[test]
fn a_forged_advert_changes_nothing_in_receive_advert() {
    for start in hosts() {
        let mut vh = start;
        let mut advert = peer_adverts(1, 0, false, us(1_000_000), 1)[0];
        advert.digest[19] ^= 1;
        let before = format!("{vh:?}");
        let preempt = Policy { preempt: true, ..P };
        assert_eq!(
            vh.receive_advert(us(1_000_000), &advert, src(12), &preempt),
            Err(Reject::BadAuth)
        );
        assert_eq!(format!("{vh:?}"), before);
        assert!(vh.poll_event().is_none());
    }
}

/// A BACKUP starts its preempt hold-down with the first advert it hears
/// (`handle_advert` sets it before deciding): with no hold-down that first
/// advert already preempts a worse master, with one it does not.
#[test]
fn a_fresh_backup_preempts_on_the_first_advert_only_without_a_holddown() {
    let advert = peer_adverts(1, 50, false, us(1_000_000), 1)[0];
    for (holddown, verdict) in [
        (Duration::ZERO, Verdict::TakeOver(Reason::Preempt)),
        (Duration::from_secs(5), Verdict::KeepListening),
    ] {
        let p = Policy {
            preempt: true,
            preempt_holddown: holddown,
            ..P
        };
        let mut joined = running(1, 10);
        assert_eq!(
            joined.receive_advert(us(1_000_000), &advert, src(12), &p),
            Ok(verdict)
        );
        let mut split = running(1, 10);
        let ok = split.verify(&advert).unwrap();
        assert_eq!(
            split.handle_advert(us(1_000_000), &ok, src(12), &p),
            Ok(verdict)
        );
    }
}

/// NetBSD's own-advert check: from the unspecified address with the
/// counter we last sent, an advert is ours, looped back, and changes
/// nothing; a peer's from the same address is taken.
#[test]
fn our_own_advert_from_the_unspecified_address_is_refused_unchanged() {
    let unspecified = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    let mut master = running(1, 10);
    master.force_state(us(0), State::Master).unwrap();
    while master.poll_event().is_some() {}
    let (advert, _) = transmit(&mut master, us(0), &P).unwrap();
    let before = format!("{master:?}");
    assert_eq!(
        master.receive_advert(us(1), &advert, unspecified, &P),
        Err(Reject::Own)
    );
    assert_eq!(format!("{master:?}"), before);
    assert!(master.poll_event().is_none());
    let mut backup = running(1, 50);
    assert_eq!(
        backup.receive_advert(us(1), &advert, unspecified, &P),
        Ok(Verdict::KeepListening)
    );
}
