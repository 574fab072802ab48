//! One vhid on the parent: its state machine and what the driver has been
//! told about it.

use carp_core::vhost::MAX_ADDRS;
use carp_core::{Policy, State, VhostConfig, VirtualHost};
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
    /// The virtual MACs the driver has been told to accept as unicast
    /// destinations (one for CARP, one per family for VRRP).
    pub(crate) filters: heapless::Vec<MacAddr, 2>,
    /// Solicited-node groups joined at the driver for this vhid's IPv6
    /// addresses.
    pub(crate) groups: heapless::Vec<MacAddr, MAX_ADDRS>,
    /// `groups` matches the configuration.
    pub(crate) groups_synced: bool,
    /// The demote count of the carp interface groups this vhid belongs to,
    /// added to the host's (see [`Slot::policy`]).
    pub(crate) group_demote: u8,
}

impl Slot {
    pub(crate) fn new(host: VirtualHost) -> Slot {
        Slot {
            host,
            dirty: false,
            announce: false,
            filters: heapless::Vec::new(),
            groups: heapless::Vec::new(),
            groups_synced: false,
            group_demote: 0,
        }
    }

    /// The host's `policy` as this vhid obeys it: its demotion is the
    /// host's plus its groups', saturated at 255, as OpenBSD's
    /// `carp_group_demote_count` sums the counters of every group of the
    /// carp interface (the host-wide demotion standing for the group
    /// `carp` every carp interface is in).
    pub(crate) fn policy(&self, host: &Policy) -> Policy {
        Policy {
            demotion: host.demotion.saturating_add(self.group_demote),
            ..*host
        }
    }

    /// True when the next poll has something to do for this vhid.
    pub(crate) fn owes_output(&self, link: LinkType) -> bool {
        self.host.has_pending_transmit()
            || self.announce
            || !self.groups_synced
            || self.filters_stale(link)
    }

    /// True when the driver's unicast filters differ from what the state
    /// wants. A vhid that is not MASTER wants none: a backup with none
    /// set (every advert a backup takes) is answered without building the
    /// wanted list.
    fn filters_stale(&self, link: LinkType) -> bool {
        if self.host.state() != State::Master {
            return !self.filters.is_empty();
        }
        self.filters != wanted_filters(link, &self.host)
    }
}

/// The MAC a vhost sends from and answers with for one family: its
/// configured one (OpenBSD `lladdr`), else its virtual MAC on `link` (for
/// VRRP the family's, see [`LinkType::vhid_mac`]).
pub(crate) fn vhost_mac(link: LinkType, host: &VirtualHost, ipv6: bool) -> MacAddr {
    let config = host.config();
    config.mac.map_or_else(
        || link.vhid_mac(config.vhid.get(), config.version, ipv6),
        MacAddr,
    )
}

/// The virtual MACs a vhost's master receives on: its CARP MAC, or for VRRP
/// the MAC of each family it has addresses of; none unless MASTER.
pub(crate) fn wanted_filters(link: LinkType, host: &VirtualHost) -> heapless::Vec<MacAddr, 2> {
    let mut macs = heapless::Vec::new();
    if host.state() != State::Master {
        return macs;
    }
    let config = host.config();
    if !config.is_vrrp() {
        // One MAC for both families: no need to look at the addresses.
        let _ = macs.push(vhost_mac(link, host, false));
        return macs;
    }
    let families = [(config.has_ipv4(), false), (config.has_ipv6(), true)];
    for (wanted, ipv6) in families {
        let mac = vhost_mac(link, host, ipv6);
        if wanted && !macs.contains(&mac) {
            // Two at most: the capacity.
            let _ = macs.push(mac);
        }
    }
    macs
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
