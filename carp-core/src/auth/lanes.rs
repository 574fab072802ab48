//! The per-advert SHA-1 blocks put together in vector registers (x86_64
//! with SSE2).
//!
//! The SHA-NI compression (`sha1::compress`) loads its block as four
//! 16-byte lanes. A lane just written by narrower stores (the 8-byte
//! counter into a copied template, the inner digest's 4-byte words) cannot
//! be forwarded to that load from the store buffer: the load waits until
//! those stores have left it, and the advert's work stops behind it. Here
//! each lane that changes is put together from its two 64-bit halves and
//! moved into an `__m128i` before it is stored, so every lane is written by
//! one 16-byte store, which the load takes straight from the store buffer.
//! No intrinsic is called (that would need `unsafe`): the values are
//! transmuted (`zerocopy`'s `simd` feature), and the compiler keeps them in
//! vector registers. The state words a compression leaves are read back
//! one at a time ([`state_words`]) for the same reason.
//!
//! Other targets write the bytes in place (`precomputed::bytes`); the tests
//! hold both ways to the same blocks.

use core::arch::x86_64::__m128i;
use core::sync::atomic::{AtomicU32, Ordering};

use super::precomputed::{BLOCK_LEN, OUTER_BITS, PAD};

/// 8-byte words in a block.
const WORDS: usize = BLOCK_LEN / 8;

/// The block whose 8-byte words are `words` (little-endian, as everything
/// on x86_64), each pair moved through a vector register so that its lane
/// is stored whole.
#[inline(always)]
fn block(words: [u64; WORDS]) -> [u8; BLOCK_LEN] {
    let [a, b, c, d, e, f, g, h] = words;
    let lanes: [__m128i; 4] = [
        zerocopy::transmute!([a, b]),
        zerocopy::transmute!([c, d]),
        zerocopy::transmute!([e, f]),
        zerocopy::transmute!([g, h]),
    ];
    zerocopy::transmute!(lanes)
}

/// `lane` with `low` and `high` ORed into its two 8-byte halves.
#[inline(always)]
fn or_lane(lane: __m128i, low: u64, high: u64) -> __m128i {
    let [a, b]: [u64; 2] = zerocopy::transmute!(lane);
    zerocopy::transmute!([a | low, b | high])
}

/// The final inner block of a short tail: `tail` (the static tail, pad byte
/// and bit count in place) with the counter's big-endian bytes at `at`
/// (at most `ONE_BLOCK_TAIL_MAX`: within words 0 to 6). The lanes the
/// counter does not touch are copied as they are.
#[inline(always)]
pub(super) fn inner_block(tail: &[u8; BLOCK_LEN], at: usize, counter: u64) -> [u8; BLOCK_LEN] {
    let mut lanes: [__m128i; 4] = zerocopy::transmute!(*tail);
    // The word whose little-endian bytes are the counter's big-endian ones,
    // moved to the counter's place in its word; the bytes that pass the
    // word's end go to the start of the next one.
    let counter = u64::from_le_bytes(counter.to_be_bytes());
    let shift = 8 * (at % 8) as u32;
    let first = counter << shift;
    let spill = counter.checked_shr(64 - shift).unwrap_or(0);
    // The place is the same for every advert of one configuration, so the
    // branch is always predicted; each arm has fixed lanes, in registers.
    match at / 8 {
        0 => lanes[0] = or_lane(lanes[0], first, spill),
        1 => {
            lanes[0] = or_lane(lanes[0], 0, first);
            lanes[1] = or_lane(lanes[1], spill, 0);
        }
        2 => lanes[1] = or_lane(lanes[1], first, spill),
        3 => {
            lanes[1] = or_lane(lanes[1], 0, first);
            lanes[2] = or_lane(lanes[2], spill, 0);
        }
        4 => lanes[2] = or_lane(lanes[2], first, spill),
        _ => {
            lanes[2] = or_lane(lanes[2], 0, first);
            lanes[3] = or_lane(lanes[3], spill, 0);
        }
    }
    zerocopy::transmute!(lanes)
}

/// The last outer block: the inner digest (the five state words
/// big-endian), the pad byte, zeros and the bit count of opad block and
/// digest ([`OUTER_BITS`]).
#[inline(always)]
pub(super) fn outer_block(inner: [u32; 5]) -> [u8; BLOCK_LEN] {
    // A word's big-endian bytes, at byte `at` of a little-endian u64.
    let be = |word: u32, at: u32| u64::from(u32::from_le_bytes(word.to_be_bytes())) << (8 * at);
    let [a, b, c, d, e] = inner;
    let bits = u64::from_le_bytes(OUTER_BITS.to_be_bytes());
    block([
        be(a, 0) | be(b, 4),
        be(c, 0) | be(d, 4),
        be(e, 0) | u64::from(PAD) << 32,
        0,
        0,
        0,
        0,
        bits,
    ])
}

/// The state words as `sha1::compress` left them, read one at a time.
///
/// The SHA-NI compression stores the state as five 4-byte words. The
/// compiler merges adjacent loads of them into one 16-byte load, which
/// cannot be forwarded from those stores either. Relaxed atomic loads are
/// never merged or widened: each is one plain 4-byte load here, served
/// from its own store.
#[inline(always)]
pub(super) fn state_words(state: &mut [u32; 5]) -> [u32; 5] {
    let words: &mut [AtomicU32; 5] = zerocopy::transmute_mut!(state);
    words.each_ref().map(|word| word.load(Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::super::precomputed::{bytes, ONE_BLOCK_TAIL_MAX};
    use super::*;

    /// xorshift64: arbitrary bytes, the same every run.
    fn fill(seed: &mut u64, out: &mut [u8]) {
        for byte in out {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            *byte = (*seed >> 24) as u8;
        }
    }

    #[test]
    fn inner_blocks_match_the_bytes_written_in_place() {
        let mut seed = 0x9e37_79b9_7f4a_7c15;
        let counters = [0, u64::MAX, 1 << 63, 0x0102_0304_0506_0708]
            .into_iter()
            .chain((0..8).map(|i| 0xa5u64 << (8 * i)));
        for counter in counters {
            // Every place the counter can start in a one-block finish, odd
            // (every real message) and even.
            for at in 0..=ONE_BLOCK_TAIL_MAX {
                let mut tail = [0u8; BLOCK_LEN];
                fill(&mut seed, &mut tail);
                // The builder leaves the counter's bytes zero.
                tail[at..at + 8].fill(0);
                assert_eq!(
                    inner_block(&tail, at, counter),
                    bytes::inner_block(&tail, at, counter),
                    "at {at} counter {counter:#x}"
                );
            }
        }
    }

    #[test]
    fn outer_blocks_and_state_words_match_the_bytes_written_in_place() {
        let mut seed = 0x2545_f491_4f6c_dd1d;
        for _ in 0..64 {
            let mut raw = [0u8; 20];
            fill(&mut seed, &mut raw);
            let mut state: [u32; 5] = zerocopy::transmute!(raw);
            assert_eq!(outer_block(state), bytes::outer_block(state));
            let mut copy = state;
            assert_eq!(state_words(&mut state), bytes::state_words(&mut copy));
        }
    }
}
