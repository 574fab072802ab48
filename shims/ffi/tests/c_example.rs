//! Builds `examples/c/failover.c` with the system `cc` against the
//! staticlib cargo built for this test run, runs it, and checks its output
//! to the byte; then runs it again under valgrind (leaks and invalid
//! accesses fail the test). Without valgrind the second step is skipped
//! on a laptop and fails in CI (`CI` set and not `false`/`0`, or
//! `CARP_REQUIRE_INTEROP=1`), by the rule of `carp-require`.
//!
//! The times are the CARP formula's: A (advskew 0) alone becomes MASTER
//! after master-down, 3 * advbase = 3 s; it advertises at 3, 4 and 5 s and
//! dies after the third; B (advskew 100) takes over 3 + 100/256 s =
//! 3 390 625 us after that advert (BSD `carp_setrun`). A master that is
//! destroyed bows out with an advert of advskew 255 (OpenBSD
//! `carp_send_ad` with `sc_bow_out`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use carp_require::Prerequisite::Valgrind;

const EXPECTED: &str = "\
ifconfig carp0 create vhid 1 carpdev em0 advskwe 100: invalid argument (word index 5)
  word 6 \"advskwe\": unknown (not a keyword, an address or a value)
config file: invalid argument (line 2)
  line 2: word 9 \"192.0.2.9\": a bare address right after an address (netmask, broadcast or another address?): write netmask, broadcast or a /prefix
B config: 1 added, 1 knobs
B carpreq: vhid 1 advbase 1 advskew 100 carpdev em0 naddrs 1 prefix 24 state BACKUP preempt 1
         0 us  A carp0 vhid 1 INIT -> BACKUP (admin-up)
         0 us  B carp0 vhid 1 INIT -> BACKUP (admin-up)
   3000000 us  A carp0 vhid 1 BACKUP -> MASTER (master-down)
   5000000 us  A killed (no more frames or time)
   8390625 us  B carp0 vhid 1 BACKUP -> MASTER (master-down)
takeover: B is MASTER at 8390625 us, 3390625 us after A died
adverts: A sent 3, B sent 1 and received 3
B: ifconfig carp0
carp0: flags=41<UP,RUNNING> mtu 1500
\tcarp: MASTER carpdev em0 vhid 1 advbase 1 advskew 100
\tinet 192.0.2.100 netmask 0xffffff00
B bowed out: advert vhid 1 advskew 255
";

/// True when the archive's symbol index (its first member, `/`, in the
/// GNU and System V format) names `symbol`.
fn archive_defines(archive: &Path, symbol: &str) -> bool {
    let Ok(mut file) = std::fs::File::open(archive) else {
        return false;
    };
    // "!<arch>\n", then a 60-byte member header: name (16), date (12),
    // uid (6), gid (6), mode (8), size (10, decimal), "`\n".
    let mut head = [0u8; 68];
    if file.read_exact(&mut head).is_err() || &head[..8] != b"!<arch>\n" || head[8] != b'/' {
        return false;
    }
    let size: u64 = std::str::from_utf8(&head[56..66])
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let mut index = Vec::new();
    if file.take(size).read_to_end(&mut index).is_err() {
        return false;
    }
    let name = format!("{symbol}\0");
    index.windows(name.len()).any(|w| w == name.as_bytes())
}

/// The hosted `libcarp_ffi.a` of this build: `cargo test` leaves it in
/// `<target>/<profile>/deps/libcarp_ffi-<hash>.a` (a `cargo build` also
/// copies one to `<profile>/`). The test binary lives in that `deps/`;
/// the newest candidate that has `carp_host_new` (a build without the
/// `hosted` feature for this target has not) is the one compiled from the
/// current source.
fn staticlib() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let deps = exe.parent().expect("test binary sits in <profile>/deps");
    let profile = deps.parent().expect("deps sits in <profile>");
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(deps)
        .expect("read deps")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("libcarp_ffi-") && n.ends_with(".a"))
        })
        .collect();
    candidates.push(profile.join("libcarp_ffi.a"));
    candidates
        .into_iter()
        .filter(|p| archive_defines(p, "carp_host_new"))
        .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p)))
        .max()
        .map(|(_, p)| p)
        .unwrap_or_else(|| panic!("no libcarp_ffi.a under {}", profile.display()))
}

fn build_example() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("failover");
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-g"])
        .arg("-I")
        .arg(dir.join("include"))
        .arg("-o")
        .arg(&out)
        .arg(dir.join("examples/c/failover.c"))
        .arg(staticlib())
        .args(["-lpthread", "-ldl", "-lm"])
        .status()
        .expect("run cc");
    assert!(status.success(), "cc failed: {status}");
    out
}

#[test]
fn c_example_fails_over_to_the_backup_and_runs_clean_under_valgrind() {
    let exe = build_example();
    let run = Command::new(&exe).output().expect("run failover");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "failover exited {}: {}",
        run.status,
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(stdout, EXPECTED);

    carp_require::require!(Valgrind);
    let grind = Command::new("valgrind")
        .args([
            "--error-exitcode=1",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect,possible",
            "--quiet",
        ])
        .arg(&exe)
        .output()
        .expect("run valgrind");
    let report = String::from_utf8_lossy(&grind.stderr);
    assert!(grind.status.success(), "valgrind: {report}");
    assert_eq!(String::from_utf8_lossy(&grind.stdout), EXPECTED);
    assert!(report.trim().is_empty(), "valgrind reported: {report}");
}
