//! Rejected adverts that mean a misconfiguration, logged where an
//! operator looks, with a hint, at most once a minute per parent and
//! reason (ucarp logs every "Bad digest"; two masters and a silent log is
//! the worst of both).
//!
//! Only the rejections an operator can act on are logged here, at
//! `warning`; every rejection is still counted (`carpctl stats`) and, at
//! `net.inet.carp.log=2`, logged one by one by the library.

use std::collections::BTreeMap;
use std::net::IpAddr;

use carp_core::{Counter, Duration, Instant, Reject};
use carp_ifnet::frame::{parse, Body};
use carp_ifnet::lladdr::LinkType;

/// The shortest time between two log lines for one parent and reason.
pub const INTERVAL: Duration = Duration::from_secs(60);

/// What a rejection probably means, for those an operator can fix.
pub fn hint(reject: Reject) -> Option<&'static str> {
    Some(match reject {
        Reject::BadAuth => "passphrase or address list differs from the sender's",
        Reject::BadTtl(_) => {
            "the sender is not on this link, or something between lowered the TTL \
             (adverts must arrive with TTL 255)"
        }
        Reject::BadVersion(_) | Reject::BadType(_) | Reject::BadAuthLen(_) => {
            "not a CARP v2 advert: VRRP or another protocol 112 speaker shares the segment"
        }
        Reject::BadAddress => "the sender uses a source or destination address CARP never uses",
        _ => return None,
    })
}

/// The IPv4 or IPv6 source of a frame, when it parses.
pub fn source_of(link: LinkType, frame: &[u8]) -> Option<IpAddr> {
    match parse(link, frame).ok()?.body {
        Body::Ipv4 { header, .. } => Some(IpAddr::V4(header.src)),
        Body::Ipv6 { header, .. } => Some(IpAddr::V6(header.src)),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    logged_at: Instant,
    since: u64,
}

/// The rate limiter.
#[derive(Debug, Default)]
pub struct RejectLog {
    seen: BTreeMap<(String, Counter), Seen>,
}

impl RejectLog {
    /// A limiter that has logged nothing.
    pub fn new() -> RejectLog {
        RejectLog::default()
    }

    /// Notes a rejected frame on `parent`; returns the line to log at
    /// `warning` when it is due (and logs it through `log`).
    pub fn note(
        &mut self,
        now: Instant,
        parent: &str,
        reject: Reject,
        src: Option<IpAddr>,
    ) -> Option<String> {
        let hint = hint(reject)?;
        let key = (parent.to_owned(), reject.counter());
        let entry = self.seen.entry(key).or_insert(Seen {
            logged_at: now,
            since: 0,
        });
        let first = entry.since == 0 && entry.logged_at == now;
        if !first && now < entry.logged_at + INTERVAL {
            entry.since += 1;
            return None;
        }
        let more = if entry.since > 0 {
            format!(" ({} more since the last line)", entry.since)
        } else {
            String::new()
        };
        *entry = Seen {
            logged_at: now,
            since: 0,
        };
        let from = src.map_or_else(String::new, |a| format!(" from {a}"));
        let line = format!("{parent}: advert{from} dropped, {reject}: {hint}{more}");
        log::warn!(target: "carpd", "{line}");
        Some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u64) -> Instant {
        Instant::from_micros(s * 1_000_000)
    }

    #[test]
    fn bad_hmac_is_logged_with_the_hint_once_a_minute() {
        let mut log = RejectLog::new();
        let src = Some("192.0.2.2".parse().unwrap());
        let first = log.note(at(1), "eth0", Reject::BadAuth, src).unwrap();
        assert_eq!(
            first,
            "eth0: advert from 192.0.2.2 dropped, bad authentication: \
             passphrase or address list differs from the sender's"
        );
        for s in 2..61 {
            assert_eq!(log.note(at(s), "eth0", Reject::BadAuth, src), None);
        }
        let again = log.note(at(61), "eth0", Reject::BadAuth, src).unwrap();
        assert!(again.ends_with("(59 more since the last line)"), "{again}");
        // Another parent, or another reason, has its own minute.
        assert!(log.note(at(62), "eth1", Reject::BadAuth, src).is_some());
        assert!(log.note(at(62), "eth0", Reject::BadTtl(64), src).is_some());
    }

    #[test]
    fn ordinary_drops_are_left_to_the_library() {
        let mut log = RejectLog::new();
        assert_eq!(log.note(at(1), "eth0", Reject::BadVhid(9), None), None);
        assert_eq!(log.note(at(1), "eth0", Reject::Own, None), None);
    }
}
