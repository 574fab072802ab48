//! One simulated host: its configuration, its current carp (a
//! [`carp_ctl::Engine`] with one parent, [`PARENT`]) and what it did over
//! all its lives. Every command the simulator gives a host goes through
//! the engine, as an administrator's would.

use std::collections::BTreeMap;

use carp_core::{Instant, State, Stats};
use carp_ctl::{Engine, Parent, ParentId};
use carp_ifnet::carpif::{CarpIf, MAX_VHIDS};
use carp_ifnet::driver::LinkState;
use carp_sysctl::Sysctl;

use super::HostSpec;
use crate::driver::SimDriver;

/// The name of every simulated host's one parent interface.
pub const PARENT: &str = "eth0";

/// Carp interfaces and vhids a simulated host describes.
pub const SIM_ITEMS: usize = 256;

/// A simulated host's carp: 255 vhids on its parent, parents on the heap.
pub type SimEngine = Engine<Vec<Box<Parent<MAX_VHIDS>>>, MAX_VHIDS, SIM_ITEMS>;

/// One simulated host.
#[derive(Debug)]
pub struct SimHost {
    pub(super) spec: HostSpec,
    pub(super) engine: Box<SimEngine>,
    pub(super) parent: ParentId,
    pub(super) nic: SimDriver,
    pub(super) alive: bool,
    pub(super) booted: bool,
    pub(super) link_up: bool,
    pub(super) boots: u32,
    pub(super) frames_sent: u64,
    pub(super) retired: Stats,
    pub(super) group: usize,
    /// Earliest instant its timers may run again (guards a timer that does
    /// not move after it ran).
    pub(super) not_before: Instant,
    /// Per vhid: when it last became BACKUP, and whether by yielding a tie.
    pub(super) backup_since: BTreeMap<u8, (Instant, bool)>,
}

impl SimHost {
    /// Its configuration (with any reconfiguration applied).
    pub fn spec(&self) -> &HostSpec {
        &self.spec
    }
    /// Its name.
    pub fn name(&self) -> &str {
        &self.spec.name
    }
    /// The pseudo-interface of its current life.
    pub fn cif(&self) -> &CarpIf<MAX_VHIDS> {
        self.engine
            .parent(self.parent)
            .map(Parent::carpif)
            .expect("a simulated host always has its one parent")
    }
    /// Its carp: the control engine of its current life.
    pub fn engine(&self) -> &SimEngine {
        &self.engine
    }
    /// Its NIC (multicast groups, unicast filter).
    pub fn nic(&self) -> &SimDriver {
        &self.nic
    }
    /// Its sysctl tree (current life).
    pub fn sysctl(&self) -> &Sysctl {
        self.engine.sysctl()
    }
    /// True when booted and not crashed.
    pub fn is_alive(&self) -> bool {
        self.alive
    }
    /// True when its parent link is up.
    pub fn is_link_up(&self) -> bool {
        self.link_up
    }
    /// How many times it booted.
    pub fn boots(&self) -> u32 {
        self.boots
    }
    /// Frames it put on the segment, all lives.
    pub fn frames_sent(&self) -> u64 {
        self.frames_sent
    }
    /// The state of a vhid, INIT when crashed or not configured.
    pub fn state(&self, vhid: u8) -> State {
        if !self.alive {
            return State::Init;
        }
        self.cif().vhost(vhid).map_or(State::Init, |v| v.state())
    }
    /// Host-wide counters over all its lives: the sysctl statistics of
    /// each (transitions to master, state updates and replays logged
    /// included, as BSD's global `carpstats`).
    pub fn counters(&self) -> Stats {
        let mut s = self.retired.clone();
        s.merge(&self.current_counters());
        s
    }

    /// Sends what its carp interface owes (and runs due timers).
    pub(super) fn poll(&mut self, now: Instant) {
        self.engine.poll(now, self.parent, &mut self.nic);
    }

    pub(super) fn current_counters(&self) -> Stats {
        // The vhost-only counts (transitions to master, state updates,
        // replays logged) reach the host's tree as they happen.
        self.sysctl().stats()
    }
}

/// A fresh carp for `spec`: its parent (link as given), its knobs, its
/// counter seed (`seed`'s top 32 bits a boot epoch, see
/// [`Engine::set_counter_seed`]).
///
/// # Errors
/// The knob the engine refused.
pub(super) fn new_engine(
    spec: &HostSpec,
    link_up: bool,
    seed: u64,
) -> Result<(Box<SimEngine>, ParentId), String> {
    let mut engine = Box::new(SimEngine::new(Vec::new()));
    let parent = engine
        .add_parent(PARENT, spec.parent(), LinkState::from_up(link_up))
        .map_err(|e| e.to_string())?;
    engine.set_counter_seed(seed);
    for (name, value) in spec.knobs.assignments() {
        engine
            .sysctl_line(Instant::ZERO, &format!("{name}={value}"))
            .map_err(|e| format!("{name}: {e}"))?;
    }
    Ok((engine, parent))
}
