//! [`CarpInterfaces`]: carp interfaces by name (`carp0`, `carp1`...) on one
//! parent, OpenBSD-style: each name owns at most one vhid, and the registry
//! turns `create`/`destroy`, `SIOCSVH`/`SIOCGVH` ([`CarpReq`]), ifconfig
//! words and the status into calls on the parent's
//! [`CarpIf`].
//!
//! # One registry, one parent
//!
//! A registry is made for one parent (`carpdev`), the one whose `CarpIf` is
//! passed to every call. A request naming another `carpdev` is refused with
//! [`CtlError::WrongCarpdev`]; an embedder with several parents keeps one
//! registry per parent. `-carpdev` detaches a name: its vhid leaves the
//! `CarpIf` (a master bows out) and the configuration is kept, in INIT,
//! until `carpdev <parent>` attaches it again (through INIT, as a new vhid).
//!
//! # Transactions
//!
//! Every request is checked whole before anything changes: the words or
//! the [`CarpReq`] fields, the `carpdev`, whether the vhid is free on the
//! parent, whether a forced state can be entered. A refused request leaves
//! the registry and the `CarpIf` (states, deadlines, counters) as they
//! were. An accepted change of skew, base, key or addresses re-keys and
//! re-times the running vhid without a detour through INIT; a change of
//! vhid removes the old vhid (bowing out if master) and adds the new one,
//! which starts in INIT like any new vhid.
//!
//! # Forced states
//!
//! `state backup|master` (or [`CarpReq::state`]) is applied after the
//! configuration when it differs from the vhid's state; it needs the vhid
//! runnable (up, attached, parent link up, at least one address), else the
//! request is refused with `ConfigError::NotRunning`. `state init` is
//! ignored, as OpenBSD's `SIOCSVH` ignores it (a zeroed request says INIT):
//! use `down` to stop a vhid.
//!
//! # Randomness
//!
//! Each new vhid needs a random initial advert counter (its replay
//! protection). The registry draws none: the embedder seeds it with
//! [`CarpInterfaces::set_counter_seed`] from its own entropy, and every new
//! vhid takes the next output of a splitmix64 generator over that seed.
//! Without a seed the counters are predictable (seed 0).
//!
//! # Prefix lengths
//!
//! A [`VhostConfig`] holds bare addresses; the registry keeps the prefix
//! length of each one per name, for [`CarpInterfaces::get`] and the status.
//! An address given without one gets [`default_prefix_len`] (the classful
//! netmask for IPv4, as BSD ifconfig, /64 for IPv6).

use carp_core::vhost::MAX_ADDRS;
use carp_core::{ConfigError, Instant, State, Vhid, VhostConfig};
use carp_sysctl::Sysctl;

use super::ifname::IfName;
use super::request::CarpReq;
use super::status::{IfFlags, Status, StatusHeader};
use super::words::{default_prefix_len, parse_words, CarpdevChange, IfconfigRequest, Lifecycle};
use super::CtlError;
use carp_ifnet::carpif::{CarpIf, IfError};

/// Interface names a registry holds when the capacity is not given.
pub const DEFAULT_INTERFACES: usize = 16;

/// Where a name's vhid lives.
#[derive(Debug, Clone)]
enum Slot {
    /// No vhid yet.
    Unset,
    /// The vhid runs on the parent's `CarpIf`, which holds its config.
    Attached(Vhid),
    /// Detached by `-carpdev`: the configuration waits here, in INIT.
    Detached(VhostConfig),
}

/// One carp interface name.
#[derive(Debug, Clone)]
struct Entry {
    name: IfName,
    slot: Slot,
    /// Prefix length of each address of the config, in its order.
    prefix_lens: [u8; MAX_ADDRS],
    /// `up` (true, the default) or `down`.
    up: bool,
    /// On the parent (true, the default) or detached by `-carpdev`.
    carpdev: bool,
    /// The user named the carpdev: the status shows it, OpenBSD-style.
    carpdev_named: bool,
}

impl Entry {
    fn new(name: IfName) -> Entry {
        Entry {
            name,
            slot: Slot::Unset,
            prefix_lens: [0; MAX_ADDRS],
            up: true,
            carpdev: true,
            carpdev_named: false,
        }
    }
}

/// What one request changes; `None` keeps the current value.
struct Plan {
    config: Option<VhostConfig>,
    prefix_lens: Option<[u8; MAX_ADDRS]>,
    state: Option<State>,
    up: Option<bool>,
    carpdev: Option<bool>,
    carpdev_named: Option<bool>,
}

/// carp interfaces by name (carp0, carp1...) on one parent, OpenBSD-style:
/// each name owns at most one vhid. See the [module docs](self).
///
/// `M` is the capacity in names ([`DEFAULT_INTERFACES`] unless given).
#[derive(Debug, Clone)]
pub struct CarpInterfaces<const M: usize = DEFAULT_INTERFACES> {
    parent: IfName,
    entries: heapless::Vec<Entry, M>,
    seed: u64,
}

impl<const M: usize> CarpInterfaces<M> {
    /// An empty registry for the parent named `parent` (its `carpdev`,
    /// e.g. `em0`), with counter seed 0 until
    /// [`CarpInterfaces::set_counter_seed`].
    pub const fn new(parent: IfName) -> Self {
        CarpInterfaces {
            parent,
            entries: heapless::Vec::new(),
            seed: 0,
        }
    }

    /// Seeds the generator of initial advert counters of new vhids; pass
    /// the embedder's randomness (see the [module docs](self)).
    pub fn set_counter_seed(&mut self, seed: u64) {
        self.seed = seed;
    }

    /// The parent's name.
    pub const fn parent(&self) -> &IfName {
        &self.parent
    }

    /// `ifconfig NAME create`: a new carp interface with no vhid, up and on
    /// the parent.
    ///
    /// # Errors
    /// [`CtlError::BadIfName`] (index 0) for no interface name,
    /// [`CtlError::InterfaceExists`] for a name taken (or the parent's),
    /// [`CtlError::TooManyInterfaces`] when the registry is full.
    pub fn create(&mut self, name: &str) -> Result<(), CtlError> {
        let name = IfName::new(name).ok_or_else(|| CtlError::bad_ifname(0, name))?;
        if name == self.parent || self.entries.iter().any(|e| e.name == name) {
            return Err(CtlError::InterfaceExists(name));
        }
        self.entries
            .push(Entry::new(name))
            .map_err(|_| CtlError::TooManyInterfaces { max: M })
    }

    /// `ifconfig NAME destroy`: the name goes, and its vhid leaves the
    /// parent (a master bows out first).
    ///
    /// # Errors
    /// [`CtlError::BadIfName`] or [`CtlError::NoSuchInterface`].
    pub fn destroy<const N: usize>(
        &mut self,
        name: &str,
        carpif: &mut CarpIf<N>,
        now: Instant,
        sysctl: &Sysctl,
    ) -> Result<(), CtlError> {
        let at = self.find(name)?;
        if let Some(Slot::Attached(vhid)) = self.entries.get(at).map(|e| &e.slot) {
            match carpif.remove_vhost(now, vhid.get(), sysctl) {
                // Removed behind our back: the name goes all the same.
                Ok(()) | Err(IfError::NoSuchVhid(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.entries.remove(at);
        Ok(())
    }

    /// `SIOCSVH`: sets the whole configuration of `name`'s vhid from a
    /// request, or changes nothing.
    ///
    /// Without a vhid yet the request's vhid is added to the parent; with
    /// the same vhid it is reconfigured in place; with another vhid the old
    /// one is removed and the new one added. An empty `carpdev` keeps the
    /// attachment as it is; a named one must be the parent (and attaches a
    /// detached name). The request's state is forced as the
    /// [module docs](self) say; its `demote` is ignored.
    ///
    /// # Errors
    /// The request's own errors ([`CarpReq::to_config`], [`CarpReq::state`],
    /// [`CarpReq::carpdev`]), [`CtlError::NoSuchInterface`],
    /// [`CtlError::WrongCarpdev`], [`CtlError::VhidInUse`],
    /// [`CtlError::Config`] with `NotRunning` for a state that cannot be
    /// entered, [`CtlError::If`] when the parent is full.
    pub fn set<const N: usize>(
        &mut self,
        name: &str,
        req: &CarpReq,
        carpif: &mut CarpIf<N>,
        now: Instant,
        sysctl: &Sysctl,
    ) -> Result<(), CtlError> {
        let at = self.find(name)?;
        let config = req.to_config()?;
        let state = req.state()?;
        let carpdev = match req.carpdev()? {
            Some(dev) => Some(self.check_carpdev(dev)?),
            None => None,
        };
        let mut prefix_lens = [0u8; MAX_ADDRS];
        for (len, (_, given)) in prefix_lens.iter_mut().zip(req.addresses()?) {
            *len = given;
        }
        let plan = Plan {
            config: Some(config),
            prefix_lens: Some(prefix_lens),
            state: Some(state),
            up: None,
            carpdev,
            carpdev_named: carpdev,
        };
        self.commit(at, plan, carpif, now, sysctl)
    }

    /// `SIOCGVH`: the request describing `name`'s vhid, with its state, the
    /// parent as `carpdev` (none when detached) and the prefix lengths it
    /// was given. `demote` is 0: the host's demotion is the
    /// [`Sysctl`]'s to report.
    ///
    /// # Errors
    /// [`CtlError::NoSuchInterface`], [`CtlError::NoVhid`], or
    /// [`CtlError::If`] when the vhid was removed from the parent behind
    /// the registry's back.
    pub fn get<const N: usize>(&self, name: &str, carpif: &CarpIf<N>) -> Result<CarpReq, CtlError> {
        let entry = self.entry(name)?;
        let (config, state, carpdev) = match &entry.slot {
            Slot::Unset => return Err(CtlError::NoVhid(entry.name)),
            Slot::Attached(vhid) => {
                let host = carpif
                    .vhost(vhid.get())
                    .ok_or(CtlError::If(IfError::NoSuchVhid(vhid.get())))?;
                (host.config(), host.state(), Some(&self.parent))
            }
            Slot::Detached(config) => (config, State::Init, None),
        };
        let mut req = CarpReq::from_config(config, state, carpdev);
        for (slot, len) in entry
            .prefix_lens
            .iter()
            .enumerate()
            .take(config.addresses().len())
        {
            req.set_prefix_len(slot, *len)?;
        }
        Ok(req)
    }

    /// `ifconfig NAME WORDS`: parses the words and applies them to `name`,
    /// or changes nothing.
    ///
    /// Settings apply to the current configuration (a vhid's defaults when
    /// the name has none yet); `state`, `up`/`down`, `carpdev`/`-carpdev`
    /// are honoured; `create` first creates the name (undone if the rest
    /// is refused); `destroy` destroys it, whatever else the line says (as
    /// ifconfig would, one word after another). Broadcast addresses are
    /// accepted and not kept.
    ///
    /// # Errors
    /// The parser's ([`parse_words`]), [`IfconfigRequest::apply`]'s,
    /// [`CtlError::MissingVhid`] for settings on a name without a vhid,
    /// and those of [`CarpInterfaces::create`], [`CarpInterfaces::set`].
    pub fn ifconfig<const N: usize>(
        &mut self,
        name: &str,
        words: &str,
        carpif: &mut CarpIf<N>,
        now: Instant,
        sysctl: &Sysctl,
    ) -> Result<(), CtlError> {
        self.configure(name, &parse_words(words)?, carpif, now, sysctl)
    }

    /// Applies parsed ifconfig words (an [`IfconfigRequest`], e.g. from a
    /// configuration line, see [`super::parse_line`]) to `name`, exactly as
    /// [`CarpInterfaces::ifconfig`] does.
    ///
    /// # Errors
    /// As [`CarpInterfaces::ifconfig`], less the parser's.
    pub fn configure<const N: usize>(
        &mut self,
        name: &str,
        req: &IfconfigRequest,
        carpif: &mut CarpIf<N>,
        now: Instant,
        sysctl: &Sysctl,
    ) -> Result<(), CtlError> {
        match req.lifecycle {
            Some(Lifecycle::Destroy) => self.destroy(name, carpif, now, sysctl),
            Some(Lifecycle::Create) => {
                self.create(name)?;
                let at = self.entries.len().saturating_sub(1);
                let result = self.apply_request(at, req, carpif, now, sysctl);
                if result.is_err() {
                    self.entries.pop();
                }
                result
            }
            None => {
                let at = self.find(name)?;
                self.apply_request(at, req, carpif, now, sysctl)
            }
        }
    }

    /// Writes `ifconfig NAME` in BSD shape (see [`Status`]): `UP` when
    /// administratively up, `RUNNING` when the vhid is out of INIT, the
    /// parent's MTU, the `carp:` line (with `carpdev` when the user named
    /// it) and the addresses with their prefix lengths. A name without a
    /// vhid shows the first line only.
    ///
    /// # Errors
    /// [`CtlError::NoSuchInterface`], or [`CtlError::If`] when the vhid was
    /// removed from the parent behind the registry's back. A failing `out`
    /// ends the output early and is not an error of the request.
    pub fn status<const N: usize, W: core::fmt::Write>(
        &self,
        name: &str,
        carpif: &CarpIf<N>,
        out: &mut W,
    ) -> Result<(), CtlError> {
        let entry = self.entry(name)?;
        let mtu = u32::try_from(carpif.parent().mtu).unwrap_or(u32::MAX);
        let (config, state, up) = match &entry.slot {
            Slot::Unset => {
                let flags = if entry.up {
                    IfFlags::UP
                } else {
                    IfFlags::empty()
                };
                let header = StatusHeader {
                    ifname: entry.name.as_str(),
                    flags,
                    mtu,
                };
                let _ = write!(out, "{header}");
                return Ok(());
            }
            Slot::Attached(vhid) => {
                let host = carpif
                    .vhost(vhid.get())
                    .ok_or(CtlError::If(IfError::NoSuchVhid(vhid.get())))?;
                (host.config(), host.state(), host.is_admin_up())
            }
            Slot::Detached(config) => (config, State::Init, entry.up),
        };
        let mut flags = IfFlags::empty();
        flags.set(IfFlags::UP, up);
        flags.set(IfFlags::RUNNING, state != State::Init);
        let status = Status {
            ifname: entry.name.as_str(),
            flags,
            mtu,
            state,
            config,
            prefix_lens: entry
                .prefix_lens
                .get(..config.addresses().len())
                .unwrap_or(&[]),
            carpdev: (entry.carpdev_named && entry.carpdev).then_some(self.parent.as_str()),
        };
        let _ = status.write_to(out);
        Ok(())
    }

    /// The names, in the order they were created.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.name.as_str())
    }

    /// The vhid `name` owns, if it has one (attached or detached).
    ///
    /// # Errors
    /// [`CtlError::BadIfName`] or [`CtlError::NoSuchInterface`].
    pub fn vhid(&self, name: &str) -> Result<Option<Vhid>, CtlError> {
        Ok(match &self.entry(name)?.slot {
            Slot::Unset => None,
            Slot::Attached(vhid) => Some(*vhid),
            Slot::Detached(config) => Some(config.vhid),
        })
    }

    // ===== internals =====

    fn find(&self, name: &str) -> Result<usize, CtlError> {
        let name = IfName::new(name).ok_or_else(|| CtlError::bad_ifname(0, name))?;
        self.entries
            .iter()
            .position(|e| e.name == name)
            .ok_or(CtlError::NoSuchInterface(name))
    }

    fn entry(&self, name: &str) -> Result<&Entry, CtlError> {
        let name = IfName::new(name).ok_or_else(|| CtlError::bad_ifname(0, name))?;
        self.entries
            .iter()
            .find(|e| e.name == name)
            .ok_or(CtlError::NoSuchInterface(name))
    }

    fn check_carpdev(&self, dev: IfName) -> Result<bool, CtlError> {
        if dev == self.parent {
            Ok(true)
        } else {
            Err(CtlError::WrongCarpdev {
                got: dev,
                parent: self.parent,
            })
        }
    }

    /// The next initial advert counter: one splitmix64 step.
    fn next_seed(&mut self) -> u64 {
        self.seed = self.seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// The current configuration of entry `at`, if it has a vhid.
    fn current_config<'a, const N: usize>(
        &'a self,
        at: usize,
        carpif: &'a CarpIf<N>,
    ) -> Result<Option<&'a VhostConfig>, CtlError> {
        match self.entries.get(at).map(|e| &e.slot) {
            Some(Slot::Attached(vhid)) => carpif
                .vhost(vhid.get())
                .map(|h| Some(h.config()))
                .ok_or(CtlError::If(IfError::NoSuchVhid(vhid.get()))),
            Some(Slot::Detached(config)) => Ok(Some(config)),
            _ => Ok(None),
        }
    }

    /// Turns parsed words into a plan for entry `at` and commits it.
    fn apply_request<const N: usize>(
        &mut self,
        at: usize,
        req: &IfconfigRequest,
        carpif: &mut CarpIf<N>,
        now: Instant,
        sysctl: &Sysctl,
    ) -> Result<(), CtlError> {
        let carpdev = match &req.carpdev {
            Some(CarpdevChange::Set(dev)) => Some(self.check_carpdev(*dev)?),
            Some(CarpdevChange::Remove) => Some(false),
            None => None,
        };
        let touches_config = req.vhid.is_some()
            || req.advbase.is_some()
            || req.advskew.is_some()
            || req.pass.is_some()
            || req.state.is_some()
            || req.alias.is_some()
            || !req.addresses.is_empty();
        let (config, prefix_lens) = if touches_config {
            let current = self.current_config(at, carpif)?;
            let config = match current {
                Some(base) => req.apply(base)?,
                None => req.apply(&VhostConfig::new(req.vhid.ok_or(CtlError::MissingVhid)?))?,
            };
            let old_lens = self.entries.get(at).map(|e| &e.prefix_lens);
            let lens = merge_prefix_lens(&config, req, current.zip(old_lens));
            (Some(config), Some(lens))
        } else {
            (None, None)
        };
        let plan = Plan {
            config,
            prefix_lens,
            state: req.state,
            up: req.up,
            carpdev,
            carpdev_named: carpdev,
        };
        self.commit(at, plan, carpif, now, sysctl)
    }

    /// Checks a plan whole, then applies it to entry `at` and the parent.
    fn commit<const N: usize>(
        &mut self,
        at: usize,
        plan: Plan,
        carpif: &mut CarpIf<N>,
        now: Instant,
        sysctl: &Sysctl,
    ) -> Result<(), CtlError> {
        let Some(entry) = self.entries.get(at) else {
            return Err(CtlError::NoSuchInterface(self.parent));
        };
        let up = plan.up.unwrap_or(entry.up);
        let attach = plan.carpdev.unwrap_or(entry.carpdev);
        let attached = match &entry.slot {
            Slot::Attached(vhid) => Some(*vhid),
            _ => None,
        };
        let target = match plan.config {
            Some(config) => Some(config),
            None => self.current_config(at, carpif)?.cloned(),
        };
        // A forced BACKUP or MASTER needs a runnable vhid; INIT is ignored.
        let force = plan.state.filter(|s| *s != State::Init);
        if force.is_some() {
            let runnable = attach
                && up
                && carpif.is_link_up()
                && target.as_ref().is_some_and(|c| !c.addresses().is_empty());
            if !runnable {
                return Err(CtlError::Config(ConfigError::NotRunning));
            }
        }
        if let Some(config) = target.as_ref().filter(|_| attach) {
            let vhid = config.vhid;
            if attached != Some(vhid) && carpif.vhost(vhid.get()).is_some() {
                return Err(CtlError::VhidInUse(vhid.get()));
            }
            if attached.is_none() && carpif.vhosts().count() >= N {
                return Err(CtlError::If(IfError::Full { capacity: N }));
            }
        }

        // Everything checked: apply.
        let slot = match (target, attached, attach) {
            (None, _, _) => Slot::Unset,
            (Some(config), Some(old), true) if old == config.vhid => {
                let vhid = old.get();
                if carpif.vhost(vhid).map(|h| h.config()) != Some(&config) {
                    carpif.reconfigure(now, config, sysctl)?;
                }
                if carpif.vhost(vhid).map(|h| h.is_admin_up()) != Some(up) {
                    carpif.set_admin(now, vhid, up, sysctl)?;
                }
                Slot::Attached(old)
            }
            (Some(config), old, true) => {
                if let Some(old) = old {
                    carpif.remove_vhost(now, old.get(), sysctl)?;
                }
                let vhid = config.vhid;
                let seed = self.next_seed();
                carpif.add_vhost(now, config, seed, sysctl)?;
                if !up {
                    carpif.set_admin(now, vhid.get(), false, sysctl)?;
                }
                Slot::Attached(vhid)
            }
            (Some(config), old, false) => {
                if let Some(old) = old {
                    carpif.remove_vhost(now, old.get(), sysctl)?;
                }
                Slot::Detached(config)
            }
        };
        if let (Some(state), Slot::Attached(vhid)) = (force, &slot) {
            if carpif.vhost(vhid.get()).map(|h| h.state()) != Some(state) {
                carpif.force_state(now, vhid.get(), state, sysctl)?;
            }
        }
        if let Some(entry) = self.entries.get_mut(at) {
            entry.slot = slot;
            entry.up = up;
            entry.carpdev = attach;
            if let Some(lens) = plan.prefix_lens {
                entry.prefix_lens = lens;
            }
            if let Some(named) = plan.carpdev_named {
                entry.carpdev_named = named;
            }
        }
        Ok(())
    }
}

/// The prefix length of each address of `config`: as the request gave it,
/// else as it was, else [`default_prefix_len`].
fn merge_prefix_lens(
    config: &VhostConfig,
    req: &IfconfigRequest,
    old: Option<(&VhostConfig, &[u8; MAX_ADDRS])>,
) -> [u8; MAX_ADDRS] {
    let mut lens = [0u8; MAX_ADDRS];
    for (len, addr) in lens.iter_mut().zip(config.addresses()) {
        let given = req
            .addresses
            .iter()
            .find(|spec| spec.addr == *addr)
            .and_then(|spec| spec.prefix_len);
        let kept = old.and_then(|(cfg, old_lens)| {
            cfg.addresses()
                .iter()
                .position(|a| a == addr)
                .and_then(|i| old_lens.get(i).copied())
        });
        *len = given.or(kept).unwrap_or_else(|| default_prefix_len(*addr));
    }
    lens
}

#[cfg(test)]
mod tests;
