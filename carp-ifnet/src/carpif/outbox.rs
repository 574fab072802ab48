//! Output decided outside [`CarpIf::poll`](super::CarpIf::poll) and sent by
//! it: answers to ARP requests and neighbour solicitations, and what a
//! removed vhid still owes the wire and the driver.

use carp_core::vhost::{Peers, MAX_ADDRS};
use carp_core::wire::MAX_TRANSMIT_LEN;
use carp_core::Transmit;

use super::slot::vhost_mac;
use crate::arp::ArpRepr;
use crate::lladdr::{LinkType, MacAddr};
use crate::nd::NeighborSolicit;

/// Answers waiting for the next poll before further ones are dropped (and
/// counted as `onomem`, as BSD counts a reply it has no mbuf for).
pub const REPLY_QUEUE: usize = 8;

/// An answer decided by the input path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reply {
    /// ARP reply for `request.target_ip` from the vhid's virtual MAC `mac`.
    Arp { mac: MacAddr, request: ArpRepr },
    /// Solicited NA for `ns.target` from the vhid's (IPv6) virtual MAC
    /// `mac`, to the soliciter at `requester` (the frame's source MAC).
    Na {
        mac: MacAddr,
        ns: NeighborSolicit,
        requester: MacAddr,
    },
}

/// Who sends an advert: the MAC of each family's frames and where the
/// adverts of each family go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sender {
    pub(crate) mac_v4: MacAddr,
    pub(crate) mac_v6: MacAddr,
    pub(crate) peers: Peers,
}

impl Sender {
    /// The sender of `host`'s adverts on `link`.
    pub(crate) fn of(link: LinkType, host: &carp_core::VirtualHost) -> Sender {
        Sender {
            mac_v4: vhost_mac(link, host, false),
            mac_v6: vhost_mac(link, host, true),
            peers: host.config().peers,
        }
    }

    /// The MAC of frames of one family.
    pub(crate) const fn mac(&self, ipv6: bool) -> MacAddr {
        if ipv6 {
            self.mac_v6
        } else {
            self.mac_v4
        }
    }
}

/// The bow-out advert of a removed master, already written (CARP signed;
/// VRRP priority 0, checksums filled when sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BowOut {
    pub(crate) bytes: [u8; MAX_TRANSMIT_LEN],
    pub(crate) transmit: Transmit,
}

/// What a removed vhid still owes: its bow-out advert, turning the
/// unicast filters off, leaving its solicited-node groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Leaving {
    pub(crate) sender: Sender,
    pub(crate) bow_out: Option<BowOut>,
    pub(crate) filters: heapless::Vec<MacAddr, 2>,
    pub(crate) groups: heapless::Vec<MacAddr, MAX_ADDRS>,
}

impl Leaving {
    pub(crate) fn is_empty(&self) -> bool {
        self.bow_out.is_none() && self.filters.is_empty() && self.groups.is_empty()
    }
}
