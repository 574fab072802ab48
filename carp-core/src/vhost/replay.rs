//! Each sender's advert counters: the last one accepted, and how they
//! behave, for the replay policy.
//!
//! Only a sender whose counters go up can be protected against replays,
//! and not every peer's do (`shared/carp-reference.md`, section 2): the
//! BSDs before modern OpenBSD and carp itself add one per advert; ucarp
//! draws a random counter per advert while it is alone; modern OpenBSD
//! sends one fixed random cookie. Calling every second ucarp advert a
//! replay floods the log under `replay=log` and, under `replay=enforce`,
//! drops half a live ucarp master's adverts until a backup takes over.
//!
//! So each sender is first **learned**: its first [`LEARN_STEPS`] + 1
//! adverts are accepted unchecked and classified ([`CounterKind`]):
//!
//! * every step up by 1 to 2^32 - 1: [`CounterKind::Incrementing`], and
//!   from then on a counter not above the last accepted is a replay (an
//!   event, and dropped under `enforce`). A random 64-bit counter makes
//!   such a step with probability 2^-32, three times in a row never;
//! * every step 0: [`CounterKind::Constant`] (OpenBSD's cookie);
//! * anything else: [`CounterKind::Random`] (ucarp).
//!
//! The class is reported once per sender (an event) and kept while the
//! sender is remembered. Constant and random senders are accepted without
//! a check: nothing in their counters tells an old advert from a new one.
//! What `enforce` then protects, per peer kind, is in
//! `docs/protocol-notes.md` ("Replay protection per peer").

use core::net::IpAddr;

/// Senders remembered per vhid; the least recently heard is forgotten first.
pub const REPLAY_SENDERS: usize = 4;

/// Steps between a sender's adverts seen before it is classified.
pub const LEARN_STEPS: u8 = 3;

/// A step of at least this much is no increment (a random counter's steps
/// are this large but for a chance of 2^-32).
const MAX_INCREMENT: u64 = 1 << 32;

/// How a sender's counters behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CounterKind {
    /// Up by a small step every advert (the older BSDs, NetBSD, FreeBSD,
    /// carp): replays are detected.
    Incrementing,
    /// The same every advert (modern OpenBSD's cookie): replays cannot be
    /// told apart.
    Constant,
    /// Up and down at random (ucarp alone): replays cannot be told apart.
    Random,
}

/// How a counter compares with what was accepted from its sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Above the last one from an incrementing sender.
    Fresh,
    /// Not above the last one accepted from an incrementing sender.
    Replayed {
        /// The last accepted counter.
        last: u64,
    },
    /// The sender is new, still being learned, or its counters are not
    /// incrementing: nothing can be said.
    Unchecked,
}

/// Where a sender is in its classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// `steps` seen so far; whether all were increments, all 0.
    Learning {
        steps: u8,
        rising: bool,
        flat: bool,
    },
    Known(CounterKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    src: IpAddr,
    /// While learning, the previous counter; once incrementing, the
    /// largest accepted (the same while every step went up).
    last: u64,
    class: Class,
    /// Logical time of the last use, for eviction (wrapping is harmless:
    /// at worst a recently used entry is evicted first once in 2^32).
    used: u32,
}

/// A small fixed table of senders and their counters.
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
            Some(e) if e.class == Class::Known(CounterKind::Incrementing) => {
                if counter <= e.last {
                    Freshness::Replayed { last: e.last }
                } else {
                    Freshness::Fresh
                }
            }
            _ => Freshness::Unchecked,
        }
    }

    /// Records an accepted counter. Returns the sender's class when this
    /// advert completed its learning: reported once per sender.
    pub fn accept(&mut self, src: IpAddr, counter: u64) -> Option<CounterKind> {
        self.clock = self.clock.wrapping_add(1);
        let now = self.clock;
        if let Some(e) = self.entries.iter_mut().flatten().find(|e| e.src == src) {
            e.used = now;
            let step = counter.wrapping_sub(e.last);
            match &mut e.class {
                Class::Known(CounterKind::Incrementing) => e.last = e.last.max(counter),
                Class::Known(_) => {}
                Class::Learning {
                    steps,
                    rising,
                    flat,
                } => {
                    e.last = counter;
                    *rising &= step != 0 && step < MAX_INCREMENT;
                    *flat &= step == 0;
                    *steps = steps.saturating_add(1);
                    if *steps >= LEARN_STEPS {
                        let kind = if *rising {
                            CounterKind::Incrementing
                        } else if *flat {
                            CounterKind::Constant
                        } else {
                            CounterKind::Random
                        };
                        e.class = Class::Known(kind);
                        return Some(kind);
                    }
                }
            }
            return None;
        }
        let entry = Some(Entry {
            src,
            last: counter,
            class: Class::Learning {
                steps: 0,
                rising: true,
                flat: true,
            },
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
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv4Addr;

    fn ip(n: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, n))
    }

    /// Feeds `counters` from `src`; returns the classes reported.
    fn feed(t: &mut ReplayTable, src: IpAddr, counters: &[u64]) -> std::vec::Vec<CounterKind> {
        counters.iter().filter_map(|c| t.accept(src, *c)).collect()
    }

    #[test]
    fn an_incrementing_sender_is_learned_in_four_adverts_then_checked() {
        let mut t = ReplayTable::default();
        assert_eq!(t.check(ip(1), 10), Freshness::Unchecked, "new sender");
        assert!(feed(&mut t, ip(1), &[10, 11, 12]).is_empty());
        assert_eq!(t.check(ip(1), 5), Freshness::Unchecked, "still learning");
        assert_eq!(feed(&mut t, ip(1), &[14]), [CounterKind::Incrementing]);
        assert_eq!(t.check(ip(1), 14), Freshness::Replayed { last: 14 });
        assert_eq!(t.check(ip(1), 3), Freshness::Replayed { last: 14 });
        assert_eq!(t.check(ip(1), 15), Freshness::Fresh);
        assert!(feed(&mut t, ip(1), &[15, 16]).is_empty(), "reported once");
        assert_eq!(t.check(ip(1), 16), Freshness::Replayed { last: 16 });
    }

    #[test]
    fn ucarps_random_and_openbsds_constant_counters_are_never_replays() {
        // ucarp 192.0.2.11's first four counters in
        // tests/fixtures/ucarp-v4-failover.pcap, alone on the LAN.
        let ucarp = [
            4_072_096_368_803_006_956,
            14_657_785_842_518_862_230,
            9_329_409_026_243_950_686,
            4_876_269_319_821_994_938,
        ];
        let mut t = ReplayTable::default();
        assert_eq!(feed(&mut t, ip(2), &ucarp), [CounterKind::Random]);
        assert_eq!(t.check(ip(2), 0), Freshness::Unchecked);
        // 192.0.2.12 after taking over in the same capture: last seen + 1
        // (its three adverts there, and the fourth that follows).
        let took_over = [
            10_972_282_557_821_613_442,
            10_972_282_557_821_613_443,
            10_972_282_557_821_613_444,
            10_972_282_557_821_613_445,
        ];
        let mut t2 = ReplayTable::default();
        assert_eq!(
            feed(&mut t2, ip(12), &took_over),
            [CounterKind::Incrementing]
        );
        // A 64-bit random value can go up by far more than any increment.
        let rising_far = [1, 1 << 40, 1 << 41, 1 << 42];
        assert_eq!(feed(&mut t, ip(3), &rising_far), [CounterKind::Random]);
        let cookie = [0xdead_beef; 4];
        assert_eq!(feed(&mut t, ip(4), &cookie), [CounterKind::Constant]);
        assert_eq!(t.check(ip(4), 0xdead_beef), Freshness::Unchecked);
        // One equal step among increments is no increment.
        assert_eq!(feed(&mut t, ip(5), &[1, 2, 2, 3]), [CounterKind::Random]);
    }

    #[test]
    fn remembers_per_sender_and_evicts_least_recent() {
        let mut t = ReplayTable::default();
        feed(&mut t, ip(1), &[10, 11, 12, 13]);
        assert_eq!(t.check(ip(1), 13), Freshness::Replayed { last: 13 });
        assert_eq!(t.check(ip(2), 1), Freshness::Unchecked);
        for n in 2..=5 {
            t.accept(ip(n), 5);
        }
        // ip(1) was the least recently used: forgotten, learned afresh.
        assert_eq!(t.check(ip(1), 1), Freshness::Unchecked);
        assert!(feed(&mut t, ip(1), &[1, 2, 3]).is_empty(), "learning again");
        assert_eq!(feed(&mut t, ip(1), &[4]), [CounterKind::Incrementing]);
    }
}
