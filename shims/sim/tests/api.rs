//! The library API the fuzz and adversarial work drives: the attacker's
//! injections, replays and forgeries, and scenario errors that name the
//! key at fault.

mod common;

use carp_core::{Counter, Instant, State};
use carp_sim::forge::Forgery;
use carp_sim::lan::RecordKind;
use carp_sim::scenario::{parse_duration, Scenario, ScenarioError};
use carp_sim::{Action, Sender};

fn failover_with(extra: &str) -> Scenario {
    Scenario::from_toml(&format!("{}\n{extra}", carp_sim::scenario::FAILOVER)).unwrap()
}

#[test]
fn a_forged_bow_out_with_the_password_makes_the_backup_take_over_at_once() {
    let s = failover_with(
        "[[event]]\nat = \"6s\"\naction = \"forge\"\nvhid = 1\nadvbase = 255\nadvskew = 255\n",
    );
    let lan = s.run(None).unwrap();
    let bow_out = lan
        .records()
        .iter()
        .find(|r| {
            matches!(
                r.kind,
                RecordKind::Transition {
                    to: State::Master,
                    reason: "bow-out",
                    ..
                }
            )
        })
        .unwrap();
    assert_eq!(bow_out.at, Instant::from_secs(6));
    assert_eq!(bow_out.host, lan.host_index("host-b"));
    assert!(lan.captured().iter().any(|c| c.from == Sender::Attacker));
}

#[test]
fn a_forgery_with_the_wrong_password_is_counted_as_bad_authentication() {
    let s = failover_with(
        "[[event]]\nat = \"6s\"\naction = \"forge\"\nvhid = 1\npass = \"guess\"\nadvbase = 255\nadvskew = 255\n",
    );
    let lan = s.run(None).unwrap();
    let b = lan.host_index("host-b").unwrap();
    assert_eq!(lan.hosts()[b].counters().get(Counter::Badauth), 1);
    // host-a (master) and the crash at 10 s decide, as without the forgery.
    assert_eq!(lan.masters(1), vec![b]);
    assert!(!lan.records().iter().any(|r| matches!(
        r.kind,
        RecordKind::Transition {
            reason: "bow-out",
            ..
        }
    )));
}

#[test]
fn replayed_adverts_are_dropped_under_enforce_and_logged_under_log() {
    for (policy, dropped) in [("enforce", true), ("log", false)] {
        let text = carp_sim::scenario::FAILOVER.replace(
            "preempt = false",
            &format!("preempt = false\nreplay = \"{policy}\""),
        );
        let s = Scenario::from_toml(&text).unwrap();
        let mut lan = s.lan(None).unwrap();
        lan.run_until(Instant::from_secs(8));
        // Re-send host-a's first advert (captured[0]) to host-b.
        assert_eq!(lan.captured()[0].from, Sender::Host(0));
        lan.replay(Instant::from_secs(8), 0);
        lan.run_until(Instant::from_secs(9));
        let replay = lan
            .records()
            .iter()
            .find_map(|r| match r.kind {
                RecordKind::Replay {
                    dropped,
                    counter,
                    last,
                    ..
                } => Some((dropped, counter < last)),
                _ => None,
            })
            .unwrap();
        assert_eq!(replay, (dropped, true), "{policy}");
    }
}

#[test]
fn injected_bytes_reach_every_live_host_at_the_instant_given() {
    let s = carp_sim::scenario::Scenario::from_toml(carp_sim::scenario::FAILOVER).unwrap();
    let mut lan = s.lan(None).unwrap();
    let mut frame = Forgery::new(
        carp_ifnet::lladdr::LinkType::Ethernet,
        std::net::Ipv4Addr::new(192, 0, 2, 66),
        s.hosts[0].vhosts[0].clone(),
    )
    .frame();
    frame[40] ^= 0xff; // break the CARP checksum
    lan.inject(Instant::from_micros(5_000_001), frame.clone());
    lan.schedule(
        Instant::from_micros(5_000_001),
        Action::Inject(Some(1), vec![0xde, 0xad]),
    );
    lan.run_until(Instant::from_secs(6));
    let attacker: Vec<_> = lan
        .captured()
        .iter()
        .filter(|c| c.from == Sender::Attacker)
        .collect();
    assert_eq!(attacker.len(), 2);
    assert_eq!(attacker[0].at, Instant::from_micros(5_000_001));
    assert_eq!(attacker[0].frame, frame);
    for h in lan.hosts() {
        assert_eq!(h.counters().get(Counter::Badsum), 1, "{}", h.name());
    }
}

#[test]
fn durations_take_seconds_milliseconds_and_microseconds() {
    let us = |t: &str| parse_duration(t).map(|d| d.micros());
    assert_eq!(us("5s"), Some(5_000_000));
    assert_eq!(us("1500ms"), Some(1_500_000));
    assert_eq!(us("250us"), Some(250));
    assert_eq!(us("1.5s"), Some(1_500_000));
    assert_eq!(us("0.000001s"), Some(1));
    assert_eq!(us("0.0000001s"), None);
    assert_eq!(us("5"), None);
    assert_eq!(us("s"), None);
    assert_eq!(us("-1s"), None);
}

fn error(text: &str) -> ScenarioError {
    Scenario::from_toml(text).unwrap_err()
}

const HOST: &str = "[[host]]\nname = \"a\"\nmac = \"02:00:00:00:00:0a\"\nip = \"192.0.2.10\"\n";

#[test]
fn errors_name_the_key_that_is_wrong() {
    assert_eq!(
        error("duration = \"20 parsecs\""),
        ScenarioError::Invalid {
            key: "duration".into(),
            value: "20 parsecs".into(),
            expected: "a duration like 5s, 1500ms or 250us"
        }
    );
    assert!(matches!(
        error(&format!("{HOST}[[host.vhost]]\nvhid = 1\nadvskew = 255\n")),
        ScenarioError::Invalid { key, .. } if key == "host[0].vhost[0].advskew"
    ));
    assert!(matches!(
        error(&format!("{HOST}[[host.vhost]]\nvhid = 1\naddrs = [\"224.0.0.1\"]\n")),
        ScenarioError::Config { key, .. } if key == "host[0].vhost[0].addrs[0]"
    ));
    assert_eq!(
        error(&format!(
            "{HOST}[[event]]\nat = \"1s\"\nhost = \"zz\"\naction = \"crash\"\n"
        )),
        ScenarioError::UnknownName {
            key: "event[0].host".into(),
            name: "zz".into()
        }
    );
    assert!(matches!(
        error(&format!("{HOST}[[event]]\nat = \"1s\"\nhost = \"a\"\naction = \"explode\"\n")),
        ScenarioError::Invalid { key, .. } if key == "event[0].action"
    ));
    assert_eq!(
        error("[[host]]\nmac = \"02:00:00:00:00:0a\"\n"),
        ScenarioError::Missing {
            key: "host[0].name".into()
        }
    );
    assert!(matches!(
        error("[knobs]\nreplay = \"sometimes\"\n"),
        ScenarioError::Invalid { key, .. } if key == "knobs.replay"
    ));
    assert!(matches!(
        error("[link]\nloss = 1.5\n"),
        ScenarioError::Invalid { key, .. } if key == "link.loss"
    ));
    // Unknown keys are refused by the TOML reader, which names them.
    match error("[knobs]\npreemption = 1\n") {
        ScenarioError::Toml(m) => assert!(m.contains("preemption"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_key_of_the_issue_parses() {
    let s = Scenario::from_toml(
        r#"
duration = "20s"
seed = 9
[knobs]
preempt = 1
arpbalance = 1
dead_ratio = 4
replay = "enforce"
[link]
loss = "5%"
delay = "1ms"
jitter = "250us"
duplicate = 0.01
[[host]]
name = "a"
mac = "02:00:00:00:00:0a"
ip = "192.0.2.10"
ip6 = "fe80::a"
link = "ethernet"
[[host.vhost]]
vhid = 3
pass = "pw"
advbase = 2
advskew = 7
addrs = ["192.0.2.100", "2001:db8::100"]
[[host]]
name = "b"
mac = "02:00:00:00:00:0b"
ip = "192.0.2.11"
[[host.vhost]]
vhid = 3
pass = "pw"
addrs = ["192.0.2.100", "2001:db8::100"]
[[event]]
at = "1s"
action = "partition"
groups = [["a"], ["b"]]
[[event]]
at = "2s"
action = "heal"
[[event]]
at = "3s"
host = "a"
action = "set-advskew"
advskew = 9
[[event]]
at = "4s"
action = "partition"
hosts = ["b"]
"#,
    )
    .unwrap();
    assert_eq!(s.seed, 9);
    assert_eq!(s.link.loss_ppm, 50_000);
    assert_eq!(s.link.duplicate_ppm, 10_000);
    assert_eq!(s.hosts[0].vhosts[0].dead_ratio.get(), 4);
    assert_eq!(
        s.hosts[0].vhosts[0].advskew.get(),
        7,
        "the boot config keeps the file's advskew"
    );
    assert_eq!(s.events.len(), 4);
    assert!(matches!(&s.events[2].1, Action::Reconfigure(0, c) if c.advskew.get() == 9));
    assert_eq!(s.events[3].1, Action::Partition(vec![vec![1]]));
    let lan = s.run(Some(3)).unwrap();
    assert!(lan.anomalies().is_empty());
}
