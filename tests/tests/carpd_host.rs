//! carpd on a real host (issue 15): only the virtual MAC answers ARP for a
//! virtual address, the ARP settings carpd changes come back on exit, a
//! second carpd for the same vhid refuses to start, a killed carpd's
//! leftovers go when the next one starts, `--no-addresses` keeps clients
//! reaching the host, virtual addresses are reachable on-link whatever the
//! parent's own addresses, and NAs carry the router flag when the host
//! forwards.

use std::time::Duration;

use carp_tests::carpd::{vmac_name, wait_reachable, Carpd, Scratch, BACKUP, MASTER};
use carp_tests::netns::{Host, Lab};
use carp_tests::ping::{arp_replies, Pinger};
use carp_tests::process::wait_until;
use carp_tests::require;
use carp_tests::require::Prerequisite::{Arping, Netns, Root, Tshark};
use carp_tests::tshark::decode_fields;

const ELECT: Duration = Duration::from_secs(10);
const VADDR: &str = "192.0.2.100";

fn lab3() -> (Lab, Host, Host, Host) {
    let mut lab = Lab::new().unwrap();
    let a = lab.add_host("a", &["192.0.2.11/24"]).unwrap();
    let b = lab.add_host("b", &["192.0.2.12/24"]).unwrap();
    let c = lab.add_host("c", &["192.0.2.13/24"]).unwrap();
    (lab, a, b, c)
}

fn vhid_args(vhid: u8, addr: &str, skew: u8) -> Vec<String> {
    [
        "-v",
        &vhid.to_string(),
        "-p",
        "pw",
        "-a",
        addr,
        "-b",
        "0",
        "-k",
        &skew.to_string(),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

fn start(host: &Host, dir: &Scratch, name: &str, args: &[String]) -> Carpd {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Carpd::start(host, &dir.path, name, &args)
}

fn knob(host: &Host, ifname: &str, name: &str) -> u32 {
    let path = format!("/proc/sys/net/ipv4/conf/{ifname}/{name}");
    host.ns
        .run(&["cat", &path])
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Two vhids on one parent, so another vhid's macvlan could answer too.
fn two_vhids(host: &Host, dir: &Scratch, name: &str, skew: u8) -> Carpd {
    let conf = dir.path.join(format!("{name}.conf"));
    std::fs::write(
        &conf,
        format!(
            "vhid 1 pass pw advbase 0 advskew {skew} 192.0.2.100/24\n\
             vhid 2 pass pw advbase 0 advskew {skew} 192.0.2.102/24\n"
        ),
    )
    .unwrap();
    Carpd::start(host, &dir.path, name, &["--config", conf.to_str().unwrap()])
}

#[test]
fn only_the_virtual_mac_answers_arp_before_and_after_a_takeover() {
    require!(Root, Netns, Arping);
    let dir = Scratch::new("arp");
    let (_lab, a, b, c) = lab3();
    let mut ca = two_vhids(&a, &dir, "a", 20);
    assert!(ca.wait_state(MASTER, ELECT), "{:?}", ca.event_lines());
    let cb = two_vhids(&b, &dir, "b", 60);
    assert!(cb.wait_state(BACKUP, ELECT));
    assert!(wait_reachable(&c, VADDR, Duration::from_secs(5)));
    let wait = Duration::from_secs(2);
    // Linux's defaults gave five replies: the parent's MAC, then every
    // vhid's macvlan.
    assert_eq!(arp_replies(&c, VADDR, wait), ["00:00:5e:00:01:01"]);
    assert_eq!(arp_replies(&c, "192.0.2.102", wait), ["00:00:5e:00:01:02"]);
    // The parent's own address is still answered, by the parent.
    assert_eq!(arp_replies(&c, "192.0.2.11", wait), ["02:00:5e:10:00:01"]);

    ca.terminate(Duration::from_secs(5));
    let both = wait_until(ELECT, || {
        cb.events_of("state")
            .iter()
            .filter(|l| l.contains("\"to\":\"MASTER\""))
            .count()
            == 2
    });
    assert!(both, "{:?}", cb.event_lines());
    assert_eq!(arp_replies(&c, VADDR, wait), ["00:00:5e:00:01:01"]);
    assert_eq!(arp_replies(&c, "192.0.2.102", wait), ["00:00:5e:00:01:02"]);
}

#[test]
fn the_arp_settings_carpd_changes_come_back_when_the_last_carpd_leaves() {
    require!(Root, Netns);
    let dir = Scratch::new("settings");
    let (_lab, a, _b, _c) = lab3();
    assert_eq!(
        (
            knob(&a, "eth0", "arp_ignore"),
            knob(&a, "eth0", "arp_announce")
        ),
        (0, 0)
    );
    let pidfile = dir.path.join("one.pid");
    let mut args = vhid_args(1, "192.0.2.100/24", 20);
    args.extend(["--pidfile".to_owned(), pidfile.display().to_string()]);
    let mut one = start(&a, &dir, "one", &args);
    assert!(one.wait_state(MASTER, ELECT));
    let written = std::fs::read_to_string(&pidfile).unwrap();
    assert_eq!(written.trim(), one.pid().to_string());
    assert_eq!(
        (
            knob(&a, "eth0", "arp_ignore"),
            knob(&a, "eth0", "arp_announce")
        ),
        (1, 2)
    );
    assert_eq!(knob(&a, &vmac_name(&a, "eth0", 1), "arp_ignore"), 8);
    // A second carpd on the same parent (another vhid) shares them.
    let mut two = start(&a, &dir, "two", &vhid_args(2, "192.0.2.102/24", 20));
    assert!(two.wait_state(MASTER, ELECT));
    one.terminate(Duration::from_secs(5));
    assert!(!pidfile.exists(), "the pid file goes with carpd");
    assert_eq!(knob(&a, "eth0", "arp_ignore"), 1, "two still runs");
    two.terminate(Duration::from_secs(5));
    assert_eq!(
        (
            knob(&a, "eth0", "arp_ignore"),
            knob(&a, "eth0", "arp_announce")
        ),
        (0, 0)
    );
}

#[test]
fn a_second_carpd_for_the_same_parent_and_vhid_refuses_to_start() {
    require!(Root, Netns);
    let dir = Scratch::new("second");
    let (_lab, a, _b, c) = lab3();
    let first = start(&a, &dir, "first", &vhid_args(1, "192.0.2.100/24", 20));
    assert!(first.wait_state(MASTER, ELECT));
    let pid = first.pid();
    let mut second = start(&a, &dir, "second", &vhid_args(1, "192.0.2.100/24", 10));
    let exited = wait_until(Duration::from_secs(5), || !second.is_running());
    assert!(exited, "the second carpd still runs");
    let stderr = second.stderr_text();
    assert!(
        stderr.contains(&format!("eth0 vhid 1: held by carpd pid {pid}")),
        "{stderr}"
    );
    assert!(
        second.event_lines().is_empty(),
        "{:?}",
        second.event_lines()
    );
    // The first is untouched: its macvlan and address serve clients.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(first.state().as_deref(), Some(MASTER));
    let on = a.ns.run(&["ip", "-o", "addr"]).unwrap();
    assert!(
        on.contains(&format!("{}    inet {VADDR}/24", vmac_name(&a, "eth0", 1))),
        "{on}"
    );
    let ping = Pinger::start(&c, VADDR, 1, &dir.path, "first");
    assert!(ping.finish().longest_gap().0 < 100.0);
}

#[test]
fn a_carpd_killed_with_sigkill_is_cleaned_up_by_the_next() {
    require!(Root, Netns);
    let dir = Scratch::new("kill9");
    let (_lab, a, _b, _c) = lab3();
    let mut first = start(&a, &dir, "first", &vhid_args(1, "192.0.2.100/24", 20));
    assert!(first.wait_state(MASTER, ELECT));
    first.crash();
    // What it left: its macvlan with the address, the ARP settings.
    let vmac = vmac_name(&a, "eth0", 1);
    let links = || a.ns.run(&["ip", "-o", "link"]).unwrap();
    assert!(links().contains(&vmac));
    assert!(a.ns.run(&["ip", "-o", "addr"]).unwrap().contains(VADDR));
    assert_eq!(knob(&a, "eth0", "arp_ignore"), 1);
    // The next carpd runs another vhid: the dead one's macvlan goes.
    let mut next = start(&a, &dir, "next", &vhid_args(2, "192.0.2.102/24", 20));
    assert!(next.wait_state(MASTER, ELECT), "{}", next.stderr_text());
    assert!(!links().contains(&vmac), "{}", links());
    assert!(!a
        .ns
        .run(&["ip", "-o", "addr"])
        .unwrap()
        .contains(&format!("{VADDR}/")));
    assert!(next
        .stderr_text()
        .contains(&format!("removed {vmac}, left by a carpd that died")));
    // And the settings it leaves with are the host's, not the dead one's.
    next.terminate(Duration::from_secs(5));
    assert_eq!(
        (
            knob(&a, "eth0", "arp_ignore"),
            knob(&a, "eth0", "arp_announce")
        ),
        (0, 0)
    );
    // The same vhid again, after a second crash: taken back, not refused.
    let mut third = start(&a, &dir, "third", &vhid_args(1, "192.0.2.100/24", 20));
    assert!(third.wait_state(MASTER, ELECT));
    third.crash();
    let fourth = start(&a, &dir, "fourth", &vhid_args(1, "192.0.2.100/24", 20));
    assert!(fourth.wait_state(MASTER, ELECT), "{}", fourth.stderr_text());
}

#[test]
fn with_no_addresses_clients_keep_reaching_the_host() {
    require!(Root, Netns);
    let dir = Scratch::new("noaddr");
    let (_lab, a, _b, c) = lab3();
    // ucarp-style scripts put the address on the parent.
    let script = |name: &str, op: &str| {
        let path = dir.path.join(name);
        std::fs::write(
            &path,
            format!("#!/bin/sh\nip addr {op} \"$2\"/24 dev \"$1\"\n"),
        )
        .unwrap();
        std::process::Command::new("chmod")
            .arg("+x")
            .arg(&path)
            .status()
            .unwrap();
        path.display().to_string()
    };
    let (up, down) = (script("up.sh", "add"), script("down.sh", "del"));
    let mut args = vhid_args(1, "192.0.2.100/24", 20);
    args.extend(["--no-addresses", "-u", &up, "-d", &down].map(str::to_owned));
    let ca = start(&a, &dir, "a", &args);
    assert!(ca.wait_state(MASTER, ELECT));
    assert!(wait_reachable(&c, VADDR, Duration::from_secs(5)));
    let r = Pinger::start(&c, VADDR, 2, &dir.path, "noaddr").finish();
    assert_eq!(r.replies.len() as u64, r.sent, "every echo answered");
    // carpd put no address anywhere: the script did, on eth0.
    let on = a.ns.run(&["ip", "-o", "addr"]).unwrap();
    assert!(on.contains(&format!("eth0    inet {VADDR}/24")), "{on}");
    assert!(!on.contains(&vmac_name(&a, "eth0", 1)), "{on}");
}

#[test]
fn virtual_addresses_are_reachable_on_link_whatever_the_parents_addresses() {
    require!(Root, Netns);
    let dir = Scratch::new("onlink");
    let mut lab = Lab::new().unwrap();
    // a's parent: an IPv4 address in another subnet, IPv6 link-local only.
    let a = lab.add_host("a", &["192.0.2.11/24"]).unwrap();
    let c = lab
        .add_host("c", &["198.51.100.13/24", "2001:db8::13/64"])
        .unwrap();
    let args = [
        "-v",
        "1",
        "-p",
        "pw",
        "-a",
        "198.51.100.100/24",
        "-a",
        "2001:db8::100/64",
    ];
    let ca = Carpd::start(&a, &dir.path, "a", &args);
    assert!(ca.wait_state(MASTER, ELECT));
    assert!(wait_reachable(&c, "198.51.100.100", Duration::from_secs(5)));
    assert!(wait_reachable(&c, "2001:db8::100", Duration::from_secs(5)));
}

#[test]
fn neighbour_advertisements_carry_the_router_flag_when_the_host_forwards() {
    require!(Root, Netns, Tshark);
    let dir = Scratch::new("router");
    let mut lab = Lab::new().unwrap();
    let a = lab.add_host("a", &["2001:db8::11/64"]).unwrap();
    let pcap = dir.path.join("na.pcap");
    let cap = lab.capture(&pcap, "icmp6").unwrap();
    let ca = Carpd::start(
        &a,
        &dir.path,
        "a",
        &[
            "-v",
            "1",
            "-p",
            "pw",
            "-a",
            "2001:db8::100/64",
            "-b",
            "0",
            "-k",
            "20",
        ],
    );
    assert!(ca.wait_state(MASTER, ELECT));
    // Forwarding switched on while carpd runs, then a new takeover.
    a.ns.run(&[
        "sh",
        "-c",
        "echo 1 > /proc/sys/net/ipv6/conf/eth0/forwarding",
    ])
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    a.ns.run(&["ip", "link", "set", "eth0", "down"]).unwrap();
    assert!(ca.wait_state("INIT", Duration::from_secs(2)));
    a.ns.run(&["ip", "link", "set", "eth0", "up"]).unwrap();
    let twice = wait_until(ELECT, || {
        ca.events_of("state")
            .iter()
            .filter(|l| l.contains("\"to\":\"MASTER\""))
            .count()
            == 2
    });
    assert!(twice, "{:?}", ca.event_lines());
    std::thread::sleep(Duration::from_millis(500));
    drop(cap);
    // carp's unsolicited NAs (to all nodes, from the virtual MAC), in order.
    let rows = decode_fields(
        &pcap,
        &["eth.src", "ipv6.dst", "icmpv6.type", "icmpv6.nd.na.flag.r"],
    )
    .unwrap();
    let flags: Vec<&str> = rows
        .iter()
        .filter(|r| r[0] == "00:00:5e:00:01:01" && r[1] == "ff02::1" && r[2] == "136")
        .map(|r| r[3].as_str())
        .collect();
    let first_router = flags.iter().position(|f| *f == "1" || *f == "True");
    assert!(first_router.is_some_and(|i| i > 0), "{flags:?}");
    let (before, after) = flags.split_at(first_router.unwrap_or(0));
    assert!(
        before.iter().all(|f| *f == "0" || *f == "False"),
        "{flags:?}"
    );
    assert!(after.iter().all(|f| *f == "1" || *f == "True"), "{flags:?}");
}
