//! Writes the generated seeds of `fuzz/seeds/frame_input/`: for Ethernet,
//! FDDI and Token Ring, what a master of every `frame_input` vhid sends
//! (IPv4 and IPv6 adverts, CARP and VRRPv3, multicast and unicast,
//! gratuitous ARP, unsolicited NA), an ARP request
//! and a neighbour solicitation for a virtual address, each behind the
//! target's two set-up bytes. Run from the repository root:
//! `cargo run --manifest-path fuzz/seedgen/Cargo.toml`.

use std::fs;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

#[path = "../../src/lib.rs"]
#[allow(dead_code)]
mod shared;

use carp_core::{Instant, State};
use carp_ifnet::arp::{ArpOperation, ArpRepr};
use carp_ifnet::carpif::CarpIf;
use carp_ifnet::frame::{emit_frame, emit_ipv6_frame, Ipv6Repr, ETHERTYPE_IPV4};
use carp_ifnet::lladdr::{solicited_node, LinkType, MacAddr};
use carp_sysctl::Sysctl;
use shared::{link_byte, Mock, VHIDS};

const LINKS: [LinkType; 3] = [LinkType::Ethernet, LinkType::Fddi, LinkType::TokenRing];
const REQUESTER: MacAddr = MacAddr([0x02, 0xaa, 0, 0, 0, 1]);

fn write(dir: &Path, name: &str, link: LinkType, flags: u8, frame: &[u8]) {
    let mut bytes = vec![link_byte(link), flags];
    bytes.extend_from_slice(frame);
    fs::write(dir.join(name), bytes).expect("write seed");
}

/// Everything a master of each vhid sends on `link`.
fn master_frames(link: LinkType) -> Vec<Vec<u8>> {
    let sysctl = Sysctl::new();
    let mut nic = Mock::on(link, 11);
    let mut cif: CarpIf = CarpIf::new(nic.parent(), nic.link_state());
    for v in &VHIDS {
        cif.add_vhost(Instant::ZERO, v.config(10), 1 << 32, &sysctl)
            .expect("add");
        cif.force_state(Instant::ZERO, v.vhid, State::Master, &sysctl)
            .expect("master");
    }
    cif.poll(Instant::ZERO, &mut nic, &sysctl);
    // Unicast adverts leave as IP packets: frame them to the receiver.
    let receiver = Mock::on(link, shared::RECEIVER).mac;
    let unicast = std::mem::take(&mut nic.ip_sent).into_iter().map(|packet| {
        let mut buf = [0u8; 256];
        let n = emit_frame(link, receiver, nic.mac, ETHERTYPE_IPV4, &packet, &mut buf)
            .expect("unicast frame");
        buf[..n].to_vec()
    });
    let mut frames = std::mem::take(&mut nic.sent);
    frames.extend(unicast);
    frames
}

fn arp_request(link: LinkType, target: Ipv4Addr) -> Vec<u8> {
    let req = ArpRepr {
        operation: ArpOperation::Request,
        sender_mac: REQUESTER,
        sender_ip: Ipv4Addr::new(198, 51, 100, 50),
        target_mac: MacAddr([0; 6]),
        target_ip: target,
    };
    let mut buf = [0u8; 128];
    let n = req
        .emit_frame(link, MacAddr([0xff; 6]), REQUESTER, &mut buf)
        .expect("arp");
    buf[..n].to_vec()
}

fn icmpv6_checksum(src: Ipv6Addr, dst: Ipv6Addr, msg: &[u8]) -> u16 {
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&src.octets());
    pseudo.extend_from_slice(&dst.octets());
    pseudo.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    pseudo.extend_from_slice(&[0, 0, 0, 58]);
    pseudo.extend_from_slice(msg);
    carp_core::wire::checksum(&pseudo)
}

fn solicitation(link: LinkType, target: Ipv6Addr) -> Vec<u8> {
    let src: Ipv6Addr = "fe80::aa:1".parse().expect("addr");
    let dst = solicited_node(target);
    let mut msg = vec![135, 0, 0, 0, 0, 0, 0, 0];
    msg.extend_from_slice(&target.octets());
    msg.extend_from_slice(&[1, 1]);
    msg.extend_from_slice(&REQUESTER.0);
    let sum = icmpv6_checksum(src, dst, &msg);
    msg[2..4].copy_from_slice(&sum.to_be_bytes());
    let header = Ipv6Repr {
        src,
        dst,
        next_header: 58,
        hop_limit: 255,
        traffic_class: 0,
        flow_label: 0,
        payload_len: msg.len(),
    };
    let mut buf = [0u8; 256];
    let n = emit_ipv6_frame(
        link,
        link.solicited_node_mac(target),
        REQUESTER,
        &header,
        &msg,
        &mut buf,
    )
    .expect("ns");
    buf[..n].to_vec()
}

fn main() {
    let dir = Path::new("fuzz/seeds/frame_input");
    fs::create_dir_all(dir).expect("seed dir");
    for link in LINKS {
        let name = format!("{link:?}").to_lowercase();
        for (i, f) in master_frames(link).iter().enumerate() {
            write(dir, &format!("gen-{name}-master-{i:02}"), link, 0, f);
            write(
                dir,
                &format!("gen-{name}-master-{i:02}-twice-enforce"),
                link,
                0x82,
                f,
            );
        }
        // Requests answered by vhid 1 when it is master (flag 0x20).
        write(
            dir,
            &format!("gen-{name}-arp"),
            link,
            0x20,
            &arp_request(link, Ipv4Addr::new(198, 51, 100, 1)),
        );
        write(
            dir,
            &format!("gen-{name}-arp-balance"),
            link,
            0x38,
            &arp_request(link, Ipv4Addr::new(192, 0, 2, 100)),
        );
        let v6 = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
        write(
            dir,
            &format!("gen-{name}-ns"),
            link,
            0x20,
            &solicitation(link, v6),
        );
    }
}
