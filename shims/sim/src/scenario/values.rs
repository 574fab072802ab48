//! Parsers of scenario values, each error naming its key.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use carp_core::{Duration, Vhid, VhostConfig};
use carp_ifnet::lladdr::MacAddr;

use super::raw::{Flag, Rate, RawLink};
use super::ScenarioError;
use crate::lan::LinkParams;

/// Parses `"5s"`, `"1500ms"`, `"250us"` (or `µs`), `"1.5s"`; fractions
/// finer than a microsecond are refused.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = ["us", "µs", "ms", "s"]
        .iter()
        .find_map(|u| text.strip_suffix(u).map(|n| (n.trim(), *u)))?;
    let scale: u64 = match unit {
        "s" => 1_000_000,
        "ms" => 1_000,
        _ => 1,
    };
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !digits(int) || !digits(frac) {
        return None;
    }
    let whole: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut micros = whole.checked_mul(scale)?;
    let mut unit_of_digit = scale;
    for c in frac.chars() {
        unit_of_digit /= 10;
        let d = u64::from(c.to_digit(10)?);
        if unit_of_digit == 0 {
            if d != 0 {
                return None;
            }
            continue;
        }
        micros = micros.checked_add(d * unit_of_digit)?;
    }
    Some(Duration::from_micros(micros))
}

/// Parses `02:00:00:00:00:0a`.
pub fn parse_mac(text: &str) -> Option<MacAddr> {
    let mut mac = [0u8; 6];
    let mut parts = text.split(':');
    for byte in &mut mac {
        let part = parts.next()?;
        if part.len() != 2 {
            return None;
        }
        *byte = u8::from_str_radix(part, 16).ok()?;
    }
    parts.next().is_none().then_some(MacAddr(mac))
}

/// The EUI-64 link-local address of a MAC (`fe80::` + flipped U/L bit).
pub fn link_local_of(mac: MacAddr) -> Ipv6Addr {
    let [a, b, c, d, e, g] = mac.0;
    Ipv6Addr::from([
        0xfe,
        0x80,
        0,
        0,
        0,
        0,
        0,
        0,
        a ^ 0x02,
        b,
        c,
        0xff,
        0xfe,
        d,
        e,
        g,
    ])
}

pub(super) fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let clean: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    if clean.len() % 2 != 0 {
        return None;
    }
    (0..clean.len())
        .step_by(2)
        .map(|i| {
            clean
                .get(i..i + 2)
                .and_then(|p| u8::from_str_radix(p, 16).ok())
        })
        .collect()
}

pub(super) fn invalid(
    key: &str,
    value: impl fmt::Display,
    expected: &'static str,
) -> ScenarioError {
    ScenarioError::Invalid {
        key: key.to_owned(),
        value: value.to_string(),
        expected,
    }
}

pub(super) fn required<T: Clone>(value: &Option<T>, key: &str) -> Result<T, ScenarioError> {
    value.clone().ok_or_else(|| ScenarioError::Missing {
        key: key.to_owned(),
    })
}

pub(super) fn parse_dur(text: &str, key: &str) -> Result<Duration, ScenarioError> {
    parse_duration(text).ok_or_else(|| invalid(key, text, "a duration like 5s, 1500ms or 250us"))
}

pub(super) fn flag(value: Option<Flag>, key: &str) -> Result<bool, ScenarioError> {
    match value {
        None | Some(Flag::Bool(false)) | Some(Flag::Int(0)) => Ok(false),
        Some(Flag::Bool(true)) | Some(Flag::Int(1)) => Ok(true),
        Some(Flag::Int(n)) => Err(invalid(key, n, "true, false, 0 or 1")),
    }
}

pub(super) fn rate(value: Option<Rate>, key: &str) -> Result<u32, ScenarioError> {
    let fraction = match value {
        None => return Ok(0),
        Some(Rate::Number(x)) => x,
        Some(Rate::Text(t)) => match t.trim().strip_suffix('%').map(str::trim) {
            Some(p) => {
                p.parse::<f64>()
                    .map_err(|_| invalid(key, &t, "a fraction 0..1 or a percentage"))?
                    / 100.0
            }
            None => return Err(invalid(key, &t, "a fraction 0..1 or a percentage")),
        },
    };
    if !(0.0..=1.0).contains(&fraction) {
        return Err(invalid(key, fraction, "a fraction 0..1 or a percentage"));
    }
    Ok((fraction * 1_000_000.0).round() as u32)
}

pub(super) fn byte(value: i64, key: &str, min: i64, max: i64) -> Result<u8, ScenarioError> {
    if value < min || value > max {
        return Err(invalid(key, value, "in range"));
    }
    u8::try_from(value).map_err(|_| invalid(key, value, "in range"))
}

pub(super) fn ipv4(text: &str, key: &str) -> Result<Ipv4Addr, ScenarioError> {
    text.parse()
        .map_err(|_| invalid(key, text, "an IPv4 address"))
}

pub(super) fn link_params(raw: &RawLink, key: &str) -> Result<LinkParams, ScenarioError> {
    let d = |v: &Option<String>, k: &str| {
        v.as_deref()
            .map_or(Ok(Duration::ZERO), |t| parse_dur(t, &format!("{key}.{k}")))
    };
    Ok(LinkParams {
        loss_ppm: rate(raw.loss.clone(), &format!("{key}.loss"))?,
        delay: d(&raw.delay, "delay")?,
        jitter: d(&raw.jitter, "jitter")?,
        duplicate_ppm: rate(raw.duplicate.clone(), &format!("{key}.duplicate"))?,
    })
}

pub(super) fn vhost_config(
    vhid: i64,
    pass: Option<&str>,
    advbase: Option<i64>,
    advskew: Option<i64>,
    dead_ratio: u8,
    addrs: &[String],
    key: &str,
) -> Result<VhostConfig, ScenarioError> {
    let cfg_err = |k: &str| {
        let key = format!("{key}.{k}");
        move |error| ScenarioError::Config { key, error }
    };
    let vhid = Vhid::new(byte(vhid, &format!("{key}.vhid"), 1, 255)?).map_err(cfg_err("vhid"))?;
    let mut config = VhostConfig::new(vhid)
        .with_advbase(byte(
            advbase.unwrap_or(1),
            &format!("{key}.advbase"),
            0,
            254,
        )?)
        .with_advskew(byte(
            advskew.unwrap_or(0),
            &format!("{key}.advskew"),
            0,
            254,
        )?)
        .map_err(cfg_err("advskew"))?
        .with_passphrase(pass.unwrap_or("").as_bytes())
        .map_err(cfg_err("pass"))?
        .with_dead_ratio(dead_ratio)
        .map_err(cfg_err("dead_ratio"))?;
    for (n, a) in addrs.iter().enumerate() {
        let k = format!("{key}.addrs[{n}]");
        let addr: IpAddr = a.parse().map_err(|_| invalid(&k, a, "an IP address"))?;
        config
            .add_address(addr)
            .map_err(|error| ScenarioError::Config { key: k, error })?;
    }
    Ok(config)
}
