//! Link-layer and IP framing for carp: parse any received frame into
//! addresses and a typed body, and build whole frames (advert, ARP, ND)
//! for each [`LinkType`].
//!
//! # Contract
//!
//! * Parsing never panics, whatever the bytes: every length is checked
//!   against the buffer before it is used, and every failure is a
//!   [`FrameError`] variant naming the reason, so the caller can count it
//!   (truncated headers are BSD's `hdrops`, see [`FrameError::is_truncated`]).
//! * Emission writes into a caller buffer and returns the number of bytes
//!   written; it checks the room up front and writes nothing useful when it
//!   returns an error. [`MAX_FRAME_LEN`] sizes a stack buffer for any frame
//!   this crate builds.
//! * Headers are `zerocopy` images of the wire (`EthernetHeader`,
//!   `FddiHeader`, `TokenRingHeader`, `SnapHeader`, `Ipv4Header`,
//!   `Ipv6Header`); the `*Repr` types are the values, smoltcp-style.
//!
//! # Link layouts
//!
//! | link | header |
//! |---|---|
//! | Ethernet | dst(6) src(6) ethertype(2) |
//! | FDDI | FC `0x50`, dst(6) src(6), LLC/SNAP `aa aa 03 00 00 00` ethertype(2) |
//! | Token Ring | AC `0x10`, FC `0x40`, dst(6) src(6), \[RIF on input only\], LLC/SNAP |
//!
//! No FCS is written or expected; Ethernet frames are not padded to 60
//! bytes (the driver or hardware pads).

pub mod arp;
pub mod ethernet;
pub mod fast;
pub mod fddi;
pub mod ipv4;
pub mod ipv6;
pub mod llc;
pub mod token_ring;

pub use arp::ArpRepr;
pub(crate) use carp_core::wire::Checksum;
pub use ipv4::Ipv4Repr;
pub use ipv6::Ipv6Repr;

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use crate::lladdr::{LinkType, MacAddr};
use carp_core::wire::HEADER_LEN as CARP_LEN;

/// Ethertype of IPv4.
pub const ETHERTYPE_IPV4: u16 = 0x0800;
/// Ethertype of ARP.
pub const ETHERTYPE_ARP: u16 = 0x0806;
/// Ethertype of IPv6.
pub const ETHERTYPE_IPV6: u16 = 0x86dd;

/// Longest link header carp emits (Token Ring: AC, FC, two MACs, LLC/SNAP).
pub const MAX_LINK_HEADER_LEN: usize = token_ring::HEADER_LEN;

/// Length of the link header carp emits on `link` (Ethernet 14, FDDI 21,
/// Token Ring 22).
pub const fn link_header_len(link: LinkType) -> usize {
    match link {
        LinkType::Ethernet => ethernet::HEADER_LEN,
        LinkType::Fddi => fddi::HEADER_LEN,
        LinkType::TokenRing => token_ring::HEADER_LEN,
    }
}

/// Longest advert payload: a VRRPv3 message with
/// [`carp_core::vhost::MAX_ADDRS`] IPv6 addresses (8 + 8 x 16 = 136 bytes;
/// a CARP header is 36).
pub const MAX_ADVERT_LEN: usize =
    carp_core::wire::vrrp::VRRP_HEADER_LEN + carp_core::vhost::MAX_ADDRS * 16;

/// Largest frame any `emit_*` function of this crate writes: an IPv6 VRRP
/// advert with eight addresses on Token Ring (22 + 40 + 136 = 198 bytes; a
/// CARP advert is at most 98). ARP (at most 50) and neighbour
/// advertisements (at most 94) are shorter.
pub const MAX_FRAME_LEN: usize = MAX_LINK_HEADER_LEN + ipv6::HEADER_LEN + MAX_ADVERT_LEN;

/// Largest IP packet [`emit_unicast_advert`] writes (40 + 136 bytes).
pub const MAX_IP_ADVERT_LEN: usize = ipv6::HEADER_LEN + MAX_ADVERT_LEN;

/// The protocol layer a [`FrameError::Truncated`] was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layer {
    /// The link (MAC) header.
    Link,
    /// The 802.2 LLC/SNAP header.
    Llc,
    /// The IPv4 header.
    Ipv4,
    /// The IPv6 header.
    Ipv6,
    /// The ARP packet.
    Arp,
    /// The ICMPv6 message.
    Icmpv6,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layer::Link => "link",
            Layer::Llc => "LLC/SNAP",
            Layer::Ipv4 => "IPv4",
            Layer::Ipv6 => "IPv6",
            Layer::Arp => "ARP",
            Layer::Icmpv6 => "ICMPv6",
        })
    }
}

/// Why bytes are not a frame carp understands, or a frame could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// A header is cut short (BSD's `hdrops`).
    Truncated {
        /// Where.
        layer: Layer,
        /// Bytes present at that layer.
        len: usize,
        /// Bytes its header needs.
        need: usize,
    },
    /// Output buffer too small for the frame.
    BufferTooSmall {
        /// Bytes available.
        len: usize,
        /// Bytes the frame needs.
        need: usize,
    },
    /// Output payload too long for the IP length field.
    PayloadTooLong {
        /// Payload length asked for.
        len: usize,
    },
    /// FDDI or Token Ring frame control of a frame that is not LLC data.
    UnsupportedFrameControl(u8),
    /// FDDI/Token Ring LLC header that is not SNAP with an ethertype.
    NotSnap {
        /// Destination SAP.
        dsap: u8,
        /// Source SAP.
        ssap: u8,
        /// LLC control.
        control: u8,
    },
    /// Token Ring routing information field with an impossible length.
    BadRouteInfoLen(usize),
    /// IP version nibble not the one of the ethertype (or NS parse of a non-IPv6 header).
    BadIpVersion(u8),
    /// IPv4 header length below 5 words.
    BadIpv4HeaderLen(u8),
    /// IPv4 total length below the header length or beyond the buffer.
    BadIpv4TotalLen {
        /// Total length field.
        total_len: u16,
        /// Header length with options.
        header_len: usize,
        /// Bytes present from the IP header on.
        available: usize,
    },
    /// IPv4 header checksum does not verify.
    BadIpv4Checksum {
        /// Checksum field as received.
        got: u16,
        /// Checksum the field should hold.
        expected: u16,
    },
    /// IPv6 payload length beyond the buffer.
    BadIpv6PayloadLen {
        /// Payload length field.
        payload_len: u16,
        /// Bytes present after the fixed header.
        available: usize,
    },
    /// ARP for something other than IPv4 over 48-bit MACs.
    UnsupportedArp {
        /// Hardware type.
        hardware_type: u16,
        /// Protocol type.
        protocol_type: u16,
        /// Hardware address length.
        hardware_len: u8,
        /// Protocol address length.
        protocol_len: u8,
    },
    /// ARP operation other than request (1) or reply (2).
    BadArpOperation(u16),
    /// Next header is not ICMPv6 (neighbour discovery parse).
    NotIcmpv6(u8),
    /// ICMPv6 message that is not a neighbour solicitation (type 135).
    NotNeighborSolicitation(u8),
    /// ICMPv6 code other than 0 in a neighbour discovery message.
    BadIcmpv6Code(u8),
    /// Neighbour discovery hop limit other than 255 (RFC 4861: off-link sender).
    BadHopLimit(u8),
    /// ICMPv6 checksum over pseudo-header and message does not verify.
    BadIcmpv6Checksum {
        /// Checksum field as received.
        got: u16,
        /// Checksum the field should hold.
        expected: u16,
    },
    /// Neighbour discovery option with length 0 or running past the message,
    /// or a link-layer address option of the wrong size.
    BadNdOption {
        /// Option type.
        kind: u8,
        /// Option length in 8-byte units.
        len: u8,
    },
    /// Neighbour solicitation whose target is a multicast address.
    MulticastTarget(Ipv6Addr),
    /// Neighbour solicitation from the unspecified address (DAD) that
    /// carries a source link-layer address option (forbidden by RFC 4861).
    LladdrFromUnspecified,
}

impl FrameError {
    pub(crate) const fn truncated(layer: Layer, len: usize, need: usize) -> Self {
        FrameError::Truncated { layer, len, need }
    }

    /// True for a header cut short, counted as `hdrops` by carp input.
    pub const fn is_truncated(&self) -> bool {
        matches!(self, FrameError::Truncated { .. })
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FrameError::Truncated { layer, len, need } => {
                write!(f, "truncated {layer} header: {len} bytes, need {need}")
            }
            FrameError::BufferTooSmall { len, need } => {
                write!(f, "output buffer of {len} bytes, frame needs {need}")
            }
            FrameError::PayloadTooLong { len } => write!(f, "IP payload of {len} bytes too long"),
            FrameError::UnsupportedFrameControl(fc) => {
                write!(f, "frame control {fc:#04x} is not LLC data")
            }
            FrameError::NotSnap { dsap, ssap, control } => write!(
                f,
                "LLC {dsap:#04x} {ssap:#04x} {control:#04x} is not SNAP with an ethertype"
            ),
            FrameError::BadRouteInfoLen(len) => {
                write!(f, "Token Ring routing information of {len} bytes")
            }
            FrameError::BadIpVersion(v) => write!(f, "bad IP version {v}"),
            FrameError::BadIpv4HeaderLen(ihl) => write!(f, "bad IPv4 header length {ihl} words"),
            FrameError::BadIpv4TotalLen { total_len, header_len, available } => write!(
                f,
                "IPv4 total length {total_len} with {header_len}-byte header, {available} bytes present"
            ),
            FrameError::BadIpv4Checksum { got, expected } => {
                write!(f, "bad IPv4 header checksum {got:#06x}, expected {expected:#06x}")
            }
            FrameError::BadIpv6PayloadLen { payload_len, available } => write!(
                f,
                "IPv6 payload length {payload_len}, {available} bytes present"
            ),
            FrameError::UnsupportedArp { hardware_type, protocol_type, hardware_len, protocol_len } => {
                write!(
                    f,
                    "unsupported ARP: hardware {hardware_type}/{hardware_len}, protocol {protocol_type:#06x}/{protocol_len}"
                )
            }
            FrameError::BadArpOperation(op) => write!(f, "unsupported ARP operation {op}"),
            FrameError::NotIcmpv6(nh) => write!(f, "next header {nh} is not ICMPv6"),
            FrameError::NotNeighborSolicitation(t) => {
                write!(f, "ICMPv6 type {t} is not a neighbour solicitation")
            }
            FrameError::BadIcmpv6Code(c) => write!(f, "bad ICMPv6 code {c}"),
            FrameError::BadHopLimit(h) => {
                write!(f, "neighbour discovery hop limit {h}, expected 255")
            }
            FrameError::BadIcmpv6Checksum { got, expected } => {
                write!(f, "bad ICMPv6 checksum {got:#06x}, expected {expected:#06x}")
            }
            FrameError::BadNdOption { kind, len } => {
                write!(f, "bad neighbour discovery option type {kind} length {len}")
            }
            FrameError::MulticastTarget(t) => write!(f, "neighbour solicitation for multicast {t}"),
            FrameError::LladdrFromUnspecified => {
                f.write_str("source link-layer address option from the unspecified address")
            }
        }
    }
}

impl core::error::Error for FrameError {}

/// A received frame: link addresses and a typed body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Destination MAC.
    pub dst: MacAddr,
    /// Source MAC (on Token Ring with the route bit cleared).
    pub src: MacAddr,
    /// What the frame carries.
    pub body: Body<'a>,
}

/// The network-layer content of a [`Frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body<'a> {
    /// An IPv4 packet whose header checked out; `payload` is the bytes
    /// after the header and options, up to the total length.
    Ipv4 {
        /// The header.
        header: Ipv4Repr,
        /// The payload (a CARP header when `header.protocol` is 112).
        payload: &'a [u8],
    },
    /// An IPv6 packet; `payload` is the bytes after the fixed header, up to
    /// the payload length.
    Ipv6 {
        /// The header.
        header: Ipv6Repr,
        /// The payload (CARP when next header is 112, ICMPv6 when 58).
        payload: &'a [u8],
    },
    /// An IPv4-over-MAC ARP packet.
    Arp(ArpRepr),
    /// Any other ethertype (on Ethernet, values up to 1500 are 802.3 lengths).
    Other {
        /// The ethertype.
        ethertype: u16,
        /// Everything after the link header.
        payload: &'a [u8],
    },
}

/// Link addresses, ethertype and payload of a frame (internal).
pub(crate) struct LinkParts<'a> {
    pub(crate) dst: MacAddr,
    pub(crate) src: MacAddr,
    pub(crate) ethertype: u16,
    pub(crate) payload: &'a [u8],
}

/// Parse a received frame of the given link type: the single entry point
/// of the input path.
///
/// The destination is not filtered; the caller decides what is for it.
///
/// # Errors
/// Any [`FrameError`] of the link, IPv4, IPv6 or ARP parsers; never panics.
pub fn parse(link: LinkType, frame: &[u8]) -> Result<Frame<'_>, FrameError> {
    let parts = match link {
        LinkType::Ethernet => ethernet::parse(frame)?,
        LinkType::Fddi => fddi::parse(frame)?,
        LinkType::TokenRing => token_ring::parse(frame)?,
    };
    let body = match parts.ethertype {
        ETHERTYPE_IPV4 => {
            let (header, payload) = Ipv4Repr::parse(parts.payload)?;
            Body::Ipv4 { header, payload }
        }
        ETHERTYPE_IPV6 => {
            let (header, payload) = Ipv6Repr::parse(parts.payload)?;
            Body::Ipv6 { header, payload }
        }
        ETHERTYPE_ARP => Body::Arp(ArpRepr::parse(parts.payload)?),
        ethertype => Body::Other {
            ethertype,
            payload: parts.payload,
        },
    };
    Ok(Frame {
        dst: parts.dst,
        src: parts.src,
        body,
    })
}

/// Sequential writer over an output buffer (internal).
pub(crate) struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Writer { buf, pos: 0 }
    }

    /// Fail unless `need` more bytes fit.
    pub(crate) fn reserve(&self, need: usize) -> Result<(), FrameError> {
        let total = self.pos.saturating_add(need);
        if total > self.buf.len() {
            return Err(FrameError::BufferTooSmall {
                len: self.buf.len(),
                need: total,
            });
        }
        Ok(())
    }

    pub(crate) fn put(&mut self, bytes: &[u8]) -> Result<(), FrameError> {
        self.reserve(bytes.len())?;
        let end = self.pos + bytes.len();
        if let Some(dst) = self.buf.get_mut(self.pos..end) {
            dst.copy_from_slice(bytes);
            self.pos = end;
        }
        Ok(())
    }

    pub(crate) const fn position(&self) -> usize {
        self.pos
    }
}

fn emit_link(
    w: &mut Writer<'_>,
    link: LinkType,
    dst: MacAddr,
    src: MacAddr,
    ethertype: u16,
) -> Result<(), FrameError> {
    match link {
        LinkType::Ethernet => ethernet::emit(w, dst, src, ethertype),
        LinkType::Fddi => fddi::emit(w, dst, src, ethertype),
        LinkType::TokenRing => token_ring::emit(w, dst, src, ethertype),
    }
}

/// Write a whole frame: the link header for `link` then `payload`.
/// Returns the frame length.
///
/// # Errors
/// [`FrameError::BufferTooSmall`].
pub fn emit_frame(
    link: LinkType,
    dst: MacAddr,
    src: MacAddr,
    ethertype: u16,
    payload: &[u8],
    out: &mut [u8],
) -> Result<usize, FrameError> {
    let mut w = Writer::new(out);
    w.reserve(link_header_len(link) + payload.len())?;
    emit_link(&mut w, link, dst, src, ethertype)?;
    w.put(payload)?;
    Ok(w.position())
}

/// Write a whole IPv4 frame: link header, `header` (with
/// `header.payload_len` forced to `payload.len()`), `payload`.
///
/// # Errors
/// [`FrameError::BufferTooSmall`], [`FrameError::PayloadTooLong`].
pub fn emit_ipv4_frame(
    link: LinkType,
    dst: MacAddr,
    src: MacAddr,
    header: &Ipv4Repr,
    payload: &[u8],
    out: &mut [u8],
) -> Result<usize, FrameError> {
    let header = Ipv4Repr {
        payload_len: payload.len(),
        ..*header
    };
    let mut w = Writer::new(out);
    w.reserve(link_header_len(link) + ipv4::HEADER_LEN + payload.len())?;
    emit_link(&mut w, link, dst, src, ETHERTYPE_IPV4)?;
    header.emit_into(&mut w)?;
    w.put(payload)?;
    Ok(w.position())
}

/// Write a whole IPv6 frame: link header, `header` (with
/// `header.payload_len` forced to `payload.len()`), `payload`.
///
/// # Errors
/// [`FrameError::BufferTooSmall`], [`FrameError::PayloadTooLong`].
pub fn emit_ipv6_frame(
    link: LinkType,
    dst: MacAddr,
    src: MacAddr,
    header: &Ipv6Repr,
    payload: &[u8],
    out: &mut [u8],
) -> Result<usize, FrameError> {
    let header = Ipv6Repr {
        payload_len: payload.len(),
        ..*header
    };
    let mut w = Writer::new(out);
    w.reserve(link_header_len(link) + ipv6::HEADER_LEN + payload.len())?;
    emit_link(&mut w, link, dst, src, ETHERTYPE_IPV6)?;
    header.emit_into(&mut w)?;
    w.put(payload)?;
    Ok(w.position())
}

/// The IP layer of an advert: which family, the source address (the
/// parent's own), and for IPv4 the TOS and identification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdvertIp {
    /// IPv4 to 224.0.0.18.
    V4 {
        /// The parent's own IPv4 address.
        src: Ipv4Addr,
        /// Type of service: [`carp_core::wire::TOS_LOWDELAY`] (BSD), or
        /// FreeBSD's `dscp << 2`.
        tos: u8,
        /// IP identification, supplied by the caller (e.g. a per-parent
        /// counter); never randomised here.
        ident: u16,
    },
    /// IPv6 to ff02::12.
    V6 {
        /// The parent's own link-local address.
        src: Ipv6Addr,
    },
}

/// Length of the advert frame [`emit_advert`] writes for `link` and `ip`.
pub const fn advert_frame_len(link: LinkType, ip: AdvertIp) -> usize {
    let ip_len = match ip {
        AdvertIp::V4 { .. } => ipv4::HEADER_LEN,
        AdvertIp::V6 { .. } => ipv6::HEADER_LEN,
    };
    link_header_len(link) + ip_len + CARP_LEN
}

/// Write a whole advert frame: link header from `src_mac` (the virtual MAC)
/// to the group MAC of the family, IP header to the CARP group (TTL/hop
/// limit 255, protocol 112, IPv4 with DF and a header checksum), then the
/// 36 CARP bytes as given. Returns the frame length
/// ([`advert_frame_len`], at most [`MAX_FRAME_LEN`]).
///
/// # Errors
/// [`FrameError::BufferTooSmall`].
pub fn emit_advert(
    link: LinkType,
    src_mac: MacAddr,
    ip: AdvertIp,
    carp: &[u8; CARP_LEN],
    out: &mut [u8],
) -> Result<usize, FrameError> {
    emit_group_advert(link, src_mac, ip, carp, out)
}

/// As [`emit_advert`] for any protocol-112 payload: a CARP header, or a
/// VRRPv3 message whose checksum was filled for the parent's source and
/// the group ([`carp_core::wire::vrrp::fill_checksum`]).
///
/// # Errors
/// [`FrameError::BufferTooSmall`].
pub fn emit_group_advert(
    link: LinkType,
    src_mac: MacAddr,
    ip: AdvertIp,
    payload: &[u8],
    out: &mut [u8],
) -> Result<usize, FrameError> {
    match ip {
        AdvertIp::V4 { src, tos, ident } => emit_ipv4_frame(
            link,
            link.multicast_mac_v4(),
            src_mac,
            &Ipv4Repr::advert(src, tos, ident, payload.len()),
            payload,
            out,
        ),
        AdvertIp::V6 { src } => emit_ipv6_frame(
            link,
            link.multicast_mac_v6(),
            src_mac,
            &Ipv6Repr::advert(src, payload.len()),
            payload,
            out,
        ),
    }
}

/// The IP layer of an advert to a unicast peer: source, the peer, and for
/// IPv4 the TOS and identification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnicastIp {
    /// IPv4 to the peer.
    V4 {
        /// The parent's own IPv4 address.
        src: Ipv4Addr,
        /// The peer.
        dst: Ipv4Addr,
        /// Type of service, as for [`AdvertIp::V4`].
        tos: u8,
        /// IP identification.
        ident: u16,
    },
    /// IPv6 to the peer.
    V6 {
        /// The parent's link-local address for a link-local peer, its
        /// global address otherwise.
        src: Ipv6Addr,
        /// The peer.
        dst: Ipv6Addr,
    },
}

/// Write the IP packet of an advert to a unicast peer, no link header:
/// TTL or hop limit 255 (FreeBSD sends 255 whatever the destination),
/// protocol 112, IPv4 with DF and a header checksum, then `payload`. It
/// goes out through [`crate::driver::Driver::transmit_ip`]. Returns the
/// packet length (at most [`MAX_IP_ADVERT_LEN`]).
///
/// # Errors
/// [`FrameError::BufferTooSmall`], [`FrameError::PayloadTooLong`].
pub fn emit_unicast_advert(
    ip: UnicastIp,
    payload: &[u8],
    out: &mut [u8],
) -> Result<usize, FrameError> {
    let mut w = Writer::new(out);
    match ip {
        UnicastIp::V4 {
            src,
            dst,
            tos,
            ident,
        } => {
            let header = Ipv4Repr {
                dst,
                ..Ipv4Repr::advert(src, tos, ident, payload.len())
            };
            w.reserve(ipv4::HEADER_LEN + payload.len())?;
            header.emit_into(&mut w)?;
        }
        UnicastIp::V6 { src, dst } => {
            let header = Ipv6Repr {
                dst,
                ..Ipv6Repr::advert(src, payload.len())
            };
            w.reserve(ipv6::HEADER_LEN + payload.len())?;
            header.emit_into(&mut w)?;
        }
    }
    w.put(payload)?;
    Ok(w.position())
}

#[cfg(test)]
mod tests;
