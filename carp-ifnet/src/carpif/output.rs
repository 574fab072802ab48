//! The output path: adverts, announcements and the send-error hysteresis.

use core::net::IpAddr;

use carp_core::wire::HEADER_LEN;
use carp_core::{Counter, Event, EventKind, Instant, Stats, Transmit};
use carp_sysctl::Sysctl;

use super::{CarpIf, Vhost, EVENT_QUEUE};
use crate::arp::emit_gratuitous_arp;
use crate::driver::{Driver, TxError};
use crate::frame::{emit_advert, AdvertIp, MAX_FRAME_LEN};
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
    /// Sends what every vhost owes, acts on and forwards their events, and
    /// recomputes the next deadline. Called at the end of every command,
    /// input and timeout.
    pub(crate) fn flush(&mut self, now: Instant, sysctl: &Sysctl) {
        let policy = sysctl.policy();
        let CarpIf {
            driver,
            vhosts,
            stats,
            events,
            events_dropped,
            ip_ident,
            ..
        } = self;
        let mut queue = Queue {
            events,
            dropped: events_dropped,
        };
        for vhost in vhosts.iter_mut() {
            let mut carp = [0u8; HEADER_LEN];
            while let Some(t) = vhost.host.poll_transmit(now, &policy, &mut carp) {
                let ok = send_advert(driver, stats, sysctl, vhost, &t, &carp, ip_ident);
                vhost.host.handle_send_result(now, ok);
            }
            while let Some(event) = vhost.host.poll_event() {
                match event.kind {
                    EventKind::Announce { .. } => announce(driver, stats, sysctl, vhost),
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
        }
        self.recompute_deadline();
    }
}

/// Frames one signed advert for each family it is due on and sends them;
/// true when every send succeeded.
fn send_advert<D: Driver>(
    driver: &mut D,
    stats: &mut Stats,
    sysctl: &Sysctl,
    vhost: &Vhost,
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
            emit_advert(link, vhost.mac, ip, carp, &mut frame)
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
            emit_advert(link, vhost.mac, AdvertIp::V6 { src }, carp, &mut frame)
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
fn announce<D: Driver>(driver: &mut D, stats: &mut Stats, sysctl: &Sysctl, vhost: &Vhost) {
    let link = driver.link_type();
    let mut frame = [0u8; MAX_FRAME_LEN];
    for addr in vhost.host.config().addresses() {
        let len = match *addr {
            IpAddr::V4(a) => emit_gratuitous_arp(link, vhost.mac, a, &mut frame),
            IpAddr::V6(a) => emit_unsolicited_na(link, vhost.mac, a, &mut frame),
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
