//! Unicast peers: where a vhid sends its adverts instead of the group, and
//! the only sources it accepts them from.
//!
//! FreeBSD 14 keeps one destination per family (`sc_carpaddr`,
//! `sc_carpaddr6`, set by `ifconfig ... peer A` / `peer6 A` and reset to
//! 224.0.0.18 / ff02::12 by `-peer` / `-peer6`); OpenBSD one IPv4 peer
//! (`carppeer A`, `-carppeer`). A family with a peer is in unicast mode:
//! its adverts go to the peer (with TTL 255 still, but a routed peer's
//! arrive lower, so FreeBSD's `carp_input_c` checks the TTL only in
//! multicast mode), and ours accept adverts of that family only from the
//! peer (a source allow-list, checked before any HMAC work; FreeBSD has
//! none, keepalived's `check_unicast_src` does the same). The peer is not
//! part of the HMAC on any BSD.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::config::{unusable_address, ConfigError};
use crate::wire::{GROUP_V4, GROUP_V6};

/// The unicast peer of each family; `None` is multicast to the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Peers {
    v4: Option<Ipv4Addr>,
    v6: Option<Ipv6Addr>,
}

impl Peers {
    /// Both families multicast.
    pub const MULTICAST: Peers = Peers { v4: None, v6: None };

    /// Sets the peer of `addr`'s family. The group address itself (what
    /// FreeBSD's `-peer` writes back) means multicast.
    ///
    /// # Errors
    /// [`ConfigError::BadPeer`] for another multicast address, the
    /// unspecified address, 255.255.255.255 or loopback.
    pub fn set(&mut self, addr: IpAddr) -> Result<(), ConfigError> {
        match addr {
            IpAddr::V4(a) if a == GROUP_V4 => self.v4 = None,
            IpAddr::V6(a) if a == GROUP_V6 => self.v6 = None,
            _ if unusable_address(addr).is_some() => return Err(ConfigError::BadPeer(addr)),
            IpAddr::V4(a) => self.v4 = Some(a),
            IpAddr::V6(a) => self.v6 = Some(a),
        }
        Ok(())
    }

    /// Back to multicast for IPv4 (`-peer`, `-carppeer`).
    pub fn clear_v4(&mut self) {
        self.v4 = None;
    }

    /// Back to multicast for IPv6 (`-peer6`).
    pub fn clear_v6(&mut self) {
        self.v6 = None;
    }

    /// The IPv4 peer, if unicast.
    pub const fn v4(&self) -> Option<Ipv4Addr> {
        self.v4
    }

    /// The IPv6 peer, if unicast.
    pub const fn v6(&self) -> Option<Ipv6Addr> {
        self.v6
    }

    /// Where IPv4 adverts go: the peer or 224.0.0.18 (what FreeBSD's status
    /// prints as `peer`).
    pub fn destination_v4(&self) -> Ipv4Addr {
        self.v4.unwrap_or(GROUP_V4)
    }

    /// Where IPv6 adverts go: the peer or ff02::12 (`peer6`).
    pub fn destination_v6(&self) -> Ipv6Addr {
        self.v6.unwrap_or(GROUP_V6)
    }

    /// True if adverts of `src`'s family are unicast.
    pub const fn is_unicast_for(&self, src: &IpAddr) -> bool {
        match src {
            IpAddr::V4(_) => self.v4.is_some(),
            IpAddr::V6(_) => self.v6.is_some(),
        }
    }

    /// True if either family is unicast.
    pub const fn any(&self) -> bool {
        self.v4.is_some() || self.v6.is_some()
    }

    /// The allow-list: true if an advert from `src` may be accepted (any
    /// source in multicast mode, only the peer in unicast mode).
    pub fn admits(&self, src: &IpAddr) -> bool {
        match src {
            IpAddr::V4(a) => self.v4.is_none_or(|p| p == *a),
            IpAddr::V6(a) => self.v6.is_none_or(|p| p == *a),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_makes_its_family_unicast_and_admits_only_itself() {
        let mut p = Peers::default();
        let peer: IpAddr = "198.51.100.224".parse().unwrap();
        let other: IpAddr = "198.51.100.9".parse().unwrap();
        let v6: IpAddr = "fe80::2".parse().unwrap();
        assert!(p.admits(&other) && !p.any());
        p.set(peer).unwrap();
        assert!(p.is_unicast_for(&peer) && !p.is_unicast_for(&v6));
        assert!(p.admits(&peer) && !p.admits(&other) && p.admits(&v6));
        assert_eq!(p.destination_v4(), Ipv4Addr::new(198, 51, 100, 224));
        assert_eq!(p.destination_v6(), GROUP_V6);
        // FreeBSD -peer writes the group back: multicast again.
        p.set(IpAddr::V4(GROUP_V4)).unwrap();
        assert_eq!(p, Peers::MULTICAST);
    }

    #[test]
    fn no_peer_is_a_group_broadcast_unspecified_or_loopback() {
        let mut p = Peers::default();
        for bad in [
            "224.0.0.19",
            "255.255.255.255",
            "0.0.0.0",
            "127.0.0.1",
            "::1",
            "ff02::1",
        ] {
            let addr: IpAddr = bad.parse().unwrap();
            assert_eq!(p.set(addr), Err(ConfigError::BadPeer(addr)), "{bad}");
        }
        assert_eq!(p, Peers::MULTICAST);
    }
}
