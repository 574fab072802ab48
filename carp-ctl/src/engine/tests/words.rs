//! Every ifconfig word and `carpreq` field through the engine, BSD-shaped
//! status, and the bad-input tables with every byte of the engine intact
//! (what the one-parent registry's tests held, on the engine).

use core::net::{IpAddr, Ipv4Addr};
use std::string::{String, ToString};
use std::vec::Vec;

use carp_core::{ConfigError, EventKind, Instant, Reason, State, Vhid, VhostConfig};
use carp_ifnet::carpif::IfError;
use carp_ifnet::driver::{Driver, LinkState, ParentInfo, TxError};
use carp_ifnet::lladdr::MacAddr;

use crate::engine::{Engine, Parent, ParentId};
use crate::{default_prefix_len, CarpReq, CtlError, IfName, Snippet, CARPREQ_LEN};

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

type Host = Engine<heapless::Vec<Parent<16>, 1>, 16, 16>;

struct Rig {
    e: Host,
    em0: ParentId,
    nic: Mock,
}

fn t(us: u64) -> Instant {
    Instant::from_micros(us)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn rig() -> Rig {
    let mut e = Host::new(heapless::Vec::new());
    let em0 = e
        .add_parent(
            "em0",
            ParentInfo::ethernet(MacAddr([0x02, 0, 0, 0, 0, 11]))
                .with_ipv4(Ipv4Addr::new(192, 0, 2, 11)),
            LinkState::Up,
        )
        .unwrap();
    Rig {
        e,
        em0,
        nic: Mock::default(),
    }
}

impl Rig {
    fn ifconfig(&mut self, name: &str, words: &str) -> Result<(), CtlError> {
        let result = self.e.ifconfig(t(0), name, words);
        self.e.poll(t(0), self.em0, &mut self.nic);
        result
    }
    fn ok(&mut self, name: &str, words: &str) {
        self.ifconfig(name, words)
            .unwrap_or_else(|e| panic!("{name} {words}: {e}"));
    }
    fn vhost(&self, vhid: u8) -> Option<&carp_core::VirtualHost> {
        self.e.parent(self.em0).unwrap().carpif().vhost(vhid)
    }
    fn config(&self, vhid: u8) -> VhostConfig {
        self.vhost(vhid).unwrap().config().clone()
    }
    fn state(&self, vhid: u8) -> State {
        self.vhost(vhid).unwrap().state()
    }
    fn status(&self, name: &str) -> String {
        let mut out = String::new();
        self.e.status(name, &mut out).unwrap();
        out
    }
    fn names(&self) -> Vec<String> {
        self.e.names().map(ToString::to_string).collect()
    }
    fn events(&mut self) -> Vec<(u8, EventKind)> {
        core::iter::from_fn(|| self.e.poll_event())
            .map(|(_, e)| (e.vhid, e.kind))
            .collect()
    }
    /// Everything that is state, byte for byte.
    fn snapshot(&self) -> String {
        format!("{:?}", self.e)
    }
}

fn state_change(from: State, to: State, reason: Reason) -> EventKind {
    EventKind::StateChange { from, to, reason }
}

// ===== create / destroy =====

#[test]
fn create_and_destroy_by_name_with_typed_errors() {
    let mut r = rig();
    r.ok("carp0", "create");
    r.ok("carp1", "create");
    assert_eq!(r.names(), ["carp0", "carp1"]);
    let carp0 = IfName::new("carp0").unwrap();
    assert_eq!(
        r.ifconfig("carp0", "create"),
        Err(CtlError::InterfaceExists(carp0))
    );
    assert_eq!(
        r.ifconfig("em0", "create"),
        Err(CtlError::NotACarpInterface(IfName::new("em0").unwrap()))
    );
    assert_eq!(
        r.ifconfig("carp0123456789ab", "create"),
        Err(CtlError::bad_ifname(0, "carp0123456789ab")),
        "16 bytes do not fit IFNAMSIZ"
    );
    r.ok("carp0123456789a", "create");
    r.ok("carp0", "vhid 1 pass x 192.0.2.100");
    assert!(r.vhost(1).is_some());
    r.ok("carp0", "destroy");
    assert!(r.vhost(1).is_none());
    assert_eq!(
        r.ifconfig("carp0", "destroy"),
        Err(CtlError::NoSuchInterface(carp0))
    );
    assert_eq!(r.names(), ["carp1", "carp0123456789a"]);
    assert_eq!(
        CtlError::NoSuchInterface(carp0).to_string(),
        "carp0: no such interface"
    );
}

#[test]
fn the_engine_capacity_is_a_typed_error() {
    let mut e: Engine<heapless::Vec<Parent<4>, 1>, 4, 2> = Engine::new(heapless::Vec::new());
    e.ifconfig(t(0), "carp0", "create").unwrap();
    e.ifconfig(t(0), "carp1", "create").unwrap();
    assert_eq!(
        e.ifconfig(t(0), "carp2", "create"),
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
    assert_eq!(sent[0][34 + 2], 255);
    assert_eq!(sent[0][34 + 5], 255);
    assert!(r.names().is_empty());
}

// ===== set / get =====

#[test]
fn set_then_get_round_trips_with_prefix_lengths() {
    let mut r = rig();
    r.ok("carp0", "create");
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
    r.e.set_carpreq(t(0), "carp0", &req).unwrap();
    assert_eq!(r.config(5), cfg);
    assert_eq!(r.state(5), State::Backup);
    let got = r.e.get_carpreq("carp0", None).unwrap();
    let em0 = IfName::new("em0").unwrap();
    let mut want = CarpReq::from_config(&cfg, State::Backup, Some(&em0));
    want.set_prefix_len(0, 24).unwrap();
    want.set_prefix_len(1, 64).unwrap();
    assert_eq!(got, want);
    assert_eq!(got.carpdev().unwrap().as_deref(), Some("em0"));
}

#[test]
fn get_without_vhid_is_no_vhid() {
    let mut r = rig();
    r.ok("carp0", "create");
    assert_eq!(
        r.e.get_carpreq("carp0", None),
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
    let mut req = r.e.get_carpreq("carp0", None).unwrap();
    req.advskew = 50;
    req.key = *carp_core::Key::new(b"new").unwrap().padded();
    r.e.set_carpreq(t(10), "carp0", &req).unwrap();
    assert_eq!(r.state(1), State::Master);
    assert_eq!(r.config(1).advskew.get(), 50);
    assert_eq!(r.config(1).key, carp_core::Key::new(b"new").unwrap());
    // The new advskew is advertised at once (owed now), and the next
    // advert is one new interval (1 s + 50/256 s) away.
    assert_eq!(r.e.parent_poll_timeout(r.em0), Some(t(10)));
    let sent = r.nic.sent.len();
    r.e.poll(t(10), r.em0, &mut r.nic);
    // An IPv4 CARP frame (protocol 112) with the new advskew at its CARP
    // header's byte 2 (Ethernet 14 + IPv4 20).
    assert!(r.nic.sent[sent..]
        .iter()
        .any(|f| f.get(23) == Some(&112) && f.get(36) == Some(&50)));
    assert_eq!(r.e.parent_poll_timeout(r.em0), Some(t(10 + 1_195_312)));
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
    assert!(r.vhost(1).is_none());
    assert_eq!(r.state(2), State::Backup);
    assert_eq!(r.config(2).key, carp_core::Key::new(b"x").unwrap());
    assert_eq!(
        r.events(),
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
fn counter_seeds_keep_the_epoch_and_take_splitmix_steps_below_it() {
    let mut r = rig();
    r.e.set_counter_seed((7 << 32) | 0xdead_beef);
    r.ok("carp0", "create vhid 1 192.0.2.100");
    r.ok("carp1", "create vhid 2 192.0.2.101");
    // Epoch 7 in the top 32 bits, then the top 31 bits of the first two
    // splitmix64 outputs seeded with the whole seed (the reference
    // algorithm, written out here apart from the engine's).
    let splitmix = |mut x: u64, n: usize| {
        let mut z = 0;
        for _ in 0..n {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
        }
        z
    };
    let want = |n| (7u64 << 32) | (splitmix((7 << 32) | 0xdead_beef, n) >> 33);
    assert_eq!(r.vhost(1).unwrap().counter(), want(1));
    assert_eq!(r.vhost(2).unwrap().counter(), want(2));
    assert_eq!(r.vhost(1).unwrap().counter() >> 32, 7);
    // 2^31 adverts of headroom below the next second's range.
    assert!(r.vhost(1).unwrap().counter() & 0xffff_ffff < 1 << 31);
    assert!(r.vhost(2).unwrap().counter() & 0xffff_ffff < 1 << 31);
}

// ===== every ifconfig word =====

#[test]
fn every_ifconfig_word_through_the_engine() {
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
    let prefix = |r: &Rig, n: usize| -> Vec<u8> {
        r.e.get_carpreq("carp0", None).unwrap().addrs[..n]
            .iter()
            .map(|a| a.prefix_len)
            .collect()
    };
    assert_eq!(prefix(&r, 1), [24]);
    assert!(r
        .status("carp0")
        .contains("carp: BACKUP carpdev em0 vhid 1"));
    // inet + address/prefix + broadcast keyword, with alias: added.
    r.ok(
        "carp0",
        "inet alias 172.16.1.100/16 broadcast 172.16.255.255",
    );
    r.ok("carp0", "alias 172.16.2.100 netmask 0xffffff00");
    r.ok("carp0", "inet6 alias 2001:db8::100 prefixlen 48");
    r.ok("carp0", "alias 10.1.0.1");
    assert_eq!(
        r.config(1).addresses(),
        [
            ip("172.16.0.100"),
            ip("172.16.1.100"),
            ip("172.16.2.100"),
            ip("2001:db8::100"),
            ip("10.1.0.1"),
        ]
    );
    assert_eq!(prefix(&r, 5), [24, 16, 24, 48, 8], "10/8 classful default");
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
    assert_eq!(prefix(&r, 2), [24, 25], "kept, then given");
    // state master / state backup (any case).
    r.ok("carp0", "state MASTER");
    assert_eq!(r.state(1), State::Master);
    r.ok("carp0", "state backup");
    assert_eq!(r.state(1), State::Backup);
    // state init is ignored, as OpenBSD's and FreeBSD's SIOCSVH do.
    r.ok("carp0", "state init");
    assert_eq!(r.state(1), State::Backup);
    // down / up.
    r.ok("carp0", "down");
    assert_eq!(r.state(1), State::Init);
    assert!(!r.vhost(1).unwrap().is_admin_up());
    assert!(r.status("carp0").starts_with("carp0: flags=0<> mtu 1500\n"));
    r.ok("carp0", "up");
    assert_eq!(r.state(1), State::Backup);
    // -carpdev detaches (config kept, INIT), carpdev em0 attaches again.
    r.ok("carp0", "-carpdev");
    assert!(r.vhost(1).is_none());
    let req = r.e.get_carpreq("carp0", None).unwrap();
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
    r.ok("carp1", "destroy");
    assert!(r.vhost(2).is_none());
    // up/down on a name without a vhid are remembered for when it gets one.
    r.ok("carp2", "create down");
    r.ok("carp2", "vhid 3 192.0.2.103");
    assert_eq!(r.state(3), State::Init);
    assert!(!r.vhost(3).unwrap().is_admin_up());
}

#[test]
fn a_refused_create_line_creates_nothing() {
    let mut r = rig();
    assert_eq!(
        r.ifconfig("carp0", "create advskew 10"),
        Err(CtlError::MissingVhid)
    );
    assert!(r.names().is_empty());
}

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
            CtlError::NoSuchParent(em1),
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
        (
            "carp1",
            "192.0.2.100/24",
            CtlError::AddressInUse {
                addr: ip("192.0.2.100"),
                vhid: 1,
            },
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
    let good = r.e.get_carpreq("carp0", None).unwrap();
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
            CtlError::NoSuchParent(IfName::new("em1").unwrap()),
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
        assert_eq!(r.e.set_carpreq(t(5), "carp0", &req), Err(want), "{want}");
        assert_eq!(r.snapshot(), before, "{want}");
    }
    // The good request is accepted and changes nothing visible.
    let before = r.snapshot();
    r.e.set_carpreq(t(5), "carp0", &good).unwrap();
    assert_eq!(r.snapshot(), before);
    // A carpreq sent to the parent names its vhid, and no other parent.
    let mut on_parent = good;
    on_parent.carpdev = em1;
    let em0 = IfName::new("em0").unwrap();
    assert_eq!(
        r.e.set_carpreq(t(5), "em0", &on_parent),
        Err(CtlError::WrongCarpdev {
            got: IfName::new("em1").unwrap(),
            parent: em0
        })
    );
}

#[test]
fn vhid_taken_by_a_vhid_on_the_parent_is_in_use() {
    let mut r = rig();
    r.ok("em0", "vhid 9 alias 192.0.2.9/32");
    let before = r.snapshot();
    assert_eq!(
        r.ifconfig("carp0", "create vhid 9 192.0.2.10"),
        Err(CtlError::VhidInUse(9))
    );
    assert!(r.names().is_empty());
    assert_eq!(r.snapshot(), before);
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
fn engine_errors_name_what_was_wrong() {
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
            "too many carp interfaces and vhids (at most 16)",
        ),
        (
            CtlError::If(IfError::Full { capacity: 4 }),
            "interface full: at most 4 vhids",
        ),
        (CtlError::NoSuchParent(em1), "em1: no such parent interface"),
        (
            CtlError::AddressInUse {
                addr: ip("192.0.2.1"),
                vhid: 3,
            },
            "192.0.2.1: on vhid 3 of this parent already (only \
             net.inet.carp.arpbalance=1 allows that)",
        ),
        (
            CtlError::NotACarpInterface(em0),
            "em0: a parent interface, not a carp interface",
        ),
    ];
    for (e, text) in cases {
        assert_eq!(e.to_string(), text);
    }
}
