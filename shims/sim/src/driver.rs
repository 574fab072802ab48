//! The in-memory NIC each simulated host's `CarpIf` sends through (the
//! parent description is `HostSpec::parent`).

use carp_ifnet::driver::{Driver, TxError};
use carp_ifnet::lladdr::MacAddr;

/// The output side of a simulated NIC, whose "wire" is a queue the
/// simulator empties after every call into the host. Sends fail with
/// [`TxError::LinkDown`] while the link is down.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SimDriver {
    down: bool,
    outbox: Vec<Vec<u8>>,
    /// IP packets handed to `transmit_ip` (unicast adverts), framed by the
    /// simulator towards their next hop.
    ip_outbox: Vec<Vec<u8>>,
    groups: Vec<MacAddr>,
    unicast: Vec<MacAddr>,
}

impl SimDriver {
    /// A NIC with its link up, nothing sent.
    pub fn new() -> SimDriver {
        SimDriver::default()
    }

    /// Sets the carrier state (sends fail while down).
    pub fn set_up(&mut self, up: bool) {
        self.down = !up;
    }

    /// Takes every frame sent since the last call, oldest first.
    pub fn take_sent(&mut self) -> Vec<Vec<u8>> {
        core::mem::take(&mut self.outbox)
    }

    /// Takes every IP packet sent through `transmit_ip` since the last
    /// call, oldest first.
    pub fn take_sent_ip(&mut self) -> Vec<Vec<u8>> {
        core::mem::take(&mut self.ip_outbox)
    }

    /// The multicast groups joined (a group joined twice is listed twice).
    pub fn groups(&self) -> &[MacAddr] {
        &self.groups
    }

    /// The unicast MACs the NIC accepts besides its own (the virtual MACs
    /// of the vhids this host is master of).
    pub fn unicast(&self) -> &[MacAddr] {
        &self.unicast
    }
}

impl Driver for SimDriver {
    fn transmit(&mut self, frame: &[u8]) -> Result<(), TxError> {
        if self.down {
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
    /// The simulated host's IP stack: the packet goes to its next hop on
    /// the host's segment (resolved by the simulator, which knows every
    /// address; there is no ARP on the wire for it).
    fn transmit_ip(&mut self, packet: &[u8]) -> Result<(), TxError> {
        if self.down {
            return Err(TxError::LinkDown);
        }
        self.ip_outbox.push(packet.to_vec());
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
}
