//! Demotions for a firewall's state sync, as OpenBSD's pfsync(4) and
//! /etc/rc give carp:
//!
//! - **the sync link** (`--syncdev IF`): while that link (not a carp
//!   parent: conntrackd's dedicated link) is down, administratively or
//!   without carrier, the group's demote counter is one higher, and one
//!   lower again once it is back. OpenBSD's `pfsync_syncdev_state`
//!   (sys/net/if_pfsync.c) does this with `carp_group_demote_adj(&sc->sc_if,
//!   1, "pfsync link state down")` and `-1` on "link state up"; pfsync0 is
//!   in the group `carp` (`pfsync_clone_create`: `if_addgroup(ifp,
//!   "carp")`), so the whole host's vhids advertise the demotion. A box
//!   that cannot sync its state table is not the one to be master.
//! - **the start-up hold-down** (`--holddown SECONDS`): for that long after
//!   carpd starts, the group's demote counter is [`HOLDDOWN_DEMOTE`]
//!   higher, so a returning box does not preempt before its state table
//!   has been synced (conntrackd's `StartupResync` has had its chance).
//!   OpenBSD's /etc/rc does the same around the boot: `ifconfig -g carp
//!   carpdemote 128` before the network starts, `-carpdemote 128` once
//!   the daemons run; pfsync adds 32 (`"pfsync init"`) until its first bulk
//!   update ends.
//!
//! The group is `--demote-group` (default `carp`: the host's demotion, as
//! pfsync's). [`SyncDemote`] only computes the changes: the daemon applies
//! them with `Engine::group_demote_adj`.

use carp_core::Instant;

/// The hold-down's demotion: OpenBSD /etc/rc's `carpdemote 128`.
pub const HOLDDOWN_DEMOTE: i32 = 128;

/// What the sync link and the hold-down owe the group's demote counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncDemote {
    /// The sync link's name, if one is watched.
    pub syncdev: Option<String>,
    /// Its interface index when known.
    pub index: Option<u32>,
    /// The +1 for the sync link is applied.
    link_demoted: bool,
    /// The hold-down's end, while it is applied.
    holddown_until: Option<Instant>,
}

impl SyncDemote {
    /// Watches `syncdev` (none: no sync link).
    pub fn new(syncdev: Option<String>) -> SyncDemote {
        SyncDemote {
            syncdev,
            index: None,
            link_demoted: false,
            holddown_until: None,
        }
    }

    /// At start: the hold-down of `micros` µs from `now` (0: none); the
    /// delta to apply.
    pub fn start(&mut self, now: Instant, micros: u64) -> Option<i32> {
        if micros == 0 || self.holddown_until.is_some() {
            return None;
        }
        self.holddown_until = Some(Instant::from_micros(now.micros().saturating_add(micros)));
        Some(HOLDDOWN_DEMOTE)
    }

    /// The sync link is (`running`: up with carrier) or is not; the delta
    /// to apply when that changes what is owed.
    pub fn link(&mut self, running: bool) -> Option<i32> {
        match (running, self.link_demoted) {
            (false, false) => {
                self.link_demoted = true;
                Some(1)
            }
            (true, true) => {
                self.link_demoted = false;
                Some(-1)
            }
            _ => None,
        }
    }

    /// At `now`: the hold-down's end, when due; the delta to apply.
    pub fn poll(&mut self, now: Instant) -> Option<i32> {
        match self.holddown_until {
            Some(until) if until <= now => {
                self.holddown_until = None;
                Some(-HOLDDOWN_DEMOTE)
            }
            _ => None,
        }
    }

    /// When the hold-down ends, while it runs.
    pub fn deadline(&self) -> Option<Instant> {
        self.holddown_until
    }

    /// The demotion applied now (link and hold-down).
    pub fn applied(&self) -> i32 {
        i32::from(self.link_demoted)
            + if self.holddown_until.is_some() {
                HOLDDOWN_DEMOTE
            } else {
                0
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sync_link_down_demotes_by_one_until_it_is_back() {
        let mut s = SyncDemote::new(Some("sync0".into()));
        assert_eq!(s.link(true), None, "up at start: nothing owed");
        assert_eq!(s.link(false), Some(1));
        // Down again (carrier lost after admin down): counted once.
        assert_eq!(s.link(false), None);
        assert_eq!(s.applied(), 1);
        assert_eq!(s.link(true), Some(-1));
        assert_eq!(s.link(true), None);
        assert_eq!(s.applied(), 0);
    }

    #[test]
    fn the_holddown_demotes_by_128_for_its_time() {
        let mut s = SyncDemote::new(None);
        let t0 = Instant::from_secs(100);
        assert_eq!(s.start(t0, 0), None, "no hold-down asked");
        assert_eq!(s.start(t0, 5_000_000), Some(128));
        assert_eq!(s.start(t0, 5_000_000), None, "applied once");
        assert_eq!(s.deadline(), Some(Instant::from_secs(105)));
        assert_eq!(s.poll(Instant::from_micros(104_999_999)), None);
        assert_eq!(s.applied(), 128);
        assert_eq!(s.poll(Instant::from_secs(105)), Some(-128));
        assert_eq!(s.poll(Instant::from_secs(106)), None);
        assert_eq!((s.deadline(), s.applied()), (None, 0));
    }

    #[test]
    fn link_and_holddown_add_up() {
        let mut s = SyncDemote::new(Some("sync0".into()));
        s.start(Instant::ZERO, 1_000_000);
        s.link(false);
        assert_eq!(s.applied(), 129);
        s.poll(Instant::from_secs(1));
        assert_eq!(s.applied(), 1);
    }
}
