//! carpd speaking VRRPv3 (`carpver 3`, FreeBSD 14's personality) against
//! keepalived (Debian's 2.2.7, `version 3`) on one bridge, as RFC 9568
//! routers sharing a virtual address.
//!
//! What is asserted, over IPv4 and over IPv6, both ways round (carpd the
//! higher priority, then keepalived):
//! * election by priority: the higher one is MASTER, the other BACKUP;
//! * priority 0 on stop (SIGTERM): the leaving master's last advert has
//!   priority 0 and the backup takes over within Skew_Time (RFC 9568
//!   6.4.2: (256 - 100) x 1 s / 256 = 0.61 s here), well before
//!   Master_Down_Interval (3.61 s; asserted under 2 s);
//! * preemption: the higher priority restarted takes the master role back
//!   (carpd with `net.inet.carp.preempt=1`, `-P`; keepalived's default);
//! * failover on a crash (no priority 0: carpd gets SIGKILL; keepalived's
//!   bridge port goes down first, since its VRRP child still sends
//!   priority 0 when its parent is killed): the backup takes over after
//!   Master_Down_Interval counted from the master's last advert, so
//!   between 2.5 s (3.61 s less one advert interval, less polling) and
//!   6 s after the crash;
//! * every advert on the wire, from both, is decoded by tshark as VRRP
//!   version 3 with a good checksum (pseudo-header included), and each
//!   side sent at least one with priority 0.
//!
//! And keepalived's `unicast_peer` against carpd's `peer` (IPv4) and
//! `peer6` (IPv6, global addresses): one master, every advert unicast to
//! the other host with a good checksum, failover on a crash, and no ICMP
//! unreachable from carpd's host (its raw protocol-112 socket listens, so
//! the kernel does not refuse the peer's adverts).

use std::net::IpAddr;
use std::time::{Duration, Instant};

use carp_tests::carpd::{Carpd, Scratch, BACKUP, MASTER};
use carp_tests::keepalived::{Instance, Keepalived};
use carp_tests::netns::{Host, Lab};
use carp_tests::process::wait_until;
use carp_tests::require;
use carp_tests::require::Prerequisite::{Keepalived as KeepalivedTool, Netns, Root, Tshark};
use carp_tests::tshark::decode_fields;
use carp_tests::tshark_vrrp::{vrrp_fields, VrrpFields};

const VRID: u8 = 51;
const ELECT: Duration = Duration::from_secs(10);
/// RFC 9568 6.1 at 100 cs for a backup of priority 100: 3 s + 156/256 s.
const MASTER_DOWN_MS: u128 = 3609;

/// One family's addresses.
#[derive(Clone, Copy)]
struct Family {
    /// The hosts' own addresses.
    hosts: [&'static str; 2],
    /// The virtual address in CIDR form.
    vaddr: &'static str,
}

const V4: Family = Family {
    hosts: ["192.0.2.11/24", "192.0.2.12/24"],
    vaddr: "192.0.2.100/24",
};
const V6: Family = Family {
    hosts: ["2001:db8::11/64", "2001:db8::12/64"],
    vaddr: "2001:db8::100/64",
};

/// carpd in VRRPv3 mode on `host` at `priority`, preempt on.
fn carpd(host: &Host, dir: &Scratch, name: &str, priority: u8, extra: &[&str]) -> Carpd {
    let prio = priority.to_string();
    let mut args = vec![
        "-P",
        "--",
        "vhid",
        "51",
        "carpver",
        "3",
        "vrrpprio",
        &prio,
        "vrrpinterval",
        "100",
    ];
    args.extend_from_slice(extra);
    Carpd::start(host, &dir.path, name, &args)
}

fn keepalived(host: &Host, dir: &Scratch, name: &str, instance: &Instance<'_>) -> Keepalived {
    Keepalived::start_with(host, &dir.path, name, instance)
}

/// The link-local address of `host`'s interface: its IPv6 adverts' source.
fn link_local(host: &Host) -> IpAddr {
    let text = host
        .ns
        .run(&[
            "ip",
            "-6",
            "-o",
            "addr",
            "show",
            "dev",
            &host.ifname,
            "scope",
            "link",
        ])
        .unwrap();
    let cidr = text
        .split_whitespace()
        .skip_while(|w| *w != "inet6")
        .nth(1)
        .unwrap_or_else(|| panic!("no link-local address: {text}"));
    cidr.split('/').next().unwrap().parse().unwrap()
}

/// Waits for `f` and returns how long it took.
fn timed(timeout: Duration, f: impl FnMut() -> bool) -> Option<Duration> {
    let t0 = Instant::now();
    wait_until(timeout, f).then(|| t0.elapsed())
}

/// After a crash, Master_Down_Interval (3.61 s) runs from the master's
/// last advert, up to one interval (1 s) before the crash.
fn crash_window(t: Duration) -> bool {
    t >= Duration::from_millis(2500) && t < Duration::from_secs(6)
}

/// The adverts of one source.
fn from(adverts: &[VrrpFields], src: IpAddr) -> Vec<&VrrpFields> {
    adverts.iter().filter(|a| a.src == src).collect()
}

/// Every VRRP frame of the capture is version 3 for our vrid with a good
/// checksum; both sources sent some, and some with priority 0.
fn assert_wire(adverts: &[VrrpFields], srcs: [IpAddr; 2], count: usize) {
    assert!(!adverts.is_empty(), "no VRRP frame captured");
    for a in adverts {
        assert_eq!(a.version, 3, "{a:?}");
        assert_eq!(a.vrid, VRID, "{a:?}");
        assert_eq!(a.count, 1, "{a:?}");
        assert!(a.checksum_good, "bad checksum: {a:?}");
        assert!(srcs.contains(&a.src), "unknown source: {a:?}");
    }
    for src in srcs {
        let mine = from(adverts, src);
        assert!(mine.len() >= count, "{src}: {} adverts", mine.len());
        assert!(
            mine.iter().any(|a| a.priority == 0),
            "{src}: no priority-0 advert"
        );
    }
}

/// The whole exchange for one family: carpd higher, then keepalived
/// higher; stop, preempt, crash each way.
fn both_ways(family: Family) {
    let dir = Scratch::new("vrrp-carpd");
    let mut lab = Lab::new().unwrap();
    let a = lab.add_host("a", &[family.hosts[0]]).unwrap();
    let b = lab.add_host("b", &[family.hosts[1]]).unwrap();
    let pcap = dir.path.join("vrrp.pcap");
    let cap = lab.capture(&pcap, "ip proto 112 or ip6 proto 112").unwrap();
    let addrs = [family.vaddr];
    let low = Instance::new(VRID, 100, &addrs);
    let high = Instance::new(VRID, 200, &addrs);

    // carpd 200, keepalived 100.
    let mut c = carpd(&a, &dir, "c1", 200, &[family.vaddr]);
    let mut k = keepalived(&b, &dir, "k1", &low);
    assert!(c.wait_state(MASTER, ELECT), "{:?}", c.event_lines());
    assert!(k.wait_state(BACKUP, ELECT), "{:?}", k.states());
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(k.states(), [BACKUP], "keepalived left BACKUP");
    // Priority 0 on stop: keepalived takes over within Skew_Time.
    c.terminate(Duration::from_secs(5));
    let t = timed(ELECT, || k.state().as_deref() == Some(MASTER)).expect("keepalived master");
    println!("carpd stopped: keepalived MASTER after {t:?} (Skew_Time 609 ms)");
    assert!(t < Duration::from_secs(2), "{t:?}: not the priority-0 path");
    // Preemption: carpd back at 200 waits out Master_Down_Interval
    // (discarding the lower adverts) and takes over.
    let mut c = carpd(&a, &dir, "c2", 200, &[family.vaddr]);
    assert!(c.wait_state(MASTER, ELECT), "{:?}", c.event_lines());
    assert!(k.wait_state(BACKUP, ELECT), "{:?}", k.states());
    // Crash: Master_Down_Interval.
    std::thread::sleep(Duration::from_secs(2));
    c.crash();
    let t = timed(ELECT, || k.state().as_deref() == Some(MASTER)).expect("keepalived master");
    println!(
        "carpd crashed: keepalived MASTER after {t:?} (Master_Down_Interval {MASTER_DOWN_MS} ms)"
    );
    assert!(crash_window(t), "{t:?}");
    k.stop();

    // keepalived 200, carpd 100.
    let mut k = keepalived(&b, &dir, "k2", &high);
    let c = carpd(&a, &dir, "c3", 100, &[family.vaddr]);
    assert!(k.wait_state(MASTER, ELECT), "{:?}", k.states());
    assert!(c.wait_state(BACKUP, ELECT), "{:?}", c.event_lines());
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(c.state().as_deref(), Some(BACKUP), "{:?}", c.event_lines());
    k.stop();
    let t = timed(ELECT, || c.state().as_deref() == Some(MASTER)).expect("carpd master");
    println!("keepalived stopped: carpd MASTER after {t:?} (Skew_Time 609 ms)");
    assert!(t < Duration::from_secs(2), "{t:?}: not the priority-0 path");
    let mut k = keepalived(&b, &dir, "k3", &high);
    assert!(k.wait_state(MASTER, ELECT), "{:?}", k.states());
    assert!(c.wait_state(BACKUP, ELECT), "{:?}", c.event_lines());
    std::thread::sleep(Duration::from_secs(2));
    lab.bridge_ip(&["link", "set", "v-b", "down"]).unwrap();
    k.crash();
    let t = timed(ELECT, || c.state().as_deref() == Some(MASTER)).expect("carpd master");
    println!(
        "keepalived crashed: carpd MASTER after {t:?} (Master_Down_Interval {MASTER_DOWN_MS} ms)"
    );
    assert!(crash_window(t), "{t:?}");
    std::thread::sleep(Duration::from_millis(1500));
    drop(c);
    drop(cap);

    let srcs = match family.vaddr.contains(':') {
        true => [link_local(&a), link_local(&b)],
        false => [a.addrs[0], b.addrs[0]],
    };
    let adverts = vrrp_fields(&pcap).unwrap();
    assert_wire(&adverts, srcs, 5);
    println!(
        "{} VRRPv3 adverts decoded, all checksums good: carpd {}, keepalived {}",
        adverts.len(),
        from(&adverts, srcs[0]).len(),
        from(&adverts, srcs[1]).len()
    );
}

#[test]
fn carpd_and_keepalived_elect_preempt_bow_out_and_fail_over_ipv4() {
    require!(Root, Netns, Tshark, KeepalivedTool);
    both_ways(V4);
}

#[test]
fn carpd_and_keepalived_elect_preempt_bow_out_and_fail_over_ipv6() {
    require!(Root, Netns, Tshark, KeepalivedTool);
    both_ways(V6);
}

/// keepalived's `unicast_peer` against carpd's `peer` (`peer6`) in
/// `family`: one master, failover on carpd's crash, carpd's preemption,
/// every advert unicast with a good checksum, no ICMP unreachable from
/// carpd's host.
fn unicast(family: Family, peer_word: &str) {
    let dir = Scratch::new("vrrp-unicast");
    let mut lab = Lab::new().unwrap();
    let a = lab.add_host("a", &[family.hosts[0]]).unwrap();
    let b = lab.add_host("b", &[family.hosts[1]]).unwrap();
    let pcap = dir.path.join("unicast.pcap");
    let cap = lab
        .capture(&pcap, "ip proto 112 or icmp or ip6 proto 112 or icmp6")
        .unwrap();
    let (ca, kb) = (a.addrs[0], b.addrs[0]);
    let (ca_text, kb_text) = (ca.to_string(), kb.to_string());
    let addrs = [family.vaddr];
    let peers = [ca_text.as_str()];
    let mut low = Instance::new(VRID, 100, &addrs);
    low.unicast = Some((&kb_text, &peers));
    let words = [peer_word, &kb_text, family.vaddr];

    // carpd first, so that keepalived's adverts always find it listening.
    let mut c = carpd(&a, &dir, "c1", 200, &words);
    assert!(c.wait_state(BACKUP, ELECT), "{:?}", c.event_lines());
    let k = keepalived(&b, &dir, "k1", &low);
    assert!(c.wait_state(MASTER, ELECT), "{:?}", c.event_lines());
    assert!(k.wait_state(BACKUP, ELECT), "{:?}", k.states());
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(k.states(), [BACKUP], "keepalived left BACKUP");
    c.crash();
    let t = timed(ELECT, || k.state().as_deref() == Some(MASTER)).expect("keepalived master");
    println!("carpd crashed: keepalived (unicast, {peer_word}) MASTER after {t:?}");
    assert!(crash_window(t), "{t:?}");
    // carpd again: it hears keepalived's unicast adverts and preempts.
    let c = carpd(&a, &dir, "c2", 200, &words);
    assert!(c.wait_state(MASTER, ELECT), "{:?}", c.event_lines());
    assert!(k.wait_state(BACKUP, ELECT), "{:?}", k.states());
    std::thread::sleep(Duration::from_secs(2));
    drop(c);
    drop(k);
    drop(cap);

    let adverts = vrrp_fields(&pcap).unwrap();
    for adv in &adverts {
        let to = if adv.src == ca { kb } else { ca };
        assert_eq!(adv.dst, to, "not unicast to the peer: {adv:?}");
        assert!(adv.checksum_good && adv.version == 3, "{adv:?}");
    }
    let (nc, nk) = (from(&adverts, ca).len(), from(&adverts, kb).len());
    assert!(nc >= 5 && nk >= 2, "carpd {nc}, keepalived {nk} adverts");
    // ICMP destination unreachable is type 3, ICMPv6's is type 1.
    let rows = decode_fields(&pcap, &["ip.src", "icmp.type", "ipv6.src", "icmpv6.type"]).unwrap();
    let unreachable: Vec<_> = rows
        .iter()
        .filter(|r| (r[0] == ca_text && r[1] == "3") || (r[2] == ca_text && r[3] == "1"))
        .collect();
    assert!(
        unreachable.is_empty(),
        "carpd's host refused: {unreachable:?}"
    );
    println!("unicast ({peer_word}): carpd {nc} adverts to {kb}, keepalived {nk} to {ca}, all checksums good, no ICMP unreachable from carpd's host");
}

#[test]
fn keepalived_unicast_peer_and_carpd_peer_keep_one_master() {
    require!(Root, Netns, Tshark, KeepalivedTool);
    unicast(V4, "peer");
}

#[test]
fn keepalived_unicast_peer_and_carpd_peer6_keep_one_master_over_ipv6() {
    require!(Root, Netns, Tshark, KeepalivedTool);
    unicast(V6, "peer6");
}
