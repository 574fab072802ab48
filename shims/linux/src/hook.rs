//! Per-group state hooks (`--group-hook`): one command per interface group
//! (OpenBSD `ifconfig carpN group fw`), run as `HOOK STATE GROUP` when the
//! group's state changes, the way keepalived's `vrrp_sync_group` runs its
//! `notify_master`/`notify_backup` once for a set of VRRP instances.
//!
//! **The group's state** ([`GroupState::of`]): `MASTER` when every member
//! vhid is MASTER, `INIT` when every member is INIT (its parent down, or
//! itself down), else `BACKUP`. A firewall pair's group is MASTER only
//! once both sides' virtual addresses are here, and leaves MASTER as soon
//! as one side does: the state table is committed once, for the whole box.
//!
//! **The transition contract**, what a hook may rely on:
//! - at start-up the hook runs once with `BACKUP` (or `MASTER` if every
//!   member already is), whatever it was told before carpd started;
//! - on becoming MASTER, the vhids' first adverts (and the gratuitous ARP)
//!   have gone out before the hook starts: carpd starts hooks only after
//!   the engine's output of that wake-up is sent;
//! - runs of one group never overlap: a change while the hook runs is
//!   coalesced, and when the hook ends it runs once more for the latest
//!   state (`CARP_SEQ` then skips the transitions it never saw); a latest
//!   state equal to the one the hook last ran for runs nothing;
//! - a run still going after the timeout ([`DEFAULT_TIMEOUT`],
//!   `--hook-timeout`) is killed with its process group, logged, and
//!   reported (`hook` event, `killed after ...`);
//! - the hook is a child process reaped on SIGCHLD: the event loop never
//!   waits for it.
//!
//! Environment: `CARP_GROUP`, `CARP_STATE` and `CARP_PREVIOUS_STATE` (the
//! state the previous run was given, `INIT` for the first),
//! `CARP_REASON` (the member's state-change reason that moved the group,
//! or `start`, `shutdown`), `CARP_VHIDS` (`parent:vhid` space-separated),
//! `CARP_DEMOTE` (the group's demote counter), `CARP_SEQ` (the group's
//! transition number, from 1), `CARP_TIME` (RFC 3339 UTC wall clock of
//! the transition).
//!
//! [`Hooks`] is the scheduler: it reads the clock it is given and starts
//! children through a [`Launcher`], so its ordering, coalescing and
//! timeouts are tested on a fake clock with fake children.

use std::collections::BTreeMap;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use carp_core::{Instant, State};

/// How long a hook may run unless `--hook-timeout` says otherwise.
pub const DEFAULT_TIMEOUT_SECS: u32 = 10;

/// [`DEFAULT_TIMEOUT_SECS`] in µs of the daemon's clock.
pub const DEFAULT_TIMEOUT: u64 = DEFAULT_TIMEOUT_SECS as u64 * 1_000_000;

/// The most of a hook's stderr kept for its `hook` event (its tail).
pub const STDERR_TAIL: usize = 4096;

/// A group's state (see the module docs for the rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupState {
    /// Every member INIT (or before carpd's first).
    Init,
    /// Neither of the others.
    Backup,
    /// Every member MASTER.
    Master,
}

impl GroupState {
    /// The group's state from its members' states; a group without
    /// members is INIT.
    pub fn of(states: impl IntoIterator<Item = State>) -> GroupState {
        let (mut any, mut all_master, mut all_init) = (false, true, true);
        for s in states {
            any = true;
            all_master &= s == State::Master;
            all_init &= s == State::Init;
        }
        if !any || all_init {
            GroupState::Init
        } else if all_master {
            GroupState::Master
        } else {
            GroupState::Backup
        }
    }

    /// `master`, `backup`, `init` (the `group` and `hook` events).
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Init => "init",
            GroupState::Backup => "backup",
            GroupState::Master => "master",
        }
    }

    /// `MASTER`, `BACKUP`, `INIT` (the hook's argument and environment).
    pub fn arg(self) -> &'static str {
        match self {
            GroupState::Init => "INIT",
            GroupState::Backup => "BACKUP",
            GroupState::Master => "MASTER",
        }
    }
}

/// A group as the engine has it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// Its state.
    pub state: GroupState,
    /// Why, when it changed: a member's state-change reason, `start`,
    /// `shutdown`.
    pub reason: String,
    /// Its members, `parent:vhid` space-separated.
    pub vhids: String,
    /// Its demote counter.
    pub demote: u8,
}

/// One run of a group's hook: its arguments and environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookRun {
    /// The group.
    pub group: String,
    /// The state it is run for.
    pub state: GroupState,
    /// The state the previous run was given (`Init` for the first).
    pub previous: GroupState,
    /// The transition's number.
    pub seq: u64,
    /// The group then.
    pub observed: Observed,
    /// Wall clock of the transition, RFC 3339.
    pub time: String,
}

impl HookRun {
    /// The command: `program STATE GROUP` with the `CARP_*` environment,
    /// stdin from /dev/null, in a process group of its own.
    pub fn command(&self, program: &std::path::Path) -> Command {
        let mut c = Command::new(program);
        c.arg(self.state.arg())
            .arg(&self.group)
            .env("CARP_GROUP", &self.group)
            .env("CARP_STATE", self.state.arg())
            .env("CARP_PREVIOUS_STATE", self.previous.arg())
            .env("CARP_REASON", &self.observed.reason)
            .env("CARP_VHIDS", &self.observed.vhids)
            .env("CARP_DEMOTE", self.observed.demote.to_string())
            .env("CARP_SEQ", self.seq.to_string())
            .env("CARP_TIME", &self.time)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .process_group(0);
        c
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// Exited with this status.
    Exit(i32),
    /// Killed by this signal (not by carpd).
    Signal(i32),
    /// Killed by carpd after this many µs (`--hook-timeout`).
    TimedOut(u64),
    /// Could not be started: why.
    NotStarted(String),
}

impl Ended {
    /// The `hook` event's `status`.
    pub fn status(&self) -> String {
        match self {
            Ended::Exit(c) => format!("exit {c}"),
            Ended::Signal(s) => format!("signal {s}"),
            #[allow(clippy::cast_precision_loss)]
            Ended::TimedOut(us) => format!(
                "killed after {:.1} s (hook-timeout)",
                *us as f64 / 1_000_000.0
            ),
            Ended::NotStarted(why) => format!("not started: {why}"),
        }
    }
}

/// A finished run, for the `hook` event and the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// The run.
    pub run: HookRun,
    /// How it ended.
    pub ended: Ended,
    /// How long it ran, µs.
    pub micros: u64,
    /// The tail of its stderr, when it wrote any.
    pub stderr: Option<String>,
}

/// Starts, checks on and kills hook processes (a fake one in tests).
pub trait Launcher {
    /// A running child.
    type Child;
    /// Starts `run`.
    ///
    /// # Errors
    /// The program could not be started.
    fn launch(&mut self, run: &HookRun) -> io::Result<Self::Child>;
    /// How the child ended, if it has (never blocks).
    fn try_wait(&mut self, child: &mut Self::Child) -> Option<Ended>;
    /// Kills the child and what it started, and reaps it.
    fn kill(&mut self, child: &mut Self::Child);
    /// The tail of what the child wrote on stderr.
    fn stderr(&mut self, child: &mut Self::Child) -> Option<String>;
}

/// The real launcher: the hook's stderr goes to an anonymous memory file
/// read when it ends, so a talkative hook never blocks on a pipe.
#[derive(Debug)]
pub struct Processes {
    /// The hook.
    pub program: PathBuf,
}

/// A running hook process.
#[derive(Debug)]
pub struct Process {
    child: Child,
    stderr: std::fs::File,
}

impl Launcher for Processes {
    type Child = Process;

    fn launch(&mut self, run: &HookRun) -> io::Result<Process> {
        let fd = nix::sys::memfd::memfd_create(
            c"carpd-hook-stderr",
            nix::sys::memfd::MFdFlags::MFD_CLOEXEC,
        )?;
        let stderr = std::fs::File::from(fd);
        let child = run
            .command(&self.program)
            .stderr(Stdio::from(stderr.try_clone()?))
            .spawn()?;
        Ok(Process { child, stderr })
    }

    fn try_wait(&mut self, p: &mut Process) -> Option<Ended> {
        match p.child.try_wait() {
            Ok(Some(status)) => Some(match (status.code(), status.signal()) {
                (Some(c), _) => Ended::Exit(c),
                (None, Some(s)) => Ended::Signal(s),
                (None, None) => Ended::Exit(-1),
            }),
            Ok(None) => None,
            Err(e) => Some(Ended::NotStarted(e.to_string())),
        }
    }

    fn kill(&mut self, p: &mut Process) {
        if let Ok(pid) = i32::try_from(p.child.id()) {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = p.child.wait();
    }

    fn stderr(&mut self, p: &mut Process) -> Option<String> {
        let len = p.stderr.seek(SeekFrom::End(0)).ok()?;
        let start = len.saturating_sub(STDERR_TAIL as u64);
        p.stderr.seek(SeekFrom::Start(start)).ok()?;
        let mut bytes = Vec::new();
        p.stderr.read_to_end(&mut bytes).ok()?;
        (!bytes.is_empty()).then(|| String::from_utf8_lossy(&bytes).into_owned())
    }
}

#[derive(Debug)]
struct Running<C> {
    child: C,
    run: HookRun,
    started: Instant,
}

#[derive(Debug)]
struct Group<C> {
    /// The state last observed (`Init` before the first).
    state: GroupState,
    seq: u64,
    /// The state the last started run was given.
    ran: GroupState,
    running: Option<Running<C>>,
    /// The latest transition not yet run.
    wanted: Option<HookRun>,
}

/// A group's transition, for the `group` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The group.
    pub group: String,
    /// Its number.
    pub seq: u64,
    /// Before.
    pub from: GroupState,
    /// After, and why.
    pub to: Observed,
}

/// The hooks of every group (see the module docs).
#[derive(Debug)]
pub struct Hooks<L: Launcher> {
    launcher: L,
    /// µs.
    timeout: u64,
    groups: BTreeMap<String, Group<L::Child>>,
}

impl<L: Launcher> Hooks<L> {
    /// Hooks started through `launcher`, killed after `timeout` µs.
    pub fn new(launcher: L, timeout: u64) -> Self {
        Hooks {
            launcher,
            timeout,
            groups: BTreeMap::new(),
        }
    }

    /// Tells the scheduler the group's state now; returns the transition
    /// when it changed. A group's first observation (carpd's start, or a
    /// group new in a reload) is a transition with reason `start`, run as
    /// BACKUP unless MASTER. Start what is due with [`Hooks::poll`].
    pub fn observe(
        &mut self,
        group: &str,
        mut observed: Observed,
        time: &str,
    ) -> Option<Transition> {
        let g = self.groups.entry(group.to_owned()).or_insert(Group {
            state: GroupState::Init,
            seq: 0,
            ran: GroupState::Init,
            running: None,
            wanted: None,
        });
        let start = g.seq == 0;
        if start {
            "start".clone_into(&mut observed.reason);
            if observed.state == GroupState::Init {
                observed.state = GroupState::Backup;
            }
        } else if observed.state == g.state {
            return None;
        }
        let from = g.state;
        g.state = observed.state;
        g.seq += 1;
        g.wanted = Some(HookRun {
            group: group.to_owned(),
            state: observed.state,
            previous: g.ran,
            seq: g.seq,
            observed: observed.clone(),
            time: time.to_owned(),
        });
        Some(Transition {
            group: group.to_owned(),
            seq: g.seq,
            from,
            to: observed,
        })
    }

    /// Reaps what ended, kills what ran past its timeout, and starts each
    /// idle group's latest transition; returns the runs that ended.
    pub fn poll(&mut self, now: Instant) -> Vec<Finished> {
        let mut done = Vec::new();
        for g in self.groups.values_mut() {
            if let Some(r) = &mut g.running {
                let ran = now.saturating_since(r.started).micros();
                let ended = match self.launcher.try_wait(&mut r.child) {
                    Some(e) => Some(e),
                    None if ran >= self.timeout => {
                        self.launcher.kill(&mut r.child);
                        Some(Ended::TimedOut(ran))
                    }
                    None => None,
                };
                if let Some(ended) = ended {
                    let stderr = self.launcher.stderr(&mut r.child);
                    if let Some(r) = g.running.take() {
                        done.push(Finished {
                            run: r.run,
                            ended,
                            micros: ran,
                            stderr,
                        });
                    }
                }
            }
            if g.running.is_some() {
                continue;
            }
            let Some(mut run) = g.wanted.take() else {
                continue;
            };
            // Coalesced back to what the hook last did: nothing to do.
            if run.state == g.ran {
                continue;
            }
            run.previous = g.ran;
            g.ran = run.state;
            match self.launcher.launch(&run) {
                Ok(child) => {
                    g.running = Some(Running {
                        child,
                        run,
                        started: now,
                    });
                }
                Err(e) => done.push(Finished {
                    run,
                    ended: Ended::NotStarted(e.to_string()),
                    micros: 0,
                    stderr: None,
                }),
            }
        }
        done
    }

    /// When the next running hook's time is up.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.groups
            .values()
            .filter_map(|g| g.running.as_ref())
            .map(|r| Instant::from_micros(r.started.micros().saturating_add(self.timeout)))
            .min()
    }

    /// True while a hook runs or a transition waits.
    pub fn busy(&self) -> bool {
        self.groups
            .values()
            .any(|g| g.running.is_some() || g.wanted.is_some())
    }

    /// The groups known, with their last observed state.
    pub fn states(&self) -> impl Iterator<Item = (&str, GroupState)> {
        self.groups.iter().map(|(n, g)| (n.as_str(), g.state))
    }
}

#[cfg(test)]
#[path = "hook_tests.rs"]
mod tests;
