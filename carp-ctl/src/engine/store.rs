//! Parents: one [`CarpIf`] per parent interface, with what the engine keeps
//! per vhid beside it, and where the embedder stores them.

use carp_core::vhost::MAX_ADDRS;
use carp_ifnet::carpif::CarpIf;
use carp_ifnet::driver::{LinkState, ParentInfo};

use crate::IfName;

/// A parent's handle, stable for the parent's life (indexes are not: a
/// removed parent shifts the ones after it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParentId(pub u16);

/// Per vhid of a parent, what [`carp_core::VhostConfig`] does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct VhidExtra {
    /// Prefix length of each address of the config, in its order.
    pub(crate) prefix: [u8; MAX_ADDRS],
    /// Configured by the last configuration file (its next apply owns it).
    pub(crate) managed: bool,
}

impl VhidExtra {
    pub(crate) const EMPTY: VhidExtra = VhidExtra {
        prefix: [0; MAX_ADDRS],
        managed: false,
    };
}

/// One parent interface ("carpdev"): its name, its carp interface and the
/// engine's per-vhid bookkeeping.
///
/// `N` is the capacity in vhids. Memory: the [`CarpIf<N>`](CarpIf) plus
/// 2.3 KiB (prefix lengths and flags of every possible vhid).
#[derive(Clone)]
pub struct Parent<const N: usize> {
    pub(crate) id: ParentId,
    pub(crate) name: IfName,
    pub(crate) cif: CarpIf<N>,
    /// Indexed by vhid (0 unused).
    pub(crate) extra: [VhidExtra; 256],
}

impl<const N: usize> Parent<N> {
    /// A parent without vhids.
    pub fn new(id: ParentId, name: IfName, info: ParentInfo, link: LinkState) -> Parent<N> {
        Parent {
            id,
            name,
            cif: CarpIf::new(info, link),
            extra: [VhidExtra::EMPTY; 256],
        }
    }

    /// Its handle.
    pub const fn id(&self) -> ParentId {
        self.id
    }

    /// Its interface name (`em0`).
    pub const fn name(&self) -> &IfName {
        &self.name
    }

    /// Its carp interface (vhosts, counters, deadline).
    pub const fn carpif(&self) -> &CarpIf<N> {
        &self.cif
    }

    /// The prefix lengths of `vhid`'s addresses, in config order.
    pub fn prefix_lens(&self, vhid: u8) -> &[u8] {
        let n = self
            .cif
            .vhost(vhid)
            .map_or(0, |v| v.config().addresses().len());
        self.extra
            .get(usize::from(vhid))
            .and_then(|e| e.prefix.get(..n))
            .unwrap_or(&[])
    }

    pub(crate) fn extra(&self, vhid: u8) -> VhidExtra {
        self.extra
            .get(usize::from(vhid))
            .copied()
            .unwrap_or(VhidExtra::EMPTY)
    }

    pub(crate) fn set_extra(&mut self, vhid: u8, extra: VhidExtra) {
        if let Some(e) = self.extra.get_mut(usize::from(vhid)) {
            *e = extra;
        }
    }
}

/// The parent and, for its vhids only, the extras.
impl<const N: usize> core::fmt::Debug for Parent<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let extras = super::DebugWith(|f: &mut core::fmt::Formatter<'_>| {
            f.debug_list()
                .entries(self.cif.vhosts().map(|h| {
                    let vhid = h.vhid().get();
                    (vhid, self.extra(vhid))
                }))
                .finish()
        });
        f.debug_struct("Parent")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("cif", &self.cif)
            .field("extra", &extras)
            .finish()
    }
}

/// Where an [`Engine`](super::Engine) keeps its parents: a fixed array for
/// a kernel (`heapless::Vec<Parent<N>, P>`), the heap for a hosted front end
/// (`Vec<Box<Parent<N>>>`, with the `alloc` feature), so a 255-vhid parent
/// (about 300 KiB) never has to sit on a small stack.
pub trait ParentStore<const N: usize> {
    /// How many parents there are.
    fn len(&self) -> usize;
    /// True with no parent.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The most parents it can hold.
    fn capacity(&self) -> usize;
    /// Parent `i`.
    fn get(&self, i: usize) -> Option<&Parent<N>>;
    /// Parent `i`, mutably.
    fn get_mut(&mut self, i: usize) -> Option<&mut Parent<N>>;
    /// Appends a parent; false (and the parent dropped) when full.
    fn push(&mut self, parent: Parent<N>) -> bool;
    /// Removes parent `i`, shifting the later ones.
    fn remove(&mut self, i: usize) -> Option<Parent<N>>;
}

impl<const N: usize, const P: usize> ParentStore<N> for heapless::Vec<Parent<N>, P> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }
    fn capacity(&self) -> usize {
        P
    }
    fn get(&self, i: usize) -> Option<&Parent<N>> {
        self.as_slice().get(i)
    }
    fn get_mut(&mut self, i: usize) -> Option<&mut Parent<N>> {
        self.as_mut_slice().get_mut(i)
    }
    fn push(&mut self, parent: Parent<N>) -> bool {
        heapless::Vec::push(self, parent).is_ok()
    }
    fn remove(&mut self, i: usize) -> Option<Parent<N>> {
        (i < self.as_slice().len()).then(|| heapless::Vec::remove(self, i))
    }
}

#[cfg(feature = "alloc")]
impl<const N: usize> ParentStore<N> for alloc::vec::Vec<alloc::boxed::Box<Parent<N>>> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }
    fn capacity(&self) -> usize {
        usize::from(u16::MAX)
    }
    fn get(&self, i: usize) -> Option<&Parent<N>> {
        self.as_slice().get(i).map(|b| &**b)
    }
    fn get_mut(&mut self, i: usize) -> Option<&mut Parent<N>> {
        self.as_mut_slice().get_mut(i).map(|b| &mut **b)
    }
    fn push(&mut self, parent: Parent<N>) -> bool {
        alloc::vec::Vec::push(self, alloc::boxed::Box::new(parent));
        true
    }
    fn remove(&mut self, i: usize) -> Option<Parent<N>> {
        (i < self.as_slice().len()).then(|| *alloc::vec::Vec::remove(self, i))
    }
}
