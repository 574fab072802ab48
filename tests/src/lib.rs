//! Shared helpers for carp's cross-crate tests: fixture loading, the tshark
//! harness, network namespaces for interop tests, and the rule for when a
//! missing prerequisite skips a test and when it fails it.
//!
//! * [`fixtures`]: the ucarp captures in `tests/fixtures/` as CARP headers.
//! * [`tshark`]: decode pcaps with tshark and read the CARP fields back;
//!   [`tshark_vrrp`] the VRRPv3 ones.
//! * [`netns`]: throw-away namespaces joined by a bridge, cleaned up on drop.
//! * [`mod@require`]: [`require!`] skips on a laptop, fails in CI.
//! * [`process`]: running commands with a deadline.
//! * [`driver`]: a recording in-memory driver for `CarpIf`.
//! * [`pcapfile`]: temporary pcaps for tshark.
//! * [`carpd`]: running carpd and ucarp inside lab namespaces.
//! * [`echo`]: what the failover client (`carp-echo-probe`) saw.
//! * [`failover`]: one crash of the master measured from the client and
//!   the capture, the lines each run prints.
//! * [`kernel`]: the example kernel booted under QEMU on a lab's bridge.
//! * [`flood`]: the flood bench's frames and paced sender.
//! * [`cpu`]: CPU time of a namespace's processes and of kernel threads.
//! * [`keepalived`]: a keepalived VRRP instance in a lab host.
//! * [`stream`]: a TCP stream of numbered lines and its gap report.
//! * [`firewall`]: the firewall pair of examples/firewall-pair in namespaces.
//! * [`ping`]: what a client sees (ping every 10 ms, arping).
//! * [`port_switch`]: a bridge port set down at an exact instant.

pub mod carpd;
pub mod cpu;
pub mod driver;
pub mod echo;
pub mod failover;
pub mod firewall;
pub mod fixtures;
pub mod flood;
pub mod keepalived;
pub mod kernel;
pub mod model;
pub mod netns;
pub mod pcapfile;
pub mod ping;
pub mod port_switch;
pub mod process;
pub mod require;

/// Returns from the calling test (after reporting `skipped: ...`) when a
/// listed [`require::Prerequisite`] is missing, or fails it where interop is
/// required (see [`mod@require`]).
pub use carp_require::require;
pub mod stream;
pub mod tshark;
pub mod tshark_vrrp;
