//! The one frame a flood is made of, recognised without [`super::parse`]:
//! an Ethernet II frame carrying an IPv4 header without options whose
//! protocol is CARP's (112).
//!
//! [`super::parse`] builds a [`super::Frame`] value (both MACs, a body enum
//! sized for IPv6) that the caller then reads back field by field; on the
//! input path that copy and its reloads cost about as much as the checks
//! themselves. [`ipv4_carp`] only borrows the two headers in place. It
//! decides nothing `parse` would decide differently: it answers `None`
//! for every frame it does not fully vouch for (another link type, another
//! ethertype or protocol, options, a bad header checksum, a total length
//! past the frame) and the caller then takes the general path, which
//! reports the frame exactly as before.

use zerocopy::{FromBytes, IntoBytes};

use super::ethernet::EthernetHeader;
use super::ipv4::{Ipv4Header, HEADER_LEN};
use super::ETHERTYPE_IPV4;
use crate::lladdr::LinkType;

/// Version 4, header length 5 words: an IPv4 header without options.
const VERSION_IHL_NO_OPTIONS: u8 = 0x45;

/// An IPv4 CARP packet borrowed from an Ethernet frame.
#[derive(Debug, Clone, Copy)]
pub struct Ipv4Carp<'a> {
    /// The IPv4 header, in the frame.
    pub header: &'a Ipv4Header,
    /// The IP payload: `total_len - 20` bytes (link padding cut off).
    pub payload: &'a [u8],
}

/// The IPv4 CARP packet in `frame`, when `frame` is an Ethernet II frame
/// with ethertype IPv4, an option-less header of protocol 112, a total
/// length within the frame and a right header checksum. For such a frame
/// [`super::parse`] returns `Body::Ipv4` with the same header values and
/// payload; for any other frame this returns `None`.
pub fn ipv4_carp(link: LinkType, frame: &[u8]) -> Option<Ipv4Carp<'_>> {
    if link != LinkType::Ethernet {
        return None;
    }
    let (link_header, packet) = EthernetHeader::ref_from_prefix(frame).ok()?;
    if link_header.ethertype.get() != ETHERTYPE_IPV4 {
        return None;
    }
    let (header, _) = Ipv4Header::ref_from_prefix(packet).ok()?;
    if header.version_ihl != VERSION_IHL_NO_OPTIONS || header.protocol != carp_core::wire::PROTO {
        return None;
    }
    let payload = packet.get(HEADER_LEN..usize::from(header.total_len.get()))?;
    if !carp_core::wire::verify_checksum(header.as_bytes()) {
        return None;
    }
    Some(Ipv4Carp { header, payload })
}
