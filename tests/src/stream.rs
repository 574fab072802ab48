//! A TCP stream that shows what a failover does to an established
//! connection: the client sends a numbered line every few milliseconds, the
//! server acknowledges each (`ack <n>`), and the client reports every gap
//! between consecutive acknowledgements, whether the connection was reset
//! (ECONNRESET, EPIPE, or closed by the peer) and whether it stalled.
//!
//! The binary `carp-stream` (tests/src/bin) runs [`serve`] or [`client`];
//! the firewall-pair test reads its report back with [`Report::parse`].
//! Everything is bounded: the server by its lifetime, the client by its
//! duration and its stall timeout.
//!
//! Report lines (stdout, one per line, flushed as they happen; times are
//! Unix milliseconds, so a test can set them against its own clock):
//!
//! ```text
//! connected at=1764450000123
//! gap from=1764450003120 to=1764450009331 ms=6211
//! summary sent=2480 received=2479 max_gap_ms=6211 max_gap_from=... max_gap_to=... end=deadline start=... stop=... error=-
//! ```

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// How a client run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The duration ran out with the connection alive.
    Deadline,
    /// ECONNRESET or EPIPE on a read or write: the connection was reset.
    Reset,
    /// No acknowledgement for the stall timeout.
    Stalled,
    /// The server closed the connection (read returned 0).
    Closed,
    /// Any other socket error (see the summary's `error`).
    Error,
}

impl Ending {
    const NAMES: [(Ending, &'static str); 5] = [
        (Ending::Deadline, "deadline"),
        (Ending::Reset, "reset"),
        (Ending::Stalled, "stalled"),
        (Ending::Closed, "closed"),
        (Ending::Error, "error"),
    ];
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = Ending::NAMES
            .iter()
            .find(|(e, _)| e == self)
            .map_or("error", |(_, n)| n);
        f.write_str(name)
    }
}

impl FromStr for Ending {
    type Err = String;
    fn from_str(s: &str) -> Result<Ending, String> {
        Ending::NAMES
            .iter()
            .find(|(_, n)| *n == s)
            .map(|(e, _)| *e)
            .ok_or_else(|| format!("unknown ending {s:?}"))
    }
}

/// The time between two consecutive acknowledgements, in Unix ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Gap {
    /// When the earlier acknowledgement arrived.
    pub from_ms: u64,
    /// When the later one arrived.
    pub to_ms: u64,
}

impl Gap {
    /// Its length in milliseconds.
    pub fn ms(&self) -> u64 {
        self.to_ms.saturating_sub(self.from_ms)
    }
}

/// The client's last line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Lines written.
    pub sent: u64,
    /// Acknowledgements read.
    pub received: u64,
    /// The largest gap between consecutive acknowledgements.
    pub max_gap: Gap,
    /// How the run ended.
    pub end: Ending,
    /// Connection time and exit time (Unix ms).
    pub start_ms: u64,
    /// See `start_ms`.
    pub stop_ms: u64,
    /// The socket error behind [`Ending::Reset`] or [`Ending::Error`], `-`
    /// when none.
    pub error: String,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "summary sent={} received={} max_gap_ms={} max_gap_from={} max_gap_to={} end={} start={} stop={} error={}",
            self.sent,
            self.received,
            self.max_gap.ms(),
            self.max_gap.from_ms,
            self.max_gap.to_ms,
            self.end,
            self.start_ms,
            self.stop_ms,
            self.error.replace(char::is_whitespace, "_"),
        )
    }
}

/// Everything a client printed, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// When the connection was established (Unix ms).
    pub connected_ms: u64,
    /// Every gap at least the client's report threshold, in order.
    pub gaps: Vec<Gap>,
    /// The summary line.
    pub summary: Summary,
}

fn fields(line: &str) -> impl Iterator<Item = (&str, &str)> {
    line.split_whitespace().filter_map(|w| w.split_once('='))
}

fn field<'a>(line: &'a str, key: &str) -> Result<&'a str, String> {
    fields(line)
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
        .ok_or_else(|| format!("no {key}= in {line:?}"))
}

fn number(line: &str, key: &str) -> Result<u64, String> {
    field(line, key)?
        .parse()
        .map_err(|_| format!("{key}= is not a number in {line:?}"))
}

/// The `gap` lines of a client's output so far (a run still going has no
/// summary yet).
///
/// # Errors
/// A malformed gap line.
pub fn parse_gaps(text: &str) -> Result<Vec<Gap>, String> {
    text.lines()
        .filter(|l| l.starts_with("gap "))
        .map(|l| {
            Ok(Gap {
                from_ms: number(l, "from")?,
                to_ms: number(l, "to")?,
            })
        })
        .collect()
}

impl Report {
    /// Parses a client's stdout.
    ///
    /// # Errors
    /// A missing `connected` or `summary` line, or a malformed field (named).
    pub fn parse(text: &str) -> Result<Report, String> {
        let mut connected_ms = None;
        let mut summary = None;
        for line in text.lines() {
            match line.split_whitespace().next() {
                Some("connected") => connected_ms = Some(number(line, "at")?),
                Some("summary") => {
                    summary = Some(Summary {
                        sent: number(line, "sent")?,
                        received: number(line, "received")?,
                        max_gap: Gap {
                            from_ms: number(line, "max_gap_from")?,
                            to_ms: number(line, "max_gap_to")?,
                        },
                        end: field(line, "end")?.parse()?,
                        start_ms: number(line, "start")?,
                        stop_ms: number(line, "stop")?,
                        error: field(line, "error")?.to_owned(),
                    });
                }
                _ => {}
            }
        }
        Ok(Report {
            connected_ms: connected_ms.ok_or("no connected line")?,
            gaps: parse_gaps(text)?,
            summary: summary.ok_or("no summary line")?,
        })
    }

    /// The largest gap that ends at or after `from_ms` and starts at or
    /// before `to_ms` (a gap overlapping that window).
    pub fn largest_gap_within(&self, from_ms: u64, to_ms: u64) -> Option<Gap> {
        self.gaps
            .iter()
            .filter(|g| g.to_ms >= from_ms && g.from_ms <= to_ms)
            .max_by_key(|g| g.ms())
            .copied()
    }
}

/// The client's knobs.
#[derive(Debug, Clone, Copy)]
pub struct ClientConfig {
    /// The server.
    pub server: SocketAddr,
    /// Time between lines.
    pub interval: Duration,
    /// How long to run once connected.
    pub duration: Duration,
    /// No acknowledgement for this long ends the run as [`Ending::Stalled`].
    pub stall: Duration,
    /// Gaps at least this long are printed as they end.
    pub report_gap: Duration,
}

fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionAborted
    )
}

/// What the writer thread saw.
#[derive(Debug, Default)]
struct WriterState {
    sent: u64,
    error: Option<io::Error>,
}

/// Writes `<n>\n` every `interval` (on an absolute schedule, so delays do
/// not accumulate) until `stop` is set or a write fails.
fn write_lines(
    mut stream: TcpStream,
    interval: Duration,
    stop: &AtomicBool,
    state: &Mutex<WriterState>,
) {
    let start = Instant::now();
    let mut n: u64 = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        if let Err(e) = stream.write_all(format!("{n}\n").as_bytes()) {
            state.lock().unwrap_or_else(PoisonError::into_inner).error = Some(e);
            return;
        }
        state.lock().unwrap_or_else(PoisonError::into_inner).sent = n;
        let next = start + interval.saturating_mul(u32::try_from(n).unwrap_or(u32::MAX));
        thread::sleep(next.saturating_duration_since(Instant::now()));
    }
}

/// Connects to `cfg.server` (5 s timeout), streams lines and prints the
/// report to `out` (see the module docs). Returns the summary.
///
/// # Errors
/// Only the connection attempt and writes to `out`; socket errors after
/// the connection are the report's content.
pub fn client(cfg: &ClientConfig, out: &mut impl Write) -> io::Result<Summary> {
    let stream = TcpStream::connect_timeout(&cfg.server, Duration::from_secs(5))?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_millis(20)))?;
    // A write blocks only when the send buffer is full, i.e. long after a
    // stall: bound it so the writer thread always ends.
    stream.set_write_timeout(Some(cfg.stall))?;
    let start_ms = unix_ms();
    writeln!(out, "connected at={start_ms}")?;
    out.flush()?;

    let stop = Arc::new(AtomicBool::new(false));
    let writer_state = Arc::new(Mutex::new(WriterState::default()));
    let writer = {
        let (stream, stop, state) = (stream.try_clone()?, stop.clone(), writer_state.clone());
        let interval = cfg.interval;
        thread::spawn(move || write_lines(stream, interval, &stop, &state))
    };

    let started = Instant::now();
    let mut reader = stream.try_clone()?;
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = [0u8; 4096];
    let mut received: u64 = 0;
    let mut last: Option<(Instant, u64)> = None;
    let mut max_gap = Gap::default();
    let mut error = String::from("-");
    let end = loop {
        let now = Instant::now();
        if now.duration_since(started) >= cfg.duration {
            break Ending::Deadline;
        }
        let since = last.map_or(started, |(t, _)| t);
        if now.duration_since(since) >= cfg.stall {
            break Ending::Stalled;
        }
        if let Some(e) = writer_state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .error
            .take()
        {
            error = e.to_string();
            break if is_reset(&e) {
                Ending::Reset
            } else {
                Ending::Error
            };
        }
        let n = match reader.read(&mut buf) {
            Ok(0) => break Ending::Closed,
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                continue
            }
            Err(e) => {
                error = e.to_string();
                break if is_reset(&e) {
                    Ending::Reset
                } else {
                    Ending::Error
                };
            }
        };
        pending.extend_from_slice(buf.get(..n).unwrap_or_default());
        let (arrived, arrived_ms) = (Instant::now(), unix_ms());
        let lines = pending.iter().filter(|&&b| b == b'\n').count();
        if lines == 0 {
            continue;
        }
        if let Some(cut) = pending.iter().rposition(|&b| b == b'\n') {
            pending.drain(..=cut);
        }
        received += lines as u64;
        if let Some((t, t_ms)) = last {
            let gap = Gap {
                from_ms: t_ms,
                to_ms: arrived_ms,
            };
            if arrived.duration_since(t) >= cfg.report_gap {
                writeln!(
                    out,
                    "gap from={} to={} ms={}",
                    gap.from_ms,
                    gap.to_ms,
                    gap.ms()
                )?;
                out.flush()?;
            }
            if gap.ms() > max_gap.ms() {
                max_gap = gap;
            }
        }
        last = Some((arrived, arrived_ms));
    };
    stop.store(true, Ordering::Relaxed);
    let _ = stream.shutdown(Shutdown::Both);
    let _ = writer.join();
    let sent = writer_state
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .sent;
    let summary = Summary {
        sent,
        received,
        max_gap,
        end,
        start_ms,
        stop_ms: unix_ms(),
        error,
    };
    writeln!(out, "{summary}")?;
    out.flush()?;
    Ok(summary)
}

/// Acknowledges every line of one connection with `ack <line>` until the
/// peer closes it or a socket error.
fn acknowledge(stream: TcpStream) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = stream;
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        pending.extend_from_slice(buf.get(..n).unwrap_or_default());
        let Some(cut) = pending.iter().rposition(|&b| b == b'\n') else {
            continue;
        };
        let mut reply = Vec::with_capacity(cut + 8);
        for line in pending
            .get(..cut)
            .unwrap_or_default()
            .split(|&b| b == b'\n')
        {
            reply.extend_from_slice(b"ack ");
            reply.extend_from_slice(line);
            reply.push(b'\n');
        }
        pending.drain(..=cut);
        if writer.write_all(&reply).is_err() {
            return;
        }
    }
}

/// Accepts connections on `listener` for `lifetime`, acknowledging each on
/// its own thread; returns when the lifetime is over (connection threads
/// end with their connections or the process).
///
/// # Errors
/// Errors of the listener itself.
pub fn serve(listener: &TcpListener, lifetime: Duration) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let deadline = Instant::now() + lifetime;
    while Instant::now() < deadline {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false)?;
                let _ = stream.set_nodelay(true);
                thread::spawn(move || acknowledge(stream));
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_parses_back() {
        let summary = Summary {
            sent: 10,
            received: 9,
            max_gap: Gap {
                from_ms: 1000,
                to_ms: 1250,
            },
            end: Ending::Stalled,
            start_ms: 900,
            stop_ms: 2000,
            error: "-".to_owned(),
        };
        let text = format!(
            "connected at=900\ngap from=1000 to=1250 ms=250\ngap from=1300 to=1400 ms=100\n{summary}\n"
        );
        let report = Report::parse(&text).unwrap();
        assert_eq!(report.connected_ms, 900);
        assert_eq!(report.gaps.len(), 2);
        assert_eq!(report.summary, summary);
        assert_eq!(
            report.largest_gap_within(1260, 5000).map(|g| g.ms()),
            Some(100)
        );
        assert_eq!(
            report.largest_gap_within(0, 5000).map(|g| g.ms()),
            Some(250)
        );
        assert!(Report::parse("connected at=1\n").is_err());
    }

    #[test]
    fn a_stream_over_loopback_is_acknowledged_line_by_line() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = listener.local_addr().unwrap();
        let serving = thread::spawn(move || serve(&listener, Duration::from_secs(3)));
        let cfg = ClientConfig {
            server,
            interval: Duration::from_millis(10),
            duration: Duration::from_millis(500),
            stall: Duration::from_secs(2),
            report_gap: Duration::from_secs(1),
        };
        let mut out = Vec::new();
        let summary = client(&cfg, &mut out).unwrap();
        assert_eq!(summary.end, Ending::Deadline);
        // 500 ms at one line per 10 ms (fewer on a loaded machine); the
        // last ones may still be unanswered at the deadline.
        assert!(summary.sent >= 10, "{summary}");
        assert!(
            summary.received > 0 && summary.received <= summary.sent,
            "{summary}"
        );
        let report = Report::parse(&String::from_utf8(out).unwrap()).unwrap();
        assert_eq!(report.summary, summary);
        serving.join().unwrap().unwrap();
    }

    #[test]
    fn a_refused_write_after_the_server_dies_is_a_reset_or_close() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = listener.local_addr().unwrap();
        // Accept one connection, then drop it with unread data: the kernel
        // answers with RST.
        let killer = thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            thread::sleep(Duration::from_millis(100));
            let mut b = [0u8; 1];
            let _ = s.read(&mut b);
        });
        let cfg = ClientConfig {
            server,
            interval: Duration::from_millis(10),
            duration: Duration::from_secs(3),
            stall: Duration::from_secs(2),
            report_gap: Duration::from_secs(1),
        };
        let summary = client(&cfg, &mut Vec::new()).unwrap();
        killer.join().unwrap();
        assert!(
            matches!(summary.end, Ending::Reset | Ending::Closed),
            "{summary}"
        );
    }
}
