//! Client-observed failover of VRRPv3 on a real network, beside
//! `interop_failover.rs` (CARP) and measured the same way: a client sends
//! an ICMP echo request to the virtual address every 10 ms on a fixed
//! schedule (`carp-echo-probe`) while the master's host crashes (its
//! bridge port goes down through an `ip -batch` already running, its daemon
//! gets SIGKILL: no priority-0 advert).
//!
//! Each run prints `failover <impl> vrrp3 interval=<cs>cs
//! prios=<m>/<b>: takeover <ms> ms, downtime <ms> ms`, then the silence
//! between the old master's last advert and the new one's first against
//! RFC 9568's Master_Down_Interval for the backup (3 x
//! Master_Adver_Interval + Skew_Time, Skew_Time = (256 - priority) x
//! Master_Adver_Interval / 256; section 6.1), and the echo replies around
//! the outage, relative to the crash.
//!
//! What is asserted:
//! * keepalived (Debian's 2.2.7), VRRPv3 at 100 cs, priorities 200/100: it
//!   takes over, not before the formula (how late is printed);
//! * carpd in VRRPv3 mode (`carpver 3 vrrpprio P vrrpinterval 100`,
//!   `net.inet.carp.preempt=1` as keepalived preempts by default) at the
//!   same settings: the same assertion, its line beside keepalived's;
//! * a run counts only when the steady state held until the crash (every
//!   request of the last second answered within 5 ms, no advert from the
//!   backup); a disturbed run is printed as discarded and measured again,
//!   three times at most.
//!
//! Timings on a real network: `#[ignore]`d in `cargo
//! test`, run by `scripts/failover.sh` one test at a time:
//! `cargo test -p carp-tests --test interop_failover_vrrp -- --ignored
//! --nocapture --test-threads=1`.

use std::path::Path;
use std::time::Duration;

use carp_tests::carpd::{Carpd, Scratch};
use carp_tests::failover::{crash_under_probe, steady_runs, Crash, Measured};
use carp_tests::keepalived::{Instance, Keepalived};
use carp_tests::netns::{Host, Lab};
use carp_tests::require;
use carp_tests::require::Prerequisite::{Keepalived as KeepalivedTool, Netns, Root, Tshark};

const VRID: u8 = 51;
const VADDR: &str = "192.0.2.100";
const VCIDR: &str = "192.0.2.100/24";
const MASTER_IP: &str = "192.0.2.11";
const BACKUP_IP: &str = "192.0.2.12";
/// The client's request interval.
const INTERVAL_MS: u64 = 10;
/// How far a daemon may take over before the formula (clock and capture
/// timestamp noise).
const FORMULA_TOLERANCE_MS: f64 = 2.0;
/// Round trip above which a request before the crash shows a disturbed
/// steady state (it is about 0.1 ms on the bridge).
const STEADY_RTT_MS: f64 = 5.0;
/// Runs disturbed before the crash that a test measures again.
const EXTRA_ATTEMPTS: usize = 3;
const MASTER: &str = "MASTER";
const BACKUP: &str = "BACKUP";

/// A VRRPv3 setup: the advertisement interval and the two priorities.
#[derive(Debug, Clone, Copy)]
struct Setup {
    interval_cs: u16,
    prios: (u8, u8),
}

impl Setup {
    /// RFC 9568 6.1's Master_Down_Interval of the backup, in ms: 3 x
    /// Master_Adver_Interval + (256 - priority) x Master_Adver_Interval /
    /// 256.
    fn formula_ms(self) -> f64 {
        let interval = f64::from(self.interval_cs) * 10.0;
        3.0 * interval + f64::from(256 - u16::from(self.prios.1)) * interval / 256.0
    }
}

/// Which daemon a run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Impl {
    Keepalived,
    Carpd,
}

/// One daemon of the pair.
enum Running {
    Keepalived(Keepalived),
    Carpd(Carpd),
}

impl Running {
    fn start(
        which: Impl,
        host: &Host,
        dir: &Path,
        name: &str,
        setup: Setup,
        priority: u8,
    ) -> Running {
        match which {
            Impl::Keepalived => {
                let addrs = [VCIDR];
                let mut instance = Instance::new(VRID, priority, &addrs);
                instance.interval_cs = setup.interval_cs;
                Running::Keepalived(Keepalived::start_with(host, dir, name, &instance))
            }
            Impl::Carpd => {
                let (vrid, prio, interval) = (
                    VRID.to_string(),
                    priority.to_string(),
                    setup.interval_cs.to_string(),
                );
                let args = [
                    "-P",
                    "--",
                    "vhid",
                    &vrid,
                    "carpver",
                    "3",
                    "vrrpprio",
                    &prio,
                    "vrrpinterval",
                    &interval,
                    VCIDR,
                ];
                Running::Carpd(Carpd::start(host, dir, name, &args))
            }
        }
    }

    fn wait_state(&self, want: &str, timeout: Duration) -> bool {
        match self {
            Running::Keepalived(k) => k.wait_state(want, timeout),
            Running::Carpd(c) => c.wait_state(want, timeout),
        }
    }

    fn crash(&mut self) {
        match self {
            Running::Keepalived(k) => k.crash(),
            Running::Carpd(c) => c.crash(),
        }
    }
}

/// One crash of the master, measured.
fn measure(which: Impl, setup: Setup) -> Measured {
    let dir = Scratch::new("failover-vrrp");
    let mut lab = Lab::new().unwrap();
    let a = lab.add_host("a", &["192.0.2.11/24"]).unwrap();
    let b = lab.add_host("b", &["192.0.2.12/24"]).unwrap();
    let c = lab.add_host("c", &["192.0.2.13/24"]).unwrap();
    let elect = Duration::from_secs(10);

    let mut master = Running::start(which, &a, &dir.path, "m", setup, setup.prios.0);
    assert!(master.wait_state(MASTER, elect), "master");
    let backup = Running::start(which, &b, &dir.path, "b", setup, setup.prios.1);
    assert!(backup.wait_state(BACKUP, elect), "backup");
    assert!(carp_tests::carpd::wait_reachable(
        &c,
        VADDR,
        Duration::from_secs(5)
    ));
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        !backup.wait_state(MASTER, Duration::ZERO),
        "backup took over early"
    );

    let pcap = dir.path.join("failover.pcap");
    let cap = lab.capture(&pcap, "ip proto 112").unwrap();
    let probe_out = dir.path.join("probe.txt");
    let after_ms = u64::from(setup.interval_cs) * 10 * 5 + 1000;
    let (killed_at, text) = crash_under_probe(
        &lab,
        &c,
        env!("CARGO_BIN_EXE_carp-echo-probe"),
        VADDR,
        INTERVAL_MS,
        after_ms,
        &probe_out,
        || master.crash(),
    );
    assert!(backup.wait_state(MASTER, Duration::ZERO), "no takeover");
    drop(cap);

    let crash = Crash {
        at: killed_at,
        master: MASTER_IP,
        backup: BACKUP_IP,
        formula_ms: setup.formula_ms(),
        interval_ms: INTERVAL_MS,
        steady_rtt_ms: STEADY_RTT_MS,
    };
    Measured::from_run(&format!("{which:?}"), &text, &pcap, &crash)
}

/// `n` runs of `which` under `setup` whose steady state held until the
/// crash (see [`steady_runs`](carp_tests::failover::steady_runs)).
fn runs_of(which: Impl, setup: Setup, n: usize) -> Vec<Measured> {
    let name = match which {
        Impl::Keepalived => "keepalived",
        Impl::Carpd => "carpd",
    };
    let heading = format!(
        "{name} vrrp3 interval={}cs prios={}/{}",
        setup.interval_cs, setup.prios.0, setup.prios.1
    );
    steady_runs(&heading, n, EXTRA_ATTEMPTS, || measure(which, setup))
}

#[test]
#[ignore = "real-network timing: scripts/failover.sh runs it one test at a time"]
fn keepalived_vrrp3_takes_over_but_not_before_the_formula() {
    require!(Root, Netns, Tshark, KeepalivedTool);
    let setup = Setup {
        interval_cs: 100,
        prios: (200, 100),
    };
    let m = runs_of(Impl::Keepalived, setup, 1).remove(0);
    assert!(
        m.off() > -FORMULA_TOLERANCE_MS,
        "keepalived took over {:+.1} ms from the formula: early",
        m.off()
    );
}

#[test]
#[ignore = "real-network timing: scripts/failover.sh runs it one test at a time"]
fn carpd_vrrp3_takes_over_but_not_before_the_formula() {
    require!(Root, Netns, Tshark);
    let setup = Setup {
        interval_cs: 100,
        prios: (200, 100),
    };
    let m = runs_of(Impl::Carpd, setup, 1).remove(0);
    assert!(
        m.off() > -FORMULA_TOLERANCE_MS,
        "carpd took over {:+.1} ms from the formula: early",
        m.off()
    );
}

#[test]
fn the_vrrp_formula_is_rfc_9568_s() {
    // 100 cs, backup priority 100: 3 s + 156/256 s.
    let setup = Setup {
        interval_cs: 100,
        prios: (200, 100),
    };
    assert!((setup.formula_ms() - 3609.375).abs() < 1e-9);
}
