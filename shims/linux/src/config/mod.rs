//! From flags, words and files to the list of vhids carpd runs.
//!
//! Everything is parsed and validated here, before any of it touches the
//! running daemon, so a reload either applies a whole new configuration or
//! nothing.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;

use carp_core::{State, Vhid, VhostConfig};
use carp_ctl::{parse_line, parse_word_iter, CarpdevChange, ConfigLine, IfconfigRequest};
use carp_sysctl::Sysctl;

use crate::cli::Cli;

/// One vhid to run, with what [`VhostConfig`] does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VhostSpec {
    /// The protocol configuration.
    pub config: VhostConfig,
    /// Prefix length of each virtual address (for the kernel).
    pub prefixes: Vec<(IpAddr, u8)>,
    /// `state ...` asked for, applied after the vhid starts.
    pub state: Option<State>,
    /// `down` asked for: configured but administratively down.
    pub down: bool,
}

impl VhostSpec {
    fn new(config: VhostConfig) -> VhostSpec {
        VhostSpec {
            config,
            prefixes: Vec::new(),
            state: None,
            down: false,
        }
    }

    /// The prefix length for `addr`: as given, else /32 or /128.
    pub fn prefix_len(&self, addr: IpAddr) -> u8 {
        self.prefixes
            .iter()
            .find(|(a, _)| *a == addr)
            .map_or(if addr.is_ipv4() { 32 } else { 128 }, |(_, l)| *l)
    }

    fn merge(&mut self, req: &IfconfigRequest) -> Result<(), ConfigErr> {
        self.config = req.apply(&self.config).map_err(ConfigErr::words)?;
        for spec in &req.addresses {
            self.prefixes.retain(|(a, _)| *a != spec.addr);
            if let Some(len) = spec.prefix_len {
                self.prefixes.push((spec.addr, len));
            }
        }
        self.prefixes
            .retain(|(a, _)| self.config.addresses().contains(a));
        if req.state.is_some() {
            self.state = req.state;
        }
        if let Some(up) = req.up {
            self.down = !up;
        }
        Ok(())
    }
}

/// A configuration problem, with where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErr(pub String);

impl ConfigErr {
    fn words(e: impl fmt::Display) -> ConfigErr {
        ConfigErr(e.to_string())
    }

    fn at(self, what: &str) -> ConfigErr {
        ConfigErr(format!("{what}: {}", self.0))
    }
}

impl fmt::Display for ConfigErr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigErr {}

/// The vhids and knobs one source (command line or file) asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Desired {
    /// The vhids, in vhid order, each once.
    pub vhosts: Vec<VhostSpec>,
    /// sysctl lines (`net.inet.carp.preempt=1`), validated.
    pub sysctl_lines: Vec<String>,
}

impl Desired {
    fn spec_mut(&mut self, vhid: Vhid) -> &mut VhostSpec {
        let at = match self.vhosts.binary_search_by_key(&vhid, |v| v.config.vhid) {
            Ok(at) => at,
            Err(at) => {
                self.vhosts
                    .insert(at, VhostSpec::new(VhostConfig::new(vhid)));
                at
            }
        };
        &mut self.vhosts[at]
    }

    /// Applies one ifconfig request; `name` is the interface the line names
    /// (a `carpN` remembers its vhid for later lines without one).
    fn apply_request(
        &mut self,
        parent: &str,
        name: Option<&str>,
        names: &mut Vec<(String, Vhid)>,
        req: &IfconfigRequest,
    ) -> Result<(), ConfigErr> {
        if let Some(CarpdevChange::Set(dev)) = &req.carpdev {
            if dev.as_str() != parent {
                return Err(ConfigErr(format!(
                    "carpdev {} is not this daemon's interface {parent}",
                    dev.as_str()
                )));
            }
        }
        let by_name = name.filter(|n| *n != parent);
        let vhid = match (req.vhid, by_name) {
            (Some(v), Some(n)) => {
                names.retain(|(k, _)| k != n);
                names.push((n.to_owned(), v));
                v
            }
            (Some(v), None) => v,
            (None, Some(n)) => names
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| *v)
                .ok_or_else(|| ConfigErr(format!("{n}: no vhid given")))?,
            (None, None) => return Err(ConfigErr("no vhid given".into())),
        };
        self.spec_mut(vhid).merge(req)
    }

    /// Parses a whole config file's text, all or nothing.
    ///
    /// # Errors
    /// The first bad line, with its number.
    pub fn from_file_text(parent: &str, text: &str) -> Result<Desired, ConfigErr> {
        let mut desired = Desired::default();
        let mut names = Vec::new();
        let scratch = Sysctl::new();
        for (n, line) in text.lines().enumerate() {
            let at = |e: ConfigErr| e.at(&format!("line {}", n + 1));
            match parse_line(line).map_err(|e| at(ConfigErr::words(e)))? {
                ConfigLine::Blank | ConfigLine::Create { .. } | ConfigLine::Cloned { .. } => {}
                ConfigLine::Destroy { .. } => {}
                ConfigLine::Configure { ifname, request } => desired
                    .apply_request(
                        parent,
                        ifname.as_ref().map(|i| i.as_str()),
                        &mut names,
                        &request,
                    )
                    .map_err(at)?,
                ConfigLine::NotMine { line } => {
                    scratch
                        .set_line(line)
                        .map_err(|e| at(ConfigErr::words(e)))?;
                    desired.sysctl_lines.push(line.to_owned());
                }
            }
        }
        Ok(desired)
    }

    /// Reads and parses a config file.
    ///
    /// # Errors
    /// Unreadable file or a bad line.
    pub fn from_file(parent: &str, path: &Path) -> Result<Desired, ConfigErr> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigErr(format!("{}: {e}", path.display())))?;
        Desired::from_file_text(parent, &text).map_err(|e| e.at(&path.display().to_string()))
    }

    /// The vhids and knobs of the command line: the ucarp flags (when
    /// `--vhid` is given) and the words after `--`.
    ///
    /// # Errors
    /// A bad flag value or word.
    pub fn from_cli(cli: &Cli) -> Result<Desired, ConfigErr> {
        let mut desired = Desired::default();
        let scratch = Sysctl::new();
        for line in &cli.sysctl {
            scratch
                .set_line(line)
                .map_err(|e| ConfigErr(format!("--sysctl {line}: {e}")))?;
            desired.sysctl_lines.push(line.clone());
        }
        if cli.preempt {
            desired.sysctl_lines.push("net.inet.carp.preempt=1".into());
        }
        if let Some(vhid) = cli.vhid {
            let spec = ucarp_spec(cli, vhid).map_err(|e| e.at("flags"))?;
            let vhid = spec.config.vhid;
            *desired.spec_mut(vhid) = spec;
        } else if !cli.addr.is_empty() || cli.pass.is_some() {
            return Err(ConfigErr("--addr and --pass need --vhid".into()));
        }
        if !cli.words.is_empty() {
            let req = parse_word_iter(cli.words.iter().map(String::as_str))
                .map_err(|e| ConfigErr::words(e).at("words"))?;
            let mut names = Vec::new();
            desired
                .apply_request(&cli.interface, None, &mut names, &req)
                .map_err(|e| e.at("words"))?;
            if let Some(spec) = desired
                .vhosts
                .iter_mut()
                .find(|v| Some(v.config.vhid) == req.vhid)
            {
                spec.config = spec
                    .config
                    .clone()
                    .with_dead_ratio(cli.deadratio)
                    .map_err(ConfigErr::words)?;
            }
        }
        Ok(desired)
    }

    /// Command line and file together: the file's vhids replace the
    /// command line's of the same number.
    pub fn merged(mut self, file: Desired) -> Desired {
        for spec in file.vhosts {
            self.vhosts.retain(|v| v.config.vhid != spec.config.vhid);
            self.vhosts.push(spec);
        }
        self.vhosts.sort_by_key(|v| v.config.vhid);
        self.sysctl_lines.extend(file.sysctl_lines);
        self
    }
}

/// The vhid the ucarp-style flags describe.
fn ucarp_spec(cli: &Cli, vhid: u8) -> Result<VhostSpec, ConfigErr> {
    let vhid = Vhid::new(vhid).map_err(ConfigErr::words)?;
    let pass = match (&cli.pass, &cli.passfile) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigErr(format!("{}: {e}", path.display())))?;
            Some(text.lines().next().unwrap_or("").to_owned())
        }
        (None, None) => None,
    };
    let mut config = VhostConfig::new(vhid)
        .with_advbase(cli.advbase)
        .with_advskew(cli.advskew)
        .map_err(ConfigErr::words)?
        .with_dead_ratio(cli.deadratio)
        .map_err(ConfigErr::words)?;
    if let Some(pass) = pass {
        config = config
            .with_passphrase(pass.as_bytes())
            .map_err(ConfigErr::words)?;
    }
    let mut spec = VhostSpec::new(config);
    for text in &cli.addr {
        let (addr, len) = parse_cidr(text)?;
        spec.config.add_address(addr).map_err(ConfigErr::words)?;
        if let Some(len) = len {
            spec.prefixes.push((addr, len));
        }
    }
    Ok(spec)
}

/// `ADDR` or `ADDR/LEN`.
fn parse_cidr(text: &str) -> Result<(IpAddr, Option<u8>), ConfigErr> {
    let bad = || ConfigErr(format!("bad address {text:?}"));
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
