//! Classic libpcap files: a writer for the simulator's captures and a reader
//! for fixtures and tests.
//!
//! The format is the original one (not pcapng): a 24-byte global header
//! (magic, version 2.4, zone, sigfigs, snaplen, link type) followed by one
//! 16-byte record header (seconds, sub-seconds, captured length, original
//! length) per frame. We write little-endian, microsecond files with magic
//! `0xa1b2c3d4`, which tcpdump, tshark and Wireshark all read. The reader
//! also takes big-endian files and the nanosecond magic `0xa1b23c4d`, and
//! reports every timestamp in microseconds.
//!
//! A hand-written format rather than a dependency: the whole of it is two
//! fixed headers, and owning it keeps the simulator's dependency tree to the
//! carp crates.

use std::fmt;
use std::io::{self, Write};

/// Link type of Ethernet frames (`LINKTYPE_ETHERNET`).
pub const LINKTYPE_ETHERNET: u32 = 1;
/// Link type of IEEE 802.5 Token Ring frames (`LINKTYPE_IEEE802_5`).
pub const LINKTYPE_TOKEN_RING: u32 = 6;
/// Link type of FDDI frames (`LINKTYPE_FDDI`).
pub const LINKTYPE_FDDI: u32 = 10;
/// Longest frame stored whole; longer ones are cut to this.
pub const SNAPLEN: u32 = 65_535;

/// Magic of a microsecond file, as read in the file's own byte order.
const MAGIC_MICROS: u32 = 0xa1b2_c3d4;
/// Magic of a nanosecond file.
const MAGIC_NANOS: u32 = 0xa1b2_3c4d;
const GLOBAL_HEADER_LEN: usize = 24;
const RECORD_HEADER_LEN: usize = 16;

/// Writes frames to a classic pcap stream.
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    out: W,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the global header for `linktype` (e.g. [`LINKTYPE_ETHERNET`]).
    ///
    /// # Errors
    /// Any error of the underlying writer.
    pub fn new(mut out: W, linktype: u32) -> io::Result<Self> {
        let mut header = Vec::with_capacity(GLOBAL_HEADER_LEN);
        header.extend_from_slice(&MAGIC_MICROS.to_le_bytes());
        header.extend_from_slice(&2u16.to_le_bytes());
        header.extend_from_slice(&4u16.to_le_bytes());
        header.extend_from_slice(&0i32.to_le_bytes()); // thiszone: UTC
        header.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        header.extend_from_slice(&SNAPLEN.to_le_bytes());
        header.extend_from_slice(&linktype.to_le_bytes());
        out.write_all(&header)?;
        Ok(PcapWriter { out })
    }

    /// Appends one frame captured at `ts_micros` (microseconds since the
    /// epoch of the capture). Frames over [`SNAPLEN`] are truncated, keeping
    /// their original length in the record.
    ///
    /// # Errors
    /// Any error of the underlying writer.
    pub fn write_frame(&mut self, ts_micros: u64, frame: &[u8]) -> io::Result<()> {
        let seconds = u32::try_from(ts_micros / 1_000_000)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "timestamp past 2106"))?;
        let micros = (ts_micros % 1_000_000) as u32;
        let orig_len = u32::try_from(frame.len()).unwrap_or(u32::MAX);
        let stored = frame.get(..SNAPLEN as usize).unwrap_or(frame);
        let mut record = Vec::with_capacity(RECORD_HEADER_LEN + stored.len());
        record.extend_from_slice(&seconds.to_le_bytes());
        record.extend_from_slice(&micros.to_le_bytes());
        record.extend_from_slice(&(stored.len() as u32).to_le_bytes());
        record.extend_from_slice(&orig_len.to_le_bytes());
        record.extend_from_slice(stored);
        self.out.write_all(&record)
    }

    /// Flushes the underlying writer.
    ///
    /// # Errors
    /// Any error of the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Gives the underlying writer back.
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// Why bytes are not a classic pcap file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PcapError {
    /// Shorter than the 24-byte global header.
    TruncatedHeader {
        /// Bytes present.
        len: usize,
    },
    /// The first four bytes are no pcap magic in either byte order.
    BadMagic(u32),
    /// A record header or its data runs past the end of the file.
    TruncatedRecord {
        /// Offset of the record header in the file.
        offset: usize,
    },
}

impl fmt::Display for PcapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PcapError::TruncatedHeader { len } => {
                write!(f, "pcap file of {len} bytes has no complete global header")
            }
            PcapError::BadMagic(magic) => write!(f, "not a classic pcap file: magic {magic:#010x}"),
            PcapError::TruncatedRecord { offset } => {
                write!(
                    f,
                    "pcap record at offset {offset} runs past the end of the file"
                )
            }
        }
    }
}

impl std::error::Error for PcapError {}

/// Reads every record of a classic pcap file as (timestamp in µs, frame).
///
/// # Errors
/// [`PcapError`] for a short header, an unknown magic or a cut record.
pub fn read_pcap(bytes: &[u8]) -> Result<Vec<(u64, Vec<u8>)>, PcapError> {
    let word = |at: usize, big: bool| -> Option<u32> {
        let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    if bytes.len() < GLOBAL_HEADER_LEN {
        return Err(PcapError::TruncatedHeader { len: bytes.len() });
    }
    let raw = word(0, false).unwrap_or(0);
    let (big, nanos) = match raw {
        MAGIC_MICROS => (false, false),
        MAGIC_NANOS => (false, true),
        m if m == MAGIC_MICROS.swap_bytes() => (true, false),
        m if m == MAGIC_NANOS.swap_bytes() => (true, true),
        other => return Err(PcapError::BadMagic(other)),
    };
    let mut records = Vec::new();
    let mut offset = GLOBAL_HEADER_LEN;
    while offset < bytes.len() {
        let cut = PcapError::TruncatedRecord { offset };
        let fields = (
            word(offset, big),
            word(offset + 4, big),
            word(offset + 8, big),
        );
        let (Some(seconds), Some(sub), Some(incl_len)) = fields else {
            return Err(cut);
        };
        let start = offset + RECORD_HEADER_LEN;
        let frame = bytes.get(start..start + incl_len as usize).ok_or(cut)?;
        let sub_micros = if nanos { sub / 1_000 } else { sub };
        records.push((
            u64::from(seconds) * 1_000_000 + u64::from(sub_micros),
            frame.to_vec(),
        ));
        offset = start + incl_len as usize;
    }
    Ok(records)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn writes_the_classic_global_header_for_ethernet() {
        let w = PcapWriter::new(Vec::new(), LINKTYPE_ETHERNET).unwrap();
        let bytes = w.into_inner();
        assert_eq!(
            bytes,
            [
                0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0,
                0, 0
            ]
        );
    }

    #[test]
    fn writes_the_link_type_given() {
        for linktype in [LINKTYPE_FDDI, LINKTYPE_TOKEN_RING] {
            let bytes = PcapWriter::new(Vec::new(), linktype).unwrap().into_inner();
            assert_eq!(bytes[20..24], linktype.to_le_bytes());
        }
    }

    #[test]
    fn reads_back_what_it_wrote() {
        let mut w = PcapWriter::new(Vec::new(), LINKTYPE_ETHERNET).unwrap();
        w.write_frame(1_795_360_341_512_182, &[1, 2, 3]).unwrap();
        w.write_frame(7, &[]).unwrap();
        w.write_frame(2_000_000, &[0xaa; 60]).unwrap();
        let bytes = w.into_inner();
        assert_eq!(bytes.len(), 24 + 3 * 16 + 3 + 60);
        let records = read_pcap(&bytes).unwrap();
        assert_eq!(
            records,
            vec![
                (1_795_360_341_512_182, vec![1, 2, 3]),
                (7, vec![]),
                (2_000_000, vec![0xaa; 60]),
            ]
        );
    }

    #[test]
    fn truncates_frames_over_snaplen_but_keeps_their_length() {
        let mut w = PcapWriter::new(Vec::new(), LINKTYPE_ETHERNET).unwrap();
        w.write_frame(0, &vec![0x55; 70_000]).unwrap();
        let bytes = w.into_inner();
        assert_eq!(bytes[32..36], 65_535u32.to_le_bytes());
        assert_eq!(bytes[36..40], 70_000u32.to_le_bytes());
        assert_eq!(read_pcap(&bytes).unwrap()[0].1.len(), 65_535);
    }

    #[test]
    fn reads_big_endian_nanosecond_files() {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&MAGIC_NANOS.to_be_bytes());
        bytes.extend_from_slice(&[
            0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 1,
        ]);
        bytes.extend_from_slice(&5u32.to_be_bytes());
        bytes.extend_from_slice(&123_456_789u32.to_be_bytes());
        bytes.extend_from_slice(&2u32.to_be_bytes());
        bytes.extend_from_slice(&2u32.to_be_bytes());
        bytes.extend_from_slice(&[0xbe, 0xef]);
        assert_eq!(
            read_pcap(&bytes).unwrap(),
            vec![(5_123_456, vec![0xbe, 0xef])]
        );
    }

    #[test]
    fn reads_big_endian_microsecond_files() {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&MAGIC_MICROS.to_be_bytes());
        bytes.extend_from_slice(&[
            0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 1,
        ]);
        bytes.extend_from_slice(&1u32.to_be_bytes());
        bytes.extend_from_slice(&42u32.to_be_bytes());
        bytes.extend_from_slice(&[0; 8]);
        assert_eq!(read_pcap(&bytes).unwrap(), vec![(1_000_042, vec![])]);
    }

    #[test]
    fn rejects_unknown_magic_short_header_and_cut_record() {
        assert_eq!(
            read_pcap(&[0xd4, 0xc3]),
            Err(PcapError::TruncatedHeader { len: 2 })
        );
        let mut bytes = PcapWriter::new(Vec::new(), 1).unwrap().into_inner();
        bytes[0] = 0x0a;
        assert_eq!(read_pcap(&bytes), Err(PcapError::BadMagic(0xa1b2_c30a)));
        let mut w = PcapWriter::new(Vec::new(), 1).unwrap();
        w.write_frame(0, &[1, 2, 3, 4]).unwrap();
        let mut bytes = w.into_inner();
        bytes.pop();
        assert_eq!(
            read_pcap(&bytes),
            Err(PcapError::TruncatedRecord { offset: 24 })
        );
        assert_eq!(
            read_pcap(&bytes[..30]),
            Err(PcapError::TruncatedRecord { offset: 24 })
        );
    }

    #[test]
    fn reads_the_ucarp_fixtures() {
        let vhid7 = read_pcap(&fixture("ucarp-v4-vhid7.pcap")).unwrap();
        assert_eq!(vhid7.len(), 5);
        // First advert (second record): 1795360341.512182, 14 + 20 + 36 bytes.
        assert_eq!(vhid7[1].0, 1_795_360_341_512_182);
        assert_eq!(vhid7[1].1.len(), 70);
        assert_eq!(vhid7[1].1[23], 112);
        let failover = read_pcap(&fixture("ucarp-v4-failover.pcap")).unwrap();
        assert_eq!(failover.len(), 12);
        assert!(failover.windows(2).all(|w| w[0].0 <= w[1].0));
    }

    #[test]
    fn rewriting_a_fixture_reproduces_its_records_byte_for_byte() {
        let original = fixture("ucarp-v4-vhid7.pcap");
        let mut w = PcapWriter::new(Vec::new(), LINKTYPE_ETHERNET).unwrap();
        for (ts, frame) in read_pcap(&original).unwrap() {
            w.write_frame(ts, &frame).unwrap();
        }
        let rewritten = w.into_inner();
        // tcpdump wrote snaplen 262144 where we write 65535; all else matches.
        assert_eq!(rewritten[..16], original[..16]);
        assert_eq!(rewritten[20..], original[20..]);
    }
}
