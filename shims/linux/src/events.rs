//! What the engine reports, told to the outside world: one JSON line per
//! event (`docs/events.md`, through [`crate::event_sink`]), the
//! ucarp-style up/down scripts ([`crate::scripts`]),
//! and a line on stderr for what an operator must see (a sender's counter
//! class, a parent that sends IPv4 adverts from 0.0.0.0).
//!
//! A control socket or a logger can take the same [`Reported`] items: the
//! reporter only formats and queues, it never blocks the data path.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::PathBuf;

use carp_core::{Event, EventKind, State};
use carp_ctl::ParentId;

use crate::engine::HostEngine;
use crate::event_sink::{event_text, EventSink};
use crate::links::Links;
use crate::scripts::{script_args, ScriptRun, ScriptRunner};

/// The scripts to run and how (ucarp's flags).
#[derive(Debug, Clone, Default)]
pub struct Scripts {
    /// `-u`: run on becoming MASTER.
    pub up: Option<PathBuf>,
    /// `-d`: run on leaving MASTER (and at start in BACKUP unless
    /// `neutral`).
    pub down: Option<PathBuf>,
    /// `-x`: appended to the arguments.
    pub xparam: Option<String>,
    /// `-n`: no down script when first entering BACKUP.
    pub neutral: bool,
    /// `-z`: the down script at exit.
    pub at_exit: bool,
}

/// What one drain saw, for the daemon to act on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reported {
    /// Events handled.
    pub events: usize,
    /// Some vhid changed state.
    pub state_changed: bool,
    /// The reason of the last state change (`master-down`...).
    pub reason: Option<&'static str>,
}

/// Turns engine events into lines and script runs.
#[derive(Debug)]
pub struct Reporter {
    events: EventSink,
    scripts: ScriptRunner,
    run: Scripts,
    debug: bool,
    /// Vhids that reached BACKUP or MASTER once (for `neutral`).
    started: BTreeSet<(ParentId, u8)>,
    /// The last known addresses of every vhid, for the down script of a
    /// vhid that is already gone when its last event is read.
    known: BTreeMap<(ParentId, u8), Vec<IpAddr>>,
    /// The parents' names as last known.
    names: BTreeMap<ParentId, String>,
    /// Parents reported as sending IPv4 adverts from 0.0.0.0.
    unspecified: BTreeSet<ParentId>,
    /// True while leaving: no down script on the way out unless `at_exit`.
    pub leaving: bool,
    /// Vhids whose state changed since [`Reporter::take_touched`].
    touched: BTreeSet<(ParentId, u8)>,
}

impl Reporter {
    /// A reporter writing through `events` and running through `scripts`.
    pub fn new(events: EventSink, scripts: ScriptRunner, run: Scripts, debug: bool) -> Reporter {
        Reporter {
            events,
            scripts,
            run,
            debug,
            started: BTreeSet::new(),
            known: BTreeMap::new(),
            names: BTreeMap::new(),
            unspecified: BTreeSet::new(),
            leaving: false,
            touched: BTreeSet::new(),
        }
    }

    /// Handles every queued event of the engine, in order.
    pub fn drain(&mut self, engine: &mut HostEngine, links: &Links) -> Reported {
        let mut seen = Reported::default();
        while let Some((parent, event)) = engine.poll_event() {
            seen.events += 1;
            let name = links
                .get(parent)
                .map(|l| l.name.clone())
                .or_else(|| self.names.get(&parent).cloned())
                .unwrap_or_default();
            let carp = engine
                .name_of(parent, event.vhid)
                .map(|n| n.as_str().to_owned());
            if let Some(line) = event_text(&name, carp.as_deref(), &event) {
                if self.debug {
                    log::debug!(target: "carpd", "{line}");
                }
                self.events.send(line);
            }
            // Other kinds (a sender's counter class...) are logged by the
            // library (carp-ifnet's LogEvent) and are in the line above.
            if let EventKind::StateChange { from, to, reason } = event.kind {
                seen.state_changed = true;
                seen.reason = Some(reason.name());
                self.touched.insert((parent, event.vhid));
                self.state_changed(engine, parent, &name, &event, from, to);
            }
        }
        seen
    }

    fn state_changed(
        &mut self,
        engine: &HostEngine,
        parent: ParentId,
        name: &str,
        event: &Event,
        from: State,
        to: State,
    ) {
        let key = (parent, event.vhid);
        let addrs = engine
            .parent(parent)
            .and_then(|p| p.carpif().vhost(event.vhid))
            .map(|h| h.config().addresses().to_vec())
            .or_else(|| self.known.get(&key).cloned())
            .unwrap_or_default();
        if to == State::Master {
            self.scripts_for(name, &addrs, true);
        } else if from == State::Master {
            if !self.leaving || self.run.at_exit {
                self.scripts_for(name, &addrs, false);
            }
        } else if to == State::Backup && !self.started.contains(&key) && !self.run.neutral {
            self.scripts_for(name, &addrs, false);
        }
        if to != State::Init {
            self.started.insert(key);
        }
    }

    /// Runs the up or down script once per address, in order.
    pub fn scripts_for(&self, interface: &str, addrs: &[IpAddr], up: bool) {
        let script = if up { &self.run.up } else { &self.run.down };
        let Some(program) = script else {
            return;
        };
        for addr in addrs {
            self.scripts.send(ScriptRun {
                program: program.clone(),
                args: script_args(interface, *addr, self.run.xparam.as_deref()),
            });
        }
    }

    /// Remembers every vhid's addresses and every parent's name (call
    /// after each drain), and reports each parent that starts or stops
    /// sending IPv4 adverts from 0.0.0.0.
    pub fn remember(&mut self, engine: &HostEngine, links: &Links) {
        self.known.clear();
        for p in engine.parents() {
            for h in p.carpif().vhosts() {
                self.known
                    .insert((p.id(), h.vhid().get()), h.config().addresses().to_vec());
            }
            let v4_vhids = p
                .carpif()
                .vhosts()
                .any(|h| h.config().addresses().iter().any(IpAddr::is_ipv4));
            let from_zero = v4_vhids && p.carpif().parent().ipv4.is_none();
            if from_zero && self.unspecified.insert(p.id()) {
                log::info!(target: "carpd",
                    "{}: no IPv4 address: IPv4 adverts go out from 0.0.0.0, as \
                     NetBSD's; --srcip {}=ADDR chooses a source",
                    p.name(),
                    p.name()
                );
            } else if !from_zero && self.unspecified.remove(&p.id()) {
                log::info!(target: "carpd",
                    "{}: IPv4 adverts from {}",
                    p.name(),
                    p.carpif()
                        .parent()
                        .ipv4
                        .map_or_else(|| "nowhere".to_owned(), |a| a.to_string())
                );
            }
        }
        for l in links.iter() {
            self.names.insert(l.id, l.name.clone());
        }
    }

    /// The addresses last known for `(parent, vhid)`.
    pub fn known_addresses(&self, parent: ParentId, vhid: u8) -> Vec<IpAddr> {
        self.known.get(&(parent, vhid)).cloned().unwrap_or_default()
    }

    /// Queues a host-wide line (`demotion`, `daemon`, `refused`).
    pub fn send_line(&self, line: String) {
        self.events.send(line);
    }

    /// The vhids whose state changed since the last call.
    pub fn take_touched(&mut self) -> BTreeSet<(ParentId, u8)> {
        std::mem::take(&mut self.touched)
    }

    /// Waits until every script has run and every line is written, but
    /// not past `deadline`; true when all was done in time.
    pub fn finish(&mut self, deadline: std::time::Instant) -> bool {
        let scripts = self.scripts.finish(deadline);
        let events = self.events.finish(deadline);
        scripts && events
    }
}
