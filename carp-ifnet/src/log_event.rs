//! Typed log events behind the `log` facade, gated by `net.inet.carp.log`.
//!
//! One enum, one `emit`: no format strings scattered through the input and
//! output paths. Levels follow the sysctl's meaning (FreeBSD's): state
//! changes and demotion at `info` (log >= 1), dropped packets and replays at
//! `debug` (log >= 2). Records go to the `carp` target.

use core::fmt;

use carp_core::{Event, EventKind, Reject};
use carp_sysctl::LogLevel;

use crate::driver::TxError;
use crate::lladdr::MacAddr;

/// Something worth a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogEvent {
    /// An input was dropped.
    Dropped(Reject),
    /// A vhost reported an event.
    Vhost(Event),
    /// The driver refused to change its unicast filter for a virtual MAC:
    /// clients' frames to it may be dropped by the NIC.
    Filter {
        /// The virtual MAC.
        mac: MacAddr,
        /// Accept (entering MASTER) or stop (leaving it).
        accept: bool,
        /// What the driver said.
        error: TxError,
    },
}

impl LogEvent {
    /// The level of [`LogEvent::Dropped`]: `debug`, shown from
    /// `net.inet.carp.log=2` on.
    pub const DROPPED_LEVEL: log::Level = log::Level::Debug;

    /// Logs a dropped input if `setting` shows drops. The event is built
    /// only then, so a flood costs the level test and no copy of each
    /// [`Reject`].
    pub fn dropped(reject: &Reject, setting: LogLevel) {
        if setting.allows(Self::DROPPED_LEVEL) {
            LogEvent::Dropped(*reject).emit(setting);
        }
    }

    /// The level this event is logged at, `None` for events not logged.
    pub const fn level(&self) -> Option<log::Level> {
        match self {
            LogEvent::Dropped(_) => Some(Self::DROPPED_LEVEL),
            LogEvent::Filter { .. } => Some(log::Level::Warn),
            LogEvent::Vhost(e) => match e.kind {
                EventKind::StateChange { .. }
                | EventKind::Demote { .. }
                | EventKind::Counters { .. } => Some(log::Level::Info),
                EventKind::Replay { .. } => Some(log::Level::Debug),
                _ => None,
            },
        }
    }

    /// Logs the event if `setting` lets its level through.
    pub fn emit(self, setting: LogLevel) {
        if let Some(level) = self.level() {
            if setting.allows(level) {
                log::log!(target: "carp", level, "{self}");
            }
        }
    }
}

impl fmt::Display for LogEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogEvent::Dropped(r) => write!(f, "dropped: {r}"),
            LogEvent::Filter { mac, accept, error } => write!(
                f,
                "driver refused to {} unicast frames to {mac}: {error}",
                if *accept { "accept" } else { "stop accepting" }
            ),
            LogEvent::Vhost(e) => match e.kind {
                EventKind::StateChange { from, to, reason } => {
                    write!(f, "vhid {}: {from} -> {to} ({reason})", e.vhid)
                }
                EventKind::Demote { reason, delta } => {
                    write!(f, "vhid {}: demotion {delta:+} ({reason})", e.vhid)
                }
                EventKind::Replay {
                    src,
                    counter,
                    last,
                    dropped,
                } => write!(
                    f,
                    "vhid {}: replayed counter {counter:#x} from {src} (last {last:#x}){}",
                    e.vhid,
                    if dropped { ", dropped" } else { "" }
                ),
                EventKind::Announce { repeat } => {
                    write!(f, "vhid {}: announce (repeat {repeat})", e.vhid)
                }
                EventKind::Counters { src, kind } => write!(
                    f,
                    "vhid {}: {src} sends {kind} counters{}",
                    e.vhid,
                    match kind {
                        carp_core::CounterKind::Incrementing => ": replays from it are detected",
                        _ => ": replays from it cannot be detected",
                    }
                ),
                _ => write!(f, "vhid {}: event", e.vhid),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carp_core::{Instant, Reason, State};

    fn change() -> LogEvent {
        LogEvent::Vhost(Event {
            seq: 0,
            at: Instant::ZERO,
            vhid: 3,
            kind: EventKind::StateChange {
                from: State::Backup,
                to: State::Master,
                reason: Reason::MasterDown,
            },
        })
    }

    #[test]
    fn levels_follow_the_sysctl_meaning() {
        assert_eq!(change().level(), Some(log::Level::Info));
        assert_eq!(
            LogEvent::Dropped(Reject::BadAuth).level(),
            Some(log::Level::Debug)
        );
        assert!(LogLevel::StateChanges.allows(log::Level::Info));
        assert!(!LogLevel::StateChanges.allows(log::Level::Debug));
        assert!(!LogLevel::Off.allows(log::Level::Info));
    }

    #[test]
    fn lines_read_like_bsd_messages() {
        assert_eq!(
            format!("{}", change()),
            "vhid 3: BACKUP -> MASTER (master-down)"
        );
        assert_eq!(
            format!("{}", LogEvent::Dropped(Reject::BadTtl(254))),
            "dropped: wrong TTL 254, expected 255"
        );
    }
}
