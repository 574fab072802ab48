//! carpd: carp on a real Linux interface.
//!
//! The carp-ifnet [`CarpIf`](carp_ifnet::carpif::CarpIf) over an AF_PACKET
//! socket on the parent interface ([`packet`], [`driver`]), driven by the
//! CLOCK_MONOTONIC deadlines it asks for ([`daemon`]), with the virtual
//! addresses put on a macvlan owning the virtual MAC through rtnetlink while
//! MASTER ([`netlink`]). Configured by ucarp-compatible flags, ifconfig words
//! or a file ([`cli`], [`config`]); reports every event as a JSON line and
//! runs ucarp-style up/down scripts ([`hooks`]).
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod cli;
pub mod config;
pub mod daemon;
pub mod driver;
pub mod filter;
pub mod hooks;
pub mod macvlan;
pub mod netlink;
pub mod packet;

use std::process::ExitCode;

use clap::Parser;

/// `carpd`'s `main`: parse the command line, run until told to leave.
pub fn main_with_args() -> ExitCode {
    let cli = cli::Cli::parse();
    let mut daemon = match daemon::Daemon::start(cli) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("carpd: {e}");
            return ExitCode::FAILURE;
        }
    };
    match daemon.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("carpd: {e}");
            ExitCode::FAILURE
        }
    }
}
