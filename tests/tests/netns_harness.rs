//! The namespace harness itself: two hosts on an in-namespace bridge reach
//! each other, and everything is gone after the lab drops, panic or not.

use std::net::IpAddr;
use std::process::Command;
use std::time::Duration;

use carp_tests::netns::{Lab, BRIDGE};
use carp_tests::require;
use carp_tests::require::Prerequisite::{Netns, Root};

fn namespaces() -> String {
    let out = Command::new("ip").args(["netns", "list"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn host_links() -> String {
    let out = Command::new("ip").args(["-o", "link"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn two_hosts_on_the_bridge_ping_each_other_and_leave_nothing_behind() {
    require!(Root, Netns);
    let links_before = host_links();
    let names;
    {
        let mut lab = Lab::new().unwrap();
        let a = lab
            .add_host("a", &["192.0.2.11/24", "2001:db8::11/64"])
            .unwrap();
        let b = lab
            .add_host("b", &["192.0.2.12/24", "2001:db8::12/64"])
            .unwrap();
        names = [
            lab.bridge().name().to_owned(),
            a.ns.name().to_owned(),
            b.ns.name().to_owned(),
        ];
        let listed = namespaces();
        assert!(
            names.iter().all(|n| listed.contains(n.as_str())),
            "{listed}"
        );
        assert_eq!(a.mac, [0x02, 0x00, 0x5e, 0x10, 0x00, 1]);

        let v4: IpAddr = "192.0.2.12".parse().unwrap();
        let v6: IpAddr = "2001:db8::11".parse().unwrap();
        assert!(
            a.ns.ping_within(v4, Duration::from_secs(5)),
            "a cannot ping b"
        );
        assert!(
            b.ns.ping_within(v6, Duration::from_secs(5)),
            "b cannot ping a over IPv6"
        );

        // The bridge and veths live in namespaces, never on the host.
        let bridge_links = lab.bridge().run(&["ip", "-o", "link"]).unwrap();
        assert!(bridge_links.contains(BRIDGE) && bridge_links.contains("v-a"));
        assert!(!host_links().contains("v-a"));
        assert_eq!(host_links(), links_before);
    }
    let listed = namespaces();
    assert!(
        names.iter().all(|n| !listed.contains(n.as_str())),
        "{listed}"
    );
}

#[test]
fn a_panicking_test_still_removes_its_namespaces_and_processes() {
    require!(Root, Netns);
    let mut created = String::new();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut lab = Lab::new().unwrap();
        let host = lab.add_host("p", &["192.0.2.21/24"]).unwrap();
        created = host.ns.name().to_owned();
        let _sleeper = host.ns.spawn(&["sleep", "600"]).unwrap();
        panic!("test body fails");
    }));
    assert!(result.is_err());
    assert!(!created.is_empty());
    assert!(!namespaces().contains(&created));
}

#[test]
fn refuses_addresses_outside_the_documentation_ranges() {
    require!(Root, Netns);
    let mut lab = Lab::new().unwrap();
    let err = lab.add_host("x", &["10.1.2.3/24"]).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(lab.add_host("y", &["203.0.113.1/24"]).is_err());
    // TEST-NET-2 is a documentation range too.
    assert!(lab.add_host("z", &["198.51.100.1/24"]).is_ok());
}

#[test]
fn background_processes_die_when_dropped() {
    require!(Root, Netns);
    let mut lab = Lab::new().unwrap();
    let host = lab.add_host("s", &["192.0.2.31/24"]).unwrap();
    let mut proc = host.ns.spawn(&["sleep", "600"]).unwrap();
    assert!(proc.is_running());
    let pid = proc.id().unwrap();
    drop(proc);
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    assert_eq!(
        host.ns.run(&["ip", "netns", "identify"]).unwrap().trim(),
        host.ns.name()
    );
}

#[test]
fn dropping_a_background_process_sends_sigterm_to_its_whole_group_first() {
    require!(Root, Netns);
    let mut lab = Lab::new().unwrap();
    let host = lab.add_host("t", &["192.0.2.32/24"]).unwrap();
    let dir = std::env::temp_dir().join(format!("carp-harness-term-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A leader and a child of it in the same group, each recording SIGTERM
    // (tcpdump and carpd flush and clean up on it; SIGKILL gives no chance),
    // and saying when its trap is set.
    let script = format!(
        "trap 'echo term > {d}/leader; exit 0' TERM; \
         sh -c \"trap 'echo term > {d}/child; exit 0' TERM; : > {d}/child-ready; \
         while :; do sleep 0.05; done\" & \
         : > {d}/leader-ready; while :; do sleep 0.05; done",
        d = dir.display()
    );
    let proc = host.ns.spawn(&["sh", "-c", &script]).unwrap();
    // Both traps set (bounded: 10 s on a loaded machine).
    for _ in 0..200 {
        if dir.join("leader-ready").exists() && dir.join("child-ready").exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    drop(proc);
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    let (leader, child) = (read("leader"), read("child"));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!((leader.trim(), child.trim()), ("term", "term"));
}
