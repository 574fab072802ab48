//! Named carp interfaces (`carp0`, `carp1`...), OpenBSD-style: each name
//! owns at most one vhid, which runs on a parent (its `carpdev`) or waits,
//! detached, for one.

use carp_core::vhost::MAX_ADDRS;
use carp_core::{Vhid, VhostConfig};

use super::groups::GroupMask;
use super::store::ParentId;
use crate::IfName;

/// Where a name's vhid is.
// No allocation here: the detached configuration is kept inline (a
// VhostConfig, ~210 bytes); boxing it is not an option in no_std.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Slot {
    /// No vhid yet (`ifconfig carp0 create`).
    Unset,
    /// The vhid runs on a parent, whose `CarpIf` holds its configuration.
    Attached { parent: ParentId, vhid: Vhid },
    /// Detached (`-carpdev`, or its parent went away): the configuration
    /// waits here, in INIT.
    Detached {
        config: VhostConfig,
        prefix: [u8; MAX_ADDRS],
    },
}

/// One carp interface name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) name: IfName,
    pub(crate) slot: Slot,
    /// `up` (the default) or `down`, while not attached (an attached
    /// vhid's admin state is its vhost's).
    pub(crate) up: bool,
    /// The user named the carpdev: the status shows it, OpenBSD-style.
    pub(crate) carpdev_named: bool,
    /// Created by the last configuration file.
    pub(crate) managed: bool,
    /// Its named groups (bits into the engine's group table).
    pub(crate) groups: GroupMask,
}

impl Entry {
    /// True if the name owns `vhid` on `parent`.
    pub(crate) fn is_at(&self, parent: ParentId, vhid: u8) -> bool {
        matches!(self.slot, Slot::Attached { parent: p, vhid: v } if p == parent && v.get() == vhid)
    }
}
