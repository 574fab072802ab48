//! The input path: one frame from the parent, checked in BSD order.
//!
//! As OpenBSD `carp_proto_input` / `carp_proto_input_c`: count the packet,
//! `allow`, interface, TTL, length, checksum, vhid, own advert, version
//! (and, ours, type and authlen), digest; then the election. Every failure
//! is a [`Reject`] counted once in this parent's stats and once in the
//! host's [`Sysctl`] stats, and changes no state.
//!
//! Two additions of FreeBSD 14, in its places:
//!
//! * version 3 goes to the VRRPv3 checks ([`super::input_vrrp`]) right
//!   after the interface check, as `carp_input` dispatches on the version
//!   nibble;
//! * a vhid with a unicast peer of the packet's family is not held to
//!   TTL 255 (a routed peer's adverts arrive lower; `carp_input_c` checks
//!   the TTL only in multicast mode): while any vhid of the parent is in
//!   unicast mode for the family, the TTL check waits for the vhid lookup.
//!   In unicast mode the source must be the peer ([`Reject::BadPeer`]),
//!   checked before the digest, so a flood from elsewhere costs no HMAC.

use core::net::IpAddr;

use carp_core::vhost::election::Verdict;
use carp_core::wire::vrrp::VRRP_VERSION;
use carp_core::wire::{Advert, Packet, PROTO, TTL, VERSION};
use carp_core::{Counter, Instant, Origin, Reject, State};
use carp_sysctl::Sysctl;

use super::CarpIf;
use crate::frame::{self, link_header_len, Body, FrameError};
use crate::lladdr::LinkType;
use crate::log_event::LogEvent;
use crate::nd::NeighborSolicit;

/// ICMPv6, the next header of neighbour discovery.
const NEXT_HEADER_ICMPV6: u8 = 58;
/// Offset of the protocol byte in an IPv4 header.
const IPV4_PROTOCOL_AT: usize = 9;
/// Offset of the next-header byte in an IPv6 header.
const IPV6_NEXT_HEADER_AT: usize = 6;

/// What an accepted frame did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Input {
    /// A CARP or VRRP advert for `vhid` passed every check and reached
    /// the election.
    Advert {
        /// The vhid.
        vhid: u8,
        /// What the election made of it.
        verdict: Verdict,
    },
    /// An ARP request for a virtual address is answered by `vhid` (the
    /// reply is queued for the next [`CarpIf::poll`]).
    ArpReplied {
        /// The vhid that answered (this host is its master).
        vhid: u8,
    },
    /// A neighbour solicitation for a virtual address is answered (queued
    /// for the next [`CarpIf::poll`]).
    NdReplied {
        /// The vhid that answered.
        vhid: u8,
    },
    /// An ARP request or solicitation for a virtual address that this host
    /// must not answer (backup, or another master's share under arpbalance).
    Silent,
    /// Not CARP's: the parent's own stack should handle it.
    NotCarp,
}

impl<const N: usize> CarpIf<N> {
    /// Takes one received link-layer frame. Needs no device: the frame may
    /// still sit in the NIC's receive buffer. An ARP request or neighbour
    /// solicitation this host must answer is queued for [`CarpIf::poll`]
    /// (see [`CarpIf::poll_timeout`]).
    ///
    /// # Errors
    /// The [`Reject`] of the first input check the frame failed; it has
    /// been counted and nothing else changed.
    pub fn input(&mut self, now: Instant, frame: &[u8], sysctl: &Sysctl) -> Result<Input, Reject> {
        let link = self.parent.link;
        // A flood is IPv4 CARP over Ethernet: take it without building a
        // `Frame` (the general path below reaches the same verdict).
        if let Some(packet) = frame::fast::ipv4_carp(link, frame) {
            let header = packet.header;
            let ip = IpInfo {
                src: IpAddr::V4(header.src.into()),
                dst: IpAddr::V4(header.dst.into()),
                ttl: header.ttl,
            };
            return self.ipv4_input(
                now,
                frame.len(),
                ip,
                header.is_fragment(),
                packet.payload,
                sysctl,
            );
        }
        let parsed = match frame::parse(link, frame) {
            Ok(parsed) => parsed,
            Err(e) if is_truncated_carp(link, frame, &e) => {
                return Err(self.reject(Reject::HeaderTruncated { len: frame.len() }, sysctl));
            }
            Err(_) => return Ok(Input::NotCarp),
        };
        match parsed.body {
            Body::Ipv4 { header, payload } if header.protocol == PROTO => {
                let ip = IpInfo {
                    src: IpAddr::V4(header.src),
                    dst: IpAddr::V4(header.dst),
                    ttl: header.ttl,
                };
                self.ipv4_input(now, frame.len(), ip, header.is_fragment(), payload, sysctl)
            }
            Body::Ipv6 { header, payload } if header.next_header == PROTO => {
                let ip = IpInfo {
                    src: IpAddr::V6(header.src),
                    dst: IpAddr::V6(header.dst),
                    ttl: header.hop_limit,
                };
                self.carp_input(now, ip, payload, Counter::Ipackets6, sysctl)
            }
            Body::Ipv6 { header, payload } if header.next_header == NEXT_HEADER_ICMPV6 => {
                match NeighborSolicit::parse(&header, payload) {
                    Ok(ns) => Ok(self.answer_solicitation(now, &ns, parsed.src, sysctl)),
                    Err(_) => Ok(Input::NotCarp),
                }
            }
            Body::Arp(arp) => Ok(self.answer_arp(now, &arp, sysctl)),
            _ => Ok(Input::NotCarp),
        }
    }

    /// An IPv4 CARP packet: a fragment is a truncated header (BSD's
    /// `hdrops`, carp never sends one); counted under `ipackets`.
    fn ipv4_input(
        &mut self,
        now: Instant,
        frame_len: usize,
        ip: IpInfo,
        fragment: bool,
        payload: &[u8],
        sysctl: &Sysctl,
    ) -> Result<Input, Reject> {
        if fragment {
            let reject = Reject::HeaderTruncated { len: frame_len };
            return Err(self.count_dropped(Counter::Ipackets, reject, sysctl));
        }
        self.carp_input(now, ip, payload, Counter::Ipackets, sysctl)
    }

    /// A CARP or VRRP packet received under `received` (`ipackets` or
    /// `ipackets6`): the checks, then the packet and its fate counted.
    ///
    /// Counted before the verdict is built, and every caller returns the
    /// verdict as it comes: built once, in the caller's return slot. (A
    /// verdict built in a temporary, read by the counting and then copied
    /// out whole, stalled on that copy: its fields were just written one
    /// by one, and a wide load cannot be forwarded from narrower stores.)
    fn carp_input(
        &mut self,
        now: Instant,
        ip: IpInfo,
        payload: &[u8],
        received: Counter,
        sysctl: &Sysctl,
    ) -> Result<Input, Reject> {
        match self.carp_checks(now, ip, payload, sysctl) {
            Ok(input) => {
                self.stats.bump(received);
                sysctl.bump(received);
                Ok(input)
            }
            Err(reject) => Err(self.count_dropped(received, reject, sysctl)),
        }
    }

    /// The BSD checks from `allow` on; rejections are returned, not yet
    /// counted ([`CarpIf::carp_input`] counts the packet and its fate
    /// together). Its one caller is `carp_input`, into which it is inlined so
    /// that a rejection stays in registers until it is counted.
    #[inline(always)]
    fn carp_checks(
        &mut self,
        now: Instant,
        ip: IpInfo,
        payload: &[u8],
        sysctl: &Sysctl,
    ) -> Result<Input, Reject> {
        if !sysctl.allow() {
            return Err(Reject::Disabled);
        }
        if self.slots.is_empty() {
            return Err(Reject::BadInterface);
        }
        if payload.first().map(|b| b >> 4) == Some(VRRP_VERSION) {
            return self.vrrp_input(now, ip, payload, sysctl);
        }
        // The TTL first, before `src` is copied out of `ip`: a flood of
        // TTL 254 then reads one byte of the address, its family.
        let ttl = ip.ttl;
        if ttl != TTL && !self.unicast_family(&ip.src) {
            return Err(Reject::BadTtl(ttl));
        }
        let src = ip.src;
        let packet =
            Packet::new_checked(payload).map_err(|_| Reject::BadLength { len: payload.len() })?;
        if !packet.verify_checksum() {
            return Err(Reject::BadChecksum);
        }
        if !is_unicast_source(src) {
            return Err(Reject::BadAddress);
        }
        let vhid = packet.vhid();
        let at = match self.position(vhid) {
            Ok(at)
                if self
                    .slots
                    .get(at)
                    .is_some_and(|s| s.host.state() != State::Init) =>
            {
                at
            }
            _ => return Err(Reject::BadVhid(vhid)),
        };
        let host = &self.slots.get(at).ok_or(Reject::BadVhid(vhid))?.host;
        let peers = host.config().peers;
        if ttl != TTL && !peers.is_unicast_for(&src) {
            return Err(Reject::BadTtl(ttl));
        }
        if self.is_own_address(src) {
            return Err(Reject::Own);
        }
        // Borrowed where it was parsed: the advert's fields were just
        // written one by one, and moving it out of the `Result` whole
        // stalled on them (perf: 38 % of this function's samples).
        let parsed = Advert::parse_fields(&packet);
        let advert = match &parsed {
            Ok(advert) => advert,
            Err(e) => return Err(Reject::from(*e)),
        };
        // FreeBSD carp_input_c: a CARP advert for a VRRP vhid is badver.
        if host.config().is_vrrp() {
            return Err(Reject::BadVersion(VERSION));
        }
        if !peers.admits(&src) {
            return Err(Reject::BadPeer(src));
        }
        let host_policy = self.host_policy(sysctl);
        let slot = self.slots.get_mut(at).ok_or(Reject::BadVhid(vhid))?;
        let policy = slot.policy(&host_policy);
        let host = &mut slot.host;
        let verified = host.verify(advert).map_err(|_| Reject::BadAuth)?;
        // A parent without an IPv4 address sends from 0.0.0.0 (NetBSD):
        // then our own looped-back advert is known by its counter, the one
        // we last sent.
        if src.is_unspecified() && advert.counter == host.counter() {
            return Err(Reject::Own);
        }
        // A replay the vhost drops (enforce) still reports an event: settle.
        let origin = Origin::new(src, self.parent.ipv4, self.parent.ipv6_link_local);
        let outcome = host.handle_advert(now, &verified, origin, &policy);
        self.settle(at, now, sysctl);
        self.refresh_next_deadline();
        let verdict = outcome?;
        Ok(Input::Advert { vhid, verdict })
    }

    pub(super) fn is_own_address(&self, src: IpAddr) -> bool {
        match src {
            IpAddr::V4(a) => self.parent.ipv4 == Some(a),
            IpAddr::V6(a) => self.parent.ipv6_link_local == Some(a) || self.parent.ipv6 == Some(a),
        }
    }

    /// True while some vhid of the parent sends `src`'s family to a
    /// unicast peer (the TTL check then waits for the vhid).
    pub(super) fn unicast_family(&self, src: &IpAddr) -> bool {
        match src {
            IpAddr::V4(_) => self.unicast.0 > 0,
            IpAddr::V6(_) => self.unicast.1 > 0,
        }
    }

    /// Counts a received CARP packet that was dropped, and why: once in
    /// this parent's stats and once, under a single lock, in the host's;
    /// returns the rejection.
    #[inline(always)]
    fn count_dropped(&mut self, received: Counter, reject: Reject, sysctl: &Sysctl) -> Reject {
        let why = reject.counter();
        self.stats.bump(received);
        self.stats.bump(why);
        sysctl.bump_all(&[received, why]);
        LogEvent::dropped(&reject, sysctl.log_level());
        reject
    }

    /// Counts a rejection that is not a received CARP packet (a truncated
    /// header whose protocol byte says CARP).
    fn reject(&mut self, reject: Reject, sysctl: &Sysctl) -> Reject {
        self.stats.record(reject);
        sysctl.record(reject);
        LogEvent::dropped(&reject, sysctl.log_level());
        reject
    }
}

/// The IP header fields the input checks read.
#[derive(Debug, Clone, Copy)]
pub(super) struct IpInfo {
    pub(super) src: IpAddr,
    pub(super) dst: IpAddr,
    pub(super) ttl: u8,
}

/// Adverts come from a unicast address, or over IPv4 from 0.0.0.0 (what
/// NetBSD's `carp_send_ad` sends from a parent without an IPv4 address);
/// anything else is a forgery or a misconfiguration.
pub(super) fn is_unicast_source(src: IpAddr) -> bool {
    match src {
        IpAddr::V4(a) => !(a.is_multicast() || a.is_broadcast()),
        IpAddr::V6(a) => !(a.is_multicast() || a.is_unspecified()),
    }
}

/// A frame whose link or IP header is cut short but whose protocol byte says
/// CARP: BSD counts that under `hdrops`. Anything else malformed is the
/// parent stack's business, not carp's.
fn is_truncated_carp(link: LinkType, frame: &[u8], error: &FrameError) -> bool {
    let truncation = error.is_truncated()
        || matches!(
            error,
            FrameError::BadIpv4TotalLen { .. } | FrameError::BadIpv6PayloadLen { .. }
        );
    if !truncation {
        return false;
    }
    let ip = frame.get(link_header_len(link)..).unwrap_or(&[]);
    match ip.first().map(|b| b >> 4) {
        Some(4) => ip.get(IPV4_PROTOCOL_AT) == Some(&PROTO),
        Some(6) => ip.get(IPV6_NEXT_HEADER_AT) == Some(&PROTO),
        _ => false,
    }
}
