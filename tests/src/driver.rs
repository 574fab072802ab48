//! A recording NIC for cross-crate tests: what `CarpIf::poll` transmits is
//! kept, in order, for the test to deliver, inspect or write to a pcap; its
//! description ([`RecordingDriver::parent`]) is what `CarpIf::new` takes.

use std::net::{Ipv4Addr, Ipv6Addr};

use carp_ifnet::driver::{Driver, LinkState, ParentInfo, TxError};
use carp_ifnet::lladdr::{LinkType, MacAddr};

/// An in-memory parent interface.
#[derive(Debug, Clone)]
pub struct RecordingDriver {
    /// Link type of the parent.
    pub link: LinkType,
    /// The parent's own MAC.
    pub mac: MacAddr,
    /// The parent's IPv4 address (source of IPv4 adverts).
    pub ipv4: Option<Ipv4Addr>,
    /// The parent's link-local IPv6 address (source of IPv6 adverts).
    pub ipv6: Option<Ipv6Addr>,
    /// Link state the test reports to carp (`CarpIf::set_link`).
    pub up: bool,
    /// When set, every transmit fails with it.
    pub fail: Option<TxError>,
    /// Frames transmitted, oldest first.
    pub sent: Vec<Vec<u8>>,
    /// Multicast MACs joined (a group joined twice is listed twice).
    pub groups: Vec<MacAddr>,
    /// Unicast MACs accepted besides the parent's own.
    pub unicast: Vec<MacAddr>,
    /// IP packets handed to `transmit_ip` (adverts to a unicast peer),
    /// oldest first.
    pub ip_sent: Vec<Vec<u8>>,
}

impl RecordingDriver {
    /// Host `n` of 192.0.2.0/24 on Ethernet: MAC 02:00:00:00:00:n,
    /// 192.0.2.n, fe80::n.
    pub fn host(n: u8) -> RecordingDriver {
        RecordingDriver::on(LinkType::Ethernet, n)
    }

    /// Host `n` on the given link type.
    pub fn on(link: LinkType, n: u8) -> RecordingDriver {
        RecordingDriver {
            link,
            mac: MacAddr([0x02, 0, 0, 0, 0, n]),
            ipv4: Some(Ipv4Addr::new(192, 0, 2, n)),
            ipv6: Some(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, u16::from(n))),
            up: true,
            fail: None,
            sent: Vec::new(),
            groups: Vec::new(),
            unicast: Vec::new(),
            ip_sent: Vec::new(),
        }
    }

    /// The parent this NIC is, for `CarpIf::new` and `CarpIf::set_parent`.
    pub fn parent(&self) -> ParentInfo {
        ParentInfo {
            link: self.link,
            hw_addr: self.mac,
            mtu: 1500,
            ipv4: self.ipv4,
            ipv6_link_local: self.ipv6,
            ipv6: None,
            router: false,
        }
    }

    /// Its link state.
    pub fn link_state(&self) -> LinkState {
        LinkState::from_up(self.up)
    }

    /// Takes the frames sent so far.
    pub fn take(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.sent)
    }
}

impl Driver for RecordingDriver {
    fn transmit(&mut self, frame: &[u8]) -> Result<(), TxError> {
        match self.fail {
            Some(e) => Err(e),
            None => {
                self.sent.push(frame.to_vec());
                Ok(())
            }
        }
    }
    fn join_multicast(&mut self, mac: MacAddr) -> Result<(), TxError> {
        self.groups.push(mac);
        Ok(())
    }
    fn leave_multicast(&mut self, mac: MacAddr) -> Result<(), TxError> {
        if let Some(at) = self.groups.iter().position(|g| *g == mac) {
            self.groups.remove(at);
        }
        Ok(())
    }
    fn set_unicast_filter(&mut self, mac: MacAddr, accept: bool) -> Result<(), TxError> {
        if accept {
            self.unicast.push(mac);
        } else {
            self.unicast.retain(|m| *m != mac);
        }
        Ok(())
    }
    fn transmit_ip(&mut self, packet: &[u8]) -> Result<(), TxError> {
        match self.fail {
            Some(e) => Err(e),
            None => {
                self.ip_sent.push(packet.to_vec());
                Ok(())
            }
        }
    }
}
