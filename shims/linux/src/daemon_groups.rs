//! The daemon's side of the group hooks ([`crate::hook`]): each named
//! interface group's state after every settle, its `group` events, the
//! hook runs it starts and reaps (on SIGCHLD and at their deadlines) and
//! their `hook` events; and of the sync link's and the start-up
//! hold-down's demotions ([`crate::syncdev`]).

use carp_core::Instant;
use carp_ctl::EventBody;

use super::{now, Daemon};
use crate::event_sink::wall_time;
use crate::hook::{Ended, Finished, GroupState, Observed, Transition};
use crate::monitor::Notice;

impl Daemon {
    /// Every named group as the engine has it now.
    fn observe_groups(&self, reason: &str) -> Vec<(String, Observed)> {
        let mut out = Vec::new();
        for (name, demote) in self.engine.groups() {
            let Ok(members) = self.engine.group_members(name.as_str()) else {
                continue;
            };
            let mut states = Vec::new();
            let mut vhids = Vec::new();
            for m in members {
                states.push(m.state);
                let parent = m
                    .parent
                    .and_then(|p| self.links.get(p))
                    .map_or("-", |l| l.name.as_str());
                if let Some(v) = m.vhid {
                    vhids.push(format!("{parent}:{v}"));
                }
            }
            out.push((
                name.as_str().to_owned(),
                Observed {
                    state: GroupState::of(states),
                    reason: reason.to_owned(),
                    vhids: vhids.join(" "),
                    demote,
                },
            ));
        }
        out
    }

    /// Tells the hooks each group's state now, reports the transitions
    /// and starts what is due. Call after the engine's output of this
    /// wake-up went out.
    pub(super) fn sync_groups(&mut self, reason: &str) {
        if self.hooks.is_none() {
            return;
        }
        let observed = self.observe_groups(reason);
        let time = wall_time();
        let mut transitions = Vec::new();
        if let Some(hooks) = &mut self.hooks {
            for (group, o) in observed {
                transitions.extend(hooks.observe(&group, o, &time));
            }
        }
        for t in &transitions {
            self.group_event(t);
        }
        self.poll_hooks(now());
    }

    /// Reaps, kills what is past its time, starts what waits.
    pub(super) fn poll_hooks(&mut self, t: Instant) {
        let Some(hooks) = &mut self.hooks else {
            return;
        };
        for done in hooks.poll(t) {
            self.hook_event(&done);
        }
    }

    /// When a running hook's time is up.
    pub(super) fn hooks_deadline(&self) -> Option<Instant> {
        self.hooks.as_ref().and_then(|h| h.next_deadline())
    }

    /// At shutdown: the groups' last transition, its hooks run until
    /// `deadline` (then killed).
    pub(super) fn finish_hooks(&mut self, deadline: std::time::Instant) {
        self.sync_groups("shutdown");
        while self.hooks.as_ref().is_some_and(|h| h.busy()) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                if let Some(h) = &mut self.hooks {
                    let late = Instant::from_micros(u64::MAX / 2);
                    for done in h.poll(late) {
                        self.hook_event(&done);
                    }
                }
                log::warn!(target: "carpd", "group hooks killed: --shutdown-timeout");
                return;
            }
            self.poll_hooks(now());
            std::thread::sleep(std::time::Duration::from_millis(5).min(left));
        }
    }

    fn group_event(&mut self, t: &Transition) {
        log::info!(
            target: "carpd",
            "group {}: {} -> {} ({}), transition {}",
            t.group,
            t.from.name(),
            t.to.state.name(),
            t.to.reason,
            t.seq
        );
        let body = EventBody::Group {
            group: &t.group,
            from: t.from.name(),
            to: t.to.state.name(),
            reason: &t.to.reason,
            demote: t.to.demote,
            vhids: &t.to.vhids,
        };
        self.send_group_line(t.seq, body);
    }

    /// A `group` or `hook` line: the group's transition number as `seq`.
    fn send_group_line(&self, seq: u64, body: EventBody<'_>) {
        let mut line = carp_ctl::EventLine::host_wide(now().micros(), body);
        line.seq = Some(seq);
        let time = wall_time();
        line.time = Some(&time);
        self.reporter.send_line(line.to_string());
    }

    fn hook_event(&mut self, done: &Finished) {
        let ok = done.ended == Ended::Exit(0);
        let status = done.ended.status();
        let ms = done.micros / 1000;
        let group = &done.run.group;
        for l in done.stderr.iter().flat_map(|s| s.lines()) {
            log::info!(target: "carpd", "group {group} hook: {l}");
        }
        if ok {
            log::info!(
                target: "carpd",
                "group {group} hook {} (transition {}): {status} in {ms} ms",
                done.run.state.arg(),
                done.run.seq
            );
        } else {
            log::warn!(
                target: "carpd",
                "group {group} hook {} (transition {}): {status} after {ms} ms",
                done.run.state.arg(),
                done.run.seq
            );
        }
        let body = EventBody::Hook {
            group,
            state: done.run.state.name(),
            ok,
            status: &status,
            ms,
            stderr: done.stderr.as_deref(),
        };
        self.send_group_line(done.run.seq, body);
    }

    /// At start: the hold-down of `secs` seconds, and the sync link's
    /// state now (a sync link that does not exist is down).
    pub(super) fn start_sync(&mut self, secs: u32) {
        let t = now();
        let delta = self
            .sync
            .start(t, u64::from(secs).saturating_mul(1_000_000));
        self.apply_sync(t, delta, &format!("hold-down {secs} s at start"));
        let Some(name) = self.sync.syncdev.clone() else {
            return;
        };
        let running = match self.netlink.link_by_name(&name) {
            Ok(link) => {
                self.sync.index = Some(link.index);
                link.running
            }
            Err(e) => {
                log::warn!(target: "carpd", "--syncdev {name}: {e}: counted as down");
                false
            }
        };
        let delta = self.sync.link(running);
        self.apply_sync(t, delta, &format!("sync link {name} down"));
    }

    /// A link notice about the sync link: its state now.
    pub(super) fn sync_notice(&mut self, t: Instant, notice: &Notice) {
        let Some(name) = self.sync.syncdev.clone() else {
            return;
        };
        let running = match notice {
            Notice::Link(link) if link.name == name => {
                self.sync.index = Some(link.index);
                link.running
            }
            Notice::LinkGone(index) if self.sync.index == Some(*index) => {
                self.sync.index = None;
                false
            }
            _ => return,
        };
        let delta = self.sync.link(running);
        let why = if running { "up" } else { "down" };
        self.apply_sync(t, delta, &format!("sync link {name} {why}"));
    }

    /// The hold-down's end, when due.
    pub(super) fn poll_sync(&mut self, t: Instant) {
        let delta = self.sync.poll(t);
        self.apply_sync(t, delta, "hold-down over");
    }

    /// When the hold-down ends.
    pub(super) fn sync_deadline(&self) -> Option<Instant> {
        self.sync.deadline()
    }

    fn apply_sync(&mut self, t: Instant, delta: Option<i32>, why: &str) {
        let Some(delta) = delta else {
            return;
        };
        let group = self.demote_group.clone();
        match self.engine.group_demote_adj(t, &group, delta) {
            Ok(count) => {
                log::info!(target: "carpd", "group {group}: demote {delta:+} ({why}): count {count}");
                self.note = Some(why.to_owned());
                self.after_control(t);
                self.note = None;
            }
            Err(e) => log::warn!(target: "carpd", "group {group}: demote {delta:+} ({why}): {e}"),
        }
    }
}
