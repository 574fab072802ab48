//! The capture: tshark (an independent dissector) reads every CARP header
//! of every shipped scenario with a good checksum, and the same seed gives
//! the same bytes.
//!
//! tshark is needed for the first test: missing, it is skipped (and the
//! skip logged) on a laptop and fails in CI, by the rule of `carp-require`.

mod common;

use std::process::Command;

use carp_require::Prerequisite::Tshark;
use carp_sim::pcap::{read_pcap, LINKTYPE_ETHERNET};
use carp_sim::report::Report;
use common::{run, scenario, TempFile};

const SCENARIOS: [&str; 5] = [
    "failover",
    "preempt",
    "partition-heal",
    "arpbalance",
    "advbase-0",
];

/// CARP frames (IPv4 protocol or IPv6 next header 112) in a capture.
fn carp_frames(frames: &[(u64, Vec<u8>)]) -> usize {
    frames
        .iter()
        .filter(|(_, f)| match u16::from_be_bytes([f[12], f[13]]) {
            0x0800 => f[23] == 112,
            0x86dd => f[20] == 112,
            _ => false,
        })
        .count()
}

/// The indented lines under each "Common Address Redundancy Protocol"
/// heading of `tshark -V`, one string per CARP header.
fn carp_sections(verbose: &str) -> Vec<String> {
    let mut sections = Vec::new();
    let mut current: Option<String> = None;
    for line in verbose.lines() {
        if line == "Common Address Redundancy Protocol" {
            sections.extend(current.take());
            current = Some(String::new());
        } else if let Some(section) = current.as_mut() {
            if line.starts_with(' ') {
                section.push_str(line);
                section.push('\n');
            } else {
                sections.extend(current.take());
            }
        }
    }
    sections.extend(current);
    sections
}

#[test]
fn tshark_decodes_every_advert_of_every_scenario_as_carp_with_a_good_checksum() {
    carp_require::require!(Tshark);
    for name in SCENARIOS {
        let (_, lan) = run(name);
        let file = TempFile::new(&format!("{name}.pcap"));
        let mut bytes = Vec::new();
        lan.write_pcap(&mut bytes).unwrap();
        std::fs::write(&file.0, &bytes).unwrap();
        let frames = read_pcap(&bytes).unwrap();
        let expected = carp_frames(&frames);
        assert!(expected > 0, "{name}: no CARP frame");
        let out = Command::new("tshark")
            .arg("-r")
            .arg(&file.0)
            .args(["-d", "ip.proto==112,carp", "-V"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: tshark failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let sections = carp_sections(&text);
        assert_eq!(
            sections.len(),
            expected,
            "{name}: CARP headers tshark found"
        );
        for (i, section) in sections.iter().enumerate() {
            assert!(
                section
                    .lines()
                    .any(|l| l.trim() == "[Checksum Status: Good]"),
                "{name}: CARP header {i} has no good checksum:\n{section}"
            );
        }
        assert!(
            !text.contains("[Checksum Status: Bad]"),
            "{name}: a bad checksum"
        );
    }
}

#[test]
fn captures_are_ethernet_pcaps_stamped_with_the_virtual_clock() {
    let (_, lan) = run("failover");
    let mut bytes = Vec::new();
    lan.write_pcap(&mut bytes).unwrap();
    assert_eq!(bytes[20..24], LINKTYPE_ETHERNET.to_le_bytes());
    let frames = read_pcap(&bytes).unwrap();
    assert_eq!(frames.len(), lan.captured().len());
    // host-a's first advert at 3.039062 s, its gratuitous ARP with it.
    assert_eq!(frames[0].0, 3_039_062);
    assert_eq!(frames[0].1.len(), 70);
    assert_eq!(&frames[1].1[12..14], &[0x08, 0x06]);
    assert!(frames.windows(2).all(|w| w[0].0 <= w[1].0));
}

#[test]
fn the_same_seed_gives_byte_identical_pcap_and_output() {
    for name in SCENARIOS {
        let s = scenario(name);
        let once = || {
            let lan = s.run(Some(77)).unwrap();
            let mut pcap = Vec::new();
            lan.write_pcap(&mut pcap).unwrap();
            let report = Report::new(&lan, 77);
            (pcap, report.text(), report.json_lines())
        };
        assert_eq!(once(), once(), "{name}");
    }
}

#[test]
fn a_lossy_jittery_segment_is_still_reproducible_and_depends_on_the_seed() {
    let text = std::fs::read_to_string(common::scenario_path("partition-heal"))
        .unwrap()
        .replace(
            "delay = \"200us\"",
            "delay = \"200us\"\nloss = 0.2\njitter = \"5ms\"\nduplicate = \"10%\"",
        );
    let s = carp_sim::scenario::Scenario::from_toml(&text).unwrap();
    let pcap = |seed| {
        let lan = s.run(Some(seed)).unwrap();
        let mut out = Vec::new();
        lan.write_pcap(&mut out).unwrap();
        (out, Report::new(&lan, seed).json_lines())
    };
    assert_eq!(pcap(9), pcap(9));
    assert_ne!(pcap(9).0, pcap(10).0);
}
