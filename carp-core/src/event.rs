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
    /// Bytes written: [`crate::wire::HEADER_LEN`] for CARP, the two VRRP
    /// messages together for VRRP.
    pub len: usize,
    /// Send it over IPv4 (to 224.0.0.18 or the IPv4 peer).
    pub ipv4: bool,
    /// Send it over IPv6 (to ff02::12 or the IPv6 peer): for CARP the same
    /// bytes.
    pub ipv6: bool,
    /// This is the bow-out advert of a leaving master (CARP advbase and
    /// advskew 255, VRRP priority 0).
    pub bow_out: bool,
    /// `None` for CARP; for VRRP where the two messages are.
    pub vrrp: Option<VrrpSplit>,
}

/// Where [`crate::VirtualHost::poll_transmit`] wrote a VRRP vhid's
/// messages: the IPv4 one at `buf[..v4_len]`, the IPv6 one right after it.
/// Their checksums are zero: the IP layer fills them
/// ([`crate::wire::vrrp::fill_checksum`]) once it knows source and
/// destination, which the VRRPv3 checksum covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VrrpSplit {
    /// Bytes of the IPv4 message (0: none).
    pub v4_len: usize,
    /// Bytes of the IPv6 message (0: none).
    pub v6_len: usize,
}

impl VrrpSplit {
    /// The IPv4 message within the buffer `poll_transmit` wrote.
    pub fn v4<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        buf.get(..self.v4_len).unwrap_or(&[])
    }

    /// The IPv6 message within the buffer `poll_transmit` wrote.
    pub fn v6<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        buf.get(self.v4_len..self.v4_len + self.v6_len)
            .unwrap_or(&[])
    }
}
