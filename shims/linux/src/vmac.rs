//! The virtual MAC on Linux: one macvlan per (parent, vhid), owning
//! `00:00:5e:00:01:<vhid>`, up with the virtual addresses on it while the
//! vhid is MASTER, down and empty otherwise.
//!
//! * **Names** cannot collide: `carp<vhid>-<parent ifindex>` (`carp1-2`),
//!   or `cp<vhid>-<ifindex in hex>` when that would pass the 15 bytes of
//!   `IFNAMSIZ`. Interface indexes are unique within a namespace, and a
//!   parent's macvlans go with it when it is deleted, so two parents (two
//!   VLANs of one long-named NIC, say) never share a name, and a rename of
//!   the parent changes nothing.
//! * **Ownership** is recorded on the link: its alias (`IFLA_IFALIAS`,
//!   `ip link show` prints it) reads `carpd: vhid 1 parent 2 (eth0)`.
//!   carpd only ever deletes or reuses a link with such an alias; an
//!   interface of the same name that is not carpd's is left alone and the
//!   vhid runs without its macvlan (reported).
//! * **Locks**: each entry holds the [`crate::lock`] of its parent and
//!   vhid. At start, a carpd-owned macvlan whose lock can be taken belongs
//!   to a carpd that died (`kill -9`): it is deleted with its addresses
//!   ([`remove_stale`]).
//! * Each macvlan gets `arp_ignore=8` ([`crate::hostconf`]): carp answers
//!   ARP for it, the kernel must not answer twice.

use std::collections::BTreeMap;
use std::io;
use std::net::IpAddr;
use std::path::PathBuf;

use carp_ctl::ParentId;
use carp_ifnet::lladdr::LinkType;

use crate::addresses::Planned;
use crate::hostconf::{ipv4_conf_path, write_knob, MACVLAN_ARP_IGNORE};
use crate::lock::{vhid_lock_path, Lock, LockError};
use crate::netlink::{LinkInfoSnapshot, Netlink};

/// Longest interface name (`IFNAMSIZ` less the NUL).
const MAX_NAME: usize = 15;
/// How an owner alias starts.
const OWNER: &str = "carpd: vhid ";

/// The macvlan name for `vhid` on the parent with index `ifindex`.
pub fn macvlan_name(vhid: u8, ifindex: u32) -> String {
    let name = format!("carp{vhid}-{ifindex}");
    if name.len() <= MAX_NAME {
        name
    } else {
        format!("cp{vhid}-{ifindex:x}")
    }
}

/// The alias that marks a macvlan as carpd's.
pub fn owner_alias(vhid: u8, ifindex: u32, parent: &str) -> String {
    format!("{OWNER}{vhid} parent {ifindex} ({parent})")
}

/// The (parent ifindex, vhid) of an owner alias; `None` for any other.
pub fn parse_owner(alias: &str) -> Option<(u32, u8)> {
    let rest = alias.strip_prefix(OWNER)?;
    let mut words = rest.split_whitespace();
    let vhid = words.next()?.parse().ok()?;
    (words.next()? == "parent").then_some(())?;
    let ifindex = words.next()?.parse().ok()?;
    Some((ifindex, vhid))
}

fn is_ours(link: &LinkInfoSnapshot) -> bool {
    link.macvlan && link.alias.as_deref().and_then(parse_owner).is_some()
}

/// One vhid's macvlan and lock.
#[derive(Debug)]
struct Vmac {
    /// The parent's interface index.
    parent_index: u32,
    /// The macvlan's name and index, once created.
    name: String,
    index: Option<u32>,
    up: bool,
    installed: Vec<Planned>,
    _lock: Lock,
}

/// What carpd owns on the host for its vhids.
#[derive(Debug)]
pub struct Vmacs {
    run_dir: PathBuf,
    netns: u64,
    by_vhid: BTreeMap<(ParentId, u8), Vmac>,
}

impl Vmacs {
    /// None yet; locks go in `run_dir`, named for namespace `netns`.
    pub fn new(run_dir: PathBuf, netns: u64) -> Vmacs {
        Vmacs {
            run_dir,
            netns,
            by_vhid: BTreeMap::new(),
        }
    }

    /// The (parent, vhid) pairs held.
    pub fn held(&self) -> Vec<(ParentId, u8)> {
        self.by_vhid.keys().copied().collect()
    }

    /// True if the pair is held.
    pub fn holds(&self, parent: ParentId, vhid: u8) -> bool {
        self.by_vhid.contains_key(&(parent, vhid))
    }

    /// Takes the lock of `vhid` on the parent (`parent_name`, index
    /// `parent_index`). The macvlan is made by [`Vmacs::sync`].
    ///
    /// # Errors
    /// The lock is held by another carpd, or the run directory is unusable.
    pub fn claim(
        &mut self,
        parent: ParentId,
        parent_index: u32,
        parent_name: &str,
        vhid: u8,
    ) -> Result<(), LockError> {
        if self.holds(parent, vhid) {
            return Ok(());
        }
        let path = vhid_lock_path(&self.run_dir, self.netns, parent_index, vhid);
        let lock = Lock::acquire(&path, &format!("{parent_name} vhid {vhid}"))?;
        self.by_vhid.insert(
            (parent, vhid),
            Vmac {
                parent_index,
                name: macvlan_name(vhid, parent_index),
                index: None,
                up: false,
                installed: Vec::new(),
                _lock: lock,
            },
        );
        Ok(())
    }

    /// Brings the macvlan of `(parent, vhid)` to what is wanted: present
    /// (created on first use, with `parent_name` in its alias), up or down,
    /// carrying exactly `addrs`. Failures are reported and retried on the
    /// next call.
    pub fn sync(
        &mut self,
        nl: &mut Netlink,
        (parent, vhid): (ParentId, u8),
        parent_name: &str,
        up: bool,
        addrs: &[Planned],
    ) {
        let Some(v) = self.by_vhid.get_mut(&(parent, vhid)) else {
            return;
        };
        let index = match v.index {
            Some(i) => i,
            None => match create(nl, v, vhid, parent_name) {
                Ok(i) => i,
                Err(e) => {
                    log::warn!(target: "carpd", "{parent_name} vhid {vhid}: macvlan {}: {e}", v.name);
                    return;
                }
            },
        };
        let gone: Vec<Planned> = v
            .installed
            .iter()
            .filter(|a| !addrs.contains(a))
            .copied()
            .collect();
        for a in gone {
            if let Err(e) = nl.del_address(index, a.addr, a.prefix_len) {
                log::warn!(target: "carpd", "{}: remove {}: {e}", v.name, a.addr);
            }
            v.installed.retain(|i| *i != a);
        }
        if up != v.up {
            match nl.set_up(index, up) {
                Ok(()) => v.up = up,
                Err(e) => {
                    log::warn!(target: "carpd", "{}: {}: {e}", v.name, if up { "up" } else { "down" })
                }
            }
        }
        let new: Vec<Planned> = addrs
            .iter()
            .filter(|a| !v.installed.contains(a))
            .copied()
            .collect();
        for a in &new {
            match nl.add_address(index, a.addr, a.prefix_len, a.route_metric) {
                Ok(()) => v.installed.push(*a),
                Err(e) => {
                    log::warn!(target: "carpd", "{}: add {}/{}: {e}", v.name, a.addr, a.prefix_len)
                }
            }
        }
    }

    /// The addresses on `(parent, vhid)`'s macvlan now.
    pub fn installed(&self, parent: ParentId, vhid: u8) -> Vec<IpAddr> {
        self.by_vhid
            .get(&(parent, vhid))
            .map(|v| v.installed.iter().map(|a| a.addr).collect())
            .unwrap_or_default()
    }

    /// Gives `(parent, vhid)` up: its macvlan is deleted (with its
    /// addresses) and its lock released.
    pub fn release(&mut self, nl: &mut Netlink, parent: ParentId, vhid: u8) {
        if let Some(v) = self.by_vhid.remove(&(parent, vhid)) {
            if let Some(index) = v.index {
                let _ = nl.delete_link(index);
            }
        }
    }

    /// The parent is gone: the kernel deleted its macvlans with it; only
    /// the locks remain to release.
    pub fn forget_parent(&mut self, parent: ParentId) {
        self.by_vhid.retain(|(p, _), _| *p != parent);
    }

    /// A link was deleted: if it was one of our macvlans (deleted by
    /// someone else), it is made again on the next [`Vmacs::sync`].
    pub fn link_gone(&mut self, index: u32) {
        for v in self.by_vhid.values_mut() {
            if v.index == Some(index) {
                v.index = None;
                v.up = false;
                v.installed.clear();
            }
        }
    }

    /// True if `index` is one of our macvlans.
    pub fn is_macvlan(&self, index: u32) -> bool {
        self.by_vhid.values().any(|v| v.index == Some(index))
    }

    /// Deletes every macvlan and releases every lock.
    pub fn release_all(&mut self, nl: &mut Netlink) {
        for key in self.held() {
            self.release(nl, key.0, key.1);
        }
    }
}

fn create(nl: &mut Netlink, v: &mut Vmac, vhid: u8, parent_name: &str) -> io::Result<u32> {
    let mac = LinkType::Ethernet.virtual_mac(vhid).octets();
    let alias = owner_alias(vhid, v.parent_index, parent_name);
    let index = nl.ensure_macvlan(v.parent_index, &v.name, mac, &alias, is_ours)?;
    v.index = Some(index);
    v.up = false;
    v.installed.clear();
    if let Err(e) = write_knob(&ipv4_conf_path(&v.name, "arp_ignore"), MACVLAN_ARP_IGNORE) {
        log::warn!(target: "carpd", "{}: arp_ignore: {e}", v.name);
    }
    Ok(index)
}

/// Deletes the macvlans a dead carpd left: carpd-owned links whose lock
/// (parent and vhid from the alias) nobody holds. Returns their names.
pub fn remove_stale(nl: &mut Netlink, run_dir: &std::path::Path, netns: u64) -> Vec<String> {
    let Ok(links) = nl.links() else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for link in links.iter().filter(|l| is_ours(l)) {
        let Some((parent, vhid)) = link.alias.as_deref().and_then(parse_owner) else {
            continue;
        };
        let path = vhid_lock_path(run_dir, netns, parent, vhid);
        // Held while the link goes, so no new carpd claims it meanwhile.
        if let Ok(_lock) = Lock::acquire(&path, "stale cleanup") {
            if nl.delete_link(link.index).is_ok() {
                removed.push(link.name.clone());
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_ifnamsiz_and_never_collide() {
        assert_eq!(macvlan_name(1, 2), "carp1-2");
        assert_eq!(macvlan_name(255, 9_999_999), "carp255-9999999");
        assert_eq!(macvlan_name(255, 10_000_000), "cp255-989680");
        assert_eq!(macvlan_name(255, u32::MAX), "cp255-ffffffff");
        let mut seen = std::collections::BTreeSet::new();
        let indexes = (1..2000).chain([9_999_999, 10_000_000, 10_000_001, u32::MAX]);
        for ifindex in indexes {
            for vhid in 1..=255 {
                let n = macvlan_name(vhid, ifindex);
                assert!(n.len() <= MAX_NAME, "{n}");
                assert!(seen.insert(n.clone()), "{n} twice");
            }
        }
    }

    #[test]
    fn the_owner_alias_round_trips_and_nothing_else_is_ours() {
        let alias = owner_alias(7, 12, "enp3s0f0.200");
        assert_eq!(alias, "carpd: vhid 7 parent 12 (enp3s0f0.200)");
        assert_eq!(parse_owner(&alias), Some((12, 7)));
        for other in [
            "",
            "carpd",
            "carpd: vhid x parent 1",
            "uplink",
            "carpd: vhid 1 to 2",
        ] {
            assert_eq!(parse_owner(other), None, "{other}");
        }
        let mut link = LinkInfoSnapshot {
            index: 5,
            name: "carp7-12".into(),
            mac: [0, 0, 0x5e, 0, 1, 7],
            mtu: 1500,
            running: false,
            admin_up: false,
            macvlan: true,
            lower: Some(12),
            alias: Some(alias),
        };
        assert!(is_ours(&link));
        link.macvlan = false;
        assert!(!is_ours(&link), "only a macvlan");
        link.macvlan = true;
        link.alias = None;
        assert!(!is_ours(&link), "a macvlan without our alias");
    }
}
