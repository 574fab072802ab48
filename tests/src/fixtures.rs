//! The real ucarp captures in `tests/fixtures/` (see its README.md), read
//! with carp-sim's pcap reader and cut down to their CARP headers.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use carp_core::wire::{HEADER_LEN, PROTO};
use carp_core::{ConfigError, Vhid, VhostConfig};
use carp_sim::pcap::read_pcap;

/// Three adverts of vhid 7 from 192.0.2.11, plus two ARP frames.
pub const VHID7: &str = "ucarp-v4-vhid7.pcap";
/// vhid 9: .11 is master, stops, and .12 takes over.
pub const FAILOVER: &str = "ucarp-v4-failover.pcap";

/// Length of an Ethernet II header.
pub const ETHERNET_LEN: usize = 14;
/// The virtual address of both captures.
pub const VIRTUAL_ADDR: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 100);

/// How one fixture's vhid was configured on the ucarp side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixtureVhost {
    /// The pcap file in `tests/fixtures/`.
    pub file: &'static str,
    /// The vhid.
    pub vhid: u8,
    /// ucarp's `--pass`.
    pub passphrase: &'static [u8],
}

/// Both captures with their configuration.
pub const FIXTURES: [FixtureVhost; 2] = [
    FixtureVhost {
        file: VHID7,
        vhid: 7,
        passphrase: b"secret42",
    },
    FixtureVhost {
        file: FAILOVER,
        vhid: 9,
        passphrase: b"abcdefghijklmnopqrs",
    },
];

impl FixtureVhost {
    /// Our configuration of the same vhid: its passphrase and the single
    /// virtual address ucarp signs.
    ///
    /// # Errors
    /// Never for the fixtures; a [`ConfigError`] if one were invalid.
    pub fn config(&self) -> Result<VhostConfig, ConfigError> {
        VhostConfig::new(Vhid::new(self.vhid)?)
            .with_passphrase(self.passphrase)?
            .with_address(IpAddr::V4(VIRTUAL_ADDR))
    }

    /// Its CARP adverts.
    ///
    /// # Panics
    /// When the file is missing or malformed.
    pub fn adverts(&self) -> Vec<CarpFrame> {
        carp_frames(self.file)
    }
}

/// The path of a file in `tests/fixtures/`.
pub fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Every record of a fixture as (timestamp in µs, frame).
///
/// # Panics
/// When the file is missing or not a classic pcap.
pub fn records(name: &str) -> Vec<(u64, Vec<u8>)> {
    let file = path(name);
    let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    read_pcap(&bytes).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// One captured IPv4 CARP advert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarpFrame {
    /// Index of the record in the file (from 0).
    pub record: usize,
    /// Capture time, µs since the epoch.
    pub ts_micros: u64,
    /// IPv4 source.
    pub src: Ipv4Addr,
    /// IPv4 destination.
    pub dst: Ipv4Addr,
    /// Offset of the CARP header in [`CarpFrame::frame`].
    pub carp_offset: usize,
    /// The 36-byte CARP header.
    pub header: [u8; HEADER_LEN],
    /// The whole Ethernet frame.
    pub frame: Vec<u8>,
}

impl CarpFrame {
    /// The frame with its CARP header replaced by `header`; Ethernet and IP
    /// headers unchanged (CARP's checksum does not involve the IP header).
    pub fn with_header(&self, header: &[u8; HEADER_LEN]) -> Vec<u8> {
        let mut frame = self.frame.clone();
        frame[self.carp_offset..self.carp_offset + HEADER_LEN].copy_from_slice(header);
        frame
    }
}

/// The CARP adverts of a fixture, in capture order: Ethernet II frames
/// carrying IPv4 with protocol 112, the header taken after the IP header
/// (20 bytes in ucarp's captures, options honoured all the same).
///
/// # Panics
/// When the file is missing or malformed.
pub fn carp_frames(name: &str) -> Vec<CarpFrame> {
    records(name)
        .into_iter()
        .enumerate()
        .filter_map(|(record, (ts_micros, frame))| {
            let ethertype = frame.get(12..14)?;
            let ip = frame.get(ETHERNET_LEN..)?;
            if ethertype != [0x08, 0x00] || ip.first()? >> 4 != 4 || *ip.get(9)? != PROTO {
                return None;
            }
            let ihl = usize::from(ip.first()? & 0x0f) * 4;
            let addr = |at: usize| -> Option<Ipv4Addr> {
                let b: [u8; 4] = ip.get(at..at + 4)?.try_into().ok()?;
                Some(Ipv4Addr::from(b))
            };
            let header: [u8; HEADER_LEN] = ip.get(ihl..ihl + HEADER_LEN)?.try_into().ok()?;
            Some(CarpFrame {
                record,
                ts_micros,
                src: addr(12)?,
                dst: addr(16)?,
                carp_offset: ETHERNET_LEN + ihl,
                header,
                frame,
            })
        })
        .collect()
}
