//! The VRRPv3 advertisement (RFC 9568, which obsoletes RFC 5798; FreeBSD
//! `struct vrrpv3_header`, `ip_carp.h`): the view [`VrrpPacket`], the value
//! [`VrrpAdvert`], and the checksum over the IP pseudo-header.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version| Type  | Virtual Rtr ID|   Priority    |Count IPvX Addr|
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |(rsvd) |     Max Adver Int     |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                  IPvX Address(es), 4 or 16 bytes each         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Unlike CARP's, the VRRPv3 checksum covers a pseudo-header (RFC 9568
//! 5.2.8: for IPv6 the one of RFC 8200 8.1; for IPv4 source, destination,
//! a zero byte, protocol 112 and the VRRP length), so it can only be
//! computed once the IP source and destination are chosen: [`fill_checksum`]
//! and [`verify_checksum`] take a [`PseudoHeader`]. FreeBSD
//! (`vrrp_checksum_verify`, `vrrp_send_ad_locked`: `in_pseudo` /
//! `in6_cksum_pseudo`) and keepalived (`vrrp_check_packet`, IPv4 pseudo
//! header with the real destination unless its unicast compatibility mode
//! is on) do the same. The address family is not on the wire: it is that
//! of the IP header (4-byte addresses over IPv4, 16-byte over IPv6).
//!
//! As for CARP ([`super::Packet`]): a checked view reads fixed offsets and
//! never panics; an unchecked view over a short buffer reads zero.

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Checksum, PROTO, TYPE_ADVERTISEMENT};

/// The VRRP version this module speaks (FreeBSD `CARP_VERSION_VRRPv3`).
pub const VRRP_VERSION: u8 = 3;
/// Length of the fixed VRRPv3 header, before the addresses.
pub const VRRP_HEADER_LEN: usize = 8;
/// Largest Max Adver Int: the field has 12 bits (FreeBSD `VRRP_MAX_INTERVAL`).
pub const MAX_ADVER_INT: u16 = 0x0fff;
/// Priority of the address owner: it takes over at once and ignores the
/// adverts of others (RFC 9568 6.1, 6.4.1).
pub const PRIORITY_OWNER: u8 = 255;
/// Priority a leaving master advertises so backups take over after only
/// their skew time (RFC 9568 6.4.3, Shutdown).
pub const PRIORITY_BOW_OUT: u8 = 0;

const CHECKSUM_AT: usize = 6;
const INTERVAL_MASK: u16 = 0x0fff;

/// Address family of a VRRP message, fixed by the IP header that carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VrrpFamily {
    /// Over IPv4: 4-byte addresses.
    V4,
    /// Over IPv6: 16-byte addresses.
    V6,
}

impl VrrpFamily {
    /// Bytes per address.
    pub const fn addr_len(self) -> usize {
        match self {
            VrrpFamily::V4 => 4,
            VrrpFamily::V6 => 16,
        }
    }

    /// True if `addr` is of this family.
    pub const fn holds(self, addr: &IpAddr) -> bool {
        matches!(
            (self, addr),
            (VrrpFamily::V4, IpAddr::V4(_)) | (VrrpFamily::V6, IpAddr::V6(_))
        )
    }
}

/// Why bytes are not a valid VRRPv3 advertisement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VrrpError {
    /// Shorter than the fixed header plus the addresses it counts.
    Truncated {
        /// Bytes present.
        len: usize,
        /// Bytes the header and its address count need.
        need: usize,
    },
    /// Version nibble other than [`VRRP_VERSION`].
    BadVersion(u8),
    /// Type nibble other than 1 (advertisement).
    BadType(u8),
    /// The checksum over pseudo-header and message does not verify.
    BadChecksum {
        /// Checksum field as received.
        got: u16,
        /// Checksum the field should hold.
        expected: u16,
    },
}

impl fmt::Display for VrrpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            VrrpError::Truncated { len, need } => {
                write!(f, "truncated VRRP advertisement: {len} bytes, need {need}")
            }
            VrrpError::BadVersion(v) => write!(f, "bad VRRP version {v}, expected 3"),
            VrrpError::BadType(t) => write!(f, "bad VRRP type {t}, expected 1"),
            VrrpError::BadChecksum { got, expected } => {
                write!(f, "bad VRRP checksum {got:#06x}, expected {expected:#06x}")
            }
        }
    }
}

impl core::error::Error for VrrpError {}

/// The IP addresses a VRRP checksum covers besides the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PseudoHeader {
    /// IPv4 source and destination.
    V4 {
        /// Source.
        src: Ipv4Addr,
        /// Destination (224.0.0.18, or the unicast peer).
        dst: Ipv4Addr,
    },
    /// IPv6 source and destination.
    V6 {
        /// Source.
        src: Ipv6Addr,
        /// Destination (ff02::12, or the unicast peer).
        dst: Ipv6Addr,
    },
}

impl PseudoHeader {
    /// The family of the addresses.
    pub const fn family(&self) -> VrrpFamily {
        match self {
            PseudoHeader::V4 { .. } => VrrpFamily::V4,
            PseudoHeader::V6 { .. } => VrrpFamily::V6,
        }
    }

    /// The running sum of this pseudo-header for a message of `len` bytes.
    fn sum(&self, len: usize) -> Checksum {
        let mut sum = Checksum::new();
        match self {
            // RFC 768's layout, which RFC 9568 5.2.8 names for IPv4: src,
            // dst, zero, protocol, length (16 bits).
            PseudoHeader::V4 { src, dst } => {
                let len = u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes();
                sum.add(&src.octets())
                    .add(&dst.octets())
                    .add(&[0, PROTO])
                    .add(&len);
            }
            // RFC 8200 8.1: src, dst, upper-layer length (32 bits), three
            // zero bytes, next header.
            PseudoHeader::V6 { src, dst } => {
                let len = u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes();
                sum.add(&src.octets())
                    .add(&dst.octets())
                    .add(&len)
                    .add(&[0, 0, 0, PROTO]);
            }
        }
        sum
    }
}

/// The checksum field `message` (its own field zero or not) should hold
/// under `pseudo`.
pub fn checksum(message: &[u8], pseudo: &PseudoHeader) -> u16 {
    let mut sum = pseudo.sum(message.len());
    let head = message.get(..CHECKSUM_AT).unwrap_or(message);
    let tail = message.get(CHECKSUM_AT + 2..).unwrap_or(&[]);
    sum.add(head).add(&[0, 0]).add(tail);
    sum.finish()
}

/// Writes the checksum of `message` under `pseudo` into its field.
/// Nothing happens to a buffer shorter than [`VRRP_HEADER_LEN`].
pub fn fill_checksum(message: &mut [u8], pseudo: &PseudoHeader) {
    let value = checksum(message, pseudo);
    if let Some(field) = message.get_mut(CHECKSUM_AT..CHECKSUM_AT + 2) {
        field.copy_from_slice(&value.to_be_bytes());
    }
}

/// True when `message` with its checksum field sums to 0xffff with `pseudo`
/// (RFC 1071; 0x0000 and 0xffff both verify when the rest sums to 0xffff,
/// as for CARP).
pub fn verify_checksum(message: &[u8], pseudo: &PseudoHeader) -> bool {
    let mut sum = pseudo.sum(message.len());
    sum.add(message);
    sum.folded() == 0xffff
}

/// A view of a VRRPv3 message in a buffer (header and addresses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VrrpPacket<T: AsRef<[u8]>> {
    buffer: T,
    family: VrrpFamily,
}

impl<T: AsRef<[u8]>> VrrpPacket<T> {
    /// Wraps a buffer without checking it.
    pub const fn new_unchecked(buffer: T, family: VrrpFamily) -> Self {
        VrrpPacket { buffer, family }
    }

    /// Gives the buffer back (as [`super::Packet::into_inner`]).
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Wraps a buffer after [`VrrpPacket::check_len`].
    ///
    /// # Errors
    /// [`VrrpError::Truncated`].
    pub fn new_checked(buffer: T, family: VrrpFamily) -> Result<Self, VrrpError> {
        let packet = VrrpPacket { buffer, family };
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that the buffer holds the fixed header and every address it
    /// counts. Bytes after them are ignored (link padding).
    ///
    /// # Errors
    /// [`VrrpError::Truncated`] with the length needed.
    pub fn check_len(&self) -> Result<(), VrrpError> {
        let len = self.buffer.as_ref().len();
        let need = if len < VRRP_HEADER_LEN {
            VRRP_HEADER_LEN
        } else {
            self.message_len()
        };
        if len < need {
            return Err(VrrpError::Truncated { len, need });
        }
        Ok(())
    }

    fn byte(&self, at: usize) -> u8 {
        self.buffer.as_ref().get(at).copied().unwrap_or(0)
    }

    /// The family the addresses are read in.
    pub const fn family(&self) -> VrrpFamily {
        self.family
    }

    /// Version nibble.
    pub fn version(&self) -> u8 {
        self.byte(0) >> 4
    }

    /// Type nibble.
    pub fn kind(&self) -> u8 {
        self.byte(0) & 0x0f
    }

    /// Virtual router id (the vhid).
    pub fn vrid(&self) -> u8 {
        self.byte(1)
    }

    /// Priority: 255 owner, 1..254 backups, 0 a master leaving.
    pub fn priority(&self) -> u8 {
        self.byte(2)
    }

    /// Count of addresses.
    pub fn count(&self) -> u8 {
        self.byte(3)
    }

    /// Max Adver Int in centiseconds (the low 12 bits; the reserved high
    /// four are ignored on input, as RFC 9568 5.2.6 asks).
    pub fn max_adver_int(&self) -> u16 {
        u16::from_be_bytes([self.byte(4), self.byte(5)]) & INTERVAL_MASK
    }

    /// The checksum field.
    pub fn checksum_field(&self) -> u16 {
        u16::from_be_bytes([self.byte(6), self.byte(7)])
    }

    /// Bytes of header and addresses.
    pub fn message_len(&self) -> usize {
        VRRP_HEADER_LEN + usize::from(self.count()) * self.family.addr_len()
    }

    /// The message bytes (header and counted addresses; fewer on a short
    /// unchecked buffer).
    pub fn message(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        b.get(..self.message_len()).unwrap_or(b)
    }

    /// The counted addresses, in wire order.
    pub fn addresses(&self) -> Addresses<'_> {
        Addresses {
            bytes: self.message().get(VRRP_HEADER_LEN..).unwrap_or(&[]),
            family: self.family,
        }
    }

    /// True when the checksum verifies under `pseudo`.
    pub fn verify_checksum(&self, pseudo: &PseudoHeader) -> bool {
        verify_checksum(self.message(), pseudo)
    }
}

impl<'a> VrrpPacket<&'a [u8]> {
    /// The counted addresses, borrowing the buffer rather than the view.
    pub fn addresses_of_buffer(&self) -> Addresses<'a> {
        let len = self.message_len();
        let bytes: &'a [u8] = self.buffer;
        Addresses {
            bytes: bytes.get(VRRP_HEADER_LEN..len).unwrap_or(&[]),
            family: self.family,
        }
    }
}

/// The addresses of a VRRP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addresses<'a> {
    bytes: &'a [u8],
    family: VrrpFamily,
}

impl Iterator for Addresses<'_> {
    type Item = IpAddr;

    fn next(&mut self) -> Option<IpAddr> {
        let (addr, rest) = match self.family {
            VrrpFamily::V4 => {
                let (head, rest) = self.bytes.split_first_chunk::<4>()?;
                (IpAddr::V4(Ipv4Addr::from(*head)), rest)
            }
            VrrpFamily::V6 => {
                let (head, rest) = self.bytes.split_first_chunk::<16>()?;
                (IpAddr::V6(Ipv6Addr::from(*head)), rest)
            }
        };
        self.bytes = rest;
        Some(addr)
    }
}

/// The fields of one VRRPv3 advertisement, borrowing its addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VrrpAdvert<'a> {
    /// Virtual router id (the vhid).
    pub vrid: u8,
    /// Sender's priority (0 = it leaves, 255 = address owner).
    pub priority: u8,
    /// Sender's advertisement interval, centiseconds (1..=4095; 0 on the
    /// wire is read as is, and timed as 1 by the state machine).
    pub max_adver_int: u16,
    /// The addresses it carries.
    pub addresses: Addresses<'a>,
}

impl<'a> VrrpAdvert<'a> {
    /// Validates a view: length, version, type, then the checksum under
    /// `pseudo` (the order of keepalived's `vrrp_check_packet`).
    ///
    /// # Errors
    /// The first [`VrrpError`] found.
    pub fn parse(
        packet: &VrrpPacket<&'a [u8]>,
        pseudo: &PseudoHeader,
    ) -> Result<VrrpAdvert<'a>, VrrpError> {
        let advert = VrrpAdvert::parse_fields(packet)?;
        if !packet.verify_checksum(pseudo) {
            return Err(VrrpError::BadChecksum {
                got: packet.checksum_field(),
                expected: checksum(packet.message(), pseudo),
            });
        }
        Ok(advert)
    }

    /// Validates length, version and type and reads the fields, leaving
    /// the checksum to a caller that checks it in its own order.
    ///
    /// # Errors
    /// [`VrrpError::Truncated`], [`VrrpError::BadVersion`],
    /// [`VrrpError::BadType`].
    pub fn parse_fields(packet: &VrrpPacket<&'a [u8]>) -> Result<VrrpAdvert<'a>, VrrpError> {
        packet.check_len()?;
        if packet.version() != VRRP_VERSION {
            return Err(VrrpError::BadVersion(packet.version()));
        }
        if packet.kind() != TYPE_ADVERTISEMENT {
            return Err(VrrpError::BadType(packet.kind()));
        }
        Ok(VrrpAdvert {
            vrid: packet.vrid(),
            priority: packet.priority(),
            max_adver_int: packet.max_adver_int(),
            addresses: packet.addresses_of_buffer(),
        })
    }

    /// True for the advert of a leaving master (priority 0).
    pub const fn is_bow_out(&self) -> bool {
        self.priority == PRIORITY_BOW_OUT
    }
}

/// Writes a VRRPv3 advertisement of `family` into `out`: header, then the
/// addresses of `addrs` of that family (others are skipped), checksum left
/// zero for [`fill_checksum`]. Returns the length written, or `None` when
/// `out` is too short (nothing useful is written then). `max_adver_int` is
/// masked to 12 bits.
pub fn emit<'a>(
    vrid: u8,
    priority: u8,
    max_adver_int: u16,
    family: VrrpFamily,
    addrs: impl IntoIterator<Item = &'a IpAddr>,
    out: &mut [u8],
) -> Option<usize> {
    let mut at = VRRP_HEADER_LEN;
    let mut count: u8 = 0;
    for addr in addrs.into_iter().filter(|a| family.holds(a)) {
        let end = at + family.addr_len();
        let dst = out.get_mut(at..end)?;
        match addr {
            IpAddr::V4(a) => dst.copy_from_slice(&a.octets()),
            IpAddr::V6(a) => dst.copy_from_slice(&a.octets()),
        }
        at = end;
        count = count.checked_add(1)?;
    }
    let [i0, i1] = (max_adver_int & INTERVAL_MASK).to_be_bytes();
    let header = [
        (VRRP_VERSION << 4) | TYPE_ADVERTISEMENT,
        vrid,
        priority,
        count,
        i0,
        i1,
        0,
        0,
    ];
    out.get_mut(..VRRP_HEADER_LEN)?.copy_from_slice(&header);
    Some(at)
}

#[cfg(test)]
#[path = "vrrp_tests.rs"]
mod tests;
