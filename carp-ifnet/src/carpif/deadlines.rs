//! The vhosts' deadlines as an indexed binary min-heap.
//!
//! Slots are vhost indices (the vhosts are sorted by vhid, so adding or
//! removing one shifts the indices after it: those rare commands renumber
//! in O(N)). Updating one slot's deadline, the per-advert operation, is
//! O(log N) and the earliest deadline is O(1), so a parent with 255 vhids
//! pays per advert what a parent with one does.

/// A slot without a deadline. An instant of `u64::MAX` microseconds (half a
/// million years) is never reached anyway.
pub(crate) const NONE: u64 = u64::MAX;

#[derive(Debug, Clone, Default)]
pub(crate) struct Deadlines<const N: usize> {
    /// Deadline of each slot, in microseconds.
    keys: heapless::Vec<u64, N>,
    /// Slots in heap order: `heap[0]` has the smallest key.
    heap: heapless::Vec<u16, N>,
    /// Where each slot sits in `heap`.
    pos: heapless::Vec<u16, N>,
}

impl<const N: usize> Deadlines<N> {
    /// No slots.
    pub(crate) const fn new() -> Self {
        Deadlines {
            keys: heapless::Vec::new(),
            heap: heapless::Vec::new(),
            pos: heapless::Vec::new(),
        }
    }

    /// Inserts a slot without a deadline at index `at`, shifting the slots
    /// from `at` up by one. False when full or `at` is out of range.
    pub(crate) fn insert(&mut self, at: usize) -> bool {
        if at > self.keys.len() || self.keys.insert(at, NONE).is_err() {
            return false;
        }
        for slot in self.heap.iter_mut() {
            if usize::from(*slot) >= at {
                *slot += 1;
            }
        }
        // NONE is the largest key: the new slot belongs at the bottom.
        if self.heap.push(at as u16).is_err() {
            self.keys.remove(at);
            return false;
        }
        self.rebuild_positions();
        true
    }

    /// Removes slot `at`, shifting the slots after it down by one.
    pub(crate) fn remove(&mut self, at: usize) {
        let Some(p) = self.pos.get(at).map(|p| usize::from(*p)) else {
            return;
        };
        // The last heap entry takes the removed one's place.
        let last = self.heap.len() - 1;
        self.heap.swap(p, last);
        self.heap.pop();
        self.keys.remove(at);
        for slot in self.heap.iter_mut() {
            if usize::from(*slot) > at {
                *slot -= 1;
            }
        }
        self.rebuild_positions();
        // It may belong above or below its new place; at most one moves it.
        self.sift_up(p);
        self.sift_down(p);
    }

    /// Sets slot `at`'s deadline.
    pub(crate) fn set(&mut self, at: usize, key: u64) {
        let Some(old) = self.keys.get_mut(at) else {
            return;
        };
        let up = key < *old;
        *old = key;
        let Some(p) = self.pos.get(at).map(|p| usize::from(*p)) else {
            return;
        };
        if up {
            self.sift_up(p);
        } else {
            self.sift_down(p);
        }
    }

    /// The earliest deadline ([`NONE`] if none).
    pub(crate) fn earliest(&self) -> u64 {
        self.heap.first().map_or(NONE, |s| self.key(*s))
    }

    /// The slot with the earliest deadline, if that is not after `now`.
    pub(crate) fn due(&self, now: u64) -> Option<usize> {
        let slot = *self.heap.first()?;
        (self.key(slot) <= now).then_some(usize::from(slot))
    }

    fn key(&self, slot: u16) -> u64 {
        self.keys.get(usize::from(slot)).copied().unwrap_or(NONE)
    }

    fn key_at(&self, p: usize) -> u64 {
        self.heap.get(p).map_or(NONE, |s| self.key(*s))
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        for p in [a, b] {
            if let Some(slot) = self.heap.get(p).copied() {
                if let Some(q) = self.pos.get_mut(usize::from(slot)) {
                    *q = p as u16;
                }
            }
        }
    }

    fn sift_up(&mut self, mut p: usize) {
        while p > 0 {
            let parent = (p - 1) / 2;
            if self.key_at(parent) <= self.key_at(p) {
                break;
            }
            self.swap(parent, p);
            p = parent;
        }
    }

    fn sift_down(&mut self, mut p: usize) {
        loop {
            let (l, r) = (2 * p + 1, 2 * p + 2);
            let mut smallest = p;
            if l < self.heap.len() && self.key_at(l) < self.key_at(smallest) {
                smallest = l;
            }
            if r < self.heap.len() && self.key_at(r) < self.key_at(smallest) {
                smallest = r;
            }
            if smallest == p {
                break;
            }
            self.swap(p, smallest);
            p = smallest;
        }
    }

    fn rebuild_positions(&mut self) {
        self.pos.clear();
        for _ in 0..self.heap.len() {
            let _ = self.pos.push(0);
        }
        for (p, slot) in self.heap.iter().enumerate() {
            if let Some(q) = self.pos.get_mut(usize::from(*slot)) {
                *q = p as u16;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// A tiny deterministic generator (xorshift) for the model test.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn agrees_with_a_plain_vector_under_random_operations() {
        let mut heap: Deadlines<32> = Deadlines::default();
        let mut model: Vec<u64> = Vec::new();
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        for step in 0..20_000 {
            match next(&mut rng) % 4 {
                0 if model.len() < 32 => {
                    let at = (next(&mut rng) as usize) % (model.len() + 1);
                    assert!(heap.insert(at));
                    model.insert(at, NONE);
                }
                1 if !model.is_empty() => {
                    let at = (next(&mut rng) as usize) % model.len();
                    heap.remove(at);
                    model.remove(at);
                }
                _ if !model.is_empty() => {
                    let at = (next(&mut rng) as usize) % model.len();
                    let key = if next(&mut rng) % 5 == 0 {
                        NONE
                    } else {
                        next(&mut rng) % 1000
                    };
                    heap.set(at, key);
                    model[at] = key;
                }
                _ => {}
            }
            let min = model.iter().copied().min().unwrap_or(NONE);
            assert_eq!(heap.earliest(), min, "step {step}");
            if let Some(at) = heap.due(min) {
                assert_eq!(model[at], min, "step {step}");
            }
        }
    }

    #[test]
    fn refuses_when_full_or_out_of_range() {
        let mut heap: Deadlines<2> = Deadlines::default();
        assert!(!heap.insert(1));
        assert!(heap.insert(0));
        assert!(heap.insert(1));
        assert!(!heap.insert(0));
        heap.set(1, 5);
        assert_eq!(heap.due(4), None);
        assert_eq!(heap.due(5), Some(1));
        heap.remove(0);
        assert_eq!(heap.due(5), Some(0));
    }
}
