//! [`Sysctl`]: the host-wide values of the `net.inet.carp` tree, read and
//! written by dotted name, by MIB, by `sysctl` line, or through typed
//! getters on the hot path.
//!
//! Scalars are single-byte or 32-bit atomics (thumbv7em has no 64-bit
//! atomics); demotion and statistics, which are wider, sit behind spin
//! locks held only for a copy or an add. A carp interface counts its
//! packets in a statistics lane of its own, without the lock
//! ([`crate::lanes`]). Each write is validated whole before anything is
//! stored, so a rejected write changes nothing.

use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering};

use carp_core::{Counter, DemoteReason, Demotion, Duration, Policy, Reject, ReplayPolicy, Stats};
use spin::Mutex;

use crate::error::{MibPath, Snippet, SysctlError};
use crate::knob::{
    replay_from_raw, replay_to_raw, Knob, LogLevel, CTL_NET, DEFAULT_DEMOTION_FACTOR, DEFAULT_DSCP,
    IPPROTO_CARP, PF_INET,
};
use crate::lanes::{Lanes, StatsLane};
use crate::line::parse_line;
use crate::netstat::Netstat;

/// What a read returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// An integer node (booleans read 0 or 1).
    Int(i64),
    /// The `stats` node: a snapshot of every counter.
    Stats(Stats),
}

impl Value {
    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(v) => Some(*v),
            Value::Stats(_) => None,
        }
    }

    /// The statistics, if this is the `stats` node.
    pub fn as_stats(&self) -> Option<&Stats> {
        match self {
            Value::Int(_) => None,
            Value::Stats(s) => Some(s),
        }
    }
}

impl fmt::Display for Value {
    /// An integer as `sysctl` prints it; statistics as `netstat -s -p carp`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Stats(s) => fmt::Display::fmt(&Netstat::new(s), f),
        }
    }
}

/// The `net.inet.carp` tree. The embedder owns it (a kernel puts it in a
/// `static`; [`Sysctl::new`] is `const`) and passes [`Sysctl::policy`] to
/// each call into a virtual host.
#[derive(Debug)]
pub struct Sysctl {
    allow: AtomicBool,
    preempt: AtomicBool,
    log: AtomicU8,
    arpbalance: AtomicBool,
    ifdown_demotion_factor: AtomicU8,
    senderr_demotion_factor: AtomicU8,
    dscp: AtomicU8,
    ignore_peer_demote: AtomicBool,
    replay: AtomicU8,
    preempt_holddown_ms: AtomicU32,
    demotion: Mutex<Demotion>,
    stats: Mutex<Shared>,
    lanes: Lanes,
    generation: AtomicU32,
}

/// The counters under the lock: what writers without a lane counted (and
/// what released lanes held), and the lanes' sums at the last reset, which
/// a read subtracts (a reset cannot zero a lane its writer may be bumping).
#[derive(Debug)]
struct Shared {
    counts: Stats,
    lanes_at_reset: Stats,
}

impl Default for Sysctl {
    fn default() -> Sysctl {
        Sysctl::new()
    }
}

impl Sysctl {
    /// Every knob at its default (see [`Knob::default_value`]).
    pub const fn new() -> Sysctl {
        Sysctl {
            allow: AtomicBool::new(true),
            preempt: AtomicBool::new(false),
            log: AtomicU8::new(LogLevel::DEFAULT as u8),
            arpbalance: AtomicBool::new(false),
            ifdown_demotion_factor: AtomicU8::new(DEFAULT_DEMOTION_FACTOR),
            senderr_demotion_factor: AtomicU8::new(DEFAULT_DEMOTION_FACTOR),
            dscp: AtomicU8::new(DEFAULT_DSCP),
            ignore_peer_demote: AtomicBool::new(false),
            replay: AtomicU8::new(replay_to_raw(ReplayPolicy::Log)),
            preempt_holddown_ms: AtomicU32::new(0),
            demotion: Mutex::new(Demotion::new()),
            stats: Mutex::new(Shared {
                counts: Stats::new(),
                lanes_at_reset: Stats::new(),
            }),
            lanes: Lanes::new(),
            generation: AtomicU32::new(0),
        }
    }

    // ---- by name, by MIB, by line -------------------------------------

    /// Reads a node by full (`net.inet.carp.preempt`) or short name.
    pub fn get(&self, name: &str) -> Result<Value, SysctlError> {
        Ok(self.value(knob_by_name(name)?))
    }

    /// Writes a node by full or short name.
    pub fn set(&self, name: &str, value: i64) -> Result<(), SysctlError> {
        self.set_knob(knob_by_name(name)?, value)
    }

    /// Reads a node by MIB: `[CTL_NET, PF_INET, IPPROTO_CARP, n]`
    /// (`[4, 2, 112, n]`) or just `[n]`.
    pub fn get_mib(&self, mib: &[i32]) -> Result<Value, SysctlError> {
        Ok(self.value(knob_by_mib(mib)?))
    }

    /// Writes a node by MIB, full or carp-relative as for [`Sysctl::get_mib`].
    pub fn set_mib(&self, mib: &[i32], value: i64) -> Result<(), SysctlError> {
        self.set_knob(knob_by_mib(mib)?, value)
    }

    /// Applies one line as `sysctl` or `/etc/sysctl.conf` gives it:
    /// `sysctl -w net.inet.carp.preempt=1`, `sysctl net.inet.carp.preempt=1`
    /// or `net.inet.carp.preempt=1`, with free spacing and `#` comments.
    /// Returns the knob written, or `None` for a blank or comment line.
    pub fn set_line(&self, line: &str) -> Result<Option<Knob>, SysctlError> {
        match parse_line(line)? {
            Some(a) => {
                self.set_knob(a.knob, a.value)?;
                Ok(Some(a.knob))
            }
            None => Ok(None),
        }
    }

    /// Reads a node. `demotion` reads the effective value (0-255).
    pub fn value(&self, knob: Knob) -> Value {
        let int = |v: u8| Value::Int(i64::from(v));
        let flag = |b: &AtomicBool| Value::Int(i64::from(b.load(Ordering::Relaxed)));
        match knob {
            Knob::Allow => flag(&self.allow),
            Knob::Preempt => flag(&self.preempt),
            Knob::Log => int(self.log.load(Ordering::Relaxed)),
            Knob::ArpBalance => flag(&self.arpbalance),
            Knob::Demotion => int(self.demotion().effective()),
            Knob::IfdownDemotionFactor => int(self.ifdown_demotion_factor()),
            Knob::SenderrDemotionFactor => int(self.senderr_demotion_factor()),
            Knob::Dscp => int(self.dscp()),
            Knob::IgnorePeerDemote => flag(&self.ignore_peer_demote),
            Knob::Replay => int(self.replay.load(Ordering::Relaxed)),
            Knob::PreemptHolddownMs => {
                Value::Int(i64::from(self.preempt_holddown_ms.load(Ordering::Relaxed)))
            }
            Knob::Stats => Value::Stats(self.stats()),
        }
    }

    /// Writes a node after checking it is writable and `value` is in its
    /// [range](Knob::range). `demotion` adds `value` to the administrator's
    /// (global) contribution instead of replacing it.
    pub fn set_knob(&self, knob: Knob, value: i64) -> Result<(), SysctlError> {
        let range = knob.range().ok_or(SysctlError::ReadOnly(knob))?;
        let out_of_range = SysctlError::OutOfRange {
            knob,
            min: *range.start(),
            max: *range.end(),
            got: value,
        };
        if !range.contains(&value) {
            return Err(out_of_range);
        }
        // In range, so the narrowing below cannot fail; were a range ever
        // widened past its storage, the write is refused rather than wrapped.
        let byte = || u8::try_from(value).map_err(|_| out_of_range);
        let flag = value != 0;
        match knob {
            Knob::Allow => self.allow.store(flag, Ordering::Relaxed),
            Knob::Preempt => self.preempt.store(flag, Ordering::Relaxed),
            Knob::Log => self.log.store(byte()?, Ordering::Relaxed),
            Knob::ArpBalance => self.arpbalance.store(flag, Ordering::Relaxed),
            Knob::Demotion => {
                let delta = i32::try_from(value).map_err(|_| out_of_range)?;
                self.demote(DemoteReason::Global, delta);
            }
            Knob::IfdownDemotionFactor => self
                .ifdown_demotion_factor
                .store(byte()?, Ordering::Relaxed),
            Knob::SenderrDemotionFactor => self
                .senderr_demotion_factor
                .store(byte()?, Ordering::Relaxed),
            Knob::Dscp => self.dscp.store(byte()?, Ordering::Relaxed),
            Knob::IgnorePeerDemote => self.ignore_peer_demote.store(flag, Ordering::Relaxed),
            Knob::Replay => self.replay.store(byte()?, Ordering::Relaxed),
            Knob::PreemptHolddownMs => {
                let ms = u32::try_from(value).map_err(|_| out_of_range)?;
                self.preempt_holddown_ms.store(ms, Ordering::Relaxed);
            }
            Knob::Stats => return Err(SysctlError::ReadOnly(knob)),
        }
        self.bump_generation();
        Ok(())
    }

    // ---- typed getters for the hot path --------------------------------

    /// `net.inet.carp.allow`: accept incoming adverts.
    pub fn allow(&self) -> bool {
        self.allow.load(Ordering::Relaxed)
    }

    /// `net.inet.carp.preempt`.
    pub fn preempt(&self) -> bool {
        self.preempt.load(Ordering::Relaxed)
    }

    /// `net.inet.carp.arpbalance`.
    pub fn arpbalance(&self) -> bool {
        self.arpbalance.load(Ordering::Relaxed)
    }

    /// `net.inet.carp.log`, as a level.
    pub fn log_level(&self) -> LogLevel {
        LogLevel::from_sysctl(i64::from(self.log.load(Ordering::Relaxed)))
    }

    /// `net.inet.carp.dscp` (0-63).
    pub fn dscp(&self) -> u8 {
        self.dscp.load(Ordering::Relaxed)
    }

    /// The IPv4 TOS / IPv6 traffic-class byte for adverts: the DSCP shifted
    /// past the two ECN bits (56 gives `0xe0`).
    pub fn tos(&self) -> u8 {
        (self.dscp() & 0x3f) << 2
    }

    /// `net.inet.carp.ifdown_demotion_factor`.
    pub fn ifdown_demotion_factor(&self) -> u8 {
        self.ifdown_demotion_factor.load(Ordering::Relaxed)
    }

    /// `net.inet.carp.senderr_demotion_factor`.
    pub fn senderr_demotion_factor(&self) -> u8 {
        self.senderr_demotion_factor.load(Ordering::Relaxed)
    }

    /// `net.inet.carp.ignore_peer_demote`.
    pub fn ignore_peer_demote(&self) -> bool {
        self.ignore_peer_demote.load(Ordering::Relaxed)
    }

    /// `net.inet.carp.replay`, as a policy.
    pub fn replay(&self) -> ReplayPolicy {
        replay_from_raw(self.replay.load(Ordering::Relaxed))
    }

    /// `net.inet.carp.preempt_holddown_ms`, as a duration.
    pub fn preempt_holddown(&self) -> Duration {
        Duration::from_millis(u64::from(self.preempt_holddown_ms.load(Ordering::Relaxed)))
    }

    /// The policy to hand to a virtual host now: preempt, effective
    /// demotion, ignore_peer_demote, hold-down and replay.
    pub fn policy(&self) -> Policy {
        Policy {
            preempt: self.preempt(),
            demotion: self.demotion().effective(),
            ignore_peer_demote: self.ignore_peer_demote(),
            preempt_holddown: self.preempt_holddown(),
            replay: self.replay(),
        }
    }

    // ---- demotion -------------------------------------------------------

    /// Adds a signed `delta` to one reason's contribution (saturating).
    /// A link going down adds [`Sysctl::ifdown_demotion_factor`] under
    /// [`DemoteReason::LinkDown`] and coming back up subtracts it.
    pub fn demote(&self, reason: DemoteReason, delta: i32) {
        self.demotion.lock().adjust(reason, delta);
        self.bump_generation();
    }

    /// Replaces one reason's contribution.
    pub fn set_demotion(&self, reason: DemoteReason, value: i32) {
        self.demotion.lock().set(reason, value);
        self.bump_generation();
    }

    /// A number that changes (wrapping) on every write that may change
    /// [`Sysctl::policy`]: a knob set, a demotion adjusted. A carp interface
    /// keeps the one it last acted on and compares, one atomic load, to
    /// notice a demotion made outside any call into it (OpenBSD sends an
    /// advert on every carp interface then, `carp_send_ad_all`).
    pub fn generation(&self) -> u32 {
        self.generation.load(Ordering::Acquire)
    }

    fn bump_generation(&self) {
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// A copy of every reason's contribution; `.effective()` is what the
    /// election uses.
    pub fn demotion(&self) -> Demotion {
        *self.demotion.lock()
    }

    // ---- statistics -----------------------------------------------------

    /// Counts a rejected input under its counter.
    pub fn record(&self, reject: Reject) {
        self.stats.lock().counts.record(reject);
    }

    /// Adds one to a counter.
    pub fn bump(&self, counter: Counter) {
        self.stats.lock().counts.bump(counter);
    }

    /// Adds one to each of `counters` under a single lock.
    pub fn bump_all(&self, counters: &[Counter]) {
        let mut stats = self.stats.lock();
        for counter in counters {
            stats.counts.bump(*counter);
        }
    }

    /// Adds one to each of `counters` in `lane`'s statistics lane, without
    /// the lock ([`crate::lanes`]); the first call claims the lane. Counts
    /// under the lock, as [`Sysctl::bump_all`], when no lane is free (or
    /// `lane` was claimed on another `Sysctl`). Either way
    /// [`Sysctl::stats`] includes them at once.
    #[inline(always)]
    pub fn count(&self, lane: &mut StatsLane, counters: &[Counter]) {
        if !self.lanes.bump(lane, counters) {
            self.count_slow(lane, counters);
        }
    }

    /// [`Sysctl::count`] without a lane in hand: claims one on the first
    /// call, else counts under the lock. Out of line, so that each place
    /// that counts inlines only the lane's plain stores.
    #[cold]
    #[inline(never)]
    fn count_slow(&self, lane: &mut StatsLane, counters: &[Counter]) {
        self.lanes.claim_for(lane);
        if !self.lanes.bump(lane, counters) {
            self.bump_all(counters);
        }
    }

    /// Gives `lane` back: its counts move to the shared counters (totals
    /// unchanged) and another writer may claim it. Call it when the writer
    /// goes away (`CarpIf::detach`); a lane never given back keeps its
    /// counts and is not reused.
    pub fn release_lane(&self, lane: &mut StatsLane) {
        let mut stats = self.stats.lock();
        self.lanes.release(lane, &mut stats.counts);
    }

    /// Statistics lanes claimed now (of 4 on targets with 64-bit atomics,
    /// none elsewhere).
    pub fn lanes_claimed(&self) -> usize {
        self.lanes.claimed()
    }

    /// Adds every counter of `stats` (a layer's local counts) to the host's.
    pub fn add_stats(&self, stats: &Stats) {
        self.stats.lock().counts.merge(stats);
    }

    /// A snapshot of the counters; `.netstat()` prints it like
    /// `netstat -s -p carp`. The shared counters and every lane, summed.
    pub fn stats(&self) -> Stats {
        let stats = self.stats.lock();
        let mut total = stats.counts.clone();
        self.lanes.add_to(&mut total);
        let mut since_reset = Stats::new();
        for counter in Counter::ALL {
            let at_reset = stats.lanes_at_reset.get(counter);
            // Modulo 2^64 as the counters: right across a wrap too.
            since_reset.add(counter, total.get(counter).wrapping_sub(at_reset));
        }
        since_reset
    }

    /// Sets every counter to zero (`netstat -z`).
    pub fn reset_stats(&self) {
        let mut stats = self.stats.lock();
        stats.counts = Stats::new();
        let mut lanes = Stats::new();
        self.lanes.add_to(&mut lanes);
        stats.lanes_at_reset = lanes;
    }
}

fn knob_by_name(name: &str) -> Result<Knob, SysctlError> {
    Knob::from_name(name).ok_or(SysctlError::UnknownName(Snippet::new(name)))
}

fn knob_by_mib(mib: &[i32]) -> Result<Knob, SysctlError> {
    let n = match *mib {
        [n] => n,
        [CTL_NET, PF_INET, IPPROTO_CARP, n] => n,
        _ => return Err(SysctlError::UnknownMib(MibPath::new(mib))),
    };
    Knob::from_mib(n).ok_or(SysctlError::UnknownMib(MibPath::new(mib)))
}

#[cfg(test)]
mod tests;
