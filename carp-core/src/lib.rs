//! carp-core: the Common Address Redundancy Protocol without I/O.
//!
//! Promises: `#![no_std]`, no allocation, no clock, no sockets, no globals,
//! no `unsafe`, no panics on any input. The caller owns time and the wire:
//! it passes `now`, received adverts and events in, and takes deadlines,
//! signed adverts and events out.
//!
//! ```text
//! shims (sim, carpd, ffi)  ->  carp-ctl  ->  carp-ifnet  ->  carp-sysctl  ->  carp-core
//! ```
//!
//! * [`wire`]: the 36-byte header ([`wire::Packet`] view, [`wire::Advert`]
//!   value, checksum).
//! * [`auth`]: the key and the precomputed HMAC-SHA1 ([`AuthContext`]).
//! * [`VirtualHost`]: one vhid's state machine, driven quinn-style.
//!
//! Call order for one virtual host: construct, `set_admin(now, true)` and
//! `set_link(now, true)`; then, whenever something happens, feed it
//! (`handle_advert` for an advert `verify` passed, or `receive_advert` for
//! both at once, the faster; `handle_timeout` when `poll_timeout` is
//! reached), and after every call drain `poll_transmit` and `poll_event`.
//! Instants must never go backwards.
//!
//! # Example: two hosts, one fails
//!
//! ```
//! use carp_core::wire::{Advert, Packet, HEADER_LEN};
//! use carp_core::{Instant, Policy, State, VhostConfig, Vhid, VirtualHost};
//! use core::net::{IpAddr, Ipv4Addr};
//!
//! let vaddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 100));
//! let config = |skew| -> VhostConfig {
//!     VhostConfig::new(Vhid::new(1).unwrap())
//!         .with_advskew(skew).unwrap()
//!         .with_passphrase(b"changeme").unwrap()
//!         .with_address(vaddr).unwrap()
//! };
//! let policy = Policy::default();
//! let mut a = VirtualHost::new(config(10), 1 << 32);
//! let mut b = VirtualHost::new(config(50), 2 << 32);
//! for h in [&mut a, &mut b] {
//!     h.set_admin(Instant::ZERO, true);
//!     h.set_link(Instant::ZERO, true);
//! }
//! // The caller's clock: jump from deadline to deadline, passing A's adverts
//! // to B until A dies at 10 s.
//! let mut now = Instant::ZERO;
//! let mut buf = [0u8; HEADER_LEN];
//! while now < Instant::from_secs(20) {
//!     let a_alive = now < Instant::from_secs(10);
//!     if a_alive {
//!         a.handle_timeout(now, &policy);
//!         if a.poll_transmit(now, &policy, &mut buf).is_some() {
//!             let advert = Advert::parse(&Packet::new_checked(&buf[..]).unwrap()).unwrap();
//!             let ok = b.verify(&advert).unwrap();
//!             let src = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 11));
//!             b.handle_advert(now, &ok, src, &policy).unwrap();
//!         }
//!     }
//!     b.handle_timeout(now, &policy);
//!     let _ = b.poll_transmit(now, &policy, &mut buf);
//!     let next_a = if a_alive { a.poll_timeout() } else { None };
//!     now = [next_a, b.poll_timeout()].into_iter().flatten().min().unwrap();
//! }
//! assert_eq!(a.state(), State::Master); // it never heard of its death
//! assert_eq!(b.state(), State::Master);
//! // A advertised at 3.039062 s (its master-down) and every 1.039062 s after,
//! // last at 9.273434 s; B took over exactly 3 s + 50/256 s later.
//! let took_over = core::iter::from_fn(|| b.poll_event())
//!     .find(|e| matches!(e.kind, carp_core::EventKind::StateChange { to: State::Master, .. }))
//!     .unwrap();
//! assert_eq!(b.last_heard(), Some(Instant::from_micros(9_273_434)));
//! assert_eq!(took_over.at, Instant::from_micros(9_273_434 + 3_195_312));
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

#[cfg(test)]
#[macro_use]
extern crate std;

pub mod auth;
pub mod demotion;
pub mod event;
pub mod names;
pub mod policy;
pub mod state;
pub mod stats;
pub mod time;
pub mod timer;
pub mod vhost;
pub mod wire;

pub use auth::{AuthContext, AuthError, Authenticated, Key, KeyError, LinkLocalRule};
pub use demotion::{DemoteReason, Demotion};
pub use event::{Event, EventKind, Transmit, VrrpSplit};
pub use policy::{Policy, ReplayPolicy};
pub use state::{Reason, State};
pub use stats::{CompactStats, Counter, Reject, Stats};
pub use time::{AdvTiming, Duration, Instant};
pub use vhost::{
    AdvSkew, ConfigError, CounterKind, Origin, Peers, Version, Vhid, VhostConfig, VirtualHost,
    VrrpParams,
};
