//! The values a LAN is built from and reports: link parameters, knobs,
//! host specs, actions, captured frames and timeline records.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use carp_core::{DemoteReason, Duration, Instant, ReplayPolicy, State, VhostConfig};
use carp_ifnet::driver::ParentInfo;
use carp_ifnet::lladdr::{LinkType, MacAddr};

/// Loss, delay, jitter and duplication of the segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LinkParams {
    /// Chance that one copy of a frame is lost, in parts per million.
    pub loss_ppm: u32,
    /// Fixed delay from send to arrival.
    pub delay: Duration,
    /// Extra delay, uniform in `0..=jitter`, drawn per copy.
    pub jitter: Duration,
    /// Chance that a copy arrives twice, in parts per million.
    pub duplicate_ppm: u32,
}

/// The fate of one copy of one advert, overriding the link's random loss,
/// jitter and duplication: how a model-checker trace is replayed exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fate {
    /// The sending host.
    pub from: usize,
    /// The receiving host.
    pub to: usize,
    /// Which advert of `from`: 1 for its first CARP frame, counted over all
    /// its lives.
    pub advert: u64,
    /// One arrival per delay after the send: none is a loss, two a
    /// duplicate.
    pub delays: Vec<Duration>,
}

/// The host-wide sysctl knobs a scenario sets on every host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Knobs {
    /// `net.inet.carp.preempt`.
    pub preempt: bool,
    /// `net.inet.carp.arpbalance`.
    pub arpbalance: bool,
    /// `net.inet.carp.replay`.
    pub replay: ReplayPolicy,
    /// Any other `net.inet.carp` assignments, applied in order.
    pub extra: Vec<(String, i64)>,
}

impl Default for Knobs {
    fn default() -> Knobs {
        Knobs {
            preempt: false,
            arpbalance: false,
            replay: ReplayPolicy::Log,
            extra: Vec::new(),
        }
    }
}

impl Knobs {
    /// The knob assignments, in order: preempt, arpbalance, replay, then
    /// the others.
    pub fn assignments(&self) -> Vec<(String, i64)> {
        let replay = match self.replay {
            ReplayPolicy::Off => 0,
            ReplayPolicy::Log => 1,
            ReplayPolicy::Enforce => 2,
        };
        let mut all = vec![
            ("preempt".to_owned(), i64::from(self.preempt)),
            ("arpbalance".to_owned(), i64::from(self.arpbalance)),
            ("replay".to_owned(), replay),
        ];
        all.extend(self.extra.iter().cloned());
        all
    }
}

/// One simulated host as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSpec {
    /// Name in timelines.
    pub name: String,
    /// Framing of its parent interface.
    pub link: LinkType,
    /// The parent's own MAC.
    pub mac: MacAddr,
    /// The parent's own IPv4 address (source of IPv4 adverts).
    pub ip: Option<Ipv4Addr>,
    /// The parent's IPv6 link-local address (source of IPv6 adverts).
    pub ip6: Option<Ipv6Addr>,
    /// The parent's global IPv6 address (source of IPv6 adverts to a
    /// routed unicast peer).
    pub ip6_global: Option<Ipv6Addr>,
    /// The segment its parent is on (0 unless routers join several; see
    /// [`super::RouterSpec`]).
    pub segment: usize,
    /// Its vhosts, added at boot in this order.
    pub vhosts: Vec<VhostConfig>,
    /// Its sysctl knobs.
    pub knobs: Knobs,
    /// When it boots.
    pub start: Instant,
}

impl HostSpec {
    /// The parent this spec describes, as the host's `CarpIf` sees it.
    pub fn parent(&self) -> ParentInfo {
        ParentInfo {
            link: self.link,
            hw_addr: self.mac,
            mtu: 1500,
            ipv4: self.ip,
            ipv6_link_local: self.ip6,
            ipv6: self.ip6_global,
            router: false,
        }
    }

    /// Host `n` of 192.0.2.0/24 on Ethernet, booting at 0: MAC
    /// 02:00:00:00:00:n, 192.0.2.n, fe80::n.
    pub fn ethernet(name: &str, n: u8, vhosts: Vec<VhostConfig>, knobs: Knobs) -> HostSpec {
        HostSpec {
            name: name.to_owned(),
            link: LinkType::Ethernet,
            mac: MacAddr([0x02, 0, 0, 0, 0, n]),
            ip: Some(Ipv4Addr::new(192, 0, 2, n)),
            ip6: Some(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, u16::from(n))),
            ip6_global: None,
            segment: 0,
            vhosts,
            knobs,
            start: Instant::ZERO,
        }
    }
}

/// Who put a frame on the segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sender {
    /// A host, by index.
    Host(usize),
    /// A client, by index.
    Client(usize),
    /// [`Lan::inject`](super::Lan::inject) and friends.
    Attacker,
    /// A router forwarding a unicast packet, by index.
    Router(usize),
}

/// One frame as it appeared on the segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    /// When it was sent.
    pub at: Instant,
    /// Who sent it.
    pub from: Sender,
    /// The whole link-layer frame.
    pub frame: Vec<u8>,
}

/// One frame handed to a host's input: a receive-side capture (what a
/// packet capture on the host's port would show), for expectations that
/// must not ask carp when it heard what (see [`crate::oracle`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// When the host got it.
    pub at: Instant,
    /// The host, by index.
    pub host: usize,
    /// The frame, as an index into [`Lan::captured`](super::Lan::captured).
    pub capture: usize,
    /// How many [`Lan::records`](super::Lan::records) existed when it was
    /// handed over: orders it against the timeline within one instant.
    pub records_before: usize,
}

/// A fault or command, scheduled with [`Lan::schedule`](super::Lan::schedule).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// The host stops: no timers, no input, nothing sent.
    Crash(usize),
    /// The host boots again with its configuration: a fresh `CarpIf`, new
    /// counter seeds. A running host is crashed first.
    Restart(usize),
    /// Its parent link goes down (`CarpIf::set_link(false)`).
    LinkDown(usize),
    /// Its parent link comes back.
    LinkUp(usize),
    /// `ifconfig carpN down` for one vhid, or every vhid when `None`
    /// (a master bows out).
    AdminDown(usize, Option<u8>),
    /// `ifconfig carpN up`.
    AdminUp(usize, Option<u8>),
    /// `ifconfig carpN state ...`.
    ForceState(usize, u8, State),
    /// Replaces one vhid's configuration (kept across restarts).
    Reconfigure(usize, VhostConfig),
    /// Sets a sysctl on one host, or every host when `None` (kept across
    /// restarts).
    Sysctl(Option<usize>, String, i64),
    /// Splits the hosts into groups that hear only each other. Hosts in no
    /// group form one more group together.
    Partition(Vec<Vec<usize>>),
    /// Every host hears every other again.
    Heal,
    /// New loss, delay, jitter and duplication from now on.
    SetLink(LinkParams),
    /// The client asks who has `target`.
    Arp(usize, Ipv4Addr),
    /// A frame from the attacker, to one host or to every host, arriving
    /// now (no loss, no delay).
    Inject(Option<usize>, Vec<u8>),
    /// The attacker sends again the `n`th captured frame (if there is one
    /// by then).
    Replay(usize),
}

/// Which timer or advert a takeover is measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Takeover {
    /// The instant the master-down timer last started.
    pub reference: Instant,
    /// True when `reference` is the last advert the host accepted; false
    /// when it is when the vhost became BACKUP or was reconfigured.
    pub from_advert: bool,
    /// Takeover time minus `reference`.
    pub delay: Duration,
    /// The master-down interval of the vhost's configuration (plus
    /// [`carp_core::vhost::TIE_YIELD_MARGIN`] when the timer started as the
    /// vhost yielded a tie).
    pub expected: Duration,
    /// advbase, advskew and dead ratio in force.
    pub advbase: u8,
    /// advskew in force.
    pub advskew: u8,
    /// Dead ratio in force.
    pub dead_ratio: u8,
    /// For a VRRP vhid: its priority and the master's interval in
    /// centiseconds that master-down was timed from (RFC 9568's
    /// Active_Down_Interval); `None` for CARP.
    pub vrrp: Option<(u8, u16)>,
}

/// What a timeline entry says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordKind {
    /// A vhost changed state; `reason` is the library's reason name, or
    /// `crash` for a host the simulator stopped.
    Transition {
        /// The vhid.
        vhid: u8,
        /// State before.
        from: State,
        /// State after.
        to: State,
        /// Why.
        reason: &'static str,
        /// For BACKUP -> MASTER on master-down: how long it waited.
        takeover: Option<Takeover>,
    },
    /// A scheduled fault or command was applied.
    Fault(String),
    /// A command was refused by the host.
    Refused(String),
    /// An advert's counter went backwards.
    Replay {
        /// The vhid.
        vhid: u8,
        /// Its sender.
        src: IpAddr,
        /// Counter received.
        counter: u64,
        /// Last accepted from that sender.
        last: u64,
        /// Dropped (enforce) or accepted (log).
        dropped: bool,
    },
    /// The host's demotion changed.
    Demote {
        /// The vhid that asked.
        vhid: u8,
        /// Which contribution.
        reason: DemoteReason,
        /// Change.
        delta: i32,
    },
    /// A client's ARP request.
    ArpRequest {
        /// Client index.
        client: usize,
        /// Address asked for.
        target: Ipv4Addr,
    },
    /// A host answered a client's ARP request for `vhid`.
    ArpAnswer {
        /// Client index.
        client: usize,
        /// The vhid whose virtual MAC answered.
        vhid: u8,
    },
}

/// One timeline entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// When.
    pub at: Instant,
    /// Which host (none for segment-wide faults and client requests).
    pub host: Option<usize>,
    /// What.
    pub kind: RecordKind,
}
