//! Demotion: how much less eligible this host is to be master.
//!
//! A signed global value (FreeBSD's `net.inet.carp.demotion`, written as a
//! delta) plus named contributions, each owned by one cause. The effective
//! count is their saturating sum clamped to `0..=255`: whatever is written,
//! the value that reaches the election is never negative.

/// Why the host is demoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DemoteReason {
    /// Administrator-set global value (`net.inet.carp.demotion`).
    Global,
    /// A parent link is down (FreeBSD `ifdown_demotion_factor`).
    LinkDown,
    /// Adverts failed to send (BSD `CARP_SENDAD_MAX_ERRORS`).
    SendErrors,
    /// An interface was taken down by the administrator.
    Admin,
    /// The host says it is not ready yet (OpenBSD's boot-time demotion).
    BootNotReady,
}

/// Demotion contributions by reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Demotion {
    by_reason: [i32; DemoteReason::ALL.len()],
}

impl Demotion {
    /// No demotion.
    pub const fn new() -> Demotion {
        Demotion {
            by_reason: [0; DemoteReason::ALL.len()],
        }
    }

    /// Adds a signed delta to one reason (saturating).
    pub fn adjust(&mut self, reason: DemoteReason, delta: i32) {
        if let Some(v) = self.by_reason.get_mut(reason as usize) {
            *v = v.saturating_add(delta);
        }
    }

    /// Sets one reason's contribution.
    pub fn set(&mut self, reason: DemoteReason, value: i32) {
        if let Some(v) = self.by_reason.get_mut(reason as usize) {
            *v = value;
        }
    }

    /// One reason's contribution.
    pub fn get(&self, reason: DemoteReason) -> i32 {
        self.by_reason.get(reason as usize).copied().unwrap_or(0)
    }

    /// The sum of all contributions (may be negative).
    pub fn total(&self) -> i32 {
        self.by_reason
            .iter()
            .fold(0i32, |acc, v| acc.saturating_add(*v))
    }

    /// The value that reaches the election: the total clamped to 0..=255.
    pub fn effective(&self) -> u8 {
        self.total().clamp(0, i32::from(u8::MAX)) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effective_never_negative_and_saturates() {
        let mut d = Demotion::new();
        d.adjust(DemoteReason::Global, -1000);
        assert_eq!(d.effective(), 0);
        d.adjust(DemoteReason::LinkDown, 240);
        assert_eq!(d.effective(), 0);
        d.set(DemoteReason::Global, 0);
        assert_eq!(d.effective(), 240);
        d.adjust(DemoteReason::SendErrors, i32::MAX);
        d.adjust(DemoteReason::SendErrors, i32::MAX);
        assert_eq!(d.effective(), 255);
        assert_eq!(d.get(DemoteReason::SendErrors), i32::MAX);
    }
}
