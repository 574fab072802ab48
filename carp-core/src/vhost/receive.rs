//! An advert received by a vhost: the election's verdict worked out
//! (BSD `carp_input_c`), then acted on.
//!
//! The verdict is planned first, from state the advert does not change,
//! and applied after. [`VirtualHost::receive_advert`] plans while the
//! digest's first SHA-1 compression is in flight, so that the election
//! overlaps the HMAC instead of following it; nothing changes before the
//! digest has matched.

use super::election::{decide, is_tie, Local, TieBreak, Verdict};
use super::{Freshness, Origin, Reason, State, VirtualHost};
use crate::auth::Authenticated;
use crate::event::EventKind;
use crate::policy::{Policy, ReplayPolicy};
use crate::stats::{Counter, Reject};
use crate::time::Instant;
use crate::wire::{Advert, VERSION};

/// What the election makes of an advert, worked out before anything
/// changes.
#[derive(Debug, Clone, Copy)]
struct Plan {
    verdict: Verdict,
    /// The advert ties a MASTER exactly: the verdict came from the
    /// tie-break, and an ignored tie is held ([`VirtualHost::hold_tie`]).
    exact_tie: bool,
}

impl VirtualHost {
    /// A verified advert arrived from `origin`: the sender's address, and
    /// our own parent address of that family for the tie-break (an
    /// [`core::net::IpAddr`] alone converts to an origin without one: ties then yield
    /// as on the BSDs).
    ///
    /// # Errors
    /// [`Reject::BadVhid`] for another vhid or while in INIT, and
    /// [`Reject::Replay`] under [`ReplayPolicy::Enforce`]. A rejected advert
    /// changes no state (only its counter moves).
    pub fn handle_advert(
        &mut self,
        now: Instant,
        advert: &Authenticated<'_>,
        origin: impl Into<Origin>,
        policy: &Policy,
    ) -> Result<Verdict, Reject> {
        let origin = origin.into();
        let advert = advert.advert();
        let plan = self.plan(now, advert, &origin, policy);
        self.apply(now, advert, origin, policy, plan)
    }

    /// [`VirtualHost::verify`] and then [`VirtualHost::handle_advert`] in
    /// one call, with the same outcome, faster: the election is worked out
    /// between the digest's two SHA-1 compressions, while the CPU waits for
    /// the first, instead of after the second (7-12 ns less per accepted
    /// advert on an Intel Xeon with SHA-NI; see BENCHMARKS.md, input
    /// path). One check comes between the two, NetBSD's: an advert from
    /// the unspecified address that carries the counter we last sent is
    /// our own, looped back (a parent without an IPv4 address sends from
    /// 0.0.0.0).
    ///
    /// # Errors
    /// [`Reject::BadAuth`] when the digest matches no form of the message
    /// (nothing changes, and no counter of this host moves: the caller
    /// counts it, as after [`VirtualHost::verify`]); [`Reject::Own`] for
    /// our own advert (nothing changes either); otherwise those of
    /// [`VirtualHost::handle_advert`].
    pub fn receive_advert(
        &mut self,
        now: Instant,
        advert: &Advert,
        origin: impl Into<Origin>,
        policy: &Policy,
    ) -> Result<Verdict, Reject> {
        let origin = origin.into();
        let (verified, plan) = self
            .auth
            .verify_with(advert, || self.plan(now, advert, &origin, policy));
        let verified = verified.map_err(|_| Reject::BadAuth)?;
        if origin.src.is_unspecified() && advert.counter == self.counter {
            return Err(Reject::Own);
        }
        self.apply(now, verified.advert(), origin, policy, plan)
    }

    /// The election's verdict on `advert`, from the state `apply` will see
    /// when it decides: nothing `apply` changes before that is read, except
    /// the hold-down start of a BACKUP without one, which is taken as
    /// `now` here as `apply` sets it. Pure, so it may run before the digest
    /// is known; for a VRRP vhost, another vhid or INIT it is never used.
    #[inline(always)]
    fn plan(&self, now: Instant, advert: &Advert, origin: &Origin, policy: &Policy) -> Plan {
        let since = match self.since {
            None if self.state == State::Backup => Some(now),
            since => since,
        };
        // `decide` reads the tie-break only for a MASTER hearing an exact
        // tie; any other advert skips the address comparison.
        let exact_tie = self.state == State::Master && is_tie(self.config.timing(), advert, policy);
        let local = Local {
            timing: self.config.timing(),
            dead_ratio: self.config.dead_ratio.get(),
            holddown_passed: since
                .is_some_and(|since| now.saturating_since(since) >= policy.preempt_holddown),
            tie: if exact_tie {
                // A MASTER's hold-down start (read by the tie run) is not
                // one `apply` sets.
                self.tie_break(now, origin, advert)
            } else {
                TieBreak::Unranked
            },
        };
        Plan {
            verdict: decide(self.state, &local, advert, policy),
            exact_tie,
        }
    }

    /// The checks the digest does not cover (vhid, version, replay), the
    /// sender's counter and hold-down, then the planned verdict acted on.
    #[inline(always)]
    fn apply(
        &mut self,
        now: Instant,
        advert: &Advert,
        origin: Origin,
        policy: &Policy,
        plan: Plan,
    ) -> Result<Verdict, Reject> {
        let src = origin.src;
        if self.config.is_vrrp() {
            return Err(self.reject(Reject::BadVersion(VERSION)));
        }
        if advert.vhid != self.config.vhid.get() || self.state == State::Init {
            return Err(self.reject(Reject::BadVhid(advert.vhid)));
        }
        if policy.replay != ReplayPolicy::Off {
            // Only an incrementing sender's counters say anything (see
            // the replay module).
            if let Freshness::Replayed { last } = self.replay.check(src, advert.counter) {
                let dropped = policy.replay == ReplayPolicy::Enforce;
                self.push_event(
                    now,
                    EventKind::Replay {
                        src,
                        counter: advert.counter,
                        last,
                        dropped,
                    },
                );
                if dropped {
                    return Err(self.reject(Reject::Replay {
                        counter: advert.counter,
                        last,
                    }));
                }
                self.stats.bump(Counter::ReplayLogged);
            }
            if let Some(kind) = self.replay.accept(src, advert.counter) {
                self.push_event(now, EventKind::Counters { src, kind });
            }
        }
        // As the BSDs, continue the sender's sequence; unlike them never go
        // backwards, so a counter we send is never one we sent before.
        self.counter = self.counter.max(advert.counter);
        self.last_heard = Some(now);
        if self.state == State::Backup && self.since.is_none() {
            self.since = Some(now);
        }
        let Plan { verdict, exact_tie } = plan;
        match verdict {
            Verdict::Yield(reason) => {
                self.enter_backup(now, reason);
                if matches!(reason, Reason::TieLost | Reason::TieDisputed) {
                    self.arm_master_down_after_tie(now);
                }
            }
            Verdict::TakeOver(reason) => self.take_over(now, reason),
            Verdict::KeepListening => self.arm_master_down(now),
            Verdict::Ignore => {
                if exact_tie {
                    self.hold_tie(now, advert);
                }
            }
        }
        self.note_policy(now, policy);
        Ok(verdict)
    }
}
