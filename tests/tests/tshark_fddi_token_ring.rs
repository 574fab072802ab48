//! tshark's FDDI and Token Ring dissectors judge the frames `CarpIf` puts
//! on those parents: written to pcaps with their own link types
//! (`LINKTYPE_FDDI` 10, `LINKTYPE_IEEE802_5` 6), every advert must decode
//! as MAC header, LLC/SNAP (DSAP/SSAP 0xaa, UI, OUI 0, the IPv4 or IPv6
//! ethertype), IP (TTL/hop limit 255, protocol 112, to 224.0.0.18 or
//! ff02::12) and CARP with the configured fields and a good checksum.
//!
//! The expected header bytes come from the BSD sources and RFCs, not from
//! carp-ifnet: FDDI frame control "LLC, asynchronous" (`FDDIFC_LLC_ASYNC`
//! 0x50, whose low three bits are the priority: BSD `fddi_output` adds
//! `FDDIFC_LLC_PRIO4`), the IPv4 multicast MAC of RFC 1390 and the IPv6 one
//! of RFC 2467; Token Ring access control `TR_AC` 0x10 and frame control
//! `TR_LLC_FRAME` 0x40 (BSD `iso88025_output`), the destination one of
//! RFC 1469's (broadcast or the IP multicast functional address in either
//! bit order); the virtual MAC 00:00:5e:00:01:vhid on FDDI and the early
//! BSD functional address 03:00:b2:b3:00:00 on Token Ring.
//!
//! Not asserted exactly: the FDDI priority bits. BSD `fddi_output` sends
//! `FDDIFC_LLC_ASYNC | FDDIFC_LLC_PRIO4` (0x54); carp-ifnet sends 0x50
//! (priority 0). Both are LLC asynchronous frames every station accepts.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use carp_core::{Instant, State, Vhid, VhostConfig};
use carp_ifnet::carpif::CarpIf;
use carp_ifnet::lladdr::LinkType;
use carp_sim::pcap::{LINKTYPE_FDDI, LINKTYPE_TOKEN_RING};
use carp_sysctl::Sysctl;
use carp_tests::driver::RecordingDriver;
use carp_tests::pcapfile::TempPcap;
use carp_tests::require;
use carp_tests::require::Prerequisite::Tshark;
use carp_tests::tshark::decode_fields;

const ADVSKEW: u8 = 77;

/// Three rounds of a master's IPv4 and IPv6 adverts (and its
/// announcements) for `vhid` on a parent of `link`.
fn master_frames(link: LinkType, vhid: u8) -> Vec<(u64, Vec<u8>)> {
    let sysctl = Sysctl::new();
    let mut nic = RecordingDriver::on(link, 11);
    let mut carp: CarpIf = CarpIf::new(nic.parent(), nic.link_state());
    let config = VhostConfig::new(Vhid::new(vhid).unwrap())
        .with_advskew(ADVSKEW)
        .unwrap()
        .with_passphrase(b"fddi-and-token-ring")
        .unwrap()
        .with_address(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 142)))
        .unwrap()
        .with_address(IpAddr::V6("2001:db8::142".parse::<Ipv6Addr>().unwrap()))
        .unwrap();
    carp.add_vhost(Instant::ZERO, config, 0x0123_4567 << 32, &sysctl)
        .unwrap();
    carp.force_state(Instant::ZERO, vhid, State::Master, &sysctl)
        .unwrap();
    carp.poll(Instant::ZERO, &mut nic, &sysctl);
    let mut frames: Vec<(u64, Vec<u8>)> = nic.take().into_iter().map(|f| (0, f)).collect();
    for _ in 0..2 {
        let now = carp.poll_timeout().unwrap();
        carp.poll(now, &mut nic, &sysctl);
        frames.extend(nic.take().into_iter().map(|f| (now.micros(), f)));
    }
    frames
}

/// The fields read for every frame: the link's, then LLC/SNAP, IP and CARP.
fn fields(link_fields: &[&'static str]) -> Vec<&'static str> {
    let mut all = link_fields.to_vec();
    all.extend([
        "llc.dsap",
        "llc.ssap",
        "llc.control",
        "llc.oui",
        "llc.type",
        "ip.src",
        "ip.dst",
        "ip.ttl",
        "ip.proto",
        "ipv6.src",
        "ipv6.dst",
        "ipv6.hlim",
        "ipv6.nxt",
        "carp.vhid",
        "carp.advskew",
        "carp.adver_int",
        "carp.checksum.status",
        "_ws.malformed",
    ]);
    all
}

/// One decoded advert.
#[derive(Debug)]
struct Row(Vec<String>);

impl Row {
    /// The first occurrence of field `name` (tshark repeats some, e.g. an
    /// address also shown under its generic name).
    fn get(&self, names: &[&str], name: &str) -> &str {
        let i = names.iter().position(|n| *n == name).unwrap();
        let all = self.0.get(i).map_or("", String::as_str);
        all.split(',').next().unwrap_or("")
    }

    /// Field `name` as a number (tshark prints hex with `0x`).
    fn number(&self, names: &[&str], name: &str) -> u64 {
        let text = self.get(names, name);
        let parsed = match text.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16),
            None => text.parse(),
        };
        parsed.unwrap_or_else(|_| panic!("{name} = {text:?} in {self:?}"))
    }
}

/// `mac` (colon-separated hex) with the bits of every byte reversed: the
/// non-canonical order FDDI sends addresses in.
fn bit_reversed(mac: &str) -> String {
    mac.split(':')
        .map(|b| format!("{:02x}", u8::from_str_radix(b, 16).unwrap().reverse_bits()))
        .collect::<Vec<_>>()
        .join(":")
}

/// The rows tshark decodes as CARP; panics unless every frame decodes
/// without a malformed mark and there are 3 IPv4 and 3 IPv6 adverts.
fn carp_rows(name: &str, linktype: u32, frames: &[(u64, Vec<u8>)], names: &[&str]) -> Vec<Row> {
    let pcap = TempPcap::write(name, linktype, frames);
    let rows: Vec<Row> = decode_fields(pcap.path(), names)
        .unwrap()
        .into_iter()
        .map(Row)
        .collect();
    assert_eq!(rows.len(), frames.len(), "one row per frame");
    for r in &rows {
        assert_eq!(r.get(names, "_ws.malformed"), "", "malformed: {r:?}");
        assert_eq!(r.number(names, "llc.dsap"), 0xaa, "SNAP: {r:?}");
        assert_eq!(r.number(names, "llc.ssap"), 0xaa, "SNAP: {r:?}");
        assert_eq!(r.number(names, "llc.control"), 0x03, "UI: {r:?}");
        assert_eq!(
            r.number(names, "llc.oui"),
            0,
            "encapsulated Ethernet: {r:?}"
        );
    }
    let adverts: Vec<Row> = rows
        .into_iter()
        .filter(|r| !r.get(names, "carp.vhid").is_empty())
        .collect();
    let v4 = adverts
        .iter()
        .filter(|r| !r.get(names, "ip.src").is_empty())
        .count();
    assert_eq!((v4, adverts.len() - v4), (3, 3), "IPv4 and IPv6 adverts");
    adverts
}

/// The link-independent part of an advert: LLC/SNAP ethertype, IP, CARP.
fn assert_advert(r: &Row, names: &[&str], vhid: u8) {
    let v4 = !r.get(names, "ip.src").is_empty();
    if v4 {
        assert_eq!(r.number(names, "llc.type"), 0x0800, "{r:?}");
        assert_eq!(r.get(names, "ip.src"), "192.0.2.11");
        assert_eq!(r.get(names, "ip.dst"), "224.0.0.18");
        assert_eq!(r.get(names, "ip.ttl"), "255");
        assert_eq!(r.get(names, "ip.proto"), "112");
    } else {
        assert_eq!(r.number(names, "llc.type"), 0x86dd, "{r:?}");
        assert_eq!(r.get(names, "ipv6.src"), "fe80::b");
        assert_eq!(r.get(names, "ipv6.dst"), "ff02::12");
        assert_eq!(r.get(names, "ipv6.hlim"), "255");
        assert_eq!(r.get(names, "ipv6.nxt"), "112");
    }
    assert_eq!(r.get(names, "carp.vhid"), vhid.to_string());
    assert_eq!(r.get(names, "carp.advskew"), ADVSKEW.to_string());
    assert_eq!(r.get(names, "carp.adver_int"), "1");
    assert_eq!(r.get(names, "carp.checksum.status"), "1", "checksum: {r:?}");
}

#[test]
fn tshark_decodes_fddi_adverts_as_fddi_llc_snap_ip_and_carp() {
    require!(Tshark);
    let vhid = 42;
    let names = fields(&["fddi.fc", "fddi.dst", "fddi.src"]);
    let frames = master_frames(LinkType::Fddi, vhid);
    // Wireshark maps pcap link type 10 to bit-swapped FDDI where libpcap's
    // platforms capture FDDI addresses in wire order (its
    // BIT_SWAPPED_MAC_ADDRS, Debian's tshark included), so it shows the
    // canonical addresses carp writes bit-reversed. Either form is
    // accepted, but one form for every address of the capture.
    let mut forms = Vec::new();
    for r in carp_rows("fddi", LINKTYPE_FDDI, &frames, &names) {
        let fc = r.number(&names, "fddi.fc");
        assert_eq!(fc & 0xf8, 0x50, "frame control not LLC asynchronous: {r:?}");
        let v4 = !r.get(&names, "ip.src").is_empty();
        let src = format!("00:00:5e:00:01:{vhid:02x}");
        let dst = if v4 {
            "01:00:5e:00:00:12"
        } else {
            "33:33:00:00:00:12"
        };
        for (shown, canonical) in [
            (r.get(&names, "fddi.src"), src.as_str()),
            (r.get(&names, "fddi.dst"), dst),
        ] {
            let form = if shown == canonical {
                "canonical"
            } else if shown == bit_reversed(canonical) {
                "bit-reversed"
            } else {
                panic!("FDDI address {shown}, expected {canonical} in either bit order: {r:?}")
            };
            forms.push(form);
        }
        assert_advert(&r, &names, vhid);
    }
    forms.dedup();
    assert_eq!(forms.len(), 1, "addresses in mixed bit orders: {forms:?}");
}

#[test]
fn tshark_decodes_token_ring_adverts_as_802_5_llc_snap_ip_and_carp() {
    require!(Tshark);
    // vhid 1: b2 = 0x40 >> 0, vhid 12: b3 = 0x40000 >> 11 (low byte 0x80).
    for (vhid, src) in [(1u8, "03:00:40:00:00:00"), (12, "03:00:00:80:00:00")] {
        let names = fields(&["tr.ac", "tr.fc", "tr.dst", "tr.src"]);
        let frames = master_frames(LinkType::TokenRing, vhid);
        for r in carp_rows(
            &format!("token-ring-{vhid}"),
            LINKTYPE_TOKEN_RING,
            &frames,
            &names,
        ) {
            assert_eq!(r.number(&names, "tr.ac"), 0x10, "{r:?}");
            assert_eq!(r.number(&names, "tr.fc"), 0x40, "{r:?}");
            assert_eq!(r.get(&names, "tr.src"), src, "{r:?}");
            let dst = r.get(&names, "tr.dst");
            assert!(
                [
                    "ff:ff:ff:ff:ff:ff",
                    "c0:00:00:04:00:00",
                    "03:00:00:20:00:00"
                ]
                .contains(&dst),
                "destination {dst} is none of RFC 1469's: {r:?}"
            );
            assert_advert(&r, &names, vhid);
        }
    }
}
