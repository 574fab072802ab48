//! Building frames an attacker (or a test) puts on the segment.

use std::net::Ipv4Addr;

use carp_core::wire::{Advert, Packet, HEADER_LEN, TOS_LOWDELAY};
use carp_core::{AuthContext, VhostConfig};
use carp_ifnet::frame::{emit_advert, AdvertIp, MAX_FRAME_LEN};
use carp_ifnet::lladdr::LinkType;

/// The fields of a forged advert; the digest is computed with `config`'s
/// key and addresses, so it verifies whenever the attacker knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forgery {
    /// Link type of the segment.
    pub link: LinkType,
    /// IPv4 source address (the "parent" the advert claims to come from).
    pub src: Ipv4Addr,
    /// Key, vhid and addresses to sign with.
    pub config: VhostConfig,
    /// advbase on the wire.
    pub advbase: u8,
    /// advskew on the wire.
    pub advskew: u8,
    /// Demote byte.
    pub demote: u8,
    /// Counter.
    pub counter: u64,
}

impl Forgery {
    /// A forgery of `config`'s vhid with its own advbase and advskew,
    /// counter 0, from `src`.
    pub fn new(link: LinkType, src: Ipv4Addr, config: VhostConfig) -> Forgery {
        let t = config.timing();
        Forgery {
            link,
            src,
            advbase: t.advbase,
            advskew: t.advskew,
            demote: 0,
            counter: 0,
            config,
        }
    }

    /// The whole IPv4 advert frame, from the vhid's virtual MAC to
    /// 224.0.0.18, checksummed and signed.
    pub fn frame(&self) -> Vec<u8> {
        let ctx = self
            .config
            .with_auth_input(|input| AuthContext::new(&self.config.key, input));
        let advert = Advert {
            vhid: self.config.vhid.get(),
            advskew: self.advskew,
            demote: self.demote,
            advbase: self.advbase,
            counter: self.counter,
            digest: ctx.sign(self.counter),
        };
        let mut carp = [0u8; HEADER_LEN];
        let mut frame = [0u8; MAX_FRAME_LEN];
        let mut packet = Packet::new_unchecked(&mut carp[..]);
        if advert.emit(&mut packet).is_err() {
            return Vec::new();
        }
        let ip = AdvertIp::V4 {
            src: self.src,
            tos: TOS_LOWDELAY,
            ident: 0,
        };
        let mac = self.link.virtual_mac(self.config.vhid.get());
        emit_advert(self.link, mac, ip, &carp, &mut frame)
            .ok()
            .and_then(|len| frame.get(..len))
            .map_or_else(Vec::new, <[u8]>::to_vec)
    }
}
