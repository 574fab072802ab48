//! Applying scheduled faults and commands: boot, crash, links, admin
//! state, reconfiguration, sysctls, partitions, the attacker and clients.

use std::rc::Rc;

use carp_core::State;
use carp_ifnet::lladdr::LinkType;

use super::host::{self, PARENT};
use super::{Action, Captured, Item, Lan, Receiver, Record, RecordKind, Sender, SimHost};
use crate::driver::SimDriver;
use carp_ctl::CarpReq;

impl Lan {
    pub(super) fn boot(&mut self, i: usize) {
        let now = self.now;
        self.boots += 1;
        let boots = self.boots;
        // A boot epoch in the top 32 bits (the boot count stands in for
        // the boot time in seconds): every boot's counters start above any
        // counter sent before it, so replay checks survive restarts.
        let seed_base = boots << 32;
        let Some(h) = self.hosts.get(i) else {
            return;
        };
        // One draw per vhid, as the run's random stream has always had it.
        let mut low = 0u64;
        for _ in &h.spec.vhosts {
            low ^= self.rng.next_u64() >> 32;
        }
        let Some(h) = self.hosts.get_mut(i) else {
            return;
        };
        if h.booted {
            let old = h.current_counters();
            h.retired.merge(&old);
        }
        let (engine, parent) = match host::new_engine(&h.spec, h.link_up, seed_base | low) {
            Ok(e) => e,
            Err(e) => {
                self.record(Some(i), RecordKind::Refused(e));
                return;
            }
        };
        h.nic = SimDriver::new();
        h.nic.set_up(h.link_up);
        h.engine = engine;
        h.parent = parent;
        h.alive = true;
        h.booted = true;
        h.boots += 1;
        h.not_before = now;
        h.backup_since.clear();
        let mut refused = Vec::new();
        for config in h.spec.vhosts.clone() {
            let vhid = config.vhid.get();
            let req = CarpReq::from_config(&config, State::Init, None);
            if let Err(e) = h.engine.set_carpreq(now, PARENT, &req) {
                refused.push(format!("vhid {vhid}: {e}"));
            }
        }
        h.poll(now);
        for r in refused {
            self.record(Some(i), RecordKind::Refused(r));
        }
        self.drain(i);
    }

    fn crash(&mut self, i: usize) {
        let now = self.now;
        let Some(h) = self.hosts.get_mut(i) else {
            return;
        };
        if !h.alive {
            return;
        }
        h.alive = false;
        let down: Vec<(u8, State)> = h
            .cif()
            .vhosts()
            .filter(|v| v.state() != State::Init)
            .map(|v| (v.vhid().get(), v.state()))
            .collect();
        for (vhid, from) in down {
            self.records.push(Record {
                at: now,
                host: Some(i),
                kind: RecordKind::Transition {
                    vhid,
                    from,
                    to: State::Init,
                    reason: "crash",
                    takeover: None,
                },
            });
        }
    }

    pub(super) fn act(&mut self, action: Action) {
        let now = self.now;
        let name = |lan: &Lan, i: usize| {
            lan.hosts
                .get(i)
                .map_or_else(|| format!("#{i}"), |h| h.spec.name.clone())
        };
        match action {
            Action::Crash(i) => {
                self.record(Some(i), RecordKind::Fault("crash".into()));
                self.crash(i);
            }
            Action::Restart(i) => {
                self.record(Some(i), RecordKind::Fault("restart".into()));
                self.crash(i);
                self.boot(i);
            }
            Action::LinkDown(i) | Action::LinkUp(i) => {
                let up = matches!(action, Action::LinkUp(_));
                let what = if up { "link-up" } else { "link-down" };
                self.record(Some(i), RecordKind::Fault(what.into()));
                if let Some(h) = self.hosts.get_mut(i) {
                    h.link_up = up;
                    h.nic.set_up(up);
                    if h.alive {
                        h.engine.set_link(now, h.parent, up);
                        h.poll(now);
                    }
                }
                self.drain(i);
            }
            Action::AdminDown(i, vhid) | Action::AdminUp(i, vhid) => {
                let up = matches!(action, Action::AdminUp(..));
                let what = match (up, vhid) {
                    (true, None) => "admin-up".to_owned(),
                    (false, None) => "admin-down".to_owned(),
                    (true, Some(v)) => format!("admin-up vhid {v}"),
                    (false, Some(v)) => format!("admin-down vhid {v}"),
                };
                self.record(Some(i), RecordKind::Fault(what));
                self.on_live_host(i, |h| {
                    let vhids: Vec<u8> = match vhid {
                        Some(v) => vec![v],
                        None => h.spec.vhosts.iter().map(|c| c.vhid.get()).collect(),
                    };
                    let mut errors = Vec::new();
                    for v in vhids {
                        if let Err(e) = h.engine.set_admin(now, PARENT, Some(v), up) {
                            errors.push(e.to_string());
                        }
                    }
                    errors
                });
            }
            Action::ForceState(i, vhid, state) => {
                self.record(
                    Some(i),
                    RecordKind::Fault(format!("state {} vhid {vhid}", state.name())),
                );
                self.on_live_host(i, |h| {
                    let result = h.engine.force_state(now, PARENT, Some(vhid), state);
                    if result.is_ok() && state == State::Backup {
                        // BACKUP -> BACKUP reports no event but restarts
                        // master-down.
                        h.backup_since.insert(vhid, (now, false));
                    }
                    result.err().map(|e| e.to_string()).into_iter().collect()
                });
            }
            Action::Reconfigure(i, config) => {
                let vhid = config.vhid.get();
                let t = config.timing();
                self.record(
                    Some(i),
                    RecordKind::Fault(format!(
                        "reconfigure vhid {vhid} advbase {} advskew {}",
                        t.advbase, t.advskew
                    )),
                );
                if let Some(h) = self.hosts.get_mut(i) {
                    if let Some(slot) = h.spec.vhosts.iter_mut().find(|c| c.vhid == config.vhid) {
                        *slot = config.clone();
                    }
                }
                self.on_live_host(i, |h| {
                    let req = CarpReq::from_config(&config, State::Init, None);
                    let before = h.cif().vhost(vhid).map(|v| v.config().clone());
                    let result = h.engine.set_carpreq(now, PARENT, &req);
                    let vhost = h.cif().vhost(vhid);
                    let changed = vhost.map(|v| v.config().clone()) != before;
                    if changed && vhost.is_some_and(|v| v.state() == State::Backup) {
                        // reconfigure restarts master-down; the engine
                        // leaves a vhid it would not change as it is.
                        h.backup_since.insert(vhid, (now, false));
                    }
                    result.err().map(|e| e.to_string()).into_iter().collect()
                });
            }
            Action::Sysctl(host, knob, value) => {
                let targets: Vec<usize> = match host {
                    Some(i) => vec![i],
                    None => (0..self.hosts.len()).collect(),
                };
                for i in targets {
                    self.record(Some(i), RecordKind::Fault(format!("sysctl {knob}={value}")));
                    let Some(h) = self.hosts.get_mut(i) else {
                        continue;
                    };
                    h.spec.knobs.extra.push((knob.clone(), value));
                    let refused = h.engine.sysctl_line(now, &format!("{knob}={value}")).err();
                    if h.alive {
                        // A demoted master advertises at once (poll runs
                        // CarpIf::sync_policy first).
                        h.poll(now);
                    }
                    if let Some(e) = refused {
                        self.record(Some(i), RecordKind::Refused(format!("{knob}: {e}")));
                    }
                    self.drain(i);
                }
            }
            Action::Partition(groups) => {
                let text: Vec<String> = groups
                    .iter()
                    .map(|g| {
                        let names: Vec<String> = g.iter().map(|i| name(self, *i)).collect();
                        format!("[{}]", names.join(" "))
                    })
                    .collect();
                self.record(
                    None,
                    RecordKind::Fault(format!("partition {}", text.join(" "))),
                );
                for h in &mut self.hosts {
                    h.group = 0;
                }
                for (n, group) in groups.iter().enumerate() {
                    for i in group {
                        if let Some(h) = self.hosts.get_mut(*i) {
                            h.group = n + 1;
                        }
                    }
                }
            }
            Action::Heal => {
                self.record(None, RecordKind::Fault("heal".into()));
                for h in &mut self.hosts {
                    h.group = 0;
                }
            }
            Action::SetLink(params) => {
                self.record(
                    None,
                    RecordKind::Fault(format!(
                        "link loss {} ppm delay {} jitter {} duplicate {} ppm",
                        params.loss_ppm, params.delay, params.jitter, params.duplicate_ppm
                    )),
                );
                self.link = params;
            }
            Action::Arp(c, target) => {
                let link = self
                    .hosts
                    .first()
                    .map_or(LinkType::Ethernet, |h| h.spec.link);
                let Some(frame) = self
                    .clients
                    .get_mut(c)
                    .and_then(|cl| cl.request(link, target))
                else {
                    return;
                };
                self.record(None, RecordKind::ArpRequest { client: c, target });
                self.transmit(Sender::Client(c), frame);
            }
            Action::Inject(to, frame) => {
                let capture = self.captured.len();
                self.captured.push(Captured {
                    at: now,
                    from: Sender::Attacker,
                    frame: frame.clone(),
                });
                let frame: Rc<[u8]> = Rc::from(frame);
                let targets: Vec<usize> = match to {
                    Some(i) => vec![i],
                    None => (0..self.hosts.len()).collect(),
                };
                for i in targets {
                    let item = Item::Deliver {
                        from: Sender::Attacker,
                        to: Receiver::Host(i),
                        frame: Rc::clone(&frame),
                        capture,
                    };
                    self.push(now, item);
                }
            }
            Action::Replay(n) => {
                if let Some(c) = self.captured.get(n) {
                    let frame = c.frame.clone();
                    self.act(Action::Inject(None, frame));
                }
            }
        }
    }

    /// Runs `f` on host `i` if it is alive, records what it refused, and
    /// sends what it queued.
    fn on_live_host(&mut self, i: usize, f: impl FnOnce(&mut SimHost) -> Vec<String>) {
        let now = self.now;
        let errors = match self.hosts.get_mut(i) {
            Some(h) if h.alive => {
                let errors = f(h);
                h.poll(now);
                errors
            }
            _ => return,
        };
        for e in errors {
            self.record(Some(i), RecordKind::Refused(e));
        }
        self.drain(i);
    }
}
