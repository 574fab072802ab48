//! `carpctl`: control a running carpd, and check a configuration file
//! without running one.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use carp_core::Instant;
use carp_ifnet::driver::{LinkState, ParentInfo};
use carp_ifnet::lladdr::MacAddr;
use clap::{Parser, Subcommand};

use crate::control::client::call;
use crate::control::handler::HostEngine;
use crate::control::metrics::prometheus;
use crate::control::protocol::{Request, Response};
use crate::control::{DEFAULT_SOCKET, SOCKET_ENV};

/// carpctl: control a running carpd (CARP on Linux).
///
/// Talks to carpd over its control socket (root only). Every change goes
/// through carpd's control engine whole or not at all: a refused change
/// says why and leaves carpd exactly as it was.
///
/// Examples:
///
///   carpctl status                     ifconfig-style status of every vhid
///   carpctl ifconfig carp0 advskew 200 change a vhid as ifconfig would
///   carpctl state carp0 master         take over now (backup: leave)
///   carpctl demote +50 maintenance     make this host less preferred
///   carpctl sysctl preempt=1           set a net.inet.carp knob
///   carpctl stats --prometheus         counters for node_exporter
///   carpctl check /etc/carpd.conf      test a file without running it
#[derive(Debug, Parser)]
#[command(name = "carpctl", version, verbatim_doc_comment)]
pub struct Cli {
    /// carpd's control socket (also $CARPD_SOCKET).
    #[arg(short = 's', long = "socket", value_name = "PATH", global = true)]
    pub socket: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// carpctl's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show every carp interface and vhid as BSD ifconfig does, then the
    /// host's demote count.
    Status {
        /// Only this carp interface (carp0) or parent (eth0).
        target: Option<String>,
        /// Print JSON instead.
        #[arg(long)]
        json: bool,
    },
    /// Change a carp interface or a parent's vhid with ifconfig words
    /// (`advskew 200`, `vhid 1 pass x 192.0.2.100/24`, `down`, `up`).
    Ifconfig {
        /// A carp interface (carp0, OpenBSD) or a parent (eth0, FreeBSD,
        /// with `vhid N` among the words).
        target: String,
        /// The words.
        #[arg(required = true, num_args = 1.., allow_hyphen_values = true)]
        words: Vec<String>,
    },
    /// Force a vhid's state (BSD ifconfig's `state`): `master` takes over
    /// now, `backup` leaves master (a peer takes over at its master-down).
    State {
        /// A carp interface or a parent.
        target: String,
        /// backup or master.
        state: String,
        /// The vhid, when the target is a parent.
        #[arg(long)]
        vhid: Option<u8>,
    },
    /// Change the administrator's demote count: +N adds, -N subtracts, N
    /// sets (0-255); a demoted host is less preferred as master.
    Demote {
        /// +N, -N or N.
        #[arg(allow_hyphen_values = true)]
        value: String,
        /// Why (logged, and in the demotion event).
        #[arg(num_args = 0.., allow_hyphen_values = true)]
        reason: Vec<String>,
    },
    /// Show every net.inet.carp knob, one (`preempt`), or set one
    /// (`preempt=1`; a `demotion` write adds, as FreeBSD).
    Sysctl {
        /// NAME or NAME=VALUE.
        line: Option<String>,
    },
    /// Show the counters as `netstat -s -p carp` does.
    Stats {
        /// Print JSON instead.
        #[arg(long, conflicts_with = "prometheus")]
        json: bool,
        /// Print the Prometheus text format (node_exporter's textfile
        /// collector).
        #[arg(long)]
        prometheus: bool,
    },
    /// Re-read carpd's configuration file (as SIGHUP), all or nothing.
    Reload,
    /// Check a configuration file without running it (like keepalived
    /// -t): applied to a scratch engine with this host's interfaces.
    Check {
        /// The file.
        file: PathBuf,
        /// The parent that lines naming no interface apply to (carpd -i).
        #[arg(short = 'i', long = "interface", value_name = "IF")]
        interface: Option<String>,
    },
}

/// carpctl's `main`.
pub fn main_with_args() -> ExitCode {
    let cli = Cli::parse();
    let socket = cli
        .socket
        .clone()
        .or_else(|| std::env::var_os(SOCKET_ENV).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SOCKET));
    let (request, format) = match cli.command {
        Command::Check { file, interface } => return check(&file, interface.as_deref()),
        Command::Status { target, json } => (Request::Status { target }, json_or_text(json)),
        Command::Ifconfig { target, words } => (
            Request::Ifconfig {
                target,
                words: words.join(" "),
            },
            Format::Text,
        ),
        Command::State {
            target,
            state,
            vhid,
        } => (
            Request::State {
                target,
                vhid,
                state,
            },
            Format::Text,
        ),
        Command::Demote { value, reason } => (
            Request::Demote {
                value,
                reason: (!reason.is_empty()).then(|| reason.join(" ")),
            },
            Format::Text,
        ),
        Command::Sysctl { line } => (Request::Sysctl { line }, Format::Text),
        Command::Stats { json, prometheus } => (
            Request::Stats {},
            if prometheus {
                Format::Prometheus
            } else {
                json_or_text(json)
            },
        ),
        Command::Reload => (Request::Reload {}, Format::Text),
    };
    match call(&socket, &request) {
        Ok(response) => print(&response, format),
        Err(e) => {
            eprintln!("carpctl: {e}");
            ExitCode::from(2)
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Format {
    Text,
    Json,
    Prometheus,
}

fn json_or_text(json: bool) -> Format {
    if json {
        Format::Json
    } else {
        Format::Text
    }
}

fn print(response: &Response, format: Format) -> ExitCode {
    if !response.ok {
        eprintln!(
            "carpctl: refused, nothing changed: {}",
            response.error.as_deref().unwrap_or("no reason given")
        );
        return ExitCode::FAILURE;
    }
    let out = match (format, &response.data) {
        (Format::Json, Some(data)) => format!("{data:#}\n"),
        (Format::Prometheus, Some(data)) => prometheus(data),
        _ => response.text.clone().unwrap_or_default(),
    };
    let _ = std::io::stdout().write_all(out.as_bytes());
    ExitCode::SUCCESS
}

/// This host's interfaces as parents: name, MAC and MTU from
/// `/sys/class/net`, every link taken as up (the check is of the file).
fn host_engine() -> Box<HostEngine> {
    let mut engine = Box::new(HostEngine::new(Vec::new()));
    let Ok(dir) = std::fs::read_dir("/sys/class/net") else {
        return engine;
    };
    let mut names: Vec<String> = dir
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    for name in names {
        let read = |what: &str| std::fs::read_to_string(format!("/sys/class/net/{name}/{what}"));
        let mac = read("address")
            .ok()
            .and_then(|m| MacAddr::parse(m.trim()))
            .unwrap_or(MacAddr([2, 0, 0, 0, 0, 1]));
        let mut info = ParentInfo::ethernet(mac);
        if let Some(mtu) = read("mtu").ok().and_then(|m| m.trim().parse().ok()) {
            info.mtu = mtu;
        }
        let _ = engine.add_parent(&name, info, LinkState::Up);
    }
    engine
}

/// `carpctl check FILE`: the file applied to a scratch engine; prints the
/// status it would give, or the first refusal with its line.
fn check(file: &std::path::Path, interface: Option<&str>) -> ExitCode {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("carpctl: {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let mut engine = host_engine();
    match engine.apply_config(Instant::ZERO, &text, interface) {
        Ok(report) => {
            let mut status = String::new();
            engine.status_all(&mut status);
            println!(
                "{}: ok ({} vhids and carp interfaces, {} knobs)",
                file.display(),
                report.added,
                report.knobs
            );
            print!("{status}");
            for w in crate::advice::warnings(&engine) {
                eprintln!("carpctl: warning: {w}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("carpctl: {}: {e}", file.display());
            ExitCode::FAILURE
        }
    }
}
