//! Segments and routers: several simulated segments joined by routers that
//! forward unicast IP and nothing else, the FreeBSD `unicast_v4` test's
//! shape (two hosts on two /25s behind a router jail).
//!
//! A host's [`HostSpec::segment`] says where its parent is; a frame reaches
//! only the hosts and router interfaces of the sender's segment (clients
//! and the attacker sit on every segment). A router receives the unicast
//! frames addressed to its interface's MAC; an IPv4 or IPv6 packet for a
//! host on another segment leaves there with the TTL or hop limit one
//! lower (the IPv4 header checksum fixed), from the router's MAC to the
//! host's. Multicast is never forwarded: adverts to 224.0.0.18 or ff02::12
//! stay on their segment. There is no ARP or neighbour discovery for
//! forwarding and for a host's IP-level sends ([`SimDriver`]'s
//! `transmit_ip`): the simulator knows every address and resolves next hops
//! itself, as a host with a warm neighbour cache would.
//!
//! [`SimDriver`]: crate::driver::SimDriver

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use carp_ifnet::frame::{self, Body, Ipv4Repr, Ipv6Repr};
use carp_ifnet::lladdr::MacAddr;

use super::{HostSpec, Lan, Sender};

/// One interface of a router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterIf {
    /// The segment it is on.
    pub segment: usize,
    /// Its MAC.
    pub mac: MacAddr,
    /// Its IPv4 address on that segment.
    pub ip: Option<Ipv4Addr>,
    /// Its IPv6 address on that segment.
    pub ip6: Option<Ipv6Addr>,
}

/// A router joining segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterSpec {
    /// Name in reports.
    pub name: String,
    /// One interface per segment it joins.
    pub interfaces: Vec<RouterIf>,
}

/// A router and what it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Router {
    spec: RouterSpec,
    forwarded: u64,
    expired: u64,
}

impl Router {
    /// A router that has forwarded nothing.
    pub fn new(spec: RouterSpec) -> Router {
        Router {
            spec,
            forwarded: 0,
            expired: 0,
        }
    }
    /// Its configuration.
    pub fn spec(&self) -> &RouterSpec {
        &self.spec
    }
    /// Packets it forwarded.
    pub fn forwarded(&self) -> u64 {
        self.forwarded
    }
    /// Packets it dropped because their TTL or hop limit ran out.
    pub fn expired(&self) -> u64 {
        self.expired
    }
}

/// True if `spec`'s parent has `addr`.
fn holds(spec: &HostSpec, addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => spec.ip == Some(a),
        IpAddr::V6(a) => spec.ip6 == Some(a) || spec.ip6_global == Some(a),
    }
}

/// The source and destination of an IP packet (no link header).
fn ip_addresses(packet: &[u8]) -> Option<(IpAddr, IpAddr)> {
    match packet.first()? >> 4 {
        4 => Ipv4Repr::parse(packet)
            .ok()
            .map(|(h, _)| (IpAddr::V4(h.src), IpAddr::V4(h.dst))),
        6 => Ipv6Repr::parse(packet)
            .ok()
            .map(|(h, _)| (IpAddr::V6(h.src), IpAddr::V6(h.dst))),
        _ => None,
    }
}

impl Lan {
    /// Adds a router; returns its index.
    pub fn add_router(&mut self, spec: RouterSpec) -> usize {
        self.routers.push(Router::new(spec));
        self.routers.len() - 1
    }

    /// Every router, in the order added.
    pub fn routers(&self) -> &[Router] {
        &self.routers
    }

    /// The segment `from` sends on (`None`: every segment).
    pub(super) fn segment_of(&self, from: Sender) -> Option<usize> {
        match from {
            Sender::Host(i) => self.hosts.get(i).map(|h| h.spec.segment),
            Sender::Router(_) | Sender::Client(_) | Sender::Attacker => None,
        }
    }

    /// The MAC on `segment` that a packet to `dst` goes to first: the host
    /// that has `dst`, else a router interface on the segment.
    fn next_hop(&self, segment: usize, dst: IpAddr) -> Option<MacAddr> {
        let host = self
            .hosts
            .iter()
            .find(|h| h.spec.segment == segment && holds(&h.spec, dst))
            .map(|h| h.spec.mac);
        host.or_else(|| {
            self.routers
                .iter()
                .flat_map(|r| r.spec.interfaces.iter())
                .find(|i| i.segment == segment)
                .map(|i| i.mac)
        })
    }

    /// Frames the IP packets host `i` sent through `transmit_ip` towards
    /// their next hop on its segment; a packet with none is lost, as one
    /// without a route or neighbour would be.
    pub(super) fn frame_ip_packets(&self, i: usize, packets: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        let Some(spec) = self.hosts.get(i).map(|h| &h.spec) else {
            return Vec::new();
        };
        packets
            .into_iter()
            .filter_map(|packet| {
                let (_, dst) = ip_addresses(&packet)?;
                let mac = self.next_hop(spec.segment, dst)?;
                ip_frame(spec, mac, &packet)
            })
            .collect()
    }

    /// Router `r`'s interface `at` received `bytes`: forward a unicast
    /// packet addressed to its MAC to the segment of its destination.
    pub(super) fn route(&mut self, r: usize, at: usize, bytes: &[u8]) {
        let Some(iface) = self
            .routers
            .get(r)
            .and_then(|x| x.spec.interfaces.get(at))
            .cloned()
        else {
            return;
        };
        let link = carp_ifnet::lladdr::LinkType::Ethernet;
        let Ok(parsed) = frame::parse(link, bytes) else {
            return;
        };
        if parsed.dst != iface.mac {
            return;
        }
        let mut packet = match parsed.body {
            Body::Ipv4 { .. } | Body::Ipv6 { .. } => bytes
                .get(frame::link_header_len(link)..)
                .unwrap_or(&[])
                .to_vec(),
            _ => return,
        };
        let Some((_, dst)) = ip_addresses(&packet) else {
            return;
        };
        let out = self
            .hosts
            .iter()
            .find(|h| holds(&h.spec, dst) && h.spec.segment != iface.segment)
            .map(|h| (h.spec.segment, h.spec.mac));
        let Some((segment, dst_mac)) = out else {
            return;
        };
        let Some(out_if) = self.routers.get(r).and_then(|x| {
            x.spec
                .interfaces
                .iter()
                .find(|i| i.segment == segment)
                .cloned()
        }) else {
            return;
        };
        let Some(router) = self.routers.get_mut(r) else {
            return;
        };
        if !decrement_ttl(&mut packet) {
            router.expired += 1;
            return;
        }
        router.forwarded += 1;
        let mut frame_bytes = Vec::with_capacity(14 + packet.len());
        frame_bytes.extend_from_slice(&dst_mac.octets());
        frame_bytes.extend_from_slice(&out_if.mac.octets());
        let ethertype: u16 = if packet.first().map(|b| b >> 4) == Some(4) {
            frame::ETHERTYPE_IPV4
        } else {
            frame::ETHERTYPE_IPV6
        };
        frame_bytes.extend_from_slice(&ethertype.to_be_bytes());
        frame_bytes.extend_from_slice(&packet);
        self.transmit_on(Sender::Router(r), Some(segment), frame_bytes);
    }
}

/// An Ethernet frame of `packet` from `spec`'s MAC to `mac`.
fn ip_frame(spec: &HostSpec, mac: MacAddr, packet: &[u8]) -> Option<Vec<u8>> {
    let ethertype = match packet.first()? >> 4 {
        4 => frame::ETHERTYPE_IPV4,
        6 => frame::ETHERTYPE_IPV6,
        _ => return None,
    };
    let mut out = vec![0u8; frame::MAX_LINK_HEADER_LEN + packet.len()];
    let n = frame::emit_frame(spec.link, mac, spec.mac, ethertype, packet, &mut out).ok()?;
    out.truncate(n);
    Some(out)
}

/// Lowers the TTL (IPv4, fixing the header checksum) or hop limit (IPv6)
/// by one; false when it would reach 0 (the packet dies here).
fn decrement_ttl(packet: &mut [u8]) -> bool {
    match packet.first().map(|b| b >> 4) {
        Some(4) => {
            let ihl = usize::from(packet.first().copied().unwrap_or(0) & 0x0f) * 4;
            match packet.get(8).copied() {
                Some(ttl) if ttl > 1 => {
                    packet[8] = ttl - 1;
                    packet[10] = 0;
                    packet[11] = 0;
                    let sum = carp_core::wire::checksum(packet.get(..ihl).unwrap_or(&[]));
                    packet[10..12].copy_from_slice(&sum.to_be_bytes());
                    true
                }
                _ => false,
            }
        }
        Some(6) => match packet.get(7).copied() {
            Some(hops) if hops > 1 => {
                packet[7] = hops - 1;
                true
            }
            _ => false,
        },
        _ => false,
    }
}
