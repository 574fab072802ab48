//! Which protocol a vhid speaks, and the VRRPv3 parameters.
//!
//! FreeBSD 14 gives every vhid a version (`ifconfig ... carpver 3`,
//! `struct carp_softc::sc_version`, `CARP_VERSION_CARP` 2 or
//! `CARP_VERSION_VRRPv3` 3) and, in VRRP mode, a priority and an interval
//! instead of advbase, advskew and a key (`vrrpprio`, `vrrpinterval`;
//! `sc_vrrp_prio` and `sc_vrrp_adv_inter`, defaults 100 and 100 cs in
//! `carp_alloc`). The VRRP election and timers are RFC 9568's (see
//! [`super::vrrp`]); CARP's are untouched.

use core::fmt;
use core::num::NonZeroU8;

use super::config::{ConfigError, Field};
use crate::time::Duration;
use crate::wire::vrrp::{MAX_ADVER_INT, PRIORITY_OWNER};

/// The protocol of a vhid: its wire format and election.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Version {
    /// CARP (version 2): HMAC-signed adverts, advbase/advskew election.
    #[default]
    Carp,
    /// VRRPv3 (RFC 9568): priority election, no authentication.
    Vrrp,
}

impl Version {
    /// The version number on the wire and in `carpver`: 2 or 3.
    pub const fn number(self) -> u8 {
        match self {
            Version::Carp => 2,
            Version::Vrrp => 3,
        }
    }

    /// The version of a `carpver` number.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] (field `carpver`) for anything but 2, 3.
    pub const fn from_number(n: u8) -> Result<Version, ConfigError> {
        match n {
            2 => Ok(Version::Carp),
            3 => Ok(Version::Vrrp),
            got => Err(ConfigError::OutOfRange {
                field: Field::Version,
                min: 2,
                max: 3,
                got: got as u32,
            }),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.number())
    }
}

/// A VRRP priority, 1..=255: 255 is the address owner, 100 the default;
/// 0 is only ever sent by a master leaving (RFC 9568 5.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Priority(NonZeroU8);

impl Priority {
    /// RFC 9568 6.1 and FreeBSD's default: 100.
    pub const DEFAULT: Priority = Priority(match NonZeroU8::new(100) {
        Some(p) => p,
        None => NonZeroU8::MIN,
    });
    /// The address owner's: 255.
    pub const OWNER: Priority = Priority(NonZeroU8::MAX);

    /// A priority.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] (field `vrrpprio`, 1..255) for 0.
    pub const fn new(priority: u8) -> Result<Priority, ConfigError> {
        match NonZeroU8::new(priority) {
            Some(p) => Ok(Priority(p)),
            None => Err(ConfigError::OutOfRange {
                field: Field::Priority,
                min: 1,
                max: 255,
                got: 0,
            }),
        }
    }

    /// The number.
    pub const fn get(self) -> u8 {
        self.0.get()
    }

    /// True for the address owner.
    pub const fn is_owner(self) -> bool {
        self.0.get() == PRIORITY_OWNER
    }
}

impl Default for Priority {
    fn default() -> Priority {
        Priority::DEFAULT
    }
}

/// A VRRP advertisement interval in centiseconds, 1..=4095 (12 bits on
/// the wire; RFC 9568 5.2.7, FreeBSD `VRRP_MAX_INTERVAL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AdverInt(u16);

impl AdverInt {
    /// RFC 9568 6.1 and FreeBSD's default: 100 cs (1 s).
    pub const DEFAULT: AdverInt = AdverInt(100);
    /// The largest: 4095 cs.
    pub const MAX: u16 = MAX_ADVER_INT;

    /// An interval.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] (field `vrrpinterval`, 1..4095).
    pub const fn new(centis: u16) -> Result<AdverInt, ConfigError> {
        if centis == 0 || centis > AdverInt::MAX {
            return Err(ConfigError::OutOfRange {
                field: Field::Interval,
                min: 1,
                max: AdverInt::MAX as u32,
                got: centis as u32,
            });
        }
        Ok(AdverInt(centis))
    }

    /// Centiseconds.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// As a duration.
    pub const fn duration(self) -> Duration {
        centis(self.0)
    }
}

impl Default for AdverInt {
    fn default() -> AdverInt {
        AdverInt::DEFAULT
    }
}

/// `centis` centiseconds as a duration.
pub(crate) const fn centis(centis: u16) -> Duration {
    Duration::from_micros(centis as u64 * 10_000)
}

/// The VRRPv3 parameters of a vhid (ignored in CARP mode, kept so a
/// `carpver` switch back finds them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct VrrpParams {
    /// `vrrpprio`.
    pub priority: Priority,
    /// `vrrpinterval`, our Advertisement_Interval.
    pub interval: AdverInt,
    /// RFC 9568 Accept_Mode: a master that is not the address owner
    /// accepts packets addressed to the virtual addresses (default off, as
    /// the RFC; the owner always does). Only the host's IP stack acts on
    /// it, through `carp_ifnet`'s owned addresses.
    pub accept: bool,
}

/// RFC 9568 6.1: `Skew_Time = ((256 - Priority) * Active_Adver_Interval) /
/// 256`, computed in microseconds with the fraction truncated (as
/// keepalived's `VRRP_TIMER_SKEW`; FreeBSD truncates to centiseconds
/// first, see docs/protocol-notes.md).
pub const fn skew_time(priority: u8, master_interval: u16) -> Duration {
    let interval = centis(effective_centis(master_interval)).micros();
    Duration::from_micros(interval * (256 - priority as u64) / 256)
}

/// RFC 9568 6.1: `Active_Down_Interval = (3 * Active_Adver_Interval) +
/// Skew_Time`.
pub const fn master_down_interval(priority: u8, master_interval: u16) -> Duration {
    let interval = centis(effective_centis(master_interval)).micros();
    Duration::from_micros(3 * interval + skew_time(priority, master_interval).micros())
}

/// An interval of 0 on the wire is timed as 1 cs: no timer runs at zero.
const fn effective_centis(centis: u16) -> u16 {
    if centis == 0 {
        1
    } else {
        centis
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_down_is_three_intervals_plus_the_skew_of_the_rfc() {
        // RFC 9568 6.1 with the defaults: 3 x 1 s + (256 - 100)/256 s.
        assert_eq!(skew_time(100, 100).micros(), 609_375);
        assert_eq!(master_down_interval(100, 100).micros(), 3_609_375);
        // Priority 200 at 100 cs: 3 s + 56/256 s.
        assert_eq!(master_down_interval(200, 100).micros(), 3_218_750);
        // The owner's skew is 1/256 of an interval; a priority-1 router's
        // almost a whole one.
        assert_eq!(skew_time(255, 100).micros(), 3_906);
        assert_eq!(skew_time(1, 100).micros(), 996_093);
        // 50 cs (keepalived `advert_int 0.5`), priority 150.
        assert_eq!(master_down_interval(150, 50).micros(), 1_707_031);
    }

    #[test]
    fn a_higher_priority_always_times_out_first() {
        for interval in [1, 7, 50, 100, 4095] {
            for p in 1..=254u8 {
                assert!(
                    master_down_interval(p + 1, interval) < master_down_interval(p, interval),
                    "{p} at {interval} cs"
                );
            }
        }
    }

    #[test]
    fn ranges_are_those_of_freebsd_ifconfig() {
        assert!(Priority::new(0).is_err());
        assert_eq!(Priority::new(255).map(Priority::is_owner), Ok(true));
        assert_eq!(AdverInt::new(4095).map(AdverInt::get), Ok(4095));
        assert!(AdverInt::new(0).is_err() && AdverInt::new(4096).is_err());
        assert_eq!(Version::from_number(3), Ok(Version::Vrrp));
        assert!(Version::from_number(1).is_err());
        assert_eq!(VrrpParams::default().priority.get(), 100);
        assert_eq!(
            VrrpParams::default().interval.duration().micros(),
            1_000_000
        );
        assert_eq!(master_down_interval(100, 0), master_down_interval(100, 1));
    }
}
