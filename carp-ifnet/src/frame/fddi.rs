//! FDDI framing: frame control, destination, source, then LLC/SNAP.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::{llc, FrameError, Layer, LinkParts, Writer};
use crate::lladdr::{MacAddr, MAC_LEN};

/// Frame control of an asynchronous LLC frame with 48-bit addresses,
/// priority 0 (BSD `FDDIFC_LLC_ASYNC`): what carp sends.
pub const FC_LLC_ASYNC: u8 = 0x50;
/// Bits of the frame control that select class, address length and format
/// (`FDDIFC_CLFF`); the low bits are the priority, ignored on input.
const FC_CLASS_FORMAT_MASK: u8 = 0xf0;

/// An FDDI MAC header exactly as on the wire (the LLC/SNAP header follows).
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq,
)]
#[repr(C)]
pub struct FddiHeader {
    /// Frame control.
    pub frame_control: u8,
    /// Destination MAC.
    pub dst: [u8; MAC_LEN],
    /// Source MAC.
    pub src: [u8; MAC_LEN],
}

/// Length of the FDDI MAC header plus LLC/SNAP.
pub const HEADER_LEN: usize = core::mem::size_of::<FddiHeader>() + llc::HEADER_LEN;

/// Input accepts asynchronous LLC frames of any priority, as BSD `fddi_input`
/// does; everything else (SMT, MAC, synchronous frames) is refused.
pub(super) fn parse(frame: &[u8]) -> Result<LinkParts<'_>, FrameError> {
    let (hdr, pdu) = FddiHeader::ref_from_prefix(frame)
        .map_err(|_| FrameError::truncated(Layer::Link, frame.len(), HEADER_LEN))?;
    if hdr.frame_control & FC_CLASS_FORMAT_MASK != FC_LLC_ASYNC {
        return Err(FrameError::UnsupportedFrameControl(hdr.frame_control));
    }
    let (ethertype, payload) = llc::parse(pdu)?;
    Ok(LinkParts {
        dst: MacAddr(hdr.dst),
        src: MacAddr(hdr.src),
        ethertype,
        payload,
    })
}

pub(super) fn emit(
    w: &mut Writer<'_>,
    dst: MacAddr,
    src: MacAddr,
    ethertype: u16,
) -> Result<(), FrameError> {
    let hdr = FddiHeader {
        frame_control: FC_LLC_ASYNC,
        dst: dst.0,
        src: src.0,
    };
    w.put(hdr.as_bytes())?;
    llc::emit(w, ethertype)
}
