//! Where carpd's log goes: the journal when systemd started it, syslog
//! with a facility when asked (`-f`, ucarp's flag, or `-B`), stderr
//! otherwise; all through the `log` facade.
//!
//! Two kinds of record arrive:
//!
//! * target `carp`: the library's typed log events (carp-ifnet
//!   `LogEvent`), already gated by `net.inet.carp.log` (1: state changes
//!   and demotion, 2: every dropped packet, 3 and up: everything), so they
//!   all pass here and the sysctl alone decides;
//! * every other target (`carpd`): the daemon's own lines, from `info` up
//!   (`debug` with `-D`).

use std::io::Write as _;
use std::str::FromStr;

use log::{LevelFilter, Log, Metadata, Record};

/// Where the log goes.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    /// The systemd journal (native protocol, with priorities and fields).
    Journal,
    /// Syslog over `/dev/log`, with this facility.
    Syslog(syslog::Facility),
    /// Standard error, one line per record.
    Stderr,
}

impl Backend {
    /// The backend for this host: syslog when a facility is given or carpd
    /// detaches (`-B`, as ucarp, which logs to syslog with facility
    /// `daemon` unless `-f` says otherwise); the journal when stderr is
    /// connected to it (systemd sets `JOURNAL_STREAM`); stderr otherwise.
    ///
    /// # Errors
    /// An unknown facility name, in words.
    pub fn choose(facility: Option<&str>, daemonize: bool) -> Result<Backend, String> {
        if let Some(name) = facility {
            return parse_facility(name).map(Backend::Syslog);
        }
        if daemonize {
            return Ok(Backend::Syslog(syslog::Facility::LOG_DAEMON));
        }
        if systemd_journal_logger::connected_to_journal() {
            return Ok(Backend::Journal);
        }
        Ok(Backend::Stderr)
    }
}

/// A syslog facility by ucarp's names (`daemon`, `local0` ... `local7`,
/// `user`; also with `LOG_`, any case).
///
/// # Errors
/// An unknown name, with the names that are known.
pub fn parse_facility(name: &str) -> Result<syslog::Facility, String> {
    syslog::Facility::from_str(name).map_err(|()| {
        format!(
            "facility {name}: not a syslog facility (daemon, user, local0 ... local7, auth, \
             authpriv, cron, kern, lpr, mail, news, syslog, uucp, ftp)"
        )
    })
}

/// The filter in front of every backend (see the module docs).
struct Dispatch {
    inner: Box<dyn Log>,
    own: LevelFilter,
}

impl Log for Dispatch {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == "carp" || metadata.level() <= self.own
    }
    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            self.inner.log(record);
        }
    }
    fn flush(&self) {
        self.inner.flush();
    }
}

/// Standard error: `carpd: warning: <message>`, as carpd always wrote.
struct Stderr;

impl Log for Stderr {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &Record<'_>) {
        let level = match record.level() {
            log::Level::Error => "error: ",
            log::Level::Warn => "warning: ",
            _ => "",
        };
        let _ = writeln!(std::io::stderr(), "carpd: {level}{}", record.args());
    }
    fn flush(&self) {}
}

/// Installs the logger (once per process).
///
/// # Errors
/// The journal or syslog socket cannot be reached, or a logger is already
/// installed.
pub fn install(backend: Backend, debug: bool) -> Result<(), String> {
    let inner: Box<dyn Log> = match backend {
        Backend::Journal => Box::new(
            systemd_journal_logger::JournalLog::new()
                .map_err(|e| format!("journal: {e}"))?
                .with_syslog_identifier("carpd".into()),
        ),
        Backend::Syslog(facility) => {
            let formatter = syslog::Formatter3164 {
                facility,
                hostname: None,
                process: "carpd".into(),
                pid: std::process::id(),
            };
            let logger = syslog::unix(formatter).map_err(|e| format!("syslog: {e}"))?;
            Box::new(syslog::BasicLogger::new(logger))
        }
        Backend::Stderr => Box::new(Stderr),
    };
    let own = if debug {
        LevelFilter::Debug
    } else {
        LevelFilter::Info
    };
    log::set_boxed_logger(Box::new(Dispatch { inner, own })).map_err(|e| format!("logger: {e}"))?;
    // Everything reaches the dispatcher: the library's records are gated
    // by net.inet.carp.log before they are made.
    log::set_max_level(LevelFilter::Trace);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ucarp_facility_names_are_understood() {
        let code = |name| parse_facility(name).map(|f| f as u32);
        // RFC 5424 section 6.2.1: daemon is 3, local0 16, local7 23 (times 8).
        assert_eq!(code("daemon"), Ok(3 << 3));
        assert_eq!(code("local7"), Ok(23 << 3));
        assert_eq!(code("LOG_LOCAL0"), Ok(16 << 3));
        assert!(parse_facility("local8")
            .unwrap_err()
            .contains("local0 ... local7"));
    }

    #[test]
    fn a_facility_or_detaching_means_syslog() {
        assert!(matches!(
            Backend::choose(Some("local3"), false),
            Ok(Backend::Syslog(f)) if f as u32 == 19 << 3
        ));
        assert!(matches!(
            Backend::choose(None, true),
            Ok(Backend::Syslog(f)) if f as u32 == 3 << 3
        ));
    }

    struct Count(std::sync::Arc<std::sync::atomic::AtomicUsize>);
    impl Log for Count {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn log(&self, _: &Record<'_>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        fn flush(&self) {}
    }

    #[test]
    fn library_records_always_pass_daemon_records_from_info() {
        let n = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let d = Dispatch {
            inner: Box::new(Count(n.clone())),
            own: LevelFilter::Info,
        };
        let rec = |target: &'static str, level| {
            d.log(
                &Record::builder()
                    .target(target)
                    .level(level)
                    .args(format_args!("x"))
                    .build(),
            );
        };
        rec("carp", log::Level::Debug);
        rec("carp", log::Level::Trace);
        rec("carpd", log::Level::Info);
        rec("carpd", log::Level::Debug);
        assert_eq!(n.load(std::sync::atomic::Ordering::Relaxed), 3);
    }
}
