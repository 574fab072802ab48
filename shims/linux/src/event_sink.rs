//! The `--events` stream: one JSON line per event (the schema of
//! `docs/events.md`, written by [`carp_ctl::EventLine`]), to stdout, a file
//! (appended) or a FIFO.
//!
//! A reader that does not keep up never slows carpd: lines wait in a
//! bounded queue ([`QUEUE_LINES`]) for a writer thread; when the queue is
//! full a line is dropped and counted, and the next line that gets through
//! is preceded by a `dropped` line with the count. A FIFO without a reader
//! holds only the writer thread (lines are dropped and counted meanwhile);
//! a reader that goes away is waited for again. Shutdown waits for the
//! queue to drain, but never past its deadline ([`EventSink::finish`]).
//!
//! A path that cannot be written is reported at start, not at the first
//! event.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::SystemTime;

use carp_core::Event;
use carp_ctl::{EventBody, EventLine};

/// Lines the queue holds before it drops.
pub const QUEUE_LINES: usize = 4096;

/// Now on the wall clock, RFC 3339 in UTC with µs
/// (`2026-03-01T10:00:03.039062Z`): the `time` of every line.
pub fn wall_time() -> String {
    humantime::format_rfc3339_micros(SystemTime::now()).to_string()
}

/// The line for a vhost's event on parent `interface` (carp interface
/// `carp` when it has a name), with the wall-clock time now; `None` for
/// event kinds the schema does not know.
pub fn event_text(interface: &str, carp: Option<&str>, event: &Event) -> Option<String> {
    let time = wall_time();
    let mut line = EventLine::of_event(interface, event)?;
    line.time = Some(&time);
    line.carp = carp;
    Some(line.to_string())
}

/// A host-wide line (`demotion`, `daemon`, `refused`) at monotonic
/// `at_us`, with the wall-clock time now.
pub fn host_text(at_us: u64, body: EventBody<'_>) -> String {
    let time = wall_time();
    let mut line = EventLine::host_wide(at_us, body);
    line.time = Some(&time);
    line.to_string()
}

/// Where the lines go.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Destination {
    Stdout,
    File(PathBuf),
    Fifo(PathBuf),
}

impl Destination {
    /// Checks `path` now, so a bad one is reported at start.
    fn check(path: Option<&Path>) -> io::Result<(Destination, Option<File>)> {
        let Some(path) = path else {
            return Ok((Destination::Stdout, None));
        };
        let bad =
            |e: io::Error| io::Error::new(e.kind(), format!("--events {}: {e}", path.display()));
        match std::fs::metadata(path) {
            Ok(m) if m.file_type().is_fifo() => {
                // Without a reader yet, a non-blocking open says ENXIO:
                // that is fine, the writer waits for one. Anything else
                // (permissions) is not.
                match OpenOptions::new()
                    .write(true)
                    .custom_flags(libc::O_NONBLOCK)
                    .open(path)
                {
                    Ok(_) => {}
                    Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {}
                    Err(e) => return Err(bad(e)),
                }
                Ok((Destination::Fifo(path.to_owned()), None))
            }
            Ok(m) if m.is_dir() => Err(bad(io::Error::other("is a directory"))),
            _ => {
                let f = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(bad)?;
                Ok((Destination::File(path.to_owned()), Some(f)))
            }
        }
    }

    /// Opens it for the writer (a FIFO: blocks until a reader comes).
    fn open(&self) -> io::Result<Box<dyn Write + Send>> {
        Ok(match self {
            Destination::Stdout => Box::new(io::stdout()),
            Destination::File(p) => Box::new(OpenOptions::new().create(true).append(true).open(p)?),
            Destination::Fifo(p) => Box::new(OpenOptions::new().write(true).open(p)?),
        })
    }
}

/// The event stream of a running carpd.
#[derive(Debug)]
pub struct EventSink {
    tx: Option<SyncSender<String>>,
    dropped: Arc<AtomicU64>,
    done: Receiver<()>,
}

impl EventSink {
    /// Starts the stream to `path` (stdout when `None`).
    ///
    /// # Errors
    /// A path that cannot be written (a directory, no permission, a
    /// missing directory), naming `--events` and the path.
    pub fn open(path: Option<&Path>) -> io::Result<EventSink> {
        let (destination, file) = Destination::check(path)?;
        let (tx, rx) = sync_channel::<String>(QUEUE_LINES);
        let (done_tx, done) = sync_channel::<()>(1);
        let dropped = Arc::new(AtomicU64::new(0));
        let lost = Arc::clone(&dropped);
        std::thread::Builder::new()
            .name("carpd-events".into())
            .spawn(move || {
                let mut out: Option<Box<dyn Write + Send>> =
                    file.map(|f| Box::new(f) as Box<dyn Write + Send>);
                for line in rx {
                    if out.is_none() {
                        out = destination.open().ok();
                    }
                    let Some(w) = out.as_mut() else {
                        lost.fetch_add(1, Ordering::Relaxed);
                        continue;
                    };
                    let n = lost.swap(0, Ordering::Relaxed);
                    let mut text = String::new();
                    if n > 0 {
                        text = host_text(
                            crate::engine::now().micros(),
                            EventBody::Dropped { count: n },
                        );
                        text.push('\n');
                    }
                    text.push_str(&line);
                    text.push('\n');
                    if w.write_all(text.as_bytes())
                        .and_then(|()| w.flush())
                        .is_err()
                    {
                        // The reader went away (EPIPE): wait for the next.
                        lost.fetch_add(n + 1, Ordering::Relaxed);
                        out = None;
                    }
                }
                let _ = done_tx.send(());
            })?;
        Ok(EventSink {
            tx: Some(tx),
            dropped,
            done,
        })
    }

    /// Queues one line; never blocks. A full queue drops it (counted).
    pub fn send(&self, line: String) {
        let Some(tx) = &self.tx else { return };
        match tx.try_send(line) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Lines dropped and not yet reported by a `dropped` line.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Stops taking lines and waits for the queue to drain, at most until
    /// `deadline`; true when everything was written. A writer still stuck
    /// (a FIFO nobody reads) is left behind: the process is leaving.
    pub fn finish(&mut self, deadline: std::time::Instant) -> bool {
        self.tx = None;
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        self.done.recv_timeout(left).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufRead;
    use std::time::Duration;

    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("carpd-sink-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_bad_path_is_reported_at_start() {
        let dir = scratch("bad");
        let e = EventSink::open(Some(&dir)).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("--events {}: is a directory", dir.display())
        );
        let e = EventSink::open(Some(&dir.join("no/such/dir/events"))).unwrap_err();
        assert!(e.to_string().contains("No such file or directory"), "{e}");
    }

    #[test]
    fn lines_reach_a_file_in_order() {
        let dir = scratch("file");
        let path = dir.join("events");
        let mut sink = EventSink::open(Some(&path)).unwrap();
        for n in 0..100 {
            sink.send(format!("{{\"n\":{n}}}"));
        }
        assert!(sink.finish(std::time::Instant::now() + Duration::from_secs(10)));
        let text = std::fs::read_to_string(&path).unwrap();
        let want: String = (0..100).map(|n| format!("{{\"n\":{n}}}\n")).collect();
        assert_eq!(text, want);
    }

    #[test]
    fn a_fifo_without_reader_drops_and_counts_and_shutdown_keeps_its_bound() {
        let dir = scratch("fifo");
        let path = dir.join("events.fifo");
        nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let mut sink = EventSink::open(Some(&path)).unwrap();
        // Nobody reads: every line past what the queue holds is dropped,
        // and send returns each time (a blocking send would hang here).
        let sent = QUEUE_LINES + 1000;
        for n in 0..sent {
            sink.send(format!("{{\"n\":{n}}}"));
        }
        // The writer may hold one line while it waits for a reader.
        assert!(sink.dropped() >= 999, "dropped {}", sink.dropped());
        // A reader comes: the queued lines flow, after a `dropped` line.
        let reader = std::thread::spawn({
            let path = path.clone();
            move || {
                let f = File::open(&path).unwrap();
                io::BufReader::new(f)
                    .lines()
                    .map_while(Result::ok)
                    .collect::<Vec<_>>()
            }
        });
        assert!(sink.finish(std::time::Instant::now() + Duration::from_secs(20)));
        drop(sink);
        let lines = reader.join().unwrap();
        let dropped_line = lines
            .iter()
            .find(|l| l.contains("\"event\":\"dropped\""))
            .unwrap();
        let count: u64 = dropped_line
            .split("\"count\":")
            .nth(1)
            .unwrap()
            .trim_end_matches('}')
            .parse()
            .unwrap();
        let data = lines.iter().filter(|l| l.starts_with("{\"n\":")).count() as u64;
        assert_eq!(data + count, sent as u64, "every line written or counted");
    }

    #[test]
    fn shutdown_with_a_fifo_nobody_opens_returns_by_its_deadline() {
        let dir = scratch("stuck");
        let path = dir.join("events.fifo");
        nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let mut sink = EventSink::open(Some(&path)).unwrap();
        sink.send("{}".into());
        let deadline = std::time::Instant::now() + Duration::from_millis(300);
        assert!(!sink.finish(deadline));
        assert!(std::time::Instant::now() < deadline + Duration::from_secs(2));
    }
}
