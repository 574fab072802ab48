//! rtnetlink, synchronously: what carpd asks the kernel about links and
//! addresses, and the changes it makes (the kernel's own notifications are
//! [`crate::monitor`]'s).
//!
//! Linux drops IP packets sent to a MAC address its interface does not own,
//! so a master that answers ARP with the virtual MAC (as CARP does) must own
//! that MAC somewhere. carpd gives each vhid a macvlan on the parent carrying
//! the virtual MAC (see [`crate::vmac`] for names, ownership and life), the
//! same shape as keepalived's `use_vmac`.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL,
    NLM_F_REQUEST,
};
use netlink_packet_route::address::{AddressAttribute, AddressFlags, AddressMessage};
use netlink_packet_route::link::{
    AfSpecInet6, AfSpecUnspec, In6AddrGenMode, InfoKind, InfoMacVlan, LinkAttribute, LinkFlags,
    LinkInfo, LinkMessage, MacVlanMode,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

use crate::macvlan;

/// What carpd needs to know about a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkInfoSnapshot {
    /// Interface index.
    pub index: u32,
    /// Interface name.
    pub name: String,
    /// Hardware address.
    pub mac: [u8; 6],
    /// MTU.
    pub mtu: u32,
    /// Administratively up and carrier present (`IFF_UP` and `IFF_RUNNING`).
    pub running: bool,
    /// Administratively up (`IFF_UP`), carrier or not.
    pub admin_up: bool,
    /// A macvlan.
    pub macvlan: bool,
    /// The lower interface (`IFLA_LINK`), for a macvlan or VLAN.
    pub lower: Option<u32>,
    /// The link's alias (`IFLA_IFALIAS`, `ip link set dev X alias ...`).
    pub alias: Option<String>,
}

/// A synchronous rtnetlink request socket.
#[derive(Debug)]
pub struct Netlink {
    socket: Socket,
    seq: u32,
}

fn other(msg: impl Into<String>) -> io::Error {
    io::Error::other(msg.into())
}

impl Netlink {
    /// Opens a request socket.
    ///
    /// # Errors
    /// Socket creation.
    pub fn open() -> io::Result<Netlink> {
        let mut socket = Socket::new(NETLINK_ROUTE)?;
        socket.bind_auto()?;
        socket.connect(&SocketAddr::new(0, 0))?;
        Ok(Netlink { socket, seq: 0 })
    }

    /// Sends `msg` with `flags` and collects the replies until the dump ends
    /// or the ACK arrives.
    fn request(
        &mut self,
        msg: RouteNetlinkMessage,
        flags: u16,
    ) -> io::Result<Vec<RouteNetlinkMessage>> {
        self.seq = self.seq.wrapping_add(1);
        let mut packet = NetlinkMessage::new(NetlinkHeader::default(), NetlinkPayload::from(msg));
        packet.header.flags = NLM_F_REQUEST | flags;
        packet.header.sequence_number = self.seq;
        packet.finalize();
        let mut buf = vec![0; packet.buffer_len()];
        packet.serialize(&mut buf);
        self.socket.send(&buf, 0)?;
        let mut replies = Vec::new();
        let mut rx = vec![0u8; 65536];
        // Bounded: a dump of a namespace's links or addresses is small.
        for _ in 0..10_000 {
            let size = self.socket.recv(&mut &mut rx[..], 0)?;
            let mut offset = 0;
            while offset < size {
                let bytes = rx.get(offset..size).unwrap_or(&[]);
                let msg: NetlinkMessage<RouteNetlinkMessage> =
                    NetlinkMessage::deserialize(bytes).map_err(|e| other(e.to_string()))?;
                let len = msg.header.length as usize;
                if msg.header.sequence_number == self.seq {
                    match msg.payload {
                        NetlinkPayload::Done(_) => return Ok(replies),
                        NetlinkPayload::Error(e) => {
                            return match e.code {
                                None => Ok(replies),
                                Some(code) => Err(io::Error::from_raw_os_error(-code.get())),
                            };
                        }
                        NetlinkPayload::InnerMessage(m) => replies.push(m),
                        _ => {}
                    }
                }
                if len == 0 {
                    break;
                }
                offset += len;
            }
        }
        Err(other("netlink: no end of reply"))
    }

    /// Index, MAC, MTU and state of the interface called `name`.
    ///
    /// # Errors
    /// No such interface, or netlink failure.
    pub fn link_by_name(&mut self, name: &str) -> io::Result<LinkInfoSnapshot> {
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.to_owned()));
        let replies = self.request(RouteNetlinkMessage::GetLink(msg), NLM_F_ACK)?;
        replies
            .into_iter()
            .find_map(|m| match m {
                RouteNetlinkMessage::NewLink(link) => Some(snapshot(&link)),
                _ => None,
            })
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no interface {name}")))
    }

    /// Every link of the namespace.
    ///
    /// # Errors
    /// Netlink failure.
    pub fn links(&mut self) -> io::Result<Vec<LinkInfoSnapshot>> {
        let replies = self.request(
            RouteNetlinkMessage::GetLink(LinkMessage::default()),
            NLM_F_DUMP,
        )?;
        Ok(replies
            .iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewLink(link) => Some(snapshot(link)),
                _ => None,
            })
            .collect())
    }

    /// Every address on interface `index`, with its prefix length.
    ///
    /// # Errors
    /// Netlink failure.
    pub fn addresses(&mut self, index: u32) -> io::Result<Vec<(IpAddr, u8)>> {
        let replies = self.request(
            RouteNetlinkMessage::GetAddress(AddressMessage::default()),
            NLM_F_DUMP,
        )?;
        let mut out = Vec::new();
        for reply in replies {
            let RouteNetlinkMessage::NewAddress(a) = reply else {
                continue;
            };
            if a.header.index != index {
                continue;
            }
            let addr = a.attributes.iter().find_map(|attr| match attr {
                AddressAttribute::Local(ip) => Some(*ip),
                _ => None,
            });
            let addr = addr.or_else(|| {
                a.attributes.iter().find_map(|attr| match attr {
                    AddressAttribute::Address(ip) => Some(*ip),
                    _ => None,
                })
            });
            if let Some(addr) = addr {
                out.push((addr, a.header.prefix_len));
            }
        }
        Ok(out)
    }

    /// Adds `addr/prefix_len` to interface `index`, for IPv6 without DAD
    /// (the election already decided who owns it). With `route_metric` the
    /// kernel adds the prefix route with that metric (`IFA_RT_PRIORITY`);
    /// without, no prefix route (the parent's serves). Already present is
    /// fine.
    ///
    /// # Errors
    /// Netlink failure.
    pub fn add_address(
        &mut self,
        index: u32,
        addr: IpAddr,
        prefix_len: u8,
        route_metric: Option<u32>,
    ) -> io::Result<()> {
        let mut msg = address_message(index, addr, prefix_len);
        if let Some(metric) = route_metric {
            for attr in &mut msg.attributes {
                if let AddressAttribute::Flags(flags) = attr {
                    flags.remove(AddressFlags::Noprefixroute);
                }
            }
            msg.attributes.push(AddressAttribute::RoutePriority(metric));
        }
        match self.request(
            RouteNetlinkMessage::NewAddress(msg),
            NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        ) {
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => Ok(()),
            other => other.map(drop),
        }
    }

    /// Removes `addr` from interface `index`. Already gone is fine.
    ///
    /// # Errors
    /// Netlink failure.
    pub fn del_address(&mut self, index: u32, addr: IpAddr, prefix_len: u8) -> io::Result<()> {
        let msg = address_message(index, addr, prefix_len);
        match self.request(RouteNetlinkMessage::DelAddress(msg), NLM_F_ACK) {
            Err(e) if e.raw_os_error() == Some(libc::EADDRNOTAVAIL) => Ok(()),
            other => other.map(drop),
        }
    }

    /// Creates (or takes back) the macvlan `name` on `parent` with `mac`,
    /// left down, with no IPv6 link-local address of its own and `alias`
    /// recording who owns it. An existing link of that name is taken back
    /// only when `ours` says its alias is ours; any other is left alone and
    /// refused. Returns its index.
    ///
    /// # Errors
    /// Netlink failure, or [`io::ErrorKind::AlreadyExists`] for a link of
    /// that name carpd did not create.
    pub fn ensure_macvlan(
        &mut self,
        parent: u32,
        name: &str,
        mac: [u8; 6],
        alias: &str,
        ours: impl Fn(&LinkInfoSnapshot) -> bool,
    ) -> io::Result<u32> {
        if let Ok(existing) = self.link_by_name(name) {
            if !ours(&existing) {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{name} exists and is not carpd's: left alone"),
                ));
            }
            if existing.mac == mac && existing.lower == Some(parent) {
                self.set_up(existing.index, false)?;
                self.set_alias(existing.index, alias)?;
                self.quiet_broadcast_queue(existing.index, name);
                return Ok(existing.index);
            }
            self.delete_link(existing.index)?;
        }
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.to_owned()));
        msg.attributes.push(LinkAttribute::Link(parent));
        msg.attributes.push(LinkAttribute::Address(mac.to_vec()));
        msg.attributes
            .push(macvlan::cutoff_link_info(Some(InfoMacVlan::Mode(
                MacVlanMode::Private,
            ))));
        self.request(
            RouteNetlinkMessage::NewLink(msg),
            NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        )?;
        let index = self.link_by_name(name)?.index;
        // Linux ignores IFLA_IFALIAS in a creating RTM_NEWLINK: set it now.
        // Until it is set the link is not marked ours; should that fail,
        // carpd deletes it now rather than leave an unmarked macvlan.
        if let Err(e) = self.set_alias(index, alias) {
            let _ = self.delete_link(index);
            return Err(e);
        }
        self.quiet_broadcast_queue(index, name);
        // Without this the macvlan would grow the same fe80:: address on
        // every host of the vhid (it is derived from the shared MAC).
        let mut gen = LinkMessage::default();
        gen.header.index = index;
        gen.attributes
            .push(LinkAttribute::AfSpecUnspec(vec![AfSpecUnspec::Inet6(
                vec![AfSpecInet6::AddrGenMode(In6AddrGenMode::None)],
            )]));
        let _ = self.request(RouteNetlinkMessage::SetLink(gen), NLM_F_ACK);
        Ok(index)
    }

    /// Sets the macvlan port's broadcast cutoff to -1 (no kworker for
    /// broadcast and multicast, see [`macvlan`]) on macvlan `index` and
    /// reads it back; prints once per macvlan when the kernel kept the
    /// queue. A failure here never fails the macvlan.
    pub fn quiet_broadcast_queue(&mut self, index: u32, name: &str) -> macvlan::BroadcastQueue {
        let set = self.request(
            RouteNetlinkMessage::NewLink(macvlan::set_cutoff_message(index)),
            NLM_F_ACK,
        );
        if let Err(e) = &set {
            if !macvlan::is_unsupported(e) {
                log::warn!(target: "carpd", "{name}: bc_cutoff: {e}");
            }
        }
        let mut get = LinkMessage::default();
        get.header.index = index;
        let queue = match self.request(RouteNetlinkMessage::GetLink(get), NLM_F_ACK) {
            Ok(replies) => replies
                .iter()
                .find_map(|m| match m {
                    RouteNetlinkMessage::NewLink(link) => Some(macvlan::broadcast_queue(link)),
                    _ => None,
                })
                .unwrap_or(macvlan::BroadcastQueue::Kept { cutoff: None }),
            Err(_) => macvlan::BroadcastQueue::Kept { cutoff: None },
        };
        if let Some(warning) = macvlan::warning(name, queue) {
            log::warn!(target: "carpd", "{warning}");
        }
        queue
    }

    /// Sets the alias of interface `index`.
    ///
    /// # Errors
    /// Netlink failure.
    pub fn set_alias(&mut self, index: u32, alias: &str) -> io::Result<()> {
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        msg.attributes
            .push(LinkAttribute::IfAlias(alias.to_owned()));
        self.request(RouteNetlinkMessage::SetLink(msg), NLM_F_ACK)
            .map(drop)
    }

    /// Brings interface `index` up or down.
    ///
    /// # Errors
    /// Netlink failure.
    pub fn set_up(&mut self, index: u32, up: bool) -> io::Result<()> {
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        msg.header.change_mask = LinkFlags::Up;
        if up {
            msg.header.flags = LinkFlags::Up;
        }
        self.request(RouteNetlinkMessage::SetLink(msg), NLM_F_ACK)
            .map(drop)
    }

    /// Deletes interface `index`.
    ///
    /// # Errors
    /// Netlink failure.
    pub fn delete_link(&mut self, index: u32) -> io::Result<()> {
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        self.request(RouteNetlinkMessage::DelLink(msg), NLM_F_ACK)
            .map(drop)
    }
}

fn address_message(index: u32, addr: IpAddr, prefix_len: u8) -> AddressMessage {
    let mut msg = AddressMessage::default();
    msg.header.index = index;
    msg.header.prefix_len = prefix_len;
    let mut flags = AddressFlags::Noprefixroute;
    match addr {
        IpAddr::V4(a) => {
            msg.header.family = AddressFamily::Inet;
            msg.attributes.push(AddressAttribute::Local(addr));
            msg.attributes.push(AddressAttribute::Address(addr));
            if prefix_len < 31 {
                msg.attributes
                    .push(AddressAttribute::Broadcast(broadcast(a, prefix_len)));
            }
        }
        IpAddr::V6(_) => {
            msg.header.family = AddressFamily::Inet6;
            msg.attributes.push(AddressAttribute::Address(addr));
            flags |= AddressFlags::Nodad;
        }
    }
    msg.attributes.push(AddressAttribute::Flags(flags));
    msg
}

fn broadcast(addr: Ipv4Addr, prefix_len: u8) -> Ipv4Addr {
    let host_bits = 32u32.saturating_sub(u32::from(prefix_len));
    let mask = u32::MAX.checked_shr(32 - host_bits).unwrap_or(0);
    let mask = if host_bits == 0 { 0 } else { mask };
    Ipv4Addr::from(u32::from(addr) | mask)
}

pub(crate) fn snapshot(link: &LinkMessage) -> LinkInfoSnapshot {
    let mut mac = [0u8; 6];
    let mut mtu = 1500;
    let mut name = String::new();
    let mut macvlan = false;
    let mut lower = None;
    let mut alias = None;
    for attr in &link.attributes {
        match attr {
            LinkAttribute::Address(a) if a.len() == 6 => mac.copy_from_slice(a),
            LinkAttribute::Mtu(m) => mtu = *m,
            LinkAttribute::IfName(n) => name.clone_from(n),
            LinkAttribute::Link(l) => lower = Some(*l),
            LinkAttribute::IfAlias(a) => alias = Some(a.clone()),
            LinkAttribute::LinkInfo(infos) => {
                macvlan |= infos
                    .iter()
                    .any(|i| matches!(i, LinkInfo::Kind(InfoKind::MacVlan)));
            }
            _ => {}
        }
    }
    let flags = link.header.flags;
    LinkInfoSnapshot {
        index: link.header.index,
        name,
        mac,
        mtu,
        running: flags.contains(LinkFlags::Up) && flags.contains(LinkFlags::Running),
        admin_up: flags.contains(LinkFlags::Up),
        macvlan,
        lower,
        alias,
    }
}

/// The first IPv4 address and the first IPv6 link-local address in `addrs`.
pub fn pick_sources(addrs: &[(IpAddr, u8)]) -> (Option<Ipv4Addr>, Option<Ipv6Addr>) {
    let v4 = addrs.iter().find_map(|(a, _)| match a {
        IpAddr::V4(v4) => Some(*v4),
        IpAddr::V6(_) => None,
    });
    let v6 = addrs.iter().find_map(|(a, _)| match a {
        IpAddr::V6(v6) if v6.segments().first() == Some(&0xfe80) => Some(*v6),
        _ => None,
    });
    (v4, v6)
}

/// The first global (or unique-local) IPv6 address in `addrs`: the
/// source of IPv6 adverts to a unicast peer that is not link-local
/// (FreeBSD's `carp_best_ifa` takes the parent's preferred address).
/// Virtual addresses live on the vhids' macvlans, never on the parent.
pub fn pick_global_v6(addrs: &[(IpAddr, u8)]) -> Option<Ipv6Addr> {
    addrs.iter().find_map(|(a, _)| match a {
        IpAddr::V6(v6)
            if !v6.is_unicast_link_local()
                && !v6.is_multicast()
                && !v6.is_loopback()
                && !v6.is_unspecified() =>
        {
            Some(*v6)
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_first_global_ipv6_for_unicast_peers() {
        let addrs = [
            ("fe80::1".parse().unwrap(), 64),
            ("192.0.2.11".parse().unwrap(), 24),
            ("2001:db8:1::11".parse().unwrap(), 64),
            ("2001:db8:2::11".parse().unwrap(), 64),
        ];
        assert_eq!(
            pick_global_v6(&addrs),
            Some("2001:db8:1::11".parse().unwrap())
        );
        assert_eq!(pick_global_v6(&addrs[..2]), None);
    }

    #[test]
    fn broadcast_of_a_slash_24_ends_in_255() {
        let a = Ipv4Addr::new(192, 0, 2, 100);
        assert_eq!(broadcast(a, 24), Ipv4Addr::new(192, 0, 2, 255));
        assert_eq!(broadcast(a, 32), a);
        assert_eq!(broadcast(a, 30), Ipv4Addr::new(192, 0, 2, 103));
    }

    #[test]
    fn picks_the_first_ipv4_and_the_link_local_ipv6() {
        let addrs = [
            ("2001:db8::11".parse().unwrap(), 64),
            ("192.0.2.11".parse().unwrap(), 24),
            ("fe80::1".parse().unwrap(), 64),
        ];
        assert_eq!(
            pick_sources(&addrs),
            (
                Some(Ipv4Addr::new(192, 0, 2, 11)),
                Some("fe80::1".parse().unwrap())
            )
        );
    }
}
