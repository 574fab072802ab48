//! carpd pairs with unicast peers (`peer A`, FreeBSD 14 carp(4)) where
//! multicast does not carry: across a router, and on a bridge that does
//! not flood unknown multicast.
//!
//! What is asserted:
//! * **Across a router** (FreeBSD's `unicast_v4` and `unicast_v6`
//!   shapes): carpd on 192.0.2.0/24 and carpd on 198.51.100.0/24 (IPv6:
//!   2001:db8:1::/64 and 2001:db8:2::/64, `peer6`, adverts from the
//!   parents' global addresses), a router namespace forwarding between
//!   them. One master (skew 0), the other BACKUP for
//!   5 s: it hears every advert, which arrives routed (TTL 254, accepted
//!   because it comes from the configured peer; the eBPF socket filter
//!   leaves the TTL to the library in unicast mode). On the far segment
//!   every advert is unicast 192.0.2.11 -> 198.51.100.12 (2001:db8:1::11
//!   -> 2001:db8:2::12) with TTL (hop limit) 254 and a good CARP checksum
//!   in tshark. The master killed (SIGKILL), the backup takes
//!   over within 2-6 s (master-down: 3 x advbase + skew/256 from the last
//!   advert).
//! * **A bridge with multicast snooping on and no querier** (`mcast_snooping
//!   1 mcast_querier 0`): the Linux bridge still floods 224.0.0.18, as
//!   RFC 4541 2.1.2 requires of a snooping switch for 224.0.0.X, and as
//!   `br_handle_frame_finish` does for a group without an mdb entry while
//!   no querier exists: multicast CARP keeps one master there (asserted,
//!   so that the day this changes the test says so). A switch that drops
//!   unknown multicast (as some do, against RFC 4541) is emulated by
//!   turning off flooding of unknown multicast on the ports (`bridge link
//!   set ... mcast_flood off`): multicast CARP then loses every advert and
//!   both hosts are MASTER; carpd with unicast peers on the same bridge
//!   keeps one master and fails over when it is killed.

use std::time::{Duration, Instant};

use carp_tests::carpd::{Carpd, Scratch, BACKUP, MASTER};
use carp_tests::netns::{capture, Host, Lab};
use carp_tests::process::wait_until;
use carp_tests::require;
use carp_tests::require::Prerequisite::{Netns, Root, Tshark};
use carp_tests::tshark::{assert_every_carp_checksum_good, decode_fields};

const ELECT: Duration = Duration::from_secs(10);
/// How long a backup must stay BACKUP to show it hears the master.
const STEADY: Duration = Duration::from_secs(5);

/// carpd for vhid 1, advskew `skew`, with `words` after the usual ones.
fn carpd(host: &Host, dir: &Scratch, name: &str, skew: u8, words: &[&str]) -> Carpd {
    let skew = skew.to_string();
    let mut args = vec!["--", "vhid", "1", "pass", "pw", "advskew", &skew];
    args.extend_from_slice(words);
    Carpd::start(host, &dir.path, name, &args)
}

/// Waits until the backup has been BACKUP for all of `STEADY` (or fails).
fn stays_backup(b: &Carpd) {
    let t0 = Instant::now();
    while t0.elapsed() < STEADY {
        assert_eq!(b.state().as_deref(), Some(BACKUP), "{:?}", b.event_lines());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Kills the master and returns how long the backup took to take over.
fn crash_and_take_over(master: &mut Carpd, backup: &Carpd) -> Duration {
    master.crash();
    let t0 = Instant::now();
    assert!(
        wait_until(ELECT, || backup.state().as_deref() == Some(MASTER)),
        "{:?}",
        backup.event_lines()
    );
    let t = t0.elapsed();
    assert!(
        t >= Duration::from_secs(2) && t < Duration::from_secs(6),
        "takeover after {t:?}"
    );
    t
}

/// One family's addressing of the routed pair: segment 1 (a, the
/// router's first leg) and segment 2 (b, the router's second leg).
struct Routed {
    a: &'static str,
    r1: &'static str,
    r2: &'static str,
    b: &'static str,
    /// The peer word (`peer` or `peer6`).
    peer: &'static str,
    vaddr: &'static str,
    /// The capture filter and the tshark fields of source, destination
    /// and TTL.
    filter: &'static str,
    fields: [&'static str; 3],
    forwarding: &'static str,
    /// The two segments' prefixes.
    nets: [&'static str; 2],
}

const ROUTED_V4: Routed = Routed {
    a: "192.0.2.11/24",
    r1: "192.0.2.1/24",
    r2: "198.51.100.1/24",
    b: "198.51.100.12/24",
    peer: "peer",
    vaddr: "192.0.2.100/24",
    filter: "ip proto 112",
    fields: ["ip.src", "ip.dst", "ip.ttl"],
    forwarding: "net.ipv4.ip_forward=1",
    nets: ["192.0.2.0/24", "198.51.100.0/24"],
};

const ROUTED_V6: Routed = Routed {
    a: "2001:db8:1::11/64",
    r1: "2001:db8:1::1/64",
    r2: "2001:db8:2::1/64",
    b: "2001:db8:2::12/64",
    peer: "peer6",
    vaddr: "2001:db8:1::100/64",
    filter: "ip6 proto 112",
    fields: ["ipv6.src", "ipv6.dst", "ipv6.hlim"],
    forwarding: "net.ipv6.conf.all.forwarding=1",
    nets: ["2001:db8:1::/64", "2001:db8:2::/64"],
};

fn addr(cidr: &str) -> &str {
    cidr.split('/').next().unwrap()
}

fn routed_pair(f: &Routed) {
    let dir = Scratch::new("unicast-router");
    let mut lab = Lab::new().unwrap();
    lab.add_bridge("lan2").unwrap();
    let a = lab.add_host("a", &[f.a]).unwrap();
    let r = lab.add_host("r", &[f.r1]).unwrap();
    lab.add_port(&r, "lan2", "eth1", &[f.r2]).unwrap();
    r.ns.run(&["sysctl", "-qw", f.forwarding]).unwrap();
    // b lives on lan2 only: its first interface (on br0) goes down.
    let b0 = lab.add_host("b", &[]).unwrap();
    b0.ns.run(&["ip", "link", "set", "eth0", "down"]).unwrap();
    let b = lab.add_port(&b0, "lan2", "eth1", &[f.b]).unwrap();
    a.ns.run(&["ip", "route", "add", f.nets[1], "via", addr(f.r1)])
        .unwrap();
    b.ns.run(&["ip", "route", "add", f.nets[0], "via", addr(f.r2)])
        .unwrap();
    assert!(a
        .ns
        .ping_within(addr(f.b).parse().unwrap(), Duration::from_secs(5)));
    let pcap = dir.path.join("lan2.pcap");
    let cap = capture(lab.bridge(), "lan2", &pcap, f.filter).unwrap();

    let mut ma = carpd(&a, &dir, "a", 0, &[f.peer, addr(f.b), f.vaddr]);
    let mb = carpd(&b, &dir, "b", 100, &[f.peer, addr(f.a), f.vaddr]);
    assert!(ma.wait_state(MASTER, ELECT), "{:?}", ma.event_lines());
    assert!(mb.wait_state(BACKUP, ELECT), "{:?}", mb.event_lines());
    stays_backup(&mb);
    // The kernel filter is the eBPF one, which would drop TTL 254 but for
    // the unicast peer.
    let report = mb.status_report();
    assert!(report.contains("socket filter: eBPF"), "{report}");
    let t = crash_and_take_over(&mut ma, &mb);
    println!(
        "router ({}): the backup took over {t:?} after the master was killed",
        f.peer
    );
    std::thread::sleep(Duration::from_millis(1500));
    drop(mb);
    drop(cap);

    let rows = decode_fields(&pcap, &f.fields).unwrap();
    let from_a: Vec<_> = rows.iter().filter(|r| r[0] == addr(f.a)).collect();
    assert!(from_a.len() >= 5, "{rows:?}");
    for r in &from_a {
        assert_eq!((r[1].as_str(), r[2].as_str()), (addr(f.b), "254"), "{r:?}");
    }
    let from_b = rows.iter().filter(|r| r[0] == addr(f.b)).count();
    assert!(from_b >= 1, "no advert from the new master: {rows:?}");
    let n = assert_every_carp_checksum_good(&pcap);
    println!(
        "router ({}): {} adverts from {} routed to {} (TTL 254), {from_b} from the new master, {n} CARP checksums good",
        f.peer,
        from_a.len(),
        addr(f.a),
        addr(f.b)
    );
}

#[test]
fn a_unicast_pair_across_a_router_keeps_one_master_and_fails_over() {
    require!(Root, Netns, Tshark);
    routed_pair(&ROUTED_V4);
}

#[test]
fn an_ipv6_unicast_pair_across_a_router_keeps_one_master_and_fails_over() {
    require!(Root, Netns, Tshark);
    routed_pair(&ROUTED_V6);
}

#[test]
fn on_a_bridge_that_drops_unknown_multicast_only_unicast_keeps_one_master() {
    require!(Root, Netns);
    let dir = Scratch::new("unicast-snoop");
    let mut lab = Lab::new().unwrap();
    let a = lab.add_host("a", &["192.0.2.11/24"]).unwrap();
    let b = lab.add_host("b", &["192.0.2.12/24"]).unwrap();
    lab.bridge_ip(&[
        "link",
        "set",
        "br0",
        "type",
        "bridge",
        "mcast_snooping",
        "1",
        "mcast_querier",
        "0",
    ])
    .unwrap();
    let vaddr = "192.0.2.100/24";

    // Snooping on, no querier: 224.0.0.18 is still flooded.
    let mut ma = carpd(&a, &dir, "a1", 0, &[vaddr]);
    let mut mb = carpd(&b, &dir, "b1", 100, &[vaddr]);
    assert!(ma.wait_state(MASTER, ELECT), "{:?}", ma.event_lines());
    assert!(mb.wait_state(BACKUP, ELECT), "{:?}", mb.event_lines());
    stays_backup(&mb);
    ma.terminate(Duration::from_secs(5));
    mb.terminate(Duration::from_secs(5));
    println!("snooping without a querier: multicast CARP kept one master (224.0.0.18 flooded)");

    // Unknown multicast no longer flooded: multicast CARP goes dual master.
    for port in ["v-a", "v-b"] {
        lab.bridge_ip(&[
            "link",
            "set",
            "dev",
            port,
            "type",
            "bridge_slave",
            "mcast_flood",
            "off",
        ])
        .unwrap();
    }
    let ma = carpd(&a, &dir, "a2", 0, &[vaddr]);
    let mb = carpd(&b, &dir, "b2", 100, &[vaddr]);
    assert!(ma.wait_state(MASTER, ELECT), "{:?}", ma.event_lines());
    assert!(
        mb.wait_state(MASTER, ELECT),
        "multicast CARP still heard its peer: {:?}",
        mb.event_lines()
    );
    drop(ma);
    drop(mb);
    println!("mcast_flood off: multicast CARP lost the adverts, both hosts MASTER");

    // Unicast peers on the same bridge: one master, failover.
    let mut ma = carpd(&a, &dir, "a3", 0, &["peer", "192.0.2.12", vaddr]);
    let mb = carpd(&b, &dir, "b3", 100, &["peer", "192.0.2.11", vaddr]);
    assert!(ma.wait_state(MASTER, ELECT), "{:?}", ma.event_lines());
    assert!(mb.wait_state(BACKUP, ELECT), "{:?}", mb.event_lines());
    stays_backup(&mb);
    let t = crash_and_take_over(&mut ma, &mb);
    println!(
        "mcast_flood off, unicast peers: one master for {STEADY:?}, takeover {t:?} after the kill"
    );
}
