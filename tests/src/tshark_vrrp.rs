//! tshark reading VRRPv3: its default dissector for IP protocol 112 (no
//! "decode as"). Field names from `tshark -G fields`: `vrrp.version`,
//! `vrrp.virt_rtr_id`, `vrrp.prio`, `vrrp.addr_count`,
//! `vrrp.short_adver_int` (the 12-bit interval of version 3),
//! `vrrp.checksum.status` (1 = good, computed over the pseudo-header).

use std::io;
use std::net::IpAddr;
use std::path::Path;

use crate::tshark::CHECKSUM_STATUS_GOOD;

/// The VRRP fields of one frame as tshark decoded them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrrpFields {
    /// Frame number (from 1).
    pub frame: u32,
    /// IP source address.
    pub src: IpAddr,
    /// IP destination address.
    pub dst: IpAddr,
    /// `vrrp.version`.
    pub version: u8,
    /// `vrrp.virt_rtr_id`.
    pub vrid: u8,
    /// `vrrp.prio`.
    pub priority: u8,
    /// `vrrp.short_adver_int`, centiseconds.
    pub interval: u16,
    /// `vrrp.addr_count`.
    pub count: u8,
    /// `vrrp.checksum.status` is good.
    pub checksum_good: bool,
}

const FIELDS: [&str; 10] = [
    "frame.number",
    "ip.src",
    "ipv6.src",
    "ip.dst",
    "ipv6.dst",
    "vrrp.version",
    "vrrp.virt_rtr_id",
    "vrrp.prio",
    "vrrp.short_adver_int",
    "vrrp.addr_count",
];

/// Every frame tshark decodes as VRRP, in frame order, with its checksum
/// status.
///
/// # Errors
/// tshark missing, failing, or printing a value that does not parse.
pub fn vrrp_fields(path: &Path) -> io::Result<Vec<VrrpFields>> {
    let mut cmd = std::process::Command::new("tshark");
    cmd.arg("-r").arg(path);
    cmd.args(["-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"]);
    for f in FIELDS.iter().chain(&["vrrp.checksum.status"]) {
        cmd.args(["-e", f]);
    }
    let text = crate::process::checked_stdout(&mut cmd)?;
    text.lines()
        .map(|l| l.split('\t').map(str::to_owned).collect::<Vec<_>>())
        .filter(|row| row.get(5).is_some_and(|v| !v.is_empty()))
        .map(|row| parse_row(&row))
        .collect()
}

fn parse_row(row: &[String]) -> io::Result<VrrpFields> {
    let bad = |what: &str| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("tshark row {row:?}: bad {what}"),
        )
    };
    let col = |i: usize| row.get(i).map(String::as_str).unwrap_or("");
    let either = |a: usize, b: usize| if col(a).is_empty() { col(b) } else { col(a) };
    let num = |i: usize, what: &str| col(i).parse::<u64>().map_err(|_| bad(what));
    let byte = |i: usize, what: &str| col(i).parse::<u8>().map_err(|_| bad(what));
    Ok(VrrpFields {
        frame: u32::try_from(num(0, "frame.number")?).map_err(|_| bad("frame.number"))?,
        src: either(1, 2).parse().map_err(|_| bad("source"))?,
        dst: either(3, 4).parse().map_err(|_| bad("destination"))?,
        version: byte(5, "vrrp.version")?,
        vrid: byte(6, "vrrp.virt_rtr_id")?,
        priority: byte(7, "vrrp.prio")?,
        interval: u16::try_from(num(8, "vrrp.short_adver_int")?).map_err(|_| bad("interval"))?,
        count: byte(9, "vrrp.addr_count")?,
        checksum_good: col(10) == CHECKSUM_STATUS_GOOD,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_fields_row() {
        let row: Vec<String> = [
            "5",
            "192.0.2.11",
            "",
            "224.0.0.18",
            "",
            "3",
            "7",
            "200",
            "100",
            "2",
            "1",
        ]
        .map(str::to_owned)
        .to_vec();
        let f = parse_row(&row).unwrap();
        assert_eq!((f.vrid, f.priority, f.interval, f.count), (7, 200, 100, 2));
        assert!(f.checksum_good && f.version == 3);
    }
}
