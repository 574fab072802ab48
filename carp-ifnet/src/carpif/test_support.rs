//! What the `CarpIf` tests share: a recording driver and a host.

use super::*;
use crate::driver::{LinkState, TxError};
use carp_core::Reject;
use core::net::{Ipv4Addr, Ipv6Addr};
use std::vec::Vec;

/// The output side of a parent: records what carp asks of it.
#[derive(Debug, Default)]
pub(super) struct Mock {
    pub(super) fail: Option<TxError>,
    pub(super) sent: Vec<Vec<u8>>,
    pub(super) groups: Vec<MacAddr>,
    pub(super) unicast: Vec<MacAddr>,
    /// Packets handed to `transmit_ip` (unicast adverts).
    pub(super) ip_sent: Vec<Vec<u8>>,
}

impl Driver for Mock {
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
        let at = self.groups.iter().position(|g| *g == mac).unwrap();
        self.groups.remove(at);
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

pub(super) fn parent(n: u8) -> ParentInfo {
    ParentInfo::ethernet(MacAddr([0x02, 0, 0, 0, 0, n]))
        .with_ipv4(Ipv4Addr::new(192, 0, 2, n))
        .with_ipv6_link_local(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, u16::from(n)))
}

/// One host: its carp interface, its NIC and its sysctl tree.
pub(super) struct Host<const N: usize = DEFAULT_VHIDS> {
    pub(super) cif: CarpIf<N>,
    pub(super) nic: Mock,
    pub(super) s: Sysctl,
}

impl<const N: usize> Host<N> {
    pub(super) fn bare(n: u8) -> Host<N> {
        Host {
            cif: CarpIf::new(parent(n), LinkState::Up),
            nic: Mock::default(),
            s: Sysctl::new(),
        }
    }
    pub(super) fn add(&mut self, now: Instant, cfg: VhostConfig, seed: u64) -> Result<(), IfError> {
        self.cif.add_vhost(now, cfg, seed, &self.s)
    }
    pub(super) fn force(&mut self, now: Instant, vhid: u8, state: State) -> Result<(), IfError> {
        self.cif.force_state(now, vhid, state, &self.s)
    }
    pub(super) fn input(&mut self, now: Instant, frame: &[u8]) -> Result<Input, Reject> {
        self.cif.input(now, frame, &self.s)
    }
    pub(super) fn poll(&mut self, now: Instant) {
        self.cif.poll(now, &mut self.nic, &self.s);
    }
    /// Polls at `now` and takes every frame sent.
    pub(super) fn sent(&mut self, now: Instant) -> Vec<Vec<u8>> {
        self.poll(now);
        core::mem::take(&mut self.nic.sent)
    }
    /// Polls at the next deadline; returns it.
    pub(super) fn next(&mut self) -> Instant {
        let t = self.cif.poll_timeout().unwrap();
        self.poll(t);
        t
    }
    pub(super) fn state(&self, vhid: u8) -> State {
        self.cif.vhost(vhid).unwrap().state()
    }
}
