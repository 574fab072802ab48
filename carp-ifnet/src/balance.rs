//! arpbalance: which of several vhids sharing one IPv4 address answers a
//! given ARP requester (NetBSD, OpenBSD 3.x, FreeBSD 5-9 with
//! `net.inet.carp.arpbalance=1`).
//!
//! The requester's address, read as a host-order 32-bit number, modulo the
//! number of running vhids holding the address, indexes those vhids in the
//! parent's list order (sorted by vhid). The host answers, with that vhid's
//! virtual MAC, only if it is master of the chosen vhid; every other host
//! stays silent. So each requester sticks to one vhid, and requesters
//! spread over the vhids, hence over the masters.

use core::net::Ipv4Addr;

/// Index of the vhid that answers `sender` among `count` candidates:
/// `u32::from(sender) % count`, as BSD `ntohl(src) % count`. `None` when
/// there is no candidate.
pub fn arpbalance_index(sender: Ipv4Addr, count: usize) -> Option<usize> {
    let count = u32::try_from(count).unwrap_or(u32::MAX);
    let index = u32::from(sender).checked_rem(count)?;
    usize::try_from(index).ok()
}

/// The candidate that answers `sender`: `candidates` are the running vhids
/// (or anything identifying them) that hold the requested address, in the
/// parent's list order; the one at [`arpbalance_index`] is returned.
/// `None` when there are no candidates.
///
/// The iterator is walked twice (count, then pick), hence `Clone`.
pub fn arpbalance_choose<I>(sender: Ipv4Addr, candidates: I) -> Option<I::Item>
where
    I: IntoIterator,
    I::IntoIter: Clone,
{
    let iter = candidates.into_iter();
    let index = arpbalance_index(sender, iter.clone().count())?;
    iter.into_iter().nth(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_sender_modulo_count() {
        assert_eq!(arpbalance_index(Ipv4Addr::new(192, 0, 2, 12), 0), None);
        assert_eq!(arpbalance_index(Ipv4Addr::new(192, 0, 2, 12), 1), Some(0));
        // 0xc000020c = 3221226060: mod 3 = 2, mod 7 = 2.
        assert_eq!(arpbalance_index(Ipv4Addr::new(192, 0, 2, 12), 3), Some(2));
        assert_eq!(arpbalance_index(Ipv4Addr::new(192, 0, 2, 12), 7), Some(2));
        // Host order, not the little-endian in-memory word: 1.0.0.0 is
        // 16777216 (even), 0.0.0.1 is 1 (odd).
        assert_eq!(arpbalance_index(Ipv4Addr::new(1, 0, 0, 0), 2), Some(0));
        assert_eq!(arpbalance_index(Ipv4Addr::new(0, 0, 0, 1), 2), Some(1));
        assert_eq!(
            arpbalance_index(Ipv4Addr::new(255, 255, 255, 255), 2),
            Some(1)
        );
        assert_eq!(
            arpbalance_index(Ipv4Addr::new(0, 0, 0, 5), usize::MAX),
            Some(5)
        );
    }

    #[test]
    fn chooses_in_list_order() {
        let vhids = [3u8, 9, 200];
        assert_eq!(
            arpbalance_choose(Ipv4Addr::new(10, 0, 0, 0), vhids),
            Some(9)
        ); // 0x0a000000 % 3 = 1
        assert_eq!(arpbalance_choose(Ipv4Addr::new(0, 0, 0, 3), vhids), Some(3));
        assert_eq!(
            arpbalance_choose(Ipv4Addr::new(0, 0, 0, 2), vhids),
            Some(200)
        );
        assert_eq!(arpbalance_choose(Ipv4Addr::new(0, 0, 0, 2), [0u8; 0]), None);
        assert_eq!(
            arpbalance_choose(Ipv4Addr::new(0, 0, 0, 2), vhids.iter().filter(|v| **v > 5)),
            Some(&9)
        );
    }

    #[test]
    fn consecutive_senders_spread_exactly_evenly() {
        let vhids = [1u8, 2, 3];
        let mut counts = [0usize; 3];
        let base = u32::from(Ipv4Addr::new(192, 0, 2, 0));
        for i in 0..3000 {
            let v = arpbalance_choose(Ipv4Addr::from(base + i), vhids).unwrap();
            counts[usize::from(v) - 1] += 1;
        }
        assert_eq!(counts, [1000, 1000, 1000]);
    }

    #[test]
    fn pseudo_random_senders_spread_about_evenly() {
        let mut x: u32 = 0x1234_5678;
        let mut counts = [0usize; 3];
        for _ in 0..3000 {
            // xorshift32: deterministic, no RNG dependency.
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            counts[arpbalance_index(Ipv4Addr::from(x), 3).unwrap()] += 1;
        }
        for c in counts {
            assert!((900..=1100).contains(&c), "{counts:?}");
        }
    }
}
