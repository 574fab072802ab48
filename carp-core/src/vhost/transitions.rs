//! The transitions of a virtual host (BSD `carp_setrun`,
//! `carp_set_state`, `carp_master_down`) and the timers they arm, shared
//! by both personalities; where CARP and VRRP differ (master-down, the
//! advert interval, the address owner) it says so.

use super::{Pending, VirtualHost, DELAYED_ANNOUNCE_ADVERTS};
use crate::demotion::DemoteReason;
use crate::event::{Event, EventKind};
use crate::policy::Policy;
use crate::state::{Reason, State};
use crate::stats::{Counter, Reject};
use crate::time::{Duration, Instant};
use crate::timer::Timer;

use super::TIE_YIELD_MARGIN;

impl VirtualHost {
    /// As BSD `carp_setrun`: INIT moves to BACKUP once runnable; a VRRP
    /// address owner (priority 255) to MASTER at once, and a VRRP backup
    /// starts from its own interval (RFC 9568 6.4.1).
    pub(super) fn setrun(&mut self, now: Instant, reason: Reason) {
        if self.state != State::Init || !self.is_runnable() {
            return;
        }
        if self.config.is_vrrp() {
            self.master_interval = self.config.vrrp.interval.get();
            if self.config.vrrp.priority.is_owner() {
                self.take_over(now, Reason::Owner);
                return;
            }
        }
        self.enter_backup(now, reason);
    }

    pub(super) fn enter_init(&mut self, now: Instant, reason: Reason) {
        self.timers.stop_all();
        self.announce_countdown = 0;
        self.since = None;
        self.advertised = None;
        self.set_state(now, State::Init, reason);
    }

    pub(super) fn enter_backup(&mut self, now: Instant, reason: Reason) {
        self.timers.stop(Timer::Advertise);
        self.bow_out_heard = false;
        self.announce_countdown = 0;
        self.since = None;
        self.advertised = None;
        self.arm_master_down(now);
        self.set_state(now, State::Backup, reason);
    }

    /// As BSD `carp_master_down`: MASTER, advert now, announce, advert timer.
    pub(super) fn take_over(&mut self, now: Instant, reason: Reason) {
        self.timers.stop(Timer::MasterDown);
        self.since = None;
        self.bow_out_heard = false;
        self.pending = Pending::Advert;
        self.timers
            .set(Timer::Advertise, now + self.own_advert_interval());
        self.announce_countdown = DELAYED_ANNOUNCE_ADVERTS;
        let was_master = self.state == State::Master;
        self.set_state(now, State::Master, reason);
        if !was_master {
            self.stats.bump(Counter::Preempt);
        }
        self.push_event(now, EventKind::Announce { repeat: false });
    }

    pub(super) fn arm_master_down(&mut self, now: Instant) {
        self.timers.set(Timer::MasterDown, now + self.master_down());
    }

    /// After yielding a tie: master-down one skew unit later, so a peer
    /// that yielded too (a BSD) times out first and settles the pair.
    pub(super) fn arm_master_down_after_tie(&mut self, now: Instant) {
        self.timers.set(
            Timer::MasterDown,
            now + self.master_down() + TIE_YIELD_MARGIN,
        );
    }

    /// CARP: `dead_ratio x advbase + advskew/256`; VRRP: RFC 9568's
    /// Active_Down_Interval over the interval learned from the master.
    pub(super) fn master_down(&self) -> Duration {
        if self.config.is_vrrp() {
            return super::personality::master_down_interval(
                self.config.vrrp.priority.get(),
                self.master_interval,
            );
        }
        self.config
            .timing()
            .master_down_interval(self.config.dead_ratio.get())
    }

    /// Our own advert interval: CARP advbase + advskew/256 as configured,
    /// VRRP the configured interval.
    pub(super) fn own_advert_interval(&self) -> Duration {
        if self.config.is_vrrp() {
            return self.config.vrrp.interval.duration();
        }
        self.config.timing().advert_interval()
    }

    /// A MASTER whose next advert would differ from the last one sent
    /// advertises now and re-times from now, as `carp_send_ad` does.
    pub(super) fn note_policy(&mut self, now: Instant, policy: &Policy) {
        // A VRRP advert carries no demotion (FreeBSD: DEMOTE_ADVSKEW is
        // CARP's only).
        if self.state != State::Master || self.pending != Pending::Nothing || self.config.is_vrrp()
        {
            return;
        }
        if self
            .advertised
            .is_some_and(|sent| sent != self.wire_values(policy))
        {
            self.pending = Pending::Advert;
            let interval = self.advert_timing(policy).advert_interval();
            self.timers.set(Timer::Advertise, now + interval);
        }
    }

    pub(super) fn set_state(&mut self, now: Instant, to: State, reason: Reason) {
        let from = self.state;
        if from == to {
            return;
        }
        self.state = to;
        self.stats.bump(Counter::Ostates);
        self.push_event(now, EventKind::StateChange { from, to, reason });
    }

    pub(super) fn reject(&mut self, reject: Reject) -> Reject {
        self.stats.record(reject);
        reject
    }

    pub(super) fn push_demote(&mut self, now: Instant, delta: i32) {
        self.push_event(
            now,
            EventKind::Demote {
                reason: DemoteReason::SendErrors,
                delta,
            },
        );
    }

    pub(super) fn push_event(&mut self, now: Instant, kind: EventKind) {
        let event = Event {
            seq: self.next_seq,
            at: now,
            vhid: self.config.vhid.get(),
            kind,
        };
        self.next_seq = self.next_seq.wrapping_add(1);
        if self.events.is_full() {
            let _ = self.events.pop_front();
            self.events_dropped = self.events_dropped.saturating_add(1);
        }
        let _ = self.events.push_back(event);
    }
}
