//! The registry over a recording mock parent: create/destroy, set/get,
//! every ifconfig word, status output, the bad-input table with the old
//! configuration intact, and INIT-free reconfiguration.

use core::net::{IpAddr, Ipv4Addr};
use std::string::{String, ToString};
use std::vec::Vec;

use carp_core::{ConfigError, EventKind, Instant, Reason, State, VhostConfig};
use carp_sysctl::Sysctl;

use super::*;
use crate::{Snippet, CARPREQ_LEN};
use carp_ifnet::driver::{Driver, LinkState, ParentInfo, TxError};
use carp_ifnet::lladdr::MacAddr;

#[derive(Debug, Default)]
struct Mock {
    sent: Vec<Vec<u8>>,
}

impl Driver for Mock {
    fn transmit(&mut self, frame: &[u8]) -> Result<(), TxError> {
        self.sent.push(frame.to_vec());
        Ok(())
    }
    fn join_multicast(&mut self, _: MacAddr) -> Result<(), TxError> {
        Ok(())
    }
    fn leave_multicast(&mut self, _: MacAddr) -> Result<(), TxError> {
        Ok(())
    }
}

struct Rig {
    reg: CarpInterfaces,
    cif: CarpIf,
    nic: Mock,
    s: Sysctl,
}

fn t(us: u64) -> Instant {
    Instant::from_micros(us)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn rig() -> Rig {
    Rig {
        reg: CarpInterfaces::new(IfName::new("em0").unwrap()),
        cif: CarpIf::new(
            ParentInfo::ethernet(MacAddr([0x02, 0, 0, 0, 0, 11]))
                .with_ipv4(Ipv4Addr::new(192, 0, 2, 11)),
            LinkState::Up,
        ),
        nic: Mock::default(),
        s: Sysctl::new(),
    }
}

impl Rig {
    fn ifconfig(&mut self, name: &str, words: &str) -> Result<(), CtlError> {
        let result = self.reg.ifconfig(name, words, &mut self.cif, t(0), &self.s);
        self.cif.poll(t(0), &mut self.nic, &self.s);
        result
    }
    fn ok(&mut self, name: &str, words: &str) {
        self.ifconfig(name, words)
            .unwrap_or_else(|e| panic!("{name} {words}: {e}"));
    }
    fn config(&self, vhid: u8) -> VhostConfig {
        self.cif.vhost(vhid).unwrap().config().clone()
    }
    fn state(&self, vhid: u8) -> State {
        self.cif.vhost(vhid).unwrap().state()
    }
    fn status(&self, name: &str) -> String {
        let mut out = String::new();
        self.reg.status(name, &self.cif, &mut out).unwrap();
        out
    }
    fn events(&mut self) -> Vec<(u8, EventKind)> {
        core::iter::from_fn(|| self.cif.poll_event())
            .map(|e| (e.vhid, e.kind))
            .collect()
    }
    /// Everything a refused request must leave alone.
    fn snapshot(&self) -> Snapshot {
        Snapshot {
            vhosts: self
                .cif
                .vhosts()
                .map(|h| (h.config().clone(), h.state(), h.is_admin_up()))
                .collect(),
            deadline: self.cif.poll_timeout(),
            names: self.reg.names().map(ToString::to_string).collect(),
            reqs: self
                .reg
                .names()
                .map(|n| self.reg.get(n, &self.cif).ok())
                .collect(),
            sent: self.nic.sent.len(),
        }
    }
}

#[derive(Debug, PartialEq)]
struct Snapshot {
    vhosts: Vec<(VhostConfig, State, bool)>,
    deadline: Option<Instant>,
    names: Vec<String>,
    reqs: Vec<Option<CarpReq>>,
    sent: usize,
}

fn state_change(from: State, to: State, reason: Reason) -> EventKind {
    EventKind::StateChange { from, to, reason }
}

// ===== create / destroy =====

#[test]
fn create_and_destroy_by_name_with_typed_errors() {
    let mut r = rig();
    r.reg.create("carp0").unwrap();
    r.reg.create("carp1").unwrap();
    let names: Vec<&str> = r.reg.names().collect();
    assert_eq!(names, ["carp0", "carp1"]);
    let carp0 = IfName::new("carp0").unwrap();
    assert_eq!(r.reg.create("carp0"), Err(CtlError::InterfaceExists(carp0)));
    assert_eq!(
        r.reg.create("em0"),
        Err(CtlError::InterfaceExists(IfName::new("em0").unwrap()))
    );
    assert_eq!(
        r.reg.create("carp0123456789ab"),
        Err(CtlError::bad_ifname(0, "carp0123456789ab")),
        "16 bytes do not fit IFNAMSIZ"
    );
    r.reg.create("carp0123456789a").unwrap();
    r.ok("carp0", "vhid 1 pass x 192.0.2.100");
    assert!(r.cif.vhost(1).is_some());
    r.reg.destroy("carp0", &mut r.cif, t(1), &r.s).unwrap();
    assert!(r.cif.vhost(1).is_none());
    assert_eq!(
        r.reg.destroy("carp0", &mut r.cif, t(1), &r.s),
        Err(CtlError::NoSuchInterface(carp0))
    );
    let names: Vec<&str> = r.reg.names().collect();
    assert_eq!(names, ["carp1", "carp0123456789a"]);
    assert_eq!(
        CtlError::NoSuchInterface(carp0).to_string(),
        "carp0: no such interface"
    );
}

#[test]
fn registry_capacity_is_a_typed_error() {
    let mut reg: CarpInterfaces<2> = CarpInterfaces::new(IfName::new("em0").unwrap());
    reg.create("carp0").unwrap();
    reg.create("carp1").unwrap();
    assert_eq!(
        reg.create("carp2"),
        Err(CtlError::TooManyInterfaces { max: 2 })
    );
}

#[test]
fn destroying_a_master_bows_out() {
    let mut r = rig();
    r.ok("carp0", "create vhid 1 pass x 192.0.2.100 state master");
    r.nic.sent.clear();
    r.ok("carp0", "destroy");
    let sent = &r.nic.sent;
    assert_eq!(sent.len(), 1, "one bow-out advert");
    // CARP header: advbase and advskew 255.
    assert_eq!(&sent[0][34 + 2..34 + 3], &[255]);
    assert_eq!(sent[0][34 + 5], 255);
    assert!(r.reg.names().next().is_none());
}

// ===== set / get =====

#[test]
fn set_then_get_round_trips_with_prefix_lengths() {
    let mut r = rig();
    r.reg.create("carp0").unwrap();
    let cfg = VhostConfig::new(Vhid::new(5).unwrap())
        .with_advskew(100)
        .unwrap()
        .with_passphrase(b"changeme")
        .unwrap()
        .with_address(ip("192.0.2.100"))
        .unwrap()
        .with_address(ip("2001:db8::100"))
        .unwrap();
    let mut req = CarpReq::from_config(&cfg, State::Backup, None);
    req.set_prefix_len(0, 24).unwrap();
    req.set_prefix_len(1, 64).unwrap();
    r.reg.set("carp0", &req, &mut r.cif, t(0), &r.s).unwrap();
    assert_eq!(r.config(5), cfg);
    assert_eq!(r.state(5), State::Backup);
    let got = r.reg.get("carp0", &r.cif).unwrap();
    let mut want = CarpReq::from_config(&cfg, State::Backup, Some(r.reg.parent()));
    want.set_prefix_len(0, 24).unwrap();
    want.set_prefix_len(1, 64).unwrap();
    assert_eq!(got, want);
    assert_eq!(got.carpdev().unwrap().as_deref(), Some("em0"));
    assert_eq!(r.reg.vhid("carp0"), Ok(Some(Vhid::new(5).unwrap())));
}

#[test]
fn get_without_vhid_is_no_vhid() {
    let mut r = rig();
    r.reg.create("carp0").unwrap();
    assert_eq!(
        r.reg.get("carp0", &r.cif),
        Err(CtlError::NoVhid(IfName::new("carp0").unwrap()))
    );
    assert_eq!(r.status("carp0"), "carp0: flags=1<UP> mtu 1500\n");
}

#[test]
fn change_of_skew_or_key_keeps_master_without_init() {
    let mut r = rig();
    r.ok(
        "carp0",
        "create vhid 1 advskew 100 pass old 192.0.2.100 state master",
    );
    r.events();
    let mut req = r.reg.get("carp0", &r.cif).unwrap();
    req.advskew = 50;
    req.key = *carp_core::Key::new(b"new").unwrap().padded();
    r.reg.set("carp0", &req, &mut r.cif, t(10), &r.s).unwrap();
    assert_eq!(r.state(1), State::Master);
    assert_eq!(r.config(1).advskew.get(), 50);
    assert_eq!(r.config(1).key, carp_core::Key::new(b"new").unwrap());
    // The new advskew is advertised at once (owed now), and the next
    // advert is one new interval (1 s + 50/256 s) away.
    assert_eq!(r.cif.poll_timeout(), Some(t(10)));
    let sent = r.nic.sent.len();
    r.cif.poll(t(10), &mut r.nic, &r.s);
    // An IPv4 CARP frame (protocol 112) with the new advskew at its CARP
    // header's byte 2 (Ethernet 14 + IPv4 20).
    assert!(r.nic.sent[sent..]
        .iter()
        .any(|f| f.get(23) == Some(&112) && f.get(36) == Some(&50)));
    assert_eq!(r.cif.poll_timeout(), Some(t(10 + 1_195_312)));
    r.ok("carp0", "advskew 20 pass newer");
    assert_eq!(r.state(1), State::Master);
    // A new advskew is advertised at once; the only events are the
    // announcement repeat that every advert counts towards (BSD
    // sc_delayed_arp): no state change, no INIT on the way.
    let events = r.events();
    assert!(
        events
            .iter()
            .all(|(_, e)| matches!(e, EventKind::Announce { repeat: true })),
        "{events:?}"
    );
}

#[test]
fn change_of_vhid_passes_through_init() {
    let mut r = rig();
    r.ok("carp0", "create vhid 1 pass x 192.0.2.100 state master");
    r.events();
    r.ok("carp0", "vhid 2");
    assert!(r.cif.vhost(1).is_none());
    assert_eq!(r.state(2), State::Backup);
    assert_eq!(r.config(2).key, carp_core::Key::new(b"x").unwrap());
    let events = r.events();
    assert_eq!(
        events,
        [
            (
                1,
                state_change(State::Master, State::Init, Reason::AdminDown)
            ),
            (2, state_change(State::Init, State::Backup, Reason::AdminUp)),
        ]
    );
}

#[test]
fn counter_seeds_are_splitmix_steps_over_the_callers_seed() {
    let mut r = rig();
    r.reg.set_counter_seed(0);
    r.ok("carp0", "create vhid 1 192.0.2.100");
    r.ok("carp1", "create vhid 2 192.0.2.101");
    // The first two outputs of splitmix64 seeded with 0.
    assert_eq!(r.cif.vhost(1).unwrap().counter(), 0xe220_a839_7b1d_cdaf);
    assert_eq!(r.cif.vhost(2).unwrap().counter(), 0x6e78_9e6a_a1b9_65f4);
}

// ===== every ifconfig word =====

#[test]
fn every_ifconfig_word_through_the_registry() {
    let mut r = rig();
    // create + OpenBSD words with positional netmask.
    r.ok(
        "carp0",
        "create vhid 1 advbase 2 advskew 100 pass lanpasswd carpdev em0 172.16.0.100 255.255.255.0",
    );
    let c = r.config(1);
    assert_eq!((c.advbase, c.advskew.get()), (2, 100));
    assert_eq!(c.key, carp_core::Key::new(b"lanpasswd").unwrap());
    assert_eq!(c.addresses(), [ip("172.16.0.100")]);
    assert_eq!(r.reg.get("carp0", &r.cif).unwrap().addrs[0].prefix_len, 24);
    assert!(r
        .status("carp0")
        .contains("carp: BACKUP carpdev em0 vhid 1"));
    // inet + address/prefix + broadcast keyword, with alias: added.
    r.ok(
        "carp0",
        "inet alias 172.16.1.100/16 broadcast 172.16.255.255",
    );
    // netmask keyword (hex), prefixlen keyword for inet6; NONE has no
    // place in ifconfig words (only hostname.if gives it one).
    r.ok("carp0", "alias 172.16.2.100 netmask 0xffffff00");
    r.ok("carp0", "inet6 alias 2001:db8::100 prefixlen 48");
    r.ok("carp0", "alias 10.1.0.1");
    let c = r.config(1);
    assert_eq!(
        c.addresses(),
        [
            ip("172.16.0.100"),
            ip("172.16.1.100"),
            ip("172.16.2.100"),
            ip("2001:db8::100"),
            ip("10.1.0.1"),
        ]
    );
    let lens: Vec<u8> = r.reg.get("carp0", &r.cif).unwrap().addrs[..5]
        .iter()
        .map(|a| a.prefix_len)
        .collect();
    assert_eq!(lens, [24, 16, 24, 48, 8], "10/8 classful default");
    // -alias and delete remove.
    r.ok("carp0", "-alias 172.16.1.100");
    r.ok("carp0", "inet6 2001:db8::100 delete");
    r.ok("carp0", "10.1.0.1 -alias");
    assert_eq!(
        r.config(1).addresses(),
        [ip("172.16.0.100"), ip("172.16.2.100")]
    );
    // A plain address replaces the first of its family and keeps the rest.
    r.ok("carp0", "172.16.0.101/25");
    assert_eq!(
        r.config(1).addresses(),
        [ip("172.16.2.100"), ip("172.16.0.101")]
    );
    let lens: Vec<u8> = r.reg.get("carp0", &r.cif).unwrap().addrs[..2]
        .iter()
        .map(|a| a.prefix_len)
        .collect();
    assert_eq!(lens, [24, 25], "kept, then given");
    // state master / state backup (any case).
    r.ok("carp0", "state MASTER");
    assert_eq!(r.state(1), State::Master);
    r.ok("carp0", "state backup");
    assert_eq!(r.state(1), State::Backup);
    // state init is ignored, as OpenBSD's SIOCSVH does.
    r.ok("carp0", "state init");
    assert_eq!(r.state(1), State::Backup);
    // down / up.
    r.ok("carp0", "down");
    assert_eq!(r.state(1), State::Init);
    assert!(!r.cif.vhost(1).unwrap().is_admin_up());
    assert!(r.status("carp0").starts_with("carp0: flags=0<> mtu 1500\n"));
    r.ok("carp0", "up");
    assert_eq!(r.state(1), State::Backup);
    // -carpdev detaches (config kept, INIT), carpdev em0 attaches again.
    r.ok("carp0", "-carpdev");
    assert!(r.cif.vhost(1).is_none());
    let req = r.reg.get("carp0", &r.cif).unwrap();
    assert_eq!(req.state().unwrap(), State::Init);
    assert_eq!(req.carpdev().unwrap(), None);
    assert_eq!(req.advskew, 100);
    assert_eq!(
        r.status("carp0"),
        "carp0: flags=1<UP> mtu 1500\n\tcarp: INIT vhid 1 advbase 2 advskew 100\n\
         \tinet 172.16.2.100 netmask 0xffffff00\n\tinet 172.16.0.101 netmask 0xffffff80\n"
    );
    r.ok("carp0", "carpdev em0");
    assert_eq!(r.state(1), State::Backup);
    assert_eq!(r.config(1).advbase, 2);
    // FreeBSD spelling on a fresh name.
    r.ok("carp1", "create");
    r.ok("carp1", "vhid 2 advskew 100 pass x 192.0.2.100/24");
    assert_eq!(r.config(2).addresses(), [ip("192.0.2.100")]);
    assert!(r
        .status("carp1")
        .contains("\tcarp: BACKUP vhid 2 advbase 1 advskew 100\n"));
    // destroy.
    r.ok("carp1", "destroy");
    assert!(r.cif.vhost(2).is_none());
    // up/down on a name without a vhid are remembered for when it gets one.
    r.ok("carp2", "create down");
    r.ok("carp2", "vhid 3 192.0.2.103");
    assert_eq!(r.state(3), State::Init);
    assert!(!r.cif.vhost(3).unwrap().is_admin_up());
}

#[test]
fn a_refused_create_line_creates_nothing() {
    let mut r = rig();
    assert_eq!(
        r.ifconfig("carp0", "create advskew 10"),
        Err(CtlError::MissingVhid)
    );
    assert!(r.reg.names().next().is_none());
}

// ===== status =====

#[test]
fn status_is_bsd_shaped_for_master_and_backup() {
    let mut r = rig();
    r.ok(
        "carp0",
        "create vhid 1 advskew 100 advbase 1 pass changeme 192.168.0.100",
    );
    assert_eq!(
        r.status("carp0"),
        "carp0: flags=41<UP,RUNNING> mtu 1500\n\
         \tcarp: BACKUP vhid 1 advbase 1 advskew 100\n\
         \tinet 192.168.0.100 netmask 0xffffff00\n"
    );
    r.ok("carp0", "state master");
    assert_eq!(
        r.status("carp0"),
        "carp0: flags=41<UP,RUNNING> mtu 1500\n\
         \tcarp: MASTER vhid 1 advbase 1 advskew 100\n\
         \tinet 192.168.0.100 netmask 0xffffff00\n"
    );
}

// ===== bad inputs =====

#[test]
fn every_bad_input_is_typed_and_changes_nothing() {
    let em1 = IfName::new("em1").unwrap();
    let em0 = IfName::new("em0").unwrap();
    let cases: Vec<(&str, &str, CtlError)> = vec![
        (
            "carp0",
            "vhid 0",
            CtlError::ValueOutOfRange {
                word: "vhid",
                index: 1,
                min: 1,
                max: 255,
                got: 0,
            },
        ),
        (
            "carp0",
            "advskew 255",
            CtlError::ValueOutOfRange {
                word: "advskew",
                index: 1,
                min: 0,
                max: 254,
                got: 255,
            },
        ),
        (
            "carp0",
            "advskew 10 pass 01234567890123456789",
            CtlError::PassTooLong { len: 20 },
        ),
        (
            "carp0",
            "advskew 10 frobnicate",
            CtlError::UnknownWord {
                index: 2,
                word: Snippet::new("frobnicate"),
            },
        ),
        (
            "carp0",
            "advskew 10 carpdev em1",
            CtlError::WrongCarpdev {
                got: em1,
                parent: em0,
            },
        ),
        ("carp0", "vhid 2", CtlError::VhidInUse(2)),
        (
            "carp9",
            "advskew 10",
            CtlError::NoSuchInterface(IfName::new("carp9").unwrap()),
        ),
        (
            "carp1",
            "create vhid 3",
            CtlError::InterfaceExists(IfName::new("carp1").unwrap()),
        ),
        (
            "carp0",
            "advskew 10 -alias 192.0.2.200",
            CtlError::AddressNotFound(ip("192.0.2.200")),
        ),
        (
            "carp0",
            "advskew 10 224.0.0.1",
            CtlError::Config(ConfigError::BadAddress(ip("224.0.0.1"))),
        ),
        (
            "carp0",
            "down state master",
            CtlError::Config(ConfigError::NotRunning),
        ),
    ];
    for (name, words, want) in cases {
        let mut r = rig();
        r.ok(
            "carp0",
            "create vhid 1 advskew 100 pass x 192.0.2.100/24 state master",
        );
        r.ok("carp1", "create vhid 2 advskew 100 pass y 192.0.2.101/24");
        let before = r.snapshot();
        assert_eq!(r.ifconfig(name, words), Err(want), "{name} {words}");
        assert_eq!(r.snapshot(), before, "{name} {words}");
        assert_eq!(r.state(1), State::Master, "{name} {words}");
        assert!(!want.to_string().is_empty());
    }
}

#[test]
fn every_bad_carpreq_is_typed_and_changes_nothing() {
    let mut r = rig();
    r.ok(
        "carp0",
        "create vhid 1 advskew 100 pass x 192.0.2.100/24 state master",
    );
    r.ok("carp1", "create vhid 2 pass y 192.0.2.101/24");
    let good = r.reg.get("carp0", &r.cif).unwrap();
    let bytes = zerocopy::IntoBytes::as_bytes(&good).to_vec();
    assert_eq!(
        CarpReq::from_bytes(&bytes[..100]),
        Err(CtlError::BadLength {
            want: CARPREQ_LEN,
            got: 100
        })
    );
    let edit = |f: &dyn Fn(&mut CarpReq)| {
        let mut req = good;
        f(&mut req);
        req
    };
    let mut em1 = [0u8; 16];
    em1[..3].copy_from_slice(b"em1");
    let cases = [
        (
            edit(&|q| q.vhid = 0),
            CtlError::OutOfRange {
                word: "vhid",
                min: 1,
                max: 255,
                got: 0,
            },
        ),
        (
            edit(&|q| q.advskew = 255),
            CtlError::OutOfRange {
                word: "advskew",
                min: 0,
                max: 254,
                got: 255,
            },
        ),
        (
            edit(&|q| q.key = [b'k'; 20]),
            CtlError::PassTooLong { len: 20 },
        ),
        (
            edit(&|q| q.state = 3),
            CtlError::OutOfRange {
                word: "state",
                min: 0,
                max: 2,
                got: 3,
            },
        ),
        (
            edit(&|q| q.carpdev = em1),
            CtlError::WrongCarpdev {
                got: IfName::new("em1").unwrap(),
                parent: IfName::new("em0").unwrap(),
            },
        ),
        (edit(&|q| q.vhid = 2), CtlError::VhidInUse(2)),
        (
            edit(&|q| q.flags = 0x80),
            CtlError::UnknownFlags { bits: 0x80 },
        ),
        (
            edit(&|q| q.addrs[0].family = 5),
            CtlError::BadFamily { slot: 0, got: 5 },
        ),
    ];
    for (req, want) in cases {
        let before = r.snapshot();
        assert_eq!(
            r.reg.set("carp0", &req, &mut r.cif, t(5), &r.s),
            Err(want),
            "{want}"
        );
        assert_eq!(r.snapshot(), before, "{want}");
    }
    // The good request is accepted and changes nothing visible.
    let before = r.snapshot();
    r.reg.set("carp0", &good, &mut r.cif, t(5), &r.s).unwrap();
    assert_eq!(r.snapshot(), before);
}

#[test]
fn vhid_taken_by_a_vhost_added_directly_is_in_use() {
    let mut r = rig();
    let cfg = VhostConfig::new(Vhid::new(9).unwrap())
        .with_address(ip("192.0.2.9"))
        .unwrap();
    r.cif.add_vhost(t(0), cfg, 0, &r.s).unwrap();
    assert_eq!(
        r.ifconfig("carp0", "create vhid 9 192.0.2.10"),
        Err(CtlError::VhidInUse(9))
    );
    assert!(r.reg.names().next().is_none());
}

#[test]
fn default_prefix_lengths_are_classful_and_64() {
    assert_eq!(default_prefix_len(ip("10.0.0.1")), 8);
    assert_eq!(default_prefix_len(ip("172.16.0.1")), 16);
    assert_eq!(default_prefix_len(ip("192.168.0.100")), 24);
    assert_eq!(default_prefix_len(ip("240.0.0.1")), 32);
    assert_eq!(default_prefix_len(ip("2001:db8::1")), 64);
}

#[test]
fn new_errors_name_what_was_wrong() {
    let em1 = IfName::new("em1").unwrap();
    let em0 = IfName::new("em0").unwrap();
    let carp0 = IfName::new("carp0").unwrap();
    let cases = [
        (CtlError::InterfaceExists(carp0), "carp0: interface exists"),
        (CtlError::VhidInUse(7), "vhid 7: in use on the parent"),
        (
            CtlError::WrongCarpdev {
                got: em1,
                parent: em0,
            },
            "carpdev em1: not the parent em0",
        ),
        (CtlError::NoVhid(carp0), "carp0: no vhid configured"),
        (
            CtlError::TooManyInterfaces { max: 16 },
            "too many carp interfaces (at most 16)",
        ),
        (
            CtlError::If(IfError::Full { capacity: 4 }),
            "interface full: at most 4 vhids",
        ),
    ];
    for (e, text) in cases {
        assert_eq!(e.to_string(), text);
    }
}
