//! The control requests against a real engine with one parent and a
//! recording NIC: what an operator sees, and that a refusal changes
//! nothing.

use super::*;
use carp_ifnet::driver::{Driver, LinkState, ParentInfo, TxError};
use carp_ifnet::lladdr::MacAddr;
use std::net::Ipv4Addr;

#[derive(Default)]
struct Nic(Vec<Vec<u8>>);

impl Driver for Nic {
    fn transmit(&mut self, frame: &[u8]) -> Result<(), TxError> {
        self.0.push(frame.to_vec());
        Ok(())
    }
    fn join_multicast(&mut self, _: MacAddr) -> Result<(), TxError> {
        Ok(())
    }
    fn leave_multicast(&mut self, _: MacAddr) -> Result<(), TxError> {
        Ok(())
    }
}

struct Host {
    engine: Box<HostEngine>,
    nic: Nic,
    now: Instant,
    notes: Vec<Option<String>>,
    reload: Result<String, String>,
}

impl ControlHost for Host {
    fn engine(&self) -> &HostEngine {
        &self.engine
    }
    fn engine_mut(&mut self) -> &mut HostEngine {
        &mut self.engine
    }
    fn now(&self) -> Instant {
        self.now
    }
    fn after_write(&mut self, note: Option<&str>) {
        let ids: Vec<_> = self.engine.parents().map(|p| p.id()).collect();
        for id in ids {
            self.engine.poll(self.now, id, &mut self.nic);
        }
        self.notes.push(note.map(str::to_owned));
    }
    fn reload(&mut self) -> Result<String, String> {
        self.reload.clone()
    }
}

fn host() -> Host {
    let mut engine = Box::new(HostEngine::new(Vec::new()));
    engine
        .add_parent(
            "eth0",
            ParentInfo::ethernet(MacAddr([2, 0, 0, 0, 0, 1]))
                .with_ipv4(Ipv4Addr::new(192, 0, 2, 1)),
            LinkState::Up,
        )
        .unwrap();
    let now = Instant::from_micros(1_000_000);
    engine
        .ifconfig(
            now,
            "carp0",
            "create vhid 1 advskew 100 pass s3cret carpdev eth0 192.0.2.100/24",
        )
        .unwrap();
    let mut h = Host {
        engine,
        nic: Nic::default(),
        now,
        notes: Vec::new(),
        reload: Ok("reloaded".into()),
    };
    h.after_write(None);
    h.notes.clear();
    h
}

fn run(h: &mut Host, r: Request) -> Response {
    handle(h, &r)
}

fn ifconfig(target: &str, words: &str) -> Request {
    Request::Ifconfig {
        target: target.into(),
        words: words.into(),
    }
}

fn dump(h: &Host) -> String {
    format!("{:?}", h.engine)
}

#[test]
fn status_is_bsd_ifconfig_then_the_demote_count() {
    let mut h = host();
    let r = run(&mut h, Request::Status { target: None });
    assert!(r.ok);
    let text = r.text.unwrap();
    assert!(
        text.contains("\tcarp: BACKUP carpdev eth0 vhid 1 advbase 1 advskew 100\n"),
        "{text}"
    );
    assert!(
        text.contains("\tinet 192.0.2.100 netmask 0xffffff00\n"),
        "{text}"
    );
    assert!(text.ends_with("carp: carp demote count 0\n"), "{text}");
    let data = r.data.unwrap();
    assert_eq!(data["vhids"][0]["state"], "BACKUP");
    assert_eq!(data["vhids"][0]["carp"], "carp0");
    assert_eq!(data["vhids"][0]["addresses"][0], "192.0.2.100/24");
}

#[test]
fn advskew_change_is_applied_and_advertised_at_once_when_master() {
    let mut h = host();
    assert!(
        run(
            &mut h,
            Request::State {
                target: "carp0".into(),
                vhid: None,
                state: "master".into()
            }
        )
        .ok
    );
    h.nic.0.clear();
    let r = run(&mut h, ifconfig("carp0", "advskew 200"));
    assert!(r.ok, "{r:?}");
    let text = run(
        &mut h,
        Request::Status {
            target: Some("carp0".into()),
        },
    )
    .text
    .unwrap();
    assert!(
        text.contains("carp: MASTER carpdev eth0 vhid 1 advbase 1 advskew 200"),
        "{text}"
    );
    // The master's next advert carries the new skew now, not at the next
    // interval (carp-core: a change of advskew advertises at once).
    let advert = h
        .nic
        .0
        .iter()
        .find(|f| f.len() >= 14 + 20 + 36 && f[23] == 112);
    let advert = advert.expect("an advert went out after the change");
    // CARP header after Ethernet (14) and IPv4 (20): advskew is byte 2.
    assert_eq!(advert[14 + 20 + 2], 200);
}

#[test]
fn a_refused_write_changes_nothing_and_says_why() {
    let mut h = host();
    let before = dump(&h);
    for (request, why) in [
        (ifconfig("carp0", "advskew 255"), "advskew"),
        (ifconfig("carp9", "advskew 1"), "carp9"),
        (
            Request::State {
                target: "carp0".into(),
                vhid: None,
                state: "init".into(),
            },
            "backup or master",
        ),
        (
            Request::Demote {
                value: "-1".into(),
                reason: None,
            },
            "outside 0..255",
        ),
        (
            Request::Demote {
                value: "+256".into(),
                reason: None,
            },
            "from 0 to 255",
        ),
        (
            Request::Sysctl {
                line: Some("preempt=2".into()),
            },
            "preempt",
        ),
        (
            Request::Sysctl {
                line: Some("nosuch".into()),
            },
            "no such node",
        ),
    ] {
        let r = run(&mut h, request.clone());
        assert!(!r.ok, "{request:?} was accepted");
        let error = r.error.unwrap();
        assert!(error.contains(why), "{request:?}: {error}");
        assert_eq!(dump(&h), before, "{request:?} changed the engine");
    }
}

#[test]
fn demote_adds_subtracts_and_sets_the_administrators_count() {
    let mut h = host();
    let r = run(
        &mut h,
        Request::Demote {
            value: "+50".into(),
            reason: Some("patching".into()),
        },
    );
    assert!(r.ok, "{r:?}");
    assert_eq!(h.engine.sysctl().demotion().effective(), 50);
    assert_eq!(h.notes.last().unwrap().as_deref(), Some("patching"));
    assert!(
        run(
            &mut h,
            Request::Demote {
                value: "-20".into(),
                reason: None
            }
        )
        .ok
    );
    assert_eq!(h.engine.sysctl().demotion().get(DemoteReason::Global), 30);
    assert!(
        run(
            &mut h,
            Request::Demote {
                value: "0".into(),
                reason: None
            }
        )
        .ok
    );
    assert_eq!(h.engine.sysctl().demotion().effective(), 0);
    let status = run(&mut h, Request::Status { target: None }).text.unwrap();
    assert!(status.ends_with("carp: carp demote count 0\n"));
}

#[test]
fn sysctl_lists_reads_and_writes_knobs() {
    let mut h = host();
    let all = run(&mut h, Request::Sysctl { line: None }).text.unwrap();
    assert!(all.contains("net.inet.carp.preempt=0\n"), "{all}");
    assert!(all.contains("net.inet.carp.log=1\n"), "{all}");
    let r = run(
        &mut h,
        Request::Sysctl {
            line: Some("net.inet.carp.preempt=1".into()),
        },
    );
    assert_eq!(r.text.as_deref(), Some("net.inet.carp.preempt=1\n"));
    assert!(h.engine.sysctl().preempt());
    let r = run(
        &mut h,
        Request::Sysctl {
            line: Some("preempt".into()),
        },
    );
    assert_eq!(r.text.as_deref(), Some("net.inet.carp.preempt=1\n"));
}

#[test]
fn stats_count_every_transition_to_master() {
    let mut h = host();
    assert!(
        run(
            &mut h,
            Request::State {
                target: "carp0".into(),
                vhid: None,
                state: "MASTER".into()
            }
        )
        .ok
    );
    let r = run(&mut h, Request::Stats {});
    let text = r.text.unwrap();
    assert!(text.contains("\t1 transition to master\n"), "{text}");
    let data = r.data.unwrap();
    assert_eq!(data["counters"]["preempt"], 1);
    assert_eq!(data["vhids"][0]["state"], "MASTER");
}

#[test]
fn reload_reports_what_the_daemon_says() {
    let mut h = host();
    assert_eq!(
        run(&mut h, Request::Reload {}).text.as_deref(),
        Some("reloaded")
    );
    h.reload = Err("line 3: advskew (word 2) 300: out of range 0..254".into());
    let r = run(&mut h, Request::Reload {});
    assert!(!r.ok);
    assert!(r.error.unwrap().starts_with("line 3"));
}

#[test]
fn demote_values_follow_the_sign() {
    assert_eq!(parse_demote("+5", 10), Ok(15));
    assert_eq!(parse_demote("-5", 10), Ok(5));
    assert_eq!(parse_demote("5", 10), Ok(5));
    assert!(parse_demote("five", 0)
        .unwrap_err()
        .contains("number from 0 to 255"));
    assert!(parse_demote("-11", 10)
        .unwrap_err()
        .contains("-1 is outside"));
}
