//! tshark reads the frames `CarpIf` itself puts on an Ethernet wire: IPv4
//! and IPv6 adverts from the virtual MAC decode as CARP with good checksums
//! and the configured fields; the announcements decode as ARP and ICMPv6 NA.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use carp_core::{Instant, State, Vhid, VhostConfig};
use carp_ifnet::carpif::CarpIf;
use carp_sim::pcap::LINKTYPE_ETHERNET;
use carp_sysctl::Sysctl;
use carp_tests::driver::RecordingDriver;
use carp_tests::pcapfile::TempPcap;
use carp_tests::require;
use carp_tests::require::Prerequisite::Tshark;
use carp_tests::tshark::{assert_every_carp_checksum_good, carp_fields, decode_fields};

fn master_frames() -> Vec<(u64, Vec<u8>)> {
    let sysctl = Sysctl::new();
    let mut nic = RecordingDriver::host(11);
    let mut carp: CarpIf = CarpIf::new(nic.parent(), nic.link_state());
    let config = VhostConfig::new(Vhid::new(42).unwrap())
        .with_advskew(77)
        .unwrap()
        .with_passphrase(b"tshark-check")
        .unwrap()
        .with_address(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 142)))
        .unwrap()
        .with_address(IpAddr::V6("2001:db8::142".parse::<Ipv6Addr>().unwrap()))
        .unwrap();
    carp.add_vhost(Instant::ZERO, config, 0x0123_4567 << 32, &sysctl)
        .unwrap();
    carp.force_state(Instant::ZERO, 42, State::Master, &sysctl)
        .unwrap();
    carp.poll(Instant::ZERO, &mut nic, &sysctl);
    let mut frames: Vec<(u64, Vec<u8>)> = nic.take().into_iter().map(|f| (0, f)).collect();
    // Two more adverts on the virtual clock.
    for _ in 0..2 {
        let now = carp.poll_timeout().unwrap();
        carp.poll(now, &mut nic, &sysctl);
        frames.extend(nic.take().into_iter().map(|f| (now.micros(), f)));
    }
    frames
}

#[test]
fn tshark_decodes_carpif_frames_as_carp_with_good_checksums() {
    require!(Tshark);
    let frames = master_frames();
    let pcap = TempPcap::write("carpif", LINKTYPE_ETHERNET, &frames);
    // 3 rounds of IPv4 + IPv6 adverts.
    assert_eq!(assert_every_carp_checksum_good(pcap.path()), 6);
    let fields = carp_fields(pcap.path()).unwrap();
    assert_eq!(fields.len(), 6);
    let mut counters = Vec::new();
    for f in &fields {
        assert_eq!((f.vhid, f.advskew, f.advbase, f.demote), (42, 77, 1, 0));
        assert!(f.checksum_good);
        counters.push(f.counter);
    }
    // Each advert goes out over both families with one counter and digest.
    for pair in fields.chunks(2) {
        assert_eq!(pair[0].counter, pair[1].counter);
        assert_eq!(pair[0].hmac, pair[1].hmac);
        assert_eq!(pair[0].src, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 11)));
        assert_eq!(pair[1].src, IpAddr::V6("fe80::b".parse().unwrap()));
    }
    assert!(counters.windows(2).all(|w| w[1] >= w[0]));
    assert_eq!(counters[2], counters[0] + 1);
}

#[test]
fn tshark_sees_the_announcements_from_the_virtual_mac() {
    require!(Tshark);
    let frames = master_frames();
    let pcap = TempPcap::write("carpif-announce", LINKTYPE_ETHERNET, &frames);
    let rows = decode_fields(
        pcap.path(),
        &[
            "eth.src",
            "arp.src.proto_ipv4",
            "icmpv6.type",
            "icmpv6.nd.na.flag.o",
        ],
    )
    .unwrap();
    assert!(rows.iter().all(|r| r[0] == "00:00:5e:00:01:2a"), "{rows:?}");
    let arps = rows.iter().filter(|r| r[1] == "192.0.2.142").count();
    let nas: Vec<&Vec<String>> = rows.iter().filter(|r| r[2] == "136").collect();
    // Gratuitous ARP and unsolicited NA at takeover, repeated after two
    // adverts.
    assert_eq!(arps, 2);
    assert_eq!(nas.len(), 2);
    assert!(nas.iter().all(|r| r[3] == "1" || r[3] == "True"), "{nas:?}");
}
