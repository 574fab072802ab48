//! The kernel's notifications: a netlink socket subscribed to link,
//! address and IPv6 devconf changes, and its messages parsed into
//! [`Notice`]s (acted on by [`crate::links`]).

use std::io;

use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

use crate::netlink::{snapshot, LinkInfoSnapshot};

/// rtnetlink multicast groups (`RTMGRP_*` bits) for the monitor socket:
/// links, addresses, and IPv6 devconf changes (`RTNLGRP_IPV6_NETCONF`, 25,
/// for the forwarding setting behind the NA router flag).
const RTMGRP_LINK: u32 = 0x1;
const RTMGRP_IPV4_IFADDR: u32 = 0x10;
const RTMGRP_IPV6_IFADDR: u32 = 0x100;
const RTMGRP_IPV6_NETCONF: u32 = 1 << (25 - 1);

/// Message types the monitor parses by hand (netlink-packet-route does not
/// know `RTM_NEWNETCONF`).
const RTM_NEWLINK: u16 = 16;
const RTM_DELLINK: u16 = 17;
const RTM_NEWADDR: u16 = 20;
const RTM_DELADDR: u16 = 21;
const RTM_NEWNETCONF: u16 = 80;

/// One notification of the monitor socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A link appeared or changed (state, name, MAC, MTU).
    Link(LinkInfoSnapshot),
    /// The link with this index is gone.
    LinkGone(u32),
    /// An address was added to or removed from the link with this index.
    Address(u32),
    /// A device configuration (IPv6 forwarding) changed.
    Netconf,
}

/// Opens a socket subscribed to link and address changes (its fd goes
/// into carpd's poll set).
///
/// # Errors
/// Socket creation or bind.
pub fn open() -> io::Result<Socket> {
    let mut socket = Socket::new(NETLINK_ROUTE)?;
    socket.bind(&SocketAddr::new(
        0,
        RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV6_NETCONF,
    ))?;
    socket.set_non_blocking(true)?;
    // A burst (a bridge with many ports going down) must not overrun
    // it; an overrun (ENOBUFS) is still handled by a full re-read.
    let _ = socket.set_rx_buf_sz(1 << 20);
    Ok(socket)
}

/// Parses the messages of one monitor read, in order. Messages it cannot
/// parse are skipped by their length; a netconf message of any kind is
/// reported as [`Notice::Netconf`].
pub fn parse_monitor(bytes: &[u8]) -> Vec<Notice> {
    let mut notices = Vec::new();
    let mut offset = 0;
    // nlmsghdr: u32 length, u16 type, u16 flags, u32 seq, u32 pid.
    while let Some(header) = bytes.get(offset..offset + 16) {
        let len = u32::from_ne_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind = u16::from_ne_bytes([header[4], header[5]]);
        let Some(message) = bytes.get(offset..offset + len).filter(|_| len >= 16) else {
            break;
        };
        match kind {
            RTM_NEWNETCONF => notices.push(Notice::Netconf),
            RTM_NEWLINK | RTM_DELLINK | RTM_NEWADDR | RTM_DELADDR => {
                if let Ok(msg) = NetlinkMessage::<RouteNetlinkMessage>::deserialize(message) {
                    notices.extend(notice(&msg.payload));
                }
            }
            _ => {}
        }
        // Messages are aligned to 4 bytes.
        offset += (len + 3) & !3;
    }
    notices
}

fn notice(payload: &NetlinkPayload<RouteNetlinkMessage>) -> Option<Notice> {
    let NetlinkPayload::InnerMessage(msg) = payload else {
        return None;
    };
    Some(match msg {
        RouteNetlinkMessage::NewLink(l) => Notice::Link(snapshot(l)),
        RouteNetlinkMessage::DelLink(l) => Notice::LinkGone(l.header.index),
        RouteNetlinkMessage::NewAddress(a) | RouteNetlinkMessage::DelAddress(a) => {
            Notice::Address(a.header.index)
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_core::NetlinkHeader;
    use netlink_packet_route::address::AddressMessage;
    use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};

    fn wire(msg: RouteNetlinkMessage) -> Vec<u8> {
        let mut packet = NetlinkMessage::new(NetlinkHeader::default(), NetlinkPayload::from(msg));
        packet.finalize();
        let mut buf = vec![0; packet.buffer_len()];
        packet.serialize(&mut buf);
        buf
    }

    #[test]
    fn monitor_notices_come_in_order_and_unknown_messages_are_skipped() {
        let mut link = LinkMessage::default();
        link.header.index = 7;
        link.header.flags = LinkFlags::Up | LinkFlags::Running;
        link.attributes.push(LinkAttribute::IfName("lan0".into()));
        link.attributes.push(LinkAttribute::Mtu(9000));
        let mut bytes = wire(RouteNetlinkMessage::NewLink(link));
        // RTM_NEWNETCONF, which netlink-packet-route cannot parse: a
        // header and an 8-byte body.
        let mut netconf = vec![0u8; 24];
        netconf[..4].copy_from_slice(&24u32.to_ne_bytes());
        netconf[4..6].copy_from_slice(&RTM_NEWNETCONF.to_ne_bytes());
        bytes.extend(netconf);
        let mut gone = LinkMessage::default();
        gone.header.index = 7;
        bytes.extend(wire(RouteNetlinkMessage::DelLink(gone)));
        let mut addr = AddressMessage::default();
        addr.header.index = 3;
        bytes.extend(wire(RouteNetlinkMessage::NewAddress(addr)));
        let notices = parse_monitor(&bytes);
        assert_eq!(notices.len(), 4, "{notices:?}");
        match &notices[0] {
            Notice::Link(s) => {
                assert_eq!(
                    (s.index, s.name.as_str(), s.mtu, s.running),
                    (7, "lan0", 9000, true)
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            notices[1..],
            [Notice::Netconf, Notice::LinkGone(7), Notice::Address(3)]
        );
        // A truncated tail is ignored, never read past.
        assert_eq!(parse_monitor(&bytes[..bytes.len() - 3]).len(), 3);
        assert!(parse_monitor(&[0xff; 10]).is_empty());
    }
}
