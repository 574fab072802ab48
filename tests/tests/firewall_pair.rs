//! The firewall pair of examples/firewall-pair (phase 1: ucarp) keeps an
//! established TCP connection through a failover, and the control proves
//! the test can fail.
//!
//! A client inside streams a numbered line every 10 ms to a server outside
//! through fw1 (master of both sides); then:
//! * crash: fw1's daemons are killed and its links go down; fw2 takes both
//!   vhids over, commits the states conntrackd synced, and the stream goes
//!   on with no reset, its gap within the bound below;
//! * return: fw1 boots again, resyncs from fw2, preempts both vhids, and
//!   the stream goes on through fw1, still without a reset;
//! * control: the same crash without conntrackd: fw2 drops the stream's
//!   packets as invalid (TCP loose pickup is off) and the stream stalls;
//! * graceful stop: ucarp on fw1 gets SIGTERM; it runs its down-script but
//!   sends no bow-out advertisement, so fw2 still waits for master-down.
//!
//! The bounds come from the CARP formula and TCP's retransmission rule,
//! never from a measurement:
//! * fw2 declares the master down 3 × advbase + advskew/256 after the last
//!   advertisement it heard (BSD carp(4), `carp_setrun`), which fw1 sent at
//!   most one advbase before the crash. ucarp adds two delays of its own:
//!   libpcap hands it an advertisement up to its read timeout late
//!   (`CAPTURE_TIMEOUT` 1000 ms in UCarp src/ucarp.h; Linux's TPACKET_V3
//!   ring delivers a block when it retires), and it checks the master-down
//!   timer only when poll() returns, which in BACKUP waits up to advbase +
//!   advskew/256 (UCarp src/carp.c, `docarp()`). The hook's conntrackd
//!   commands take tens of ms (the hook logs each); HOOK_MARGIN covers
//!   them. Phase 2 (carpd, exact timers) drops both ucarp terms;
//! * the stream resumes at the first retransmission after the takeover.
//!   TCP doubles the retransmission interval at each timeout (RFC 6298
//!   sections 5.5 and 5.7), whenever the series started after the fault
//!   (Linux first sends a tail-loss probe and re-arms the timer while the
//!   application keeps writing, so the start is not known): if the path
//!   is back T seconds into the outage, the interval running then is at
//!   most T + RTO long, so the stream resumes by 2·T + RTO. RTO is read from
//!   the kernel (`ss -ti`) just before the fault; STREAM_MARGIN adds a
//!   round trip, timer slack and the 10 ms line interval.
//!
//! Ignored in the workspace run (two minutes of namespaces): `.ci/run`
//! runs it with `--ignored --nocapture` so its figures land in the log.

use std::path::Path;
use std::time::Duration;

use carp_tests::firewall::{Firewall, Pair, Side, Stream, ADVBASE, ADVSKEW, SIDES};
use carp_tests::process::output_within;
use carp_tests::require;
use carp_tests::require::skip_or_fail;
use carp_tests::require::Prerequisite::{Conntrackd, Netns, Nft, Root, Ucarp};
use carp_tests::stream::{parse_gaps, unix_ms, Ending, Gap};

const STREAM_BIN: &str = env!("CARGO_BIN_EXE_carp-stream");
/// The hook's conntrackd commands (30-60 ms measured here) and process
/// start-up on a loaded 2-CPU machine.
const HOOK_MARGIN: f64 = 0.3;
/// ucarp's libpcap read timeout, seconds (UCarp src/ucarp.h).
const UCARP_CAPTURE_TIMEOUT: f64 = 1.0;
/// A round trip, RTO timer slack and the 10 ms line interval.
const STREAM_MARGIN: f64 = 0.2;
/// The stream's stall timeout: longer than any gap bound below, so a
/// stalled stream is one that would never have recovered.
const STALL: Duration = Duration::from_secs(15);

/// fw2's master-down interval, seconds: 3 × advbase + advskew/256.
fn master_down() -> f64 {
    3.0 * f64::from(ADVBASE) + f64::from(ADVSKEW[1]) / 256.0
}

/// Latest takeover by fw2 after fw1 stops advertising (seconds): the
/// formula, ucarp's capture and poll delays, the hook.
fn takeover_bound() -> f64 {
    let ucarp_poll = f64::from(ADVBASE) + f64::from(ADVSKEW[1]) / 256.0;
    master_down() + UCARP_CAPTURE_TIMEOUT + ucarp_poll + HOOK_MARGIN
}

/// Earliest takeover: fw1's last advertisement went out at most one
/// advbase before the fault.
fn takeover_min() -> f64 {
    master_down() - f64::from(ADVBASE)
}

/// The largest stream gap a takeover within `takeover_bound()` allows,
/// given the connection's RTO (ms): 2·T + RTO (module docs).
fn gap_bound(rto_ms: f64) -> f64 {
    2.0 * takeover_bound() + rto_ms / 1000.0 + STREAM_MARGIN
}

fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
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

/// When fw2 ran its up-script for each side after `after_ms`, seconds
/// after it, waiting up to `timeout` for both.
fn takeovers(fw: &Firewall, after_ms: u64, timeout: Duration) -> Option<Vec<(Side, f64)>> {
    let mut times = None;
    carp_tests::process::wait_until(timeout, || {
        times = SIDES
            .iter()
            .map(|&s| Some((s, secs(fw.master_at(s, after_ms)?.saturating_sub(after_ms)))))
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

#[test]
#[ignore = "firewall pair in namespaces (~50 s): run by .ci/run's firewall-pair step"]
fn a_crash_keeps_the_connection_and_preemption_brings_it_back() {
    require!(Root, Netns, Ucarp, Nft, Conntrackd);
    if !conntrack_tool() {
        return;
    }
    let (mut pair, stream, rto) = streaming_pair("fwcrash", true, Duration::from_secs(28));
    let (bound, min) = (gap_bound(rto), takeover_min());

    // Crash fw1.
    let crash = unix_ms();
    pair.fw[0].crash().unwrap();
    let took = takeovers(&pair.fw[1], crash, Duration::from_secs(15))
        .unwrap_or_else(|| panic!("fw2 did not take over:\n{}", pair.logs()));
    pair.wait_master(1, Duration::from_secs(5)).unwrap();
    assert!(
        wait_resumed(&stream, crash, Duration::from_secs(20)),
        "the stream did not resume after the crash:\n{}\n{}",
        stream.output(),
        pair.logs()
    );
    let (invalid2, established2) = pair.fw[1].forward_counters().unwrap();

    // fw1 returns and preempts.
    let back = unix_ms();
    pair.fw[0].power_on(true).unwrap();
    pair.wait_master(0, Duration::from_secs(10)).unwrap();
    let preempted = takeovers(&pair.fw[0], back, Duration::from_secs(5))
        .unwrap_or_else(|| panic!("no up-script on fw1:\n{}", pair.logs()));
    let (_, before) = pair.fw[0].forward_counters().unwrap();
    std::thread::sleep(Duration::from_secs(1));
    let (_, after) = pair.fw[0].forward_counters().unwrap();

    let report = stream.report().unwrap();
    let s = &report.summary;
    let crash_gap = stall_after(&report.gaps, crash).map_or(0, |g| g.ms());
    let preempt_gap = report
        .largest_gap_within(back, s.stop_ms)
        .map_or(0, |g| g.ms());
    let sequence = pair.fw[1].master_sequence_ms(crash).unwrap_or(0);
    println!(
        "firewall-pair crash: fw2 took over {} (formula {:.3} s after the last advert; bound from the crash {:.3} s), its hook's conntrackd sequence took {sequence} ms; stream gap {crash_gap} ms (bound {:.0} ms from rto {rto:.0} ms), end {}, fw2 forwarded {established2} packets as established and dropped {invalid2} as invalid",
        describe(&took),
        master_down(),
        takeover_bound(),
        bound * 1000.0,
        s.end
    );
    println!(
        "firewall-pair preemption: fw1 back at +0, up-scripts {}; largest stream gap after its return {preempt_gap} ms (gaps under 100 ms not reported); fw1 forwarded {} packets in 1 s after preempting; stream sent {} received {} end {}",
        describe(&preempted),
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
    // ucarp runs the up-script before its gratuitous ARP: no packet of
    // the stream reached fw2 before the hook committed its state.
    assert_eq!(invalid2, 0, "fw2 dropped packets as invalid");
    assert!(after > before, "the stream does not go through fw1 again");
    for f in &pair.fw {
        assert_eq!(f.conntrackd_refusals(), Vec::<String>::new(), "{}", f.name);
    }
    assert!(
        secs(preempt_gap) <= 3.0 * rto / 1000.0 + STREAM_MARGIN,
        "preemption gap {preempt_gap} ms: more than two retransmissions"
    );
    assert!(
        back + 3000 < s.stop_ms,
        "the stream ended too soon after fw1's return"
    );
}

#[test]
#[ignore = "firewall pair in namespaces (~40 s): run by .ci/run's firewall-pair step"]
fn control_without_state_sync_the_backup_drops_the_connection() {
    require!(Root, Netns, Ucarp, Nft, Conntrackd);
    if !conntrack_tool() {
        return;
    }
    let (mut pair, stream, rto) = streaming_pair("fwcontrol", false, Duration::from_secs(40));
    assert!(
        STALL.as_secs_f64() > gap_bound(rto),
        "the stall timeout must exceed the synced case's gap bound"
    );

    let crash = unix_ms();
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
        secs(s.stop_ms.saturating_sub(crash)),
        STALL.as_secs(),
        gap_bound(rto) * 1000.0,
        s.error
    );
    assert!(
        matches!(s.end, Ending::Stalled | Ending::Reset | Ending::Closed),
        "the stream survived without state sync: {s}"
    );
    assert!(invalid2 > 0, "fw2 dropped nothing as invalid");
}

#[test]
#[ignore = "firewall pair in namespaces (~40 s): run by .ci/run's firewall-pair step"]
fn graceful_stop_of_ucarp_moves_the_connection_without_a_bow_out() {
    require!(Root, Netns, Ucarp, Nft, Conntrackd);
    if !conntrack_tool() {
        return;
    }
    let (mut pair, stream, rto) = streaming_pair("fwstop", true, Duration::from_secs(15));

    let stop = unix_ms();
    pair.fw[0].stop_ucarp(Duration::from_secs(10));
    let stopped = secs(unix_ms().saturating_sub(stop));
    let took = takeovers(&pair.fw[1], stop, Duration::from_secs(15))
        .unwrap_or_else(|| panic!("fw2 did not take over:\n{}", pair.logs()));
    pair.wait_master(1, Duration::from_secs(5)).unwrap();
    let (_, established2) = pair.fw[1].forward_counters().unwrap();
    let report = stream.report().unwrap();
    let s = &report.summary;
    let gap = report
        .largest_gap_within(stop, s.stop_ms)
        .map_or(0, |g| g.ms());
    println!(
        "firewall-pair graceful stop (ucarp SIGTERM --shutdown, no bow-out): fw1's ucarp exited in {stopped:.3} s; fw2 took over {} (master-down {:.3} s: ucarp sends no advskew-255 advert); largest stream gap {gap} ms (fw1 forwards until fw2's gratuitous ARP), end {}; fw2 forwarded {established2} packets as established",
        describe(&took),
        master_down(),
        s.end
    );
    assert_eq!(s.end, Ending::Deadline, "{s}\n{}", pair.logs());
    assert!(secs(gap) <= gap_bound(rto), "gap {gap} ms");
    assert!(established2 > 0, "the stream did not go through fw2");
    for f in &pair.fw {
        assert_eq!(f.conntrackd_refusals(), Vec::<String>::new(), "{}", f.name);
    }
    // No bow-out: fw2 waited for master-down (phase 2: carpd bows out and
    // fw2 takes over within one advertisement).
    for (side, t) in &took {
        assert!(
            *t >= takeover_min() - 0.05,
            "vhid {} taken over at +{t:.3} s: ucarp bowed out?",
            side.vhid
        );
    }
}
