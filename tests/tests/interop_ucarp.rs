//! carpd and ucarp 1.5.2 on one bridge: same vhid, password and IPv4
//! address. The smaller advskew wins whichever side has it, the backup
//! takes over when the master is killed, and a wrong password is counted
//! as bad authentication and never makes carpd yield.

use std::time::Duration;

use carp_tests::carpd::{counter, wait_reachable, Carpd, Scratch, Ucarp, BACKUP, MASTER};
use carp_tests::netns::Lab;
use carp_tests::require;
use carp_tests::require::Prerequisite::{Netns, Root, Ucarp as UcarpTool};

const VADDR: &str = "192.0.2.100";
const PASS: &str = "secret42";
/// Election at advbase 1 takes 3 s + skew; leave room for a loaded machine.
const ELECT: Duration = Duration::from_secs(10);

fn carpd_args(skew: u8, pass: &str) -> Vec<String> {
    [
        "-v",
        "7",
        "-p",
        pass,
        "-a",
        "192.0.2.100/24",
        "-k",
        &skew.to_string(),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn carpd_with_the_smaller_skew_wins_and_ucarp_takes_over_when_it_dies() {
    require!(Root, Netns, UcarpTool);
    let dir = Scratch::new("ucarp1");
    let mut lab = Lab::new().unwrap();
    let a = lab.add_host("a", &["192.0.2.11/24"]).unwrap();
    let b = lab.add_host("b", &["192.0.2.12/24"]).unwrap();
    let c = lab.add_host("c", &["192.0.2.13/24"]).unwrap();

    let mut carpd = Carpd::start(&a, &dir.path, "carpd", &args(&carpd_args(10, PASS)));
    let ucarp = Ucarp::start(&b, &dir.path, "ucarp", (7, PASS, VADDR, 50), &[]);
    assert!(
        carpd.wait_state(MASTER, ELECT),
        "carpd: {:?}",
        carpd.event_lines()
    );
    assert!(
        ucarp.wait_state(BACKUP, ELECT),
        "ucarp: {:?}",
        ucarp.state()
    );
    // Stays so: ucarp hears carpd's adverts (from the virtual MAC) as valid.
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(carpd.state().as_deref(), Some(MASTER));
    assert_eq!(ucarp.state().as_deref(), Some(BACKUP));
    assert!(wait_reachable(&c, VADDR, Duration::from_secs(5)));

    carpd.crash();
    assert!(ucarp.wait_state(MASTER, ELECT), "ucarp did not take over");
    assert!(wait_reachable(&c, VADDR, Duration::from_secs(5)));
}

#[test]
fn ucarp_with_the_smaller_skew_wins_and_carpd_takes_over_when_it_dies() {
    require!(Root, Netns, UcarpTool);
    let dir = Scratch::new("ucarp2");
    let mut lab = Lab::new().unwrap();
    let a = lab.add_host("a", &["192.0.2.11/24"]).unwrap();
    let b = lab.add_host("b", &["192.0.2.12/24"]).unwrap();
    let c = lab.add_host("c", &["192.0.2.13/24"]).unwrap();

    let carpd = Carpd::start(&a, &dir.path, "carpd", &args(&carpd_args(50, PASS)));
    let mut ucarp = Ucarp::start(&b, &dir.path, "ucarp", (7, PASS, VADDR, 10), &[]);
    assert!(
        ucarp.wait_state(MASTER, ELECT),
        "ucarp: {:?}",
        ucarp.state()
    );
    assert!(carpd.wait_state(BACKUP, ELECT));
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(ucarp.state().as_deref(), Some(MASTER));
    assert_eq!(
        carpd.state().as_deref(),
        Some(BACKUP),
        "{:?}",
        carpd.event_lines()
    );
    assert!(wait_reachable(&c, VADDR, Duration::from_secs(5)));

    ucarp.crash();
    assert!(carpd.wait_state(MASTER, ELECT), "{:?}", carpd.event_lines());
    assert_eq!(carpd.last_state().unwrap().1, "master-down");
    assert!(wait_reachable(&c, VADDR, Duration::from_secs(5)));
}

#[test]
fn a_wrong_password_is_counted_as_bad_auth_and_never_makes_carpd_yield() {
    require!(Root, Netns, UcarpTool);
    let dir = Scratch::new("ucarp3");
    let mut lab = Lab::new().unwrap();
    let a = lab.add_host("a", &["192.0.2.11/24"]).unwrap();
    let b = lab.add_host("b", &["192.0.2.12/24"]).unwrap();

    // ucarp advertises more often (skew 10) but signs with another key.
    let carpd = Carpd::start(&a, &dir.path, "carpd", &args(&carpd_args(50, PASS)));
    let ucarp = Ucarp::start(&b, &dir.path, "ucarp", (7, "wrongpass", VADDR, 10), &[]);
    assert!(ucarp.wait_state(MASTER, ELECT));
    assert!(carpd.wait_state(MASTER, ELECT), "{:?}", carpd.event_lines());
    std::thread::sleep(Duration::from_secs(3));
    let states: Vec<String> = carpd
        .events_of("state")
        .iter()
        .filter_map(|l| carp_tests::carpd::json_field(l, "to"))
        .collect();
    assert_eq!(states, [BACKUP, MASTER], "carpd yielded: {states:?}");
    let report = carpd.status_report();
    let badauth = counter(&report, "discarded for bad authentication").unwrap_or(0);
    assert!(badauth >= 3, "badauth {badauth} in:\n{report}");
    assert!(report.contains("carp: MASTER vhid 7"), "{report}");
}

#[test]
fn under_replay_enforce_a_live_ucarp_master_keeps_the_vhid_and_its_counters_are_named_once() {
    // Issue 15: ucarp alone draws a random counter per advert; every second
    // one was a "replay", and under enforce carpd took the vhid from a live
    // ucarp master for 1.4 s.
    require!(Root, Netns, UcarpTool);
    let dir = Scratch::new("ucarp-replay");
    let mut lab = Lab::new().unwrap();
    let a = lab.add_host("a", &["192.0.2.11/24"]).unwrap();
    let b = lab.add_host("b", &["192.0.2.12/24"]).unwrap();
    let mut carpd_argv = carpd_args(50, PASS);
    carpd_argv.extend(["--sysctl".to_owned(), "net.inet.carp.replay=2".to_owned()]);
    let ucarp = Ucarp::start(&b, &dir.path, "ucarp", (7, PASS, VADDR, 10), &[]);
    assert!(ucarp.wait_state(MASTER, ELECT));
    let carpd = Carpd::start(&a, &dir.path, "carpd", &args(&carpd_argv));
    assert!(carpd.wait_state(BACKUP, ELECT));
    std::thread::sleep(Duration::from_secs(8));
    let states: Vec<String> = carpd
        .events_of("state")
        .iter()
        .filter_map(|l| carp_tests::carpd::json_field(l, "to"))
        .collect();
    assert_eq!(
        states,
        [BACKUP],
        "carpd took over: {:?}",
        carpd.event_lines()
    );
    assert!(
        carpd.events_of("replay").is_empty(),
        "{:?}",
        carpd.event_lines()
    );
    let counters = carpd.events_of("counters");
    assert_eq!(counters.len(), 1, "{counters:?}");
    assert!(
        counters[0].contains("\"src\":\"192.0.2.12\",\"kind\":\"random\""),
        "{counters:?}"
    );
    let stderr = std::fs::read_to_string(&carpd.stderr).unwrap_or_default();
    assert_eq!(
        stderr.matches("192.0.2.12 sends random counters").count(),
        1,
        "{stderr}"
    );
}
