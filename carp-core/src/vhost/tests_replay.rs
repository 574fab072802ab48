//! The replay policy over a sender's learned counter class, at explicit
//! instants.

use super::tests::{config, drain, running, src, transmit, us, P};
use super::*;
use std::vec;
use std::vec::Vec;

/// The first `n` adverts of a master (counters 1 << 32, + 1, ...).
fn master_adverts(n: usize) -> Vec<Advert> {
    let mut master = running(1, 10);
    master.force_state(us(0), State::Master).unwrap();
    let mut out = vec![transmit(&mut master, us(0), &P).unwrap().0];
    while out.len() < n {
        let due = master.poll_timeout().unwrap();
        master.handle_timeout(due, &P);
        out.push(transmit(&mut master, due, &P).unwrap().0);
    }
    out
}

#[test]
fn replay_policies_off_log_enforce() {
    let adverts = master_adverts(LEARN_STEPS as usize + 1);
    let first = adverts[0];
    for (policy, expect_err, logged) in [
        (ReplayPolicy::Off, false, 0),
        (ReplayPolicy::Log, false, 1),
        (ReplayPolicy::Enforce, true, 0),
    ] {
        let p = Policy {
            replay: policy,
            ..P
        };
        let mut backup = running(1, 50);
        // The sender is learned first: every step up by one.
        for (i, a) in adverts.iter().enumerate() {
            let ok = backup.verify(a).unwrap();
            backup
                .handle_advert(us(1 + i as u64), &ok, src(11), &p)
                .unwrap();
        }
        let learned = drain(&mut backup);
        let classified = learned.iter().any(|e| {
            *e == EventKind::Counters {
                src: src(11),
                kind: CounterKind::Incrementing,
            }
        });
        assert_eq!(
            classified,
            policy != ReplayPolicy::Off,
            "{policy:?}: {learned:?}"
        );
        let deadline = backup.poll_timeout();
        let ok = backup.verify(&first).unwrap();
        let again = backup.handle_advert(us(10), &ok, src(11), &p);
        assert_eq!(again.is_err(), expect_err, "{policy:?}");
        assert_eq!(backup.stats().get(Counter::ReplayLogged), logged);
        let last = adverts.last().unwrap().counter;
        if expect_err {
            assert_eq!(
                again,
                Err(Reject::Replay {
                    counter: first.counter,
                    last
                })
            );
            assert_eq!(backup.stats().get(Counter::Replay), 1);
            // Dropped: master-down was not restarted.
            assert_eq!(backup.poll_timeout(), deadline);
        }
        // The same counter from another sender is a new sender's.
        assert!(backup.handle_advert(us(11), &ok, src(12), &p).is_ok());
    }
}

#[test]
fn a_sender_with_random_counters_is_classified_once_and_never_a_replay() {
    // ucarp alone: a random counter per advert. Every one of its adverts
    // is accepted under enforce and none is a replay event.
    let p = Policy {
        replay: ReplayPolicy::Enforce,
        ..P
    };
    let mut backup = running(1, 50);
    let mut events = Vec::new();
    for (i, seed) in [9u64 << 60, 1 << 60, 7 << 60, 3 << 60, 2 << 60, 8 << 60]
        .into_iter()
        .enumerate()
    {
        let mut peer = VirtualHost::new(config(1, 10), seed);
        peer.set_admin(us(0), true);
        peer.set_link(us(0), true);
        peer.force_state(us(0), State::Master).unwrap();
        let (a, _) = transmit(&mut peer, us(0), &P).unwrap();
        let ok = backup.verify(&a).unwrap();
        let r = backup.handle_advert(us(i as u64), &ok, src(11), &p);
        assert!(r.is_ok(), "{i}: {r:?}");
        events.extend(drain(&mut backup));
    }
    let counters: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, EventKind::Counters { .. } | EventKind::Replay { .. }))
        .collect();
    assert_eq!(
        counters,
        [&EventKind::Counters {
            src: src(11),
            kind: CounterKind::Random
        }]
    );
    assert_eq!(backup.stats().get(Counter::Replay), 0);
}
