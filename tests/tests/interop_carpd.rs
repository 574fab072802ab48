//! Two and three carpd on one bridge: election, failover, preempt on and
//! off, bow-out on SIGTERM, IPv6 adverts and neighbour advertisements, and
//! tshark's verdict on every advert carpd puts on the wire.

use std::time::{Duration, Instant};

use carp_tests::carpd::{signal, vmac_name, wait_reachable, Carpd, Scratch, BACKUP, MASTER};
use carp_tests::netns::{Host, Lab};
use carp_tests::process::wait_until;
use carp_tests::require;
use carp_tests::require::Prerequisite::{Netns, Root, Tshark};
use carp_tests::tshark::{assert_every_carp_checksum_good, decode_fields};

const ELECT: Duration = Duration::from_secs(10);
const VMAC: &str = "00:00:5e:00:01:01";

fn start(host: &Host, dir: &Scratch, name: &str, skew: u8, extra: &[&str]) -> Carpd {
    let skew = skew.to_string();
    let mut args = vec!["-v", "1", "-p", "pw", "-a", "192.0.2.100/24", "-k", &skew];
    args.extend_from_slice(extra);
    Carpd::start(host, &dir.path, name, &args)
}

fn lab(n: usize) -> (Lab, Vec<Host>) {
    let mut lab = Lab::new().unwrap();
    let hosts = (0..n)
        .map(|i| {
            lab.add_host(
                &format!("h{i}"),
                &[
                    &format!("192.0.2.{}/24", 11 + i),
                    &format!("2001:db8::{}/64", 11 + i),
                ],
            )
            .unwrap()
        })
        .collect();
    (lab, hosts)
}

#[test]
fn two_carpd_elect_the_smaller_skew_and_fail_over_on_a_crash() {
    require!(Root, Netns);
    let dir = Scratch::new("two");
    let (_lab, h) = lab(3);
    let mut a = start(&h[0], &dir, "a", 10, &[]);
    let b = start(&h[1], &dir, "b", 50, &[]);
    assert!(a.wait_state(MASTER, ELECT), "{:?}", a.event_lines());
    assert!(b.wait_state(BACKUP, ELECT));
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(b.state().as_deref(), Some(BACKUP), "{:?}", b.event_lines());
    assert!(wait_reachable(&h[2], "192.0.2.100", Duration::from_secs(5)));
    // The master holds the address on its macvlan; the backup does not.
    let on = |host: &Host| host.ns.run(&["ip", "-o", "addr"]).unwrap();
    let vmac = vmac_name(&h[0], "eth0", 1);
    assert!(
        on(&h[0]).contains(&format!("{vmac}    inet 192.0.2.100/24")),
        "{}",
        on(&h[0])
    );
    assert!(!on(&h[1]).contains("192.0.2.100"));

    a.crash();
    assert!(b.wait_state(MASTER, ELECT));
    assert_eq!(b.last_state().unwrap().1, "master-down");
    assert!(wait_reachable(&h[2], "192.0.2.100", Duration::from_secs(5)));
    assert!(on(&h[1]).contains("192.0.2.100"));
}

#[test]
fn three_carpd_fail_over_in_skew_order() {
    require!(Root, Netns);
    let dir = Scratch::new("three");
    let (_lab, h) = lab(3);
    let mut a = start(&h[0], &dir, "a", 10, &[]);
    let mut b = start(&h[1], &dir, "b", 50, &[]);
    let c = start(&h[2], &dir, "c", 100, &[]);
    assert!(a.wait_state(MASTER, ELECT));
    assert!(b.wait_state(BACKUP, ELECT) && c.wait_state(BACKUP, ELECT));
    a.crash();
    assert!(b.wait_state(MASTER, ELECT), "{:?}", b.event_lines());
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(c.state().as_deref(), Some(BACKUP), "{:?}", c.event_lines());
    b.crash();
    assert!(c.wait_state(MASTER, ELECT), "{:?}", c.event_lines());
}

#[test]
fn without_preempt_a_better_host_that_arrives_late_stays_backup() {
    require!(Root, Netns);
    let dir = Scratch::new("nopreempt");
    let (_lab, h) = lab(2);
    let a = start(&h[0], &dir, "a", 50, &[]);
    assert!(a.wait_state(MASTER, ELECT));
    let b = start(&h[1], &dir, "b", 10, &[]);
    assert!(b.wait_state(BACKUP, ELECT));
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(b.state().as_deref(), Some(BACKUP), "{:?}", b.event_lines());
    assert_eq!(a.state().as_deref(), Some(MASTER));
}

#[test]
fn with_preempt_a_better_host_that_arrives_late_takes_over() {
    require!(Root, Netns);
    let dir = Scratch::new("preempt");
    let (_lab, h) = lab(3);
    let a = start(&h[0], &dir, "a", 50, &["-P"]);
    assert!(a.wait_state(MASTER, ELECT));
    let b = start(&h[1], &dir, "b", 10, &["-P"]);
    assert!(b.wait_state(MASTER, ELECT), "{:?}", b.event_lines());
    assert_eq!(b.last_state().unwrap().1, "preempt");
    assert!(a.wait_state(BACKUP, ELECT), "{:?}", a.event_lines());
    assert!(wait_reachable(&h[2], "192.0.2.100", Duration::from_secs(5)));
}

#[test]
fn a_master_stopped_with_sigterm_bows_out_and_the_backup_takes_over_at_once() {
    require!(Root, Netns);
    let dir = Scratch::new("bowout");
    let (_lab, h) = lab(2);
    let mut a = start(&h[0], &dir, "a", 10, &[]);
    let b = start(&h[1], &dir, "b", 50, &[]);
    assert!(a.wait_state(MASTER, ELECT));
    assert!(b.wait_state(BACKUP, ELECT));
    std::thread::sleep(Duration::from_millis(1500));
    let t0 = Instant::now();
    a.terminate(Duration::from_secs(5));
    assert!(b.wait_state(MASTER, Duration::from_secs(5)));
    let took = t0.elapsed();
    // One advert interval (1 s + 50/256 s) at most, far below master-down
    // (3.2 s); the harness polls every 50 ms.
    assert!(took < Duration::from_millis(1200), "took {took:?}");
    let reason = b.last_state().unwrap().1;
    assert!(reason == "bow-out" || reason == "peer-too-slow", "{reason}");
    // a left cleanly: INIT reported, macvlan and address gone.
    assert_eq!(a.state().as_deref(), Some("INIT"), "{:?}", a.event_lines());
    let links = h[0].ns.run(&["ip", "-o", "link"]).unwrap();
    assert!(!links.contains(&vmac_name(&h[0], "eth0", 1)), "{links}");
}

#[test]
fn ipv6_adverts_elect_and_the_master_answers_neighbour_solicitations() {
    require!(Root, Netns, Tshark);
    let dir = Scratch::new("ipv6");
    let (lab, h) = lab(3);
    let pcap = dir.path.join("v6.pcap");
    let cap = lab.capture(&pcap, "ip6").unwrap();
    let args = ["-v", "1", "-p", "pw", "-a", "2001:db8::100/64"];
    let mut a = Carpd::start(&h[0], &dir.path, "a", &[&args[..], &["-k", "10"]].concat());
    let b = Carpd::start(&h[1], &dir.path, "b", &[&args[..], &["-k", "50"]].concat());
    assert!(a.wait_state(MASTER, ELECT), "{:?}", a.event_lines());
    assert!(b.wait_state(BACKUP, ELECT));
    assert!(wait_reachable(
        &h[2],
        "2001:db8::100",
        Duration::from_secs(5)
    ));
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(b.state().as_deref(), Some(BACKUP), "{:?}", b.event_lines());
    a.crash();
    assert!(b.wait_state(MASTER, ELECT));
    assert!(wait_reachable(
        &h[2],
        "2001:db8::100",
        Duration::from_secs(5)
    ));
    std::thread::sleep(Duration::from_millis(300));
    drop(cap);

    let rows = decode_fields(
        &pcap,
        &[
            "eth.src",
            "ipv6.nxt",
            "carp.vhid",
            "carp.checksum.status",
            "icmpv6.type",
            "icmpv6.nd.na.flag.o",
        ],
    )
    .unwrap();
    let adverts: Vec<_> = rows.iter().filter(|r| r[1] == "112").collect();
    assert!(adverts.len() >= 4, "{rows:?}");
    for r in &adverts {
        assert_eq!(
            (r[0].as_str(), r[2].as_str(), r[3].as_str()),
            (VMAC, "1", "1"),
            "{r:?}"
        );
    }
    // Unsolicited NA (override) on takeover and solicited NA, from the virtual MAC.
    let nas: Vec<_> = rows
        .iter()
        .filter(|r| r[4] == "136" && r[0] == VMAC)
        .collect();
    assert!(nas.len() >= 2, "{rows:?}");
}

#[test]
fn every_advert_carpd_sends_decodes_in_tshark_as_carp_with_a_good_checksum() {
    require!(Root, Netns, Tshark);
    let dir = Scratch::new("tshark");
    let (lab, h) = lab(2);
    let pcap = dir.path.join("adverts.pcap");
    let cap = lab.capture(&pcap, "ip proto 112 or ip6 proto 112").unwrap();
    let args = [
        "-v",
        "1",
        "-p",
        "pw",
        "-a",
        "192.0.2.100/24",
        "-a",
        "2001:db8::100/64",
        "-b",
        "0",
    ];
    let mut a = Carpd::start(&h[0], &dir.path, "a", &[&args[..], &["-k", "20"]].concat());
    let b = Carpd::start(&h[1], &dir.path, "b", &[&args[..], &["-k", "40"]].concat());
    assert!(a.wait_state(MASTER, ELECT));
    assert!(b.wait_state(BACKUP, ELECT));
    std::thread::sleep(Duration::from_millis(1000));
    a.terminate(Duration::from_secs(5));
    assert!(b.wait_state(MASTER, ELECT));
    std::thread::sleep(Duration::from_millis(500));
    drop(cap);

    let n = assert_every_carp_checksum_good(&pcap);
    assert!(n >= 10, "only {n} adverts");
    let rows = decode_fields(
        &pcap,
        &[
            "eth.src",
            "ip.src",
            "ipv6.src",
            "carp.advskew",
            "carp.adver_int",
        ],
    )
    .unwrap();
    assert!(
        rows.iter().all(|r| r[0] == VMAC),
        "not from the virtual MAC"
    );
    let v4 = rows.iter().filter(|r| !r[1].is_empty()).count();
    let v6 = rows.iter().filter(|r| !r[2].is_empty()).count();
    assert!(v4 >= 5 && v6 >= 5, "{v4} IPv4 and {v6} IPv6 adverts");
    // The bow-out advert (advbase 255, advskew 255), once per family.
    let bow_outs = rows
        .iter()
        .filter(|r| r[3] == "255" && r[4] == "255")
        .count();
    assert_eq!(bow_outs, 2, "bow-out adverts");
    // (At advbase 0 the backup ignores the bow-out and waits for
    // master-down, as OpenBSD; the bow-out takeover is tested at advbase 1.)
    assert_eq!(b.state().as_deref(), Some(MASTER));
}

#[test]
fn sighup_reloads_the_file_and_a_bad_file_keeps_the_running_configuration() {
    require!(Root, Netns);
    let dir = Scratch::new("reload");
    let (_lab, h) = lab(2);
    let file = dir.path.join("b.conf");
    let write = |text: &str| std::fs::write(&file, text).unwrap();
    write("net.inet.carp.preempt=1\nvhid 1 pass pw advskew 50 192.0.2.100/24\n");
    let a = start(&h[0], &dir, "a", 10, &[]);
    let b = Carpd::start(&h[1], &dir.path, "b", &["--config", file.to_str().unwrap()]);
    assert!(a.wait_state(MASTER, ELECT), "{:?}", a.event_lines());
    assert!(b.wait_state(BACKUP, ELECT), "{:?}", b.event_lines());

    // advskew 5 beats a's 10; preempt (from the file) lets b take over at
    // once, without a detour through INIT.
    write("net.inet.carp.preempt=1\nvhid 1 pass pw advskew 5 192.0.2.100/24\n");
    let before = b.event_lines().len();
    signal(b.pid(), "HUP");
    assert!(b.wait_state(MASTER, ELECT), "{:?}", b.event_lines());
    assert!(a.wait_state(BACKUP, ELECT), "{:?}", a.event_lines());
    let after: Vec<String> = b.event_lines().split_off(before);
    assert!(
        after.iter().all(|l| !l.contains("\"INIT\"")),
        "reload went through INIT: {after:?}"
    );
    assert_eq!(b.last_state().unwrap().1, "preempt", "{after:?}");

    // A bad file changes nothing: b stays master with advskew 5.
    write("vhid 1 pass pw advskew 999 192.0.2.100/24\n");
    signal(b.pid(), "HUP");
    let stderr = || std::fs::read_to_string(&b.stderr).unwrap_or_default();
    assert!(
        wait_until(Duration::from_secs(5), || stderr()
            .contains("reload refused")),
        "{}",
        stderr()
    );
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(b.state().as_deref(), Some(MASTER), "{:?}", b.event_lines());
    assert_eq!(a.state().as_deref(), Some(BACKUP), "{:?}", a.event_lines());
    let report = b.status_report();
    assert!(report.contains("advskew 5"), "{report}");
}
