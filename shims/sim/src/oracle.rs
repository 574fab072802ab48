//! Independent expectations for takeovers: when a backup must take over,
//! computed from the configuration the test gave and from what crossed the
//! simulated wire, never from carp's own timers or records.
//!
//! * [`master_down`]: the master-down interval, written from carp(4):
//!   `3 x advbase s + advskew/256 s` (BSD's 3 is the configuration's dead
//!   ratio here), and OpenBSD's advbase-0 rule, `3 x advskew/256 s` or
//!   3/256 s when advskew is 0 (OpenBSD `carp_setrun`, BACKUP case; the
//!   microseconds are truncated as its `tv_usec` arithmetic truncates).
//! * [`advert_vhid`]: the vhid of a CARP advertisement in an Ethernet
//!   frame, read from the bytes (IPv4 protocol or IPv6 next header 112,
//!   CARP type 1), not with carp's parser.
//! * [`check_takeovers`]: for every master-down takeover in the timeline,
//!   the reference instant is the latest of the adverts for its vhid the
//!   host was handed ([`Lan::received`], the receive-side capture), its
//!   entry into BACKUP and its reconfigurations, and the takeover must come
//!   exactly [`master_down`] of the configuration in force later.
//!
//! One rule is ours, not the BSDs' (docs/protocol-notes.md, "Equal
//! elections", rule 4): a host that yields a tie (`tie-lost`,
//! `tie-disputed`) arms master-down one advskew unit (1/256 s, truncated
//! to 3906 us) later than the formula, once, from the yield.
//!
//! The reference rule is carp(4)'s: a BACKUP restarts master-down on every
//! advert it accepts, or takes over at once (preemption, a higher demote
//! byte, a master that times out anyway), so no advert reaches a BACKUP
//! between the reference and a master-down takeover. It holds as long as
//! every advert handed over is accepted: same key on every host, no
//! forgeries, `replay` not `enforce` (the simulator's default is `log`).

use carp_core::{Duration, Instant, State, VhostConfig};
use carp_ifnet::lladdr::LinkType;

use crate::lan::{Lan, RecordKind};

const MICROS: u64 = 1_000_000;

/// The extra wait after yielding a tie: one advskew unit, 1/256 s.
pub const TIE_YIELD_MARGIN: Duration = Duration::from_micros(MICROS / 256);

/// The transition reasons of a tie yield.
const TIE_YIELDS: [&str; 2] = ["tie-lost", "tie-disputed"];

/// The master-down interval of a backup with `advbase`, `advskew` and
/// `dead_ratio` (BSD: 3).
pub fn master_down(advbase: u8, advskew: u8, dead_ratio: u8) -> Duration {
    let (ratio, base, skew) = (
        u64::from(dead_ratio),
        u64::from(advbase),
        u64::from(advskew),
    );
    Duration::from_micros(if base == 0 {
        ratio * skew.max(1) * MICROS / 256
    } else {
        ratio * base * MICROS + skew * MICROS / 256
    })
}

/// [`master_down`] of a configuration.
pub fn master_down_of(config: &VhostConfig) -> Duration {
    master_down(
        config.advbase,
        config.advskew.get(),
        config.dead_ratio.get(),
    )
}

/// The vhid of the CARP advertisement an Ethernet frame carries, if any.
pub fn advert_vhid(frame: &[u8]) -> Option<u8> {
    let ethertype = u16::from_be_bytes([*frame.get(12)?, *frame.get(13)?]);
    let carp = match ethertype {
        0x0800 => {
            let ihl = usize::from(frame.get(14)? & 0x0f) * 4;
            (*frame.get(14 + 9)? == 112).then_some(14 + ihl)?
        }
        0x86dd => (*frame.get(14 + 6)? == 112).then_some(14 + 40)?,
        _ => return None,
    };
    let version_type = *frame.get(carp)?;
    (version_type == 0x21).then_some(*frame.get(carp + 1)?)
}

/// A vhid's configuration on a host from an instant on, as the test set it
/// (the initial configuration at the host's start, then every
/// reconfiguration it scheduled).
#[derive(Debug, Clone)]
pub struct Configured {
    /// From when.
    pub at: Instant,
    /// The host, by index.
    pub host: usize,
    /// The configuration (its vhid says which).
    pub config: VhostConfig,
}

/// What restarted master-down last before a takeover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// An advert for the vhid reached the host.
    Advert(Instant),
    /// The host entered BACKUP.
    Backup(Instant),
    /// The host entered BACKUP yielding a tie (master-down one advskew
    /// unit later).
    TieYield(Instant),
    /// The test reconfigured the vhid.
    Reconfigured(Instant),
}

impl Reference {
    /// Its instant.
    pub fn at(self) -> Instant {
        match self {
            Reference::Advert(t)
            | Reference::Backup(t)
            | Reference::TieYield(t)
            | Reference::Reconfigured(t) => t,
        }
    }
}

/// One master-down takeover, judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Judged {
    /// The host.
    pub host: usize,
    /// The vhid.
    pub vhid: u8,
    /// When it took over.
    pub at: Instant,
    /// What restarted master-down last before it.
    pub reference: Reference,
    /// [`master_down`] of the configuration in force.
    pub expected: Duration,
}

impl Judged {
    /// The instant the formula gives: reference + expected.
    pub fn due(&self) -> Instant {
        self.reference.at() + self.expected
    }

    /// Takeover minus [`Judged::due`], in microseconds (0 when exact).
    pub fn excess_us(&self) -> i64 {
        self.at.micros() as i64 - self.due().micros() as i64
    }
}

/// The latest reference for `vhid` on `host` before the timeline record
/// `index`, at `at`.
fn reference(
    lan: &Lan,
    configured: &[Configured],
    (host, vhid): (usize, u8),
    (index, at): (usize, Instant),
) -> Option<Reference> {
    let advert = lan
        .received()
        .iter()
        .filter(|r| r.host == host && r.records_before <= index)
        .filter(|r| {
            lan.captured()
                .get(r.capture)
                .and_then(|c| advert_vhid(&c.frame))
                == Some(vhid)
        })
        .map(|r| Reference::Advert(r.at))
        .next_back();
    let backup = lan
        .records()
        .iter()
        .take(index)
        .filter(|r| r.host == Some(host))
        .filter_map(|r| match r.kind {
            RecordKind::Transition {
                vhid: v,
                to: State::Backup,
                reason,
                ..
            } if v == vhid => Some(if TIE_YIELDS.contains(&reason) {
                Reference::TieYield(r.at)
            } else {
                Reference::Backup(r.at)
            }),
            _ => None,
        })
        .next_back();
    let reconfigured = configured
        .iter()
        .filter(|c| c.host == host && c.config.vhid.get() == vhid && c.at <= at)
        .map(|c| Reference::Reconfigured(c.at))
        .max_by_key(|r| r.at());
    // At one instant the BACKUP entry names the reference (a yield comes
    // with the advert that caused it), else the advert.
    [reconfigured, advert, backup]
        .into_iter()
        .flatten()
        .max_by_key(|r| r.at())
}

/// Every master-down takeover of the timeline with its independent
/// expectation; `Err` names a takeover nothing explains (no reference, no
/// configuration) or a segment that is not Ethernet.
///
/// # Errors
/// A description of the first takeover that cannot be judged.
pub fn check_takeovers(lan: &Lan, configured: &[Configured]) -> Result<Vec<Judged>, String> {
    if lan
        .hosts()
        .iter()
        .any(|h| h.spec().link != LinkType::Ethernet)
    {
        return Err("the oracle reads Ethernet frames only".into());
    }
    let mut judged = Vec::new();
    for (index, r) in lan.records().iter().enumerate() {
        let RecordKind::Transition {
            vhid,
            to: State::Master,
            reason: "master-down",
            ..
        } = r.kind
        else {
            continue;
        };
        let host = r.host.ok_or("a takeover without a host")?;
        let config = configured
            .iter()
            .filter(|c| c.host == host && c.config.vhid.get() == vhid && c.at <= r.at)
            .max_by_key(|c| c.at)
            .ok_or_else(|| {
                format!(
                    "host {host} vhid {vhid} at {}: no configuration given",
                    r.at
                )
            })?;
        let reference =
            reference(lan, configured, (host, vhid), (index, r.at)).ok_or_else(|| {
                format!(
                    "host {host} vhid {vhid} took over at {} with nothing to time it from",
                    r.at
                )
            })?;
        let margin = match reference {
            Reference::TieYield(_) => TIE_YIELD_MARGIN,
            _ => Duration::ZERO,
        };
        judged.push(Judged {
            host,
            vhid,
            at: r.at,
            reference,
            expected: master_down_of(&config.config) + margin,
        });
    }
    Ok(judged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_down_follows_carp_4_and_openbsd_advbase_0() {
        assert_eq!(master_down(1, 0, 3).micros(), 3_000_000);
        assert_eq!(master_down(1, 50, 3).micros(), 3_195_312);
        assert_eq!(master_down(1, 10, 3).micros(), 3_039_062);
        assert_eq!(master_down(5, 255, 3).micros(), 15_996_093);
        // advbase 0: 3 x advskew/256 s truncated once, 3/256 s for skew 0.
        assert_eq!(master_down(0, 2, 3).micros(), 23_437);
        assert_eq!(master_down(0, 50, 3).micros(), 585_937);
        assert_eq!(master_down(0, 0, 3).micros(), 11_718);
    }

    #[test]
    fn advert_vhid_reads_ipv4_and_ipv6_carp_only() {
        let mut v4 = vec![0u8; 14 + 20 + 36];
        v4[12..14].copy_from_slice(&[0x08, 0x00]);
        v4[14] = 0x45;
        v4[14 + 9] = 112;
        v4[34] = 0x21;
        v4[35] = 7;
        assert_eq!(advert_vhid(&v4), Some(7));
        v4[14 + 9] = 17;
        assert_eq!(advert_vhid(&v4), None);
        let mut v6 = vec![0u8; 14 + 40 + 36];
        v6[12..14].copy_from_slice(&[0x86, 0xdd]);
        v6[20] = 112;
        v6[54] = 0x21;
        v6[55] = 200;
        assert_eq!(advert_vhid(&v6), Some(200));
        v6[54] = 0x31;
        assert_eq!(advert_vhid(&v6), None);
        assert_eq!(advert_vhid(&[0u8; 10]), None);
    }
}
