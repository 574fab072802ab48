//! The takeover rehearsed once at boot, on a scratch engine.
//!
//! Under QEMU TCG a guest's code is translated to host code the first
//! time it runs. A guest that has only ever been BACKUP runs carp's
//! takeover path (master-down, the state change, the advert built, signed
//! and framed, the filter and the announcement) for the first time at the
//! takeover itself, and measured on the wire the first advert then left
//! 1.0 to 2.5 ms late against the adverts after it, and 0 to 0.7 ms late
//! once the path had run before. The rehearsal takes 2 to 4 ms of boot
//! under TCG (the `carp: rehearsed` line's `us=`); real hardware has
//! nothing to translate and gains nothing from it.
//!
//! So the boot runs the same statements on a scratch `CarpEngine` of the
//! same type, on a virtual clock, through BACKUP, master-down and a few
//! adverts as MASTER, into [`Nowhere`]. Both engines take their driver as
//! `&mut dyn Driver`, so they run the one copy of carp's code. Nothing is
//! sent, printed or kept; the real engine's counter seed, counters and
//! events are untouched.

use core::net::Ipv4Addr;

use carp_core::Instant;
use carp_ifnet::driver::{Driver, TxError};
use carp_ifnet::lladdr::MacAddr;

use crate::carp_glue::{configure, engine_on};

/// A driver that sends nothing.
struct Nowhere;

impl Driver for Nowhere {
    fn transmit(&mut self, _frame: &[u8]) -> Result<(), TxError> {
        Ok(())
    }
    fn join_multicast(&mut self, _mac: MacAddr) -> Result<(), TxError> {
        Ok(())
    }
    fn leave_multicast(&mut self, _mac: MacAddr) -> Result<(), TxError> {
        Ok(())
    }
    fn set_unicast_filter(&mut self, _mac: MacAddr, _accept: bool) -> Result<(), TxError> {
        Ok(())
    }
}

/// Deadlines the rehearsal runs: master-down, then adverts as MASTER.
const POLLS: usize = 4;

/// Runs the `ifconfig` and `sysctl` statements of `statements` on a
/// scratch engine over a parent like the NIC (`mac`, `ipv4`), then polls
/// it at its next [`POLLS`] deadlines starting at `now_us`. Returns how
/// many adverts the scratch engine would have sent (0 when the statements
/// configure no vhid).
pub fn rehearse<'a>(
    mac: [u8; 6],
    ipv4: Ipv4Addr,
    now_us: u64,
    statements: impl Iterator<Item = &'a str>,
) -> u64 {
    let Some((mut engine, parent)) = engine_on(mac, ipv4) else {
        return 0;
    };
    let now = Instant::from_micros(now_us);
    for statement in statements {
        let _ = configure(&mut engine, now, statement);
    }
    let wire: &mut dyn Driver = &mut Nowhere;
    for _ in 0..POLLS {
        let Some(at) = engine.poll_timeout() else {
            break;
        };
        engine.poll(at, parent, wire);
        while engine.poll_event().is_some() {}
    }
    engine.sysctl().stats().get(carp_core::Counter::Opackets)
}
