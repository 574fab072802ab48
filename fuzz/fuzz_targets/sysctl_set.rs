//! Names, MIBs, values and whole `sysctl.conf` lines against one `Sysctl`.
//!
//! Never panics; a refused write leaves every knob, the demotion
//! contributions and the statistics as they were; an accepted write
//! changes only its own knob, reads back as written (a flag as 0/1,
//! `demotion` as a delta on the administrator's contribution), and the
//! same knob reads the same by name, full name and MIB.
#![no_main]

use carp_core::{DemoteReason, Demotion, Stats};
use carp_sysctl::{Knob, Sysctl, NAME_PREFIX};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Snap {
    knobs: Vec<Option<i64>>,
    demotion: Demotion,
    stats: Stats,
}

fn snap(s: &Sysctl) -> Snap {
    Snap {
        knobs: Knob::ALL.iter().map(|k| s.value(*k).as_int()).collect(),
        demotion: s.demotion(),
        stats: s.stats(),
    }
}

/// After an accepted write of `value` to `knob`.
fn check_written(s: &Sysctl, before: &Snap, knob: Knob, value: i64) {
    let after = snap(s);
    assert_eq!(after.stats, before.stats, "a write moved the statistics");
    for (i, k) in Knob::ALL.iter().enumerate() {
        if *k != knob {
            assert_eq!(
                after.knobs[i], before.knobs[i],
                "writing {knob} changed {k}"
            );
        }
    }
    if knob == Knob::Demotion {
        let mut expected = before.demotion;
        expected.adjust(
            DemoteReason::Global,
            i32::try_from(value).expect("in range"),
        );
        assert_eq!(after.demotion, expected);
    } else {
        assert_eq!(after.demotion, before.demotion);
        let range = knob.range().expect("writable");
        let want = if *range.end() == 1 {
            i64::from(value != 0)
        } else {
            value
        };
        assert_eq!(s.value(knob).as_int(), Some(want), "{knob} reads back");
    }
    let read = s.value(knob).as_int().expect("int knob");
    assert!(
        (0..=i64::from(u32::MAX)).contains(&read),
        "{knob} reads {read}"
    );
}

fn check_reads(s: &Sysctl) {
    for k in Knob::ALL {
        let v = s.value(k);
        assert_eq!(s.get(k.name()).as_ref(), Ok(&v));
        assert_eq!(
            s.get(&format!("{NAME_PREFIX}{}", k.name())).as_ref(),
            Ok(&v)
        );
        assert_eq!(s.get_mib(&k.full_mib()).as_ref(), Ok(&v));
        assert_eq!(s.get_mib(&[k.mib()]).as_ref(), Ok(&v));
    }
    let d = s.value(Knob::Demotion).as_int().expect("int");
    assert!((0..=255).contains(&d), "demotion reads {d}");
    assert_eq!(i64::from(s.policy().demotion), d);
}

fn set_result(s: &Sysctl, before: &Snap, knob: Option<Knob>, value: i64, ok: bool) {
    match (ok, knob) {
        (true, Some(k)) => check_written(s, before, k, value),
        (true, None) => assert_eq!(&snap(s), before, "blank line changed something"),
        (false, _) => assert_eq!(&snap(s), before, "a refused write changed something"),
    }
}

/// One input line. Plain text goes to `set_line` and, split at `=`, to
/// `set`/`get` by name; a line starting with byte 1 is a MIB write (the
/// rest as little-endian `i32`s, the last eight bytes the value), byte 2 a
/// MIB read, byte 3 a direct demotion change (first byte the reason, next
/// four the delta).
fn line(s: &Sysctl, raw: &[u8]) {
    let before = snap(s);
    match raw.split_first() {
        Some((1, rest)) => {
            let split = rest.len().saturating_sub(8);
            let (path, value) = rest.split_at(split);
            let mut v = [0u8; 8];
            v[..value.len()].copy_from_slice(value);
            let value = i64::from_le_bytes(v);
            let mib = ints(path);
            let r = s.set_mib(&mib, value);
            if let Err(e) = r {
                let _ = e.to_string();
            }
            let knob = mib.last().and_then(|n| Knob::from_mib(*n));
            set_result(s, &before, knob, value, r.is_ok());
        }
        Some((2, rest)) => {
            let _ = s.get_mib(&ints(rest)).map_err(|e| e.to_string());
            assert_eq!(snap(s), before);
        }
        Some((3, rest)) => {
            let reason = rest.first().copied().unwrap_or(0);
            let reason = DemoteReason::ALL[usize::from(reason) % DemoteReason::ALL.len()];
            let mut d = [0u8; 4];
            for (dst, src) in d.iter_mut().zip(rest.iter().skip(1)) {
                *dst = *src;
            }
            s.demote(reason, i32::from_le_bytes(d));
        }
        _ => {
            let text = String::from_utf8_lossy(raw);
            line_op(s, &before, &text);
            if let Some((name, value)) = text.split_once('=') {
                let name = name.trim().trim_start_matches("sysctl -w").trim();
                let _ = s.get(name).map_err(|e| e.to_string());
                let before = snap(s);
                let value = value.trim().parse::<i64>().unwrap_or_else(|_| {
                    value.bytes().fold(0i64, |acc, b| {
                        acc.wrapping_mul(31).wrapping_add(i64::from(b))
                    })
                });
                let r = s.set(name, value);
                if let Err(e) = r {
                    let _ = e.to_string();
                }
                set_result(s, &before, Knob::from_name(name), value, r.is_ok());
            }
        }
    }
    check_reads(s);
}

fn ints(bytes: &[u8]) -> Vec<i32> {
    bytes
        .chunks(4)
        .map(|c| {
            let mut b = [0u8; 4];
            b[..c.len()].copy_from_slice(c);
            i32::from_le_bytes(b)
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let s = Sysctl::new();
    for raw in data.split(|b| *b == b'\n').take(64) {
        line(&s, raw);
    }
});

fn line_op(s: &Sysctl, before: &Snap, line: &str) {
    match s.set_line(line) {
        Ok(Some(knob)) => {
            let parsed = carp_sysctl::parse_line(line)
                .expect("parsed once")
                .expect("an assignment");
            assert_eq!(parsed.knob, knob);
            check_written(s, before, knob, parsed.value);
        }
        Ok(None) => assert_eq!(&snap(s), before, "blank line changed something"),
        Err(e) => {
            let _ = e.to_string();
            assert_eq!(&snap(s), before, "a refused line changed something");
        }
    }
}
