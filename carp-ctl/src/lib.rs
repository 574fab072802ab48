//! carp-ctl: the ifconfig-like control interface of carp: parsing, the
//! `carpreq` ABI, configuration lines, the status, and the registry of carp
//! interfaces by name.
//!
//! `#![no_std]`, no allocation, no `unsafe`, no panics on any input. It sits
//! above the data path and below the front ends:
//!
//! ```text
//! shims (sim, carpd, ffi)  ->  carp-ctl  ->  carp-ifnet  ->  carp-sysctl  ->  carp-core
//! ```
//!
//! Nothing on the data path (`CarpIf::input`, the timers) depends on it.
//!
//! * [`request`]: [`CarpReq`], the fixed-layout set/get request in the
//!   spirit of BSD `struct carpreq` (`SIOCSVH` / `SIOCGVH`), with checked
//!   conversions to and from [`VhostConfig`](carp_core::VhostConfig).
//! * [`words`]: ifconfig words (`vhid 1 advskew 100 pass x carpdev em0
//!   192.0.2.100/24 state master`) into an [`IfconfigRequest`], which
//!   [`IfconfigRequest::apply`] turns into a whole new configuration or an
//!   error, the old one untouched.
//! * [`config_file`]: whole lines of shell, OpenBSD `hostname.if` and
//!   FreeBSD `rc.conf` into a [`ConfigLine`].
//! * [`status`]: the `ifconfig carp0` status in BSD shape.
//! * [`registry`]: [`CarpInterfaces`], carp interfaces by name on one
//!   parent, the one part with side effects: it drives a
//!   [`CarpIf`](carp_ifnet::carpif::CarpIf) with the requests above,
//!   transactionally.
//!
//! Every failure is a [`CtlError`] naming the keyword or field and the
//! word index, or the interface, vhid or parent refused; nothing here
//! allocates or panics.
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

pub mod config_file;
mod error;
mod ifname;
pub mod registry;
pub mod request;
pub mod status;
pub mod words;

#[cfg(test)]
mod tests;

pub use config_file::{parse_line, ConfigLine, MAX_CLONED};
pub use error::{CtlError, Snippet};
pub use ifname::{IfName, IFNAMSIZ, MAX_IFNAME_LEN};
pub use registry::{CarpInterfaces, DEFAULT_INTERFACES};
pub use request::{state_number, CarpReq, CarpReqAddr, CARPREQ_LEN};
pub use status::{CarpLine, IfFlags, Status, StatusHeader};
pub use words::{
    default_prefix_len, parse_hostname_if, parse_netmask, parse_word_iter, parse_words, AddrSpec,
    AliasOp, CarpdevChange, Family, IfconfigRequest, Lifecycle, Lladdr, Syntax,
};
