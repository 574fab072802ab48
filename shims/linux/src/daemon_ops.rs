//! What an operator does to a running carpd, on the daemon's thread: the
//! control requests (carpctl), a reload (SIGHUP or carpctl), ucarp's
//! SIGUSR2, the demotion, daemon and refusal events, and the scripts a
//! reload owes a master whose addresses changed.

use std::collections::BTreeMap;
use std::net::IpAddr;

use carp_core::{Instant, State, Stats};
use carp_ctl::{EventBody, ParentId};

use super::{host_text, now, Daemon, HostEngine};

/// How long a vhid SIGUSR2 stepped down stays out (ucarp's `sleep(3)`).
pub const STEP_DOWN_HOLD: carp_core::Duration = carp_core::Duration::from_secs(3);
use crate::advice;
use crate::config::parents_named;
use crate::control::handler::ControlHost;

impl ControlHost for Daemon {
    fn engine(&self) -> &HostEngine {
        &self.engine
    }

    fn engine_mut(&mut self) -> &mut HostEngine {
        &mut self.engine
    }

    fn now(&self) -> Instant {
        now()
    }

    fn after_write(&mut self, note: Option<&str>) {
        self.note = note.map(str::to_owned);
        self.after_control(now());
        self.note = None;
    }

    fn reload(&mut self) -> Result<String, String> {
        Daemon::reload(self)
    }

    /// The host's counters, with what each parent's kernel filter dropped
    /// counted as the library would have.
    fn stats(&self) -> Stats {
        let mut stats = self.engine.sysctl().stats();
        for link in self.links.iter() {
            stats.merge(&link.driver.socket.kernel_counts().carp);
        }
        stats
    }
}

impl Daemon {
    /// Re-reads the configuration file, all or nothing: what changed, or
    /// why nothing did (logged, and a `daemon` or `refused` event).
    pub(super) fn reload(&mut self) -> Result<String, String> {
        let _ = sd_notify::notify(&[sd_notify::NotifyState::Reloading]);
        let result = self.reload_file();
        let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
        match &result {
            Ok(what) => {
                log::info!(target: "carpd", "reloaded: {what}");
                self.daemon_event("reload", Some(what));
            }
            Err(why) => {
                log::warn!(target: "carpd", "reload refused, keeping the running configuration: {why}");
                self.refused_event(why);
            }
        }
        result
    }

    fn reload_file(&mut self) -> Result<String, String> {
        let text = match self.sources.read_file() {
            Ok(Some(text)) => text,
            Ok(None) => return Err("no --config file to reload".into()),
            Err(e) => return Err(e.to_string()),
        };
        for name in parents_named(&text, |n| self.netlink.link_by_name(n).is_ok()) {
            if !self.links.knows(&name) {
                if let Err(e) = self.links.open(&mut self.netlink, &mut self.engine, &name) {
                    log::warn!(target: "carpd", "{name}: {e}");
                }
            }
        }
        self.links.claim_settings();
        let t = now();
        let masters = self.masters_addresses();
        // What changes state from here on is the reload's doing.
        self.reporter.take_touched();
        let result = self.sources.reload(&mut self.engine, t, &text);
        self.after_control(t);
        let r = result.map_err(|e| e.to_string())?;
        self.scripts_for_changed_addresses(&masters);
        for w in advice::warnings(&self.engine) {
            log::warn!(target: "carpd", "{w}");
        }
        Ok(format!(
            "{} added, {} changed, {} removed, {} unchanged, {} knobs",
            r.added, r.changed, r.removed, r.unchanged, r.knobs
        ))
    }

    /// Carries out carpctl's waiting requests.
    pub(super) fn serve_control(&mut self) {
        if let Some(server) = self.control.take() {
            server.serve(self);
            self.control = Some(server);
        }
    }

    /// ucarp's SIGUSR2: every MASTER steps down and stays out for
    /// [`STEP_DOWN_HOLD`] (ucarp: BACKUP, `sleep(3)`, then "listen for 3
    /// heartbeats, as usual"). Done the BSD way: the vhid goes down, so as
    /// a leaving master it sends its bow-out advert and a backup takes over
    /// at once; it comes back up as BACKUP after the hold and competes as
    /// usual (without preempt, it stays BACKUP behind the new master).
    pub(super) fn step_down(&mut self) {
        let t = now();
        let masters: Vec<(ParentId, u8)> = self
            .engine
            .parents()
            .flat_map(|p| {
                p.carpif()
                    .vhosts()
                    .filter(|h| h.state() == State::Master)
                    .map(move |h| (p.id(), h.vhid().get()))
            })
            .collect();
        for (parent, vhid) in masters {
            let target = self.target_of(parent, vhid);
            let on_parent = self.engine.name_of(parent, vhid).is_none().then_some(vhid);
            match self.engine.set_admin(t, &target, on_parent, false) {
                Ok(()) => {
                    log::info!(target: "carpd", "SIGUSR2: {target} vhid {vhid} steps down");
                    self.held.push((parent, vhid, t + STEP_DOWN_HOLD));
                }
                Err(e) => log::warn!(target: "carpd", "SIGUSR2: {target} vhid {vhid}: {e}"),
            }
        }
        self.after_control(t);
    }

    /// Brings back up the vhids whose step-down hold has passed.
    pub(super) fn release_held(&mut self, t: Instant) {
        let (due, later): (Vec<_>, Vec<_>) = self.held.drain(..).partition(|h| h.2 <= t);
        self.held = later;
        if due.is_empty() {
            return;
        }
        for (parent, vhid, _) in due {
            if self.engine.parent(parent).is_none() {
                continue;
            }
            let target = self.target_of(parent, vhid);
            let on_parent = self.engine.name_of(parent, vhid).is_none().then_some(vhid);
            if let Err(e) = self.engine.set_admin(t, &target, on_parent, true) {
                log::warn!(target: "carpd", "{target} vhid {vhid}: back up after SIGUSR2: {e}");
            }
        }
        self.after_control(t);
    }

    /// A `demotion` event (and a log line) per contribution that moved
    /// since the last call.
    pub(super) fn report_demotion(&mut self) {
        let now_us = now().micros();
        let current = self.engine.sysctl().demotion();
        let note = self.note.clone();
        for body in self.demotion.changes(current, note.as_deref()) {
            if let EventBody::Demotion {
                reason,
                from,
                to,
                effective,
                note,
            } = body
            {
                let why = note.map_or_else(String::new, |n| format!(": {n}"));
                log::info!(
                    target: "carpd",
                    "demotion {reason} {from} -> {to}, demote count {effective}{why}"
                );
            }
            self.reporter.send_line(host_text(now_us, body));
        }
    }

    /// A `daemon` event: `start`, `reload`, `stop`.
    pub(super) fn daemon_event(&mut self, what: &str, detail: Option<&str>) {
        let body = EventBody::Daemon { what, detail };
        self.reporter.send_line(host_text(now().micros(), body));
    }

    /// A `refused` event: a reload that changed nothing.
    pub(super) fn refused_event(&mut self, why: &str) {
        let body = EventBody::Refused { what: why };
        self.reporter.send_line(host_text(now().micros(), body));
    }

    /// The addresses of every MASTER vhid now.
    pub(super) fn masters_addresses(&self) -> BTreeMap<(ParentId, u8), Vec<IpAddr>> {
        let mut out = BTreeMap::new();
        for p in self.engine.parents() {
            for h in p.carpif().vhosts() {
                if h.state() == State::Master {
                    out.insert((p.id(), h.vhid().get()), h.config().addresses().to_vec());
                }
            }
        }
        out
    }

    /// After a reload: a vhid MASTER before and after, whose state did not
    /// change on the way, gets the up script for each address the reload
    /// added and the down script for each it removed (as if those
    /// addresses had come and gone with a state change).
    pub(super) fn scripts_for_changed_addresses(
        &mut self,
        before: &BTreeMap<(ParentId, u8), Vec<IpAddr>>,
    ) {
        let after = self.masters_addresses();
        let touched = self.reporter.take_touched();
        for (key, now_addrs) in &after {
            let Some(old) = before.get(key) else {
                continue;
            };
            if touched.contains(key) {
                continue;
            }
            let name = self
                .links
                .get(key.0)
                .map(|l| l.name.clone())
                .unwrap_or_default();
            let added: Vec<IpAddr> = now_addrs
                .iter()
                .filter(|a| !old.contains(a))
                .copied()
                .collect();
            let removed: Vec<IpAddr> = old
                .iter()
                .filter(|a| !now_addrs.contains(a))
                .copied()
                .collect();
            self.reporter.scripts_for(&name, &removed, false);
            self.reporter.scripts_for(&name, &added, true);
        }
    }
}
