//! The ARP packet for IPv4 over 48-bit MAC links (RFC 826): its wire
//! image ([`ArpPacket`]) and value ([`ArpRepr`]), parsed from a frame's
//! payload by [`super::parse`] and written into a frame. What carp sends
//! with it (the reply for a virtual address, the gratuitous ARP) is in
//! [`crate::arp`].

use core::fmt;
use core::net::Ipv4Addr;

use zerocopy::byteorder::network_endian::U16;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::{FrameError, Layer, ETHERTYPE_ARP, ETHERTYPE_IPV4};
use crate::lladdr::{LinkType, MacAddr, MAC_LEN};

/// ARP hardware type of Ethernet.
pub const HARDWARE_ETHERNET: u16 = 1;
/// ARP hardware type of IEEE 802 networks (FDDI, Token Ring; RFC 1390, RFC 1042).
pub const HARDWARE_IEEE802: u16 = 6;
/// Protocol address length of IPv4.
const IPV4_LEN: u8 = 4;
/// ARP operation code of a request.
const OP_REQUEST: u16 = 1;
/// ARP operation code of a reply.
const OP_REPLY: u16 = 2;

/// An IPv4-over-MAC ARP packet exactly as on the wire (28 bytes).
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, Debug, PartialEq, Eq,
)]
#[repr(C)]
pub struct ArpPacket {
    /// Hardware type.
    pub hardware_type: U16,
    /// Protocol type (0x0800).
    pub protocol_type: U16,
    /// Hardware address length (6).
    pub hardware_len: u8,
    /// Protocol address length (4).
    pub protocol_len: u8,
    /// Operation.
    pub operation: U16,
    /// Sender hardware address.
    pub sender_mac: [u8; MAC_LEN],
    /// Sender protocol address.
    pub sender_ip: [u8; 4],
    /// Target hardware address.
    pub target_mac: [u8; MAC_LEN],
    /// Target protocol address.
    pub target_ip: [u8; 4],
}

/// Length of an IPv4-over-MAC ARP packet.
pub const PACKET_LEN: usize = core::mem::size_of::<ArpPacket>();

/// The ARP hardware type carp uses on `link`: 1 on Ethernet, 6 (IEEE 802)
/// on FDDI and Token Ring.
pub const fn hardware_type(link: LinkType) -> u16 {
    match link {
        LinkType::Ethernet => HARDWARE_ETHERNET,
        LinkType::Fddi | LinkType::TokenRing => HARDWARE_IEEE802,
    }
}

/// ARP operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArpOperation {
    /// Who has `target_ip`? (1)
    Request,
    /// `sender_ip` is at `sender_mac`. (2)
    Reply,
}

/// The value of an ARP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArpRepr {
    /// Request or reply.
    pub operation: ArpOperation,
    /// Sender hardware address.
    pub sender_mac: MacAddr,
    /// Sender IPv4 address.
    pub sender_ip: Ipv4Addr,
    /// Target hardware address (zero in a request).
    pub target_mac: MacAddr,
    /// Target IPv4 address.
    pub target_ip: Ipv4Addr,
}

impl ArpRepr {
    /// Parse an ARP packet (the bytes after the link header; trailing
    /// padding ignored). Either hardware type (1 or 6) is accepted on any
    /// link, as stacks bridging Ethernet and 802 networks mix them.
    ///
    /// # Errors
    /// [`FrameError::Truncated`], [`FrameError::UnsupportedArp`] for
    /// anything but IPv4 over 48-bit addresses, [`FrameError::BadArpOperation`].
    pub fn parse(packet: &[u8]) -> Result<ArpRepr, FrameError> {
        let (p, _) = ArpPacket::ref_from_prefix(packet)
            .map_err(|_| FrameError::truncated(Layer::Arp, packet.len(), PACKET_LEN))?;
        let hardware_type = p.hardware_type.get();
        let protocol_type = p.protocol_type.get();
        if !matches!(hardware_type, HARDWARE_ETHERNET | HARDWARE_IEEE802)
            || protocol_type != ETHERTYPE_IPV4
            || usize::from(p.hardware_len) != MAC_LEN
            || p.protocol_len != IPV4_LEN
        {
            return Err(FrameError::UnsupportedArp {
                hardware_type,
                protocol_type,
                hardware_len: p.hardware_len,
                protocol_len: p.protocol_len,
            });
        }
        let operation = match p.operation.get() {
            OP_REQUEST => ArpOperation::Request,
            OP_REPLY => ArpOperation::Reply,
            op => return Err(FrameError::BadArpOperation(op)),
        };
        Ok(ArpRepr {
            operation,
            sender_mac: MacAddr(p.sender_mac),
            sender_ip: Ipv4Addr::from(p.sender_ip),
            target_mac: MacAddr(p.target_mac),
            target_ip: Ipv4Addr::from(p.target_ip),
        })
    }

    /// True for a gratuitous ARP (sender and target address equal).
    pub fn is_gratuitous(&self) -> bool {
        self.sender_ip == self.target_ip
    }

    /// The wire image, with the hardware type of `link`.
    pub fn to_packet(&self, link: LinkType) -> ArpPacket {
        ArpPacket {
            hardware_type: U16::new(hardware_type(link)),
            protocol_type: U16::new(ETHERTYPE_IPV4),
            hardware_len: MAC_LEN as u8,
            protocol_len: IPV4_LEN,
            operation: U16::new(match self.operation {
                ArpOperation::Request => OP_REQUEST,
                ArpOperation::Reply => OP_REPLY,
            }),
            sender_mac: self.sender_mac.0,
            sender_ip: self.sender_ip.octets(),
            target_mac: self.target_mac.0,
            target_ip: self.target_ip.octets(),
        }
    }

    /// Write this packet as a whole frame on `link` from `src` to `dst`.
    /// Returns the frame length.
    ///
    /// # Errors
    /// [`FrameError::BufferTooSmall`].
    pub fn emit_frame(
        &self,
        link: LinkType,
        dst: MacAddr,
        src: MacAddr,
        out: &mut [u8],
    ) -> Result<usize, FrameError> {
        super::emit_frame(
            link,
            dst,
            src,
            ETHERTYPE_ARP,
            self.to_packet(link).as_bytes(),
            out,
        )
    }
}

impl fmt::Display for ArpRepr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.operation {
            ArpOperation::Request => write!(
                f,
                "ARP who-has {} tell {} ({})",
                self.target_ip, self.sender_ip, self.sender_mac
            ),
            ArpOperation::Reply => {
                write!(f, "ARP reply {} is-at {}", self.sender_ip, self.sender_mac)
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::frame::{parse, Body};

    /// ucarp's gratuitous ARP from ucarp-v4-vhid7.pcap (first frame).
    pub(crate) const UCARP_GARP: [u8; 42] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xa2, 0x22, 0x75, 0x58, 0xbc, 0x15, 0x08, 0x06, //
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, //
        0xa2, 0x22, 0x75, 0x58, 0xbc, 0x15, 0xc0, 0x00, 0x02, 0x64, //
        0xa2, 0x22, 0x75, 0x58, 0xbc, 0x15, 0xc0, 0x00, 0x02, 0x64,
    ];
    const VIP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 100);

    #[test]
    fn parses_ucarp_gratuitous_arp_from_capture() {
        let f = parse(LinkType::Ethernet, &UCARP_GARP).unwrap();
        assert_eq!(f.dst, MacAddr::BROADCAST);
        let Body::Arp(arp) = f.body else {
            panic!("not ARP: {:?}", f.body)
        };
        assert_eq!(arp.operation, ArpOperation::Request);
        assert_eq!(
            arp.sender_mac,
            MacAddr([0xa2, 0x22, 0x75, 0x58, 0xbc, 0x15])
        );
        assert_eq!(arp.sender_ip, VIP);
        assert_eq!(arp.target_ip, VIP);
        assert!(arp.is_gratuitous());
    }

    #[test]
    fn rejects_non_ipv4_arp_and_unknown_operations() {
        let mut bad = UCARP_GARP;
        bad[16] = 0x86; // protocol type 0x86dd
        bad[17] = 0xdd;
        assert!(matches!(
            parse(LinkType::Ethernet, &bad),
            Err(FrameError::UnsupportedArp {
                protocol_type: 0x86dd,
                ..
            })
        ));
        let mut rarp = UCARP_GARP;
        rarp[21] = 3;
        assert_eq!(
            parse(LinkType::Ethernet, &rarp),
            Err(FrameError::BadArpOperation(3))
        );
    }
}
