//! One vhid on the parent: its state machine and what the driver has been
//! told about it.

use carp_core::vhost::MAX_ADDRS;
use carp_core::{State, VhostConfig, VirtualHost};
use core::net::IpAddr;

use crate::lladdr::{LinkType, MacAddr};

/// A vhost and its output bookkeeping.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub(crate) host: VirtualHost,
    /// In the parent's dirty list (something to send at the next poll).
    pub(crate) dirty: bool,
    /// The gratuitous ARP / unsolicited NA round is owed.
    pub(crate) announce: bool,
    /// The driver has been told to accept the virtual MAC as a unicast
    /// destination.
    pub(crate) filter_on: bool,
    /// Solicited-node groups joined at the driver for this vhid's IPv6
    /// addresses.
    pub(crate) groups: heapless::Vec<MacAddr, MAX_ADDRS>,
    /// `groups` matches the configuration.
    pub(crate) groups_synced: bool,
}

impl Slot {
    pub(crate) fn new(host: VirtualHost) -> Slot {
        Slot {
            host,
            dirty: false,
            announce: false,
            filter_on: false,
            groups: heapless::Vec::new(),
            groups_synced: false,
        }
    }

    /// True when the next poll has something to do for this vhid.
    pub(crate) fn owes_output(&self) -> bool {
        self.host.has_pending_transmit()
            || self.announce
            || self.filter_on != (self.host.state() == State::Master)
            || !self.groups_synced
    }
}

/// The MAC a vhost sends from and answers with: its configured one
/// (OpenBSD `lladdr`), else the virtual MAC of its vhid on `link`.
pub(crate) fn vhost_mac(link: LinkType, host: &VirtualHost) -> MacAddr {
    host.config()
        .mac
        .map_or_else(|| link.virtual_mac(host.vhid().get()), MacAddr)
}

/// The solicited-node group MACs of a configuration's IPv6 addresses, each
/// once.
pub(crate) fn solicited_groups(
    link: LinkType,
    config: &VhostConfig,
) -> heapless::Vec<MacAddr, MAX_ADDRS> {
    let mut groups = heapless::Vec::new();
    for addr in config.addresses() {
        if let IpAddr::V6(a) = addr {
            let mac = link.solicited_node_mac(*a);
            if !groups.contains(&mac) {
                // At most one per address: the capacity is MAX_ADDRS.
                let _ = groups.push(mac);
            }
        }
    }
    groups
}
