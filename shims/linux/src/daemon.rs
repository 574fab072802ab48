//! The event loop: one thread, sleeping in `ppoll` until the next carp
//! deadline, a frame, a signal or a link change.
//!
//! The deadline is a `timerfd` armed at the absolute CLOCK_MONOTONIC
//! instant, not a `ppoll` timeout: Linux lets a poll timeout expire up to
//! 0.1 % late (`select_estimate_accuracy`: 3.2 ms on a 3.2 s master-down),
//! while a timerfd keeps the task's 50 µs timer slack.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read};
use std::net::IpAddr;
use std::os::fd::AsFd;

use carp_core::{Event, EventKind, Instant, State};
use carp_ifnet::carpif::CarpIf;
use carp_ifnet::lladdr::LinkType;
use carp_sysctl::{NetstatExt, Sysctl};
use nix::poll::{ppoll, PollFd, PollFlags};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{
    ClockId as TimerClock, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags,
};
use nix::time::{clock_gettime, ClockId};

use crate::cli::Cli;
use crate::config::{Desired, VhostSpec};
use crate::driver::LinuxDriver;
use crate::filter::FilterSpec;
use crate::hooks::{event_json, event_writer, script_args, script_runner, ScriptRun, Worker};
use crate::netlink::{parse_monitor, pick_sources, LinkInfoSnapshot, Netlink};
use crate::packet::PacketSocket;

/// Vhids one carpd can run on its interface.
pub const MAX_VHIDS: usize = carp_ifnet::carpif::MAX_VHIDS;

/// Now on CLOCK_MONOTONIC, in µs: the clock every carp deadline uses.
pub fn now() -> Instant {
    let t = clock_gettime(ClockId::CLOCK_MONOTONIC).unwrap_or_else(|_| TimeSpec::new(0, 0));
    let secs = u64::try_from(t.tv_sec()).unwrap_or(0);
    let nanos = u64::try_from(t.tv_nsec()).unwrap_or(0);
    Instant::from_micros(secs * 1_000_000 + nanos / 1_000)
}

fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_ok()
    {
        return u64::from_ne_bytes(bytes);
    }
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(now().micros());
    h.finish()
}

/// The macvlan that owns `vhid`'s virtual MAC on `parent`.
pub fn macvlan_name(vhid: u8, parent: &str) -> String {
    let mut name = format!("carp{vhid}-{parent}");
    while name.len() > 15 {
        name.pop();
    }
    name
}

/// A running carpd.
pub struct Daemon {
    cli: Cli,
    carpif: Box<CarpIf<MAX_VHIDS>>,
    nic: LinuxDriver,
    sysctl: Sysctl,
    netlink: Netlink,
    monitor: netlink_sys::Socket,
    parent: LinkInfoSnapshot,
    specs: Vec<VhostSpec>,
    /// vhid → macvlan index.
    macvlans: BTreeMap<u8, u32>,
    /// vhids whose addresses are on their macvlan now.
    installed: BTreeSet<u8>,
    /// vhids that reached BACKUP or MASTER once (for --neutral).
    started: BTreeSet<u8>,
    events: Worker<String>,
    scripts: Worker<ScriptRun>,
    signals: SignalFd,
    /// Fires at carp's next deadline.
    timer: TimerFd,
    /// The deadline `timer` is armed for (`None`: disarmed, or fired and
    /// to be re-armed, which clears its readiness).
    armed: Option<Instant>,
    shutting_down: bool,
}

impl std::fmt::Debug for Daemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Daemon")
            .field("interface", &self.cli.interface)
            .finish_non_exhaustive()
    }
}

fn err(msg: String) -> io::Error {
    io::Error::other(msg)
}

impl Daemon {
    /// Sets everything up: signals, sockets, the configuration.
    ///
    /// # Errors
    /// A bad configuration, a missing interface, or a socket failure.
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

        let mut desired = Desired::from_cli(&cli).map_err(|e| err(e.to_string()))?;
        if let Some(path) = &cli.config {
            let file = Desired::from_file(&cli.interface, path).map_err(|e| err(e.to_string()))?;
            desired = desired.merged(file);
        }
        if desired.vhosts.is_empty() {
            return Err(err(
                "no vhid configured: give --vhid, words after --, or --config".into(),
            ));
        }
        let sysctl = Sysctl::new();
        for line in &desired.sysctl_lines {
            sysctl
                .set_line(line)
                .map_err(|e| err(format!("{line}: {e}")))?;
        }

        let mut netlink = Netlink::open()?;
        let monitor = Netlink::monitor()?;
        let parent = netlink
            .link_by_name(&cli.interface)
            .map_err(|e| err(format!("{}: {e}", cli.interface)))?;
        let (v4, v6) = pick_sources(&netlink.addresses(parent.index)?);
        let driver = LinuxDriver {
            socket: PacketSocket::open(parent.index, parent.mtu)?,
            mac: parent.mac,
            mtu: parent.mtu,
            link_up: parent.running,
            ipv4: cli.srcip.or(v4),
            ipv6_link_local: v6,
            frames_sent: 0,
        };
        let carpif = Box::new(CarpIf::new(driver.parent_info(), driver.link_state()));
        let mut daemon = Daemon {
            events: event_writer(cli.events.clone())?,
            scripts: script_runner()?,
            cli,
            carpif,
            nic: driver,
            sysctl,
            netlink,
            monitor,
            parent,
            specs: Vec::new(),
            macvlans: BTreeMap::new(),
            installed: BTreeSet::new(),
            started: BTreeSet::new(),
            signals,
            timer,
            armed: None,
            shutting_down: false,
        };
        daemon.apply(desired.vhosts)?;
        Ok(daemon)
    }

    /// Runs until SIGTERM or SIGINT, then leaves gracefully.
    ///
    /// # Errors
    /// A failing poll or socket.
    pub fn run(&mut self) -> io::Result<()> {
        let mut buf = vec![0u8; 65536];
        loop {
            let t = now();
            self.carpif.poll(t, &mut self.nic, &self.sysctl);
            self.drain_events();
            self.arm_timer()?;
            // Under a flood the ring is read once per packet::MODERATION.
            let hold = self.nic.socket.hold_off(std::time::Instant::now());
            let ring = hold.map_or(PollFlags::POLLIN, |_| PollFlags::empty());
            let (frames, signals, monitor, fired) = {
                let mut fds = [
                    PollFd::new(self.nic.socket.as_fd(), ring),
                    PollFd::new(self.signals.as_fd(), PollFlags::POLLIN),
                    PollFd::new(self.monitor.as_fd(), PollFlags::POLLIN),
                    PollFd::new(self.timer.as_fd(), PollFlags::POLLIN),
                ];
                match ppoll(&mut fds, hold.map(TimeSpec::from_duration), None) {
                    Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                    Err(e) => return Err(e.into()),
                }
                let ready = |i: usize| {
                    fds.get(i)
                        .and_then(PollFd::revents)
                        .is_some_and(|r| !r.is_empty())
                };
                (ready(0), ready(1), ready(2), ready(3))
            };
            if fired {
                self.armed = None;
            }
            if frames || hold.is_some() {
                self.read_frames(&mut buf)?;
            }
            if monitor {
                self.read_monitor(&mut buf);
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
                        Ok(Signal::SIGHUP) => self.reload(),
                        _ => {}
                    }
                }
            }
        }
    }

    /// Arms the timerfd at carp's next deadline (re-arming also clears a
    /// past expiry), or disarms it when carp has none. A wake-up that left
    /// the deadline as it was (a frame, a signal) costs no system call.
    fn arm_timer(&mut self) -> io::Result<()> {
        let next = self.carpif.poll_timeout();
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

    fn read_frames(&mut self, buf: &mut [u8]) -> io::Result<()> {
        // Bounded per wake-up so a flood cannot starve the timers.
        for _ in 0..256 {
            let Some(len) = self.nic.socket.recv(buf)? else {
                break;
            };
            let frame = buf.get(..len).unwrap_or(&[]);
            let t = now();
            let result = self.carpif.input(t, frame, &self.sysctl);
            // An answer or a takeover advert goes out at once.
            if self.carpif.has_pending_output() {
                self.carpif.poll(t, &mut self.nic, &self.sysctl);
            }
            if self.cli.debug {
                if let Err(reject) = result {
                    eprintln!("carpd: dropped frame: {reject} ({})", reject.counter());
                }
            }
            self.drain_events();
        }
        Ok(())
    }

    fn read_monitor(&mut self, buf: &mut [u8]) {
        let mut link = None;
        let mut addrs = false;
        for _ in 0..64 {
            match self.monitor.recv(&mut &mut buf[..], libc::MSG_DONTWAIT) {
                Ok(n) if n > 0 => {
                    let (l, a) = parse_monitor(buf.get(..n).unwrap_or(&[]), self.parent.index);
                    link = l.or(link);
                    addrs |= a;
                }
                _ => break,
            }
        }
        if let Some(up) = link {
            if up != self.carpif.is_link_up() {
                self.nic.link_up = up;
                self.carpif.set_link(now(), up, &self.sysctl);
                self.drain_events();
            }
        }
        if addrs {
            if let Ok(list) = self.netlink.addresses(self.parent.index) {
                let (v4, v6) = pick_sources(&list);
                self.nic.ipv4 = self.cli.srcip.or(v4);
                self.nic.ipv6_link_local = v6;
                self.carpif.set_parent(self.nic.parent_info());
            }
        }
    }

    fn drain_events(&mut self) {
        while let Some(event) = self.carpif.poll_event() {
            let line = event_json(&self.cli.interface, &event);
            if self.cli.debug {
                eprintln!("carpd: {line}");
            }
            self.events.send(line);
            self.on_event(&event);
        }
    }

    fn on_event(&mut self, event: &Event) {
        let EventKind::StateChange { from, to, .. } = event.kind else {
            return;
        };
        let vhid = event.vhid;
        if to == State::Master {
            self.install(vhid);
            self.run_scripts(vhid, true);
        } else if from == State::Master {
            self.uninstall(vhid);
            if !self.shutting_down {
                self.run_scripts(vhid, false);
            }
        } else if to == State::Backup && !self.started.contains(&vhid) && !self.cli.neutral {
            self.run_scripts(vhid, false);
        }
        if to != State::Init {
            self.started.insert(vhid);
        }
    }

    fn spec(&self, vhid: u8) -> Option<&VhostSpec> {
        self.specs.iter().find(|s| s.config.vhid.get() == vhid)
    }

    fn run_scripts(&self, vhid: u8, up: bool) {
        let script = if up {
            &self.cli.upscript
        } else {
            &self.cli.downscript
        };
        let (Some(program), Some(spec)) = (script, self.spec(vhid)) else {
            return;
        };
        for addr in spec.config.addresses() {
            self.scripts.send(ScriptRun {
                program: program.clone(),
                args: script_args(&self.cli.interface, *addr, self.cli.xparam.as_deref()),
            });
        }
    }

    fn install(&mut self, vhid: u8) {
        if self.cli.no_addresses {
            return;
        }
        let Some(&index) = self.macvlans.get(&vhid) else {
            return;
        };
        let addrs: Vec<(IpAddr, u8)> = match self.spec(vhid) {
            Some(s) => s
                .config
                .addresses()
                .iter()
                .map(|a| (*a, s.prefix_len(*a)))
                .collect(),
            None => return,
        };
        if let Err(e) = self.netlink.set_up(index, true) {
            eprintln!("carpd: vhid {vhid}: macvlan up: {e}");
        }
        for (addr, len) in addrs {
            if let Err(e) = self.netlink.add_address(index, addr, len) {
                eprintln!("carpd: vhid {vhid}: add {addr}/{len}: {e}");
            }
        }
        self.installed.insert(vhid);
    }

    fn uninstall(&mut self, vhid: u8) {
        if !self.installed.remove(&vhid) {
            return;
        }
        let Some(&index) = self.macvlans.get(&vhid) else {
            return;
        };
        let addrs: Vec<(IpAddr, u8)> = self
            .spec(vhid)
            .map(|s| {
                s.config
                    .addresses()
                    .iter()
                    .map(|a| (*a, s.prefix_len(*a)))
                    .collect()
            })
            .unwrap_or_default();
        for (addr, len) in addrs {
            if let Err(e) = self.netlink.del_address(index, addr, len) {
                eprintln!("carpd: vhid {vhid}: remove {addr}: {e}");
            }
        }
        if let Err(e) = self.netlink.set_up(index, false) {
            eprintln!("carpd: vhid {vhid}: macvlan down: {e}");
        }
    }

    /// Makes the running vhids those of `wanted`: removes (a master bows
    /// out), adds, reconfigures. `wanted` was validated whole beforehand.
    fn apply(&mut self, wanted: Vec<VhostSpec>) -> io::Result<()> {
        let t = now();
        let gone: Vec<VhostSpec> = self
            .specs
            .iter()
            .filter(|s| !wanted.iter().any(|w| w.config.vhid == s.config.vhid))
            .cloned()
            .collect();
        for spec in &gone {
            let vhid = spec.config.vhid.get();
            let _ = self.carpif.remove_vhost(t, vhid, &self.sysctl);
            self.drain_events();
            self.specs.retain(|s| s.config.vhid != spec.config.vhid);
            if let Some(index) = self.macvlans.remove(&vhid) {
                let _ = self.netlink.delete_link(index);
            }
        }
        for spec in wanted {
            let vhid = spec.config.vhid.get();
            let old = self.spec(vhid).cloned();
            match old {
                Some(old) if old == spec => {}
                Some(_) => {
                    let was_installed = self.installed.contains(&vhid);
                    if was_installed {
                        self.uninstall(vhid);
                    }
                    self.specs.retain(|s| s.config.vhid.get() != vhid);
                    self.specs.push(spec.clone());
                    if let Err(e) = self
                        .carpif
                        .reconfigure(t, spec.config.clone(), &self.sysctl)
                    {
                        eprintln!("carpd: vhid {vhid}: {e}");
                    }
                    if was_installed {
                        self.install(vhid);
                    }
                    self.drain_events();
                }
                None => {
                    if !self.cli.no_addresses {
                        let mac = LinkType::Ethernet.virtual_mac(vhid).octets();
                        let name = macvlan_name(vhid, &self.cli.interface);
                        let index = self
                            .netlink
                            .ensure_macvlan(self.parent.index, &name, mac)
                            .map_err(|e| err(format!("macvlan {name}: {e}")))?;
                        self.macvlans.insert(vhid, index);
                    }
                    self.specs.push(spec.clone());
                    self.carpif
                        .add_vhost(t, spec.config.clone(), random_u64(), &self.sysctl)
                        .map_err(|e| err(format!("vhid {vhid}: {e}")))?;
                    self.drain_events();
                    if spec.down {
                        let _ = self.carpif.set_admin(t, vhid, false, &self.sysctl);
                    } else if let Some(state) = spec.state {
                        if let Err(e) = self.carpif.force_state(t, vhid, state, &self.sysctl) {
                            eprintln!("carpd: vhid {vhid}: state {state}: {e}");
                        }
                    }
                    self.drain_events();
                }
            }
        }
        self.specs.sort_by_key(|s| s.config.vhid);
        let vhosts = self
            .specs
            .iter()
            .map(|s| (s.config.vhid.get(), s.config.addresses()));
        let spec = FilterSpec::from_vhosts(self.sysctl.allow(), vhosts);
        if let Err(why) = self.nic.socket.set_filter(&spec) {
            eprintln!("carpd: {}: kernel filter: {why}", self.cli.interface);
        }
        Ok(())
    }

    fn reload(&mut self) {
        let Some(path) = self.cli.config.clone() else {
            eprintln!("carpd: SIGHUP without --config: nothing to reload");
            return;
        };
        let desired = match Desired::from_cli(&self.cli)
            .and_then(|cli| Ok(cli.merged(Desired::from_file(&self.cli.interface, &path)?)))
        {
            Ok(d) => d,
            Err(e) => {
                eprintln!("carpd: reload refused, keeping the running configuration: {e}");
                return;
            }
        };
        // Validate the knobs before touching anything.
        let scratch = Sysctl::new();
        if let Some(bad) = desired
            .sysctl_lines
            .iter()
            .find(|l| scratch.set_line(l).is_err())
        {
            eprintln!("carpd: reload refused: bad sysctl line {bad:?}");
            return;
        }
        if desired.vhosts.len() > MAX_VHIDS {
            eprintln!("carpd: reload refused: more than {MAX_VHIDS} vhids");
            return;
        }
        for line in &desired.sysctl_lines {
            let _ = self.sysctl.set_line(line);
        }
        match self.apply(desired.vhosts) {
            Ok(()) => eprintln!("carpd: reloaded {}", path.display()),
            Err(e) => eprintln!("carpd: reload of {} failed part way: {e}", path.display()),
        }
    }

    fn print_status(&self) {
        let mut out = String::new();
        for v in self.carpif.vhosts() {
            let t = v.timing();
            out.push_str(&format!(
                "{}: carp: {} vhid {} advbase {} advskew {}\n",
                self.cli.interface,
                v.state(),
                v.vhid(),
                t.advbase,
                t.advskew
            ));
        }
        // Frames the kernel filter dropped are counted as the library would.
        let kernel = self.nic.socket.kernel_counts();
        let mut stats = self.carpif.stats().clone();
        stats.merge(&kernel.carp);
        out.push_str(&format!("{}{kernel}", stats.netstat()));
        eprint!("{out}");
    }

    /// Leaves: every vhid goes down (a master sends its bow-out advert),
    /// addresses and macvlans are removed, scripts and events drain.
    fn shutdown(&mut self) {
        self.shutting_down = true;
        let t = now();
        let vhids: Vec<u8> = self.specs.iter().map(|s| s.config.vhid.get()).collect();
        for vhid in &vhids {
            let _ = self.carpif.remove_vhost(t, *vhid, &self.sysctl);
            self.drain_events();
        }
        // The bow-out adverts go out now.
        self.carpif.poll(t, &mut self.nic, &self.sysctl);
        if self.cli.shutdown {
            for vhid in &vhids {
                self.run_scripts(*vhid, false);
            }
        }
        for (_, index) in std::mem::take(&mut self.macvlans) {
            let _ = self.netlink.delete_link(index);
        }
        self.events.finish();
        self.scripts.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macvlan_names_fit_ifnamsiz() {
        assert_eq!(macvlan_name(1, "eth0"), "carp1-eth0");
        assert_eq!(macvlan_name(255, "enp0s31f6abc"), "carp255-enp0s31");
    }

    #[test]
    fn the_clock_is_monotonic() {
        let a = now();
        let b = now();
        assert!(b >= a);
        assert!(a.micros() > 0);
    }
}
