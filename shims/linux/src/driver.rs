//! [`LinuxDriver`]: the carp-ifnet [`Driver`] over an AF_PACKET socket
//! (multicast adverts, ARP, ND: whole frames) and the parent's raw IP
//! sockets (adverts to unicast peers, through the host's routing:
//! [`crate::ip_send`]).

use std::net::{Ipv4Addr, Ipv6Addr};

use carp_ifnet::driver::{Driver, LinkState, ParentInfo, TxError};
use carp_ifnet::lladdr::{LinkType, MacAddr};

use crate::ip_send::{ipv4_destination, ipv6_destination, IpSender};
use crate::packet::PacketSocket;

/// One Ethernet parent interface as carp sees it.
#[derive(Debug)]
pub struct LinuxDriver {
    /// The filtered packet socket on the parent.
    pub socket: PacketSocket,
    /// The parent's MAC.
    pub mac: [u8; 6],
    /// The parent's MTU.
    pub mtu: u32,
    /// Carrier and admin state.
    pub link_up: bool,
    /// Source of IPv4 adverts (`--srcip`, or the parent's first IPv4).
    pub ipv4: Option<Ipv4Addr>,
    /// Source of IPv6 adverts (the parent's link-local address).
    pub ipv6_link_local: Option<Ipv6Addr>,
    /// Source of IPv6 adverts to a unicast peer that is not link-local
    /// (the parent's first global or unique-local address).
    pub ipv6: Option<Ipv6Addr>,
    /// The raw IP sockets unicast adverts leave through.
    pub ip: IpSender,
    /// Packets handed to the IP sockets.
    pub ip_sent: u64,
    /// The last refusal of a unicast send, logged once until a send works.
    pub ip_error: Option<TxError>,
    /// The host forwards IPv6 on this parent: NAs carry the router flag.
    pub router: bool,
    /// Frames handed to the socket.
    pub frames_sent: u64,
}

impl LinuxDriver {
    /// The parent as carp needs it described.
    pub fn parent_info(&self) -> ParentInfo {
        ParentInfo {
            link: LinkType::Ethernet,
            hw_addr: MacAddr(self.mac),
            mtu: usize::try_from(self.mtu).unwrap_or(1500),
            ipv4: self.ipv4,
            ipv6_link_local: self.ipv6_link_local,
            ipv6: self.ipv6,
            router: self.router,
        }
    }

    /// Its link state.
    pub fn link_state(&self) -> LinkState {
        LinkState::from_up(self.link_up)
    }
}

impl Driver for LinuxDriver {
    fn transmit(&mut self, frame: &[u8]) -> Result<(), TxError> {
        if frame.len() > usize::try_from(self.mtu).unwrap_or(1500) + 14 {
            return Err(TxError::TooLong { len: frame.len() });
        }
        match self.socket.send(frame) {
            Ok(()) => {
                self.frames_sent += 1;
                Ok(())
            }
            Err(e) => Err(match e.raw_os_error() {
                Some(libc::ENOBUFS | libc::EAGAIN) => TxError::NoBuffers,
                Some(libc::ENETDOWN | libc::ENXIO) => TxError::LinkDown,
                _ => TxError::Other,
            }),
        }
    }

    /// Through the parent's raw IP sockets ([`crate::ip_send`]). A refusal
    /// is returned (carp-ifnet counts it as a send error) and logged once
    /// until a send succeeds again.
    fn transmit_ip(&mut self, packet: &[u8]) -> Result<(), TxError> {
        match self.ip.send(packet) {
            Ok(()) => {
                self.ip_sent += 1;
                if self.ip_error.take().is_some() {
                    log::info!(target: "carpd", "unicast adverts go out again");
                }
                Ok(())
            }
            Err(e) => {
                if self.ip_error != Some(e) {
                    let dst = match packet.first().map(|b| b >> 4) {
                        Some(6) => ipv6_destination(packet).map(|a| a.to_string()),
                        _ => ipv4_destination(packet).map(|a| a.to_string()),
                    };
                    log::warn!(target: "carpd", "unicast advert to {}: {e}",
                        dst.unwrap_or_default());
                }
                self.ip_error = Some(e);
                Err(e)
            }
        }
    }

    fn join_multicast(&mut self, mac: MacAddr) -> Result<(), TxError> {
        self.socket
            .membership(mac.octets(), true)
            .map_err(|_| TxError::Other)
    }

    fn leave_multicast(&mut self, mac: MacAddr) -> Result<(), TxError> {
        self.socket
            .membership(mac.octets(), false)
            .map_err(|_| TxError::Other)
    }
}
