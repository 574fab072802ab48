//! Which host answers for a virtual address: ARP and neighbour
//! solicitations on the wire, and the same answers for the host's own IP
//! stack (BSD `carp_iamatch`, `carp_iamatch6`, `carp_output`).
//!
//! Only a MASTER answers, with its virtual MAC; backups stay silent. With
//! `net.inet.carp.arpbalance` several vhids may hold one IPv4 address and
//! the requester's address picks which of them answers (see
//! [`crate::balance`]); IPv6 is never balanced.

use core::net::{IpAddr, Ipv4Addr};

use carp_core::{Counter, Instant, State, VirtualHost};
use carp_sysctl::Sysctl;

use super::outbox::Reply;
use super::output::count;
use super::slot::{vhost_mac, Slot};
use super::{CarpIf, Input};
use crate::arp::{ArpOperation, ArpRepr};
use crate::balance::arpbalance_choose;
use crate::lladdr::{LinkType, MacAddr};
use crate::nd::NeighborSolicit;

/// A virtual address this host answers for now (it is MASTER of a vhid
/// holding it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OwnedAddr {
    /// The virtual address.
    pub addr: IpAddr,
    /// The vhid holding it.
    pub vhid: u8,
    /// The source MAC for frames from it: the vhid's virtual MAC (for a
    /// VRRP vhid, the one of the address's family), or its configured MAC
    /// (OpenBSD `lladdr`).
    pub mac: MacAddr,
    /// The host's stack should accept packets addressed to it as its own:
    /// always for CARP; for VRRP only for the address owner (priority 255)
    /// or with Accept_Mode (RFC 9568 6.1, 6.4.3: a non-owner master "MUST
    /// NOT accept packets addressed to the IPvX address(es)" otherwise). It
    /// answers ARP and neighbour solicitations for it either way.
    pub accept: bool,
}

/// Who answers an ARP request for one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answerer {
    /// No running vhost holds the address: not a virtual address.
    NotOurs,
    /// A virtual address someone else answers for (backups only here, or
    /// another master's share under arpbalance).
    Silent,
    /// This vhid answers, from this MAC (this host is its master).
    Vhid(u8, MacAddr),
}

fn holds(host: &VirtualHost, addr: IpAddr) -> bool {
    host.state() != State::Init && host.config().addresses().contains(&addr)
}

/// The first master holding `addr` in list order, without arpbalance.
fn first_master(link: LinkType, slots: &[Slot], addr: IpAddr) -> Answerer {
    let mut held = false;
    for host in slots.iter().map(|s| &s.host).filter(|h| holds(h, addr)) {
        if host.state() == State::Master {
            return Answerer::Vhid(host.vhid().get(), vhost_mac(link, host, addr.is_ipv6()));
        }
        held = true;
    }
    if held {
        Answerer::Silent
    } else {
        Answerer::NotOurs
    }
}

impl<const N: usize> CarpIf<N> {
    /// BSD `carp_iamatch`: should this host answer an ARP request for
    /// `target` from `requester`, and with which MAC? `Some(mac)` when it
    /// must answer, from `mac`; `None` when it must stay silent, which for
    /// a virtual address ([`CarpIf::is_virtual`]) means the host's own ARP
    /// code must not answer either.
    pub fn iamatch(
        &self,
        target: Ipv4Addr,
        requester: Ipv4Addr,
        sysctl: &Sysctl,
    ) -> Option<MacAddr> {
        match self.arp_answerer(target, requester, sysctl) {
            Answerer::Vhid(_, mac) => Some(mac),
            Answerer::NotOurs | Answerer::Silent => None,
        }
    }

    /// The MAC `vhid` sends frames of one family from: its virtual MAC
    /// (one for CARP, one per family for VRRP; see
    /// [`crate::lladdr::LinkType::vhid_mac`]) or its configured one.
    pub fn mac_of(&self, vhid: u8, ipv6: bool) -> MacAddr {
        match self.vhost(vhid) {
            Some(host) => vhost_mac(self.parent.link, host, ipv6),
            None => self.parent.link.virtual_mac(vhid),
        }
    }

    /// BSD `carp_output`: the source MAC of a frame the host sends from
    /// `src`: the virtual MAC of the vhid this host is master of that holds
    /// `src`, or `None` when `src` is not a virtual address owned here (a
    /// backup must not send from it).
    pub fn source_mac(&self, src: IpAddr) -> Option<MacAddr> {
        match first_master(self.parent.link, &self.slots, src) {
            Answerer::Vhid(_, mac) => Some(mac),
            Answerer::NotOurs | Answerer::Silent => None,
        }
    }

    /// True if a running vhid (BACKUP or MASTER) holds `addr`: the host's
    /// own stack must leave ARP and neighbour discovery for it to carp.
    pub fn is_virtual(&self, addr: IpAddr) -> bool {
        self.slots.iter().any(|s| holds(&s.host, addr))
    }

    /// Every virtual address this host answers for now, with its vhid and
    /// source MAC, in vhid order: what the host's IP stack should own.
    pub fn owned_addresses(&self) -> impl Iterator<Item = OwnedAddr> + '_ {
        let link = self.parent.link;
        self.slots
            .iter()
            .map(|s| &s.host)
            .filter(|h| h.state() == State::Master)
            .flat_map(move |h| {
                let config = h.config();
                let vhid = config.vhid.get();
                let accept =
                    !config.is_vrrp() || config.vrrp.accept || config.vrrp.priority.is_owner();
                config.addresses().iter().map(move |addr| OwnedAddr {
                    addr: *addr,
                    vhid,
                    mac: vhost_mac(link, h, addr.is_ipv6()),
                    accept,
                })
            })
    }

    // Kept out of `input`: inlined there, its scan of the vhids compiled
    // 5 % longer once `input` grew the IPv4 CARP shortcut (callgrind
    // arp-balanced 10032 -> 10557 Ir; out of line 10075).
    #[inline(never)]
    fn arp_answerer(&self, target: Ipv4Addr, requester: Ipv4Addr, sysctl: &Sysctl) -> Answerer {
        let target = IpAddr::V4(target);
        if !sysctl.arpbalance() {
            return first_master(self.parent.link, &self.slots, target);
        }
        // One pass collects the holders in list order (by index), then the
        // requester's address picks one of them.
        let mut holders: heapless::Vec<usize, N> = heapless::Vec::new();
        for (at, slot) in self.slots.iter().enumerate() {
            if holds(&slot.host, target) {
                let _ = holders.push(at);
            }
        }
        if holders.is_empty() {
            return Answerer::NotOurs;
        }
        arpbalance_choose(requester, holders.iter().copied())
            .and_then(|at| self.slots.get(at))
            .filter(|s| s.host.state() == State::Master)
            .map_or(Answerer::Silent, |s| {
                Answerer::Vhid(
                    s.host.vhid().get(),
                    vhost_mac(self.parent.link, &s.host, false),
                )
            })
    }

    pub(crate) fn answer_arp(&mut self, now: Instant, arp: &ArpRepr, sysctl: &Sysctl) -> Input {
        if arp.operation != ArpOperation::Request || arp.is_gratuitous() {
            return Input::NotCarp;
        }
        let (vhid, mac) = match self.arp_answerer(arp.target_ip, arp.sender_ip, sysctl) {
            Answerer::NotOurs => return Input::NotCarp,
            Answerer::Silent => return Input::Silent,
            Answerer::Vhid(vhid, mac) => (vhid, mac),
        };
        if self.queue_reply(Reply::Arp { mac, request: *arp }, now) {
            Input::ArpReplied { vhid }
        } else {
            count(&mut self.stats, sysctl, Counter::Onomem);
            Input::Silent
        }
    }

    pub(crate) fn answer_solicitation(
        &mut self,
        now: Instant,
        ns: &NeighborSolicit,
        requester: MacAddr,
        sysctl: &Sysctl,
    ) -> Input {
        let (vhid, mac) = match first_master(self.parent.link, &self.slots, IpAddr::V6(ns.target)) {
            Answerer::NotOurs => return Input::NotCarp,
            Answerer::Silent => return Input::Silent,
            Answerer::Vhid(vhid, mac) => (vhid, mac),
        };
        let reply = Reply::Na {
            mac,
            ns: *ns,
            requester,
        };
        if self.queue_reply(reply, now) {
            Input::NdReplied { vhid }
        } else {
            count(&mut self.stats, sysctl, Counter::Onomem);
            Input::Silent
        }
    }
}
