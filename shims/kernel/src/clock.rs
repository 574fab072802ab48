//! Time: the TSC, calibrated once against the HPET.
//!
//! The HPET's period is given in femtoseconds by the hardware, so 50 ms of
//! HPET ticks fixes the TSC rate to well within 0.01 % (the PIT, tried
//! first in the feasibility run, was off by up to 5 %). Every clock error
//! goes 1:1 into carp's advert intervals and master-down timer, so the
//! rate is measured, never assumed.

use core::arch::x86_64::_rdtsc;
use core::ptr::{read_volatile, write_volatile};

/// HPET registers (QEMU's `pc` machine, as in its ACPI HPET table).
const HPET_BASE: usize = 0xfed0_0000;
const HPET_CAPS: usize = 0x000;
const HPET_CONFIG: usize = 0x010;
const HPET_COUNTER: usize = 0x0f0;
/// Calibration window.
const CALIBRATE_FS: u128 = 50_000_000_000_000;

fn hpet_read(reg: usize) -> u64 {
    // SAFETY: identity-mapped, uncached MMIO of the HPET.
    unsafe { read_volatile((HPET_BASE + reg) as *const u64) }
}

fn hpet_write(reg: usize, value: u64) {
    // SAFETY: as `hpet_read`.
    unsafe { write_volatile((HPET_BASE + reg) as *mut u64, value) }
}

/// An HPET counter reading and the TSC at the middle of it: the
/// narrowest bracket of [`PAIR_TRIES`].
fn paired_sample() -> (u64, u64) {
    let mut best = (0, 0, u64::MAX);
    for _ in 0..PAIR_TRIES {
        let before = tsc();
        let h = hpet_read(HPET_COUNTER);
        let after = tsc();
        let width = after.wrapping_sub(before);
        if width < best.2 {
            best = (h, before + width / 2, width);
        }
    }
    (best.0, best.1)
}

/// Tries per paired sample.
const PAIR_TRIES: usize = 8;

/// The TSC now.
pub fn tsc() -> u64 {
    // SAFETY: rdtsc has no preconditions on x86_64.
    unsafe { _rdtsc() }
}

/// A calibrated clock: microseconds since calibration from the TSC.
#[derive(Clone, Copy)]
pub struct Clock {
    /// TSC ticks per second.
    pub tsc_hz: u64,
    /// HPET period in femtoseconds, as the hardware reports it.
    pub hpet_fs: u32,
    /// The TSC at calibration: time 0 of [`Clock::now_us`].
    pub tsc0: u64,
}

impl Clock {
    /// Enables the HPET and measures the TSC against it for 50 ms. `None`
    /// when there is no usable HPET.
    pub fn calibrate() -> Option<Clock> {
        let period_fs = (hpet_read(HPET_CAPS) >> 32) as u32;
        // The HPET spec bounds the period to (0, 100 ns].
        if period_fs == 0 || period_fs > 100_000_000 {
            return None;
        }
        hpet_write(HPET_CONFIG, hpet_read(HPET_CONFIG) | 1);
        let ticks = (CALIBRATE_FS / u128::from(period_fs)) as u64;
        // Warm up (under TCG the first pass through this code is
        // translated, which would land inside the window), then pair each
        // end's HPET read with the TSC midway across it, keeping the
        // narrowest of a few tries (a preempted vCPU widens one).
        let _ = paired_sample();
        let (h0, t0) = paired_sample();
        let mut h1 = h0;
        // Bounded by the TSC too, in case the HPET does not count.
        while h1.wrapping_sub(h0) < ticks && tsc().wrapping_sub(t0) < 1 << 40 {
            h1 = hpet_read(HPET_COUNTER);
        }
        let (h1, t1) = paired_sample();
        let elapsed_fs = u128::from(h1.wrapping_sub(h0)) * u128::from(period_fs);
        if elapsed_fs == 0 {
            return None;
        }
        let hz = u128::from(t1.wrapping_sub(t0)) * 1_000_000_000_000_000 / elapsed_fs;
        Some(Clock {
            tsc_hz: hz as u64,
            hpet_fs: period_fs,
            tsc0: t1,
        })
    }

    /// Microseconds since calibration.
    pub fn now_us(&self) -> u64 {
        self.ticks_to_us(tsc().wrapping_sub(self.tsc0))
    }

    /// TSC ticks as microseconds.
    pub fn ticks_to_us(&self, ticks: u64) -> u64 {
        (u128::from(ticks) * 1_000_000 / u128::from(self.tsc_hz.max(1))) as u64
    }

    /// Microseconds as TSC ticks.
    pub fn us_to_ticks(&self, us: u64) -> u64 {
        (u128::from(us) * u128::from(self.tsc_hz) / 1_000_000) as u64
    }
}
