//! The check of a scenario as written ([`RawScenario`]) into a
//! [`Scenario`]: hosts, clients and events, every error naming its key.

use carp_core::{Duration, Instant, ReplayPolicy, VhostConfig};
use carp_ifnet::lladdr::LinkType;

use super::events::EventContext;
use super::raw::{RawEvent, RawFate, RawLink, RawScenario};
use super::values::{
    byte, flag, invalid, ipv4, link_local_of, link_params, parse_dur, parse_mac, required,
    vhost_config,
};
use super::{Scenario, ScenarioError};
use crate::client::ClientSpec;
use crate::lan::{Action, Fate, HostSpec, Knobs};

impl RawScenario {
    pub(super) fn check(self) -> Result<Scenario, ScenarioError> {
        let _ = &self.description;
        let duration = match &self.duration {
            Some(t) => parse_dur(t, "duration")?,
            None => Duration::from_secs(20),
        };
        let knobs_raw = self.knobs.as_ref();
        let knobs = Knobs {
            preempt: flag(knobs_raw.and_then(|k| k.preempt), "knobs.preempt")?,
            arpbalance: flag(knobs_raw.and_then(|k| k.arpbalance), "knobs.arpbalance")?,
            replay: match knobs_raw.and_then(|k| k.replay.as_deref()) {
                None | Some("log") => ReplayPolicy::Log,
                Some("off") => ReplayPolicy::Off,
                Some("enforce") => ReplayPolicy::Enforce,
                Some(other) => return Err(invalid("knobs.replay", other, "off, log or enforce")),
            },
            extra: knobs_raw.map(|k| k.sysctl.clone()).unwrap_or_default(),
        };
        let dead_ratio = match knobs_raw.and_then(|k| k.dead_ratio) {
            Some(r) => byte(r, "knobs.dead_ratio", 1, 255)?,
            None => 3,
        };
        let link = link_params(self.link.as_ref().unwrap_or(&RawLink::default()), "link")?;
        let mut hosts = Vec::new();
        let mut segment_link: Option<LinkType> = None;
        for (i, h) in self.host.iter().enumerate() {
            let key = format!("host[{i}]");
            let name = required(&h.name, &format!("{key}.name"))?;
            if hosts.iter().any(|x: &HostSpec| x.name == name) {
                return Err(ScenarioError::Duplicate {
                    key: format!("{key}.name"),
                    name,
                });
            }
            let mac_text = required(&h.mac, &format!("{key}.mac"))?;
            let mac = parse_mac(&mac_text).ok_or_else(|| {
                invalid(
                    &format!("{key}.mac"),
                    &mac_text,
                    "a MAC like 02:00:00:00:00:0a",
                )
            })?;
            let ip =
                h.ip.as_deref()
                    .map(|t| ipv4(t, &format!("{key}.ip")))
                    .transpose()?;
            let ip6 = match &h.ip6 {
                Some(t) => t
                    .parse()
                    .map_err(|_| invalid(&format!("{key}.ip6"), t, "an IPv6 address"))?,
                None => link_local_of(mac),
            };
            let link_type = match h.link.as_deref() {
                None | Some("ethernet") => LinkType::Ethernet,
                Some("fddi") => LinkType::Fddi,
                Some("token-ring") => LinkType::TokenRing,
                Some(other) => {
                    return Err(invalid(
                        &format!("{key}.link"),
                        other,
                        "ethernet, fddi or token-ring",
                    ))
                }
            };
            if segment_link.is_some_and(|l| l != link_type) {
                return Err(invalid(
                    &format!("{key}.link"),
                    h.link.as_deref().unwrap_or("ethernet"),
                    "the link type of the other hosts (one segment, one framing)",
                ));
            }
            segment_link = Some(link_type);
            let start = match &h.start {
                Some(t) => Instant::ZERO + parse_dur(t, &format!("{key}.start"))?,
                None => Instant::ZERO,
            };
            let mut vhosts = Vec::new();
            for (n, v) in h.vhost.iter().enumerate() {
                let vkey = format!("{key}.vhost[{n}]");
                let vhid = required(&v.vhid, &format!("{vkey}.vhid"))?;
                let ratio = match v.dead_ratio {
                    Some(r) => byte(r, &format!("{vkey}.dead_ratio"), 1, 255)?,
                    None => dead_ratio,
                };
                let config = vhost_config(
                    vhid,
                    v.pass.as_deref(),
                    v.advbase,
                    v.advskew,
                    ratio,
                    &v.addrs,
                    &vkey,
                )?;
                if vhosts.iter().any(|c: &VhostConfig| c.vhid == config.vhid) {
                    return Err(invalid(
                        &format!("{vkey}.vhid"),
                        vhid,
                        "a vhid not used twice on one host",
                    ));
                }
                vhosts.push(config);
            }
            hosts.push(HostSpec {
                name,
                link: link_type,
                mac,
                ip,
                ip6: Some(ip6),
                ip6_global: None,
                segment: 0,
                vhosts,
                knobs: knobs.clone(),
                start,
            });
        }
        let mut clients = Vec::new();
        let mut events: Vec<(Instant, usize, Action)> = Vec::new();
        for (i, c) in self.client.iter().enumerate() {
            let key = format!("client[{i}]");
            let name = required(&c.name, &format!("{key}.name"))?;
            if hosts.iter().any(|h| h.name == name)
                || clients.iter().any(|x: &ClientSpec| x.name == name)
            {
                return Err(ScenarioError::Duplicate {
                    key: format!("{key}.name"),
                    name,
                });
            }
            let mac_text = required(&c.mac, &format!("{key}.mac"))?;
            let mac = parse_mac(&mac_text).ok_or_else(|| {
                invalid(
                    &format!("{key}.mac"),
                    &mac_text,
                    "a MAC like 02:00:00:00:01:01",
                )
            })?;
            let ip = ipv4(
                &required(&c.ip, &format!("{key}.ip"))?,
                &format!("{key}.ip"),
            )?;
            if let Some(target) = &c.arp {
                let target = ipv4(target, &format!("{key}.arp"))?;
                let every = parse_dur(
                    &required(&c.every, &format!("{key}.every"))?,
                    &format!("{key}.every"),
                )?;
                if every == Duration::ZERO {
                    return Err(invalid(&format!("{key}.every"), "0", "a positive duration"));
                }
                let mut at = match &c.start {
                    Some(t) => Instant::ZERO + parse_dur(t, &format!("{key}.start"))?,
                    None => Instant::ZERO + every,
                };
                while at <= Instant::ZERO + duration {
                    events.push((at, usize::MAX, Action::Arp(clients.len(), target)));
                    at += every;
                }
            }
            clients.push(ClientSpec { name, mac, ip });
        }
        let mut raw_events: Vec<(Instant, usize, &RawEvent)> = Vec::new();
        for (n, e) in self.event.iter().enumerate() {
            let key = format!("event[{n}].at");
            let at = parse_dur(&required(&e.at, &key)?, &key)?;
            raw_events.push((Instant::ZERO + at, n, e));
        }
        raw_events.sort_by_key(|(at, n, _)| (*at, *n));
        // Events see the configuration as earlier events left it; the hosts
        // boot with the original one.
        let mut running = hosts.clone();
        let mut ctx = EventContext {
            hosts: &mut running,
            clients: &clients,
            segment: segment_link.unwrap_or(LinkType::Ethernet),
        };
        for (at, n, e) in raw_events {
            let action = ctx.action(e, &format!("event[{n}]"))?;
            events.push((at, n, action));
        }
        events.sort_by_key(|(at, n, _)| (*at, *n));
        let fates = self
            .fate
            .iter()
            .enumerate()
            .map(|(n, f)| fate(f, &hosts, &format!("fate[{n}]")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Scenario {
            duration,
            seed: self.seed.unwrap_or(1),
            link,
            hosts,
            clients,
            events: events.into_iter().map(|(at, _, a)| (at, a)).collect(),
            fates,
        })
    }
}

/// One `[[fate]]`: host names resolved, delays parsed.
fn fate(f: &RawFate, hosts: &[HostSpec], key: &str) -> Result<Fate, ScenarioError> {
    let host = |name: &Option<String>, field: &str| {
        let k = format!("{key}.{field}");
        let name = required(name, &k)?;
        hosts
            .iter()
            .position(|h| h.name == name)
            .ok_or(ScenarioError::UnknownName { key: k, name })
    };
    let advert = required(&f.advert, &format!("{key}.advert"))?;
    if advert == 0 {
        return Err(invalid(&format!("{key}.advert"), 0, "1 or more"));
    }
    let delays = required(&f.delays, &format!("{key}.delays"))?
        .iter()
        .enumerate()
        .map(|(i, d)| parse_dur(d, &format!("{key}.delays[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Fate {
        from: host(&f.from, "from")?,
        to: host(&f.to, "to")?,
        advert,
        delays,
    })
}
