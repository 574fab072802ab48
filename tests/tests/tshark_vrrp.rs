//! tshark, an independent dissector, reads every VRRPv3 advert our code
//! sends as VRRP with a good checksum (over the IPv4 and IPv6
//! pseudo-headers), multicast and unicast, and the fields as configured;
//! and reads keepalived's own capture the same way (the control).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use carp_core::{Instant, Version, Vhid, VhostConfig};
use carp_ifnet::lladdr::MacAddr;
use carp_sim::pcap::LINKTYPE_ETHERNET;
use carp_sim::{Action, HostSpec, Knobs, Lan, LinkParams, RouterIf, RouterSpec};
use carp_tests::pcapfile::TempPcap;
use carp_tests::require;
use carp_tests::require::Prerequisite::Tshark;
use carp_tests::tshark_vrrp::vrrp_fields;

fn vrrp(vrid: u8, priority: u8, addrs: &[IpAddr]) -> VhostConfig {
    let mut c = VhostConfig::new(Vhid::new(vrid).unwrap())
        .with_version(Version::Vrrp)
        .with_vrrp_priority(priority)
        .unwrap()
        .with_vrrp_interval(50)
        .unwrap();
    for a in addrs {
        c.add_address(*a).unwrap();
    }
    c
}

/// Frames of protocol 112 over Ethernet IPv4 or IPv6.
fn proto_112(frames: &[(u64, Vec<u8>)]) -> usize {
    frames
        .iter()
        .filter(|(_, f)| match u16::from_be_bytes([f[12], f[13]]) {
            0x0800 => f[23] == 112,
            0x86dd => f[20] == 112,
            _ => false,
        })
        .count()
}

#[test]
fn tshark_reads_every_advert_we_send_as_vrrp_with_a_good_checksum() {
    require!(Tshark);
    let v4 = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 100));
    let ll: IpAddr = "fe80::1:9".parse().unwrap();
    let v6: IpAddr = "2001:db8::100".parse().unwrap();
    let mut lan = Lan::new(3, LinkParams::default());
    let knobs = Knobs::default();
    // Multicast: vrid 7 over IPv4 and IPv6; unicast over a router: vrid 9.
    let peer_of = |n: u8| IpAddr::V4(Ipv4Addr::new(198, 51, 100, n));
    let mut a = HostSpec::ethernet(
        "a",
        10,
        vec![
            vrrp(7, 200, &[v4, ll, v6]),
            vrrp(9, 150, &[IpAddr::V4(Ipv4Addr::new(203, 0, 113, 1))])
                .with_peer(peer_of(224))
                .unwrap(),
        ],
        knobs.clone(),
    );
    a.ip = Some(Ipv4Addr::new(198, 51, 100, 2));
    let mut b = HostSpec::ethernet("b", 11, vec![vrrp(7, 100, &[v4, ll, v6])], knobs.clone());
    b.ip = Some(Ipv4Addr::new(198, 51, 100, 3));
    let mut c = HostSpec::ethernet(
        "c",
        12,
        vec![vrrp(9, 100, &[IpAddr::V4(Ipv4Addr::new(203, 0, 113, 1))])
            .with_peer(peer_of(2))
            .unwrap()],
        knobs,
    );
    c.ip = Some(Ipv4Addr::new(198, 51, 100, 224));
    c.segment = 1;
    lan.add_router(RouterSpec {
        name: "r".to_owned(),
        interfaces: vec![
            RouterIf {
                segment: 0,
                mac: MacAddr([2, 0, 0, 0, 0xfe, 1]),
                ip: Some(Ipv4Addr::new(198, 51, 100, 1)),
                ip6: None::<Ipv6Addr>,
            },
            RouterIf {
                segment: 1,
                mac: MacAddr([2, 0, 0, 0, 0xfe, 2]),
                ip: Some(Ipv4Addr::new(198, 51, 100, 129)),
                ip6: None,
            },
        ],
    });
    lan.add_host(a).unwrap();
    lan.add_host(b).unwrap();
    lan.add_host(c).unwrap();
    // A leaves vrid 7 at 5 s: its bow-out advert has priority 0.
    lan.schedule(Instant::from_secs(5), Action::AdminDown(0, Some(7)));
    lan.run_until(Instant::from_secs(8));
    let frames: Vec<(u64, Vec<u8>)> = lan
        .captured()
        .iter()
        .map(|c| (c.at.micros(), c.frame.clone()))
        .collect();
    let pcap = TempPcap::write("vrrp-sim", LINKTYPE_ETHERNET, &frames);
    let decoded = vrrp_fields(pcap.path()).unwrap();
    assert_eq!(decoded.len(), proto_112(&frames), "every advert is VRRP");
    assert!(decoded.iter().all(|f| f.checksum_good && f.version == 3));
    let group4: IpAddr = "224.0.0.18".parse().unwrap();
    let group6: IpAddr = "ff02::12".parse().unwrap();
    for f in &decoded {
        match (f.vrid, f.dst) {
            (7, d) => {
                assert!(d == group4 || d == group6, "{f:?}");
                assert!([200, 100, 0].contains(&f.priority), "{f:?}");
                assert_eq!((f.interval, f.count), (50, if d == group4 { 1 } else { 2 }));
            }
            (9, d) => {
                assert!(d == peer_of(224) || d == peer_of(2), "unicast: {f:?}");
            }
            _ => panic!("{f:?}"),
        }
    }
    assert!(
        decoded.iter().any(|f| f.vrid == 7 && f.priority == 0),
        "bow-out"
    );
    assert!(
        decoded.iter().any(|f| f.vrid == 9 && f.dst == peer_of(224)),
        "routed"
    );
}

#[test]
fn tshark_reads_keepalived_s_capture_the_same_way() {
    require!(Tshark);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/keepalived-vrrp3.pcap");
    let decoded = vrrp_fields(&path).unwrap();
    assert!(decoded.len() >= 8);
    assert!(decoded.iter().all(|f| f.checksum_good));
    assert!(decoded
        .iter()
        .any(|f| (f.vrid, f.priority, f.interval) == (7, 200, 100)));
    assert!(decoded
        .iter()
        .any(|f| (f.vrid, f.priority, f.interval) == (9, 150, 50)));
}
