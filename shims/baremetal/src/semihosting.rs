//! The Cortex-M entry: `cortex-m-rt` boots the core (vector table, reset,
//! `.data`/`.bss` set-up), [`crate::run_and_record`] runs the scenario, and
//! the outcome goes to the host over Arm semihosting (QEMU's
//! `-semihosting`), one line, before QEMU is told to exit:
//!
//! ```text
//! carp-baremetal: a=<state> b=<state> took_over=<0|1> takeover_us=<n> kill_us=<n> skews=<a>/<b>
//! ```
//!
//! (states as `ifconfig` prints them). The exit status is success when B
//! took over; `run-qemu.sh` also checks the instant against the formula.
//! No `core::fmt`: the digits are written by hand to keep the image small.

use core::panic::PanicInfo;
use core::sync::atomic::Ordering;

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hio};

use crate::{KILL_AT_US, OUTCOME, SKEWS, TAKEOVER_AT_US};

/// A line being assembled without an allocator.
struct Line {
    buf: [u8; 160],
    len: usize,
}

impl Line {
    fn new() -> Line {
        Line {
            buf: [0; 160],
            len: 0,
        }
    }

    fn byte(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    fn text(&mut self, s: &str) -> &mut Line {
        s.bytes().for_each(|b| self.byte(b));
        self
    }

    fn number(&mut self, mut n: u64) -> &mut Line {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            if let Some(d) = digits.get_mut(i) {
                *d = b'0' + (n % 10) as u8;
            }
            n /= 10;
            if n == 0 || i == 0 {
                break;
            }
        }
        for d in digits.get(i..).unwrap_or(&[]) {
            self.byte(*d);
        }
        self
    }

    fn bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

fn state_name(bits: u32) -> &'static str {
    match bits & 0xff {
        0 => "INIT",
        1 => "BACKUP",
        2 => "MASTER",
        _ => "?",
    }
}

/// Prints `line` on the host's stdout (ignored when no debugger listens).
fn print(line: &[u8]) {
    if let Ok(mut out) = hio::hstdout() {
        let _ = out.write_all(line);
    }
}

#[entry]
fn main() -> ! {
    let outcome = crate::run_and_record();
    let took_over = outcome != u32::MAX && outcome & (1 << 16) != 0;
    let mut line = Line::new();
    line.text("carp-baremetal: a=")
        .text(state_name(outcome))
        .text(" b=")
        .text(state_name(outcome >> 8))
        .text(" took_over=")
        .number(u64::from(took_over))
        .text(" takeover_us=")
        .number(u64::from(TAKEOVER_AT_US.load(Ordering::Relaxed)))
        .text(" kill_us=")
        .number(KILL_AT_US)
        .text(" skews=")
        .number(u64::from(SKEWS.0))
        .text("/")
        .number(u64::from(SKEWS.1))
        .text("\n");
    print(line.bytes());
    debug::exit(if took_over {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    loop {
        core::hint::spin_loop();
    }
}

#[panic_handler]
fn panic(_info: &PanicInfo) -> ! {
    OUTCOME.store(u32::MAX - 1, Ordering::Relaxed);
    print(b"carp-baremetal: panic\n");
    debug::exit(debug::EXIT_FAILURE);
    loop {
        core::hint::spin_loop();
    }
}
