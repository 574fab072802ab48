//! Noticing a host-wide policy change made outside any call.

use carp_core::Instant;
use carp_sysctl::Sysctl;

use super::CarpIf;

impl<const N: usize> CarpIf<N> {
    /// Acts on a change of the host's policy since the last call: every
    /// MASTER whose advert would now carry another advskew or demote byte
    /// owes an advert at once (OpenBSD `carp_group_demote_adj` ->
    /// `carp_send_ad_all`), so a demoted master hands over within a network
    /// delay. One atomic load when nothing changed.
    ///
    /// Call it after writing the [`Sysctl`] (a demotion, `preempt`) on every
    /// `CarpIf` that shares it, then [`CarpIf::poll`]; `poll` calls it too.
    pub fn sync_policy(&mut self, now: Instant, sysctl: &Sysctl) {
        let generation = sysctl.generation();
        if generation == self.policy_generation {
            return;
        }
        self.policy_generation = generation;
        let policy = sysctl.policy();
        for at in 0..self.slots.len() {
            if let Some(slot) = self.slots.get_mut(at) {
                slot.host.handle_policy(now, &policy);
            }
            self.settle(at, now, sysctl);
        }
        self.refresh_next_deadline();
    }
}
