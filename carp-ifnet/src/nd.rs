//! IPv6 neighbour discovery for virtual addresses (RFC 4861): parse a
//! Neighbor Solicitation, and build the solicited Neighbor Advertisement a
//! master answers with and the unsolicited one it sends on takeover.
//!
//! Advertisements are sent as the virtual MAC (link source and target
//! link-layer address option), from the virtual address itself, hop limit
//! 255, router flag clear, override flag set (BSD carp sets override so
//! neighbours replace the old master's MAC at once).

use core::net::Ipv6Addr;

use zerocopy::byteorder::network_endian::{U16, U32};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::frame::ipv6::{self, NEXT_HEADER_ICMPV6};
use crate::frame::{self, Checksum, FrameError, Ipv6Repr, Layer};
use crate::lladdr::{LinkType, MacAddr, ALL_NODES, MAC_LEN};

/// ICMPv6 type of a Neighbor Solicitation.
pub const TYPE_NEIGHBOR_SOLICIT: u8 = 135;
/// ICMPv6 type of a Neighbor Advertisement.
pub const TYPE_NEIGHBOR_ADVERT: u8 = 136;
/// Hop limit of every neighbour discovery message (and the only one accepted).
pub const HOP_LIMIT: u8 = 255;
/// Option type: source link-layer address.
pub const OPT_SOURCE_LLADDR: u8 = 1;
/// Option type: target link-layer address.
pub const OPT_TARGET_LLADDR: u8 = 2;
/// Options are measured in units of this many bytes.
const OPT_UNIT: usize = 8;
/// Length (in units) of a link-layer address option for a 48-bit MAC.
const OPT_LLADDR_UNITS: u8 = 1;
/// NA flag: sender is a router.
const FLAG_ROUTER: u32 = 0x8000_0000;
/// NA flag: answer to a solicitation.
const FLAG_SOLICITED: u32 = 0x4000_0000;
/// NA flag: replace any cached link-layer address.
const FLAG_OVERRIDE: u32 = 0x2000_0000;

/// The fixed part of an NS or NA message: type, code, checksum, 32 bits of
/// flags/reserved, target address.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq,
)]
#[repr(C)]
pub struct NdHeader {
    /// ICMPv6 type (135 NS, 136 NA).
    pub icmp_type: u8,
    /// ICMPv6 code (0).
    pub code: u8,
    /// ICMPv6 checksum over pseudo-header and message.
    pub checksum: U16,
    /// NA: R, S, O flags in the top bits; NS: reserved.
    pub flags: U32,
    /// Target address.
    pub target: [u8; 16],
}

/// A link-layer address option for a 48-bit MAC.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq,
)]
#[repr(C)]
pub struct LladdrOption {
    /// Option type (1 source, 2 target).
    pub kind: u8,
    /// Length in 8-byte units (1).
    pub len: u8,
    /// The MAC.
    pub mac: [u8; MAC_LEN],
}

/// Length of the fixed NS/NA part.
pub const HEADER_LEN: usize = core::mem::size_of::<NdHeader>();
/// Length of the NA message carp sends (header plus target lladdr option).
pub const ADVERT_LEN: usize = HEADER_LEN + core::mem::size_of::<LladdrOption>();

/// A Neighbor Solicitation that passed the RFC 4861 validity checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NeighborSolicit {
    /// IP source: the soliciter, or `::` during duplicate address detection.
    pub src: Ipv6Addr,
    /// IP destination (solicited-node group or the target itself).
    pub dst: Ipv6Addr,
    /// The address being resolved.
    pub target: Ipv6Addr,
    /// The soliciter's MAC from the source link-layer address option, if any.
    pub source_lladdr: Option<MacAddr>,
}

/// A Neighbor Advertisement (parsed, e.g. to check what was sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NeighborAdvert {
    /// IP source.
    pub src: Ipv6Addr,
    /// IP destination.
    pub dst: Ipv6Addr,
    /// The address advertised.
    pub target: Ipv6Addr,
    /// R flag.
    pub router: bool,
    /// S flag.
    pub solicited: bool,
    /// O flag.
    pub override_flag: bool,
    /// The MAC from the target link-layer address option, if any.
    pub target_lladdr: Option<MacAddr>,
}

/// ICMPv6 checksum state after the pseudo-header (RFC 8200 section 8.1).
fn pseudo_header(src: Ipv6Addr, dst: Ipv6Addr, len: usize) -> Checksum {
    let mut sum = Checksum::new();
    let len32 = u32::try_from(len).unwrap_or(u32::MAX);
    sum.add(&src.octets())
        .add(&dst.octets())
        .add(&len32.to_be_bytes())
        .add(&[0, 0, 0, NEXT_HEADER_ICMPV6]);
    sum
}

/// Validate the parts every ND message shares; returns the fixed header
/// and the options.
fn parse_common<'a>(
    header: &Ipv6Repr,
    message: &'a [u8],
    want_type: u8,
) -> Result<(&'a NdHeader, &'a [u8]), FrameError> {
    if header.next_header != NEXT_HEADER_ICMPV6 {
        return Err(FrameError::NotIcmpv6(header.next_header));
    }
    let (nd, options) = NdHeader::ref_from_prefix(message)
        .map_err(|_| FrameError::truncated(Layer::Icmpv6, message.len(), HEADER_LEN))?;
    if nd.icmp_type != want_type {
        return Err(FrameError::NotNeighborSolicitation(nd.icmp_type));
    }
    let sum = pseudo_header(header.src, header.dst, message.len());
    let mut whole = sum;
    if whole.add(message).folded() != 0xffff {
        let mut zeroed = *nd;
        zeroed.checksum = U16::ZERO;
        let mut without_field = sum;
        let expected = without_field.add(zeroed.as_bytes()).add(options).finish();
        return Err(FrameError::BadIcmpv6Checksum {
            got: nd.checksum.get(),
            expected,
        });
    }
    if header.hop_limit != HOP_LIMIT {
        return Err(FrameError::BadHopLimit(header.hop_limit));
    }
    if nd.code != 0 {
        return Err(FrameError::BadIcmpv6Code(nd.code));
    }
    let target = Ipv6Addr::from(nd.target);
    if target.is_multicast() {
        return Err(FrameError::MulticastTarget(target));
    }
    Ok((nd, options))
}

/// The MAC of the last link-layer address option of type `kind`, after
/// checking that every option is well formed.
fn find_lladdr(mut options: &[u8], kind: u8) -> Result<Option<MacAddr>, FrameError> {
    let mut found = None;
    while let [opt_kind, opt_len, ..] = *options {
        let bytes = usize::from(opt_len) * OPT_UNIT;
        let bad = FrameError::BadNdOption {
            kind: opt_kind,
            len: opt_len,
        };
        if opt_len == 0 {
            return Err(bad);
        }
        let (this, rest) = options.split_at_checked(bytes).ok_or(bad)?;
        if opt_kind == kind {
            if opt_len != OPT_LLADDR_UNITS {
                return Err(bad);
            }
            let (opt, _) = LladdrOption::ref_from_prefix(this).map_err(|_| bad)?;
            found = Some(MacAddr(opt.mac));
        }
        options = rest;
    }
    if let [kind, ..] = *options {
        // A lone trailing byte cannot be an option.
        return Err(FrameError::BadNdOption { kind, len: 0 });
    }
    Ok(found)
}

impl NeighborSolicit {
    /// Parse a Neighbor Solicitation from an IPv6 header and its payload
    /// (as [`crate::frame::Body::Ipv6`] gives them).
    ///
    /// Checks, in order: next header 58, length, ICMPv6 type 135, checksum
    /// over the pseudo-header, hop limit 255, code 0, target not multicast,
    /// options well formed, no source link-layer option when the source is
    /// unspecified.
    ///
    /// # Errors
    /// The [`FrameError`] of the first failed check.
    pub fn parse(header: &Ipv6Repr, payload: &[u8]) -> Result<NeighborSolicit, FrameError> {
        let (nd, options) = parse_common(header, payload, TYPE_NEIGHBOR_SOLICIT)?;
        let source_lladdr = find_lladdr(options, OPT_SOURCE_LLADDR)?;
        if header.src.is_unspecified() && source_lladdr.is_some() {
            return Err(FrameError::LladdrFromUnspecified);
        }
        Ok(NeighborSolicit {
            src: header.src,
            dst: header.dst,
            target: Ipv6Addr::from(nd.target),
            source_lladdr,
        })
    }
}

impl NeighborAdvert {
    /// Parse a Neighbor Advertisement (same checks as
    /// [`NeighborSolicit::parse`], with type 136; a wrong type is reported
    /// as [`FrameError::NotNeighborSolicitation`] carrying the type seen).
    ///
    /// # Errors
    /// The [`FrameError`] of the first failed check.
    pub fn parse(header: &Ipv6Repr, payload: &[u8]) -> Result<NeighborAdvert, FrameError> {
        let (nd, options) = parse_common(header, payload, TYPE_NEIGHBOR_ADVERT)?;
        let flags = nd.flags.get();
        Ok(NeighborAdvert {
            src: header.src,
            dst: header.dst,
            target: Ipv6Addr::from(nd.target),
            router: flags & FLAG_ROUTER != 0,
            solicited: flags & FLAG_SOLICITED != 0,
            override_flag: flags & FLAG_OVERRIDE != 0,
            target_lladdr: find_lladdr(options, OPT_TARGET_LLADDR)?,
        })
    }

    /// The ICMPv6 message (header, target lladdr option, checksum filled in).
    pub fn to_message(&self) -> [u8; ADVERT_LEN] {
        let mut flags = 0;
        if self.router {
            flags |= FLAG_ROUTER;
        }
        if self.solicited {
            flags |= FLAG_SOLICITED;
        }
        if self.override_flag {
            flags |= FLAG_OVERRIDE;
        }
        let mut nd = NdHeader {
            icmp_type: TYPE_NEIGHBOR_ADVERT,
            code: 0,
            checksum: U16::ZERO,
            flags: U32::new(flags),
            target: self.target.octets(),
        };
        let option = LladdrOption {
            kind: OPT_TARGET_LLADDR,
            len: OPT_LLADDR_UNITS,
            mac: self.target_lladdr.unwrap_or(MacAddr::ZERO).0,
        };
        let sum = pseudo_header(self.src, self.dst, ADVERT_LEN)
            .add(nd.as_bytes())
            .add(option.as_bytes())
            .finish();
        nd.checksum = U16::new(sum);
        let mut message = [0u8; ADVERT_LEN];
        let (head, tail) = message.split_at_mut(HEADER_LEN);
        head.copy_from_slice(nd.as_bytes());
        tail.copy_from_slice(option.as_bytes());
        message
    }

    /// Write this advertisement as a whole frame on `link` from `src_mac` to
    /// `dst_mac`, hop limit 255. The option is always written, with
    /// `target_lladdr` or zero. Returns the frame length ([`advert_frame_len`]).
    ///
    /// # Errors
    /// [`FrameError::BufferTooSmall`].
    pub fn emit_frame(
        &self,
        link: LinkType,
        dst_mac: MacAddr,
        src_mac: MacAddr,
        out: &mut [u8],
    ) -> Result<usize, FrameError> {
        let ip = Ipv6Repr {
            src: self.src,
            dst: self.dst,
            next_header: NEXT_HEADER_ICMPV6,
            hop_limit: HOP_LIMIT,
            traffic_class: 0,
            flow_label: 0,
            payload_len: ADVERT_LEN,
        };
        frame::emit_ipv6_frame(link, dst_mac, src_mac, &ip, &self.to_message(), out)
    }
}

/// Length of a Neighbor Advertisement frame on `link` (86 on Ethernet).
pub const fn advert_frame_len(link: LinkType) -> usize {
    frame::link_header_len(link) + ipv6::HEADER_LEN + ADVERT_LEN
}

/// Write the answer to `ns` for its target (a virtual address of a vhid
/// this host is master of), as `virtual_mac`: solicited and override set,
/// router as `router` (the host forwards IPv6), IP source the target, to the soliciter at the link address
/// from its source lladdr option, else `requester_mac` (the frame's source).
/// A solicitation from `::` (duplicate address detection) is answered to
/// ff02::1 with solicited clear, as RFC 4861 7.2.4 says. Returns the frame
/// length ([`advert_frame_len`]).
///
/// # Errors
/// [`FrameError::BufferTooSmall`].
pub fn emit_solicited_na(
    link: LinkType,
    virtual_mac: MacAddr,
    ns: &NeighborSolicit,
    requester_mac: MacAddr,
    router: bool,
    out: &mut [u8],
) -> Result<usize, FrameError> {
    let from_dad = ns.src.is_unspecified();
    let (dst, dst_mac) = if from_dad {
        (ALL_NODES, link.all_nodes_mac())
    } else {
        (ns.src, ns.source_lladdr.unwrap_or(requester_mac))
    };
    let na = NeighborAdvert {
        src: ns.target,
        dst,
        target: ns.target,
        router,
        solicited: !from_dad,
        override_flag: true,
        target_lladdr: Some(virtual_mac),
    };
    na.emit_frame(link, dst_mac, virtual_mac, out)
}

/// Write the unsolicited advertisement for `addr` sent on takeover: from
/// `addr` to ff02::1 (all-nodes MAC), override set, solicited clear, router
/// as `router`, target lladdr `virtual_mac`, link source `virtual_mac`. Returns
/// the frame length ([`advert_frame_len`]).
///
/// # Errors
/// [`FrameError::BufferTooSmall`].
pub fn emit_unsolicited_na(
    link: LinkType,
    virtual_mac: MacAddr,
    addr: Ipv6Addr,
    router: bool,
    out: &mut [u8],
) -> Result<usize, FrameError> {
    let na = NeighborAdvert {
        src: addr,
        dst: ALL_NODES,
        target: addr,
        router,
        solicited: false,
        override_flag: true,
        target_lladdr: Some(virtual_mac),
    };
    na.emit_frame(link, link.all_nodes_mac(), virtual_mac, out)
}

#[cfg(test)]
pub(crate) mod tests;
