//! The event loop: one thread, sleeping in `ppoll` until the next carp
//! deadline, a frame on any parent, a signal or a link change.
//!
//! The deadline is a `timerfd` armed at the absolute CLOCK_MONOTONIC
//! instant, not a `ppoll` timeout: Linux lets a poll timeout expire up to
//! 0.1 % late (`select_estimate_accuracy`: 3.2 ms on a 3.2 s master-down),
//! while a timerfd keeps the task's 50 µs timer slack.
//!
//! Every change, whatever its source (a frame, a timer, netlink, SIGHUP),
//! goes into the one engine; after it the daemon drains the events
//! ([`crate::events`]) and brings the host to the engine's state
//! (`Daemon::settle`): locks and macvlans for the vhids that exist, up
//! and carrying their addresses for those that are MASTER.

use std::io;
use std::os::fd::AsFd;

use carp_core::{Instant, State};
use carp_ctl::ParentId;
use carp_sysctl::NetstatExt;
use nix::poll::{ppoll, PollFd, PollFlags};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{
    ClockId as TimerClock, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags,
};

use crate::addresses;
use crate::advice;
use crate::cli::Cli;
use crate::config::{parents_named, Sources};
use crate::control::server::ControlServer;
use crate::demotion_watch::DemotionWatch;
use crate::engine::{new_engine, now, HostEngine};
use crate::event_sink::{host_text, EventSink};
use crate::events::{Reporter, Scripts};
use crate::filter::FilterSpec;
use crate::hook::{Hooks, Processes};
use crate::links::{parse_sources, Change, Links};
use crate::lock::{netns_id, PidFile};
use crate::monitor::{self, parse_monitor, Notice};
use crate::netlink::Netlink;
use crate::reject_log::{source_of, RejectLog};
use crate::scripts::{log_outcome, ScriptRunner};
use crate::syncdev::SyncDemote;
use crate::vmac::{remove_stale, Vmacs};

/// A running carpd.
pub struct Daemon {
    engine: Box<HostEngine>,
    sources: Sources,
    links: Links,
    vmacs: Vmacs,
    netlink: Netlink,
    monitor: netlink_sys::Socket,
    reporter: Reporter,
    signals: SignalFd,
    /// Fires at carp's next deadline.
    timer: TimerFd,
    /// The deadline `timer` is armed for (`None`: disarmed, or fired and
    /// to be re-armed, which clears its readiness).
    armed: Option<Instant>,
    no_addresses: bool,
    debug: bool,
    _pidfile: Option<PidFile>,
    /// carpctl's socket (taken out while a request runs).
    control: Option<ControlServer>,
    /// The last demotion reported.
    demotion: DemotionWatch,
    /// The operator's words for the demotion change being applied.
    note: Option<String>,
    /// Misconfiguration drops, logged once a minute.
    rejects: RejectLog,
    /// How long SIGTERM may wait for scripts and the event reader.
    shutdown_timeout: std::time::Duration,
    /// Vhids SIGUSR2 stepped down, and when they come back up.
    held: Vec<(ParentId, u8, Instant)>,
    /// `--group-hook`: the groups' hooks.
    hooks: Option<Hooks<Processes>>,
    /// `--syncdev` and `--holddown`: what they owe `demote_group`.
    sync: SyncDemote,
    /// `--demote-group`.
    demote_group: String,
}

impl std::fmt::Debug for Daemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Daemon")
            .field("engine", &self.engine)
            .finish_non_exhaustive()
    }
}

fn err(msg: String) -> io::Error {
    io::Error::other(msg)
}

impl Daemon {
    /// Sets everything up: signals, parents, the configuration, locks.
    /// Nothing is sent and no macvlan made before the configuration is
    /// whole and every vhid's lock is held.
    ///
    /// # Errors
    /// A bad configuration, a missing interface, a vhid another carpd
    /// runs, or a socket failure.
    pub fn start(cli: Cli) -> io::Result<Daemon> {
        // Block the signals before any thread exists, so they all inherit
        // the mask and only the signalfd sees them (scripts get a clean
        // mask from std::process).
        let mut mask = SigSet::empty();
        for s in [
            Signal::SIGTERM,
            Signal::SIGINT,
            Signal::SIGHUP,
            Signal::SIGUSR1,
            Signal::SIGUSR2,
            // Group hooks are reaped when they end.
            Signal::SIGCHLD,
        ] {
            mask.add(s);
        }
        mask.thread_block().map_err(io::Error::from)?;
        let signals = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
            .map_err(io::Error::from)?;
        let timer = TimerFd::new(
            TimerClock::CLOCK_MONOTONIC,
            TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
        )
        .map_err(io::Error::from)?;

        // A path that cannot be written is refused now, not at the first
        // event.
        let sink = EventSink::open(cli.events.as_deref())?;
        let mut sources = Sources::from_cli(&cli).map_err(|e| err(e.to_string()))?;
        let file_text = sources.read_file().map_err(|e| err(e.to_string()))?;
        let srcips = parse_sources(&cli.srcip, sources.first()).map_err(err)?;
        // The monitor first: no change between reading a link and
        // subscribing can be missed.
        let monitor = monitor::open()?;
        let mut netlink = Netlink::open()?;
        let netns = netns_id()?;
        let mut engine = new_engine();
        let mut links = Links::new(srcips, &cli.run_dir, netns, true);
        links.ignore_carrier(cli.ignoreifstate);
        let mut parents = cli.interfaces.clone();
        if let Some(text) = &file_text {
            for name in parents_named(text, |n| netlink.link_by_name(n).is_ok()) {
                if !parents.contains(&name) {
                    parents.push(name);
                }
            }
        }
        if parents.is_empty() {
            return Err(err(
                "no parent interface: give -i, or carpdev in --config".into()
            ));
        }
        for name in &parents {
            links
                .open(&mut netlink, &mut engine, name)
                .map_err(|e| err(format!("{name}: {e}")))?;
        }
        sources
            .start(&mut engine, now(), file_text.as_deref())
            .map_err(|e| err(e.to_string()))?;

        let mut vmacs = Vmacs::new(cli.run_dir.clone(), netns);
        for name in remove_stale(&mut netlink, &cli.run_dir, netns) {
            log::info!(target: "carpd", "removed {name}, left by a carpd that died");
        }
        for p in engine.parents() {
            let link = links.get(p.id()).ok_or_else(|| err("parent lost".into()))?;
            for h in p.carpif().vhosts() {
                let vhid = h.vhid().get();
                vmacs
                    .claim(p.id(), link.index, &link.name, vhid)
                    .map_err(|e| err(format!("{} vhid {vhid}: {e}", link.name)))?;
            }
        }
        links.claim_settings();
        let pidfile = match &cli.pidfile {
            Some(p) => Some(PidFile::create(p).map_err(|e| err(format!("{}: {e}", p.display())))?),
            None => None,
        };
        let scripts = Scripts {
            up: cli.upscript.clone(),
            down: cli.downscript.clone(),
            xparam: cli.xparam.clone(),
            neutral: cli.neutral,
            at_exit: cli.shutdown,
        };
        let runner = ScriptRunner::start(
            std::time::Duration::from_secs(u64::from(cli.script_timeout)),
            log_outcome,
        )?;
        let reporter = Reporter::new(sink, runner, scripts, cli.debug);
        // The default socket is one per run directory: a second carpd
        // there (ucarp style, one per interface) runs without one and says
        // so; a --control given must work.
        let control = match ControlServer::bind(&cli.control_socket()) {
            Ok(c) => Some(c),
            Err(e) if cli.control.is_none() => {
                log::warn!(target: "carpd", "{e}: carpctl cannot reach this carpd");
                None
            }
            Err(e) => return Err(e),
        };
        let demotion = DemotionWatch::new(engine.sysctl().demotion());
        let mut daemon = Daemon {
            engine,
            sources,
            links,
            vmacs,
            netlink,
            monitor,
            reporter,
            signals,
            timer,
            armed: None,
            no_addresses: cli.no_addresses,
            debug: cli.debug,
            _pidfile: pidfile,
            control,
            demotion,
            note: None,
            rejects: RejectLog::new(),
            shutdown_timeout: std::time::Duration::from_secs(u64::from(cli.shutdown_timeout)),
            held: Vec::new(),
            hooks: cli.group_hook.clone().map(|program| {
                Hooks::new(
                    Processes { program },
                    u64::from(cli.hook_timeout).saturating_mul(1_000_000),
                )
            }),
            sync: SyncDemote::new(cli.syncdev.clone()),
            demote_group: cli.demote_group.clone(),
        };
        // The hold-down is in the first adverts.
        daemon.start_sync(cli.holddown);
        daemon.after_control(now());
        for w in advice::warnings(&daemon.engine) {
            log::warn!(target: "carpd", "{w}");
        }
        let parents: Vec<&str> = daemon.links.iter().map(|l| l.name.as_str()).collect();
        let detail = format!(
            "carpd {} on {}",
            env!("CARGO_PKG_VERSION"),
            parents.join(", ")
        );
        daemon.daemon_event("start", Some(&detail));
        Ok(daemon)
    }

    /// Runs until SIGTERM or SIGINT, then leaves gracefully.
    ///
    /// # Errors
    /// A failing poll.
    pub fn run(&mut self) -> io::Result<()> {
        let mut buf = vec![0u8; 65536];
        loop {
            let t = now();
            self.release_held(t);
            self.poll_sync(t);
            self.poll_due(t);
            self.settle(false);
            self.poll_hooks(t);
            self.arm_timer()?;
            // While frames come each ring is read once per
            // packet::MODERATION, under a flood once per up to MAX_HOLD.
            let wall = std::time::Instant::now();
            let holds: Vec<Option<std::time::Duration>> = self
                .links
                .iter()
                .map(|l| l.driver.socket.hold_off(wall))
                .collect();
            let wait = holds.iter().flatten().min().copied();
            let (frames, signals, monitor, control) = {
                let mut fds = vec![
                    PollFd::new(self.signals.as_fd(), PollFlags::POLLIN),
                    PollFd::new(self.monitor.as_fd(), PollFlags::POLLIN),
                    PollFd::new(self.timer.as_fd(), PollFlags::POLLIN),
                ];
                fds.extend(self.links.iter().zip(&holds).map(|(l, hold)| {
                    let wanted = hold.map_or(PollFlags::POLLIN, |_| PollFlags::empty());
                    PollFd::new(l.driver.socket.as_fd(), wanted)
                }));
                // carpctl's requests, last (after the parents).
                if let Some(c) = &self.control {
                    fds.push(PollFd::new(c.wake_fd(), PollFlags::POLLIN));
                }
                match ppoll(&mut fds, wait.map(TimeSpec::from_duration), None) {
                    Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                    Err(e) => return Err(e.into()),
                }
                let ready: Vec<bool> = fds
                    .iter()
                    .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
                    .collect();
                if ready.get(2).copied().unwrap_or(false) {
                    self.armed = None;
                }
                // A held ring is read when its wait ends, readable or not.
                let frames: Vec<ParentId> = self
                    .links
                    .iter()
                    .zip(ready.iter().skip(3).zip(&holds))
                    .filter(|(_, (r, hold))| **r || hold.is_some())
                    .map(|(l, _)| l.id)
                    .collect();
                let control = self.control.is_some() && ready.last().copied().unwrap_or(false);
                (
                    frames,
                    ready.first().copied().unwrap_or(false),
                    ready.get(1).copied().unwrap_or(false),
                    control,
                )
            };
            for id in frames {
                self.read_frames(id, &mut buf);
            }
            if monitor {
                self.read_monitor(&mut buf);
            }
            if control {
                self.serve_control();
            }
            if signals {
                while let Ok(Some(info)) = self.signals.read_signal() {
                    let signo = i32::try_from(info.ssi_signo).unwrap_or(0);
                    match Signal::try_from(signo) {
                        Ok(Signal::SIGTERM | Signal::SIGINT) => {
                            self.shutdown();
                            return Ok(());
                        }
                        Ok(Signal::SIGUSR1) => self.print_status(),
                        Ok(Signal::SIGUSR2) => self.step_down(),
                        Ok(Signal::SIGCHLD) => self.poll_hooks(now()),
                        Ok(Signal::SIGHUP) => {
                            let _ = self.reload();
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    /// Polls every parent whose deadline has come.
    fn poll_due(&mut self, t: Instant) {
        for link in self.links.iter_mut() {
            if self
                .engine
                .parent_poll_timeout(link.id)
                .is_some_and(|d| d <= t)
            {
                self.engine.poll(t, link.id, &mut link.driver);
            }
        }
    }

    /// Polls every parent (after a control request: what it owes goes out
    /// now, on every parent, as demotion changes are host-wide).
    fn poll_all(&mut self, t: Instant) {
        for link in self.links.iter_mut() {
            self.engine.poll(t, link.id, &mut link.driver);
        }
    }

    /// After any control request: send what is owed, then settle.
    fn after_control(&mut self, t: Instant) {
        self.poll_all(t);
        self.settle(true);
    }

    /// Drains the events, then (when a state changed, or `full`) brings
    /// locks, macvlans and addresses to the engine's state.
    fn settle(&mut self, full: bool) {
        let seen = self.reporter.drain(&mut self.engine, &self.links);
        self.report_demotion();
        if seen.events == 0 && !full {
            return;
        }
        if seen.state_changed || full {
            self.reconcile();
        }
        // The filter knows which vhids run (not INIT): a state change may
        // change it (only a changed spec is re-attached).
        if full || seen.state_changed {
            self.sync_filters();
        }
        self.reporter.remember(&self.engine, &self.links);
        // After this wake-up's adverts and gratuitous ARPs went out.
        self.sync_groups(seen.reason.unwrap_or("control"));
    }

    /// Locks and macvlans for exactly the vhids the engine has; each up
    /// with its addresses while MASTER. A vhid another carpd holds is set
    /// down (reported), never run twice.
    fn reconcile(&mut self) {
        let mut present = Vec::new();
        let mut refused = Vec::new();
        for p in self.engine.parents() {
            let Some(link) = self.links.get(p.id()) else {
                continue;
            };
            for h in p.carpif().vhosts() {
                let vhid = h.vhid().get();
                if let Err(e) = self.vmacs.claim(p.id(), link.index, &link.name, vhid) {
                    if h.is_admin_up() {
                        log::warn!(target: "carpd", "{} vhid {vhid}: {e}: set down", link.name);
                        refused.push((p.id(), vhid));
                    }
                    continue;
                }
                present.push((p.id(), vhid, h.state()));
            }
        }
        for key in self.vmacs.held() {
            if !present.iter().any(|(p, v, _)| (*p, *v) == key) {
                self.vmacs.release(&mut self.netlink, key.0, key.1);
            }
        }
        for (parent, vhid, state) in present {
            let Some(link) = self.links.get(parent) else {
                continue;
            };
            let master = state == State::Master;
            let addrs = match self.engine.parent(parent) {
                Some(p) if master && !self.no_addresses => addresses::plan(p, vhid, &link.addrs),
                _ => Vec::new(),
            };
            let name = link.name.clone();
            self.vmacs
                .sync(&mut self.netlink, (parent, vhid), &name, master, &addrs);
        }
        if !refused.is_empty() {
            let t = now();
            for (parent, vhid) in refused {
                let target = self.target_of(parent, vhid);
                let vhid = self.engine.name_of(parent, vhid).is_none().then_some(vhid);
                let _ = self.engine.set_admin(t, &target, vhid, false);
            }
            self.poll_all(t);
            self.reporter.drain(&mut self.engine, &self.links);
        }
    }

    /// Each parent's kernel filter from its vhids, their states and
    /// peers, and their addresses now (only a changed spec is re-attached).
    fn sync_filters(&mut self) {
        let allow = self.engine.sysctl().allow();
        for link in self.links.iter_mut() {
            let Some(p) = self.engine.parent(link.id) else {
                continue;
            };
            let vhosts = p
                .carpif()
                .vhosts()
                .map(|h| (h.vhid().get(), h.config().addresses()));
            let mut spec = FilterSpec::from_vhosts(allow, vhosts);
            for h in p.carpif().vhosts() {
                spec.note_vhost(h.config(), h.state() != State::Init);
            }
            link.sync_filter(spec);
        }
    }

    /// The name a request about `vhid` on `parent` goes to: its carp
    /// interface if a named one holds it, else the parent.
    fn target_of(&self, parent: ParentId, vhid: u8) -> String {
        match self.engine.name_of(parent, vhid) {
            Some(n) => n.as_str().to_owned(),
            None => self
                .engine
                .parent(parent)
                .map(|p| p.name().as_str().to_owned())
                .unwrap_or_default(),
        }
    }

    /// Arms the timerfd at carp's next deadline (re-arming also clears a
    /// past expiry), or disarms it when carp has none. A wake-up that left
    /// the deadline as it was (a frame, a signal) costs no system call.
    fn arm_timer(&mut self) -> io::Result<()> {
        let hold = self
            .held
            .iter()
            .map(|h| h.2)
            .chain(self.hooks_deadline())
            .chain(self.sync_deadline())
            .min();
        let next = match (self.engine.poll_timeout(), hold) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if next.is_some() && next == self.armed {
            return Ok(());
        }
        self.armed = next;
        match next {
            Some(deadline) => {
                // An absolute time of zero would disarm: 1 µs is already
                // in the past on any running system, so it fires at once.
                let us = deadline.micros().max(1);
                let at = TimeSpec::new(
                    i64::try_from(us / 1_000_000).unwrap_or(i64::MAX),
                    i64::try_from((us % 1_000_000) * 1_000).unwrap_or(0),
                );
                self.timer
                    .set(
                        Expiration::OneShot(at),
                        TimerSetTimeFlags::TFD_TIMER_ABSTIME,
                    )
                    .map_err(io::Error::from)
            }
            None => self.timer.unset().map_err(io::Error::from),
        }
    }

    /// Reads what one parent's socket holds. A socket error is a state of
    /// the link (ENETDOWN when it goes down, ENODEV when it goes away),
    /// which netlink reports in full: it is never fatal.
    fn read_frames(&mut self, id: ParentId, buf: &mut [u8]) {
        // Bounded per wake-up so a flood cannot starve the timers.
        for _ in 0..256 {
            let Some(link) = self.links.get_mut(id) else {
                return;
            };
            let len = match link.driver.socket.recv(buf) {
                Ok(Some(len)) => len,
                Ok(None) => {
                    // ENETDOWN when the link went down, ENODEV when it went
                    // away: read (and so cleared), or poll would report it
                    // forever.
                    if let Some(e) = link.driver.socket.take_error() {
                        if self.debug {
                            log::debug!(target: "carpd", "{}: socket: {e}", link.name);
                        }
                    }
                    break;
                }
                Err(e) => {
                    if self.debug {
                        log::debug!(target: "carpd", "{}: receive: {e}", link.name);
                    }
                    break;
                }
            };
            let frame = buf.get(..len).unwrap_or(&[]);
            let t = now();
            let result = self.engine.input(t, id, frame);
            // An answer or a takeover advert goes out at once.
            let owed = self
                .engine
                .parent(id)
                .is_some_and(|p| p.carpif().has_pending_output());
            if owed {
                self.engine.poll(t, id, &mut link.driver);
            }
            if let Err(reject) = result {
                let name = link.name.clone();
                let src = source_of(carp_ifnet::lladdr::LinkType::Ethernet, frame);
                self.rejects.note(t, &name, reject, src);
                log::debug!(target: "carpd", "{name}: dropped frame: {reject} ({})", reject.counter());
            }
            self.settle(false);
        }
    }

    fn read_monitor(&mut self, buf: &mut [u8]) {
        let mut notices = Vec::new();
        let mut overrun = false;
        for _ in 0..64 {
            match self.monitor.recv(&mut &mut buf[..], libc::MSG_DONTWAIT) {
                Ok(n) if n > 0 => notices.extend(parse_monitor(buf.get(..n).unwrap_or(&[]))),
                Ok(_) => break,
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => overrun = true,
                Err(_) => break,
            }
        }
        let t = now();
        let mut changes = Vec::new();
        for notice in &notices {
            self.sync_notice(t, notice);
            if let Notice::LinkGone(index) = notice {
                if self.vmacs.is_macvlan(*index) {
                    self.vmacs.link_gone(*index);
                    continue;
                }
                // Its vhids leave MASTER as for a link down (events,
                // scripts) before the parent goes.
                let gone = self.links.iter().find(|l| l.index == *index).map(|l| l.id);
                if let Some(id) = gone {
                    self.engine.set_link(t, id, false);
                    self.settle(false);
                }
            }
            changes.extend(
                self.links
                    .handle(&mut self.netlink, &mut self.engine, t, notice),
            );
        }
        if overrun {
            log::warn!(target: "carpd", "netlink monitor overran: re-reading every parent");
            changes.extend(self.links.resync(&mut self.netlink, &mut self.engine, t));
        }
        for change in changes {
            match change {
                Change::Removed(id) => self.vmacs.forget_parent(id),
                Change::Returned(id) => {
                    let name = self
                        .links
                        .get(id)
                        .map(|l| l.name.clone())
                        .unwrap_or_default();
                    for problem in self.sources.reattach(&mut self.engine, t, &name) {
                        log::warn!(target: "carpd", "{name}: {problem}");
                    }
                    self.links.claim_settings();
                }
            }
        }
        if !notices.is_empty() || overrun {
            self.after_control(t);
        }
    }

    fn print_status(&self) {
        let mut out = String::new();
        self.engine.status_all(&mut out);
        // Frames the kernel filters dropped are counted as the library
        // would have counted them.
        let mut stats = self.engine.sysctl().stats();
        let mut kernel = String::new();
        for link in self.links.iter() {
            let counts = link.driver.socket.kernel_counts();
            stats.merge(&counts.carp);
            for line in counts.to_string().lines() {
                kernel.push_str(&format!("{}: {line}\n", link.name));
            }
        }
        out.push_str(&format!("{}{kernel}", stats.netstat()));
        eprint!("{out}");
    }

    /// Leaves: every vhid goes down (a master sends its bow-out advert),
    /// addresses, macvlans and locks go, the host settings are put back,
    /// scripts and events drain.
    fn shutdown(&mut self) {
        self.reporter.leaving = true;
        let t = now();
        let all: Vec<(ParentId, u8)> = self
            .engine
            .parents()
            .flat_map(|p| p.carpif().vhosts().map(move |h| (p.id(), h.vhid().get())))
            .collect();
        for (parent, vhid) in all {
            let target = self.target_of(parent, vhid);
            let vhid = self.engine.name_of(parent, vhid).is_none().then_some(vhid);
            let _ = self.engine.set_admin(t, &target, vhid, false);
        }
        // The bow-out adverts go out now.
        self.poll_all(t);
        self.reporter.drain(&mut self.engine, &self.links);
        self.vmacs.release_all(&mut self.netlink);
        self.links.release_settings();
        // carpctl can no longer reach a carpd that is leaving.
        self.control = None;
        let deadline = std::time::Instant::now() + self.shutdown_timeout;
        self.finish_hooks(deadline);
        self.daemon_event("stop", None);
        if !self.reporter.finish(deadline) {
            log::warn!(
                target: "carpd",
                "left with scripts or event lines pending after --shutdown-timeout {} s",
                self.shutdown_timeout.as_secs()
            );
        }
    }
}

#[path = "daemon_ops.rs"]
mod ops;

#[path = "daemon_groups.rs"]
mod groups;
