//! Answering ARP and neighbour solicitations for the virtual addresses.
//!
//! Only a MASTER answers, with its virtual MAC; backups stay silent. With
//! `net.inet.carp.arpbalance` several vhids may hold one IPv4 address and
//! the requester's address picks which of them answers (see
//! [`crate::balance`]); IPv6 is never balanced.

use core::net::IpAddr;

use carp_core::State;
use carp_sysctl::Sysctl;

use super::output::transmit;
use super::{CarpIf, Input, Vhost};
use crate::arp::{emit_arp_reply, ArpOperation, ArpRepr};
use crate::balance::arpbalance_choose;
use crate::driver::Driver;
use crate::frame::MAX_FRAME_LEN;
use crate::lladdr::MacAddr;
use crate::nd::{emit_solicited_na, NeighborSolicit};

fn holds(vhost: &Vhost, addr: IpAddr) -> bool {
    vhost.host.state() != State::Init && vhost.host.config().addresses().contains(&addr)
}

impl<D: Driver, const N: usize> CarpIf<D, N> {
    pub(crate) fn answer_arp(&mut self, arp: &ArpRepr, sysctl: &Sysctl) -> Input {
        if arp.operation != ArpOperation::Request || arp.is_gratuitous() {
            return Input::NotCarp;
        }
        let target = IpAddr::V4(arp.target_ip);
        if !self.vhosts.iter().any(|v| holds(v, target)) {
            return Input::NotCarp;
        }
        let mut holders = self.vhosts.iter().filter(|v| holds(v, target));
        let chosen = if sysctl.arpbalance() {
            arpbalance_choose(arp.sender_ip, holders)
        } else {
            holders.find(|v| v.host.state() == State::Master)
        };
        let Some((vhid, mac)) = chosen
            .filter(|v| v.host.state() == State::Master)
            .map(|v| (v.host.vhid().get(), v.mac))
        else {
            return Input::Silent;
        };
        let link = self.driver.link_type();
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
        if !self.vhosts.iter().any(|v| holds(v, target)) {
            return Input::NotCarp;
        }
        let Some((vhid, mac)) = self
            .vhosts
            .iter()
            .find(|v| holds(v, target) && v.host.state() == State::Master)
            .map(|v| (v.host.vhid().get(), v.mac))
        else {
            return Input::Silent;
        };
        let link = self.driver.link_type();
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
