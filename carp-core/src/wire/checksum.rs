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
///
/// Sums in the CPU's byte order, which RFC 1071 section 2(B) allows: the
/// sum of byte-swapped words is the byte-swapped sum, and 0xffff swapped
/// is 0xffff, so only the comparison matters and no word is swapped. The
/// fold is two end-around additions, 64 to 32 and 32 to 16 bits, without
/// a loop. On the input path this check runs twice per packet (the IPv4
/// header, then the CARP header) before anything else is decided, with a
/// length known at the call: inlined, it is a dozen instructions.
#[inline(always)]
pub fn verify_checksum(data: &[u8]) -> bool {
    let mut acc = 0u64;
    let mut words = data.chunks_exact(8);
    for word in &mut words {
        if let Ok(word) = <[u8; 8]>::try_from(word) {
            acc = add_end_around(acc, u64::from_ne_bytes(word));
        }
    }
    let mut tail = words.remainder();
    if let [a, b, c, d, rest @ ..] = tail {
        acc = add_end_around(acc, u64::from(u32::from_ne_bytes([*a, *b, *c, *d])));
        tail = rest;
    }
    // A byte in the first position of a 16-bit word is that word's first
    // byte in either byte order, so the padding stays RFC 1071's.
    let last = match *tail {
        [a, b, c] => u64::from(u16::from_ne_bytes([a, b])) + u64::from(u16::from_ne_bytes([c, 0])),
        [a, b] => u64::from(u16::from_ne_bytes([a, b])),
        [a] => u64::from(u16::from_ne_bytes([a, 0])),
        _ => 0,
    };
    acc = add_end_around(acc, last);
    let (sum, carry) = (acc as u32).overflowing_add((acc >> 32) as u32);
    let acc = sum + u32::from(carry);
    let (sum, carry) = (acc as u16).overflowing_add((acc >> 16) as u16);
    // With a carry the sum is at most 0xfffe: adding it cannot overflow.
    sum + u16::from(carry) == 0xffff
}

/// `acc + word` with the carry out of bit 63 added back in (2^64 is 1
/// modulo 0xffff).
#[inline(always)]
fn add_end_around(acc: u64, word: u64) -> u64 {
    let (sum, carry) = acc.overflowing_add(word);
    sum + u64::from(carry)
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
    fn verify_agrees_with_rfc1071_for_every_length_and_byte_pattern() {
        // Fill patterns, then the checksum written into the first word
        // (so that the data verifies), then each byte flipped (so that it
        // must not). All-zero data sums to 0, not 0xffff: it never verifies.
        let patterns: [fn(usize) -> u8; 4] = [
            |i| (i * 37 + 11) as u8,
            |_| 0,
            |_| 0xff,
            |i| if i % 2 == 0 { 0xff } else { 0 },
        ];
        for fill in patterns {
            for len in 0..97usize {
                let mut data: std::vec::Vec<u8> = (0..len).map(fill).collect();
                let verifies = |d: &[u8]| !reference(d) == 0xffff;
                assert_eq!(verify_checksum(&data), verifies(&data), "len {len}");
                if len >= 2 {
                    data[..2].fill(0);
                    let c = checksum(&data);
                    data[..2].copy_from_slice(&c.to_be_bytes());
                    assert_eq!(verify_checksum(&data), verifies(&data), "len {len}");
                    for at in 0..len {
                        data[at] ^= 0x5a;
                        assert_eq!(verify_checksum(&data), verifies(&data), "len {len} at {at}");
                        data[at] ^= 0x5a;
                    }
                }
            }
        }
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
