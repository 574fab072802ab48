//! ucarp's up and down scripts (`<script> <interface> <address>
//! [<xparam>]`, once per virtual address, in order), run one at a time on a
//! thread of their own so a slow script never delays an advert.
//!
//! Each run has a timeout ([`DEFAULT_TIMEOUT`], `--script-timeout`): a
//! script still running then is killed with its process group and logged.
//! At shutdown the runner gets a deadline: what is queued runs until then,
//! the rest is skipped and logged, so SIGTERM is never held up by scripts
//! for longer than carpd was told to wait.

use std::collections::VecDeque;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long a script may run unless `--script-timeout` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How often a running script is checked on.
const POLL: Duration = Duration::from_millis(10);

/// One script run: program and arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptRun {
    /// The script.
    pub program: PathBuf,
    /// Its arguments: interface, address, and the xparam if any.
    pub args: Vec<String>,
}

/// The ucarp argument list: `<interface> <address> [<xparam>]`.
pub fn script_args(interface: &str, addr: std::net::IpAddr, xparam: Option<&str>) -> Vec<String> {
    let mut args = vec![interface.to_owned(), addr.to_string()];
    args.extend(xparam.map(str::to_owned));
    args
}

/// How one run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Exited with status 0.
    Done,
    /// Exited otherwise, or could not start: why.
    Failed(String),
    /// Killed when its time was up.
    TimedOut(Duration),
    /// Not started: shutdown's deadline had passed.
    Skipped,
}

#[derive(Debug, Default)]
struct Queue {
    runs: VecDeque<ScriptRun>,
    closing: bool,
    deadline: Option<Instant>,
    idle: bool,
}

/// The runner of a carpd.
#[derive(Debug)]
pub struct ScriptRunner {
    shared: Arc<(Mutex<Queue>, Condvar)>,
}

impl ScriptRunner {
    /// Starts the runner; `report` hears how each run ended.
    ///
    /// # Errors
    /// Thread creation.
    pub fn start(
        timeout: Duration,
        mut report: impl FnMut(&ScriptRun, &Outcome) + Send + 'static,
    ) -> std::io::Result<ScriptRunner> {
        let shared = Arc::new((Mutex::new(Queue::default()), Condvar::new()));
        let worker = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("carpd-scripts".into())
            .spawn(move || loop {
                let (lock, cv) = &*worker;
                let (run, deadline) = {
                    let Ok(mut q) = lock.lock() else { return };
                    loop {
                        if let Some(r) = q.runs.pop_front() {
                            q.idle = false;
                            break (r, q.deadline);
                        }
                        q.idle = true;
                        cv.notify_all();
                        if q.closing {
                            return;
                        }
                        q = match cv.wait(q) {
                            Ok(q) => q,
                            Err(_) => return,
                        };
                    }
                };
                let outcome = run_one(&run, timeout, deadline);
                report(&run, &outcome);
            })?;
        Ok(ScriptRunner { shared })
    }

    /// Queues a run.
    pub fn send(&self, run: ScriptRun) {
        let (lock, cv) = &*self.shared;
        if let Ok(mut q) = lock.lock() {
            if !q.closing {
                q.runs.push_back(run);
                cv.notify_all();
            }
        }
    }

    /// Runs what is queued, but nothing past `deadline` (a running script
    /// is killed then, the rest skipped); true when all finished in time.
    pub fn finish(&self, deadline: Instant) -> bool {
        let (lock, cv) = &*self.shared;
        let Ok(mut q) = lock.lock() else { return false };
        q.closing = true;
        q.deadline = Some(deadline);
        cv.notify_all();
        while !(q.idle && q.runs.is_empty()) {
            // A moment past the deadline: the worker kills and skips then.
            let left =
                (deadline + Duration::from_secs(1)).saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            q = match cv.wait_timeout(q, left) {
                Ok((q, _)) => q,
                Err(_) => return false,
            };
        }
        true
    }
}

fn run_one(run: &ScriptRun, timeout: Duration, deadline: Option<Instant>) -> Outcome {
    let start = Instant::now();
    let mut end = start + timeout;
    if let Some(d) = deadline {
        if start >= d {
            return Outcome::Skipped;
        }
        end = end.min(d);
    }
    let child = Command::new(&run.program)
        .args(&run.args)
        .stdin(Stdio::null())
        .process_group(0)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Outcome::Done,
            Ok(Some(status)) => return Outcome::Failed(status.to_string()),
            Ok(None) => {}
            Err(e) => return Outcome::Failed(e.to_string()),
        }
        if Instant::now() >= end {
            // The script and whatever it started.
            if let Ok(pid) = i32::try_from(child.id()) {
                let _ = nix::sys::signal::killpg(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            let _ = child.wait();
            return Outcome::TimedOut(start.elapsed());
        }
        std::thread::sleep(POLL);
    }
}

/// Logs how a run ended (failures at `warning`).
pub fn log_outcome(run: &ScriptRun, outcome: &Outcome) {
    let what = format!("{} {}", run.program.display(), run.args.join(" "));
    match outcome {
        Outcome::Done => log::debug!(target: "carpd", "script {what}: done"),
        Outcome::Failed(why) => log::warn!(target: "carpd", "script {what}: {why}"),
        Outcome::TimedOut(after) => log::warn!(
            target: "carpd",
            "script {what}: killed after {:.1} s (--script-timeout)",
            after.as_secs_f64()
        ),
        Outcome::Skipped => {
            log::warn!(target: "carpd", "script {what}: not run, carpd was stopping")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Seen = Arc<Mutex<Vec<(ScriptRun, Outcome)>>>;

    fn collecting(timeout: Duration) -> (ScriptRunner, Seen) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = Arc::clone(&seen);
        let r = ScriptRunner::start(timeout, move |run, o| {
            s2.lock().unwrap().push((run.clone(), o.clone()));
        })
        .unwrap();
        (r, seen)
    }

    fn sh(body: &str) -> ScriptRun {
        ScriptRun {
            program: "/bin/sh".into(),
            args: vec!["-c".into(), body.into()],
        }
    }

    #[test]
    fn scripts_get_ucarp_arguments() {
        let a: std::net::IpAddr = "192.0.2.100".parse().unwrap();
        assert_eq!(script_args("eth0", a, None), ["eth0", "192.0.2.100"]);
        assert_eq!(
            script_args("eth0", a, Some("x")),
            ["eth0", "192.0.2.100", "x"]
        );
    }

    #[test]
    fn runs_in_order_and_reports_failures() {
        let (r, seen) = collecting(DEFAULT_TIMEOUT);
        r.send(sh("exit 0"));
        r.send(sh("exit 3"));
        r.send(ScriptRun {
            program: "/nonexistent/up.sh".into(),
            args: vec![],
        });
        assert!(r.finish(Instant::now() + Duration::from_secs(30)));
        let seen = seen.lock().unwrap();
        assert_eq!(seen[0].1, Outcome::Done);
        assert_eq!(seen[1].1, Outcome::Failed("exit status: 3".into()));
        assert!(matches!(&seen[2].1, Outcome::Failed(e) if e.contains("No such file")));
    }

    #[test]
    fn a_script_past_its_timeout_is_killed_with_its_children() {
        let (r, seen) = collecting(Duration::from_millis(200));
        // The child sleep would keep a pipe or a process alive if only the
        // shell were killed.
        r.send(sh("sleep 30 & sleep 30"));
        assert!(r.finish(Instant::now() + Duration::from_secs(20)));
        let seen = seen.lock().unwrap();
        assert!(matches!(seen[0].1, Outcome::TimedOut(d) if d < Duration::from_secs(5)));
    }

    #[test]
    fn shutdown_kills_at_the_deadline_and_skips_the_rest() {
        let (r, seen) = collecting(DEFAULT_TIMEOUT);
        r.send(sh("sleep 30"));
        r.send(sh("exit 0"));
        let start = Instant::now();
        r.finish(start + Duration::from_millis(300));
        // Bounded by the deadline (and one poll), not by the 30 s script.
        assert!(start.elapsed() < Duration::from_secs(5));
        let deadline = Instant::now() + Duration::from_secs(5);
        while seen.lock().unwrap().len() < 2 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let seen = seen.lock().unwrap();
        assert!(matches!(seen[0].1, Outcome::TimedOut(_)));
        assert_eq!(seen[1].1, Outcome::Skipped);
    }
}
