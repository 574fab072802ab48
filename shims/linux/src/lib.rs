//! carpd: carp on real Linux interfaces.
//!
//! One [`carp_ctl::Engine`] for the host ([`engine`]): its parents, each an
//! AF_PACKET socket ([`packet`], [`driver`]; adverts to unicast peers
//! through raw IP sockets, [`ip_send`]) kept in step with the kernel
//! through rtnetlink ([`links`], [`netlink`], [`monitor`]), and one `net.inet.carp`
//! tree, driven by the CLOCK_MONOTONIC deadlines it asks for ([`daemon`]).
//! Every configuration source is a request to that engine ([`cli`],
//! [`config`]). Per vhid, a macvlan owns the virtual MAC and carries the
//! virtual addresses while MASTER ([`vmac`], [`addresses`]), under a lock
//! file ([`lock`]); the parents' ARP settings are set so that only the
//! virtual MAC answers ([`hostconf`]). Every event is a JSON line and
//! ucarp-style up/down scripts run ([`events`], [`event_sink`],
//! [`scripts`]); an interface group's hook runs once per group transition
//! ([`hook`]). Each packet socket carries a kernel filter generated from
//! its parent's vhids ([`filter`]); macvlans keep no broadcast queue
//! ([`macvlan`]). An operator steers a running carpd with `carpctl`
//! ([`carpctl`]) over a root-only socket ([`control`]); the log goes to the
//! journal, syslog or stderr ([`logging`]), with what a misconfiguration
//! looks like ([`reject_log`], [`advice`]); ucarp's command line carries
//! over ([`ucarp`]).
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod addresses;
pub mod advice;
pub mod carpctl;
pub mod cli;
pub mod config;
pub mod control;
pub mod daemon;
pub mod demotion_watch;
pub mod driver;
pub mod engine;
pub mod event_sink;
pub mod events;
pub mod filter;
pub mod hook;
pub mod hostconf;
pub mod ip_send;
pub mod links;
pub mod lock;
pub mod logging;
pub mod macvlan;
pub mod monitor;
pub mod netlink;
pub mod packet;
pub mod reject_log;
pub mod scripts;
pub mod syncdev;
pub mod ucarp;
pub mod vmac;

use std::process::ExitCode;

use clap::Parser;

/// `carpd`'s `main`: parse the command line, refuse what carp cannot do,
/// install the logger, detach with `-B`, start, tell systemd it is ready,
/// run until told to leave.
pub fn main_with_args() -> ExitCode {
    let cli = cli::Cli::parse();
    let warnings = match ucarp::check(&cli) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("carpd: {e}");
            return ExitCode::FAILURE;
        }
    };
    let backend = match logging::Backend::choose(cli.facility.as_deref(), cli.daemonize) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("carpd: {e}");
            return ExitCode::FAILURE;
        }
    };
    if cli.daemonize {
        // ucarp -B: detach before any thread exists.
        if let Err(e) = nix::unistd::daemon(false, false) {
            eprintln!("carpd: -B: {e}");
            return ExitCode::FAILURE;
        }
    }
    if let Err(e) = logging::install(backend, cli.debug) {
        eprintln!("carpd: {e}");
        return ExitCode::FAILURE;
    }
    for w in warnings {
        log::warn!(target: "carpd", "{w}");
    }
    let mut daemon = match daemon::Daemon::start(cli) {
        Ok(d) => d,
        Err(e) => {
            log::error!(target: "carpd", "{e}");
            return ExitCode::FAILURE;
        }
    };
    // systemd's Type=notify: ready once the vhids run (a no-op elsewhere).
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
    let result = daemon.run();
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!(target: "carpd", "{e}");
            ExitCode::FAILURE
        }
    }
}
