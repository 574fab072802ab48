//! One carpd over several parents (issue 15): the host's vhids fail over
//! as a group when one parent's link goes, and come back with it; two VLAN
//! parents of one long-named NIC get macvlans of their own; an interface
//! carpd did not create is never deleted; a parent without IPv4 sends its
//! IPv4 adverts from 0.0.0.0, as NetBSD does.

use std::time::Duration;

use carp_tests::carpd::{ifindex, wait_reachable, Carpd, Scratch, BACKUP, MASTER};
use carp_tests::netns::{Host, Lab};
use carp_tests::ping::Pinger;
use carp_tests::process::wait_until;
use carp_tests::require;
use carp_tests::require::Prerequisite::{Netns, Root, Tshark};
use carp_tests::tshark::decode_fields;

const ELECT: Duration = Duration::from_secs(10);

/// The state of `vhid` on parent `interface` from carpd's events.
fn state_on(c: &Carpd, interface: &str, vhid: u8) -> Option<String> {
    let (vhid, interface) = (
        format!("\"vhid\":{vhid},"),
        format!("\"interface\":\"{interface}\""),
    );
    c.events_of("state")
        .iter()
        .rev()
        .find(|l| l.contains(&vhid) && l.contains(&interface))
        .and_then(|l| carp_tests::carpd::json_field(l, "to"))
}

fn wait_on(c: &Carpd, interface: &str, vhid: u8, want: &str, timeout: Duration) -> bool {
    wait_until(timeout, || {
        state_on(c, interface, vhid).as_deref() == Some(want)
    })
}

#[test]
fn two_parents_fail_over_as_a_group_and_come_back() {
    require!(Root, Netns);
    let dir = Scratch::new("group");
    let mut lab = Lab::new().unwrap();
    lab.add_bridge("lan1").unwrap();
    let a = lab.add_host("a", &["192.0.2.11/24"]).unwrap();
    let b = lab.add_host("b", &["192.0.2.12/24"]).unwrap();
    let c = lab.add_host("c", &["192.0.2.13/24"]).unwrap();
    for (h, n) in [(&a, 11), (&b, 12), (&c, 13)] {
        lab.add_port(h, "lan1", "eth1", &[&format!("198.51.100.{n}/24")])
            .unwrap();
    }
    let conf = |skew: u8| {
        let path = dir.path.join(format!("skew{skew}.conf"));
        std::fs::write(
            &path,
            format!(
                "net.inet.carp.preempt=1\n\
                 ifconfig eth0 vhid 1 pass pw advbase 0 advskew {skew} 192.0.2.100/24\n\
                 ifconfig eth1 vhid 2 pass pw advbase 0 advskew {skew} 198.51.100.100/24\n"
            ),
        )
        .unwrap();
        path.display().to_string()
    };
    let (conf_a, conf_b) = (conf(20), conf(60));
    let args = |conf: &str| {
        vec![
            "-i".to_owned(),
            "eth0".into(),
            "-i".into(),
            "eth1".into(),
            "--config".into(),
            conf.to_owned(),
        ]
    };
    let aa = args(&conf_a);
    let ca = Carpd::start_args(
        &a.ns,
        &dir.path,
        "a",
        &aa.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(
        wait_on(&ca, "eth0", 1, MASTER, ELECT),
        "{:?}",
        ca.event_lines()
    );
    assert!(
        wait_on(&ca, "eth1", 2, MASTER, ELECT),
        "{:?}",
        ca.event_lines()
    );
    let ba = args(&conf_b);
    let cb = Carpd::start_args(
        &b.ns,
        &dir.path,
        "b",
        &ba.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(
        wait_on(&cb, "eth1", 2, BACKUP, ELECT),
        "{:?}",
        cb.event_lines()
    );
    let client1 = Host {
        ifname: "eth1".into(),
        ..c.clone()
    };
    assert!(wait_reachable(
        &client1,
        "198.51.100.100",
        Duration::from_secs(5)
    ));

    // a loses eth0: its vhid there goes to INIT, the host is demoted, and
    // its vhid on eth1 hands over at once (b preempts the demoted master).
    let ping = Pinger::start(&c, "198.51.100.100", 4, &dir.path, "group");
    std::thread::sleep(Duration::from_millis(800));
    a.ns.run(&["ip", "link", "set", "eth0", "down"]).unwrap();
    assert!(wait_on(&ca, "eth0", 1, "INIT", Duration::from_secs(2)));
    assert!(wait_on(&cb, "eth0", 1, MASTER, ELECT));
    assert!(
        wait_on(&cb, "eth1", 2, MASTER, Duration::from_secs(2)),
        "{:?}",
        cb.event_lines()
    );
    assert!(
        wait_on(&ca, "eth1", 2, BACKUP, Duration::from_secs(2)),
        "{:?}",
        ca.event_lines()
    );
    let r = ping.finish();
    let (gap, _) = r.longest_gap();
    eprintln!("group failover on eth1: longest silence {gap:.0} ms");
    // A hand-over, not a master-down: within a few advert intervals.
    assert!(gap < 300.0, "{gap:.0} ms");

    // eth0 back: the demotion goes, a preempts both vhids back.
    a.ns.run(&["ip", "link", "set", "eth0", "up"]).unwrap();
    assert!(
        wait_on(&ca, "eth0", 1, MASTER, ELECT),
        "{:?}",
        ca.event_lines()
    );
    assert!(
        wait_on(&ca, "eth1", 2, MASTER, ELECT),
        "{:?}",
        ca.event_lines()
    );
    assert!(
        wait_on(&cb, "eth1", 2, BACKUP, ELECT),
        "{:?}",
        cb.event_lines()
    );
    assert!(
        wait_on(&cb, "eth0", 1, BACKUP, ELECT),
        "{:?}",
        cb.event_lines()
    );
}

/// Gives `host` the parents `enp3s0f0.100` (192.0.2.n/24) and
/// `enp3s0f0.200` (198.51.100.n/24): VLANs of its eth0 when the kernel has
/// 802.1Q, else ports of that name on two bridges (the names are what
/// collided). Returns whether they are VLANs.
fn long_named_parents(lab: &mut Lab, host: &Host, n: u8) -> bool {
    let probe = host.ns.exec(&[
        "ip",
        "link",
        "add",
        "link",
        "eth0",
        "name",
        "enp3s0f0.100",
        "type",
        "vlan",
        "id",
        "100",
    ]);
    let vlans = probe.is_ok_and(|o| o.status.success());
    for (vlan, net) in [("100", "192.0.2"), ("200", "198.51.100")] {
        let name = format!("enp3s0f0.{vlan}");
        let cidr = format!("{net}.{n}/24");
        if vlans {
            if vlan != "100" {
                host.ns
                    .run(&[
                        "ip", "link", "add", "link", "eth0", "name", &name, "type", "vlan", "id",
                        vlan,
                    ])
                    .unwrap();
            }
            host.ns
                .run(&["ip", "addr", "add", &cidr, "dev", &name])
                .unwrap();
            host.ns.run(&["ip", "link", "set", &name, "up"]).unwrap();
        } else {
            lab.add_port(host, &format!("v{vlan}"), &name, &[&cidr])
                .unwrap();
        }
    }
    vlans
}

#[test]
fn two_vlan_parents_with_long_names_get_macvlans_of_their_own() {
    require!(Root, Netns);
    let dir = Scratch::new("vlans");
    let mut lab = Lab::new().unwrap();
    lab.add_bridge("v100").unwrap();
    lab.add_bridge("v200").unwrap();
    let a = lab.add_host("a", &[]).unwrap();
    let c = lab.add_host("c", &[]).unwrap();
    let vlans = long_named_parents(&mut lab, &a, 11);
    assert_eq!(long_named_parents(&mut lab, &c, 13), vlans);
    eprintln!(
        "parents: {}",
        if vlans {
            "802.1Q VLANs"
        } else {
            "ports (no 802.1Q in this kernel)"
        }
    );
    // A macvlan carpd did not create (no owner alias), under the name its
    // macvlan for vhid 7 on VLAN 100 would take: left alone.
    let taken = format!("carp7-{}", ifindex(&a, "enp3s0f0.100"));
    a.ns.run(&[
        "ip",
        "link",
        "add",
        &taken,
        "link",
        "enp3s0f0.100",
        "type",
        "macvlan",
    ])
    .unwrap();
    let conf = dir.path.join("vlans.conf");
    std::fs::write(
        &conf,
        "ifconfig enp3s0f0.100 vhid 1 pass pw 192.0.2.100/24\n\
         ifconfig enp3s0f0.200 vhid 1 pass pw 198.51.100.100/24\n\
         ifconfig enp3s0f0.100 vhid 7 pass pw 192.0.2.107/24\n",
    )
    .unwrap();
    let mut ca = Carpd::start_args(&a.ns, &dir.path, "a", &["--config", conf.to_str().unwrap()]);
    assert!(
        wait_on(&ca, "enp3s0f0.100", 1, MASTER, ELECT),
        "{:?}\n{}",
        ca.event_lines(),
        ca.stderr_text()
    );
    assert!(
        wait_on(&ca, "enp3s0f0.200", 1, MASTER, ELECT),
        "{:?}",
        ca.event_lines()
    );
    // Each address on the macvlan over its own VLAN.
    let links = a.ns.run(&["ip", "-o", "link"]).unwrap();
    for (vlan, addr) in [("100", "192.0.2.100/24"), ("200", "198.51.100.100/24")] {
        let parent = format!("enp3s0f0.{vlan}");
        let vmac = format!("carp1-{}", ifindex(&a, &parent));
        assert!(links.contains(&format!("{vmac}@{parent}")), "{links}");
        let on =
            a.ns.run(&["ip", "-o", "addr", "show", "dev", &vmac])
                .unwrap();
        assert!(on.contains(addr), "{on}");
    }
    for (vlan, addr) in [("100", "192.0.2.100"), ("200", "198.51.100.100")] {
        let client = Host {
            ifname: format!("enp3s0f0.{vlan}"),
            ..c.clone()
        };
        assert!(
            wait_reachable(&client, addr, Duration::from_secs(5)),
            "{addr}"
        );
    }
    let stderr = ca.stderr_text();
    assert!(
        stderr.contains(&format!("{taken} exists and is not carpd's")),
        "{stderr}"
    );
    ca.terminate(Duration::from_secs(5));
    let after = a.ns.run(&["ip", "-o", "link"]).unwrap();
    assert!(after.contains(&format!("{taken}@")), "{after}");
    assert!(!after.contains("carp1-"), "{after}");
}

#[test]
fn ipv4_adverts_from_a_parent_without_ipv4_go_out_from_0_0_0_0() {
    require!(Root, Netns, Tshark);
    let dir = Scratch::new("no-ipv4");
    let mut lab = Lab::new().unwrap();
    let a = lab.add_host("a", &["2001:db8::11/64"]).unwrap();
    let b = lab.add_host("b", &["2001:db8::12/64"]).unwrap();
    let c = lab.add_host("c", &["192.0.2.13/24"]).unwrap();
    let pcap = dir.path.join("adverts.pcap");
    let cap = lab.capture(&pcap, "ip proto 112").unwrap();
    let args = |skew: &'static str| {
        [
            "-v",
            "1",
            "-p",
            "pw",
            "-a",
            "192.0.2.100/24",
            "-b",
            "0",
            "-k",
            skew,
        ]
    };
    let ca = Carpd::start(&a, &dir.path, "a", &args("20"));
    assert!(ca.wait_state(MASTER, ELECT), "{:?}", ca.event_lines());
    let cb = Carpd::start(&b, &dir.path, "b", &args("60"));
    assert!(cb.wait_state(BACKUP, ELECT), "{:?}", cb.event_lines());
    std::thread::sleep(Duration::from_secs(2));
    // One master: b hears a's adverts from 0.0.0.0 and stays BACKUP.
    assert_eq!(
        cb.state().as_deref(),
        Some(BACKUP),
        "{:?}",
        cb.event_lines()
    );
    // And the master answers on-link although its parent has no IPv4.
    assert!(wait_reachable(&c, "192.0.2.100", Duration::from_secs(5)));
    drop(cap);
    let rows = decode_fields(&pcap, &["ip.src", "carp.advskew"]).unwrap();
    assert!(rows.len() >= 10, "{rows:?}");
    assert!(rows.iter().all(|r| r[0] == "0.0.0.0"), "{rows:?}");
    assert!(rows.iter().any(|r| r[1] == "20"));
    // Never silent.
    assert!(
        ca.stderr_text()
            .contains("eth0: no IPv4 address: IPv4 adverts go out from 0.0.0.0"),
        "{}",
        ca.stderr_text()
    );
}

#[test]
fn srcip_chooses_the_ipv4_advert_source_per_parent() {
    require!(Root, Netns, Tshark);
    let dir = Scratch::new("srcip");
    let mut lab = Lab::new().unwrap();
    let a = lab
        .add_host("a", &["192.0.2.11/24", "192.0.2.21/24"])
        .unwrap();
    let pcap = dir.path.join("adverts.pcap");
    let cap = lab.capture(&pcap, "ip proto 112").unwrap();
    let ca = Carpd::start(
        &a,
        &dir.path,
        "a",
        &[
            "-s",
            "eth0=192.0.2.21",
            "-v",
            "1",
            "-p",
            "pw",
            "-a",
            "192.0.2.100/24",
            "-b",
            "0",
            "-k",
            "20",
        ],
    );
    assert!(ca.wait_state(MASTER, ELECT));
    std::thread::sleep(Duration::from_millis(500));
    drop(cap);
    let rows = decode_fields(&pcap, &["ip.src"]).unwrap();
    assert!(
        rows.len() >= 3 && rows.iter().all(|r| r[0] == "192.0.2.21"),
        "{rows:?}"
    );
}
