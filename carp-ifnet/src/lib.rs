//! The carp pseudo-interface over an ifnet-like driver: virtual MACs for
//! Ethernet, FDDI and Token Ring, framing of IPv4/IPv6 advertisements, the
//! ordered input checks, ARP/ND answering, arpbalance, many vhids per parent
//! and the ifconfig-like control ABI.
//!
//! `#![no_std]`, no allocation.
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

#[cfg(test)]
#[macro_use]
extern crate std;

pub mod arp;
pub mod balance;
pub mod carpif;
pub mod ctl;
pub mod driver;
pub mod frame;
pub mod lladdr;
pub mod nd;
