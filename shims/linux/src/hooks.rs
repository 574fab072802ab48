//! What carpd tells the outside world: one JSON line per event, and the
//! ucarp-style up/down scripts.
//!
//! Both run on their own thread behind an unbounded queue, so a slow reader
//! or a slow script never delays an advert, and nothing is dropped: the
//! queue keeps every line in order until it is written, and shutdown waits
//! for it to drain.

use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc::{channel, Sender};
use std::thread::JoinHandle;

use carp_core::{Event, EventKind};

/// A background writer of lines, in order.
#[derive(Debug)]
pub struct Worker<T: Send + 'static> {
    tx: Option<Sender<T>>,
    thread: Option<JoinHandle<()>>,
}

impl<T: Send + 'static> Worker<T> {
    fn spawn(name: &str, mut each: impl FnMut(T) + Send + 'static) -> io::Result<Worker<T>> {
        let (tx, rx) = channel::<T>();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                for item in rx {
                    each(item);
                }
            })?;
        Ok(Worker {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Queues one item (never blocks, never drops while the thread lives).
    pub fn send(&self, item: T) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(item);
        }
    }

    /// Waits until everything queued has been handled.
    pub fn finish(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl<T: Send + 'static> Drop for Worker<T> {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The JSON event stream: stdout, or a file or FIFO opened (for appending)
/// by the writer thread, so a FIFO without a reader yet blocks nobody else.
///
/// # Errors
/// Thread creation.
pub fn event_writer(path: Option<PathBuf>) -> io::Result<Worker<String>> {
    let mut sink: Option<Box<dyn Write + Send>> = None;
    Worker::spawn("carpd-events", move |line: String| {
        if sink.is_none() {
            sink = Some(match &path {
                None => Box::new(io::stdout()),
                Some(p) => match OpenOptions::new().create(true).append(true).open(p) {
                    Ok(f) => Box::new(f),
                    Err(e) => {
                        eprintln!("carpd: cannot open {}: {e}", p.display());
                        Box::new(io::sink())
                    }
                },
            });
        }
        if let Some(out) = sink.as_mut() {
            let _ = out.write_all(line.as_bytes());
            let _ = out.write_all(b"\n");
            let _ = out.flush();
        }
    })
}

/// One script run: program and arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptRun {
    /// The script.
    pub program: PathBuf,
    /// Its arguments: interface, address, and the xparam if any.
    pub args: Vec<String>,
}

/// Runs scripts one after the other, waiting for each.
///
/// # Errors
/// Thread creation.
pub fn script_runner() -> io::Result<Worker<ScriptRun>> {
    Worker::spawn("carpd-scripts", |run: ScriptRun| {
        let status = Command::new(&run.program)
            .args(&run.args)
            .stdin(Stdio::null())
            .status();
        match status {
            Ok(s) if s.success() => {}
            Ok(s) => eprintln!("carpd: {} {:?}: {s}", run.program.display(), run.args),
            Err(e) => eprintln!("carpd: {}: {e}", run.program.display()),
        }
    })
}

/// The ucarp argument list: `<interface> <address> [<xparam>]`.
pub fn script_args(interface: &str, addr: IpAddr, xparam: Option<&str>) -> Vec<String> {
    let mut args = vec![interface.to_owned(), addr.to_string()];
    args.extend(xparam.map(str::to_owned));
    args
}

fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// One event as a JSON object on one line, e.g.
/// `{"interface":"eth0","vhid":1,"seq":3,"at_us":12345,"event":"state","from":"BACKUP","to":"MASTER","reason":"master-down"}`.
/// States, reasons and demotion reasons are spelled as `carp_core::names`
/// says, the same words carp-sim and the C ABI use.
pub fn event_json(interface: &str, event: &Event) -> String {
    let mut out = String::from("{\"interface\":");
    json_string(&mut out, interface);
    let _ = write!(
        out,
        ",\"vhid\":{},\"seq\":{},\"at_us\":{},\"event\":",
        event.vhid,
        event.seq,
        event.at.micros()
    );
    match event.kind {
        EventKind::StateChange { from, to, reason } => {
            let _ = write!(
                out,
                "\"state\",\"from\":\"{}\",\"to\":\"{}\",\"reason\":\"{}\"",
                from.name(),
                to.name(),
                reason.name()
            );
        }
        EventKind::Announce { repeat } => {
            let _ = write!(out, "\"announce\",\"repeat\":{repeat}");
        }
        EventKind::Replay {
            src,
            counter,
            last,
            dropped,
        } => {
            let _ = write!(
                out,
                "\"replay\",\"src\":\"{src}\",\"counter\":{counter},\"last\":{last},\"dropped\":{dropped}"
            );
        }
        EventKind::Counters { src, kind } => {
            let _ = write!(out, "\"counters\",\"src\":\"{src}\",\"kind\":\"{kind}\"");
        }
        EventKind::Demote { reason, delta } => {
            let _ = write!(
                out,
                "\"demote\",\"reason\":\"{}\",\"delta\":{delta}",
                reason.name()
            );
        }
        other => {
            out.push_str("\"other\",\"debug\":");
            json_string(&mut out, &format!("{other:?}"));
        }
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use carp_core::{Instant, State};

    #[test]
    fn state_change_is_one_json_line() {
        let kind = EventKind::StateChange {
            from: State::Backup,
            to: State::Master,
            reason: carp_core::vhost::Reason::MasterDown,
        };
        let e = Event {
            seq: 3,
            at: Instant::from_micros(12345),
            vhid: 1,
            kind,
        };
        assert_eq!(
            event_json("eth0", &e),
            "{\"interface\":\"eth0\",\"vhid\":1,\"seq\":3,\"at_us\":12345,\"event\":\"state\",\
             \"from\":\"BACKUP\",\"to\":\"MASTER\",\"reason\":\"master-down\"}"
        );
    }

    #[test]
    fn demote_reasons_use_the_shared_spelling() {
        let e = Event {
            seq: 0,
            at: Instant::ZERO,
            vhid: 2,
            kind: EventKind::Demote {
                reason: carp_core::DemoteReason::SendErrors,
                delta: 1,
            },
        };
        assert_eq!(
            event_json("eth0", &e),
            "{\"interface\":\"eth0\",\"vhid\":2,\"seq\":0,\"at_us\":0,\"event\":\"demote\",\
             \"reason\":\"send-errors\",\"delta\":1}"
        );
    }

    #[test]
    fn a_senders_counter_class_is_one_line() {
        let e = Event {
            seq: 4,
            at: Instant::from_micros(7),
            vhid: 1,
            kind: EventKind::Counters {
                src: "192.0.2.12".parse().unwrap(),
                kind: carp_core::CounterKind::Random,
            },
        };
        assert_eq!(
            event_json("eth0", &e),
            "{\"interface\":\"eth0\",\"vhid\":1,\"seq\":4,\"at_us\":7,\"event\":\"counters\",\
             \"src\":\"192.0.2.12\",\"kind\":\"random\"}"
        );
    }

    #[test]
    fn strings_are_escaped() {
        let mut s = String::new();
        json_string(&mut s, "a\"b\\c\n");
        assert_eq!(s, "\"a\\\"b\\\\c\\u000a\"");
    }

    #[test]
    fn scripts_get_ucarp_arguments() {
        let a: IpAddr = "192.0.2.100".parse().unwrap();
        assert_eq!(script_args("eth0", a, None), ["eth0", "192.0.2.100"]);
        assert_eq!(
            script_args("eth0", a, Some("x")),
            ["eth0", "192.0.2.100", "x"]
        );
    }

    #[test]
    fn worker_handles_everything_before_finishing() {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let s2 = seen.clone();
        let mut w = Worker::spawn("t", move |n: u32| s2.lock().unwrap().push(n)).unwrap();
        for n in 0..1000 {
            w.send(n);
        }
        w.finish();
        assert_eq!(*seen.lock().unwrap(), (0..1000).collect::<Vec<_>>());
    }
}
