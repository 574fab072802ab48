//! An exhaustive model check of the election over the real
//! [`carp_core::VirtualHost`].
//!
//! # What is explored
//!
//! Two or three hosts run vhid 1 (advbase 1, the advskews of [`Bounds`]),
//! each a real `VirtualHost` wrapped in the few rules `CarpIf` and the
//! simulator add (input checks, the ifdown demotion, `sync_policy`, boot
//! and crash). From every state the checker takes every choice:
//!
//! - **the next thing due**, in the simulator's order: queued items at an
//!   instant (boots, then advert copies in send order) before host timers,
//!   timers in host order (timers of different hosts at one instant
//!   commute: a timer touches only its host, and what it sends arrives a
//!   delay later); after every call into a host, `CarpIf::poll` also runs
//!   that host's timer when it is due then, as in the simulator;
//! - **every fate of every advert copy** to every other host: on time
//!   (delay d1), late (d2, reordering it behind anything sent up to
//!   d2 - d1 later), lost, or duplicated (d1 and d2), within the budget of
//!   late, lost and duplicated copies;
//! - **every fault** the budget allows, on every host: crash, restart
//!   (crash and boot at one instant), parent link down and up, demotion
//!   +1/-1 (`sysctl net.inet.carp.demotion`), preempt flipped.
//!
//! # Time abstraction
//!
//! Time is the simulator's: integer microseconds, deadlines exactly as the
//! vhost computes them, copies arriving exactly d1 or d2 after their send.
//! The instants explored are therefore the boots at [`Bounds::starts_us`],
//! every deadline that follows from them, and every arrival; a fault is
//! injected at the next instant something is due, before it (a crash or
//! link-down between two events is the same as one just before the later
//! event: nothing happens in between; a restart, link-up or demotion
//! between events would start timers at phases not explored, which is the
//! bound this abstraction accepts). Orders of events at nearly the same
//! instant are explored through the two delays and the boot offsets.
//!
//! A state is keyed with every instant relative to now (deadlines, copies
//! in flight) and every age capped where a larger age means the same
//! (tie runs older than master-down, calm and leaderless times beyond the
//! property bounds), so the search closes: after the last fault the LAN
//! reaches a periodic state whose key repeats. Keys are 64-bit hashes
//! (a collision could hide a state: at 10^7 states the chance is about
//! 3 in a million).
//!
//! # Properties (checked after every step)
//!
//! - **safety**: once no fault and no loss happened for [`Limits::settle`]
//!   (the slowest master-down, the tie margin, the longest advert interval
//!   and d2), at most one MASTER, no runnable BACKUP would take over on its
//!   advert (so it is the best-advertising host with preempt on, the least
//!   demoted), and the incumbent stays;
//! - a BACKUP never takes over at master-down while a master's adverts
//!   reached it within master-down;
//! - demotion is never negative (per reason and in total);
//! - no deadline in the past, and a timer that ran moved;
//! - **liveness**: no state with runnable hosts and no MASTER lasts longer
//!   than [`Limits::live`] (master-down, the tie margin, d2) of calm.
//!
//! A violation stops the search and comes back as a
//! [`Counterexample`], printable as a carp-sim scenario that replays it.

mod scenario;
pub mod search;
pub mod world;

use carp_core::{AdvTiming, Duration};

pub use scenario::to_toml;
use search::Successor;

/// Which faults the checker may inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultKinds {
    /// Crash a live host.
    pub crash: bool,
    /// Crash and boot a host at one instant.
    pub restart: bool,
    /// Parent link down and up.
    pub link: bool,
    /// Demotion +1 / -1.
    pub demote: bool,
    /// Preempt flipped.
    pub preempt: bool,
}

impl FaultKinds {
    /// Every kind.
    pub const ALL: FaultKinds = FaultKinds {
        crash: true,
        restart: true,
        link: true,
        demote: true,
        preempt: true,
    };
}

/// The bounds of one search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounds {
    /// One advskew per host (2 or 3 hosts).
    pub skews: Vec<u8>,
    /// Boot instants, microseconds.
    pub starts_us: Vec<u64>,
    /// `net.inet.carp.preempt` on every host at boot.
    pub preempt: bool,
    /// On-time and late delays of a copy, microseconds.
    pub delays_us: (u64, u64),
    /// What may be spent.
    pub budget: world::Budget,
    /// Which faults.
    pub kinds: FaultKinds,
}

/// The property bounds that follow from [`Bounds`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The slowest master-down plus the tie margin.
    pub master_down: Duration,
    /// Calm time after which the election must have settled.
    pub settle: Duration,
    /// Longest time with runnable hosts and no master, when calm.
    pub live: Duration,
}

impl Limits {
    /// The limits for `bounds`.
    pub fn of(bounds: &Bounds) -> Limits {
        let md = search::slowest_master_down(bounds);
        let d2 = Duration::from_micros(bounds.delays_us.1);
        // A demoted host advertises advskew 240 (if its own is lower).
        let interval = bounds
            .skews
            .iter()
            .map(|s| AdvTiming::new(1, (*s).max(240)).advert_interval())
            .max()
            .unwrap_or(Duration::ZERO);
        Limits {
            master_down: md,
            settle: md + interval + d2,
            live: md + d2,
        }
    }
}

/// A property violation and the steps that lead to it.
pub struct Counterexample {
    /// Which property, in words.
    pub property: String,
    /// The steps from the initial state.
    pub path: Vec<Successor>,
}

/// What a search found.
pub struct Report {
    /// Distinct states.
    pub states: u64,
    /// Steps taken (edges), including into known states.
    pub transitions: u64,
    /// Deepest path.
    pub max_depth: usize,
    /// The first violation, if any.
    pub counterexample: Option<Counterexample>,
}

/// Searches every state of `bounds`.
pub fn check(bounds: &Bounds) -> Report {
    search::run(bounds)
}
