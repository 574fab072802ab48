//! One carp event as one line of JSON: the schema `docs/events.md`
//! documents, written by carpd (`--events`) and by carp-sim (`--json`)
//! through this one encoder, so the two can never drift apart.
//!
//! ```text
//! {"event":"state","time":"2026-03-01T10:00:03.039062Z","at_us":3039062,"interface":"eth0","vhid":1,"seq":2,"from":"BACKUP","to":"MASTER","reason":"master-down"}
//! ```
//!
//! Rules the encoder keeps (and the schema promises):
//!
//! * `event` comes first and names the kind; the other keys follow in a
//!   fixed order, absent rather than `null` when they do not apply;
//! * `at_us` is the monotonic clock in µs (CLOCK_MONOTONIC in carpd, the
//!   virtual clock in carp-sim), `time` the wall clock as RFC 3339 in UTC
//!   where there is one (the caller formats it; carp-sim has none);
//! * every integer that can pass 2^53 − 1 (the largest a JSON reader
//!   holding numbers as IEEE doubles keeps exactly: `jq`, JavaScript) is
//!   written as a string of decimal digits: the 64-bit advert counters of
//!   `replay` always, any other count only above that bound;
//! * states, reasons, demotion reasons and counters are spelled as
//!   [`carp_core::names`] spells them.
//!
//! No allocation: an [`EventLine`] displays into any [`core::fmt::Write`].

use core::fmt::{self, Write};
use core::net::IpAddr;

use carp_core::{DemoteReason, Event, EventKind, State};

/// The version of the schema written, `docs/events.md`'s.
pub const SCHEMA_VERSION: u32 = 1;

/// The largest integer a JSON reader that holds numbers as IEEE doubles
/// keeps exactly: 2^53 − 1.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// One event line: where and when, then what ([`EventBody`]). Its
/// `Display` is the JSON object, without a newline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventLine<'a> {
    /// Monotonic time in µs.
    pub at_us: u64,
    /// Wall-clock time, RFC 3339 in UTC (`2026-03-01T10:00:03.039062Z`),
    /// when there is a wall clock.
    pub time: Option<&'a str>,
    /// The host (carp-sim's host name; carpd leaves it out).
    pub host: Option<&'a str>,
    /// The parent interface (`carpdev`).
    pub interface: Option<&'a str>,
    /// The carp interface owning the vhid, when it has a name (`carp0`).
    pub carp: Option<&'a str>,
    /// The vhid.
    pub vhid: Option<u8>,
    /// The vhid's event sequence number (from 0, per vhid); for `group`
    /// and `hook` lines the group's transition number (from 1).
    pub seq: Option<u64>,
    /// What happened.
    pub body: EventBody<'a>,
}

/// What an [`EventLine`] reports; each variant's keys are in
/// `docs/events.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventBody<'a> {
    /// `state`: a vhid changed state; `reason` is a [`carp_core::Reason`]
    /// name, or `crash` for a host carp-sim stopped.
    State {
        /// Before.
        from: State,
        /// After.
        to: State,
        /// Why.
        reason: &'a str,
    },
    /// `announce`: the virtual addresses were announced (gratuitous ARP,
    /// unsolicited NA); `repeat` for the delayed second one.
    Announce {
        /// The delayed repeat.
        repeat: bool,
    },
    /// `replay`: an advert's counter was not above the sender's last.
    Replay {
        /// The sender.
        src: IpAddr,
        /// Counter received (a string: 64 bits).
        counter: u64,
        /// Last accepted from that sender (a string: 64 bits).
        last: u64,
        /// Dropped (`replay=enforce`) or accepted and logged.
        dropped: bool,
    },
    /// `demote`: a vhid asked the host to change its demotion (send-error
    /// hysteresis), in BSD units of one.
    Demote {
        /// Which contribution.
        reason: DemoteReason,
        /// Signed change.
        delta: i32,
    },
    /// `demotion`: one contribution to the host's demotion changed,
    /// whatever changed it (an administrator, a link, send errors, a
    /// file); `effective` is the demote count adverts carry now.
    Demotion {
        /// Which contribution.
        reason: DemoteReason,
        /// Its value before.
        from: i32,
        /// Its value after.
        to: i32,
        /// The host's demote count after (0-255).
        effective: u8,
        /// The operator's words, when given (`carpctl demote +50 "patching"`).
        note: Option<&'a str>,
    },
    /// `counters`: how a sender's advert counters behave, said once per
    /// sender (`incrementing`: its replays are detected; `constant`, as
    /// modern OpenBSD, and `random`, as ucarp: they cannot be).
    Counters {
        /// The sender.
        src: IpAddr,
        /// `incrementing`, `constant` or `random`.
        kind: &'a str,
    },
    /// `fault`: carp-sim applied a scheduled fault or command.
    Fault {
        /// What.
        what: &'a str,
    },
    /// `refused`: a command or configuration was refused; nothing changed.
    Refused {
        /// Why, as the refusal says it.
        what: &'a str,
    },
    /// `daemon`: carpd started, reloaded or is stopping (`what` is
    /// `start`, `reload` or `stop`).
    Daemon {
        /// `start`, `reload`, `stop`.
        what: &'a str,
        /// What it ran, or what the reload changed.
        detail: Option<&'a str>,
    },
    /// `dropped`: event lines lost because the reader did not keep up
    /// (carpd's queue was full); written before the next line that fits.
    Dropped {
        /// Lines lost since the last `dropped` line.
        count: u64,
    },
    /// `group`: an interface group's state changed (carpd's group hooks):
    /// `master`, `backup` or `init` (also before the first). The line's
    /// `seq` is the group's transition number.
    Group {
        /// The group (`fw`).
        group: &'a str,
        /// Before.
        from: &'a str,
        /// After.
        to: &'a str,
        /// Why: the reason of the member's state change that moved the
        /// group, or `start`, `shutdown`.
        reason: &'a str,
        /// The group's demote counter.
        demote: u8,
        /// Its members as `parent:vhid`, space-separated (`eth0:1 eth1:2`).
        vhids: &'a str,
    },
    /// `hook`: a group's hook ran for a transition (the line's `seq`).
    Hook {
        /// The group.
        group: &'a str,
        /// The state it was run for.
        state: &'a str,
        /// It exited 0.
        ok: bool,
        /// How it ended: `exit 0`, `exit 1`, `killed after 10.0 s
        /// (hook-timeout)`, `signal 9`, `not started: ...`.
        status: &'a str,
        /// How long it ran, ms.
        ms: u64,
        /// What it wrote on stderr (its tail), when anything.
        stderr: Option<&'a str>,
    },
}

impl<'a> EventBody<'a> {
    /// The body of a vhost's [`Event`], with the reason names of
    /// [`carp_core::names`]; `None` for kinds this schema version does not
    /// know.
    pub fn of_event(event: &Event) -> Option<EventBody<'static>> {
        Some(match event.kind {
            EventKind::StateChange { from, to, reason } => EventBody::State {
                from,
                to,
                reason: reason.name(),
            },
            EventKind::Announce { repeat } => EventBody::Announce { repeat },
            EventKind::Replay {
                src,
                counter,
                last,
                dropped,
            } => EventBody::Replay {
                src,
                counter,
                last,
                dropped,
            },
            EventKind::Demote { reason, delta } => EventBody::Demote { reason, delta },
            EventKind::Counters { src, kind } => EventBody::Counters {
                src,
                kind: kind.name(),
            },
            _ => return None,
        })
    }

    /// The `event` key's value.
    pub const fn name(&self) -> &'static str {
        match self {
            EventBody::State { .. } => "state",
            EventBody::Announce { .. } => "announce",
            EventBody::Replay { .. } => "replay",
            EventBody::Demote { .. } => "demote",
            EventBody::Demotion { .. } => "demotion",
            EventBody::Counters { .. } => "counters",
            EventBody::Fault { .. } => "fault",
            EventBody::Refused { .. } => "refused",
            EventBody::Daemon { .. } => "daemon",
            EventBody::Dropped { .. } => "dropped",
            EventBody::Group { .. } => "group",
            EventBody::Hook { .. } => "hook",
        }
    }
}

impl<'a> EventLine<'a> {
    /// A line for a vhost's event on `interface` at its own instant and
    /// sequence number; `None` for kinds the schema does not know.
    pub fn of_event(interface: &'a str, event: &Event) -> Option<EventLine<'a>> {
        Some(EventLine {
            at_us: event.at.micros(),
            time: None,
            host: None,
            interface: Some(interface),
            carp: None,
            vhid: Some(event.vhid),
            seq: Some(event.seq),
            body: EventBody::of_event(event)?,
        })
    }

    /// A host-wide line (no interface, vhid or sequence number).
    pub const fn host_wide(at_us: u64, body: EventBody<'a>) -> EventLine<'a> {
        EventLine {
            at_us,
            time: None,
            host: None,
            interface: None,
            carp: None,
            vhid: None,
            seq: None,
            body,
        }
    }
}

/// Writes `s` as a JSON string: quotes, backslashes and control characters
/// escaped (RFC 8259 section 7).
///
/// # Errors
/// Those of `out`.
pub fn write_json_str<W: Write + ?Sized>(out: &mut W, s: &str) -> fmt::Result {
    out.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => out.write_str("\\\"")?,
            '\\' => out.write_str("\\\\")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            c if u32::from(c) < 0x20 || c == '\u{7f}' => write!(out, "\\u{:04x}", u32::from(c))?,
            c => out.write_char(c)?,
        }
    }
    out.write_char('"')
}

/// Writes a count: a JSON number up to [`MAX_SAFE_INTEGER`], above it a
/// string of decimal digits, so no reader rounds it.
///
/// # Errors
/// Those of `out`.
pub fn write_json_count<W: Write + ?Sized>(out: &mut W, n: u64) -> fmt::Result {
    if n <= MAX_SAFE_INTEGER {
        write!(out, "{n}")
    } else {
        write!(out, "\"{n}\"")
    }
}

/// `,"key":"value"` (escaped).
fn str_field<W: Write + ?Sized>(out: &mut W, key: &str, value: &str) -> fmt::Result {
    write!(out, ",\"{key}\":")?;
    write_json_str(out, value)
}

impl fmt::Display for EventLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{\"event\":\"{}\"", self.body.name())?;
        if let Some(t) = self.time {
            str_field(f, "time", t)?;
        }
        f.write_str(",\"at_us\":")?;
        write_json_count(f, self.at_us)?;
        for (key, value) in [
            ("host", self.host),
            ("interface", self.interface),
            ("carp", self.carp),
        ] {
            if let Some(v) = value {
                str_field(f, key, v)?;
            }
        }
        if let Some(v) = self.vhid {
            write!(f, ",\"vhid\":{v}")?;
        }
        if let Some(s) = self.seq {
            f.write_str(",\"seq\":")?;
            write_json_count(f, s)?;
        }
        match self.body {
            EventBody::State { from, to, reason } => {
                write!(f, ",\"from\":\"{from}\",\"to\":\"{to}\"")?;
                str_field(f, "reason", reason)?;
            }
            EventBody::Announce { repeat } => write!(f, ",\"repeat\":{repeat}")?,
            EventBody::Replay {
                src,
                counter,
                last,
                dropped,
            } => write!(
                f,
                ",\"src\":\"{src}\",\"counter\":\"{counter}\",\"last\":\"{last}\",\"dropped\":{dropped}"
            )?,
            EventBody::Demote { reason, delta } => {
                write!(f, ",\"reason\":\"{reason}\",\"delta\":{delta}")?;
            }
            EventBody::Demotion {
                reason,
                from,
                to,
                effective,
                note,
            } => {
                write!(
                    f,
                    ",\"reason\":\"{reason}\",\"from\":{from},\"to\":{to},\"delta\":{},\"effective\":{effective}",
                    i64::from(to) - i64::from(from)
                )?;
                if let Some(n) = note {
                    str_field(f, "note", n)?;
                }
            }
            EventBody::Counters { src, kind } => {
                write!(f, ",\"src\":\"{src}\"")?;
                str_field(f, "kind", kind)?;
            }
            EventBody::Fault { what } | EventBody::Refused { what } => {
                str_field(f, "what", what)?;
            }
            EventBody::Daemon { what, detail } => {
                str_field(f, "what", what)?;
                if let Some(d) = detail {
                    str_field(f, "detail", d)?;
                }
            }
            EventBody::Dropped { count } => {
                f.write_str(",\"count\":")?;
                write_json_count(f, count)?;
            }
            EventBody::Group {
                group,
                from,
                to,
                reason,
                demote,
                vhids,
            } => {
                str_field(f, "group", group)?;
                str_field(f, "from", from)?;
                str_field(f, "to", to)?;
                str_field(f, "reason", reason)?;
                write!(f, ",\"demote\":{demote}")?;
                str_field(f, "vhids", vhids)?;
            }
            EventBody::Hook {
                group,
                state,
                ok,
                status,
                ms,
                stderr,
            } => {
                str_field(f, "group", group)?;
                str_field(f, "state", state)?;
                write!(f, ",\"ok\":{ok}")?;
                str_field(f, "status", status)?;
                f.write_str(",\"ms\":")?;
                write_json_count(f, ms)?;
                if let Some(text) = stderr {
                    str_field(f, "stderr", text)?;
                }
            }
        }
        f.write_char('}')
    }
}

#[cfg(test)]
#[path = "event_line_tests.rs"]
mod tests;
