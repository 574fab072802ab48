//! ARP for IPv4 over 48-bit MAC links (RFC 826): parse requests and
//! replies, and build the two frames a carp master sends: the reply for a
//! virtual address and the gratuitous ARP on takeover.
//!
//! Both are sent *as the virtual MAC*: link source and sender hardware
//! address are the vhid's virtual MAC, as the BSDs do (ucarp sends its
//! gratuitous ARP from the parent's real MAC; we do not copy that).

use core::fmt;
use core::net::Ipv4Addr;

use zerocopy::byteorder::network_endian::U16;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::frame::{self, FrameError, Layer, ETHERTYPE_ARP, ETHERTYPE_IPV4};
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
        frame::emit_frame(
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

/// Length of an ARP frame on `link` (42 on Ethernet, 49 FDDI, 50 Token Ring).
pub const fn frame_len(link: LinkType) -> usize {
    frame::link_header_len(link) + PACKET_LEN
}

/// Write the reply to `request` for `virtual_ip`, as `virtual_mac`: sender
/// = (`virtual_mac`, `virtual_ip`), target = the requester, link frame from
/// `virtual_mac` to the requester's sender hardware address. Returns the
/// frame length ([`frame_len`]).
///
/// The caller has already decided this host answers (master of the vhid,
/// `request.target_ip == virtual_ip`, arpbalance).
///
/// # Errors
/// [`FrameError::BufferTooSmall`].
pub fn emit_arp_reply(
    link: LinkType,
    virtual_mac: MacAddr,
    virtual_ip: Ipv4Addr,
    request: &ArpRepr,
    out: &mut [u8],
) -> Result<usize, FrameError> {
    let reply = ArpRepr {
        operation: ArpOperation::Reply,
        sender_mac: virtual_mac,
        sender_ip: virtual_ip,
        target_mac: request.sender_mac,
        target_ip: request.sender_ip,
    };
    reply.emit_frame(link, request.sender_mac, virtual_mac, out)
}

/// Write a gratuitous ARP for `addr`: a broadcast request with sender =
/// (`virtual_mac`, `addr`), target address = `addr`, target hardware zero
/// (as BSD `arprequest`), link frame from `virtual_mac`. Returns the frame
/// length ([`frame_len`]).
///
/// # Errors
/// [`FrameError::BufferTooSmall`].
pub fn emit_gratuitous_arp(
    link: LinkType,
    virtual_mac: MacAddr,
    addr: Ipv4Addr,
    out: &mut [u8],
) -> Result<usize, FrameError> {
    let announce = ArpRepr {
        operation: ArpOperation::Request,
        sender_mac: virtual_mac,
        sender_ip: addr,
        target_mac: MacAddr::ZERO,
        target_ip: addr,
    };
    announce.emit_frame(link, MacAddr::BROADCAST, virtual_mac, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{parse, Body, MAX_FRAME_LEN};

    /// ucarp's gratuitous ARP from ucarp-v4-vhid7.pcap (first frame).
    const UCARP_GARP: [u8; 42] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xa2, 0x22, 0x75, 0x58, 0xbc, 0x15, 0x08, 0x06, //
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, //
        0xa2, 0x22, 0x75, 0x58, 0xbc, 0x15, 0xc0, 0x00, 0x02, 0x64, //
        0xa2, 0x22, 0x75, 0x58, 0xbc, 0x15, 0xc0, 0x00, 0x02, 0x64,
    ];
    const VIP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 100);
    const VMAC7: MacAddr = MacAddr([0, 0, 0x5e, 0, 1, 7]);
    const HOST: MacAddr = MacAddr([0x86, 0xe1, 0xc0, 0xd8, 0x12, 0xb1]);
    const HOST_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 12);

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
    fn gratuitous_arp_on_ethernet_is_sent_from_the_virtual_mac() {
        let mut out = [0u8; MAX_FRAME_LEN];
        let n = emit_gratuitous_arp(LinkType::Ethernet, VMAC7, VIP, &mut out).unwrap();
        let expected: [u8; 42] = [
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x5e, 0, 1, 7, 0x08, 0x06, //
            0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, //
            0, 0, 0x5e, 0, 1, 7, 0xc0, 0x00, 0x02, 0x64, //
            0, 0, 0, 0, 0, 0, 0xc0, 0x00, 0x02, 0x64,
        ];
        assert_eq!(&out[..n], &expected[..]);
        // Same as ucarp's apart from the MACs it takes from the parent.
        assert_eq!(out[12..22], UCARP_GARP[12..22]);
    }

    #[test]
    fn reply_on_ethernet_answers_the_requester_as_the_virtual_mac() {
        let request = ArpRepr {
            operation: ArpOperation::Request,
            sender_mac: HOST,
            sender_ip: HOST_IP,
            target_mac: MacAddr::ZERO,
            target_ip: VIP,
        };
        let mut req = [0u8; 64];
        let n = request
            .emit_frame(LinkType::Ethernet, MacAddr::BROADCAST, HOST, &mut req)
            .unwrap();
        let Body::Arp(parsed) = parse(LinkType::Ethernet, &req[..n]).unwrap().body else {
            panic!()
        };
        assert_eq!(parsed, request);

        let mut out = [0u8; MAX_FRAME_LEN];
        let n = emit_arp_reply(LinkType::Ethernet, VMAC7, VIP, &parsed, &mut out).unwrap();
        let expected: [u8; 42] = [
            0x86, 0xe1, 0xc0, 0xd8, 0x12, 0xb1, 0, 0, 0x5e, 0, 1, 7, 0x08, 0x06, //
            0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, //
            0, 0, 0x5e, 0, 1, 7, 0xc0, 0x00, 0x02, 0x64, //
            0x86, 0xe1, 0xc0, 0xd8, 0x12, 0xb1, 0xc0, 0x00, 0x02, 0x0c,
        ];
        assert_eq!(&out[..n], &expected[..]);
    }

    #[test]
    fn fddi_and_token_ring_arp_use_ieee802_hardware_type_and_snap() {
        let vmac = LinkType::Fddi.virtual_mac(7);
        let mut out = [0u8; MAX_FRAME_LEN];
        let n = emit_gratuitous_arp(LinkType::Fddi, vmac, VIP, &mut out).unwrap();
        assert_eq!(n, 49);
        assert_eq!(out[0], 0x50);
        assert_eq!(&out[1..7], &[0xff; 6]);
        assert_eq!(&out[7..13], &vmac.0);
        assert_eq!(&out[13..21], &[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x06]);
        assert_eq!(&out[21..23], &[0x00, 0x06]);

        let tmac = LinkType::TokenRing.virtual_mac(2);
        let n = emit_gratuitous_arp(LinkType::TokenRing, tmac, VIP, &mut out).unwrap();
        assert_eq!(n, 50);
        assert_eq!(&out[..2], &[0x10, 0x40]);
        assert_eq!(&out[8..14], &[3, 0, 0x20, 0, 0, 0]);
        assert_eq!(&out[14..22], &[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x06]);
        assert_eq!(&out[22..24], &[0x00, 0x06]);
        let f = parse(LinkType::TokenRing, &out[..n]).unwrap();
        assert_eq!(f.src, tmac);
        let Body::Arp(arp) = f.body else { panic!() };
        assert_eq!(arp.sender_mac, tmac);
        assert!(arp.is_gratuitous());
    }

    #[test]
    fn every_truncation_of_an_arp_frame_is_an_error() {
        for link in [LinkType::Ethernet, LinkType::Fddi, LinkType::TokenRing] {
            let mut out = [0u8; MAX_FRAME_LEN];
            let n = emit_gratuitous_arp(link, VMAC7, VIP, &mut out).unwrap();
            assert_eq!(n, frame_len(link));
            for cut in 0..n {
                let err = parse(link, &out[..cut]).unwrap_err();
                assert!(err.is_truncated(), "{link:?} cut {cut}: {err}");
            }
            let mut small = [0u8; 41];
            assert!(matches!(
                emit_gratuitous_arp(link, VMAC7, VIP, &mut small),
                Err(FrameError::BufferTooSmall { len: 41, .. })
            ));
        }
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
