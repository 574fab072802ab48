//! Two or three carp hosts on an in-memory Ethernet, driven by a sequence of
//! operations: deliveries (to some or all of the others), time, timer
//! ticks, link flaps, admin down/up, advskew changes, forced states,
//! demotion, send failures, forged and replayed frames.
//!
//! Checked after every step: no panic; demotion never negative (and the
//! link-down and send-error contributions never below zero); after
//! `handle_timeout` no deadline is in the past; a vhid in INIT sends
//! nothing; what a host sends, its peers accept (never a bad checksum,
//! length, TTL, version or digest); a forged frame is refused and changes
//! nothing; a refused frame moves its counter; and after a fair period
//! (every host's link and every vhid up, no send failures, every frame
//! delivered at once, for longer than master-down and the election)
//! exactly one master per vhid, equal hosts included (the tie-break by
//! address).
//! `Settle { restore: false }` leaves links, admin state and forced states
//! as they are: then at most one.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use arbitrary::Arbitrary;
use carp_core::wire::{Advert, Packet, HEADER_LEN};
use carp_core::{DemoteReason, Duration, Instant, Reject, State, Vhid, VhostConfig};
use carp_fuzz::Mock;
use carp_ifnet::carpif::CarpIf;
use carp_ifnet::driver::TxError;
use carp_ifnet::frame::{emit_advert, parse, AdvertIp, MAX_FRAME_LEN};
use carp_ifnet::lladdr::LinkType;
use carp_sysctl::Sysctl;
use libfuzzer_sys::fuzz_target;

const VHIDS: [u8; 2] = [1, 2];
const LINK: LinkType = LinkType::Ethernet;
/// Longer than any master-down here (advbase 1, dead ratio 3, skew <= 254,
/// so under 4 s) plus the time to converge.
const SETTLE: Duration = Duration::from_secs(20);
const OUTBOX: usize = 256;
const HISTORY: usize = 64;
const MAX_OPS: usize = 128;

#[derive(Debug, Arbitrary)]
struct Scenario {
    three: bool,
    skews: [[u8; 2]; 3],
    preempt: bool,
    replay: u8,
    ops: Vec<Op>,
}

#[derive(Debug, Arbitrary)]
enum Op {
    Deliver { from: u8, mask: u8 },
    DropPending { from: u8 },
    Advance { ms: u16 },
    Tick { host: u8 },
    Link { host: u8, up: bool },
    Admin { host: u8, vhid: u8, up: bool },
    Skew { host: u8, vhid: u8, skew: u8 },
    Force { host: u8, vhid: u8, state: u8 },
    Forge { to: u8, forgery: Forgery },
    Replay { to: u8, index: u8 },
    Demote { host: u8, delta: i16 },
    SendFail { host: u8, fail: bool },
    Settle { restore: bool },
}

/// An advert signed with no key anyone has.
#[derive(Debug, Clone, Copy, Arbitrary)]
struct Forgery {
    vhid: u8,
    skew: u8,
    demote: u8,
    counter: u64,
    digest: u8,
    src: u8,
}

struct Host {
    cif: CarpIf,
    nic: Mock,
    sysctl: Sysctl,
    outbox: Vec<Vec<u8>>,
}

struct World {
    hosts: Vec<Host>,
    /// The advskew each host was configured with, per vhid (as `config`
    /// applies it), tracked here rather than read back from carp.
    skews: Vec<[u8; 2]>,
    now: Instant,
    history: Vec<(usize, Vec<u8>)>,
    /// Every frame sent since the last check, with its sender.
    sent_log: Vec<(usize, Vec<u8>)>,
}

impl Host {
    /// Sends what is owed and runs due timers, as an embedder does after
    /// every call.
    fn poll(&mut self, now: Instant) {
        self.cif.poll(now, &mut self.nic, &self.sysctl);
    }
}

fn config(vhid: u8, skew: u8) -> VhostConfig {
    let mut c = VhostConfig::new(Vhid::new(vhid).expect("vhid"))
        .with_advskew(skew % 255)
        .expect("skew")
        .with_passphrase(b"event-seq")
        .expect("pass");
    c.add_address(IpAddr::V4(Ipv4Addr::new(198, 51, 100, vhid)))
        .expect("v4");
    if vhid == 2 {
        c.add_address(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2)))
            .expect("v6");
    }
    c
}

/// The vhid whose virtual MAC sent `frame`, if any.
fn sender_vhid(frame: &[u8]) -> Option<u8> {
    let src = parse(LINK, frame).ok()?.src;
    VHIDS.into_iter().find(|v| LINK.virtual_mac(*v) == src)
}

fn states(w: &World) -> Vec<Vec<(u8, State)>> {
    w.hosts
        .iter()
        .map(|h| {
            h.cif
                .vhosts()
                .map(|v| (v.vhid().get(), v.state()))
                .collect()
        })
        .collect()
}

impl World {
    fn new(s: &Scenario) -> World {
        let n = if s.three { 3 } else { 2 };
        let hosts = (0..n)
            .map(|i| {
                let sysctl = Sysctl::new();
                sysctl
                    .set("preempt", i64::from(s.preempt))
                    .expect("preempt");
                sysctl
                    .set("replay", i64::from(s.replay % 3))
                    .expect("replay");
                let nic = Mock::on(LINK, 11 + i as u8);
                let mut cif = CarpIf::new(nic.parent(), nic.link_state());
                for (k, vhid) in VHIDS.iter().enumerate() {
                    let seed = ((i as u64 + 1) << 48) | ((k as u64) << 40);
                    cif.add_vhost(Instant::ZERO, config(*vhid, s.skews[i][k]), seed, &sysctl)
                        .expect("add");
                }
                let mut h = Host {
                    cif,
                    nic,
                    sysctl,
                    outbox: Vec::new(),
                };
                h.poll(Instant::ZERO);
                h
            })
            .collect();
        let mut w = World {
            hosts,
            skews: (0..n).map(|i| s.skews[i].map(|k| k % 255)).collect(),
            now: Instant::ZERO,
            history: Vec::new(),
            sent_log: Vec::new(),
        };
        w.collect();
        w.sent_log.clear();
        w
    }

    fn host(&self, i: u8) -> usize {
        usize::from(i) % self.hosts.len()
    }

    /// Moves what each driver sent into its outbox and the history.
    fn collect(&mut self) {
        for (i, h) in self.hosts.iter_mut().enumerate() {
            for f in std::mem::take(&mut h.nic.sent) {
                self.sent_log.push((i, f.clone()));
                if self.history.len() >= HISTORY {
                    self.history.remove(0);
                }
                self.history.push((i, f.clone()));
                if h.outbox.len() >= OUTBOX {
                    h.outbox.remove(0);
                }
                h.outbox.push(f);
            }
        }
    }

    fn timeout(&mut self, i: usize) {
        let now = self.now;
        let h = &mut self.hosts[i];
        h.poll(now);
        if let Some(d) = h.cif.poll_timeout() {
            assert!(
                d > now,
                "host {i}: deadline {d:?} not after {now:?} after poll"
            );
        }
    }

    /// One frame a peer really sent, to host `to`.
    fn deliver_real(&mut self, to: usize, frame: &[u8]) {
        let now = self.now;
        let h = &mut self.hosts[to];
        let before = h.cif.stats().clone();
        let r = h.cif.input(now, frame, &h.sysctl);
        h.poll(now);
        if let Err(e) = r {
            assert!(
                !matches!(
                    e,
                    Reject::BadAuth
                        | Reject::BadChecksum
                        | Reject::BadLength { .. }
                        | Reject::BadTtl(_)
                        | Reject::BadVersion(_)
                        | Reject::BadType(_)
                        | Reject::BadAuthLen(_)
                        | Reject::HeaderTruncated { .. }
                        | Reject::BadAddress
                ),
                "host {to} refused a peer's own frame: {e:?}"
            );
            assert_eq!(
                h.cif.stats().get(e.counter()),
                before.get(e.counter()) + 1,
                "{e:?} not counted"
            );
        }
    }

    /// A frame nobody should act on (or a replay): if refused, nothing moved.
    fn deliver_suspect(&mut self, to: usize, frame: &[u8], must_refuse: bool) {
        let now = self.now;
        let h = &mut self.hosts[to];
        // Whatever was owed before the frame goes out first, so that only
        // the frame's effect is compared.
        h.poll(now);
        let before_states = states(self);
        let h = &mut self.hosts[to];
        let deadline = h.cif.poll_timeout();
        let sent = h.nic.sent.len();
        let r = h.cif.input(now, frame, &h.sysctl);
        h.poll(now);
        if must_refuse {
            assert!(r.is_err(), "forged frame accepted: {r:?}");
        }
        if r.is_err() {
            let h = &self.hosts[to];
            assert_eq!(
                h.cif.poll_timeout(),
                deadline,
                "refused frame moved a deadline"
            );
            assert_eq!(h.nic.sent.len(), sent, "refused frame sent something");
            assert_eq!(states(self), before_states, "refused frame changed a state");
        }
    }

    fn deliver_outbox(&mut self, from: usize, mask: u8) {
        let frames = std::mem::take(&mut self.hosts[from].outbox);
        for f in frames {
            for to in 0..self.hosts.len() {
                if to != from && mask & (1 << to) != 0 {
                    self.deliver_real(to, &f);
                }
            }
        }
    }

    /// Runs every timer due up to `until`, at its own deadline.
    fn advance(&mut self, until: Instant) {
        loop {
            let next = self.hosts.iter().filter_map(|h| h.cif.poll_timeout()).min();
            match next {
                Some(d) if d <= until => {
                    self.now = self.now.max(d);
                    for i in 0..self.hosts.len() {
                        if self.hosts[i]
                            .cif
                            .poll_timeout()
                            .is_some_and(|d| d <= self.now)
                        {
                            self.timeout(i);
                        }
                    }
                }
                _ => break,
            }
        }
        self.now = self.now.max(until);
    }

    /// A fair, lossless wire for [`SETTLE`]: every frame reaches every other
    /// host the moment it is sent. With `restore`, every host's link and
    /// every vhid are brought up first (as an administrator would), so a
    /// master must emerge: exactly one per vhid. Without, at most one.
    fn settle(&mut self, restore: bool) {
        let now = self.now;
        for h in &mut self.hosts {
            h.nic.fail = None;
            if restore {
                h.nic.up = true;
                h.cif.set_link(now, true, &h.sysctl);
                for vhid in VHIDS {
                    h.cif
                        .set_admin(now, vhid, true, &h.sysctl)
                        .expect("vhid exists");
                }
                h.poll(now);
            }
        }
        for i in 0..self.hosts.len() {
            self.deliver_outbox(i, 0xff);
        }
        let end = self.now + SETTLE;
        loop {
            self.pump();
            let next = self.hosts.iter().filter_map(|h| h.cif.poll_timeout()).min();
            let Some(d) = next.filter(|d| *d <= end) else {
                break;
            };
            self.now = self.now.max(d);
            for i in 0..self.hosts.len() {
                if self.hosts[i]
                    .cif
                    .poll_timeout()
                    .is_some_and(|d| d <= self.now)
                {
                    self.timeout(i);
                    self.pump();
                }
            }
        }
        self.now = end;
        for vhid in VHIDS {
            let masters: Vec<usize> = (0..self.hosts.len())
                .filter(|i| {
                    self.hosts[*i].cif.vhost(vhid).map(|v| v.state()) == Some(State::Master)
                })
                .collect();
            if restore {
                // Equal hosts too: the tie-break by address (rule 1 of
                // docs/protocol-notes.md) ends the livelock this target
                // found when equal masters both yielded (fuzz/README.md).
                assert_eq!(
                    masters.len(),
                    1,
                    "vhid {vhid}: masters {masters:?} after a fair period with everything up; states {:?}, skews {:?}, demotion {:?}",
                    states(self),
                    self.skews,
                    self.hosts.iter().map(|h| h.sysctl.policy().demotion).collect::<Vec<_>>(),
                );
            } else {
                assert!(
                    masters.len() <= 1,
                    "vhid {vhid}: masters {masters:?} after a fair wire"
                );
            }
        }
    }

    /// Delivers everything sent so far to every other host, until quiet.
    fn pump(&mut self) {
        for _ in 0..1000 {
            self.collect();
            let mut any = false;
            for i in 0..self.hosts.len() {
                if !self.hosts[i].outbox.is_empty() {
                    any = true;
                    self.deliver_outbox(i, 0xff);
                }
            }
            if !any {
                return;
            }
        }
        panic!("the hosts never stop sending to each other");
    }

    fn forge(&mut self, to: usize, f: Forgery) {
        let vhid = VHIDS[usize::from(f.vhid) % 2];
        let advert = Advert {
            vhid,
            advskew: f.skew,
            demote: f.demote,
            advbase: 1,
            counter: f.counter,
            digest: [f.digest; 20],
        };
        let mut carp = [0u8; HEADER_LEN];
        advert
            .emit(&mut Packet::new_unchecked(&mut carp[..]))
            .expect("emit");
        let ip = AdvertIp::V4 {
            src: Ipv4Addr::new(192, 0, 2, 100 + f.src % 100),
            tos: 0x10,
            ident: 1,
        };
        let mut frame = [0u8; MAX_FRAME_LEN];
        let n = emit_advert(LINK, LINK.virtual_mac(vhid), ip, &carp, &mut frame).expect("frame");
        self.deliver_suspect(to, &frame[..n], true);
    }

    fn check(&self, before: &[Vec<(u8, State)>], sent: &[(usize, Vec<u8>)]) {
        let after = states(self);
        for (i, h) in self.hosts.iter().enumerate() {
            let d = h.sysctl.demotion();
            assert!(d.get(DemoteReason::LinkDown) >= 0, "host {i}: {d:?}");
            assert!(d.get(DemoteReason::SendErrors) >= 0, "host {i}: {d:?}");
            let read = h
                .sysctl
                .get("demotion")
                .expect("demotion")
                .as_int()
                .expect("int");
            assert!((0..=255).contains(&read));
            assert_eq!(i64::from(h.sysctl.policy().demotion), read);
            if !h.cif.is_link_up() {
                assert!(h.cif.vhosts().all(|v| v.state() == State::Init));
            }
        }
        for (i, frame) in sent {
            if let Some(vhid) = sender_vhid(frame) {
                // In INIT before and after: nothing took it out (a forced
                // MASTER may leave INIT and speak; a master going down may
                // bow out on its way in).
                let find = |s: &[(u8, State)]| s.iter().find(|(v, _)| *v == vhid).map(|(_, s)| *s);
                let (was, is) = (find(&before[*i]), find(&after[*i]));
                assert!(
                    !(was == Some(State::Init) && is == Some(State::Init)),
                    "host {i}: vhid {vhid} sent while in INIT"
                );
            }
        }
    }
}

fuzz_target!(|s: Scenario| {
    let mut w = World::new(&s);
    for op in s.ops.iter().take(MAX_OPS) {
        let before = states(&w);
        let now = w.now;
        match *op {
            Op::Deliver { from, mask } => {
                let from = w.host(from);
                w.deliver_outbox(from, mask);
            }
            Op::DropPending { from } => {
                let from = w.host(from);
                w.hosts[from].outbox.clear();
            }
            Op::Advance { ms } => w.advance(now + Duration::from_millis(u64::from(ms))),
            Op::Tick { host } => {
                let i = w.host(host);
                w.timeout(i);
            }
            Op::Link { host, up } => {
                let i = w.host(host);
                let h = &mut w.hosts[i];
                h.nic.up = up;
                h.cif.set_link(now, up, &h.sysctl);
                h.poll(now);
            }
            Op::Admin { host, vhid, up } => {
                let i = w.host(host);
                let h = &mut w.hosts[i];
                let vhid = VHIDS[usize::from(vhid) % 2];
                h.cif
                    .set_admin(now, vhid, up, &h.sysctl)
                    .expect("vhid exists");
                h.poll(now);
            }
            Op::Skew { host, vhid, skew } => {
                let i = w.host(host);
                let h = &mut w.hosts[i];
                let vhid = VHIDS[usize::from(vhid) % 2];
                h.cif
                    .reconfigure(now, config(vhid, skew), &h.sysctl)
                    .expect("reconfigure");
                h.poll(now);
                let k = usize::from(vhid == VHIDS[1]);
                w.skews[i][k] = skew % 255;
            }
            Op::Force { host, vhid, state } => {
                let i = w.host(host);
                let h = &mut w.hosts[i];
                let vhid = VHIDS[usize::from(vhid) % 2];
                let state = [State::Init, State::Backup, State::Master][usize::from(state) % 3];
                let runnable = h.cif.vhost(vhid).is_some_and(|v| v.is_runnable());
                let r = h.cif.force_state(now, vhid, state, &h.sysctl);
                h.poll(now);
                if state != State::Init && !runnable {
                    assert!(r.is_err(), "forced {state:?} on a vhid that cannot run");
                }
                if r.is_err() {
                    assert_eq!(states(&w), before, "a refused force changed a state");
                }
            }
            Op::Forge { to, forgery } => {
                let to = w.host(to);
                w.forge(to, forgery);
            }
            Op::Replay { to, index } => {
                if !w.history.is_empty() {
                    let to = w.host(to);
                    let (_, frame) = w.history[usize::from(index) % w.history.len()].clone();
                    w.deliver_suspect(to, &frame, false);
                }
            }
            Op::Demote { host, delta } => {
                let i = w.host(host);
                let _ = w.hosts[i].sysctl.set("demotion", i64::from(delta));
                // As every front end does after a sysctl write: the change
                // is acted on (an advert at once) at the next poll.
                w.hosts[i].poll(now);
            }
            Op::SendFail { host, fail } => {
                let i = w.host(host);
                w.hosts[i].nic.fail = fail.then_some(TxError::NoBuffers);
            }
            Op::Settle { restore } => w.settle(restore),
        }
        w.collect();
        let sent = std::mem::take(&mut w.sent_log);
        w.check(&before, &sent);
    }
    let before = states(&w);
    w.settle(true);
    w.collect();
    let sent = std::mem::take(&mut w.sent_log);
    w.check(&before, &sent);
});
