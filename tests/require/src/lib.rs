//! When a test's prerequisite (root, network namespaces, a tool) is missing:
//! skip on a developer's machine, fail where interop is required. Every
//! crate's tests use this one rule (the tests crate re-exports it as
//! `carp_tests::require`).
//!
//! * **Required** ([`interop_required`]): `CI` set to anything non-empty
//!   other than `false` or `0` (any case), or `CARP_REQUIRE_INTEROP=1`
//!   (or `true`). A missing prerequisite then fails the test.
//! * **Otherwise** the test returns early after printing
//!   `skipped: <test>: <why>` on stderr, and, when `CARP_SKIP_LOG` names a
//!   file, appends that line to it: libtest hides a passing test's output,
//!   so `.ci/run` points `CARP_SKIP_LOG` at a file and prints it at the
//!   end, where a person reads it.
//!
//! ```no_run
//! use carp_require::Prerequisite::{Root, Tshark};
//!
//! #[test]
//! fn tshark_reads_our_adverts() {
//!     carp_require::require!(Root, Tshark);
//!     // ... runs only when both are there ...
//! }
//! ```
#![forbid(unsafe_code)]

use std::fmt;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

/// Something an interop or tool test needs from the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prerequisite {
    /// Effective uid 0 (namespaces, raw sockets).
    Root,
    /// `ip netns` can create and delete a namespace here (implies root).
    Netns,
    /// `tshark` runs.
    Tshark,
    /// `ucarp` runs.
    Ucarp,
    /// `keepalived` runs (VRRP interop).
    Keepalived,
    /// `qemu-system-x86_64` runs and qboot (`bios-microvm.bin`, the
    /// example kernel's firmware) is installed.
    Qemu,
    /// `qemu-system-arm` runs (the Cortex-M bare-metal image).
    QemuArm,
    /// `conntrackd` runs (connection-state sync next to carp).
    Conntrackd,
    /// `nft` runs (nftables).
    Nft,
    /// `valgrind` runs.
    Valgrind,
    /// `python3` runs (second implementations written from the BSD
    /// sources, e.g. `tests/scripts/carp_hmac.py`).
    Python3,
    /// `arping` (iputils) runs.
    Arping,
}

/// qboot, the firmware QEMU's microvm boots the example kernel with.
pub const QBOOT: &str = "/usr/share/qemu/bios-microvm.bin";

impl Prerequisite {
    /// Every prerequisite, in declaration order.
    pub const ALL: [Prerequisite; 12] = [
        Prerequisite::Root,
        Prerequisite::Netns,
        Prerequisite::Tshark,
        Prerequisite::Ucarp,
        Prerequisite::Keepalived,
        Prerequisite::Qemu,
        Prerequisite::QemuArm,
        Prerequisite::Conntrackd,
        Prerequisite::Nft,
        Prerequisite::Valgrind,
        Prerequisite::Python3,
        Prerequisite::Arping,
    ];

    /// The program and argument whose successful run proves a tool is
    /// there; `None` for [`Prerequisite::Root`] and [`Prerequisite::Netns`].
    pub fn probe(self) -> Option<(&'static str, &'static [&'static str])> {
        Some(match self {
            Prerequisite::Root | Prerequisite::Netns => return None,
            Prerequisite::Tshark => ("tshark", &["--version"]),
            Prerequisite::Ucarp => ("ucarp", &["--help"]),
            Prerequisite::Keepalived => ("keepalived", &["--version"]),
            Prerequisite::Qemu => ("qemu-system-x86_64", &["--version"]),
            Prerequisite::QemuArm => ("qemu-system-arm", &["--version"]),
            Prerequisite::Conntrackd => ("conntrackd", &["-v"]),
            Prerequisite::Nft => ("nft", &["--version"]),
            Prerequisite::Valgrind => ("valgrind", &["--version"]),
            Prerequisite::Python3 => ("python3", &["--version"]),
            Prerequisite::Arping => ("arping", &["-V"]),
        })
    }

    /// True when the machine has it (each probe runs once per test binary).
    pub fn is_met(self) -> bool {
        static MET: [OnceLock<bool>; Prerequisite::ALL.len()] =
            [const { OnceLock::new() }; Prerequisite::ALL.len()];
        let slot = Prerequisite::ALL
            .iter()
            .position(|p| *p == self)
            .and_then(|i| MET.get(i));
        let probe = || match self {
            Prerequisite::Root => is_root(),
            Prerequisite::Netns => is_root() && netns_works(),
            Prerequisite::Qemu => {
                std::path::Path::new(QBOOT).exists() && runs("qemu-system-x86_64", &["--version"])
            }
            tool => tool
                .probe()
                .is_some_and(|(program, args)| runs(program, args)),
        };
        match slot {
            Some(cell) => *cell.get_or_init(probe),
            None => probe(),
        }
    }
}

impl fmt::Display for Prerequisite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Prerequisite::Root => f.write_str("root"),
            Prerequisite::Netns => f.write_str("ip netns"),
            Prerequisite::Qemu => f.write_str("qemu-system-x86_64 with qboot"),
            tool => f.write_str(tool.probe().map_or("?", |(program, _)| program)),
        }
    }
}

/// True when missing prerequisites must fail tests instead of skipping
/// them: `CI` non-empty and not `false`/`0` (any case), or
/// `CARP_REQUIRE_INTEROP` set to `1` or `true`.
pub fn interop_required() -> bool {
    required_by(
        std::env::var("CI").ok().as_deref(),
        std::env::var("CARP_REQUIRE_INTEROP").ok().as_deref(),
    )
}

/// The rule of [`interop_required`] over the two variables' values.
pub fn required_by(ci: Option<&str>, require_interop: Option<&str>) -> bool {
    let ci = ci
        .map(str::trim)
        .is_some_and(|v| !v.is_empty() && !v.eq_ignore_ascii_case("false") && v != "0");
    let interop = require_interop
        .map(str::trim)
        .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));
    ci || interop
}

/// The unmet prerequisites among `wanted`, as one line, or `None`.
pub fn missing(wanted: &[Prerequisite]) -> Option<String> {
    let unmet: Vec<String> = wanted
        .iter()
        .filter(|p| !p.is_met())
        .map(ToString::to_string)
        .collect();
    (!unmet.is_empty()).then(|| format!("needs {}", unmet.join(", ")))
}

/// Reports a missing prerequisite: prints `skipped: <test>: <why>` on
/// stderr, appends it to the file `CARP_SKIP_LOG` names (if any), and
/// returns when interop is optional; panics when it is required.
///
/// # Panics
/// When [`interop_required`] is true.
pub fn skip_or_fail(why: &str) {
    if interop_required() {
        panic!(
            "prerequisite missing while interop is required (CI or CARP_REQUIRE_INTEROP=1): {why}"
        );
    }
    let test = thread::current().name().unwrap_or("?").to_owned();
    let bin = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .map(|s| {
            s.rsplit_once('-')
                .map_or(s.clone(), |(name, _hash)| name.to_owned())
        })
        .unwrap_or_default();
    let line = format!("skipped: {bin}::{test}: {why}");
    eprintln!("{line}");
    if let Some(path) = std::env::var_os("CARP_SKIP_LOG").filter(|p| !p.is_empty()) {
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| writeln!(f, "{line}"));
        if let Err(e) = appended {
            eprintln!("(could not append to CARP_SKIP_LOG {path:?}: {e})");
        }
    }
}

/// Returns from the calling test (after reporting `skipped: ...`) when any
/// listed [`Prerequisite`] is missing, or fails it when interop is required.
#[macro_export]
macro_rules! require {
    ($($prerequisite:expr),+ $(,)?) => {
        if let Some(why) = $crate::missing(&[$($prerequisite),+]) {
            $crate::skip_or_fail(&why);
            return;
        }
    };
}

fn is_root() -> bool {
    // The effective uid is the second number of the Uid line.
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            == Some("0")
    })
}

/// Creates and deletes one namespace.
fn netns_works() -> bool {
    let name = format!("carpt-{}-require-probe", std::process::id());
    runs("ip", &["netns", "add", &name]) && runs("ip", &["netns", "delete", &name])
}

/// How long a probe may take before the tool counts as missing. A cold
/// `tshark --version` (libwireshark and its plugins read from disk after a
/// build has pushed them out of the page cache) took 6.3 s on the CI
/// machine when idle, and more than 10 s once, in a CI run, while the
/// step's own build wrote to the same disk.
const PROBE_TIMEOUT: Duration = Duration::from_secs(60);

/// True when `program args` exits 0 within [`PROBE_TIMEOUT`] (killed
/// after that).
fn runs(program: &str, args: &[&str]) -> bool {
    let Ok(mut child) = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    else {
        return false;
    };
    let deadline = Instant::now() + PROBE_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.success(),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_non_empty_ci_but_false_or_0_requires_interop() {
        for ci in [
            "true",
            "TRUE",
            "1",
            "yes",
            "on",
            "github",
            "woodpecker",
            "2",
        ] {
            assert!(required_by(Some(ci), None), "CI={ci}");
        }
        for ci in ["", "  ", "false", "False", "FALSE", "0"] {
            assert!(!required_by(Some(ci), None), "CI={ci:?}");
        }
        assert!(!required_by(None, None));
    }

    #[test]
    fn carp_require_interop_1_requires_interop_whatever_ci_says() {
        for ci in [None, Some("false"), Some("0"), Some("")] {
            assert!(required_by(ci, Some("1")), "CI={ci:?}");
            assert!(required_by(ci, Some("true")), "CI={ci:?}");
            assert!(!required_by(ci, Some("0")), "CI={ci:?}");
            assert!(!required_by(ci, Some("")), "CI={ci:?}");
        }
    }

    #[test]
    fn tools_print_as_their_program_names() {
        let names: Vec<String> = Prerequisite::ALL.iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            [
                "root",
                "ip netns",
                "tshark",
                "ucarp",
                "keepalived",
                "qemu-system-x86_64 with qboot",
                "qemu-system-arm",
                "conntrackd",
                "nft",
                "valgrind",
                "python3",
                "arping"
            ]
        );
    }
}
