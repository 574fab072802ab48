//! Ethernet II (DIX) framing: destination, source, ethertype.

use zerocopy::byteorder::network_endian::U16;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::{FrameError, Layer, LinkParts, Writer};
use crate::lladdr::{MacAddr, MAC_LEN};

/// An Ethernet II header exactly as on the wire.
///
/// ```text
/// +-------------------+-------------------+-----------+
/// | destination (6)   | source (6)        | type (2)  |
/// +-------------------+-------------------+-----------+
/// ```
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq,
)]
#[repr(C)]
pub struct EthernetHeader {
    /// Destination MAC.
    pub dst: [u8; MAC_LEN],
    /// Source MAC.
    pub src: [u8; MAC_LEN],
    /// Ethertype (values of 1500 and below are 802.3 lengths).
    pub ethertype: U16,
}

/// Length of an Ethernet II header.
pub const HEADER_LEN: usize = core::mem::size_of::<EthernetHeader>();

pub(super) fn parse(frame: &[u8]) -> Result<LinkParts<'_>, FrameError> {
    let (hdr, payload) = EthernetHeader::ref_from_prefix(frame)
        .map_err(|_| FrameError::truncated(Layer::Link, frame.len(), HEADER_LEN))?;
    Ok(LinkParts {
        dst: MacAddr(hdr.dst),
        src: MacAddr(hdr.src),
        ethertype: hdr.ethertype.get(),
        payload,
    })
}

pub(super) fn emit(
    w: &mut Writer<'_>,
    dst: MacAddr,
    src: MacAddr,
    ethertype: u16,
) -> Result<(), FrameError> {
    let hdr = EthernetHeader {
        dst: dst.0,
        src: src.0,
        ethertype: U16::new(ethertype),
    };
    w.put(hdr.as_bytes())
}
