//! The firewall pair of examples/firewall-pair (carpd with a group hook
//! for conntrackd) keeps an established TCP connection through a failover,
//! and the control proves the test can fail.
//!
//! A client inside streams a numbered line every 10 ms to a server outside
//! through fw1 (master of the group `fw`: both sides); then:
//! * crash: fw1's links go down and its daemons are killed (no bow-out);
//!   fw2 takes both vhids over at its master-down interval, its group hook
//!   commits the states conntrackd synced, and the stream goes on with no
//!   reset, its gap within the bound below;
//! * return: fw1 boots again with a hold-down (`--holddown`), resyncs from
//!   fw2, and preempts the group only once the hold-down is over; the
//!   stream goes on through fw1, still without a reset;
//! * control: the same crash without conntrackd: fw2 drops the stream's
//!   packets as invalid (TCP loose pickup is off) and the stream stalls;
//! * graceful stop: carpd on fw1 gets SIGTERM and bows out (an advert with
//!   advskew 255): fw2 takes over at once, far below master-down;
//! * sync link: fw1's port on the sync link goes down: `--syncdev` demotes
//!   fw1's group by 1, fw2 preempts, and when the port is back fw1 takes
//!   the group back; no reset.
//!
//! The bounds come from the CARP formula and TCP's retransmission rule,
//! never from a measurement:
//! * fw2 declares the master down 3 × advbase + advskew/256 after the last
//!   advertisement it heard (BSD carp(4), `carp_setrun`), which fw1 sent at
//!   most one advbase before the crash; carpd's timers are exact (a
//!   timerfd at the absolute deadline), CARPD_MARGIN covers scheduling on a
//!   loaded machine. The group is MASTER once both vhids are; its hook
//!   then runs conntrackd's commit (tens of ms, logged): HOOK_MARGIN;
//! * the stream resumes at the first retransmission after the commit. TCP
//!   doubles the retransmission interval at each timeout (RFC 6298
//!   sections 5.5 and 5.7), whenever the series started after the fault:
//!   if the path is back T seconds into the outage, the interval running
//!   then is at most T + RTO long, so the stream resumes by 2·T + RTO. RTO
//!   is read from the kernel (`ss -ti`) just before the fault;
//!   STREAM_MARGIN adds a round trip, timer slack and the line interval.
//!
//! carpd sends the takeover advert and gratuitous ARP before it starts the
//! hook (as keepalived sends its gratuitous ARPs before its notify
//! scripts): segments reaching the new master before the commit are
//! dropped as invalid and retransmitted; the test reports how many.
//!
//! Ignored in the workspace run (two minutes of namespaces): `.ci/run`
//! runs it with `--ignored --nocapture` so its figures land in the log
//! (`firewall-pair <case>:` lines).

use std::path::Path;
use std::time::Duration;

use carp_tests::firewall::{Firewall, Pair, Side, Stream, ADVBASE, ADVSKEW, SIDES};
use carp_tests::process::output_within;
use carp_tests::require;
use carp_tests::require::skip_or_fail;
use carp_tests::require::Prerequisite::{Conntrackd, Netns, Nft, Root};
use carp_tests::stream::{parse_gaps, unix_ms, Ending, Gap};

const STREAM_BIN: &str = env!("CARGO_BIN_EXE_carp-stream");
/// Scheduling of carpd's timer and event loop on a loaded 2-CPU machine.
const CARPD_MARGIN: f64 = 0.1;
/// The hook's conntrackd commands (30-90 ms logged here) and process
/// start-up on a loaded 2-CPU machine.
const HOOK_MARGIN: f64 = 0.3;
/// A round trip, RTO timer slack and the 10 ms line interval.
const STREAM_MARGIN: f64 = 0.2;
/// The bow-out advert's trip and fw2's handling of it: one frame on a
/// bridge, and carpd's wake-up.
const BOWOUT_MARGIN: f64 = 0.2;
/// fw1's hold-down when it returns (`--holddown`), seconds.
const HOLDDOWN: u32 = 3;
/// The stream's stall timeout: longer than any gap bound below, so a
/// stalled stream is one that would never have recovered.
const STALL: Duration = Duration::from_secs(15);

/// fw2's master-down interval, seconds: 3 × advbase + advskew/256.
fn master_down() -> f64 {
    3.0 * f64::from(ADVBASE) + f64::from(ADVSKEW[1]) / 256.0
}

/// Latest takeover by fw2 after fw1 stops advertising (seconds).
fn takeover_bound() -> f64 {
    master_down() + CARPD_MARGIN
}

/// Earliest takeover: fw1's last advertisement went out at most one
/// advbase before the fault.
fn takeover_min() -> f64 {
    master_down() - f64::from(ADVBASE)
}

/// The largest stream gap a group commit `t` seconds after the fault
/// allows, given the connection's RTO (ms): 2·T + RTO (module docs).
fn gap_bound(t: f64, rto_ms: f64) -> f64 {
    2.0 * t + rto_ms / 1000.0 + STREAM_MARGIN
}

fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

/// CLOCK_MONOTONIC in µs: carpd's `at_us`.
fn mono_us() -> u64 {
    let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).unwrap();
    u64::try_from(t.tv_sec()).unwrap() * 1_000_000 + u64::try_from(t.tv_nsec()).unwrap() / 1000
}

/// A fault's time on both clocks: the stream's (Unix ms) and carpd's.
#[derive(Clone, Copy)]
struct At {
    ms: u64,
    us: u64,
}

fn at_now() -> At {
    At {
        ms: unix_ms(),
        us: mono_us(),
    }
}

/// The stream's silence after a fault at `at_ms`: the largest gap that
/// began within a second of it (acknowledgements already on their way
/// still arrive while the box goes down) and ended after it.
fn stall_after(gaps: &[Gap], at_ms: u64) -> Option<Gap> {
    gaps.iter()
        .filter(|g| g.to_ms > at_ms && g.from_ms + 50 >= at_ms && g.from_ms < at_ms + 1000)
        .max_by_key(|g| g.ms())
        .copied()
}

/// When `fw`'s vhids became MASTER after `after`, seconds after it,
/// waiting up to `timeout` for both.
fn takeovers(fw: &Firewall, after: At, timeout: Duration) -> Option<Vec<(Side, f64)>> {
    let mut times = None;
    carp_tests::process::wait_until(timeout, || {
        times = SIDES
            .iter()
            .map(|&s| {
                let us = fw.master_at(s, after.us)?;
                Some((s, (us - after.us) as f64 / 1e6))
            })
            .collect();
        times.is_some()
    });
    times
}

fn describe(times: &[(Side, f64)]) -> String {
    times
        .iter()
        .map(|(s, t)| format!("vhid {} ({}) +{t:.3} s", s.vhid, s.name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn latest(times: &[(Side, f64)]) -> f64 {
    times.iter().map(|t| t.1).fold(0.0, f64::max)
}

/// Whether the `conntrack` tool (Debian package conntrack, which
/// conntrackd does not pull in) runs: a crash wipes the box's table with it.
fn conntrack_tool() -> bool {
    let ok = output_within(
        std::process::Command::new("conntrack").arg("--version"),
        Duration::from_secs(10),
    )
    .is_ok_and(|o| o.status.success());
    if !ok {
        skip_or_fail("needs conntrack (the conntrack-tools CLI)");
    }
    ok
}

/// The pair started (with conntrackd when `sync`), fw1 master, the server
/// up, and a client streaming through fw1 for `duration`; with the
/// connection's RTO (ms).
fn streaming_pair(tag: &str, sync: bool, duration: Duration) -> (Pair, Stream, f64) {
    let bin = Path::new(STREAM_BIN);
    let mut pair = Pair::build(tag, sync).unwrap();
    pair.start().unwrap();
    pair.start_server(bin, Duration::from_secs(120)).unwrap();
    let stream = pair.stream(bin, duration, STALL).unwrap();
    let rto = pair.rto_ms().unwrap();
    (pair, stream, rto)
}

/// Waits until the stream printed a gap spanning `at_ms`: one that ended,
/// so acknowledgements flow again.
fn wait_resumed(stream: &Stream, at_ms: u64, timeout: Duration) -> bool {
    carp_tests::process::wait_until(timeout, || {
        parse_gaps(&stream.output()).is_ok_and(|gaps| stall_after(&gaps, at_ms).is_some())
    })
}

/// The `ms` of the last `hook` event for `state` (the conntrackd
/// sequence and the hook's start-up).
fn hook_ms(fw: &Firewall, state: &str) -> Option<u64> {
    fw.events("hook")
        .iter()
        .rev()
        .find(|l| carp_tests::carpd::json_field(l, "state").as_deref() == Some(state))
        .and_then(|l| carp_tests::carpd::json_field(l, "ms")?.parse().ok())
}

#[test]
#[ignore = "firewall pair in namespaces (~45 s): run by .ci/run's firewall-pair step"]
fn a_crash_keeps_the_connection_and_preemption_after_the_holddown_brings_it_back() {
    require!(Root, Netns, Nft, Conntrackd);
    if !conntrack_tool() {
        return;
    }
    let (mut pair, stream, rto) = streaming_pair("fwcrash", true, Duration::from_secs(28));
    let bound = gap_bound(takeover_bound() + HOOK_MARGIN, rto);
    let min = takeover_min();

    // Crash fw1.
    let crash = at_now();
    pair.fw[0].crash().unwrap();
    let took = takeovers(&pair.fw[1], crash, Duration::from_secs(15))
        .unwrap_or_else(|| panic!("fw2 did not take over:\n{}", pair.logs()));
    pair.wait_master(1, Duration::from_secs(5)).unwrap();
    assert!(
        wait_resumed(&stream, crash.ms, Duration::from_secs(20)),
        "the stream did not resume after the crash:\n{}\n{}",
        stream.output(),
        pair.logs()
    );
    let (invalid2, established2) = pair.fw[1].forward_counters().unwrap();
    // The stream resumes after the hook's commit (-c), before its last
    // step: its `hook` event comes when it exits.
    let mut sequence = None;
    carp_tests::process::wait_until(Duration::from_secs(10), || {
        sequence = hook_ms(&pair.fw[1], "master");
        sequence.is_some()
    });
    let sequence = sequence.unwrap_or_else(|| panic!("fw2 ran no MASTER hook:\n{}", pair.logs()));

    // fw1 returns, stays backup for its hold-down, then preempts.
    let back = at_now();
    pair.fw[0].power_on(true, HOLDDOWN).unwrap();
    pair.wait_master(0, Duration::from_secs(15)).unwrap();
    let preempted = takeovers(&pair.fw[0], back, Duration::from_secs(5))
        .unwrap_or_else(|| panic!("fw1 did not preempt:\n{}", pair.logs()));
    let (_, before) = pair.fw[0].forward_counters().unwrap();
    std::thread::sleep(Duration::from_secs(1));
    let (_, after) = pair.fw[0].forward_counters().unwrap();

    // Each vhid preempts on fw2's next advert of its own, up to one of
    // fw2's advert intervals apart; the group (both vhids) is MASTER, and
    // its hook commits, only once the later one has: meanwhile the first
    // side's packets reach fw1 without state.
    let split = f64::from(ADVBASE) + f64::from(ADVSKEW[1]) / 256.0;
    let preempt_bound = gap_bound(split + CARPD_MARGIN + HOOK_MARGIN, rto);

    let report = stream.report().unwrap();
    let s = &report.summary;
    let crash_gap = stall_after(&report.gaps, crash.ms).map_or(0, |g| g.ms());
    let preempt_gap = report
        .largest_gap_within(back.ms, s.stop_ms)
        .map_or(0, |g| g.ms());
    println!(
        "firewall-pair crash: fw2 took over {} (formula {:.3} s after the last advert: {min:.3}-{:.3} s after the crash), its group hook (conntrackd -c -f -R -B) ran {sequence} ms; stream gap {crash_gap} ms (bound {:.0} ms from rto {rto:.0} ms), end {}; fw2 forwarded {established2} packets as established and dropped {invalid2} as invalid (before its commit)",
        describe(&took),
        master_down(),
        takeover_bound(),
        bound * 1000.0,
        s.end
    );
    println!(
        "firewall-pair preemption: fw1 back at +0 with --holddown {HOLDDOWN}, master {}; largest stream gap after its return {preempt_gap} ms (bound {:.0} ms; gaps under 100 ms not reported); fw1 forwarded {} packets in 1 s after preempting; stream sent {} received {} end {}",
        describe(&preempted),
        preempt_bound * 1000.0,
        after.saturating_sub(before),
        s.sent,
        s.received,
        s.end
    );

    assert_eq!(s.end, Ending::Deadline, "{s}\n{}", pair.logs());
    for (side, t) in &took {
        assert!(
            (min - 0.05..=takeover_bound()).contains(t),
            "vhid {} took over at +{t:.3} s, outside [{min:.3}, {:.3}]",
            side.vhid,
            takeover_bound()
        );
    }
    assert!(
        secs(crash_gap) >= min - 0.05 && secs(crash_gap) <= bound,
        "crash gap {crash_gap} ms outside [{min:.3} s, {bound:.3} s]"
    );
    assert!(established2 > 0, "the stream did not go through fw2");
    assert!(after > before, "the stream does not go through fw1 again");
    for f in &pair.fw {
        assert_eq!(f.conntrackd_refusals(), Vec::<String>::new(), "{}", f.name);
    }
    // Not before the hold-down: carpd starts after links and conntrackd,
    // so its hold-down ends later still.
    for (side, t) in &preempted {
        assert!(
            *t >= f64::from(HOLDDOWN),
            "vhid {} preempted at +{t:.3} s, inside the {HOLDDOWN} s hold-down",
            side.vhid
        );
    }
    assert!(
        secs(preempt_gap) <= preempt_bound,
        "preemption gap {preempt_gap} ms over {preempt_bound:.3} s"
    );
    assert!(
        back.ms + 3000 < s.stop_ms,
        "the stream ended too soon after fw1's return"
    );
}

#[test]
#[ignore = "firewall pair in namespaces (~40 s): run by .ci/run's firewall-pair step"]
fn control_without_state_sync_the_backup_drops_the_connection() {
    require!(Root, Netns, Nft, Conntrackd);
    if !conntrack_tool() {
        return;
    }
    let (mut pair, stream, rto) = streaming_pair("fwcontrol", false, Duration::from_secs(40));
    let bound = gap_bound(takeover_bound() + HOOK_MARGIN, rto);
    assert!(
        STALL.as_secs_f64() > bound,
        "the stall timeout must exceed the synced case's gap bound"
    );

    let crash = at_now();
    pair.fw[0].crash().unwrap();
    let took = takeovers(&pair.fw[1], crash, Duration::from_secs(15))
        .unwrap_or_else(|| panic!("fw2 did not take over:\n{}", pair.logs()));
    let report = stream.report().unwrap();
    let s = &report.summary;
    let (invalid2, established2) = pair.fw[1].forward_counters().unwrap();
    println!(
        "firewall-pair control (no conntrackd): fw2 took over {}; stream end {} {:.1} s after the crash (stall timeout {} s, gap bound with sync {:.0} ms), error {}; fw2 dropped {invalid2} packets as invalid, forwarded {established2} as established",
        describe(&took),
        s.end,
        secs(s.stop_ms.saturating_sub(crash.ms)),
        STALL.as_secs(),
        bound * 1000.0,
        s.error
    );
    assert!(
        matches!(s.end, Ending::Stalled | Ending::Reset | Ending::Closed),
        "the stream survived without state sync: {s}"
    );
    assert!(invalid2 > 0, "fw2 dropped nothing as invalid");
}

#[test]
#[ignore = "firewall pair in namespaces (~25 s): run by .ci/run's firewall-pair step"]
fn graceful_stop_bows_out_and_the_backup_takes_over_at_once() {
    require!(Root, Netns, Nft, Conntrackd);
    if !conntrack_tool() {
        return;
    }
    let (mut pair, stream, rto) = streaming_pair("fwstop", true, Duration::from_secs(12));

    let stop = at_now();
    pair.fw[0].stop_carpd(Duration::from_secs(10));
    let stopped = secs(unix_ms().saturating_sub(stop.ms));
    let took = takeovers(&pair.fw[1], stop, Duration::from_secs(15))
        .unwrap_or_else(|| panic!("fw2 did not take over:\n{}", pair.logs()));
    pair.wait_master(1, Duration::from_secs(5)).unwrap();
    let (invalid2, established2) = pair.fw[1].forward_counters().unwrap();
    let report = stream.report().unwrap();
    let s = &report.summary;
    let gap = report
        .largest_gap_within(stop.ms, s.stop_ms)
        .map_or(0, |g| g.ms());
    let bound = gap_bound(BOWOUT_MARGIN + HOOK_MARGIN, rto);
    println!(
        "firewall-pair graceful stop (carpd SIGTERM, bow-out advskew 255): fw1's carpd exited in {stopped:.3} s; fw2 took over {} (master-down would be {:.3} s); largest stream gap {gap} ms (bound {:.0} ms; crash bound {:.0} ms), end {}; fw2 forwarded {established2} packets as established, dropped {invalid2} as invalid",
        describe(&took),
        master_down(),
        bound * 1000.0,
        gap_bound(takeover_bound() + HOOK_MARGIN, rto) * 1000.0,
        s.end
    );
    assert_eq!(s.end, Ending::Deadline, "{s}\n{}", pair.logs());
    assert!(established2 > 0, "the stream did not go through fw2");
    for f in &pair.fw {
        assert_eq!(f.conntrackd_refusals(), Vec::<String>::new(), "{}", f.name);
    }
    // The bow-out: fw2 took over on fw1's advskew-255 advert, not at its
    // master-down.
    assert!(
        latest(&took) <= BOWOUT_MARGIN,
        "fw2 took over {}: no bow-out?",
        describe(&took)
    );
    assert!(secs(gap) <= bound, "gap {gap} ms over {bound:.3} s");
}

#[test]
#[ignore = "firewall pair in namespaces (~25 s): run by .ci/run's firewall-pair step"]
fn the_sync_link_going_down_demotes_the_group_and_its_return_restores_it() {
    require!(Root, Netns, Nft, Conntrackd);
    if !conntrack_tool() {
        return;
    }
    let (pair, stream, rto) = streaming_pair("fwsync", true, Duration::from_secs(14));

    let down = at_now();
    pair.fw[0]
        .ns()
        .run(&["ip", "link", "set", "eth2", "down"])
        .unwrap();
    let took = takeovers(&pair.fw[1], down, Duration::from_secs(10))
        .unwrap_or_else(|| panic!("fw2 did not preempt:\n{}", pair.logs()));
    pair.wait_master(1, Duration::from_secs(5)).unwrap();
    std::thread::sleep(Duration::from_secs(2));

    let up = at_now();
    pair.fw[0]
        .ns()
        .run(&["ip", "link", "set", "eth2", "up"])
        .unwrap();
    let back = takeovers(&pair.fw[0], up, Duration::from_secs(10))
        .unwrap_or_else(|| panic!("fw1 did not preempt back:\n{}", pair.logs()));
    pair.wait_master(0, Duration::from_secs(5)).unwrap();
    let demotions = pair.fw[0].sync_demotions();
    let report = stream.report().unwrap();
    let s = &report.summary;
    let gap = report
        .largest_gap_within(down.ms, s.stop_ms)
        .map_or(0, |g| g.ms());
    println!(
        "firewall-pair sync link: fw1's eth2 down: fw2 preempted {}; eth2 up: fw1 preempted back {}; fw1 logged {demotions:?}; largest stream gap {gap} ms, end {}",
        describe(&took),
        describe(&back),
        s.end
    );
    assert_eq!(
        demotions.len(),
        2,
        "one +1 and one -1 for the sync link: {demotions:?}"
    );
    assert!(demotions[0].contains("demote +1 (sync link eth2 down): count 1"));
    assert!(demotions[1].contains("demote -1 (sync link eth2 up): count 0"));
    // fw1 advertises its demotion at once and fw2 preempts on it; back
    // up, fw1 preempts on fw2's next advert (within an advbase).
    let adv = f64::from(ADVBASE) + f64::from(ADVSKEW[1]) / 256.0;
    assert!(
        latest(&took) <= adv + CARPD_MARGIN,
        "fw2 preempted {}",
        describe(&took)
    );
    assert!(
        latest(&back) <= adv + CARPD_MARGIN,
        "fw1 preempted back {}",
        describe(&back)
    );
    assert_eq!(s.end, Ending::Deadline, "{s}\n{}", pair.logs());
    assert!(
        secs(gap) <= gap_bound(adv + CARPD_MARGIN + HOOK_MARGIN, rto),
        "gap {gap} ms"
    );
}
