//! The rows of issue 14's table that concern carpd, on a real carpd in a
//! namespace, each with the value it must have now:
//!
//! | request | now |
//! |---|---|
//! | a reload with `state master` for a running vhid | MASTER at once, reason `forced` |
//! | three reloads of an unchanged file with `net.inet.carp.demotion=10` | adverts carry demote 10; the line deleted, 0 |
//! | `192.0.2.83/24 192.0.2.9` in a config line | refused at start, naming the word and the line; nothing created |
//! | 40 vhids on one parent | all 40 run and answer |

use std::time::{Duration, Instant};

use carp_tests::carpd::{json_field, signal, wait_reachable, Carpd, Scratch, BACKUP, MASTER};
use carp_tests::netns::Lab;
use carp_tests::process::wait_until;
use carp_tests::require;
use carp_tests::require::Prerequisite::{Netns, Root, Tshark};
use carp_tests::tshark::decode_fields;

const ELECT: Duration = Duration::from_secs(15);

#[test]
fn a_reload_with_state_master_takes_over_at_once() {
    require!(Root, Netns);
    let dir = Scratch::new("state-master");
    let mut lab = Lab::new().unwrap();
    let a = lab.add_host("a", &["192.0.2.11/24"]).unwrap();
    let file = dir.path.join("a.conf");
    // advbase 5: master-down is 15.2 s, so BACKUP lasts while we reload.
    std::fs::write(
        &file,
        "vhid 1 pass pw advbase 5 advskew 50 192.0.2.100/24\n",
    )
    .unwrap();
    let ca = Carpd::start(&a, &dir.path, "a", &["--config", file.to_str().unwrap()]);
    assert!(ca.wait_state(BACKUP, ELECT), "{:?}", ca.event_lines());
    std::fs::write(
        &file,
        "vhid 1 pass pw advbase 5 advskew 50 192.0.2.100/24 state master\n",
    )
    .unwrap();
    let t0 = Instant::now();
    signal(ca.pid(), "HUP");
    assert!(
        ca.wait_state(MASTER, Duration::from_secs(2)),
        "{:?}\n{}",
        ca.event_lines(),
        ca.stderr_text()
    );
    assert!(t0.elapsed() < Duration::from_secs(2));
    assert_eq!(ca.last_state().unwrap().1, "forced");
}

#[test]
fn reloading_an_unchanged_file_counts_its_demotion_once() {
    require!(Root, Netns, Tshark);
    let dir = Scratch::new("demotion");
    let mut lab = Lab::new().unwrap();
    let a = lab.add_host("a", &["192.0.2.11/24"]).unwrap();
    let file = dir.path.join("a.conf");
    let vhid = "vhid 1 pass pw advbase 0 advskew 20 192.0.2.100/24\n";
    std::fs::write(&file, format!("net.inet.carp.demotion=10\n{vhid}")).unwrap();
    let ca = Carpd::start(&a, &dir.path, "a", &["--config", file.to_str().unwrap()]);
    assert!(ca.wait_state(MASTER, ELECT), "{:?}", ca.event_lines());
    for _ in 0..3 {
        let before = ca.stderr_text().matches("reloaded").count();
        signal(ca.pid(), "HUP");
        let done = wait_until(Duration::from_secs(3), || {
            ca.stderr_text().matches("reloaded").count() > before
        });
        assert!(done, "{}", ca.stderr_text());
    }
    assert!(ca
        .stderr_text()
        .contains("0 added, 0 changed, 0 removed, 1 unchanged, 0 knobs"));
    let demote = |tag: &str| {
        let pcap = dir.path.join(format!("{tag}.pcap"));
        let cap = lab.capture(&pcap, "ip proto 112").unwrap();
        // A demoted master advertises every 240/256 s (advskew 240).
        std::thread::sleep(Duration::from_millis(2200));
        drop(cap);
        let rows = decode_fields(&pcap, &["carp.demotion"]).unwrap();
        assert!(rows.len() >= 2, "{rows:?}");
        rows.into_iter().map(|r| r[0].clone()).collect::<Vec<_>>()
    };
    assert!(demote("three-reloads").iter().all(|d| d == "10"));
    // The line deleted: demotion back to 0 (a sysctl line the file no
    // longer has returns to its default).
    std::fs::write(&file, vhid).unwrap();
    signal(ca.pid(), "HUP");
    assert!(wait_until(Duration::from_secs(3), || ca
        .stderr_text()
        .matches("reloaded")
        .count()
        == 4));
    assert!(demote("line-deleted").iter().all(|d| d == "0"));
    assert_eq!(ca.state().as_deref(), Some(MASTER));
}

#[test]
fn a_bare_address_after_an_address_is_refused_at_start_naming_it() {
    require!(Root, Netns);
    let dir = Scratch::new("ambiguous");
    let mut lab = Lab::new().unwrap();
    let a = lab.add_host("a", &["192.0.2.11/24"]).unwrap();
    let file = dir.path.join("a.conf");
    std::fs::write(&file, "vhid 1 pass pw 192.0.2.83/24 192.0.2.9\n").unwrap();
    let mut ca = Carpd::start(&a, &dir.path, "a", &["--config", file.to_str().unwrap()]);
    assert!(wait_until(Duration::from_secs(5), || !ca.is_running()));
    let stderr = ca.stderr_text();
    assert!(
        stderr.contains("line 1") && stderr.contains("192.0.2.9"),
        "{stderr}"
    );
    assert!(ca.event_lines().is_empty());
    let links = a.ns.run(&["ip", "-o", "link"]).unwrap();
    assert!(!links.contains("carp1-"), "{links}");
    let arp =
        a.ns.run(&["cat", "/proc/sys/net/ipv4/conf/eth0/arp_ignore"])
            .unwrap();
    assert_eq!(arp.trim(), "0", "nothing changed on the host");
}

#[test]
fn forty_vhids_run_on_one_parent() {
    require!(Root, Netns);
    let dir = Scratch::new("forty");
    let mut lab = Lab::new().unwrap();
    let a = lab.add_host("a", &["198.51.100.11/24"]).unwrap();
    let c = lab.add_host("c", &["198.51.100.13/24"]).unwrap();
    let file = dir.path.join("a.conf");
    let text: String = (1..=40)
        .map(|v| {
            format!(
                "vhid {v} pass pw advbase 1 advskew 0 198.51.100.{}/24\n",
                100 + v
            )
        })
        .collect();
    std::fs::write(&file, text).unwrap();
    let ca = Carpd::start(&a, &dir.path, "a", &["--config", file.to_str().unwrap()]);
    let all = wait_until(ELECT, || {
        let lines = ca.events_of("state");
        (1..=40).all(|v| {
            lines
                .iter()
                .rev()
                .find(|l| json_field(l, "vhid") == Some(v.to_string()))
                .is_some_and(|l| l.contains("\"to\":\"MASTER\""))
        })
    });
    assert!(all, "{:?}\n{}", ca.event_lines(), ca.stderr_text());
    for v in [1, 17, 32, 33, 40] {
        let addr = format!("198.51.100.{}", 100 + v);
        assert!(wait_reachable(&c, &addr, Duration::from_secs(5)), "{addr}");
    }
    let links = a.ns.run(&["ip", "-o", "link"]).unwrap();
    assert_eq!(links.matches("alias carpd: vhid").count(), 40, "{links}");
}
