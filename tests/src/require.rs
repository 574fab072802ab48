//! When a test's prerequisite (root, network namespaces, tshark, ucarp,
//! QEMU) is missing: skip on a developer's machine, fail where interop is
//! required.
//!
//! ```no_run
//! use carp_tests::require::Prerequisite::{Root, Tshark};
//!
//! #[test]
//! fn tshark_reads_our_adverts() {
//!     carp_tests::require!(Root, Tshark);
//!     // ... runs only when both are there ...
//! }
//! ```

use std::fmt;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use crate::process::output_within;

/// Something an interop or tool test needs from the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prerequisite {
    /// Effective uid 0 (namespaces, raw sockets).
    Root,
    /// `ip netns` can create and delete a namespace here.
    Netns,
    /// `tshark` is on the PATH.
    Tshark,
    /// `ucarp` is on the PATH.
    Ucarp,
    /// `qemu-system-x86_64` runs and qboot (`bios-microvm.bin`) is installed.
    Qemu,
    /// `arping` (iputils) is on the PATH.
    Arping,
}

impl fmt::Display for Prerequisite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Prerequisite::Root => "root",
            Prerequisite::Netns => "ip netns",
            Prerequisite::Tshark => "tshark",
            Prerequisite::Ucarp => "ucarp",
            Prerequisite::Qemu => "qemu-system-x86_64 with qboot",
            Prerequisite::Arping => "arping",
        })
    }
}

impl Prerequisite {
    /// True when the machine has it (each probe runs once per test binary).
    pub fn is_met(self) -> bool {
        static ROOT: OnceLock<bool> = OnceLock::new();
        static NETNS: OnceLock<bool> = OnceLock::new();
        static TSHARK: OnceLock<bool> = OnceLock::new();
        static UCARP: OnceLock<bool> = OnceLock::new();
        static QEMU: OnceLock<bool> = OnceLock::new();
        static ARPING: OnceLock<bool> = OnceLock::new();
        match self {
            Prerequisite::Root => *ROOT.get_or_init(is_root),
            Prerequisite::Netns => {
                *NETNS.get_or_init(|| is_root() && crate::netns::probe().is_ok())
            }
            Prerequisite::Tshark => *TSHARK.get_or_init(|| runs("tshark", "--version")),
            Prerequisite::Ucarp => *UCARP.get_or_init(|| runs("ucarp", "--help")),
            Prerequisite::Qemu => *QEMU.get_or_init(crate::kernel::qemu_available),
            Prerequisite::Arping => *ARPING.get_or_init(|| runs("arping", "-V")),
        }
    }
}

/// True when missing prerequisites must fail tests instead of skipping them:
/// `CI=true` (or `1`) or `CARP_REQUIRE_INTEROP=1`.
pub fn interop_required() -> bool {
    let set = |name: &str, values: &[&str]| {
        std::env::var(name).is_ok_and(|v| values.contains(&v.to_ascii_lowercase().as_str()))
    };
    set("CI", &["true", "1"]) || set("CARP_REQUIRE_INTEROP", &["1", "true"])
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

/// Reports a missing prerequisite: prints `skipped: <why>` and returns when
/// interop is optional; panics when it is required.
///
/// # Panics
/// When [`interop_required`] is true.
pub fn skip_or_fail(why: &str) {
    if interop_required() {
        panic!(
            "prerequisite missing while interop is required (CI or CARP_REQUIRE_INTEROP=1): {why}"
        );
    }
    eprintln!("skipped: {why}");
}

/// Returns from the calling test (after printing `skipped: ...`) when any
/// listed [`Prerequisite`] is missing, or fails it when interop is required.
#[macro_export]
macro_rules! require {
    ($($prerequisite:expr),+ $(,)?) => {
        if let Some(why) = $crate::require::missing(&[$($prerequisite),+]) {
            $crate::require::skip_or_fail(&why);
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

fn runs(program: &str, arg: &str) -> bool {
    output_within(Command::new(program).arg(arg), Duration::from_secs(10))
        .is_ok_and(|o| o.status.success())
}
