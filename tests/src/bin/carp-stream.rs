//! `carp-stream serve <addr:port> <seconds>`: acknowledges every line of
//! every connection (`ack <line>`) for `seconds`.
//!
//! `carp-stream client <addr:port> <seconds> [stall-ms] [interval-ms]
//! [report-gap-ms]`: sends a numbered line every `interval-ms` (10) for
//! `seconds`, ends early when no acknowledgement came for `stall-ms`
//! (5000), prints every gap of at least `report-gap-ms` (100) between
//! consecutive acknowledgements and a summary (format in
//! `carp_tests::stream`). Exits 0 when the run reached its deadline, 1 on a
//! reset, close, stall or socket error, 2 on bad arguments or no
//! connection.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;
use std::time::Duration;

use carp_tests::stream::{client, serve, ClientConfig, Ending};

fn usage() -> ExitCode {
    eprintln!(
        "usage: carp-stream serve <addr:port> <seconds>\n       \
         carp-stream client <addr:port> <seconds> [stall-ms] [interval-ms] [report-gap-ms]"
    );
    ExitCode::from(2)
}

fn millis(arg: Option<&String>, default: u64) -> Option<Duration> {
    arg.map_or(Some(default), |a| a.parse().ok())
        .filter(|&ms| ms > 0)
        .map(Duration::from_millis)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(mode), Some(addr), Some(seconds)) = (args.first(), args.get(1), args.get(2)) else {
        return usage();
    };
    let (Ok(addr), Ok(seconds)) = (addr.parse::<SocketAddr>(), seconds.parse::<u64>()) else {
        return usage();
    };
    let lifetime = Duration::from_secs(seconds);
    match mode.as_str() {
        "serve" => {
            let served = TcpListener::bind(addr).and_then(|l| serve(&l, lifetime));
            if let Err(e) = served {
                eprintln!("carp-stream: serve {addr}: {e}");
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        "client" => {
            let (Some(stall), Some(interval), Some(report_gap)) = (
                millis(args.get(3), 5000),
                millis(args.get(4), 10),
                millis(args.get(5), 100),
            ) else {
                return usage();
            };
            let cfg = ClientConfig {
                server: addr,
                interval,
                duration: lifetime,
                stall,
                report_gap,
            };
            match client(&cfg, &mut io::stdout().lock()) {
                Ok(s) if s.end == Ending::Deadline => ExitCode::SUCCESS,
                Ok(_) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("carp-stream: client {addr}: {e}");
                    ExitCode::from(2)
                }
            }
        }
        _ => usage(),
    }
}
