//! A client's view of the example kernel's IP stack (smoltcp) across
//! failovers with carpd: the client pings the virtual address every 10 ms
//! while carpd's host crashes (the guest takes over) and a better carpd
//! with preempt arrives (the guest hands back). The guest's echo replies
//! come from the virtual MAC (never its own), the one long silence is
//! bounded by the CARP formula, the guest's TCP greeting on the virtual
//! address answers only while it is MASTER, and ARP for the virtual address
//! gets exactly one answer per request (carp's, from the virtual MAC).

use std::path::Path;
use std::time::Duration;

use carp_tests::carpd::{wait_reachable, Carpd, Scratch, BACKUP, MASTER};
use carp_tests::kernel::{run_for, Guest};
use carp_tests::netns::{capture, Host, Lab};
use carp_tests::ping::parse_ping;
use carp_tests::process::wait_until;
use carp_tests::require;
use carp_tests::require::Prerequisite::{Arping, Netns, Qemu, Root, Tshark};
use carp_tests::tshark::decode_fields;

const VADDR: &str = "192.0.2.100";
const VMAC: &str = "00:00:5e:00:01:01";
const GUEST_MAC: &str = "02:00:5e:10:00:21";
const ELECT: Duration = Duration::from_secs(15);
/// The guest's advskew as backup.
const GUEST_SKEW: u8 = 50;
/// Ping runs this long (seconds): both failovers fit with room.
const PING_SECS: u64 = 14;
/// Beyond the formula, what a takeover's silence may add on the client:
/// the receive path under TCG (the NIC interrupts the guest), one ARP
/// exchange for the client's MAC (smoltcp learns it on the first echo
/// request), scheduling on a loaded host.
const CLIENT_SLACK_MS: f64 = 150.0;

/// Requests the hand-back to a preempting carpd may leave unanswered (1 s):
/// carpd's address setup on a loaded host, not the guest's doing.
const HAND_BACK_MAX_UNANSWERED: u64 = 100;

fn carpd(host: &Host, dir: &Path, name: &str, skew: u8, extra: &[&str]) -> Carpd {
    let skew = skew.to_string();
    let mut args = vec!["-v", "1", "-p", "pw", "-a", "192.0.2.100/24", "-k", &skew];
    args.extend_from_slice(extra);
    Carpd::start(host, dir, name, &args)
}

/// One line from the greeting service on the virtual address, if any.
fn hello(client: &Host) -> String {
    let script = format!("exec 3<>/dev/tcp/{VADDR}/7000 && head -n 1 <&3");
    client
        .ns
        .exec(&["timeout", "3", "bash", "-c", &script])
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

#[test]
fn a_client_pinging_every_10ms_sees_the_virtual_mac_and_bounded_loss_across_failovers() {
    require!(Root, Netns, Qemu, Tshark, Arping);
    let dir = Scratch::new("kq-client");
    let mut lab = Lab::new().unwrap();
    let a = lab.add_host("a", &["192.0.2.11/24"]).unwrap();
    let b = lab.add_host("b", &["192.0.2.12/24"]).unwrap();
    let c = lab.add_host("c", &["192.0.2.13/24"]).unwrap();

    let mut first = carpd(&a, &dir.path, "first", 10, &[]);
    assert!(first.wait_state(MASTER, ELECT), "{:?}", first.event_lines());
    let cmdline = format!(
        "ip=192.0.2.21/24; ifconfig carp0 create vhid 1 pass pw advskew {GUEST_SKEW} {VADDR}/24"
    );
    let guest = Guest::boot(&lab, "g", GUEST_MAC, &cmdline).unwrap();
    assert!(guest.wait_state(BACKUP, ELECT), "{}", guest.transcript());
    assert!(wait_reachable(&c, VADDR, Duration::from_secs(5)));
    // The guest is BACKUP: the greeting is not its to give. Its own
    // address (smoltcp's parent interface) answers all the same.
    assert!(!hello(&c).contains("hello from carp"));
    assert!(c.ns.ping_once("192.0.2.21".parse().unwrap()));

    let pcap = dir.path.join("client.pcap");
    let cap = capture(&c.ns, &c.ifname, &pcap, "icmp").unwrap();
    let ping_out = dir.path.join("ping.txt");
    let ping =
        c.ns.spawn(&[
            "sh",
            "-c",
            &format!(
                "exec ping -n -D -i 0.01 -w {PING_SECS} {VADDR} > {}",
                ping_out.display()
            ),
        ])
        .unwrap();
    run_for(Duration::from_secs(1));

    // carpd's host crashes: its bridge port goes dark, carpd dies.
    lab.bridge()
        .run(&["ip", "link", "set", "v-a", "down"])
        .unwrap();
    first.crash();
    assert!(guest.wait_state(MASTER, ELECT), "{}", guest.transcript());
    // Long enough for a few hundred echo replies from the guest.
    run_for(Duration::from_secs(2));
    let greeting = hello(&c);
    assert_eq!(greeting, format!("hello from carp vhid 1 at {VMAC}"));
    // ARP for the virtual address is carp's: one reply per request, from
    // the virtual MAC (smoltcp's own reply is dropped).
    let arp_pcap = dir.path.join("arp.pcap");
    let arp_cap = capture(&c.ns, &c.ifname, &arp_pcap, "arp").unwrap();
    c.ns.exec(&["arping", "-c", "3", "-w", "4", "-I", &c.ifname, VADDR])
        .unwrap();
    run_for(Duration::from_millis(300));
    drop(arp_cap);
    let arp = decode_fields(
        &arp_pcap,
        &["arp.opcode", "arp.src.hw_mac", "arp.src.proto_ipv4"],
    )
    .unwrap();
    let arp_replies: Vec<&Vec<String>> = arp
        .iter()
        .filter(|r| r[0] == "2" && r[2] == VADDR)
        .collect();
    assert_eq!(arp_replies.len(), 3, "{arp:?}");
    assert!(arp_replies.iter().all(|r| r[1] == VMAC), "{arp:?}");

    // A better carpd with preempt takes the address back.
    let second = carpd(&b, &dir.path, "second", 10, &["-P"]);
    assert!(
        second.wait_state(MASTER, ELECT),
        "{:?}",
        second.event_lines()
    );
    assert!(guest.wait_state(BACKUP, ELECT), "{}", guest.transcript());
    run_for(Duration::from_millis(500));
    assert!(!hello(&c).contains("hello from carp"), "guest still serves");

    let done = wait_until(Duration::from_secs(PING_SECS + 10), || {
        std::fs::read_to_string(&ping_out).is_ok_and(|t| t.contains("packets transmitted"))
    });
    assert!(done, "ping did not finish");
    drop(ping);
    run_for(Duration::from_millis(300));
    drop(cap);

    // The guest answered from the virtual MAC, never from its own; carpd
    // (the only other source) answers from its host's MAC.
    let rows = decode_fields(&pcap, &["icmp.type", "eth.src"]).unwrap();
    let mac = |m: [u8; 6]| {
        m.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    let count = |who: &str| rows.iter().filter(|r| r[0] == "0" && r[1] == who).count();
    let (from_vmac, from_guest) = (count(VMAC), count(GUEST_MAC));
    let (from_a, from_b) = (count(&mac(a.mac)), count(&mac(b.mac)));
    let total = rows.iter().filter(|r| r[0] == "0").count();
    println!(
        "kernel client: echo replies from {VMAC} {from_vmac}, from carpd hosts {from_a} + {from_b}, from the guest's own MAC {from_guest}"
    );
    assert_eq!(from_guest, 0);
    assert!(from_vmac >= 100, "{from_vmac} replies from the virtual MAC");
    assert_eq!(from_vmac + from_a + from_b, total, "replies from elsewhere");

    // One long silence (carpd's crash), bounded by the formula; the
    // preempted hand-back costs what carpd takes to install the address
    // after its first advert as MASTER (the guest falls silent on that
    // advert): none in five runs, 63 once at load average 10.
    let text = std::fs::read_to_string(&ping_out).unwrap();
    let got = parse_ping(&text).replies;
    let mut gaps: Vec<(f64, u64)> = got
        .windows(2)
        .map(|w| ((w[1].0 - w[0].0) * 1000.0 - 10.0, w[1].1 - w[0].1 - 1))
        .collect();
    // By requests left unanswered: a gap in which every request was
    // answered is ping itself pausing (seen once for 1.7 s on a loaded
    // host), not the service.
    gaps.sort_by(|x, y| y.1.cmp(&x.1).then(y.0.total_cmp(&x.0)));
    let formula_ms = 3000.0 + f64::from(GUEST_SKEW) * 1000.0 / 256.0;
    let (downtime, unanswered) = gaps[0];
    let bound = formula_ms + CLIENT_SLACK_MS;
    println!(
        "kernel client: crash failover downtime {downtime:.0} ms ({unanswered} requests unanswered, formula {formula_ms:.0} ms); hand-back downtime {:.0} ms ({} unanswered)",
        gaps[1].0, gaps[1].1
    );
    assert!(
        downtime <= bound,
        "downtime {downtime:.0} ms > {bound:.0} ms"
    );
    assert!(
        (unanswered as f64) <= bound / 10.0,
        "{unanswered} requests unanswered"
    );
    assert!(
        gaps[1].1 <= HAND_BACK_MAX_UNANSWERED,
        "hand-back: {} requests unanswered",
        gaps[1].1
    );
}
