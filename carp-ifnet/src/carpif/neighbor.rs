//! Answering ARP and neighbour solicitations for the virtual addresses.
//!
//! Only a MASTER answers, with its virtual MAC; backups stay silent. With
//! `net.inet.carp.arpbalance` several vhids may hold one IPv4 address and
//! the requester's address picks which of them answers (see
//! [`crate::balance`]); IPv6 is never balanced.

use core::net::IpAddr;

use carp_core::{State, VirtualHost};
use carp_sysctl::Sysctl;

use super::output::transmit;
use super::{CarpIf, Input};
use crate::arp::{emit_arp_reply, ArpOperation, ArpRepr};
use crate::balance::arpbalance_choose;
use crate::driver::Driver;
use crate::frame::MAX_FRAME_LEN;
use crate::lladdr::MacAddr;
use crate::nd::{emit_solicited_na, NeighborSolicit};

fn holds(host: &VirtualHost, addr: IpAddr) -> bool {
    host.state() != State::Init && host.config().addresses().contains(&addr)
}

/// Who holds an address, without arpbalance.
enum Holding<'a> {
    /// No running vhost holds it: not ours.
    Nobody,
    /// Only backups hold it: stay silent.
    Backups,
    /// The first master holding it (list order) answers.
    Master(&'a VirtualHost),
}

/// Walks the vhosts in list order and stops at the first master holding
/// `addr`.
fn first_master_holding(hosts: &[VirtualHost], addr: IpAddr) -> Holding<'_> {
    let mut held = false;
    for host in hosts.iter().filter(|h| holds(h, addr)) {
        if host.state() == State::Master {
            return Holding::Master(host);
        }
        held = true;
    }
    if held {
        Holding::Backups
    } else {
        Holding::Nobody
    }
}

impl<D: Driver, const N: usize> CarpIf<D, N> {
    pub(crate) fn answer_arp(&mut self, arp: &ArpRepr, sysctl: &Sysctl) -> Input {
        if arp.operation != ArpOperation::Request || arp.is_gratuitous() {
            return Input::NotCarp;
        }
        let target = IpAddr::V4(arp.target_ip);
        let chosen = if sysctl.arpbalance() {
            // One pass collects the holders in list order (by index), then
            // the requester's address picks one of them.
            let mut holders: heapless::Vec<usize, N> = heapless::Vec::new();
            for (at, host) in self.vhosts.iter().enumerate() {
                if holds(host, target) {
                    let _ = holders.push(at);
                }
            }
            if holders.is_empty() {
                return Input::NotCarp;
            }
            arpbalance_choose(arp.sender_ip, holders.iter().copied())
                .and_then(|at| self.vhosts.get(at))
                .filter(|h| h.state() == State::Master)
        } else {
            match first_master_holding(&self.vhosts, target) {
                Holding::Nobody => return Input::NotCarp,
                Holding::Backups => None,
                Holding::Master(host) => Some(host),
            }
        };
        let Some(vhid) = chosen.map(|h| h.vhid().get()) else {
            return Input::Silent;
        };
        let link = self.driver.link_type();
        let mac = link.virtual_mac(vhid);
        let mut frame = [0u8; MAX_FRAME_LEN];
        let sent = emit_arp_reply(link, mac, arp.target_ip, arp, &mut frame)
            .ok()
            .and_then(|len| frame.get(..len))
            .is_some_and(|f| transmit(&mut self.driver, &mut self.stats, sysctl, f));
        if sent {
            Input::ArpReplied { vhid }
        } else {
            Input::Silent
        }
    }

    pub(crate) fn answer_solicitation(
        &mut self,
        ns: &NeighborSolicit,
        requester: MacAddr,
        sysctl: &Sysctl,
    ) -> Input {
        let target = IpAddr::V6(ns.target);
        let vhid = match first_master_holding(&self.vhosts, target) {
            Holding::Nobody => return Input::NotCarp,
            Holding::Backups => return Input::Silent,
            Holding::Master(host) => host.vhid().get(),
        };
        let link = self.driver.link_type();
        let mac = link.virtual_mac(vhid);
        let mut frame = [0u8; MAX_FRAME_LEN];
        let sent = emit_solicited_na(link, mac, ns, requester, &mut frame)
            .ok()
            .and_then(|len| frame.get(..len))
            .is_some_and(|f| transmit(&mut self.driver, &mut self.stats, sysctl, f));
        if sent {
            Input::NdReplied { vhid }
        } else {
            Input::Silent
        }
    }
}
