//! A deterministic simulated LAN for carp hosts.
#![forbid(unsafe_code)]

pub mod pcap;
