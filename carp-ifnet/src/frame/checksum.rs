//! Incremental Internet checksum (RFC 1071) for checksums that span several
//! pieces, such as the ICMPv6 pseudo-header and message.

/// Running one's-complement sum. Every piece but the last must have an even
/// length (true of all headers and addresses summed in this crate).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Checksum {
    acc: u64,
}

impl Checksum {
    /// An empty sum.
    pub(crate) const fn new() -> Self {
        Checksum { acc: 0 }
    }

    /// Add `data` as big-endian 16-bit words, a trailing odd byte padded with zero.
    pub(crate) fn add(&mut self, data: &[u8]) -> &mut Self {
        let mut words = data.chunks_exact(2);
        for pair in &mut words {
            if let [hi, lo] = *pair {
                self.acc += u64::from(u16::from_be_bytes([hi, lo]));
            }
        }
        if let [last] = *words.remainder() {
            self.acc += u64::from(u16::from_be_bytes([last, 0]));
        }
        self
    }

    /// The folded sum, not complemented: 0xffff over data whose checksum is right.
    pub(crate) fn folded(&self) -> u16 {
        let mut acc = self.acc;
        while acc > 0xffff {
            acc = (acc & 0xffff) + (acc >> 16);
        }
        acc as u16
    }

    /// The value to store in a checksum field that was zero while summing.
    pub(crate) fn finish(&self) -> u16 {
        !self.folded()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_sum_like_the_whole() {
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7, 0x42];
        let whole = carp_core::wire::checksum(&data);
        let pieces = Checksum::new().add(&data[..4]).add(&data[4..]).finish();
        assert_eq!(whole, pieces);
        assert_eq!(Checksum::new().add(&data[..8]).folded(), 0xddf2);
    }
}
