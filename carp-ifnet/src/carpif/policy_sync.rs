//! Noticing a host-wide policy change made outside any call, and the
//! demotion of a vhid's carp interface groups.

use carp_core::{Instant, Policy};
use carp_sysctl::Sysctl;

use super::{CarpIf, IfError};

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
                let policy = slot.policy(&policy);
                slot.host.handle_policy(now, &policy);
            }
            self.settle(at, now, sysctl);
        }
        self.refresh_next_deadline();
    }

    /// The host's policy ([`Sysctl::policy`]), read again only when the
    /// `Sysctl` or its [`Sysctl::generation`] changed since the last read:
    /// every accepted advert needs it, and the read takes the demotion lock.
    /// The generation is loaded first, so a write racing the read is seen
    /// at the next call at the latest. Pass a `CarpIf` the same `Sysctl`
    /// for its whole life (carp-ctl's `Engine` owns both): one dropped and
    /// replaced by another at the same address and generation would go
    /// unnoticed.
    pub(super) fn host_policy(&mut self, sysctl: &Sysctl) -> Policy {
        let key = (core::ptr::from_ref(sysctl).addr(), sysctl.generation());
        match self.policy_cache {
            Some((cached, policy)) if cached == key => policy,
            _ => {
                let policy = sysctl.policy();
                self.policy_cache = Some((key, policy));
                policy
            }
        }
    }

    /// Sets the demote count of the interface groups `vhid` belongs to
    /// (the sum of their counters, 0-255, as OpenBSD's
    /// `carp_group_demote_count`). The vhid advertises and elects with the
    /// host's demotion plus this, saturated at 255; as MASTER it owes an
    /// advert at once when that changes what it advertises (OpenBSD
    /// `carp_group_demote_adj` -> `carp_send_ad_all`). Setting the value it
    /// has changes nothing.
    ///
    /// # Errors
    /// [`IfError::NoSuchVhid`].
    pub fn set_group_demote(
        &mut self,
        now: Instant,
        vhid: u8,
        demote: u8,
        sysctl: &Sysctl,
    ) -> Result<(), IfError> {
        let at = self.index(vhid)?;
        let Some(slot) = self.slots.get_mut(at) else {
            return Err(IfError::NoSuchVhid(vhid));
        };
        if slot.group_demote == demote {
            return Ok(());
        }
        slot.group_demote = demote;
        let policy = slot.policy(&sysctl.policy());
        slot.host.handle_policy(now, &policy);
        self.settle(at, now, sysctl);
        self.refresh_next_deadline();
        Ok(())
    }

    /// The demote count of `vhid`'s groups (see
    /// [`CarpIf::set_group_demote`]); 0 for an unknown vhid.
    pub fn group_demote(&self, vhid: u8) -> u8 {
        self.position(vhid)
            .ok()
            .and_then(|at| self.slots.get(at))
            .map_or(0, |s| s.group_demote)
    }
}
