//! Which slot runs a vhid, found in one load: the input path's vhid check
//! without a search.
//!
//! The slots stay sorted by vhid (BSD's order, which arpbalance needs),
//! and the commands still find their place by binary search. Every
//! received advert also asks which slot runs its vhid, and an advert for
//! a vhid this parent does not run (`badvhid`) is the cheapest flood
//! there is: a 256-byte table answers it with one load instead of a
//! search call. It is rebuilt whenever a vhid is added or removed.

use core::fmt;

/// Each vhid's slot index plus one, or 0 when this parent does not run it.
/// A parent holds at most 255 vhids (1..=255), so an index plus one fits in
/// a byte.
#[derive(Clone)]
pub(crate) struct VhidIndex([u8; 256]);

impl VhidIndex {
    /// No vhid.
    pub(crate) const fn new() -> VhidIndex {
        VhidIndex([0; 256])
    }

    /// The slot index of `vhid`, if this parent runs it.
    #[inline(always)]
    pub(crate) fn get(&self, vhid: u8) -> Option<usize> {
        // A u8 index into 256 entries: never out of bounds.
        let entry = self.0.get(usize::from(vhid)).copied().unwrap_or(0);
        usize::from(entry).checked_sub(1)
    }

    /// Records `vhids`, the slots' vhids in slot order.
    pub(crate) fn rebuild(&mut self, vhids: impl Iterator<Item = u8>) {
        self.0 = [0; 256];
        for (at, vhid) in vhids.enumerate() {
            // Slots beyond 254 cannot exist (vhids are 1..=255 and unique).
            if let (Some(entry), Ok(index)) =
                (self.0.get_mut(usize::from(vhid)), u8::try_from(at + 1))
            {
                *entry = index;
            }
        }
    }

    /// How many vhids are recorded.
    fn len(&self) -> usize {
        self.0.iter().filter(|e| **e != 0).count()
    }
}

impl fmt::Debug for VhidIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VhidIndex")
            .field("vhids", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_each_slot_index_and_nothing_else() {
        let mut index = VhidIndex::new();
        index.rebuild([1u8, 7, 200, 255].into_iter());
        assert_eq!(index.get(1), Some(0));
        assert_eq!(index.get(7), Some(1));
        assert_eq!(index.get(200), Some(2));
        assert_eq!(index.get(255), Some(3));
        for vhid in (0..=255u8).filter(|v| ![1, 7, 200, 255].contains(v)) {
            assert_eq!(index.get(vhid), None, "vhid {vhid}");
        }
        // A rebuild forgets what is gone.
        index.rebuild([7u8].into_iter());
        assert_eq!(
            (index.get(1), index.get(7), index.get(255)),
            (None, Some(0), None)
        );
        assert_eq!(format!("{index:?}"), "VhidIndex { vhids: 1 }");
    }

    #[test]
    fn holds_every_vhid_at_once() {
        let mut index = VhidIndex::new();
        index.rebuild(1..=255u8);
        for vhid in 1..=255u8 {
            assert_eq!(index.get(vhid), Some(usize::from(vhid) - 1));
        }
        assert_eq!(index.get(0), None);
    }
}
