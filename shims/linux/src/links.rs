//! The parents carpd runs on, kept in step with the kernel.
//!
//! Each parent is one [`Link`]: its packet socket and driver, the host
//! settings carpd holds on it ([`ParentSettings`]) and its
//! [`ParentId`] in the engine. What the kernel reports on the monitor
//! socket ([`Notice`]) becomes engine calls, as a BSD kernel's
//! `carp_carpdev_state` and `carpdetach` do:
//!
//! | kernel | engine |
//! |---|---|
//! | link admin down, carrier lost (`IFF_UP` or `IFF_RUNNING` cleared) | [`Engine::set_link`](carp_ctl::Engine::set_link) down: vhids to INIT, the host demoted |
//! | back up | `set_link` up |
//! | renamed (same index) | [`Engine::rename_parent`](carp_ctl::Engine::rename_parent) |
//! | deleted (`RTM_DELLINK`) | [`Engine::remove_parent`](carp_ctl::Engine::remove_parent); the name is watched |
//! | a link of a watched name appears (a new index) | added again; the daemon re-applies the configuration to it ([`Change::Returned`]) |
//! | an address added or removed | [`Engine::set_parent_info`](carp_ctl::Engine::set_parent_info) (advert sources) |
//! | IPv6 forwarding changed | `set_parent_info` (the NA router flag) |
//!
//! None of these is ever fatal: a parent that cannot be opened again is
//! reported and watched.

use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use carp_core::Instant;
use carp_ctl::ParentId;
use carp_ifnet::driver::LinkState;

use crate::driver::LinuxDriver;
use crate::engine::HostEngine;
use crate::filter::FilterSpec;
use crate::hostconf::ParentSettings;
use crate::ip_send::IpSender;
use crate::monitor::Notice;
use crate::netlink::{pick_global_v6, pick_sources, LinkInfoSnapshot, Netlink};
use crate::packet::PacketSocket;

/// How a parent's IPv4 advert source is chosen (`--srcip`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The parent's first IPv4 address; 0.0.0.0 without one.
    Auto,
    /// This address.
    Fixed(Ipv4Addr),
}

/// One parent.
#[derive(Debug)]
pub struct Link {
    /// Its handle in the engine.
    pub id: ParentId,
    /// Its name now.
    pub name: String,
    /// Its interface index.
    pub index: u32,
    /// Its packet socket and what carp knows of it.
    pub driver: LinuxDriver,
    /// Its own addresses, with prefix lengths.
    pub addrs: Vec<(IpAddr, u8)>,
    /// The kernel filter's spec now on its socket.
    filter: Option<FilterSpec>,
    settings: Option<ParentSettings>,
}

impl Link {
    /// Regenerates the socket's kernel filter ([`crate::filter`]) when
    /// `spec` (the parent's vhids and addresses, `allow`) differs from the
    /// one in place.
    pub fn sync_filter(&mut self, spec: FilterSpec) {
        if self.filter.as_ref() == Some(&spec) {
            return;
        }
        if let Err(why) = self.driver.socket.set_filter(&spec) {
            log::warn!(target: "carpd", "{}: kernel filter: {why}", self.name);
        }
        self.filter = Some(spec);
    }
}

/// What changed for the daemon to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The parent went away (its vhids with it).
    Removed(ParentId),
    /// A watched parent is back under a new id: configure it again.
    Returned(ParentId),
}

/// Every parent, and the names of those that went away.
#[derive(Debug)]
pub struct Links {
    links: Vec<Link>,
    watched: Vec<String>,
    sources: Vec<(String, Source)>,
    run_dir: PathBuf,
    netns: u64,
    /// Whether to touch the host's ARP settings.
    host_settings: bool,
    /// `--ignoreifstate`: carrier loss is not a link down.
    ignore_carrier: bool,
}

impl Links {
    /// No parents yet; `sources` are the `--srcip` choices by parent name.
    pub fn new(
        sources: Vec<(String, Source)>,
        run_dir: &Path,
        netns: u64,
        host_settings: bool,
    ) -> Links {
        Links {
            links: Vec::new(),
            watched: Vec::new(),
            sources,
            run_dir: run_dir.to_owned(),
            netns,
            host_settings,
            ignore_carrier: false,
        }
    }

    /// ucarp's `--ignoreifstate`: a parent that is administratively up
    /// counts as up whatever its carrier says (nodes on a crossover cable:
    /// the peer powering off must not take this host's link down).
    pub fn ignore_carrier(&mut self, ignore: bool) {
        self.ignore_carrier = ignore;
    }

    /// Whether a parent in this state counts as up.
    fn is_up(&self, snap: &LinkInfoSnapshot) -> bool {
        if self.ignore_carrier {
            snap.admin_up
        } else {
            snap.running
        }
    }

    /// Every parent.
    pub fn iter(&self) -> impl Iterator<Item = &Link> {
        self.links.iter()
    }

    /// Every parent, mutably (the data path lends the drivers).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Link> {
        self.links.iter_mut()
    }

    /// The parent with this id.
    pub fn get(&self, id: ParentId) -> Option<&Link> {
        self.links.iter().find(|l| l.id == id)
    }

    /// The parent with this id, mutably.
    pub fn get_mut(&mut self, id: ParentId) -> Option<&mut Link> {
        self.links.iter_mut().find(|l| l.id == id)
    }

    /// True if `name` is a parent or is watched for.
    pub fn knows(&self, name: &str) -> bool {
        self.links.iter().any(|l| l.name == name) || self.watched.iter().any(|w| w == name)
    }

    /// Opens the parent `name` now and adds it to the engine, link state
    /// as it is (a parent that is down waits in INIT). Its host settings
    /// come with [`Links::claim_settings`].
    ///
    /// # Errors
    /// No such interface, or its socket could not be opened.
    pub fn open(
        &mut self,
        nl: &mut Netlink,
        engine: &mut HostEngine,
        name: &str,
    ) -> io::Result<ParentId> {
        let snap = nl.link_by_name(name)?;
        let addrs = nl.addresses(snap.index)?;
        let (v4, v6) = pick_sources(&addrs);
        let driver = LinuxDriver {
            socket: PacketSocket::open(snap.index, snap.mtu)?,
            mac: snap.mac,
            mtu: snap.mtu,
            link_up: self.is_up(&snap),
            ipv4: self.source_for(name, v4),
            ipv6_link_local: v6,
            ipv6: pick_global_v6(&addrs),
            ip: IpSender::open(name, snap.index),
            ip_sent: 0,
            ip_error: None,
            router: forwarding(name),
            frames_sent: 0,
        };
        let id = engine
            .add_parent(
                name,
                driver.parent_info(),
                LinkState::from_up(driver.link_up),
            )
            .map_err(|e| io::Error::other(format!("{name}: {e}")))?;
        self.watched.retain(|w| w != name);
        self.links.push(Link {
            id,
            name: name.to_owned(),
            index: snap.index,
            driver,
            addrs,
            filter: None,
            settings: None,
        });
        Ok(id)
    }

    /// Sets the host's ARP settings ([`crate::hostconf`]) on every parent
    /// that does not have them yet. Called once the vhids' locks are held,
    /// so a carpd that refuses to start changes nothing.
    pub fn claim_settings(&mut self) {
        if !self.host_settings {
            return;
        }
        for link in self.links.iter_mut().filter(|l| l.settings.is_none()) {
            match ParentSettings::claim(&self.run_dir, self.netns, link.index, &link.name) {
                Ok(s) => link.settings = Some(s),
                Err(e) => log::warn!(target: "carpd", "{}: ARP settings: {e}", link.name),
            }
        }
    }

    fn source_for(&self, name: &str, auto: Option<Ipv4Addr>) -> Option<Ipv4Addr> {
        match self
            .sources
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| *s)
        {
            Some(Source::Fixed(a)) if a.is_unspecified() => None,
            Some(Source::Fixed(a)) => Some(a),
            _ => auto,
        }
    }

    /// Acts on one monitor notice.
    pub fn handle(
        &mut self,
        nl: &mut Netlink,
        engine: &mut HostEngine,
        now: Instant,
        notice: &Notice,
    ) -> Option<Change> {
        match notice {
            Notice::Link(snap) => self.link_changed(nl, engine, now, snap),
            Notice::LinkGone(index) => {
                let at = self.links.iter().position(|l| l.index == *index)?;
                let mut link = self.links.remove(at);
                // Its knobs went with it; only the record is given back.
                if let Some(s) = link.settings.as_mut() {
                    s.release();
                }
                let _ = engine.remove_parent(link.id);
                log::warn!(target: "carpd", "{}: removed; waiting for it to return", link.name);
                self.watched.push(link.name);
                Some(Change::Removed(link.id))
            }
            Notice::Address(index) => {
                let link = self.links.iter_mut().find(|l| l.index == *index)?;
                let addrs = nl.addresses(link.index).ok()?;
                let (v4, v6) = pick_sources(&addrs);
                let v4 = match self.sources.iter().find(|(n, _)| *n == link.name) {
                    Some((_, Source::Fixed(a))) => (!a.is_unspecified()).then_some(*a),
                    _ => v4,
                };
                let global = pick_global_v6(&addrs);
                link.addrs = addrs;
                let now_info = (v4, v6, global);
                let was = (
                    link.driver.ipv4,
                    link.driver.ipv6_link_local,
                    link.driver.ipv6,
                );
                if now_info != was {
                    link.driver.ipv4 = v4;
                    link.driver.ipv6_link_local = v6;
                    link.driver.ipv6 = global;
                    set_info(engine, now, link);
                }
                None
            }
            Notice::Netconf => {
                for link in &mut self.links {
                    let router = forwarding(&link.name);
                    if router != link.driver.router {
                        link.driver.router = router;
                        set_info(engine, now, link);
                    }
                }
                None
            }
        }
    }

    fn link_changed(
        &mut self,
        nl: &mut Netlink,
        engine: &mut HostEngine,
        now: Instant,
        snap: &LinkInfoSnapshot,
    ) -> Option<Change> {
        let up = self.is_up(snap);
        if let Some(link) = self.links.iter_mut().find(|l| l.index == snap.index) {
            if snap.name != link.name && !snap.name.is_empty() {
                match engine.rename_parent(link.id, &snap.name) {
                    Ok(()) => {
                        log::info!(target: "carpd", "{} renamed {}", link.name, snap.name);
                        link.name.clone_from(&snap.name);
                        if let Some(s) = link.settings.as_mut() {
                            s.renamed(&snap.name);
                        }
                    }
                    Err(e) => {
                        log::warn!(target: "carpd", "{} renamed {}: {e}", link.name, snap.name)
                    }
                }
            }
            if (snap.mac, snap.mtu) != (link.driver.mac, link.driver.mtu) {
                link.driver.mac = snap.mac;
                link.driver.mtu = snap.mtu;
                set_info(engine, now, link);
            }
            if up != link.driver.link_up {
                link.driver.link_up = up;
                engine.set_link(now, link.id, up);
            }
            return None;
        }
        if !self.watched.contains(&snap.name) {
            return None;
        }
        match self.open(nl, engine, &snap.name) {
            Ok(id) => {
                log::info!(target: "carpd", "{}: back (index {})", snap.name, snap.index);
                Some(Change::Returned(id))
            }
            Err(e) => {
                log::warn!(target: "carpd", "{}: cannot reopen: {e}", snap.name);
                None
            }
        }
    }

    /// Re-reads every parent from the kernel (after the monitor socket
    /// overran): link state, addresses, forwarding; parents gone are
    /// removed, watched ones that are back are returned.
    pub fn resync(
        &mut self,
        nl: &mut Netlink,
        engine: &mut HostEngine,
        now: Instant,
    ) -> Vec<Change> {
        let Ok(all) = nl.links() else {
            return Vec::new();
        };
        let mut notices: Vec<Notice> = self
            .links
            .iter()
            .filter(|l| !all.iter().any(|s| s.index == l.index))
            .map(|l| Notice::LinkGone(l.index))
            .collect();
        for snap in &all {
            let ours = self.links.iter().any(|l| l.index == snap.index);
            if ours || self.watched.contains(&snap.name) {
                notices.push(Notice::Link(snap.clone()));
            }
            if ours {
                notices.push(Notice::Address(snap.index));
            }
        }
        notices.push(Notice::Netconf);
        notices
            .iter()
            .filter_map(|n| self.handle(nl, engine, now, n))
            .collect()
    }

    /// Gives the host settings of every parent back.
    pub fn release_settings(&mut self) {
        for link in &mut self.links {
            if let Some(s) = link.settings.as_mut() {
                s.release();
            }
        }
    }
}

/// Tells the engine what the parent is now.
fn set_info(engine: &mut HostEngine, now: Instant, link: &Link) {
    if let Err(e) = engine.set_parent_info(now, link.id, link.driver.parent_info()) {
        log::warn!(target: "carpd", "{}: {e}", link.name);
    }
}

/// The host forwards IPv6 on `ifname` (`net.ipv6.conf.<if>.forwarding`):
/// its NAs carry the router flag (RFC 4861 4.4), as the kernel's do.
pub fn forwarding(ifname: &str) -> bool {
    let path = Path::new("/proc/sys/net/ipv6/conf")
        .join(ifname)
        .join("forwarding");
    std::fs::read_to_string(path).is_ok_and(|v| v.trim() != "0")
}

/// Parses the `--srcip` values: `IP` for `first`, or `IF=IP`.
///
/// # Errors
/// A value that is neither.
pub fn parse_sources(
    values: &[String],
    first: Option<&str>,
) -> Result<Vec<(String, Source)>, String> {
    values
        .iter()
        .map(|v| {
            let (name, addr) = match v.split_once('=') {
                Some((n, a)) => (n.to_owned(), a),
                None => (
                    first
                        .ok_or_else(|| format!("--srcip {v}: no -i to apply it to"))?
                        .to_owned(),
                    v.as_str(),
                ),
            };
            let addr = addr
                .parse()
                .map_err(|_| format!("--srcip {v}: not an IPv4 address"))?;
            Ok((name, Source::Fixed(addr)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_name_their_parent_or_take_the_first() {
        let values = vec!["192.0.2.11".to_owned(), "eth1=0.0.0.0".to_owned()];
        assert_eq!(
            parse_sources(&values, Some("eth0")).unwrap(),
            [
                (
                    "eth0".to_owned(),
                    Source::Fixed(Ipv4Addr::new(192, 0, 2, 11))
                ),
                ("eth1".to_owned(), Source::Fixed(Ipv4Addr::UNSPECIFIED)),
            ]
        );
        assert!(parse_sources(&["eth0=2001:db8::1".into()], None).is_err());
        assert!(parse_sources(&["192.0.2.1".into()], None).is_err());
    }
}
