//! The `net.inet.carp` sysctl tree: the knobs a BSD administrator sets
//! (`allow`, `preempt`, `log`, `arpbalance`, demotion and friends), their MIB
//! numbers, and the protocol statistics printed like `netstat -s -p carp`.
//!
//! `#![no_std]`, no allocation, and no global state but one counter that
//! keeps statistics-lane claims apart ([`lanes`]): the embedder owns a
//! [`Sysctl`] (its constructor is `const`, so a kernel can put it in a
//! `static`), reads are lock-free atomics, each carp interface counts its
//! packets in a lane of its own without a lock, and the layers below get a
//! plain [`carp_core::Policy`] from [`Sysctl::policy`].
//!
//! | name | MIB | type | range | default | origin |
//! |---|---|---|---|---|---|
//! | `allow` | 1 | bool | 0-1 | 1 | OpenBSD `CARPCTL_ALLOW` |
//! | `preempt` | 2 | bool | 0-1 | 0 | OpenBSD `CARPCTL_PREEMPT` |
//! | `log` | 3 | int | 0-7 | 1 | OpenBSD `CARPCTL_LOG`, FreeBSD meaning ([`LogLevel`]) |
//! | `arpbalance` | 4 | bool | 0-1 | 0 | OpenBSD 3.x `CARPCTL_ARPBALANCE` |
//! | `demotion` | 5 | int | write: any `i32` delta; read: 0-255 | 0 | FreeBSD |
//! | `ifdown_demotion_factor` | 6 | int | 0-255 | 240 | FreeBSD |
//! | `senderr_demotion_factor` | 7 | int | 0-255 | 240 | FreeBSD |
//! | `dscp` | 8 | int | 0-63 | 4 (TOS 0x10 as the classic BSDs and ucarp; FreeBSD 10+ uses 56) | FreeBSD |
//! | `ignore_peer_demote` | 9 | bool | 0-1 | 0 | ours |
//! | `replay` | 10 | int | 0 off, 1 log, 2 enforce | 1 | ours |
//! | `preempt_holddown_ms` | 11 | int | 0-3600000 | 0 | ours |
//! | `stats` | 12 | struct | read-only | | `struct carpstats` and ours |
//!
//! Full MIBs are `[CTL_NET, PF_INET, IPPROTO_CARP, n]` = `[4, 2, 112, n]`.
//!
//! ```
//! use carp_core::{Counter, DemoteReason, Reject};
//! use carp_sysctl::{Knob, NetstatExt, StatsLane, Sysctl, SysctlError, Value};
//!
//! static SYSCTL: Sysctl = Sysctl::new();
//!
//! // The lines an administrator types or keeps in /etc/sysctl.conf.
//! assert_eq!(SYSCTL.set_line("sysctl -w net.inet.carp.preempt=1"), Ok(Some(Knob::Preempt)));
//! assert_eq!(SYSCTL.set_line("net.inet.carp.log=2  # bad packets too"), Ok(Some(Knob::Log)));
//! assert!(SYSCTL.preempt());
//!
//! // Demotion is written as a delta and never reads negative.
//! SYSCTL.set("net.inet.carp.demotion", 20).unwrap();
//! SYSCTL.demote(DemoteReason::LinkDown, i32::from(SYSCTL.ifdown_demotion_factor()));
//! assert_eq!(SYSCTL.get("net.inet.carp.demotion"), Ok(Value::Int(255)));
//! SYSCTL.demote(DemoteReason::LinkDown, -i32::from(SYSCTL.ifdown_demotion_factor()));
//! assert_eq!(SYSCTL.policy().demotion, 20);
//!
//! // The same node by MIB, and a write that is refused changes nothing.
//! assert_eq!(SYSCTL.get_mib(&[4, 2, 112, 8]), Ok(Value::Int(4)));
//! assert!(matches!(
//!     SYSCTL.set("dscp", 64),
//!     Err(SysctlError::OutOfRange { knob: Knob::Dscp, min: 0, max: 63, got: 64 })
//! ));
//! assert_eq!(SYSCTL.dscp(), 4);
//!
//! // Statistics, printed as `netstat -s -p carp` does.
//! SYSCTL.bump(Counter::Ipackets);
//! SYSCTL.record(Reject::BadTtl(64));
//! let text = format!("{}", SYSCTL.stats().netstat());
//! assert!(text.starts_with("carp:\n\t1 packet received (IPv4)\n"));
//! assert!(text.contains("\t\t1 packet discarded for wrong TTL\n"));
//!
//! // A carp interface counts its packets in a lane of its own (no lock);
//! // a read sums the lanes, and giving the lane back keeps its counts.
//! let mut lane = StatsLane::new();
//! SYSCTL.count(&mut lane, &[Counter::Ipackets6, Counter::Badttl]);
//! assert_eq!(SYSCTL.stats().get(Counter::Badttl), 2);
//! SYSCTL.release_lane(&mut lane);
//! assert_eq!(SYSCTL.stats().get(Counter::Ipackets6), 1);
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

pub mod error;
pub mod knob;
pub mod lanes;
pub mod line;
pub mod netstat;
pub mod tree;

pub use error::{MibPath, Snippet, SysctlError};
pub use knob::{Knob, KnobType, LogLevel, CTL_NET, IPPROTO_CARP, MIB_PREFIX, NAME_PREFIX, PF_INET};
pub use lanes::StatsLane;
pub use line::{parse_line, Assignment};
pub use netstat::{Netstat, NetstatExt};
pub use tree::{Sysctl, Value};
