//! Booting the example kernel (`shims/kernel`) under QEMU on a lab's bridge.
//!
//! The image is built once per test process with `cargo build --release`
//! in `shims/kernel` (its own target directory, so cargo's no-op check is
//! all a second run costs), or taken from `$CARP_KERNEL_IMAGE`. A
//! [`Guest`] is QEMU (`-accel tcg`, qboot firmware, `-kernel`) started in
//! the lab's bridge namespace with a tap enslaved to the bridge; its serial
//! console is QEMU's stdin/stdout: every line it prints is kept with the
//! host instant it arrived, and [`Guest::console`] writes a control
//! statement. QEMU is killed when the guest drops.

use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::netns::Lab;
use crate::process::{output_within, wait_until, wait_within};

/// The firmware: qboot, which starts in milliseconds (SeaBIOS is slower).
pub const QBOOT: &str = "/usr/share/qemu/bios-microvm.bin";
/// The QEMU binary.
pub const QEMU: &str = "qemu-system-x86_64";

/// True when QEMU and qboot are installed.
pub fn qemu_available() -> bool {
    Path::new(QBOOT).exists()
        && output_within(Command::new(QEMU).arg("--version"), Duration::from_secs(10))
            .is_ok_and(|o| o.status.success())
}

/// The kernel image (built on first use).
///
/// # Panics
/// When cargo fails to build it.
pub fn image() -> PathBuf {
    static IMAGE: OnceLock<PathBuf> = OnceLock::new();
    IMAGE
        .get_or_init(|| {
            if let Some(path) = std::env::var_os("CARP_KERNEL_IMAGE") {
                return PathBuf::from(path);
            }
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shims/kernel");
            let cargo = option_env!("CARGO").unwrap_or("cargo");
            // The kernel's .cargo/config.toml (target, relocation model)
            // is found from the working directory.
            let out = output_within(
                Command::new(cargo)
                    .args(["build", "--quiet", "--release"])
                    .current_dir(&dir)
                    .env_remove("RUSTFLAGS")
                    .env_remove("CARGO_TARGET_DIR")
                    .env_remove("CARGO_BUILD_TARGET"),
                Duration::from_secs(900),
            )
            .expect("cargo build of shims/kernel");
            assert!(
                out.status.success(),
                "building shims/kernel failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            dir.join("target/x86_64-unknown-none/release/carp-kernel")
        })
        .clone()
}

/// One console line and when the host read it.
#[derive(Debug, Clone)]
pub struct Line {
    /// Host time it arrived.
    pub at: Instant,
    /// The text, without line terminators.
    pub text: String,
}

/// The example kernel running under QEMU on a lab's bridge.
#[derive(Debug)]
pub struct Guest {
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    lines: Arc<Mutex<Vec<Line>>>,
    /// When QEMU was started.
    pub started: Instant,
    /// The NIC's MAC.
    pub mac: String,
}

impl Guest {
    /// Boots the kernel with `cmdline` on a new tap `t-<name>` of `lab`'s
    /// bridge, its NIC at `mac`.
    ///
    /// # Errors
    /// Tap creation or QEMU spawn failure.
    pub fn boot(lab: &Lab, name: &str, mac: &str, cmdline: &str) -> io::Result<Guest> {
        let tap = lab.add_tap(name)?;
        let netdev = format!("tap,id=n0,ifname={tap},script=no,downscript=no");
        let device = format!("virtio-net-pci,netdev=n0,mac={mac}");
        let started = Instant::now();
        let mut child = lab
            .bridge()
            .command(QEMU)
            .args(["-accel", "tcg", "-M", "pc", "-m", "64", "-nodefaults"])
            .args(["-bios", QBOOT, "-no-reboot", "-display", "none"])
            .args(["-serial", "stdio", "-monitor", "none"])
            .arg("-kernel")
            .arg(image())
            .args(["-append", cmdline, "-netdev", &netdev, "-device", &device])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let lines = Arc::new(Mutex::new(Vec::new()));
        if let Some(stdout) = child.stdout.take() {
            let sink = Arc::clone(&lines);
            thread::spawn(move || {
                for text in BufReader::new(stdout).lines().map_while(Result::ok) {
                    let text = text.trim_end_matches('\r').to_owned();
                    let line = Line {
                        at: Instant::now(),
                        text,
                    };
                    sink.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(line);
                }
            });
        }
        Ok(Guest {
            stdin: child.stdin.take(),
            child: Some(child),
            lines,
            started,
            mac: mac.to_owned(),
        })
    }

    /// Every console line so far.
    pub fn lines(&self) -> Vec<Line> {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The console text so far (for failure messages).
    pub fn transcript(&self) -> String {
        self.lines()
            .iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The first line starting with `prefix`, waiting up to `timeout`.
    pub fn wait_line(&self, prefix: &str, timeout: Duration) -> Option<Line> {
        let mut found = None;
        wait_until(timeout, || {
            found = self
                .lines()
                .into_iter()
                .find(|l| l.text.starts_with(prefix));
            found.is_some()
        });
        found
    }

    /// The `carp: state` lines so far, parsed.
    pub fn states(&self) -> Vec<StateLine> {
        self.lines()
            .iter()
            .filter_map(|l| StateLine::parse(&l.text, l.at))
            .collect()
    }

    /// The state after the last state change (`MASTER`, `BACKUP`, `INIT`).
    pub fn state(&self) -> Option<String> {
        self.states().last().map(|s| s.to.clone())
    }

    /// Waits until the guest's state is `want`.
    pub fn wait_state(&self, want: &str, timeout: Duration) -> bool {
        wait_until(timeout, || self.state().as_deref() == Some(want))
    }

    /// Writes one control statement to the console.
    ///
    /// # Errors
    /// The write failing (QEMU gone).
    pub fn console(&mut self, statement: &str) -> io::Result<()> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| io::Error::other("guest stopped"))?;
        stdin.write_all(format!("{statement}\n").as_bytes())?;
        stdin.flush()
    }

    /// The last `carp: counters` line's value of `name`, after asking for
    /// a fresh one with `netstat`.
    pub fn counter(&mut self, name: &str) -> Option<u64> {
        let before = self.lines().len();
        self.console("netstat").ok()?;
        let mut value = None;
        wait_until(Duration::from_secs(5), || {
            value = self.lines()[before..]
                .iter()
                .rev()
                .find(|l| l.text.starts_with("carp: counters "))
                .and_then(|l| field(&l.text, name))
                .and_then(|v| v.parse().ok());
            value.is_some()
        });
        value
    }

    /// QEMU's pid.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILL to QEMU: the guest vanishes without a bow-out.
    pub fn kill(&mut self) {
        self.stdin = None;
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = wait_within(&mut child, Duration::from_secs(10));
        }
    }
}

impl Drop for Guest {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One `carp: state` console line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateLine {
    /// Host time the line arrived.
    pub host_at: Instant,
    /// The vhid.
    pub vhid: u8,
    /// State before.
    pub from: String,
    /// State after.
    pub to: String,
    /// carp's reason (`master-down`, `preempt`, `bow-out`, ...).
    pub reason: String,
    /// Guest clock, microseconds.
    pub at_us: u64,
    /// Guest-measured time since the last advert accepted for the vhid.
    pub silence_us: Option<u64>,
}

impl StateLine {
    /// Parses `carp: state vhid=1 from=A to=B reason=r at_us=n [silence_us=m]`.
    pub fn parse(text: &str, host_at: Instant) -> Option<StateLine> {
        let rest = text.strip_prefix("carp: state ")?;
        Some(StateLine {
            host_at,
            vhid: field(rest, "vhid")?.parse().ok()?,
            from: field(rest, "from")?.to_owned(),
            to: field(rest, "to")?.to_owned(),
            reason: field(rest, "reason")?.to_owned(),
            at_us: field(rest, "at_us")?.parse().ok()?,
            silence_us: field(rest, "silence_us").and_then(|v| v.parse().ok()),
        })
    }
}

/// The value of `key=value` among the space-separated words of `line`.
pub fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
}

/// Sleeps `d` (readability: "let the guest run").
pub fn run_for(d: Duration) {
    thread::sleep(d);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_state_lines() {
        let now = Instant::now();
        let s = StateLine::parse(
            "carp: state vhid=1 from=BACKUP to=MASTER reason=master-down at_us=3422740 silence_us=3390715",
            now,
        )
        .unwrap();
        assert_eq!(
            (s.vhid, s.to.as_str(), s.reason.as_str()),
            (1, "MASTER", "master-down")
        );
        assert_eq!(s.silence_us, Some(3_390_715));
        assert!(StateLine::parse("carp: ready at_us=1", now).is_none());
        assert_eq!(field("a=1 bb=2", "b"), None);
        assert_eq!(field("a=1 bb=2", "bb"), Some("2"));
    }
}
