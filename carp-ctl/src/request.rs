//! [`CarpReq`]: the fixed-layout set/get request, in the spirit of BSD
//! `struct carpreq` passed through `SIOCSVH` / `SIOCGVH`.
//!
//! The first 36 bytes are BSD's `carpreq` (`state`, `vhid`, `advskew`,
//! `advbase`, `key[20]`); what follows is ours. Integers are `i32`/`u32` in
//! the host's byte order, as an ioctl argument is; the struct has no padding
//! holes (explicit reserved bytes instead), so every byte is defined.
//!
//! ```text
//! offset size field
//!      0    4 state       i32: 0 INIT, 1 BACKUP, 2 MASTER (BSD numbers)
//!      4    4 vhid        i32: 1..255
//!      8    4 advskew     i32: 0..254, 1/256 s
//!     12    4 advbase     i32: 0..255, seconds
//!     16   20 key         passphrase, NUL-padded (at most 19 bytes)
//!     36   16 carpdev     parent name, NUL-padded (IFNAMSIZ); all zero = none
//!     52    4 demote      i32: demotion counter (get: current; set: ignored)
//!     56    4 flags       u32: FLAG_LLADDR | FLAG_LINK_LOCAL_EXCLUDE
//!     60    4 naddrs      u32: 0..=MAX_ADDRS used slots of `addrs`
//!     64    6 lladdr      the carp interface's MAC (OpenBSD lladdr; with FLAG_LLADDR)
//!     70    1 dead_ratio  u8: 1..255 advert intervals of silence
//!     71    1 reserved    0
//!     72  144 addrs       MAX_ADDRS x CarpReqAddr (18 bytes each)
//!    216    1 version     u8: 2 CARP, 3 VRRPv3 (FreeBSD carpkreq carpr_version); 0: 2
//!    217    1 vrrp_prio   u8: 1..255 (carpr_vrrp_priority); 0: 100
//!    218    2 vrrp_interval u16: 1..4095 centiseconds (carpr_vrrp_adv_inter); 0: 100
//!    220    4 peer        IPv4 unicast peer, network order (FLAG_PEER; else 0)
//!    224   16 peer6       IPv6 unicast peer (FLAG_PEER6; else 0)
//!    240      (size)
//!
//! CarpReqAddr: family u8 (4 or 6), prefix_len u8, addr [u8; 16]
//!              (network order; IPv4 in the first 4 bytes, the rest 0)
//! ```
//!
//! A set request is a whole configuration: [`CarpReq::to_config`] checks
//! every field and either returns the new [`VhostConfig`] or says which
//! field is wrong. Unlike `SIOCSVH` there is no "0 means unchanged". The
//! fields from offset 216 mirror FreeBSD 14's kernel-side `struct carpkreq`
//! (which appends `carpr_addr`, `carpr_addr6`, `carpr_version`,
//! `carpr_vrrp_priority`, `carpr_vrrp_adv_inter` to `carpreq`), reordered
//! so the struct has no padding.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use carp_core::auth::KEY_LEN;
use carp_core::vhost::{AdverInt, Priority, MAX_ADDRS};
use carp_core::{State, Version, Vhid, VhostConfig};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::ifname::{IfName, IFNAMSIZ};
use super::CtlError;

/// [`CarpReqAddr::family`] of an IPv4 address. Not `AF_INET6`'s value,
/// which differs between systems: the request uses the IP version.
pub const FAMILY_INET: u8 = 4;
/// [`CarpReqAddr::family`] of an IPv6 address.
pub const FAMILY_INET6: u8 = 6;

/// BSD `carpr_state` of [`State::Init`].
pub const STATE_INIT: i32 = 0;
/// BSD `carpr_state` of [`State::Backup`].
pub const STATE_BACKUP: i32 = 1;
/// BSD `carpr_state` of [`State::Master`].
pub const STATE_MASTER: i32 = 2;

/// One virtual address slot of a [`CarpReq`] (18 bytes).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, FromBytes, IntoBytes, KnownLayout, Immutable,
)]
#[repr(C)]
pub struct CarpReqAddr {
    /// [`FAMILY_INET`] or [`FAMILY_INET6`]; 0 in an unused slot.
    pub family: u8,
    /// Prefix length: 0..=32 for IPv4, 0..=128 for IPv6.
    pub prefix_len: u8,
    /// The address in network order; IPv4 uses the first 4 bytes.
    pub addr: [u8; 16],
}

impl CarpReqAddr {
    /// The slot for an address and prefix length.
    pub fn new(addr: IpAddr, prefix_len: u8) -> CarpReqAddr {
        let mut bytes = [0u8; 16];
        let family = match addr {
            IpAddr::V4(a) => {
                for (dst, src) in bytes.iter_mut().zip(a.octets()) {
                    *dst = src;
                }
                FAMILY_INET
            }
            IpAddr::V6(a) => {
                bytes = a.octets();
                FAMILY_INET6
            }
        };
        CarpReqAddr {
            family,
            prefix_len,
            addr: bytes,
        }
    }

    /// The address and prefix length of slot `slot`, checked.
    ///
    /// # Errors
    /// [`CtlError::BadFamily`], [`CtlError::OutOfRange`] for the prefix
    /// length, [`CtlError::NotZeroPadded`] for bytes past an IPv4 address.
    pub fn get(&self, slot: usize) -> Result<(IpAddr, u8), CtlError> {
        let (addr, max) = match self.family {
            FAMILY_INET => {
                let [a, b, c, d, rest @ ..] = self.addr;
                if rest.iter().any(|&x| x != 0) {
                    return Err(CtlError::NotZeroPadded { field: "addr" });
                }
                (IpAddr::V4(Ipv4Addr::new(a, b, c, d)), 32)
            }
            FAMILY_INET6 => (IpAddr::V6(Ipv6Addr::from(self.addr)), 128),
            got => return Err(CtlError::BadFamily { slot, got }),
        };
        if self.prefix_len > max {
            return Err(CtlError::OutOfRange {
                word: "prefixlen",
                min: 0,
                max: i64::from(max),
                got: i64::from(self.prefix_len),
            });
        }
        Ok((addr, self.prefix_len))
    }
}

/// The set/get request of one virtual host; see the module docs for the
/// layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
#[repr(C)]
pub struct CarpReq {
    /// BSD state number: [`STATE_INIT`], [`STATE_BACKUP`], [`STATE_MASTER`].
    pub state: i32,
    /// The vhid, 1..255.
    pub vhid: i32,
    /// Skew in 1/256 s, 0..254.
    pub advskew: i32,
    /// Base advertisement interval in seconds, 0..255.
    pub advbase: i32,
    /// The passphrase, NUL-padded.
    pub key: [u8; KEY_LEN],
    /// Parent interface name, NUL-padded; all zero for none.
    pub carpdev: [u8; IFNAMSIZ],
    /// Demotion counter (reported by get; a set ignores it).
    pub demote: i32,
    /// [`CarpReq::FLAG_LLADDR`] and [`CarpReq::FLAG_LINK_LOCAL_EXCLUDE`].
    pub flags: u32,
    /// Used slots of `addrs`.
    pub naddrs: u32,
    /// OpenBSD virtual MAC, meaningful with [`CarpReq::FLAG_LLADDR`].
    pub lladdr: [u8; 6],
    /// Advert intervals of silence before a backup takes over, 1..255.
    pub dead_ratio: u8,
    /// Reserved, 0.
    pub reserved: u8,
    /// The virtual addresses, `naddrs` of them in order.
    pub addrs: [CarpReqAddr; MAX_ADDRS],
    /// 2 (CARP) or 3 (VRRPv3); 0 reads as 2.
    pub version: u8,
    /// VRRP priority, 1..255; 0 reads as 100.
    pub vrrp_priority: u8,
    /// VRRP advertisement interval, 1..4095 centiseconds; 0 reads as 100.
    pub vrrp_interval: u16,
    /// IPv4 unicast peer with [`CarpReq::FLAG_PEER`], zero without.
    pub peer: [u8; 4],
    /// IPv6 unicast peer with [`CarpReq::FLAG_PEER6`], zero without.
    pub peer6: [u8; 16],
}

/// Size of a [`CarpReq`] in bytes.
pub const CARPREQ_LEN: usize = core::mem::size_of::<CarpReq>();

impl CarpReq {
    /// `lladdr` holds the carp interface's own MAC (OpenBSD `lladdr`),
    /// sent from instead of the virtual MAC.
    pub const FLAG_LLADDR: u32 = 1 << 0;
    /// Sign IPv6 without link-local addresses (OpenBSD's form).
    pub const FLAG_LINK_LOCAL_EXCLUDE: u32 = 1 << 1;
    /// IPv4 adverts go to `peer` (unicast) instead of 224.0.0.18.
    pub const FLAG_PEER: u32 = 1 << 2;
    /// IPv6 adverts go to `peer6` (unicast) instead of ff02::12.
    pub const FLAG_PEER6: u32 = 1 << 3;
    /// VRRP Accept_Mode.
    pub const FLAG_VRRP_ACCEPT: u32 = 1 << 4;
    /// Every flag defined.
    pub const FLAGS_ALL: u32 = CarpReq::FLAG_LLADDR
        | CarpReq::FLAG_LINK_LOCAL_EXCLUDE
        | CarpReq::FLAG_PEER
        | CarpReq::FLAG_PEER6
        | CarpReq::FLAG_VRRP_ACCEPT;

    /// The request describing `config` in `state` over `carpdev`. Prefix
    /// lengths are those of host routes (32, 128) until
    /// [`CarpReq::set_prefix_len`] says otherwise; `demote` is 0.
    pub fn from_config(config: &VhostConfig, state: State, carpdev: Option<&IfName>) -> CarpReq {
        let mut addrs = [CarpReqAddr::default(); MAX_ADDRS];
        for (slot, addr) in addrs.iter_mut().zip(config.addresses()) {
            let full = if addr.is_ipv4() { 32 } else { 128 };
            *slot = CarpReqAddr::new(*addr, full);
        }
        let mut flags = 0;
        if config.mac.is_some() {
            flags |= CarpReq::FLAG_LLADDR;
        }
        if config.link_local == carp_core::LinkLocalRule::Exclude {
            flags |= CarpReq::FLAG_LINK_LOCAL_EXCLUDE;
        }
        if config.peers.v4().is_some() {
            flags |= CarpReq::FLAG_PEER;
        }
        if config.peers.v6().is_some() {
            flags |= CarpReq::FLAG_PEER6;
        }
        if config.vrrp.accept {
            flags |= CarpReq::FLAG_VRRP_ACCEPT;
        }
        CarpReq {
            state: state_number(state),
            vhid: i32::from(config.vhid.get()),
            advskew: i32::from(config.advskew.get()),
            advbase: i32::from(config.advbase),
            key: *config.key.padded(),
            carpdev: carpdev.map_or([0; IFNAMSIZ], IfName::to_padded),
            demote: 0,
            flags,
            // At most MAX_ADDRS (8): the cast cannot truncate.
            naddrs: config.addresses().len() as u32,
            lladdr: config.mac.unwrap_or([0; 6]),
            dead_ratio: config.dead_ratio.get(),
            reserved: 0,
            addrs,
            version: config.version.number(),
            vrrp_priority: config.vrrp.priority.get(),
            vrrp_interval: config.vrrp.interval.get(),
            peer: config.peers.v4().map_or([0; 4], |a| a.octets()),
            peer6: config.peers.v6().map_or([0; 16], |a| a.octets()),
        }
    }

    /// Sets the prefix length of address slot `slot`.
    ///
    /// # Errors
    /// [`CtlError::OutOfRange`] for a slot past `naddrs` (word `"slot"`) or
    /// a length too long for the slot's family (word `"prefixlen"`).
    pub fn set_prefix_len(&mut self, slot: usize, prefix_len: u8) -> Result<(), CtlError> {
        let used = self.used_slots()?;
        let entry = match self.addrs.get_mut(slot) {
            Some(e) if slot < used => e,
            _ => {
                return Err(CtlError::OutOfRange {
                    word: "slot",
                    min: 0,
                    max: used as i64 - 1,
                    got: slot as i64,
                })
            }
        };
        let max = if entry.family == FAMILY_INET6 {
            128
        } else {
            32
        };
        if prefix_len > max {
            return Err(CtlError::OutOfRange {
                word: "prefixlen",
                min: 0,
                max: i64::from(max),
                got: i64::from(prefix_len),
            });
        }
        entry.prefix_len = prefix_len;
        Ok(())
    }

    /// Reads a request from exactly [`CARPREQ_LEN`] bytes.
    ///
    /// # Errors
    /// [`CtlError::BadLength`] for any other length.
    pub fn from_bytes(bytes: &[u8]) -> Result<CarpReq, CtlError> {
        CarpReq::read_from_bytes(bytes).map_err(|_| CtlError::BadLength {
            want: CARPREQ_LEN,
            got: bytes.len(),
        })
    }

    /// The state, from its BSD number.
    ///
    /// # Errors
    /// [`CtlError::OutOfRange`] (`"state"`, 0..2).
    pub fn state(&self) -> Result<State, CtlError> {
        match self.state {
            STATE_INIT => Ok(State::Init),
            STATE_BACKUP => Ok(State::Backup),
            STATE_MASTER => Ok(State::Master),
            got => Err(CtlError::OutOfRange {
                word: "state",
                min: 0,
                max: 2,
                got: i64::from(got),
            }),
        }
    }

    /// The parent interface, `None` when `carpdev` is all zero.
    ///
    /// # Errors
    /// [`CtlError::NotZeroPadded`] or [`CtlError::BadIfName`] (index 0)
    /// when the bytes are no NUL-terminated interface name.
    pub fn carpdev(&self) -> Result<Option<IfName>, CtlError> {
        let name = nul_terminated(&self.carpdev, "carpdev")?;
        if name.is_empty() {
            return Ok(None);
        }
        let text = match core::str::from_utf8(name) {
            Ok(text) => text,
            // Name what is readable of it.
            Err(e) => {
                core::str::from_utf8(name.get(..e.valid_up_to()).unwrap_or(&[])).unwrap_or("")
            }
        };
        IfName::new(text)
            .filter(|n| n.len() == name.len())
            .map(Some)
            .ok_or_else(|| CtlError::bad_ifname(0, text))
    }

    /// The addresses with their prefix lengths, checked.
    ///
    /// # Errors
    /// [`CtlError::OutOfRange`] for `naddrs`, or the error of the first bad
    /// slot (see [`CarpReqAddr::get`]).
    pub fn addresses(&self) -> Result<heapless::Vec<(IpAddr, u8), MAX_ADDRS>, CtlError> {
        let used = self.used_slots()?;
        let mut out = heapless::Vec::new();
        for (slot, entry) in self.addrs.iter().enumerate().take(used) {
            out.push(entry.get(slot)?)
                .map_err(|_| CtlError::TooManyAddresses { max: MAX_ADDRS })?;
        }
        Ok(out)
    }

    /// The configuration this request sets, every field checked; `state`,
    /// `carpdev` and `demote` are not part of it (see
    /// [`CarpReq::state`], [`CarpReq::carpdev`]).
    ///
    /// # Errors
    /// [`CtlError::OutOfRange`] naming `vhid`, `advskew`, `advbase`,
    /// `naddrs` or `prefixlen`; [`CtlError::PassTooLong`] for a key with no
    /// NUL; [`CtlError::NotZeroPadded`]; [`CtlError::UnknownFlags`];
    /// [`CtlError::BadFamily`]; [`CtlError::Config`] for a dead ratio of 0
    /// or an address no vhid may carry, or a duplicate, or a peer that is
    /// no unicast address; [`CtlError::OutOfRange`] naming `version` or
    /// `vrrp_interval`; [`CtlError::MissingPeer`] for a unicast flag
    /// without a peer. A zero version, priority or interval is the default
    /// (CARP, 100, 100 cs): a zeroed request of older code means what it
    /// meant.
    pub fn to_config(&self) -> Result<VhostConfig, CtlError> {
        let vhid = field_u8(self.vhid, "vhid", 1, 255)?;
        let advskew = field_u8(
            self.advskew,
            "advskew",
            0,
            i64::from(carp_core::AdvSkew::MAX),
        )?;
        let advbase = field_u8(self.advbase, "advbase", 0, 255)?;
        // A key with no NUL is a 20-byte passphrase: one byte too long.
        if !self.key.contains(&0) {
            return Err(CtlError::PassTooLong { len: KEY_LEN });
        }
        let pass = nul_terminated(&self.key, "key")?;
        if self.flags & !CarpReq::FLAGS_ALL != 0 {
            return Err(CtlError::UnknownFlags {
                bits: self.flags & !CarpReq::FLAGS_ALL,
            });
        }
        if self.reserved != 0 {
            return Err(CtlError::NotZeroPadded { field: "reserved" });
        }
        let mut config = VhostConfig::new(Vhid::new(vhid)?)
            .with_advbase(advbase)
            .with_advskew(advskew)?
            .with_passphrase(pass)?
            .with_dead_ratio(self.dead_ratio)?;
        // The carp interface's MAC; its HMAC term depends on the parent's
        // MAC too, so the engine derives it (hmac_lladdr) when it applies
        // the request.
        if self.flags & CarpReq::FLAG_LLADDR != 0 {
            config.mac = Some(self.lladdr);
        }
        if self.flags & CarpReq::FLAG_LINK_LOCAL_EXCLUDE != 0 {
            config.link_local = carp_core::LinkLocalRule::Exclude;
        }
        // 0 in the fields appended for VRRP means the default (CARP,
        // priority 100, 100 cs), so a zeroed request of older code keeps
        // its meaning (as FreeBSD's SIOCSVH leaves a 0 priority or interval
        // alone).
        config.version = match self.version {
            0 => Version::Carp,
            n => Version::from_number(n).map_err(|_| CtlError::OutOfRange {
                word: "version",
                min: 2,
                max: 3,
                got: i64::from(n),
            })?,
        };
        if self.vrrp_priority != 0 {
            config.vrrp.priority = Priority::new(self.vrrp_priority)?;
        }
        if self.vrrp_interval != 0 {
            config.vrrp.interval =
                AdverInt::new(self.vrrp_interval).map_err(|_| CtlError::OutOfRange {
                    word: "vrrp_interval",
                    min: 1,
                    max: i64::from(AdverInt::MAX),
                    got: i64::from(self.vrrp_interval),
                })?;
        }
        config.vrrp.accept = self.flags & CarpReq::FLAG_VRRP_ACCEPT != 0;
        let peer = IpAddr::V4(Ipv4Addr::from(self.peer));
        let peer6 = IpAddr::V6(Ipv6Addr::from(self.peer6));
        for (flag, addr, field) in [
            (CarpReq::FLAG_PEER, peer, "peer"),
            (CarpReq::FLAG_PEER6, peer6, "peer6"),
        ] {
            match (self.flags & flag != 0, addr.is_unspecified()) {
                (true, true) => return Err(CtlError::MissingPeer { field }),
                (true, false) => config.peers.set(addr)?,
                (false, false) => return Err(CtlError::NotZeroPadded { field }),
                (false, true) => {}
            }
        }
        for (addr, _) in self.addresses()? {
            config.add_address(addr)?;
        }
        Ok(config)
    }

    fn used_slots(&self) -> Result<usize, CtlError> {
        match usize::try_from(self.naddrs) {
            Ok(n) if n <= MAX_ADDRS => Ok(n),
            _ => Err(CtlError::OutOfRange {
                word: "naddrs",
                min: 0,
                max: MAX_ADDRS as i64,
                got: i64::from(self.naddrs),
            }),
        }
    }
}

/// The BSD `carpr_state` number of a state.
pub const fn state_number(state: State) -> i32 {
    match state {
        State::Init => STATE_INIT,
        State::Backup => STATE_BACKUP,
        State::Master => STATE_MASTER,
    }
}

fn field_u8(value: i32, word: &'static str, min: i64, max: i64) -> Result<u8, CtlError> {
    match u8::try_from(value) {
        Ok(v) if i64::from(v) >= min && i64::from(v) <= max => Ok(v),
        _ => Err(CtlError::OutOfRange {
            word,
            min,
            max,
            got: i64::from(value),
        }),
    }
}

/// The bytes before the first NUL, requiring a NUL and zeros after it.
fn nul_terminated<'a>(bytes: &'a [u8], field: &'static str) -> Result<&'a [u8], CtlError> {
    let end = bytes
        .iter()
        .position(|&b| b == 0)
        .ok_or(CtlError::NotZeroPadded { field })?;
    let (text, rest) = bytes
        .split_at_checked(end)
        .ok_or(CtlError::NotZeroPadded { field })?;
    if rest.iter().any(|&b| b != 0) {
        return Err(CtlError::NotZeroPadded { field });
    }
    Ok(text)
}
