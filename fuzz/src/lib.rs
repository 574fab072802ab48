//! Shared pieces of the carp fuzz targets: a recording mock driver, the
//! vhid set-ups the targets (and the seed generator) agree on, and
//! snapshots of a [`CarpIf`] to compare before and after one input.
//!
//! Only public API of the library crates is used.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use carp_core::{Counter, Instant, State, Stats, Vhid, VhostConfig};
use carp_ifnet::carpif::CarpIf;
use carp_ifnet::lladdr::LinkType;
use carp_sysctl::Sysctl;

/// The parent interface of every target: the cross-crate tests'
/// recording driver (host `n`: MAC 02:00:00:00:00:n, 192.0.2.n, fe80::n).
pub use carp_tests::driver::RecordingDriver as Mock;

/// The link type a selector byte picks (Ethernet, FDDI, Token Ring).
pub fn link_from_byte(b: u8) -> LinkType {
    match b % 3 {
        0 => LinkType::Ethernet,
        1 => LinkType::Fddi,
        _ => LinkType::TokenRing,
    }
}

/// The selector byte of a link type (inverse of [`link_from_byte`]).
pub fn link_byte(link: LinkType) -> u8 {
    match link {
        LinkType::Ethernet => 0,
        LinkType::Fddi => 1,
        LinkType::TokenRing => 2,
    }
}

/// The virtual address of the ucarp fixtures (vhids 7 and 9).
pub const FIXTURE_ADDR: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 100);

/// One vhid of the `frame_input` parent: vhid, passphrase, addresses.
pub struct VhidSetup {
    /// The vhid.
    pub vhid: u8,
    /// Its passphrase.
    pub pass: &'static [u8],
    /// Its IPv4 addresses.
    pub v4: &'static [[u8; 4]],
    /// Its IPv6 addresses.
    pub v6: &'static [[u16; 8]],
    /// Its advskew.
    pub advskew: u8,
    /// VRRPv3 with this priority instead of CARP.
    pub vrrp: Option<u8>,
    /// Its IPv4 unicast peer (multicast without).
    pub peer: Option<[u8; 4]>,
}

/// The vhids of the `frame_input` parent. 7 and 9 are the ucarp fixtures'
/// (their captured adverts verify); 1 has both families; 200 only IPv6; 5
/// speaks VRRPv3 over both families (keepalived's vrid 7 is CARP's here:
/// its captured advert meets the version check); 12 sends to the unicast
/// peer 192.0.2.11, the ucarp fixtures' master.
pub const VHIDS: [VhidSetup; 6] = [
    VhidSetup {
        vhid: 1,
        pass: b"fuzzing",
        v4: &[[198, 51, 100, 1]],
        v6: &[[0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]],
        advskew: 100,
        vrrp: None,
        peer: None,
    },
    VhidSetup {
        vhid: 7,
        pass: b"secret42",
        v4: &[[192, 0, 2, 100]],
        v6: &[],
        advskew: 100,
        vrrp: None,
        peer: None,
    },
    VhidSetup {
        vhid: 9,
        pass: b"abcdefghijklmnopqrs",
        v4: &[[192, 0, 2, 100]],
        v6: &[],
        advskew: 100,
        vrrp: None,
        peer: None,
    },
    VhidSetup {
        vhid: 200,
        pass: b"",
        v4: &[],
        v6: &[[0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x200]],
        advskew: 100,
        vrrp: None,
        peer: None,
    },
    VhidSetup {
        vhid: 5,
        pass: b"",
        v4: &[[192, 0, 2, 5]],
        v6: &[[0xfe80, 0, 0, 0, 0, 0, 1, 5]],
        advskew: 0,
        vrrp: Some(100),
        peer: None,
    },
    VhidSetup {
        vhid: 12,
        pass: b"unicast",
        v4: &[[192, 0, 2, 112]],
        v6: &[],
        advskew: 100,
        vrrp: None,
        peer: Some([192, 0, 2, 11]),
    },
];

impl VhidSetup {
    /// Its configuration with the given advskew.
    pub fn config(&self, advskew: u8) -> VhostConfig {
        let mut c = VhostConfig::new(Vhid::new(self.vhid).expect("vhid"))
            .with_advskew(advskew)
            .expect("advskew")
            .with_passphrase(self.pass)
            .expect("pass");
        if let Some(priority) = self.vrrp {
            c = c
                .with_version(carp_core::Version::Vrrp)
                .with_vrrp_priority(priority)
                .expect("priority");
        }
        if let Some(peer) = self.peer {
            c = c.with_peer(IpAddr::V4(Ipv4Addr::from(peer))).expect("peer");
        }
        for a in self.v4 {
            c.add_address(IpAddr::V4(Ipv4Addr::from(*a)))
                .expect("v4 address");
        }
        for a in self.v6 {
            c.add_address(IpAddr::V6(Ipv6Addr::from(*a)))
                .expect("v6 address");
        }
        c
    }
}

/// Number of the host that receives in `frame_input` (192.0.2.12).
pub const RECEIVER: u8 = 12;

/// A carp interface and the NIC it sends through.
pub struct Receiver {
    /// The carp interface.
    pub cif: CarpIf,
    /// Its NIC, recording what is sent.
    pub nic: Mock,
}

impl Receiver {
    /// Sends what is owed and runs due timers, as an embedder does after
    /// every call.
    pub fn poll(&mut self, now: Instant, sysctl: &Sysctl) {
        self.cif.poll(now, &mut self.nic, sysctl);
    }
}

/// A parent on `link` with every vhid of [`VHIDS`] added (and polled) at
/// time zero.
pub fn receiver(link: LinkType, sysctl: &Sysctl) -> Receiver {
    let nic = Mock::on(link, RECEIVER);
    let mut r = Receiver {
        cif: CarpIf::new(nic.parent(), nic.link_state()),
        nic,
    };
    for (i, v) in VHIDS.iter().enumerate() {
        r.cif
            .add_vhost(
                Instant::ZERO,
                v.config(v.advskew),
                (i as u64 + 1) << 40,
                sysctl,
            )
            .expect("add vhost");
    }
    r.poll(Instant::ZERO, sysctl);
    r
}

/// What a [`CarpIf`] looks like from outside at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// (vhid, state, own deadline, counter) of every vhost.
    pub vhosts: Vec<(u8, State, Option<Instant>, u64)>,
    /// The parent's next deadline.
    pub deadline: Option<Instant>,
    /// The parent's counters.
    pub stats: Stats,
    /// The host-wide counters.
    pub host_stats: Stats,
    /// Frames sent so far.
    pub sent: usize,
}

/// Takes a [`Snapshot`].
pub fn snapshot(r: &Receiver, sysctl: &Sysctl) -> Snapshot {
    let cif = &r.cif;
    Snapshot {
        vhosts: cif
            .vhosts()
            .map(|v| (v.vhid().get(), v.state(), v.poll_timeout(), v.counter()))
            .collect(),
        deadline: cif.poll_timeout(),
        stats: cif.stats().clone(),
        host_stats: sysctl.stats(),
        sent: r.nic.sent.len() + r.nic.ip_sent.len(),
    }
}

/// Every counter that differs, with how much it grew (panics if one shrank).
pub fn stats_diff(before: &Stats, after: &Stats) -> Vec<(Counter, u64)> {
    before
        .iter()
        .zip(after.iter())
        .filter_map(|((c, b), (_, a))| {
            assert!(a >= b, "counter {c} went backwards: {b} -> {a}");
            (a != b).then_some((c, a - b))
        })
        .collect()
}

/// True for the counters every CARP packet moves before any check.
pub fn is_input_counter(c: Counter) -> bool {
    matches!(c, Counter::Ipackets | Counter::Ipackets6)
}
