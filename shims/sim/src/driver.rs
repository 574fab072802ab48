//! The in-memory parent interface each simulated host's `CarpIf` runs over.

use core::net::{Ipv4Addr, Ipv6Addr};

use carp_ifnet::driver::{Driver, LinkState, TxError};
use carp_ifnet::lladdr::{LinkType, MacAddr};

/// A parent interface whose "wire" is a queue the simulator empties after
/// every call into the host. Sends fail with [`TxError::LinkDown`] while the
/// link is down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimDriver {
    link: LinkType,
    mac: MacAddr,
    ipv4: Option<Ipv4Addr>,
    ipv6: Option<Ipv6Addr>,
    up: bool,
    outbox: Vec<Vec<u8>>,
    groups: Vec<MacAddr>,
}

impl SimDriver {
    /// A driver with these addresses, link up, nothing sent.
    pub fn new(
        link: LinkType,
        mac: MacAddr,
        ipv4: Option<Ipv4Addr>,
        ipv6: Option<Ipv6Addr>,
    ) -> SimDriver {
        SimDriver {
            link,
            mac,
            ipv4,
            ipv6,
            up: true,
            outbox: Vec::new(),
            groups: Vec::new(),
        }
    }

    /// Sets the carrier state the driver reports.
    pub fn set_up(&mut self, up: bool) {
        self.up = up;
    }

    /// Takes every frame sent since the last call, oldest first.
    pub fn take_sent(&mut self) -> Vec<Vec<u8>> {
        core::mem::take(&mut self.outbox)
    }

    /// The multicast groups joined.
    pub fn groups(&self) -> &[MacAddr] {
        &self.groups
    }
}

impl Driver for SimDriver {
    fn link_type(&self) -> LinkType {
        self.link
    }
    fn hw_addr(&self) -> MacAddr {
        self.mac
    }
    fn mtu(&self) -> usize {
        1500
    }
    fn link_state(&self) -> LinkState {
        if self.up {
            LinkState::Up
        } else {
            LinkState::Down
        }
    }
    fn ipv4_addr(&self) -> Option<Ipv4Addr> {
        self.ipv4
    }
    fn ipv6_link_local(&self) -> Option<Ipv6Addr> {
        self.ipv6
    }
    fn transmit(&mut self, frame: &[u8]) -> Result<(), TxError> {
        if !self.up {
            return Err(TxError::LinkDown);
        }
        self.outbox.push(frame.to_vec());
        Ok(())
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
}
