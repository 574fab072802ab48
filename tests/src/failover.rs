//! The client-observed failover measurement both failover tests share
//! (`tests/tests/interop_failover.rs` for CARP, `interop_failover_vrrp.rs`
//! for VRRPv3): what one crash of the master looked like from the echo
//! prober's output and the bridge's capture, the three lines each run
//! prints (`bench/failover.txt` keeps them; README.md and BENCHMARKS.md
//! quote them), and the loop that measures again when the steady state
//! did not hold before the crash.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::echo::Probe;
use crate::netns::{Host, Lab};
use crate::port_switch::PortSwitch;
use crate::process::wait_until;
use crate::tshark::decode_fields;

/// Seconds since the Unix epoch, as tshark's `frame.time_epoch` gives them.
///
/// # Panics
/// For an instant before 1970.
pub fn epoch(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64()
}

/// The client's side of one crash: the prober `probe_bin`
/// (`carp-echo-probe`) in `client` sends an echo request to `vaddr` every
/// `interval_ms` for one second before the crash and `after_ms` after it
/// into `out`; the crash is the bridge port `v-a` (the master's) going
/// down through an `ip -batch -` already running in the bridge namespace,
/// so its instant is when the command is written, not after a process
/// start (which takes milliseconds), and then `kill` (the master's daemon
/// gets SIGKILL: a killed daemon alone would leave the address answering
/// on its host). Returns the crash instant and the prober's output.
///
/// # Panics
/// When the prober cannot start, does not finish within `after_ms` + 10
/// s, or its output cannot be read.
#[allow(clippy::too_many_arguments)]
pub fn crash_under_probe(
    lab: &Lab,
    client: &Host,
    probe_bin: &str,
    vaddr: &str,
    interval_ms: u64,
    after_ms: u64,
    out: &Path,
    kill: impl FnOnce(),
) -> (SystemTime, String) {
    let mut probe = client
        .ns
        .spawn(&[
            "sh",
            "-c",
            &format!(
                "exec {probe_bin} {vaddr} {interval_ms} {} > {}",
                1000 + after_ms,
                out.display()
            ),
        ])
        .expect("start the echo prober");
    let mut port = PortSwitch::start(lab);
    std::thread::sleep(Duration::from_millis(1000));
    let killed_at = SystemTime::now();
    port.down("v-a");
    kill();
    let done = wait_until(Duration::from_millis(after_ms + 10_000), || {
        !probe.is_running()
    });
    assert!(done, "the echo probe did not finish");
    drop(probe);
    let text = std::fs::read_to_string(out).expect("the prober's output");
    (killed_at, text)
}

/// What one crash of the master is measured against.
#[derive(Debug, Clone, Copy)]
pub struct Crash<'a> {
    /// When the master's port went down and its daemon got SIGKILL.
    pub at: SystemTime,
    /// The master's own address (the source of its adverts).
    pub master: &'a str,
    /// The backup's own address.
    pub backup: &'a str,
    /// What the protocol's formula gives for the silence between the
    /// master's last advert and the backup's first, in ms.
    pub formula_ms: f64,
    /// The prober's request interval, in ms.
    pub interval_ms: u64,
    /// A request of the steady state is answered within this, in ms.
    pub steady_rtt_ms: f64,
}

/// One run's figures, in ms.
#[derive(Debug, Clone)]
pub struct Measured {
    /// Crash to the new master's first advert.
    pub takeover: f64,
    /// Every request unanswered: the two answered requests around the
    /// outage, sending instants, less one interval.
    pub downtime: f64,
    /// Last advert of the old master to the first of the new.
    pub silence: f64,
    /// What the formula gives for `silence`.
    pub formula: f64,
    /// The replies around the longest gap, relative to the crash.
    pub replies: (f64, f64),
    /// Echo requests in the outage that got no reply.
    pub unanswered: usize,
    /// Why the steady state before the crash was not steady, if it was not.
    pub disturbed: Option<String>,
}

impl Measured {
    /// Reads the prober's output `probe_text` and the capture `pcap` of
    /// the crash `crash`. The steady state held when every request of the
    /// last second before the crash was answered within
    /// [`Crash::steady_rtt_ms`] and the backup sent no advert before it
    /// (a spurious takeover, e.g. a master starved of CPU for longer than
    /// a 23 ms master-down); otherwise [`Measured::disturbed`] says why.
    ///
    /// # Panics
    /// When the prober saw 50 replies or fewer, no outage around the
    /// crash, or the capture holds no advert of the new master.
    pub fn from_run(what: &str, probe_text: &str, pcap: &Path, crash: &Crash<'_>) -> Measured {
        let client = Probe::parse(probe_text);
        assert!(
            client.replies.len() > 50,
            "{what}: too few replies:\n{probe_text}"
        );
        let kill = epoch(crash.at);
        let outage = client
            .outage_around(kill)
            .unwrap_or_else(|| panic!("{what}: no outage around the crash:\n{probe_text}"));
        let interval = crash.interval_ms as f64 / 1000.0;

        let rows = decode_fields(pcap, &["frame.time_epoch", "ip.src"]).expect("tshark reads");
        let at = |r: &Vec<String>| r[0].parse::<f64>().unwrap_or(f64::NAN);
        let last_master = rows
            .iter()
            .filter(|r| r[1] == crash.master && at(r) <= kill + 0.005)
            .map(at)
            .fold(f64::NAN, f64::max);
        let first_backup = rows
            .iter()
            .filter(|r| r[1] == crash.backup && at(r) > kill)
            .map(at)
            .fold(f64::NAN, f64::min);
        assert!(
            first_backup.is_finite(),
            "{what}: no advert from the new master: {rows:?}"
        );
        let late = client
            .sent
            .iter()
            .filter(|(_, t)| *t > kill - 0.9 && *t < kill - 0.02)
            .find_map(|(seq, t)| match client.reply_to(*seq) {
                None => Some(format!(
                    "request sent {:.1} ms before the crash unanswered",
                    (kill - t) * 1000.0
                )),
                Some(r) if r - t > crash.steady_rtt_ms / 1000.0 => Some(format!(
                    "request sent {:.1} ms before the crash answered after {:.1} ms",
                    (kill - t) * 1000.0,
                    (r - t) * 1000.0
                )),
                Some(_) => None,
            });
        let early = rows
            .iter()
            .any(|r| r[1] == crash.backup && at(r) < kill)
            .then(|| "the backup advertised before the crash".to_owned());
        Measured {
            takeover: (first_backup - kill) * 1000.0,
            downtime: outage.downtime(interval) * 1000.0,
            silence: (first_backup - last_master) * 1000.0,
            formula: crash.formula_ms,
            replies: (
                (outage.last_reply - kill) * 1000.0,
                (outage.first_reply - kill) * 1000.0,
            ),
            unanswered: outage.unanswered,
            disturbed: early.or(late),
        }
    }

    /// Prints the run's three lines; `setup` names the daemon and its
    /// settings (`carpd advbase=1 skews=10/50`).
    pub fn print(&self, setup: &str) {
        println!(
            "failover {setup}: takeover {:.1} ms, downtime {:.0} ms",
            self.takeover, self.downtime
        );
        println!(
            "  last advert of the old master to first of the new: {:.1} ms (formula {:.1} ms, off by {:+.1} ms)",
            self.silence,
            self.formula,
            self.off()
        );
        println!(
            "  client: last echo reply {:+.1} ms, first after the outage {:+.1} ms from the crash, {} requests unanswered",
            self.replies.0, self.replies.1, self.unanswered
        );
    }

    /// Off the formula, in ms.
    pub fn off(&self) -> f64 {
        self.silence - self.formula
    }
}

/// `n` runs of `measure` whose steady state held until the crash, each
/// printed under `setup`; a run disturbed before the crash (a busy
/// machine) is printed as discarded and measured again, at most
/// `extra_attempts` times.
///
/// # Panics
/// When more runs than that were disturbed.
pub fn steady_runs(
    setup: &str,
    n: usize,
    extra_attempts: usize,
    mut measure: impl FnMut() -> Measured,
) -> Vec<Measured> {
    let mut valid = Vec::new();
    let mut discarded = 0;
    while valid.len() < n {
        let m = measure();
        if let Some(why) = &m.disturbed {
            discarded += 1;
            println!("discarded ({why}):");
            m.print(setup);
            assert!(
                discarded <= extra_attempts,
                "{discarded} runs disturbed before the crash: the machine is too busy to measure"
            );
            continue;
        }
        println!("run {} of {n}:", valid.len() + 1);
        m.print(setup);
        valid.push(m);
    }
    valid
}
