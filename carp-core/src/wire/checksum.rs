//! The Internet checksum (RFC 1071), for the CARP header and, through
//! carp-ifnet, the IPv4 and ICMPv6 checksums.
//!
//! Sums big-endian 64-bit words with an end-around carry: since
//! 2^16 = 1 (mod 0xffff), a word `w0:w1:w2:w3` adds the same as
//! `w0 + w1 + w2 + w3`, and a carry out of bit 63 is worth 2^64 = 1, so the
//! folded result equals RFC 1071's 16-bit sum with a quarter of the
//! additions.

/// A running one's-complement sum over one or more pieces. Every piece but
/// the last must have an even length (true of every header and address).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checksum {
    acc: u64,
}

impl Checksum {
    /// An empty sum.
    pub const fn new() -> Checksum {
        Checksum { acc: 0 }
    }

    /// Adds `data` (a trailing odd byte is padded with zero).
    pub fn add(&mut self, data: &[u8]) -> &mut Checksum {
        let mut words = data.chunks_exact(8);
        for word in &mut words {
            if let Ok(word) = <[u8; 8]>::try_from(word) {
                self.add_word(u64::from_be_bytes(word));
            }
        }
        let mut tail = words.remainder();
        if let [a, b, c, d, rest @ ..] = tail {
            self.add_word(u64::from(u32::from_be_bytes([*a, *b, *c, *d])));
            tail = rest;
        }
        match *tail {
            [a, b, c] => self.add_word(u64::from(u32::from_be_bytes([a, b, c, 0]))),
            [a, b] => self.add_word(u64::from(u16::from_be_bytes([a, b]))),
            [a] => self.add_word(u64::from(u16::from_be_bytes([a, 0]))),
            _ => {}
        }
        self
    }

    /// One's complement addition of a 64-bit word (end-around carry).
    fn add_word(&mut self, word: u64) {
        let (sum, carry) = self.acc.overflowing_add(word);
        // With a carry the sum is at most 2^64 - 2, so adding 1 cannot
        // overflow again.
        self.acc = sum.wrapping_add(u64::from(carry));
    }

    /// The folded sum, not complemented: 0xffff over data whose checksum
    /// field is right.
    pub fn folded(&self) -> u16 {
        let mut acc = (self.acc & 0xffff_ffff) + (self.acc >> 32);
        while acc > 0xffff {
            acc = (acc & 0xffff) + (acc >> 16);
        }
        acc as u16
    }

    /// The value to store in a checksum field that was zero while summing.
    pub fn finish(&self) -> u16 {
        !self.folded()
    }
}

/// The checksum to store for `data` (whose checksum field is zero).
pub fn checksum(data: &[u8]) -> u16 {
    Checksum::new().add(data).finish()
}

/// True when `data`, checksum field included, sums to 0xffff as RFC 1071
/// requires of a packet whose checksum is right.
#[inline]
pub fn verify_checksum(data: &[u8]) -> bool {
    Checksum::new().add(data).folded() == 0xffff
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 1071 done the plain way, 16 bits at a time.
    fn reference(data: &[u8]) -> u16 {
        let mut acc: u32 = 0;
        for pair in data.chunks(2) {
            let hi = u32::from(pair[0]) << 8;
            let lo = pair.get(1).map_or(0, |b| u32::from(*b));
            acc += hi | lo;
        }
        while acc > 0xffff {
            acc = (acc & 0xffff) + (acc >> 16);
        }
        !(acc as u16)
    }

    #[test]
    fn rfc1071_example_sums_to_known_value() {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(checksum(&data), !0xddf2);
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(checksum(&[0x12]), !0x1200);
    }

    #[test]
    fn wide_sum_equals_the_16_bit_sum_for_every_length_and_split() {
        let data: std::vec::Vec<u8> = (0..97u32).map(|i| (i * 37 + 11) as u8).collect();
        for len in 0..data.len() {
            assert_eq!(checksum(&data[..len]), reference(&data[..len]), "len {len}");
            for split in (0..=len).step_by(2) {
                let pieces = Checksum::new()
                    .add(&data[..split])
                    .add(&data[split..len])
                    .finish();
                assert_eq!(pieces, reference(&data[..len]), "len {len} split {split}");
            }
        }
        let ones = [0xffu8; 64];
        assert_eq!(checksum(&ones), reference(&ones));
    }

    #[test]
    fn inserting_the_checksum_makes_data_verify() {
        let mut data = [0x21, 7, 10, 7, 0, 1, 0, 0, 1, 2, 3, 4];
        let c = checksum(&data);
        data[6..8].copy_from_slice(&c.to_be_bytes());
        assert!(verify_checksum(&data));
        data[0] ^= 1;
        assert!(!verify_checksum(&data));
    }
}
