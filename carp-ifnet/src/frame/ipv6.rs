//! IPv6 fixed header: parse and emit. Extension headers are not walked: the
//! next header is reported as found, so a caller looking for CARP (112) or
//! ICMPv6 (58) directly after the fixed header sees anything else as such.

use core::net::Ipv6Addr;

use zerocopy::byteorder::network_endian::{U16, U32};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::{FrameError, Layer, Writer};

/// The 40-byte IPv6 header exactly as on the wire.
///
/// ```text
/// +-------+---------------+---------------------------------------+
/// |Version| Traffic Class |              Flow Label               |
/// +-------+---------------+-------+---------------+---------------+
/// |         Payload Length        |  Next Header  |   Hop Limit   |
/// +-------------------------------+---------------+---------------+
/// |                   Source Address (16 bytes)                   |
/// |                Destination Address (16 bytes)                 |
/// +---------------------------------------------------------------+
/// ```
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq,
)]
#[repr(C)]
pub struct Ipv6Header {
    /// Version (4 bits), traffic class (8), flow label (20).
    pub version_class_flow: U32,
    /// Length of everything after this header, in bytes.
    pub payload_len: U16,
    /// Type of the header that follows.
    pub next_header: u8,
    /// Hop limit.
    pub hop_limit: u8,
    /// Source address.
    pub src: [u8; 16],
    /// Destination address.
    pub dst: [u8; 16],
}

/// Length of the IPv6 fixed header.
pub const HEADER_LEN: usize = core::mem::size_of::<Ipv6Header>();
/// The IP version this module handles.
pub const VERSION: u8 = 6;
/// Next header value of ICMPv6.
pub const NEXT_HEADER_ICMPV6: u8 = 58;
/// Bit position of the version in the first word.
const VERSION_SHIFT: u32 = 28;
/// Bit position of the traffic class in the first word.
const CLASS_SHIFT: u32 = 20;
/// Flow label bits of the first word.
const FLOW_MASK: u32 = 0x000f_ffff;

/// The fields of an IPv6 fixed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Repr {
    /// Source address.
    pub src: Ipv6Addr,
    /// Destination address.
    pub dst: Ipv6Addr,
    /// Next header (112 CARP, 58 ICMPv6, or an extension header).
    pub next_header: u8,
    /// Hop limit (255 for adverts and neighbour discovery).
    pub hop_limit: u8,
    /// Traffic class (0 for everything carp sends).
    pub traffic_class: u8,
    /// Flow label, 20 bits (0 for everything carp sends).
    pub flow_label: u32,
    /// Payload length in bytes.
    pub payload_len: usize,
}

impl Ipv6Repr {
    /// An advert header: to ff02::12, next header 112, hop limit 255.
    pub const fn advert(src: Ipv6Addr, payload_len: usize) -> Self {
        Ipv6Repr {
            src,
            dst: carp_core::wire::GROUP_V6,
            next_header: carp_core::wire::PROTO,
            hop_limit: carp_core::wire::TTL,
            traffic_class: 0,
            flow_label: 0,
            payload_len,
        }
    }

    /// Parse an IPv6 packet, returning the header and the payload (up to the
    /// payload length, any link padding dropped).
    ///
    /// # Errors
    /// [`FrameError::Truncated`] when shorter than 40 bytes,
    /// [`FrameError::BadIpVersion`], [`FrameError::BadIpv6PayloadLen`] when
    /// the payload length goes beyond the buffer.
    pub fn parse(packet: &[u8]) -> Result<(Ipv6Repr, &[u8]), FrameError> {
        let (hdr, rest) = Ipv6Header::ref_from_prefix(packet)
            .map_err(|_| FrameError::truncated(Layer::Ipv6, packet.len(), HEADER_LEN))?;
        let first = hdr.version_class_flow.get();
        let version = (first >> VERSION_SHIFT) as u8;
        if version != VERSION {
            return Err(FrameError::BadIpVersion(version));
        }
        let payload_len = hdr.payload_len.get();
        let payload =
            rest.get(..usize::from(payload_len))
                .ok_or(FrameError::BadIpv6PayloadLen {
                    payload_len,
                    available: rest.len(),
                })?;
        let repr = Ipv6Repr {
            src: Ipv6Addr::from(hdr.src),
            dst: Ipv6Addr::from(hdr.dst),
            next_header: hdr.next_header,
            hop_limit: hdr.hop_limit,
            traffic_class: (first >> CLASS_SHIFT) as u8,
            flow_label: first & FLOW_MASK,
            payload_len: payload.len(),
        };
        Ok((repr, payload))
    }

    /// The header this repr emits.
    ///
    /// # Errors
    /// [`FrameError::PayloadTooLong`] when the payload exceeds 65535 bytes.
    pub fn to_header(&self) -> Result<Ipv6Header, FrameError> {
        let payload_len =
            u16::try_from(self.payload_len).map_err(|_| FrameError::PayloadTooLong {
                len: self.payload_len,
            })?;
        let first = (u32::from(VERSION) << VERSION_SHIFT)
            | (u32::from(self.traffic_class) << CLASS_SHIFT)
            | (self.flow_label & FLOW_MASK);
        Ok(Ipv6Header {
            version_class_flow: U32::new(first),
            payload_len: U16::new(payload_len),
            next_header: self.next_header,
            hop_limit: self.hop_limit,
            src: self.src.octets(),
            dst: self.dst.octets(),
        })
    }

    /// Write the 40-byte header into the front of `out`; returns
    /// [`HEADER_LEN`]. The payload is the caller's to write after it.
    ///
    /// # Errors
    /// [`FrameError::BufferTooSmall`], [`FrameError::PayloadTooLong`].
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, FrameError> {
        let mut w = Writer::new(out);
        self.emit_into(&mut w)?;
        Ok(w.position())
    }

    pub(super) fn emit_into(&self, w: &mut Writer<'_>) -> Result<(), FrameError> {
        let hdr = self.to_header()?;
        w.put(hdr.as_bytes())
    }
}
