//! IEEE 802.5 Token Ring framing: access control, frame control,
//! destination, source, optional routing information, then LLC/SNAP.
//!
//! carp never source-routes: frames it sends carry no routing information
//! field (RIF). On input a RIF (announced by the route bit in the first
//! source byte, BSD `TOKEN_RI_PRESENT`) is skipped after checking its
//! length, and the source MAC is reported with the route bit cleared, so a
//! source-routed ARP request or advert is still understood; replies go out
//! without a route, as from a station on the same ring.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::{llc, FrameError, Layer, LinkParts, Writer};
use crate::lladdr::{MacAddr, MAC_LEN};

/// Access control byte carp sends (priority 0, frame; BSD `TOKEN_AC`).
pub const AC_FRAME: u8 = 0x10;
/// Frame control of an LLC frame (BSD `TOKEN_FC`).
pub const FC_LLC: u8 = 0x40;
/// Frame-type bits of the frame control: `01` = LLC, `00` = MAC frame.
const FC_TYPE_MASK: u8 = 0xc0;
/// Route bit in the first source byte: a RIF follows the header.
pub const ROUTE_BIT: u8 = 0x80;
/// Mask of the RIF length (in bytes, routing control included) in the RIF's first byte.
const RIF_LEN_MASK: u8 = 0x1f;
/// Shortest RIF: the two routing control bytes alone.
const RIF_MIN_LEN: usize = 2;
/// Longest RIF: routing control plus eight route designators.
const RIF_MAX_LEN: usize = 18;

/// A Token Ring MAC header exactly as on the wire (no RIF; LLC/SNAP follows).
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq,
)]
#[repr(C)]
pub struct TokenRingHeader {
    /// Access control.
    pub access_control: u8,
    /// Frame control.
    pub frame_control: u8,
    /// Destination MAC.
    pub dst: [u8; MAC_LEN],
    /// Source MAC; [`ROUTE_BIT`] in the first byte announces a RIF.
    pub src: [u8; MAC_LEN],
}

/// Length of the Token Ring MAC header (without RIF) plus LLC/SNAP.
pub const HEADER_LEN: usize = core::mem::size_of::<TokenRingHeader>() + llc::HEADER_LEN;

pub(super) fn parse(frame: &[u8]) -> Result<LinkParts<'_>, FrameError> {
    let (hdr, mut rest) = TokenRingHeader::ref_from_prefix(frame)
        .map_err(|_| FrameError::truncated(Layer::Link, frame.len(), HEADER_LEN))?;
    if hdr.frame_control & FC_TYPE_MASK != FC_LLC {
        return Err(FrameError::UnsupportedFrameControl(hdr.frame_control));
    }
    let mut src = hdr.src;
    let [first, ..] = &mut src;
    if *first & ROUTE_BIT != 0 {
        *first &= !ROUTE_BIT;
        let rif_len = match rest.first() {
            Some(rc) => usize::from(rc & RIF_LEN_MASK),
            None => return Err(FrameError::truncated(Layer::Link, frame.len(), HEADER_LEN)),
        };
        if !(RIF_MIN_LEN..=RIF_MAX_LEN).contains(&rif_len) || rif_len % 2 != 0 {
            return Err(FrameError::BadRouteInfoLen(rif_len));
        }
        rest = rest.get(rif_len..).ok_or(FrameError::truncated(
            Layer::Link,
            frame.len(),
            HEADER_LEN + rif_len,
        ))?;
    }
    let (ethertype, payload) = llc::parse(rest)?;
    Ok(LinkParts {
        dst: MacAddr(hdr.dst),
        src: MacAddr(src),
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
    let hdr = TokenRingHeader {
        access_control: AC_FRAME,
        frame_control: FC_LLC,
        dst: dst.0,
        src: src.0,
    };
    w.put(hdr.as_bytes())?;
    llc::emit(w, ethertype)
}
