//! The election: what an accepted advert means for us. A pure function.
//!
//! With D our effective demotion and P the sender's demote byte, our
//! interval `sc = advbase + (D > 0 && advskew < 240 ? 240 : advskew)/256`
//! (the OpenBSD 4.x wire rule, which ucarp and the early BSDs understand)
//! and the sender's `ch = advbase' + advskew'/256`, compared exactly in
//! 1/256 s ticks. The comparisons are those of later OpenBSD releases:
//!
//! - MASTER yields if (`sc >= ch` and `P <= D`) or `P < D`;
//! - BACKUP preempts (preempt on) only if `sc < ch` and `P >= D`, and takes
//!   over from a more demoted master (`P > D`) regardless of preempt.
//!
//! OpenBSD 4.x lacked the demote terms in the first two rules, and a
//! demoted backup (advertising 240) could preempt a healthy master
//! advertising a skew above 240, which then took it back for being less
//! demoted, forever. With the terms, whatever a backup takes over from
//! yields to it when the two hear each other, so elections settle. With
//! `ignore_peer_demote` (FreeBSD, NetBSD) P and D are both 0 here and the
//! rules are the plain interval comparison.
//!
//! An exact tie (`sc == ch` and `P == D`) is where the BSDs yield and we
//! instead follow the [`TieBreak`] the virtual host worked out from the
//! addresses (ucarp's rule; see [`super::tie`]).

pub use super::tie::TieBreak;
use crate::policy::Policy;
use crate::state::{Reason, State};
use crate::time::AdvTiming;
use crate::wire::Advert;

/// The advskew a demoted host advertises (and times with) in the early BSDs.
pub const DEMOTED_ADVSKEW: u8 = 240;

/// What to do about an accepted advert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// MASTER: step down to BACKUP, for this reason.
    Yield(Reason),
    /// BACKUP: take over now.
    TakeOver(Reason),
    /// BACKUP: the master is alive; restart master-down.
    KeepListening,
    /// MASTER hearing a worse master, or INIT: nothing to do.
    Ignore,
}

/// Our side of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Local {
    /// Our configured advbase/advskew.
    pub timing: AdvTiming,
    /// Our dead ratio (3 unless configured).
    pub dead_ratio: u8,
    /// True if the preempt hold-down has passed (or is zero).
    pub holddown_passed: bool,
    /// What a MASTER does on an exact tie; [`decide`] reads it in no other
    /// case (the virtual host leaves it [`TieBreak::Unranked`] then).
    pub tie: TieBreak,
}

/// The advskew we advertise under `policy`: 240 while demoted, if ours is
/// below it.
pub const fn effective_advskew(advskew: u8, policy: &Policy) -> u8 {
    if policy.demotion > 0 && advskew < DEMOTED_ADVSKEW {
        DEMOTED_ADVSKEW
    } else {
        advskew
    }
}

/// Our interval and the sender's in 1/256 s ticks, and the sender's
/// demote byte and ours as the election compares them (both 0 with
/// `ignore_peer_demote`).
fn compared(timing: AdvTiming, advert: &Advert, policy: &Policy) -> (u32, u32, u8, u8) {
    let ours = AdvTiming::new(timing.advbase, effective_advskew(timing.advskew, policy)).ticks();
    let theirs = AdvTiming::new(advert.advbase, advert.advskew).ticks();
    let (peer_demote, our_demote) = if policy.ignore_peer_demote {
        (0, 0)
    } else {
        (advert.demote, policy.demotion)
    };
    (ours, theirs, peer_demote, our_demote)
}

/// True when `advert` ties with us exactly: the same interval and the same
/// demotion as we would advertise under `policy` (our configured `timing`).
pub fn is_tie(timing: AdvTiming, advert: &Advert, policy: &Policy) -> bool {
    let (ours, theirs, peer_demote, our_demote) = compared(timing, advert, policy);
    ours == theirs && peer_demote == our_demote
}

/// Decides, for our `state`, what a verified `advert` means.
pub fn decide(state: State, local: &Local, advert: &Advert, policy: &Policy) -> Verdict {
    let (ours, theirs, peer_demote, our_demote) = compared(local.timing, advert, policy);
    match state {
        State::Init => Verdict::Ignore,
        State::Master => {
            if ours == theirs && peer_demote == our_demote {
                match local.tie {
                    TieBreak::Unranked => Verdict::Yield(Reason::BetterMaster),
                    TieBreak::PeerFirst => Verdict::Yield(Reason::TieLost),
                    TieBreak::Disputed => Verdict::Yield(Reason::TieDisputed),
                    TieBreak::OursFirst => Verdict::Ignore,
                }
            } else if (ours > theirs && peer_demote <= our_demote) || peer_demote < our_demote {
                Verdict::Yield(Reason::BetterMaster)
            } else {
                Verdict::Ignore
            }
        }
        State::Backup => {
            if policy.preempt && ours < theirs && peer_demote >= our_demote && local.holddown_passed
            {
                Verdict::TakeOver(Reason::Preempt)
            } else if peer_demote > our_demote {
                Verdict::TakeOver(Reason::PeerDemoted)
            } else if local.timing.advbase > 0
                && local.timing.master_down_ticks(local.dead_ratio) < theirs
            {
                // OpenBSD skips this rule in its advbase-0 mode.
                Verdict::TakeOver(if advert.is_bow_out() {
                    Reason::BowOut
                } else {
                    Reason::PeerTooSlow
                })
            } else {
                Verdict::KeepListening
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn advert(advbase: u8, advskew: u8, demote: u8) -> Advert {
        Advert {
            vhid: 1,
            advskew,
            demote,
            advbase,
            counter: 0,
            digest: [0; 20],
        }
    }

    fn local(advbase: u8, advskew: u8) -> Local {
        Local {
            timing: AdvTiming::new(advbase, advskew),
            dead_ratio: 3,
            holddown_passed: true,
            tie: TieBreak::Unranked,
        }
    }

    const Y: Verdict = Verdict::Yield(Reason::BetterMaster);

    #[test]
    fn master_yields_to_more_frequent_and_to_ties() {
        let p = Policy::DEFAULT;
        let l = local(1, 100);
        assert_eq!(decide(State::Master, &l, &advert(1, 50, 0), &p), Y);
        assert_eq!(decide(State::Master, &l, &advert(1, 100, 0), &p), Y);
        assert_eq!(
            decide(State::Master, &l, &advert(1, 101, 0), &p),
            Verdict::Ignore
        );
    }

    #[test]
    fn master_tie_with_more_demoted_peer_stays() {
        let p = Policy {
            demotion: 1,
            ..Policy::DEFAULT
        };
        // Both demoted: both advertise 240.
        let l = local(1, 100);
        assert_eq!(
            decide(State::Master, &l, &advert(1, 240, 2), &p),
            Verdict::Ignore
        );
        assert_eq!(decide(State::Master, &l, &advert(1, 240, 1), &p), Y);
    }

    #[test]
    fn backup_preempts_only_with_preempt_on() {
        let l = local(1, 10);
        let slower = advert(1, 50, 0);
        assert_eq!(
            decide(State::Backup, &l, &slower, &Policy::DEFAULT),
            Verdict::KeepListening
        );
        let p = Policy {
            preempt: true,
            ..Policy::DEFAULT
        };
        assert_eq!(
            decide(State::Backup, &l, &slower, &p),
            Verdict::TakeOver(Reason::Preempt)
        );
        let held = Local {
            holddown_passed: false,
            ..l
        };
        assert_eq!(
            decide(State::Backup, &held, &slower, &p),
            Verdict::KeepListening
        );
    }

    #[test]
    fn backup_takes_over_from_more_demoted_master_regardless_of_preempt() {
        let l = local(1, 100);
        assert_eq!(
            decide(State::Backup, &l, &advert(1, 240, 1), &Policy::DEFAULT),
            Verdict::TakeOver(Reason::PeerDemoted)
        );
        let freebsd = Policy {
            ignore_peer_demote: true,
            ..Policy::DEFAULT
        };
        assert_eq!(
            decide(State::Backup, &l, &advert(1, 240, 1), &freebsd),
            Verdict::KeepListening
        );
    }

    #[test]
    fn backup_takes_over_at_once_on_bow_out() {
        let l = local(1, 100);
        assert_eq!(
            decide(State::Backup, &l, &advert(255, 255, 0), &Policy::DEFAULT),
            Verdict::TakeOver(Reason::BowOut)
        );
        assert_eq!(
            decide(State::Backup, &l, &advert(4, 0, 0), &Policy::DEFAULT),
            Verdict::TakeOver(Reason::PeerTooSlow)
        );
        // advbase 0 mode skips the rule.
        assert_eq!(
            decide(
                State::Backup,
                &local(0, 5),
                &advert(255, 255, 0),
                &Policy::DEFAULT
            ),
            Verdict::KeepListening
        );
    }

    #[test]
    fn demotion_makes_us_advertise_240() {
        let p = Policy {
            demotion: 3,
            ..Policy::DEFAULT
        };
        assert_eq!(effective_advskew(0, &p), 240);
        assert_eq!(effective_advskew(250, &p), 250);
        assert_eq!(effective_advskew(0, &Policy::DEFAULT), 0);
        // A demoted master yields to an undemoted peer with skew 100.
        assert_eq!(
            decide(State::Master, &local(1, 0), &advert(1, 100, 0), &p),
            Y
        );
    }

    #[test]
    fn every_pair_of_advskews_two_masters_never_both_stay_without_demotion() {
        // Exhaustive over its domain: every pair of advskews 0..=254 at
        // advbase 1, no demotion. When two masters hear each other at
        // least one yields; exactly one yields unless they tie.
        let p = Policy::DEFAULT;
        for a in 0..=254u8 {
            for b in 0..=254u8 {
                let va = decide(State::Master, &local(1, a), &advert(1, b, 0), &p);
                let vb = decide(State::Master, &local(1, b), &advert(1, a, 0), &p);
                let yields = [va, vb].iter().filter(|v| **v == Y).count();
                if a == b {
                    assert_eq!(yields, 2);
                } else {
                    assert_eq!(yields, 1, "a={a} b={b}");
                }
            }
        }
    }

    #[test]
    fn exact_ties_follow_the_tie_break_and_nothing_else_does() {
        let p = Policy::DEFAULT;
        let with = |tie| Local {
            tie,
            ..local(1, 100)
        };
        let equal = advert(1, 100, 0);
        assert_eq!(
            decide(State::Master, &with(TieBreak::OursFirst), &equal, &p),
            Verdict::Ignore
        );
        assert_eq!(
            decide(State::Master, &with(TieBreak::PeerFirst), &equal, &p),
            Verdict::Yield(Reason::TieLost)
        );
        assert_eq!(
            decide(State::Master, &with(TieBreak::Disputed), &equal, &p),
            Verdict::Yield(Reason::TieDisputed)
        );
        // Not a tie: the tie-break never keeps a worse master, nor makes a
        // better one yield.
        for tie in [TieBreak::OursFirst, TieBreak::PeerFirst, TieBreak::Disputed] {
            assert_eq!(decide(State::Master, &with(tie), &advert(1, 99, 0), &p), Y);
            assert_eq!(
                decide(State::Master, &with(tie), &advert(1, 101, 0), &p),
                Verdict::Ignore
            );
            assert_eq!(
                decide(State::Master, &with(tie), &advert(1, 100, 1), &p),
                Verdict::Ignore
            );
            // A backup never preempts an equal master.
            let pre = Policy { preempt: true, ..p };
            assert_eq!(
                decide(State::Backup, &with(tie), &equal, &pre),
                Verdict::KeepListening
            );
        }
        assert!(is_tie(AdvTiming::new(1, 100), &equal, &p));
        assert!(!is_tie(AdvTiming::new(1, 100), &advert(1, 100, 1), &p));
    }

    #[test]
    fn sampled_two_ranked_masters_with_a_tie_keep_exactly_one() {
        // A sample, not the whole domain: every pair drawn from 6 advskews
        // (both sides of 240) x 3 demotions. When two masters that rank
        // their addresses the same way hear each other, exactly one yields.
        let skews = [0u8, 1, 100, 239, 240, 254];
        for &sa in &skews {
            for &sb in &skews {
                for da in [0u8, 1, 2] {
                    for db in [0u8, 1, 2] {
                        let pa = Policy {
                            demotion: da,
                            ..Policy::DEFAULT
                        };
                        let pb = Policy { demotion: db, ..pa };
                        let wire_a = advert(1, effective_advskew(sa, &pa), da);
                        let wire_b = advert(1, effective_advskew(sb, &pb), db);
                        // A's address ranks first.
                        let la = Local {
                            tie: TieBreak::OursFirst,
                            ..local(1, sa)
                        };
                        let lb = Local {
                            tie: TieBreak::PeerFirst,
                            ..local(1, sb)
                        };
                        let ya = decide(State::Master, &la, &wire_b, &pa);
                        let yb = decide(State::Master, &lb, &wire_a, &pb);
                        let yields = [ya, yb]
                            .iter()
                            .filter(|v| matches!(v, Verdict::Yield(_)))
                            .count();
                        assert_eq!(yields, 1, "A({sa},{da}) B({sb},{db})");
                    }
                }
            }
        }
    }

    #[test]
    fn a_demoted_backup_does_not_preempt_a_healthy_master_above_240() {
        let p = Policy {
            preempt: true,
            demotion: 240,
            ..Policy::DEFAULT
        };
        // We advertise 240 (demoted), the master 250 undemoted: stay.
        assert_eq!(
            decide(State::Backup, &local(1, 0), &advert(1, 250, 0), &p),
            Verdict::KeepListening
        );
        // Both masters: the demoted one yields although it is faster.
        assert_eq!(
            decide(State::Master, &local(1, 0), &advert(1, 250, 0), &p),
            Y
        );
        // And the healthy one keeps its place.
        let healthy = Policy {
            preempt: true,
            ..Policy::DEFAULT
        };
        assert_eq!(
            decide(
                State::Master,
                &local(1, 250),
                &advert(1, 240, 240),
                &healthy
            ),
            Verdict::Ignore
        );
    }

    #[test]
    fn sampled_whatever_a_backup_takes_over_from_yields_to_it() {
        // A sample, not the whole domain: every pair of hosts drawn from 8
        // advskews (both sides of the 240 demotion threshold) x 5 demotions,
        // advbase 1, preempt on, both demote rules. If B, as BACKUP, takes
        // over from A on hearing A's advert, then A, as MASTER, yields on
        // hearing B's. Otherwise the two would flap.
        let skews = [0u8, 1, 100, 239, 240, 241, 250, 254];
        let demotes = [0u8, 1, 2, 240, 255];
        for ignore_peer_demote in [false, true] {
            for &sa in &skews {
                for &da in &demotes {
                    for &sb in &skews {
                        for &db in &demotes {
                            let pa = Policy {
                                preempt: true,
                                demotion: da,
                                ignore_peer_demote,
                                ..Policy::DEFAULT
                            };
                            let pb = Policy { demotion: db, ..pa };
                            let wire_a = advert(1, effective_advskew(sa, &pa), da);
                            let wire_b = advert(1, effective_advskew(sb, &pb), db);
                            let b_takes = decide(State::Backup, &local(1, sb), &wire_a, &pb);
                            if matches!(b_takes, Verdict::TakeOver(_)) {
                                assert_eq!(
                                    decide(State::Master, &local(1, sa), &wire_b, &pa),
                                    Y,
                                    "A({sa},{da}) B({sb},{db}) ignore={ignore_peer_demote}"
                                );
                            }
                            // Two masters: at least one yields.
                            let ya = decide(State::Master, &local(1, sa), &wire_b, &pa);
                            let yb = decide(State::Master, &local(1, sb), &wire_a, &pb);
                            assert!(ya == Y || yb == Y);
                        }
                    }
                }
            }
        }
    }
}
