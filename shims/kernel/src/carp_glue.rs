//! The one module that talks to carp, all of it through carp-ctl's
//! [`Engine`]: the virtio NIC as its one parent, control statements
//! (ifconfig words, sysctl lines, status) applied transactionally, received
//! frames in (straight from the NIC's receive buffer), timers and output
//! with the NIC lent as the driver, events out as console lines, and which
//! virtual addresses this host owns now with their source MAC
//! (`CarpIf::owned_addresses`, BSD `carp_iamatch` / `carp_output`).
//!
//! Console lines printed here (one event per line, `key=value` fields):
//!
//! ```text
//! carp: state vhid=1 from=BACKUP to=MASTER reason=master-down at_us=4123456 silence_us=3390712
//! carp: advert-first at_us=120345
//! carp: counters ipackets=12 opackets=30 badauth=0 badttl=0 badsum=0 badvhid=0 badlen=0 onomem=0 tx_full=0 nic_sent=41
//! carp: unicast-filter mac=00:00:5e:00:01:01 accept=true
//! carp: ctl ok <statement>            carp: ctl error <why>: <statement>
//! ```
//!
//! `silence_us` is the time from the last advert carp accepted for that
//! vhid to the state change (the guest's own takeover measurement).

use core::net::{IpAddr, Ipv4Addr};

use carp_core::{Counter, EventKind, Instant};
use carp_ctl::{Engine, Parent, ParentId};
use carp_ifnet::carpif::Input;
use carp_ifnet::driver::{Driver, LinkState, ParentInfo, TxError};
use carp_ifnet::lladdr::MacAddr;

use crate::nic::{Nic, NicError};
use crate::println;

/// Vhids this kernel's parent holds.
pub const VHIDS: usize = 4;
/// Carp interfaces and vhids the engine describes at once.
pub const ITEMS: usize = 8;
/// The parent's name, as `carpdev` words name it.
pub const PARENT: &str = "vio0";

/// carp-ctl's engine over the one parent (the virtio NIC).
pub type CarpEngine = Engine<heapless::Vec<Parent<VHIDS>, 1>, VHIDS, ITEMS>;

/// Unicast filter changes carp asked for in one `poll`, printed after it.
type FilterChanges = heapless::Vec<(MacAddr, bool), { 2 * VHIDS }>;

/// The virtio NIC as carp's driver, lent to [`CarpIf::poll`] only.
struct Wire<'a> {
    nic: &'a mut Nic,
    /// CARP frames handed to the NIC.
    adverts: &'a mut u64,
    /// Filter changes to print once the poll is over: carp programs the
    /// filter just before the takeover advert, and a console line written
    /// here (a port write per byte, each a VM exit under TCG) would hold
    /// that advert back.
    filters: &'a mut FilterChanges,
}

impl Driver for Wire<'_> {
    fn transmit(&mut self, frame: &[u8]) -> Result<(), TxError> {
        // Ethernet type IPv4 (bytes 12-13) and IP protocol 112 (byte 23).
        if frame.get(12..14) == Some(&[0x08, 0x00]) && frame.get(23) == Some(&112) {
            *self.adverts += 1;
        }
        self.nic.send(frame).map_err(|e| match e {
            NicError::Full => TxError::NoBuffers,
            NicError::TooLong => TxError::TooLong { len: frame.len() },
            NicError::Device => TxError::Other,
        })
    }
    // virtio-net without VIRTIO_NET_F_CTRL_RX receives every frame: the
    // group and unicast filters have nothing to program.
    fn join_multicast(&mut self, _mac: MacAddr) -> Result<(), TxError> {
        Ok(())
    }
    fn leave_multicast(&mut self, _mac: MacAddr) -> Result<(), TxError> {
        Ok(())
    }
    fn set_unicast_filter(&mut self, mac: MacAddr, accept: bool) -> Result<(), TxError> {
        // Only recorded: see `filters`. A full list drops the line, not
        // the change (virtio-net has no filter to program).
        let _ = self.filters.push((mac, accept));
        Ok(())
    }
}

/// Why a control statement was refused.
enum Error {
    Ctl(carp_ctl::CtlError),
    Unknown,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::Ctl(e) => write!(f, "{e}"),
            Error::Unknown => f.write_str("unknown statement (ifconfig, sysctl, status, netstat)"),
        }
    }
}

/// Addresses per vhid reported by [`Carp::owned`].
pub const OWNED_ADDRS: usize = 8;
/// What [`Carp::owned`] returns: (vhid, virtual MAC, virtual addresses).
pub type Owned = heapless::Vec<(u8, [u8; 6], heapless::Vec<IpAddr, OWNED_ADDRS>), VHIDS>;

/// What carp made of a received frame, for the IP stack's demultiplexer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// A CARP packet (accepted or counted as rejected): nothing else to do.
    Carp,
    /// An ARP request for a virtual address: carp answered it (or decided
    /// not to); the IP stack may learn the asker from it but must not answer.
    VirtualArp,
    /// Not carp's business.
    NotCarp,
}

/// carp on the parent NIC, run through carp-ctl's engine.
pub struct Carp {
    engine: CarpEngine,
    parent: ParentId,
    nic: Nic,
    adverts: u64,
    filters: FilterChanges,
    first_advert_printed: bool,
    /// Bumped on every state change: the IP stack re-reads [`Carp::owned`].
    pub generation: u64,
}

/// carp-ctl's engine with one parent like the NIC (its MAC `mac`, its
/// own address `ipv4`), named [`PARENT`]. `None` only if the engine
/// refused the parent.
pub fn engine_on(mac: [u8; 6], ipv4: Ipv4Addr) -> Option<(CarpEngine, ParentId)> {
    let info = ParentInfo::ethernet(MacAddr(mac)).with_ipv4(ipv4);
    let mut engine = CarpEngine::new(heapless::Vec::new());
    let parent = engine.add_parent(PARENT, info, LinkState::Up).ok()?;
    Some((engine, parent))
}

/// Applies a configuration statement to `engine`: `ifconfig NAME WORDS`,
/// `sysctl LINE` or a bare `net.inet.carp.KNOB=VALUE`. `None` when `line`
/// is neither.
pub fn configure(
    engine: &mut CarpEngine,
    now: Instant,
    line: &str,
) -> Option<Result<(), carp_ctl::CtlError>> {
    let mut words = line.splitn(3, ' ');
    let first = words.next().unwrap_or("");
    match first {
        "ifconfig" => {
            let name = words.next().unwrap_or("");
            let rest = words.next().unwrap_or("");
            Some(engine.ifconfig(now, name, rest))
        }
        _ if first == "sysctl" || first.starts_with("net.inet.carp.") => {
            Some(engine.sysctl_line(now, line).map(drop))
        }
        _ => None,
    }
}

impl Carp {
    /// carp over `nic`, whose own address is `ipv4`; `seed` seeds the
    /// initial advert counters (replay protection).
    pub fn new(nic: Nic, ipv4: Ipv4Addr, seed: u64) -> Carp {
        let Some((mut engine, parent)) = engine_on(nic.mac(), ipv4) else {
            crate::halt()
        };
        engine.set_counter_seed(seed);
        Carp {
            engine,
            parent,
            nic,
            adverts: 0,
            filters: FilterChanges::new(),
            first_advert_printed: false,
            generation: 0,
        }
    }

    /// The NIC (the IP stack transmits through it).
    pub fn nic(&mut self) -> &mut Nic {
        &mut self.nic
    }

    /// Runs one control statement: `ifconfig NAME WORDS`, `sysctl LINE`
    /// (or a bare `net.inet.carp.KNOB=VALUE`), `netstat`, `status NAME`.
    /// Prints `carp: ctl ok ...` or `carp: ctl error ...`.
    pub fn statement(&mut self, now_us: u64, line: &str) {
        let line = line.trim();
        let now = Instant::from_micros(now_us);
        let mut words = line.splitn(3, ' ');
        let first = words.next().unwrap_or("");
        let second = words.next().unwrap_or("");
        let mut status = crate::LineBuf::new();
        let result = match first {
            "status" => self.engine.status(second, &mut status).map_err(Error::Ctl),
            "netstat" => {
                self.print_counters();
                Ok(())
            }
            _ => configure(&mut self.engine, now, line)
                .map_or(Err(Error::Unknown), |r| r.map_err(Error::Ctl)),
        };
        match result {
            Ok(()) => {
                for l in status.as_str().lines() {
                    println!("carp: status {l}");
                }
                println!("carp: ctl ok {line}");
            }
            Err(e) => println!("carp: ctl error {e}: {line}"),
        }
        self.drain(now_us);
    }

    /// Offers a received frame to carp (no copy: `frame` may be the NIC's
    /// receive buffer).
    pub fn input(&mut self, now_us: u64, frame: &[u8]) -> Taken {
        let now = Instant::from_micros(now_us);
        let taken = match self.engine.input(now, self.parent, frame) {
            Ok(Input::NotCarp) => Taken::NotCarp,
            Ok(Input::ArpReplied { .. } | Input::Silent) => Taken::VirtualArp,
            Ok(_) | Err(_) => Taken::Carp,
        };
        self.drain(now_us);
        taken
    }

    /// Runs carp's due timers (adverts, master-down) and sends what is
    /// owed (adverts, ARP replies, announcements, bow-outs) through the NIC.
    pub fn poll(&mut self, now_us: u64) {
        let mut wire = Wire {
            nic: &mut self.nic,
            adverts: &mut self.adverts,
            filters: &mut self.filters,
        };
        // As a trait object: the boot's rehearsal (`crate::rehearsal`)
        // runs this same code.
        let wire: &mut dyn Driver = &mut wire;
        self.engine
            .poll(Instant::from_micros(now_us), self.parent, wire);
        self.drain(now_us);
    }

    /// carp's next deadline, in microseconds of the kernel clock.
    pub fn deadline_us(&self) -> Option<u64> {
        self.engine.poll_timeout().map(Instant::micros)
    }

    /// The vhids this host is MASTER of now, each with its virtual MAC
    /// (the source of everything sent for its addresses) and its virtual
    /// addresses: the answer to BSD's `carp_iamatch`/`carp_output`.
    pub fn owned(&self) -> Owned {
        let mut owned = Owned::new();
        let Some(parent) = self.engine.parent(self.parent) else {
            return owned;
        };
        for addr in parent.carpif().owned_addresses() {
            if let Some(entry) = owned.iter_mut().find(|(vhid, _, _)| *vhid == addr.vhid) {
                let _ = entry.2.push(addr.addr);
            } else {
                let mut addrs = heapless::Vec::new();
                let _ = addrs.push(addr.addr);
                let _ = owned.push((addr.vhid, addr.mac.0, addrs));
            }
        }
        owned
    }

    /// Prints the counters line.
    pub fn print_counters(&self) {
        let s = self.engine.sysctl().stats();
        let nic = &self.nic;
        println!(
            "carp: counters ipackets={} opackets={} badauth={} badttl={} badsum={} badvhid={} badlen={} onomem={} tx_full={} nic_sent={}",
            s.get(Counter::Ipackets),
            s.get(Counter::Opackets),
            s.get(Counter::Badauth),
            s.get(Counter::Badttl),
            s.get(Counter::Badsum),
            s.get(Counter::Badvhid),
            s.get(Counter::Badlen),
            s.get(Counter::Onomem),
            nic.full,
            nic.sent,
        );
    }

    /// Prints carp's events as console lines.
    fn drain(&mut self, now_us: u64) {
        for (mac, accept) in core::mem::take(&mut self.filters) {
            let m = mac.0;
            println!(
                "carp: unicast-filter mac={:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x} accept={}",
                m[0], m[1], m[2], m[3], m[4], m[5], accept
            );
        }
        if !self.first_advert_printed && self.adverts > 0 {
            self.first_advert_printed = true;
            println!("carp: advert-first at_us={now_us}");
        }
        while let Some((parent, event)) = self.engine.poll_event() {
            if let EventKind::StateChange { from, to, reason } = event.kind {
                self.generation += 1;
                let heard = self
                    .engine
                    .parent(parent)
                    .and_then(|p| p.carpif().vhost(event.vhid))
                    .and_then(|h| h.last_heard());
                match heard {
                    Some(h) => println!(
                        "carp: state vhid={} from={from} to={to} reason={reason} at_us={} silence_us={}",
                        event.vhid,
                        event.at.micros(),
                        event.at.micros().saturating_sub(h.micros())
                    ),
                    None => println!(
                        "carp: state vhid={} from={from} to={to} reason={reason} at_us={}",
                        event.vhid,
                        event.at.micros()
                    ),
                }
            }
        }
    }
}
