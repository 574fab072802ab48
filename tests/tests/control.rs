//! The control engine across crates: every line of
//! `tests/fixtures/config-examples.txt` applied through `parse_line` and
//! the `Engine`, and every knob's effect observed on an in-memory wire
//! between two hosts' engines with a virtual clock.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use carp_core::{Counter, EventKind, Instant, Key, Reason, Reject, State, VhostConfig};
use carp_ctl::{parse_line, ConfigLine, CtlError, Engine, IfName, Parent as CtlParent, ParentId};
use carp_ifnet::arp::{ArpOperation, ArpRepr};
use carp_ifnet::carpif::{CarpIf, Input, MAX_VHIDS};
use carp_ifnet::driver::{LinkState, ParentInfo};
use carp_ifnet::lladdr::{LinkType, MacAddr};
use carp_ifnet::log_event::LogEvent;
use carp_sysctl::{Knob, LogLevel, Sysctl};
use carp_tests::driver::RecordingDriver;

const FIXTURE: &str = include_str!("../fixtures/config-examples.txt");

/// Offset of the CARP header in an Ethernet/IPv4 advert frame.
const CARP_AT: usize = 14 + 20;

/// Host `n`'s parent: Ethernet, 192.0.2.n, fe80::n.
fn parent_info(n: u8) -> ParentInfo {
    ParentInfo::ethernet(MacAddr([0x02, 0, 0, 0, 0, n]))
        .with_ipv4(Ipv4Addr::new(192, 0, 2, n))
        .with_ipv6_link_local(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, u16::from(n)))
}

fn name(s: &str) -> IfName {
    IfName::new(s).unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn secs(s: u64) -> Instant {
    Instant::from_secs(s)
}

/// A hosted engine: 255 vhids per parent, parents on the heap.
type HostEngine = Engine<Vec<Box<CtlParent<MAX_VHIDS>>>, MAX_VHIDS, 64>;

/// One host: its engine with parent em0 (and em1 when asked), and a
/// recording NIC per parent.
struct Host {
    e: HostEngine,
    em0: ParentId,
    em1: Option<ParentId>,
    nic0: RecordingDriver,
    nic1: RecordingDriver,
}

impl Host {
    /// Host `n` with em0 only.
    fn new(n: u8) -> Host {
        let mut e = HostEngine::new(Vec::new());
        let em0 = e.add_parent("em0", parent_info(n), LinkState::Up).unwrap();
        Host {
            e,
            em0,
            em1: None,
            nic0: RecordingDriver::host(n),
            nic1: RecordingDriver::host(n + 100),
        }
    }

    /// Host `n` with em0 and em1 (198.51.100.n, another subnet).
    fn with_em1(n: u8) -> Host {
        let mut h = Host::new(n);
        let info = ParentInfo::ethernet(MacAddr([0x02, 0, 0, 0, 1, n]))
            .with_ipv4(Ipv4Addr::new(198, 51, 100, n));
        h.em1 = Some(h.e.add_parent("em1", info, LinkState::Up).unwrap());
        h
    }

    fn ifconfig(&mut self, ifname: &str, words: &str, now: Instant) {
        self.e
            .ifconfig(now, ifname, words)
            .unwrap_or_else(|e| panic!("ifconfig {ifname} {words}: {e}"));
        self.poll(now);
    }

    fn sysctl(&self) -> &Sysctl {
        self.e.sysctl()
    }

    /// em0's carp interface.
    fn cif(&self) -> &CarpIf<MAX_VHIDS> {
        self.e.parent(self.em0).unwrap().carpif()
    }

    fn vhost(&self, vhid: u8) -> &carp_core::VirtualHost {
        self.e
            .parents()
            .find_map(|p| p.carpif().vhost(vhid))
            .unwrap()
    }

    fn state(&self, vhid: u8) -> State {
        self.vhost(vhid).state()
    }

    fn config(&self, vhid: u8) -> &VhostConfig {
        self.vhost(vhid).config()
    }

    fn status(&self, ifname: &str) -> String {
        let mut out = String::new();
        self.e.status(ifname, &mut out).unwrap();
        out
    }

    fn input(&mut self, now: Instant, frame: &[u8]) -> Result<Input, Reject> {
        self.e.input(now, self.em0, frame)
    }

    fn poll(&mut self, now: Instant) {
        self.e.poll(now, self.em0, &mut self.nic0);
        if let Some(em1) = self.em1 {
            self.e.poll(now, em1, &mut self.nic1);
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.e.poll_timeout()
    }

    /// What em0 sent.
    fn take_sent(&mut self) -> Vec<Vec<u8>> {
        self.nic0.take()
    }
}

// ===== the fixture's configuration lines =====

/// Applies the lines of one paragraph of the fixture to a fresh host with
/// parents em0 and em1, through the engine: `create`, `destroy`, the
/// words of each line (to the interface it names, or the one its file
/// would), sysctl lines.
struct Applied {
    host: Host,
    lines: usize,
}

/// `hostname.if` lines name no interface: the file does. The fixture's
/// hostname.carp0 holds vhid 1, hostname.carp1 vhid 2. The FreeBSD 10+
/// alias line names the parent; here it goes to carp0 like the others, so
/// one status check reads every paragraph.
fn file_interface(request: &carp_ctl::IfconfigRequest) -> &'static str {
    match request.vhid.map(|v| v.get()) {
        Some(2) => "carp1",
        _ => "carp0",
    }
}

fn apply_paragraph(paragraph: &[&str]) -> Applied {
    // A second parent only where the paragraph names one: with two, an
    // interface without carpdev needs an address in a parent's subnet.
    let two = paragraph.iter().any(|l| l.contains("carpdev em1"));
    let mut a = Applied {
        host: if two {
            Host::with_em1(11)
        } else {
            Host::new(11)
        },
        lines: 0,
    };
    let e = &mut a.host.e;
    let now = Instant::ZERO;
    for line in paragraph {
        a.lines += 1;
        match parse_line(line).unwrap_or_else(|e| panic!("{line}: {e}")) {
            ConfigLine::Blank => {}
            ConfigLine::Create { ifname } => e.ifconfig(now, &ifname, "create").unwrap(),
            ConfigLine::Destroy { ifname } => e.ifconfig(now, &ifname, "destroy").unwrap(),
            ConfigLine::Cloned { names } => {
                for n in &names {
                    e.ifconfig(now, n, "create").unwrap();
                }
            }
            ConfigLine::Configure { ifname, request } => {
                let target = match ifname {
                    Some(n) if n.as_str() != "em0" => n,
                    _ => name(file_interface(&request)),
                };
                if !e.names().any(|n| *n == target) {
                    e.ifconfig(now, &target, "create").unwrap();
                }
                e.configure(now, &target, &request)
                    .unwrap_or_else(|e| panic!("{line}: {e}"));
            }
            ConfigLine::NotMine { line } => {
                let knob = e
                    .sysctl_line(now, line)
                    .unwrap_or_else(|e| panic!("{line}: {e}"));
                assert!(knob.is_some(), "{line}");
            }
        }
    }
    a
}

/// The fixture's paragraphs (blank-line separated), each with its comment
/// lines.
fn paragraphs() -> Vec<Vec<&'static str>> {
    let mut out = vec![Vec::new()];
    for line in FIXTURE.lines() {
        if line.trim().is_empty() {
            out.push(Vec::new());
        } else {
            out.last_mut().unwrap().push(line);
        }
    }
    out.retain(|p| !p.is_empty());
    out
}

fn key(pass: &str) -> Key {
    Key::new(pass.as_bytes()).unwrap()
}

#[test]
fn every_fixture_line_applies_through_the_engine() {
    let paragraphs = paragraphs();
    assert_eq!(paragraphs.len(), 8, "header, six examples, expected status");
    let mut applied = Vec::new();
    let mut lines = 0;
    for p in &paragraphs[..7] {
        let a = apply_paragraph(p);
        lines += a.lines;
        applied.push(a);
    }
    let all_but_status = FIXTURE.lines().filter(|l| !l.trim().is_empty()).count();
    assert_eq!(lines + paragraphs[7].len(), all_but_status);

    // OpenBSD ifconfig: the second configuration of carp0 replaces the first.
    let em0 = &applied[1].host;
    let c = em0.config(1);
    assert_eq!((c.advbase, c.advskew.get()), (1, 110));
    assert_eq!(c.key, key("changeme"));
    assert_eq!(c.addresses(), [ip("192.168.0.100")]);
    assert_eq!(em0.state(1), State::Backup, "skew change kept BACKUP");

    // OpenBSD with a parent and netmask: each interface on its carpdev.
    let (em0, em1) = (&applied[2].host, &applied[2].host);
    assert_eq!(em0.config(1).advskew.get(), 128);
    assert_eq!(em0.config(1).key, key("lanpasswd"));
    assert_eq!(em1.config(2).key, key("wanpasswd"));
    let h = &applied[2].host;
    assert!(h.cif().vhost(1).is_some(), "carp0 on em0");
    assert!(
        h.e.parent(h.em1.unwrap())
            .unwrap()
            .carpif()
            .vhost(2)
            .is_some(),
        "carp1 on em1"
    );
    assert_eq!(
        em0.status("carp0"),
        "carp0: flags=41<UP,RUNNING> mtu 1500\n\
         \tcarp: BACKUP carpdev em0 vhid 1 advbase 1 advskew 128\n\
         \tinet 172.16.0.100 netmask 0xffffff00\n"
    );
    assert_eq!(
        em1.status("carp1"),
        "carp1: flags=41<UP,RUNNING> mtu 1500\n\
         \tcarp: BACKUP carpdev em1 vhid 2 advbase 1 advskew 0\n\
         \tinet 192.0.2.100 netmask 0xffffff00\n"
    );

    // hostname.carp0 / hostname.carp1.
    let em0 = &applied[3].host;
    assert_eq!(em0.config(1).advskew.get(), 100);
    assert_eq!(em0.config(1).key, key("foo"));
    assert_eq!(em0.config(1).addresses(), [ip("10.0.0.1")]);
    assert_eq!(em0.config(2).key, key("bar"));
    assert!(em0
        .status("carp1")
        .ends_with("\tinet 192.168.0.1 netmask 0xffffff00\n"));

    // rc.conf: cloned_interfaces, then the ifconfig_carpN lines.
    let em0 = &applied[4].host;
    let names: Vec<&str> = em0.e.names().map(|n| n.as_str()).collect();
    assert_eq!(names, ["carp1", "carp2"]);
    assert_eq!(em0.config(1).advskew.get(), 80);
    assert_eq!(em0.config(1).key, key("BigPassword"));
    assert_eq!(em0.config(2).key, key("BigPass2W"));
    assert_eq!(em0.config(2).addresses(), [ip("10.11.12.1")]);
    assert!(em0
        .status("carp1")
        .ends_with("\tinet 99.88.77.66 netmask 0xff000000\n"));

    // FreeBSD 10+ alias line: vhid 1 with 10.0.0.1/32.
    let em0 = &applied[5].host;
    assert_eq!(em0.config(1).key, key("foo"));
    assert!(em0
        .status("carp0")
        .ends_with("\tinet 10.0.0.1 netmask 0xffffffff\n"));

    // sysctl lines, both spellings.
    let s = applied[6].host.sysctl();
    assert!(s.preempt());
    assert!(s.allow());
    assert!(s.arpbalance());
    assert_eq!(s.log_level(), LogLevel::StateChanges);
}

#[test]
fn status_of_the_first_openbsd_example_as_master_matches_the_fixture() {
    let paragraphs = paragraphs();
    let mut a = apply_paragraph(&paragraphs[1][..3]);
    a.host.ifconfig("carp0", "state master", Instant::ZERO);
    // The fixture's expected block, comment marks and indentation removed.
    let expected: Vec<String> = paragraphs[7][1..]
        .iter()
        .map(|l| l.trim_start_matches('#').trim().to_string())
        .collect();
    let status = a.host.status("carp0");
    let got: Vec<&str> = status.lines().map(str::trim).collect();
    assert_eq!(got, expected);
    assert!(status.contains("\n\tcarp: "), "indented with a tab");
}

// ===== knob effects on the wire =====

/// Two hosts on one in-memory Ethernet (their em0), each with its own
/// engine and sysctl tree.
struct Wire {
    a: Host,
    b: Host,
    now: Instant,
    /// Every frame each host sent, in order.
    log_a: Vec<Vec<u8>>,
    log_b: Vec<Vec<u8>>,
    /// Rejections each host's input returned.
    rejects_b: Vec<Reject>,
}

impl Wire {
    fn new() -> Wire {
        Wire {
            a: Host::with_em1(11),
            b: Host::new(12),
            now: Instant::ZERO,
            log_a: Vec::new(),
            log_b: Vec::new(),
            rejects_b: Vec::new(),
        }
    }

    fn ifconfig_a(&mut self, words: &str) {
        self.a.ifconfig("carp0", words, self.now);
        self.exchange();
    }

    fn ifconfig_b(&mut self, words: &str) {
        self.b.ifconfig("carp0", words, self.now);
        self.exchange();
    }

    /// Delivers what each side sent to the other until the wire is quiet.
    fn exchange(&mut self) {
        loop {
            self.a.poll(self.now);
            self.b.poll(self.now);
            let from_a = self.a.take_sent();
            let from_b = self.b.take_sent();
            if from_a.is_empty() && from_b.is_empty() {
                return;
            }
            for f in from_a {
                if let Err(r) = self.b.input(self.now, &f) {
                    self.rejects_b.push(r);
                }
                self.log_a.push(f);
            }
            for f in from_b {
                let _ = self.a.input(self.now, &f);
                self.log_b.push(f);
            }
        }
    }

    /// Runs both hosts' timers up to `until`.
    fn run_until(&mut self, until: Instant) {
        self.exchange();
        while let Some(next) = [self.a.poll_timeout(), self.b.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
            .filter(|t| *t <= until)
        {
            self.now = next;
            self.a.poll(next);
            self.b.poll(next);
            self.exchange();
        }
        self.now = until;
    }

    /// A master on A (skew 10 unless said), B backup (skew 100 unless said).
    fn pair(skew_a: u8, skew_b: u8) -> Wire {
        let mut w = Wire::new();
        w.ifconfig_b(&format!(
            "create vhid 1 advskew {skew_b} pass secret 192.0.2.100/24"
        ));
        w.ifconfig_a(&format!(
            "create vhid 1 advskew {skew_a} pass secret 192.0.2.100/24 state master"
        ));
        w
    }

    fn last_advert_a(&self) -> &[u8] {
        self.log_a
            .iter()
            .rev()
            .find(|f| f[12..14] == [0x08, 0x00])
            .unwrap()
    }
}

#[test]
fn healthy_pair_keeps_its_master() {
    let mut w = Wire::pair(10, 100);
    w.run_until(secs(20));
    assert_eq!(w.a.state(1), State::Master);
    assert_eq!(w.b.state(1), State::Backup);
    assert!(w.rejects_b.is_empty(), "{:?}", w.rejects_b);
}

#[test]
fn allow_zero_drops_adverts_and_the_deaf_backup_takes_over() {
    let mut w = Wire::pair(10, 100);
    w.b.sysctl().set("allow", 0).unwrap();
    w.run_until(secs(20));
    assert!(w.rejects_b.iter().all(|r| *r == Reject::Disabled));
    assert!(w.rejects_b.len() >= 10);
    assert_eq!(
        w.b.sysctl().stats().get(Counter::Disabled),
        w.rejects_b.len() as u64
    );
    assert_eq!(
        w.b.cif().stats().get(Counter::Disabled),
        w.rejects_b.len() as u64
    );
    // B heard nothing it could act on: it took over after master-down.
    assert_eq!(w.b.state(1), State::Master);
    assert_eq!(
        w.a.state(1),
        State::Master,
        "A still hears B's worse adverts"
    );
}

#[test]
fn preempt_on_lets_a_better_backup_take_over_and_off_does_not() {
    for (preempt, b_wins) in [(1, true), (0, false)] {
        let mut w = Wire::pair(100, 10);
        w.b.sysctl().set("net.inet.carp.preempt", preempt).unwrap();
        w.run_until(secs(20));
        let (a, b) = (w.a.state(1), w.b.state(1));
        if b_wins {
            assert_eq!((a, b), (State::Backup, State::Master), "preempt=1");
            let took = std::iter::from_fn(|| w.b.e.poll_event().map(|(_, e)| e)).any(|e| {
                e.kind
                    == EventKind::StateChange {
                        from: State::Backup,
                        to: State::Master,
                        reason: Reason::Preempt,
                    }
            });
            assert!(took);
        } else {
            assert_eq!((a, b), (State::Master, State::Backup), "preempt=0");
        }
    }
}

fn arp_request(sender: Ipv4Addr, target: Ipv4Addr) -> Vec<u8> {
    let req = ArpRepr {
        operation: ArpOperation::Request,
        sender_mac: MacAddr([0x02, 0xaa, 0, 0, 0, 1]),
        sender_ip: sender,
        target_mac: MacAddr::ZERO,
        target_ip: target,
    };
    let mut buf = [0u8; 64];
    let n = req
        .emit_frame(
            LinkType::Ethernet,
            MacAddr::BROADCAST,
            req.sender_mac,
            &mut buf,
        )
        .unwrap();
    buf[..n].to_vec()
}

#[test]
fn arpbalance_changes_which_vhid_answers_arp() {
    let mut h = Host::new(11);
    // Two vhids share the address: the engine allows it with arpbalance.
    h.e.sysctl_line(Instant::ZERO, "net.inet.carp.arpbalance=1")
        .unwrap();
    h.ifconfig(
        "carp0",
        "create vhid 1 pass x 192.0.2.100/24 state master",
        Instant::ZERO,
    );
    h.ifconfig(
        "carp1",
        "create vhid 2 pass y 192.0.2.100/24 state master",
        Instant::ZERO,
    );
    let answers = |h: &mut Host| -> Vec<u8> {
        (1..=20u8)
            .map(|n| {
                let req = arp_request(
                    Ipv4Addr::new(198, 51, 100, n),
                    Ipv4Addr::new(192, 0, 2, 100),
                );
                let answer = h.input(secs(1), &req);
                h.poll(secs(1));
                match answer {
                    Ok(Input::ArpReplied { vhid }) => vhid,
                    other => panic!("{other:?}"),
                }
            })
            .collect()
    };
    let balanced = answers(&mut h);
    assert_eq!(balanced.iter().filter(|v| **v == 1).count(), 10);
    assert_eq!(balanced.iter().filter(|v| **v == 2).count(), 10);
    h.sysctl().set("arpbalance", 0).unwrap();
    let plain = answers(&mut h);
    assert!(plain.iter().all(|v| *v == 1), "first master answers all");
}

#[test]
fn demotion_write_makes_the_master_advertise_240_and_lose() {
    let mut w = Wire::pair(10, 100);
    w.run_until(secs(5));
    w.a.sysctl().set("demotion", 10).unwrap();
    w.run_until(secs(8));
    let advert = w
        .log_a
        .iter()
        .find(|f| f[12..14] == [0x08, 0x00] && f[CARP_AT + 4] == 10)
        .expect("a demoted advert");
    assert_eq!(advert[CARP_AT + 2], 240, "advskew 240 while demoted");
    assert_eq!((w.a.state(1), w.b.state(1)), (State::Backup, State::Master));
}

#[test]
fn parent_link_down_demotes_by_ifdown_demotion_factor_and_fails_over_elsewhere() {
    // Host A has two parents sharing its sysctl: em1 (vhid 5, alone) and
    // em0 (vhid 1 on the wire with B). em1 losing its link demotes A, so
    // its em0 master gives way too.
    let mut w = Wire::pair(10, 100);
    let em1 = w.a.em1.unwrap();
    w.a.ifconfig(
        "carp5",
        "create vhid 5 pass z carpdev em1 198.51.100.5/24",
        Instant::ZERO,
    );
    w.a.sysctl().set("ifdown_demotion_factor", 50).unwrap();
    w.run_until(secs(5));
    assert_eq!(w.a.state(1), State::Master);
    w.a.e.set_link(w.now, em1, false);
    assert_eq!(w.a.state(5), State::Init);
    assert_eq!(w.a.sysctl().get("demotion").unwrap().as_int(), Some(50));
    w.run_until(secs(8));
    assert_eq!(w.last_advert_a()[CARP_AT + 4], 50, "demote byte");
    assert_eq!((w.a.state(1), w.b.state(1)), (State::Backup, State::Master));
    w.a.e.set_link(w.now, em1, true);
    assert_eq!(w.a.sysctl().get("demotion").unwrap().as_int(), Some(0));
}

#[test]
fn replay_enforce_drops_a_replayed_advert() {
    let mut w = Wire::pair(10, 100);
    // A is master from 3.04 s; B has learned its counters (incrementing)
    // after four adverts.
    w.run_until(secs(8));
    let advert = w.last_advert_a().to_vec();
    for (policy, dropped) in [(1, false), (2, true)] {
        w.b.sysctl().set("replay", policy).unwrap();
        let r = w.b.input(w.now, &advert);
        if dropped {
            assert!(matches!(r, Err(Reject::Replay { .. })), "{r:?}");
        } else {
            assert!(r.is_ok(), "replay=1 logs and accepts: {r:?}");
        }
    }
    assert_eq!(w.b.cif().stats().get(Counter::Replay), 1);
}

#[test]
fn dscp_sets_the_tos_byte_of_the_advert() {
    let mut w = Wire::pair(10, 100);
    w.run_until(secs(2));
    assert_eq!(w.last_advert_a()[15], 0x10, "default dscp 4: TOS 0x10");
    w.a.sysctl().set("dscp", 46).unwrap();
    w.run_until(secs(4));
    assert_eq!(w.last_advert_a()[15], 46 << 2);
    let ip = &w.last_advert_a()[14..34];
    assert_eq!(
        carp_core::wire::checksum(ip),
        0,
        "IPv4 checksum still right"
    );
}

#[test]
fn log_level_maps_to_the_log_facade_filter() {
    let s = Sysctl::new();
    let dropped = LogEvent::Dropped(Reject::BadTtl(64));
    let cases = [
        (0, LogLevel::Off, "OFF", false),
        (1, LogLevel::StateChanges, "INFO", false),
        (2, LogLevel::BadPackets, "DEBUG", true),
        (7, LogLevel::Verbose, "TRACE", true),
    ];
    for (value, level, filter, logs_drops) in cases {
        s.set_knob(Knob::Log, value).unwrap();
        assert_eq!(s.log_level(), level);
        assert_eq!(s.log_level().level_filter().to_string(), filter);
        assert_eq!(
            s.log_level().allows(dropped.level().unwrap()),
            logs_drops,
            "log={value}"
        );
    }
}

#[test]
fn bad_requests_leave_the_running_pair_alone() {
    let mut w = Wire::pair(10, 100);
    w.run_until(secs(5));
    let deadline = w.a.poll_timeout();
    let before = w.a.e.get_carpreq("carp0", None).unwrap();
    let refused = [
        ("vhid 0", "vhid (word 2) 0: out of range 1..255"),
        ("advskew 255", "advskew (word 2) 255: out of range 0..254"),
        ("carpdev em9", "em9: no such parent interface"),
        (
            "frobnicate",
            "word 1 \"frobnicate\": unknown (not a keyword, an address or a value)",
        ),
    ];
    for (words, text) in refused {
        let e = w.a.e.ifconfig(w.now, "carp0", words).unwrap_err();
        assert_eq!(e.to_string(), text);
        assert_eq!(w.a.e.get_carpreq("carp0", None).unwrap(), before);
        assert_eq!(w.a.poll_timeout(), deadline);
        assert_eq!(w.a.state(1), State::Master);
    }
    assert!(matches!(
        w.a.e.ifconfig(w.now, "carp7", "vhid 3"),
        Err(CtlError::NoSuchInterface(_))
    ));
    w.run_until(secs(10));
    assert_eq!((w.a.state(1), w.b.state(1)), (State::Master, State::Backup));
}
