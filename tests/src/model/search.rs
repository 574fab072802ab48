//! The exhaustive search: successors of a world (every fault, every fate of
//! every advert copy), a state key with instants taken relative to now, and
//! the properties checked after every step.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use carp_core::timer::Timer;
use carp_core::vhost::election::effective_advskew;
use carp_core::vhost::TIE_YIELD_MARGIN;
use carp_core::{AdvTiming, DemoteReason, Duration, Instant, State};

use super::world::{Copy, Fault, Item, Outcome, Step, Transition, World};
use super::{Bounds, Counterexample, Limits, Report};

/// A world reached, with the step and the copies' fates that led to it.
pub struct Successor {
    /// How it was reached.
    pub step: Step,
    /// The sender of each advert sent during the step, in order.
    pub senders: Vec<usize>,
    /// Fates of the copies sent during the step.
    pub copies: Vec<Copy>,
    /// State changes during the step.
    pub transitions: Vec<Transition>,
    /// The world after it.
    pub world: World,
}

/// Every successor of `w`: a fault at the next due instant (before what is
/// due then), or the next due thing; each with every fate of each copy.
pub fn successors(w: &World, bounds: &Bounds) -> Vec<Successor> {
    let mut out = Vec::new();
    let next = w.next_due();
    // Faults happen at the next instant something is due, first (as the
    // simulator runs scheduled actions first), or a second on when
    // nothing is due; never at a boot instant, never twice at one instant.
    let fault_at = match next {
        Some((at, false)) if at > w.now => Some(at),
        Some(_) => None,
        None => Some(w.now + Duration::from_secs(1)),
    };
    if let Some(at) = fault_at.filter(|_| w.budget.faults > 0) {
        for fault in faults(w, bounds) {
            let o = w.inject(at, fault);
            expand(Step::Fault(at, fault), o, bounds, &mut out);
        }
    }
    if let Some((step, o)) = w.advance() {
        expand(step, o, bounds, &mut out);
    }
    out
}

/// The faults enabled in `w`.
fn faults(w: &World, bounds: &Bounds) -> Vec<Fault> {
    let mut v = Vec::new();
    for (i, h) in w.hosts.iter().enumerate() {
        let k = &bounds.kinds;
        if k.crash && h.alive {
            v.push(Fault::Crash(i));
        }
        if k.restart {
            v.push(Fault::Restart(i));
        }
        if k.link && h.link_up && h.alive {
            v.push(Fault::LinkDown(i));
        }
        if k.link && !h.link_up {
            v.push(Fault::LinkUp(i));
        }
        if k.demote {
            v.push(Fault::Demote(i, 1));
            if h.admin > 0 {
                v.push(Fault::Demote(i, -1));
            }
        }
        if k.preempt {
            v.push(Fault::Preempt(i, !h.preempt));
        }
    }
    v
}

/// Gives every copy of every advert sent in `o` each fate the budget
/// allows: on time, late, lost, duplicated.
fn expand(step: Step, o: Outcome, bounds: &Bounds, out: &mut Vec<Successor>) {
    let n = o.world.hosts.len();
    let mut partial = vec![(o.world, Vec::<Copy>::new())];
    for (k, (from, advert)) in o.sent.iter().enumerate() {
        for to in (0..n).filter(|to| to != from) {
            let mut next = Vec::new();
            for (w, copies) in partial {
                let (d1, d2) = bounds.delays_us;
                let mut options: Vec<(Vec<u64>, u8)> = vec![(vec![d1], 0)];
                if w.budget.lates > 0 {
                    options.push((vec![d2], 1));
                }
                if w.budget.losses > 0 {
                    options.push((vec![], 2));
                }
                if w.budget.dups > 0 {
                    options.push((vec![d1, d2], 3));
                }
                for (delays, kind) in options {
                    let mut w2 = w.clone();
                    match kind {
                        1 => w2.budget.lates -= 1,
                        2 => {
                            w2.budget.losses -= 1;
                            w2.disturbed_at = w2.now;
                        }
                        3 => w2.budget.dups -= 1,
                        _ => {}
                    }
                    w2.push_copy(*from, to, advert, &delays);
                    let mut c = copies.clone();
                    c.push(Copy {
                        advert: k,
                        from: *from,
                        to,
                        delays,
                    });
                    next.push((w2, c));
                }
            }
            partial = next;
        }
    }
    for (mut world, copies) in partial {
        let masters = world.masters();
        let runnable = world.runnable().next().is_some();
        world.leaderless_since = if masters.is_empty() && runnable {
            world.leaderless_since.or(Some(world.now))
        } else {
            None
        };
        out.push(Successor {
            step: step.clone(),
            senders: o.sent.iter().map(|(f, _)| *f).collect(),
            copies,
            transitions: o.transitions.clone(),
            world,
        });
    }
}

fn rel(now: Instant, at: Option<Instant>) -> Option<u64> {
    at.map(|t| t.micros().saturating_sub(now.micros()))
}

fn ago(now: Instant, at: Option<Instant>, cap: u64) -> Option<u64> {
    at.map(|t| now.micros().saturating_sub(t.micros()).min(cap))
}

/// The state with every instant relative to now and every age capped where
/// older means the same: equal keys behave alike from here on.
pub fn key(w: &World, limits: &Limits) -> u64 {
    let mut h = DefaultHasher::new();
    let now = w.now;
    for host in &w.hosts {
        let vh = &host.vh;
        (
            host.alive,
            host.link_up,
            host.link_demoted,
            host.admin,
            host.preempt,
        )
            .hash(&mut h);
        for r in DemoteReason::ALL {
            host.demotion.get(r).hash(&mut h);
        }
        (vh.state(), vh.advertised(), vh.has_pending_transmit()).hash(&mut h);
        rel(now, vh.deadline(Timer::Advertise)).hash(&mut h);
        rel(now, vh.deadline(Timer::MasterDown)).hash(&mut h);
        // A tie run whose last advert is master-down old is over: the same
        // as none.
        let md = limits.master_down.micros();
        vh.tie_run()
            .map(|(last, n)| (now.micros().saturating_sub(last.micros()), n))
            .filter(|(age, _)| *age <= md)
            .hash(&mut h);
        ago(now, host.heard_at, md + 1).hash(&mut h);
    }
    for q in &w.queue {
        rel(now, Some(q.at)).hash(&mut h);
        match &q.item {
            Item::Boot(i) => (0u8, *i).hash(&mut h),
            Item::Deliver { from, to, advert } => {
                (1u8, from, to, advert.advbase, advert.advskew, advert.demote).hash(&mut h)
            }
        }
    }
    w.budget.hash(&mut h);
    let cap = limits.settle.micros().max(limits.live.micros()) + 1;
    ago(now, Some(w.disturbed_at), cap).hash(&mut h);
    ago(now, w.leaderless_since, cap).hash(&mut h);
    h.finish()
}

/// True when backup `b` would take over on hearing master `m`'s advert.
fn would_take_over(w: &World, m: usize, b: usize) -> bool {
    let (hm, hb) = (&w.hosts[m], &w.hosts[b]);
    let (pm, pb) = (hm.policy(), hb.policy());
    let tm = hm.vh.timing();
    let tb = hb.vh.timing();
    let theirs = AdvTiming::new(tm.advbase, effective_advskew(tm.advskew, &pm)).ticks();
    let ours = AdvTiming::new(tb.advbase, effective_advskew(tb.advskew, &pb)).ticks();
    (pb.preempt && ours < theirs && pm.demotion >= pb.demotion) || pm.demotion > pb.demotion
}

/// The properties after `s` from `prev`; `Err` names the one that failed.
pub fn check(prev: &World, s: &Successor, limits: &Limits) -> Result<(), String> {
    let w = &s.world;
    let now = w.now;
    for (i, h) in w.hosts.iter().enumerate() {
        let d = h.demotion;
        if d.total() < 0 || DemoteReason::ALL.iter().any(|r| d.get(*r) < 0) {
            return Err(format!("demotion negative on h{i}: {d:?}"));
        }
        if h.alive && h.vh.poll_timeout().is_some_and(|t| t < now) {
            return Err(format!("h{i} has a deadline in the past"));
        }
    }
    if let Step::Timer(_, i) = s.step {
        if w.hosts[i].vh.poll_timeout().is_some_and(|t| t <= now) {
            return Err(format!("h{i}'s timer did not move after it ran"));
        }
    }
    for &(_, i, to, reason) in &s.transitions {
        if to == State::Master && reason == "master-down" {
            let h = &prev.hosts[i];
            let md = h.vh.timing().master_down_interval(3);
            if h.heard_at.is_some_and(|t| now - t < md) {
                return Err(format!(
                    "h{i} took over while a master's adverts reached it within master-down"
                ));
            }
        }
    }
    let calm = now - w.disturbed_at;
    let masters = w.masters();
    if calm >= limits.settle {
        if masters.len() > 1 {
            return Err(format!("two masters {masters:?} after a calm network"));
        }
        if let [m] = masters[..] {
            for b in w.runnable().filter(|b| *b != m) {
                if would_take_over(w, m, b) {
                    return Err(format!("master h{m} is not the best: h{b} outranks it"));
                }
            }
        }
        let was = prev.masters();
        let fault = matches!(s.step, Step::Fault(..));
        if !fault && now - prev.disturbed_at >= limits.settle && was.len() == 1 && masters != was {
            return Err(format!(
                "the incumbent master {was:?} changed to {masters:?}"
            ));
        }
    }
    if let Some(since) = w.leaderless_since {
        if now - since > limits.live && calm > limits.live {
            return Err("no master after master-down of silence".into());
        }
    }
    Ok(())
}

/// One exhaustive depth-first search from the initial world of `bounds`.
pub fn run(bounds: &Bounds) -> Report {
    let limits = Limits::of(bounds);
    let start = World::new(bounds);
    let mut seen: HashSet<u64> = HashSet::new();
    seen.insert(key(&start, &limits));
    let mut report = Report {
        states: 1,
        transitions: 0,
        max_depth: 0,
        counterexample: None,
    };
    // Each frame: the world and its not yet explored successors.
    let mut path: Vec<Successor> = Vec::new();
    let mut stack: Vec<(World, Vec<Successor>)> = vec![(start.clone(), successors(&start, bounds))];
    while let Some((world, pending)) = stack.last_mut() {
        let Some(s) = pending.pop() else {
            stack.pop();
            path.pop();
            continue;
        };
        report.transitions += 1;
        if let Err(property) = check(world, &s, &limits) {
            path.push(s);
            report.counterexample = Some(Counterexample {
                property,
                path: std::mem::take(&mut path),
            });
            return report;
        }
        if !seen.insert(key(&s.world, &limits)) {
            continue;
        }
        report.states += 1;
        let next = successors(&s.world, bounds);
        let w = s.world.clone();
        path.push(s);
        stack.push((w, next));
        report.max_depth = report.max_depth.max(stack.len());
    }
    report
}

/// The master-down of the slowest host plus the tie margin.
pub fn slowest_master_down(bounds: &Bounds) -> Duration {
    let md = bounds
        .skews
        .iter()
        .map(|s| AdvTiming::new(1, *s).master_down_interval(3))
        .max()
        .unwrap_or(Duration::ZERO);
    md + TIE_YIELD_MARGIN
}
