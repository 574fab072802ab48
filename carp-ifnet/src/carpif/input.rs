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
//!   nibble (the first three, which change nothing, inlined here too);
//! * a vhid with a unicast peer of the packet's family is not held to
//!   TTL 255 (a routed peer's adverts arrive lower; `carp_input_c` checks
//!   the TTL only in multicast mode): while any vhid of the parent is in
//!   unicast mode for the family, the TTL check waits for the vhid lookup.
//!   In unicast mode the source must be the peer ([`Reject::BadPeer`]),
//!   checked before the digest, so a flood from elsewhere costs no HMAC.

use core::net::IpAddr;

use carp_core::vhost::election::Verdict;
use carp_core::wire::vrrp::{VrrpPacket, VRRP_VERSION};
use carp_core::wire::{Advert, Packet, PROTO, TTL, VERSION};
use carp_core::{Counter, Instant, Origin, Reject, State, VirtualHost};
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
        // `Frame` (the general path below reaches the same verdict). Both
        // paths end in the one call of `carp_input` below, so its checks
        // are inlined once: a second copy cost 0.65 KB on Cortex-M.
        let parsed;
        let (ip, payload, received, fragment) = match frame::fast::ipv4_carp(link, frame) {
            Some(packet) => {
                let header = packet.header;
                let ip = IpInfo {
                    src: IpAddr::V4(header.src.into()),
                    dst: IpAddr::V4(header.dst.into()),
                    ttl: header.ttl,
                };
                (ip, packet.payload, Counter::Ipackets, header.is_fragment())
            }
            None => {
                parsed = match frame::parse(link, frame) {
                    Ok(parsed) => parsed,
                    Err(e) if is_truncated_carp(link, frame, &e) => {
                        let reject = Reject::HeaderTruncated { len: frame.len() };
                        return Err(self.reject(reject, sysctl));
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
                        (ip, payload, Counter::Ipackets, header.is_fragment())
                    }
                    Body::Ipv6 { header, payload } if header.next_header == PROTO => {
                        let ip = IpInfo {
                            src: IpAddr::V6(header.src),
                            dst: IpAddr::V6(header.dst),
                            ttl: header.hop_limit,
                        };
                        (ip, payload, Counter::Ipackets6, false)
                    }
                    Body::Ipv6 { header, payload } if header.next_header == NEXT_HEADER_ICMPV6 => {
                        return match NeighborSolicit::parse(&header, payload) {
                            Ok(ns) => Ok(self.answer_solicitation(now, &ns, parsed.src, sysctl)),
                            Err(_) => Ok(Input::NotCarp),
                        };
                    }
                    Body::Arp(arp) => return Ok(self.answer_arp(now, &arp, sysctl)),
                    _ => return Ok(Input::NotCarp),
                }
            }
        };
        // An IPv4 fragment is a truncated header (BSD's `hdrops`; carp
        // never sends one).
        if fragment {
            let reject = Reject::HeaderTruncated { len: frame.len() };
            return Err(self.count_dropped(received, reject, sysctl));
        }
        self.carp_input(now, ip, payload, received, sysctl)
    }

    /// A CARP or VRRP packet received under `received` (`ipackets` or
    /// `ipackets6`): the checks, then the packet and its fate counted.
    ///
    /// Split in two so that a flood is rejected cheaply: the checks that
    /// change nothing ([`CarpIf::early_checks`]) run inlined into the
    /// caller, and only a packet that passes them enters the call that
    /// verifies the digest and runs the election
    /// ([`CarpIf::advert_input`]). Side by side on the `input` bench, a
    /// TTL 254 rejection costs 9.2 ns this way and cost 11.6 ns inside
    /// that call (its stack frame, its saved registers, the IP fields
    /// passed through memory); a bad checksum 10.8 ns instead of 14.4.
    #[inline(always)]
    fn carp_input(
        &mut self,
        now: Instant,
        ip: IpInfo,
        payload: &[u8],
        received: Counter,
        sysctl: &Sysctl,
    ) -> Result<Input, Reject> {
        match self.early_checks(&ip, payload, sysctl) {
            Ok(Early::Carp { at, packet }) => {
                let (bits, v6) = addr_bits(&ip.src);
                self.advert_input(now, at, bits, v6, &packet, received, sysctl)
            }
            Ok(Early::Vrrp { at, packet }) => {
                self.vrrp_counted(now, at, ip, packet, received, sysctl)
            }
            Err(reject) => Err(self.count_dropped(received, reject, sysctl)),
        }
    }

    /// The BSD checks from `allow` to the peer, in order, up to the digest
    /// (a version-3 packet goes on to the first three VRRPv3 checks: its
    /// length, its vhid, the vhid's protocol). None of them changes state;
    /// rejections are returned, not yet counted.
    #[inline(always)]
    fn early_checks<'p>(
        &self,
        ip: &IpInfo,
        payload: &'p [u8],
        sysctl: &Sysctl,
    ) -> Result<Early<'p>, Reject> {
        if !sysctl.allow() {
            return Err(Reject::Disabled);
        }
        if self.slots.is_empty() {
            return Err(Reject::BadInterface);
        }
        if payload.first().map(|b| b >> 4) == Some(VRRP_VERSION) {
            return self
                .vrrp_early_checks(ip, payload)
                .map(|(at, packet)| Early::Vrrp { at, packet });
        }
        // The TTL first, before the address is read: a flood of TTL 254
        // then reads one byte of it, its family.
        let ttl = ip.ttl;
        if ttl != TTL && !self.unicast_family(&ip.src) {
            return Err(Reject::BadTtl(ttl));
        }
        let src = &ip.src;
        let packet =
            Packet::new_checked(payload).map_err(|_| Reject::BadLength { len: payload.len() })?;
        if !packet.verify_checksum() {
            return Err(Reject::BadChecksum);
        }
        if !is_unicast_source(*src) {
            return Err(Reject::BadAddress);
        }
        let vhid = packet.vhid();
        let (at, host) = self.running(vhid).ok_or(Reject::BadVhid(vhid))?;
        let peers = &host.config().peers;
        if ttl != TTL && !peers.is_unicast_for(src) {
            return Err(Reject::BadTtl(ttl));
        }
        if self.is_own_address(*src) {
            return Err(Reject::Own);
        }
        Advert::check_fields(&packet).map_err(Reject::from)?;
        // FreeBSD carp_input_c: a CARP advert for a VRRP vhid is badver.
        if host.config().is_vrrp() {
            return Err(Reject::BadVersion(VERSION));
        }
        if !peers.admits(src) {
            return Err(Reject::BadPeer(*src));
        }
        Ok(Early::Carp { at, packet })
    }

    /// The vhid `vhid` when this parent runs it and it is not in INIT,
    /// with its index in the slots: one load from the vhid index, no
    /// search (an unknown vhid is the cheapest flood to send).
    #[inline(always)]
    pub(super) fn running(&self, vhid: u8) -> Option<(usize, &VirtualHost)> {
        let at = self.vhid_index.get(vhid)?;
        let host = &self.slots.get(at)?.host;
        (host.state() != State::Init).then_some((at, host))
    }

    /// A CARP advert that passed [`CarpIf::early_checks`]: the digest and
    /// the election; the packet and its fate counted. Not inlined: a flood
    /// rejected early never enters it.
    // Eight arguments: the source address comes as two scalars (see
    // `addr_bits`).
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn advert_input(
        &mut self,
        now: Instant,
        at: usize,
        src_bits: u128,
        src_v6: bool,
        packet: &Packet<&[u8]>,
        received: Counter,
        sysctl: &Sysctl,
    ) -> Result<Input, Reject> {
        let src = addr_from_bits(src_bits, src_v6);
        let result = self.advert_checks(now, at, src, packet, sysctl);
        self.counted(received, result, sysctl)
    }

    /// A version-3 packet for the VRRP vhid at `at`, its length checked:
    /// the VRRPv3 checks after the early ones, and the election ([`super::input_vrrp`]),
    /// counted. Not inlined, so that it does not enlarge the CARP flood's
    /// path.
    #[inline(never)]
    fn vrrp_counted(
        &mut self,
        now: Instant,
        at: usize,
        ip: IpInfo,
        packet: VrrpPacket<&[u8]>,
        received: Counter,
        sysctl: &Sysctl,
    ) -> Result<Input, Reject> {
        let result = self.vrrp_input(now, at, ip, packet, sysctl);
        self.counted(received, result, sysctl)
    }

    /// Counts a received packet and its fate; returns the result as it
    /// came. Inlined into its callers, so that the verdict is built once,
    /// in the caller's return slot. (A verdict built in a temporary, read
    /// by the counting and then copied out whole, stalled on that copy:
    /// its fields were just written one by one, and a wide load cannot be
    /// forwarded from narrower stores.)
    #[inline(always)]
    fn counted(
        &mut self,
        received: Counter,
        result: Result<Input, Reject>,
        sysctl: &Sysctl,
    ) -> Result<Input, Reject> {
        match result {
            Ok(input) => {
                self.stats.bump(received);
                sysctl.count(&mut self.lane, &[received]);
                Ok(input)
            }
            Err(reject) => Err(self.count_dropped(received, reject, sysctl)),
        }
    }

    /// The digest, the NetBSD own-advert check and the election, for an
    /// advert that passed the early checks. Rejections are returned, not
    /// yet counted.
    #[inline(always)]
    fn advert_checks(
        &mut self,
        now: Instant,
        at: usize,
        src: IpAddr,
        packet: &Packet<&[u8]>,
        sysctl: &Sysctl,
    ) -> Result<Input, Reject> {
        // Checked by `early_checks`: only read here.
        let advert = &Advert::read_fields(packet);
        let vhid = advert.vhid;
        let host_policy = self.host_policy(sysctl);
        let slot = self.slots.get_mut(at).ok_or(Reject::BadVhid(vhid))?;
        let policy = slot.policy(&host_policy);
        let host = &mut slot.host;
        // The digest, NetBSD's own-advert check (the sender 0.0.0.0 and
        // the counter we last sent), then the election, worked out while
        // the digest's first compression runs.
        let origin = Origin::new(src, self.parent.ipv4, self.parent.ipv6_link_local);
        let outcome = host.receive_advert(now, advert, origin, &policy);
        if let Err(reject @ (Reject::BadAuth | Reject::Own)) = outcome {
            // Refused before anything changed.
            return Err(reject);
        }
        // A replay the vhost drops (enforce) still reports an event: settle.
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
    /// this parent's stats and once in the host's, in this interface's
    /// statistics lane (no lock); returns the rejection.
    #[inline(always)]
    fn count_dropped(&mut self, received: Counter, reject: Reject, sysctl: &Sysctl) -> Reject {
        let why = reject.counter();
        self.stats.bump(received);
        self.stats.bump(why);
        sysctl.count(&mut self.lane, &[received, why]);
        LogEvent::dropped(&reject, sysctl.log_level());
        reject
    }

    /// Counts a rejection that is not a received CARP packet (a truncated
    /// header whose protocol byte says CARP).
    fn reject(&mut self, reject: Reject, sysctl: &Sysctl) -> Reject {
        self.stats.record(reject);
        sysctl.count(&mut self.lane, &[reject.counter()]);
        LogEvent::dropped(&reject, sysctl.log_level());
        reject
    }
}

/// A packet that passed [`CarpIf::early_checks`].
enum Early<'p> {
    /// A CARP advert for the vhid at `at`: every check before the digest
    /// passed.
    Carp {
        /// The vhid's index in the parent's slots.
        at: usize,
        /// The CARP header, its length checked.
        packet: Packet<&'p [u8]>,
    },
    /// Version 3 for the VRRP vhid at `at`, its length checked: the rest
    /// of the VRRPv3 checks take it ([`super::input_vrrp`]).
    Vrrp {
        /// The vhid's index in the parent's slots.
        at: usize,
        /// The VRRPv3 message, its length checked.
        packet: VrrpPacket<&'p [u8]>,
    },
}

/// `addr` as its bits and its family, two scalars a call passes in
/// registers. An `IpAddr` (17 bytes) is passed through memory, and reading
/// it back whole right after it was written field by field stalls: a wide
/// load cannot be forwarded from narrower stores.
#[inline(always)]
fn addr_bits(addr: &IpAddr) -> (u128, bool) {
    match addr {
        IpAddr::V4(a) => (u128::from(u32::from(*a)), false),
        IpAddr::V6(a) => (u128::from(*a), true),
    }
}

/// The address [`addr_bits`] took apart.
#[inline(always)]
fn addr_from_bits(bits: u128, v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(bits.into())
    } else {
        // The low 32 bits: `addr_bits` put an IPv4 address there.
        IpAddr::V4((bits as u32).into())
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

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn an_address_taken_apart_comes_back_in_its_family() {
        let v4 = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let v6 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
        // An IPv4-mapped IPv6 address stays IPv6.
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 1).to_ipv6_mapped());
        for addr in [v4, v6, mapped] {
            let (bits, v6) = addr_bits(&addr);
            assert_eq!(addr_from_bits(bits, v6), addr);
        }
    }
}
