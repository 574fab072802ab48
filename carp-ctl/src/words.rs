//! ifconfig words (`vhid 1 advskew 100 pass x carpdev em0 192.0.2.100/24`)
//! parsed into a plain [`IfconfigRequest`], and applied to a configuration.
//!
//! Two grammars ([`parser`] has the rules):
//!
//! * ifconfig arguments ([`parse_words`], [`parse_word_iter`]), both
//!   spellings: OpenBSD `vhid 1 advbase 1 advskew 100 pass x carpdev em0
//!   192.0.2.100 255.255.255.0 state master lladdr 02:00:00:00:00:01`,
//!   `-carpdev`, `carppeer A`, `-carppeer`; FreeBSD `vhid 1 advskew 100
//!   pass x 192.0.2.100/24`, `inet vhid 1 pass foo alias 10.0.0.1/32`
//!   (`add` and `remove` for `alias` and `-alias`), FreeBSD 14's `carpver
//!   2|3`, `vrrpprio 1..255`, `vrrpinterval 1..4095` (centiseconds), `peer
//!   A`, `peer6 A`, `-peer`, `-peer6`; and ours, `vrrpaccept` /
//!   `-vrrpaccept` (RFC 9568 Accept_Mode). An address takes a
//!   `/prefix`, a `netmask` (dotted quad or `0x` hex), a `prefixlen` and,
//!   IPv4, a `broadcast`; a netmask may also follow an IPv4 address bare
//!   when it cannot be an address (`255.255.255.0`, `0xffffff00`). Any
//!   other bare address right after an address is refused
//!   ([`CtlError::AmbiguousAddress`]): BSD ifconfig would read it as a
//!   destination address, a config file's author meant a broadcast or a
//!   second address, and guessing is how `192.0.2.83/24 192.0.2.9` once
//!   became one address.
//! * OpenBSD `hostname.if` lines ([`parse_hostname_if`]), which give
//!   words places as `netstart`'s `parse_hn_line` does: `inet [alias]
//!   ADDR [NETMASK [BROADCAST]] words...` (`NONE` holds a place) and
//!   `inet6 [alias] ADDR [PREFIXLEN] words...`.
//!
//! Keywords match exactly, the value of `state` in any case, as BSD
//! ifconfig does. Every error names the word, its position and, for
//! numbers, the range allowed ([`CtlError`]).
//!
//! Parsing has no side effect; [`IfconfigRequest::apply`] turns a request
//! and the current configuration into a whole new one or an error.

pub mod parser;

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use carp_core::vhost::{AdverInt, Priority, MAX_ADDRS};
use carp_core::{AdvSkew, Key, State, Version, Vhid, VhostConfig};
use carp_ifnet::lladdr::MacAddr;

use super::group::{GroupOp, MAX_GROUP_WORDS};
use super::ifname::IfName;
use super::CtlError;
pub use parser::Syntax;

/// `carpdev IF` or `-carpdev`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CarpdevChange {
    /// Run over this parent.
    Set(IfName),
    /// Detach from the parent.
    Remove,
}

/// `peer A` / `peer6 A` / `carppeer A`, or `-peer` / `-peer6` /
/// `-carppeer` (back to the multicast group).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerChange<A> {
    /// Send to this unicast peer, and accept adverts only from it.
    Set(A),
    /// Back to multicast.
    Clear,
}

/// `alias` or `-alias` (`delete`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AliasOp {
    /// Add the addresses next to those present.
    Add,
    /// Remove the addresses.
    Remove,
}

/// `inet` or `inet6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// IPv4.
    Inet,
    /// IPv6.
    Inet6,
}

/// `create` or `destroy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// Create the interface.
    Create,
    /// Destroy the interface.
    Destroy,
}

/// OpenBSD's `lladdr` word: the carp interface's own link-level address.
///
/// The engine sets the interface's MAC and the vhid's HMAC term from it
/// with [`carp_ifnet::lladdr::hmac_lladdr`] (hashed only when it is
/// neither the vhid's virtual MAC nor the parent's, as OpenBSD does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lladdr {
    /// `lladdr xx:xx:xx:xx:xx:xx`: a unicast MAC (OpenBSD's `SIOCSIFLLADDR`
    /// refuses group addresses).
    Mac(MacAddr),
    /// `lladdr random`: a random locally administered unicast MAC, drawn
    /// by whoever applies the request (OpenBSD ifconfig clears the group
    /// bit and sets the local bit of random bytes).
    Random,
}

/// One address of a request with what qualified it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddrSpec {
    /// The address.
    pub addr: IpAddr,
    /// Prefix length from `/N`, a netmask, `prefixlen` or a `hostname.if`
    /// place; `None` if not given (see [`AddrSpec::prefix_len_or_default`]).
    pub prefix_len: Option<u8>,
    /// IPv4 broadcast address, if given.
    pub broadcast: Option<Ipv4Addr>,
}

impl AddrSpec {
    /// The prefix length given, else [`default_prefix_len`].
    pub fn prefix_len_or_default(&self) -> u8 {
        self.prefix_len
            .unwrap_or_else(|| default_prefix_len(self.addr))
    }
}

/// The prefix length an address gets when none is given: the classful
/// netmask of an IPv4 address (class A /8, B /16, C /24, others /32), as
/// BSD ifconfig falls back to, and /64 for IPv6.
pub fn default_prefix_len(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(a) => match a.octets().first().copied().unwrap_or(0) {
            0..=127 => 8,
            128..=191 => 16,
            192..=223 => 24,
            _ => 32,
        },
        IpAddr::V6(_) => 64,
    }
}

/// What one ifconfig command asks for; `None` and empty mean "not said".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IfconfigRequest {
    /// `vhid N`, 1..255.
    pub vhid: Option<Vhid>,
    /// `advbase N`, 0..255 seconds.
    pub advbase: Option<u8>,
    /// `advskew N`, 0..254 in 1/256 s.
    pub advskew: Option<AdvSkew>,
    /// `pass X`, at most 19 bytes.
    pub pass: Option<Key>,
    /// `carpdev IF` or `-carpdev`.
    pub carpdev: Option<CarpdevChange>,
    /// `state init|backup|master`.
    pub state: Option<State>,
    /// `lladdr MAC|random`.
    pub lladdr: Option<Lladdr>,
    /// `carpver 2|3` (FreeBSD): CARP or VRRPv3.
    pub version: Option<Version>,
    /// `vrrpprio N` (FreeBSD), 1..255.
    pub vrrp_priority: Option<Priority>,
    /// `vrrpinterval N` (FreeBSD), 1..4095 centiseconds.
    pub vrrp_interval: Option<AdverInt>,
    /// `vrrpaccept` / `-vrrpaccept` (ours): RFC 9568 Accept_Mode.
    pub vrrp_accept: Option<bool>,
    /// `peer A` / `-peer` (FreeBSD), `carppeer A` / `-carppeer` (OpenBSD).
    pub peer: Option<PeerChange<Ipv4Addr>>,
    /// `peer6 A` / `-peer6` (FreeBSD).
    pub peer6: Option<PeerChange<Ipv6Addr>>,
    /// `inet` or `inet6`.
    pub family: Option<Family>,
    /// The addresses in the order given.
    pub addresses: heapless::Vec<AddrSpec, MAX_ADDRS>,
    /// `alias` or `-alias`.
    pub alias: Option<AliasOp>,
    /// `up` (true) or `down` (false).
    pub up: Option<bool>,
    /// `create` or `destroy`.
    pub lifecycle: Option<Lifecycle>,
    /// `group NAME` and `-group NAME`, in the order given (OpenBSD
    /// ifconfig(8); see [`crate::group`]).
    pub groups: heapless::Vec<GroupOp, MAX_GROUP_WORDS>,
}

/// Parses whitespace-separated ifconfig arguments.
///
/// # Errors
/// The first problem found, naming the word (see [`CtlError`]).
pub fn parse_words(words: &str) -> Result<IfconfigRequest, CtlError> {
    parse_word_iter(words.split_ascii_whitespace())
}

/// Parses ifconfig arguments one by one (as `argv` gives them).
///
/// # Errors
/// As [`parse_words`]; indexes count the words of `words` from 0.
pub fn parse_word_iter<'a, I>(words: I) -> Result<IfconfigRequest, CtlError>
where
    I: IntoIterator<Item = &'a str>,
{
    parser::parse(Syntax::Ifconfig, words)
}

/// Parses one OpenBSD `hostname.if` line (`inet 10.0.0.1 255.255.255.0
/// 10.0.0.255 vhid 1 pass foo`), giving the words after `inet`/`inet6`
/// their places as `netstart` does; a line that starts with neither is
/// plain ifconfig arguments, as in `netstart`.
///
/// # Errors
/// As [`parse_words`].
pub fn parse_hostname_if(line: &str) -> Result<IfconfigRequest, CtlError> {
    parser::parse(Syntax::HostnameIf, line.split_ascii_whitespace())
}

impl IfconfigRequest {
    /// The configuration `base` becomes under this request, or why not;
    /// `base` is never changed.
    ///
    /// `vhid`, `advbase`, `advskew`, `pass`, `carpver`, `vrrpprio`,
    /// `vrrpinterval`, `vrrpaccept` and the peers replace their fields. With
    /// `alias` the addresses are added (one already present is kept, as
    /// re-adding an alias on BSD only updates its netmask); with `-alias`
    /// they are removed; with neither, as plain `ifconfig carp0 ADDR`, the
    /// first address of each family given replaces the first address of
    /// that family present, and further ones are added.
    ///
    /// This is the configuration part of the request only: `state`,
    /// `carpdev`, `up`/`down`, `create`/`destroy`, `lladdr`,
    /// `inet`/`inet6`, prefix lengths and broadcasts are not part of
    /// [`VhostConfig`], and whoever applies the request to an interface
    /// must honour them from the request itself.
    ///
    /// # Errors
    /// [`CtlError::AddressNotFound`] for `-alias` of an absent address;
    /// [`CtlError::Config`] when the result is no valid configuration
    /// (multicast, loopback or unspecified address, duplicate, too many).
    pub fn apply(&self, base: &VhostConfig) -> Result<VhostConfig, CtlError> {
        let mut config = base.clone();
        if let Some(vhid) = self.vhid {
            config.vhid = vhid;
        }
        if let Some(advbase) = self.advbase {
            config.advbase = advbase;
        }
        if let Some(advskew) = self.advskew {
            config.advskew = advskew;
        }
        if let Some(key) = self.pass {
            config.key = key;
        }
        if let Some(version) = self.version {
            config.version = version;
        }
        if let Some(priority) = self.vrrp_priority {
            config.vrrp.priority = priority;
        }
        if let Some(interval) = self.vrrp_interval {
            config.vrrp.interval = interval;
        }
        if let Some(accept) = self.vrrp_accept {
            config.vrrp.accept = accept;
        }
        match self.peer {
            Some(PeerChange::Set(a)) => config.peers.set(IpAddr::V4(a))?,
            Some(PeerChange::Clear) => config.peers.clear_v4(),
            None => {}
        }
        match self.peer6 {
            Some(PeerChange::Set(a)) => config.peers.set(IpAddr::V6(a))?,
            Some(PeerChange::Clear) => config.peers.clear_v6(),
            None => {}
        }
        let in_base = |addr: &IpAddr| base.addresses().contains(addr);
        match self.alias {
            Some(AliasOp::Remove) => {
                for spec in &self.addresses {
                    if !config.remove_address(spec.addr) {
                        return Err(CtlError::AddressNotFound(spec.addr));
                    }
                }
            }
            Some(AliasOp::Add) => {
                for spec in self.addresses.iter().filter(|s| !in_base(&s.addr)) {
                    config.add_address(spec.addr)?;
                }
            }
            None => {
                let (mut replaced_v4, mut replaced_v6) = (false, false);
                for spec in &self.addresses {
                    let v4 = spec.addr.is_ipv4();
                    let replaced = if v4 {
                        &mut replaced_v4
                    } else {
                        &mut replaced_v6
                    };
                    let first = !*replaced;
                    *replaced = true;
                    if in_base(&spec.addr) {
                        continue;
                    }
                    if first {
                        if let Some(old) = base.addresses().iter().find(|a| a.is_ipv4() == v4) {
                            config.remove_address(*old);
                        }
                    }
                    config.add_address(spec.addr)?;
                }
            }
        }
        Ok(config)
    }

    /// The configuration of a new virtual host under this request: the
    /// defaults of its `vhid` with the request applied, for a request that
    /// says nothing but configuration (vhid, advbase, advskew, pass, the
    /// VRRP words, the peers, addresses with their prefix lengths, `alias`,
    /// `inet`/`inet6`).
    ///
    /// # Errors
    /// [`CtlError::NotAConfig`] naming the first word it cannot express
    /// ([`IfconfigRequest::unexpressed`]) rather than dropping it;
    /// [`CtlError::MissingVhid`] without `vhid`; otherwise as
    /// [`IfconfigRequest::apply`].
    pub fn to_config(&self) -> Result<VhostConfig, CtlError> {
        if let Some(word) = self.unexpressed() {
            return Err(CtlError::NotAConfig { word });
        }
        let vhid = self.vhid.ok_or(CtlError::MissingVhid)?;
        self.apply(&VhostConfig::new(vhid))
    }

    /// The first word of the request that a [`VhostConfig`] cannot hold,
    /// in the order `state`, `up`/`down`, `create`/`destroy`,
    /// `carpdev`/`-carpdev`, `lladdr`, `group`/`-group`; `None` when it is
    /// configuration only.
    pub fn unexpressed(&self) -> Option<&'static str> {
        let lifecycle = self.lifecycle.map(|l| match l {
            Lifecycle::Create => "create",
            Lifecycle::Destroy => "destroy",
        });
        let carpdev = self.carpdev.as_ref().map(|c| match c {
            CarpdevChange::Set(_) => "carpdev",
            CarpdevChange::Remove => "-carpdev",
        });
        self.state
            .map(|_| "state")
            .or(self.up.map(|up| if up { "up" } else { "down" }))
            .or(lifecycle)
            .or(carpdev)
            .or(self.lladdr.map(|_| "lladdr"))
            .or(self.groups.first().map(|g| match g {
                GroupOp::Join(_) => "group",
                GroupOp::Leave(_) => "-group",
            }))
    }

    /// True if the request says nothing but `create` or `destroy`.
    pub fn is_only(&self, lifecycle: Lifecycle) -> bool {
        *self
            == IfconfigRequest {
                lifecycle: Some(lifecycle),
                ..IfconfigRequest::default()
            }
    }
}

/// The prefix length of a contiguous IPv4 netmask written as a dotted quad
/// (`255.255.255.0`) or in hex (`0xffffff00`, as ifconfig prints it).
pub fn parse_netmask(word: &str) -> Option<u8> {
    let bits = match word.strip_prefix("0x").or_else(|| word.strip_prefix("0X")) {
        Some(hex)
            if !hex.is_empty() && hex.len() <= 8 && hex.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            u32::from_str_radix(hex, 16).ok()?
        }
        Some(_) => return None,
        None => u32::from(word.parse::<Ipv4Addr>().ok()?),
    };
    let ones = bits.leading_ones();
    // Contiguous: nothing set after the leading ones.
    if bits.checked_shl(ones).unwrap_or(0) != 0 {
        return None;
    }
    u8::try_from(ones).ok()
}
