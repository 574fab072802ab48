//! Client-observed failover on a real network, asserted: a client sends an
//! ICMP echo request to the virtual address every 10 ms on a fixed
//! schedule (`carp-echo-probe`) while the master's host crashes (its
//! bridge port goes down, through an `ip -batch` already running so the
//! crash instant is exact, and its daemon gets SIGKILL: no bow-out).
//!
//! Each run prints `failover <impl> advbase=<b> skews=<m>/<k>: takeover
//! <ms> ms, downtime <ms> ms`, where takeover is crash to the new master's
//! first advert on the bridge and downtime is the time during which every
//! request went unanswered (the sending instants of the two answered
//! requests around the outage, less one interval), then a line comparing
//! the silence between the old master's last advert and the new one's
//! first with the CARP formula (3 x advbase + advskew/256 of the backup;
//! at advbase 0, OpenBSD's 3 x advskew/256), and one with the echo replies
//! around the outage, relative to the crash.
//!
//! What is asserted (the README's and BENCHMARKS.md's claims):
//! * carpd at advbase 1 (skews 10/50): in each of `FAILOVER_RUNS` runs
//!   (default 3), the silence is within 2 ms of the formula;
//! * carpd at advbase 0 (skews 1/2): in at least 9 of 10 runs the takeover
//!   is 25 ms or less, and in at least 9 of 10 the silence is within 2 ms
//!   of the formula;
//! * every carpd run: downtime <= takeover + one probe interval (+ 2 ms for
//!   the address add after the first advert, the round trip and the
//!   prober's scheduling): a request sent after the takeover is answered;
//! * ucarp at advbase 1, same skews, for comparison: it takes over, not
//!   before the formula (how late is printed: 0.4-1.4 s in our runs).
//!
//! A run counts only when the steady state held until the crash: every
//! request of the last second before it answered within 5 ms and no advert
//! from the backup. A disturbed run (a busy machine: at advbase 0 a master
//! starved for 23 ms loses the vhid) is printed as discarded and measured
//! again, three times at most; more fails the test.
//!
//! These are timings on a real network, so they are `#[ignore]`d in
//! `cargo test` (which runs while the machine builds) and run by `.ci/run`
//! as their own step after the test suite, with a release carpd, one test
//! at a time:
//! `cargo build --release -p carpd && CARPD_BIN=$PWD/target/release/carpd
//! cargo test -p carp-tests --test interop_failover -- --ignored --nocapture --test-threads=1`.

use std::io::Write as _;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use carp_tests::carpd::{Carpd, Scratch, Ucarp, BACKUP, MASTER};
use carp_tests::echo::Probe;
use carp_tests::netns::{Host, Lab};
use carp_tests::process::wait_until;
use carp_tests::require;
use carp_tests::require::Prerequisite::{Netns, Root, Tshark, Ucarp as UcarpTool};
use carp_tests::tshark::decode_fields;

const VADDR: &str = "192.0.2.100";
const MASTER_IP: &str = "192.0.2.11";
const BACKUP_IP: &str = "192.0.2.12";
/// The client's request interval.
const INTERVAL_MS: u64 = 10;
/// Slack over takeover + one interval for the downtime bound: the address
/// add after the first advert (0.1-0.2 ms), the round trip, the prober's
/// wake-up.
const DOWNTIME_SLACK_MS: f64 = 2.0;
/// How far carpd may be from the formula.
const FORMULA_TOLERANCE_MS: f64 = 2.0;
/// Round trip above which a request before the crash shows a disturbed
/// steady state (it is about 0.1 ms on the bridge).
const STEADY_RTT_MS: f64 = 5.0;
/// Runs disturbed before the crash that a test measures again.
const EXTRA_ATTEMPTS: usize = 3;

#[derive(Debug, Clone, Copy)]
enum Impl {
    Carpd,
    Ucarp,
}

enum Running {
    Carpd(Carpd),
    Ucarp(Ucarp),
}

impl Running {
    fn start(imp: Impl, host: &Host, dir: &Path, name: &str, advbase: u8, skew: u8) -> Running {
        match imp {
            Impl::Carpd => {
                let (b, k) = (advbase.to_string(), skew.to_string());
                let args = [
                    "-v",
                    "3",
                    "-p",
                    "pw",
                    "-a",
                    "192.0.2.100/24",
                    "-b",
                    &b,
                    "-k",
                    &k,
                ];
                Running::Carpd(Carpd::start(host, dir, name, &args))
            }
            Impl::Ucarp => {
                assert_eq!(advbase, 1, "the ucarp helper runs advbase 1");
                Running::Ucarp(Ucarp::start(host, dir, name, (3, "pw", VADDR, skew), &[]))
            }
        }
    }

    fn wait_state(&self, want: &str, timeout: Duration) -> bool {
        match self {
            Running::Carpd(c) => c.wait_state(want, timeout),
            Running::Ucarp(u) => u.wait_state(want, timeout),
        }
    }

    fn crash(&mut self) {
        match self {
            Running::Carpd(c) => c.crash(),
            Running::Ucarp(u) => u.crash(),
        }
    }
}

/// `ip -batch -` in the bridge namespace, reading commands from a pipe.
struct PortSwitch {
    child: Child,
}

impl PortSwitch {
    fn start(lab: &Lab) -> PortSwitch {
        let child = lab
            .bridge()
            .command("ip")
            .args(["-batch", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        PortSwitch { child }
    }

    /// Sets `port` down and waits (bounded) for `ip` to finish.
    fn down(&mut self, port: &str) {
        let mut stdin = self.child.stdin.take().unwrap();
        stdin
            .write_all(format!("link set {port} down\n").as_bytes())
            .unwrap();
        stdin.flush().unwrap();
        drop(stdin);
        let exited = wait_until(Duration::from_secs(5), || {
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        assert!(exited, "ip -batch did not finish");
        let status = self.child.wait().unwrap();
        assert!(status.success(), "ip link set {port} down: {status}");
    }
}

impl Drop for PortSwitch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn epoch(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
}

/// One crash of the master under `imp` at `advbase` with (master, backup)
/// skews, measured.
fn measure(imp: Impl, advbase: u8, skews: (u8, u8)) -> Measured {
    let dir = Scratch::new("failover");
    let mut lab = Lab::new().unwrap();
    let a = lab.add_host("a", &["192.0.2.11/24"]).unwrap();
    let b = lab.add_host("b", &["192.0.2.12/24"]).unwrap();
    let c = lab.add_host("c", &["192.0.2.13/24"]).unwrap();
    let elect = Duration::from_secs(10);

    let mut master = Running::start(imp, &a, &dir.path, "m", advbase, skews.0);
    assert!(master.wait_state(MASTER, elect), "{imp:?} master");
    let backup = Running::start(imp, &b, &dir.path, "b", advbase, skews.1);
    assert!(backup.wait_state(BACKUP, elect), "{imp:?} backup");
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
    // One second of traffic before the crash, and enough after it for the
    // takeover (advbase 1: about 3 s; ucarp about 4 s).
    let after_ms = if advbase == 0 { 1000 } else { 6000 };
    let probe_bin = env!("CARGO_BIN_EXE_carp-echo-probe");
    let mut probe =
        c.ns.spawn(&[
            "sh",
            "-c",
            &format!(
                "exec {probe_bin} {VADDR} {INTERVAL_MS} {} > {}",
                1000 + after_ms,
                probe_out.display()
            ),
        ])
        .unwrap();
    // The port goes down through an `ip -batch -` already running in the
    // bridge namespace, so the crash instant is when the command is
    // written, not before a process start (which took milliseconds).
    let mut port = PortSwitch::start(&lab);
    std::thread::sleep(Duration::from_millis(1000));
    // A host crash: its bridge port goes dark and its daemon dies (a
    // killed daemon alone would leave the address answering on its host).
    let killed_at = SystemTime::now();
    port.down("v-a");
    master.crash();
    let done = wait_until(Duration::from_millis(after_ms + 10_000), || {
        !probe.is_running()
    });
    assert!(done, "the echo probe did not finish");
    drop(probe);
    assert!(
        backup.wait_state(MASTER, Duration::ZERO),
        "{imp:?}: no takeover"
    );
    drop(cap);

    let text = std::fs::read_to_string(&probe_out).unwrap();
    let client = Probe::parse(&text);
    assert!(client.replies.len() > 50, "too few replies:\n{text}");
    let kill = epoch(killed_at);
    let outage = client
        .outage_around(kill)
        .unwrap_or_else(|| panic!("{imp:?}: no outage around the crash:\n{text}"));
    let interval = INTERVAL_MS as f64 / 1000.0;

    let rows = decode_fields(&pcap, &["frame.time_epoch", "ip.src"]).unwrap();
    let at = |r: &Vec<String>| r[0].parse::<f64>().unwrap();
    let last_master = rows
        .iter()
        .filter(|r| r[1] == MASTER_IP && at(r) <= kill + 0.005)
        .map(at)
        .fold(f64::NAN, f64::max);
    let first_backup = rows
        .iter()
        .filter(|r| r[1] == BACKUP_IP && at(r) > kill)
        .map(at)
        .fold(f64::NAN, f64::min);
    assert!(
        first_backup.is_finite(),
        "no advert from the new master: {rows:?}"
    );
    // The steady state before the crash, which the measurement needs: every
    // request of the last second answered promptly, no advert from the
    // backup (a spurious takeover, e.g. a master starved of CPU for longer
    // than a 23 ms master-down).
    let late = client
        .sent
        .iter()
        .filter(|(_, t)| *t > kill - 0.9 && *t < kill - 0.02)
        .find_map(|(seq, t)| match client.reply_to(*seq) {
            None => Some(format!(
                "request sent {:.1} ms before the crash unanswered",
                (kill - t) * 1000.0
            )),
            Some(r) if r - t > STEADY_RTT_MS / 1000.0 => Some(format!(
                "request sent {:.1} ms before the crash answered after {:.1} ms",
                (kill - t) * 1000.0,
                (r - t) * 1000.0
            )),
            Some(_) => None,
        });
    let early = rows
        .iter()
        .any(|r| r[1] == BACKUP_IP && at(r) < kill)
        .then(|| "the backup advertised before the crash".to_owned());
    let formula = if advbase == 0 {
        3.0 * f64::from(skews.1) / 256.0
    } else {
        3.0 * f64::from(advbase) + f64::from(skews.1) / 256.0
    } * 1000.0;
    Measured {
        takeover: (first_backup - kill) * 1000.0,
        downtime: outage.downtime(interval) * 1000.0,
        silence: (first_backup - last_master) * 1000.0,
        formula,
        replies: (
            (outage.last_reply - kill) * 1000.0,
            (outage.first_reply - kill) * 1000.0,
        ),
        unanswered: outage.unanswered,
        disturbed: early.or(late),
    }
}

/// One setup's figures, in ms.
struct Measured {
    /// Crash to the new master's first advert.
    takeover: f64,
    /// Every request unanswered: the two answered requests around the
    /// outage, sending instants, less one interval.
    downtime: f64,
    /// Last advert of the old master to the first of the new.
    silence: f64,
    /// What the CARP formula gives for `silence`.
    formula: f64,
    /// The replies around the longest gap, relative to the crash.
    replies: (f64, f64),
    /// Echo requests in the outage that got no reply.
    unanswered: usize,
    /// Why the steady state before the crash was not steady, if it was not.
    disturbed: Option<String>,
}

impl Measured {
    /// Prints the run's three lines.
    fn print(&self, name: &str, advbase: u8, skews: (u8, u8)) {
        let Measured {
            takeover,
            downtime,
            silence,
            formula,
            replies,
            unanswered,
            ..
        } = self;
        println!(
            "failover {name} advbase={advbase} skews={}/{}: takeover {takeover:.1} ms, downtime {downtime:.0} ms",
            skews.0, skews.1
        );
        println!(
            "  last advert of the old master to first of the new: {silence:.1} ms (formula {formula:.1} ms, off by {:+.1} ms)",
            silence - formula
        );
        println!(
            "  client: last echo reply {:+.1} ms, first after the outage {:+.1} ms from the crash, {unanswered} requests unanswered",
            replies.0, replies.1
        );
    }

    /// Off the formula, in ms.
    fn off(&self) -> f64 {
        self.silence - self.formula
    }

    /// Panics unless the client was down no longer than the takeover plus
    /// one request interval (and the slack).
    fn assert_downtime_bounded(&self, what: &str) {
        let bound = self.takeover + INTERVAL_MS as f64 + DOWNTIME_SLACK_MS;
        assert!(
            self.downtime <= bound,
            "{what}: downtime {:.1} ms above takeover {:.1} ms + {INTERVAL_MS} ms + {DOWNTIME_SLACK_MS} ms",
            self.downtime,
            self.takeover
        );
    }
}

/// `n` runs of a setup whose steady state held until the crash, each
/// printed; a run disturbed before the crash (a busy machine) is printed
/// as discarded and measured again, at most [`EXTRA_ATTEMPTS`] times.
///
/// # Panics
/// When more runs than that were disturbed.
fn steady_runs(imp: Impl, name: &str, advbase: u8, skews: (u8, u8), n: usize) -> Vec<Measured> {
    let mut valid = Vec::new();
    let mut discarded = 0;
    while valid.len() < n {
        let m = measure(imp, advbase, skews);
        if let Some(why) = &m.disturbed {
            discarded += 1;
            println!("discarded ({why}):");
            m.print(name, advbase, skews);
            assert!(
                discarded <= EXTRA_ATTEMPTS,
                "{discarded} runs disturbed before the crash: the machine is too busy to measure"
            );
            continue;
        }
        println!("run {} of {n}:", valid.len() + 1);
        m.print(name, advbase, skews);
        valid.push(m);
    }
    valid
}

fn runs() -> usize {
    std::env::var("FAILOVER_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(3)
}

#[test]
#[ignore = "real-network timing: .ci/run runs it in its own step with a release carpd"]
fn carpd_at_advbase_1_takes_over_within_2_ms_of_the_formula_in_every_run() {
    require!(Root, Netns, Tshark);
    let n = runs();
    let mut failures = Vec::new();
    for (i, m) in steady_runs(Impl::Carpd, "carpd", 1, (10, 50), n)
        .iter()
        .enumerate()
    {
        let run = i + 1;
        m.assert_downtime_bounded(&format!("carpd advbase 1 run {run}"));
        if m.off().abs() > FORMULA_TOLERANCE_MS {
            failures.push(format!("run {run}: off by {:+.1} ms", m.off()));
        }
    }
    assert!(
        failures.is_empty(),
        "carpd not within {FORMULA_TOLERANCE_MS} ms of the formula: {failures:?}"
    );
}

#[test]
#[ignore = "real-network timing: .ci/run runs it in its own step with a release carpd"]
fn carpd_at_advbase_0_takes_over_within_25_ms_in_9_of_10_runs() {
    require!(Root, Netns, Tshark);
    let mut within = 0;
    let mut off_formula = Vec::new();
    let mut takeovers = Vec::new();
    for (i, m) in steady_runs(Impl::Carpd, "carpd", 0, (1, 2), 10)
        .iter()
        .enumerate()
    {
        let run = i + 1;
        m.assert_downtime_bounded(&format!("carpd advbase 0 run {run}"));
        within += usize::from(m.takeover <= 25.0);
        takeovers.push(m.takeover);
        if m.off().abs() > FORMULA_TOLERANCE_MS {
            off_formula.push(format!("run {run}: off by {:+.1} ms", m.off()));
        }
    }
    let (min, max) = takeovers
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), t| (lo.min(*t), hi.max(*t)));
    println!("advbase 0: takeover {min:.1}-{max:.1} ms, 25 ms or less in {within} of 10 runs");
    assert!(
        within >= 9,
        "takeover <= 25 ms in only {within} of 10 runs: {takeovers:.1?}"
    );
    // At advbase 0 the whole master-down is 23.4 ms: one late wake-up of
    // the backup is a tenth of it. Held like the takeover: 9 of 10.
    assert!(
        off_formula.len() <= 1,
        "carpd not within {FORMULA_TOLERANCE_MS} ms of the formula in more than one run: {off_formula:?}"
    );
}

#[test]
#[ignore = "real-network timing: .ci/run runs it in its own step"]
fn ucarp_at_advbase_1_takes_over_but_not_before_the_formula() {
    require!(Root, Netns, Tshark, UcarpTool);
    let m = steady_runs(Impl::Ucarp, "ucarp", 1, (10, 50), 1).remove(0);
    // ucarp's timers are coarse: it was 0.4-1.4 s late in our runs, never
    // early. Only "took over, not early" is held; the lateness is printed.
    assert!(
        m.off() > -FORMULA_TOLERANCE_MS,
        "ucarp took over {:+.1} ms from the formula: early",
        m.off()
    );
}
