//! carp-ctl: the one control engine of carp, and the syntaxes it speaks.
//!
//! `#![no_std]`, no allocation, no `unsafe`, no panics on any input. It sits
//! above the data path and below every front end (the C library, carpd and
//! carpctl, the simulator, the example kernel):
//!
//! ```text
//! shims (sim, carpd, ffi, kernel)  ->  carp-ctl  ->  carp-ifnet  ->  carp-sysctl  ->  carp-core
//! ```
//!
//! Nothing on the data path (`CarpIf::input`, `CarpIf::poll`) depends on it.
//!
//! * [`engine`]: the [`Engine`]: a host's parents (one
//!   [`CarpIf`](carp_ifnet::carpif::CarpIf) each), its carp interfaces by
//!   name and one [`Sysctl`](carp_sysctl::Sysctl), so demotion acts across
//!   parents as in a BSD kernel. Every request goes plan -> validate ->
//!   apply, all or nothing; configuration files apply declaratively.
//! * [`words`]: ifconfig words (`vhid 1 advskew 100 pass x carpdev em0
//!   192.0.2.100/24 state master`) into an [`IfconfigRequest`].
//! * [`request`]: [`CarpReq`], the fixed-layout set/get request in the
//!   spirit of BSD `struct carpreq` (`SIOCSVH` / `SIOCGVH`).
//! * [`config_file`]: whole lines of shell, OpenBSD `hostname.if` and
//!   FreeBSD `rc.conf` into a [`ConfigLine`].
//! * [`status`]: the `ifconfig carp0` status in BSD shape.
//! * [`event_line`]: one event as one JSON line, the schema carpd and
//!   carp-sim share (`docs/events.md`).
//!
//! Every failure is a [`CtlError`] naming the keyword or field, the word
//! and its position, the allowed range, or the interface, vhid or parent
//! refused.
//!
//! # Example: a host with one parent, configured as an administrator would
//!
//! ```
//! use carp_core::{Instant, State};
//! use carp_ctl::{Engine, Parent};
//! use carp_ifnet::driver::{Driver, LinkState, ParentInfo, TxError};
//! use carp_ifnet::lladdr::MacAddr;
//! use core::net::Ipv4Addr;
//!
//! struct Nic(usize);
//! impl Driver for Nic {
//!     fn transmit(&mut self, _: &[u8]) -> Result<(), TxError> { self.0 += 1; Ok(()) }
//!     fn join_multicast(&mut self, _: MacAddr) -> Result<(), TxError> { Ok(()) }
//!     fn leave_multicast(&mut self, _: MacAddr) -> Result<(), TxError> { Ok(()) }
//! }
//!
//! // Two parents' room, 16 vhids each, 32 interfaces and vhids described.
//! let mut host: Engine<heapless::Vec<Parent<16>, 2>, 16, 32> = Engine::new(heapless::Vec::new());
//! let em0 = host
//!     .add_parent(
//!         "em0",
//!         ParentInfo::ethernet(MacAddr([2, 0, 0, 0, 0, 1])).with_ipv4(Ipv4Addr::new(192, 0, 2, 1)),
//!         LinkState::Up,
//!     )
//!     .unwrap();
//! let now = Instant::ZERO;
//! host.ifconfig(now, "carp0", "create vhid 1 advskew 100 pass s3cret 192.0.2.100/24").unwrap();
//! host.sysctl_line(now, "net.inet.carp.preempt=1").unwrap();
//! // A refused request names what was wrong and changes nothing.
//! let err = host.ifconfig(now, "carp0", "advskew 300").unwrap_err();
//! assert_eq!(err.to_string(), "advskew (word 2) 300: out of range 0..254");
//!
//! let mut nic = Nic(0);
//! host.poll(now, em0, &mut nic); // what the change owes the wire
//! let mut status = String::new();
//! host.status("carp0", &mut status).unwrap();
//! assert!(status.contains("carp: BACKUP vhid 1 advbase 1 advskew 100"));
//! assert!(status.contains("inet 192.0.2.100 netmask 0xffffff00"));
//! assert_eq!(host.get_carpreq("carp0", None).unwrap().addresses().unwrap()[0].1, 24);
//! # let _ = State::Init;
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

pub mod config_file;
pub mod engine;
mod error;
pub mod event_line;
pub mod group;
mod ifname;
pub mod request;
pub mod status;
pub mod words;

#[cfg(test)]
mod tests;

pub use config_file::{parse_line, ConfigLine, MAX_CLONED};
pub use engine::{ApplyReport, Engine, FileError, GroupMember, Parent, ParentId, ParentStore};
pub use error::{CtlError, Snippet};
pub use event_line::{EventBody, EventLine};
pub use group::{GroupName, GroupOp, CARP_GROUP, MAX_GROUPS};
pub use ifname::{IfName, IFNAMSIZ, MAX_IFNAME_LEN};
pub use request::{state_number, CarpReq, CarpReqAddr, CARPREQ_LEN};
pub use status::{CarpLine, IfFlags, PeerLine, Status, StatusHeader};
pub use words::{
    default_prefix_len, parse_hostname_if, parse_netmask, parse_word_iter, parse_words, AddrSpec,
    AliasOp, CarpdevChange, Family, IfconfigRequest, Lifecycle, Lladdr, PeerChange, Syntax,
};
