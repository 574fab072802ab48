//! Statistics printed exactly as `netstat -s -p carp` prints them on
//! OpenBSD (`usr.bin/netstat/inet.c`, `carp_stats()`, rev 1.115): a `carp:`
//! line, then one line per counter in `struct carpstats` order, a tab before
//! top-level counters and two before the discards and failures that belong
//! to them, `s` added to the plural word unless the count is 1.
//!
//! OpenBSD does not print `carps_ostates` (FreeBSD has the line under
//! `#if notyet`); it is printed first among our own counters, which follow
//! the BSD lines with one tab each.

use core::fmt;

use carp_core::{Counter, Stats};

/// Where a counter's line goes and how it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Line {
    /// Printed in the BSD block (`true`) or among ours after it.
    bsd: bool,
    /// Leading tabs.
    depth: usize,
    /// The text after the number; `{s}` marks where BSD's `plural()` goes.
    text: &'static str,
}

const fn bsd(depth: usize, text: &'static str) -> Line {
    Line {
        bsd: true,
        depth,
        text,
    }
}

const fn ours(text: &'static str) -> Line {
    Line {
        bsd: false,
        depth: 1,
        text,
    }
}

/// The wording of every counter. The BSD ones are OpenBSD's strings with
/// `%s` written `{s}`.
const fn line(counter: Counter) -> Line {
    match counter {
        Counter::Ipackets => bsd(1, "packet{s} received (IPv4)"),
        Counter::Ipackets6 => bsd(1, "packet{s} received (IPv6)"),
        Counter::Badif => bsd(2, "packet{s} discarded for bad interface"),
        Counter::Badttl => bsd(2, "packet{s} discarded for wrong TTL"),
        Counter::Hdrops => bsd(2, "packet{s} shorter than header"),
        Counter::Badsum => bsd(2, "discarded for bad checksum{s}"),
        Counter::Badver => bsd(2, "discarded packet{s} with a bad version"),
        Counter::Badlen => bsd(2, "discarded because packet too short"),
        Counter::Badauth => bsd(2, "discarded for bad authentication"),
        Counter::Badvhid => bsd(2, "discarded for unknown vhid"),
        Counter::Badaddrs => bsd(2, "discarded because of a bad address list"),
        Counter::Opackets => bsd(1, "packet{s} sent (IPv4)"),
        Counter::Opackets6 => bsd(1, "packet{s} sent (IPv6)"),
        Counter::Onomem => bsd(2, "send failed due to mbuf memory error"),
        Counter::Preempt => bsd(1, "transition{s} to master"),
        Counter::Ostates => ours("state update{s} sent"),
        Counter::Badtype => ours("discarded packet{s} with a bad type"),
        Counter::Badauthlen => ours("discarded packet{s} with a bad authlen"),
        Counter::Replay => ours("discarded as replay{s}"),
        Counter::ReplayLogged => ours("replay{s} accepted and logged"),
        Counter::Own => ours("own packet{s} looped back"),
        Counter::Disabled => ours("discarded while carp is not allowed"),
        Counter::Senderr => ours("send failed for other reasons"),
        Counter::Badpeer => ours("discarded from a source other than the unicast peer"),
    }
}

/// A [`Stats`] snapshot that displays as `netstat -s -p carp` output.
///
/// ```
/// use carp_core::{Counter, Stats};
/// use carp_sysctl::NetstatExt;
///
/// let mut stats = Stats::new();
/// stats.add(Counter::Ipackets, 3);
/// stats.bump(Counter::Badttl);
/// let text = format!("{}", stats.netstat().hide_zero());
/// assert_eq!(
///     text,
///     "carp:\n\t3 packets received (IPv4)\n\t\t1 packet discarded for wrong TTL\n"
/// );
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Netstat<'a> {
    stats: &'a Stats,
    hide_zero: bool,
}

impl<'a> Netstat<'a> {
    /// Every counter, zeros included (plain `netstat -s`).
    pub fn new(stats: &'a Stats) -> Netstat<'a> {
        Netstat {
            stats,
            hide_zero: false,
        }
    }

    /// Leaves out counters that are zero (`netstat -s -s`).
    pub fn hide_zero(self) -> Netstat<'a> {
        Netstat {
            hide_zero: true,
            ..self
        }
    }
}

impl fmt::Display for Netstat<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("carp:\n")?;
        for block in [true, false] {
            for counter in Counter::ALL {
                let line = line(counter);
                let n = self.stats.get(counter);
                if line.bsd != block || (self.hide_zero && n == 0) {
                    continue;
                }
                for _ in 0..line.depth {
                    f.write_str("\t")?;
                }
                write!(f, "{n} ")?;
                let plural = if n == 1 { "" } else { "s" };
                match line.text.split_once("{s}") {
                    Some((before, after)) => write!(f, "{before}{plural}{after}")?,
                    None => f.write_str(line.text)?,
                }
                f.write_str("\n")?;
            }
        }
        Ok(())
    }
}

/// `stats.netstat()` on a [`Stats`].
pub trait NetstatExt {
    /// The counters, displayable as `netstat -s -p carp` output.
    fn netstat(&self) -> Netstat<'_>;
}

impl NetstatExt for Stats {
    fn netstat(&self) -> Netstat<'_> {
        Netstat::new(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OpenBSD's output for an all-zero `struct carpstats`, then ours.
    const ZEROS: &str = "carp:
\t0 packets received (IPv4)
\t0 packets received (IPv6)
\t\t0 packets discarded for bad interface
\t\t0 packets discarded for wrong TTL
\t\t0 packets shorter than header
\t\t0 discarded for bad checksums
\t\t0 discarded packets with a bad version
\t\t0 discarded because packet too short
\t\t0 discarded for bad authentication
\t\t0 discarded for unknown vhid
\t\t0 discarded because of a bad address list
\t0 packets sent (IPv4)
\t0 packets sent (IPv6)
\t\t0 send failed due to mbuf memory error
\t0 transitions to master
\t0 state updates sent
\t0 discarded packets with a bad type
\t0 discarded packets with a bad authlen
\t0 discarded as replays
\t0 replays accepted and logged
\t0 own packets looped back
\t0 discarded while carp is not allowed
\t0 send failed for other reasons
\t0 discarded from a source other than the unicast peer
";

    #[test]
    fn zero_stats_print_every_line_like_openbsd_netstat_s() {
        assert_eq!(format!("{}", Stats::new().netstat()), ZEROS);
    }

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        let mut s = Stats::new();
        s.add(Counter::Ipackets, 835_247);
        s.bump(Counter::Ipackets6);
        s.bump(Counter::Badsum);
        s.add(Counter::Badver, 2);
        s.bump(Counter::Badlen);
        s.add(Counter::Badvhid, 50);
        s.bump(Counter::Preempt);
        s.add(Counter::Replay, 4);
        let text = format!("{}", s.netstat().hide_zero());
        assert_eq!(
            text,
            "carp:
\t835247 packets received (IPv4)
\t1 packet received (IPv6)
\t\t1 discarded for bad checksum
\t\t2 discarded packets with a bad version
\t\t1 discarded because packet too short
\t\t50 discarded for unknown vhid
\t1 transition to master
\t4 discarded as replays
"
        );
    }

    #[test]
    fn hide_zero_on_empty_stats_prints_only_the_header() {
        assert_eq!(format!("{}", Stats::new().netstat().hide_zero()), "carp:\n");
    }

    #[test]
    fn bsd_block_is_carpstats_order_without_ostates() {
        let bsd: std::vec::Vec<Counter> =
            Counter::ALL.into_iter().filter(|c| line(*c).bsd).collect();
        assert_eq!(bsd.len(), 15);
        assert!(!bsd.contains(&Counter::Ostates));
        assert_eq!(bsd.first(), Some(&Counter::Ipackets));
        assert_eq!(bsd.last(), Some(&Counter::Preempt));
        for c in Counter::ALL {
            assert!(line(c).text.matches("{s}").count() <= 1, "{c}");
        }
    }
}
