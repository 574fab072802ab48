//! The nodes of the `net.inet.carp` tree: one [`Knob`] per node, with its
//! dotted name, MIB number, type, range, default and description.
//!
//! MIB numbers 1 to 4 are the classic OpenBSD 3.x `CARPCTL_*` values
//! (`sys/netinet/ip_carp.h` rev 1.7: `CARPCTL_ALLOW` 1, `CARPCTL_PREEMPT` 2,
//! `CARPCTL_LOG` 3, `CARPCTL_ARPBALANCE` 4). Later OpenBSD removed
//! `arpbalance` and reused 4 for `CARPCTL_STATS`; we keep the 3.x numbering
//! because `arpbalance` exists here. FreeBSD registers its nodes with
//! `OID_AUTO` (`sys/netinet/ip_carp.c`), so they have no stable number: ours
//! are assigned from 5 up and documented on each variant.

use core::fmt;
use core::ops::RangeInclusive;

use carp_core::ReplayPolicy;

/// `CTL_NET`, the top-level "network" identifier (BSD `sys/sysctl.h`).
pub const CTL_NET: i32 = 4;
/// `PF_INET` (= `AF_INET`, BSD `sys/socket.h`), the second MIB level.
pub const PF_INET: i32 = 2;
/// `IPPROTO_CARP`, the third MIB level (and the IP protocol number).
pub const IPPROTO_CARP: i32 = 112;
/// The MIB of the `net.inet.carp` node itself: `[CTL_NET, PF_INET, IPPROTO_CARP]`.
pub const MIB_PREFIX: [i32; 3] = [CTL_NET, PF_INET, IPPROTO_CARP];
/// The dotted prefix every knob's full name starts with.
pub const NAME_PREFIX: &str = "net.inet.carp.";

/// What a node holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KnobType {
    /// An integer used as a boolean: 0 or 1.
    Bool,
    /// A bounded integer.
    Int,
    /// A structure (`CTLTYPE_STRUCT`): the statistics snapshot.
    Struct,
}

/// One node under `net.inet.carp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Knob {
    /// `net.inet.carp.allow` (MIB 1, `CARPCTL_ALLOW`; default 1): accept
    /// incoming CARP packets. When 0, adverts are dropped and counted under
    /// [`carp_core::Counter::Disabled`].
    Allow,
    /// `net.inet.carp.preempt` (MIB 2, `CARPCTL_PREEMPT`; default 0): a backup
    /// that advertises more often than the master it hears takes over.
    Preempt,
    /// `net.inet.carp.log` (MIB 3, `CARPCTL_LOG`): how much to log. The BSDs
    /// disagree on the meaning:
    ///
    /// | system | values | default |
    /// |---|---|---|
    /// | OpenBSD 3.x, NetBSD | 0 quiet, 1 log bad packets | 0 |
    /// | OpenBSD 4.x and later | syslog priority 0-7 (`LOG_EMERG`..`LOG_DEBUG`) | 2 (`LOG_CRIT`) |
    /// | FreeBSD | 0 none, 1 state changes, >1 bad packets too | 1 |
    /// | **carp** | FreeBSD's, see [`LogLevel`]; 0-7 accepted | 1 |
    ///
    /// We follow FreeBSD because its default (state changes only) is the
    /// useful one, and accept 0-7 so an OpenBSD `sysctl.conf` still loads:
    /// in every BSD a larger number means more messages.
    Log,
    /// `net.inet.carp.arpbalance` (MIB 4, `CARPCTL_ARPBALANCE`, OpenBSD 3.x
    /// and NetBSD; default 0): answer ARP for a shared address from the vhid
    /// the requester's address hashes to.
    ArpBalance,
    /// `net.inet.carp.demotion` (MIB 5, FreeBSD; default 0). A read gives the
    /// effective demotion (0-255, never negative); a write *adds* the signed
    /// value to the administrator's contribution, as FreeBSD's
    /// `carp_demote_adj_sysctl` does, so `demotion=-10` undoes `demotion=10`.
    Demotion,
    /// `net.inet.carp.ifdown_demotion_factor` (MIB 6, FreeBSD; default 240,
    /// `CARP_MAXSKEW`): demotion added while a parent interface is down.
    IfdownDemotionFactor,
    /// `net.inet.carp.senderr_demotion_factor` (MIB 7, FreeBSD; default 240):
    /// demotion added while adverts fail to send.
    SenderrDemotionFactor,
    /// `net.inet.carp.dscp` (MIB 8, FreeBSD; default 4 = TOS 0x10, range 0-63):
    /// the DSCP of outgoing adverts.
    Dscp,
    /// `net.inet.carp.ignore_peer_demote` (MIB 9, ours; default 0): elect on
    /// advertised intervals only, as FreeBSD and NetBSD do, ignoring the
    /// demote byte of received adverts.
    IgnorePeerDemote,
    /// `net.inet.carp.replay` (MIB 10, ours; default 1): what to do with an
    /// advert whose counter is not above the last one accepted from its
    /// sender: 0 off, 1 log, 2 enforce (drop). See [`ReplayPolicy`].
    Replay,
    /// `net.inet.carp.preempt_holddown_ms` (MIB 11, ours; default 0, at most
    /// one hour): how long a master must have been heard before this host
    /// preempts it.
    PreemptHolddownMs,
    /// `net.inet.carp.stats` (MIB 12; read-only): a snapshot of the protocol
    /// statistics (`struct carpstats` and ours), as `netstat -s -p carp`
    /// reads it.
    Stats,
}

impl Knob {
    /// Every knob, in MIB order.
    pub const ALL: [Knob; 12] = [
        Knob::Allow,
        Knob::Preempt,
        Knob::Log,
        Knob::ArpBalance,
        Knob::Demotion,
        Knob::IfdownDemotionFactor,
        Knob::SenderrDemotionFactor,
        Knob::Dscp,
        Knob::IgnorePeerDemote,
        Knob::Replay,
        Knob::PreemptHolddownMs,
        Knob::Stats,
    ];

    /// The last component of the name (`preempt`).
    pub const fn name(self) -> &'static str {
        match self {
            Knob::Allow => "allow",
            Knob::Preempt => "preempt",
            Knob::Log => "log",
            Knob::ArpBalance => "arpbalance",
            Knob::Demotion => "demotion",
            Knob::IfdownDemotionFactor => "ifdown_demotion_factor",
            Knob::SenderrDemotionFactor => "senderr_demotion_factor",
            Knob::Dscp => "dscp",
            Knob::IgnorePeerDemote => "ignore_peer_demote",
            Knob::Replay => "replay",
            Knob::PreemptHolddownMs => "preempt_holddown_ms",
            Knob::Stats => "stats",
        }
    }

    /// The full dotted name (`net.inet.carp.preempt`).
    pub const fn path(self) -> &'static str {
        match self {
            Knob::Allow => "net.inet.carp.allow",
            Knob::Preempt => "net.inet.carp.preempt",
            Knob::Log => "net.inet.carp.log",
            Knob::ArpBalance => "net.inet.carp.arpbalance",
            Knob::Demotion => "net.inet.carp.demotion",
            Knob::IfdownDemotionFactor => "net.inet.carp.ifdown_demotion_factor",
            Knob::SenderrDemotionFactor => "net.inet.carp.senderr_demotion_factor",
            Knob::Dscp => "net.inet.carp.dscp",
            Knob::IgnorePeerDemote => "net.inet.carp.ignore_peer_demote",
            Knob::Replay => "net.inet.carp.replay",
            Knob::PreemptHolddownMs => "net.inet.carp.preempt_holddown_ms",
            Knob::Stats => "net.inet.carp.stats",
        }
    }

    /// The MIB number below `net.inet.carp` (the fourth component of
    /// `[CTL_NET, PF_INET, IPPROTO_CARP, n]`).
    pub const fn mib(self) -> i32 {
        match self {
            Knob::Allow => 1,
            Knob::Preempt => 2,
            Knob::Log => 3,
            Knob::ArpBalance => 4,
            Knob::Demotion => 5,
            Knob::IfdownDemotionFactor => 6,
            Knob::SenderrDemotionFactor => 7,
            Knob::Dscp => 8,
            Knob::IgnorePeerDemote => 9,
            Knob::Replay => 10,
            Knob::PreemptHolddownMs => 11,
            Knob::Stats => 12,
        }
    }

    /// The full MIB: `[CTL_NET, PF_INET, IPPROTO_CARP, self.mib()]`.
    pub const fn full_mib(self) -> [i32; 4] {
        [CTL_NET, PF_INET, IPPROTO_CARP, self.mib()]
    }

    /// What the node holds.
    pub const fn kind(self) -> KnobType {
        match self {
            Knob::Allow | Knob::Preempt | Knob::ArpBalance | Knob::IgnorePeerDemote => {
                KnobType::Bool
            }
            Knob::Stats => KnobType::Struct,
            Knob::Log
            | Knob::Demotion
            | Knob::IfdownDemotionFactor
            | Knob::SenderrDemotionFactor
            | Knob::Dscp
            | Knob::Replay
            | Knob::PreemptHolddownMs => KnobType::Int,
        }
    }

    /// The values a write accepts, or `None` for the read-only `stats`.
    /// For `demotion` this is the range of the *delta* (any `i32`); what it
    /// reads is always 0-255.
    pub const fn range(self) -> Option<RangeInclusive<i64>> {
        let (min, max) = match self {
            Knob::Allow | Knob::Preempt | Knob::ArpBalance | Knob::IgnorePeerDemote => (0, 1),
            Knob::Log => (0, 7),
            Knob::Demotion => (i32::MIN as i64, i32::MAX as i64),
            Knob::IfdownDemotionFactor | Knob::SenderrDemotionFactor => (0, u8::MAX as i64),
            Knob::Dscp => (0, 63),
            Knob::Replay => (0, 2),
            Knob::PreemptHolddownMs => (0, MAX_HOLDDOWN_MS as i64),
            Knob::Stats => return None,
        };
        Some(RangeInclusive::new(min, max))
    }

    /// The value at boot, or `None` for `stats`.
    pub const fn default_value(self) -> Option<i64> {
        match self {
            Knob::Allow => Some(1),
            Knob::Preempt => Some(0),
            Knob::Log => Some(LogLevel::DEFAULT as i64),
            Knob::ArpBalance => Some(0),
            Knob::Demotion => Some(0),
            Knob::IfdownDemotionFactor | Knob::SenderrDemotionFactor => {
                Some(DEFAULT_DEMOTION_FACTOR as i64)
            }
            Knob::Dscp => Some(DEFAULT_DSCP as i64),
            Knob::IgnorePeerDemote => Some(0),
            Knob::Replay => Some(replay_to_raw(ReplayPolicy::Log) as i64),
            Knob::PreemptHolddownMs => Some(0),
            Knob::Stats => None,
        }
    }

    /// Whether the node can be written.
    pub const fn is_writable(self) -> bool {
        !matches!(self, Knob::Stats)
    }

    /// One line saying what the node does (what `sysctl -d` prints).
    pub const fn description(self) -> &'static str {
        match self {
            Knob::Allow => "Accept incoming CARP packets",
            Knob::Preempt => "High-priority backup preemption mode",
            Knob::Log => "Log level: 0 none, 1 state changes, 2 bad packets too, 3+ everything",
            Knob::ArpBalance => "Balance ARP replies for shared addresses across vhids",
            Knob::Demotion => "Effective demotion; a write adds a signed delta",
            Knob::IfdownDemotionFactor => "Demotion added while a parent interface is down",
            Knob::SenderrDemotionFactor => "Demotion added while adverts fail to send",
            Knob::Dscp => "DSCP value for carp packets",
            Knob::IgnorePeerDemote => "Elect on intervals only, ignoring received demote bytes",
            Knob::Replay => "Replayed advert counters: 0 off, 1 log, 2 drop",
            Knob::PreemptHolddownMs => "Milliseconds a master must be heard before preempting it",
            Knob::Stats => "CARP statistics (struct carpstats and ours)",
        }
    }

    /// Looks a knob up by full (`net.inet.carp.preempt`) or short
    /// (`preempt`) name. Case-sensitive, as BSD sysctl is.
    pub fn from_name(name: &str) -> Option<Knob> {
        let short = name.strip_prefix(NAME_PREFIX).unwrap_or(name);
        Knob::ALL.into_iter().find(|k| k.name() == short)
    }

    /// Looks a knob up by its MIB number below `net.inet.carp`.
    pub fn from_mib(mib: i32) -> Option<Knob> {
        Knob::ALL.into_iter().find(|k| k.mib() == mib)
    }
}

impl fmt::Display for Knob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path())
    }
}

/// Default of both demotion factors: FreeBSD's `CARP_MAXSKEW`.
pub(crate) const DEFAULT_DEMOTION_FACTOR: u8 = 240;
/// Default DSCP: 4, i.e. TOS 0x10 (`IPTOS_LOWDELAY`), what OpenBSD, NetBSD,
/// FreeBSD before 10 and ucarp put on the wire (the fixtures show it).
/// FreeBSD 10+ defaults to 56 (CS7); set the knob to 56 to match it.
pub(crate) const DEFAULT_DSCP: u8 = 4;
/// Largest `preempt_holddown_ms`: one hour.
pub(crate) const MAX_HOLDDOWN_MS: u32 = 3_600_000;

/// The `replay` knob's number for a policy.
pub(crate) const fn replay_to_raw(policy: ReplayPolicy) -> u8 {
    match policy {
        ReplayPolicy::Off => 0,
        ReplayPolicy::Log => 1,
        ReplayPolicy::Enforce => 2,
    }
}

/// The policy for a `replay` knob number (values above 2 cannot be stored;
/// they read as `Enforce`).
pub(crate) const fn replay_from_raw(raw: u8) -> ReplayPolicy {
    match raw {
        0 => ReplayPolicy::Off,
        1 => ReplayPolicy::Log,
        _ => ReplayPolicy::Enforce,
    }
}

/// What `net.inet.carp.log` asks for, FreeBSD's meaning (see [`Knob::Log`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogLevel {
    /// 0: log nothing.
    Off = 0,
    /// 1 (default): state changes (FreeBSD `CARP_LOG`, at `LOG_INFO`).
    StateChanges = 1,
    /// 2: also every dropped packet and why (FreeBSD `CARP_DEBUG`, at
    /// `LOG_DEBUG`).
    BadPackets = 2,
    /// 3 to 7: everything, including each advert sent and accepted (ours).
    Verbose = 3,
}

impl LogLevel {
    /// The boot value: state changes, as FreeBSD.
    pub const DEFAULT: LogLevel = LogLevel::StateChanges;

    /// The level for a `net.inet.carp.log` value: negative is off, anything
    /// above 3 is `Verbose`.
    pub const fn from_sysctl(value: i64) -> LogLevel {
        match value {
            i64::MIN..=0 => LogLevel::Off,
            1 => LogLevel::StateChanges,
            2 => LogLevel::BadPackets,
            _ => LogLevel::Verbose,
        }
    }

    /// The `log` crate filter that lets exactly this level's messages
    /// through: state changes are logged at `Info`, bad packets at `Debug`,
    /// per-advert tracing at `Trace`.
    pub const fn level_filter(self) -> log::LevelFilter {
        match self {
            LogLevel::Off => log::LevelFilter::Off,
            LogLevel::StateChanges => log::LevelFilter::Info,
            LogLevel::BadPackets => log::LevelFilter::Debug,
            LogLevel::Verbose => log::LevelFilter::Trace,
        }
    }

    /// Whether a message at `level` should be emitted at this setting.
    pub fn allows(self, level: log::Level) -> bool {
        level <= self.level_filter()
    }
}

impl Default for LogLevel {
    fn default() -> LogLevel {
        LogLevel::DEFAULT
    }
}

impl From<LogLevel> for log::LevelFilter {
    fn from(level: LogLevel) -> log::LevelFilter {
        level.level_filter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_mibs_are_unique_and_round_trip() {
        for (i, a) in Knob::ALL.iter().enumerate() {
            assert_eq!(a.mib(), i as i32 + 1, "{a} is out of MIB order");
            assert_eq!(Knob::from_name(a.name()), Some(*a));
            assert_eq!(Knob::from_name(a.path()), Some(*a));
            assert_eq!(Knob::from_mib(a.mib()), Some(*a));
            assert_eq!(a.path().strip_prefix(NAME_PREFIX), Some(a.name()));
            assert_eq!(a.full_mib()[..3], MIB_PREFIX);
            for b in &Knob::ALL[i + 1..] {
                assert_ne!(a.name(), b.name());
            }
        }
    }

    #[test]
    fn classic_openbsd_carpctl_numbers() {
        assert_eq!(Knob::Allow.mib(), 1);
        assert_eq!(Knob::Preempt.mib(), 2);
        assert_eq!(Knob::Log.mib(), 3);
        assert_eq!(Knob::ArpBalance.mib(), 4);
        assert_eq!(Knob::Allow.full_mib(), [4, 2, 112, 1]);
    }

    #[test]
    fn defaults_lie_in_their_ranges_and_only_stats_is_read_only() {
        for k in Knob::ALL {
            match (k.range(), k.default_value()) {
                (Some(r), Some(d)) => {
                    assert!(r.contains(&d), "{k}");
                    assert!(k.is_writable(), "{k}");
                    assert_ne!(k.kind(), KnobType::Struct);
                }
                (None, None) => {
                    assert_eq!(k, Knob::Stats);
                    assert!(!k.is_writable());
                    assert_eq!(k.kind(), KnobType::Struct);
                }
                other => panic!("{k}: range/default mismatch {other:?}"),
            }
            if k.kind() == KnobType::Bool {
                assert_eq!(k.range(), Some(0..=1), "{k}");
            }
            assert!(!k.description().is_empty());
        }
    }

    #[test]
    fn unknown_names_and_mibs_are_none() {
        assert_eq!(Knob::from_name("net.inet.carp.dead_ratio"), None);
        assert_eq!(Knob::from_name("net.inet.carp."), None);
        assert_eq!(Knob::from_name("net.inet.carp.Preempt"), None);
        assert_eq!(Knob::from_name("net.inet6.carp.preempt"), None);
        assert_eq!(Knob::from_mib(0), None);
        assert_eq!(Knob::from_mib(13), None);
        assert_eq!(Knob::from_mib(-1), None);
    }

    #[test]
    fn log_levels_follow_freebsd_and_map_to_log_filters() {
        assert_eq!(LogLevel::from_sysctl(0), LogLevel::Off);
        assert_eq!(LogLevel::from_sysctl(1), LogLevel::StateChanges);
        assert_eq!(LogLevel::from_sysctl(2), LogLevel::BadPackets);
        assert_eq!(LogLevel::from_sysctl(7), LogLevel::Verbose);
        assert_eq!(LogLevel::Off.level_filter(), log::LevelFilter::Off);
        assert!(LogLevel::StateChanges.allows(log::Level::Info));
        assert!(!LogLevel::StateChanges.allows(log::Level::Debug));
        assert!(LogLevel::BadPackets.allows(log::Level::Debug));
        assert!(!LogLevel::BadPackets.allows(log::Level::Trace));
        assert!(LogLevel::Verbose.allows(log::Level::Trace));
        assert!(!LogLevel::Off.allows(log::Level::Error));
    }
}
