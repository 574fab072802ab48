//! The last counter accepted from each sender, for the replay policy.

use core::net::IpAddr;

/// Senders remembered per vhid; the least recently heard is forgotten first.
pub const REPLAY_SENDERS: usize = 4;

/// How a counter compares with the last one from its sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Above the last one, or a sender not seen before.
    Fresh,
    /// Not above the last accepted one.
    Replayed {
        /// The last accepted counter.
        last: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    src: IpAddr,
    last: u64,
    /// Logical time of the last use, for eviction (wrapping is harmless:
    /// at worst a recently used entry is evicted first once in 2^32).
    used: u32,
}

/// A small fixed table of `(sender, last counter)`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReplayTable {
    // An array of options, not a heapless::Vec: no length word, and
    // `Option<Entry>` costs nothing over `Entry` (IpAddr has a niche).
    entries: [Option<Entry>; REPLAY_SENDERS],
    clock: u32,
}

impl ReplayTable {
    /// How `counter` from `src` compares with what was accepted before.
    pub fn check(&self, src: IpAddr, counter: u64) -> Freshness {
        match self.entries.iter().flatten().find(|e| e.src == src) {
            Some(e) if counter <= e.last => Freshness::Replayed { last: e.last },
            _ => Freshness::Fresh,
        }
    }

    /// Records an accepted counter (keeping the larger of old and new).
    pub fn accept(&mut self, src: IpAddr, counter: u64) {
        self.clock = self.clock.wrapping_add(1);
        let now = self.clock;
        if let Some(e) = self.entries.iter_mut().flatten().find(|e| e.src == src) {
            e.last = e.last.max(counter);
            e.used = now;
            return;
        }
        let entry = Some(Entry {
            src,
            last: counter,
            used: now,
        });
        // A free slot, else the least recently used one.
        let slot = self
            .entries
            .iter_mut()
            .min_by_key(|e| e.as_ref().map_or(0, |e| u64::from(e.used) + 1));
        if let Some(slot) = slot {
            *slot = entry;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv4Addr;

    fn ip(n: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, n))
    }

    #[test]
    fn remembers_per_sender_and_evicts_least_recent() {
        let mut t = ReplayTable::default();
        t.accept(ip(1), 10);
        assert_eq!(t.check(ip(1), 10), Freshness::Replayed { last: 10 });
        assert_eq!(t.check(ip(1), 11), Freshness::Fresh);
        assert_eq!(t.check(ip(2), 1), Freshness::Fresh);
        for n in 2..=5 {
            t.accept(ip(n), 5);
        }
        // ip(1) was the least recently used: forgotten.
        assert_eq!(t.check(ip(1), 1), Freshness::Fresh);
        assert_eq!(t.check(ip(5), 5), Freshness::Replayed { last: 5 });
    }
}
