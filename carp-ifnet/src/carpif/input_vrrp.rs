//! The input checks of a VRRPv3 advert (IP protocol 112, version 3), in
//! FreeBSD 14's order (`carp_input` / `carp6_input`, then `vrrp_input_c`),
//! then ours:
//!
//! 1. the message is shorter than its header and the addresses it counts:
//!    `badlen`;
//! 2. no running vhid with that number: `badvhid`;
//! 3. the vhid speaks CARP: `badver`;
//! 4. TTL or hop limit not 255, unless the vhid has a unicast peer of the
//!    family: `badttl`;
//! 5. the checksum over the pseudo-header and message is wrong: `badsum`;
//! 6. (ours) the type is not advertisement: `badtype`; the source is a
//!    group or broadcast: `badaddrs`; it is our own advert looped back:
//!    `own`; in unicast mode the source is not the peer: `badpeer`;
//! 7. the election ([`carp_core::VirtualHost::handle_vrrp_advert`]).
//!
//! There is no authentication (RFC 9568 removed it). The address list is
//! not compared with ours: RFC 9568 7.1 makes that a MAY whose failure is
//! only logged, and keepalived does no more.

use core::net::IpAddr;

use carp_core::wire::vrrp::{PseudoHeader, VrrpAdvert, VrrpFamily, VrrpPacket, VRRP_VERSION};
use carp_core::wire::{TTL, TYPE_ADVERTISEMENT};
use carp_core::{Instant, Origin, Reject};
use carp_sysctl::Sysctl;

use super::input::{is_unicast_source, IpInfo};
use super::{CarpIf, Input};

impl<const N: usize> CarpIf<N> {
    /// Checks 1 to 3 of a version-3 packet, `allow` and the interface
    /// already passed: its length, its vhid, the vhid's protocol; answers
    /// the vhid's slot index and the packet, its length checked. They
    /// change nothing and run inlined into
    /// [`CarpIf::input`] ([`CarpIf::early_checks`]), so that a flood of
    /// version-3 packets at CARP vhids (`badver`) or unknown ones costs no
    /// call.
    #[inline(always)]
    pub(super) fn vrrp_early_checks<'p>(
        &self,
        ip: &IpInfo,
        payload: &'p [u8],
    ) -> Result<(usize, VrrpPacket<&'p [u8]>), Reject> {
        let (family, _) = pseudo_header(ip)?;
        let packet = VrrpPacket::new_checked(payload, family)
            .map_err(|_| Reject::BadLength { len: payload.len() })?;
        let vrid = packet.vrid();
        let (at, host) = self.running(vrid).ok_or(Reject::BadVhid(vrid))?;
        if !host.config().is_vrrp() {
            return Err(Reject::BadVersion(VRRP_VERSION));
        }
        Ok((at, packet))
    }

    /// The checks from 4 on of `packet`, whose checks 1 to 3 passed for
    /// the vhid at `at` ([`CarpIf::vrrp_early_checks`]), and
    /// the election; rejections are returned, not yet counted (its one
    /// caller, [`CarpIf::vrrp_counted`], counts them).
    #[inline(always)]
    pub(super) fn vrrp_input(
        &mut self,
        now: Instant,
        at: usize,
        ip: IpInfo,
        packet: VrrpPacket<&[u8]>,
        sysctl: &Sysctl,
    ) -> Result<Input, Reject> {
        let IpInfo { src, ttl, .. } = ip;
        let (_, pseudo) = pseudo_header(&ip)?;
        let vrid = packet.vrid();
        let host = &self.slots.get(at).ok_or(Reject::BadVhid(vrid))?.host;
        let peers = host.config().peers;
        if ttl != TTL && !peers.is_unicast_for(&src) {
            return Err(Reject::BadTtl(ttl));
        }
        if !packet.verify_checksum(&pseudo) {
            return Err(Reject::BadChecksum);
        }
        if packet.kind() != TYPE_ADVERTISEMENT {
            return Err(Reject::BadType(packet.kind()));
        }
        if !is_unicast_source(src) || src.is_unspecified() {
            return Err(Reject::BadAddress);
        }
        if self.is_own_address(src) {
            return Err(Reject::Own);
        }
        if !peers.admits(&src) {
            return Err(Reject::BadPeer(src));
        }
        let advert = VrrpAdvert::parse_fields(&packet).map_err(|_| Reject::BadLength {
            len: packet.into_inner().len(),
        })?;
        // RFC 9568 6.4.3 compares the sender's address with ours: the one
        // we send from to it.
        let local6 = match src {
            IpAddr::V6(a) if !a.is_unicast_link_local() => self.parent.ipv6,
            _ => self.parent.ipv6_link_local,
        };
        let origin = Origin::new(src, self.parent.ipv4, local6);
        let host_policy = self.host_policy(sysctl);
        let slot = self.slots.get_mut(at).ok_or(Reject::BadVhid(vrid))?;
        let policy = slot.policy(&host_policy);
        let outcome = slot.host.handle_vrrp_advert(now, &advert, origin, &policy);
        self.settle(at, now, sysctl);
        self.refresh_next_deadline();
        let verdict = outcome?;
        Ok(Input::Advert {
            vhid: vrid,
            verdict,
        })
    }
}

/// The packet's family and its checksum's pseudo-header; both addresses
/// of one family, or `badaddrs`.
#[inline(always)]
fn pseudo_header(ip: &IpInfo) -> Result<(VrrpFamily, PseudoHeader), Reject> {
    match (ip.src, ip.dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => Ok((VrrpFamily::V4, PseudoHeader::V4 { src, dst })),
        (IpAddr::V6(src), IpAddr::V6(dst)) => Ok((VrrpFamily::V6, PseudoHeader::V6 { src, dst })),
        _ => Err(Reject::BadAddress),
    }
}
