//! Every shipped scenario's output, asserted exactly: the whole text
//! `carp-sim run` prints is compared with `tests/golden/NAME.txt`
//! (regenerate with `CARP_SIM_BLESS=1 cargo test -p carp-sim --test
//! scenarios` and review the diff), and the facts each scenario exists to
//! show are asserted again by hand.

mod common;

use carp_core::{Duration, Instant, State};
use carp_sim::lan::RecordKind;
use carp_sim::report::Report;
use common::{run, text};

const SCENARIOS: [&str; 5] = [
    "failover",
    "preempt",
    "partition-heal",
    "arpbalance",
    "advbase-0",
];

#[test]
fn every_shipped_scenario_prints_its_golden_output() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let bless = std::env::var("CARP_SIM_BLESS").is_ok_and(|v| v == "1");
    for name in SCENARIOS {
        let got = text(name);
        let path = dir.join(format!("{name}.txt"));
        if bless {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(got, want, "{name}: output differs from {}", path.display());
    }
}

/// (at, host, vhid, from, to, reason) of every transition.
fn transitions(lan: &carp_sim::Lan) -> Vec<(u64, String, u8, State, State, &'static str)> {
    lan.records()
        .iter()
        .filter_map(|r| match r.kind {
            RecordKind::Transition {
                vhid,
                from,
                to,
                reason,
                ..
            } => Some((
                r.at.micros(),
                lan.hosts()[r.host.unwrap()].name().to_owned(),
                vhid,
                from,
                to,
                reason,
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn failover_backup_takes_over_exactly_master_down_after_the_last_advert() {
    let (s, lan) = run("failover");
    let b = lan.host_index("host-b").unwrap();
    let t = Report::new(&lan, s.seed).takeovers();
    let takeover = t.iter().find(|t| t.host == b).unwrap();
    let timing = takeover.timing.unwrap();
    // host-a advertised from 3.039062 s every 1.039062 s; the last before
    // the crash at 10 s went out (and arrived, zero delay) at 9.273434 s.
    assert!(timing.from_advert);
    assert_eq!(timing.reference, Instant::from_micros(9_273_434));
    assert_eq!(timing.expected, Duration::from_micros(3_195_312));
    assert_eq!(timing.delay, timing.expected);
    assert_eq!(takeover.at, Instant::from_micros(12_468_746));
    assert_eq!(takeover.reason, "master-down");
    assert_eq!(lan.masters(1), vec![b]);
    // host-a came back at 15 s and stays BACKUP: preempt is off.
    let a = lan.host_index("host-a").unwrap();
    assert_eq!(lan.hosts()[a].state(1), State::Backup);
    assert_eq!(lan.hosts()[a].boots(), 2);
}

#[test]
fn preempt_hands_the_vhid_to_the_better_host_at_once() {
    let (_, lan) = run("preempt");
    let tr = transitions(&lan);
    let to_master: Vec<(u64, &str, &str)> = tr
        .iter()
        .filter(|t| t.4 == State::Master)
        .map(|t| (t.0, t.1.as_str(), t.5))
        .collect();
    // host-b boots at 5 s; host-a's adverts leave at 3.390625 + k * 1.390625
    // and arrive 100 us later: the first after 5 s arrives at 6.171975 s.
    assert_eq!(
        to_master,
        vec![
            (3_390_625, "host-a", "master-down"),
            (6_171_975, "host-b", "preempt"),
            (12_406_447, "host-a", "preempt"),
        ]
    );
    assert_eq!(lan.masters(1), vec![0]);
}

#[test]
fn partition_makes_two_masters_and_heal_leaves_the_better_one() {
    let s = common::scenario("partition-heal");
    let mut lan = s.lan(None).unwrap();
    lan.run_until(Instant::from_secs(12));
    assert_eq!(
        lan.masters(1),
        vec![0, 1],
        "split brain inside the partition"
    );
    lan.run_until(Instant::from_secs(20));
    assert_eq!(lan.masters(1), vec![0]);
    let tr = transitions(&lan);
    // host-b yields 200 us after the heal, on host-a's first advert.
    assert!(tr.contains(&(
        14_000_200,
        "host-b".into(),
        1,
        State::Master,
        State::Backup,
        "better-master"
    )));
    // host-c never leaves BACKUP.
    assert_eq!(tr.iter().filter(|t| t.1 == "host-c").count(), 1);
}

#[test]
fn arpbalance_splits_clients_between_masters_and_one_host_answers_each_request() {
    let (_, lan) = run("arpbalance");
    let c1 = &lan.clients()[0];
    let c2 = &lan.clients()[1];
    let (a, b) = (0usize, 1usize);
    // 192.0.2.201 is odd: index 1 = vhid 2, master host-b, all along.
    assert_eq!(c1.requests(), 10);
    assert_eq!(
        c1.answers().iter().collect::<Vec<_>>(),
        vec![(&(b, 2), &10)]
    );
    // 192.0.2.202 is even: vhid 1; host-a until its crash at 12 s, nobody
    // at 13 s, host-b once it took vhid 1 over at 14.390625 s.
    assert_eq!(c2.requests(), 10);
    assert_eq!(
        c2.answers().iter().collect::<Vec<_>>(),
        vec![(&(a, 1), &4), (&(b, 1), &5)]
    );
    assert_eq!(c1.answered_twice() + c2.answered_twice(), 0);
}

#[test]
fn advbase_zero_takes_over_three_advskews_after_the_last_advert() {
    let (s, lan) = run("advbase-0");
    let t = Report::new(&lan, s.seed).takeovers();
    let last = t.last().unwrap();
    let timing = last.timing.unwrap();
    assert_eq!(timing.expected, Duration::from_micros(58_593));
    assert_eq!(timing.delay, timing.expected);
    assert_eq!(last.at, timing.reference + timing.expected);
    assert!(timing.reference < Instant::from_secs(1));
    assert!(Instant::from_secs(1) - timing.reference < Duration::from_micros(7_813));
    assert_eq!(lan.masters(7), vec![1]);
}

#[test]
fn the_bundled_demo_is_the_failover_file() {
    assert_eq!(
        carp_sim::scenario::FAILOVER,
        std::fs::read_to_string(common::scenario_path("failover")).unwrap()
    );
}

/// The demo output the README shows is what `cargo run -p carp-sim`
/// prints (its banner, then the failover scenario's golden output), so the
/// README cannot drift from the simulator.
#[test]
fn the_readme_demo_is_the_failover_scenario_output() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let banner = "carp-sim: bundled failover scenario (scenarios/failover.toml)\n\n";
    let start = readme.find(banner).expect("README shows the demo banner");
    let block = &readme[start + banner.len()..];
    let block = &block[..block.find("```").expect("the demo block ends")];
    assert_eq!(
        block,
        text("failover"),
        "README demo differs from the simulator"
    );
}
