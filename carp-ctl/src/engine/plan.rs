//! Plan, validate, apply: the engine's state as items, the checks a wanted
//! state must pass whole, and the moves from the running state to it.
//!
//! The wanted state lives in the engine (`Engine::want`) and is edited in
//! place, never moved: with hundreds of vhids it is hundreds of KiB, more
//! than a kernel stack holds.

use carp_core::vhost::MAX_ADDRS;
use carp_core::{ConfigError, Instant, State};
use carp_ifnet::carpif::IfError;
use carp_ifnet::lladdr::{hmac_lladdr, LinkType, MacAddr};
use carp_sysctl::Sysctl;

use super::items::Item;
use super::names::{Entry, Slot};
use super::store::{ParentId, ParentStore, VhidExtra};
use super::{find, find_mut, next_seed, Engine};
use crate::CtlError;

impl<S: ParentStore<N>, const N: usize, const M: usize> Engine<S, N, M> {
    /// Sets the wanted state to the running one: every named interface,
    /// then every vhid configured on a parent without a name.
    pub(crate) fn plan_from_running(&mut self) -> Result<(), CtlError> {
        let Engine {
            names,
            parents,
            want,
            groups,
            want_groups,
            ..
        } = self;
        want.clear();
        *want_groups = *groups;
        let full = || CtlError::TooManyInterfaces { max: M };
        for entry in names.iter() {
            want.push(item_of_entry(parents, entry))
                .map_err(|_| full())?;
        }
        for at in 0..parents.len() {
            let Some(parent) = parents.get(at) else {
                continue;
            };
            for host in parent.cif.vhosts() {
                let vhid = host.vhid().get();
                if names.iter().any(|e| e.is_at(parent.id, vhid)) {
                    continue;
                }
                let extra = parent.extra(vhid);
                let item = Item {
                    name: None,
                    parent: Some(parent.id),
                    config: Some(host.config().clone()),
                    prefix: extra.prefix,
                    up: host.is_admin_up(),
                    force: None,
                    carpdev_named: true,
                    managed: extra.managed,
                    random_mac: false,
                    groups: 0,
                };
                want.push(item).map_err(|_| full())?;
            }
        }
        Ok(())
    }

    /// Gives every wanted vhid on a parent the HMAC term OpenBSD would: its
    /// carp MAC (`lladdr`) only when that is neither its virtual MAC (then
    /// it is no override at all) nor the parent's
    /// ([`hmac_lladdr`](carp_ifnet::lladdr::hmac_lladdr)).
    pub(crate) fn normalize_lladdr(&mut self) {
        let Engine { parents, want, .. } = self;
        for item in want.iter_mut() {
            let (Some(parent), Some(config)) = (item.parent, item.config.as_mut()) else {
                continue;
            };
            let Some(p) = find(parents, parent) else {
                continue;
            };
            let info = p.cif.parent();
            set_lladdr_term(config, info.link, info.hw_addr);
        }
    }

    /// Checks the wanted state whole; nothing changes. `balance` is the
    /// `arpbalance` setting the state will run under.
    ///
    /// Per parent: every parent named exists, at most `N` vhids, each vhid
    /// once, each address on one vhid unless `arpbalance` is on (the BSDs
    /// let several vhids hold an address only to balance it), room for the
    /// bow-outs of the vhids leaving it. Per item: a forced BACKUP or
    /// MASTER can be entered (up, parent link up, an address).
    pub(crate) fn validate(&self, balance: bool) -> Result<(), CtlError> {
        let want = &self.want;
        for (i, item) in want.iter().enumerate() {
            let (Some(parent), Some(config)) = (item.parent, &item.config) else {
                if item.force.is_some() {
                    return Err(ConfigError::NotRunning.into());
                }
                continue;
            };
            let p = self.parent(parent).ok_or(CtlError::UnknownParentId)?;
            if item.force.is_some()
                && !(item.up && p.cif.is_link_up() && !config.addresses().is_empty())
            {
                return Err(ConfigError::NotRunning.into());
            }
            check_peers(config, p.cif.parent())?;
            let vhid = config.vhid.get();
            for other in want.iter().skip(i + 1) {
                if other.parent != Some(parent) {
                    continue;
                }
                let Some(oc) = &other.config else { continue };
                if oc.vhid.get() == vhid {
                    return Err(CtlError::VhidInUse(vhid));
                }
                if !balance {
                    if let Some(addr) = config
                        .addresses()
                        .iter()
                        .find(|a| oc.addresses().contains(a))
                    {
                        return Err(CtlError::AddressInUse { addr: *addr, vhid });
                    }
                }
            }
        }
        for p in self.parents() {
            let count = want
                .iter()
                .filter(|w| w.parent == Some(p.id) && w.config.is_some())
                .count();
            if count > N {
                return Err(CtlError::If(IfError::Full { capacity: N }));
            }
            let leaving = p
                .cif
                .vhosts()
                .filter(|h| !keeps(&self.names, want, p.id, h.vhid().get()))
                .count();
            if leaving > p.cif.leaving_room() {
                return Err(CtlError::If(IfError::OutputPending));
            }
        }
        Ok(())
    }

    /// Moves the running state to the wanted one (validated): removals
    /// first, then changes in place and additions with their admin state,
    /// then the forced states, then the names.
    pub(crate) fn commit(&mut self, now: Instant) -> Result<(), CtlError> {
        let Engine {
            sysctl,
            parents,
            names,
            seed,
            want,
            ..
        } = self;
        remove_gone(now, parents, names, want, sysctl)?;
        // `lladdr random`: drawn now that the request is accepted.
        for item in want.iter_mut().filter(|i| i.random_mac) {
            item.random_mac = false;
            let bytes = next_seed(seed).to_be_bytes();
            let mut mac = [0u8; 6];
            mac.copy_from_slice(bytes.get(2..8).unwrap_or(&[2, 0, 0, 0, 0, 1]));
            // A locally administered unicast address, as OpenBSD's
            // ifconfig makes a random lladdr.
            mac[0] = (mac[0] & !0x01) | 0x02;
            let (Some(config), Some(parent)) = (item.config.as_mut(), item.parent) else {
                if let Some(config) = item.config.as_mut() {
                    config.mac = Some(mac);
                }
                continue;
            };
            config.mac = Some(mac);
            if let Some(p) = find(parents, parent) {
                let info = p.cif.parent();
                set_lladdr_term(config, info.link, info.hw_addr);
            }
        }
        for item in want.iter() {
            place(now, item, parents, sysctl, seed)?;
        }
        for item in want.iter() {
            let (Some(parent), Some(vhid), Some(state)) = (item.parent, item.vhid(), item.force)
            else {
                continue;
            };
            if let Some(p) = find_mut(parents, parent) {
                if p.cif.vhost(vhid).map(|h| h.state()) != Some(state) {
                    p.cif
                        .force_state(now, vhid, state, sysctl)
                        .map_err(CtlError::If)?;
                }
            }
        }
        names.clear();
        for item in want.iter() {
            let Some(name) = item.name else { continue };
            let slot = match (&item.config, item.parent) {
                (None, _) => Slot::Unset,
                (Some(config), Some(parent)) => Slot::Attached {
                    parent,
                    vhid: config.vhid,
                },
                (Some(config), None) => Slot::Detached {
                    config: config.clone(),
                    prefix: item.prefix,
                },
            };
            let entry = Entry {
                name,
                slot,
                up: item.up,
                carpdev_named: item.carpdev_named,
                managed: item.managed,
                groups: item.groups,
            };
            names
                .push(entry)
                .map_err(|_| CtlError::TooManyInterfaces { max: M })?;
        }
        self.commit_groups(now);
        Ok(())
    }
}

/// The OpenBSD HMAC lladdr term of `config` on a parent with `link` and
/// MAC `parent_mac`; a carp MAC equal to the virtual MAC is no override.
fn set_lladdr_term(config: &mut carp_core::VhostConfig, link: LinkType, parent_mac: MacAddr) {
    let vmac = link.virtual_mac(config.vhid.get());
    if config.mac == Some(vmac.0) {
        config.mac = None;
    }
    config.lladdr = config
        .mac
        .and_then(|m| hmac_lladdr(MacAddr(m), vmac, parent_mac));
}

/// The item a name stands for now.
pub(crate) fn item_of_entry<S: ParentStore<N>, const N: usize>(parents: &S, entry: &Entry) -> Item {
    let mut item = Item::named(entry.name);
    item.up = entry.up;
    item.carpdev_named = entry.carpdev_named;
    item.managed = entry.managed;
    item.groups = entry.groups;
    match &entry.slot {
        Slot::Unset => {}
        Slot::Attached { parent, vhid } => {
            item.parent = Some(*parent);
            if let Some(p) = find(parents, *parent) {
                if let Some(h) = p.cif.vhost(vhid.get()) {
                    item.config = Some(h.config().clone());
                    item.up = h.is_admin_up();
                }
                item.prefix = p.extra(vhid.get()).prefix;
            }
        }
        Slot::Detached { config, prefix } => {
            item.config = Some(config.clone());
            item.prefix = *prefix;
        }
    }
    item
}

/// True if the wanted state keeps `vhid` running on `parent` as the same
/// vhost (the same owner, so it is reconfigured in place, not removed).
fn keeps(names: &[Entry], want: &[Item], parent: ParentId, vhid: u8) -> bool {
    let owner = names.iter().find(|e| e.is_at(parent, vhid)).map(|e| e.name);
    want.iter()
        .any(|w| w.running_at() == Some((parent, vhid)) && w.name == owner)
}

/// Removes every running vhid the wanted state does not keep in place (a
/// master bows out).
fn remove_gone<S: ParentStore<N>, const N: usize>(
    now: Instant,
    parents: &mut S,
    names: &[Entry],
    want: &[Item],
    sysctl: &Sysctl,
) -> Result<(), CtlError> {
    for at in 0..parents.len() {
        let Some(p) = parents.get_mut(at) else {
            continue;
        };
        let mut gone: heapless::Vec<u8, 256> = heapless::Vec::new();
        for h in p.cif.vhosts() {
            let vhid = h.vhid().get();
            if !keeps(names, want, p.id, vhid) {
                // At most 255 vhids on a parent: the capacity is 256.
                let _ = gone.push(vhid);
            }
        }
        for vhid in gone {
            p.cif
                .remove_vhost(now, vhid, sysctl)
                .map_err(CtlError::If)?;
            p.set_extra(vhid, VhidExtra::EMPTY);
        }
    }
    Ok(())
}

/// Makes one wanted item run: reconfigured in place when its vhost runs
/// and its configuration differs, added otherwise; its admin state and
/// prefix lengths set.
fn place<S: ParentStore<N>, const N: usize>(
    now: Instant,
    item: &Item,
    parents: &mut S,
    sysctl: &Sysctl,
    seed: &mut (u64, u64),
) -> Result<(), CtlError> {
    let (Some(parent), Some(config)) = (item.parent, &item.config) else {
        return Ok(());
    };
    let vhid = config.vhid.get();
    let p = find_mut(parents, parent).ok_or(CtlError::UnknownParentId)?;
    match p.cif.vhost(vhid).map(|h| h.config()) {
        None => p
            .cif
            .add_vhost(now, config.clone(), next_seed(seed), sysctl)
            .map_err(CtlError::If)?,
        Some(running) if running != config => p
            .cif
            .reconfigure(now, config.clone(), sysctl)
            .map_err(CtlError::If)?,
        Some(_) => {}
    }
    if p.cif.vhost(vhid).map(|h| h.is_admin_up()) != Some(item.up) {
        p.cif
            .set_admin(now, vhid, item.up, sysctl)
            .map_err(CtlError::If)?;
    }
    p.set_extra(
        vhid,
        VhidExtra {
            prefix: item.prefix,
            managed: item.managed,
        },
    );
    Ok(())
}

/// Prefix lengths for `config`'s addresses: as given in `given` (address,
/// length), else as they were in `old` (addresses and lengths), else
/// [`crate::default_prefix_len`].
pub(crate) fn merge_prefix(
    config: &carp_core::VhostConfig,
    given: &[(core::net::IpAddr, Option<u8>)],
    old: Option<(&carp_core::VhostConfig, &[u8; MAX_ADDRS])>,
) -> [u8; MAX_ADDRS] {
    let mut lens = [0u8; MAX_ADDRS];
    for (len, addr) in lens.iter_mut().zip(config.addresses()) {
        let new = given.iter().find(|(a, _)| a == addr).and_then(|(_, l)| *l);
        let kept = old.and_then(|(cfg, old_lens)| {
            cfg.addresses()
                .iter()
                .position(|a| a == addr)
                .and_then(|i| old_lens.get(i).copied())
        });
        *len = new
            .or(kept)
            .unwrap_or_else(|| crate::default_prefix_len(*addr));
    }
    lens
}

/// The state a `state` word or `carpreq` state forces: BACKUP or MASTER.
/// INIT is accepted and ignored, as OpenBSD's and FreeBSD's `SIOCSVH` do
/// (`switch (carpr.carpr_state) { case BACKUP: ... case MASTER: ...
/// default: break; }`): use `down` to stop a vhid.
pub(crate) fn force_of(state: Option<State>) -> Option<State> {
    state.filter(|s| *s != State::Init)
}

/// A unicast peer must be another host: not one of the vhid's virtual
/// addresses, nor the parent's own address.
fn check_peers(
    config: &carp_core::VhostConfig,
    parent: &carp_ifnet::driver::ParentInfo,
) -> Result<(), CtlError> {
    use core::net::IpAddr;
    let peers = [
        config.peers.v4().map(IpAddr::V4),
        config.peers.v6().map(IpAddr::V6),
    ];
    let own = [
        parent.ipv4.map(IpAddr::V4),
        parent.ipv6_link_local.map(IpAddr::V6),
        parent.ipv6.map(IpAddr::V6),
    ];
    for peer in peers.into_iter().flatten() {
        if config.addresses().contains(&peer) || own.contains(&Some(peer)) {
            return Err(CtlError::PeerIsOurs { peer });
        }
    }
    Ok(())
}
