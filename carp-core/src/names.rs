//! The one spelling of every [`State`], [`Reason`] and [`DemoteReason`]
//! (and, through the same helpers, every [`Counter`](crate::Counter)),
//! used wherever carp prints or reads one: the `ifconfig` status line and
//! `state` word (carp-ctl), carpd's JSON events, carp-sim's timelines and
//! reports, and the C ABI's `carp_*_name` strings.
//!
//! | type | spellings | source |
//! |---|---|---|
//! | [`State`] | `INIT`, `BACKUP`, `MASTER` | BSD `CARP_STATES` (OpenBSD `ip_carp.h` rev 1.7), as `ifconfig` prints them; the `state` word takes them in any case (`strcasecmp`) |
//! | [`Reason`] | `admin-up`, `admin-down`, `link-up`, `link-down`, `master-down`, `preempt`, `peer-demoted`, `peer-too-slow`, `bow-out`, `better-master`, `forced`, `reconfigured`, `tie-lost`, `tie-disputed`, `owner` | ours (the BSDs log sentences, not words) |
//! | [`CounterKind`] | `incrementing`, `constant`, `random` | ours |
//! | [`DemoteReason`] | `global`, `link-down`, `send-errors`, `admin`, `boot-not-ready` | ours |
//! | [`Counter`](crate::Counter) | `ipackets` ... `preempt` then ours | BSD `struct carpstats` field names without `carps_` (same header); the table is beside the counters in [`crate::stats`] |
//!
//! Each type gets `ALL` (declaration order, which is also the C ABI's index
//! order), `name()`, `c_name()` (the same text NUL-terminated, for C),
//! `from_name()` (any ASCII case) and a `Display` that writes `name()`.

use core::ffi::CStr;

use crate::demotion::DemoteReason;
use crate::state::{Reason, State};
use crate::vhost::CounterKind;

/// `text` (which ends in its one NUL) as a C string; "" if it is not one.
/// Only ever called on `concat!(literal, "\0")`.
pub(crate) const fn c_str(text: &'static str) -> &'static CStr {
    match CStr::from_bytes_with_nul(text.as_bytes()) {
        Ok(c) => c,
        Err(_) => c"",
    }
}

/// Writes the name table of a fieldless enum: `ALL`, `name`, `c_name`,
/// `from_name` and `Display`. The match in `name` is exhaustive, so a
/// variant without a spelling does not compile. [`crate::stats`] uses it
/// for [`Counter`](crate::Counter).
macro_rules! spellings {
    ($ty:ident { $($variant:ident => $name:literal,)* }) => {
        impl $ty {
            /// Every value, in declaration order (the C ABI's index order).
            pub const ALL: [$ty; [$($name,)*].len()] = [$($ty::$variant,)*];

            /// The spelling (see the [table](crate::names)).
            pub const fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)*
                }
            }

            /// The spelling, NUL-terminated for C.
            pub const fn c_name(self) -> &'static ::core::ffi::CStr {
                match self {
                    $($ty::$variant => $crate::names::c_str(concat!($name, "\0")),)*
                }
            }

            /// The value spelled `name`, in any ASCII case.
            pub fn from_name(name: &str) -> Option<$ty> {
                $ty::ALL.into_iter().find(|v| v.name().eq_ignore_ascii_case(name))
            }
        }

        impl ::core::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}
pub(crate) use spellings;

spellings!(State {
    Init => "INIT",
    Backup => "BACKUP",
    Master => "MASTER",
});

spellings!(Reason {
    AdminUp => "admin-up",
    AdminDown => "admin-down",
    LinkUp => "link-up",
    LinkDown => "link-down",
    MasterDown => "master-down",
    Preempt => "preempt",
    PeerDemoted => "peer-demoted",
    PeerTooSlow => "peer-too-slow",
    BowOut => "bow-out",
    BetterMaster => "better-master",
    Forced => "forced",
    Reconfigured => "reconfigured",
    TieLost => "tie-lost",
    TieDisputed => "tie-disputed",
    Owner => "owner",
});

spellings!(CounterKind {
    Incrementing => "incrementing",
    Constant => "constant",
    Random => "random",
});

spellings!(DemoteReason {
    Global => "global",
    LinkDown => "link-down",
    SendErrors => "send-errors",
    Admin => "admin",
    BootNotReady => "boot-not-ready",
});

#[cfg(test)]
mod tests {
    use std::string::ToString;
    use std::vec::Vec;

    use super::*;
    use crate::stats::Counter;

    #[test]
    fn states_are_spelled_as_bsd_carp_states() {
        // OpenBSD ip_carp.h rev 1.7: #define CARP_STATES "INIT", "BACKUP",
        // "MASTER", indexed by carpr_state 0, 1, 2.
        let bsd = ["INIT", "BACKUP", "MASTER"];
        let ours: Vec<&str> = State::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(ours, bsd);
        // ifconfig's `state` word: strcasecmp against CARP_STATES.
        for (word, state) in [
            ("master", State::Master),
            ("Backup", State::Backup),
            ("INIT", State::Init),
        ] {
            assert_eq!(State::from_name(word), Some(state), "{word}");
        }
        assert_eq!(State::from_name("slave"), None);
        assert_eq!(State::Master.to_string(), "MASTER");
    }

    #[test]
    fn counters_are_spelled_as_bsd_carpstats_fields() {
        // OpenBSD ip_carp.h rev 1.7, struct carpstats, without `carps_`;
        // ours follow.
        let bsd = [
            "ipackets",
            "ipackets6",
            "badif",
            "badttl",
            "hdrops",
            "badsum",
            "badver",
            "badlen",
            "badauth",
            "badvhid",
            "badaddrs",
            "opackets",
            "opackets6",
            "onomem",
            "ostates",
            "preempt",
        ];
        let ours: Vec<&str> = Counter::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(ours.get(..bsd.len()), Some(&bsd[..]));
        assert_eq!(
            ours.get(bsd.len()..),
            Some(
                &[
                    "badtype",
                    "badauthlen",
                    "replay",
                    "replaylogged",
                    "own",
                    "disabled",
                    "senderr",
                    "badpeer"
                ][..]
            )
        );
        assert_eq!(Counter::from_name("BADSUM"), Some(Counter::Badsum));
        assert_eq!(Counter::Badsum.c_name(), c"badsum");
    }

    #[test]
    fn reasons_are_lower_case_words_in_abi_order() {
        // The C ABI hands out indices into ALL: this order is frozen.
        let reasons: Vec<&str> = Reason::ALL.iter().map(|r| r.name()).collect();
        assert_eq!(
            reasons,
            [
                "admin-up",
                "admin-down",
                "link-up",
                "link-down",
                "master-down",
                "preempt",
                "peer-demoted",
                "peer-too-slow",
                "bow-out",
                "better-master",
                "forced",
                "reconfigured",
                "tie-lost",
                "tie-disputed",
                "owner",
            ]
        );
        let demote: Vec<&str> = DemoteReason::ALL.iter().map(|r| r.name()).collect();
        assert_eq!(
            demote,
            [
                "global",
                "link-down",
                "send-errors",
                "admin",
                "boot-not-ready"
            ]
        );
        assert_eq!(Reason::from_name("master-down"), Some(Reason::MasterDown));
        assert_eq!(Reason::from_name("MasterDown"), None);
        assert_eq!(
            DemoteReason::from_name("link-down"),
            Some(DemoteReason::LinkDown)
        );
    }

    #[test]
    fn c_names_are_the_names_nul_terminated() {
        for s in State::ALL {
            assert_eq!(s.c_name().to_str(), Ok(s.name()));
        }
        for r in Reason::ALL {
            assert_eq!(r.c_name().to_str(), Ok(r.name()));
        }
        for r in DemoteReason::ALL {
            assert_eq!(r.c_name().to_str(), Ok(r.name()));
        }
        for c in Counter::ALL {
            assert_eq!(c.c_name().to_str(), Ok(c.name()));
        }
    }
}
