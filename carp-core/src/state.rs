//! [`State`] and [`Reason`]: the states of a virtual host and why it moves
//! between them.
//!
//! A module of its own, below both the state machine
//! ([`crate::vhost`]) and the events it reports ([`crate::event`]), so
//! neither imports the other for them. Their spellings are in
//! [`crate::names`].

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
    /// A master that advertises more often was heard (or one that ties,
    /// with no address to break the tie).
    BetterMaster,
    /// `ifconfig carpN state ...`.
    Forced,
    /// The configuration changed (addresses added or removed).
    Reconfigured,
    /// A master that ties exactly was heard, and its address ranks first
    /// (ucarp's tie-break).
    TieLost,
    /// We kept the vhid through a tie and the equal master kept advertising
    /// for about master-down: it does not hear us or breaks ties another
    /// way.
    TieDisputed,
    /// VRRP: priority 255, the address owner, takes over as soon as it
    /// runs (RFC 9568 6.4.1).
    Owner,
}
