//! The BSD `ifconfig carp0` status, written to any [`core::fmt::Write`]:
//!
//! ```text
//! carp0: flags=41<UP,RUNNING> mtu 1500
//! \tcarp: MASTER vhid 1 advbase 1 advskew 100
//! \tinet 192.168.0.100 netmask 0xffffff00
//! \tinet6 2001:db8::1 prefixlen 64
//! ```
//!
//! (`\t` is one tab, as ifconfig prints.) The carp line follows both BSDs'
//! `carp_status`: `carp: STATE vhid N advbase N advskew N`; with a parent
//! it takes OpenBSD's later form `carp: STATE carpdev em0 vhid N ...`,
//! which ends in ` carppeer A` for an IPv4 unicast peer (OpenBSD
//! `carp_status`). A VRRPv3 vhid prints FreeBSD's line instead (`ifconfig`
//! `carp_print_vrrp3`): `vrrp: STATE vrid N prio N interval N`. A vhid
//! with a unicast peer that the line does not show gets FreeBSD's peer
//! line (`carp_print_peer`), `\t      peer A peer6 B`, the group address
//! standing for a multicast family; FreeBSD prints it for every CARP vhid,
//! we only in unicast mode, so multicast output stays the BSDs' common
//! form.
//! An interface in a named group shows OpenBSD's `groups: carp fw` line
//! after it (OpenBSD prints `groups: carp` for every carp interface; the
//! line is left out when `carp` is the only group).
//! Flags print as `printb` does: hex value, then the names of the set bits
//! in bit order.

use core::fmt;
use core::net::IpAddr;

use bitflags::bitflags;
use carp_core::{State, VhostConfig};

use crate::group::{GroupName, CARP_GROUP};

bitflags! {
    /// Interface flags shown in the status, with their BSD `IFF_*` values.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct IfFlags: u32 {
        /// `IFF_UP`: administratively up.
        const UP = 0x1;
        /// `IFF_BROADCAST`.
        const BROADCAST = 0x2;
        /// `IFF_RUNNING`: resources allocated (the parent is there).
        const RUNNING = 0x40;
        /// `IFF_SIMPLEX`: cannot hear its own transmissions.
        const SIMPLEX = 0x800;
        /// `IFF_MULTICAST`.
        const MULTICAST = 0x8000;
    }
}

/// The `carp: ...` line of one vhid without indentation or newline (FreeBSD
/// prints one per vhid of the parent).
#[derive(Debug, Clone, Copy)]
pub struct CarpLine<'a> {
    /// The state.
    pub state: State,
    /// The configuration.
    pub config: &'a VhostConfig,
    /// The parent, printed OpenBSD-style when given.
    pub carpdev: Option<&'a str>,
}

impl CarpLine<'_> {
    /// The FreeBSD peer line that should follow this line, if any (see the
    /// module docs).
    pub fn peer_line(&self) -> Option<PeerLine<'_>> {
        let peers = &self.config.peers;
        let shown_v4 = self.carpdev.is_some() && !self.config.is_vrrp();
        let unshown = peers.v6().is_some() || (peers.v4().is_some() && !shown_v4);
        unshown.then_some(PeerLine {
            config: self.config,
        })
    }
}

impl fmt::Display for CarpLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = self.config;
        if config.is_vrrp() {
            return write!(
                f,
                "vrrp: {} vrid {} prio {} interval {}",
                self.state.name(),
                config.vhid.get(),
                config.vrrp.priority.get(),
                config.vrrp.interval.get()
            );
        }
        write!(f, "carp: {}", self.state.name())?;
        if let Some(dev) = self.carpdev {
            write!(f, " carpdev {dev}")?;
        }
        write!(
            f,
            " vhid {} advbase {} advskew {}",
            config.vhid.get(),
            config.advbase,
            config.advskew.get()
        )?;
        match config.peers.v4() {
            Some(peer) if self.carpdev.is_some() => write!(f, " carppeer {peer}"),
            _ => Ok(()),
        }
    }
}

/// FreeBSD's peer line without its leading tab: `      peer A peer6 B`
/// (six spaces after the tab, as `carp_print_peer`), the group address for
/// a multicast family.
#[derive(Debug, Clone, Copy)]
pub struct PeerLine<'a> {
    /// The configuration.
    pub config: &'a VhostConfig,
}

impl fmt::Display for PeerLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let peers = &self.config.peers;
        write!(
            f,
            "      peer {} peer6 {}",
            peers.destination_v4(),
            peers.destination_v6()
        )
    }
}

/// The whole status of one carp interface; its `Display` is the ifconfig
/// output, each line ending in a newline.
#[derive(Debug, Clone, Copy)]
pub struct Status<'a> {
    /// Interface name (`carp0`).
    pub ifname: &'a str,
    /// Interface flags.
    pub flags: IfFlags,
    /// MTU in bytes.
    pub mtu: u32,
    /// The vhid's state.
    pub state: State,
    /// The configuration.
    pub config: &'a VhostConfig,
    /// Prefix length of each address of `config`, in the same order; an
    /// address past the end of the slice shows as a host route (32, 128).
    pub prefix_lens: &'a [u8],
    /// The parent, if any.
    pub carpdev: Option<&'a str>,
    /// Its named groups besides `carp` (none: no `groups:` line).
    pub groups: &'a [GroupName],
}

impl Status<'_> {
    /// Writes the status to `out`.
    ///
    /// # Errors
    /// Those of `out`.
    pub fn write_to<W: fmt::Write>(&self, out: &mut W) -> fmt::Result {
        write!(out, "{self}")
    }
}

/// The first status line alone, `carp0: flags=41<UP,RUNNING> mtu 1500`
/// with its newline: all a carp interface with no vhid yet shows (as
/// FreeBSD prints no carp line for an interface without vhids).
#[derive(Debug, Clone, Copy)]
pub struct StatusHeader<'a> {
    /// Interface name (`carp0`).
    pub ifname: &'a str,
    /// Interface flags.
    pub flags: IfFlags,
    /// MTU in bytes.
    pub mtu: u32,
}

impl fmt::Display for StatusHeader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: flags={:x}<", self.ifname, self.flags.bits())?;
        for (i, (name, _)) in self.flags.iter_names().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(name)?;
        }
        writeln!(f, "> mtu {}", self.mtu)
    }
}

impl fmt::Display for Status<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}",
            StatusHeader {
                ifname: self.ifname,
                flags: self.flags,
                mtu: self.mtu,
            }
        )?;
        let line = CarpLine {
            state: self.state,
            config: self.config,
            carpdev: self.carpdev,
        };
        writeln!(f, "\t{line}")?;
        if let Some(peers) = line.peer_line() {
            writeln!(f, "\t{peers}")?;
        }
        if !self.groups.is_empty() {
            write!(f, "\tgroups: {CARP_GROUP}")?;
            for g in self.groups.iter().filter(|g| !g.is_carp()) {
                write!(f, " {g}")?;
            }
            writeln!(f)?;
        }
        for (i, addr) in self.config.addresses().iter().enumerate() {
            let prefix = self.prefix_lens.get(i).copied();
            match addr {
                IpAddr::V4(a) => {
                    let len = u32::from(prefix.unwrap_or(32).min(32));
                    let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
                    writeln!(f, "\tinet {a} netmask {mask:#010x}")?;
                }
                IpAddr::V6(a) => {
                    write!(f, "\tinet6 {a}")?;
                    // KAME prints the scope of a link-local address.
                    if a.is_unicast_link_local() {
                        write!(f, "%{}", self.ifname)?;
                    }
                    writeln!(f, " prefixlen {}", prefix.unwrap_or(128))?;
                }
            }
        }
        Ok(())
    }
}
