//! Error codes of the C ABI, and the one place every Rust error becomes one
//! ([`Error::to_errno`]).
//!
//! Codes are negative errno-style numbers with Linux's values, fixed here
//! (they are not the host's `errno`): C callers compare them with the
//! `CARP_E*` constants and name them with [`carp_strerror`]. A call that
//! succeeds returns `CARP_OK` (0) or a documented non-negative value.

use core::ffi::{c_char, c_int, CStr};
use core::fmt;

use carp_core::{ConfigError, Reject};
use carp_ctl::{CtlError, FileError};
use carp_ifnet::carpif::IfError;
use carp_ifnet::driver::TxError;
use carp_sysctl::SysctlError;

/// Success.
pub const CARP_OK: c_int = 0;
/// The sysctl node cannot be written (`stats`).
pub const CARP_EPERM: c_int = -1;
/// No such interface, parent, vhid, sysctl node or address.
pub const CARP_ENOENT: c_int = -2;
/// The driver failed (transmit callback's generic failure).
pub const CARP_EIO: c_int = -5;
/// A callback called back into the host it was called from.
pub const CARP_EBUSY: c_int = -16;
/// A required pointer argument is NULL.
pub const CARP_EFAULT: c_int = -14;
/// The interface, parent, vhid or address exists already (or is in use).
pub const CARP_EEXIST: c_int = -17;
/// An argument is invalid: an unknown or misplaced ifconfig word, a bad
/// carp_req field, a bad interface name, a bad link type.
pub const CARP_EINVAL: c_int = -22;
/// No room: a vhid's addresses, the host's interfaces or parents.
pub const CARP_ENOSPC: c_int = -28;
/// A number outside its range (advskew 255, dscp 64, ...).
pub const CARP_ERANGE: c_int = -34;
/// A received frame failed an input check; it was counted in the stats.
pub const CARP_EBADMSG: c_int = -74;
/// Text that is not UTF-8.
pub const CARP_EILSEQ: c_int = -84;
/// A length argument is wrong (a carp_req of other than `CARP_CARPREQ_LEN`
/// bytes).
pub const CARP_EMSGSIZE: c_int = -90;
/// The virtual host is not running (down, link down, or no address), so
/// it cannot be forced to BACKUP or MASTER. Transmit callbacks return it
/// when the link is down.
pub const CARP_ENETDOWN: c_int = -100;
/// Transmit callbacks return it when no buffer is free (counted as `onomem`).
pub const CARP_ENOBUFS: c_int = -105;
/// `transmit_ip` returns it when the host has no route to the unicast peer.
pub const CARP_EHOSTUNREACH: c_int = -113;
/// An internal error (a Rust panic, caught at the boundary) left the handle
/// unusable; every later call on it returns this too. Free it.
pub const CARP_ENOTRECOVERABLE: c_int = -131;

/// Every error the C ABI reports, with what it was about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A required pointer argument was NULL.
    Null(&'static str),
    /// A length argument was wrong.
    Length {
        /// The argument.
        what: &'static str,
        /// Length required.
        want: usize,
        /// Length given.
        got: usize,
    },
    /// A plain argument out of its domain (a link type, a parent id).
    Invalid {
        /// The argument.
        what: &'static str,
        /// The value given.
        got: i64,
    },
    /// Text that is not UTF-8.
    NotUtf8,
    /// A callback re-entered the handle.
    Busy,
    /// The handle was left unusable by an internal error.
    Poisoned,
    /// No carp interface owns the vhid on the parent (it is configured on
    /// the parent itself, or not at all).
    Unnamed {
        /// The vhid.
        vhid: u8,
    },
    /// A control request was refused by the engine.
    Ctl(CtlError),
    /// A configuration file was refused (with its line).
    File(FileError),
    /// A received frame failed an input check.
    Reject(Reject),
}

impl Error {
    /// The negative code returned to C: the one mapping of every error.
    pub fn to_errno(self) -> c_int {
        match self {
            Error::Null(_) => CARP_EFAULT,
            Error::Length { .. } => CARP_EMSGSIZE,
            Error::Invalid { .. } => CARP_EINVAL,
            Error::NotUtf8 => CARP_EILSEQ,
            Error::Busy => CARP_EBUSY,
            Error::Poisoned => CARP_ENOTRECOVERABLE,
            Error::Unnamed { .. } => CARP_ENOENT,
            Error::Ctl(e) | Error::File(FileError { error: e, .. }) => ctl_errno(e),
            Error::Reject(_) => CARP_EBADMSG,
        }
    }

    /// The 0-based index of the ifconfig word the error is about.
    pub fn word_index(self) -> Option<usize> {
        match self {
            Error::Ctl(e) => e.index(),
            _ => None,
        }
    }
}

/// Every [`CtlError`] variant, by name (new variants of a later carp-ctl
/// fall to `CARP_EINVAL` until they are listed).
fn ctl_errno(e: CtlError) -> c_int {
    match e {
        CtlError::UnknownWord { .. }
        | CtlError::MissingValue { .. }
        | CtlError::BadNumber { .. }
        | CtlError::BadAddress { .. }
        | CtlError::BadNetmask { .. }
        | CtlError::AmbiguousAddress { .. }
        | CtlError::FamilyMismatch { .. }
        | CtlError::Misplaced { .. }
        | CtlError::Repeated { .. }
        | CtlError::Conflict { .. }
        | CtlError::PassTooLong { .. }
        | CtlError::PassHasNul { .. }
        | CtlError::BadState { .. }
        | CtlError::BadLladdr { .. }
        | CtlError::BadIfName { .. }
        | CtlError::MissingVhid
        | CtlError::NotAConfig { .. }
        | CtlError::UnterminatedQuote
        | CtlError::BadFamily { .. }
        | CtlError::UnknownFlags { .. }
        | CtlError::NotZeroPadded { .. }
        | CtlError::WrongCarpdev { .. }
        | CtlError::NeedCarpdev(_)
        | CtlError::NotACarpInterface(_) => CARP_EINVAL,
        CtlError::ValueOutOfRange { .. } | CtlError::OutOfRange { .. } => CARP_ERANGE,
        CtlError::TooManyAddresses { .. }
        | CtlError::TooManyNames { .. }
        | CtlError::TooManyInterfaces { .. }
        | CtlError::TooManyParents { .. } => CARP_ENOSPC,
        CtlError::AddressNotFound(_)
        | CtlError::NoSuchInterface(_)
        | CtlError::NoSuchParent(_)
        | CtlError::UnknownParentId
        | CtlError::NoVhid(_) => CARP_ENOENT,
        CtlError::InterfaceExists(_)
        | CtlError::VhidInUse(_)
        | CtlError::ParentExists(_)
        | CtlError::AddressInUse { .. } => CARP_EEXIST,
        CtlError::BadLength { .. } => CARP_EMSGSIZE,
        CtlError::Config(c) => config_errno(c),
        CtlError::Sysctl(s) => sysctl_errno(s),
        CtlError::If(i) => if_errno(i),
        _ => CARP_EINVAL,
    }
}

fn config_errno(e: ConfigError) -> c_int {
    match e {
        ConfigError::OutOfRange { .. } => CARP_ERANGE,
        ConfigError::TooManyAddresses { .. } => CARP_ENOSPC,
        ConfigError::DuplicateAddress(_) => CARP_EEXIST,
        ConfigError::NotRunning => CARP_ENETDOWN,
        ConfigError::Key(_) | ConfigError::BadAddress(_) | ConfigError::VhidChanged { .. } => {
            CARP_EINVAL
        }
        _ => CARP_EINVAL,
    }
}

fn sysctl_errno(e: SysctlError) -> c_int {
    match e {
        SysctlError::UnknownName(_) | SysctlError::UnknownMib(_) => CARP_ENOENT,
        SysctlError::ReadOnly(_) => CARP_EPERM,
        SysctlError::OutOfRange { .. } => CARP_ERANGE,
        SysctlError::WrongType { .. } | SysctlError::Syntax { .. } => CARP_EINVAL,
        _ => CARP_EINVAL,
    }
}

fn if_errno(e: IfError) -> c_int {
    match e {
        IfError::VhidExists(_) => CARP_EEXIST,
        IfError::NoSuchVhid(_) => CARP_ENOENT,
        IfError::Full { .. } => CARP_ENOSPC,
        IfError::OutputPending => CARP_EBUSY,
        IfError::Config(c) => config_errno(c),
        _ => CARP_EINVAL,
    }
}

/// What a transmit or filter callback's return code means to carp: the
/// reverse mapping, for codes coming in from C.
pub(crate) fn tx_result(code: c_int, len: usize) -> Result<(), TxError> {
    match code {
        c if c >= 0 => Ok(()),
        CARP_ENOBUFS => Err(TxError::NoBuffers),
        CARP_ENETDOWN => Err(TxError::LinkDown),
        CARP_EMSGSIZE => Err(TxError::TooLong { len }),
        CARP_EHOSTUNREACH => Err(TxError::NoRoute),
        _ => Err(TxError::Other),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Null(what) => write!(f, "{what}: NULL pointer"),
            Error::Length { what, want, got } => write!(f, "{what}: {got} bytes, want {want}"),
            Error::Invalid { what, got } => write!(f, "{what}: invalid value {got}"),
            Error::NotUtf8 => f.write_str("text is not UTF-8"),
            Error::Busy => f.write_str("callback re-entered the carp host"),
            Error::Poisoned => f.write_str("internal error: handle unusable"),
            Error::Unnamed { vhid } => {
                write!(f, "vhid {vhid}: no carp interface owns it on this parent")
            }
            Error::Ctl(e) => write!(f, "{e}"),
            Error::File(e) => write!(f, "{e}"),
            Error::Reject(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for Error {}

impl From<CtlError> for Error {
    fn from(e: CtlError) -> Error {
        Error::Ctl(e)
    }
}

impl From<SysctlError> for Error {
    fn from(e: SysctlError) -> Error {
        Error::Ctl(CtlError::Sysctl(e))
    }
}

impl From<FileError> for Error {
    fn from(e: FileError) -> Error {
        Error::File(e)
    }
}

/// Names an error code: a static NUL-terminated string, never NULL. Codes
/// this library does not return are named "unknown error".
#[no_mangle]
pub extern "C" fn carp_strerror(code: c_int) -> *const c_char {
    strerror(code).as_ptr()
}

/// The name of a code, as [`carp_strerror`] returns it.
pub fn strerror(code: c_int) -> &'static CStr {
    match code {
        CARP_OK => c"success",
        CARP_EPERM => c"read-only sysctl",
        CARP_ENOENT => c"no such interface, parent, vhid, sysctl or address",
        CARP_EIO => c"driver error",
        CARP_EBUSY => c"callback re-entered the carp host",
        CARP_EFAULT => c"NULL pointer argument",
        CARP_EEXIST => c"exists already or in use",
        CARP_EINVAL => c"invalid argument",
        CARP_ENOSPC => c"no room",
        CARP_ERANGE => c"value out of range",
        CARP_EBADMSG => c"frame rejected by an input check",
        CARP_EILSEQ => c"text is not UTF-8",
        CARP_EMSGSIZE => c"wrong length",
        CARP_ENETDOWN => c"virtual host or link not running",
        CARP_ENOBUFS => c"no buffer space",
        CARP_EHOSTUNREACH => c"no route to the unicast peer",
        CARP_ENOTRECOVERABLE => c"internal error: handle unusable",
        _ => c"unknown error",
    }
}
