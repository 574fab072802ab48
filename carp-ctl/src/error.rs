//! [`CtlError`]: why a control request (ifconfig words, a configuration
//! line or a [`CarpReq`](super::CarpReq)) is refused.
//!
//! Errors never borrow the input: they name the keyword with a
//! `&'static str` and the offending word by its index (0-based, counted
//! over the words of the line as given to the parser), so they are `Copy`
//! and can outlive the buffer the words came from.

use core::fmt;
use core::net::IpAddr;

use carp_core::ConfigError;

use super::ifname::IfName;
use carp_ifnet::carpif::IfError;

/// Why a control request is refused. A refused request changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CtlError {
    /// The word at `index` is no keyword, address or value we know.
    UnknownWord {
        /// Index of the word.
        index: usize,
    },
    /// A keyword that takes a value was the last word.
    MissingValue {
        /// The keyword.
        word: &'static str,
    },
    /// The value of a keyword is not a decimal number.
    BadNumber {
        /// The keyword.
        word: &'static str,
        /// Index of the value.
        index: usize,
    },
    /// A number (or a `CarpReq` field) outside its range.
    OutOfRange {
        /// The keyword or field.
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
    },
    /// The word at `index` is not a contiguous IPv4 netmask
    /// (`255.255.255.0` or `0xffffff00`).
    BadNetmask {
        /// Index of the word.
        index: usize,
    },
    /// An address, netmask, prefix length or broadcast of the other family
    /// than the one the line is about.
    FamilyMismatch {
        /// Index of the word.
        index: usize,
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
    },
    /// Not an interface name: empty, longer than 15 bytes, or with a byte
    /// other than ASCII letters, digits, `.`, `_` and `-`.
    BadIfName {
        /// Index of the word.
        index: usize,
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
    /// The registry holds its capacity of interface names already.
    TooManyInterfaces {
        /// The capacity.
        max: usize,
    },
    /// The vhid is taken on the parent, by another carp interface or by a
    /// vhost added to the parent directly.
    VhidInUse(u8),
    /// `carpdev` names another interface than the registry's parent (one
    /// registry serves one parent).
    WrongCarpdev {
        /// The name given.
        got: IfName,
        /// The registry's parent.
        parent: IfName,
    },
    /// The interface has no vhid yet (`get`, or words that need one).
    NoVhid(IfName),
    /// The parent interface refused the command.
    If(IfError),
}

impl CtlError {
    /// Index of the offending word, when the error is about one word.
    pub const fn index(&self) -> Option<usize> {
        match *self {
            CtlError::UnknownWord { index }
            | CtlError::BadNumber { index, .. }
            | CtlError::BadAddress { index }
            | CtlError::BadNetmask { index }
            | CtlError::FamilyMismatch { index }
            | CtlError::Misplaced { index, .. }
            | CtlError::Repeated { index, .. }
            | CtlError::Conflict { index, .. }
            | CtlError::BadState { index }
            | CtlError::BadIfName { index } => Some(index),
            _ => None,
        }
    }

    /// The same error with every word index moved by `by` (used when the
    /// words parsed are a tail of a longer line).
    pub(crate) const fn shifted(self, by: usize) -> CtlError {
        match self {
            CtlError::UnknownWord { index } => CtlError::UnknownWord {
                index: index.saturating_add(by),
            },
            CtlError::BadNumber { word, index } => CtlError::BadNumber {
                word,
                index: index.saturating_add(by),
            },
            CtlError::BadAddress { index } => CtlError::BadAddress {
                index: index.saturating_add(by),
            },
            CtlError::BadNetmask { index } => CtlError::BadNetmask {
                index: index.saturating_add(by),
            },
            CtlError::FamilyMismatch { index } => CtlError::FamilyMismatch {
                index: index.saturating_add(by),
            },
            CtlError::Misplaced { word, index } => CtlError::Misplaced {
                word,
                index: index.saturating_add(by),
            },
            CtlError::Repeated { word, index } => CtlError::Repeated {
                word,
                index: index.saturating_add(by),
            },
            CtlError::Conflict { word, index } => CtlError::Conflict {
                word,
                index: index.saturating_add(by),
            },
            CtlError::BadState { index } => CtlError::BadState {
                index: index.saturating_add(by),
            },
            CtlError::BadIfName { index } => CtlError::BadIfName {
                index: index.saturating_add(by),
            },
            other => other,
        }
    }
}

impl fmt::Display for CtlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Word positions are shown counting from 1, as a person counts.
        match *self {
            CtlError::UnknownWord { index } => {
                write!(f, "word {}: unknown", index.saturating_add(1))
            }
            CtlError::MissingValue { word } => write!(f, "{word}: missing value"),
            CtlError::BadNumber { word, index } => {
                write!(
                    f,
                    "{word} (word {}): not a decimal number",
                    index.saturating_add(1)
                )
            }
            CtlError::OutOfRange {
                word,
                min,
                max,
                got,
            } => write!(f, "{word} {got}: out of range {min}..{max}"),
            CtlError::BadAddress { index } => {
                write!(
                    f,
                    "word {}: not an IPv4 or IPv6 address",
                    index.saturating_add(1)
                )
            }
            CtlError::BadNetmask { index } => {
                write!(
                    f,
                    "word {}: not a contiguous IPv4 netmask",
                    index.saturating_add(1)
                )
            }
            CtlError::FamilyMismatch { index } => {
                write!(f, "word {}: wrong address family", index.saturating_add(1))
            }
            CtlError::Misplaced { word, index } => {
                write!(
                    f,
                    "{word} (word {}): no address before it",
                    index.saturating_add(1)
                )
            }
            CtlError::Repeated { word, index } => {
                write!(f, "{word} (word {}): given twice", index.saturating_add(1))
            }
            CtlError::Conflict { word, index } => {
                write!(
                    f,
                    "{word} (word {}): contradicts an earlier word",
                    index.saturating_add(1)
                )
            }
            CtlError::PassTooLong { len } => write!(
                f,
                "pass of {len} bytes: too long (at most {})",
                carp_core::auth::MAX_PASSPHRASE_LEN
            ),
            CtlError::PassHasNul { index } => write!(
                f,
                "pass (word {}): holds a NUL byte",
                index.saturating_add(1)
            ),
            CtlError::BadState { index } => {
                write!(
                    f,
                    "state (word {}): not init, backup or master",
                    index.saturating_add(1)
                )
            }
            CtlError::BadIfName { index } => {
                write!(f, "word {}: not an interface name", index.saturating_add(1))
            }
            CtlError::TooManyAddresses { max } => {
                write!(f, "too many addresses (at most {max} per vhid)")
            }
            CtlError::TooManyNames { max } => {
                write!(f, "too many interface names (at most {max})")
            }
            CtlError::AddressNotFound(a) => write!(f, "-alias {a}: no such address"),
            CtlError::MissingVhid => f.write_str("vhid: required for a new virtual host"),
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
                write!(f, "too many carp interfaces (at most {max})")
            }
            CtlError::VhidInUse(v) => write!(f, "vhid {v}: in use on the parent"),
            CtlError::WrongCarpdev { got, parent } => {
                write!(f, "carpdev {got}: not the parent {parent}")
            }
            CtlError::NoVhid(name) => write!(f, "{name}: no vhid configured"),
            CtlError::If(e) => write!(f, "{e}"),
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
