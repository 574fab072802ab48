//! tshark as an independent judge of our packets.
//!
//! tshark 4.0 dissects IP protocol 112 as VRRP unless told otherwise, so
//! every call passes `-d ip.proto==112,carp` ([`DECODE_AS_CARP`]). The CARP
//! dissector's field names (from `tshark -G fields`) are `carp.version`,
//! `carp.type`, `carp.vhid`, `carp.advskew`, `carp.authlen`,
//! `carp.demotion`, `carp.adver_int` (advbase), `carp.checksum`,
//! `carp.checksum.status` (1 = good), `carp.counter` and `carp.hmac`; its
//! verbose view prints `[Checksum Status: Good]` for a correct checksum.

use std::io;
use std::net::IpAddr;
use std::path::Path;
use std::process::Command;

use carp_core::wire::DIGEST_LEN;

use crate::process::checked_stdout;

/// tshark's "decode as" for CARP over IPv4 and IPv6.
pub const DECODE_AS_CARP: &str = "ip.proto==112,carp";
/// What `-V` prints under a CARP header whose checksum verifies.
pub const CHECKSUM_GOOD: &str = "[Checksum Status: Good]";
/// The heading of a CARP header in `-V` output.
pub const CARP_HEADING: &str = "Common Address Redundancy Protocol";
/// `carp.checksum.status` for a good checksum (Wireshark's
/// `PROTO_CHECKSUM_E_GOOD`).
pub const CHECKSUM_STATUS_GOOD: &str = "1";

fn tshark(path: &Path) -> Command {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(path).args(["-d", DECODE_AS_CARP]);
    cmd
}

/// `tshark -r PATH -d ip.proto==112,carp -V`: the full decoded text.
///
/// # Errors
/// tshark missing, failing or over the deadline.
pub fn decode_verbose(path: &Path) -> io::Result<String> {
    checked_stdout(tshark(path).arg("-V"))
}

/// `tshark -T fields`: one row per frame, one column per field in `fields`
/// (empty where a frame lacks the field; repeated occurrences are joined
/// with `,`).
///
/// # Errors
/// tshark missing, failing or over the deadline.
pub fn decode_fields(path: &Path, fields: &[&str]) -> io::Result<Vec<Vec<String>>> {
    let mut cmd = tshark(path);
    cmd.args(["-T", "fields", "-E", "separator=/t", "-E", "occurrence=a"]);
    for field in fields {
        cmd.args(["-e", field]);
    }
    let text = checked_stdout(&mut cmd)?;
    Ok(text
        .lines()
        .map(|line| line.split('\t').map(str::to_owned).collect())
        .collect())
}

/// The `-V` sections of every CARP header in a decode, in frame order.
pub fn carp_sections(verbose: &str) -> Vec<String> {
    let mut sections = Vec::new();
    let mut current: Option<String> = None;
    for line in verbose.lines() {
        if line == CARP_HEADING {
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

/// Asserts that the capture holds at least one CARP header and that tshark
/// shows [`CHECKSUM_GOOD`] under every one. Returns how many there are.
///
/// # Panics
/// When tshark fails, no CARP header is found, or any checksum is not good.
pub fn assert_every_carp_checksum_good(path: &Path) -> usize {
    let verbose =
        decode_verbose(path).unwrap_or_else(|e| panic!("tshark on {}: {e}", path.display()));
    let sections = carp_sections(&verbose);
    assert!(
        !sections.is_empty(),
        "tshark found no CARP header in {}",
        path.display()
    );
    for (i, section) in sections.iter().enumerate() {
        assert!(
            section.lines().any(|l| l.trim() == CHECKSUM_GOOD),
            "CARP header {i} of {}: no {CHECKSUM_GOOD}:\n{section}",
            path.display()
        );
    }
    sections.len()
}

/// The CARP fields of one frame as tshark decoded them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarpFields {
    /// Frame number (from 1).
    pub frame: u32,
    /// IP source address.
    pub src: IpAddr,
    /// `carp.vhid`.
    pub vhid: u8,
    /// `carp.advskew`.
    pub advskew: u8,
    /// `carp.adver_int`: advbase.
    pub advbase: u8,
    /// `carp.demotion`.
    pub demote: u8,
    /// `carp.counter`.
    pub counter: u64,
    /// `carp.hmac`.
    pub hmac: [u8; DIGEST_LEN],
    /// `carp.checksum.status` is [`CHECKSUM_STATUS_GOOD`].
    pub checksum_good: bool,
}

const CARP_FIELDS: [&str; 10] = [
    "frame.number",
    "ip.src",
    "ipv6.src",
    "carp.vhid",
    "carp.advskew",
    "carp.adver_int",
    "carp.demotion",
    "carp.counter",
    "carp.hmac",
    "carp.checksum.status",
];

/// The CARP fields of every frame that has a CARP header, in frame order.
///
/// # Errors
/// tshark missing, failing, or printing a value that does not parse.
pub fn carp_fields(path: &Path) -> io::Result<Vec<CarpFields>> {
    let rows = decode_fields(path, &CARP_FIELDS)?;
    rows.iter()
        .filter(|row| row.get(3).is_some_and(|vhid| !vhid.is_empty()))
        .map(|row| parse_row(row))
        .collect()
}

fn parse_row(row: &[String]) -> io::Result<CarpFields> {
    let bad = |what: &str| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("tshark row {row:?}: bad {what}"),
        )
    };
    let col = |i: usize| row.get(i).map(String::as_str).unwrap_or("");
    let num = |i: usize, what: &str| col(i).parse::<u64>().map_err(|_| bad(what));
    let byte = |i: usize, what: &str| col(i).parse::<u8>().map_err(|_| bad(what));
    let src_text = if col(1).is_empty() { col(2) } else { col(1) };
    let hmac_hex: String = col(8).chars().filter(|c| *c != ':').collect();
    let mut hmac = [0u8; DIGEST_LEN];
    if hmac_hex.len() != 2 * DIGEST_LEN {
        return Err(bad("carp.hmac"));
    }
    for (i, out) in hmac.iter_mut().enumerate() {
        let pair = hmac_hex
            .get(2 * i..2 * i + 2)
            .ok_or_else(|| bad("carp.hmac"))?;
        *out = u8::from_str_radix(pair, 16).map_err(|_| bad("carp.hmac"))?;
    }
    Ok(CarpFields {
        frame: u32::try_from(num(0, "frame.number")?).map_err(|_| bad("frame.number"))?,
        src: src_text.parse().map_err(|_| bad("source address"))?,
        vhid: byte(3, "carp.vhid")?,
        advskew: byte(4, "carp.advskew")?,
        advbase: byte(5, "carp.adver_int")?,
        demote: byte(6, "carp.demotion")?,
        counter: num(7, "carp.counter")?,
        hmac,
        checksum_good: col(9) == CHECKSUM_STATUS_GOOD,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_verbose_output_into_carp_sections() {
        let text =
            "Frame 1: 70 bytes\n    Arrival Time: x\nCommon Address Redundancy Protocol\n    \
                    Virtual Host ID: 7\n    [Checksum Status: Good]\n\nFrame 2: 42 bytes\n    \
                    ARP\n";
        let sections = carp_sections(text);
        assert_eq!(sections.len(), 1);
        assert!(sections[0].contains("Virtual Host ID: 7"));
        assert!(!sections[0].contains("ARP"));
    }

    #[test]
    fn parses_a_fields_row() {
        let row: Vec<String> = [
            "2",
            "192.0.2.11",
            "",
            "7",
            "10",
            "1",
            "0",
            "17647010118497321596",
            "6f72b533df28e28778a4456b78d71dc77f845809",
            "1",
        ]
        .map(str::to_owned)
        .to_vec();
        let f = parse_row(&row).unwrap();
        assert_eq!(f.src, "192.0.2.11".parse::<IpAddr>().unwrap());
        assert_eq!((f.vhid, f.advskew, f.advbase), (7, 10, 1));
        assert_eq!(f.counter, 17_647_010_118_497_321_596);
        assert_eq!(f.hmac[0], 0x6f);
        assert!(f.checksum_good);
    }
}
