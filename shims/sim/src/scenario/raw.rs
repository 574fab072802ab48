//! The TOML as written: plain serde structures, every field optional so
//! the check (`check.rs`) can name what is missing.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScenario {
    pub(super) duration: Option<String>,
    pub(super) seed: Option<u64>,
    pub(super) description: Option<String>,
    pub(super) knobs: Option<RawKnobs>,
    pub(super) link: Option<RawLink>,
    #[serde(default)]
    pub(super) host: Vec<RawHost>,
    #[serde(default)]
    pub(super) client: Vec<RawClient>,
    #[serde(default)]
    pub(super) event: Vec<RawEvent>,
    #[serde(default)]
    pub(super) fate: Vec<RawFate>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFate {
    pub(super) from: Option<String>,
    pub(super) to: Option<String>,
    pub(super) advert: Option<u64>,
    pub(super) delays: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(untagged)]
pub(super) enum Flag {
    Bool(bool),
    Int(i64),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(super) enum Rate {
    Number(f64),
    Text(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawKnobs {
    pub(super) preempt: Option<Flag>,
    pub(super) arpbalance: Option<Flag>,
    pub(super) dead_ratio: Option<i64>,
    pub(super) replay: Option<String>,
    #[serde(default)]
    pub(super) sysctl: Vec<(String, i64)>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLink {
    pub(super) loss: Option<Rate>,
    pub(super) delay: Option<String>,
    pub(super) jitter: Option<String>,
    pub(super) duplicate: Option<Rate>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHost {
    pub(super) name: Option<String>,
    pub(super) mac: Option<String>,
    pub(super) ip: Option<String>,
    pub(super) ip6: Option<String>,
    pub(super) link: Option<String>,
    pub(super) start: Option<String>,
    #[serde(default)]
    pub(super) vhost: Vec<RawVhost>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVhost {
    pub(super) vhid: Option<i64>,
    pub(super) pass: Option<String>,
    pub(super) advbase: Option<i64>,
    pub(super) advskew: Option<i64>,
    pub(super) dead_ratio: Option<i64>,
    #[serde(default)]
    pub(super) addrs: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClient {
    pub(super) name: Option<String>,
    pub(super) mac: Option<String>,
    pub(super) ip: Option<String>,
    pub(super) arp: Option<String>,
    pub(super) every: Option<String>,
    pub(super) start: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEvent {
    pub(super) at: Option<String>,
    pub(super) action: Option<String>,
    pub(super) host: Option<String>,
    pub(super) vhid: Option<i64>,
    pub(super) advskew: Option<i64>,
    pub(super) advbase: Option<i64>,
    pub(super) demote: Option<i64>,
    pub(super) counter: Option<u64>,
    pub(super) groups: Option<Vec<Vec<String>>>,
    pub(super) hosts: Option<Vec<String>>,
    pub(super) client: Option<String>,
    pub(super) target: Option<String>,
    pub(super) frame: Option<String>,
    pub(super) index: Option<usize>,
    pub(super) name: Option<String>,
    pub(super) value: Option<i64>,
    pub(super) state: Option<String>,
    pub(super) pass: Option<String>,
    pub(super) addrs: Option<Vec<String>>,
    pub(super) src: Option<String>,
    pub(super) loss: Option<Rate>,
    pub(super) delay: Option<String>,
    pub(super) jitter: Option<String>,
    pub(super) duplicate: Option<Rate>,
}
