//! [`LinuxDriver`]: the carp-ifnet [`Driver`] over an AF_PACKET socket.

use std::net::{Ipv4Addr, Ipv6Addr};

use carp_ifnet::driver::{Driver, LinkState, TxError};
use carp_ifnet::lladdr::{LinkType, MacAddr};

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
    /// Frames handed to the socket.
    pub frames_sent: u64,
}

impl Driver for LinuxDriver {
    fn link_type(&self) -> LinkType {
        LinkType::Ethernet
    }

    fn hw_addr(&self) -> MacAddr {
        MacAddr(self.mac)
    }

    fn mtu(&self) -> usize {
        usize::try_from(self.mtu).unwrap_or(1500)
    }

    fn link_state(&self) -> LinkState {
        if self.link_up {
            LinkState::Up
        } else {
            LinkState::Down
        }
    }

    fn ipv4_addr(&self) -> Option<Ipv4Addr> {
        self.ipv4
    }

    fn ipv6_link_local(&self) -> Option<Ipv6Addr> {
        self.ipv6_link_local
    }

    fn transmit(&mut self, frame: &[u8]) -> Result<(), TxError> {
        if frame.len() > self.mtu() + 14 {
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
