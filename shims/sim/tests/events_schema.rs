//! docs/events.md is what the encoder writes: every example line in it is
//! rebuilt here from its values through `carp_ctl::EventLine` and must come
//! out byte for byte; every kind the encoder knows has a section; and
//! carp-sim's own timeline lines use only the documented keys.

use carp_core::{DemoteReason, Event, EventKind, Instant, Reason, State};
use carp_ctl::{EventBody, EventLine};

fn doc() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/events.md")).unwrap()
}

fn examples(doc: &str) -> Vec<String> {
    doc.split("```json\n")
        .skip(1)
        .map(|b| b.split("\n```").next().unwrap().to_owned())
        .collect()
}

fn vhost(seq: u64, at: u64, kind: EventKind) -> Event {
    Event {
        seq,
        at: Instant::from_micros(at),
        vhid: 1,
        kind,
    }
}

#[test]
fn every_example_is_the_encoders_output() {
    let mut state = EventLine::of_event(
        "eth0",
        &vhost(
            2,
            3_039_062,
            EventKind::StateChange {
                from: State::Backup,
                to: State::Master,
                reason: Reason::MasterDown,
            },
        ),
    )
    .unwrap();
    state.time = Some("2026-03-01T10:00:03.039062Z");
    state.carp = Some("carp0");
    let announce = EventLine::of_event(
        "eth0",
        &vhost(3, 3_039_062, EventKind::Announce { repeat: false }),
    )
    .unwrap();
    let replay = EventLine::of_event(
        "eth0",
        &vhost(
            4,
            5_000_000,
            EventKind::Replay {
                src: "192.0.2.2".parse().unwrap(),
                counter: 281_479_271_743_489,
                last: 281_479_271_743_490,
                dropped: true,
            },
        ),
    )
    .unwrap();
    let counters = EventLine::of_event(
        "eth0",
        &vhost(
            3,
            4_000_000,
            EventKind::Counters {
                src: "192.0.2.12".parse().unwrap(),
                kind: carp_core::CounterKind::Random,
            },
        ),
    )
    .unwrap();
    let demote = EventLine::of_event(
        "eth0",
        &vhost(
            5,
            7_000_000,
            EventKind::Demote {
                reason: DemoteReason::SendErrors,
                delta: 1,
            },
        ),
    )
    .unwrap();
    let timed = |at_us, time, body| EventLine {
        time: Some(time),
        ..EventLine::host_wide(at_us, body)
    };
    let in_sim = |at_us, host, body| EventLine {
        host: Some(host),
        ..EventLine::host_wide(at_us, body)
    };
    let built = [
        state,
        announce,
        replay,
        counters,
        demote,
        timed(
            300_000_000,
            "2026-03-01T10:05:00.000000Z",
            EventBody::Demotion {
                reason: DemoteReason::Global,
                from: 0,
                to: 50,
                effective: 50,
                note: Some("patching db1"),
            },
        ),
        in_sim(10_000_000, "host-a", EventBody::Fault { what: "crash" }),
        in_sim(
            12_000_000,
            "host-b",
            EventBody::Refused {
                what: "advskew (word 2) 300: out of range 0..254",
            },
        ),
        timed(
            1000,
            "2026-03-01T10:00:00.000000Z",
            EventBody::Daemon {
                what: "start",
                detail: Some("carpd 0.1.0 on eth0"),
            },
        ),
        timed(
            360_000_000,
            "2026-03-01T10:06:00.000000Z",
            EventBody::Dropped { count: 1200 },
        ),
        EventLine {
            seq: Some(2),
            ..timed(
                3_039_100,
                "2026-03-01T10:00:03.039100Z",
                EventBody::Group {
                    group: "fw",
                    from: "backup",
                    to: "master",
                    reason: "master-down",
                    demote: 0,
                    vhids: "eth0:1 eth1:2",
                },
            )
        },
        EventLine {
            seq: Some(2),
            ..timed(
                3_081_200,
                "2026-03-01T10:00:03.081200Z",
                EventBody::Hook {
                    group: "fw",
                    state: "master",
                    ok: true,
                    status: "exit 0",
                    ms: 42,
                    stderr: Some("master: conntrackd -c: ok in 7 ms\n"),
                },
            )
        },
    ];
    let doc = doc();
    let ex = examples(&doc);
    let built: Vec<String> = built.iter().map(ToString::to_string).collect();
    assert_eq!(ex, built);
    for line in &ex {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let name = v["event"].as_str().unwrap();
        assert!(
            doc.contains(&format!("### {name}\n")),
            "no section for {name}"
        );
    }
}

#[test]
fn carp_sims_timeline_lines_use_only_documented_keys() {
    let doc = doc();
    let documented: Vec<&str> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/failover.toml"
    ))
    .unwrap();
    let scenario = carp_sim::scenario::Scenario::from_toml(&text).unwrap();
    let lan = scenario.run(Some(1)).unwrap();
    let json = carp_sim::report::Report::new(&lan, 1).json_lines();
    let mut events = 0;
    for line in json.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let Some(obj) = v.as_object().filter(|o| o.contains_key("event")) else {
            continue;
        };
        events += 1;
        for key in obj.keys() {
            let body_key = examples(&doc)
                .iter()
                .any(|e| e.contains(&format!("\"{key}\":")));
            assert!(
                documented.contains(&key.as_str()) || body_key,
                "{key} undocumented"
            );
        }
    }
    assert!(events >= 6, "{json}");
}
