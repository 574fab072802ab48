//! The output path, run by [`CarpIf::poll`]: adverts, announcements,
//! ARP/ND answers, the bow-outs of removed vhids, and the driver's
//! multicast and unicast filters.
//!
//! Only vhosts that owe something are visited (the dirty list), so a
//! parent with 255 vhids does the same work per advert as a parent with
//! one.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use carp_core::wire::vrrp::{fill_checksum, PseudoHeader};
use carp_core::wire::MAX_TRANSMIT_LEN;
use carp_core::{Counter, Instant, Policy, Stats, Transmit};
use carp_sysctl::Sysctl;

use super::outbox::{Leaving, Reply, Sender};
use super::slot::{solicited_groups, wanted_filters, Slot};
use super::{forward_events, CarpIf};
use crate::arp::{emit_arp_reply, emit_gratuitous_arp};
use crate::driver::{Driver, ParentInfo, TxError};
use crate::frame::{
    emit_group_advert, emit_unicast_advert, AdvertIp, UnicastIp, MAX_ADVERT_LEN, MAX_FRAME_LEN,
};
use crate::lladdr::MacAddr;
use crate::log_event::LogEvent;
use crate::nd::{emit_solicited_na, emit_unsolicited_na};

impl<const N: usize> CarpIf<N> {
    /// Sends everything owed; see [`CarpIf::poll`].
    pub(super) fn send_owed<D: Driver + ?Sized>(
        &mut self,
        now: Instant,
        dev: &mut D,
        sysctl: &Sysctl,
        policy: &Policy,
    ) {
        self.sync_carp_groups(dev);
        while let Some(leaving) = self.leaving.pop_front() {
            self.send_leaving(&leaving, dev, sysctl);
        }
        while let Some(vhid) = self.dirty.pop() {
            if let Ok(at) = self.position(vhid) {
                self.flush_slot(at, now, dev, sysctl, policy);
            }
        }
        while let Some(reply) = self.replies.pop_front() {
            self.send_reply(&reply, dev, sysctl);
        }
    }

    /// Joins 224.0.0.18 and ff02::12 with the first vhid and leaves them
    /// with the last (BSD `carp_join_multicast` / `carp_multicast_cleanup`).
    fn sync_carp_groups<D: Driver + ?Sized>(&mut self, dev: &mut D) {
        let want = !self.slots.is_empty();
        if want == self.carp_groups {
            return;
        }
        let link = self.parent.link;
        for group in [link.multicast_mac_v4(), link.multicast_mac_v6()] {
            // A refused change is not fatal: many drivers accept all
            // multicast.
            let _ = if want {
                dev.join_multicast(group)
            } else {
                dev.leave_multicast(group)
            };
        }
        self.carp_groups = want;
    }

    fn send_leaving<D: Driver + ?Sized>(
        &mut self,
        leaving: &Leaving,
        dev: &mut D,
        sysctl: &Sysctl,
    ) {
        if let Some(bow_out) = &leaving.bow_out {
            let mut out = Out::new(self, dev, sysctl);
            out.send_advert(&leaving.sender, &bow_out.transmit, &bow_out.bytes);
        }
        for mac in &leaving.filters {
            set_filter(dev, *mac, false, sysctl);
        }
        for group in &leaving.groups {
            let _ = dev.leave_multicast(*group);
        }
    }

    /// Sends what the vhost at `at` owes: filter and groups first (so
    /// answers to what it announces get in), then its adverts, then the
    /// announcement, and records its next deadline.
    fn flush_slot<D: Driver + ?Sized>(
        &mut self,
        at: usize,
        now: Instant,
        dev: &mut D,
        sysctl: &Sysctl,
        policy: &Policy,
    ) {
        let CarpIf {
            parent,
            slots,
            deadlines,
            stats,
            events,
            ip_ident,
            ..
        } = self;
        let Some(slot) = slots.get_mut(at) else {
            return;
        };
        slot.dirty = false;
        let wanted = wanted_filters(parent.link, &slot.host);
        for mac in slot.filters.iter().filter(|m| !wanted.contains(m)) {
            set_filter(dev, *mac, false, sysctl);
        }
        for mac in wanted.iter().filter(|m| !slot.filters.contains(m)) {
            set_filter(dev, *mac, true, sysctl);
        }
        slot.filters = wanted;
        if !slot.groups_synced {
            sync_solicited_groups(slot, parent, dev);
        }
        let mut out = Out {
            parent,
            dev,
            stats,
            sysctl,
            ip_ident,
        };
        let sender = Sender::of(parent.link, &slot.host);
        let mut bytes = [0u8; MAX_TRANSMIT_LEN];
        let policy = slot.policy(policy);
        while let Some(t) = slot.host.poll_transmit(now, &policy, &mut bytes) {
            let ok = out.send_advert(&sender, &t, &bytes);
            slot.host.handle_send_result(now, ok);
        }
        // Sending may have owed the delayed announcement, or a demotion.
        forward_events(slot, events, out.stats, sysctl);
        if slot.announce {
            slot.announce = false;
            out.announce(slot, &sender);
        }
        deadlines.set(at, super::encode_deadline(slot.host.poll_timeout()));
    }

    fn send_reply<D: Driver + ?Sized>(&mut self, reply: &Reply, dev: &mut D, sysctl: &Sysctl) {
        let link = self.parent.link;
        let router = self.parent.router;
        let mut frame = [0u8; MAX_FRAME_LEN];
        let len = match reply {
            Reply::Arp { mac, request } => {
                emit_arp_reply(link, *mac, request.target_ip, request, &mut frame)
            }
            Reply::Na { mac, ns, requester } => {
                emit_solicited_na(link, *mac, ns, *requester, router, &mut frame)
            }
        };
        if let Some(f) = len.ok().and_then(|len| frame.get(..len)) {
            transmit(dev, &mut self.stats, sysctl, f);
        }
    }
}

/// The driver and the counters while frames go out.
struct Out<'a, D: Driver + ?Sized> {
    parent: &'a ParentInfo,
    dev: &'a mut D,
    stats: &'a mut Stats,
    sysctl: &'a Sysctl,
    ip_ident: &'a mut u16,
}

impl<'a, D: Driver + ?Sized> Out<'a, D> {
    fn new<const N: usize>(cif: &'a mut CarpIf<N>, dev: &'a mut D, sysctl: &'a Sysctl) -> Self {
        Out {
            parent: &cif.parent,
            dev,
            stats: &mut cif.stats,
            sysctl,
            ip_ident: &mut cif.ip_ident,
        }
    }

    /// Sends one advert for each family it is due on: to the group as a
    /// frame from the virtual MAC, or to the family's unicast peer as an IP
    /// packet through [`Driver::transmit_ip`]; a VRRP message gets its
    /// checksum over the pseudo-header of the source and destination
    /// chosen. True when every send succeeded.
    fn send_advert(&mut self, sender: &Sender, t: &Transmit, bytes: &[u8]) -> bool {
        let (v4_msg, v6_msg) = match t.vrrp {
            Some(split) => (split.v4(bytes), split.v6(bytes)),
            None => {
                let carp = bytes.get(..t.len).unwrap_or(&[]);
                (carp, carp)
            }
        };
        let mut ok = true;
        if t.ipv4 {
            let sent = self.send_v4(sender, v4_msg, t.vrrp.is_some());
            if sent {
                count(self.stats, self.sysctl, Counter::Opackets);
            }
            ok &= sent;
        }
        if t.ipv6 {
            let sent = match self.v6_source(sender) {
                Some(src) => self.send_v6(sender, src, v6_msg, t.vrrp.is_some()),
                None => {
                    // As BSD when in6_selectsrc finds no source: a send error.
                    count(self.stats, self.sysctl, Counter::Senderr);
                    false
                }
            };
            if sent {
                count(self.stats, self.sysctl, Counter::Opackets6);
            }
            ok &= sent;
        }
        ok
    }

    fn send_v4(&mut self, sender: &Sender, message: &[u8], vrrp: bool) -> bool {
        // No IPv4 address on the parent: from 0.0.0.0, as NetBSD's
        // carp_send_ad does.
        let src = self.parent.ipv4.unwrap_or(Ipv4Addr::UNSPECIFIED);
        let dst = sender.peers.destination_v4();
        let mut payload = [0u8; MAX_ADVERT_LEN];
        let Some(payload) = checksummed(message, vrrp, PseudoHeader::V4 { src, dst }, &mut payload)
        else {
            return false;
        };
        *self.ip_ident = self.ip_ident.wrapping_add(1);
        let (tos, ident) = (self.sysctl.tos(), *self.ip_ident);
        if sender.peers.v4().is_some() {
            let ip = UnicastIp::V4 {
                src,
                dst,
                tos,
                ident,
            };
            return self.send_ip(ip, payload);
        }
        let mac = sender.mac(false);
        let ip = AdvertIp::V4 { src, tos, ident };
        self.send_frame(mac, ip, payload)
    }

    /// The source of IPv6 adverts: the parent's link-local address, or its
    /// global one for a unicast peer that is not link-local.
    fn v6_source(&self, sender: &Sender) -> Option<Ipv6Addr> {
        match sender.peers.v6() {
            Some(peer) if !peer.is_unicast_link_local() => self.parent.ipv6,
            _ => self.parent.ipv6_link_local,
        }
    }

    fn send_v6(&mut self, sender: &Sender, src: Ipv6Addr, message: &[u8], vrrp: bool) -> bool {
        let dst = sender.peers.destination_v6();
        let mut payload = [0u8; MAX_ADVERT_LEN];
        let Some(payload) = checksummed(message, vrrp, PseudoHeader::V6 { src, dst }, &mut payload)
        else {
            return false;
        };
        if sender.peers.v6().is_some() {
            return self.send_ip(UnicastIp::V6 { src, dst }, payload);
        }
        let mac = sender.mac(true);
        self.send_frame(mac, AdvertIp::V6 { src }, payload)
    }

    fn send_frame(&mut self, mac: MacAddr, ip: AdvertIp, payload: &[u8]) -> bool {
        let link = self.parent.link;
        let mut frame = [0u8; MAX_FRAME_LEN];
        emit_group_advert(link, mac, ip, payload, &mut frame)
            .ok()
            .and_then(|len| frame.get(..len))
            .is_some_and(|f| transmit(self.dev, self.stats, self.sysctl, f))
    }

    fn send_ip(&mut self, ip: UnicastIp, payload: &[u8]) -> bool {
        let mut packet = [0u8; crate::frame::MAX_IP_ADVERT_LEN];
        let Some(packet) = emit_unicast_advert(ip, payload, &mut packet)
            .ok()
            .and_then(|len| packet.get(..len))
        else {
            return false;
        };
        match self.dev.transmit_ip(packet) {
            Ok(()) => true,
            Err(e) => {
                count(self.stats, self.sysctl, tx_counter(e));
                false
            }
        }
    }

    /// Gratuitous ARP for every IPv4 address, unsolicited NA (override) for
    /// every IPv6 address, from the virtual MAC of each family.
    fn announce(&mut self, slot: &Slot, sender: &Sender) {
        let link = self.parent.link;
        let mut frame = [0u8; MAX_FRAME_LEN];
        for addr in slot.host.config().addresses() {
            let mac = sender.mac(addr.is_ipv6());
            let len = match *addr {
                IpAddr::V4(a) => emit_gratuitous_arp(link, mac, a, &mut frame),
                IpAddr::V6(a) => emit_unsolicited_na(link, mac, a, self.parent.router, &mut frame),
            };
            if let Some(f) = len.ok().and_then(|len| frame.get(..len)) {
                transmit(self.dev, self.stats, self.sysctl, f);
            }
        }
    }
}

/// Joins the solicited-node groups of the vhost's IPv6 addresses and leaves
/// those of addresses it no longer has.
fn sync_solicited_groups<D: Driver + ?Sized>(slot: &mut Slot, parent: &ParentInfo, dev: &mut D) {
    let want = solicited_groups(parent.link, slot.host.config());
    for group in slot.groups.iter().filter(|g| !want.contains(g)) {
        let _ = dev.leave_multicast(*group);
    }
    for group in want.iter().filter(|g| !slot.groups.contains(g)) {
        let _ = dev.join_multicast(*group);
    }
    slot.groups = want;
    slot.groups_synced = true;
}

fn set_filter<D: Driver + ?Sized>(dev: &mut D, mac: MacAddr, accept: bool, sysctl: &Sysctl) {
    if let Err(error) = dev.set_unicast_filter(mac, accept) {
        LogEvent::Filter { mac, accept, error }.emit(sysctl.log_level());
    }
}

/// Hands a frame to the driver, counting a failure.
pub(crate) fn transmit<D: Driver + ?Sized>(
    dev: &mut D,
    stats: &mut Stats,
    sysctl: &Sysctl,
    frame: &[u8],
) -> bool {
    match dev.transmit(frame) {
        Ok(()) => true,
        Err(e) => {
            count(stats, sysctl, tx_counter(e));
            false
        }
    }
}

/// The advert payload: CARP's bytes as they are, or a copy of a VRRP
/// message with its checksum filled for `pseudo`.
fn checksummed<'b>(
    message: &'b [u8],
    vrrp: bool,
    pseudo: PseudoHeader,
    scratch: &'b mut [u8; MAX_ADVERT_LEN],
) -> Option<&'b [u8]> {
    if !vrrp {
        return Some(message);
    }
    let copy = scratch.get_mut(..message.len())?;
    copy.copy_from_slice(message);
    fill_checksum(copy, &pseudo);
    Some(copy)
}

fn tx_counter(e: TxError) -> Counter {
    match e {
        TxError::NoBuffers => Counter::Onomem,
        _ => Counter::Senderr,
    }
}

pub(crate) fn count(stats: &mut Stats, sysctl: &Sysctl, counter: Counter) {
    stats.bump(counter);
    sysctl.bump(counter);
}
