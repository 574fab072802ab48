//! `Policy`: the host-wide knobs the state machine obeys, passed per call.
//!
//! These live in sysctls (`net.inet.carp.preempt`, the demotion counters);
//! carp-core never reads a global, the caller hands a `Policy` in.

use crate::time::Duration;

/// What to do with an advert whose counter is not above the last one
/// accepted from the same sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ReplayPolicy {
    /// Do not track counters (every BSD today).
    Off,
    /// Accept, but count and report it. The default: ucarp and the BSDs do
    /// not send monotonic counters.
    #[default]
    Log,
    /// Drop it (only for groups of hosts that all run carp).
    Enforce,
}

/// Host-wide policy for one call into a virtual host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Policy {
    /// `net.inet.carp.preempt`: a backup with a more frequent interval takes
    /// over from a heard master.
    pub preempt: bool,
    /// The host's effective demotion count, saturated to a byte (0 = none).
    pub demotion: u8,
    /// Compare intervals only, as FreeBSD and NetBSD do, ignoring the demote
    /// byte of received adverts (and sending 0 in ours).
    pub ignore_peer_demote: bool,
    /// How long a master must have been heard before preempting it; never
    /// delays a takeover when no master is heard.
    pub preempt_holddown: Duration,
    /// Replay handling.
    pub replay: ReplayPolicy,
}

impl Policy {
    /// The BSD defaults: no preempt, no demotion, demote byte honoured, no
    /// hold-down, replay `Log`.
    pub const DEFAULT: Policy = Policy {
        preempt: false,
        demotion: 0,
        ignore_peer_demote: false,
        preempt_holddown: Duration::ZERO,
        replay: ReplayPolicy::Log,
    };
}

impl Default for Policy {
    fn default() -> Policy {
        Policy::DEFAULT
    }
}
