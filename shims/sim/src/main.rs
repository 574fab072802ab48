//! `carp-sim`: run a scenario on the simulated LAN and print what happened.
//!
//! With no arguments it runs the bundled failover scenario.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use carp_sim::report::Report;
use carp_sim::scenario::{Scenario, FAILOVER};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "carp-sim",
    about = "Deterministic simulated LAN for carp; with no arguments runs the failover demo"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario file.
    Run {
        /// The scenario (TOML).
        file: PathBuf,
        /// Write every frame on the segment to this pcap file.
        #[arg(long)]
        pcap: Option<PathBuf>,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Print JSON lines instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn run(
    text: &str,
    origin: &str,
    pcap: Option<PathBuf>,
    seed: Option<u64>,
    json: bool,
) -> Result<(), String> {
    let scenario = Scenario::from_toml(text).map_err(|e| format!("{origin}: {e}"))?;
    let seed = seed.unwrap_or(scenario.seed);
    let lan = scenario.run(Some(seed))?;
    if let Some(path) = pcap {
        let file = File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        lan.write_pcap(BufWriter::new(file))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let report = Report::new(&lan, seed);
    let out = if json {
        report.json_lines()
    } else {
        report.text()
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("stdout: {e}"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => {
            println!("carp-sim: bundled failover scenario (scenarios/failover.toml)\n");
            run(FAILOVER, "failover.toml", None, None, false)
        }
        Some(Command::Run {
            file,
            pcap,
            seed,
            json,
        }) => match std::fs::read_to_string(&file) {
            Ok(text) => run(&text, &file.display().to_string(), pcap, seed, json),
            Err(e) => Err(format!("{}: {e}", file.display())),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("carp-sim: {e}");
            ExitCode::FAILURE
        }
    }
}
