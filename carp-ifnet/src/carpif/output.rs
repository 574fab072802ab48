//! The output path: adverts, announcements and the send-error hysteresis.
//!
//! Only the vhosts a call touched are flushed (one for an input or a
//! command, the due ones for a timeout), so a parent with 255 vhids does
//! the same work per advert as a parent with one.

use core::net::IpAddr;

use carp_core::wire::HEADER_LEN;
use carp_core::{Counter, Event, EventKind, Instant, Policy, Stats, Transmit, VirtualHost};
use carp_sysctl::Sysctl;

use super::{CarpIf, EVENT_QUEUE};
use crate::arp::emit_gratuitous_arp;
use crate::driver::{Driver, TxError};
use crate::frame::{emit_advert, AdvertIp, MAX_FRAME_LEN};
use crate::lladdr::MacAddr;
use crate::log_event::LogEvent;
use crate::nd::emit_unsolicited_na;

/// The embedder's event queue and its overflow count.
struct Queue<'a> {
    events: &'a mut heapless::Deque<Event, EVENT_QUEUE>,
    dropped: &'a mut u64,
}

impl Queue<'_> {
    fn push(&mut self, event: Event) {
        if self.events.is_full() {
            let _ = self.events.pop_front();
            *self.dropped = self.dropped.saturating_add(1);
        }
        let _ = self.events.push_back(event);
    }
}

impl<D: Driver, const N: usize> CarpIf<D, N> {
    /// Flushes the vhost at `at` after a command and refreshes the deadline.
    pub(crate) fn flush_at(&mut self, at: usize, now: Instant, sysctl: &Sysctl) {
        let policy = sysctl.policy();
        self.flush_one(at, now, sysctl, &policy);
        self.refresh_next_deadline();
    }

    /// Flushes every vhost (after a parent link change).
    pub(crate) fn flush_all(&mut self, now: Instant, sysctl: &Sysctl) {
        let policy = sysctl.policy();
        for at in 0..self.vhosts.len() {
            self.flush_one(at, now, sysctl, &policy);
        }
        self.refresh_next_deadline();
    }

    /// Sends what the vhost at `at` owes, acts on and forwards its events,
    /// and records its next deadline. The caller refreshes the parent's.
    pub(crate) fn flush_one(&mut self, at: usize, now: Instant, sysctl: &Sysctl, policy: &Policy) {
        let CarpIf {
            driver,
            vhosts,
            deadlines,
            stats,
            events,
            events_dropped,
            ip_ident,
            ..
        } = self;
        let Some(host) = vhosts.get_mut(at) else {
            return;
        };
        let mac = driver.link_type().virtual_mac(host.vhid().get());
        let mut queue = Queue {
            events,
            dropped: events_dropped,
        };
        let mut carp = [0u8; HEADER_LEN];
        while let Some(t) = host.poll_transmit(now, policy, &mut carp) {
            let ok = send_advert(driver, stats, sysctl, mac, &t, &carp, ip_ident);
            host.handle_send_result(now, ok);
        }
        while let Some(event) = host.poll_event() {
            match event.kind {
                EventKind::Announce { .. } => announce(driver, stats, sysctl, host, mac),
                EventKind::Demote { reason, delta } => {
                    // The vhost counts in BSD units of one; the host
                    // demotes by the configured factor (FreeBSD: 240).
                    let factor = i32::from(sysctl.senderr_demotion_factor());
                    sysctl.demote(reason, delta.saturating_mul(factor));
                }
                _ => {}
            }
            LogEvent::Vhost(event).emit(sysctl.log_level());
            queue.push(event);
        }
        deadlines.set(at, super::encode_deadline(host.poll_timeout()));
    }
}

/// Frames one signed advert for each family it is due on and sends them;
/// true when every send succeeded.
fn send_advert<D: Driver>(
    driver: &mut D,
    stats: &mut Stats,
    sysctl: &Sysctl,
    mac: MacAddr,
    t: &Transmit,
    carp: &[u8; HEADER_LEN],
    ip_ident: &mut u16,
) -> bool {
    let link = driver.link_type();
    let mut ok = true;
    let mut frame = [0u8; MAX_FRAME_LEN];
    if t.ipv4 {
        let sent = driver.ipv4_addr().is_some_and(|src| {
            *ip_ident = ip_ident.wrapping_add(1);
            let ip = AdvertIp::V4 {
                src,
                tos: sysctl.tos(),
                ident: *ip_ident,
            };
            emit_advert(link, mac, ip, carp, &mut frame)
                .ok()
                .and_then(|len| frame.get(..len))
                .is_some_and(|f| transmit(driver, stats, sysctl, f))
        });
        if sent {
            count(stats, sysctl, Counter::Opackets);
        }
        ok &= sent;
    }
    if t.ipv6 {
        let sent = driver.ipv6_link_local().is_some_and(|src| {
            emit_advert(link, mac, AdvertIp::V6 { src }, carp, &mut frame)
                .ok()
                .and_then(|len| frame.get(..len))
                .is_some_and(|f| transmit(driver, stats, sysctl, f))
        });
        if sent {
            count(stats, sysctl, Counter::Opackets6);
        }
        ok &= sent;
    }
    ok
}

/// Gratuitous ARP for every IPv4 address, unsolicited NA (override) for
/// every IPv6 address, from the virtual MAC.
fn announce<D: Driver>(
    driver: &mut D,
    stats: &mut Stats,
    sysctl: &Sysctl,
    host: &VirtualHost,
    mac: MacAddr,
) {
    let link = driver.link_type();
    let mut frame = [0u8; MAX_FRAME_LEN];
    for addr in host.config().addresses() {
        let len = match *addr {
            IpAddr::V4(a) => emit_gratuitous_arp(link, mac, a, &mut frame),
            IpAddr::V6(a) => emit_unsolicited_na(link, mac, a, &mut frame),
        };
        if let Some(f) = len.ok().and_then(|len| frame.get(..len)) {
            transmit(driver, stats, sysctl, f);
        }
    }
}

/// Hands a frame to the driver, counting a failure.
pub(crate) fn transmit<D: Driver>(
    driver: &mut D,
    stats: &mut Stats,
    sysctl: &Sysctl,
    frame: &[u8],
) -> bool {
    match driver.transmit(frame) {
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

fn count(stats: &mut Stats, sysctl: &Sysctl, counter: Counter) {
    stats.bump(counter);
    sysctl.bump(counter);
}
