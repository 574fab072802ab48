//! The console: COM1 (16550 UART at port 0x3f8), 115200 8N1, polled.
//!
//! Output lines are what the tests parse (see `main.rs` for their shapes);
//! input lines are control statements (`ifconfig ...`, `sysctl ...`), read
//! without blocking from the receive register.

use core::fmt;

use crate::port::{inb, outb};

const COM1: u16 = 0x3f8;
/// Line status register: data ready (bit 0), transmit holding empty (bit 5).
const LSR: u16 = COM1 + 5;

/// Programs COM1 for 115200 baud, 8 data bits, no parity, one stop bit.
pub fn init() {
    outb(COM1 + 1, 0x00); // no interrupts
    outb(COM1 + 3, 0x80); // DLAB
    outb(COM1, 0x01); // divisor 1: 115200
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); // 8N1
    outb(COM1 + 2, 0xc7); // FIFOs on, cleared
    outb(COM1 + 4, 0x03); // DTR, RTS
}

fn put(byte: u8) {
    // Bounded: QEMU's UART is always ready; real hardware drains in ~87 us.
    for _ in 0..100_000 {
        if inb(LSR) & 0x20 != 0 {
            break;
        }
    }
    outb(COM1, byte);
}

/// `core::fmt` sink for the console (use the `println!` macro).
pub struct Console;

impl fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if b == b'\n' {
                put(b'\r');
            }
            put(b);
        }
        Ok(())
    }
}

/// Prints a line on the console.
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = writeln!($crate::serial::Console, $($arg)*);
    }};
}

/// Longest control statement read from the console.
pub const LINE: usize = 256;

/// Collects console input into lines.
pub struct LineReader {
    buf: [u8; LINE],
    len: usize,
    overflow: bool,
}

impl LineReader {
    /// An empty reader.
    pub const fn new() -> LineReader {
        LineReader {
            buf: [0; LINE],
            len: 0,
            overflow: false,
        }
    }

    /// Reads what the UART holds; calls `line` for each complete line
    /// (without its terminator). A line longer than [`LINE`] is dropped
    /// whole and reported as `None`.
    pub fn poll(&mut self, mut line: impl FnMut(Option<&str>)) {
        // Bounded: at most one FIFO's worth per call.
        for _ in 0..64 {
            if inb(LSR) & 0x01 == 0 {
                return;
            }
            let b = inb(COM1);
            if b == b'\n' || b == b'\r' {
                if self.overflow {
                    line(None);
                } else if self.len > 0 {
                    line(core::str::from_utf8(&self.buf[..self.len]).ok());
                }
                self.len = 0;
                self.overflow = false;
            } else if self.len < LINE {
                self.buf[self.len] = b;
                self.len += 1;
            } else {
                self.overflow = true;
            }
        }
    }
}
