//! IEEE 802.2 LLC with a SNAP header, which carries the ethertype on FDDI
//! and Token Ring (RFC 1042, RFC 1390).

use zerocopy::byteorder::network_endian::U16;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::{FrameError, Layer, Writer};

/// DSAP and SSAP of a SNAP frame.
pub const SAP_SNAP: u8 = 0xaa;
/// LLC control field of an unnumbered information (UI) frame.
pub const CONTROL_UI: u8 = 0x03;
/// SNAP organisation code of encapsulated ethertypes (RFC 1042).
pub const OUI_ETHERTYPE: [u8; 3] = [0, 0, 0];

/// LLC + SNAP header exactly as on the wire: `aa aa 03 00 00 00` + ethertype.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq,
)]
#[repr(C)]
pub struct SnapHeader {
    /// Destination service access point (0xaa).
    pub dsap: u8,
    /// Source service access point (0xaa).
    pub ssap: u8,
    /// LLC control (0x03, UI).
    pub control: u8,
    /// Organisation code (00 00 00).
    pub oui: [u8; 3],
    /// The encapsulated ethertype.
    pub ethertype: U16,
}

/// Length of the LLC/SNAP header.
pub const HEADER_LEN: usize = core::mem::size_of::<SnapHeader>();

/// The ethertype and payload of an LLC/SNAP PDU.
pub(super) fn parse(pdu: &[u8]) -> Result<(u16, &[u8]), FrameError> {
    let (hdr, payload) = SnapHeader::ref_from_prefix(pdu)
        .map_err(|_| FrameError::truncated(Layer::Llc, pdu.len(), HEADER_LEN))?;
    if hdr.dsap != SAP_SNAP
        || hdr.ssap != SAP_SNAP
        || hdr.control != CONTROL_UI
        || hdr.oui != OUI_ETHERTYPE
    {
        return Err(FrameError::NotSnap {
            dsap: hdr.dsap,
            ssap: hdr.ssap,
            control: hdr.control,
        });
    }
    Ok((hdr.ethertype.get(), payload))
}

pub(super) fn emit(w: &mut Writer<'_>, ethertype: u16) -> Result<(), FrameError> {
    let hdr = SnapHeader {
        dsap: SAP_SNAP,
        ssap: SAP_SNAP,
        control: CONTROL_UI,
        oui: OUI_ETHERTYPE,
        ethertype: U16::new(ethertype),
    };
    w.put(hdr.as_bytes())
}
