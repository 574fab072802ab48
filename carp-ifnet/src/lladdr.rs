//! Link-layer addresses: [`MacAddr`], the three [`LinkType`]s carp runs on,
//! the virtual MAC of a vhid on each, and the destination MACs of the
//! multicast groups carp sends to.
//!
//! # Virtual MAC
//!
//! Ethernet and FDDI use the IANA VRRP block `00:00:5e:00:01:<vhid>`, as
//! every BSD does. Token Ring cannot listen on arbitrary unicast addresses,
//! so the early BSDs (FreeBSD 5-6 `carp_set_enaddr`, OpenBSD 3.x and NetBSD
//! `carp_set_enaddr`, checked with the code search against their sources)
//! give each vhid a *functional address* `03:00:b2:b3:00:00` with
//! `b2 = (0x40 >> (vhid - 1)) as u8` and `b3 = (0x40000 >> (vhid - 1)) as u8`.
//! In C that shift is undefined from 32 on; we define both bytes as 0 there.
//! Only vhids 1-7 (b2) and 12-19 (b3) get a bit of their own: vhids 8-11 and
//! 20-255 all share `03:00:00:00:00:00` (see the tests).
//!
//! Token Ring addresses are kept in the byte order the BSD code writes into
//! the frame header; this module does not bit-reverse anything.

use core::fmt;
use core::net::Ipv6Addr;

/// Length of a 48-bit MAC address in bytes.
pub const MAC_LEN: usize = 6;

/// A 48-bit IEEE 802 MAC address, in the byte order of the frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MacAddr(pub [u8; MAC_LEN]);

/// Group bit (I/G) of the first octet: set on multicast and broadcast.
const GROUP_BIT: u8 = 0x01;

impl MacAddr {
    /// `ff:ff:ff:ff:ff:ff`.
    pub const BROADCAST: MacAddr = MacAddr([0xff; MAC_LEN]);
    /// `00:00:00:00:00:00` (the unknown target hardware address of an ARP request).
    pub const ZERO: MacAddr = MacAddr([0; MAC_LEN]);

    /// The six bytes.
    pub const fn octets(self) -> [u8; MAC_LEN] {
        self.0
    }

    /// True for group addresses (the I/G bit of the first octet), broadcast
    /// and Token Ring functional addresses included.
    pub const fn is_multicast(self) -> bool {
        self.0[0] & GROUP_BIT != 0
    }

    /// True for `ff:ff:ff:ff:ff:ff`.
    pub const fn is_broadcast(self) -> bool {
        let [a, b, c, d, e, f] = self.0;
        a & b & c & d & e & f == 0xff
    }

    /// Reads `xx:xx:xx:xx:xx:xx`: six groups of one or two hex digits, in
    /// any case, as `ether_aton(3)` and `ifconfig lladdr` take them; `None`
    /// for anything else.
    pub fn parse(text: &str) -> Option<MacAddr> {
        let mut octets = [0u8; MAC_LEN];
        let mut groups = text.split(':');
        for octet in &mut octets {
            let group = groups.next()?;
            if group.is_empty() || group.len() > 2 || !group.bytes().all(|b| b.is_ascii_hexdigit())
            {
                return None;
            }
            *octet = u8::from_str_radix(group, 16).ok()?;
        }
        groups.next().is_none().then_some(MacAddr(octets))
    }
}

/// OpenBSD's lladdr term of the HMAC: the MAC a vhid hashes between the
/// advert type and its vhid ([`carp_core::VhostConfig::lladdr`]), given the
/// carp interface's own MAC (`ifconfig carpN lladdr ...`), the vhid's
/// default virtual MAC ([`LinkType::virtual_mac`]) and the parent's MAC.
///
/// OpenBSD `carp_hmac_prepare_ctx` (ip_carp.c rev 1.270) hashes the carp
/// interface's address only when it is neither the vhid's virtual MAC nor
/// the parent's (`sc_realmac`, set in `carp_setrun` when the two are
/// equal); see docs/protocol-notes.md. One carp interface here holds one
/// vhid, its leader (`vhe_leader`), so the rule applies to every vhid.
/// `None` means no term: the HMAC every other BSD and ucarp computes.
pub fn hmac_lladdr(
    carp_mac: MacAddr,
    virtual_mac: MacAddr,
    parent_mac: MacAddr,
) -> Option<[u8; MAC_LEN]> {
    (carp_mac != virtual_mac && carp_mac != parent_mac).then_some(carp_mac.0)
}

impl From<[u8; MAC_LEN]> for MacAddr {
    fn from(octets: [u8; MAC_LEN]) -> Self {
        MacAddr(octets)
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

/// The link types carp supports on a parent interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// Ethernet II (DIX) framing.
    Ethernet,
    /// FDDI with 802.2 LLC/SNAP.
    Fddi,
    /// IEEE 802.5 Token Ring with 802.2 LLC/SNAP.
    TokenRing,
}

/// First five bytes of the Ethernet/FDDI virtual MAC (IANA VRRP block
/// `00:00:5e:00:01`); the sixth is the vhid.
const VRRP_MAC_PREFIX: [u8; 5] = [0x00, 0x00, 0x5e, 0x00, 0x01];
/// First five bytes of the VRRP IPv6 virtual MAC (RFC 9568 7.3,
/// `00-00-5E-00-02-{VRID}`); IPv4 uses [`VRRP_MAC_PREFIX`], CARP's.
const VRRP_MAC_PREFIX_V6: [u8; 5] = [0x00, 0x00, 0x5e, 0x00, 0x02];
/// First byte of a Token Ring functional address (`03`, as BSD writes it).
const TR_FUNCTIONAL_FIRST: u8 = 0x03;
/// Seed of the third byte of the Token Ring virtual MAC, shifted right by vhid - 1.
const TR_VHID_BITS_BYTE2: u32 = 0x40;
/// Seed of the fourth byte of the Token Ring virtual MAC, shifted right by
/// vhid - 1 and truncated to 8 bits.
const TR_VHID_BITS_BYTE3: u32 = 0x4_0000;
/// Shifts from this value on are undefined in C; the bytes are 0 there.
const TR_SHIFT_LIMIT: u32 = 32;

/// IPv4 multicast MAC prefix (RFC 1112): `01:00:5e` + low 23 bits of the group.
const IPV4_MCAST_PREFIX: [u8; 3] = [0x01, 0x00, 0x5e];
/// Mask of the group bits that survive in an IPv4 multicast MAC (23 bits).
const IPV4_MCAST_LOW_MASK: u32 = 0x007f_ffff;
/// IPv6 multicast MAC prefix (RFC 2464): `33:33` + low 32 bits of the group.
const IPV6_MCAST_PREFIX: [u8; 2] = [0x33, 0x33];

impl LinkType {
    /// The virtual MAC of `vhid` on this link type (see the module docs).
    ///
    /// vhid 0 is not a valid vhid; it yields `00:00:5e:00:01:00` on
    /// Ethernet/FDDI and `03:00:00:00:00:00` on Token Ring.
    pub const fn virtual_mac(self, vhid: u8) -> MacAddr {
        match self {
            LinkType::Ethernet | LinkType::Fddi => {
                let [a, b, c, d, e] = VRRP_MAC_PREFIX;
                MacAddr([a, b, c, d, e, vhid])
            }
            LinkType::TokenRing => {
                let shift = (vhid as u32).wrapping_sub(1);
                let (b2, b3) = if shift < TR_SHIFT_LIMIT {
                    (
                        (TR_VHID_BITS_BYTE2 >> shift) as u8,
                        (TR_VHID_BITS_BYTE3 >> shift) as u8,
                    )
                } else {
                    (0, 0)
                };
                MacAddr([TR_FUNCTIONAL_FIRST, 0, b2, b3, 0, 0])
            }
        }
    }

    /// The virtual MAC of a vhid speaking `version`, for frames of one
    /// family: CARP's for both families ([`LinkType::virtual_mac`]); VRRP's
    /// `00:00:5e:00:01:<vrid>` for IPv4 and `00:00:5e:00:02:<vrid>` for
    /// IPv6 (RFC 9568 7.3; FreeBSD 14 uses the IPv4 one for both, see
    /// docs/protocol-notes.md). Token Ring has no VRRPv3 address: the
    /// vhid's functional address serves both families there.
    pub const fn vhid_mac(self, vhid: u8, version: carp_core::Version, ipv6: bool) -> MacAddr {
        match (self, version, ipv6) {
            (LinkType::Ethernet | LinkType::Fddi, carp_core::Version::Vrrp, true) => {
                let [a, b, c, d, e] = VRRP_MAC_PREFIX_V6;
                MacAddr([a, b, c, d, e, vhid])
            }
            _ => self.virtual_mac(vhid),
        }
    }

    /// Destination MAC of an IPv4 multicast `group` on this link.
    ///
    /// Ethernet and FDDI map the low 23 bits into `01:00:5e:xx:xx:xx`
    /// (RFC 1112, RFC 1390). Token Ring uses broadcast: RFC 1469 prefers the
    /// functional address `C000.0004.0000`, but which bit order a driver
    /// expects for it differs between stacks (Linux writes `c0:00:00:04:00:00`,
    /// the BSD carp code writes its functional addresses as `03:00:...`), and
    /// RFC 1469 allows broadcast, which every station receives whatever the
    /// order. Receivers must accept either; [`crate::frame::parse`] does not
    /// filter on the destination.
    pub const fn ipv4_multicast_mac(self, group: core::net::Ipv4Addr) -> MacAddr {
        match self {
            LinkType::Ethernet | LinkType::Fddi => {
                let low = u32::from_be_bytes(group.octets()) & IPV4_MCAST_LOW_MASK;
                let [_, b3, b4, b5] = low.to_be_bytes();
                let [a, b, c] = IPV4_MCAST_PREFIX;
                MacAddr([a, b, c, b3, b4, b5])
            }
            LinkType::TokenRing => MacAddr::BROADCAST,
        }
    }

    /// Destination MAC of an IPv6 multicast `group` on this link.
    ///
    /// Ethernet and FDDI map the low 32 bits into `33:33:xx:xx:xx:xx`
    /// (RFC 2464, RFC 2467). Token Ring uses broadcast, for the bit-order
    /// reason given at [`LinkType::ipv4_multicast_mac`]; RFC 2470's functional
    /// addresses are an optimisation a receiver cannot rely on anyway.
    pub const fn ipv6_multicast_mac(self, group: Ipv6Addr) -> MacAddr {
        match self {
            LinkType::Ethernet | LinkType::Fddi => {
                let [.., c, d, e, f] = group.octets();
                let [a, b] = IPV6_MCAST_PREFIX;
                MacAddr([a, b, c, d, e, f])
            }
            LinkType::TokenRing => MacAddr::BROADCAST,
        }
    }

    /// Destination MAC of IPv4 adverts (group 224.0.0.18):
    /// `01:00:5e:00:00:12` on Ethernet and FDDI, broadcast on Token Ring.
    pub const fn multicast_mac_v4(self) -> MacAddr {
        self.ipv4_multicast_mac(carp_core::wire::GROUP_V4)
    }

    /// Destination MAC of IPv6 adverts (group ff02::12):
    /// `33:33:00:00:00:12` on Ethernet and FDDI, broadcast on Token Ring.
    pub const fn multicast_mac_v6(self) -> MacAddr {
        self.ipv6_multicast_mac(carp_core::wire::GROUP_V6)
    }

    /// Destination MAC of ff02::1 (all nodes), where unsolicited neighbour
    /// advertisements go: `33:33:00:00:00:01`, broadcast on Token Ring.
    pub const fn all_nodes_mac(self) -> MacAddr {
        self.ipv6_multicast_mac(ALL_NODES)
    }

    /// Destination MAC of the solicited-node group of `addr`
    /// (`ff02::1:ffxx:xxxx`, RFC 4291), which a master must receive to
    /// hear neighbour solicitations for a virtual IPv6 address.
    pub const fn solicited_node_mac(self, addr: Ipv6Addr) -> MacAddr {
        self.ipv6_multicast_mac(solicited_node(addr))
    }
}

/// ff02::1, the link-local all-nodes group.
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

/// Prefix of a solicited-node group: `ff02::1:ff00:0/104`.
const SOLICITED_NODE_PREFIX: [u8; 13] = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff];

/// The solicited-node multicast group of `addr`: `ff02::1:ff` + its low 24 bits.
pub const fn solicited_node(addr: Ipv6Addr) -> Ipv6Addr {
    let [.., x, y, z] = addr.octets();
    let [a, b, c, d, e, f, g, h, i, j, k, l, m] = SOLICITED_NODE_PREFIX;
    Ipv6Addr::new(
        u16::from_be_bytes([a, b]),
        u16::from_be_bytes([c, d]),
        u16::from_be_bytes([e, f]),
        u16::from_be_bytes([g, h]),
        u16::from_be_bytes([i, j]),
        u16::from_be_bytes([k, l]),
        u16::from_be_bytes([m, x]),
        u16::from_be_bytes([y, z]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    #[test]
    fn vrrp_uses_a_virtual_mac_per_family_and_carp_one() {
        use carp_core::Version;
        let e = LinkType::Ethernet;
        assert_eq!(
            e.vhid_mac(7, Version::Vrrp, false),
            MacAddr([0, 0, 0x5e, 0, 1, 7])
        );
        assert_eq!(
            e.vhid_mac(7, Version::Vrrp, true),
            MacAddr([0, 0, 0x5e, 0, 2, 7])
        );
        assert_eq!(e.vhid_mac(7, Version::Carp, true), e.virtual_mac(7));
        assert_eq!(
            LinkType::TokenRing.vhid_mac(7, Version::Vrrp, true),
            LinkType::TokenRing.virtual_mac(7)
        );
    }

    #[test]
    fn mac_addresses_parse_as_ether_aton_reads_them() {
        assert_eq!(
            MacAddr::parse("00:00:5e:00:01:07"),
            Some(MacAddr([0, 0, 0x5e, 0, 1, 7]))
        );
        assert_eq!(
            MacAddr::parse("2:0:A:b:C:ff"),
            Some(MacAddr([2, 0, 0xa, 0xb, 0xc, 0xff]))
        );
        for bad in [
            "",
            "00:00:5e:00:01",
            "00:00:5e:00:01:07:08",
            "00:00:5e:00:01:",
            "000:00:5e:00:01:07",
            "00-00-5e-00-01-07",
            "00:00:5e:00:01:0g",
            "+0:00:5e:00:01:07",
        ] {
            assert_eq!(MacAddr::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn hmac_lladdr_term_only_for_a_mac_of_its_own() {
        // OpenBSD carp_hmac_prepare_ctx: no term for the default virtual
        // MAC, none for the parent's MAC (sc_realmac), the MAC otherwise.
        let parent = MacAddr([0x02, 0, 0, 0, 0, 0x0b]);
        let vmac = LinkType::Ethernet.virtual_mac(7);
        let own = MacAddr([0x02, 0xca, 0xfe, 0, 0, 7]);
        assert_eq!(hmac_lladdr(vmac, vmac, parent), None);
        assert_eq!(hmac_lladdr(parent, vmac, parent), None);
        assert_eq!(hmac_lladdr(own, vmac, parent), Some(own.0));
        // Another vhid's virtual MAC is a MAC of its own for this one.
        let other = LinkType::Ethernet.virtual_mac(8);
        assert_eq!(hmac_lladdr(other, vmac, parent), Some(other.0));
    }
    use std::string::ToString;

    #[test]
    fn displays_as_colon_separated_lower_hex() {
        let mac = MacAddr([0xa2, 0x22, 0x75, 0x58, 0xbc, 0x15]);
        assert_eq!(mac.to_string(), "a2:22:75:58:bc:15");
        assert_eq!(MacAddr::BROADCAST.to_string(), "ff:ff:ff:ff:ff:ff");
    }

    #[test]
    fn group_bit_marks_multicast() {
        assert!(MacAddr::BROADCAST.is_multicast());
        assert!(MacAddr::BROADCAST.is_broadcast());
        assert!(MacAddr([0x01, 0, 0x5e, 0, 0, 0x12]).is_multicast());
        assert!(MacAddr([0x03, 0, 0x40, 0, 0, 0]).is_multicast());
        assert!(!MacAddr([0, 0, 0x5e, 0, 1, 7]).is_multicast());
        assert!(!MacAddr([0x01, 0, 0x5e, 0, 0, 0x12]).is_broadcast());
        assert_eq!(MacAddr([1, 2, 3, 4, 5, 6]).octets(), [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn ethernet_and_fddi_virtual_mac_is_vrrp_block_plus_vhid() {
        for link in [LinkType::Ethernet, LinkType::Fddi] {
            assert_eq!(link.virtual_mac(1).0, [0, 0, 0x5e, 0, 1, 1]);
            assert_eq!(link.virtual_mac(7).0, [0, 0, 0x5e, 0, 1, 7]);
            assert_eq!(link.virtual_mac(255).0, [0, 0, 0x5e, 0, 1, 0xff]);
            let all: HashSet<MacAddr> = (1..=255).map(|v| link.virtual_mac(v)).collect();
            assert_eq!(all.len(), 255, "every vhid has its own MAC on {link:?}");
            for vhid in 1..=255u8 {
                let mac = link.virtual_mac(vhid);
                assert_eq!(mac.0[5], vhid);
                assert!(!mac.is_multicast());
            }
        }
    }

    /// The BSD formula evaluated the long way, with C's 32-bit int and the
    /// undefined shifts pinned to 0.
    fn bsd_token_ring(vhid: u8) -> [u8; 6] {
        let n = u32::from(vhid) - 1;
        let (b2, b3) = if n >= 32 {
            (0, 0)
        } else {
            ((0x40u32 >> n) & 0xff, (0x40000u32 >> n) & 0xff)
        };
        [3, 0, b2 as u8, b3 as u8, 0, 0]
    }

    #[test]
    fn token_ring_virtual_mac_matches_bsd_formula_for_every_vhid() {
        for vhid in 1..=255u8 {
            assert_eq!(
                LinkType::TokenRing.virtual_mac(vhid).0,
                bsd_token_ring(vhid)
            );
            assert!(LinkType::TokenRing.virtual_mac(vhid).is_multicast());
        }
    }

    #[test]
    fn token_ring_virtual_mac_exact_bytes() {
        let tr = |v| LinkType::TokenRing.virtual_mac(v).0;
        assert_eq!(tr(1), [3, 0, 0x40, 0, 0, 0]);
        assert_eq!(tr(2), [3, 0, 0x20, 0, 0, 0]);
        assert_eq!(tr(7), [3, 0, 0x01, 0, 0, 0]);
        assert_eq!(tr(8), [3, 0, 0, 0, 0, 0]);
        assert_eq!(tr(11), [3, 0, 0, 0, 0, 0]);
        assert_eq!(tr(12), [3, 0, 0, 0x80, 0, 0]);
        assert_eq!(tr(19), [3, 0, 0, 0x01, 0, 0]);
        assert_eq!(tr(20), [3, 0, 0, 0, 0, 0]);
        assert_eq!(tr(32), [3, 0, 0, 0, 0, 0]);
        assert_eq!(tr(33), [3, 0, 0, 0, 0, 0]);
        assert_eq!(tr(255), [3, 0, 0, 0, 0, 0]);
        assert_eq!(tr(0), [3, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn token_ring_only_vhids_1_to_7_and_12_to_19_have_their_own_address() {
        let mut by_mac: HashMap<MacAddr, std::vec::Vec<u8>> = HashMap::new();
        for vhid in 1..=255u8 {
            by_mac
                .entry(LinkType::TokenRing.virtual_mac(vhid))
                .or_default()
                .push(vhid);
        }
        let shared = &by_mac[&MacAddr([3, 0, 0, 0, 0, 0])];
        let expected: std::vec::Vec<u8> = (8..=11).chain(20..=255).collect();
        assert_eq!(shared, &expected);
        // 15 unique addresses plus the shared one.
        assert_eq!(by_mac.len(), 16);
        for (mac, vhids) in &by_mac {
            if *mac != MacAddr([3, 0, 0, 0, 0, 0]) {
                assert_eq!(vhids.len(), 1);
                assert!(matches!(vhids[0], 1..=7 | 12..=19));
            }
        }
    }

    #[test]
    fn advert_group_macs_per_link_type() {
        for link in [LinkType::Ethernet, LinkType::Fddi] {
            assert_eq!(link.multicast_mac_v4().0, [0x01, 0, 0x5e, 0, 0, 0x12]);
            assert_eq!(link.multicast_mac_v6().0, [0x33, 0x33, 0, 0, 0, 0x12]);
            assert_eq!(link.all_nodes_mac().0, [0x33, 0x33, 0, 0, 0, 1]);
        }
        let tr = LinkType::TokenRing;
        assert_eq!(tr.multicast_mac_v4(), MacAddr::BROADCAST);
        assert_eq!(tr.multicast_mac_v6(), MacAddr::BROADCAST);
        assert_eq!(tr.all_nodes_mac(), MacAddr::BROADCAST);
    }

    #[test]
    fn ipv4_multicast_mac_keeps_only_23_bits() {
        let mac = LinkType::Ethernet.ipv4_multicast_mac(core::net::Ipv4Addr::new(239, 129, 2, 3));
        assert_eq!(mac.0, [0x01, 0, 0x5e, 0x01, 2, 3]);
    }

    #[test]
    fn solicited_node_group_and_mac() {
        let addr: Ipv6Addr = "2001:db8::12:3456:789a".parse().unwrap();
        assert_eq!(
            solicited_node(addr),
            "ff02::1:ff56:789a".parse::<Ipv6Addr>().unwrap()
        );
        assert_eq!(
            LinkType::Ethernet.solicited_node_mac(addr).0,
            [0x33, 0x33, 0xff, 0x56, 0x78, 0x9a]
        );
        assert_eq!(
            LinkType::TokenRing.solicited_node_mac(addr),
            MacAddr::BROADCAST
        );
    }
}
