//! States and the reasons for moving between them.

use core::fmt;

/// The state of one virtual host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum State {
    /// Not running: interface or parent link down, or no addresses.
    #[default]
    Init,
    /// Listening to a master; takes over at master-down.
    Backup,
    /// Owns the addresses and advertises.
    Master,
}

impl State {
    /// The BSD name, as ifconfig prints it.
    pub const fn name(self) -> &'static str {
        match self {
            State::Init => "INIT",
            State::Backup => "BACKUP",
            State::Master => "MASTER",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a state change happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// The carp interface was brought up.
    AdminUp,
    /// The carp interface was brought down.
    AdminDown,
    /// The parent link came up.
    LinkUp,
    /// The parent link went down.
    LinkDown,
    /// No advert heard for the master-down interval.
    MasterDown,
    /// Preempt is on and the heard master advertises less often.
    Preempt,
    /// The heard master is more demoted than we are.
    PeerDemoted,
    /// The heard master advertises so rarely it would time out anyway.
    PeerTooSlow,
    /// The master left with a bow-out advert.
    BowOut,
    /// A master that advertises more often (or ties) was heard.
    BetterMaster,
    /// `ifconfig carpN state ...`.
    Forced,
    /// The configuration changed (addresses added or removed).
    Reconfigured,
}

impl Reason {
    /// Short name for timelines and logs.
    pub const fn name(self) -> &'static str {
        match self {
            Reason::AdminUp => "admin-up",
            Reason::AdminDown => "admin-down",
            Reason::LinkUp => "link-up",
            Reason::LinkDown => "link-down",
            Reason::MasterDown => "master-down",
            Reason::Preempt => "preempt",
            Reason::PeerDemoted => "peer-demoted",
            Reason::PeerTooSlow => "peer-too-slow",
            Reason::BowOut => "bow-out",
            Reason::BetterMaster => "better-master",
            Reason::Forced => "forced",
            Reason::Reconfigured => "reconfigured",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
