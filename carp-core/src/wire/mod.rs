//! The CARP advertisement on the wire.
//!
//! Two layers, in smoltcp's manner:
//!
//! * [`Packet`] is a *view* over a byte buffer. [`Packet::new_checked`]
//!   checks the length once, up front; after that every accessor is a plain
//!   read of a fixed offset. Accessors never panic: on a view built with
//!   [`Packet::new_unchecked`] over a buffer shorter than [`HEADER_LEN`] they
//!   read zero and the setters do nothing.
//! * [`Advert`] is the *value*: the fields a state machine cares about.
//!   [`Advert::parse`] validates a view (checksum, version, type, authlen) and
//!   [`Advert::emit`] writes one into a buffer, checksum included.
//!
//! The header itself is [`CarpHeader`], a `zerocopy` image of the 36 wire
//! bytes. Nothing in this module allocates or panics, whatever the input.
//!
//! [`vrrp`] holds the other message IP protocol 112 carries, the VRRPv3
//! advertisement of a vhid in the VRRP personality, in the same two layers.

mod advert;
mod checksum;
mod header;
mod packet;
pub mod vrrp;

pub use advert::Advert;
pub use checksum::{checksum, verify_checksum, Checksum};
pub use header::CarpHeader;
pub use packet::Packet;

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

/// IP protocol number (and IPv6 next header) of CARP: 112, shared with VRRP.
pub const PROTO: u8 = 112;
/// The only CARP version on the wire.
pub const VERSION: u8 = 2;
/// Type of an advertisement, the only message CARP sends.
pub const TYPE_ADVERTISEMENT: u8 = 1;
/// Length of counter plus digest in 32-bit words, fixed by the protocol.
pub const AUTHLEN: u8 = 7;
/// IPv4 TTL and IPv6 hop limit of every advert; anything else is rejected.
pub const TTL: u8 = 255;
/// Length of the CARP header in bytes.
pub const HEADER_LEN: usize = 36;
/// Length of the HMAC-SHA1 digest in bytes.
pub const DIGEST_LEN: usize = 20;
/// IPv4 multicast group of the adverts.
pub const GROUP_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// IPv6 multicast group of the adverts.
pub const GROUP_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
/// IPv4 type of service of BSD adverts (`IPTOS_LOWDELAY`).
pub const TOS_LOWDELAY: u8 = 0x10;
/// advbase and advskew of the bow-out advert sent when a master leaves.
pub const BOW_OUT: u8 = 255;
/// Bytes a [`crate::VirtualHost::poll_transmit`] buffer needs for any
/// advert: the larger of a CARP header and the two VRRPv3 messages (IPv4
/// and IPv6) of a vhid with [`crate::vhost::MAX_ADDRS`] addresses.
pub const MAX_TRANSMIT_LEN: usize = vrrp::VRRP_HEADER_LEN * 2 + crate::vhost::MAX_ADDRS * 16;

/// Why a byte buffer is not a valid CARP advertisement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// Fewer than [`HEADER_LEN`] bytes.
    Truncated {
        /// Bytes present.
        len: usize,
    },
    /// The Internet checksum over the 36 bytes does not verify.
    BadChecksum {
        /// Checksum field as received.
        got: u16,
        /// Checksum the field should hold.
        expected: u16,
    },
    /// Version nibble other than [`VERSION`].
    BadVersion(u8),
    /// Type nibble other than [`TYPE_ADVERTISEMENT`].
    BadType(u8),
    /// authlen other than [`AUTHLEN`].
    BadAuthLen(u8),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            WireError::Truncated { len } => {
                write!(f, "truncated CARP header: {len} bytes, need {HEADER_LEN}")
            }
            WireError::BadChecksum { got, expected } => {
                write!(f, "bad CARP checksum {got:#06x}, expected {expected:#06x}")
            }
            WireError::BadVersion(v) => write!(f, "bad CARP version {v}, expected {VERSION}"),
            WireError::BadType(t) => {
                write!(f, "bad CARP type {t}, expected {TYPE_ADVERTISEMENT}")
            }
            WireError::BadAuthLen(a) => write!(f, "bad CARP authlen {a}, expected {AUTHLEN}"),
        }
    }
}

impl core::error::Error for WireError {}

#[cfg(test)]
mod tests;
