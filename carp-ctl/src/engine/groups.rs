//! Interface groups in the engine (see [`crate::group`]): which carp
//! interfaces are in which named group, each group's demote counter, and
//! the sum each member advertises.
//!
//! A named group exists while a carp interface is in it, as OpenBSD's
//! interface groups do (`if_delgroup` frees a group with its last member,
//! and its counter with it). The group `carp` is every carp interface and
//! every vhid; its counter is the host's demotion.

use core::fmt::Write;

use carp_core::{DemoteReason, Instant, State};

use super::names::Slot;
use super::store::{ParentId, ParentStore};
use super::{find_mut, Engine};
use crate::group::{GroupName, GroupOp, MAX_CARPDEMOTE_STEP, MAX_GROUPS};
use crate::{CtlError, IfName, Snippet};

/// A set of named groups: bit `i` is slot `i` of the group table.
pub(crate) type GroupMask = u16;

// Every slot of the table has a bit.
const _: () = assert!(MAX_GROUPS <= GroupMask::BITS as usize);

/// One named group: its name and demote counter (OpenBSD's
/// `ifg_carp_demoted`, 0-255).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GroupEntry {
    pub(crate) name: GroupName,
    pub(crate) demote: u8,
}

/// The named groups by slot; a slot keeps its index while its group
/// exists, so the members' bits stay valid.
pub(crate) type GroupTable = [Option<GroupEntry>; MAX_GROUPS];

/// One member of a group, as [`Engine::group_members`] lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupMember {
    /// The carp interface (`None` for a vhid configured on its parent,
    /// which only the group `carp` holds).
    pub carp: Option<IfName>,
    /// The parent it runs on (`None` while detached).
    pub parent: Option<ParentId>,
    /// Its vhid (`None` before one is set).
    pub vhid: Option<u8>,
    /// Its state (INIT while detached, down or without a vhid).
    pub state: State,
}

fn bit(slot: usize) -> GroupMask {
    1u16.checked_shl(u32::try_from(slot).unwrap_or(u32::MAX))
        .unwrap_or(0)
}

impl<S: ParentStore<N>, const N: usize, const M: usize> Engine<S, N, M> {
    // ===== planning (on the wanted state) =====

    /// `group` and `-group` words for carp interface `ifname`, whose groups
    /// are `mask` now: the groups it wants. A group new to the host gets a
    /// slot of the wanted table.
    pub(crate) fn plan_groups(
        &mut self,
        ifname: IfName,
        mut mask: GroupMask,
        ops: &[GroupOp],
    ) -> Result<GroupMask, CtlError> {
        for op in ops {
            match *op {
                // Already in it, as every carp interface is.
                GroupOp::Join(g) if g.is_carp() => {}
                GroupOp::Leave(g) if g.is_carp() => return Err(CtlError::CarpGroupFixed),
                GroupOp::Join(g) => {
                    let slot = match self.want_slot(g) {
                        Some(slot) => slot,
                        None => {
                            let free = self
                                .want_groups
                                .iter()
                                .position(Option::is_none)
                                .ok_or(CtlError::TooManyGroups { max: MAX_GROUPS })?;
                            if let Some(s) = self.want_groups.get_mut(free) {
                                *s = Some(GroupEntry { name: g, demote: 0 });
                            }
                            free
                        }
                    };
                    mask |= bit(slot);
                }
                GroupOp::Leave(g) => {
                    let slot = self
                        .want_slot(g)
                        .filter(|s| mask & bit(*s) != 0)
                        .ok_or(CtlError::NotInGroup { ifname, group: g })?;
                    mask &= !bit(slot);
                }
            }
        }
        Ok(mask)
    }

    fn want_slot(&self, name: GroupName) -> Option<usize> {
        self.want_groups
            .iter()
            .position(|g| g.is_some_and(|g| g.name == name))
    }

    /// After a commit: the wanted table becomes the running one, less the
    /// groups no carp interface is in any more; every member then carries
    /// its groups' demotion.
    pub(crate) fn commit_groups(&mut self, now: Instant) {
        let used = self.names.iter().fold(0, |m, e| m | e.groups);
        self.groups = self.want_groups;
        for (slot, group) in self.groups.iter_mut().enumerate() {
            if used & bit(slot) == 0 {
                *group = None;
            }
        }
        self.sync_group_demote(now);
    }

    /// Gives every attached named vhid the sum of its groups' counters.
    fn sync_group_demote(&mut self, now: Instant) {
        let Engine {
            names,
            parents,
            groups,
            sysctl,
            ..
        } = self;
        for entry in names.iter() {
            let Slot::Attached { parent, vhid } = entry.slot else {
                continue;
            };
            let sum = groups
                .iter()
                .enumerate()
                .filter(|(slot, _)| entry.groups & bit(*slot) != 0)
                .filter_map(|(_, g)| *g)
                .fold(0u8, |acc, g| acc.saturating_add(g.demote));
            if let Some(p) = find_mut(parents, parent) {
                let _ = p.cif.set_group_demote(now, vhid.get(), sum, sysctl);
            }
        }
    }

    // ===== the groups =====

    /// The named groups (every one a carp interface is in) with their
    /// demote counters, in the order they were made.
    pub fn groups(&self) -> impl Iterator<Item = (GroupName, u8)> + '_ {
        self.groups.iter().flatten().map(|g| (g.name, g.demote))
    }

    /// The named groups of carp interface `ifname`.
    pub fn groups_of(&self, ifname: &str) -> impl Iterator<Item = GroupName> + '_ {
        let mask = self
            .names
            .iter()
            .find(|e| e.name.as_str() == ifname)
            .map_or(0, |e| e.groups);
        self.groups
            .iter()
            .enumerate()
            .filter(move |(slot, _)| mask & bit(*slot) != 0)
            .filter_map(|(_, g)| g.map(|g| g.name))
    }

    /// `group`'s demote counter: a named group's own, or for `carp` the
    /// host's demote count.
    ///
    /// # Errors
    /// [`CtlError::BadGroupName`], [`CtlError::NoSuchGroup`].
    pub fn group_demote_count(&self, group: &str) -> Result<u8, CtlError> {
        let name = group_name(group)?;
        if name.is_carp() {
            return Ok(self.sysctl.demotion().effective());
        }
        self.slot_of(name)
            .and_then(|s| self.groups.get(s).copied().flatten())
            .map(|g| g.demote)
            .ok_or(CtlError::NoSuchGroup(name))
    }

    /// The members of `group` (for `carp`, every carp interface and every
    /// vhid on a parent), with their states.
    ///
    /// # Errors
    /// [`CtlError::BadGroupName`], [`CtlError::NoSuchGroup`].
    pub fn group_members(
        &self,
        group: &str,
    ) -> Result<impl Iterator<Item = GroupMember> + '_, CtlError> {
        let name = group_name(group)?;
        let mask = if name.is_carp() {
            None
        } else {
            Some(bit(self
                .slot_of(name)
                .ok_or(CtlError::NoSuchGroup(name))?))
        };
        let named = self
            .names
            .iter()
            .filter(move |e| mask.is_none_or(|m| e.groups & m != 0))
            .map(|e| {
                let (parent, vhid, state) = match &e.slot {
                    Slot::Attached { parent, vhid } => (
                        Some(*parent),
                        Some(vhid.get()),
                        self.parent(*parent)
                            .and_then(|p| p.cif.vhost(vhid.get()))
                            .map_or(State::Init, |h| h.state()),
                    ),
                    Slot::Detached { config, .. } => (None, Some(config.vhid.get()), State::Init),
                    Slot::Unset => (None, None, State::Init),
                };
                GroupMember {
                    carp: Some(e.name),
                    parent,
                    vhid,
                    state,
                }
            });
        let on_parents = self
            .parents()
            .filter(move |_| mask.is_none())
            .flat_map(move |p| {
                p.cif
                    .vhosts()
                    .filter(move |h| !self.names.iter().any(|e| e.is_at(p.id, h.vhid().get())))
                    .map(move |h| GroupMember {
                        carp: None,
                        parent: Some(p.id),
                        vhid: Some(h.vhid().get()),
                        state: h.state(),
                    })
            });
        Ok(named.chain(on_parents))
    }

    /// `ifconfig -g GROUP carpdemote [N]`: adds `delta` to the group's
    /// demote counter, refusing a result outside 0-255 as OpenBSD's
    /// `if_setgroupattribs` does; for `carp`, to the host's demotion (the
    /// administrator's part, as a `net.inet.carp.demotion` write). Every
    /// member's advert changes at once; poll every parent after. Returns
    /// the new count.
    ///
    /// # Errors
    /// [`CtlError::BadGroupName`], [`CtlError::NoSuchGroup`],
    /// [`CtlError::GroupDemoteOutOfRange`]; nothing changes then.
    pub fn group_demote(&mut self, now: Instant, group: &str, delta: i32) -> Result<u8, CtlError> {
        let name = group_name(group)?;
        let count = i64::from(self.group_demote_count(group)?);
        let wanted = count + i64::from(delta);
        if !(0..=255).contains(&wanted) {
            return Err(CtlError::GroupDemoteOutOfRange {
                group: name,
                count,
                delta: i64::from(delta),
            });
        }
        self.group_demote_adj(now, group, delta)
    }

    /// OpenBSD's `carp_group_demote_adj`: adds `delta` to the group's
    /// demote counter, clamped to 0-255 (what a daemon's own demotion
    /// does: a link down, a resync); for `carp`, to the host's demotion
    /// (the administrator's part). Every member's advert changes at once;
    /// poll every parent after. Returns the new count.
    ///
    /// # Errors
    /// [`CtlError::BadGroupName`], [`CtlError::NoSuchGroup`]; nothing
    /// changes then.
    pub fn group_demote_adj(
        &mut self,
        now: Instant,
        group: &str,
        delta: i32,
    ) -> Result<u8, CtlError> {
        let name = group_name(group)?;
        if name.is_carp() {
            self.sysctl.demote(DemoteReason::Global, delta);
            self.sync_policy(now);
            return Ok(self.sysctl.demotion().effective());
        }
        let slot = self.slot_of(name).ok_or(CtlError::NoSuchGroup(name))?;
        let mut count = 0;
        if let Some(Some(g)) = self.groups.get_mut(slot) {
            let wanted = i32::from(g.demote).saturating_add(delta).clamp(0, 255);
            g.demote = u8::try_from(wanted).unwrap_or(u8::MAX);
            count = g.demote;
        }
        self.sync_group_demote(now);
        Ok(count)
    }

    /// `ifconfig -g GROUP [-]carpdemote [N]` (OpenBSD ifconfig(8)):
    /// `carpdemote` adds N (default 1, at most 128) to the group's demote
    /// counter, `-carpdemote` takes it off; no words change nothing. Poll
    /// every parent after.
    ///
    /// # Errors
    /// [`CtlError::UnknownWord`], [`CtlError::BadNumber`],
    /// [`CtlError::ValueOutOfRange`], and those of
    /// [`Engine::group_demote`]; nothing changes then.
    pub fn group_ifconfig(
        &mut self,
        now: Instant,
        group: &str,
        words: &str,
    ) -> Result<(), CtlError> {
        let mut words = words.split_ascii_whitespace().enumerate();
        let Some((index, word)) = words.next() else {
            return self.group_demote_count(group).map(drop);
        };
        let sign = match word {
            "carpdemote" => 1,
            "-carpdemote" => -1,
            _ => {
                return Err(CtlError::UnknownWord {
                    index,
                    word: Snippet::new(word),
                })
            }
        };
        let keyword = if sign > 0 {
            "carpdemote"
        } else {
            "-carpdemote"
        };
        let step = match words.next() {
            None => 1,
            Some((i, text)) => {
                let n = text.parse::<i64>().map_err(|_| CtlError::BadNumber {
                    word: keyword,
                    index: i,
                    got: Snippet::new(text),
                })?;
                if !(0..=i64::from(MAX_CARPDEMOTE_STEP)).contains(&n) {
                    return Err(CtlError::ValueOutOfRange {
                        word: keyword,
                        index: i,
                        min: 0,
                        max: i64::from(MAX_CARPDEMOTE_STEP),
                        got: n,
                    });
                }
                i32::try_from(n).unwrap_or(0)
            }
        };
        if let Some((index, word)) = words.next() {
            return Err(CtlError::UnknownWord {
                index,
                word: Snippet::new(word),
            });
        }
        self.group_demote(now, group, sign * step).map(drop)
    }

    /// `ifconfig -g GROUP`: `fw: carp demote count 1`, as OpenBSD's
    /// `printgroupattribs` prints it, with a newline. A failing `out` ends
    /// the output early and is not an error.
    ///
    /// # Errors
    /// [`CtlError::BadGroupName`], [`CtlError::NoSuchGroup`].
    pub fn group_status<W: Write>(&self, group: &str, out: &mut W) -> Result<(), CtlError> {
        let count = self.group_demote_count(group)?;
        let _ = writeln!(out, "{group}: carp demote count {count}");
        Ok(())
    }

    fn slot_of(&self, name: GroupName) -> Option<usize> {
        self.groups
            .iter()
            .position(|g| g.is_some_and(|g| g.name == name))
    }
}

fn group_name(group: &str) -> Result<GroupName, CtlError> {
    GroupName::new(group).ok_or(CtlError::BadGroupName {
        index: 0,
        name: Snippet::new(group),
    })
}
