//! The encoder's lines, byte for byte.

use super::*;
use carp_core::{Instant, Reason};
use std::string::{String, ToString};

fn state_event() -> Event {
    Event {
        seq: 3,
        at: Instant::from_micros(12_345),
        vhid: 1,
        kind: EventKind::StateChange {
            from: State::Backup,
            to: State::Master,
            reason: Reason::MasterDown,
        },
    }
}

#[test]
fn a_state_change_is_one_line_with_both_clocks() {
    let mut line = EventLine::of_event("eth0", &state_event()).unwrap();
    line.time = Some("2026-03-01T10:00:03.039062Z");
    line.carp = Some("carp0");
    assert_eq!(
        line.to_string(),
        "{\"event\":\"state\",\"time\":\"2026-03-01T10:00:03.039062Z\",\"at_us\":12345,\
         \"interface\":\"eth0\",\"carp\":\"carp0\",\"vhid\":1,\"seq\":3,\
         \"from\":\"BACKUP\",\"to\":\"MASTER\",\"reason\":\"master-down\"}"
    );
}

#[test]
fn advert_counters_are_strings_and_exact() {
    // A counter with a boot epoch in its top 16 bits, as every carp
    // host sends: far above 2^53, a double would round it.
    let counter = 0x0001_0000_0000_0001_u64 << 8 | 0xff;
    let e = Event {
        seq: 0,
        at: Instant::ZERO,
        vhid: 2,
        kind: EventKind::Replay {
            src: "192.0.2.7".parse().unwrap(),
            counter,
            last: counter + 1,
            dropped: true,
        },
    };
    let text = EventLine::of_event("eth0", &e).unwrap().to_string();
    assert!(
        text.contains(&format!("\"counter\":\"{counter}\"")),
        "{text}"
    );
    assert!(
        text.contains(&format!("\"last\":\"{}\"", counter + 1)),
        "{text}"
    );
    assert!(text.contains("\"src\":\"192.0.2.7\",\"counter\""), "{text}");
}

#[test]
fn counts_above_2_pow_53_become_strings() {
    let mut s = String::new();
    write_json_count(&mut s, MAX_SAFE_INTEGER).unwrap();
    s.push(' ');
    write_json_count(&mut s, MAX_SAFE_INTEGER + 1).unwrap();
    assert_eq!(s, "9007199254740991 \"9007199254740992\"");
}

#[test]
fn strings_are_escaped_per_rfc_8259() {
    let mut s = String::new();
    write_json_str(&mut s, "a\"b\\c\nd\u{1}\u{7f}é").unwrap();
    assert_eq!(s, "\"a\\\"b\\\\c\\nd\\u0001\\u007fé\"");
}

#[test]
fn a_demotion_line_carries_the_change_and_the_note() {
    let line = EventLine::host_wide(
        7,
        EventBody::Demotion {
            reason: DemoteReason::Global,
            from: 0,
            to: 50,
            effective: 50,
            note: Some("patching \"db1\""),
        },
    );
    assert_eq!(
        line.to_string(),
        "{\"event\":\"demotion\",\"at_us\":7,\"reason\":\"global\",\"from\":0,\"to\":50,\
         \"delta\":50,\"effective\":50,\"note\":\"patching \\\"db1\\\"\"}"
    );
}

#[test]
fn every_body_names_its_event() {
    let bodies = [
        EventBody::Fault { what: "crash" },
        EventBody::Refused { what: "no" },
        EventBody::Daemon {
            what: "start",
            detail: None,
        },
        EventBody::Dropped { count: 3 },
        EventBody::Announce { repeat: false },
    ];
    let names: std::vec::Vec<String> = bodies
        .iter()
        .map(|b| EventLine::host_wide(0, *b).to_string())
        .collect();
    assert_eq!(
        names,
        [
            "{\"event\":\"fault\",\"at_us\":0,\"what\":\"crash\"}",
            "{\"event\":\"refused\",\"at_us\":0,\"what\":\"no\"}",
            "{\"event\":\"daemon\",\"at_us\":0,\"what\":\"start\"}",
            "{\"event\":\"dropped\",\"at_us\":0,\"count\":3}",
            "{\"event\":\"announce\",\"at_us\":0,\"repeat\":false}",
        ]
    );
}

#[test]
fn group_and_hook_lines_carry_the_group_and_its_sequence() {
    let mut group = EventLine::host_wide(
        9,
        EventBody::Group {
            group: "fw",
            from: "backup",
            to: "master",
            reason: "master-down",
            demote: 1,
            vhids: "eth0:1 eth1:2",
        },
    );
    group.seq = Some(2);
    assert_eq!(
        group.to_string(),
        "{\"event\":\"group\",\"at_us\":9,\"seq\":2,\"group\":\"fw\",\"from\":\"backup\",\
         \"to\":\"master\",\"reason\":\"master-down\",\"demote\":1,\"vhids\":\"eth0:1 eth1:2\"}"
    );
    let hook = EventLine::host_wide(
        10,
        EventBody::Hook {
            group: "fw",
            state: "master",
            ok: false,
            status: "exit 1",
            ms: 42,
            stderr: Some("conntrackd -c: FAILED\n"),
        },
    );
    assert_eq!(
        hook.to_string(),
        "{\"event\":\"hook\",\"at_us\":10,\"group\":\"fw\",\"state\":\"master\",\"ok\":false,\
         \"status\":\"exit 1\",\"ms\":42,\"stderr\":\"conntrackd -c: FAILED\\n\"}"
    );
}
