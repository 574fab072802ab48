//! The Linux settings carpd changes on a parent so that only the virtual
//! MAC answers ARP for a virtual address, and how they are put back.
//!
//! With Linux's defaults (`arp_ignore=0`) every interface answers ARP for
//! every address of the host: the parent answers for the virtual address
//! (on the macvlan) with its own MAC, and every other vhid's macvlan with
//! its virtual MAC. carp itself (carp-ifnet) answers for the virtual
//! addresses from the virtual MAC while MASTER, as BSD carp does, so the
//! kernel must not:
//!
//! * parent: `arp_ignore=1` (answer only for addresses configured on the
//!   parent itself: the host's own addresses still get answers) and
//!   `arp_announce=2` (ARP requests the host sends out of the parent carry
//!   the parent's own address, never a virtual one, so no neighbour learns
//!   the virtual address at the parent's MAC). Stricter values already set
//!   (`arp_ignore` 2, 3 or 8) are kept. keepalived sets `arp_ignore=1` on
//!   the parent of its VMAC interfaces for the same reason
//!   (`vrrp_if_config.c`).
//! * each macvlan (see [`crate::vmac`]): `arp_ignore=8` (never answer):
//!   carp answers for it.
//!
//! The values are per interface (`/proc/sys/net/ipv4/conf/<if>/`), and
//! Linux uses the larger of the interface's and `all`'s.
//!
//! Not changed: `rp_filter`. Clients' packets arrive on the macvlan while
//! the replies route through the parent, which strict reverse-path
//! filtering (`rp_filter=1`) refuses; Linux uses the larger of `all` and
//! the interface's value, so carpd cannot loosen it for its macvlans
//! alone. Hosts with strict filtering on `all` need 0 or 2 (loose). Several carpd may
//! share a parent (different vhids), and a carpd may be killed, so the
//! parent's original values are kept in a file in the run directory
//! (`net<ns>-if<ifindex>.settings`) with the pids using it: the first carpd
//! records them, the last one to leave puts them back, and a carpd that
//! finds only dead pids there takes the record over (the values it finds
//! are then a dead carpd's, not the administrator's).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};

/// A per-interface IPv4 knob carpd sets on a parent, and the value it
/// wants given the value it finds.
type ParentKnob = (&'static str, fn(u32) -> u32);

/// The knobs carpd sets on a parent.
const PARENT_KNOBS: [ParentKnob; 2] = [
    ("arp_ignore", parent_arp_ignore),
    ("arp_announce", parent_arp_announce),
];

/// 1, unless a stricter mode (2, 3, 8) is set already.
fn parent_arp_ignore(now: u32) -> u32 {
    if matches!(now, 1 | 2 | 3 | 8) {
        now
    } else {
        1
    }
}

/// 2, the strictest.
fn parent_arp_announce(_now: u32) -> u32 {
    2
}

/// `arp_ignore` on carpd's macvlans: never answer (carp does).
pub const MACVLAN_ARP_IGNORE: u32 = 8;

/// `/proc/sys/net/ipv4/conf/<ifname>/<knob>`.
pub fn ipv4_conf_path(ifname: &str, knob: &str) -> PathBuf {
    Path::new("/proc/sys/net/ipv4/conf").join(ifname).join(knob)
}

/// Reads an integer sysctl file.
///
/// # Errors
/// Unreadable or not a number.
pub fn read_knob(path: &Path) -> io::Result<u32> {
    fs::read_to_string(path)?
        .trim()
        .parse()
        .map_err(|_| io::Error::other(format!("{}: not a number", path.display())))
}

/// Writes an integer sysctl file.
///
/// # Errors
/// The write failure.
pub fn write_knob(path: &Path, value: u32) -> io::Result<()> {
    fs::write(path, value.to_string())
}

/// What the settings file holds: the parent's original values and the
/// carpd using them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Record {
    originals: Vec<(String, u32)>,
    pids: Vec<u32>,
}

impl Record {
    fn parse(text: &str) -> Record {
        let mut r = Record::default();
        for line in text.lines() {
            let mut words = line.split_whitespace();
            match (words.next(), words.next(), words.next()) {
                (Some("pid"), Some(pid), None) => r.pids.extend(pid.parse::<u32>().ok()),
                (Some("original"), Some(knob), Some(v)) => {
                    if let Ok(v) = v.parse() {
                        r.originals.push((knob.to_owned(), v));
                    }
                }
                _ => {}
            }
        }
        r
    }

    fn render(&self) -> String {
        let mut out = String::new();
        for (knob, v) in &self.originals {
            out.push_str(&format!("original {knob} {v}\n"));
        }
        for pid in &self.pids {
            out.push_str(&format!("pid {pid}\n"));
        }
        out
    }
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// The settings carpd holds on one parent; [`ParentSettings::release`]
/// (or drop) gives them back.
#[derive(Debug)]
pub struct ParentSettings {
    path: PathBuf,
    ifname: String,
    released: bool,
}

fn open_locked(path: &Path) -> io::Result<Flock<File>> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, e)| e.into())
}

fn read_record(file: &mut Flock<File>) -> io::Result<Record> {
    let mut text = String::new();
    file.rewind()?;
    file.read_to_string(&mut text)?;
    let mut record = Record::parse(&text);
    record.pids.retain(|p| alive(*p));
    Ok(record)
}

fn write_record(file: &mut Flock<File>, record: &Record) -> io::Result<()> {
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(record.render().as_bytes())
}

impl ParentSettings {
    /// Records the parent's values if nobody has (or only dead carpd
    /// have), registers us, and sets the values carp needs.
    ///
    /// # Errors
    /// The settings file or a knob could not be read or written.
    pub fn claim(run_dir: &Path, netns: u64, ifindex: u32, ifname: &str) -> io::Result<Self> {
        let path = run_dir.join(format!("net{netns}-if{ifindex}.settings"));
        let mut file = open_locked(&path)?;
        let mut record = read_record(&mut file)?;
        if record.originals.is_empty() {
            for (knob, _) in PARENT_KNOBS {
                let value = read_knob(&ipv4_conf_path(ifname, knob))?;
                record.originals.push((knob.to_owned(), value));
            }
        }
        record.pids.push(std::process::id());
        write_record(&mut file, &record)?;
        for (knob, wanted) in PARENT_KNOBS {
            let at = ipv4_conf_path(ifname, knob);
            let now = read_knob(&at)?;
            if wanted(now) != now {
                write_knob(&at, wanted(now))?;
            }
        }
        Ok(ParentSettings {
            path,
            ifname: ifname.to_owned(),
            released: false,
        })
    }

    /// The parent was renamed: its knobs are under the new name now.
    pub fn renamed(&mut self, ifname: &str) {
        ifname.clone_into(&mut self.ifname);
    }

    /// Unregisters us; the last carpd puts the original values back and
    /// removes the file. A parent that is gone took its knobs with it.
    pub fn release(&mut self) {
        if std::mem::replace(&mut self.released, true) {
            return;
        }
        let Ok(mut file) = open_locked(&self.path) else {
            return;
        };
        let Ok(mut record) = read_record(&mut file) else {
            return;
        };
        let me = std::process::id();
        record.pids.retain(|p| *p != me);
        if record.pids.is_empty() {
            for (knob, value) in &record.originals {
                let _ = write_knob(&ipv4_conf_path(&self.ifname, knob), *value);
            }
            let _ = fs::remove_file(&self.path);
        } else {
            let _ = write_record(&mut file, &record);
        }
    }
}

impl Drop for ParentSettings {
    fn drop(&mut self) {
        self.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_round_trips_and_ignores_junk() {
        let r = Record {
            originals: vec![("arp_ignore".into(), 0), ("arp_announce".into(), 1)],
            pids: vec![12, 34],
        };
        assert_eq!(Record::parse(&r.render()), r);
        assert_eq!(
            Record::parse("pid x\noriginal arp_ignore\nhello\npid 5\n"),
            Record {
                originals: vec![],
                pids: vec![5]
            }
        );
    }

    #[test]
    fn stricter_arp_settings_are_kept() {
        let (_, ignore) = PARENT_KNOBS[0];
        assert_eq!(
            [0, 1, 2, 3, 4, 8].map(ignore),
            [1, 1, 2, 3, 1, 8],
            "arp_ignore 0 and the reserved 4 become 1"
        );
        let (_, announce) = PARENT_KNOBS[1];
        assert_eq!([0, 1, 2].map(announce), [2, 2, 2]);
    }
}
