//! carpd through a parent's link faults (issue 15): admin down and up,
//! carrier loss, a parent down at start, deleted and created again,
//! renamed. A client pings the virtual address every 10 ms throughout; the
//! longest silence is bounded by the CARP formula (the backup's
//! master-down, 3 x advskew/256 s at advbase 0) plus what a busy 2-CPU
//! machine adds ([`SLACK_MS`]).

use std::time::Duration;

use carp_tests::carpd::{ifindex, vmac_name, wait_reachable, Carpd, Scratch, BACKUP, MASTER};
use carp_tests::cpu::netns_cpu;
use carp_tests::netns::{Host, Lab};
use carp_tests::ping::{arp_replies, Pinger};
use carp_tests::process::wait_until;
use carp_tests::require;
use carp_tests::require::Prerequisite::{Arping, Netns, Root};

const ELECT: Duration = Duration::from_secs(10);
const VADDR: &str = "192.0.2.100";
const VMAC: &str = "00:00:5e:00:01:01";
/// advbase 0: the master advertises every 20/256 s, the backup's
/// master-down is 3 x 50/256 s. When the old master comes back as BACKUP,
/// its own master-down (3 x 20/256 s) must exceed the new master's
/// interval (50/256 s), or it takes the vhid back, as CARP says a host
/// advertising more often does once it stops hearing the master in time.
const MASTER_SKEW: u8 = 20;
const BACKUP_SKEW: u8 = 50;
/// Scheduling, netlink and ping's own jitter on a loaded machine.
const SLACK_MS: f64 = 250.0;

fn master_down_ms() -> f64 {
    3.0 * f64::from(BACKUP_SKEW) / 256.0 * 1000.0
}

fn lab() -> (Lab, Host, Host, Host) {
    let mut lab = Lab::new().unwrap();
    let a = lab.add_host("a", &["192.0.2.11/24"]).unwrap();
    let b = lab.add_host("b", &["192.0.2.12/24"]).unwrap();
    let c = lab.add_host("c", &["192.0.2.13/24"]).unwrap();
    (lab, a, b, c)
}

fn start(host: &Host, dir: &Scratch, name: &str, skew: u8) -> Carpd {
    let skew = skew.to_string();
    let args = [
        "-v",
        "1",
        "-p",
        "pw",
        "-a",
        "192.0.2.100/24",
        "-b",
        "0",
        "-k",
        &skew,
    ];
    Carpd::start(host, &dir.path, name, &args)
}

/// a MASTER and b BACKUP, the client reaching the virtual address.
fn elected(a: &Host, b: &Host, c: &Host, dir: &Scratch) -> (Carpd, Carpd) {
    let ca = start(a, dir, "a", MASTER_SKEW);
    assert!(ca.wait_state(MASTER, ELECT), "{:?}", ca.event_lines());
    let cb = start(b, dir, "b", BACKUP_SKEW);
    assert!(cb.wait_state(BACKUP, ELECT), "{:?}", cb.event_lines());
    assert!(wait_reachable(c, VADDR, Duration::from_secs(5)));
    (ca, cb)
}

fn addrs(host: &Host) -> String {
    host.ns.run(&["ip", "-o", "addr"]).unwrap()
}

fn link_up(host: &Host, up: bool) {
    let state = if up { "up" } else { "down" };
    host.ns
        .run(&["ip", "link", "set", &host.ifname, state])
        .unwrap();
}

/// The silence the client saw and what it is allowed.
fn assert_gap(pinger: Pinger, bound_ms: f64, what: &str) -> f64 {
    let r = pinger.finish();
    assert!(r.replies.len() > 50, "{what}: {} replies", r.replies.len());
    let (gap, lost) = r.longest_gap();
    eprintln!(
        "{what}: longest silence {gap:.0} ms ({lost} requests unanswered), bound {bound_ms:.0} ms"
    );
    assert!(gap <= bound_ms, "{what}: {gap:.0} ms > {bound_ms:.0} ms");
    gap
}

#[test]
fn admin_down_on_the_master_fails_over_within_master_down_and_up_returns_as_backup() {
    require!(Root, Netns, Arping);
    let dir = Scratch::new("admin-down");
    let (_lab, a, b, c) = lab();
    let (ca, cb) = elected(&a, &b, &c, &dir);

    let ping = Pinger::start(&c, VADDR, 4, &dir.path, "down");
    std::thread::sleep(Duration::from_millis(1000));
    link_up(&a, false);
    assert!(ca.wait_state("INIT", Duration::from_secs(2)));
    assert_eq!(ca.last_state().unwrap().1, "link-down");
    assert!(cb.wait_state(MASTER, ELECT), "{:?}", cb.event_lines());
    // Down is a state: carpd idles (the socket's ENETDOWN is read once,
    // not reported by every poll).
    let cpu = netns_cpu(&a.ns);
    std::thread::sleep(Duration::from_secs(1));
    let spent = netns_cpu(&a.ns) - cpu;
    assert!(
        spent < Duration::from_millis(200),
        "carpd spun: {spent:?} of 1 s"
    );
    // a withdrew its address and its macvlan is down: nothing of it answers.
    assert!(!addrs(&a).contains(VADDR), "{}", addrs(&a));
    assert_gap(
        ping,
        master_down_ms() + SLACK_MS,
        "admin down on the master",
    );

    // Back up: a returns as BACKUP (no preempt) and b stays the one master.
    let ping = Pinger::start(&c, VADDR, 3, &dir.path, "up");
    std::thread::sleep(Duration::from_millis(500));
    link_up(&a, true);
    assert!(ca.wait_state(BACKUP, ELECT), "{:?}", ca.event_lines());
    assert_eq!(ca.last_state().unwrap().1, "link-up");
    assert_gap(ping, SLACK_MS, "admin up on the old master");
    assert_eq!(cb.state().as_deref(), Some(MASTER));
    assert!(!addrs(&a).contains(VADDR), "{}", addrs(&a));
    assert_eq!(arp_replies(&c, VADDR, Duration::from_secs(2)), [VMAC]);
}

#[test]
fn carrier_loss_on_the_master_fails_over_within_master_down() {
    require!(Root, Netns, Arping);
    let dir = Scratch::new("carrier");
    let (lab, a, b, c) = lab();
    let (ca, cb) = elected(&a, &b, &c, &dir);

    let ping = Pinger::start(&c, VADDR, 4, &dir.path, "carrier");
    std::thread::sleep(Duration::from_millis(1000));
    // The switch port goes dark: a's eth0 loses its carrier.
    lab.bridge_ip(&["link", "set", "v-a", "down"]).unwrap();
    assert!(ca.wait_state("INIT", Duration::from_secs(2)));
    assert_eq!(ca.last_state().unwrap().1, "link-down");
    assert!(cb.wait_state(MASTER, ELECT));
    assert!(!addrs(&a).contains(VADDR));
    assert_gap(
        ping,
        master_down_ms() + SLACK_MS,
        "carrier loss on the master",
    );

    lab.bridge_ip(&["link", "set", "v-a", "up"]).unwrap();
    assert!(ca.wait_state(BACKUP, ELECT), "{:?}", ca.event_lines());
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(cb.state().as_deref(), Some(MASTER));
    assert_eq!(arp_replies(&c, VADDR, Duration::from_secs(2)), [VMAC]);
}

#[test]
fn admin_down_and_carrier_loss_on_the_backup_cost_the_client_nothing() {
    require!(Root, Netns);
    let dir = Scratch::new("backup-faults");
    let (lab, a, b, c) = lab();
    let (ca, cb) = elected(&a, &b, &c, &dir);

    let ping = Pinger::start(&c, VADDR, 5, &dir.path, "backup");
    std::thread::sleep(Duration::from_millis(500));
    link_up(&b, false);
    assert!(cb.wait_state("INIT", Duration::from_secs(2)));
    std::thread::sleep(Duration::from_millis(500));
    link_up(&b, true);
    assert!(cb.wait_state(BACKUP, ELECT));
    lab.bridge_ip(&["link", "set", "v-b", "down"]).unwrap();
    assert!(cb.wait_state("INIT", Duration::from_secs(2)));
    std::thread::sleep(Duration::from_millis(500));
    lab.bridge_ip(&["link", "set", "v-b", "up"]).unwrap();
    assert!(cb.wait_state(BACKUP, ELECT));
    assert_gap(ping, SLACK_MS, "faults on the backup");
    assert_eq!(
        ca.state().as_deref(),
        Some(MASTER),
        "{:?}",
        ca.event_lines()
    );
    let took_over = cb
        .events_of("state")
        .iter()
        .any(|l| l.contains("\"to\":\"MASTER\""));
    assert!(!took_over, "{:?}", cb.event_lines());
}

#[test]
fn a_parent_down_at_start_waits_in_init_and_runs_when_it_comes_up() {
    require!(Root, Netns);
    let dir = Scratch::new("boot-down");
    let (_lab, a, _b, c) = lab();
    link_up(&a, false);
    let mut ca = start(&a, &dir, "a", MASTER_SKEW);
    std::thread::sleep(Duration::from_secs(2));
    assert!(ca.is_running(), "exited: {}", ca.stderr_text());
    assert_eq!(
        ca.state(),
        None,
        "no state change while down: {:?}",
        ca.event_lines()
    );
    let status = ca.status_report();
    assert!(status.contains("carp: INIT vhid 1"), "{status}");
    link_up(&a, true);
    assert!(ca.wait_state(MASTER, ELECT), "{:?}", ca.event_lines());
    assert!(wait_reachable(&c, VADDR, Duration::from_secs(5)));
}

#[test]
fn a_parent_deleted_and_created_again_is_followed_under_its_new_index() {
    require!(Root, Netns);
    let dir = Scratch::new("recreate");
    let (lab, a, b, c) = lab();
    let (mut ca, cb) = elected(&a, &b, &c, &dir);
    let old_index = ifindex(&a, "eth0");
    // Deleting the switch end deletes a's eth0 with it.
    lab.bridge_ip(&["link", "del", "v-a"]).unwrap();
    assert!(
        ca.wait_state("INIT", Duration::from_secs(2)),
        "{:?}",
        ca.event_lines()
    );
    assert!(cb.wait_state(MASTER, ELECT));
    std::thread::sleep(Duration::from_millis(500));
    assert!(ca.is_running(), "{}", ca.stderr_text());
    // Created again: a new veth, a new index.
    let ns = a.ns.name();
    lab.bridge_ip(&[
        "link", "add", "v-a", "type", "veth", "peer", "name", "eth0", "netns", ns,
    ])
    .unwrap();
    lab.bridge_ip(&["link", "set", "v-a", "master", "br0", "up"])
        .unwrap();
    a.ns.run(&[
        "ip",
        "link",
        "set",
        "eth0",
        "address",
        "02:00:5e:10:00:01",
        "up",
    ])
    .unwrap();
    a.ns.run(&["ip", "addr", "add", "192.0.2.11/24", "dev", "eth0"])
        .unwrap();
    let new_index = ifindex(&a, "eth0");
    assert_ne!(new_index, old_index);
    assert!(
        ca.wait_state(BACKUP, ELECT),
        "{:?}\n{}",
        ca.event_lines(),
        ca.stderr_text()
    );
    // Its vhid is back, on a macvlan named for the new index; b, the
    // master meanwhile, keeps the vhid (no preempt).
    let links = a.ns.run(&["ip", "-o", "link"]).unwrap();
    assert!(links.contains(&vmac_name(&a, "eth0", 1)), "{links}");
    assert_eq!(cb.state().as_deref(), Some(MASTER));
    // b leaves (bow-out): a takes the vhid on its new parent.
    drop(cb);
    assert!(ca.wait_state(MASTER, ELECT), "{:?}", ca.event_lines());
    assert!(wait_reachable(&c, VADDR, Duration::from_secs(5)));
}

#[test]
fn a_renamed_parent_is_followed() {
    require!(Root, Netns);
    let dir = Scratch::new("rename");
    let (_lab, a, _b, c) = lab();
    let ca = start(&a, &dir, "a", MASTER_SKEW);
    assert!(ca.wait_state(MASTER, ELECT));
    let index = ifindex(&a, "eth0");
    // Linux renames only a link that is down.
    a.ns.run(&["ip", "link", "set", "eth0", "down"]).unwrap();
    a.ns.run(&["ip", "link", "set", "eth0", "name", "lan0"])
        .unwrap();
    a.ns.run(&["ip", "link", "set", "lan0", "up"]).unwrap();
    assert!(ca.wait_state(MASTER, ELECT), "{:?}", ca.event_lines());
    assert!(wait_reachable(&c, VADDR, Duration::from_secs(5)));
    let ok = wait_until(Duration::from_secs(3), || {
        ca.status_report().contains("lan0:")
    });
    assert!(ok, "{}", ca.stderr_text());
    let lines = ca.events_of("state");
    assert!(
        lines.last().unwrap().contains("\"interface\":\"lan0\""),
        "{lines:?}"
    );
    assert_eq!(ifindex(&a, "lan0"), index);
}
