//! IPv4 header: parse (options skipped) and emit (no options).

use core::net::Ipv4Addr;

use zerocopy::byteorder::network_endian::U16;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::{FrameError, Layer, Writer};

/// The fixed 20-byte IPv4 header exactly as on the wire.
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |Version|  IHL  |    TOS        |          Total Length         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |         Identification        |Flags|      Fragment Offset    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |      TTL      |   Protocol    |         Header Checksum       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                       Source Address                          |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                    Destination Address                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq,
)]
#[repr(C)]
pub struct Ipv4Header {
    /// Version (high nibble) and header length in 32-bit words (low nibble).
    pub version_ihl: u8,
    /// Type of service / DSCP + ECN.
    pub tos: u8,
    /// Header plus payload length in bytes.
    pub total_len: U16,
    /// Identification.
    pub ident: U16,
    /// Flags (3 bits) and fragment offset in 8-byte units (13 bits).
    pub flags_fragment: U16,
    /// Time to live.
    pub ttl: u8,
    /// Protocol of the payload.
    pub protocol: u8,
    /// Header checksum.
    pub checksum: U16,
    /// Source address.
    pub src: [u8; 4],
    /// Destination address.
    pub dst: [u8; 4],
}

impl Ipv4Header {
    /// True for a fragment: more-fragments set or a non-zero offset (the
    /// same test as [`Ipv4Repr::is_fragment`], on the wire image).
    pub fn is_fragment(&self) -> bool {
        self.flags_fragment.get() & (FLAG_MF | FRAGMENT_OFFSET_MASK) != 0
    }
}

/// Length of an IPv4 header without options.
pub const HEADER_LEN: usize = core::mem::size_of::<Ipv4Header>();
/// The IP version this module handles.
pub const VERSION: u8 = 4;
/// Header length field of a header without options (in 32-bit words).
const IHL_NO_OPTIONS: u8 = 5;
/// Bytes per unit of the header length field.
const IHL_UNIT: usize = 4;
/// Don't-fragment flag in `flags_fragment`.
const FLAG_DF: u16 = 0x4000;
/// More-fragments flag in `flags_fragment`.
const FLAG_MF: u16 = 0x2000;
/// Fragment offset bits of `flags_fragment`.
const FRAGMENT_OFFSET_MASK: u16 = 0x1fff;

/// The fields of an IPv4 header carp cares about (options are not kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Repr {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Type of service: BSD adverts use 0x10 (`IPTOS_LOWDELAY`,
    /// [`carp_core::wire::TOS_LOWDELAY`]); FreeBSD 10+ uses its `dscp`
    /// sysctl shifted left by 2 (56 << 2 = 0xe0 by default).
    pub tos: u8,
    /// Identification; always chosen by the caller, never randomised here.
    pub ident: u16,
    /// Time to live (255 for adverts).
    pub ttl: u8,
    /// Protocol of the payload (112 for CARP).
    pub protocol: u8,
    /// DF flag.
    pub dont_fragment: bool,
    /// MF flag.
    pub more_fragments: bool,
    /// Fragment offset in 8-byte units; with `more_fragments`, non-zero
    /// means the payload is a fragment.
    pub fragment_offset: u16,
    /// Payload length in bytes (total length minus header and options).
    pub payload_len: usize,
}

impl Ipv4Repr {
    /// An advert header: DF set, TTL 255, protocol 112, no fragmentation.
    pub const fn advert(src: Ipv4Addr, tos: u8, ident: u16, payload_len: usize) -> Self {
        Ipv4Repr {
            src,
            dst: carp_core::wire::GROUP_V4,
            tos,
            ident,
            ttl: carp_core::wire::TTL,
            protocol: carp_core::wire::PROTO,
            dont_fragment: true,
            more_fragments: false,
            fragment_offset: 0,
            payload_len,
        }
    }

    /// True when the payload is a fragment of a larger datagram.
    pub const fn is_fragment(&self) -> bool {
        self.more_fragments || self.fragment_offset != 0
    }

    /// Parse an IPv4 packet, returning the header and the payload (up to
    /// the total length, any link padding dropped).
    ///
    /// Accepts options (IHL > 5) and skips them.
    ///
    /// # Errors
    /// [`FrameError::Truncated`] when the buffer is shorter than the fixed
    /// header or the header with options, [`FrameError::BadIpVersion`],
    /// [`FrameError::BadIpv4HeaderLen`] for IHL < 5,
    /// [`FrameError::BadIpv4TotalLen`] when the total length is below the
    /// header length or beyond the buffer, [`FrameError::BadIpv4Checksum`].
    pub fn parse(packet: &[u8]) -> Result<(Ipv4Repr, &[u8]), FrameError> {
        let (hdr, _) = Ipv4Header::ref_from_prefix(packet)
            .map_err(|_| FrameError::truncated(Layer::Ipv4, packet.len(), HEADER_LEN))?;
        let version = hdr.version_ihl >> 4;
        if version != VERSION {
            return Err(FrameError::BadIpVersion(version));
        }
        let ihl = hdr.version_ihl & 0x0f;
        if ihl < IHL_NO_OPTIONS {
            return Err(FrameError::BadIpv4HeaderLen(ihl));
        }
        let header_len = usize::from(ihl) * IHL_UNIT;
        let header_bytes = packet.get(..header_len).ok_or(FrameError::truncated(
            Layer::Ipv4,
            packet.len(),
            header_len,
        ))?;
        let total_len = hdr.total_len.get();
        let payload =
            packet
                .get(header_len..usize::from(total_len))
                .ok_or(FrameError::BadIpv4TotalLen {
                    total_len,
                    header_len,
                    available: packet.len(),
                })?;
        if !carp_core::wire::verify_checksum(header_bytes) {
            let mut zeroed = *hdr;
            zeroed.checksum = U16::ZERO;
            // Options are summed as they are; only the fixed part had the field.
            let rest = header_bytes.get(HEADER_LEN..).unwrap_or_default();
            let expected = super::Checksum::new()
                .add(zeroed.as_bytes())
                .add(rest)
                .finish();
            return Err(FrameError::BadIpv4Checksum {
                got: hdr.checksum.get(),
                expected,
            });
        }
        let flags = hdr.flags_fragment.get();
        let repr = Ipv4Repr {
            src: Ipv4Addr::from(hdr.src),
            dst: Ipv4Addr::from(hdr.dst),
            tos: hdr.tos,
            ident: hdr.ident.get(),
            ttl: hdr.ttl,
            protocol: hdr.protocol,
            dont_fragment: flags & FLAG_DF != 0,
            more_fragments: flags & FLAG_MF != 0,
            fragment_offset: flags & FRAGMENT_OFFSET_MASK,
            payload_len: payload.len(),
        };
        Ok((repr, payload))
    }

    /// The header this repr emits: 20 bytes, checksum filled in.
    ///
    /// # Errors
    /// [`FrameError::PayloadTooLong`] when header plus payload exceed 65535 bytes.
    pub fn to_header(&self) -> Result<Ipv4Header, FrameError> {
        let total_len = self
            .payload_len
            .checked_add(HEADER_LEN)
            .and_then(|t| u16::try_from(t).ok())
            .ok_or(FrameError::PayloadTooLong {
                len: self.payload_len,
            })?;
        let mut flags = self.fragment_offset & FRAGMENT_OFFSET_MASK;
        if self.dont_fragment {
            flags |= FLAG_DF;
        }
        if self.more_fragments {
            flags |= FLAG_MF;
        }
        let mut hdr = Ipv4Header {
            version_ihl: (VERSION << 4) | IHL_NO_OPTIONS,
            tos: self.tos,
            total_len: U16::new(total_len),
            ident: U16::new(self.ident),
            flags_fragment: U16::new(flags),
            ttl: self.ttl,
            protocol: self.protocol,
            checksum: U16::ZERO,
            src: self.src.octets(),
            dst: self.dst.octets(),
        };
        hdr.checksum = U16::new(carp_core::wire::checksum(hdr.as_bytes()));
        Ok(hdr)
    }

    /// Write the 20-byte header (no options) into the front of `out`;
    /// returns [`HEADER_LEN`]. The payload is the caller's to write after it.
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
