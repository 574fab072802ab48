//! Timers as data: an enum and a table of deadlines (quinn's shape).
//!
//! The embedder owns the one real timer: it sleeps until
//! [`TimerTable::next`] and calls `handle_timeout`.

use crate::time::Instant;

/// The timers of one virtual host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timer {
    /// MASTER: time to send the next advert (BSD `sc_ad_tmo`).
    Advertise,
    /// BACKUP: the master is declared down (BSD `sc_md_tmo`). One timer
    /// serves both families: an advert is signed once and accepted over
    /// either.
    MasterDown,
}

impl Timer {
    /// Every timer, in table order.
    pub const ALL: [Timer; 2] = [Timer::Advertise, Timer::MasterDown];
    /// Number of timers; the table length is derived from it.
    pub const COUNT: usize = Timer::ALL.len();
}

/// One optional deadline per [`Timer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimerTable {
    slots: [Option<Instant>; Timer::COUNT],
}

impl TimerTable {
    /// Arms `timer` for `at` (replacing any earlier deadline).
    pub fn set(&mut self, timer: Timer, at: Instant) {
        if let Some(slot) = self.slots.get_mut(timer as usize) {
            *slot = Some(at);
        }
    }

    /// Disarms `timer`.
    pub fn stop(&mut self, timer: Timer) {
        if let Some(slot) = self.slots.get_mut(timer as usize) {
            *slot = None;
        }
    }

    /// Disarms every timer.
    pub fn stop_all(&mut self) {
        self.slots = [None; Timer::COUNT];
    }

    /// The deadline of `timer`.
    pub fn get(&self, timer: Timer) -> Option<Instant> {
        self.slots.get(timer as usize).copied().flatten()
    }

    /// True if `timer` is armed and its deadline is not after `now`.
    pub fn is_expired(&self, timer: Timer, now: Instant) -> bool {
        self.get(timer).is_some_and(|at| at <= now)
    }

    /// The earliest deadline of all.
    pub fn next(&self) -> Option<Instant> {
        self.slots.iter().flatten().min().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_the_earliest_armed_deadline() {
        let mut t = TimerTable::default();
        assert_eq!(t.next(), None);
        t.set(Timer::MasterDown, Instant::from_micros(30));
        t.set(Timer::Advertise, Instant::from_micros(20));
        assert_eq!(t.next(), Some(Instant::from_micros(20)));
        t.stop(Timer::Advertise);
        assert_eq!(t.next(), Some(Instant::from_micros(30)));
        assert!(t.is_expired(Timer::MasterDown, Instant::from_micros(30)));
        assert!(!t.is_expired(Timer::MasterDown, Instant::from_micros(29)));
        t.stop_all();
        assert_eq!(t.next(), None);
    }
}
