//! carp inside a kernel: a small x86_64 kernel that QEMU boots with
//! `-kernel` (PVH entry, TCG), with a virtio-net NIC (virtio-drivers over
//! PCI, no alloc), a TSC clock calibrated against the HPET, carp run
//! through carp-ctl's `Engine` (ifconfig words and sysctl lines, the
//! pseudo-interface on the NIC as its one parent), and smoltcp as its IP
//! stack.
//!
//! # Command line (`-append`), and console input
//!
//! Statements separated by `;` (on the console: one per line):
//!
//! ```text
//! ip=192.0.2.21/24                      the parent's own address (command line only)
//! sysctl net.inet.carp.preempt=1        a sysctl line (also bare net.inet.carp.X=Y)
//! ifconfig carp0 create vhid 1 advskew 100 pass secret 192.0.2.100/24
//! ifconfig carp0 down | up | state master | advskew 10 ...
//! status carp0 | netstat
//! bench                                  time adverts and SHA-1 in the guest (command line only)
//! ```
//!
//! # Console output (COM1, one event per line)
//!
//! ```text
//! carp: boot entry_us=<reset to entry> clock_us=<reset to at_us 0> tsc_hz=<Hz> hpet_fs=<fs> mac=<NIC MAC> ip=<own>
//! carp: rtc unix_s=<CMOS clock, seconds since 1970, 0 if unreadable>
//! carp: nic rx-interrupt msix vector=<n>   (or: none (<why>): polled on the tick)
//! carp: rehearsed adverts=<n> us=<time taken>   (see rehearsal.rs)
//! carp: ready at_us=<clock> vhids configured
//! ```
//! and the lines of `carp_glue` (state changes, first advert, counters,
//! control results); `at_us` is microseconds since the clock was calibrated.
#![no_std]
#![no_main]

mod apic;
mod bench;
mod boot;
mod carp_glue;
mod clock;
mod msix;
mod net;
mod nic;
mod pci;
mod port;
mod rehearsal;
mod rtc;
mod serial;

use core::net::Ipv4Addr;
use core::panic::PanicInfo;

use smoltcp::iface::SocketStorage;
use virtio_drivers::transport::pci::bus::PciRoot;
use virtio_drivers::transport::pci::{virtio_device_type, PciTransport};
use virtio_drivers::transport::DeviceType;

use carp_glue::{Carp, Taken};
use clock::Clock;
use net::{Net, VifStorage};
use nic::{KernelHal, Nic, RxRing};

/// The wake-up tick for carp's timers (and for received frames when the NIC
/// has no receive interrupt, see `msix.rs`: then receive latency is up to
/// one period, 0.5 ms); an idle guest costs about a tenth of a host core
/// under TCG.
const TICK_HZ: u32 = 2000;
/// Counters are printed this often (microseconds).
const COUNTERS_EVERY_US: u64 = 10_000_000;
/// The idle loop spins instead of sleeping when carp's deadline is closer.
const SPIN_US: u64 = 500;

/// A fixed-size text buffer for formatting without alloc.
pub struct LineBuf {
    buf: [u8; 512],
    len: usize,
}

impl LineBuf {
    /// Empty.
    pub const fn new() -> LineBuf {
        LineBuf {
            buf: [0; 512],
            len: 0,
        }
    }

    /// The text so far.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl Default for LineBuf {
    fn default() -> LineBuf {
        LineBuf::new()
    }
}

impl core::fmt::Write for LineBuf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(core::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Stops the CPU for good.
pub fn halt() -> ! {
    loop {
        // SAFETY: `cli; hlt` only stops this CPU.
        unsafe { core::arch::asm!("cli", "hlt", options(nomem, nostack)) }
    }
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    println!("carp: fault panic {info}");
    halt()
}

/// `ip=A.B.C.D/LEN`.
fn parse_own(word: &str) -> Option<(Ipv4Addr, u8)> {
    let (addr, len) = word.strip_prefix("ip=")?.split_once('/')?;
    let len: u8 = len.parse().ok()?;
    (len <= 32).then_some((addr.parse().ok()?, len))
}

/// Finds the first virtio-net device on bus 0, places its BARs and brings
/// it up.
fn find_nic() -> Option<Nic> {
    let mut root = PciRoot::new(pci::PortCam);
    let mut next_bar = pci::BAR_WINDOW;
    let found = root
        .enumerate_bus(0)
        .find(|(_, info)| virtio_device_type(info) == Some(DeviceType::Network))?;
    if let Err(e) = pci::assign_bars(&mut root, found.0, &mut next_bar) {
        println!("carp: fault pci-bars {e:?}");
        return None;
    }
    let transport = match PciTransport::new::<KernelHal, _>(&mut root, found.0) {
        Ok(t) => t,
        Err(e) => {
            println!("carp: fault virtio-pci {e}");
            return None;
        }
    };
    match Nic::new(transport) {
        Ok(nic) => {
            match msix::route_receive(&root, found.0, apic::NIC_VECTOR) {
                Ok(()) => println!("carp: nic rx-interrupt msix vector={}", apic::NIC_VECTOR),
                Err(e) => println!("carp: nic rx-interrupt none ({e}): polled on the tick"),
            }
            Some(nic)
        }
        Err(e) => {
            println!("carp: fault virtio-net {e}");
            None
        }
    }
}

/// Hands carp's current ownership to the IP stack when it changed.
fn sync(net: &mut Net<'_>, carp: &mut Carp, now: u64) {
    if net.generation() != carp.generation {
        let owned = carp.owned();
        net.sync(carp.generation, &owned, carp.nic(), now);
    }
}

/// The kernel, entered from `boot.rs` in long mode.
#[no_mangle]
pub extern "C" fn kmain(start_info: usize) -> ! {
    let entry_tsc = clock::tsc();
    serial::init();
    let Some(clock) = Clock::calibrate() else {
        println!("carp: fault no-hpet");
        halt()
    };
    apic::start_tick(&clock, TICK_HZ);
    // SAFETY: the address the PVH entry was given.
    let cmdline = unsafe { boot::cmdline(start_info) };
    let own = cmdline
        .split(';')
        .find_map(|s| parse_own(s.trim()))
        .unwrap_or((Ipv4Addr::new(192, 0, 2, 2), 24));
    let Some(nic) = find_nic() else { halt() };
    let mac = nic.mac();
    println!(
        "carp: boot entry_us={} clock_us={} tsc_hz={} hpet_fs={} mac={:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x} ip={}/{}",
        clock.ticks_to_us(entry_tsc),
        clock.ticks_to_us(clock.tsc0),
        clock.tsc_hz,
        clock.hpet_fs,
        mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
        own.0,
        own.1
    );

    // Receive buffers first, so no frame is missed once carp talks.
    let mut rx = RxRing::new();
    // The counter seed: the boot time in seconds on top (replay protection
    // across reboots), then what this machine has of randomness: the TSC
    // after calibration and the NIC's MAC.
    let boot_secs = rtc::unix_seconds().unwrap_or(0);
    let noise =
        clock::tsc() ^ u64::from_be_bytes([0, 0, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]]);
    let seed = (boot_secs << 32) | (noise & 0xffff_ffff);
    println!("carp: rtc unix_s={boot_secs}");
    let mut carp = Carp::new(nic, own.0, seed);
    rx.post_all(carp.nic());

    let mut parent_sockets: [SocketStorage; 1] = [SocketStorage::EMPTY; 1];
    let mut vif_a = VifStorage::new();
    let mut vif_b = VifStorage::new();
    let own_net = (own.0, own.1);
    let mut net = Net::new(
        carp.nic(),
        own_net,
        clock.now_us(),
        &mut parent_sockets,
        [&mut vif_a, &mut vif_b],
    );

    let mut bench_requested = false;
    for statement in cmdline.split(';').map(str::trim) {
        if statement.is_empty() || statement.starts_with("ip=") {
            continue;
        }
        if statement == "bench" {
            bench_requested = true;
            continue;
        }
        carp.statement(clock.now_us(), statement);
    }
    let started = clock.now_us();
    let rehearsed = rehearsal::rehearse(mac, own.0, started, cmdline.split(';').map(str::trim));
    println!(
        "carp: rehearsed adverts={rehearsed} us={}",
        clock.now_us() - started
    );
    println!("carp: ready at_us={}", clock.now_us());
    if bench_requested {
        bench::run(&clock);
    }

    let mut console = serial::LineReader::new();
    let mut next_counters = clock.now_us() + COUNTERS_EVERY_US;
    loop {
        let now = clock.now_us();
        console.poll(|line| match line {
            Some(l) => carp.statement(now, l),
            None => println!("carp: ctl error line too long"),
        });
        while let Some((slot, range)) = rx.next(carp.nic()) {
            let now = clock.now_us();
            let frame = rx.frame(slot, range);
            match carp.input(now, frame) {
                Taken::Carp => {}
                Taken::VirtualArp => {
                    sync(&mut net, &mut carp, now);
                    net.ingress(frame, true, carp.nic(), now);
                }
                Taken::NotCarp => {
                    sync(&mut net, &mut carp, now);
                    net.ingress(frame, false, carp.nic(), now);
                }
            }
            rx.recycle(slot, carp.nic());
        }
        let now = clock.now_us();
        carp.poll(now);
        sync(&mut net, &mut carp, now);
        net.poll(carp.nic(), now);
        if now >= next_counters {
            carp.print_counters();
            next_counters = now + COUNTERS_EVERY_US;
        }
        // Sleep a tick, or spin to a deadline that is closer than one.
        match carp.deadline_us() {
            Some(d) if d <= now + SPIN_US => {
                let ticks = clock.us_to_ticks(d.saturating_sub(now));
                let t0 = clock::tsc();
                while clock::tsc().wrapping_sub(t0) < ticks {
                    core::hint::spin_loop();
                }
            }
            _ => apic::wait_for_tick(),
        }
    }
}
