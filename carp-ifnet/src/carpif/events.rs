//! The queue of events a [`CarpIf`](super::CarpIf) holds for its
//! embedder between drains.
//!
//! One call can report an event or three for every vhost at once: a link
//! going down puts every vhost in INIT, a configuration of many vhids
//! starts them all, vhosts configured alike time out at the same instant
//! (state change and announcement each). A kernel keeps a fixed queue of
//! [`EVENT_QUEUE`] and, when a call overflows it, the oldest events are
//! dropped and counted ([`CarpIf::events_dropped`](super::CarpIf::events_dropped)).
//! With the `alloc` feature (hosted front ends: carpd, the simulator) the
//! queue grows instead, so a daemon that runs scripts on every state
//! change never misses one, whatever the number of vhids.

use carp_core::Event;

/// Events queued before the oldest is dropped (counted), without the
/// `alloc` feature.
pub const EVENT_QUEUE: usize = 64;

/// Bytes the bounded queue takes inside a `CarpIf` (its events and the
/// drop counter), the figure `docs/embedding.md` counts.
pub const BOUNDED_QUEUE_BYTES: usize =
    core::mem::size_of::<heapless::Deque<Event, EVENT_QUEUE>>() + core::mem::size_of::<u64>();

/// Bytes the queue takes inside a `CarpIf` in this build: with `alloc`,
/// a `VecDeque` (its events are on the heap).
pub const QUEUE_BYTES: usize = core::mem::size_of::<EventQueue>();

/// The events not yet read, oldest first.
#[derive(Debug, Clone)]
pub(crate) struct EventQueue {
    #[cfg(not(feature = "alloc"))]
    events: heapless::Deque<Event, EVENT_QUEUE>,
    #[cfg(feature = "alloc")]
    events: alloc::collections::VecDeque<Event>,
    dropped: u64,
}

impl EventQueue {
    pub(crate) const fn new() -> EventQueue {
        EventQueue {
            #[cfg(not(feature = "alloc"))]
            events: heapless::Deque::new(),
            #[cfg(feature = "alloc")]
            events: alloc::collections::VecDeque::new(),
            dropped: 0,
        }
    }

    /// Queues `event`; a bounded queue that is full drops its oldest.
    pub(crate) fn push(&mut self, event: Event) {
        #[cfg(not(feature = "alloc"))]
        if self.events.is_full() {
            let _ = self.events.pop_front();
            self.dropped = self.dropped.saturating_add(1);
        }
        #[cfg(not(feature = "alloc"))]
        let _ = self.events.push_back(event);
        #[cfg(feature = "alloc")]
        self.events.push_back(event);
    }

    /// The oldest event.
    pub(crate) fn pop(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Events dropped so far.
    pub(crate) const fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carp_core::{EventKind, Instant};

    fn event(seq: u64) -> Event {
        Event {
            seq,
            at: Instant::ZERO,
            vhid: 1,
            kind: EventKind::Announce { repeat: false },
        }
    }

    #[test]
    fn one_call_reporting_more_than_the_bound_keeps_every_event_with_alloc() {
        // 255 vhids timing out at once: a state change and an
        // announcement each.
        let mut q = EventQueue::new();
        for seq in 0..510 {
            q.push(event(seq));
        }
        let seen: std::vec::Vec<u64> = core::iter::from_fn(|| q.pop()).map(|e| e.seq).collect();
        if cfg!(feature = "alloc") {
            assert_eq!(seen, (0..510).collect::<std::vec::Vec<_>>());
            assert_eq!(q.dropped(), 0);
        } else {
            assert_eq!(
                seen,
                (510 - EVENT_QUEUE as u64..510).collect::<std::vec::Vec<_>>()
            );
            assert_eq!(q.dropped(), 510 - EVENT_QUEUE as u64);
        }
    }
}
