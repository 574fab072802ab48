//! HMAC-SHA1 over "static message, then 8 counter bytes", with everything
//! but the counter done once: the raw SHA-1 compression function
//! (`sha1::compress`) and templates of the final padded blocks.
//!
//! Per message this costs one inner compression (two when the static
//! message leaves more than 47 bytes in its last block) and one outer
//! compression, which is the least any HMAC-SHA1 can cost.

use sha1::digest::consts::U64;
use sha1::digest::generic_array::GenericArray;

use crate::wire::DIGEST_LEN;

/// SHA-1 block length: HMAC pads the key to this.
pub(in crate::auth) const BLOCK_LEN: usize = 64;
/// Bytes of the per-message part: the counter.
const COUNTER_LEN: usize = 8;
/// Bytes of the big-endian bit count closing the last block.
const BITS_LEN: usize = 8;
/// The pad byte right after the message.
pub(in crate::auth) const PAD: u8 = 0x80;
/// Longest tail (message bytes after the last whole block) that still
/// leaves room in the same block for counter, pad byte and bit count.
pub(in crate::auth) const ONE_BLOCK_TAIL_MAX: usize = BLOCK_LEN - COUNTER_LEN - 1 - BITS_LEN;

/// SHA-1's initial state (FIPS 180-4, 5.3.1).
const IV: [u32; 5] = [
    0x6745_2301,
    0xefcd_ab89,
    0x98ba_dcfe,
    0x1032_5476,
    0xc3d2_e1f0,
];

type Block = GenericArray<u8, U64>;

fn compress(state: &mut [u32; 5], block: &[u8; BLOCK_LEN]) {
    sha1::compress(state, core::slice::from_ref(<&Block>::from(block)));
}

/// The state as the 20 digest bytes.
fn digest_bytes(state: [u32; 5]) -> [u8; DIGEST_LEN] {
    zerocopy::transmute!(state.map(u32::to_be_bytes))
}

/// 672: the outer message is the opad block and the inner digest.
pub(in crate::auth) const OUTER_BITS: u64 = ((BLOCK_LEN + DIGEST_LEN) * 8) as u64;

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
use super::lanes::{inner_block, outer_block, state_words};
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
use bytes::{inner_block, outer_block, state_words};

/// The per-advert blocks written in place, byte by byte: the way without
/// vector registers (on x86_64 with SSE2 `lanes` builds the same blocks).
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
pub(in crate::auth) mod bytes {
    use zerocopy::{Immutable, IntoBytes};

    use super::{digest_bytes, BITS_LEN, BLOCK_LEN, COUNTER_LEN, OUTER_BITS, PAD};
    use crate::wire::DIGEST_LEN;

    /// The last outer block: the inner digest, the pad, and the bit count of
    /// opad block plus digest (672). Only the digest differs between messages.
    #[derive(IntoBytes, Immutable)]
    #[repr(C)]
    struct OuterBlock {
        digest: [u8; DIGEST_LEN],
        pad: [u8; BLOCK_LEN - DIGEST_LEN - BITS_LEN],
        bits: [u8; BITS_LEN],
    }

    const OUTER_PAD: [u8; BLOCK_LEN - DIGEST_LEN - BITS_LEN] = {
        let mut pad = [0u8; BLOCK_LEN - DIGEST_LEN - BITS_LEN];
        pad[0] = PAD;
        pad
    };

    /// The final inner block of a short tail: `tail` with the counter's
    /// big-endian bytes at `at` (at most `ONE_BLOCK_TAIL_MAX`).
    pub(in crate::auth) fn inner_block(
        tail: &[u8; BLOCK_LEN],
        at: usize,
        counter: u64,
    ) -> [u8; BLOCK_LEN] {
        let mut block = *tail;
        if let Some(slot) = block.get_mut(at..at + COUNTER_LEN) {
            slot.copy_from_slice(&counter.to_be_bytes());
        }
        block
    }

    /// The state words.
    #[inline(always)]
    pub(in crate::auth) fn state_words(state: &mut [u32; 5]) -> [u32; 5] {
        *state
    }

    /// The last outer block: the inner digest, pad byte, zeros, bit count.
    pub(in crate::auth) fn outer_block(inner: [u32; 5]) -> [u8; BLOCK_LEN] {
        zerocopy::transmute!(OuterBlock {
            digest: digest_bytes(inner),
            pad: OUTER_PAD,
            bits: OUTER_BITS.to_be_bytes(),
        })
    }
}

/// SHA-1 midway: the state after every whole block so far, and the bytes of
/// the block being filled.
struct Absorber {
    state: [u32; 5],
    block: [u8; BLOCK_LEN],
    /// Bytes of `block` filled, always below [`BLOCK_LEN`].
    filled: usize,
    /// Bytes absorbed in total.
    total: u64,
}

impl Absorber {
    /// Starts a HMAC half: the key, zero-padded to a block, XORed with `pad`.
    fn keyed(key: &[u8], pad: u8) -> Absorber {
        let mut absorber = Absorber {
            state: IV,
            block: [0; BLOCK_LEN],
            filled: 0,
            total: 0,
        };
        let mut padded = [pad; BLOCK_LEN];
        for (dst, src) in padded.iter_mut().zip(key) {
            *dst ^= *src;
        }
        absorber.update(&padded);
        absorber
    }

    fn update(&mut self, bytes: &[u8]) {
        for byte in bytes {
            if let Some(slot) = self.block.get_mut(self.filled) {
                *slot = *byte;
                self.filled += 1;
            }
            if self.filled == BLOCK_LEN {
                compress(&mut self.state, &self.block);
                self.filled = 0;
            }
            self.total += 1;
        }
    }
}

/// One form of the message, ready for counters: inner state after ipad and
/// the static message's whole blocks, the inner tail template, outer state
/// after opad.
#[derive(Clone)]
pub(super) struct Precomputed {
    inner: [u32; 5],
    outer: [u32; 5],
    /// The static message's last partial block. With a short tail (one
    /// final block) also the pad byte and the bit count, so that only the
    /// counter at `tail_len` is missing; otherwise zeros after the tail.
    tail: [u8; BLOCK_LEN],
    /// Static message bytes in `tail`, below [`BLOCK_LEN`].
    tail_len: u8,
    /// Big-endian bit count of the whole inner message, ipad block and
    /// counter included: needed for the second final block only.
    inner_bits: [u8; BITS_LEN],
}

impl Precomputed {
    /// Starts the inner hash: `key` (at most one block) ready for the
    /// static message, which `absorb` feeds to the returned builder.
    pub(super) fn builder(key: &[u8]) -> Builder<'_> {
        Builder {
            key,
            inner: Absorber::keyed(key, 0x36),
        }
    }

    /// HMAC-SHA1 of the static message followed by `counter` (big-endian).
    pub(super) fn digest(&self, counter: u64) -> [u8; DIGEST_LEN] {
        digest_bytes(self.words(counter))
    }

    /// The same digest as the final SHA-1 state: its five big-endian words.
    // Inlined where the vector lanes are built: the caller then takes the
    // words from registers, not as one wide load of five narrow stores.
    #[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), inline(always))]
    pub(super) fn words(&self, counter: u64) -> [u32; 5] {
        self.outer_words(self.inner_words(counter))
    }

    /// The first half: the inner hash's final state, after the block(s)
    /// holding `counter`.
    #[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), inline(always))]
    pub(super) fn inner_words(&self, counter: u64) -> [u32; 5] {
        let mut inner = self.inner;
        let at = usize::from(self.tail_len);
        if at <= ONE_BLOCK_TAIL_MAX {
            compress(&mut inner, &inner_block(&self.tail, at, counter));
        } else {
            self.two_final_blocks(&mut inner, counter.to_be_bytes());
        }
        inner
    }

    /// The second half: the outer hash over the inner state `inner`, as
    /// the digest's five big-endian words.
    #[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), inline(always))]
    pub(super) fn outer_words(&self, mut inner: [u32; 5]) -> [u32; 5] {
        let mut outer = self.outer;
        compress(&mut outer, &outer_block(state_words(&mut inner)));
        state_words(&mut outer)
    }

    /// The long-tail case: counter, pad and bit count spill into a second
    /// final block.
    #[cold]
    fn two_final_blocks(&self, inner: &mut [u32; 5], counter: [u8; COUNTER_LEN]) {
        let mut blocks = [self.tail, [0; BLOCK_LEN]];
        let at = usize::from(self.tail_len);
        let bytes: &mut [u8; 2 * BLOCK_LEN] = zerocopy::transmute_mut!(&mut blocks);
        if let Some(slot) = bytes.get_mut(at..at + COUNTER_LEN) {
            slot.copy_from_slice(&counter);
        }
        if let Some(slot) = bytes.get_mut(at + COUNTER_LEN) {
            *slot = PAD;
        }
        if let Some(slot) = bytes.get_mut(2 * BLOCK_LEN - BITS_LEN..) {
            slot.copy_from_slice(&self.inner_bits);
        }
        for block in &blocks {
            compress(inner, block);
        }
    }
}

/// A [`Precomputed`] being built: feed the static message, then `finish`.
pub(super) struct Builder<'k> {
    key: &'k [u8],
    inner: Absorber,
}

impl Builder<'_> {
    /// Appends static message bytes.
    pub(super) fn update(&mut self, bytes: &[u8]) {
        self.inner.update(bytes);
    }

    /// Lays out the tail template and runs the outer pad block.
    pub(super) fn finish(self) -> Precomputed {
        let Absorber {
            state,
            block,
            filled,
            total,
        } = self.inner;
        let bits = ((total + COUNTER_LEN as u64) * 8).to_be_bytes();
        let mut tail = [0u8; BLOCK_LEN];
        for (dst, src) in tail.iter_mut().zip(block).take(filled) {
            *dst = src;
        }
        if filled <= ONE_BLOCK_TAIL_MAX {
            if let Some(slot) = tail.get_mut(filled + COUNTER_LEN) {
                *slot = PAD;
            }
            if let Some(slot) = tail.get_mut(BLOCK_LEN - BITS_LEN..) {
                slot.copy_from_slice(&bits);
            }
        }
        Precomputed {
            inner: state,
            outer: Absorber::keyed(self.key, 0x5c).state,
            tail,
            // `filled` is below BLOCK_LEN.
            tail_len: filled as u8,
            inner_bits: bits,
        }
    }
}
