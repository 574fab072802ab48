//! The modelled LAN: real `VirtualHost`s, the glue `CarpIf` and the
//! simulator put around them, and a queue of boots and advert copies in
//! flight. Every rule here mirrors `carp-sim` (`shims/sim/src/lan/`) so a
//! trace replays there exactly; `tests/tests/model_check.rs` replays random
//! walks to prove it.

use std::net::{IpAddr, Ipv4Addr};

use carp_core::wire::{Advert, Packet, HEADER_LEN};
use carp_core::{
    DemoteReason, Demotion, EventKind, Instant, Origin, Policy, Reject, State, Vhid, VhostConfig,
    VirtualHost,
};

use super::Bounds;

/// The one vhid every modelled host runs.
pub const VHID: u8 = 1;
/// Its passphrase.
pub const PASS: &str = "model";
/// Its virtual address.
pub const VADDR: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 100);
/// FreeBSD's `ifdown_demotion_factor`, the sysctl default.
const IFDOWN_FACTOR: i32 = 240;

/// Host `i`'s parent address.
pub fn host_ip(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(192, 0, 2, 10 + i as u8)
}

/// Host `i`'s vhost configuration.
pub fn config(advskew: u8) -> VhostConfig {
    VhostConfig::new(Vhid::new(VHID).expect("vhid 1"))
        .with_advskew(advskew)
        .expect("advskew in range")
        .with_passphrase(PASS.as_bytes())
        .expect("passphrase")
        .with_address(IpAddr::V4(VADDR))
        .expect("address")
}

/// A fault the checker may inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The host stops.
    Crash(usize),
    /// The host stops and boots again at once.
    Restart(usize),
    /// Its parent link goes down.
    LinkDown(usize),
    /// Its parent link comes back.
    LinkUp(usize),
    /// `sysctl net.inet.carp.demotion=+1` (or -1 while positive).
    Demote(usize, i32),
    /// `sysctl net.inet.carp.preempt` flipped.
    Preempt(usize, bool),
}

/// One step of a trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A fault at `at`, before anything else due then.
    Fault(Instant, Fault),
    /// Host boots (its start time).
    Boot(Instant, usize),
    /// An advert copy reached (or missed) `to`.
    Deliver(Instant, usize, usize),
    /// A host's timer ran.
    Timer(Instant, usize),
}

/// What happened to one advert copy: arrival delays (none: lost).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    /// Which advert of the step (index into [`Outcome::sent`]).
    pub advert: usize,
    /// Sender.
    pub from: usize,
    /// Receiver.
    pub to: usize,
    /// Arrival delays after the send.
    pub delays: Vec<u64>,
}

/// A state change, as the simulator's timeline records it.
pub type Transition = (Instant, usize, State, &'static str);

/// One modelled host.
#[derive(Debug, Clone)]
pub struct Host {
    /// The real state machine.
    pub vh: VirtualHost,
    /// Booted and not crashed.
    pub alive: bool,
    /// The physical parent link (kept across a crash).
    pub link_up: bool,
    /// `CarpIf`'s link demotion flag (per life).
    pub link_demoted: bool,
    /// The sysctl's demotion (per life).
    pub demotion: Demotion,
    /// The administrator's demotion writes, re-applied at boot.
    pub admin: i32,
    /// `net.inet.carp.preempt`, re-applied at boot.
    pub preempt: bool,
    /// Last advert accepted as BACKUP (property bookkeeping).
    pub heard_at: Option<Instant>,
}

impl Host {
    /// The policy `Sysctl::policy` would give.
    pub fn policy(&self) -> Policy {
        Policy {
            preempt: self.preempt,
            demotion: self.demotion.effective(),
            ..Policy::DEFAULT
        }
    }
}

/// Something queued for an instant.
#[derive(Debug, Clone)]
pub enum Item {
    /// A host boots.
    Boot(usize),
    /// An advert copy arrives.
    Deliver {
        /// Sender.
        from: usize,
        /// Receiver.
        to: usize,
        /// The advert as sent.
        advert: Advert,
    },
}

/// A queued item: ordered by (at, seq) as the simulator orders its queue.
#[derive(Debug, Clone)]
pub struct Queued {
    /// When.
    pub at: Instant,
    /// Push order.
    pub seq: u64,
    /// What.
    pub item: Item,
}

/// What the checker may still spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Budget {
    /// Faults.
    pub faults: u8,
    /// Lost copies.
    pub losses: u8,
    /// Late copies (delivered at the long delay).
    pub lates: u8,
    /// Duplicated copies.
    pub dups: u8,
}

/// The whole modelled LAN.
#[derive(Debug, Clone)]
pub struct World {
    /// The virtual clock.
    pub now: Instant,
    /// Hosts.
    pub hosts: Vec<Host>,
    /// Boots and copies in flight, sorted by (at, seq).
    pub queue: Vec<Queued>,
    /// Next push number.
    pub seq: u64,
    /// What is left to spend.
    pub budget: Budget,
    /// Last fault or loss.
    pub disturbed_at: Instant,
    /// Since when no host is MASTER while one could be.
    pub leaderless_since: Option<Instant>,
}

/// A step's result before the copies of what it sent are given fates.
pub struct Outcome {
    /// The world after the step.
    pub world: World,
    /// Adverts sent, in order.
    pub sent: Vec<(usize, Advert)>,
    /// State changes, in order.
    pub transitions: Vec<Transition>,
}

impl World {
    /// Hosts with `skews`, booting at `starts`, preempt as given.
    pub fn new(bounds: &Bounds) -> World {
        let hosts = bounds
            .skews
            .iter()
            .map(|s| Host {
                vh: VirtualHost::new(config(*s), 0),
                alive: false,
                link_up: true,
                link_demoted: false,
                demotion: Demotion::new(),
                admin: 0,
                preempt: bounds.preempt,
                heard_at: None,
            })
            .collect::<Vec<_>>();
        let queue = (0..hosts.len())
            .map(|i| Queued {
                at: Instant::from_micros(bounds.starts_us.get(i).copied().unwrap_or(0)),
                seq: i as u64,
                item: Item::Boot(i),
            })
            .collect::<Vec<_>>();
        let mut w = World {
            now: Instant::ZERO,
            seq: queue.len() as u64,
            hosts,
            queue,
            budget: bounds.budget,
            disturbed_at: Instant::ZERO,
            leaderless_since: None,
        };
        w.queue.sort_by_key(|q| (q.at, q.seq));
        w
    }

    /// The next instant anything is due, and whether a boot is due then.
    pub fn next_due(&self) -> Option<(Instant, bool)> {
        let queued = self.queue.first().map(|q| q.at);
        let timer = self.next_timer().map(|(t, _)| t);
        let at = match (queued, timer) {
            (Some(q), Some(t)) => q.min(t),
            (q, t) => q.or(t)?,
        };
        let boot = self
            .queue
            .iter()
            .take_while(|q| q.at == at)
            .any(|q| matches!(q.item, Item::Boot(_)));
        Some((at, boot))
    }

    /// The earliest host deadline, lowest index on ties (alive hosts).
    pub fn next_timer(&self) -> Option<(Instant, usize)> {
        self.hosts
            .iter()
            .enumerate()
            .filter(|(_, h)| h.alive)
            .filter_map(|(i, h)| h.vh.poll_timeout().map(|d| (d, i)))
            .min()
    }

    /// Does the next due thing: the first queued item at that instant, or
    /// else the first due host timer (the simulator's `step`).
    pub fn advance(&self) -> Option<(Step, Outcome)> {
        let (at, _) = self.next_due()?;
        let mut out = Outcome {
            world: self.clone(),
            sent: Vec::new(),
            transitions: Vec::new(),
        };
        out.world.now = at;
        let step = if self.queue.first().is_some_and(|q| q.at == at) {
            let q = out.world.queue.remove(0);
            match q.item {
                Item::Boot(i) => {
                    out.boot(i);
                    Step::Boot(at, i)
                }
                Item::Deliver { from, to, advert } => {
                    out.deliver(from, to, &advert);
                    Step::Deliver(at, from, to)
                }
            }
        } else {
            let (_, i) = self.next_timer()?;
            out.timer(i);
            Step::Timer(at, i)
        };
        Some((step, out))
    }

    /// Injects `fault` at `at` (not before now).
    pub fn inject(&self, at: Instant, fault: Fault) -> Outcome {
        let mut out = Outcome {
            world: self.clone(),
            sent: Vec::new(),
            transitions: Vec::new(),
        };
        out.world.now = at;
        out.world.disturbed_at = at;
        out.world.budget.faults = out.world.budget.faults.saturating_sub(1);
        match fault {
            Fault::Crash(i) => out.crash(i),
            Fault::Restart(i) => {
                out.crash(i);
                out.boot(i);
            }
            Fault::LinkDown(i) => out.set_link(i, false),
            Fault::LinkUp(i) => out.set_link(i, true),
            Fault::Demote(i, delta) => out.sysctl(i, |h| {
                h.admin += delta;
                h.demotion.adjust(DemoteReason::Global, delta);
            }),
            Fault::Preempt(i, on) => out.sysctl(i, |h| h.preempt = on),
        }
        out
    }

    /// Queues one copy of `advert` from `from` to `to` at each delay.
    pub fn push_copy(&mut self, from: usize, to: usize, advert: &Advert, delays: &[u64]) {
        for d in delays {
            self.queue.push(Queued {
                at: Instant::from_micros(self.now.micros() + d),
                seq: self.seq,
                item: Item::Deliver {
                    from,
                    to,
                    advert: *advert,
                },
            });
            self.seq += 1;
        }
        self.queue.sort_by_key(|q| (q.at, q.seq));
    }

    /// Hosts that are MASTER now.
    pub fn masters(&self) -> Vec<usize> {
        (0..self.hosts.len())
            .filter(|i| {
                self.hosts
                    .get(*i)
                    .is_some_and(|h| h.alive && h.vh.state() == State::Master)
            })
            .collect()
    }

    /// Hosts that could run the vhid (alive, link up).
    pub fn runnable(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.hosts.len()).filter(|i| {
            self.hosts
                .get(*i)
                .is_some_and(|h| h.alive && h.vh.is_runnable())
        })
    }
}

impl Outcome {
    fn host(&mut self, i: usize) -> &mut Host {
        &mut self.world.hosts[i]
    }

    /// `CarpIf::poll`, which the simulator runs after every call into a
    /// host: a policy change acted on (`sync_policy`), the due timer run,
    /// what is owed sent; then the events taken.
    fn poll(&mut self, i: usize) {
        let now = self.world.now;
        let policy = self.world.hosts[i].policy();
        let mut buf = [0u8; HEADER_LEN];
        let h = &mut self.world.hosts[i];
        h.vh.handle_policy(now, &policy);
        if h.vh.poll_timeout().is_some_and(|t| t <= now) {
            h.vh.handle_timeout(now, &policy);
        }
        while h.vh.poll_transmit(now, &policy, &mut buf).is_some() {
            h.vh.handle_send_result(now, true);
            if let Some(advert) = Packet::new_checked(&buf[..])
                .ok()
                .and_then(|p| Advert::parse(&p).ok())
            {
                self.sent.push((i, advert));
            }
        }
        while let Some(e) = h.vh.poll_event() {
            if let EventKind::StateChange { to, reason, .. } = e.kind {
                self.transitions.push((e.at, i, to, reason.name()));
            }
        }
    }

    /// The simulator's `boot`: a fresh `CarpIf` (link as it is, no ifdown
    /// demotion) and sysctl, the vhost added.
    fn boot(&mut self, i: usize) {
        let now = self.world.now;
        let h = self.host(i);
        let config = h.vh.config().clone();
        h.alive = true;
        h.link_demoted = false;
        h.heard_at = None;
        h.demotion = Demotion::new();
        h.demotion.adjust(DemoteReason::Global, h.admin);
        h.vh = VirtualHost::new(config, 0);
        let up = h.link_up;
        h.vh.set_link(now, up);
        h.vh.set_admin(now, true);
        self.poll(i);
    }

    fn crash(&mut self, i: usize) {
        let now = self.world.now;
        let h = self.host(i);
        if !h.alive {
            return;
        }
        h.alive = false;
        if h.vh.state() != State::Init {
            self.transitions.push((now, i, State::Init, "crash"));
        }
    }

    /// The simulator's link-down/link-up action.
    fn set_link(&mut self, i: usize, up: bool) {
        let h = self.host(i);
        h.link_up = up;
        if h.alive {
            self.carpif_set_link(i, up);
        }
    }

    /// `CarpIf::set_link`: the ifdown demotion, then every vhost.
    fn carpif_set_link(&mut self, i: usize, up: bool) {
        let now = self.world.now;
        let h = self.host(i);
        if !up && !h.link_demoted {
            h.link_demoted = true;
            h.demotion.adjust(DemoteReason::LinkDown, IFDOWN_FACTOR);
        } else if up && h.link_demoted {
            h.link_demoted = false;
            h.demotion.adjust(DemoteReason::LinkDown, -IFDOWN_FACTOR);
        }
        h.vh.set_link(now, up);
        self.poll(i);
    }

    /// The simulator's sysctl action: the write, then `CarpIf::sync_policy`.
    fn sysctl(&mut self, i: usize, write: impl FnOnce(&mut Host)) {
        let now = self.world.now;
        let h = self.host(i);
        write(h);
        if h.alive {
            let policy = h.policy();
            h.vh.handle_policy(now, &policy);
            self.poll(i);
        }
    }

    /// `CarpIf::input` for an advert copy arriving at `to`.
    fn deliver(&mut self, from: usize, to: usize, advert: &Advert) {
        let now = self.world.now;
        let h = self.host(to);
        if !h.alive || !h.link_up || h.vh.state() == State::Init {
            return;
        }
        let policy = h.policy();
        let was_backup = h.vh.state() == State::Backup;
        let origin = Origin::new(IpAddr::V4(host_ip(from)), Some(host_ip(to)), None);
        // The digest and the election in one call, as `CarpIf::input` makes it.
        match h.vh.receive_advert(now, advert, origin, &policy) {
            Err(Reject::BadAuth) => return,
            Ok(_) if was_backup => h.heard_at = Some(now),
            _ => {}
        }
        self.poll(to);
    }

    /// The simulator's timer step: `CarpIf::poll` for host `i`.
    fn timer(&mut self, i: usize) {
        self.poll(i);
    }
}
