//! The Internet checksum (RFC 1071) over the CARP header.

/// One's-complement sum of `data` folded to 16 bits, complemented: the value
/// to store in a checksum field that was zero while summing.
pub fn checksum(data: &[u8]) -> u16 {
    !fold(sum(data))
}

/// True when `data`, checksum field included, sums to 0xffff as RFC 1071
/// requires of a packet whose checksum is right.
pub fn verify_checksum(data: &[u8]) -> bool {
    fold(sum(data)) == 0xffff
}

fn sum(data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    let mut acc: u32 = 0;
    for pair in &mut chunks {
        if let [hi, lo] = *pair {
            acc += u32::from(u16::from_be_bytes([hi, lo]));
        }
    }
    if let [last] = *chunks.remainder() {
        acc += u32::from(u16::from_be_bytes([last, 0]));
    }
    acc
}

fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn inserting_the_checksum_makes_data_verify() {
        let mut data = [0x21, 7, 10, 7, 0, 1, 0, 0, 1, 2, 3, 4];
        let c = checksum(&data);
        data[6..8].copy_from_slice(&c.to_be_bytes());
        assert!(verify_checksum(&data));
        data[0] ^= 1;
        assert!(!verify_checksum(&data));
    }
}
