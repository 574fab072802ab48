//! Requests into wanted states: what ifconfig words or a `carpreq` ask of
//! one carp interface or vhid, edited into the engine's wanted items.
//!
//! Two ways to name what a request is about, as the BSDs have them:
//!
//! * a carp interface (OpenBSD `ifconfig carp0 vhid 1 carpdev em0 ...`):
//!   it must exist (`create` makes it), owns at most one vhid, and runs on
//!   its `carpdev`; without one it takes the only parent, or the parent
//!   with an address in the virtual address's subnet (BSD `carp_set_addr`);
//! * a parent (FreeBSD `ifconfig em0 vhid 1 advskew 100 pass x alias
//!   192.0.2.1/32`): the vhid named on it, created by its first request;
//!   removing its last address (`-alias`) removes it, as FreeBSD's
//!   `carp_detach` does when `sc_naddrs` and `sc_naddrs6` reach 0.

use core::net::IpAddr;

use carp_core::vhost::MAX_ADDRS;
use carp_core::{Vhid, VhostConfig};

use super::items::Item;
use super::plan::{force_of, merge_prefix};
use super::store::{ParentId, ParentStore};
use super::Engine;
use crate::{
    AliasOp, CarpReq, CarpdevChange, CtlError, IfName, IfconfigRequest, Lifecycle, Lladdr,
};

/// What a request names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// A carp interface (existing or to be created).
    Name(IfName),
    /// A parent interface (FreeBSD: vhids configured on it).
    Parent(ParentId, IfName),
}

impl<S: ParentStore<N>, const N: usize, const M: usize> Engine<S, N, M> {
    /// What `name` is: a parent's name, or a carp interface's.
    pub(crate) fn target(&self, name: &str) -> Result<Target, CtlError> {
        let ifname = IfName::new(name).ok_or_else(|| CtlError::bad_ifname(0, name))?;
        Ok(match self.parent_id(name) {
            Some(id) => Target::Parent(id, ifname),
            None => Target::Name(ifname),
        })
    }

    /// Edits the wanted state as `ifconfig TARGET WORDS` asks; returns the
    /// index of the item it touched, if one remains.
    pub(crate) fn resolve_words(
        &mut self,
        target: Target,
        req: &IfconfigRequest,
    ) -> Result<Option<usize>, CtlError> {
        match target {
            Target::Name(name) => self.resolve_named(name, req),
            Target::Parent(id, name) => self.resolve_on_parent(id, name, req),
        }
    }

    fn resolve_named(
        &mut self,
        name: IfName,
        req: &IfconfigRequest,
    ) -> Result<Option<usize>, CtlError> {
        let found = self.want.iter().position(|w| w.name == Some(name));
        let at = match (req.lifecycle, found) {
            (Some(Lifecycle::Destroy), Some(at)) => {
                self.want.remove(at);
                return Ok(None);
            }
            (Some(Lifecycle::Destroy), None) | (None, None) => {
                return Err(CtlError::NoSuchInterface(name))
            }
            (Some(Lifecycle::Create), Some(_)) => return Err(CtlError::InterfaceExists(name)),
            (Some(Lifecycle::Create), None) => {
                self.want
                    .push(Item::named(name))
                    .map_err(|_| CtlError::TooManyInterfaces { max: M })?;
                self.want.len() - 1
            }
            (None, Some(at)) => at,
        };
        let mut item = self
            .want
            .get(at)
            .cloned()
            .ok_or(CtlError::NoSuchInterface(name))?;
        match &req.carpdev {
            Some(CarpdevChange::Set(dev)) => {
                item.parent = Some(
                    self.parent_id(dev.as_str())
                        .ok_or(CtlError::NoSuchParent(*dev))?,
                );
                item.carpdev_named = true;
            }
            Some(CarpdevChange::Remove) => {
                item.parent = None;
                item.carpdev_named = false;
            }
            None => {}
        }
        if touches_config(req) {
            let base = match (&item.config, req.vhid) {
                (Some(c), _) => c.clone(),
                (None, Some(vhid)) => VhostConfig::new(vhid),
                (None, None) => return Err(CtlError::MissingVhid),
            };
            let mut config = req.apply(&base)?;
            apply_lladdr(req, &mut config, &mut item);
            item.prefix = merge_prefix(
                &config,
                &given_prefixes(req),
                item.config.as_ref().zip(Some(&item.prefix)),
            );
            item.config = Some(config);
            // BSD carp_set_addr attaches an interface without a carpdev to
            // a parent when an address is set; -carpdev leaves it detached.
            let detaching = matches!(req.carpdev, Some(CarpdevChange::Remove));
            if item.parent.is_none() && !detaching && adds_addresses(req) {
                item.parent = Some(self.choose_parent(name, &item)?);
            }
        }
        if let Some(up) = req.up {
            item.up = up;
        }
        item.force = force_of(req.state);
        item.groups = self.plan_groups(name, item.groups, &req.groups)?;
        if let Some(slot) = self.want.get_mut(at) {
            *slot = item;
        }
        Ok(Some(at))
    }

    fn resolve_on_parent(
        &mut self,
        id: ParentId,
        name: IfName,
        req: &IfconfigRequest,
    ) -> Result<Option<usize>, CtlError> {
        if req.lifecycle.is_some() || req.carpdev.is_some() {
            return Err(CtlError::NotACarpInterface(name));
        }
        if !req.groups.is_empty() {
            return Err(CtlError::GroupOnParent(name));
        }
        let vhid = match req.vhid {
            Some(v) => v,
            None => self.vhid_holding(id, req).ok_or(CtlError::MissingVhid)?,
        };
        let found = self
            .want
            .iter()
            .position(|w| w.running_at() == Some((id, vhid.get())));
        let (base, old) = match found.and_then(|at| self.want.get(at)) {
            Some(item) => (
                item.config
                    .clone()
                    .unwrap_or_else(|| VhostConfig::new(vhid)),
                item.config.clone().map(|c| (c, item.prefix)),
            ),
            None => (VhostConfig::new(vhid), None),
        };
        let mut config = req.apply(&base)?;
        let mut random = false;
        match req.lladdr {
            Some(Lladdr::Mac(m)) => config.mac = Some(m.0),
            Some(Lladdr::Random) => random = true,
            None => {}
        }
        let prefix = merge_prefix(
            &config,
            &given_prefixes(req),
            old.as_ref().map(|(c, p)| (c, p)),
        );
        let emptied = req.alias == Some(AliasOp::Remove) && config.addresses().is_empty();
        match found {
            Some(at) => {
                let unnamed = self.want.get(at).is_some_and(|w| w.name.is_none());
                if emptied && unnamed {
                    self.want.remove(at);
                    return Ok(None);
                }
                if let Some(item) = self.want.get_mut(at) {
                    item.config = Some(config);
                    item.prefix = prefix;
                    item.random_mac |= random;
                    if let Some(up) = req.up {
                        item.up = up;
                    }
                    item.force = force_of(req.state);
                }
                Ok(Some(at))
            }
            None => {
                if emptied {
                    return Err(CtlError::NoVhid(name));
                }
                let item = Item {
                    name: None,
                    parent: Some(id),
                    config: Some(config),
                    prefix,
                    up: req.up.unwrap_or(true),
                    force: force_of(req.state),
                    carpdev_named: true,
                    managed: false,
                    random_mac: random,
                    groups: 0,
                };
                self.want
                    .push(item)
                    .map_err(|_| CtlError::TooManyInterfaces { max: M })?;
                Ok(Some(self.want.len() - 1))
            }
        }
    }

    /// FreeBSD `ifconfig em0 inet ADDR -alias` names no vhid: the vhid on
    /// the parent that holds the first address given.
    fn vhid_holding(&self, id: ParentId, req: &IfconfigRequest) -> Option<Vhid> {
        let addr = req.addresses.first()?.addr;
        self.want
            .iter()
            .filter(|w| w.parent == Some(id))
            .filter_map(|w| w.config.as_ref())
            .find(|c| c.addresses().contains(&addr))
            .map(|c| c.vhid)
    }

    /// The parent an interface without a `carpdev` runs on: the only one,
    /// or the one whose own IPv4 address is in the subnet of a virtual
    /// IPv4 address (with its prefix length), as BSD `carp_set_addr` looks
    /// for the interface with an address in that subnet.
    fn choose_parent(&self, name: IfName, item: &Item) -> Result<ParentId, CtlError> {
        let mut only = None;
        let mut count = 0;
        for p in self.parents() {
            count += 1;
            only = Some(p.id);
        }
        if count == 1 {
            return only.ok_or(CtlError::NeedCarpdev(name));
        }
        let Some(config) = &item.config else {
            return Err(CtlError::NeedCarpdev(name));
        };
        let mut pick = None;
        for p in self.parents() {
            let Some(own) = p.cif.parent().ipv4 else {
                continue;
            };
            let in_subnet =
                config
                    .addresses()
                    .iter()
                    .zip(item.prefix)
                    .any(|(addr, len)| match addr {
                        IpAddr::V4(a) => same_subnet(u32::from(*a), u32::from(own), len),
                        IpAddr::V6(_) => false,
                    });
            if in_subnet {
                if pick.is_some() {
                    return Err(CtlError::NeedCarpdev(name));
                }
                pick = Some(p.id);
            }
        }
        pick.ok_or(CtlError::NeedCarpdev(name))
    }

    /// Edits the wanted state as a `carpreq` set (`SIOCSVH`) asks: the
    /// whole configuration of the interface's vhid (or, on a parent, of the
    /// request's vhid), its prefix lengths, `carpdev` (empty: unchanged)
    /// and state (INIT ignored).
    pub(crate) fn resolve_carpreq(
        &mut self,
        target: Target,
        req: &CarpReq,
    ) -> Result<(), CtlError> {
        let config = req.to_config()?;
        let state = force_of(Some(req.state()?));
        let carpdev = req.carpdev()?;
        let mut prefix = [0u8; MAX_ADDRS];
        for (len, (_, given)) in prefix.iter_mut().zip(req.addresses()?) {
            *len = given;
        }
        match target {
            Target::Name(name) => {
                let at = self
                    .want
                    .iter()
                    .position(|w| w.name == Some(name))
                    .ok_or(CtlError::NoSuchInterface(name))?;
                let mut item = self
                    .want
                    .get(at)
                    .cloned()
                    .ok_or(CtlError::NoSuchInterface(name))?;
                if let Some(dev) = carpdev {
                    let id = self
                        .parent_id(dev.as_str())
                        .ok_or(CtlError::NoSuchParent(dev))?;
                    // SIOCGVH fills carpdev in: setting back what get read
                    // changes nothing, not even the status's carpdev.
                    if item.parent != Some(id) {
                        item.parent = Some(id);
                        item.carpdev_named = true;
                    }
                }
                // An interface's first vhid attaches it (BSD carp_set_ifp);
                // a detached one (-carpdev) stays detached until named.
                let first = item.config.is_none();
                item.config = Some(config);
                item.prefix = prefix;
                item.force = state;
                if item.parent.is_none() && first {
                    item.parent = Some(self.choose_parent(name, &item)?);
                }
                if let Some(slot) = self.want.get_mut(at) {
                    *slot = item;
                }
            }
            Target::Parent(id, name) => {
                if let Some(dev) = carpdev.filter(|d| *d != name) {
                    return Err(CtlError::WrongCarpdev {
                        got: dev,
                        parent: name,
                    });
                }
                let vhid = config.vhid.get();
                let found = self
                    .want
                    .iter_mut()
                    .find(|w| w.running_at() == Some((id, vhid)));
                match found {
                    Some(item) => {
                        item.config = Some(config);
                        item.prefix = prefix;
                        item.force = state;
                    }
                    None => {
                        let item = Item {
                            name: None,
                            parent: Some(id),
                            config: Some(config),
                            prefix,
                            up: true,
                            force: state,
                            carpdev_named: true,
                            managed: false,
                            random_mac: false,
                            groups: 0,
                        };
                        self.want
                            .push(item)
                            .map_err(|_| CtlError::TooManyInterfaces { max: M })?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// `lladdr MAC` sets the carp interface's MAC; `lladdr random` asks the
/// engine to draw one when it applies (see `Engine::commit`).
fn apply_lladdr(req: &IfconfigRequest, config: &mut VhostConfig, item: &mut Item) {
    match req.lladdr {
        Some(Lladdr::Mac(m)) => {
            config.mac = Some(m.0);
            item.random_mac = false;
        }
        Some(Lladdr::Random) => item.random_mac = true,
        None => {}
    }
}

/// True if the request says anything about the vhid's configuration.
fn touches_config(req: &IfconfigRequest) -> bool {
    req.lladdr.is_some()
        || req.vhid.is_some()
        || req.advbase.is_some()
        || req.advskew.is_some()
        || req.pass.is_some()
        || req.version.is_some()
        || req.vrrp_priority.is_some()
        || req.vrrp_interval.is_some()
        || req.vrrp_accept.is_some()
        || req.peer.is_some()
        || req.peer6.is_some()
        || req.alias.is_some()
        || !req.addresses.is_empty()
}

/// True if the request sets addresses (not `-alias`).
fn adds_addresses(req: &IfconfigRequest) -> bool {
    !req.addresses.is_empty() && req.alias != Some(AliasOp::Remove)
}

/// The prefix lengths the request gives, by address.
fn given_prefixes(req: &IfconfigRequest) -> heapless::Vec<(IpAddr, Option<u8>), MAX_ADDRS> {
    req.addresses
        .iter()
        .map(|a| (a.addr, a.prefix_len))
        .collect()
}

/// True if `a` and `b` share their first `len` bits.
fn same_subnet(a: u32, b: u32, len: u8) -> bool {
    let mask = u32::MAX
        .checked_shl(32 - u32::from(len.min(32)))
        .unwrap_or(0);
    a & mask == b & mask
}
