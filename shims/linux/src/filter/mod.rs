//! The kernel-side filter on carpd's packet socket: what carp would reject
//! for certain is dropped before it wakes carpd, and counted.
//!
//! Anyone on the segment can make every carp host pay for every frame.
//! With this filter, a flood of frames the library rejects before the HMAC
//! (a wrong vhid, a TTL of 254, a VRRP router's adverts for a vrid carp does not run, bad CARP
//! checksums) never reaches user space: an eBPF socket filter generated
//! from the running configuration ([`FilterSpec`]) replays the input
//! checks in the library's order and drops those frames in the receive
//! softirq. Only CARP frames with TTL/hop limit 255 for a configured vhid,
//! and ARP requests and neighbour solicitations for a virtual address,
//! reach the ring (see [`program`] for the exact rules).
//!
//! # Counters stay exact
//!
//! Every CARP frame the program drops bumps, in a per-CPU array map, the
//! counters the library would have bumped for it: `ipackets` (or
//! `ipackets6`) and the reason (`badttl`, `badlen`, `badsum`, `badaddrs`,
//! `badvhid`). [`KernelCounts::carp`] is a [`Stats`] to merge into the
//! library's before printing, so `netstat`-style output shows the same
//! numbers as if every frame had been read. Frames that are not CARP's (the
//! library would have ignored them uncounted) are shown as their own line,
//! and so are frames the ring had no room for.
//!
//! # Kernel support
//!
//! | Linux | what carpd gets |
//! |---|---|
//! | 4.18 and later, CAP_BPF (5.8) or CAP_SYS_ADMIN | the eBPF filter (`bpf_skb_load_bytes_relative`, per-CPU array maps since 4.6, `SO_ATTACH_BPF` since 3.19) |
//! | older, or the bpf(2) call refused | the classic filter ([`classic`]): every CARP frame reaches the library, which counts it |
//!
//! The program is regenerated and re-attached (atomically replacing the old
//! one, `SO_ATTACH_BPF`) on every reconfiguration; the counter map lives as
//! long as the socket. If a regenerated program is refused, the classic
//! filter goes back on: a stale program would drop a new vhid's adverts.

pub mod bpf;
pub mod classic;
pub mod ebpf;
pub mod program;

use std::fmt;
use std::net::IpAddr;
use std::os::fd::BorrowedFd;

use carp_core::{Stats, VhostConfig};

pub use program::{FilterSpec, Slot, VhidSet};

impl FilterSpec {
    /// The spec of a parent running `vhosts` (vhid and virtual addresses
    /// of each) with `net.inet.carp.allow` = `allow`.
    pub fn from_vhosts<'a>(
        allow: bool,
        vhosts: impl IntoIterator<Item = (u8, &'a [IpAddr])>,
    ) -> FilterSpec {
        let mut spec = FilterSpec {
            allow,
            ..FilterSpec::default()
        };
        for (vhid, addrs) in vhosts {
            spec.vhids.insert(vhid);
            for a in addrs {
                match a {
                    IpAddr::V4(v4) if !spec.ipv4.contains(v4) => spec.ipv4.push(*v4),
                    IpAddr::V6(v6) if !spec.ipv6.contains(v6) => spec.ipv6.push(*v6),
                    _ => {}
                }
            }
        }
        spec
    }

    /// Notes the personality, state and unicast peers of a vhid: a CARP
    /// vhid not in INIT (`running`) makes a VRRPv3 advert for it `badver`;
    /// a peer leaves the TTLs of its family to the library, which checks
    /// them per vhid (the same `peers` its input path reads).
    pub fn note_vhost(&mut self, config: &VhostConfig, running: bool) {
        if running && !config.is_vrrp() {
            self.carp_running.insert(config.vhid.get());
        }
        self.unicast_v4 |= config.peers.v4().is_some();
        self.unicast_v6 |= config.peers.v6().is_some();
    }
}

/// Which filter is on the socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterMode {
    /// The generated eBPF program.
    Ebpf,
    /// The classic filter, with why the eBPF one is not there.
    Classic(String),
}

/// What the kernel dropped or could not queue, for the status report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KernelCounts {
    /// CARP frames dropped by the filter, under the library's counters
    /// (merge into the library's [`Stats`] before printing).
    pub carp: Stats,
    /// Frames dropped by the filter that are not CARP's to count.
    pub not_carp: u64,
    /// Frames the filter let through.
    pub passed: u64,
    /// Frames lost because the receive ring was full
    /// (`PACKET_STATISTICS` `tp_drops`).
    pub ring_drops: u64,
    /// The filter in use.
    pub mode: Option<FilterMode>,
}

impl fmt::Display for KernelCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.mode {
            Some(FilterMode::Ebpf) => {
                let carp = self.carp.get(carp_core::Counter::Ipackets)
                    + self.carp.get(carp_core::Counter::Ipackets6);
                writeln!(
                    f,
                    "socket filter: eBPF; {carp} CARP frames dropped in the kernel (counted above), \
                     {} frames not for carp dropped, {} passed",
                    self.not_carp, self.passed
                )?;
            }
            Some(FilterMode::Classic(why)) => {
                writeln!(
                    f,
                    "socket filter: classic ({why}); every CARP frame counted above"
                )?;
            }
            None => {}
        }
        writeln!(
            f,
            "receive ring: {} frames lost (ring full, not counted above)",
            self.ring_drops
        )
    }
}

/// The filter state of one packet socket.
#[derive(Debug)]
pub struct SocketFilter {
    counters: Option<bpf::Counters>,
    mode: FilterMode,
}

impl Default for SocketFilter {
    fn default() -> Self {
        SocketFilter::new()
    }
}

impl SocketFilter {
    /// Creates the counter map (nothing is attached yet: the socket keeps
    /// its classic filter until [`SocketFilter::install`]).
    pub fn new() -> SocketFilter {
        match bpf::Counters::create(u32::try_from(Slot::ALL.len()).unwrap_or(0)) {
            Ok(counters) => SocketFilter {
                counters: Some(counters),
                mode: FilterMode::Classic("not installed yet".into()),
            },
            Err(e) => SocketFilter {
                counters: None,
                mode: FilterMode::Classic(format!("no eBPF map: {e}")),
            },
        }
    }

    /// Generates the program for `spec` and attaches it to `socket`. When
    /// the kernel refuses it, the classic filter goes (back) on and the
    /// reason is returned for the log.
    ///
    /// # Errors
    /// Why the eBPF program is not in place (the classic filter is).
    pub fn install(&mut self, socket: BorrowedFd<'_>, spec: &FilterSpec) -> Result<(), String> {
        let Some(counters) = &self.counters else {
            return Err(self.fallback(socket, None));
        };
        let result = program::program(spec, counters.raw_fd())
            .map_err(|e| e.to_string())
            .and_then(|insns| bpf::Program::load(&insns, "carpd").map_err(|e| e.to_string()))
            .and_then(|prog| prog.attach(socket).map_err(|e| e.to_string()));
        match result {
            Ok(()) => {
                self.mode = FilterMode::Ebpf;
                Ok(())
            }
            Err(why) => Err(self.fallback(socket, Some(why))),
        }
    }

    fn fallback(&mut self, socket: BorrowedFd<'_>, why: Option<String>) -> String {
        let why = why.unwrap_or_else(|| match &self.mode {
            FilterMode::Classic(w) => w.clone(),
            FilterMode::Ebpf => "no eBPF map".into(),
        });
        if let Err(e) = classic::attach(socket) {
            self.mode = FilterMode::Classic(format!("{why}; classic filter: {e}"));
        } else {
            self.mode = FilterMode::Classic(why.clone());
        }
        why
    }

    /// The filter in use.
    pub fn mode(&self) -> &FilterMode {
        &self.mode
    }

    /// What the filter dropped and passed so far (zero in classic mode).
    pub fn counts(&self) -> KernelCounts {
        let mut out = KernelCounts {
            mode: Some(self.mode.clone()),
            ..KernelCounts::default()
        };
        let Some(counters) = &self.counters else {
            return out;
        };
        for (key, slot) in Slot::ALL.into_iter().enumerate() {
            let n = u32::try_from(key)
                .ok()
                .and_then(|k| counters.sum(k).ok())
                .unwrap_or(0);
            match slot.counter() {
                Some(c) => out.carp.add(c, n),
                None if slot == Slot::NotCarp => out.not_carp = n,
                None => out.passed = n,
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
