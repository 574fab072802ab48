//! The simulated segment: hosts, clients, an attacker, one virtual clock.
//!
//! Time is an integer count of microseconds that only moves when the
//! simulator jumps to the next thing due: a queued item (a frame arriving, a
//! scheduled fault, an injected frame) or a host's `poll_timeout()`. Queued
//! items are ordered by (time, sequence number), so two runs with the same
//! seed do the same things in the same order. At one instant queued items go
//! first, then host timers in host order, one host per step: a frame sent
//! with zero delay at `t` reaches its receivers before their own timers at
//! `t` fire. Every `handle_timeout` happens exactly at the deadline the host
//! asked for.
//!
//! The segment is a hub: every frame a host sends is captured once and then
//! offered to every other host and client; each copy is lost, delayed
//! (delay + uniform jitter) and duplicated independently, from the seeded
//! generator. Whether the receiver gets it is decided on arrival: it must be
//! alive, its link up, and in the sender's partition group.

mod faults;
mod host;
mod route;
mod types;

pub use host::{SimEngine, SimHost, PARENT, SIM_ITEMS};
pub use route::{Router, RouterIf, RouterSpec};
pub use types::{
    Action, Captured, Fate, HostSpec, Knobs, LinkParams, Received, Record, RecordKind, Sender,
    Takeover,
};

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::io::{self, Write};
use std::rc::Rc;

use carp_core::vhost::TIE_YIELD_MARGIN;
use carp_core::wire::PROTO;
use carp_core::{Duration, EventKind, Instant, Reason, State, Stats};
use carp_ifnet::frame::{self, Body};
use carp_ifnet::lladdr::{LinkType, MacAddr};

use crate::client::{Client, ClientSpec};
use crate::driver::SimDriver;
use crate::pcap::{PcapWriter, LINKTYPE_ETHERNET, LINKTYPE_FDDI, LINKTYPE_TOKEN_RING};
use crate::rng::SplitMix64;

#[derive(Debug)]
enum Item {
    Deliver {
        from: Sender,
        to: Receiver,
        frame: Rc<[u8]>,
        /// Its index in `captured`.
        capture: usize,
    },
    Act(Action),
    Boot(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Receiver {
    Host(usize),
    Client(usize),
    /// A router's interface: (router, interface).
    Router(usize, usize),
}

#[derive(Debug)]
struct Queued {
    at: Instant,
    seq: u64,
    item: Item,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Queued) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Queued) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    fn cmp(&self, other: &Queued) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// The simulated LAN.
#[derive(Debug)]
pub struct Lan {
    now: Instant,
    seq: u64,
    queue: BinaryHeap<Reverse<Queued>>,
    rng: SplitMix64,
    link: LinkParams,
    hosts: Vec<SimHost>,
    clients: Vec<Client>,
    routers: Vec<Router>,
    captured: Vec<Captured>,
    received: Vec<Received>,
    records: Vec<Record>,
    boots: u64,
    anomalies: Vec<String>,
    fates: BTreeMap<(usize, usize, u64), Vec<Duration>>,
    adverts_sent: Vec<u64>,
}

impl Lan {
    /// An empty segment at time zero.
    pub fn new(seed: u64, link: LinkParams) -> Lan {
        Lan {
            now: Instant::ZERO,
            seq: 0,
            queue: BinaryHeap::new(),
            rng: SplitMix64::new(seed),
            link,
            hosts: Vec::new(),
            clients: Vec::new(),
            routers: Vec::new(),
            captured: Vec::new(),
            received: Vec::new(),
            records: Vec::new(),
            boots: 0,
            anomalies: Vec::new(),
            fates: BTreeMap::new(),
            adverts_sent: Vec::new(),
        }
    }

    /// Fixes what happens to one copy of one advert (see [`Fate`]) instead
    /// of drawing it from the link's loss, jitter and duplication.
    pub fn set_fate(&mut self, fate: Fate) {
        self.fates
            .insert((fate.from, fate.to, fate.advert), fate.delays);
    }

    /// Adds a host that boots at `spec.start`; returns its index.
    ///
    /// # Errors
    /// The knob its sysctl refused.
    pub fn add_host(&mut self, spec: HostSpec) -> Result<usize, String> {
        let (engine, parent) = host::new_engine(&spec, true, 0)?;
        let index = self.hosts.len();
        let start = spec.start;
        self.adverts_sent.push(0);
        self.hosts.push(SimHost {
            engine,
            parent,
            nic: SimDriver::new(),
            spec,
            alive: false,
            booted: false,
            link_up: true,
            boots: 0,
            frames_sent: 0,
            retired: Stats::new(),
            group: 0,
            not_before: Instant::ZERO,
            backup_since: BTreeMap::new(),
        });
        self.push(start, Item::Boot(index));
        Ok(index)
    }

    /// Adds a client (a plain IPv4 host that sends ARP requests); returns
    /// its index.
    pub fn add_client(&mut self, spec: ClientSpec) -> usize {
        self.clients.push(Client::new(spec));
        self.clients.len() - 1
    }

    /// Schedules `action` at `at` (after everything already queued for `at`).
    pub fn schedule(&mut self, at: Instant, action: Action) {
        self.push(at, Item::Act(action));
    }

    /// The attacker puts `frame` on the segment at `at`: every host that is
    /// alive with its link up receives it then, before any timer due at
    /// `at`, with no loss or delay. It is captured like any frame.
    pub fn inject(&mut self, at: Instant, frame: Vec<u8>) {
        self.schedule(at, Action::Inject(None, frame));
    }

    /// As [`Lan::inject`], to one host only.
    pub fn inject_to(&mut self, at: Instant, host: usize, frame: Vec<u8>) {
        self.schedule(at, Action::Inject(Some(host), frame));
    }

    /// The attacker re-sends `captured()[index]` at `at`.
    pub fn replay(&mut self, at: Instant, index: usize) {
        self.schedule(at, Action::Replay(index));
    }

    /// Runs until the virtual clock reaches `end` (things due at `end`
    /// included).
    pub fn run_until(&mut self, end: Instant) {
        while self.step(end) {}
        if end > self.now {
            self.now = end;
        }
    }

    /// Does the next thing due at or before `end`; false when there is none.
    pub fn step(&mut self, end: Instant) -> bool {
        let queued = self.queue.peek().map(|Reverse(q)| q.at);
        let timer = self.next_timer();
        let at = match (queued, timer) {
            (Some(q), Some((t, _))) => q.min(t),
            (Some(q), None) => q,
            (None, Some((t, _))) => t,
            (None, None) => return false,
        };
        if at > end {
            return false;
        }
        self.now = at;
        if queued == Some(at) {
            if let Some(Reverse(q)) = self.queue.pop() {
                self.handle(q.item);
            }
        } else if let Some((_, host)) = timer {
            self.run_timer(host);
        }
        true
    }

    // ===== getters =====

    /// The virtual clock.
    pub fn now(&self) -> Instant {
        self.now
    }
    /// Every host, in the order added.
    pub fn hosts(&self) -> &[SimHost] {
        &self.hosts
    }
    /// Every client.
    pub fn clients(&self) -> &[Client] {
        &self.clients
    }
    /// The index of the host called `name`.
    pub fn host_index(&self, name: &str) -> Option<usize> {
        self.hosts.iter().position(|h| h.spec.name == name)
    }
    /// Every frame put on the segment, in order.
    pub fn captured(&self) -> &[Captured] {
        &self.captured
    }
    /// Every frame handed to a host's input, in order: alive, link up,
    /// reachable from the sender (duplicates twice, losses never).
    pub fn received(&self) -> &[Received] {
        &self.received
    }
    /// The timeline.
    pub fn records(&self) -> &[Record] {
        &self.records
    }
    /// The current loss, delay, jitter and duplication.
    pub fn link(&self) -> LinkParams {
        self.link
    }
    /// True when hosts `a` and `b` are in the same partition group.
    pub fn connected(&self, a: usize, b: usize) -> bool {
        let group = |i: usize| self.hosts.get(i).map(|h| h.group);
        group(a).is_some() && group(a) == group(b)
    }
    /// Things that should never happen (a timer that did not move after it
    /// ran); empty in a sound run.
    pub fn anomalies(&self) -> &[String] {
        &self.anomalies
    }
    /// Every vhid configured on any host, ascending.
    pub fn vhids(&self) -> Vec<u8> {
        let mut v: Vec<u8> = self
            .hosts
            .iter()
            .flat_map(|h| h.spec.vhosts.iter().map(|c| c.vhid.get()))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
    /// The hosts that are MASTER of `vhid` now.
    pub fn masters(&self, vhid: u8) -> Vec<usize> {
        (0..self.hosts.len())
            .filter(|i| self.hosts.get(*i).map(|h| h.state(vhid)) == Some(State::Master))
            .collect()
    }

    /// Writes every captured frame to a classic pcap, with the link type
    /// of the first host (all hosts of one segment share it) and the
    /// virtual clock as timestamps.
    ///
    /// # Errors
    /// Any error of `out`.
    pub fn write_pcap<W: Write>(&self, out: W) -> io::Result<()> {
        let linktype = match self.hosts.first().map(|h| h.spec.link) {
            Some(LinkType::Fddi) => LINKTYPE_FDDI,
            Some(LinkType::TokenRing) => LINKTYPE_TOKEN_RING,
            _ => LINKTYPE_ETHERNET,
        };
        let mut w = PcapWriter::new(out, linktype)?;
        for c in &self.captured {
            w.write_frame(c.at.micros(), &c.frame)?;
        }
        w.flush()
    }

    // ===== the loop =====

    fn push(&mut self, at: Instant, item: Item) {
        self.seq += 1;
        self.queue.push(Reverse(Queued {
            at,
            seq: self.seq,
            item,
        }));
    }

    /// The earliest host deadline, lowest host index first on ties.
    fn next_timer(&self) -> Option<(Instant, usize)> {
        self.hosts
            .iter()
            .enumerate()
            .filter(|(_, h)| h.alive)
            .filter_map(|(i, h)| h.engine.poll_timeout().map(|d| (d.max(h.not_before), i)))
            .min()
    }

    fn run_timer(&mut self, i: usize) {
        let now = self.now;
        let Some(h) = self.hosts.get_mut(i) else {
            return;
        };
        h.poll(now);
        if h.engine.poll_timeout().is_some_and(|d| d <= now) {
            h.not_before = Instant::from_micros(now.micros() + 1);
            self.anomalies
                .push(format!("{now}: host {i} timer did not move after it ran"));
        }
        self.drain(i);
    }

    fn handle(&mut self, item: Item) {
        match item {
            Item::Deliver {
                from,
                to,
                frame,
                capture,
            } => self.deliver(from, to, &frame, capture),
            Item::Boot(i) => self.boot(i),
            Item::Act(action) => self.act(action),
        }
    }

    fn deliver(&mut self, from: Sender, to: Receiver, frame: &[u8], capture: usize) {
        let now = self.now;
        let reachable = |lan: &Lan, i: usize| match from {
            Sender::Host(s) => lan.connected(s, i),
            Sender::Client(_) | Sender::Attacker | Sender::Router(_) => true,
        };
        match to {
            Receiver::Host(i) => {
                if !reachable(self, i) {
                    return;
                }
                if !self.hosts.get(i).is_some_and(|h| h.alive && h.link_up) {
                    return;
                }
                let records_before = self.records.len();
                self.received.push(Received {
                    at: now,
                    host: i,
                    capture,
                    records_before,
                });
                let Some(h) = self.hosts.get_mut(i) else {
                    return;
                };
                // Rejections are counted by the host; the timeline shows
                // only what they change (nothing).
                let _ = h.engine.input(now, h.parent, frame);
                h.poll(now);
                self.drain(i);
            }
            Receiver::Router(r, at) => self.route(r, at, frame),
            Receiver::Client(c) => {
                let Sender::Host(host) = from else {
                    return;
                };
                let link = self
                    .hosts
                    .first()
                    .map_or(LinkType::Ethernet, |h| h.spec.link);
                let vhid_of = |mac: MacAddr| {
                    self.hosts.get(host).and_then(|h| {
                        h.spec
                            .vhosts
                            .iter()
                            .map(|v| v.vhid.get())
                            .find(|v| h.spec.link.virtual_mac(*v) == mac)
                    })
                };
                let answer = self
                    .clients
                    .get(c)
                    .and_then(|cl| cl.answer_in(link, frame))
                    .map(|mac| vhid_of(mac).unwrap_or(0));
                if let Some(vhid) = answer {
                    if let Some(cl) = self.clients.get_mut(c) {
                        cl.count_answer(host, vhid);
                    }
                    self.records.push(Record {
                        at: now,
                        host: Some(host),
                        kind: RecordKind::ArpAnswer { client: c, vhid },
                    });
                }
            }
        }
    }

    /// Puts one frame on the sender's segment (see [`route`]): capture it,
    /// then schedule a copy for every other host, client and router
    /// interface there, with loss, delay and duplication.
    fn transmit(&mut self, from: Sender, frame: Vec<u8>) {
        let segment = self.segment_of(from);
        self.transmit_on(from, segment, frame);
    }

    /// As [`Lan::transmit`] on `segment` (`None`: every segment).
    fn transmit_on(&mut self, from: Sender, segment: Option<usize>, frame: Vec<u8>) {
        let now = self.now;
        let frame: Rc<[u8]> = Rc::from(frame);
        let capture = self.captured.len();
        self.captured.push(Captured {
            at: now,
            from,
            frame: frame.to_vec(),
        });
        let on = |s: usize| segment.is_none_or(|seg| seg == s);
        let routers = self.routers.iter().enumerate().flat_map(|(r, x)| {
            x.spec()
                .interfaces
                .iter()
                .enumerate()
                .filter(move |(_, i)| from != Sender::Router(r) && on(i.segment))
                .map(move |(at, _)| Receiver::Router(r, at))
        });
        let receivers: Vec<Receiver> = (0..self.hosts.len())
            .filter(|i| from != Sender::Host(*i))
            .filter(|i| self.hosts.get(*i).is_some_and(|h| on(h.spec.segment)))
            .map(Receiver::Host)
            .chain(
                (0..self.clients.len())
                    .filter(|c| from != Sender::Client(*c))
                    .map(Receiver::Client),
            )
            .chain(routers)
            .collect();
        let link = self.link;
        let advert = self.count_advert(from, &frame);
        for to in receivers {
            if let (Some(n), Sender::Host(i), Receiver::Host(j)) = (advert, from, to) {
                if let Some(delays) = self.fates.get(&(i, j, n)).cloned() {
                    for d in delays {
                        let item = Item::Deliver {
                            from,
                            to,
                            frame: Rc::clone(&frame),
                            capture,
                        };
                        self.push(now + d, item);
                    }
                    continue;
                }
            }
            if self.rng.chance_ppm(link.loss_ppm) {
                continue;
            }
            let copies = if self.rng.chance_ppm(link.duplicate_ppm) {
                2
            } else {
                1
            };
            for _ in 0..copies {
                let jitter = self.rng.up_to(link.jitter.micros());
                let at = now + link.delay + Duration::from_micros(jitter);
                let item = Item::Deliver {
                    from,
                    to,
                    frame: Rc::clone(&frame),
                    capture,
                };
                self.push(at, item);
            }
        }
    }

    /// For a CARP frame sent by a host: its number among that host's
    /// adverts (1 for the first).
    fn count_advert(&mut self, from: Sender, bytes: &[u8]) -> Option<u64> {
        let Sender::Host(i) = from else {
            return None;
        };
        let link = self.hosts.get(i)?.spec.link;
        let is_carp = match frame::parse(link, bytes).ok()?.body {
            Body::Ipv4 { header, .. } => header.protocol == PROTO,
            Body::Ipv6 { header, .. } => header.next_header == PROTO,
            _ => false,
        };
        let count = self.adverts_sent.get_mut(i)?;
        if !is_carp {
            return None;
        }
        *count += 1;
        Some(*count)
    }

    /// Sends what host `i` queued and records its events.
    fn drain(&mut self, i: usize) {
        let Some(h) = self.hosts.get_mut(i) else {
            return;
        };
        let sent = h.nic.take_sent();
        let ip = h.nic.take_sent_ip();
        let mut events = Vec::new();
        while let Some((_, e)) = h.engine.poll_event() {
            events.push(e);
        }
        let routed = self.frame_ip_packets(i, ip);
        if let Some(h) = self.hosts.get_mut(i) {
            h.frames_sent += (sent.len() + routed.len()) as u64;
        }
        for frame in sent.into_iter().chain(routed) {
            self.transmit(Sender::Host(i), frame);
        }
        for e in events {
            let kind = match e.kind {
                EventKind::StateChange { from, to, reason } => {
                    let takeover = self.takeover(i, e.vhid, e.at, to, reason.name());
                    if let Some(h) = self.hosts.get_mut(i) {
                        if to == State::Backup {
                            let tie = matches!(reason, Reason::TieLost | Reason::TieDisputed);
                            h.backup_since.insert(e.vhid, (e.at, tie));
                        }
                    }
                    RecordKind::Transition {
                        vhid: e.vhid,
                        from,
                        to,
                        reason: reason.name(),
                        takeover,
                    }
                }
                EventKind::Replay {
                    src,
                    counter,
                    last,
                    dropped,
                } => RecordKind::Replay {
                    vhid: e.vhid,
                    src,
                    counter,
                    last,
                    dropped,
                },
                EventKind::Demote { reason, delta } => RecordKind::Demote {
                    vhid: e.vhid,
                    reason,
                    delta,
                },
                _ => continue,
            };
            self.records.push(Record {
                at: e.at,
                host: Some(i),
                kind,
            });
        }
    }

    /// For a master-down takeover: the delay since the master-down timer
    /// last started (the last accepted advert, becoming BACKUP, or a
    /// reconfiguration, whichever is latest).
    fn takeover(
        &self,
        i: usize,
        vhid: u8,
        at: Instant,
        to: State,
        reason: &str,
    ) -> Option<Takeover> {
        if to != State::Master || reason != "master-down" {
            return None;
        }
        let h = self.hosts.get(i)?;
        let v = h.cif().vhost(vhid)?;
        let heard = v.last_heard();
        let (since, tie) = h
            .backup_since
            .get(&vhid)
            .map_or((None, false), |(t, tie)| (Some(*t), *tie));
        let (reference, from_advert) = match (heard, since) {
            (Some(a), Some(b)) if a >= b => (a, true),
            (_, Some(b)) => (b, false),
            (Some(a), None) => (a, true),
            (None, None) => return None,
        };
        let config = v.config();
        let timing = config.timing();
        let dead_ratio = config.dead_ratio.get();
        // A vhost that yielded a tie waits one skew unit more the first time.
        let margin = if tie && since == Some(reference) {
            TIE_YIELD_MARGIN
        } else {
            Duration::ZERO
        };
        let vrrp = config
            .is_vrrp()
            .then(|| (config.vrrp.priority.get(), v.master_interval()));
        let expected = match vrrp {
            Some((priority, interval)) => {
                carp_core::vhost::personality::master_down_interval(priority, interval)
            }
            None => timing.master_down_interval(dead_ratio) + margin,
        };
        Some(Takeover {
            reference,
            from_advert,
            delay: at - reference,
            expected,
            advbase: timing.advbase,
            advskew: timing.advskew,
            dead_ratio,
            vrrp,
        })
    }

    fn record(&mut self, host: Option<usize>, kind: RecordKind) {
        self.records.push(Record {
            at: self.now,
            host,
            kind,
        });
    }
}
