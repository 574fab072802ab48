//! `CarpIf`: every virtual host on one parent interface.
//!
//! The pseudo-interface a kernel embeds, sans-IO in smoltcp's manner: the
//! embedder keeps the NIC and lends it to [`CarpIf::poll`] only.
//!
//! * frames in: [`CarpIf::input`] (no device: a frame may stay in the
//!   NIC's receive buffer while carp reads it);
//! * commands in: [`CarpIf::add_vhost`], [`CarpIf::remove_vhost`],
//!   [`CarpIf::reconfigure`], [`CarpIf::set_admin`],
//!   [`CarpIf::force_state`], and what the parent does:
//!   [`CarpIf::set_link`], [`CarpIf::set_parent`];
//! * time in and frames out: [`CarpIf::poll`] runs every due timer and
//!   sends everything owed (adverts, announcements, ARP/ND answers,
//!   bow-outs) through the [`Driver`], with multicast and unicast filter
//!   changes;
//! * out: [`CarpIf::poll_timeout`] (when to call `poll` next: a timer, or
//!   "now" when output is owed), [`CarpIf::poll_event`];
//! * for the host's IP stack: [`CarpIf::iamatch`], [`CarpIf::source_mac`],
//!   [`CarpIf::owned_addresses`] (BSD `carp_iamatch` / `carp_output`).
//!
//! Host-wide knobs and counters come from a [`Sysctl`] the embedder owns
//! and passes in, so nothing here is global. Vhosts are kept sorted by
//! vhid, as the BSD parent lists are (arpbalance depends on that order).
//!
//! # Call order
//!
//! ```text
//! loop {
//!     sleep until poll_timeout() or a frame arrives;
//!     for each frame: input(now, frame, sysctl);
//!     poll(now, &mut nic, sysctl);
//!     while let Some(event) = poll_event() { ... }
//! }
//! ```
//! `poll_timeout` changes after every call, so read it again each time.
//!
//! # Memory
//!
//! On 64-bit targets a vhid slot of a `CarpIf<N>` is about 1.35 KiB: a
//! 1000-byte [`VirtualHost`] with its deadline, its output state and the
//! room its removal needs for the bow-out advert (a VRRP one is up to 176
//! bytes). Keep it in a `static` or on the heap, not on a small kernel
//! stack. `docs/embedding.md` has the whole table and the rest of the
//! embedder's contract (clock, locking, seed).

mod deadlines;
mod events;
mod input;
mod input_vrrp;
mod neighbor;
mod outbox;
mod output;
mod policy_sync;
mod slot;
mod vhid_index;

pub use events::{BOUNDED_QUEUE_BYTES, EVENT_QUEUE, QUEUE_BYTES};
pub use input::Input;
pub use neighbor::OwnedAddr;
pub use outbox::REPLY_QUEUE;

use carp_core::wire::MAX_TRANSMIT_LEN;
use carp_core::{
    ConfigError, Counter, DemoteReason, Event, EventKind, Instant, Policy, State, Stats, Vhid,
    VhostConfig, VirtualHost,
};
use carp_sysctl::{StatsLane, Sysctl};
use core::fmt;
use deadlines::Deadlines;
use events::EventQueue;
use outbox::{BowOut, Leaving, Reply, Sender};
use slot::Slot;
use vhid_index::VhidIndex;

use crate::driver::{Driver, LinkState, ParentInfo};
use crate::lladdr::MacAddr;
use crate::log_event::LogEvent;

/// Vhosts per parent when the capacity is not given. Hosted front ends
/// (carp-sim, carpd, the C library) use [`MAX_VHIDS`].
pub const DEFAULT_VHIDS: usize = 16;
/// Every vhid a parent can carry (1..=255), as BSD allows.
pub const MAX_VHIDS: usize = 255;
fn encode_deadline(deadline: Option<Instant>) -> u64 {
    deadline.map_or(deadlines::NONE, Instant::micros)
}

/// Why a command on a [`CarpIf`] was refused. A refused command changes
/// nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IfError {
    /// The vhid is already configured on this parent.
    VhidExists(u8),
    /// No such vhid on this parent.
    NoSuchVhid(u8),
    /// The parent holds its capacity of vhosts already.
    Full {
        /// The capacity.
        capacity: usize,
    },
    /// Removed vhids still owe the wire their bow-outs: call
    /// [`CarpIf::poll`] first (only after more than the capacity of
    /// removals without a poll in between).
    OutputPending,
    /// The configuration or forced state was refused by the vhost.
    Config(ConfigError),
}

impl fmt::Display for IfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            IfError::VhidExists(v) => write!(f, "vhid {v} already exists on this interface"),
            IfError::NoSuchVhid(v) => write!(f, "no vhid {v} on this interface"),
            IfError::Full { capacity } => {
                write!(f, "interface full: at most {capacity} vhids")
            }
            IfError::OutputPending => {
                f.write_str("output of removed vhids still queued: poll the interface first")
            }
            IfError::Config(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for IfError {}

impl From<ConfigError> for IfError {
    fn from(e: ConfigError) -> IfError {
        IfError::Config(e)
    }
}

/// All the virtual hosts of one parent interface. See the
/// [module docs](self) for the call order and memory.
///
/// `N` is the capacity in vhids ([`DEFAULT_VHIDS`] unless given; at most
/// [`MAX_VHIDS`] are ever used).
#[derive(Debug, Clone)]
pub struct CarpIf<const N: usize = DEFAULT_VHIDS> {
    parent: ParentInfo,
    link_up: bool,
    slots: heapless::Vec<Slot, N>,
    /// Each configured vhid's slot, for the input path (the slots' order,
    /// rebuilt when a vhid comes or goes).
    vhid_index: VhidIndex,
    /// Each slot's next deadline, as an indexed min-heap over the slot
    /// indices: per-advert updates are O(log N), the earliest is O(1).
    deadlines: Deadlines<N>,
    /// vhids with output owed (each once: `Slot::dirty` guards it).
    dirty: heapless::Vec<u8, N>,
    leaving: heapless::Deque<Leaving, N>,
    replies: heapless::Deque<Reply, REPLY_QUEUE>,
    /// The CARP groups (224.0.0.18, ff02::12) are joined at the driver.
    carp_groups: bool,
    stats: Stats,
    events: EventQueue,
    link_demoted: bool,
    ip_ident: u16,
    next_deadline: Option<Instant>,
    /// When output was first owed since the last poll.
    pending_since: Option<Instant>,
    policy_generation: u32,
    /// The host's policy as last read, under the [`Sysctl`] it came from
    /// (its address) and that one's generation ([`CarpIf::host_policy`]).
    policy_cache: Option<((usize, u32), Policy)>,
    /// vhids with a unicast peer for IPv4 and for IPv6.
    unicast: (u16, u16),
    /// Where the input path counts in the host's statistics: a lane of its
    /// own, without the lock ([`carp_sysctl::lanes`]); given back by
    /// [`CarpIf::detach`]. A clone claims its own.
    lane: StatsLane,
}

impl<const N: usize> CarpIf<N> {
    /// A pseudo-interface with no vhid over the parent `parent`, whose
    /// link is `link` now (later changes go to [`CarpIf::set_link`]).
    pub const fn new(parent: ParentInfo, link: LinkState) -> CarpIf<N> {
        CarpIf {
            parent,
            link_up: link.is_up(),
            slots: heapless::Vec::new(),
            vhid_index: VhidIndex::new(),
            deadlines: Deadlines::new(),
            dirty: heapless::Vec::new(),
            leaving: heapless::Deque::new(),
            replies: heapless::Deque::new(),
            carp_groups: false,
            stats: Stats::new(),
            events: EventQueue::new(),
            link_demoted: false,
            ip_ident: 0,
            next_deadline: None,
            pending_since: None,
            policy_generation: 0,
            policy_cache: None,
            unicast: (0, 0),
            lane: StatsLane::new(),
        }
    }

    // ===== commands =====

    /// Adds a vhid and brings it up (as `ifconfig carpN vhid ... up`).
    /// `counter_seed` is the caller's random initial advert counter.
    ///
    /// # Errors
    /// [`IfError::VhidExists`] or [`IfError::Full`]; nothing changes then.
    pub fn add_vhost(
        &mut self,
        now: Instant,
        config: VhostConfig,
        counter_seed: u64,
        sysctl: &Sysctl,
    ) -> Result<(), IfError> {
        let vhid = config.vhid.get();
        let at = match self.position(vhid) {
            Ok(_) => return Err(IfError::VhidExists(vhid)),
            Err(at) => at,
        };
        if self.slots.is_full() {
            return Err(IfError::Full { capacity: N });
        }
        let mut host = VirtualHost::new(config, counter_seed);
        host.set_link(now, self.link_up);
        host.set_admin(now, true);
        // Room for both was checked above.
        self.slots
            .insert(at, Slot::new(host))
            .map_err(|_| IfError::Full { capacity: N })?;
        if !self.deadlines.insert(at) {
            self.slots.remove(at);
            return Err(IfError::Full { capacity: N });
        }
        self.index_vhids();
        self.settle(at, now, sysctl);
        self.mark_output(now);
        self.count_unicast();
        self.refresh_next_deadline();
        Ok(())
    }

    /// Removes a vhid; a master bows out (the advert is signed now and sent
    /// by the next [`CarpIf::poll`]).
    ///
    /// # Errors
    /// [`IfError::NoSuchVhid`], or [`IfError::OutputPending`] when `N`
    /// removed vhids still wait for a poll.
    pub fn remove_vhost(&mut self, now: Instant, vhid: u8, sysctl: &Sysctl) -> Result<(), IfError> {
        let at = self.index(vhid)?;
        if self.leaving.is_full() {
            return Err(IfError::OutputPending);
        }
        let mut slot = self.slots.remove(at);
        self.index_vhids();
        let policy = slot.policy(&sysctl.policy());
        self.deadlines.remove(at);
        slot.host.set_admin(now, false);
        let mut bytes = [0u8; MAX_TRANSMIT_LEN];
        let bow_out = slot
            .host
            .poll_transmit(now, &policy, &mut bytes)
            .map(|transmit| BowOut { bytes, transmit });
        forward_events(&mut slot, &mut self.events, &mut self.stats, sysctl);
        if slot.dirty {
            self.dirty.retain(|v| *v != vhid);
        }
        let leaving = Leaving {
            sender: Sender::of(self.parent.link, &slot.host),
            bow_out,
            filters: slot.filters,
            groups: slot.groups,
        };
        if !leaving.is_empty() {
            // Room was checked above.
            let _ = self.leaving.push_back(leaving);
            self.mark_output(now);
        }
        if self.slots.is_empty() {
            self.mark_output(now);
        }
        self.count_unicast();
        self.refresh_next_deadline();
        Ok(())
    }

    /// Replaces a vhid's whole configuration, or nothing (no detour through
    /// INIT; see [`VirtualHost::reconfigure`]).
    ///
    /// # Errors
    /// [`IfError::NoSuchVhid`] or the vhost's [`ConfigError`].
    pub fn reconfigure(
        &mut self,
        now: Instant,
        config: VhostConfig,
        sysctl: &Sysctl,
    ) -> Result<(), IfError> {
        let at = self.index(config.vhid.get())?;
        let slot = self
            .slots
            .get_mut(at)
            .ok_or(IfError::NoSuchVhid(config.vhid.get()))?;
        let groups_changed = slot::solicited_groups(self.parent.link, &config)
            != slot::solicited_groups(self.parent.link, slot.host.config());
        slot.host.reconfigure(now, config)?;
        if groups_changed {
            slot.groups_synced = false;
        }
        self.settle(at, now, sysctl);
        self.count_unicast();
        self.refresh_next_deadline();
        Ok(())
    }

    /// `ifconfig carpN up|down` for one vhid (down as MASTER bows out).
    ///
    /// # Errors
    /// [`IfError::NoSuchVhid`].
    pub fn set_admin(
        &mut self,
        now: Instant,
        vhid: u8,
        up: bool,
        sysctl: &Sysctl,
    ) -> Result<(), IfError> {
        let at = self.index(vhid)?;
        if let Some(slot) = self.slots.get_mut(at) {
            slot.host.set_admin(now, up);
        }
        self.settle(at, now, sysctl);
        self.refresh_next_deadline();
        Ok(())
    }

    /// `ifconfig carpN state init|backup|master`.
    ///
    /// # Errors
    /// [`IfError::NoSuchVhid`], or [`ConfigError::NotRunning`] wrapped.
    pub fn force_state(
        &mut self,
        now: Instant,
        vhid: u8,
        state: State,
        sysctl: &Sysctl,
    ) -> Result<(), IfError> {
        let at = self.index(vhid)?;
        if let Some(slot) = self.slots.get_mut(at) {
            slot.host.force_state(now, state)?;
        }
        self.settle(at, now, sysctl);
        self.refresh_next_deadline();
        Ok(())
    }

    /// The parent link changed: call it from the driver's link interrupt
    /// (carrier lost or back, parent administratively down or up). Every
    /// vhost goes to INIT on link down and back to BACKUP on link up, and
    /// the host is demoted by `ifdown_demotion_factor` while it is down (as
    /// FreeBSD's `carp_carpdev_state`), so its other carp interfaces fail
    /// over too. Repeating the current state changes nothing.
    pub fn set_link(&mut self, now: Instant, up: bool, sysctl: &Sysctl) {
        if up == self.link_up {
            return;
        }
        self.link_up = up;
        let factor = i32::from(sysctl.ifdown_demotion_factor());
        if !up && !self.link_demoted && !self.slots.is_empty() {
            self.link_demoted = true;
            sysctl.demote(DemoteReason::LinkDown, factor);
        } else if up && self.link_demoted {
            self.link_demoted = false;
            sysctl.demote(DemoteReason::LinkDown, -factor);
        }
        for at in 0..self.slots.len() {
            if let Some(slot) = self.slots.get_mut(at) {
                slot.host.set_link(now, up);
            }
            self.settle(at, now, sysctl);
        }
        self.refresh_next_deadline();
    }

    /// The parent is going away (BSD `carpdetach`, which undoes the
    /// interface's demotion): the demotion this parent holds for its link
    /// being down is given back, so the host's other parents are not left
    /// demoted for an interface that no longer exists. Nothing is sent.
    /// Its statistics lane goes back to `sysctl`, its counts kept there.
    pub fn detach(&mut self, sysctl: &Sysctl) {
        sysctl.release_lane(&mut self.lane);
        if self.link_demoted {
            self.link_demoted = false;
            let factor = i32::from(sysctl.ifdown_demotion_factor());
            sysctl.demote(DemoteReason::LinkDown, -factor);
        }
    }

    /// The parent's addresses, MAC, MTU or router flag changed.
    pub fn set_parent(&mut self, parent: ParentInfo) {
        self.parent = parent;
    }

    // ===== time and output =====

    /// Runs every due timer, then sends everything owed through `dev`:
    /// adverts, announcements, ARP/ND answers, the bow-outs of removed
    /// vhids, and the multicast and unicast filter changes. Harmless when
    /// nothing is due.
    pub fn poll<D: Driver + ?Sized>(&mut self, now: Instant, dev: &mut D, sysctl: &Sysctl) {
        self.sync_policy(now, sysctl);
        let policy = self.host_policy(sysctl);
        if self.next_deadline.is_some_and(|d| d <= now) {
            // Each vhost at most once per call: a handled vhost's deadline
            // moves past `now`, and the bound keeps that a guarantee.
            for _ in 0..self.slots.len() {
                let Some(at) = self.deadlines.due(now.micros()) else {
                    break;
                };
                if let Some(slot) = self.slots.get_mut(at) {
                    let policy = slot.policy(&policy);
                    slot.host.handle_timeout(now, &policy);
                }
                self.settle(at, now, sysctl);
            }
        }
        self.send_owed(now, dev, sysctl, &policy);
        self.pending_since = None;
        self.refresh_next_deadline();
    }

    /// When to call [`CarpIf::poll`] next: the earliest timer over all
    /// vhosts, or the instant output was first owed (already past: poll
    /// at once). Changes after every call.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.next_deadline, self.pending_since) {
            (Some(d), Some(p)) => Some(d.min(p)),
            (d, p) => d.or(p),
        }
    }

    /// True when output is owed (the next [`CarpIf::poll`] sends frames or
    /// changes filters).
    pub const fn has_pending_output(&self) -> bool {
        self.pending_since.is_some()
    }

    /// The next event of any vhost (state changes, announcements, replays,
    /// demotions), in the order they happened.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop()
    }

    // ===== getters =====

    /// The parent as last described.
    pub const fn parent(&self) -> &ParentInfo {
        &self.parent
    }

    /// Counters of this parent: input checks, frames sent.
    pub const fn stats(&self) -> &Stats {
        &self.stats
    }

    /// One vhost.
    pub fn vhost(&self, vhid: u8) -> Option<&VirtualHost> {
        self.position(vhid)
            .ok()
            .and_then(|i| self.slots.get(i))
            .map(|s| &s.host)
    }

    /// Every vhost, in vhid order.
    pub fn vhosts(&self) -> impl Iterator<Item = &VirtualHost> + '_ {
        self.slots.iter().map(|s| &s.host)
    }

    /// Number of vhosts.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True without vhosts.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The capacity in vhids.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// How many more vhids can be removed before a [`CarpIf::poll`] must
    /// send what the removed ones owe (see [`IfError::OutputPending`]).
    pub fn leaving_room(&self) -> usize {
        N.saturating_sub(self.leaving.len())
    }

    /// The virtual MAC of a vhid on this link type.
    pub fn virtual_mac(&self, vhid: Vhid) -> MacAddr {
        self.parent.link.virtual_mac(vhid.get())
    }

    /// True if the parent link is up.
    pub const fn is_link_up(&self) -> bool {
        self.link_up
    }

    /// Events dropped because the embedder did not drain them in time.
    pub const fn events_dropped(&self) -> u64 {
        self.events.dropped()
    }

    // ===== internals =====

    fn position(&self, vhid: u8) -> Result<usize, usize> {
        self.slots
            .binary_search_by_key(&vhid, |s| s.host.vhid().get())
    }

    /// Rebuilds [`VhidIndex`] after a slot came or went.
    fn index_vhids(&mut self) {
        let vhids = self.slots.iter().map(|s| s.host.vhid().get());
        self.vhid_index.rebuild(vhids);
    }

    fn index(&self, vhid: u8) -> Result<usize, IfError> {
        self.position(vhid).map_err(|_| IfError::NoSuchVhid(vhid))
    }

    /// After any call into the vhost at `at`: forward its events, record
    /// its deadline, queue it for output if it owes some. The caller
    /// refreshes the parent's deadline.
    pub(crate) fn settle(&mut self, at: usize, now: Instant, sysctl: &Sysctl) {
        let link = self.parent.link;
        let CarpIf {
            slots,
            deadlines,
            dirty,
            events,
            pending_since,
            stats,
            ..
        } = self;
        let Some(slot) = slots.get_mut(at) else {
            return;
        };
        // Most calls (an advert that changes nothing) leave no event: no
        // call then.
        if slot.host.has_events() {
            forward_events(slot, events, stats, sysctl);
        }
        deadlines.set(at, encode_deadline(slot.host.poll_timeout()));
        if !slot.dirty && slot.owes_output(link) {
            slot.dirty = true;
            // Each vhid at most once: the capacity is N.
            let _ = dirty.push(slot.host.vhid().get());
            pending_since.get_or_insert(now);
        }
    }

    fn count_unicast(&mut self) {
        let peers = self.slots.iter().map(|s| s.host.config().peers);
        let (mut v4, mut v6) = (0u16, 0u16);
        for p in peers {
            v4 = v4.saturating_add(u16::from(p.v4().is_some()));
            v6 = v6.saturating_add(u16::from(p.v6().is_some()));
        }
        self.unicast = (v4, v6);
    }

    fn mark_output(&mut self, now: Instant) {
        if self.pending_since.is_none() {
            self.pending_since = Some(now);
        }
    }

    fn queue_reply(&mut self, reply: Reply, now: Instant) -> bool {
        if self.replies.push_back(reply).is_err() {
            return false;
        }
        self.mark_output(now);
        true
    }

    fn refresh_next_deadline(&mut self) {
        let min = self.deadlines.earliest();
        self.next_deadline = (min != deadlines::NONE).then(|| Instant::from_micros(min));
    }
}

/// Moves a vhost's events to the embedder's queue and acts on those with
/// host-wide effects (demotion; the announcement is owed).
fn forward_events(slot: &mut Slot, events: &mut EventQueue, stats: &mut Stats, sysctl: &Sysctl) {
    while let Some(event) = slot.host.poll_event() {
        match event.kind {
            // The host's statistics are BSD's global `carpstats`: what a
            // vhost counts of its own (state updates, transitions to
            // master, replays let through) is counted there, and in the
            // parent's, as it happens, so it survives the vhost's removal
            // and every reader (netstat, SIGUSR1, carpctl stats) sees one
            // total.
            EventKind::StateChange { to, .. } => {
                output::count(stats, sysctl, Counter::Ostates);
                if to == State::Master {
                    output::count(stats, sysctl, Counter::Preempt);
                }
            }
            EventKind::Replay { dropped: false, .. } => {
                output::count(stats, sysctl, Counter::ReplayLogged);
            }
            EventKind::Announce { .. } => slot.announce = true,
            EventKind::Demote { reason, delta } => {
                // The vhost counts in BSD units of one; the host demotes by
                // the configured factor (FreeBSD: 240).
                let factor = i32::from(sysctl.senderr_demotion_factor());
                sysctl.demote(reason, delta.saturating_mul(factor));
            }
            _ => {}
        }
        LogEvent::Vhost(event).emit(sysctl.log_level());
        events.push(event);
    }
}

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_vrrp;
