//! The VRRPv3 personality of a vhid: RFC 9568's election and timers.
//!
//! [`decide`] is the state table of RFC 9568 6.4.2 (Backup) and 6.4.3
//! (Active, RFC 5798's Master), a pure function; [`VirtualHost`] applies it
//! and keeps Active_Adver_Interval, the interval it learns from the master
//! (see [`super::personality`] for Skew_Time and the master-down interval).
//!
//! | state | advert | action |
//! |---|---|---|
//! | BACKUP | priority 0 | master-down in Skew_Time |
//! | BACKUP | preempt off, or priority >= ours | learn its interval, restart master-down |
//! | BACKUP | preempt on and priority < ours | discard (master-down runs on: we take over when it fires) |
//! | MASTER | priority 0 | advertise now, restart the advert timer |
//! | MASTER | priority > ours, or equal and its address > ours | learn its interval, become BACKUP |
//! | MASTER | otherwise | discard |
//!
//! A vhid of priority 255 (the address owner) takes over as soon as it
//! runs and discards every advert (RFC 9568 6.4.1 and 7.1; FreeBSD
//! `vrrp_input_c`: "our priority is 255. Ignore peer announcement").
//! Preempt_Mode is `net.inet.carp.preempt`, as in FreeBSD 14 (the RFC's
//! default is on; set the sysctl to 1 to match keepalived's default).
//! The host's demotion does not change a VRRP priority (FreeBSD applies
//! `DEMOTE_ADVSKEW` to CARP only).

use core::net::IpAddr;

use super::election::Verdict;
use super::{Origin, Pending, VirtualHost};
use crate::policy::Policy;
use crate::state::{Reason, State};
use crate::stats::Reject;
use crate::time::Instant;
use crate::timer::Timer;
use crate::wire::vrrp::{self, VrrpAdvert, VrrpFamily, PRIORITY_BOW_OUT, VRRP_HEADER_LEN};
use crate::Transmit;

/// What RFC 9568 makes of an accepted advert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VrrpVerdict {
    /// BACKUP: the master lives; take its interval, restart master-down.
    Listen,
    /// BACKUP: the master leaves (priority 0): master-down in Skew_Time.
    Skew,
    /// MASTER: a master left (priority 0): advertise now.
    Reassert,
    /// MASTER: a better master: take its interval, become BACKUP.
    Yield,
    /// Nothing to do (INIT, a worse master, a preempted backup's master,
    /// or we own the addresses).
    Discard,
}

/// RFC 9568 6.4.2/6.4.3 for our `state` and `priority`. `sender_first`
/// says whether the sender's primary address is greater than ours
/// (compared as unsigned numbers in network order); `None` when ours is
/// unknown, which yields an equal-priority tie as the BSDs yield ties.
pub fn decide(
    state: State,
    priority: u8,
    preempt: bool,
    advert_priority: u8,
    sender_first: Option<bool>,
) -> VrrpVerdict {
    if priority == vrrp::PRIORITY_OWNER {
        return VrrpVerdict::Discard;
    }
    match state {
        State::Init => VrrpVerdict::Discard,
        State::Backup if advert_priority == PRIORITY_BOW_OUT => VrrpVerdict::Skew,
        State::Backup if !preempt || advert_priority >= priority => VrrpVerdict::Listen,
        State::Backup => VrrpVerdict::Discard,
        State::Master if advert_priority == PRIORITY_BOW_OUT => VrrpVerdict::Reassert,
        State::Master
            if advert_priority > priority
                || (advert_priority == priority && sender_first.unwrap_or(true)) =>
        {
            VrrpVerdict::Yield
        }
        State::Master => VrrpVerdict::Discard,
    }
}

/// Whether the sender's address is greater than ours, as RFC 9568 6.4.3
/// compares them; `None` without an address of ours of the same family.
pub fn sender_ranks_first(origin: &Origin) -> Option<bool> {
    match (origin.src, origin.local?) {
        (IpAddr::V4(src), IpAddr::V4(local)) => Some(src.octets() > local.octets()),
        (IpAddr::V6(src), IpAddr::V6(local)) => Some(src.octets() > local.octets()),
        _ => None,
    }
}

impl VirtualHost {
    /// A VRRPv3 advert arrived from `origin`, its length, version, type and
    /// checksum checked by the caller (carp-ifnet, in its order of input
    /// checks); the VRRP counterpart of [`VirtualHost::handle_advert`].
    ///
    /// # Errors
    /// [`Reject::BadVersion`] (3) when this vhid speaks CARP,
    /// [`Reject::BadVhid`] for another vrid or while in INIT. A rejected
    /// advert changes no state.
    pub fn handle_vrrp_advert(
        &mut self,
        now: Instant,
        advert: &VrrpAdvert<'_>,
        origin: impl Into<Origin>,
        policy: &Policy,
    ) -> Result<Verdict, Reject> {
        let origin = origin.into();
        if !self.config.is_vrrp() {
            return Err(self.reject(Reject::BadVersion(vrrp::VRRP_VERSION)));
        }
        if advert.vrid != self.config.vhid.get() || self.state == State::Init {
            return Err(self.reject(Reject::BadVhid(advert.vrid)));
        }
        let priority = self.config.vrrp.priority.get();
        let verdict = decide(
            self.state,
            priority,
            policy.preempt,
            advert.priority,
            sender_ranks_first(&origin),
        );
        if verdict != VrrpVerdict::Discard {
            self.last_heard = Some(now);
        }
        Ok(match verdict {
            VrrpVerdict::Listen => {
                self.master_interval = advert.max_adver_int;
                self.arm_master_down(now);
                Verdict::KeepListening
            }
            VrrpVerdict::Skew => {
                let skew = super::personality::skew_time(priority, self.master_interval);
                self.timers.set(Timer::MasterDown, now + skew);
                self.bow_out_heard = true;
                Verdict::KeepListening
            }
            VrrpVerdict::Reassert => {
                self.pending = Pending::Advert;
                self.timers
                    .set(Timer::Advertise, now + self.own_advert_interval());
                Verdict::Ignore
            }
            VrrpVerdict::Yield => {
                self.master_interval = advert.max_adver_int;
                self.enter_backup(now, Reason::BetterMaster);
                Verdict::Yield(Reason::BetterMaster)
            }
            VrrpVerdict::Discard => Verdict::Ignore,
        })
    }

    /// Writes the VRRP adverts owed: the IPv4 message (if the vhid has IPv4
    /// addresses) then the IPv6 one, checksums zero (the caller fills them
    /// with [`vrrp::fill_checksum`] once it has chosen the IP source and
    /// destination). `None` when `buf` is too short.
    pub(super) fn emit_vrrp(&mut self, bow_out: bool, buf: &mut [u8]) -> Option<Transmit> {
        let config = &self.config;
        let priority = if bow_out {
            PRIORITY_BOW_OUT
        } else {
            config.vrrp.priority.get()
        };
        let (vrid, interval) = (config.vhid.get(), config.vrrp.interval.get());
        let addrs = VrrpOrder(config.addresses());
        let v4_len = if config.has_ipv4() {
            vrrp::emit(vrid, priority, interval, VrrpFamily::V4, addrs, buf)?
        } else {
            0
        };
        let v6_len = if config.has_ipv6() {
            let rest = buf.get_mut(v4_len..)?;
            vrrp::emit(vrid, priority, interval, VrrpFamily::V6, addrs, rest)?
        } else {
            0
        };
        Some(Transmit {
            len: v4_len + v6_len,
            ipv4: v4_len >= VRRP_HEADER_LEN,
            ipv6: v6_len >= VRRP_HEADER_LEN,
            bow_out,
            vrrp: Some(crate::event::VrrpSplit { v4_len, v6_len }),
        })
    }
}

/// A VRRP vhid's addresses in the order its adverts list them: as
/// configured, but an IPv6 link-local address first (RFC 9568 5.2.9: the
/// first IPv6 address is the virtual router's link-local one; keepalived
/// sends it first, tests/fixtures/keepalived-vrrp3.pcap).
#[derive(Debug, Clone, Copy)]
struct VrrpOrder<'a>(&'a [IpAddr]);

impl<'a> IntoIterator for VrrpOrder<'a> {
    type Item = &'a IpAddr;
    type IntoIter = core::iter::Chain<
        core::iter::Filter<core::slice::Iter<'a, IpAddr>, fn(&&IpAddr) -> bool>,
        core::iter::Filter<core::slice::Iter<'a, IpAddr>, fn(&&IpAddr) -> bool>,
    >;

    fn into_iter(self) -> Self::IntoIter {
        let first: fn(&&IpAddr) -> bool = |a| is_link_local_v6(a);
        let rest: fn(&&IpAddr) -> bool = |a| !is_link_local_v6(a);
        self.0
            .iter()
            .filter(first)
            .chain(self.0.iter().filter(rest))
    }
}

fn is_link_local_v6(addr: &IpAddr) -> bool {
    matches!(addr, IpAddr::V6(a) if a.is_unicast_link_local())
}

#[cfg(test)]
mod tests {
    use super::*;
    use VrrpVerdict::*;

    #[test]
    fn backup_follows_rfc_9568_6_4_2() {
        for preempt in [false, true] {
            assert_eq!(decide(State::Backup, 100, preempt, 0, None), Skew);
            assert_eq!(decide(State::Backup, 100, preempt, 100, None), Listen);
            assert_eq!(decide(State::Backup, 100, preempt, 200, None), Listen);
        }
        assert_eq!(decide(State::Backup, 100, false, 50, None), Listen);
        assert_eq!(decide(State::Backup, 100, true, 50, None), Discard);
    }

    #[test]
    fn master_follows_rfc_9568_6_4_3() {
        assert_eq!(decide(State::Master, 100, false, 0, None), Reassert);
        assert_eq!(decide(State::Master, 100, false, 101, None), Yield);
        assert_eq!(decide(State::Master, 100, false, 99, None), Discard);
        assert_eq!(decide(State::Master, 100, false, 100, Some(true)), Yield);
        assert_eq!(decide(State::Master, 100, false, 100, Some(false)), Discard);
        assert_eq!(decide(State::Master, 100, false, 100, None), Yield);
    }

    #[test]
    fn every_pair_of_priorities_settles_on_the_higher_one() {
        // Exhaustively: two masters hearing each other keep exactly one,
        // the higher priority (the higher address on a tie); the owner
        // never yields and INIT never acts.
        for a in 1..=255u8 {
            for b in 1..=255u8 {
                for a_first in [false, true] {
                    let a_yields = decide(State::Master, a, false, b, Some(!a_first)) == Yield;
                    let b_yields = decide(State::Master, b, false, a, Some(a_first)) == Yield;
                    if a == 255 || b == 255 {
                        let owner_yields = (a == 255 && a_yields) || (b == 255 && b_yields);
                        assert!(!owner_yields, "{a} {b}");
                        continue;
                    }
                    assert!(a_yields != b_yields, "{a} {b} {a_first}");
                    let a_wins = a > b || (a == b && a_first);
                    assert_eq!(b_yields, a_wins, "{a} {b} {a_first}");
                }
                assert_eq!(decide(State::Init, a, true, b, None), Discard);
            }
        }
    }

    #[test]
    fn addresses_compare_as_unsigned_numbers_in_network_order() {
        let o = |s: &str, l: &str| Origin {
            src: s.parse().unwrap(),
            local: Some(l.parse().unwrap()),
        };
        assert_eq!(
            sender_ranks_first(&o("192.0.2.12", "192.0.2.11")),
            Some(true)
        );
        // Not ucarp's little-endian rank: the first byte counts most.
        assert_eq!(
            sender_ranks_first(&o("192.0.3.5", "192.0.2.10")),
            Some(true)
        );
        assert_eq!(sender_ranks_first(&o("fe80::a", "fe80::b")), Some(false));
        assert_eq!(sender_ranks_first(&o("fe80::a", "192.0.2.1")), None);
    }
}
