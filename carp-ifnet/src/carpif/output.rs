//! The output path, run by [`CarpIf::poll`]: adverts, announcements,
//! ARP/ND answers, the bow-outs of removed vhids, and the driver's
//! multicast and unicast filters.
//!
//! Only vhosts that owe something are visited (the dirty list), so a
//! parent with 255 vhids does the same work per advert as a parent with
//! one.

use core::net::{IpAddr, Ipv4Addr};

use carp_core::wire::HEADER_LEN;
use carp_core::{Counter, Instant, Policy, State, Stats, Transmit};
use carp_sysctl::Sysctl;

use super::outbox::{Leaving, Reply};
use super::slot::{solicited_groups, vhost_mac, Slot};
use super::{forward_events, CarpIf};
use crate::arp::{emit_arp_reply, emit_gratuitous_arp};
use crate::driver::{Driver, ParentInfo, TxError};
use crate::frame::{emit_advert, AdvertIp, MAX_FRAME_LEN};
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
        let mac = leaving.mac;
        if let Some(bow_out) = &leaving.bow_out {
            let t = Transmit {
                len: HEADER_LEN,
                ipv4: bow_out.ipv4,
                ipv6: bow_out.ipv6,
                bow_out: true,
            };
            let mut out = Out::new(self, dev, sysctl);
            out.send_advert(mac, &t, &bow_out.carp);
        }
        if leaving.filter_off {
            set_filter(dev, mac, false, sysctl);
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
        let mac = vhost_mac(parent.link, &slot.host);
        let master = slot.host.state() == State::Master;
        if slot.filter_on != master {
            set_filter(dev, mac, master, sysctl);
            slot.filter_on = master;
        }
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
        let mut carp = [0u8; HEADER_LEN];
        while let Some(t) = slot.host.poll_transmit(now, policy, &mut carp) {
            let ok = out.send_advert(mac, &t, &carp);
            slot.host.handle_send_result(now, ok);
        }
        // Sending may have owed the delayed announcement, or a demotion.
        forward_events(slot, events, out.stats, sysctl);
        if slot.announce {
            slot.announce = false;
            out.announce(slot, mac);
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

    /// Frames one signed advert for each family it is due on and sends
    /// them; true when every send succeeded.
    fn send_advert(&mut self, mac: MacAddr, t: &Transmit, carp: &[u8; HEADER_LEN]) -> bool {
        let link = self.parent.link;
        let mut ok = true;
        let mut frame = [0u8; MAX_FRAME_LEN];
        if t.ipv4 {
            // No IPv4 address on the parent: from 0.0.0.0, as NetBSD's
            // carp_send_ad does.
            let src = self.parent.ipv4.unwrap_or(Ipv4Addr::UNSPECIFIED);
            *self.ip_ident = self.ip_ident.wrapping_add(1);
            let ip = AdvertIp::V4 {
                src,
                tos: self.sysctl.tos(),
                ident: *self.ip_ident,
            };
            let sent = emit_advert(link, mac, ip, carp, &mut frame)
                .ok()
                .and_then(|len| frame.get(..len))
                .is_some_and(|f| transmit(self.dev, self.stats, self.sysctl, f));
            if sent {
                count(self.stats, self.sysctl, Counter::Opackets);
            }
            ok &= sent;
        }
        if t.ipv6 {
            let sent = self.parent.ipv6_link_local.is_some_and(|src| {
                emit_advert(link, mac, AdvertIp::V6 { src }, carp, &mut frame)
                    .ok()
                    .and_then(|len| frame.get(..len))
                    .is_some_and(|f| transmit(self.dev, self.stats, self.sysctl, f))
            });
            if sent {
                count(self.stats, self.sysctl, Counter::Opackets6);
            } else if self.parent.ipv6_link_local.is_none() {
                // As BSD when in6_selectsrc finds no source: a send error.
                count(self.stats, self.sysctl, Counter::Senderr);
            }
            ok &= sent;
        }
        ok
    }

    /// Gratuitous ARP for every IPv4 address, unsolicited NA (override) for
    /// every IPv6 address, from the virtual MAC.
    fn announce(&mut self, slot: &Slot, mac: MacAddr) {
        let link = self.parent.link;
        let mut frame = [0u8; MAX_FRAME_LEN];
        for addr in slot.host.config().addresses() {
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
