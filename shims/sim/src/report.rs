//! What a run prints: the timeline and the summary, as text or JSON lines.

use std::fmt::Write as _;

use carp_core::{Counter, Instant, State};
use carp_ctl::{EventBody, EventLine};
use serde_json::{json, Value};

use crate::lan::{Lan, Record, RecordKind, Takeover};

/// Seconds with six decimals (`3.195312`).
pub fn secs(micros: u64) -> String {
    format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

/// The master-down formula of a takeover, e.g. `3 s + 50/256 s`, or
/// `3 x 50/256 s` in advbase-0 mode, or for VRRP `3 x 100 cs + 156/256 x
/// 100 cs`.
pub fn formula(t: &Takeover) -> String {
    if let Some((priority, interval)) = t.vrrp {
        // RFC 9568 6.1: 3 x Active_Adver_Interval + Skew_Time.
        return format!(
            "3 x {interval} cs + {}/256 x {interval} cs",
            256 - u32::from(priority)
        );
    }
    if t.advbase == 0 {
        format!("{} x {}/256 s", t.dead_ratio, t.advskew.max(1))
    } else {
        format!(
            "{} s + {}/256 s",
            u32::from(t.dead_ratio) * u32::from(t.advbase),
            t.advskew
        )
    }
}

/// A finished (or paused) run, ready to print.
#[derive(Debug)]
pub struct Report<'a> {
    lan: &'a Lan,
    seed: u64,
    end: Instant,
}

/// One takeover for the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakeoverLine {
    /// When.
    pub at: Instant,
    /// Host index.
    pub host: usize,
    /// The vhid.
    pub vhid: u8,
    /// Reason name.
    pub reason: &'static str,
    /// Timing, for master-down takeovers.
    pub timing: Option<Takeover>,
}

impl<'a> Report<'a> {
    /// A report of `lan` as run with `seed` up to its current time.
    pub fn new(lan: &'a Lan, seed: u64) -> Report<'a> {
        Report {
            lan,
            seed,
            end: lan.now(),
        }
    }

    fn host_name(&self, host: Option<usize>) -> &str {
        host.and_then(|i| self.lan.hosts().get(i))
            .map_or("*", |h| h.name())
    }

    fn name_width(&self) -> usize {
        self.lan
            .hosts()
            .iter()
            .map(|h| h.name().len())
            .max()
            .unwrap_or(1)
    }

    /// The records the timeline shows (state changes, faults, refusals,
    /// replays, demotions; ARP traffic is summarised instead).
    fn shown(&self) -> impl Iterator<Item = &Record> {
        self.lan.records().iter().filter(|r| {
            !matches!(
                r.kind,
                RecordKind::ArpRequest { .. } | RecordKind::ArpAnswer { .. }
            )
        })
    }

    /// Every transition to MASTER, in order.
    pub fn takeovers(&self) -> Vec<TakeoverLine> {
        self.lan
            .records()
            .iter()
            .filter_map(|r| match r.kind {
                RecordKind::Transition {
                    vhid,
                    to: State::Master,
                    reason,
                    takeover,
                    ..
                } => Some(TakeoverLine {
                    at: r.at,
                    host: r.host.unwrap_or(usize::MAX),
                    vhid,
                    reason,
                    timing: takeover,
                }),
                _ => None,
            })
            .collect()
    }

    /// The timeline, one line per entry:
    /// `  10.000000  host-a  vhid 1  MASTER -> INIT  (crash)`.
    pub fn timeline(&self) -> String {
        let w = self.name_width();
        let mut out = String::new();
        for r in self.shown() {
            let at = secs(r.at.micros());
            let host = self.host_name(r.host);
            let what = match &r.kind {
                RecordKind::Transition {
                    vhid,
                    from,
                    to,
                    reason,
                    ..
                } => format!("vhid {vhid}  {from} -> {to}  ({reason})"),
                RecordKind::Fault(f) => format!("-- {f}"),
                RecordKind::Refused(e) => format!("-- refused: {e}"),
                RecordKind::Replay {
                    vhid,
                    src,
                    counter,
                    last,
                    dropped,
                } => format!(
                    "vhid {vhid}  replayed counter {counter} <= {last} from {src} ({})",
                    if *dropped { "dropped" } else { "logged" }
                ),
                RecordKind::Demote {
                    vhid,
                    reason,
                    delta,
                } => {
                    format!("vhid {vhid}  demotion {delta:+} ({reason})")
                }
                _ => continue,
            };
            let _ = writeln!(out, "{at:>11}  {host:<w$}  {what}");
        }
        out
    }

    /// The summary: masters at the end, takeovers with their timing,
    /// frames sent, client answers, nonzero counters.
    pub fn summary(&self) -> String {
        let lan = self.lan;
        let w = self.name_width();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "summary: {} s simulated, seed {}, {} hosts, {} frames on the wire",
            secs(self.end.micros()),
            self.seed,
            lan.hosts().len(),
            lan.captured().len()
        );
        for vhid in lan.vhids() {
            let _ = writeln!(out, "  vhid {vhid}: master {}", self.masters_text(vhid));
        }
        let takeovers = self.takeovers();
        if !takeovers.is_empty() {
            let _ = writeln!(out, "  takeovers:");
        }
        for t in &takeovers {
            let host = self.host_name(Some(t.host));
            let how = match &t.timing {
                Some(tk) => {
                    let check = if tk.delay == tk.expected {
                        ""
                    } else {
                        "  MISMATCH"
                    };
                    format!(
                        "takeover {} s after {} (formula {} = {} s){check}",
                        secs(tk.delay.micros()),
                        if tk.from_advert {
                            "last advert"
                        } else {
                            "becoming BACKUP"
                        },
                        formula(tk),
                        secs(tk.expected.micros()),
                    )
                }
                None => format!("{} (at once)", t.reason),
            };
            let _ = writeln!(
                out,
                "    {:>11}  {host:<w$}  vhid {}  {how}",
                secs(t.at.micros()),
                t.vhid
            );
        }
        let frames: Vec<String> = lan
            .hosts()
            .iter()
            .map(|h| format!("{} {}", h.name(), h.frames_sent()))
            .collect();
        let _ = writeln!(out, "  frames sent: {}", frames.join(", "));
        for c in lan.clients() {
            let answers: Vec<String> = c
                .answers()
                .iter()
                .map(|((h, v), n)| format!("{} vhid {v}: {n}", self.host_name(Some(*h))))
                .collect();
            let _ = writeln!(
                out,
                "  client {} ({}): {} ARP requests, {} answered ({}), {} answered twice",
                c.spec().name,
                c.spec().ip,
                c.requests(),
                c.answered(),
                answers.join(", "),
                c.answered_twice()
            );
        }
        let _ = writeln!(out, "  counters:");
        for h in lan.hosts() {
            let counters = h.counters();
            let list: Vec<String> = Counter::ALL
                .iter()
                .filter(|c| counters.get(**c) > 0)
                .map(|c| format!("{c} {}", counters.get(*c)))
                .collect();
            let _ = writeln!(out, "    {:<w$}  {}", h.name(), list.join(", "));
        }
        out
    }

    fn masters_text(&self, vhid: u8) -> String {
        let names: Vec<&str> = self
            .lan
            .masters(vhid)
            .into_iter()
            .map(|i| self.host_name(Some(i)))
            .collect();
        match names.as_slice() {
            [] => "none".to_owned(),
            [one] => (*one).to_owned(),
            many => format!("{} (more than one!)", many.join(", ")),
        }
    }

    /// Timeline then summary, as `carp-sim run` prints them.
    pub fn text(&self) -> String {
        format!("{}\n{}", self.timeline(), self.summary())
    }

    /// The same as JSON lines: a `run` line, one event line per timeline
    /// entry in the schema carpd writes (`docs/events.md`: `event` names
    /// the kind, `at_us` the virtual clock, `host` the host), then one line
    /// per summary item, its `type` naming it (`master`, `takeover`,
    /// `frames`, `client`, `counters`).
    pub fn json_lines(&self) -> String {
        let lan = self.lan;
        let mut lines: Vec<Value> = Vec::new();
        let names: Vec<&str> = lan.hosts().iter().map(|h| h.name()).collect();
        let run = json!({
            "type": "run",
            "seed": self.seed,
            "end": secs(self.end.micros()),
            "end_us": self.end.micros(),
            "hosts": names,
            "frames": lan.captured().len(),
        });
        let mut out = String::new();
        let _ = writeln!(out, "{run}");
        // Timeline entries are events: the schema carpd writes too
        // (docs/events.md), through the one encoder.
        for r in self.shown() {
            let body = match &r.kind {
                RecordKind::Transition {
                    from, to, reason, ..
                } => EventBody::State {
                    from: *from,
                    to: *to,
                    reason,
                },
                RecordKind::Fault(f) => EventBody::Fault { what: f },
                RecordKind::Refused(e) => EventBody::Refused { what: e },
                RecordKind::Replay {
                    src,
                    counter,
                    last,
                    dropped,
                    ..
                } => EventBody::Replay {
                    src: *src,
                    counter: *counter,
                    last: *last,
                    dropped: *dropped,
                },
                RecordKind::Demote { reason, delta, .. } => EventBody::Demote {
                    reason: *reason,
                    delta: *delta,
                },
                _ => continue,
            };
            let vhid = match r.kind {
                RecordKind::Transition { vhid, .. }
                | RecordKind::Replay { vhid, .. }
                | RecordKind::Demote { vhid, .. } => Some(vhid),
                _ => None,
            };
            let line = EventLine {
                host: r.host.map(|h| self.host_name(Some(h))),
                vhid,
                ..EventLine::host_wide(r.at.micros(), body)
            };
            let _ = writeln!(out, "{line}");
        }
        for vhid in lan.vhids() {
            let masters: Vec<&str> = lan
                .masters(vhid)
                .into_iter()
                .map(|i| self.host_name(Some(i)))
                .collect();
            lines.push(json!({"type": "master", "vhid": vhid, "masters": masters}));
        }
        for t in self.takeovers() {
            let mut v = json!({
                "type": "takeover",
                "at": secs(t.at.micros()),
                "at_us": t.at.micros(),
                "host": self.host_name(Some(t.host)),
                "vhid": t.vhid,
                "reason": t.reason,
            });
            if let Some(tk) = t.timing {
                v["delay"] = json!(secs(tk.delay.micros()));
                v["delay_us"] = json!(tk.delay.micros());
                v["expected_us"] = json!(tk.expected.micros());
                v["from_advert"] = json!(tk.from_advert);
                v["formula"] = json!(formula(&tk));
            }
            lines.push(v);
        }
        for h in lan.hosts() {
            lines.push(json!({"type": "frames", "host": h.name(), "sent": h.frames_sent()}));
        }
        for c in lan.clients() {
            let answers: Vec<Value> = c
                .answers()
                .iter()
                .map(|((h, v), n)| json!({"host": self.host_name(Some(*h)), "vhid": v, "count": n}))
                .collect();
            lines.push(json!({
                "type": "client",
                "client": c.spec().name,
                "requests": c.requests(),
                "answered": c.answered(),
                "answered_twice": c.answered_twice(),
                "answers": answers,
            }));
        }
        for h in lan.hosts() {
            let counters = h.counters();
            let map: serde_json::Map<String, Value> = Counter::ALL
                .iter()
                .filter(|c| counters.get(**c) > 0)
                .map(|c| (c.name().to_owned(), json!(counters.get(*c))))
                .collect();
            lines.push(json!({"type": "counters", "host": h.name(), "counters": map}));
        }
        for l in lines {
            let _ = writeln!(out, "{l}");
        }
        out
    }
}
