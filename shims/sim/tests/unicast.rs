//! Unicast peers on the simulated network: FreeBSD's `unicast_v4` and
//! `unicast_v6` shape (tests/sys/netinet/carp.sh: two hosts on two subnets
//! behind a router, each the other's `peer`), and the allow-list.
//!
//! Expected instants come from the CARP formula (master-down = 3 x advbase
//! s + advskew/256 s after the last advert heard, truncated to
//! microseconds), never from the implementation.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use carp_core::{Counter, Instant, State, Vhid, VhostConfig};
use carp_ifnet::lladdr::MacAddr;
use carp_sim::lan::RecordKind;
use carp_sim::{Action, HostSpec, Knobs, Lan, LinkParams, RouterIf, RouterSpec};

const VIP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const A_IP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 2);
const B_IP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 224);
const C_IP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 225);

fn secs(s: u64) -> Instant {
    Instant::from_secs(s)
}

fn carp(advskew: u8, peer: Option<IpAddr>, vip: IpAddr) -> VhostConfig {
    let c = VhostConfig::new(Vhid::new(1).unwrap())
        .with_advskew(advskew)
        .unwrap()
        .with_passphrase(b"unicast")
        .unwrap()
        .with_address(vip)
        .unwrap();
    match peer {
        Some(p) => c.with_peer(p).unwrap(),
        None => c,
    }
}

fn host(name: &str, n: u8, ip: Ipv4Addr, segment: usize, config: VhostConfig) -> HostSpec {
    let mut spec = HostSpec::ethernet(name, n, vec![config], Knobs::default());
    spec.ip = Some(ip);
    spec.segment = segment;
    spec
}

/// The router of carp.sh's `unicast_v4`: 198.51.100.1/25 on segment 0,
/// 198.51.100.129/25 on segment 1.
fn router() -> RouterSpec {
    let iface = |segment: usize, n: u8, ip: Ipv4Addr, ip6: Ipv6Addr| RouterIf {
        segment,
        mac: MacAddr([0x02, 0, 0, 0, 0xfe, n]),
        ip: Some(ip),
        ip6: Some(ip6),
    };
    RouterSpec {
        name: "router".to_owned(),
        interfaces: vec![
            iface(
                0,
                1,
                Ipv4Addr::new(198, 51, 100, 1),
                "2001:db8:1::1".parse().unwrap(),
            ),
            iface(
                1,
                2,
                Ipv4Addr::new(198, 51, 100, 129),
                "2001:db8:2::1".parse().unwrap(),
            ),
        ],
    }
}

/// A (advskew 0) on segment 0 and B (advskew 100) on segment 1, each the
/// other's peer when `unicast`.
fn routed_pair(unicast: bool) -> Lan {
    let mut lan = Lan::new(1, LinkParams::default());
    lan.add_router(router());
    let peer = |ip: Ipv4Addr| unicast.then_some(IpAddr::V4(ip));
    lan.add_host(host("a", 2, A_IP, 0, carp(0, peer(B_IP), IpAddr::V4(VIP))))
        .unwrap();
    lan.add_host(host(
        "b",
        3,
        B_IP,
        1,
        carp(100, peer(A_IP), IpAddr::V4(VIP)),
    ))
    .unwrap();
    lan
}

fn transitions(lan: &Lan, host: usize) -> Vec<(u64, State, &'static str)> {
    lan.records()
        .iter()
        .filter(|r| r.host == Some(host))
        .filter_map(|r| match r.kind {
            RecordKind::Transition { to, reason, .. } => Some((r.at.micros(), to, reason)),
            _ => None,
        })
        .collect()
}

#[test]
fn multicast_adverts_do_not_cross_the_router_so_both_become_master() {
    let mut lan = routed_pair(false);
    lan.run_until(secs(10));
    assert_eq!(lan.masters(1), [0, 1], "each alone on its segment");
    assert_eq!(lan.routers()[0].forwarded(), 0);
}

#[test]
fn a_routed_unicast_pair_elects_one_master_and_fails_over_at_the_formula() {
    let mut lan = routed_pair(true);
    lan.schedule(secs(20), Action::Crash(0));
    lan.run_until(secs(30));
    // A: master-down of advskew 0 from boot, 3 s; then every second.
    assert_eq!(
        transitions(&lan, 0)[1],
        (3_000_000, State::Master, "master-down")
    );
    // B heard every advert of A (through the router, TTL 254) and stayed
    // BACKUP until the crash; then it waited 3 s + 100/256 s after the
    // last one: A advertised at 3 s + k s, the last at 19 s.
    let b = transitions(&lan, 1);
    assert_eq!(b.len(), 2, "{b:?}");
    assert_eq!(b[1], (19_000_000 + 3_390_625, State::Master, "master-down"));
    let stats = lan.hosts()[1].counters();
    assert_eq!(stats.get(Counter::Badttl), 0);
    assert_eq!(stats.get(Counter::Ipackets), 17, "A's adverts 3 s..19 s");
    assert!(lan.routers()[0].forwarded() >= 17);
}

#[test]
fn preempt_takes_the_vhid_back_over_the_router() {
    let mut lan = routed_pair(true);
    lan.schedule(Instant::ZERO, Action::Sysctl(None, "preempt".to_owned(), 1));
    lan.schedule(secs(10), Action::Crash(0));
    lan.schedule(secs(20), Action::Restart(0));
    lan.run_until(secs(30));
    assert_eq!(lan.masters(1), [0]);
    // Restarted A is BACKUP at 20 s and preempts B on B's first advert
    // after that (B advertises every 1 s + 100/256 s).
    let a = transitions(&lan, 0);
    let last = a.last().unwrap();
    assert_eq!((last.1, last.2), (State::Master, "preempt"));
    assert!(last.0 > 20_000_000 && last.0 < 21_390_625, "{a:?}");
}

#[test]
fn an_advert_from_a_host_not_in_the_peer_list_is_dropped_and_counted() {
    let mut lan = routed_pair(true);
    // C on B's segment, signed with the right key and a better advskew,
    // sends to B; B's peer is A, so C is not on its allow-list.
    lan.add_host(host(
        "c",
        4,
        C_IP,
        1,
        carp(0, Some(IpAddr::V4(B_IP)), IpAddr::V4(VIP)),
    ))
    .unwrap();
    lan.run_until(secs(10));
    let b = &lan.hosts()[1];
    assert_eq!(b.state(1), State::Backup, "B follows A alone");
    let stats = b.counters();
    // C is master from 3 s (advskew 0, alone) and advertises every second.
    assert_eq!(
        stats.get(Counter::Badpeer),
        8,
        "C's adverts at 3 s ... 10 s"
    );
    assert_eq!(stats.get(Counter::Badauth), 0, "no HMAC work for them");
    assert_eq!(lan.masters(1), [0, 2], "C hears nobody: master alone");
}

#[test]
fn unicast_v6_across_the_router_from_global_addresses() {
    let vip: IpAddr = "2001:db8::1".parse().unwrap();
    let a6: Ipv6Addr = "2001:db8:1::2".parse().unwrap();
    let b6: Ipv6Addr = "2001:db8:2::2".parse().unwrap();
    let mut lan = Lan::new(1, LinkParams::default());
    lan.add_router(router());
    let mut a = host("a", 2, A_IP, 0, carp(0, Some(IpAddr::V6(b6)), vip));
    a.ip6_global = Some(a6);
    let mut b = host("b", 3, B_IP, 1, carp(100, Some(IpAddr::V6(a6)), vip));
    b.ip6_global = Some(b6);
    lan.add_host(a).unwrap();
    lan.add_host(b).unwrap();
    lan.run_until(secs(10));
    assert_eq!(lan.masters(1), [0]);
    // A advertised at 3 s, 4 s ... 10 s (run_until includes 10 s).
    assert_eq!(lan.hosts()[1].counters().get(Counter::Ipackets6), 8);
}
