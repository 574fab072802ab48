//! [`LinuxDriver`]: the carp-ifnet [`Driver`] over an AF_PACKET socket.

use std::net::{Ipv4Addr, Ipv6Addr};

use carp_ifnet::driver::{Driver, LinkState, ParentInfo, TxError};
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
            ipv6: None,
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
