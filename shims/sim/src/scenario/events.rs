//! Scheduled events: names resolved to hosts and clients, each turned into
//! an [`Action`].

use std::net::Ipv4Addr;

use carp_core::{ConfigError, State, VhostConfig};
use carp_ifnet::lladdr::LinkType;

use super::raw::{RawEvent, RawLink};
use super::values::{byte, invalid, ipv4, link_params, parse_hex, required, vhost_config};
use super::ScenarioError;
use crate::client::ClientSpec;
use crate::forge::Forgery;
use crate::lan::{Action, HostSpec};

pub(super) struct EventContext<'a> {
    pub(super) hosts: &'a mut Vec<HostSpec>,
    pub(super) clients: &'a [ClientSpec],
    pub(super) segment: LinkType,
}

impl EventContext<'_> {
    fn host(&self, name: &Option<String>, key: &str) -> Result<usize, ScenarioError> {
        let key = format!("{key}.host");
        let name = required(name, &key)?;
        self.hosts
            .iter()
            .position(|h| h.name == name)
            .ok_or(ScenarioError::UnknownName { key, name })
    }

    fn host_list(&self, names: &[String], key: &str) -> Result<Vec<usize>, ScenarioError> {
        names
            .iter()
            .map(|n| {
                self.hosts.iter().position(|h| &h.name == n).ok_or_else(|| {
                    ScenarioError::UnknownName {
                        key: key.to_owned(),
                        name: n.clone(),
                    }
                })
            })
            .collect()
    }

    /// The vhid an event is about: given, or the host's only one.
    fn vhid(&self, host: usize, e: &RawEvent, key: &str) -> Result<u8, ScenarioError> {
        let key = format!("{key}.vhid");
        let configs = self
            .hosts
            .get(host)
            .map(|h| h.vhosts.as_slice())
            .unwrap_or(&[]);
        match e.vhid {
            Some(v) => {
                let v = byte(v, &key, 1, 255)?;
                if configs.iter().any(|c| c.vhid.get() == v) {
                    Ok(v)
                } else {
                    Err(invalid(&key, v, "a vhid configured on that host"))
                }
            }
            None => match configs {
                [only] => Ok(only.vhid.get()),
                _ => Err(ScenarioError::Missing { key }),
            },
        }
    }

    fn reconfigure(
        &mut self,
        e: &RawEvent,
        key: &str,
        change: impl FnOnce(VhostConfig) -> Result<VhostConfig, ConfigError>,
        field: &str,
    ) -> Result<Action, ScenarioError> {
        let host = self.host(&e.host, key)?;
        let vhid = self.vhid(host, e, key)?;
        let slot = self
            .hosts
            .get_mut(host)
            .and_then(|h| h.vhosts.iter_mut().find(|c| c.vhid.get() == vhid))
            .ok_or_else(|| {
                invalid(
                    &format!("{key}.vhid"),
                    vhid,
                    "a vhid configured on that host",
                )
            })?;
        let config = change(slot.clone()).map_err(|error| ScenarioError::Config {
            key: format!("{key}.{field}"),
            error,
        })?;
        *slot = config.clone();
        Ok(Action::Reconfigure(host, config))
    }

    pub(super) fn action(&mut self, e: &RawEvent, key: &str) -> Result<Action, ScenarioError> {
        let action_key = format!("{key}.action");
        let action = required(&e.action, &action_key)?;
        let optional_vhid = |ctx: &Self, host: usize| -> Result<Option<u8>, ScenarioError> {
            e.vhid.map(|_| ctx.vhid(host, e, key)).transpose()
        };
        Ok(match action.as_str() {
            "crash" => Action::Crash(self.host(&e.host, key)?),
            "restart" => Action::Restart(self.host(&e.host, key)?),
            "link-down" => Action::LinkDown(self.host(&e.host, key)?),
            "link-up" => Action::LinkUp(self.host(&e.host, key)?),
            "admin-down" => {
                let h = self.host(&e.host, key)?;
                Action::AdminDown(h, optional_vhid(self, h)?)
            }
            "admin-up" => {
                let h = self.host(&e.host, key)?;
                Action::AdminUp(h, optional_vhid(self, h)?)
            }
            "heal" => Action::Heal,
            "partition" => {
                let groups = match (&e.groups, &e.hosts) {
                    (Some(groups), _) => groups
                        .iter()
                        .enumerate()
                        .map(|(g, names)| self.host_list(names, &format!("{key}.groups[{g}]")))
                        .collect::<Result<Vec<_>, _>>()?,
                    (None, Some(names)) => vec![self.host_list(names, &format!("{key}.hosts"))?],
                    (None, None) => {
                        return Err(ScenarioError::Missing {
                            key: format!("{key}.groups"),
                        })
                    }
                };
                Action::Partition(groups)
            }
            "set-advskew" => {
                let k = format!("{key}.advskew");
                let skew = byte(required(&e.advskew, &k)?, &k, 0, 254)?;
                self.reconfigure(e, key, |c| c.with_advskew(skew), "advskew")?
            }
            "set-advbase" => {
                let k = format!("{key}.advbase");
                let base = byte(required(&e.advbase, &k)?, &k, 0, 254)?;
                self.reconfigure(e, key, |c| Ok(c.with_advbase(base)), "advbase")?
            }
            "state" => {
                let h = self.host(&e.host, key)?;
                let vhid = self.vhid(h, e, key)?;
                let k = format!("{key}.state");
                // The ifconfig `state` word: the BSD names in any case.
                let text = required(&e.state, &k)?;
                let state = State::from_name(&text)
                    .ok_or_else(|| invalid(&k, &text, "init, backup or master"))?;
                Action::ForceState(h, vhid, state)
            }
            "sysctl" => {
                let host = e.host.as_ref().map(|_| self.host(&e.host, key)).transpose()?;
                let name = required(&e.name, &format!("{key}.name"))?;
                let value = required(&e.value, &format!("{key}.value"))?;
                if carp_sysctl::Sysctl::new().set(&name, value).is_err() {
                    return Err(invalid(&format!("{key}.name"), name, "a writable net.inet.carp knob with a value in range"));
                }
                Action::Sysctl(host, name, value)
            }
            "set-link" => Action::SetLink(link_params(
                &RawLink {
                    loss: e.loss.clone(),
                    delay: e.delay.clone(),
                    jitter: e.jitter.clone(),
                    duplicate: e.duplicate.clone(),
                },
                key,
            )?),
            "arp" => {
                let k = format!("{key}.client");
                let name = required(&e.client, &k)?;
                let client = self
                    .clients
                    .iter()
                    .position(|c| c.name == name)
                    .ok_or(ScenarioError::UnknownName { key: k, name })?;
                let k = format!("{key}.target");
                Action::Arp(client, ipv4(&required(&e.target, &k)?, &k)?)
            }
            "inject" => {
                let k = format!("{key}.frame");
                let text = required(&e.frame, &k)?;
                let frame = parse_hex(&text).ok_or_else(|| invalid(&k, &text, "hex bytes"))?;
                let to = e.host.as_ref().map(|_| self.host(&e.host, key)).transpose()?;
                Action::Inject(to, frame)
            }
            "replay" => Action::Replay(required(&e.index, &format!("{key}.index"))?),
            "forge" => self.forge(e, key)?,
            other => {
                return Err(invalid(
                    &action_key,
                    other,
                    "crash, restart, link-down, link-up, admin-down, admin-up, partition, heal, \
                     set-advskew, set-advbase, state, sysctl, set-link, arp, inject, replay or forge",
                ))
            }
        })
    }

    fn forge(&self, e: &RawEvent, key: &str) -> Result<Action, ScenarioError> {
        let k = format!("{key}.vhid");
        let vhid = byte(required(&e.vhid, &k)?, &k, 1, 255)?;
        let known = self
            .hosts
            .iter()
            .flat_map(|h| h.vhosts.iter())
            .find(|c| c.vhid.get() == vhid);
        let addrs: Vec<String> = match (&e.addrs, known) {
            (Some(a), _) => a.clone(),
            (None, Some(c)) => c.addresses().iter().map(ToString::to_string).collect(),
            (None, None) => Vec::new(),
        };
        let pass = match (&e.pass, known) {
            (Some(p), _) => p.clone().into_bytes(),
            (None, Some(c)) => c.key.passphrase().to_vec(),
            (None, None) => Vec::new(),
        };
        let config = vhost_config(
            i64::from(vhid),
            Some(&String::from_utf8_lossy(&pass)),
            None,
            None,
            3,
            &addrs,
            key,
        )?;
        let src = match &e.src {
            Some(s) => ipv4(s, &format!("{key}.src"))?,
            None => Ipv4Addr::new(192, 0, 2, 66),
        };
        let mut forgery = Forgery::new(self.segment, src, config);
        forgery.advbase = byte(e.advbase.unwrap_or(1), &format!("{key}.advbase"), 0, 255)?;
        forgery.advskew = byte(e.advskew.unwrap_or(0), &format!("{key}.advskew"), 0, 255)?;
        forgery.demote = byte(e.demote.unwrap_or(0), &format!("{key}.demote"), 0, 255)?;
        forgery.counter = e.counter.unwrap_or(0);
        let to = e
            .host
            .as_ref()
            .map(|_| self.host(&e.host, key))
            .transpose()?;
        Ok(Action::Inject(to, forgery.frame()))
    }
}
