//! `VirtualHost`: one vhid's state machine, without I/O.

mod config;
pub mod election;
mod peers;
pub mod personality;
mod receive;
mod replay;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_receive;
#[cfg(test)]
mod tests_replay;
#[cfg(test)]
mod tests_tie;
#[cfg(test)]
mod tests_vrrp;
pub mod tie;
mod transitions;
pub mod vrrp;

pub use crate::state::{Reason, State};
pub use config::{unusable_address, AdvSkew, ConfigError, Field, Vhid, VhostConfig, MAX_ADDRS};
pub use peers::Peers;
pub use personality::{AdverInt, Priority, Version, VrrpParams};
pub use replay::{CounterKind, Freshness, LEARN_STEPS, REPLAY_SENDERS};
pub use tie::{Origin, TIE_YIELD_MARGIN};

use election::effective_advskew;
use replay::ReplayTable;
#[cfg(test)]
use {
    crate::policy::ReplayPolicy,
    crate::stats::{Counter, Reject},
    election::Verdict,
};

use crate::auth::{AuthContext, AuthError, Authenticated};
use crate::event::{Event, EventKind, Transmit};
use crate::policy::Policy;
use crate::stats::{CompactStats, Stats};
use crate::time::{AdvTiming, Instant};
use crate::timer::{Timer, TimerTable};
use crate::wire::{Advert, Packet, BOW_OUT, HEADER_LEN};

/// Events a virtual host queues before the oldest is dropped (and counted).
/// One call yields at most three (replay or a sender's counter class,
/// state change, announcement; or, for a change of protocol, INIT, then
/// MASTER and its announcement), and an embedder drains after every call,
/// as `CarpIf` does; kept at that because a parent may hold 255 vhids
/// (three keep a vhid with eight addresses within 1 KiB with the VRRP and
/// unicast settings).
pub const EVENT_CAPACITY: usize = 3;
/// Consecutive failed sends that demote the host (BSD
/// `CARP_SENDAD_MAX_ERRORS`).
pub const SENDAD_MAX_ERRORS: u8 = 3;
/// Consecutive good sends that undo it (BSD `CARP_SENDAD_MIN_SUCCESS`).
pub const SENDAD_MIN_SUCCESS: u8 = 3;
/// Adverts after a takeover until the delayed repeat of the announcement
/// (BSD `sc_delayed_arp`, for layer-3 switches that miss the first).
const DELAYED_ANNOUNCE_ADVERTS: u8 = 2;

/// What [`VirtualHost::poll_transmit`] owes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    Nothing,
    Advert,
    BowOut,
}

/// One virtual host (one vhid): the CARP state machine, sans-IO, or in
/// the VRRP personality ([`VhostConfig::version`]) RFC 9568's (see
/// [`vrrp`]).
///
/// The four kinds of call, quinn-style:
///
/// * **commands**: [`VirtualHost::new`], [`VirtualHost::reconfigure`],
///   [`VirtualHost::set_link`], [`VirtualHost::set_admin`],
///   [`VirtualHost::force_state`];
/// * **inputs**: [`VirtualHost::handle_advert`] (only a verified
///   [`Authenticated`] advert gets in), [`VirtualHost::handle_vrrp_advert`]
///   (VRRP has no authentication), [`VirtualHost::handle_timeout`],
///   [`VirtualHost::handle_send_result`];
/// * **outputs**: [`VirtualHost::poll_timeout`],
///   [`VirtualHost::poll_transmit`], [`VirtualHost::poll_event`];
/// * **getters**: [`VirtualHost::state`], [`VirtualHost::config`],
///   [`VirtualHost::stats`], [`VirtualHost::vhid`], [`VirtualHost::timing`].
///
/// After every command or input, drain `poll_transmit` and `poll_event`,
/// then sleep until `poll_timeout`. Every `now` comes from the caller's
/// monotonic clock and must not go backwards; calling `handle_timeout` early
/// does nothing, calling it late acts as of the call.
#[derive(Debug, Clone)]
pub struct VirtualHost {
    config: VhostConfig,
    auth: AuthContext,
    state: State,
    admin_up: bool,
    link_up: bool,
    timers: TimerTable,
    counter: u64,
    pending: Pending,
    announce_countdown: u8,
    /// BACKUP: since when a master has been heard (the preempt hold-down).
    /// MASTER: when we last kept the vhid through a tie. One field for both
    /// keeps a vhost within 1 KiB.
    since: Option<Instant>,
    /// MASTER: the equal master's adverts counted since our claim (see
    /// [`tie`]).
    tie_count: u8,
    last_heard: Option<Instant>,
    /// MASTER: the advskew and demote byte of the last advert sent.
    advertised: Option<(u8, u8)>,
    replay: ReplayTable,
    send_errors: u8,
    send_successes: u8,
    send_demoted: bool,
    /// VRRP: Active_Adver_Interval, the master's interval in centiseconds
    /// (RFC 9568 6.1), learned from its adverts.
    master_interval: u16,
    /// VRRP: the master-down timer runs for a priority-0 advert.
    bow_out_heard: bool,
    events: heapless::Deque<Event, EVENT_CAPACITY>,
    next_seq: u64,
    events_dropped: u32,
    stats: CompactStats,
}

impl VirtualHost {
    /// A virtual host in INIT, administratively down, parent link down.
    ///
    /// `counter_seed` is the initial replay counter, drawn at random by the
    /// caller (put randomness in the high half so a restart does not repeat
    /// counters); core draws no randomness of its own.
    pub fn new(config: VhostConfig, counter_seed: u64) -> VirtualHost {
        let auth = config.with_auth_input(|input| AuthContext::new(&config.key, input));
        let master_interval = config.vrrp.interval.get();
        VirtualHost {
            config,
            auth,
            state: State::Init,
            admin_up: false,
            link_up: false,
            timers: TimerTable::default(),
            counter: counter_seed,
            pending: Pending::Nothing,
            announce_countdown: 0,
            since: None,
            tie_count: 0,
            last_heard: None,
            advertised: None,
            replay: ReplayTable::default(),
            send_errors: 0,
            send_successes: 0,
            send_demoted: false,
            master_interval,
            bow_out_heard: false,
            events: heapless::Deque::new(),
            next_seq: 0,
            events_dropped: 0,
            stats: CompactStats::new(),
        }
    }

    // ===== commands =====

    /// Replaces the whole configuration, or nothing.
    ///
    /// The HMAC context is rebuilt once. Changing skew, base, key or
    /// addresses keeps the state (no detour through INIT): a MASTER whose
    /// advbase or advskew changed advertises at once (so backups compare
    /// against the new values now, not an interval later), otherwise it
    /// re-times its next advert; a BACKUP restarts master-down. A vhid left
    /// without addresses goes to INIT; one that gains its first runs. The
    /// same for VRRP with its priority and interval; a change of protocol
    /// (`carpver`) starts the vhid over from INIT.
    ///
    /// # Errors
    /// [`ConfigError::VhidChanged`]: a new vhid is a new virtual host.
    pub fn reconfigure(&mut self, now: Instant, config: VhostConfig) -> Result<(), ConfigError> {
        if config.vhid != self.config.vhid {
            return Err(ConfigError::VhidChanged {
                current: self.config.vhid.get(),
                got: config.vhid.get(),
            });
        }
        self.auth = config.with_auth_input(|input| AuthContext::new(&config.key, input));
        let retimed = config.timing() != self.config.timing()
            || (config.is_vrrp()
                && (config.vrrp.priority != self.config.vrrp.priority
                    || config.vrrp.interval != self.config.vrrp.interval));
        let switched = config.version != self.config.version;
        self.config = config;
        if switched {
            self.enter_init(now, Reason::Reconfigured);
            self.setrun(now, Reason::Reconfigured);
            return Ok(());
        }
        match self.state {
            State::Init => self.setrun(now, Reason::Reconfigured),
            _ if !self.is_runnable() => self.enter_init(now, Reason::Reconfigured),
            State::Backup => self.arm_master_down(now),
            State::Master => {
                if retimed {
                    self.pending = Pending::Advert;
                }
                self.timers
                    .set(Timer::Advertise, now + self.own_advert_interval());
            }
        }
        Ok(())
    }

    /// The parent link went up or down. Down sends nothing (it cannot).
    pub fn set_link(&mut self, now: Instant, up: bool) {
        self.link_up = up;
        if up {
            self.setrun(now, Reason::LinkUp);
        } else {
            self.enter_init(now, Reason::LinkDown);
        }
    }

    /// The carp interface was brought up or down. A MASTER going down sends
    /// the bow-out advert (advbase and advskew 255) so backups take over at
    /// once instead of waiting out master-down.
    pub fn set_admin(&mut self, now: Instant, up: bool) {
        self.admin_up = up;
        if up {
            self.setrun(now, Reason::AdminUp);
        } else {
            if self.state == State::Master {
                self.pending = Pending::BowOut;
            }
            self.enter_init(now, Reason::AdminDown);
        }
    }

    /// `ifconfig carpN state init|backup|master`.
    ///
    /// # Errors
    /// [`ConfigError::NotRunning`] for BACKUP or MASTER while the interface
    /// is down, its parent link is down or it has no address.
    pub fn force_state(&mut self, now: Instant, state: State) -> Result<(), ConfigError> {
        match state {
            State::Init => self.enter_init(now, Reason::Forced),
            _ if !self.is_runnable() => return Err(ConfigError::NotRunning),
            State::Backup => self.enter_backup(now, Reason::Forced),
            State::Master => self.take_over(now, Reason::Forced),
        }
        Ok(())
    }

    // ===== inputs =====

    /// Checks an advert's digest with this host's key and addresses.
    ///
    /// # Errors
    /// [`AuthError::BadDigest`].
    pub fn verify<'a>(&self, advert: &'a Advert) -> Result<Authenticated<'a>, AuthError> {
        self.auth.verify(advert)
    }

    /// The host-wide policy changed outside any call (a sysctl write, a
    /// demotion by another interface): a MASTER whose advert would now carry
    /// a different advskew or demote byte advertises at once, as OpenBSD's
    /// `carp_group_demote_adj` calls `carp_send_ad_all`, so a demoted master
    /// hands over within a network delay instead of an advert interval.
    /// Harmless when nothing changed; `handle_advert` and `handle_timeout`
    /// check the same on their own.
    pub fn handle_policy(&mut self, now: Instant, policy: &Policy) {
        self.note_policy(now, policy);
    }

    /// Runs every expired timer. Harmless when nothing has expired (but a
    /// policy change is acted on, as by [`VirtualHost::handle_policy`]).
    pub fn handle_timeout(&mut self, now: Instant, policy: &Policy) {
        self.note_policy(now, policy);
        if self.timers.is_expired(Timer::MasterDown, now) && self.state == State::Backup {
            let reason = if self.bow_out_heard {
                Reason::BowOut
            } else {
                Reason::MasterDown
            };
            self.take_over(now, reason);
        }
        if let Some(due) = self.timers.get(Timer::Advertise) {
            if due <= now && self.state == State::Master {
                self.pending = Pending::Advert;
                let interval = if self.config.is_vrrp() {
                    self.own_advert_interval()
                } else {
                    self.advert_timing(policy).advert_interval()
                };
                // From the deadline, so a late caller does not drift; never
                // in the past.
                let next = due + interval;
                self.timers.set(
                    Timer::Advertise,
                    if next > now { next } else { now + interval },
                );
            }
        }
    }

    /// The embedder's send of the last advert succeeded or failed. After
    /// [`SENDAD_MAX_ERRORS`] failures in a row an
    /// [`EventKind::Demote`] of +1 asks the embedder to demote the host;
    /// after [`SENDAD_MIN_SUCCESS`] successes in a row one of -1 undoes it.
    pub fn handle_send_result(&mut self, now: Instant, ok: bool) {
        if ok {
            self.send_errors = 0;
            self.send_successes = self.send_successes.saturating_add(1);
            if self.send_demoted && self.send_successes >= SENDAD_MIN_SUCCESS {
                self.send_demoted = false;
                self.push_demote(now, -1);
            }
        } else {
            self.send_successes = 0;
            self.send_errors = self.send_errors.saturating_add(1);
            if !self.send_demoted && self.send_errors >= SENDAD_MAX_ERRORS {
                self.send_demoted = true;
                self.push_demote(now, 1);
            }
        }
    }

    // ===== outputs =====

    /// The earliest deadline, if any timer is armed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// Writes the advert that is due into `buf`, advancing the counter:
    /// CARP's 36 bytes signed and checksummed (`buf` at least
    /// [`HEADER_LEN`] bytes), or a VRRP vhid's messages (see
    /// [`Transmit::vrrp`]; [`crate::wire::MAX_TRANSMIT_LEN`] bytes hold any
    /// advert). `None` when nothing is due or `buf` is too short (the
    /// advert stays due).
    pub fn poll_transmit(
        &mut self,
        now: Instant,
        policy: &Policy,
        buf: &mut [u8],
    ) -> Option<Transmit> {
        let bow_out = match self.pending {
            Pending::Nothing => return None,
            Pending::Advert => false,
            Pending::BowOut => true,
        };
        if self.config.is_vrrp() {
            let transmit = self.emit_vrrp(bow_out, buf)?;
            self.sent(now, bow_out, None);
            return Some(transmit);
        }
        let mut packet = Packet::new_checked(buf.get_mut(..HEADER_LEN)?).ok()?;
        self.counter = self.counter.wrapping_add(1);
        let (advskew, demote) = self.wire_values(policy);
        let advert = Advert {
            vhid: self.config.vhid.get(),
            advskew: if bow_out { BOW_OUT } else { advskew },
            demote,
            advbase: if bow_out {
                BOW_OUT
            } else {
                self.config.timing().advbase
            },
            counter: self.counter,
            digest: self.auth.sign(self.counter),
        };
        advert.emit(&mut packet).ok()?;
        self.sent(now, bow_out, Some((advskew, demote)));
        Some(Transmit {
            len: HEADER_LEN,
            ipv4: self.config.has_ipv4(),
            ipv6: self.config.has_ipv6(),
            bow_out,
            vrrp: None,
        })
    }

    /// An advert went into the caller's buffer: nothing more is owed, the
    /// CARP values sent are remembered, and the delayed announcement counts
    /// down.
    fn sent(&mut self, now: Instant, bow_out: bool, values: Option<(u8, u8)>) {
        self.pending = Pending::Nothing;
        if bow_out {
            return;
        }
        if values.is_some() {
            self.advertised = values;
        }
        if self.announce_countdown > 0 {
            self.announce_countdown -= 1;
            if self.announce_countdown == 0 {
                self.push_event(now, EventKind::Announce { repeat: true });
            }
        }
    }

    /// The next event, oldest first.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    // ===== getters =====

    /// The current state.
    pub const fn state(&self) -> State {
        self.state
    }

    /// The configuration in force.
    pub const fn config(&self) -> &VhostConfig {
        &self.config
    }

    /// This host's counters (kept in 32 bits each, widened here).
    pub fn stats(&self) -> Stats {
        self.stats.to_stats()
    }

    /// The vhid.
    pub const fn vhid(&self) -> Vhid {
        self.config.vhid
    }

    /// The configured advbase/advskew.
    pub const fn timing(&self) -> AdvTiming {
        self.config.timing()
    }

    /// The advbase/advskew put on the wire under `policy` (advskew 240
    /// while demoted).
    pub const fn advert_timing(&self, policy: &Policy) -> AdvTiming {
        let t = self.config.timing();
        AdvTiming::new(t.advbase, effective_advskew(t.advskew, policy))
    }

    /// The advskew and demote byte an advert sent now would carry under
    /// `policy` (advskew 240 while demoted; demote 0 with
    /// `ignore_peer_demote`).
    pub const fn wire_values(&self, policy: &Policy) -> (u8, u8) {
        let demote = if policy.ignore_peer_demote {
            0
        } else {
            policy.demotion
        };
        (self.advert_timing(policy).advskew, demote)
    }

    /// MASTER: the advskew and demote byte of the last advert sent in this
    /// term as master.
    pub const fn advertised(&self) -> Option<(u8, u8)> {
        self.advertised
    }

    /// MASTER: when this host last kept the vhid through an exact tie, and
    /// how many adverts of the equal master it counted since its claim
    /// (see [`tie`]).
    pub const fn tie_run(&self) -> Option<(Instant, u8)> {
        match (self.state, self.since) {
            (State::Master, Some(last)) => Some((last, self.tie_count)),
            _ => None,
        }
    }

    /// VRRP: the master's advertisement interval in centiseconds as last
    /// learned (our own until a master is heard): the
    /// Active_Adver_Interval master-down is timed from.
    pub const fn master_interval(&self) -> u16 {
        self.master_interval
    }

    /// The counter of the last advert sent (or adopted).
    pub const fn counter(&self) -> u64 {
        self.counter
    }

    /// When the last advert was accepted.
    pub const fn last_heard(&self) -> Option<Instant> {
        self.last_heard
    }

    /// True when up, parent link up and with at least one address.
    pub fn is_runnable(&self) -> bool {
        self.admin_up && self.link_up && !self.config.addresses().is_empty()
    }

    /// True when administratively up.
    pub const fn is_admin_up(&self) -> bool {
        self.admin_up
    }

    /// True when [`VirtualHost::poll_event`] has an event to give.
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// True when an advert (or the bow-out) is waiting for `poll_transmit`.
    pub const fn has_pending_transmit(&self) -> bool {
        !matches!(self.pending, Pending::Nothing)
    }

    /// Events lost because the queue was full when they happened
    /// (saturating).
    pub const fn events_dropped(&self) -> u32 {
        self.events_dropped
    }

    /// A timer's deadline.
    pub fn deadline(&self, timer: Timer) -> Option<Instant> {
        self.timers.get(timer)
    }
}
