//! Where carpd's configuration comes from, and how each source reaches the
//! engine. carpd keeps no copy of the vhids: the engine is the one state.
//!
//! | source | engine call |
//! |---|---|
//! | ucarp flags (`-v 1 -p x -a 192.0.2.100 -k 10 -r 4`) | [`Engine::set_carpreq`](carp_ctl::Engine::set_carpreq) on the first `-i`: a vhid on the parent (FreeBSD style), as a `SIOCSVH` would set it |
//! | words after `--` | [`Engine::configure`](carp_ctl::Engine::configure) on the first `-i` |
//! | `--sysctl`, `-P` | [`Engine::sysctl_line`](carp_ctl::Engine::sysctl_line) (interactive: BSD semantics) |
//! | `--config` at start and on SIGHUP | [`Engine::apply_config`](carp_ctl::Engine::apply_config): declarative; bare lines go to the first `-i` |
//!
//! A refused request changes nothing (the engine is transactional): at
//! start carpd exits, on SIGHUP it keeps what runs. When a parent comes
//! back after it was deleted, the sources that configured it are applied
//! again ([`Sources::reattach`]): the file declaratively, the flags and
//! words if they name that parent.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use carp_core::{Instant, State, Vhid, VhostConfig};
use carp_ctl::{
    default_prefix_len, parse_line, parse_word_iter, ApplyReport, CarpReq, CarpdevChange,
    ConfigLine, IfconfigRequest,
};

use crate::cli::Cli;
use crate::engine::HostEngine;

/// A configuration problem, with where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErr(pub String);

impl fmt::Display for ConfigErr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigErr {}

fn err(what: &str, e: impl fmt::Display) -> ConfigErr {
    ConfigErr(format!("{what}: {e}"))
}

/// The dead ratio carp uses when none is given (carp(4)'s 3).
const DEFAULT_DEAD_RATIO: u8 = 3;

/// carpd's configuration sources, parsed.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The first `-i`: where flags, words and bare lines go.
    first: Option<String>,
    /// The ucarp flags' vhid, as a `carpreq`.
    flags: Option<CarpReq>,
    /// The words after `--`, and `-r` for their vhid.
    words: Option<(IfconfigRequest, u8)>,
    /// `--sysctl` lines and `-P`.
    sysctl: Vec<String>,
    /// `--config`.
    file: Option<PathBuf>,
    /// The file's text as last applied.
    applied: Option<String>,
}

impl Sources {
    /// Parses the command line (the file is read by [`Sources::start`]).
    ///
    /// # Errors
    /// A bad flag value or word.
    pub fn from_cli(cli: &Cli) -> Result<Sources, ConfigErr> {
        let first = cli.interfaces.first().cloned();
        let flags = match cli.vhid {
            Some(vhid) => Some(ucarp_request(cli, vhid).map_err(|e| e.at("flags"))?),
            None if !cli.addr.is_empty() || cli.pass.is_some() || cli.passfile.is_some() => {
                return Err(ConfigErr("--addr and --pass need --vhid".into()));
            }
            None => None,
        };
        let words = if cli.words.is_empty() {
            None
        } else {
            let req = parse_word_iter(cli.words.iter().map(String::as_str))
                .map_err(|e| err("words", e))?;
            Some((req, cli.deadratio))
        };
        if (flags.is_some() || words.is_some()) && first.is_none() {
            return Err(ConfigErr(
                "the flags and words configure a vhid on the first -i: give one".into(),
            ));
        }
        let mut sysctl = cli.sysctl.clone();
        if cli.preempt {
            sysctl.push("net.inet.carp.preempt=1".into());
        }
        Ok(Sources {
            first,
            flags,
            words,
            sysctl,
            file: cli.config.clone(),
            applied: None,
        })
    }

    /// The config file's text, read now.
    ///
    /// # Errors
    /// An unreadable file.
    pub fn read_file(&self) -> Result<Option<String>, ConfigErr> {
        match &self.file {
            None => Ok(None),
            Some(path) => std::fs::read_to_string(path)
                .map(Some)
                .map_err(|e| err(&path.display().to_string(), e)),
        }
    }

    /// Applies every source in order: knobs, flags, words, file.
    ///
    /// # Errors
    /// The first refused request, naming its source.
    pub fn start(
        &mut self,
        engine: &mut HostEngine,
        now: Instant,
        file_text: Option<&str>,
    ) -> Result<(), ConfigErr> {
        for line in &self.sysctl {
            engine
                .sysctl_line(now, line)
                .map_err(|e| err(&format!("--sysctl {line}"), e))?;
        }
        self.apply_command_line(engine, now)?;
        if let Some(text) = file_text {
            self.apply_file(engine, now, text)?;
        }
        if engine.parents().all(|p| p.carpif().is_empty()) && engine.names().next().is_none() {
            return Err(ConfigErr(
                "no vhid configured: give --vhid, words after --, or --config".into(),
            ));
        }
        Ok(())
    }

    fn apply_command_line(&self, engine: &mut HostEngine, now: Instant) -> Result<(), ConfigErr> {
        let Some(first) = &self.first else {
            return Ok(());
        };
        if let Some(req) = &self.flags {
            engine
                .set_carpreq(now, first, req)
                .map_err(|e| err("flags", e))?;
        }
        if let Some((req, dead_ratio)) = &self.words {
            engine
                .configure(now, first, req)
                .map_err(|e| err("words", e))?;
            // Words have no dead-ratio keyword: -r applies to their vhid
            // through a carpreq read-modify-write.
            if let (Some(vhid), true) = (req.vhid, *dead_ratio != DEFAULT_DEAD_RATIO) {
                let mut get = engine
                    .get_carpreq(first, Some(vhid.get()))
                    .map_err(|e| err("-r", e))?;
                get.dead_ratio = *dead_ratio;
                get.state = carp_ctl::state_number(State::Init);
                engine
                    .set_carpreq(now, first, &get)
                    .map_err(|e| err("-r", e))?;
            }
        }
        Ok(())
    }

    fn apply_file(
        &mut self,
        engine: &mut HostEngine,
        now: Instant,
        text: &str,
    ) -> Result<ApplyReport, ConfigErr> {
        let name = self
            .file
            .as_ref()
            .map_or_else(|| "config".to_owned(), |p| p.display().to_string());
        let report = engine
            .apply_config(now, text, self.first.as_deref())
            .map_err(|e| err(&name, e))?;
        self.applied = Some(text.to_owned());
        Ok(report)
    }

    /// SIGHUP: applies the file as it is now, all or nothing.
    ///
    /// # Errors
    /// No `--config`, an unreadable file or a refused line: the running
    /// configuration stays.
    pub fn reload(
        &mut self,
        engine: &mut HostEngine,
        now: Instant,
        text: &str,
    ) -> Result<ApplyReport, ConfigErr> {
        self.apply_file(engine, now, text)
    }

    /// A parent that had been deleted is back: what configured vhids on it
    /// applies again. Problems are returned as lines to report.
    pub fn reattach(&mut self, engine: &mut HostEngine, now: Instant, parent: &str) -> Vec<String> {
        let mut problems = Vec::new();
        if self.first.as_deref() == Some(parent) {
            if let Err(e) = self.apply_command_line(engine, now) {
                problems.push(e.0);
            }
        }
        if let Some(text) = self.applied.clone() {
            if let Err(e) = self.apply_file(engine, now, &text) {
                problems.push(e.0);
            }
        }
        problems
    }

    /// The `-i` parents given.
    pub fn first(&self) -> Option<&str> {
        self.first.as_deref()
    }
}

impl ConfigErr {
    fn at(self, what: &str) -> ConfigErr {
        ConfigErr(format!("{what}: {}", self.0))
    }
}

/// The interfaces a configuration text names as parents: every `carpdev`,
/// and every interface a line configures directly that `is_link` says is
/// a link of this host (FreeBSD `ifconfig em0 vhid 1 ...` and rc.conf
/// lines); carp interfaces (`carp0`) are no links. Lines that do not parse
/// name nothing (the engine reports them).
pub fn parents_named(text: &str, mut is_link: impl FnMut(&str) -> bool) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut push = |n: &str| {
        if !names.iter().any(|m| m == n) {
            names.push(n.to_owned());
        }
    };
    for line in text.lines() {
        let Ok(ConfigLine::Configure { ifname, request }) = parse_line(line) else {
            continue;
        };
        if let Some(CarpdevChange::Set(dev)) = &request.carpdev {
            push(dev.as_str());
        }
        if let Some(name) = ifname.filter(|n| is_link(n.as_str())) {
            push(name.as_str());
        }
    }
    names
}

/// The vhid the ucarp-style flags describe, as a `SIOCSVH` request:
/// addresses without `/len` get ifconfig's default (the classful mask for
/// IPv4, /64 for IPv6), as the same address in ifconfig words would.
fn ucarp_request(cli: &Cli, vhid: u8) -> Result<CarpReq, ConfigErr> {
    let vhid = Vhid::new(vhid).map_err(|e| err("--vhid", e))?;
    let pass = match (&cli.pass, &cli.passfile) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(path)) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| err(&path.display().to_string(), e))?;
            Some(text.lines().next().unwrap_or("").to_owned())
        }
        (None, None) => None,
    };
    let mut config = VhostConfig::new(vhid)
        .with_advbase(cli.advbase)
        .with_advskew(cli.advskew)
        .map_err(|e| err("--advskew", e))?
        .with_dead_ratio(cli.deadratio)
        .map_err(|e| err("--deadratio", e))?;
    if let Some(pass) = pass {
        config = config
            .with_passphrase(pass.as_bytes())
            .map_err(|e| err("--pass", e))?;
    }
    let mut lens = Vec::new();
    for text in &cli.addr {
        let (addr, len) = parse_cidr(text)?;
        config
            .add_address(addr)
            .map_err(|e| err(&format!("--addr {text}"), e))?;
        lens.push(len.unwrap_or_else(|| default_prefix_len(addr)));
    }
    let mut req = CarpReq::from_config(&config, State::Init, None);
    for (slot, len) in lens.into_iter().enumerate() {
        req.set_prefix_len(slot, len)
            .map_err(|e| err("--addr", e))?;
    }
    Ok(req)
}

/// `ADDR` or `ADDR/LEN`.
fn parse_cidr(text: &str) -> Result<(IpAddr, Option<u8>), ConfigErr> {
    let bad = || ConfigErr(format!("--addr {text:?}: not ADDR or ADDR/LEN"));
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l.parse::<u8>().map_err(|_| bad())?)),
        None => (text, None),
    };
    let addr: IpAddr = addr.parse().map_err(|_| bad())?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if len.is_some_and(|l| l > max) {
        return Err(bad());
    }
    Ok((addr, len))
}

#[cfg(test)]
mod tests;
