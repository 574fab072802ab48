//! Breaking an exact tie between two masters by address, locally.
//!
//! Two masters tie when they advertise the same interval (advbase and
//! advskew) with the same demote byte. Every BSD then has the master that
//! hears the other yield (OpenBSD `carp_proto_input_c`, FreeBSD
//! `carp_input_c`: `timercmp(&sc_tv, &ch_tv, ==)` yields), so two hosts
//! configured alike that reach master-down together both yield, both time
//! out together again, and never settle while their clocks stay in step.
//! ucarp 1.5.2 (`carp.c`, `packethandler`, the MASTER case) instead yields
//! only to an equal master whose source address is lower than its own.
//!
//! We break the tie as ucarp does, with nothing new on the wire: the master
//! whose parent address ranks first keeps the vhid. The rank reads the
//! address bytes from the last to the first, because that is the order
//! ucarp's `ip_src.s_addr < srcip.s_addr` (two network-order words
//! compared as host integers) gives on the little-endian machines it runs
//! on; for two addresses in one /24 it is plain numeric order. Two
//! safeguards keep the rule safe against a peer that ranks otherwise
//! (ucarp on a big-endian host, a misconfigured dual-stack peer):
//!
//! - a master that keeps the vhid through a tie re-asserts at once with an
//!   advert (once per run of ties), so an equal master that missed our last
//!   advert hears us now;
//! - a master that keeps the vhid through a tie and then hears the equal
//!   master advertise [`TIE_DISPUTE_ADVERTS`] more times, each about an
//!   interval after the last (a master that yielded and took over again was
//!   silent for master-down in between, and starts a new run), yields
//!   ([`TieBreak::Disputed`]): that master does not hear us or ranks
//!   otherwise, and two masters do not persist longer than about
//!   master-down;
//! - a master that yields on a tie it lost waits one skew unit (1/256 s)
//!   more before its next master-down, so when the peer also yielded (a BSD
//!   peer yields on every tie) the peer's master-down fires first and its
//!   advert arrives before ours would: the pair settles instead of timing out
//!   in step again.
//!
//! docs/protocol-notes.md works through carp with carp, with ucarp and with
//! a BSD peer.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Pending, VirtualHost};
use crate::time::{AdvTiming, Duration, Instant};
use crate::wire::Advert;

/// Adverts of an equal master, after our claim, that make a dispute: three
/// intervals are at least master-down.
pub const TIE_DISPUTE_ADVERTS: u8 = 3;

/// Where a tie advert falls in a run of ties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TieGap {
    /// None under way, or the last tie advert is at least halfway from an
    /// interval to master-down old: the equal master went quiet between.
    NewRun,
    /// About an interval after the last: its next periodic advert.
    Next,
    /// Less than half an interval after the last: a copy, or an advert
    /// crossing our re-assertion.
    Same,
}

/// How much longer than master-down a host that yielded a tie waits: one
/// advskew unit, 1/256 s truncated to microseconds as the kernels do.
pub const TIE_YIELD_MARGIN: Duration = Duration::from_micros(1_000_000 / 256);

/// Where an advert came from: the sender's source address and our own
/// parent address of the same family (the comparison point of the
/// tie-break; `None` when the parent has none, which leaves ties to the BSD
/// rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The advert's IP source address.
    pub src: IpAddr,
    /// Our parent interface's address of the same family (its IPv4 address,
    /// or its IPv6 link-local address).
    pub local: Option<IpAddr>,
}

impl Origin {
    /// The origin of an advert from `src`, with our parent's IPv4 address
    /// and IPv6 link-local address; the one of `src`'s family is kept.
    pub fn new(src: IpAddr, local_v4: Option<Ipv4Addr>, local_v6: Option<Ipv6Addr>) -> Origin {
        let local = match src {
            IpAddr::V4(_) => local_v4.map(IpAddr::V4),
            IpAddr::V6(_) => local_v6.map(IpAddr::V6),
        };
        Origin { src, local }
    }
}

impl From<IpAddr> for Origin {
    /// An origin without our own address: ties are broken as the BSDs do.
    fn from(src: IpAddr) -> Origin {
        Origin { src, local: None }
    }
}

/// Our side of an exact tie, computed by the virtual host before the
/// election runs ([`super::election::decide`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TieBreak {
    /// No address to compare (our own is unknown, or of the other family):
    /// yield, as every BSD does on a tie.
    Unranked,
    /// The sender's address ranks first: yield (ucarp's rule).
    PeerFirst,
    /// Ours ranks first, or the advert is IPv6 while the vhid also has IPv4
    /// addresses (its IPv4 advert decides, so the families cannot
    /// disagree): keep the vhid.
    OursFirst,
    /// We kept the vhid through a tie and the equal master kept
    /// advertising for [`TIE_DISPUTE_ADVERTS`] more intervals: it does not
    /// hear us or ranks otherwise, so yield.
    Disputed,
}

/// The tie-break rank of an address: its bytes read from the last to the
/// first, as a number. Lower ranks first.
pub const fn rank(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(a) => u32::from_le_bytes(a.octets()) as u128,
        IpAddr::V6(a) => u128::from_le_bytes(a.octets()),
    }
}

/// Which side of a tie ranks first, if the two addresses can be compared
/// (same family, different addresses).
pub fn peer_ranks_first(origin: &Origin) -> Option<bool> {
    let local = origin.local?;
    if local.is_ipv4() != origin.src.is_ipv4() || local == origin.src {
        return None;
    }
    Some(rank(origin.src) < rank(local))
}

impl VirtualHost {
    /// Our side of a tie with the master at `origin` (see [`tie`]).
    pub(super) fn tie_break(&self, now: Instant, origin: &Origin, advert: &Advert) -> TieBreak {
        let ours_first = if origin.src.is_ipv6() && self.config.has_ipv4() {
            true
        } else {
            match peer_ranks_first(origin) {
                None => return TieBreak::Unranked,
                Some(peer_first) => !peer_first,
            }
        };
        if !ours_first {
            return TieBreak::PeerFirst;
        }
        if self.tie_gap(now, advert) == TieGap::Next && self.tie_count + 1 >= TIE_DISPUTE_ADVERTS {
            TieBreak::Disputed
        } else {
            TieBreak::OursFirst
        }
    }

    /// Where a tie advert at `now` falls in the current run.
    fn tie_gap(&self, now: Instant, advert: &Advert) -> TieGap {
        let Some(last) = self.since else {
            return TieGap::NewRun;
        };
        let gap = now.saturating_since(last).micros();
        let interval = AdvTiming::new(advert.advbase, advert.advskew)
            .advert_interval()
            .micros();
        // An equal master that yielded and took over again was silent for
        // master-down; one that never yielded advertises every interval.
        if gap >= (interval + self.master_down().micros()) / 2 {
            TieGap::NewRun
        } else if gap >= interval / 2 {
            TieGap::Next
        } else {
            TieGap::Same
        }
    }

    /// We kept the vhid through a tie. A new run re-asserts at once with an
    /// advert, so an equal master that missed our last one hears us now
    /// rather than an interval later (ucarp re-asserts with a gratuitous
    /// ARP); within a run, each next advert of the equal master is counted
    /// (a copy or our own re-assertion crossing it is not).
    pub(super) fn hold_tie(&mut self, now: Instant, advert: &Advert) {
        match self.tie_gap(now, advert) {
            TieGap::NewRun => {
                self.since = Some(now);
                self.tie_count = 0;
                self.pending = Pending::Advert;
            }
            TieGap::Next => {
                self.since = Some(now);
                self.tie_count = self.tie_count.saturating_add(1);
            }
            TieGap::Same => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    }

    #[test]
    fn rank_is_ucarps_little_endian_order() {
        // One /24: numeric order, lower first.
        assert!(rank(v4(192, 0, 2, 10)) < rank(v4(192, 0, 2, 11)));
        // ucarp on x86 compares the last byte first: 192.0.3.5 ranks before
        // 192.0.2.10 although it is numerically higher.
        assert!(rank(v4(192, 0, 3, 5)) < rank(v4(192, 0, 2, 10)));
        let ll = |n: u16| IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, n));
        assert!(rank(ll(0x0a)) < rank(ll(0x0b)));
    }

    #[test]
    fn origin_keeps_the_local_address_of_the_senders_family() {
        let v6 = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0xa);
        let o = Origin::new(
            v4(192, 0, 2, 11),
            Some(Ipv4Addr::new(192, 0, 2, 10)),
            Some(v6),
        );
        assert_eq!(o.local, Some(v4(192, 0, 2, 10)));
        assert_eq!(peer_ranks_first(&o), Some(false));
        let o = Origin::new(IpAddr::V6(v6), None, None);
        assert_eq!(peer_ranks_first(&o), None);
        assert_eq!(peer_ranks_first(&Origin::from(v4(192, 0, 2, 9))), None);
    }
}
