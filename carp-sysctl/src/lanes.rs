//! Statistics lanes: host counters that one writer bumps without a lock.
//!
//! The host's counters are shared by every parent, so a bump under the
//! stats lock costs an atomic read-modify-write, a full barrier on x86
//! (the `input` bench's parts line: 2.4 ns a bump on an AMD EPYC VM,
//! 11-13 ns on an Intel Xeon VM; 1.4-2.8 ns in a lane). FreeBSD keeps
//! `carpstats` in per-CPU `counter(9)` counters summed on read for the
//! same reason. A carp interface is used by one thread at a time (its
//! calls take `&mut self`), so a lane per interface gives each writer
//! counters of its own: a bump is a plain load and store, and a read of
//! [`Sysctl::stats`](crate::Sysctl::stats) sums the lanes.
//!
//! A writer claims a lane the first time it counts ([`StatsLane`] holds
//! the claim) and gives it back with
//! [`Sysctl::release_lane`](crate::Sysctl::release_lane), which folds the
//! lane's counts into the shared ones. A lane never given back keeps its
//! counts: nothing is lost, the lane is just not reused. With every lane
//! taken, or on a target without 64-bit atomics (Cortex-M), a writer
//! counts under the lock as before; the totals are the same either way.

use core::fmt;
use core::sync::atomic::{AtomicU32, Ordering};

use carp_core::{Counter, Stats};

/// One lane's counter: 64 bits where the target has 64-bit atomics.
#[cfg(target_has_atomic = "64")]
type Count = core::sync::atomic::AtomicU64;
/// Never instantiated: no lanes without 64-bit atomics.
#[cfg(not(target_has_atomic = "64"))]
type Count = AtomicU32;

/// A [`Count`]'s value as a `u64` (a no-op where lanes exist).
#[cfg(target_has_atomic = "64")]
fn wide(value: u64) -> u64 {
    value
}

/// A [`Count`]'s value as a `u64` (never called: no lanes here).
#[cfg(not(target_has_atomic = "64"))]
fn wide(value: u32) -> u64 {
    u64::from(value)
}

/// Lanes per [`Sysctl`](crate::Sysctl): one per parent interface a host
/// usually has; a fifth parent counts under the lock. 4 x 200 bytes on
/// 64-bit targets.
#[cfg(target_has_atomic = "64")]
pub(crate) const LANES: usize = 4;
/// No lanes without 64-bit atomics: every writer takes the lock.
#[cfg(not(target_has_atomic = "64"))]
pub(crate) const LANES: usize = 0;

/// Claim tokens, unique in the process, so a claim made on one
/// [`Sysctl`](crate::Sysctl) is never taken for a lane of another. 0 marks
/// a free lane.
static NEXT_TOKEN: AtomicU32 = AtomicU32::new(1);

/// A writer's hold on a lane of one [`Sysctl`](crate::Sysctl), kept by the
/// writer (a carp interface) and passed to
/// [`Sysctl::count`](crate::Sysctl::count).
///
/// A clone holds no lane (two writers must never share one): it claims
/// its own on its first count.
#[derive(Default)]
pub struct StatsLane(Hold);

/// Where a writer counts.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Hold {
    /// Not tried yet: the next count claims a lane.
    #[default]
    Unclaimed,
    /// Lane `index`, claimed under `token`.
    Claimed { index: u8, token: u32 },
    /// Every lane was taken: count under the lock until released.
    Shared,
}

impl StatsLane {
    /// No lane yet.
    pub const fn new() -> StatsLane {
        StatsLane(Hold::Unclaimed)
    }

    /// True while this holds a lane.
    pub fn is_claimed(&self) -> bool {
        matches!(self.0, Hold::Claimed { .. })
    }
}

impl Clone for StatsLane {
    fn clone(&self) -> StatsLane {
        StatsLane::new()
    }
}

impl fmt::Debug for StatsLane {
    /// The lane's index, not its token (which depends on the process).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Hold::Unclaimed => f.write_str("StatsLane(unclaimed)"),
            Hold::Claimed { index, .. } => write!(f, "StatsLane({index})"),
            Hold::Shared => f.write_str("StatsLane(shared)"),
        }
    }
}

/// One lane: its claim token (0 when free) and its counts.
struct Lane {
    token: AtomicU32,
    counts: [Count; Counter::COUNT],
}

impl Lane {
    const fn new() -> Lane {
        Lane {
            token: AtomicU32::new(0),
            counts: [const { Count::new(0) }; Counter::COUNT],
        }
    }
}

/// Every lane of a [`Sysctl`](crate::Sysctl).
pub(crate) struct Lanes([Lane; LANES]);

impl Lanes {
    pub(crate) const fn new() -> Lanes {
        Lanes([const { Lane::new() }; LANES])
    }

    /// Bumps `counters` in the lane `lane` holds. Returns false, having
    /// counted nothing, when it holds none here: not claimed yet, every
    /// lane taken, or its claim is on another [`Sysctl`](crate::Sysctl).
    #[inline(always)]
    pub(crate) fn bump(&self, lane: &StatsLane, counters: &[Counter]) -> bool {
        let Hold::Claimed { index, token } = lane.0 else {
            return false;
        };
        let Some(own) = self.0.get(usize::from(index)) else {
            return false;
        };
        // Only the claim's holder writes a lane, so a plain load and store
        // lose nothing; readers see each counter only grow.
        if own.token.load(Ordering::Relaxed) != token {
            return false;
        }
        for counter in counters {
            if let Some(count) = own.counts.get(*counter as usize) {
                // Modulo 2^64, as `Stats::add`.
                let next = count.load(Ordering::Relaxed).wrapping_add(1);
                count.store(next, Ordering::Relaxed);
            }
        }
        true
    }

    /// Claims a free lane for `lane` if it has not tried yet; a writer
    /// that finds every lane taken stays with the lock until released.
    pub(crate) fn claim_for(&self, lane: &mut StatsLane) {
        if lane.0 == Hold::Unclaimed {
            lane.0 = self.claim().unwrap_or(Hold::Shared);
        }
    }

    /// Takes a free lane under a new token.
    fn claim(&self) -> Option<Hold> {
        let mut token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
        if token == 0 {
            // Wrapped: 0 means free.
            token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
        }
        self.0.iter().enumerate().find_map(|(index, lane)| {
            lane.token
                .compare_exchange(0, token, Ordering::Acquire, Ordering::Relaxed)
                .ok()?;
            Some(Hold::Claimed {
                index: u8::try_from(index).ok()?,
                token,
            })
        })
    }

    /// Gives `lane`'s claim back after adding its counts to `into` (the
    /// shared counters, whose lock the caller holds); `lane` holds nothing
    /// afterwards. A claim on another [`Sysctl`](crate::Sysctl) is dropped
    /// without touching this one.
    pub(crate) fn release(&self, lane: &mut StatsLane, into: &mut Stats) {
        if let Hold::Claimed { index, token } = lane.0 {
            if let Some(own) = self.0.get(usize::from(index)) {
                if own.token.load(Ordering::Relaxed) == token {
                    for counter in Counter::ALL {
                        if let Some(count) = own.counts.get(counter as usize) {
                            into.add(counter, wide(count.swap(0, Ordering::Relaxed)));
                        }
                    }
                    own.token.store(0, Ordering::Release);
                }
            }
        }
        lane.0 = Hold::Unclaimed;
    }

    /// Adds every lane's counts to `into`.
    pub(crate) fn add_to(&self, into: &mut Stats) {
        for lane in &self.0 {
            for counter in Counter::ALL {
                if let Some(count) = lane.counts.get(counter as usize) {
                    into.add(counter, wide(count.load(Ordering::Relaxed)));
                }
            }
        }
    }

    /// Lanes claimed now.
    pub(crate) fn claimed(&self) -> usize {
        self.0
            .iter()
            .filter(|lane| lane.token.load(Ordering::Relaxed) != 0)
            .count()
    }
}

impl fmt::Debug for Lanes {
    /// How many lanes are claimed; their counts show in
    /// [`Sysctl::stats`](crate::Sysctl::stats).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Lanes({} of {LANES} claimed)", self.claimed())
    }
}

#[cfg(test)]
mod tests;
