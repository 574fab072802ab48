//! Time as the caller gives it: integer microseconds, no clock inside.
//!
//! [`Instant`] is a point on the caller's monotonic clock, [`Duration`] a
//! span; both count microseconds in a `u64` and saturate instead of
//! overflowing. [`AdvTiming`] holds the one place where advbase and advskew
//! become intervals.

use core::fmt;
use core::ops::{Add, AddAssign, Sub};

/// Microseconds in a second.
const MICROS_PER_SEC: u64 = 1_000_000;
/// advskew counts 1/256 s (the seed papers say 1/255; every kernel divides
/// by 256).
const SKEW_UNITS_PER_SEC: u64 = 256;

/// A point in time on the caller's monotonic clock, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant {
    micros: u64,
}

/// A span of time in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration {
    micros: u64,
}

impl Instant {
    /// The origin of the caller's clock.
    pub const ZERO: Instant = Instant { micros: 0 };

    /// An instant `micros` µs after the origin.
    pub const fn from_micros(micros: u64) -> Instant {
        Instant { micros }
    }

    /// An instant `millis` ms after the origin.
    pub const fn from_millis(millis: u64) -> Instant {
        Instant {
            micros: millis.saturating_mul(1_000),
        }
    }

    /// An instant `secs` s after the origin.
    pub const fn from_secs(secs: u64) -> Instant {
        Instant {
            micros: secs.saturating_mul(MICROS_PER_SEC),
        }
    }

    /// Microseconds since the origin.
    pub const fn micros(self) -> u64 {
        self.micros
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub const fn saturating_since(self, earlier: Instant) -> Duration {
        Duration {
            micros: self.micros.saturating_sub(earlier.micros),
        }
    }
}

impl Duration {
    /// No time.
    pub const ZERO: Duration = Duration { micros: 0 };

    /// `micros` microseconds.
    pub const fn from_micros(micros: u64) -> Duration {
        Duration { micros }
    }

    /// `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Duration {
        Duration {
            micros: millis.saturating_mul(1_000),
        }
    }

    /// `secs` seconds.
    pub const fn from_secs(secs: u64) -> Duration {
        Duration {
            micros: secs.saturating_mul(MICROS_PER_SEC),
        }
    }

    /// Length in microseconds.
    pub const fn micros(self) -> u64 {
        self.micros
    }

    /// Length in whole milliseconds.
    pub const fn millis(self) -> u64 {
        self.micros / 1_000
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, rhs: Duration) -> Instant {
        Instant {
            micros: self.micros.saturating_add(rhs.micros),
        }
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_since(rhs)
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, rhs: Duration) -> Duration {
        Duration {
            micros: self.micros.saturating_add(rhs.micros),
        }
    }
}

impl fmt::Display for Instant {
    /// Seconds with six decimals, as a timeline prints them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:06}",
            self.micros / MICROS_PER_SEC,
            self.micros % MICROS_PER_SEC
        )
    }
}

impl fmt::Display for Duration {
    /// Seconds with six decimals and an `s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:06}s",
            self.micros / MICROS_PER_SEC,
            self.micros % MICROS_PER_SEC
        )
    }
}

/// The default number of advert intervals a backup waits (BSD and ucarp: 3).
pub const DEFAULT_DEAD_RATIO: u8 = 3;

/// advbase and advskew of one vhid, and the intervals they make.
///
/// As OpenBSD `carp_setrun`: the advert interval is `advbase s +
/// advskew/256 s` and the master-down interval `3 × advbase s +
/// advskew/256 s`, with OpenBSD's sub-second mode when advbase is 0
/// (`advskew/256 s`, or 1/256 s when advskew is also 0, times three for
/// master-down). The 3 is the dead ratio, a local knob that never reaches the
/// wire. Fractions of a microsecond are truncated as the kernels do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AdvTiming {
    /// Base interval in seconds.
    pub advbase: u8,
    /// Skew in 1/256 s.
    pub advskew: u8,
}

impl AdvTiming {
    /// The timing for these two values.
    pub const fn new(advbase: u8, advskew: u8) -> AdvTiming {
        AdvTiming { advbase, advskew }
    }

    /// The interval in 1/256 s units, the exact value the election compares.
    pub const fn ticks(self) -> u32 {
        self.advbase as u32 * SKEW_UNITS_PER_SEC as u32 + self.advskew as u32
    }

    /// Time between two adverts of a master.
    pub const fn advert_interval(self) -> Duration {
        if self.advbase == 0 {
            let skew = if self.advskew == 0 {
                1
            } else {
                self.advskew as u64
            };
            return Duration::from_micros(skew * MICROS_PER_SEC / SKEW_UNITS_PER_SEC);
        }
        Duration::from_micros(
            self.advbase as u64 * MICROS_PER_SEC
                + self.advskew as u64 * MICROS_PER_SEC / SKEW_UNITS_PER_SEC,
        )
    }

    /// Silence after which a backup declares the master down, with the dead
    /// ratio in place of BSD's 3.
    pub const fn master_down_interval(self, dead_ratio: u8) -> Duration {
        let ratio = dead_ratio as u64;
        if self.advbase == 0 {
            let skew = if self.advskew == 0 {
                1
            } else {
                self.advskew as u64
            };
            return Duration::from_micros(ratio * skew * MICROS_PER_SEC / SKEW_UNITS_PER_SEC);
        }
        Duration::from_micros(
            ratio * self.advbase as u64 * MICROS_PER_SEC
                + self.advskew as u64 * MICROS_PER_SEC / SKEW_UNITS_PER_SEC,
        )
    }

    /// The master-down interval in 1/256 s units, for the "a master that
    /// will time out anyway" rule of the election.
    pub const fn master_down_ticks(self, dead_ratio: u8) -> u32 {
        dead_ratio as u32 * self.advbase as u32 * SKEW_UNITS_PER_SEC as u32 + self.advskew as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advert_interval_is_advbase_plus_skew_over_256() {
        assert_eq!(AdvTiming::new(1, 0).advert_interval().micros(), 1_000_000);
        assert_eq!(AdvTiming::new(1, 50).advert_interval().micros(), 1_195_312);
        assert_eq!(AdvTiming::new(1, 128).advert_interval().micros(), 1_500_000);
    }

    #[test]
    fn master_down_is_three_advbase_plus_skew() {
        assert_eq!(
            AdvTiming::new(1, 50).master_down_interval(3).micros(),
            3_195_312
        );
        assert_eq!(
            AdvTiming::new(1, 10).master_down_interval(3).micros(),
            3_039_062
        );
    }

    #[test]
    fn advbase_zero_is_openbsd_sub_second_mode() {
        assert_eq!(AdvTiming::new(0, 0).advert_interval().micros(), 3_906);
        assert_eq!(
            AdvTiming::new(0, 0).master_down_interval(3).micros(),
            11_718
        );
        assert_eq!(AdvTiming::new(0, 2).advert_interval().micros(), 7_812);
        assert_eq!(
            AdvTiming::new(0, 2).master_down_interval(3).micros(),
            23_437
        );
    }

    #[test]
    fn every_pair_orders_like_its_ticks() {
        // The election compares ticks; intervals must never disagree with them.
        for base in 1..=255u8 {
            for skew in 0..=255u8 {
                let t = AdvTiming::new(base, skew);
                assert!(t.advert_interval() <= t.master_down_interval(3));
                if skew < 255 {
                    let next = AdvTiming::new(base, skew + 1);
                    assert!(next.ticks() > t.ticks());
                    assert!(next.advert_interval() >= t.advert_interval());
                }
            }
        }
    }

    #[test]
    fn instants_saturate_and_print_seconds() {
        let t = Instant::from_micros(3_195_312);
        assert_eq!(format!("{t}"), "3.195312");
        assert_eq!(
            Instant::from_micros(u64::MAX) + Duration::from_secs(1),
            Instant::from_micros(u64::MAX)
        );
        assert_eq!(Instant::ZERO - t, Duration::ZERO);
    }
}
