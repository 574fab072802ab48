//! Requests into engine calls: what each control request does to a host,
//! with no socket in sight (the daemon and the tests drive the same code).
//!
//! Every write is one [`carp_ctl::Engine`] call, so it is transactional:
//! refused, it changes nothing and says why. After every write, accepted or
//! not, the host polls every parent ([`ControlHost::after_write`]), as the
//! engine asks, so what the change owes the wire (a bow-out, an advert
//! with the new advskew or demote count) goes out at once.

use std::fmt::Write as _;

use carp_core::{DemoteReason, Instant, State, Stats};
use carp_ctl::CtlError;
use carp_sysctl::{Knob, Value};
use serde_json::{json, Value as Json};

use super::metrics;
use super::protocol::{Request, Response};

pub use crate::engine::HostEngine;

/// The range of the administrator's demote count: OpenBSD's group demote
/// counter, an unsigned byte (`ifg_carp_demoted`, adverts carry one byte).
pub const ADMIN_DEMOTE_MAX: i32 = 255;

/// What the control requests need of the running daemon.
pub trait ControlHost {
    /// The host's engine.
    fn engine(&self) -> &HostEngine;
    /// The host's engine, to write to.
    fn engine_mut(&mut self) -> &mut HostEngine;
    /// Now, on the clock the engine runs on.
    fn now(&self) -> Instant;
    /// Called after every write, carried out or refused: poll every parent
    /// and drain the events. `note` is the operator's reason for a
    /// demotion change (`carpctl demote +50 patching`), for the
    /// `demotion` event and the log.
    fn after_write(&mut self, note: Option<&str>);
    /// Re-reads the configuration file, all or nothing: what changed, or
    /// why nothing did.
    ///
    /// # Errors
    /// The refusal, in words.
    fn reload(&mut self) -> Result<String, String>;
    /// The host's counters (every parent's, BSD `carpstats`).
    fn stats(&self) -> Stats {
        self.engine().sysctl().stats()
    }
}

/// Carries out one request.
pub fn handle<H: ControlHost>(host: &mut H, request: &Request) -> Response {
    match request {
        Request::Status { target } => status(host.engine(), target.as_deref()),
        Request::Ifconfig { target, words } => write(host, None, |e, now| {
            e.ifconfig(now, target, words).map_err(|e| e.to_string())
        }),
        Request::State {
            target,
            vhid,
            state,
        } => {
            let state = match State::from_name(state) {
                Some(s @ (State::Backup | State::Master)) => s,
                _ => {
                    return Response::refused(format!(
                        "state {state}: a vhid can be forced to backup or master \
                         (INIT is where a vhid that is down or has no link sits)"
                    ))
                }
            };
            write(host, None, |e, now| {
                e.force_state(now, target, *vhid, state)
                    .map_err(|e| e.to_string())
            })
        }
        Request::Demote { value, reason } => demote(host, value, reason.as_deref()),
        Request::Sysctl { line } => sysctl(host, line.as_deref()),
        Request::Stats {} => {
            let stats = host.stats();
            let mut r = Response::text(metrics::netstat(&stats));
            r.data = Some(metrics::stats_json(host.engine(), &stats));
            r
        }
        Request::Reload {} => match host.reload() {
            Ok(text) => Response::text(text),
            Err(why) => Response::refused(why),
        },
    }
}

/// One write: the engine call, then [`ControlHost::after_write`].
fn write<H: ControlHost>(
    host: &mut H,
    note: Option<&str>,
    f: impl FnOnce(&mut HostEngine, Instant) -> Result<(), String>,
) -> Response {
    let now = host.now();
    let result = f(host.engine_mut(), now);
    host.after_write(note);
    match result {
        Ok(()) => Response::done(),
        Err(why) => Response::refused(why),
    }
}

/// `ifconfig` status in BSD shape: every interface (or one), then the
/// host's demote count as OpenBSD's `ifconfig -g carp` prints it
/// (`printgroupattribs`: `carp: carp demote count N`).
fn status(engine: &HostEngine, target: Option<&str>) -> Response {
    let mut text = String::new();
    if let Some(t) = target {
        if let Err(e) = engine.status(t, &mut text) {
            return Response::refused(e);
        }
    } else {
        engine.status_all(&mut text);
    }
    let demotion = engine.sysctl().demotion();
    let _ = writeln!(text, "carp: carp demote count {}", demotion.effective());
    let mut r = Response::text(text);
    r.data = Some(status_json(engine, target));
    r
}

/// The status as data: one object per vhid, and the demotion by reason.
pub fn status_json(engine: &HostEngine, target: Option<&str>) -> Json {
    let mut vhids = Vec::new();
    for p in engine.parents() {
        for h in p.carpif().vhosts() {
            let vhid = h.vhid().get();
            let carp = engine.name_of(p.id(), vhid).map(|n| n.as_str().to_owned());
            let shown = target.is_none_or(|t| t == p.name().as_str() || carp.as_deref() == Some(t));
            if !shown {
                continue;
            }
            let addresses: Vec<String> = h
                .config()
                .addresses()
                .iter()
                .zip(
                    p.prefix_lens(vhid)
                        .iter()
                        .copied()
                        .chain(std::iter::repeat(0)),
                )
                .map(|(a, len)| {
                    let full = if a.is_ipv4() { 32 } else { 128 };
                    format!("{a}/{}", if len == 0 { full } else { len })
                })
                .collect();
            let config = h.config();
            vhids.push(json!({
                "interface": p.name().as_str(),
                "carp": carp,
                "vhid": vhid,
                "state": h.state().name(),
                "advbase": config.advbase,
                "advskew": config.advskew.get(),
                "addresses": addresses,
                "admin_up": h.is_admin_up(),
                "link_up": p.carpif().is_link_up(),
            }));
        }
    }
    json!({ "vhids": vhids, "demotion": demotion_json(engine) })
}

fn demotion_json(engine: &HostEngine) -> Json {
    let d = engine.sysctl().demotion();
    let by_reason: serde_json::Map<String, Json> = DemoteReason::ALL
        .iter()
        .map(|r| (r.name().to_owned(), json!(d.get(*r))))
        .collect();
    json!({ "effective": d.effective(), "by_reason": by_reason })
}

/// `demote +N` adds, `-N` subtracts, `N` sets the administrator's demote
/// count (FreeBSD `net.inet.carp.demotion`, OpenBSD `ifconfig -g carp
/// [-]carpdemote N`), which stays within 0..=255.
fn demote<H: ControlHost>(host: &mut H, value: &str, reason: Option<&str>) -> Response {
    let current = host.engine().sysctl().demotion().get(DemoteReason::Global);
    let target = match parse_demote(value, current) {
        Ok(t) => t,
        Err(why) => return Response::refused(why),
    };
    let delta = target - current;
    if delta == 0 {
        return Response::text(format!("carp: carp demote count unchanged ({current})\n"));
    }
    let response = write(host, reason, |e, now| {
        e.sysctl_line(now, &format!("net.inet.carp.demotion={delta}"))
            .map(|_| ())
            .map_err(|e| e.to_string())
    });
    if !response.ok {
        return response;
    }
    let effective = host.engine().sysctl().demotion().effective();
    Response::text(format!(
        "carp: administrator's demotion {current} -> {target}; carp demote count {effective}\n"
    ))
}

/// The administrator's demotion `value` asks for, from `current`.
///
/// # Errors
/// A value that is not `[+|-]N`, or a result outside 0..=255, in words.
pub fn parse_demote(value: &str, current: i32) -> Result<i32, String> {
    let (sign, digits) = match value.as_bytes().first() {
        Some(b'+') => (1, &value[1..]),
        Some(b'-') => (-1, &value[1..]),
        _ => (0, value),
    };
    let n: i32 = digits
        .parse()
        .ok()
        .filter(|n| (0..=ADMIN_DEMOTE_MAX).contains(n))
        .ok_or_else(|| {
            format!("demote {value}: give N, +N or -N with N a number from 0 to {ADMIN_DEMOTE_MAX}")
        })?;
    let target = if sign == 0 { n } else { current + sign * n };
    if !(0..=ADMIN_DEMOTE_MAX).contains(&target) {
        return Err(format!(
            "demote {value}: the administrator's demotion is {current}; {target} is outside \
             0..{ADMIN_DEMOTE_MAX} (adverts carry the demote count in one byte)"
        ));
    }
    Ok(target)
}

/// `sysctl`: every knob, one knob, or a write (`name=value`, BSD
/// semantics: a `demotion` write adds).
fn sysctl<H: ControlHost>(host: &mut H, line: Option<&str>) -> Response {
    let Some(line) = line.map(str::trim).filter(|l| !l.is_empty()) else {
        let mut text = String::new();
        for knob in Knob::ALL {
            if let Some(l) = knob_line(host.engine(), knob) {
                text.push_str(&l);
            }
        }
        return Response::text(text);
    };
    if line.contains('=') {
        let response = write(host, None, |e, now| {
            e.sysctl_line(now, line)
                .map(|_| ())
                .map_err(|e: CtlError| e.to_string())
        });
        if !response.ok {
            return response;
        }
        let name = line.split('=').next().unwrap_or("").trim();
        return match Knob::from_name(name).and_then(|k| knob_line(host.engine(), k)) {
            Some(l) => Response::text(l),
            None => Response::done(),
        };
    }
    match Knob::from_name(line) {
        Some(knob) => match knob_line(host.engine(), knob) {
            Some(l) => Response::text(l),
            None => Response::text(metrics::netstat(&host.stats())),
        },
        None => Response::refused(format!(
            "sysctl {line}: no such node under net.inet.carp (carpctl sysctl lists them)"
        )),
    }
}

/// `net.inet.carp.NAME=VALUE\n`, `None` for the statistics node.
fn knob_line(engine: &HostEngine, knob: Knob) -> Option<String> {
    match engine.sysctl().value(knob) {
        Value::Int(v) => Some(format!("{}={v}\n", knob.path())),
        Value::Stats(_) => None,
    }
}

#[cfg(test)]
#[path = "handler_tests.rs"]
mod tests;
