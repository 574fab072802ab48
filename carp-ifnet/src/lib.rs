//! The carp pseudo-interface over an ifnet-like driver: virtual MACs for
//! Ethernet, FDDI and Token Ring, framing of IPv4/IPv6 advertisements, the
//! ordered input checks, ARP/ND answering, arpbalance, many vhids per parent
//! and what the host's IP stack needs to know of the virtual addresses. The
//! ifconfig-like control interface lives a layer up, in carp-ctl; nothing
//! here depends on it.
//!
//! `#![no_std]`, no allocation, no clock: the embedder owns the NIC, the
//! clock and the [`carp_sysctl::Sysctl`] tree, and calls in.
//!
//! ```text
//! frame -> CarpIf::input -> (link/IP checks, BSD order) -> VirtualHost
//!       <- CarpIf::poll -> Driver::transmit (virtual-MAC frames, ARP/ND)
//! ```
//!
//! # An embedder's loop
//!
//! Describe the parent ([`driver::ParentInfo`]), keep the NIC's output side
//! as a [`driver::Driver`], and drive a [`carpif::CarpIf`]: frames go to
//! [`carpif::CarpIf::input`] (no device needed), and
//! [`carpif::CarpIf::poll`] runs the timers and sends through the NIC,
//! whenever [`carpif::CarpIf::poll_timeout`] is reached.
//!
//! ```
//! use core::net::{IpAddr, Ipv4Addr};
//! use carp_core::{EventKind, Instant, State, VhostConfig, Vhid};
//! use carp_ifnet::carpif::CarpIf;
//! use carp_ifnet::driver::{Driver, LinkState, ParentInfo, TxError};
//! use carp_ifnet::lladdr::MacAddr;
//! use carp_sysctl::Sysctl;
//!
//! /// A NIC whose output side just keeps what it sends.
//! struct Nic { sent: Vec<Vec<u8>> }
//! impl Driver for Nic {
//!     fn transmit(&mut self, frame: &[u8]) -> Result<(), TxError> {
//!         self.sent.push(frame.to_vec());
//!         Ok(())
//!     }
//!     fn join_multicast(&mut self, _: MacAddr) -> Result<(), TxError> { Ok(()) }
//!     fn leave_multicast(&mut self, _: MacAddr) -> Result<(), TxError> { Ok(()) }
//! }
//!
//! static SYSCTL: Sysctl = Sysctl::new();
//! let parent = ParentInfo::ethernet(MacAddr([0x02, 0, 0, 0, 0, 1]))
//!     .with_ipv4(Ipv4Addr::new(192, 0, 2, 1));
//! let mut nic = Nic { sent: Vec::new() };
//! let mut carp: CarpIf = CarpIf::new(parent, LinkState::Up);
//! let config = VhostConfig::new(Vhid::new(1).unwrap())
//!     .with_advskew(100).unwrap()
//!     .with_passphrase(b"changeme").unwrap()
//!     .with_address(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 100))).unwrap();
//! carp.add_vhost(Instant::ZERO, config, 0x5eed << 32, &SYSCTL).unwrap();
//!
//! // The embedder's loop: sleep until the deadline (or a frame arrives:
//! // carp.input(now, frame, &SYSCTL)), then poll. Nobody else is on this
//! // LAN, so the backup takes over after 3 s + 100/256 s.
//! let mut now = Instant::ZERO;
//! for _ in 0..5 {
//!     let Some(deadline) = carp.poll_timeout() else { break };
//!     now = deadline; // a real embedder sleeps here
//!     carp.poll(now, &mut nic, &SYSCTL);
//!     while let Some(event) = carp.poll_event() {
//!         if let EventKind::StateChange { to: State::Master, .. } = event.kind {
//!             assert_eq!(event.at, Instant::from_micros(3_390_625));
//!         }
//!     }
//! }
//! assert_eq!(carp.vhost(1).unwrap().state(), State::Master);
//! // Adverts from the virtual MAC 00:00:5e:00:01:01, plus gratuitous ARPs.
//! assert_eq!(&nic.sent[0][6..12], &[0, 0, 0x5e, 0, 1, 1]);
//! assert!(now > Instant::from_secs(3));
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(test)]
#[macro_use]
extern crate std;

pub mod arp;
pub mod balance;
pub mod carpif;
pub mod driver;
pub mod frame;
pub mod lladdr;
pub mod log_event;
pub mod nd;
