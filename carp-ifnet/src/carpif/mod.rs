//! `CarpIf`: every virtual host on one parent interface.
//!
//! The pseudo-interface a kernel embeds: frames in ([`CarpIf::input`]),
//! time in ([`CarpIf::handle_timeout`]), commands in (add, reconfigure,
//! admin, link, forced state); frames out through the [`Driver`], events
//! out through [`CarpIf::poll_event`], the next deadline out through
//! [`CarpIf::poll_timeout`]. Host-wide knobs and counters come from a
//! [`Sysctl`] the embedder owns and passes to every call, so nothing here is
//! global.
//!
//! Vhosts are kept sorted by vhid, as the BSD parent lists are (arpbalance
//! depends on that order).

mod deadlines;
mod input;
mod neighbor;
mod output;

pub use input::Input;

use carp_core::{
    ConfigError, DemoteReason, Event, Instant, State, Stats, Vhid, VhostConfig, VirtualHost,
};
use carp_sysctl::Sysctl;
use core::fmt;
use core::net::IpAddr;
use deadlines::Deadlines;

use crate::driver::{Driver, LinkState};
use crate::lladdr::MacAddr;

/// Vhosts per parent when the capacity is not given.
pub const DEFAULT_VHIDS: usize = 16;
/// Events queued for the embedder before the oldest is dropped (counted).
pub const EVENT_QUEUE: usize = 64;
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

/// All the virtual hosts of one parent interface, over its driver.
///
/// `N` is the capacity in vhids ([`DEFAULT_VHIDS`] unless given; up to 255).
#[derive(Debug)]
pub struct CarpIf<D: Driver, const N: usize = DEFAULT_VHIDS> {
    driver: D,
    vhosts: heapless::Vec<VirtualHost, N>,
    /// Each vhost's next deadline, as an indexed min-heap over the vhost
    /// indices: per-advert updates are O(log N), the earliest is O(1).
    deadlines: Deadlines<N>,
    stats: Stats,
    events: heapless::Deque<Event, EVENT_QUEUE>,
    events_dropped: u64,
    link_up: bool,
    link_demoted: bool,
    ip_ident: u16,
    next_deadline: Option<Instant>,
}

impl<D: Driver, const N: usize> CarpIf<D, N> {
    /// A pseudo-interface with no vhid over `driver`, taking the link state
    /// from it.
    pub fn new(driver: D) -> CarpIf<D, N> {
        let link_up = driver.link_state() == LinkState::Up;
        CarpIf {
            driver,
            vhosts: heapless::Vec::new(),
            deadlines: Deadlines::default(),
            stats: Stats::new(),
            events: heapless::Deque::new(),
            events_dropped: 0,
            link_up,
            link_demoted: false,
            ip_ident: 0,
            next_deadline: None,
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
        if self.vhosts.is_full() {
            return Err(IfError::Full { capacity: N });
        }
        if self.vhosts.is_empty() {
            self.join_groups();
        }
        self.sync_solicited_groups(None, Some(&config));
        let mut host = VirtualHost::new(config, counter_seed);
        host.set_link(now, self.link_up);
        host.set_admin(now, true);
        // Both have room: capacity N was checked above.
        self.vhosts
            .insert(at, host)
            .map_err(|_| IfError::Full { capacity: N })?;
        if !self.deadlines.insert(at) {
            self.vhosts.remove(at);
            return Err(IfError::Full { capacity: N });
        }
        self.flush_at(at, now, sysctl);
        Ok(())
    }

    /// Removes a vhid; a master bows out first.
    ///
    /// # Errors
    /// [`IfError::NoSuchVhid`].
    pub fn remove_vhost(&mut self, now: Instant, vhid: u8, sysctl: &Sysctl) -> Result<(), IfError> {
        self.set_admin(now, vhid, false, sysctl)?;
        let at = self.index(vhid)?;
        let removed = self.vhosts.remove(at);
        self.deadlines.remove(at);
        self.sync_solicited_groups(Some(removed.config()), None);
        if self.vhosts.is_empty() {
            self.leave_groups();
        }
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
        let host = self
            .vhosts
            .get_mut(at)
            .ok_or(IfError::NoSuchVhid(config.vhid.get()))?;
        let old = host.config().clone();
        host.reconfigure(now, config.clone())?;
        self.sync_solicited_groups(Some(&old), Some(&config));
        self.flush_at(at, now, sysctl);
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
        if let Some(host) = self.vhosts.get_mut(at) {
            host.set_admin(now, up);
        }
        self.flush_at(at, now, sysctl);
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
        if let Some(host) = self.vhosts.get_mut(at) {
            host.force_state(now, state)?;
        }
        self.flush_at(at, now, sysctl);
        Ok(())
    }

    /// The parent link changed; call when the driver reports it. Every
    /// vhost goes to INIT on link down and back to BACKUP on link up, and
    /// the host is demoted by `ifdown_demotion_factor` while it is down (as
    /// FreeBSD), so its other carp interfaces fail over too.
    pub fn set_link(&mut self, now: Instant, up: bool, sysctl: &Sysctl) {
        self.link_up = up;
        let factor = i32::from(sysctl.ifdown_demotion_factor());
        if !up && !self.link_demoted && !self.vhosts.is_empty() {
            self.link_demoted = true;
            sysctl.demote(DemoteReason::LinkDown, factor);
        } else if up && self.link_demoted {
            self.link_demoted = false;
            sysctl.demote(DemoteReason::LinkDown, -factor);
        }
        for host in &mut self.vhosts {
            host.set_link(now, up);
        }
        self.flush_all(now, sysctl);
    }

    // ===== time =====

    /// Runs every expired timer of every vhost. Harmless when early.
    pub fn handle_timeout(&mut self, now: Instant, sysctl: &Sysctl) {
        if self.next_deadline.is_none_or(|d| d > now) {
            return;
        }
        let policy = sysctl.policy();
        // Each vhost at most once per call: a handled vhost's deadline moves
        // past `now`, and the bound keeps that a guarantee, not a hope.
        for _ in 0..self.vhosts.len() {
            let Some(at) = self.deadlines.due(now.micros()) else {
                break;
            };
            if let Some(host) = self.vhosts.get_mut(at) {
                host.handle_timeout(now, &policy);
            }
            self.flush_one(at, now, sysctl, &policy);
        }
        self.refresh_next_deadline();
    }

    /// The earliest deadline over all vhosts (kept up to date by every
    /// call, so this does not scan).
    pub const fn poll_timeout(&self) -> Option<Instant> {
        self.next_deadline
    }

    /// The next event of any vhost (state changes, announcements, replays,
    /// demotions), in the order they happened.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    // ===== getters =====

    /// The driver.
    pub const fn driver(&self) -> &D {
        &self.driver
    }

    /// The driver, mutably (for the embedder's own use).
    pub fn driver_mut(&mut self) -> &mut D {
        &mut self.driver
    }

    /// Counters of this parent: input checks, frames sent.
    pub const fn stats(&self) -> &Stats {
        &self.stats
    }

    /// One vhost.
    pub fn vhost(&self, vhid: u8) -> Option<&VirtualHost> {
        self.position(vhid).ok().and_then(|i| self.vhosts.get(i))
    }

    /// Every vhost, in vhid order.
    pub fn vhosts(&self) -> impl Iterator<Item = &VirtualHost> + '_ {
        self.vhosts.iter()
    }

    /// The virtual MAC of a vhid on this link type.
    pub fn virtual_mac(&self, vhid: Vhid) -> MacAddr {
        self.driver.link_type().virtual_mac(vhid.get())
    }

    /// True if the parent link is up.
    pub const fn is_link_up(&self) -> bool {
        self.link_up
    }

    /// Events dropped because the embedder did not drain them in time.
    pub const fn events_dropped(&self) -> u64 {
        self.events_dropped
    }

    // ===== internals =====

    fn position(&self, vhid: u8) -> Result<usize, usize> {
        self.vhosts.binary_search_by_key(&vhid, |v| v.vhid().get())
    }

    fn index(&self, vhid: u8) -> Result<usize, IfError> {
        self.position(vhid).map_err(|_| IfError::NoSuchVhid(vhid))
    }

    fn join_groups(&mut self) {
        let link = self.driver.link_type();
        // A refused join is not fatal: many drivers run promiscuous.
        let _ = self.driver.join_multicast(link.multicast_mac_v4());
        let _ = self.driver.join_multicast(link.multicast_mac_v6());
    }

    fn leave_groups(&mut self) {
        let link = self.driver.link_type();
        let _ = self.driver.leave_multicast(link.multicast_mac_v4());
        let _ = self.driver.leave_multicast(link.multicast_mac_v6());
    }

    /// Neighbour solicitations for a virtual IPv6 address go to its
    /// solicited-node group: join the groups of addresses added, leave
    /// those of addresses removed.
    fn sync_solicited_groups(&mut self, old: Option<&VhostConfig>, new: Option<&VhostConfig>) {
        let link = self.driver.link_type();
        let v6 = |c: Option<&VhostConfig>, a: &IpAddr| c.is_some_and(|c| c.addresses().contains(a));
        for addr in old.map(VhostConfig::addresses).unwrap_or(&[]) {
            if let (IpAddr::V6(a), false) = (addr, v6(new, addr)) {
                let _ = self.driver.leave_multicast(link.solicited_node_mac(*a));
            }
        }
        for addr in new.map(VhostConfig::addresses).unwrap_or(&[]) {
            if let (IpAddr::V6(a), false) = (addr, v6(old, addr)) {
                let _ = self.driver.join_multicast(link.solicited_node_mac(*a));
            }
        }
    }

    fn refresh_next_deadline(&mut self) {
        let min = self.deadlines.earliest();
        self.next_deadline = (min != deadlines::NONE).then(|| Instant::from_micros(min));
    }
}
#[cfg(test)]
mod tests;
