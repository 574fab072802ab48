//! `VhostConfig` and its validated parts.

use core::fmt;
use core::net::IpAddr;
use core::num::NonZeroU8;

use super::peers::Peers;
use super::personality::{Version, VrrpParams};
use crate::auth::{AuthInput, Key, KeyError, LinkLocalRule};
use crate::time::{AdvTiming, DEFAULT_DEAD_RATIO};

/// Addresses one vhid can carry (IPv4 and IPv6 together).
pub const MAX_ADDRS: usize = 8;

/// A virtual host id, 1..=255.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Vhid(NonZeroU8);

impl Vhid {
    /// A vhid.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] for 0.
    pub const fn new(vhid: u8) -> Result<Vhid, ConfigError> {
        match NonZeroU8::new(vhid) {
            Some(v) => Ok(Vhid(v)),
            None => Err(ConfigError::OutOfRange {
                field: Field::Vhid,
                min: 1,
                max: 255,
                got: vhid as u32,
            }),
        }
    }

    /// The number.
    pub const fn get(self) -> u8 {
        self.0.get()
    }
}

impl fmt::Display for Vhid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.get())
    }
}

/// Advertisement skew in 1/256 s, 0..=254 (255 is reserved for bow-out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct AdvSkew(u8);

impl AdvSkew {
    /// Largest configurable skew.
    pub const MAX: u8 = 254;

    /// A skew.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] for 255.
    pub const fn new(skew: u8) -> Result<AdvSkew, ConfigError> {
        if skew > AdvSkew::MAX {
            return Err(ConfigError::OutOfRange {
                field: Field::AdvSkew,
                min: 0,
                max: AdvSkew::MAX as u32,
                got: skew as u32,
            });
        }
        Ok(AdvSkew(skew))
    }

    /// The skew.
    pub const fn get(self) -> u8 {
        self.0
    }
}

/// Which configuration field a [`ConfigError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Field {
    /// `vhid`.
    Vhid,
    /// `advbase`.
    AdvBase,
    /// `advskew`.
    AdvSkew,
    /// The dead ratio.
    DeadRatio,
    /// `carpver` (2 CARP, 3 VRRPv3).
    Version,
    /// `vrrpprio`.
    Priority,
    /// `vrrpinterval`, centiseconds.
    Interval,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Vhid => "vhid",
            Field::AdvBase => "advbase",
            Field::AdvSkew => "advskew",
            Field::DeadRatio => "deadratio",
            Field::Version => "carpver",
            Field::Priority => "vrrpprio",
            Field::Interval => "vrrpinterval",
        })
    }
}

/// Why a configuration is refused. A refused configuration changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A number outside its range.
    OutOfRange {
        /// Which field.
        field: Field,
        /// Smallest value allowed.
        min: u32,
        /// Largest value allowed.
        max: u32,
        /// Value given.
        got: u32,
    },
    /// The passphrase is not a key.
    Key(KeyError),
    /// More than [`MAX_ADDRS`] addresses.
    TooManyAddresses {
        /// The capacity.
        max: usize,
    },
    /// The address is already on the vhid.
    DuplicateAddress(IpAddr),
    /// Unspecified, broadcast (255.255.255.255), multicast or loopback:
    /// never a virtual address (see [`unusable_address`]).
    BadAddress(IpAddr),
    /// A unicast peer that is no unicast address (see
    /// [`crate::vhost::Peers::set`]).
    BadPeer(IpAddr),
    /// BACKUP or MASTER forced on a host that is down or has no address.
    NotRunning,
    /// `reconfigure` was given another vhid; a vhid is a new virtual host.
    VhidChanged {
        /// The vhid of the host.
        current: u8,
        /// The vhid offered.
        got: u8,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ConfigError::OutOfRange {
                field,
                min,
                max,
                got,
            } => write!(f, "{field} {got} out of range {min}..{max}"),
            ConfigError::Key(e) => write!(f, "{e}"),
            ConfigError::TooManyAddresses { max } => {
                write!(f, "too many addresses (at most {max} per vhid)")
            }
            ConfigError::DuplicateAddress(a) => write!(f, "address {a} given twice"),
            ConfigError::BadAddress(a) => match unusable_address(a) {
                Some(what) => write!(f, "{a} cannot be a virtual address: {what}"),
                None => write!(f, "{a} cannot be a virtual address"),
            },
            ConfigError::BadPeer(a) => match unusable_address(a) {
                Some(what) => write!(f, "{a} cannot be a unicast peer: {what}"),
                None => write!(f, "{a} cannot be a unicast peer"),
            },
            ConfigError::NotRunning => {
                f.write_str("not running: interface down, parent link down or no address")
            }
            ConfigError::VhidChanged { current, got } => write!(
                f,
                "vhid {got} differs from {current}: destroy and create instead"
            ),
        }
    }
}

impl core::error::Error for ConfigError {}

impl From<KeyError> for ConfigError {
    fn from(e: KeyError) -> ConfigError {
        ConfigError::Key(e)
    }
}

/// Why `addr` can never be a virtual address, or `None` if it can: no host
/// may own, answer ARP/ND for or advertise the unspecified address (`0.0.0.0`,
/// `::`), the IPv4 limited broadcast `255.255.255.255`, a multicast group
/// or a loopback address (`127.0.0.0/8`, `::1`). The words are those of
/// [`ConfigError::BadAddress`]'s message.
pub fn unusable_address(addr: IpAddr) -> Option<&'static str> {
    if addr.is_unspecified() {
        Some("unspecified")
    } else if addr == IpAddr::V4(core::net::Ipv4Addr::BROADCAST) {
        Some("broadcast")
    } else if addr.is_multicast() {
        Some("multicast")
    } else if addr.is_loopback() {
        Some("loopback")
    } else {
        None
    }
}

/// The configuration of one virtual host, valid by construction.
///
/// Defaults are those of `ifconfig carpN vhid N`: CARP, advbase 1, advskew
/// 0, no passphrase, no addresses, dead ratio 3, multicast; VRRP priority
/// 100 and interval 100 cs should `carpver 3` be chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VhostConfig {
    /// The vhid.
    pub vhid: Vhid,
    /// Base advertisement interval, seconds (0 = OpenBSD sub-second mode).
    pub advbase: u8,
    /// Skew, 1/256 s.
    pub advskew: AdvSkew,
    /// The key.
    pub key: Key,
    /// The HMAC's lladdr term (OpenBSD): the carp interface's MAC when it
    /// is neither the vhid's virtual MAC nor the parent's (see
    /// `carp_ifnet::lladdr::hmac_lladdr`); `None` for every other BSD and
    /// ucarp.
    pub lladdr: Option<[u8; 6]>,
    /// The MAC the vhid sends from and answers with instead of its virtual
    /// MAC (OpenBSD `ifconfig carpN lladdr ...`); `None`: the virtual MAC.
    pub mac: Option<[u8; 6]>,
    /// Which IPv6 form to sign with.
    pub link_local: LinkLocalRule,
    /// Advert intervals of silence before a backup takes over (ucarp
    /// `--deadratio`); local only, never on the wire.
    pub dead_ratio: NonZeroU8,
    /// CARP or VRRPv3 (`carpver`).
    pub version: Version,
    /// The VRRPv3 priority, interval and accept mode (used with
    /// [`Version::Vrrp`]).
    pub vrrp: VrrpParams,
    /// Unicast peers (`peer`, `peer6`, `carppeer`); multicast without.
    pub peers: Peers,
    addrs: heapless::Vec<IpAddr, MAX_ADDRS>,
}

impl VhostConfig {
    /// The defaults for a vhid.
    pub const fn new(vhid: Vhid) -> VhostConfig {
        VhostConfig {
            vhid,
            advbase: 1,
            advskew: AdvSkew(0),
            key: Key::EMPTY,
            lladdr: None,
            mac: None,
            link_local: LinkLocalRule::Include,
            dead_ratio: match NonZeroU8::new(DEFAULT_DEAD_RATIO) {
                Some(r) => r,
                None => NonZeroU8::MIN,
            },
            version: Version::Carp,
            vrrp: VrrpParams {
                priority: super::personality::Priority::DEFAULT,
                interval: super::personality::AdverInt::DEFAULT,
                accept: false,
            },
            peers: Peers::MULTICAST,
            addrs: heapless::Vec::new(),
        }
    }

    /// Sets advbase, seconds.
    pub fn with_advbase(mut self, advbase: u8) -> VhostConfig {
        self.advbase = advbase;
        self
    }

    /// Sets advskew.
    ///
    /// # Errors
    /// As [`AdvSkew::new`].
    pub fn with_advskew(mut self, advskew: u8) -> Result<VhostConfig, ConfigError> {
        self.advskew = AdvSkew::new(advskew)?;
        Ok(self)
    }

    /// Sets the passphrase.
    ///
    /// # Errors
    /// As [`Key::new`].
    pub fn with_passphrase(mut self, pass: &[u8]) -> Result<VhostConfig, ConfigError> {
        self.key = Key::new(pass)?;
        Ok(self)
    }

    /// Sets the dead ratio.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] for 0.
    pub fn with_dead_ratio(mut self, ratio: u8) -> Result<VhostConfig, ConfigError> {
        self.dead_ratio = NonZeroU8::new(ratio).ok_or(ConfigError::OutOfRange {
            field: Field::DeadRatio,
            min: 1,
            max: 255,
            got: 0,
        })?;
        Ok(self)
    }

    /// Sets the protocol (`carpver 2|3`).
    pub const fn with_version(mut self, version: Version) -> VhostConfig {
        self.version = version;
        self
    }

    /// Sets the VRRP priority (`vrrpprio`).
    ///
    /// # Errors
    /// As [`super::personality::Priority::new`].
    pub fn with_vrrp_priority(mut self, priority: u8) -> Result<VhostConfig, ConfigError> {
        self.vrrp.priority = super::personality::Priority::new(priority)?;
        Ok(self)
    }

    /// Sets the VRRP advertisement interval in centiseconds
    /// (`vrrpinterval`).
    ///
    /// # Errors
    /// As [`super::personality::AdverInt::new`].
    pub fn with_vrrp_interval(mut self, centis: u16) -> Result<VhostConfig, ConfigError> {
        self.vrrp.interval = super::personality::AdverInt::new(centis)?;
        Ok(self)
    }

    /// Sets the unicast peer of `addr`'s family (`peer`, `peer6`).
    ///
    /// # Errors
    /// As [`Peers::set`].
    pub fn with_peer(mut self, addr: IpAddr) -> Result<VhostConfig, ConfigError> {
        self.peers.set(addr)?;
        Ok(self)
    }

    /// True in the VRRP personality.
    pub const fn is_vrrp(&self) -> bool {
        matches!(self.version, Version::Vrrp)
    }

    /// Adds a virtual address.
    ///
    /// # Errors
    /// [`ConfigError::BadAddress`] (naming the address) for one that
    /// [`unusable_address`] refuses, [`ConfigError::DuplicateAddress`] or
    /// [`ConfigError::TooManyAddresses`]; the config is unchanged then.
    pub fn add_address(&mut self, addr: IpAddr) -> Result<(), ConfigError> {
        if unusable_address(addr).is_some() {
            return Err(ConfigError::BadAddress(addr));
        }
        if self.addrs.contains(&addr) {
            return Err(ConfigError::DuplicateAddress(addr));
        }
        self.addrs
            .push(addr)
            .map_err(|_| ConfigError::TooManyAddresses { max: MAX_ADDRS })
    }

    /// Builder form of [`VhostConfig::add_address`].
    ///
    /// # Errors
    /// As [`VhostConfig::add_address`].
    pub fn with_address(mut self, addr: IpAddr) -> Result<VhostConfig, ConfigError> {
        self.add_address(addr)?;
        Ok(self)
    }

    /// Removes an address; true if it was there.
    pub fn remove_address(&mut self, addr: IpAddr) -> bool {
        match self.addrs.iter().position(|a| *a == addr) {
            Some(i) => {
                self.addrs.remove(i);
                true
            }
            None => false,
        }
    }

    /// The virtual addresses in the order they were added.
    pub fn addresses(&self) -> &[IpAddr] {
        &self.addrs
    }

    /// True if any address is IPv4 (the vhid then sends IPv4 adverts).
    pub fn has_ipv4(&self) -> bool {
        self.addrs.iter().any(IpAddr::is_ipv4)
    }

    /// True if any address is IPv6 (the vhid then sends IPv6 adverts).
    pub fn has_ipv6(&self) -> bool {
        self.addrs.iter().any(IpAddr::is_ipv6)
    }

    /// advbase and advskew as intervals.
    pub const fn timing(&self) -> AdvTiming {
        AdvTiming::new(self.advbase, self.advskew.get())
    }

    /// Calls `f` with the static HMAC input of this configuration.
    pub fn with_auth_input<R>(&self, f: impl FnOnce(&AuthInput<'_>) -> R) -> R {
        let mut v4: heapless::Vec<core::net::Ipv4Addr, MAX_ADDRS> = heapless::Vec::new();
        let mut v6: heapless::Vec<core::net::Ipv6Addr, MAX_ADDRS> = heapless::Vec::new();
        for addr in &self.addrs {
            // Both vectors have the capacity of `addrs`: pushes cannot fail.
            let _ = match addr {
                IpAddr::V4(a) => v4.push(*a).map_err(|_| ()),
                IpAddr::V6(a) => v6.push(*a).map_err(|_| ()),
            };
        }
        f(&AuthInput {
            vhid: self.vhid.get(),
            lladdr: self.lladdr,
            ipv4: &v4,
            ipv6: &v6,
            link_local: self.link_local,
        })
    }
}

#[cfg(test)]
mod tests;
