//! Temporary pcap files for handing frames to tshark.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use carp_sim::pcap::PcapWriter;

/// A pcap in the temp dir, removed on drop.
#[derive(Debug)]
pub struct TempPcap(PathBuf);

impl TempPcap {
    /// Writes `(timestamp µs, frame)` records with link type `linktype`.
    ///
    /// # Panics
    /// On I/O errors (this is test support).
    pub fn write(name: &str, linktype: u32, frames: &[(u64, Vec<u8>)]) -> TempPcap {
        let path = std::env::temp_dir().join(format!("carp-{}-{name}.pcap", std::process::id()));
        let file = BufWriter::new(File::create(&path).expect("create temp pcap"));
        let mut writer = PcapWriter::new(file, linktype).expect("pcap header");
        for (ts, frame) in frames {
            writer.write_frame(*ts, frame).expect("pcap record");
        }
        writer.flush().expect("flush pcap");
        TempPcap(path)
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempPcap {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
