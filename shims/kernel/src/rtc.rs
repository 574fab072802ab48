//! The boot time from the PC's CMOS real-time clock (MC146818, ports 0x70
//! and 0x71; QEMU's `-rtc base=utc` default keeps it at UTC), for the top
//! 32 bits of carp's counter seed: a kernel rebooted in a later second
//! starts its advert counters above every counter it sent before
//! (`docs/embedding.md`, "The counter seed").
//!
//! Registers (MC146818A data sheet; the PC's century byte at 0x32):
//! 0x00 seconds, 0x02 minutes, 0x04 hours, 0x07 day, 0x08 month, 0x09 year,
//! 0x0a status A (bit 7: update in progress), 0x0b status B (bit 2: binary
//! instead of BCD, bit 1: 24-hour mode).

use crate::port::{inb, outb};

/// One CMOS register (NMI stays enabled: bit 7 of the index clear).
fn read(reg: u8) -> u8 {
    outb(0x70, reg & 0x7f);
    inb(0x71)
}

/// The six date and time registers and the century, read outside an
/// update cycle.
fn raw() -> [u8; 7] {
    let regs = [0x00, 0x02, 0x04, 0x07, 0x08, 0x09, 0x32];
    let mut out = [0u8; 7];
    for (o, r) in out.iter_mut().zip(regs) {
        *o = read(r);
    }
    out
}

fn from_bcd(v: u8) -> u64 {
    u64::from(v >> 4) * 10 + u64::from(v & 0x0f)
}

/// Days from 1970-01-01 to `y-m-d` in the proleptic Gregorian calendar
/// (the civil-from-days inverse as Howard Hinnant derives it; written from
/// the arithmetic, years from 1970 on only).
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds since 1970-01-01 UTC, or `None` if the clock reads nonsense
/// (no RTC, a date before 2000).
pub fn unix_seconds() -> Option<u64> {
    // Wait out an update in progress (it lasts under 2 ms), then read until
    // two reads agree, boundedly.
    for _ in 0..100_000 {
        if read(0x0a) & 0x80 == 0 {
            break;
        }
    }
    let mut now = raw();
    for _ in 0..8 {
        let again = raw();
        if again == now {
            break;
        }
        now = again;
    }
    let status_b = read(0x0b);
    let binary = status_b & 0x04 != 0;
    let h24 = status_b & 0x02 != 0;
    let pm = now[2] & 0x80 != 0;
    let mut v = now.map(|b| if binary { u64::from(b) } else { from_bcd(b) });
    if !binary {
        v[2] = from_bcd(now[2] & 0x7f);
    } else {
        v[2] = u64::from(now[2] & 0x7f);
    }
    if !h24 {
        v[2] %= 12;
        if pm {
            v[2] += 12;
        }
    }
    let century = if (19..=30).contains(&v[6]) { v[6] } else { 20 };
    let [sec, min, hour, day, month, year, _] = v;
    let year = century * 100 + year;
    let sane = year >= 2000 && (1..=12).contains(&month) && (1..=31).contains(&day);
    if !sane || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3_600 + min * 60 + sec)
}
