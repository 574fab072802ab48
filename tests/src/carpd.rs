//! Running carpd and ucarp inside a [`Lab`](crate::netns::Lab)'s hosts for
//! the interop tests, and reading back what state each one is in.
//!
//! carpd's state comes from its JSON event lines (`--events FILE`); ucarp's
//! from up/down scripts that add or remove the virtual address on `eth0`
//! (as a ucarp user's scripts would) and write `MASTER` or `BACKUP` to a
//! file. The carpd binary is `$CARPD_BIN` when set, else it is built once
//! per test process with `cargo build -p carpd` into `<target>/interop-carpd`
//! (its own target directory, so it never waits on the running cargo's lock).

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::netns::{Background, Host, Netns};
use crate::process::{output_within, wait_until};

/// The carpd binary to run.
///
/// # Panics
/// When it cannot be built.
pub fn carpd_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("CARPD_BIN") {
            return PathBuf::from(bin);
        }
        let exe = std::env::current_exe().expect("current exe");
        // <target>/<profile>/deps/<test binary>
        let target = exe
            .ancestors()
            .nth(3)
            .map_or_else(|| PathBuf::from("target"), Path::to_path_buf);
        let target = target.join("interop-carpd");
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        let cargo = option_env!("CARGO").unwrap_or("cargo");
        let out = output_within(
            Command::new(cargo)
                .args(["build", "--quiet", "-p", "carpd", "--bins"])
                .arg("--manifest-path")
                .arg(&manifest)
                .arg("--target-dir")
                .arg(&target),
            Duration::from_secs(600),
        )
        .expect("cargo build -p carpd");
        assert!(
            out.status.success(),
            "cargo build -p carpd failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        target.join("debug").join("carpd")
    })
    .clone()
}

/// The carpctl binary: beside [`carpd_bin`] (`cargo build -p carpd`
/// builds both).
pub fn carpctl_bin() -> PathBuf {
    carpd_bin().with_file_name("carpctl")
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A scratch directory, removed on drop.
#[derive(Debug)]
pub struct Scratch {
    /// Its path.
    pub path: PathBuf,
}

impl Scratch {
    /// A fresh directory under the system temp dir.
    ///
    /// # Panics
    /// When it cannot be created.
    pub fn new(tag: &str) -> Scratch {
        let path = std::env::temp_dir().join(format!(
            "carp-interop-{}-{}-{tag}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("scratch dir");
        Scratch { path }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// The states a daemon can be seen in.
pub const MASTER: &str = "MASTER";
/// See [`MASTER`].
pub const BACKUP: &str = "BACKUP";

/// Sends `signal` (a `kill` name: TERM, KILL, USR1) to `pid`.
pub fn signal(pid: u32, signal: &str) {
    let _ = output_within(
        Command::new("kill").args([&format!("-{signal}"), &pid.to_string()]),
        Duration::from_secs(5),
    );
}

/// One carpd in a host namespace.
#[derive(Debug)]
pub struct Carpd {
    proc: Option<Background>,
    /// Its JSON event lines.
    pub events: PathBuf,
    /// Its stderr.
    pub stderr: PathBuf,
}

impl Carpd {
    /// Starts `carpd -i eth0 <args>` in `host`, events and stderr in `dir`
    /// under `name`.
    ///
    /// # Panics
    /// When it cannot be spawned.
    pub fn start(host: &Host, dir: &Path, name: &str, args: &[&str]) -> Carpd {
        Carpd::start_gated(host, dir, name, args, None)
    }

    /// As [`Carpd::start`], but carpd is exec'd only once the file `gate`
    /// exists (polled in a busy loop), so several carpd can be made to
    /// start within well under a millisecond of each other.
    ///
    /// # Panics
    /// When it cannot be spawned.
    pub fn start_gated(
        host: &Host,
        dir: &Path,
        name: &str,
        args: &[&str],
        gate: Option<&Path>,
    ) -> Carpd {
        let mut all = vec!["-i", host.ifname.as_str()];
        all.extend_from_slice(args);
        Carpd::spawn(&host.ns, dir, name, &all, gate)
    }

    /// Starts `carpd <args>` (the caller gives every `-i`) in namespace
    /// `ns`, events and stderr in `dir` under `name`, lock files in
    /// `dir/run` (every carpd of a test shares it; `--run-dir` in `args`
    /// overrides it).
    ///
    /// # Panics
    /// When it cannot be spawned.
    pub fn start_args(ns: &Netns, dir: &Path, name: &str, args: &[&str]) -> Carpd {
        Carpd::spawn(ns, dir, name, args, None)
    }

    fn spawn(ns: &Netns, dir: &Path, name: &str, args: &[&str], gate: Option<&Path>) -> Carpd {
        let events = dir.join(format!("{name}.events"));
        let stderr = dir.join(format!("{name}.stderr"));
        let wait = gate.map_or_else(String::new, |g| {
            format!("while [ ! -e '{}' ]; do :; done; ", g.display())
        });
        let mut line = format!(
            "{wait}exec {} --events {}",
            carpd_bin().display(),
            events.display()
        );
        if !args.contains(&"--run-dir") {
            line.push_str(&format!(" --run-dir {}", dir.join("run").display()));
        }
        for a in args {
            line.push_str(&format!(" '{a}'"));
        }
        line.push_str(&format!(" 2>>{}", stderr.display()));
        let proc = ns.spawn(&["sh", "-c", &line]).expect("spawn carpd");
        Carpd {
            proc: Some(proc),
            events,
            stderr,
        }
    }

    /// True while it runs.
    pub fn is_running(&mut self) -> bool {
        self.proc.as_mut().is_some_and(Background::is_running)
    }

    /// Its stderr so far.
    pub fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// The JSON lines of `event` kind (`state`, `counters`, `replay`...).
    pub fn events_of(&self, event: &str) -> Vec<String> {
        self.event_lines()
            .into_iter()
            .filter(|l| json_field(l, "event").as_deref() == Some(event))
            .collect()
    }

    /// Its pid (that of carpd itself: `ip netns exec` and `sh -c exec`
    /// both exec).
    pub fn pid(&self) -> u32 {
        self.proc.as_ref().and_then(Background::id).unwrap_or(0)
    }

    /// The JSON event lines so far.
    pub fn event_lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.events)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The state of the last state change, with its reason.
    pub fn last_state(&self) -> Option<(String, String)> {
        self.event_lines().iter().rev().find_map(|l| {
            // Only `state` lines: a `demotion` line has a `to` too.
            if json_field(l, "event").as_deref() != Some("state") {
                return None;
            }
            let to = json_field(l, "to")?;
            Some((to, json_field(l, "reason").unwrap_or_default()))
        })
    }

    /// The current state (`MASTER`, `BACKUP`, `INIT`) or `None` before any.
    pub fn state(&self) -> Option<String> {
        self.last_state().map(|(s, _)| s)
    }

    /// Waits until its state is `want`.
    pub fn wait_state(&self, want: &str, timeout: Duration) -> bool {
        wait_until(timeout, || self.state().as_deref() == Some(want))
    }

    /// SIGKILL: a crash, no bow-out.
    pub fn crash(&mut self) {
        if let Some(p) = self.proc.take() {
            signal(p.id().unwrap_or(0), "KILL");
            drop(p);
        }
    }

    /// SIGTERM and wait for it to exit (at most `grace`).
    pub fn terminate(&mut self, grace: Duration) {
        if let Some(mut p) = self.proc.take() {
            signal(p.id().unwrap_or(0), "TERM");
            wait_until(grace, || !p.is_running());
            drop(p);
        }
    }

    /// SIGUSR1, then the stderr text once it has the counters.
    pub fn status_report(&self) -> String {
        signal(self.pid(), "USR1");
        let mut text = String::new();
        wait_until(Duration::from_secs(3), || {
            text = std::fs::read_to_string(&self.stderr).unwrap_or_default();
            text.contains("transitions to master")
        });
        text
    }
}

/// The interface index of `ifname` in `host`'s namespace.
///
/// # Panics
/// When the interface does not exist.
pub fn ifindex(host: &Host, ifname: &str) -> u32 {
    let path = format!("/sys/class/net/{ifname}/ifindex");
    host.ns
        .run(&["cat", &path])
        .expect("ifindex")
        .trim()
        .parse()
        .expect("ifindex is a number")
}

/// The name of the macvlan carpd gives `vhid` on `host`'s `parent`
/// (`carp<vhid>-<parent ifindex>`, carpd's `vmac` module).
pub fn vmac_name(host: &Host, parent: &str, vhid: u8) -> String {
    format!("carp{vhid}-{}", ifindex(host, parent))
}

/// The value of a counter line (`<n> <text>`) in netstat-style output.
pub fn counter(report: &str, text: &str) -> Option<u64> {
    report
        .lines()
        .rev()
        .find(|l| {
            l.trim_start()
                .split_once(' ')
                .is_some_and(|(_, t)| t == text)
        })
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
}

/// A string or number field of a flat JSON line (enough for carpd's lines).
pub fn json_field(line: &str, key: &str) -> Option<String> {
    let pat = format!("\"{key}\":");
    let rest = &line[line.find(&pat)? + pat.len()..];
    if let Some(s) = rest.strip_prefix('"') {
        return Some(s[..s.find('"')?].to_owned());
    }
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    Some(rest[..end].to_owned())
}

/// One ucarp in a host namespace, with scripts that move the address on
/// `eth0` and record its state.
#[derive(Debug)]
pub struct Ucarp {
    proc: Option<Background>,
    state_file: PathBuf,
}

impl Ucarp {
    /// Starts ucarp on `eth0` of `host` for `vhid`/`pass`/`addr` (IPv4,
    /// /24) with `skew` (advbase 1) and `extra` flags.
    ///
    /// # Panics
    /// When the scripts cannot be written or ucarp not spawned.
    pub fn start(
        host: &Host,
        dir: &Path,
        name: &str,
        (vhid, pass, addr, skew): (u8, &str, &str, u8),
        extra: &[&str],
    ) -> Ucarp {
        let state_file = dir.join(format!("{name}.state"));
        let up = dir.join(format!("{name}-up.sh"));
        let down = dir.join(format!("{name}-down.sh"));
        let script = |path: &Path, body: &str| {
            std::fs::write(path, format!("#!/bin/sh\n{body}\n")).expect("script");
            let _ = Command::new("chmod").arg("+x").arg(path).status();
        };
        script(
            &up,
            &format!(
                "ip addr add \"$2\"/24 dev \"$1\" 2>/dev/null\necho MASTER > {}",
                state_file.display()
            ),
        );
        script(
            &down,
            &format!(
                "ip addr del \"$2\"/24 dev \"$1\" 2>/dev/null\necho BACKUP > {}",
                state_file.display()
            ),
        );
        let src = host
            .addrs
            .iter()
            .find(|a| a.is_ipv4())
            .map(ToString::to_string)
            .unwrap_or_default();
        let mut argv = vec![
            "ucarp".to_owned(),
            format!("--interface={}", host.ifname),
            format!("--srcip={src}"),
            format!("--vhid={vhid}"),
            format!("--pass={pass}"),
            format!("--addr={addr}"),
            "--advbase=1".to_owned(),
            format!("--advskew={skew}"),
            format!("--upscript={}", up.display()),
            format!("--downscript={}", down.display()),
            "--shutdown".to_owned(),
        ];
        argv.extend(extra.iter().map(|s| (*s).to_owned()));
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let proc = host.ns.spawn(&argv).expect("spawn ucarp");
        Ucarp {
            proc: Some(proc),
            state_file,
        }
    }

    /// What the scripts last recorded.
    pub fn state(&self) -> Option<String> {
        std::fs::read_to_string(&self.state_file)
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    }

    /// Waits until its state is `want`.
    pub fn wait_state(&self, want: &str, timeout: Duration) -> bool {
        wait_until(timeout, || self.state().as_deref() == Some(want))
    }

    /// Its pid.
    pub fn pid(&self) -> u32 {
        self.proc.as_ref().and_then(Background::id).unwrap_or(0)
    }

    /// SIGKILL.
    pub fn crash(&mut self) {
        if let Some(p) = self.proc.take() {
            signal(p.id().unwrap_or(0), "KILL");
            drop(p);
        }
    }
}

/// Pings `addr` from `host` until it answers or `timeout` passes (IPv4 or
/// IPv6, 100 ms waits).
pub fn wait_reachable(host: &Host, addr: &str, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        let ok = host
            .ns
            .exec(&["ping", "-c", "1", "-W", "0.3", addr])
            .is_ok_and(|o| o.status.success());
        if ok {
            return true;
        }
    }
    false
}

/// Blocks for `d` (readability in tests: "let time pass").
pub fn pause(d: Duration) {
    std::thread::sleep(d);
}

/// Wraps an io error with context (test helper).
///
/// # Errors
/// Always the given error, annotated.
pub fn context<T>(r: io::Result<T>, what: &str) -> io::Result<T> {
    r.map_err(|e| io::Error::new(e.kind(), format!("{what}: {e}")))
}
