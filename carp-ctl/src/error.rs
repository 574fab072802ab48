//! [`CtlError`]: why a control request (ifconfig words, a configuration
//! line or a [`CarpReq`](super::CarpReq)) is refused.
//!
//! Errors never borrow the input: they name the keyword with a
//! `&'static str`, the offending word by its index (0-based, counted over
//! the words of the line as given to the parser) and a bounded copy of its
//! text (a [`Snippet`], at most [`SNIPPET_LEN`](carp_sysctl::error::SNIPPET_LEN)
//! bytes), so they are `Copy`, allocate nothing and can outlive the buffer
//! the words came from. `Display` counts words from 1, as a person does:
//! `word 8 "bogus": unknown (not a keyword, an address or a value)`.

use core::fmt;
use core::net::IpAddr;

use carp_core::ConfigError;
use carp_ifnet::carpif::IfError;
pub use carp_sysctl::Snippet;
use carp_sysctl::SysctlError;

use super::group::GroupName;
use super::ifname::IfName;

/// Why a control request is refused. A refused request changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CtlError {
    /// The word at `index` is no keyword, address or value we know.
    UnknownWord {
        /// Index of the word.
        index: usize,
        /// The word.
        word: Snippet,
    },
    /// A keyword that takes a value was the last word.
    MissingValue {
        /// The keyword.
        word: &'static str,
        /// Index of the keyword.
        index: usize,
    },
    /// The value of a keyword is not a decimal number.
    BadNumber {
        /// The keyword.
        word: &'static str,
        /// Index of the value.
        index: usize,
        /// The value given.
        got: Snippet,
    },
    /// The number given to a keyword is outside its range.
    ValueOutOfRange {
        /// The keyword.
        word: &'static str,
        /// Index of the value.
        index: usize,
        /// Smallest value allowed.
        min: i64,
        /// Largest value allowed.
        max: i64,
        /// Value given.
        got: i64,
    },
    /// A field of a [`CarpReq`](super::CarpReq) (or a C argument) outside
    /// its range; words out of range are [`CtlError::ValueOutOfRange`].
    OutOfRange {
        /// The field.
        word: &'static str,
        /// Smallest value allowed.
        min: i64,
        /// Largest value allowed.
        max: i64,
        /// Value given.
        got: i64,
    },
    /// The word at `index` looks like an address but is none.
    BadAddress {
        /// Index of the word.
        index: usize,
        /// The word.
        word: Snippet,
    },
    /// The word at `index` is not a contiguous IPv4 netmask
    /// (`255.255.255.0` or `0xffffff00`).
    BadNetmask {
        /// Index of the word.
        index: usize,
        /// The word.
        word: Snippet,
    },
    /// A bare address right after an address, where the syntax does not
    /// say whether it is a netmask, a broadcast, a destination or a second
    /// virtual address (`192.0.2.83/24 192.0.2.9`). Only an OpenBSD
    /// `hostname.if` line gives such words a place (`inet ADDR NETMASK
    /// BROADCAST`).
    AmbiguousAddress {
        /// Index of the word.
        index: usize,
        /// The word.
        word: Snippet,
    },
    /// An address, netmask, prefix length or broadcast of the other family
    /// than the one the line is about.
    FamilyMismatch {
        /// Index of the word.
        index: usize,
        /// The word.
        word: Snippet,
    },
    /// A word that qualifies an address (`netmask`, `prefixlen`,
    /// `broadcast`, `NONE`) with no address before it.
    Misplaced {
        /// The keyword.
        word: &'static str,
        /// Index of the word.
        index: usize,
    },
    /// The same setting given twice on one line.
    Repeated {
        /// The keyword.
        word: &'static str,
        /// Index of the second occurrence.
        index: usize,
    },
    /// A word that contradicts an earlier one (`up` and `down`, `create`
    /// and `destroy`, `carpdev` and `-carpdev`, `alias` and `-alias`, `inet`
    /// and `inet6`).
    Conflict {
        /// The keyword.
        word: &'static str,
        /// Index of the word.
        index: usize,
    },
    /// The passphrase does not fit 19 bytes (the 20-byte key keeps a NUL).
    PassTooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The passphrase holds a NUL byte (a C string or a zero-padded
    /// `carpreq` key cannot carry it).
    PassHasNul {
        /// Index of the value word.
        index: usize,
    },
    /// `state` with a value other than `init`, `backup` or `master`.
    BadState {
        /// Index of the value.
        index: usize,
        /// The value given.
        got: Snippet,
    },
    /// `lladdr` with a value that is neither `random` nor a unicast MAC
    /// written `xx:xx:xx:xx:xx:xx`.
    BadLladdr {
        /// Index of the value.
        index: usize,
        /// The value given.
        got: Snippet,
    },
    /// Not an interface name: empty, longer than 15 bytes, or with a byte
    /// other than ASCII letters, digits, `.`, `_` and `-`.
    BadIfName {
        /// Index of the word (0 when the name came alone, not in words).
        index: usize,
        /// The name given (the part that is UTF-8).
        name: Snippet,
    },
    /// More addresses than a vhid holds.
    TooManyAddresses {
        /// The capacity.
        max: usize,
    },
    /// More interface names than `cloned_interfaces` holds.
    TooManyNames {
        /// The capacity.
        max: usize,
    },
    /// `-alias` of an address the vhid does not have.
    AddressNotFound(IpAddr),
    /// A new virtual host needs a `vhid`.
    MissingVhid,
    /// The request holds a word a [`VhostConfig`](carp_core::VhostConfig)
    /// cannot express (`state`, `up`, `down`, `create`, `destroy`,
    /// `carpdev`, `-carpdev`, `lladdr`), so it cannot be turned into one
    /// alone: it must be applied to an interface (the engine).
    NotAConfig {
        /// The first such keyword.
        word: &'static str,
    },
    /// An rc.conf value whose quote is not closed.
    UnterminatedQuote,
    /// A `CarpReq` byte buffer of the wrong length.
    BadLength {
        /// Length required.
        want: usize,
        /// Length given.
        got: usize,
    },
    /// A `CarpReq` address slot with an unknown family byte.
    BadFamily {
        /// The slot.
        slot: usize,
        /// The family byte.
        got: u8,
    },
    /// A `CarpReq` flag bit we do not define.
    UnknownFlags {
        /// The undefined bits.
        bits: u32,
    },
    /// A `CarpReq` text or reserved field with bytes where zeros belong
    /// (after the NUL of a name or key, in padding, past an IPv4 address).
    NotZeroPadded {
        /// The field.
        field: &'static str,
    },
    /// The configuration itself refuses the change.
    Config(ConfigError),
    /// No carp interface of this name was created.
    NoSuchInterface(IfName),
    /// A carp interface of this name exists already (or it is the parent's
    /// name).
    InterfaceExists(IfName),
    /// The engine describes its capacity of carp interfaces and vhids
    /// already.
    TooManyInterfaces {
        /// The capacity.
        max: usize,
    },
    /// The vhid is taken on the parent, by another carp interface or by a
    /// vhid configured on the parent itself.
    VhidInUse(u8),
    /// A `carpreq` sent to a parent names another parent as its `carpdev`.
    WrongCarpdev {
        /// The name given.
        got: IfName,
        /// The parent the request was sent to.
        parent: IfName,
    },
    /// No parent interface of that name.
    NoSuchParent(IfName),
    /// No parent with that handle (it was removed).
    UnknownParentId,
    /// A parent (or carp interface) of that name exists already.
    ParentExists(IfName),
    /// The engine holds its capacity of parents.
    TooManyParents {
        /// The capacity.
        max: usize,
    },
    /// A carp interface needs a `carpdev`: there are several parents and
    /// not exactly one has its address in the subnet of the virtual
    /// address (as BSD `carp_set_addr` picks one).
    NeedCarpdev(IfName),
    /// The address is on another vhid of the same parent, which only
    /// `net.inet.carp.arpbalance` allows (the BSDs put one address on
    /// several vhids to balance it).
    AddressInUse {
        /// The address.
        addr: IpAddr,
        /// The vhid that has it.
        vhid: u8,
    },
    /// The request names a parent where a carp interface is meant
    /// (`create`, `destroy`, `carpdev` on a parent).
    NotACarpInterface(IfName),
    /// A sysctl line or write was refused.
    Sysctl(SysctlError),
    /// The interface has no vhid yet (`get`, or words that need one).
    NoVhid(IfName),
    /// The parent interface refused the command.
    If(IfError),
    /// A unicast peer that is this host: one of the vhid's virtual
    /// addresses, or the parent's own address (adverts would go nowhere).
    PeerIsOurs {
        /// The peer given.
        peer: IpAddr,
    },
    /// A `carpreq` that asks for unicast (`FLAG_PEER`, `FLAG_PEER6`)
    /// without a peer address.
    MissingPeer {
        /// The field: `peer` or `peer6`.
        field: &'static str,
    },
    /// Not a group name: not an interface name, or ending in a digit
    /// (OpenBSD ifconfig: "group names may not end in a digit").
    BadGroupName {
        /// Index of the word (0 when the name came alone).
        index: usize,
        /// The name given.
        name: Snippet,
    },
    /// `-group NAME` for a group the interface is not in.
    NotInGroup {
        /// The carp interface.
        ifname: IfName,
        /// The group.
        group: GroupName,
    },
    /// No carp interface is in this group (a group exists while it has
    /// members, as OpenBSD's interface groups do).
    NoSuchGroup(GroupName),
    /// The engine holds its capacity of named groups already.
    TooManyGroups {
        /// The capacity.
        max: usize,
    },
    /// A `carpdemote` that would take the group's demote count outside
    /// 0-255 (OpenBSD `if_setgroupattribs` refuses it alike).
    GroupDemoteOutOfRange {
        /// The group.
        group: GroupName,
        /// Its count now.
        count: i64,
        /// The change asked for.
        delta: i64,
    },
    /// `group` on a parent: interface groups are for carp interfaces
    /// (OpenBSD `ifconfig carp0 group fw`); FreeBSD's vhids on a parent
    /// have none.
    GroupOnParent(IfName),
    /// `-group carp`: every carp interface is in the group `carp` (its
    /// counter is the host's demotion).
    CarpGroupFixed,
}

impl From<SysctlError> for CtlError {
    fn from(e: SysctlError) -> CtlError {
        CtlError::Sysctl(e)
    }
}

impl CtlError {
    /// [`CtlError::BadIfName`] for `name` at word `index`.
    pub fn bad_ifname(index: usize, name: &str) -> CtlError {
        CtlError::BadIfName {
            index,
            name: Snippet::new(name),
        }
    }

    /// Index of the offending word, when the error is about one word.
    pub const fn index(&self) -> Option<usize> {
        match *self {
            CtlError::UnknownWord { index, .. }
            | CtlError::MissingValue { index, .. }
            | CtlError::BadNumber { index, .. }
            | CtlError::ValueOutOfRange { index, .. }
            | CtlError::BadAddress { index, .. }
            | CtlError::BadNetmask { index, .. }
            | CtlError::AmbiguousAddress { index, .. }
            | CtlError::FamilyMismatch { index, .. }
            | CtlError::Misplaced { index, .. }
            | CtlError::Repeated { index, .. }
            | CtlError::Conflict { index, .. }
            | CtlError::PassHasNul { index }
            | CtlError::BadState { index, .. }
            | CtlError::BadLladdr { index, .. }
            | CtlError::BadIfName { index, .. }
            | CtlError::BadGroupName { index, .. } => Some(index),
            _ => None,
        }
    }

    /// The same error with every word index moved by `by` (used when the
    /// words parsed are a tail of a longer line).
    pub(crate) fn shifted(mut self, by: usize) -> CtlError {
        match &mut self {
            CtlError::UnknownWord { index, .. }
            | CtlError::MissingValue { index, .. }
            | CtlError::BadNumber { index, .. }
            | CtlError::ValueOutOfRange { index, .. }
            | CtlError::BadAddress { index, .. }
            | CtlError::BadNetmask { index, .. }
            | CtlError::AmbiguousAddress { index, .. }
            | CtlError::FamilyMismatch { index, .. }
            | CtlError::Misplaced { index, .. }
            | CtlError::Repeated { index, .. }
            | CtlError::Conflict { index, .. }
            | CtlError::PassHasNul { index }
            | CtlError::BadState { index, .. }
            | CtlError::BadLladdr { index, .. }
            | CtlError::BadIfName { index, .. }
            | CtlError::BadGroupName { index, .. } => *index = index.saturating_add(by),
            _ => {}
        }
        self
    }
}

/// `word N "text"` (N counted from 1), the head of a message about a word.
struct At(usize, Snippet);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "word {} \"{}\"", self.0.saturating_add(1), self.1)
    }
}

/// `keyword (word N)`, for a keyword's value or the keyword itself.
struct Kw(&'static str, usize);

impl fmt::Display for Kw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (word {})", self.0, self.1.saturating_add(1))
    }
}

impl fmt::Display for CtlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CtlError::UnknownWord { index, word } => write!(
                f,
                "{}: unknown (not a keyword, an address or a value)",
                At(index, word)
            ),
            CtlError::MissingValue { word, index } => {
                write!(f, "{}: missing value", Kw(word, index))
            }
            CtlError::BadNumber { word, index, got } => {
                write!(f, "{} \"{got}\": not a decimal number", Kw(word, index))
            }
            CtlError::ValueOutOfRange {
                word,
                index,
                min,
                max,
                got,
            } => write!(f, "{} {got}: out of range {min}..{max}", Kw(word, index)),
            CtlError::OutOfRange {
                word,
                min,
                max,
                got,
            } => write!(f, "{word} {got}: out of range {min}..{max}"),
            CtlError::BadAddress { index, word } => {
                write!(f, "{}: not an IPv4 or IPv6 address", At(index, word))
            }
            CtlError::BadNetmask { index, word } => {
                write!(f, "{}: not a contiguous IPv4 netmask", At(index, word))
            }
            CtlError::AmbiguousAddress { index, word } => write!(
                f,
                "{}: a bare address right after an address (netmask, broadcast or \
                 another address?): write netmask, broadcast or a /prefix",
                At(index, word)
            ),
            CtlError::FamilyMismatch { index, word } => {
                write!(f, "{}: wrong address family", At(index, word))
            }
            CtlError::Misplaced { word, index } => {
                write!(f, "{}: no address before it", Kw(word, index))
            }
            CtlError::Repeated { word, index } => {
                write!(f, "{}: given twice", Kw(word, index))
            }
            CtlError::Conflict { word, index } => {
                write!(f, "{}: contradicts an earlier word", Kw(word, index))
            }
            CtlError::PassTooLong { len } => write!(
                f,
                "pass of {len} bytes: too long (at most {})",
                carp_core::auth::MAX_PASSPHRASE_LEN
            ),
            CtlError::PassHasNul { index } => {
                write!(f, "{}: holds a NUL byte", Kw("pass", index))
            }
            CtlError::BadState { index, got } => write!(
                f,
                "{} \"{got}\": not init, backup or master",
                Kw("state", index)
            ),
            CtlError::BadLladdr { index, got } => write!(
                f,
                "{} \"{got}\": not random or a unicast MAC xx:xx:xx:xx:xx:xx",
                Kw("lladdr", index)
            ),
            CtlError::BadIfName { index, name } => write!(
                f,
                "{}: not an interface name (1-15 letters, digits, '.', '_', '-')",
                At(index, name)
            ),
            CtlError::TooManyAddresses { max } => {
                write!(f, "too many addresses (at most {max} per vhid)")
            }
            CtlError::TooManyNames { max } => {
                write!(f, "too many interface names (at most {max})")
            }
            CtlError::AddressNotFound(a) => write!(f, "-alias {a}: no such address"),
            CtlError::MissingVhid => f.write_str("vhid: required for a new virtual host"),
            CtlError::NotAConfig { word } => write!(
                f,
                "{word}: not part of a vhid's configuration; apply the request to an interface"
            ),
            CtlError::UnterminatedQuote => f.write_str("unterminated quote"),
            CtlError::BadLength { want, got } => {
                write!(f, "carpreq of {got} bytes: want {want}")
            }
            CtlError::BadFamily { slot, got } => {
                write!(f, "carpreq address {slot}: unknown family {got}")
            }
            CtlError::UnknownFlags { bits } => write!(f, "carpreq flags {bits:#x}: undefined"),
            CtlError::NotZeroPadded { field } => {
                write!(f, "carpreq {field}: not zero-padded")
            }
            CtlError::Config(e) => write!(f, "{e}"),
            CtlError::NoSuchInterface(name) => write!(f, "{name}: no such interface"),
            CtlError::InterfaceExists(name) => write!(f, "{name}: interface exists"),
            CtlError::TooManyInterfaces { max } => {
                write!(f, "too many carp interfaces and vhids (at most {max})")
            }
            CtlError::NoSuchParent(n) => write!(f, "{n}: no such parent interface"),
            CtlError::UnknownParentId => f.write_str("no such parent (it was removed)"),
            CtlError::ParentExists(n) => write!(f, "{n}: exists already"),
            CtlError::TooManyParents { max } => write!(f, "too many parents (at most {max})"),
            CtlError::NeedCarpdev(n) => write!(
                f,
                "{n}: give carpdev: several parents, not exactly one with an address in the \
                 virtual address's subnet"
            ),
            CtlError::AddressInUse { addr, vhid } => write!(
                f,
                "{addr}: on vhid {vhid} of this parent already (only \
                 net.inet.carp.arpbalance=1 allows that)"
            ),
            CtlError::NotACarpInterface(n) => {
                write!(f, "{n}: a parent interface, not a carp interface")
            }
            CtlError::Sysctl(e) => write!(f, "{e}"),
            CtlError::VhidInUse(v) => write!(f, "vhid {v}: in use on the parent"),
            CtlError::WrongCarpdev { got, parent } => {
                write!(f, "carpdev {got}: not the parent {parent}")
            }
            CtlError::NoVhid(name) => write!(f, "{name}: no vhid configured"),
            CtlError::If(e) => write!(f, "{e}"),
            CtlError::PeerIsOurs { peer } => write!(
                f,
                "peer {peer}: an address of this host (a virtual address or the parent's own)"
            ),
            CtlError::MissingPeer { field } => {
                write!(f, "carpreq {field}: unicast needs a peer address")
            }
            CtlError::BadGroupName { index, name } => write!(
                f,
                "{}: not a group name (1-15 letters, digits, '.', '_', '-', not ending in a digit)",
                At(index, name)
            ),
            CtlError::NotInGroup { ifname, group } => {
                write!(f, "-group {group}: {ifname} is not in group {group}")
            }
            CtlError::NoSuchGroup(g) => write!(f, "{g}: no such group (no carp interface in it)"),
            CtlError::TooManyGroups { max } => {
                write!(f, "too many interface groups (at most {max})")
            }
            CtlError::GroupDemoteOutOfRange {
                group,
                count,
                delta,
            } => write!(
                f,
                "{group}: carp demote count {count} {delta:+} is outside 0..255"
            ),
            CtlError::GroupOnParent(n) => write!(
                f,
                "group: {n} is a parent; interface groups are for carp interfaces \
                 (ifconfig carpN ... group NAME)"
            ),
            CtlError::CarpGroupFixed => f.write_str(
                "-group carp: every carp interface is in group carp (its count is the host's demotion)",
            ),
        }
    }
}

impl core::error::Error for CtlError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            CtlError::Config(e) => Some(e),
            CtlError::If(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ConfigError> for CtlError {
    fn from(e: ConfigError) -> CtlError {
        CtlError::Config(e)
    }
}

impl From<IfError> for CtlError {
    fn from(e: IfError) -> CtlError {
        CtlError::If(e)
    }
}
