//! A `demotion` event for every change of the host's demotion, whatever
//! made it: an administrator (`carpctl demote`, a sysctl write, a
//! configuration file), a parent's link (`ifdown_demotion_factor`), send
//! errors (`senderr_demotion_factor`). The daemon calls
//! [`DemotionWatch::changes`] after each thing it does; each contribution
//! that moved gives one event.

use carp_core::{DemoteReason, Demotion};
use carp_ctl::EventBody;

/// The last demotion seen.
#[derive(Debug, Clone, Copy, Default)]
pub struct DemotionWatch {
    last: Demotion,
}

impl DemotionWatch {
    /// Starts from `now` (what the configuration set at start is not a
    /// change; it is in the `daemon` start event's status).
    pub fn new(now: Demotion) -> DemotionWatch {
        DemotionWatch { last: now }
    }

    /// The event bodies for every contribution that differs from the last
    /// call, in [`DemoteReason::ALL`] order; `note` is attached to the
    /// administrator's (`global`) change.
    pub fn changes<'a>(&mut self, now: Demotion, note: Option<&'a str>) -> Vec<EventBody<'a>> {
        let effective = now.effective();
        let out = DemoteReason::ALL
            .iter()
            .filter(|r| self.last.get(**r) != now.get(**r))
            .map(|r| EventBody::Demotion {
                reason: *r,
                from: self.last.get(*r),
                to: now.get(*r),
                effective,
                note: note.filter(|_| *r == DemoteReason::Global),
            })
            .collect();
        self.last = now;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_moved_contribution_is_one_event_and_nothing_else_is() {
        let mut d = Demotion::new();
        let mut w = DemotionWatch::new(d);
        assert!(w.changes(d, None).is_empty());
        d.adjust(DemoteReason::LinkDown, 240);
        d.adjust(DemoteReason::Global, 10);
        let ev = w.changes(d, Some("maintenance"));
        assert_eq!(
            ev,
            [
                EventBody::Demotion {
                    reason: DemoteReason::Global,
                    from: 0,
                    to: 10,
                    effective: 250,
                    note: Some("maintenance"),
                },
                EventBody::Demotion {
                    reason: DemoteReason::LinkDown,
                    from: 0,
                    to: 240,
                    effective: 250,
                    note: None,
                },
            ]
        );
        assert!(w.changes(d, None).is_empty());
        d.adjust(DemoteReason::LinkDown, -240);
        let ev = w.changes(d, None);
        assert_eq!(ev.len(), 1);
        assert!(matches!(
            ev[0],
            EventBody::Demotion {
                from: 240,
                to: 0,
                effective: 10,
                ..
            }
        ));
    }
}
