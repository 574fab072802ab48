//! The counters three ways: `netstat -s -p carp` text, JSON, and the
//! Prometheus text exposition format for node_exporter's textfile
//! collector.
//!
//! The JSON follows the event schema's rule (`docs/events.md`): a count is
//! a number up to 2^53 − 1 and a string of digits above, so no JSON reader
//! rounds it.

use std::fmt::Write as _;

use carp_core::{Counter, Stats};
use carp_ctl::event_line::MAX_SAFE_INTEGER;
use carp_sysctl::NetstatExt;
use serde_json::{json, Value as Json};

use super::handler::{status_json, HostEngine};

/// The counters as `netstat -s -p carp` prints them (zeros included).
pub fn netstat(stats: &Stats) -> String {
    stats.netstat().to_string()
}

/// A count as JSON: a number up to 2^53 − 1, a string above.
pub fn json_count(n: u64) -> Json {
    if n <= MAX_SAFE_INTEGER {
        json!(n)
    } else {
        json!(n.to_string())
    }
}

/// `{"counters": {...}, "vhids": [...], "demotion": {...}}`: every counter
/// by its BSD name, and the status of every vhid.
pub fn stats_json(engine: &HostEngine, stats: &Stats) -> Json {
    let counters: serde_json::Map<String, Json> = Counter::ALL
        .iter()
        .map(|c| (c.name().to_owned(), json_count(stats.get(*c))))
        .collect();
    let mut v = status_json(engine, None);
    v["counters"] = Json::Object(counters);
    v
}

fn count_of(v: &Json) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str()?.parse().ok())
}

/// Escapes a Prometheus label value (backslash, quote, newline).
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The data of [`stats_json`] in the Prometheus text format (version
/// 0.0.4): `carp_<counter>_total` counters, then per vhid
/// `carp_vhid_state` (1 for the state it is in, 0 for the others),
/// `carp_vhid_advbase_seconds`, `carp_vhid_advskew`, and the host's
/// `carp_demote_count`.
pub fn prometheus(data: &Json) -> String {
    let mut out = String::new();
    if let Some(counters) = data["counters"].as_object() {
        for c in Counter::ALL {
            let Some(n) = counters.get(c.name()).and_then(count_of) else {
                continue;
            };
            let metric = format!("carp_{}_total", c.name());
            let _ = writeln!(
                out,
                "# HELP {metric} netstat -s -p carp counter carps_{}.\n# TYPE {metric} counter\n{metric} {n}",
                c.name()
            );
        }
    }
    let vhids = data["vhids"].as_array().cloned().unwrap_or_default();
    let labels = |v: &Json| {
        format!(
            "interface=\"{}\",vhid=\"{}\"",
            label(v["interface"].as_str().unwrap_or("")),
            v["vhid"]
        )
    };
    let _ = writeln!(
        out,
        "# HELP carp_vhid_state 1 for the state the vhid is in, 0 for the others.\n\
         # TYPE carp_vhid_state gauge"
    );
    for v in &vhids {
        for state in ["INIT", "BACKUP", "MASTER"] {
            let on = u8::from(v["state"].as_str() == Some(state));
            let _ = writeln!(
                out,
                "carp_vhid_state{{{},state=\"{state}\"}} {on}",
                labels(v)
            );
        }
    }
    for (metric, key, help) in [
        (
            "carp_vhid_advbase_seconds",
            "advbase",
            "Advertisement base interval.",
        ),
        (
            "carp_vhid_advskew",
            "advskew",
            "Advertisement skew in 1/256 s.",
        ),
    ] {
        let _ = writeln!(out, "# HELP {metric} {help}\n# TYPE {metric} gauge");
        for v in &vhids {
            let _ = writeln!(out, "{metric}{{{}}} {}", labels(v), v[key]);
        }
    }
    if let Some(d) = data["demotion"]["effective"].as_u64() {
        let _ = writeln!(
            out,
            "# HELP carp_demote_count The host's demote count adverts carry (0-255).\n\
             # TYPE carp_demote_count gauge\ncarp_demote_count {d}"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_past_2_pow_53_are_strings() {
        assert_eq!(json_count(3), json!(3));
        assert_eq!(json_count(1 << 53), json!("9007199254740992"));
        assert_eq!(count_of(&json!("9007199254740992")), Some(1 << 53));
    }

    #[test]
    fn prometheus_text_has_a_type_line_before_each_family() {
        let data = json!({
            "counters": {"ipackets": 12, "preempt": "9007199254740993"},
            "vhids": [{"interface": "eth0", "vhid": 1, "state": "MASTER", "advbase": 1, "advskew": 0}],
            "demotion": {"effective": 0},
        });
        let text = prometheus(&data);
        assert!(
            text.contains("# TYPE carp_ipackets_total counter\ncarp_ipackets_total 12\n"),
            "{text}"
        );
        assert!(
            text.contains("carp_preempt_total 9007199254740993\n"),
            "{text}"
        );
        assert!(
            text.contains("carp_vhid_state{interface=\"eth0\",vhid=\"1\",state=\"MASTER\"} 1\n")
        );
        assert!(
            text.contains("carp_vhid_state{interface=\"eth0\",vhid=\"1\",state=\"BACKUP\"} 0\n")
        );
        assert!(text.contains("carp_vhid_advskew{interface=\"eth0\",vhid=\"1\"} 0\n"));
        assert!(text.ends_with("carp_demote_count 0\n"));
        // Every sample line belongs to a family declared before it.
        let mut declared = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                declared.push(rest.split(' ').next().unwrap().to_owned());
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap();
                assert!(declared.iter().any(|d| d == name), "{name} undeclared");
            }
        }
    }
}
