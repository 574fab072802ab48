//! ifconfig words (`vhid 1 advskew 100 pass x carpdev em0 192.0.2.100/24`)
//! parsed into a plain [`IfconfigRequest`], and applied to a configuration.
//!
//! Both spellings are understood:
//!
//! * OpenBSD: `vhid 1 advbase 1 advskew 100 pass x carpdev em0 192.0.2.100
//!   255.255.255.0`, `state master`, `-carpdev`, and the `hostname.if`
//!   order `inet ADDR NETMASK BROADCAST carp-words` (`NONE` holds a place).
//! * FreeBSD: `vhid 1 advskew 100 pass x 192.0.2.100/24`, `inet vhid 1
//!   pass foo alias 10.0.0.1/32`.
//!
//! Addresses take a `/prefix`, a `netmask` (dotted quad or `0x` hex) or a
//! `prefixlen`, and IPv4 ones a `broadcast`; a netmask and then a broadcast
//! may also follow an IPv4 address positionally. Keywords match exactly,
//! the value of `state` in any case, as BSD ifconfig does.
//!
//! Parsing has no side effect; [`IfconfigRequest::apply`] turns a request
//! and the current configuration into a whole new one or an error.

use core::net::{IpAddr, Ipv4Addr};

use carp_core::vhost::MAX_ADDRS;
use carp_core::{AdvSkew, Key, KeyError, State, Vhid, VhostConfig};

use super::ifname::IfName;
use super::CtlError;

/// `carpdev IF` or `-carpdev`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CarpdevChange {
    /// Run over this parent.
    Set(IfName),
    /// Detach from the parent.
    Remove,
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

/// One address of a request with what qualified it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddrSpec {
    /// The address.
    pub addr: IpAddr,
    /// Prefix length from `/N`, a netmask or `prefixlen`; `None` if not
    /// given (the caller picks the default).
    pub prefix_len: Option<u8>,
    /// IPv4 broadcast address, if given.
    pub broadcast: Option<Ipv4Addr>,
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
}

/// Parses whitespace-separated ifconfig words.
///
/// # Errors
/// The first problem found, naming the word (see [`CtlError`]).
pub fn parse_words(words: &str) -> Result<IfconfigRequest, CtlError> {
    parse_word_iter(words.split_ascii_whitespace())
}

/// Parses ifconfig words one by one (as `argv` gives them).
///
/// # Errors
/// As [`parse_words`]; indexes count the words of `words` from 0.
pub fn parse_word_iter<'a, I>(words: I) -> Result<IfconfigRequest, CtlError>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut parser = Parser::default();
    let mut words = words.into_iter().enumerate();
    while let Some((index, word)) = words.next() {
        parser.word(index, word, &mut words)?;
    }
    Ok(parser.req)
}

/// Which positional value may come next after an IPv4 address
/// (`hostname.if`: address, netmask, broadcast).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Slot {
    #[default]
    Closed,
    Netmask,
    Broadcast,
}

#[derive(Default)]
struct Parser {
    req: IfconfigRequest,
    slot: Slot,
}

impl Parser {
    fn word<'a>(
        &mut self,
        index: usize,
        word: &'a str,
        rest: &mut impl Iterator<Item = (usize, &'a str)>,
    ) -> Result<(), CtlError> {
        let slot = core::mem::take(&mut self.slot);
        match word {
            "vhid" => {
                let n = number(rest, "vhid", 1, 255)?;
                set_once(&mut self.req.vhid, Vhid::new(n)?, "vhid", index)
            }
            "advbase" => {
                let n = number(rest, "advbase", 0, 255)?;
                set_once(&mut self.req.advbase, n, "advbase", index)
            }
            "advskew" => {
                let n = number(rest, "advskew", 0, i64::from(AdvSkew::MAX))?;
                set_once(&mut self.req.advskew, AdvSkew::new(n)?, "advskew", index)
            }
            "pass" => {
                let (i, v) = value(rest, "pass")?;
                let key = Key::new(v.as_bytes()).map_err(|e| match e {
                    KeyError::Nul { .. } => CtlError::PassHasNul { index: i },
                    _ => CtlError::PassTooLong { len: v.len() },
                })?;
                set_once(&mut self.req.pass, key, "pass", index)
            }
            "carpdev" => {
                let (i, v) = value(rest, "carpdev")?;
                let name = IfName::new(v).ok_or(CtlError::BadIfName { index: i })?;
                match self.req.carpdev {
                    None => {
                        self.req.carpdev = Some(CarpdevChange::Set(name));
                        Ok(())
                    }
                    Some(CarpdevChange::Set(_)) => Err(CtlError::Repeated {
                        word: "carpdev",
                        index,
                    }),
                    Some(CarpdevChange::Remove) => Err(CtlError::Conflict {
                        word: "carpdev",
                        index,
                    }),
                }
            }
            "-carpdev" => choose(
                &mut self.req.carpdev,
                CarpdevChange::Remove,
                "-carpdev",
                index,
            ),
            "state" => {
                let (i, v) = value(rest, "state")?;
                // BSD ifconfig: strcasecmp against CARP_STATES.
                let state = State::from_name(v).ok_or(CtlError::BadState { index: i })?;
                choose(&mut self.req.state, state, "state", index)
            }
            "inet" => self.family(Family::Inet, "inet", index),
            "inet6" => self.family(Family::Inet6, "inet6", index),
            "alias" => choose(&mut self.req.alias, AliasOp::Add, "alias", index),
            "-alias" => choose(&mut self.req.alias, AliasOp::Remove, "-alias", index),
            "delete" => choose(&mut self.req.alias, AliasOp::Remove, "delete", index),
            "up" => choose(&mut self.req.up, true, "up", index),
            "down" => choose(&mut self.req.up, false, "down", index),
            "create" => choose(&mut self.req.lifecycle, Lifecycle::Create, "create", index),
            "destroy" => choose(
                &mut self.req.lifecycle,
                Lifecycle::Destroy,
                "destroy",
                index,
            ),
            "netmask" => {
                let (i, v) = value(rest, "netmask")?;
                let prefix = parse_netmask(v).ok_or(CtlError::BadNetmask { index: i })?;
                self.set_prefix(prefix, true, "netmask", index)
            }
            "prefixlen" => {
                let (i, v) = value(rest, "prefixlen")?;
                let n = parse_number(v, "prefixlen", i)?;
                let max = match self.req.addresses.last() {
                    Some(spec) if spec.addr.is_ipv4() => 32,
                    _ => 128,
                };
                let prefix = in_range(n, "prefixlen", 0, max)?;
                self.set_prefix(prefix, false, "prefixlen", index)
            }
            "broadcast" => {
                let (i, v) = value(rest, "broadcast")?;
                let addr = v
                    .parse::<Ipv4Addr>()
                    .map_err(|_| CtlError::BadAddress { index: i })?;
                self.set_broadcast(addr, "broadcast", index, i)
            }
            // OpenBSD hostname.if: NONE keeps the netmask or broadcast place.
            "NONE" => match slot {
                Slot::Netmask => {
                    self.slot = Slot::Broadcast;
                    Ok(())
                }
                Slot::Broadcast => Ok(()),
                Slot::Closed => Err(CtlError::Misplaced {
                    word: "NONE",
                    index,
                }),
            },
            _ => self.positional_or_address(index, word, slot),
        }
    }

    fn family(&mut self, family: Family, word: &'static str, index: usize) -> Result<(), CtlError> {
        let v4 = family == Family::Inet;
        if self.req.addresses.iter().any(|a| a.addr.is_ipv4() != v4) {
            return Err(CtlError::FamilyMismatch { index });
        }
        choose(&mut self.req.family, family, word, index)
    }

    fn last_address(
        &mut self,
        word: &'static str,
        index: usize,
    ) -> Result<&mut AddrSpec, CtlError> {
        self.req
            .addresses
            .last_mut()
            .ok_or(CtlError::Misplaced { word, index })
    }

    fn set_prefix(
        &mut self,
        prefix: u8,
        v4_only: bool,
        word: &'static str,
        index: usize,
    ) -> Result<(), CtlError> {
        let spec = self.last_address(word, index)?;
        if v4_only && !spec.addr.is_ipv4() {
            return Err(CtlError::FamilyMismatch { index });
        }
        if spec.prefix_len.is_some() {
            return Err(CtlError::Repeated { word, index });
        }
        spec.prefix_len = Some(prefix);
        Ok(())
    }

    fn set_broadcast(
        &mut self,
        addr: Ipv4Addr,
        word: &'static str,
        index: usize,
        value_index: usize,
    ) -> Result<(), CtlError> {
        let spec = self.last_address(word, index)?;
        if !spec.addr.is_ipv4() {
            return Err(CtlError::FamilyMismatch { index: value_index });
        }
        if spec.broadcast.is_some() {
            return Err(CtlError::Repeated { word, index });
        }
        spec.broadcast = Some(addr);
        Ok(())
    }

    fn positional_or_address(
        &mut self,
        index: usize,
        word: &str,
        slot: Slot,
    ) -> Result<(), CtlError> {
        match slot {
            Slot::Netmask => {
                if let Some(prefix) = parse_netmask(word) {
                    self.set_prefix(prefix, true, "netmask", index)?;
                    self.slot = Slot::Broadcast;
                    return Ok(());
                }
                // A dotted quad where the netmask belongs is a bad netmask
                // (`10.0.0.1 255.0.255.0`), not a second address.
                if word.parse::<Ipv4Addr>().is_ok() || word.starts_with("0x") {
                    return Err(CtlError::BadNetmask { index });
                }
            }
            Slot::Broadcast => {
                if let Ok(addr) = word.parse::<Ipv4Addr>() {
                    return self.set_broadcast(addr, "broadcast", index, index);
                }
            }
            Slot::Closed => {}
        }
        self.address(index, word)
    }

    fn address(&mut self, index: usize, word: &str) -> Result<(), CtlError> {
        let (text, prefix) = match word.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (word, None),
        };
        let addr = text.parse::<IpAddr>().map_err(|_| {
            if looks_like_address(word) {
                CtlError::BadAddress { index }
            } else {
                CtlError::UnknownWord { index }
            }
        })?;
        let family_ok = match self.req.family {
            Some(Family::Inet) => addr.is_ipv4(),
            Some(Family::Inet6) => addr.is_ipv6(),
            None => true,
        };
        if !family_ok {
            return Err(CtlError::FamilyMismatch { index });
        }
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix_len = match prefix {
            Some(p) => Some(in_range(
                parse_number(p, "prefixlen", index)?,
                "prefixlen",
                0,
                max,
            )?),
            None => None,
        };
        self.req
            .addresses
            .push(AddrSpec {
                addr,
                prefix_len,
                broadcast: None,
            })
            .map_err(|_| CtlError::TooManyAddresses { max: MAX_ADDRS })?;
        self.slot = match (addr, prefix_len) {
            (IpAddr::V4(_), None) => Slot::Netmask,
            (IpAddr::V4(_), Some(_)) => Slot::Broadcast,
            (IpAddr::V6(_), _) => Slot::Closed,
        };
        Ok(())
    }
}

impl IfconfigRequest {
    /// The configuration `base` becomes under this request, or why not;
    /// `base` is never changed.
    ///
    /// `vhid`, `advbase`, `advskew` and `pass` replace their fields. With
    /// `alias` the addresses are added (one already present is kept, as
    /// re-adding an alias on BSD only updates its netmask); with `-alias`
    /// they are removed; with neither, as plain `ifconfig carp0 ADDR`, the
    /// first address of each family given replaces the first address of
    /// that family present, and further ones are added. `state`, `carpdev`,
    /// `up`/`down`, `create`/`destroy`, `inet`/`inet6`, prefix lengths and
    /// broadcasts are not part of [`VhostConfig`]: the caller reads them
    /// from the request.
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
    /// defaults of its `vhid` with the request applied.
    ///
    /// # Errors
    /// [`CtlError::MissingVhid`] without `vhid`; otherwise as
    /// [`IfconfigRequest::apply`].
    pub fn to_config(&self) -> Result<VhostConfig, CtlError> {
        let vhid = self.vhid.ok_or(CtlError::MissingVhid)?;
        self.apply(&VhostConfig::new(vhid))
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
        Some(hex) if !hex.is_empty() && hex.len() <= 8 => u32::from_str_radix(hex, 16).ok()?,
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

fn looks_like_address(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_digit()) || word.contains(['.', ':', '/'])
}

fn value<'a>(
    rest: &mut impl Iterator<Item = (usize, &'a str)>,
    word: &'static str,
) -> Result<(usize, &'a str), CtlError> {
    rest.next().ok_or(CtlError::MissingValue { word })
}

fn parse_number(text: &str, word: &'static str, index: usize) -> Result<i64, CtlError> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CtlError::BadNumber { word, index });
    }
    text.parse::<i64>()
        .map_err(|_| CtlError::BadNumber { word, index })
}

fn in_range(n: i64, word: &'static str, min: i64, max: i64) -> Result<u8, CtlError> {
    match u8::try_from(n) {
        Ok(v) if n >= min && n <= max => Ok(v),
        _ => Err(CtlError::OutOfRange {
            word,
            min,
            max,
            got: n,
        }),
    }
}

fn number<'a>(
    rest: &mut impl Iterator<Item = (usize, &'a str)>,
    word: &'static str,
    min: i64,
    max: i64,
) -> Result<u8, CtlError> {
    let (index, text) = value(rest, word)?;
    in_range(parse_number(text, word, index)?, word, min, max)
}

fn set_once<T>(
    slot: &mut Option<T>,
    value: T,
    word: &'static str,
    index: usize,
) -> Result<(), CtlError> {
    if slot.is_some() {
        return Err(CtlError::Repeated { word, index });
    }
    *slot = Some(value);
    Ok(())
}

/// Sets one of several exclusive choices: the same one again is
/// [`CtlError::Repeated`], another one [`CtlError::Conflict`].
fn choose<T: PartialEq>(
    slot: &mut Option<T>,
    value: T,
    word: &'static str,
    index: usize,
) -> Result<(), CtlError> {
    match slot {
        None => {
            *slot = Some(value);
            Ok(())
        }
        Some(v) if *v == value => Err(CtlError::Repeated { word, index }),
        Some(_) => Err(CtlError::Conflict { word, index }),
    }
}
