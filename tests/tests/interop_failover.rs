//! Client-observed failover: a client pings the virtual address every
//! 10 ms while the master's host crashes (its bridge port goes down, through
//! an `ip -batch` already running so the crash instant is exact, and its
//! daemon gets SIGKILL: no bow-out). Prints one line per setup,
//! `failover <impl> advbase=<b> skews=<m>/<k>: takeover <ms> ms, downtime <ms> ms`,
//! where takeover is crash to the new master's first advert on the bridge
//! and downtime is the longest silence between two echo replies less the
//! 10 ms interval (lost replies x 10 ms, measured by the clock because ping
//! slows down while replies are missing), plus a detail line comparing the
//! silence between the last and the first advert with the CARP formula
//! (3 x advbase + advskew/256 of the backup), and one with the echo replies
//! on either side of the gap, relative to the crash.
//!
//! Run with `cargo test -p carp-tests --test interop_failover -- --ignored --nocapture`.

use std::io::Write as _;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use carp_tests::carpd::{Carpd, Scratch, Ucarp, BACKUP, MASTER};
use carp_tests::netns::{Host, Lab};
use carp_tests::process::wait_until;
use carp_tests::require;
use carp_tests::require::Prerequisite::{Netns, Root, Tshark, Ucarp as UcarpTool};
use carp_tests::tshark::decode_fields;

const VADDR: &str = "192.0.2.100";
const MASTER_IP: &str = "192.0.2.11";
const BACKUP_IP: &str = "192.0.2.12";

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

/// Takeover (ms), downtime (ms), advert silence (ms), formula (ms).
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
    let ping_out = dir.path.join("ping.txt");
    let run_secs = if advbase == 0 { 3 } else { 7 };
    let ping =
        c.ns.spawn(&[
            "sh",
            "-c",
            &format!(
                "exec ping -n -D -i 0.01 -w {run_secs} {VADDR} > {}",
                ping_out.display()
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
    let done = wait_until(Duration::from_secs(run_secs + 10), || {
        std::fs::read_to_string(&ping_out).is_ok_and(|t| t.contains("packets transmitted"))
    });
    assert!(done, "ping did not finish");
    drop(ping);
    assert!(
        backup.wait_state(MASTER, Duration::ZERO),
        "{imp:?}: no takeover"
    );
    drop(cap);

    // ping slows down while replies are missing, so count the silence by
    // the clock: the longest gap between two replies, less one interval.
    let text = std::fs::read_to_string(&ping_out).unwrap();
    // Each reply as (time, icmp_seq).
    let replies: Vec<(f64, u64)> = text
        .lines()
        .filter(|l| l.contains("bytes from"))
        .filter_map(|l| {
            let t = l.strip_prefix('[')?.split(']').next()?.parse().ok()?;
            let seq = l
                .split("icmp_seq=")
                .nth(1)?
                .split(' ')
                .next()?
                .parse()
                .ok()?;
            Some((t, seq))
        })
        .collect();
    assert!(replies.len() > 50, "too few replies:\n{text}");
    let (before, after) = replies.windows(2).map(|w| (w[0], w[1])).fold(
        ((0.0f64, 0u64), (0.0f64, 0u64)),
        |best, w| {
            if w.1 .0 - w.0 .0 > best.1 .0 - best.0 .0 {
                w
            } else {
                best
            }
        },
    );
    let (gap_from, gap_to) = (before.0, after.0);
    let unanswered = after.1.saturating_sub(before.1 + 1);
    let downtime = ((gap_to - gap_from) * 1000.0 - 10.0).max(0.0);

    let rows = decode_fields(&pcap, &["frame.time_epoch", "ip.src"]).unwrap();
    let kill = epoch(killed_at);
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
    let formula = if advbase == 0 {
        3.0 * f64::from(skews.1) / 256.0
    } else {
        3.0 * f64::from(advbase) + f64::from(skews.1) / 256.0
    } * 1000.0;
    Measured {
        takeover: (first_backup - kill) * 1000.0,
        downtime,
        silence: (first_backup - last_master) * 1000.0,
        formula,
        replies: ((gap_from - kill) * 1000.0, (gap_to - kill) * 1000.0),
        unanswered,
    }
}

/// One setup's figures, in ms.
struct Measured {
    /// Crash to the new master's first advert.
    takeover: f64,
    /// Longest gap between echo replies, less the ping interval.
    downtime: f64,
    /// Last advert of the old master to the first of the new.
    silence: f64,
    /// What the CARP formula gives for `silence`.
    formula: f64,
    /// The replies around the longest gap, relative to the crash.
    replies: (f64, f64),
    /// Echo requests in the gap that got no reply.
    unanswered: u64,
}

#[test]
#[ignore = "a measurement, not a check: .ci/run runs it with a release carpd, --ignored --nocapture"]
fn failover_lines_for_carpd_and_ucarp() {
    require!(Root, Netns, Tshark, UcarpTool);
    let setups = [
        (Impl::Carpd, "carpd", 1, (10, 50)),
        (Impl::Ucarp, "ucarp", 1, (10, 50)),
        (Impl::Carpd, "carpd", 0, (1, 2)),
    ];
    let mut lines = Vec::new();
    for (imp, name, advbase, skews) in setups {
        let Measured {
            takeover,
            downtime,
            silence,
            formula,
            replies,
            unanswered,
        } = measure(imp, advbase, skews);
        let line = format!(
            "failover {name} advbase={advbase} skews={}/{}: takeover {takeover:.1} ms, downtime {downtime:.0} ms",
            skews.0, skews.1
        );
        println!("{line}");
        println!(
            "  last advert of the old master to first of the new: {silence:.1} ms (formula {formula:.1} ms, off by {:+.1} ms)",
            silence - formula
        );
        println!(
            "  client: last echo reply {:+.1} ms, first after the gap {:+.1} ms from the crash, {unanswered} requests unanswered",
            replies.0, replies.1
        );
        lines.push((imp, advbase, takeover, silence - formula));
    }
    // Sanity only (the goals are reported, not enforced here): carpd took
    // over within 20 ms of the formula at advbase 1.
    for (imp, advbase, _, off) in lines {
        if matches!(imp, Impl::Carpd) && advbase == 1 {
            assert!(off.abs() < 20.0, "carpd off the formula by {off:.1} ms");
        }
    }
}
