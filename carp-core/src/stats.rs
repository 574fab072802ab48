//! Counters and the reasons an input is rejected.
//!
//! [`Counter`] is a superset of BSD `struct carpstats`, in its order, with
//! our own counters after it. The `netstat -s -p carp` wording lives in
//! carp-sysctl, beside the tree that prints it. [`Reject`] has one variant per input check;
//! [`Stats::record`] is the only way a rejection moves a counter, so reasons
//! and counters cannot drift apart.

use core::fmt;
use core::net::IpAddr;

macro_rules! counters {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal; )*) => {
        /// One statistics counter.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Counter {
            $( $(#[$doc])* $variant, )*
        }

        impl Counter {
            /// Number of counters.
            pub const COUNT: usize = Counter::ALL.len();
        }

        // `ALL` in `netstat -s -p carp` order (BSD first); `name` is the
        // BSD field name without the `carps_` prefix (`ipackets`, ...).
        crate::names::spellings!(Counter { $($variant => $name,)* });
    };
}

counters! {
    /// Adverts received over IPv4.
    Ipackets => "ipackets";
    /// Adverts received over IPv6.
    Ipackets6 => "ipackets6";
    /// Received on an interface without carp.
    Badif => "badif";
    /// TTL or hop limit not 255.
    Badttl => "badttl";
    /// Link or IP header incomplete.
    Hdrops => "hdrops";
    /// CARP checksum wrong.
    Badsum => "badsum";
    /// Version not 2.
    Badver => "badver";
    /// Fewer than 36 bytes of CARP.
    Badlen => "badlen";
    /// Digest did not verify.
    Badauth => "badauth";
    /// No such vhid on the parent, or it is not running.
    Badvhid => "badvhid";
    /// Source or destination address not acceptable.
    Badaddrs => "badaddrs";
    /// Adverts sent over IPv4.
    Opackets => "opackets";
    /// Adverts sent over IPv6.
    Opackets6 => "opackets6";
    /// Sends that failed for want of buffers.
    Onomem => "onomem";
    /// State changes (any direction).
    Ostates => "ostates";
    /// Transitions to MASTER.
    Preempt => "preempt";
    /// Type not 1 (ours: the BSDs do not check it).
    Badtype => "badtype";
    /// authlen not 7 (ours).
    Badauthlen => "badauthlen";
    /// Replayed counters dropped under the `enforce` replay policy (ours).
    Replay => "replay";
    /// Replayed counters accepted under the `log` policy (ours).
    ReplayLogged => "replaylogged";
    /// Our own adverts seen again on a non-simplex parent (ours).
    Own => "own";
    /// Dropped because net.inet.carp.allow is 0 (ours).
    Disabled => "disabled";
    /// Sends the driver refused for other reasons (ours).
    Senderr => "senderr";
    /// Unicast mode: adverts from a source that is not the peer (ours; the
    /// allow-list runs before any HMAC work).
    Badpeer => "badpeer";
}

/// Why an input was dropped: one variant per check, in BSD order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reject {
    /// `net.inet.carp.allow` is 0.
    Disabled,
    /// The interface has no carp configured.
    BadInterface,
    /// TTL or hop limit other than 255.
    BadTtl(u8),
    /// The link or IP header is incomplete.
    HeaderTruncated {
        /// Bytes present.
        len: usize,
    },
    /// Fewer than 36 CARP bytes.
    BadLength {
        /// CARP bytes present.
        len: usize,
    },
    /// CARP checksum wrong.
    BadChecksum,
    /// Unknown vhid, or that vhid is not up and running.
    BadVhid(u8),
    /// Our own advert, looped back.
    Own,
    /// Version other than 2.
    BadVersion(u8),
    /// Type other than advertisement.
    BadType(u8),
    /// authlen other than 7.
    BadAuthLen(u8),
    /// Digest did not verify.
    BadAuth,
    /// Unicast mode: the source is not the vhid's peer of its family.
    BadPeer(IpAddr),
    /// A source or destination address CARP never uses.
    BadAddress,
    /// Counter not above the last one accepted from this sender (enforce).
    Replay {
        /// Counter received.
        counter: u64,
        /// Last counter accepted from that sender.
        last: u64,
    },
}

impl Reject {
    /// The counter this rejection moves.
    pub const fn counter(self) -> Counter {
        match self {
            Reject::Disabled => Counter::Disabled,
            Reject::BadInterface => Counter::Badif,
            Reject::BadTtl(_) => Counter::Badttl,
            Reject::HeaderTruncated { .. } => Counter::Hdrops,
            Reject::BadLength { .. } => Counter::Badlen,
            Reject::BadChecksum => Counter::Badsum,
            Reject::BadVhid(_) => Counter::Badvhid,
            Reject::Own => Counter::Own,
            Reject::BadVersion(_) => Counter::Badver,
            Reject::BadType(_) => Counter::Badtype,
            Reject::BadAuthLen(_) => Counter::Badauthlen,
            Reject::BadAuth => Counter::Badauth,
            Reject::BadPeer(_) => Counter::Badpeer,
            Reject::BadAddress => Counter::Badaddrs,
            Reject::Replay { .. } => Counter::Replay,
        }
    }
}

impl From<crate::wire::WireError> for Reject {
    fn from(e: crate::wire::WireError) -> Reject {
        use crate::wire::WireError;
        match e {
            WireError::Truncated { len } => Reject::BadLength { len },
            WireError::BadChecksum { .. } => Reject::BadChecksum,
            WireError::BadVersion(v) => Reject::BadVersion(v),
            WireError::BadType(t) => Reject::BadType(t),
            WireError::BadAuthLen(a) => Reject::BadAuthLen(a),
        }
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Reject::Disabled => f.write_str("carp not allowed (net.inet.carp.allow=0)"),
            Reject::BadInterface => f.write_str("received on an interface without carp"),
            Reject::BadTtl(ttl) => write!(f, "wrong TTL {ttl}, expected 255"),
            Reject::HeaderTruncated { len } => write!(f, "header truncated at {len} bytes"),
            Reject::BadLength { len } => write!(f, "CARP payload of {len} bytes, need 36"),
            Reject::BadChecksum => f.write_str("bad CARP checksum"),
            Reject::BadVhid(v) => write!(f, "unknown or stopped vhid {v}"),
            Reject::Own => f.write_str("our own advert looped back"),
            Reject::BadVersion(v) => write!(f, "bad CARP version {v}"),
            Reject::BadType(t) => write!(f, "bad CARP type {t}"),
            Reject::BadAuthLen(a) => write!(f, "bad CARP authlen {a}"),
            Reject::BadAuth => f.write_str("bad authentication"),
            Reject::BadPeer(src) => write!(f, "advert from {src}, not the unicast peer"),
            Reject::BadAddress => f.write_str("bad address"),
            Reject::Replay { counter, last } => {
                write!(f, "replayed counter {counter:#x} (last accepted {last:#x})")
            }
        }
    }
}

impl core::error::Error for Reject {}

/// A set of counters, one `u64` per [`Counter`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    counts: [u64; Counter::COUNT],
}

impl Default for Stats {
    fn default() -> Stats {
        Stats::new()
    }
}

impl Stats {
    /// All zero.
    pub const fn new() -> Stats {
        Stats {
            counts: [0; Counter::COUNT],
        }
    }

    /// The value of one counter.
    pub fn get(&self, counter: Counter) -> u64 {
        self.counts.get(counter as usize).copied().unwrap_or(0)
    }

    /// Adds one to a counter.
    #[inline]
    pub fn bump(&mut self, counter: Counter) {
        self.add(counter, 1);
    }

    /// Adds `n` to a counter. Modulo 2^64, as BSD's 64-bit `carpstats`
    /// counters (`counter(9)` on FreeBSD, `counters_inc` on OpenBSD): one
    /// count per nanosecond would take 584 years to wrap, and an add
    /// without a saturation test is a single instruction on the input
    /// path, which counts every packet twice.
    #[inline]
    pub fn add(&mut self, counter: Counter, n: u64) {
        if let Some(c) = self.counts.get_mut(counter as usize) {
            *c = c.wrapping_add(n);
        }
    }

    /// Counts a rejection under its counter.
    pub fn record(&mut self, reject: Reject) {
        self.bump(reject.counter());
    }

    /// Adds every counter of `other` into `self`.
    pub fn merge(&mut self, other: &Stats) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts.iter()) {
            *mine = mine.wrapping_add(*theirs);
        }
    }

    /// Every counter with its value, in [`Counter::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Counter, u64)> + '_ {
        Counter::ALL.iter().map(move |c| (*c, self.get(*c)))
    }
}

/// The same counters in 32 bits each, for per-vhid bookkeeping where
/// memory counts (255 vhids per parent); [`CompactStats::to_stats`] widens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactStats {
    counts: [u32; Counter::COUNT],
}

impl Default for CompactStats {
    fn default() -> CompactStats {
        CompactStats::new()
    }
}

impl CompactStats {
    /// All zero.
    pub const fn new() -> CompactStats {
        CompactStats {
            counts: [0; Counter::COUNT],
        }
    }

    /// Adds one to a counter (saturating).
    pub fn bump(&mut self, counter: Counter) {
        if let Some(c) = self.counts.get_mut(counter as usize) {
            *c = c.saturating_add(1);
        }
    }

    /// Counts a rejection under its counter.
    pub fn record(&mut self, reject: Reject) {
        self.bump(reject.counter());
    }

    /// The value of one counter.
    pub fn get(&self, counter: Counter) -> u64 {
        self.counts
            .get(counter as usize)
            .map_or(0, |c| u64::from(*c))
    }

    /// The counters as a full [`Stats`].
    pub fn to_stats(&self) -> Stats {
        let mut stats = Stats::new();
        for (counter, n) in Counter::ALL.iter().zip(self.counts.iter()) {
            stats.add(*counter, u64::from(*n));
        }
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_counter_has_a_unique_name() {
        for (i, a) in Counter::ALL.iter().enumerate() {
            assert_eq!(*a as usize, i);
            for b in &Counter::ALL[i + 1..] {
                assert_ne!(a.name(), b.name());
            }
        }
    }

    #[test]
    fn compact_stats_widen_exactly_and_saturate() {
        let mut c = CompactStats::new();
        c.bump(Counter::Preempt);
        c.record(Reject::BadAuth);
        let s = c.to_stats();
        assert_eq!((s.get(Counter::Preempt), s.get(Counter::Badauth)), (1, 1));
        assert_eq!(s.iter().map(|(_, v)| v).sum::<u64>(), 2);
        let mut full = CompactStats {
            counts: [u32::MAX; Counter::COUNT],
        };
        full.bump(Counter::Own);
        assert_eq!(full.get(Counter::Own), u64::from(u32::MAX));
    }

    #[test]
    fn full_counters_wrap_as_bsds_64_bit_counters() {
        let mut s = Stats {
            counts: [u64::MAX; Counter::COUNT],
        };
        s.bump(Counter::Ipackets);
        s.add(Counter::Badttl, 2);
        s.merge(&Stats {
            counts: [1; Counter::COUNT],
        });
        assert_eq!(s.get(Counter::Ipackets), 1);
        assert_eq!(s.get(Counter::Badttl), 2);
        assert_eq!(s.get(Counter::Badvhid), 0);
    }

    #[test]
    fn record_moves_exactly_the_rejections_counter() {
        let rejects = [
            Reject::Disabled,
            Reject::BadInterface,
            Reject::BadTtl(254),
            Reject::HeaderTruncated { len: 3 },
            Reject::BadLength { len: 35 },
            Reject::BadChecksum,
            Reject::BadVhid(9),
            Reject::Own,
            Reject::BadVersion(3),
            Reject::BadType(2),
            Reject::BadAuthLen(6),
            Reject::BadAuth,
            Reject::BadPeer(IpAddr::V4(core::net::Ipv4Addr::new(192, 0, 2, 9))),
            Reject::BadAddress,
            Reject::Replay {
                counter: 1,
                last: 2,
            },
        ];
        for r in rejects {
            let mut s = Stats::new();
            s.record(r);
            let moved: u64 = s.iter().map(|(_, v)| v).sum();
            assert_eq!(moved, 1, "{r}");
            assert_eq!(s.get(r.counter()), 1, "{r}");
        }
    }
}
