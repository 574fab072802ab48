//! Output decided outside [`CarpIf::poll`](super::CarpIf::poll) and sent by
//! it: answers to ARP requests and neighbour solicitations, and what a
//! removed vhid still owes the wire and the driver.

use carp_core::vhost::MAX_ADDRS;
use carp_core::wire::HEADER_LEN;

use crate::arp::ArpRepr;
use crate::lladdr::MacAddr;
use crate::nd::NeighborSolicit;

/// Answers waiting for the next poll before further ones are dropped (and
/// counted as `onomem`, as BSD counts a reply it has no mbuf for).
pub const REPLY_QUEUE: usize = 8;

/// An answer decided by the input path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reply {
    /// ARP reply for `request.target_ip` from `mac` (the answering vhid's).
    Arp { mac: MacAddr, request: ArpRepr },
    /// Solicited NA for `ns.target` from `mac`, to the soliciter at
    /// `requester` (the frame's source MAC).
    Na {
        mac: MacAddr,
        ns: NeighborSolicit,
        requester: MacAddr,
    },
}

/// The bow-out advert of a removed master, already signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BowOut {
    pub(crate) carp: [u8; HEADER_LEN],
    pub(crate) ipv4: bool,
    pub(crate) ipv6: bool,
}

/// What a removed vhid still owes: its bow-out advert, turning the
/// unicast filter off, leaving its solicited-node groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Leaving {
    /// The MAC it sent from.
    pub(crate) mac: MacAddr,
    pub(crate) bow_out: Option<BowOut>,
    pub(crate) filter_off: bool,
    pub(crate) groups: heapless::Vec<MacAddr, MAX_ADDRS>,
}

impl Leaving {
    pub(crate) fn is_empty(&self) -> bool {
        self.bow_out.is_none() && !self.filter_off && self.groups.is_empty()
    }
}
