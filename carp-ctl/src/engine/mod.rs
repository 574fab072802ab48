//! [`Engine`]: the one control engine every front end drives.
//!
//! A host's carp: its parents ([`Parent`], one [`CarpIf`](carp_ifnet::carpif::CarpIf) each), its carp
//! interfaces by name, and one [`Sysctl`] tree, so demotion and preemption
//! act across parents as in a BSD kernel. Every request, whatever its
//! syntax (ifconfig words, a `carpreq`, a configuration line or file, a
//! sysctl line or MIB write), goes the same way:
//!
//! 1. **plan**: the engine's state is copied as a list of items (every
//!    carp interface and vhid) and the request edits the copy into the
//!    state it wants;
//! 2. **validate**: the wanted state is checked whole (parents exist,
//!    capacities, one vhid per number and parent, one vhid per address
//!    unless `arpbalance`, forced states can be entered, sysctl ranges);
//! 3. **apply**: only then is the running state moved to it, touching only
//!    what differs (an unchanged vhid is not re-timed).
//!
//! A refused request leaves every byte of the engine as it was.
//!
//! The data path does not go through any of this: [`Engine::input`] and
//! [`Engine::poll`] hand the frame or the NIC to the parent's [`CarpIf`](carp_ifnet::carpif::CarpIf).
//! Nothing here allocates (parents live in a [`ParentStore`] the embedder
//! chooses) and nothing panics.
//!
//! # In a kernel
//!
//! [`Engine::new`] is `const`, so a kernel keeps its carp in a `static`
//! behind one lock, taken by the network thread and by configuration
//! calls alike (`docs/embedding.md` has the whole contract):
//!
//! ```
//! use carp_core::Instant;
//! use carp_ctl::{Engine, Parent};
//! use carp_ifnet::driver::{LinkState, ParentInfo};
//! use carp_ifnet::lladdr::MacAddr;
//!
//! type Carp = Engine<heapless::Vec<Parent<16>, 2>, 16, 32>;
//! static CARP: spin::Mutex<Carp> = spin::Mutex::new(Engine::new(heapless::Vec::new()));
//!
//! let mut carp = CARP.lock();
//! carp.set_counter_seed(1_796_000_000 << 32 | 0x1234_5678); // boot time (s), then randomness
//! let em0 = carp.add_parent("em0", ParentInfo::ethernet(MacAddr([2, 0, 0, 0, 0, 1])), LinkState::Up).unwrap();
//! carp.ifconfig(Instant::ZERO, "carp0", "create vhid 1 carpdev em0 pass s3cret 192.0.2.100/24").unwrap();
//! assert!(carp.poll_timeout().is_some());
//! # let _ = em0;
//! ```

mod control;
mod error;
mod file;
mod groups;
mod items;
mod names;
mod plan;
mod resolve;
mod status;
mod store;

use crate::CtlError;
pub use error::FileError;
pub use file::ApplyReport;
pub use groups::GroupMember;
pub use store::{Parent, ParentId, ParentStore};

use carp_core::{Event, Instant, Reject};
use carp_ifnet::carpif::Input;
use carp_ifnet::driver::{Driver, LinkState, ParentInfo};
use carp_sysctl::{Knob, Sysctl};

use items::Items;
use names::{Entry, Slot};

/// Vhids per parent when the capacity is not given (the no_std default;
/// hosted front ends use [`carp_ifnet::carpif::MAX_VHIDS`], 255).
pub use carp_ifnet::carpif::DEFAULT_VHIDS;
/// Carp interfaces and vhids an engine describes when the capacity is not
/// given; hosted front ends use [`HOSTED_ITEMS`].
pub const DEFAULT_ITEMS: usize = 32;
/// Carp interfaces and vhids a hosted engine describes: four parents full
/// of vhids.
pub const HOSTED_ITEMS: usize = 1024;

/// The host's carp. See the [module docs](self).
///
/// `S` stores the parents (see [`ParentStore`]), `N` is the capacity of
/// each parent in vhids, `M` the number of carp interfaces and vhids the
/// engine can describe at once (names and vhids configured on parents
/// together). Memory: the parents, plus 1064 + 440 × `M` bytes on 64-bit
/// targets (`docs/embedding.md`).
pub struct Engine<S: ParentStore<N>, const N: usize = DEFAULT_VHIDS, const M: usize = DEFAULT_ITEMS>
{
    sysctl: Sysctl,
    parents: S,
    names: heapless::Vec<Entry, M>,
    next_parent: u16,
    /// The counter generator's state and the seed given (for its epoch).
    seed: (u64, u64),
    /// The wanted state of the request being applied (scratch space, kept
    /// here so no request needs a large stack).
    want: Items<M>,
    file: file::FileKnobs,
    /// The named interface groups (see [`crate::group`]).
    groups: groups::GroupTable,
    /// The group table of the request being applied (scratch, as `want`).
    want_groups: groups::GroupTable,
}

impl<S: ParentStore<N>, const N: usize, const M: usize> Engine<S, N, M> {
    /// An engine without parents or carp interfaces, every knob at its
    /// default, over the (empty) parent store `parents`.
    pub const fn new(parents: S) -> Self {
        Engine {
            sysctl: Sysctl::new(),
            parents,
            names: heapless::Vec::new(),
            next_parent: 0,
            seed: (0, 0),
            want: heapless::Vec::new(),
            file: file::FileKnobs::new(),
            groups: [None; crate::group::MAX_GROUPS],
            want_groups: [None; crate::group::MAX_GROUPS],
        }
    }

    /// Seeds the first advert counter of each new vhid (its replay
    /// protection). The top 32 bits of `seed` are kept in every counter:
    /// put the boot time there in seconds (Unix time, or any count that
    /// moves up between two boots), so that a restarted host's counters
    /// stay above those it sent before (peers enforcing replay protection
    /// would drop its adverts otherwise). The low 32 bits of each counter
    /// are 31 bits of one splitmix64 step over the seed per new vhid, the
    /// top one clear: 2^31 adverts (97 days at the fastest rate, 256 a
    /// second) before a vhid's count reaches the next second's range, so
    /// the counters of a host restarted in a later second are always above
    /// its earlier ones. Pass the host's randomness in the low 32 bits;
    /// without a seed the counters are predictable.
    pub fn set_counter_seed(&mut self, seed: u64) {
        self.seed = (seed, seed);
    }

    /// The host's `net.inet.carp` tree (knobs, demotion, counters).
    pub const fn sysctl(&self) -> &Sysctl {
        &self.sysctl
    }

    // ===== parents =====

    /// Adds a parent interface named `name` (its `carpdev` name), described
    /// by `info`, whose link is `link` now.
    ///
    /// # Errors
    /// [`CtlError::BadIfName`],
    /// [`CtlError::ParentExists`] (also for a carp interface's name),
    /// [`CtlError::TooManyParents`].
    pub fn add_parent(
        &mut self,
        name: &str,
        info: ParentInfo,
        link: LinkState,
    ) -> Result<ParentId, CtlError> {
        let name = ifname(name)?;
        if self.parent_index(&name).is_some() || self.names.iter().any(|e| e.name == name) {
            return Err(CtlError::ParentExists(name));
        }
        let id = ParentId(self.next_parent);
        if self.parents.len() >= self.parents.capacity() {
            return Err(CtlError::TooManyParents {
                max: self.parents.capacity(),
            });
        }
        if !self.parents.push(Parent::new(id, name, info, link)) {
            return Err(CtlError::TooManyParents {
                max: self.parents.capacity(),
            });
        }
        self.next_parent = self.next_parent.wrapping_add(1);
        Ok(id)
    }

    /// Removes a parent (the interface went away). Its vhids stop; a named
    /// carp interface on it keeps its configuration, detached, until
    /// `carpdev` attaches it again (BSD `carpdetach`); vhids configured on
    /// the parent itself go with it. The host demotion its link held is
    /// given back ([`CarpIf::detach`](carp_ifnet::carpif::CarpIf::detach)):
    /// poll the other parents, whose masters owe an advert. Nothing is
    /// sent on the removed parent: the link is gone.
    ///
    /// # Errors
    /// [`CtlError::UnknownParentId`].
    pub fn remove_parent(&mut self, id: ParentId) -> Result<(), CtlError> {
        let at = self.index_of(id)?;
        let Some(mut parent) = self.parents.remove(at) else {
            return Err(no_parent());
        };
        parent.cif.detach(&self.sysctl);
        for entry in self.names.iter_mut() {
            if let Slot::Attached { parent: p, vhid } = entry.slot {
                if p == id {
                    let host = parent.cif.vhost(vhid.get());
                    entry.up = host.is_none_or(|h| h.is_admin_up());
                    entry.slot = match host {
                        Some(h) => Slot::Detached {
                            config: h.config().clone(),
                            prefix: parent.extra(vhid.get()).prefix,
                        },
                        None => Slot::Unset,
                    };
                }
            }
        }
        Ok(())
    }

    /// The parent was renamed (its interface index stays).
    ///
    /// # Errors
    /// [`CtlError::ParentExists`] when the new name is taken, a bad
    /// name, or an unknown id.
    pub fn rename_parent(&mut self, id: ParentId, name: &str) -> Result<(), CtlError> {
        let name = ifname(name)?;
        if self.parents().any(|p| p.name == name && p.id != id)
            || self.names.iter().any(|e| e.name == name)
        {
            return Err(CtlError::ParentExists(name));
        }
        let at = self.index_of(id)?;
        if let Some(p) = self.parents.get_mut(at) {
            p.name = name;
        }
        Ok(())
    }

    /// The parent's link changed (carrier, admin state): see
    /// [`CarpIf::set_link`](carp_ifnet::carpif::CarpIf::set_link). The
    /// host's demotion changes with it, so every parent's masters owe an
    /// advert now (poll them all).
    pub fn set_link(&mut self, now: Instant, id: ParentId, up: bool) {
        let Engine {
            parents, sysctl, ..
        } = self;
        if let Some(p) = find_mut(parents, id) {
            p.cif.set_link(now, up, sysctl);
        }
        self.sync_policy(now);
    }

    /// Lets every parent act on a host-wide policy change (demotion,
    /// preempt) at once: a master whose advert would change owes one now
    /// (see [`CarpIf::sync_policy`](carp_ifnet::carpif::CarpIf::sync_policy)).
    /// Every engine call that can change the policy does this itself.
    pub fn sync_policy(&mut self, now: Instant) {
        let Engine {
            parents, sysctl, ..
        } = self;
        for i in 0..parents.len() {
            if let Some(p) = parents.get_mut(i) {
                p.cif.sync_policy(now, sysctl);
            }
        }
    }

    /// The parent's addresses, MAC, MTU or router flag changed. A new MAC
    /// re-keys the vhids whose HMAC holds an OpenBSD lladdr term (hashed
    /// only when the carp MAC differs from the parent's).
    ///
    /// # Errors
    /// [`CtlError::UnknownParentId`]; or, were the engine's state beyond
    /// its capacity, [`CtlError::TooManyInterfaces`] (nothing changes).
    pub fn set_parent_info(
        &mut self,
        now: Instant,
        id: ParentId,
        info: ParentInfo,
    ) -> Result<(), CtlError> {
        let p = find_mut(&mut self.parents, id).ok_or(CtlError::UnknownParentId)?;
        let mac_changed = p.cif.parent().hw_addr != info.hw_addr;
        p.cif.set_parent(info);
        if mac_changed {
            self.plan_from_running()?;
            self.normalize_lladdr();
            self.commit(now)?;
        }
        Ok(())
    }

    /// A parent.
    pub fn parent(&self, id: ParentId) -> Option<&Parent<N>> {
        self.parents().find(|p| p.id == id)
    }

    /// The parent called `name`.
    pub fn parent_id(&self, name: &str) -> Option<ParentId> {
        let name = crate::IfName::new(name)?;
        self.parents().find(|p| p.name == name).map(|p| p.id)
    }

    /// Every parent, in the order added.
    pub fn parents(&self) -> impl Iterator<Item = &Parent<N>> + '_ {
        (0..self.parents.len()).filter_map(|i| self.parents.get(i))
    }

    // ===== the data path =====

    /// A frame received on parent `id`: see [`CarpIf::input`](carp_ifnet::carpif::CarpIf::input). Frames for
    /// an unknown parent are not carp's.
    ///
    /// # Errors
    /// The input check the frame failed (counted).
    pub fn input(&mut self, now: Instant, id: ParentId, frame: &[u8]) -> Result<Input, Reject> {
        let Engine {
            parents, sysctl, ..
        } = self;
        match find_mut(parents, id) {
            Some(p) => p.cif.input(now, frame, sysctl),
            None => Ok(Input::NotCarp),
        }
    }

    /// Runs parent `id`'s due timers and sends what it owes through `dev`:
    /// see [`CarpIf::poll`](carp_ifnet::carpif::CarpIf::poll). Call it for every parent whose
    /// [`Engine::parent_poll_timeout`] has passed, and after every control
    /// request.
    pub fn poll<D: Driver + ?Sized>(&mut self, now: Instant, id: ParentId, dev: &mut D) {
        let Engine {
            parents, sysctl, ..
        } = self;
        if let Some(p) = find_mut(parents, id) {
            p.cif.poll(now, dev, sysctl);
        }
    }

    /// The earliest instant any parent needs [`Engine::poll`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.parents().filter_map(|p| p.cif.poll_timeout()).min()
    }

    /// When parent `id` needs [`Engine::poll`].
    pub fn parent_poll_timeout(&self, id: ParentId) -> Option<Instant> {
        self.parent(id).and_then(|p| p.cif.poll_timeout())
    }

    /// The next event of any parent's vhosts, with the parent.
    pub fn poll_event(&mut self) -> Option<(ParentId, Event)> {
        for i in 0..self.parents.len() {
            if let Some(p) = self.parents.get_mut(i) {
                if let Some(e) = p.cif.poll_event() {
                    return Some((p.id, e));
                }
            }
        }
        None
    }

    /// The carp interfaces by name, in the order created.
    pub fn names(&self) -> impl Iterator<Item = &crate::IfName> + '_ {
        self.names.iter().map(|e| &e.name)
    }

    /// The carp interface that owns `vhid` on parent `id`, if a named one
    /// does (`None` for a vhid configured on the parent itself).
    pub fn name_of(&self, id: ParentId, vhid: u8) -> Option<&crate::IfName> {
        self.names
            .iter()
            .find(|e| e.is_at(id, vhid))
            .map(|e| &e.name)
    }

    // ===== control: sysctl =====

    /// An interactive sysctl line (`net.inet.carp.preempt=1`, `sysctl -w
    /// ...`), with BSD semantics (a `demotion` write adds), acted on at
    /// once by every parent. Returns the knob written, or `None` for a
    /// blank or comment line.
    ///
    /// # Errors
    /// [`CtlError::Sysctl`]; nothing changes then.
    pub fn sysctl_line(&mut self, now: Instant, line: &str) -> Result<Option<Knob>, CtlError> {
        let knob = self.sysctl.set_line(line)?;
        self.sync_policy(now);
        Ok(knob)
    }

    /// An interactive sysctl write by MIB (`[4, 2, 112, n]` or `[n]`),
    /// acted on at once by every parent.
    ///
    /// # Errors
    /// [`CtlError::Sysctl`]; nothing changes then.
    pub fn sysctl_set_mib(
        &mut self,
        now: Instant,
        mib: &[i32],
        value: i64,
    ) -> Result<(), CtlError> {
        self.sysctl.set_mib(mib, value)?;
        self.sync_policy(now);
        Ok(())
    }

    // ===== internals =====

    fn parent_index(&self, name: &crate::IfName) -> Option<usize> {
        (0..self.parents.len()).find(|i| self.parents.get(*i).is_some_and(|p| p.name == *name))
    }

    fn index_of(&self, id: ParentId) -> Result<usize, CtlError> {
        (0..self.parents.len())
            .find(|i| self.parents.get(*i).is_some_and(|p| p.id == id))
            .ok_or_else(no_parent)
    }
}

/// The next first advert counter: the top 32 bits of the seed the caller
/// gave (its epoch, in `seed.1`), then the top 31 bits of one splitmix64
/// step over the generator state `seed.0`.
pub(crate) fn next_seed(seed: &mut (u64, u64)) -> u64 {
    let epoch = seed.1 & (0xffff_ffff << 32);
    let state = &mut seed.0;
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    epoch | ((z ^ (z >> 31)) >> 33)
}

pub(crate) fn find<S: ParentStore<N>, const N: usize>(
    parents: &S,
    id: ParentId,
) -> Option<&Parent<N>> {
    (0..parents.len())
        .filter_map(|i| parents.get(i))
        .find(|p| p.id == id)
}

/// Everything that is state (the scratch space of the wanted state is
/// not): two engines that print alike behave alike.
impl<S: ParentStore<N>, const N: usize, const M: usize> core::fmt::Debug for Engine<S, N, M> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let parents = DebugWith(|f: &mut core::fmt::Formatter<'_>| {
            f.debug_list()
                .entries((0..self.parents.len()).filter_map(|i| self.parents.get(i)))
                .finish()
        });
        f.debug_struct("Engine")
            .field("sysctl", &self.sysctl)
            .field("parents", &parents)
            .field("names", &self.names)
            .field("next_parent", &self.next_parent)
            .field("seed", &self.seed)
            .field("file", &self.file)
            .field("groups", &self.groups)
            .finish()
    }
}

/// Debug output written by a closure.
pub(crate) struct DebugWith<F>(pub(crate) F);

impl<F: Fn(&mut core::fmt::Formatter<'_>) -> core::fmt::Result> core::fmt::Debug for DebugWith<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        (self.0)(f)
    }
}

pub(crate) fn find_mut<S: ParentStore<N>, const N: usize>(
    parents: &mut S,
    id: ParentId,
) -> Option<&mut Parent<N>> {
    let at = (0..parents.len()).find(|i| parents.get(*i).is_some_and(|p| p.id == id))?;
    parents.get_mut(at)
}

fn ifname(name: &str) -> Result<crate::IfName, CtlError> {
    crate::IfName::new(name).ok_or_else(|| CtlError::bad_ifname(0, name))
}

fn no_parent() -> CtlError {
    CtlError::UnknownParentId
}

#[cfg(test)]
mod tests;
