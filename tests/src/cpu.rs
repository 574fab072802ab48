//! CPU time of a namespace's processes and of the kernel's threads, from
//! `/proc/<pid>/task/<tid>/schedstat` (first field: nanoseconds on a CPU,
//! user and system together; schedstats are always on since Linux 4.6 for
//! this file).
//!
//! Receive work that the kernel does in softirq context is charged to
//! whichever task the softirq interrupted (in a namespace lab: mostly the
//! sender's, since a veth transmit runs the receive softirq on the way out),
//! so "process" below is what the daemon's own tasks spent and "kernel
//! threads" what was deferred to kworkers, ksoftirqd and the like.

use std::fs;
use std::path::Path;
use std::time::Duration;

use crate::netns::Netns;
use crate::process::checked_stdout;

/// `PF_KTHREAD` in the flags field of `/proc/<pid>/stat`.
const PF_KTHREAD: u64 = 0x0020_0000;

/// Nanoseconds on a CPU of every thread of process `pid`.
fn process_ns(pid: u32) -> u64 {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .map(|t| schedstat_ns(&t.path().join("schedstat")))
        .sum()
}

fn schedstat_ns(path: &Path) -> u64 {
    fs::read_to_string(path)
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// The flags field (the 9th) of `/proc/<pid>/stat`, read after the command
/// name (which may hold spaces and parentheses).
fn stat_flags(pid: &str) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    // After "pid (comm) ": state ppid pgrp session tty_nr tpgid flags.
    rest.split_whitespace().nth(6)?.parse().ok()
}

/// CPU time of every process in `ns` (`ip netns pids`), all threads.
pub fn netns_cpu(ns: &Netns) -> Duration {
    let pids = checked_stdout(std::process::Command::new("ip").args(["netns", "pids", ns.name()]))
        .unwrap_or_default();
    let ns_total: u64 = pids
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .map(process_ns)
        .sum();
    Duration::from_nanos(ns_total)
}

/// Kernel threads where deferred packet work runs: work queues (the
/// macvlan broadcast queue among them), softirqs pushed out of interrupt
/// context, threaded NAPI and threaded interrupts. Others (rcu, kdamond,
/// jbd2, kswapd) only add the noise of whatever else the machine does.
pub const PACKET_KTHREADS: [&str; 4] = ["kworker/", "ksoftirqd/", "napi/", "irq/"];

fn is_packet_kthread(pid: &str) -> bool {
    fs::read_to_string(format!("/proc/{pid}/comm"))
        .is_ok_and(|comm| PACKET_KTHREADS.iter().any(|p| comm.starts_with(p)))
}

/// CPU time of the machine's kernel threads (tasks with `PF_KTHREAD`)
/// named in [`PACKET_KTHREADS`].
pub fn kthreads_cpu() -> Duration {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Duration::ZERO;
    };
    let total: u64 = dir
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| name.bytes().all(|b| b.is_ascii_digit()))
        .filter(|pid| stat_flags(pid).is_some_and(|f| f & PF_KTHREAD != 0))
        .filter(|pid| is_packet_kthread(pid))
        .map(|pid| schedstat_ns(&Path::new("/proc").join(&pid).join("schedstat")))
        .sum();
    Duration::from_nanos(total)
}

/// The median of `values` (the mean of the middle two for an even count);
/// `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_run_and_kthreadd_is_a_kernel_thread() {
        assert!(process_ns(std::process::id()) > 0);
        assert!(stat_flags("2").is_some_and(|f| f & PF_KTHREAD != 0));
        assert!(stat_flags(&std::process::id().to_string()).is_some_and(|f| f & PF_KTHREAD == 0));
        assert!(!is_packet_kthread("2"), "kthreadd is not one of them");
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }
}
