//! The grammar of ifconfig words: one pass over the words, each keyword
//! taking its value, addresses with what qualifies them.
//!
//! # Which word is an address's netmask or broadcast
//!
//! A qualifier named by its keyword (`netmask`, `prefixlen`, `broadcast`)
//! or written into the address (`/24`) is certain. A bare word after an
//! address is taken as its netmask or broadcast only where its place says
//! so:
//!
//! | grammar | right after ADDR | then |
//! |---|---|---|
//! | ifconfig, IPv4 ADDR without `/N` | a netmask that cannot be an address: `0x` hex, or a dotted quad `0.0.0.0` or from `224.0.0.0` up (`255.255.255.0`) | nothing |
//! | `hostname.if`, `inet [alias] ADDR` | NETMASK (any netmask, or `NONE`) | BROADCAST (or `NONE`) |
//! | `hostname.if`, `inet6 [alias] ADDR` | PREFIXLEN (a number) | nothing |
//!
//! (OpenBSD `etc/netstart` rev 1.180, `parse_hn_line`: words 2 and 3, or 3
//! and 4 after `alias`, become `netmask` and `broadcast`; for `inet6` word
//! 2, or 3, becomes `prefixlen`.) Anywhere else a bare address right after
//! an address is [`CtlError::AmbiguousAddress`]; an address with its own
//! `/N` is never ambiguous.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use carp_core::vhost::{AdverInt, Priority, MAX_ADDRS};
use carp_core::{AdvSkew, Key, KeyError, State, Version, Vhid};
use carp_ifnet::lladdr::MacAddr;
use carp_sysctl::Snippet;

use super::{
    parse_netmask, AddrSpec, AliasOp, CarpdevChange, Family, IfconfigRequest, Lifecycle, Lladdr,
    PeerChange,
};
use crate::group::{GroupName, GroupOp, MAX_GROUP_WORDS};
use crate::ifname::IfName;
use crate::CtlError;

/// Which grammar the words follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// ifconfig(8) arguments (after `ifconfig carpN`), rc.conf values, the
    /// C ABI's words.
    Ifconfig,
    /// An OpenBSD `hostname.if(5)` line.
    HostnameIf,
}

/// Parses `words` under `syntax`.
///
/// # Errors
/// The first problem found, naming the word (see [`CtlError`]).
pub fn parse<'a, I>(syntax: Syntax, words: I) -> Result<IfconfigRequest, CtlError>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut parser = Parser {
        syntax,
        req: IfconfigRequest::default(),
        slot: Slot::Closed,
        after_address: false,
        address_place: None,
    };
    let mut words = words.into_iter().enumerate();
    while let Some((index, word)) = words.next() {
        parser.word(index, word, &mut words)?;
    }
    Ok(parser.req)
}

/// Which bare word the last address still takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Slot {
    #[default]
    Closed,
    /// ifconfig: a netmask that cannot be an address.
    CertainNetmask,
    /// `hostname.if` `inet`: the netmask place.
    Netmask,
    /// `hostname.if` `inet`: the broadcast place.
    Broadcast,
    /// `hostname.if` `inet6`: the prefix length place.
    Prefixlen,
}

struct Parser {
    syntax: Syntax,
    req: IfconfigRequest,
    slot: Slot,
    /// The previous word was an address or one of its qualifiers.
    after_address: bool,
    /// `hostname.if`: the index at which an address gets places.
    address_place: Option<usize>,
}

impl Parser {
    fn word<'a>(
        &mut self,
        index: usize,
        word: &'a str,
        rest: &mut impl Iterator<Item = (usize, &'a str)>,
    ) -> Result<(), CtlError> {
        let slot = core::mem::take(&mut self.slot);
        let after_address = core::mem::take(&mut self.after_address);
        if self.syntax == Syntax::HostnameIf {
            match (index, word) {
                (0, "inet" | "inet6") => self.address_place = Some(1),
                (1, "alias") if self.address_place == Some(1) => self.address_place = Some(2),
                _ => {}
            }
        }
        match word {
            "vhid" => {
                let n = number(rest, "vhid", index, 1, 255)?;
                set_once(&mut self.req.vhid, Vhid::new(n)?, "vhid", index)
            }
            "advbase" => {
                let n = number(rest, "advbase", index, 0, 255)?;
                set_once(&mut self.req.advbase, n, "advbase", index)
            }
            "advskew" => {
                let n = number(rest, "advskew", index, 0, i64::from(AdvSkew::MAX))?;
                set_once(&mut self.req.advskew, AdvSkew::new(n)?, "advskew", index)
            }
            "pass" => {
                let (i, v) = value(rest, "pass", index)?;
                let key = Key::new(v.as_bytes()).map_err(|e| match e {
                    KeyError::Nul { .. } => CtlError::PassHasNul { index: i },
                    _ => CtlError::PassTooLong { len: v.len() },
                })?;
                set_once(&mut self.req.pass, key, "pass", index)
            }
            "carpdev" => {
                let (i, v) = value(rest, "carpdev", index)?;
                let name = IfName::new(v).ok_or_else(|| CtlError::bad_ifname(i, v))?;
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
                let (i, v) = value(rest, "state", index)?;
                // BSD ifconfig: strcasecmp against CARP_STATES.
                let state = State::from_name(v).ok_or(CtlError::BadState {
                    index: i,
                    got: Snippet::new(v),
                })?;
                choose(&mut self.req.state, state, "state", index)
            }
            "lladdr" => {
                let (i, v) = value(rest, "lladdr", index)?;
                let lladdr = parse_lladdr(v).ok_or(CtlError::BadLladdr {
                    index: i,
                    got: Snippet::new(v),
                })?;
                set_once(&mut self.req.lladdr, lladdr, "lladdr", index)
            }
            // FreeBSD 14 ifcarp.c: carpver, vrrpprio, vrrpinterval, peer,
            // peer6, -peer, -peer6; OpenBSD ifconfig.c: carppeer, -carppeer.
            "carpver" => {
                let n = number(rest, "carpver", index, 2, 3)?;
                set_once(
                    &mut self.req.version,
                    Version::from_number(n)?,
                    "carpver",
                    index,
                )
            }
            "vrrpprio" => {
                let n = number(rest, "vrrpprio", index, 1, 255)?;
                set_once(
                    &mut self.req.vrrp_priority,
                    Priority::new(n)?,
                    "vrrpprio",
                    index,
                )
            }
            "vrrpinterval" => {
                let (i, text) = value(rest, "vrrpinterval", index)?;
                let n = parse_number(text, "vrrpinterval", i)?;
                let max = i64::from(AdverInt::MAX);
                let centis = u16::try_from(n)
                    .ok()
                    .filter(|c| (1..=AdverInt::MAX).contains(c))
                    .ok_or(CtlError::ValueOutOfRange {
                        word: "vrrpinterval",
                        index: i,
                        min: 1,
                        max,
                        got: n,
                    })?;
                let interval = AdverInt::new(centis)?;
                set_once(&mut self.req.vrrp_interval, interval, "vrrpinterval", index)
            }
            "vrrpaccept" => choose(&mut self.req.vrrp_accept, true, "vrrpaccept", index),
            "-vrrpaccept" => choose(&mut self.req.vrrp_accept, false, "-vrrpaccept", index),
            "peer" | "carppeer" => {
                let kw = if word == "peer" { "peer" } else { "carppeer" };
                let (i, v) = value(rest, kw, index)?;
                let addr = peer_address::<Ipv4Addr>(i, v)?;
                choose(&mut self.req.peer, PeerChange::Set(addr), kw, index)
            }
            "peer6" => {
                let (i, v) = value(rest, "peer6", index)?;
                let addr = peer_address::<Ipv6Addr>(i, v)?;
                choose(&mut self.req.peer6, PeerChange::Set(addr), "peer6", index)
            }
            "-peer" => choose(&mut self.req.peer, PeerChange::Clear, "-peer", index),
            "-carppeer" => choose(&mut self.req.peer, PeerChange::Clear, "-carppeer", index),
            "-peer6" => choose(&mut self.req.peer6, PeerChange::Clear, "-peer6", index),
            "group" | "-group" => {
                let keyword = if word == "group" { "group" } else { "-group" };
                let (i, v) = value(rest, keyword, index)?;
                let name = GroupName::new(v).ok_or(CtlError::BadGroupName {
                    index: i,
                    name: Snippet::new(v),
                })?;
                self.group(word == "group", name, keyword, index)
            }
            "inet" => self.family(Family::Inet, "inet", index),
            "inet6" => self.family(Family::Inet6, "inet6", index),
            "alias" => choose(&mut self.req.alias, AliasOp::Add, "alias", index),
            // FreeBSD ifconfig(8): `add` and `remove` are other names of
            // `alias` and `-alias` (its carp tests write `add vhid 1 ...`).
            "add" => choose(&mut self.req.alias, AliasOp::Add, "add", index),
            "remove" => choose(&mut self.req.alias, AliasOp::Remove, "remove", index),
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
                let (i, v) = value(rest, "netmask", index)?;
                let prefix = parse_netmask(v).ok_or(CtlError::BadNetmask {
                    index: i,
                    word: Snippet::new(v),
                })?;
                self.set_prefix(prefix, true, "netmask", index, v)?;
                self.after_address = true;
                Ok(())
            }
            "prefixlen" => {
                let (i, v) = value(rest, "prefixlen", index)?;
                self.prefixlen(i, v, index)?;
                self.after_address = true;
                Ok(())
            }
            "broadcast" => {
                let (i, v) = value(rest, "broadcast", index)?;
                let addr = v.parse::<Ipv4Addr>().map_err(|_| CtlError::BadAddress {
                    index: i,
                    word: Snippet::new(v),
                })?;
                self.set_broadcast(addr, "broadcast", index, i, v)?;
                self.after_address = true;
                Ok(())
            }
            // OpenBSD hostname.if: NONE keeps the netmask or broadcast place.
            "NONE" => {
                self.slot = match slot {
                    Slot::Netmask => Slot::Broadcast,
                    Slot::Broadcast => Slot::Closed,
                    _ => {
                        return Err(CtlError::Misplaced {
                            word: "NONE",
                            index,
                        })
                    }
                };
                self.after_address = true;
                Ok(())
            }
            _ => self.positional_or_address(index, word, slot, after_address),
        }
    }

    /// `group NAME` (`join`) or `-group NAME`: the same group twice is
    /// [`CtlError::Repeated`], joined and left [`CtlError::Conflict`].
    fn group(
        &mut self,
        join: bool,
        name: GroupName,
        word: &'static str,
        index: usize,
    ) -> Result<(), CtlError> {
        let same = |g: &GroupOp| matches!(g, GroupOp::Join(n) | GroupOp::Leave(n) if *n == name);
        if let Some(earlier) = self.req.groups.iter().find(|g| same(g)) {
            return Err(if matches!(earlier, GroupOp::Join(_)) == join {
                CtlError::Repeated { word, index }
            } else {
                CtlError::Conflict { word, index }
            });
        }
        let op = if join {
            GroupOp::Join(name)
        } else {
            GroupOp::Leave(name)
        };
        self.req
            .groups
            .push(op)
            .map_err(|_| CtlError::TooManyGroups {
                max: MAX_GROUP_WORDS,
            })
    }

    fn family(&mut self, family: Family, word: &'static str, index: usize) -> Result<(), CtlError> {
        let v4 = family == Family::Inet;
        if self.req.addresses.iter().any(|a| a.addr.is_ipv4() != v4) {
            return Err(CtlError::FamilyMismatch {
                index,
                word: Snippet::new(word),
            });
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

    /// `prefixlen N` (keyword at `index`, value `text` at `at`), bounded by
    /// the family of the last address.
    fn prefixlen(&mut self, at: usize, text: &str, index: usize) -> Result<(), CtlError> {
        let n = parse_number(text, "prefixlen", at)?;
        let max = match self.req.addresses.last() {
            Some(spec) if spec.addr.is_ipv4() => 32,
            _ => 128,
        };
        let prefix = in_range(n, "prefixlen", at, 0, max)?;
        self.set_prefix(prefix, false, "prefixlen", index, text)
    }

    fn set_prefix(
        &mut self,
        prefix: u8,
        v4_only: bool,
        word: &'static str,
        index: usize,
        text: &str,
    ) -> Result<(), CtlError> {
        let spec = self.last_address(word, index)?;
        if v4_only && !spec.addr.is_ipv4() {
            return Err(CtlError::FamilyMismatch {
                index,
                word: Snippet::new(text),
            });
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
        text: &str,
    ) -> Result<(), CtlError> {
        let spec = self.last_address(word, index)?;
        if !spec.addr.is_ipv4() {
            return Err(CtlError::FamilyMismatch {
                index: value_index,
                word: Snippet::new(text),
            });
        }
        if spec.broadcast.is_some() {
            return Err(CtlError::Repeated { word, index });
        }
        spec.broadcast = Some(addr);
        Ok(())
    }

    /// A word that is no keyword: the value of the place the last address
    /// left open, or an address.
    fn positional_or_address(
        &mut self,
        index: usize,
        word: &str,
        slot: Slot,
        after_address: bool,
    ) -> Result<(), CtlError> {
        let bad_netmask = || CtlError::BadNetmask {
            index,
            word: Snippet::new(word),
        };
        match slot {
            Slot::Netmask => {
                if let Some(prefix) = parse_netmask(word) {
                    self.set_prefix(prefix, true, "netmask", index, word)?;
                    self.slot = Slot::Broadcast;
                    self.after_address = true;
                    return Ok(());
                }
                // A dotted quad in the netmask place is a bad netmask
                // (`10.0.0.1 255.0.255.0`), not a second address.
                if word.parse::<Ipv4Addr>().is_ok() || is_hex(word) {
                    return Err(bad_netmask());
                }
            }
            Slot::CertainNetmask if cannot_be_an_address(word) => {
                let prefix = parse_netmask(word).ok_or_else(bad_netmask)?;
                self.set_prefix(prefix, true, "netmask", index, word)?;
                self.after_address = true;
                return Ok(());
            }
            Slot::Broadcast => {
                if let Ok(addr) = word.parse::<Ipv4Addr>() {
                    self.set_broadcast(addr, "broadcast", index, index, word)?;
                    self.after_address = true;
                    return Ok(());
                }
            }
            Slot::Prefixlen if word.bytes().all(|b| b.is_ascii_digit()) => {
                self.prefixlen(index, word, index)?;
                self.after_address = true;
                return Ok(());
            }
            _ => {}
        }
        self.address(index, word, after_address)
    }

    fn address(&mut self, index: usize, word: &str, after_address: bool) -> Result<(), CtlError> {
        let snippet = Snippet::new(word);
        let (text, prefix) = match word.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (word, None),
        };
        let addr = text.parse::<IpAddr>().map_err(|_| {
            if looks_like_address(word) {
                CtlError::BadAddress {
                    index,
                    word: snippet,
                }
            } else {
                CtlError::UnknownWord {
                    index,
                    word: snippet,
                }
            }
        })?;
        if after_address && prefix.is_none() {
            return Err(CtlError::AmbiguousAddress {
                index,
                word: snippet,
            });
        }
        let family_ok = match self.req.family {
            Some(Family::Inet) => addr.is_ipv4(),
            Some(Family::Inet6) => addr.is_ipv6(),
            None => true,
        };
        if !family_ok {
            return Err(CtlError::FamilyMismatch {
                index,
                word: snippet,
            });
        }
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix_len = match prefix {
            Some(p) => Some(in_range(
                parse_number(p, "prefixlen", index)?,
                "prefixlen",
                index,
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
        self.slot = match (self.address_place == Some(index), addr, prefix_len) {
            (true, IpAddr::V4(_), _) => Slot::Netmask,
            (true, IpAddr::V6(_), _) => Slot::Prefixlen,
            (false, IpAddr::V4(_), None) => Slot::CertainNetmask,
            _ => Slot::Closed,
        };
        self.after_address = true;
        Ok(())
    }
}

/// The value of `peer` (an IPv4 address) or `peer6` (IPv6): an address of
/// the other family is [`CtlError::FamilyMismatch`], anything else
/// [`CtlError::BadAddress`].
fn peer_address<A: core::str::FromStr>(index: usize, word: &str) -> Result<A, CtlError> {
    word.parse::<A>().map_err(|_| {
        if word.parse::<IpAddr>().is_ok() {
            CtlError::FamilyMismatch {
                index,
                word: Snippet::new(word),
            }
        } else {
            CtlError::BadAddress {
                index,
                word: Snippet::new(word),
            }
        }
    })
}

/// `lladdr`'s value: `random`, or a MAC that is not a group address.
fn parse_lladdr(word: &str) -> Option<Lladdr> {
    if word == "random" {
        return Some(Lladdr::Random);
    }
    MacAddr::parse(word)
        .filter(|mac| !mac.is_multicast())
        .map(Lladdr::Mac)
}

fn is_hex(word: &str) -> bool {
    word.starts_with("0x") || word.starts_with("0X")
}

/// A netmask written where an address could stand is certain only when no
/// virtual address can be written that way: hex, the unspecified address,
/// or a dotted quad from 224.0.0.0 up (multicast, reserved, broadcast).
fn cannot_be_an_address(word: &str) -> bool {
    is_hex(word)
        || word
            .parse::<Ipv4Addr>()
            .is_ok_and(|a| a.is_unspecified() || a.octets().first().is_some_and(|b| *b >= 224))
}

fn looks_like_address(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_digit()) || word.contains(['.', ':', '/'])
}

fn value<'a>(
    rest: &mut impl Iterator<Item = (usize, &'a str)>,
    word: &'static str,
    index: usize,
) -> Result<(usize, &'a str), CtlError> {
    rest.next().ok_or(CtlError::MissingValue { word, index })
}

fn parse_number(text: &str, word: &'static str, index: usize) -> Result<i64, CtlError> {
    let bad = || CtlError::BadNumber {
        word,
        index,
        got: Snippet::new(text),
    };
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    text.parse::<i64>().map_err(|_| bad())
}

fn in_range(n: i64, word: &'static str, index: usize, min: i64, max: i64) -> Result<u8, CtlError> {
    match u8::try_from(n) {
        Ok(v) if n >= min && n <= max => Ok(v),
        _ => Err(CtlError::ValueOutOfRange {
            word,
            index,
            min,
            max,
            got: n,
        }),
    }
}

fn number<'a>(
    rest: &mut impl Iterator<Item = (usize, &'a str)>,
    word: &'static str,
    keyword_index: usize,
    min: i64,
    max: i64,
) -> Result<u8, CtlError> {
    let (index, text) = value(rest, word, keyword_index)?;
    in_range(parse_number(text, word, index)?, word, index, min, max)
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
