//! What a virtual host reports: events and transmissions.

use core::net::IpAddr;

use crate::demotion::DemoteReason;
use crate::state::{Reason, State};
use crate::time::Instant;
use crate::vhost::CounterKind;

/// One entry of a virtual host's ordered event stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// Sequence number, per virtual host, from 0, without gaps unless the
    /// queue overflowed (see [`crate::VirtualHost::events_dropped`]).
    pub seq: u64,
    /// When it happened.
    pub at: Instant,
    /// The vhid.
    pub vhid: u8,
    /// What happened.
    pub kind: EventKind,
}

/// What an [`Event`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventKind {
    /// The state changed.
    StateChange {
        /// State before.
        from: State,
        /// State after.
        to: State,
        /// Why.
        reason: Reason,
    },
    /// Announce every virtual address now: gratuitous ARP for IPv4,
    /// unsolicited NA with the override flag for IPv6. `repeat` marks the
    /// delayed second announcement the BSDs send after two more adverts.
    Announce {
        /// True for the delayed repeat.
        repeat: bool,
    },
    /// An advert's counter was not above the last one from its sender.
    Replay {
        /// The sender.
        src: IpAddr,
        /// Counter received.
        counter: u64,
        /// Last accepted from that sender.
        last: u64,
        /// True if it was dropped (`enforce`), false if accepted (`log`).
        dropped: bool,
    },
    /// A sender's counters were classified (once per sender, after its
    /// first adverts): only an [`CounterKind::Incrementing`] sender's
    /// replays can be detected.
    Counters {
        /// The sender.
        src: IpAddr,
        /// How its counters behave.
        kind: CounterKind,
    },
    /// Change the host's demotion by `delta` for `reason` (send-error
    /// hysteresis); the embedder applies it to its demotion counters.
    Demote {
        /// Which contribution.
        reason: DemoteReason,
        /// Signed change.
        delta: i32,
    },
}

/// An advert written into the caller's buffer by
/// [`crate::VirtualHost::poll_transmit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit {
    /// Bytes written (always [`crate::wire::HEADER_LEN`]).
    pub len: usize,
    /// Send it over IPv4 to 224.0.0.18.
    pub ipv4: bool,
    /// Send it over IPv6 to ff02::12 (the same bytes).
    pub ipv6: bool,
    /// This is the bow-out advert of a leaving master.
    pub bow_out: bool,
}
