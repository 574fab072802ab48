use super::*;
use crate::knob::KnobType;

/// The configuration lines BSD users write, shared with the other parsers.
const CONFIG_EXAMPLES: &str = include_str!("../../../tests/fixtures/config-examples.txt");

fn int(sysctl: &Sysctl, knob: Knob) -> i64 {
    sysctl.value(knob).as_int().unwrap()
}

/// A value in range and different from the default, for every writable knob.
fn other_value(knob: Knob) -> i64 {
    match knob {
        Knob::Allow => 0,
        Knob::Preempt | Knob::ArpBalance | Knob::IgnorePeerDemote => 1,
        Knob::Log => 2,
        Knob::Demotion => 17,
        Knob::IfdownDemotionFactor => 100,
        Knob::SenderrDemotionFactor => 0,
        Knob::Dscp => 46,
        Knob::Replay => 2,
        Knob::PreemptHolddownMs => 1500,
        Knob::Stats => unreachable!(),
    }
}

#[test]
fn fresh_tree_has_the_documented_defaults() {
    let s = Sysctl::new();
    for knob in Knob::ALL {
        match knob.default_value() {
            Some(d) => {
                assert_eq!(s.get(knob.path()), Ok(Value::Int(d)), "{knob}");
                assert_eq!(s.get_mib(&[knob.mib()]), Ok(Value::Int(d)), "{knob}");
            }
            None => assert_eq!(s.get(knob.path()), Ok(Value::Stats(Stats::new()))),
        }
    }
    assert!(s.allow());
    assert!(!s.preempt());
    assert!(!s.arpbalance());
    assert_eq!(s.log_level(), LogLevel::StateChanges);
    assert_eq!(s.dscp(), 4);
    assert_eq!(s.tos(), 0x10);
    s.set("dscp", 56).unwrap();
    assert_eq!(s.tos(), 0xe0);
    s.set("dscp", 4).unwrap();
    assert_eq!(s.ifdown_demotion_factor(), 240);
    assert_eq!(s.senderr_demotion_factor(), 240);
    assert!(!s.ignore_peer_demote());
    assert_eq!(s.replay(), ReplayPolicy::Log);
    assert_eq!(s.preempt_holddown(), Duration::ZERO);
    assert_eq!(s.policy(), Policy::DEFAULT);
    assert_eq!(Sysctl::default().policy(), Policy::DEFAULT);
}

#[test]
fn every_writable_knob_reads_back_alike_by_name_short_name_and_mib() {
    for knob in Knob::ALL.into_iter().filter(|k| k.is_writable()) {
        let v = other_value(knob);
        assert_ne!(Some(v), knob.default_value(), "{knob}");

        let by_name = Sysctl::new();
        by_name.set(knob.path(), v).unwrap();
        let by_short = Sysctl::new();
        by_short.set(knob.name(), v).unwrap();
        let by_mib = Sysctl::new();
        by_mib.set_mib(&[knob.mib()], v).unwrap();
        let by_full_mib = Sysctl::new();
        by_full_mib.set_mib(&knob.full_mib(), v).unwrap();

        for s in [&by_name, &by_short, &by_mib, &by_full_mib] {
            assert_eq!(s.get(knob.path()), Ok(Value::Int(v)), "{knob}");
            assert_eq!(s.get(knob.name()), Ok(Value::Int(v)), "{knob}");
            assert_eq!(s.get_mib(&[knob.mib()]), Ok(Value::Int(v)), "{knob}");
            assert_eq!(
                s.get_mib(&[4, 2, 112, knob.mib()]),
                Ok(Value::Int(v)),
                "{knob}"
            );
        }
    }
}

#[test]
fn typed_getters_follow_writes() {
    let s = Sysctl::new();
    for knob in Knob::ALL.into_iter().filter(|k| k.is_writable()) {
        s.set_knob(knob, other_value(knob)).unwrap();
    }
    assert!(!s.allow());
    assert!(s.preempt());
    assert!(s.arpbalance());
    assert_eq!(s.log_level(), LogLevel::BadPackets);
    assert_eq!(s.dscp(), 46);
    assert_eq!(s.tos(), 0xb8);
    assert_eq!(s.ifdown_demotion_factor(), 100);
    assert_eq!(s.senderr_demotion_factor(), 0);
    assert!(s.ignore_peer_demote());
    assert_eq!(s.replay(), ReplayPolicy::Enforce);
    assert_eq!(s.preempt_holddown(), Duration::from_millis(1500));
    assert_eq!(s.demotion().effective(), 17);
}

#[test]
fn out_of_range_writes_are_refused_and_leave_the_old_value() {
    let s = Sysctl::new();
    for knob in Knob::ALL.into_iter().filter(|k| k.is_writable()) {
        let v = other_value(knob);
        s.set_knob(knob, v).unwrap();
        let range = knob.range().unwrap();
        let (min, max) = (*range.start(), *range.end());
        for bad in [
            min.checked_sub(1),
            max.checked_add(1),
            Some(i64::MIN),
            Some(i64::MAX),
        ]
        .into_iter()
        .flatten()
        .filter(|b| !range.contains(b))
        {
            assert_eq!(
                s.set(knob.path(), bad),
                Err(SysctlError::OutOfRange {
                    knob,
                    min,
                    max,
                    got: bad
                }),
                "{knob}={bad}"
            );
            assert_eq!(
                s.set_mib(&knob.full_mib(), bad),
                Err(SysctlError::OutOfRange {
                    knob,
                    min,
                    max,
                    got: bad
                })
            );
            assert_eq!(int(&s, knob), v, "{knob}={bad} changed the value");
        }
    }
}

#[test]
fn boundary_values_are_accepted() {
    let s = Sysctl::new();
    s.set("dscp", 63).unwrap();
    s.set("dscp", 0).unwrap();
    s.set("log", 7).unwrap();
    assert_eq!(s.log_level(), LogLevel::Verbose);
    assert_eq!(s.get("log"), Ok(Value::Int(7)), "the raw value reads back");
    s.set("ifdown_demotion_factor", 255).unwrap();
    s.set("preempt_holddown_ms", 3_600_000).unwrap();
    assert_eq!(s.preempt_holddown(), Duration::from_secs(3600));
    assert!(matches!(
        s.set("allow", 2),
        Err(SysctlError::OutOfRange { .. })
    ));
    assert!(matches!(
        s.set("replay", 3),
        Err(SysctlError::OutOfRange { .. })
    ));
    assert!(matches!(
        s.set("dscp", -1),
        Err(SysctlError::OutOfRange { .. })
    ));
}

#[test]
fn stats_is_read_only_by_every_route() {
    let s = Sysctl::new();
    s.bump(Counter::Ipackets);
    let before = s.stats();
    assert_eq!(
        s.set("net.inet.carp.stats", 0),
        Err(SysctlError::ReadOnly(Knob::Stats))
    );
    assert_eq!(
        s.set_mib(&[4, 2, 112, 12], 0),
        Err(SysctlError::ReadOnly(Knob::Stats))
    );
    assert_eq!(
        s.set_knob(Knob::Stats, 0),
        Err(SysctlError::ReadOnly(Knob::Stats))
    );
    assert_eq!(
        s.set_line("sysctl -w net.inet.carp.stats=0"),
        Err(SysctlError::ReadOnly(Knob::Stats))
    );
    assert_eq!(s.stats(), before);
    assert_eq!(Knob::Stats.kind(), KnobType::Struct);
}

#[test]
fn unknown_names_and_mibs_are_refused() {
    let s = Sysctl::new();
    assert_eq!(
        s.get("net.inet.carp.dead_ratio"),
        Err(SysctlError::UnknownName(Snippet::new(
            "net.inet.carp.dead_ratio"
        )))
    );
    assert_eq!(
        s.set("net.inet.tcp.preempt", 1),
        Err(SysctlError::UnknownName(Snippet::new(
            "net.inet.tcp.preempt"
        )))
    );
    for mib in [
        &[][..],
        &[0],
        &[13],
        &[4, 2, 112],
        &[4, 2, 112, 13],
        &[4, 2, 6, 2],
        &[4, 24, 112, 2],
        &[1, 2, 112, 2],
        &[4, 2, 112, 2, 0],
        &[2, 2],
    ] {
        assert_eq!(
            s.get_mib(mib),
            Err(SysctlError::UnknownMib(MibPath::new(mib))),
            "{mib:?}"
        );
        assert_eq!(
            s.set_mib(mib, 1),
            Err(SysctlError::UnknownMib(MibPath::new(mib)))
        );
    }
    assert_eq!(s.policy(), Policy::DEFAULT, "nothing was written");
}

#[test]
fn set_line_applies_every_sysctl_line_of_the_config_examples() {
    let s = Sysctl::new();
    let applied: std::vec::Vec<Knob> = CONFIG_EXAMPLES
        .lines()
        .filter(|l| l.contains("net.inet.carp.") && !l.trim_start().starts_with('#'))
        .map(|l| s.set_line(l).unwrap().unwrap())
        .collect();
    assert_eq!(
        applied,
        [
            Knob::Preempt,
            Knob::Preempt,
            Knob::Allow,
            Knob::Log,
            Knob::ArpBalance
        ]
    );
    assert!(s.preempt());
    assert!(s.allow());
    assert!(s.arpbalance());
    assert_eq!(s.log_level(), LogLevel::StateChanges);
    // The fixture's comment lines are no-ops.
    assert_eq!(s.set_line("# sysctl, both spellings"), Ok(None));
}

#[test]
fn set_line_spellings_and_refusals() {
    let s = Sysctl::new();
    assert_eq!(
        s.set_line("sysctl -w net.inet.carp.preempt=1"),
        Ok(Some(Knob::Preempt))
    );
    s.set("preempt", 0).unwrap();
    assert_eq!(
        s.set_line("sysctl net.inet.carp.preempt=1"),
        Ok(Some(Knob::Preempt))
    );
    s.set("preempt", 0).unwrap();
    assert_eq!(
        s.set_line("net.inet.carp.preempt=1"),
        Ok(Some(Knob::Preempt))
    );
    assert!(s.preempt());
    assert_eq!(
        s.set_line("  net.inet.carp.dscp = 46 # EF"),
        Ok(Some(Knob::Dscp))
    );
    assert_eq!(s.dscp(), 46);

    assert_eq!(
        s.set_line("net.inet.carp.dscp=64"),
        Err(SysctlError::OutOfRange {
            knob: Knob::Dscp,
            min: 0,
            max: 63,
            got: 64
        })
    );
    assert!(matches!(
        s.set_line("net.inet.carp.dscp=ef"),
        Err(SysctlError::WrongType {
            knob: Knob::Dscp,
            ..
        })
    ));
    assert!(matches!(
        s.set_line("net.inet.carp.dscp"),
        Err(SysctlError::Syntax { .. })
    ));
    assert_eq!(s.dscp(), 46, "refused lines changed nothing");
}

#[test]
fn demotion_is_written_as_a_delta_and_never_reads_negative() {
    let s = Sysctl::new();
    s.set("net.inet.carp.demotion", 10).unwrap();
    s.set("net.inet.carp.demotion", 5).unwrap();
    assert_eq!(s.get("demotion"), Ok(Value::Int(15)));
    assert_eq!(s.demotion().get(DemoteReason::Global), 15);

    s.set("demotion", -40).unwrap();
    assert_eq!(
        s.get("demotion"),
        Ok(Value::Int(0)),
        "effective is clamped at 0"
    );
    assert_eq!(s.demotion().get(DemoteReason::Global), -25);
    assert_eq!(s.policy().demotion, 0);

    // A negative global offsets other reasons, as in FreeBSD.
    s.demote(
        DemoteReason::LinkDown,
        i32::from(s.ifdown_demotion_factor()),
    );
    assert_eq!(s.get("demotion"), Ok(Value::Int(215)));
    s.demote(
        DemoteReason::SendErrors,
        i32::from(s.senderr_demotion_factor()),
    );
    assert_eq!(s.get("demotion"), Ok(Value::Int(255)), "saturates at 255");
    assert_eq!(s.policy().demotion, 255);

    s.demote(DemoteReason::LinkDown, -240);
    s.set_demotion(DemoteReason::SendErrors, 0);
    s.set("demotion", 25).unwrap();
    assert_eq!(s.demotion(), Demotion::new());
    assert_eq!(s.get("demotion"), Ok(Value::Int(0)));

    // Extreme deltas saturate instead of wrapping.
    s.set("demotion", i64::from(i32::MAX)).unwrap();
    s.set("demotion", i64::from(i32::MAX)).unwrap();
    assert_eq!(s.demotion().get(DemoteReason::Global), i32::MAX);
    assert_eq!(s.get("demotion"), Ok(Value::Int(255)));
    assert_eq!(
        s.set("demotion", i64::from(i32::MAX) + 1),
        Err(SysctlError::OutOfRange {
            knob: Knob::Demotion,
            min: i64::from(i32::MIN),
            max: i64::from(i32::MAX),
            got: i64::from(i32::MAX) + 1,
        })
    );
    assert_eq!(s.demotion().get(DemoteReason::Global), i32::MAX);
}

#[test]
fn policy_reflects_the_knobs() {
    let s = Sysctl::new();
    for line in [
        "net.inet.carp.preempt=1",
        "net.inet.carp.ignore_peer_demote=1",
        "net.inet.carp.preempt_holddown_ms=2500",
        "net.inet.carp.replay=0",
        "net.inet.carp.demotion=30",
    ] {
        s.set_line(line).unwrap();
    }
    s.demote(DemoteReason::BootNotReady, 50);
    assert_eq!(
        s.policy(),
        Policy {
            preempt: true,
            demotion: 80,
            ignore_peer_demote: true,
            preempt_holddown: Duration::from_millis(2500),
            replay: ReplayPolicy::Off,
        }
    );
    s.set("replay", 2).unwrap();
    s.set("preempt", 0).unwrap();
    let p = s.policy();
    assert_eq!(p.replay, ReplayPolicy::Enforce);
    assert!(!p.preempt);
}

#[test]
fn stats_are_recorded_merged_snapshotted_and_reset() {
    let s = Sysctl::new();
    s.bump(Counter::Ipackets);
    s.bump(Counter::Ipackets);
    s.record(Reject::BadTtl(64));
    s.record(Reject::BadAuth);
    s.record(Reject::Replay {
        counter: 1,
        last: 2,
    });
    let mut local = Stats::new();
    local.add(Counter::Opackets, 7);
    local.bump(Counter::Ipackets);
    s.add_stats(&local);

    let snap = s.stats();
    assert_eq!(snap.get(Counter::Ipackets), 3);
    assert_eq!(snap.get(Counter::Badttl), 1);
    assert_eq!(snap.get(Counter::Badauth), 1);
    assert_eq!(snap.get(Counter::Replay), 1);
    assert_eq!(snap.get(Counter::Opackets), 7);
    assert_eq!(snap.iter().map(|(_, v)| v).sum::<u64>(), 13);
    assert_eq!(s.get("net.inet.carp.stats"), Ok(Value::Stats(snap.clone())));
    assert_eq!(s.get_mib(&[4, 2, 112, 12]).unwrap().as_stats(), Some(&snap));

    s.reset_stats();
    assert_eq!(s.stats(), Stats::new());
    assert_eq!(snap.get(Counter::Ipackets), 3, "a snapshot is a copy");
}

#[test]
fn value_displays_like_sysctl_and_netstat() {
    let s = Sysctl::new();
    assert_eq!(format!("{}", s.get("dscp").unwrap()), "4");
    s.bump(Counter::Preempt);
    let text = format!("{}", s.get("stats").unwrap());
    assert!(text.starts_with("carp:\n\t0 packets received (IPv4)\n"));
    assert!(text.contains("\n\t1 transition to master\n"));
    assert_eq!(Value::Int(3).as_stats(), None);
}

#[test]
fn counters_from_many_threads_all_land() {
    let s = Sysctl::new();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..1000 {
                    s.bump(Counter::Ipackets);
                    s.demote(DemoteReason::Admin, 1);
                    let _ = s.policy();
                }
            });
        }
    });
    assert_eq!(s.stats().get(Counter::Ipackets), 4000);
    assert_eq!(s.demotion().get(DemoteReason::Admin), 4000);
}

#[test]
fn generation_moves_on_every_policy_write_and_only_then() {
    let s = Sysctl::new();
    let g0 = s.generation();
    let _ = s.policy();
    s.bump(Counter::Ipackets);
    assert_eq!(s.generation(), g0, "reads and counters do not move it");
    s.set("net.inet.carp.demotion", 1).unwrap();
    let g1 = s.generation();
    assert_ne!(g1, g0);
    s.demote(DemoteReason::LinkDown, 240);
    assert_ne!(s.generation(), g1);
    let g2 = s.generation();
    assert!(s.set("dscp", 64).is_err());
    assert_eq!(s.generation(), g2, "a refused write changes nothing");
    s.set("preempt", 1).unwrap();
    assert_ne!(s.generation(), g2);
}
