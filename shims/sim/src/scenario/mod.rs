//! Scenarios as TOML: hosts, vhosts, knobs, the link, clients and a timed
//! list of faults.
//!
//! ```toml
//! duration = "20s"          # run length: "20s", "1500ms", "250us", "1.5s"
//! seed = 1                  # randomness (loss, jitter, counter seeds)
//!
//! [knobs]                   # net.inet.carp.* on every host
//! preempt = true            # or 1
//! arpbalance = false
//! dead_ratio = 3            # default for every vhost
//! replay = "log"            # off | log | enforce
//!
//! [link]
//! loss = 0.0                # 0.0..=1.0, or "5%"
//! delay = "200us"
//! jitter = "0us"
//! duplicate = 0.0
//!
//! [[host]]
//! name = "host-a"
//! mac = "02:00:00:00:00:0a"
//! ip = "192.0.2.10"         # source of IPv4 adverts
//! ip6 = "fe80::a"           # optional; default: EUI-64 link-local of mac
//! link = "ethernet"         # ethernet | fddi | token-ring (one per segment)
//! start = "0s"              # optional boot time
//! [[host.vhost]]
//! vhid = 1
//! pass = "secret"
//! advbase = 1
//! advskew = 0
//! addrs = ["192.0.2.100", "2001:db8::100"]
//! dead_ratio = 3            # optional
//!
//! [[client]]                # optional: sends ARP requests, counts answers
//! name = "c1"
//! mac = "02:00:00:00:01:01"
//! ip = "192.0.2.201"
//! arp = "192.0.2.100"       # optional: ask periodically ...
//! every = "1s"              # ... this often ...
//! start = "1s"              # ... from then on
//!
//! [[event]]
//! at = "10s"
//! host = "host-a"
//! action = "crash"
//!
//! [[fate]]                  # optional: fix one advert copy's fate
//! from = "host-a"
//! to = "host-b"
//! advert = 3                # host-a's third CARP frame (over all lives)
//! delays = ["300ms"]        # one arrival per delay: [] lost, two = duplicate
//! ```
//!
//! Actions: `crash`, `restart`, `link-down`, `link-up`, `admin-down`,
//! `admin-up` (optional `vhid`, default all), `partition` (`groups = [["a"],
//! ["b", "c"]]`, or `hosts = ["a"]` to cut those off from the rest), `heal`,
//! `set-advskew` / `set-advbase` (`vhid` unless the host has one vhost,
//! `advskew` / `advbase`), `state` (`vhid`, `state = "master"`), `sysctl`
//! (`name`, `value`; `host` optional = every host), `set-link` (`loss`,
//! `delay`, `jitter`, `duplicate`), `arp` (`client`, `target`), `inject`
//! (`frame` in hex, `host` optional), `replay` (`index` of a captured
//! frame), `forge` (a signed advert from the attacker: `vhid`, `pass`,
//! `addrs`, `advbase`, `advskew`, `demote`, `counter`, `src`; vhost fields
//! default to the first host's vhost with that vhid).
//!
//! Every error names the key that is wrong (`host[1].vhost[0].advskew`).

mod check;
mod events;
mod raw;
mod values;

pub use values::{link_local_of, parse_duration, parse_mac};

use std::fmt;

use carp_core::{ConfigError, Duration, Instant};

use crate::client::ClientSpec;
use crate::lan::{Action, Fate, HostSpec, Lan, LinkParams};

/// The bundled failover scenario (what `carp-sim` runs with no arguments).
pub const FAILOVER: &str = include_str!("../../scenarios/failover.toml");

/// Why a scenario file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScenarioError {
    /// Not TOML, an unknown key or a value of the wrong type; the message
    /// of the TOML reader names the key and line.
    Toml(String),
    /// A required key is missing.
    Missing {
        /// The key.
        key: String,
    },
    /// A value that does not parse or is out of range.
    Invalid {
        /// The key.
        key: String,
        /// The value given.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A host or client name that is not defined.
    UnknownName {
        /// The key.
        key: String,
        /// The name given.
        name: String,
    },
    /// A host or client name defined twice.
    Duplicate {
        /// The key.
        key: String,
        /// The name.
        name: String,
    },
    /// The vhost configuration was refused by carp-core.
    Config {
        /// The key.
        key: String,
        /// Why.
        error: ConfigError,
    },
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::Toml(m) => write!(f, "{m}"),
            ScenarioError::Missing { key } => write!(f, "{key}: missing"),
            ScenarioError::Invalid {
                key,
                value,
                expected,
            } => write!(f, "{key}: {value:?} is not {expected}"),
            ScenarioError::UnknownName { key, name } => {
                write!(f, "{key}: no host or client {name:?}")
            }
            ScenarioError::Duplicate { key, name } => write!(f, "{key}: {name:?} defined twice"),
            ScenarioError::Config { key, error } => write!(f, "{key}: {error}"),
        }
    }
}

impl std::error::Error for ScenarioError {}

/// A scenario, parsed and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// Run length.
    pub duration: Duration,
    /// Seed of the run (a `--seed` overrides it).
    pub seed: u64,
    /// The segment.
    pub link: LinkParams,
    /// Hosts, in file order.
    pub hosts: Vec<HostSpec>,
    /// Clients, in file order.
    pub clients: Vec<ClientSpec>,
    /// Faults and commands, in time order.
    pub events: Vec<(Instant, Action)>,
    /// Adverts whose fate is fixed instead of drawn.
    pub fates: Vec<Fate>,
}

impl Scenario {
    /// Parses and checks a scenario.
    ///
    /// # Errors
    /// [`ScenarioError`] naming the offending key.
    pub fn from_toml(text: &str) -> Result<Scenario, ScenarioError> {
        let raw: raw::RawScenario =
            toml::from_str(text).map_err(|e| ScenarioError::Toml(e.to_string()))?;
        raw.check()
    }

    /// The LAN this scenario describes, nothing run yet.
    ///
    /// # Errors
    /// A knob a host's sysctl refused.
    pub fn lan(&self, seed: Option<u64>) -> Result<Lan, String> {
        let mut lan = Lan::new(seed.unwrap_or(self.seed), self.link);
        for h in &self.hosts {
            lan.add_host(h.clone())?;
        }
        for c in &self.clients {
            lan.add_client(c.clone());
        }
        for (at, action) in &self.events {
            lan.schedule(*at, action.clone());
        }
        for fate in &self.fates {
            lan.set_fate(fate.clone());
        }
        Ok(lan)
    }

    /// Runs it for its duration.
    ///
    /// # Errors
    /// As [`Scenario::lan`].
    pub fn run(&self, seed: Option<u64>) -> Result<Lan, String> {
        let mut lan = self.lan(seed)?;
        lan.run_until(Instant::ZERO + self.duration);
        Ok(lan)
    }
}
