//! The group hooks' contract on a fake clock with fake children, then once
//! with real processes.

use std::cell::RefCell;
use std::rc::Rc;

use super::*;

#[derive(Debug, Default)]
struct Fake {
    /// Every launch, in order: the run, how it ended (set by the test),
    /// killed by the scheduler.
    launched: Vec<(HookRun, Option<Ended>, bool)>,
}

#[derive(Debug, Clone, Default)]
struct FakeLauncher(Rc<RefCell<Fake>>);

impl Launcher for FakeLauncher {
    type Child = usize;
    fn launch(&mut self, run: &HookRun) -> io::Result<usize> {
        let mut f = self.0.borrow_mut();
        f.launched.push((run.clone(), None, false));
        Ok(f.launched.len() - 1)
    }
    fn try_wait(&mut self, child: &mut usize) -> Option<Ended> {
        self.0.borrow().launched[*child].1.clone()
    }
    fn kill(&mut self, child: &mut usize) {
        self.0.borrow_mut().launched[*child].2 = true;
    }
    fn stderr(&mut self, _: &mut usize) -> Option<String> {
        None
    }
}

fn obs(state: GroupState, reason: &str) -> Observed {
    Observed {
        state,
        reason: reason.into(),
        vhids: "outside:2 inside:1".into(),
        demote: 0,
    }
}

const T: &str = "2026-11-30T00:00:00.000000Z";

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn started(f: &FakeLauncher) -> Vec<(GroupState, GroupState, u64)> {
    f.0.borrow()
        .launched
        .iter()
        .map(|(r, _, _)| (r.state, r.previous, r.seq))
        .collect()
}

fn end(f: &FakeLauncher, i: usize, e: Ended) {
    f.0.borrow_mut().launched[i].1 = Some(e);
}

#[test]
fn a_group_is_master_only_when_every_member_is() {
    use State::{Backup, Init, Master};
    assert_eq!(GroupState::of([Master, Master]), GroupState::Master);
    assert_eq!(GroupState::of([Master, Backup]), GroupState::Backup);
    assert_eq!(GroupState::of([Master, Init]), GroupState::Backup);
    assert_eq!(GroupState::of([Init, Init]), GroupState::Init);
    assert_eq!(GroupState::of([]), GroupState::Init);
}

#[test]
fn the_hook_runs_backup_at_start_up_even_with_its_parents_down() {
    let f = FakeLauncher::default();
    let mut h = Hooks::new(f.clone(), DEFAULT_TIMEOUT);
    let t = h
        .observe("fw", obs(GroupState::Init, "admin-up"), T)
        .unwrap();
    assert_eq!(t.to.reason, "start");
    assert_eq!(
        (t.seq, t.from, t.to.state),
        (1, GroupState::Init, GroupState::Backup)
    );
    assert!(h.poll(at(0)).is_empty());
    assert_eq!(started(&f), [(GroupState::Backup, GroupState::Init, 1)]);
    // The same state again is no transition.
    assert!(h.observe("fw", obs(GroupState::Backup, "x"), T).is_none());
}

#[test]
fn runs_never_overlap_and_a_burst_is_coalesced_to_the_latest_state() {
    let f = FakeLauncher::default();
    let mut h = Hooks::new(f.clone(), DEFAULT_TIMEOUT);
    h.observe("fw", obs(GroupState::Backup, "start"), T);
    h.poll(at(0));
    // Three transitions while BACKUP's run goes on.
    for (i, s) in [GroupState::Master, GroupState::Backup, GroupState::Master]
        .into_iter()
        .enumerate()
    {
        let t = h.observe("fw", obs(s, "master-down"), T).unwrap();
        assert_eq!(t.seq, 2 + i as u64);
        assert!(h.poll(at(10 + i as u64)).is_empty());
    }
    assert_eq!(started(&f).len(), 1, "nothing starts while a run goes on");
    end(&f, 0, Ended::Exit(0));
    let done = h.poll(at(50));
    assert_eq!(done.len(), 1);
    assert_eq!(
        (done[0].ended.clone(), done[0].micros),
        (Ended::Exit(0), 50_000)
    );
    // One run, for the latest state, told what the hook did last.
    assert_eq!(
        started(&f),
        [
            (GroupState::Backup, GroupState::Init, 1),
            (GroupState::Master, GroupState::Backup, 4)
        ]
    );
    // MASTER -> BACKUP -> MASTER while MASTER's run goes on: the hook
    // already did MASTER, nothing more runs.
    h.observe("fw", obs(GroupState::Backup, "preempt"), T);
    h.observe("fw", obs(GroupState::Master, "master-down"), T);
    end(&f, 1, Ended::Exit(1));
    assert_eq!(h.poll(at(60)).len(), 1);
    assert_eq!(started(&f).len(), 2);
    assert!(!h.busy());
}

#[test]
fn groups_run_independently() {
    let f = FakeLauncher::default();
    let mut h = Hooks::new(f.clone(), DEFAULT_TIMEOUT);
    h.observe("fw", obs(GroupState::Backup, "start"), T);
    h.observe("dmz", obs(GroupState::Master, "start"), T);
    h.poll(at(0));
    let mut groups: Vec<String> =
        f.0.borrow()
            .launched
            .iter()
            .map(|l| l.0.group.clone())
            .collect();
    groups.sort();
    assert_eq!(groups, ["dmz", "fw"]);
}

#[test]
fn a_run_past_its_timeout_is_killed_and_the_latest_state_then_runs() {
    let f = FakeLauncher::default();
    let mut h = Hooks::new(f.clone(), DEFAULT_TIMEOUT);
    h.observe("fw", obs(GroupState::Backup, "start"), T);
    h.poll(at(1_000));
    assert_eq!(h.next_deadline(), Some(at(11_000)));
    h.observe("fw", obs(GroupState::Master, "master-down"), T);
    assert!(h.poll(at(10_999)).is_empty());
    assert!(!f.0.borrow().launched[0].2);
    let done = h.poll(at(11_000));
    assert_eq!(done[0].ended, Ended::TimedOut(DEFAULT_TIMEOUT));
    assert_eq!(done[0].ended.status(), "killed after 10.0 s (hook-timeout)");
    assert!(f.0.borrow().launched[0].2, "killed");
    assert_eq!(started(&f)[1], (GroupState::Master, GroupState::Backup, 2));
    assert_eq!(h.next_deadline(), Some(at(21_000)));
}

#[test]
fn a_hook_that_cannot_start_is_reported_and_the_next_change_runs() {
    let mut h = Hooks::new(
        Processes {
            program: "/nonexistent/hook".into(),
        },
        DEFAULT_TIMEOUT,
    );
    h.observe("fw", obs(GroupState::Backup, "start"), T);
    let done = h.poll(at(0));
    assert!(matches!(&done[0].ended, Ended::NotStarted(e) if e.contains("No such file")));
    assert!(!h.busy());
}

/// Writes an executable script from a child process: a file this test
/// process held open for writing would be inherited by the children other
/// tests fork meanwhile, and executing it would fail with ETXTBSY.
fn write_script(path: &std::path::Path, body: &str) {
    let ok = std::process::Command::new("/bin/sh")
        .args([
            "-c",
            "printf '%s' \"$1\" >\"$2\" && chmod 755 \"$2\"",
            "sh",
            body,
        ])
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

/// Polls real processes until none runs (bounded).
fn run_out(h: &mut Hooks<Processes>) -> Vec<Finished> {
    let start = std::time::Instant::now();
    let mut done = Vec::new();
    while h.busy() && start.elapsed() < std::time::Duration::from_secs(20) {
        let us = u64::try_from(start.elapsed().as_micros()).unwrap();
        done.extend(h.poll(Instant::from_micros(us)));
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    done
}

#[test]
fn a_real_hook_gets_its_arguments_and_environment_and_its_stderr_is_kept() {
    let dir = std::env::temp_dir().join(format!("carpd-hook-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("hook");
    write_script(
        &script,
        "#!/bin/sh\necho \"$1 $2 $CARP_GROUP $CARP_STATE $CARP_PREVIOUS_STATE $CARP_REASON \
         [$CARP_VHIDS] $CARP_DEMOTE $CARP_SEQ $CARP_TIME\" >&2\nexit 3\n",
    );
    let mut h = Hooks::new(Processes { program: script }, DEFAULT_TIMEOUT);
    h.observe("fw", obs(GroupState::Master, "start"), T);
    let done = run_out(&mut h);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(done[0].ended, Ended::Exit(3));
    assert_eq!(
        done[0].stderr.as_deref(),
        Some(
            "MASTER fw fw MASTER INIT start [outside:2 inside:1] 0 1 2026-11-30T00:00:00.000000Z\n"
        )
    );
}

#[test]
fn a_real_hook_past_its_timeout_is_killed_with_its_children() {
    let mut run_dir = std::env::temp_dir();
    run_dir.push(format!("carpd-hook-timeout-{}", std::process::id()));
    std::fs::create_dir_all(&run_dir).unwrap();
    let script = run_dir.join("hook");
    write_script(
        &script,
        "#!/bin/sh\nsleep 30 &\necho $! >\"$0.child\"\nsleep 30\n",
    );
    let mut h = Hooks::new(Processes { program: script }, 200_000);
    h.observe("fw", obs(GroupState::Backup, "start"), T);
    let done = run_out(&mut h);
    assert!(matches!(done[0].ended, Ended::TimedOut(us) if us >= 200_000));
    let child: i32 = std::fs::read_to_string(run_dir.join("hook.child"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::fs::remove_dir_all(&run_dir).unwrap();
    // The background sleep went with the process group (reaped by init;
    // give it a moment).
    let gone = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(10));
        !std::path::Path::new(&format!("/proc/{child}")).exists()
            || std::fs::read_to_string(format!("/proc/{child}/stat"))
                .is_ok_and(|s| s.contains(") Z "))
    });
    assert!(gone, "the hook's child {child} outlived the kill");
}
