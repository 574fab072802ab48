use std::sync::Arc;
use std::thread;
use std::vec::Vec;

use carp_core::{Counter, Stats};

use super::*;
use crate::Sysctl;

/// What the lock alone would count: the reference for every lane test.
fn locked(counts: &[(Counter, u64)]) -> Stats {
    let mut stats = Stats::new();
    for (counter, n) in counts {
        stats.add(*counter, *n);
    }
    stats
}

#[test]
fn a_count_in_a_lane_shows_at_once_and_claims_one_lane() {
    let s = Sysctl::new();
    let mut lane = StatsLane::new();
    assert_eq!(s.lanes_claimed(), 0);
    s.count(&mut lane, &[Counter::Ipackets, Counter::Badttl]);
    s.count(&mut lane, &[Counter::Ipackets]);
    assert_eq!(
        s.stats(),
        locked(&[(Counter::Ipackets, 2), (Counter::Badttl, 1)])
    );
    assert_eq!(s.lanes_claimed(), usize::from(LANES > 0));
    assert_eq!(lane.is_claimed(), LANES > 0);
    // Counts under the lock and in the lane add up.
    s.bump(Counter::Ipackets);
    assert_eq!(s.stats().get(Counter::Ipackets), 3);
}

#[test]
fn with_every_lane_taken_a_writer_counts_under_the_lock() {
    let s = Sysctl::new();
    let mut writers: Vec<StatsLane> = (0..LANES + 2).map(|_| StatsLane::new()).collect();
    for (i, lane) in writers.iter_mut().enumerate() {
        for _ in 0..=i {
            s.count(lane, &[Counter::Ipackets6]);
        }
    }
    assert_eq!(s.lanes_claimed(), LANES);
    let claimed = writers.iter().filter(|l| l.is_claimed()).count();
    assert_eq!(claimed, LANES);
    assert!(!writers[LANES].is_claimed());
    // 1 + 2 + ... + (LANES + 2)
    let n = (LANES + 2) * (LANES + 3) / 2;
    assert_eq!(s.stats().get(Counter::Ipackets6), n as u64);
}

#[test]
fn a_released_lane_keeps_its_counts_and_is_reused_from_zero() {
    let s = Sysctl::new();
    let mut first = StatsLane::new();
    for _ in 0..5 {
        s.count(&mut first, &[Counter::Badsum]);
    }
    s.release_lane(&mut first);
    assert!(!first.is_claimed());
    assert_eq!(s.lanes_claimed(), 0);
    assert_eq!(s.stats(), locked(&[(Counter::Badsum, 5)]));
    let mut second = StatsLane::new();
    s.count(&mut second, &[Counter::Badsum]);
    assert_eq!(s.lanes_claimed(), usize::from(LANES > 0));
    assert_eq!(s.stats(), locked(&[(Counter::Badsum, 6)]));
    // The released writer claims again on its next count.
    s.count(&mut first, &[Counter::Badsum]);
    assert_eq!(s.stats(), locked(&[(Counter::Badsum, 7)]));
    assert_eq!(s.lanes_claimed(), 2.min(LANES));
}

#[test]
fn a_reset_zeroes_what_the_lanes_hold_and_later_counts_start_from_zero() {
    let s = Sysctl::new();
    let mut lane = StatsLane::new();
    for _ in 0..4 {
        s.count(&mut lane, &[Counter::Ipackets, Counter::Badvhid]);
    }
    s.bump(Counter::Opackets);
    s.reset_stats();
    assert_eq!(s.stats(), Stats::new());
    s.count(&mut lane, &[Counter::Ipackets]);
    assert_eq!(s.stats(), locked(&[(Counter::Ipackets, 1)]));
    // Giving the lane back after the reset moves its counts, not the
    // reset: the totals stay.
    s.release_lane(&mut lane);
    assert_eq!(s.stats(), locked(&[(Counter::Ipackets, 1)]));
    s.count(&mut lane, &[Counter::Badvhid]);
    assert_eq!(
        s.stats(),
        locked(&[(Counter::Ipackets, 1), (Counter::Badvhid, 1)])
    );
}

#[test]
fn a_claim_on_one_tree_counts_under_the_lock_of_another() {
    let a = Sysctl::new();
    let b = Sysctl::new();
    let mut lane = StatsLane::new();
    a.count(&mut lane, &[Counter::Badttl]);
    b.count(&mut lane, &[Counter::Badttl]);
    b.count(&mut lane, &[Counter::Badttl]);
    assert_eq!(a.stats(), locked(&[(Counter::Badttl, 1)]));
    assert_eq!(b.stats(), locked(&[(Counter::Badttl, 2)]));
    assert_eq!(b.lanes_claimed(), 0);
    // Releasing on the other tree leaves the claimed lane alone.
    b.release_lane(&mut lane);
    assert_eq!(a.lanes_claimed(), usize::from(LANES > 0));
    assert_eq!(a.stats(), locked(&[(Counter::Badttl, 1)]));
}

#[test]
fn a_clone_holds_no_lane() {
    let s = Sysctl::new();
    let mut lane = StatsLane::new();
    s.count(&mut lane, &[Counter::Own]);
    let mut copy = lane.clone();
    assert!(!copy.is_claimed());
    s.count(&mut copy, &[Counter::Own]);
    assert_eq!(s.lanes_claimed(), 2.min(LANES));
    assert_eq!(s.stats(), locked(&[(Counter::Own, 2)]));
    assert_eq!(
        std::format!("{copy:?}"),
        if LANES > 1 {
            "StatsLane(1)"
        } else {
            "StatsLane(shared)"
        }
    );
}

#[test]
fn writers_on_many_threads_lose_nothing() {
    const PER_THREAD: u64 = 50_000;
    let s = Arc::new(Sysctl::new());
    let threads: Vec<_> = (0..LANES + 2)
        .map(|_| {
            let s = Arc::clone(&s);
            thread::spawn(move || {
                let mut lane = StatsLane::new();
                for i in 0..PER_THREAD {
                    s.count(&mut lane, &[Counter::Ipackets, Counter::Badauth]);
                    if i == PER_THREAD / 2 {
                        // Readers and a reset-free snapshot meanwhile.
                        let _ = s.stats();
                    }
                }
                s.release_lane(&mut lane);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let n = PER_THREAD * (LANES as u64 + 2);
    assert_eq!(
        s.stats(),
        locked(&[(Counter::Ipackets, n), (Counter::Badauth, n)])
    );
    assert_eq!(s.lanes_claimed(), 0);
}
