//! A deterministic simulated LAN for carp hosts.
//!
//! Every host is a [`carp_ifnet::carpif::CarpIf`] over an in-memory
//! [`driver::SimDriver`]; the [`lan::Lan`] joins them on one segment with a
//! virtual clock in microseconds, seeded loss, delay, jitter and
//! duplication, partitions, link and admin faults, crashes and restarts, an
//! attacker that injects frames, and clients that send ARP requests; routers
//! join several segments for unicast peers ([`lan::RouterSpec`]).
//! [`scenario`] reads the same from TOML, [`report`] prints the timeline and
//! summary, [`pcap`] writes what crossed the wire, and [`oracle`] says when
//! a takeover must happen without asking carp.
//!
//! ```
//! use carp_sim::scenario::Scenario;
//!
//! let scenario = Scenario::from_toml(carp_sim::scenario::FAILOVER).unwrap();
//! let lan = scenario.run(None).unwrap();
//! let a = lan.host_index("host-a").unwrap();
//! let b = lan.host_index("host-b").unwrap();
//! // host-a crashed at 10 s and came back at 15 s as BACKUP; host-b is
//! // master.
//! assert_eq!(lan.masters(1), vec![b]);
//! assert_eq!(lan.hosts()[a].state(1), carp_core::State::Backup);
//! ```
#![forbid(unsafe_code)]

pub mod client;
pub mod driver;
pub mod forge;
pub mod lan;
pub mod oracle;
pub mod pcap;
pub mod report;
pub mod rng;
pub mod scenario;

pub use lan::{
    Action, Captured, Fate, HostSpec, Knobs, Lan, LinkParams, Received, Record, RecordKind, Router,
    RouterIf, RouterSpec, Sender,
};
