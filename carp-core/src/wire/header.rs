//! The 36-byte CARP header as a `zerocopy` type.

use zerocopy::byteorder::network_endian::{U16, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::DIGEST_LEN;

/// The CARP header exactly as it is on the wire (network byte order).
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |Version| Type  |     VHID      |    AdvSkew    |    AuthLen    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |    Demote     |    AdvBase    |           Checksum            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                   Counter (1), high 32 bits                   |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                   Counter (2), low 32 bits                    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                                                               |
/// +                  SHA-1 HMAC (20 bytes)                        +
/// |                                                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
///
/// `demote` is OpenBSD's sender demotion count; FreeBSD and NetBSD send 0.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq,
)]
#[repr(C)]
pub struct CarpHeader {
    /// Version in the high nibble, type in the low nibble (0x21).
    pub version_type: u8,
    /// Virtual host id, 1..=255.
    pub vhid: u8,
    /// Advertisement skew in 1/256 s.
    pub advskew: u8,
    /// Counter plus digest length in 32-bit words (7).
    pub authlen: u8,
    /// OpenBSD demotion count of the sender (pad elsewhere).
    pub demote: u8,
    /// Advertisement base interval in seconds.
    pub advbase: u8,
    /// Internet checksum of the 36 bytes with this field zero.
    pub checksum: U16,
    /// 64-bit counter: two 32-bit words, high then low, i.e. big-endian.
    pub counter: U64,
    /// HMAC-SHA1 over the message of [`crate::auth`].
    pub digest: [u8; DIGEST_LEN],
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::HEADER_LEN;

    #[test]
    fn header_is_exactly_36_bytes() {
        assert_eq!(core::mem::size_of::<CarpHeader>(), HEADER_LEN);
        assert_eq!(core::mem::align_of::<CarpHeader>(), 1);
    }
}
