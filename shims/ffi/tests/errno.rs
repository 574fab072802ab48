//! Every control error the engine can return becomes the `CARP_E*` code
//! whose errno meaning fits it (POSIX `<errno.h>` wording): bad input
//! EINVAL, a number out of range ERANGE, no room ENOSPC, no such thing
//! ENOENT, exists or in use EEXIST, a wrong length EMSGSIZE, a read-only
//! node EPERM, not running ENETDOWN.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use core::net::{IpAddr, Ipv4Addr};

use carp_core::vhost::Field;
use carp_core::ConfigError;
use carp_ctl::{CtlError, FileError, IfName, Snippet};
use carp_ffi::errno::Error;
use carp_ffi::*;
use carp_ifnet::carpif::IfError;
use carp_sysctl::{Knob, SysctlError};

fn code(e: CtlError) -> i32 {
    Error::Ctl(e).to_errno()
}

#[test]
fn every_ctl_error_has_its_code() {
    let w = Snippet::new("x");
    let n = IfName::new("carp0").unwrap();
    let a = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    let invalid = [
        CtlError::UnknownWord { index: 0, word: w },
        CtlError::MissingValue {
            word: "advskew",
            index: 0,
        },
        CtlError::BadNumber {
            word: "advskew",
            index: 1,
            got: w,
        },
        CtlError::BadAddress { index: 0, word: w },
        CtlError::BadNetmask { index: 0, word: w },
        CtlError::AmbiguousAddress { index: 0, word: w },
        CtlError::FamilyMismatch { index: 0, word: w },
        CtlError::Misplaced {
            word: "netmask",
            index: 0,
        },
        CtlError::Repeated {
            word: "vhid",
            index: 2,
        },
        CtlError::Conflict {
            word: "up",
            index: 1,
        },
        CtlError::PassTooLong { len: 20 },
        CtlError::PassHasNul { index: 1 },
        CtlError::BadState { index: 1, got: w },
        CtlError::BadLladdr { index: 1, got: w },
        CtlError::bad_ifname(0, "a name too long!"),
        CtlError::MissingVhid,
        CtlError::NotAConfig { word: "state" },
        CtlError::UnterminatedQuote,
        CtlError::BadFamily { slot: 0, got: 9 },
        CtlError::UnknownFlags { bits: 8 },
        CtlError::NotZeroPadded { field: "key" },
        CtlError::WrongCarpdev { got: n, parent: n },
        CtlError::NeedCarpdev(n),
        CtlError::NotACarpInterface(n),
        CtlError::Config(ConfigError::BadAddress(a)),
        CtlError::Sysctl(SysctlError::Syntax {
            column: 1,
            expected: "=",
        }),
    ];
    for e in invalid {
        assert_eq!(code(e), CARP_EINVAL, "{e:?}");
    }
    let table = [
        (
            CtlError::ValueOutOfRange {
                word: "advskew",
                index: 1,
                min: 0,
                max: 254,
                got: 300,
            },
            CARP_ERANGE,
        ),
        (
            CtlError::OutOfRange {
                word: "advskew",
                min: 0,
                max: 254,
                got: 255,
            },
            CARP_ERANGE,
        ),
        (
            CtlError::Config(ConfigError::OutOfRange {
                field: Field::AdvSkew,
                min: 0,
                max: 254,
                got: 255,
            }),
            CARP_ERANGE,
        ),
        (
            CtlError::Sysctl(SysctlError::OutOfRange {
                knob: Knob::Dscp,
                min: 0,
                max: 63,
                got: 64,
            }),
            CARP_ERANGE,
        ),
        (CtlError::TooManyAddresses { max: 8 }, CARP_ENOSPC),
        (CtlError::TooManyNames { max: 8 }, CARP_ENOSPC),
        (CtlError::TooManyInterfaces { max: 8 }, CARP_ENOSPC),
        (CtlError::TooManyParents { max: 8 }, CARP_ENOSPC),
        (
            CtlError::Config(ConfigError::TooManyAddresses { max: 8 }),
            CARP_ENOSPC,
        ),
        (CtlError::If(IfError::Full { capacity: 255 }), CARP_ENOSPC),
        (CtlError::AddressNotFound(a), CARP_ENOENT),
        (CtlError::NoSuchInterface(n), CARP_ENOENT),
        (CtlError::NoSuchParent(n), CARP_ENOENT),
        (CtlError::UnknownParentId, CARP_ENOENT),
        (CtlError::NoVhid(n), CARP_ENOENT),
        (CtlError::If(IfError::NoSuchVhid(1)), CARP_ENOENT),
        (CtlError::Sysctl(SysctlError::UnknownName(w)), CARP_ENOENT),
        (CtlError::InterfaceExists(n), CARP_EEXIST),
        (CtlError::VhidInUse(1), CARP_EEXIST),
        (CtlError::ParentExists(n), CARP_EEXIST),
        (CtlError::AddressInUse { addr: a, vhid: 1 }, CARP_EEXIST),
        (
            CtlError::Config(ConfigError::DuplicateAddress(a)),
            CARP_EEXIST,
        ),
        (CtlError::If(IfError::VhidExists(1)), CARP_EEXIST),
        (CtlError::BadLength { want: 216, got: 36 }, CARP_EMSGSIZE),
        (
            CtlError::Sysctl(SysctlError::ReadOnly(Knob::Stats)),
            CARP_EPERM,
        ),
        (CtlError::Config(ConfigError::NotRunning), CARP_ENETDOWN),
        (CtlError::If(IfError::OutputPending), CARP_EBUSY),
    ];
    for (e, want) in table {
        assert_eq!(code(e), want, "{e:?}");
    }
}

#[test]
fn a_file_error_has_the_code_of_its_line() {
    let e = FileError {
        line: 3,
        error: CtlError::VhidInUse(1),
    };
    assert_eq!(Error::File(e).to_errno(), CARP_EEXIST);
    assert_eq!(
        Error::File(e).to_string(),
        "line 3: vhid 1: in use on the parent"
    );
}
