//! ARP as carp uses it (RFC 826, IPv4 over 48-bit MAC links): the two
//! frames a carp master sends, the reply for a virtual address and the
//! gratuitous ARP on takeover. The packet itself ([`ArpRepr`]) is part of
//! the framing, in [`crate::frame::arp`], and is re-exported here.
//!
//! Both are sent *as the virtual MAC*: link source and sender hardware
//! address are the vhid's virtual MAC, as the BSDs do (ucarp sends its
//! gratuitous ARP from the parent's real MAC; we do not copy that).

use core::net::Ipv4Addr;

pub use crate::frame::arp::{
    hardware_type, ArpOperation, ArpPacket, ArpRepr, HARDWARE_ETHERNET, HARDWARE_IEEE802,
    PACKET_LEN,
};
use crate::frame::{self, FrameError};
use crate::lladdr::{LinkType, MacAddr};

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

    use crate::frame::arp::tests::UCARP_GARP;

    const VIP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 100);
    const VMAC7: MacAddr = MacAddr([0, 0, 0x5e, 0, 1, 7]);
    const HOST: MacAddr = MacAddr([0x86, 0xe1, 0xc0, 0xd8, 0x12, 0xb1]);
    const HOST_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 12);

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
}
