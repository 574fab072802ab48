//! The engine's logical state as a list of [`Item`]s: every carp interface
//! and every vhid, whatever syntax configured it. A request is resolved by
//! editing a copy of that list into the state it wants; the engine then
//! checks the wanted list whole and moves the running state to it (see
//! [`super::plan`]).

use carp_core::vhost::MAX_ADDRS;
use carp_core::{State, VhostConfig};

use super::groups::GroupMask;
use super::store::ParentId;
use crate::IfName;

/// One carp interface or vhid as a request wants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item {
    /// `Some`: a named carp interface (OpenBSD `carp0`); `None`: a vhid
    /// configured on its parent (FreeBSD `ifconfig em0 vhid 1 ...`).
    pub(crate) name: Option<IfName>,
    /// The parent it runs on; `None` when detached (named only).
    pub(crate) parent: Option<ParentId>,
    /// Its configuration; `None` for a named interface with no vhid yet.
    pub(crate) config: Option<VhostConfig>,
    /// Prefix length of each address of `config`, in its order.
    pub(crate) prefix: [u8; MAX_ADDRS],
    /// Administratively up.
    pub(crate) up: bool,
    /// `state backup|master` to force now (never INIT: BSD's `SIOCSVH`
    /// ignores it, see `super::resolve`).
    pub(crate) force: Option<State>,
    /// The user named the carpdev (the status shows it, OpenBSD-style).
    pub(crate) carpdev_named: bool,
    /// Owned by the configuration file.
    pub(crate) managed: bool,
    /// `lladdr random`: the engine draws the MAC when it applies.
    pub(crate) random_mac: bool,
    /// The named groups it is in (bits into the engine's group table;
    /// named carp interfaces only).
    pub(crate) groups: GroupMask,
}

impl Item {
    /// A named interface with nothing configured (`ifconfig NAME create`).
    pub(crate) const fn named(name: IfName) -> Item {
        Item {
            name: Some(name),
            parent: None,
            config: None,
            prefix: [0; MAX_ADDRS],
            up: true,
            force: None,
            carpdev_named: false,
            managed: false,
            random_mac: false,
            groups: 0,
        }
    }

    /// The vhid, if configured.
    pub(crate) fn vhid(&self) -> Option<u8> {
        self.config.as_ref().map(|c| c.vhid.get())
    }

    /// Where it runs: the parent and the vhid.
    pub(crate) fn running_at(&self) -> Option<(ParentId, u8)> {
        Some((self.parent?, self.vhid()?))
    }
}

/// A list of items with a fixed capacity `M`.
pub(crate) type Items<const M: usize> = heapless::Vec<Item, M>;
