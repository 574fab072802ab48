use super::*;
use carp_ctl::ParentId;
use carp_ifnet::driver::{LinkState, ParentInfo};
use carp_ifnet::lladdr::MacAddr;
use clap::Parser;

use crate::engine::HostEngine;

fn cli(args: &[&str]) -> Cli {
    let mut argv = vec!["carpd"];
    argv.extend_from_slice(args);
    Cli::try_parse_from(argv).unwrap()
}

/// An engine with parents `eth0` (192.0.2.11) and `eth1`, link up.
fn host() -> (Box<HostEngine>, ParentId) {
    let mut e = Box::new(HostEngine::new(Vec::new()));
    let info =
        ParentInfo::ethernet(MacAddr([2, 0, 0, 0, 0, 1])).with_ipv4("192.0.2.11".parse().unwrap());
    let eth0 = e.add_parent("eth0", info, LinkState::Up).unwrap();
    let info1 = ParentInfo::ethernet(MacAddr([2, 0, 0, 0, 0, 2]));
    e.add_parent("eth1", info1, LinkState::Up).unwrap();
    (e, eth0)
}

fn t(s: u64) -> Instant {
    Instant::from_micros(s * 1_000_000)
}

#[test]
fn ucarp_flags_are_a_carpreq_for_a_vhid_on_the_first_parent() {
    let c = cli(&[
        "-i",
        "eth0",
        "-s",
        "192.0.2.11",
        "-v",
        "7",
        "-p",
        "secret42",
        "-a",
        "192.0.2.100",
        "-a",
        "2001:db8::7/96",
        "-b",
        "2",
        "-k",
        "10",
        "-P",
        "-r",
        "4",
    ]);
    let mut sources = Sources::from_cli(&c).unwrap();
    let (mut e, eth0) = host();
    sources.start(&mut e, t(0), None).unwrap();
    let p = e.parent(eth0).unwrap();
    let h = p.carpif().vhost(7).unwrap();
    let cfg = h.config();
    assert_eq!(
        (cfg.advbase, cfg.advskew.get(), cfg.dead_ratio.get()),
        (2, 10, 4)
    );
    let want = VhostConfig::new(cfg.vhid)
        .with_passphrase(b"secret42")
        .unwrap();
    assert_eq!(cfg.key, want.key);
    // Without /len, ifconfig's default: the classful /24 for 192.0.2.x.
    assert_eq!(p.prefix_lens(7), [24, 96]);
    assert!(e.sysctl().preempt());
}

#[test]
fn words_after_the_dashes_configure_the_first_parent_and_take_the_dead_ratio() {
    let c = cli(&[
        "-i",
        "eth0",
        "-r",
        "5",
        "--",
        "vhid",
        "1",
        "advskew",
        "100",
        "pass",
        "x",
        "192.0.2.100/25",
    ]);
    let mut sources = Sources::from_cli(&c).unwrap();
    let (mut e, eth0) = host();
    sources.start(&mut e, t(0), None).unwrap();
    let p = e.parent(eth0).unwrap();
    let cfg = p.carpif().vhost(1).unwrap().config();
    assert_eq!((cfg.advskew.get(), cfg.dead_ratio.get()), (100, 5));
    assert_eq!(p.prefix_lens(1), [25]);
}

#[test]
fn flags_without_a_vhid_or_a_parent_are_refused() {
    assert!(Sources::from_cli(&cli(&["-i", "eth0", "-a", "192.0.2.100"])).is_err());
    assert!(Sources::from_cli(&cli(&["-v", "1", "-a", "192.0.2.100"])).is_err());
    let twenty = cli(&["-i", "eth0", "-v", "1", "-p", "abcdefghijklmnopqrst"]);
    assert!(Sources::from_cli(&twenty).unwrap_err().0.contains("--pass"));
}

#[test]
fn nothing_configured_is_an_error() {
    let mut sources = Sources::from_cli(&cli(&["-i", "eth0"])).unwrap();
    let (mut e, _) = host();
    assert!(sources.start(&mut e, t(0), Some("# empty\n")).is_err());
}

#[test]
fn a_file_of_every_style_configures_both_parents() {
    let text = "\
# carpd.conf
net.inet.carp.preempt=1
vhid 1 advskew 100 pass x 192.0.2.100/24
ifconfig carp2 create vhid 2 carpdev eth1 pass y 2001:db8::100/64
ifconfig carp2 advskew 20
ifconfig_eth0_alias0=\"inet vhid 3 pass z alias 192.0.2.103/32\"
";
    let mut sources = Sources::from_cli(&cli(&["-i", "eth0"])).unwrap();
    let (mut e, eth0) = host();
    sources.start(&mut e, t(0), Some(text)).unwrap();
    let vhids: Vec<u8> = e
        .parent(eth0)
        .unwrap()
        .carpif()
        .vhosts()
        .map(|h| h.vhid().get())
        .collect();
    assert_eq!(vhids, [1, 3]);
    let eth1 = e.parent_id("eth1").unwrap();
    let two = e.parent(eth1).unwrap().carpif().vhost(2).unwrap();
    assert_eq!(two.config().advskew.get(), 20);
    assert_eq!(e.name_of(eth1, 2).map(|n| n.as_str()), Some("carp2"));
    assert!(e.sysctl().preempt());
    let parents = parents_named(text, |n| n.starts_with("eth"));
    assert_eq!(parents, ["eth1", "eth0"]);
}

#[test]
fn a_reload_of_the_same_file_changes_nothing_and_demotion_counts_once() {
    // Issue 14: three SIGHUPs of an unchanged file gave demotion 10, 20,
    // 30, 40.
    let text = "net.inet.carp.demotion=10\nvhid 1 pass x 192.0.2.100/24\n";
    let mut sources = Sources::from_cli(&cli(&["-i", "eth0"])).unwrap();
    let (mut e, _) = host();
    sources.start(&mut e, t(0), Some(text)).unwrap();
    let before = format!("{e:?}");
    for n in 1..=3 {
        let r = sources.reload(&mut e, t(n), text).unwrap();
        assert_eq!(
            (r.added, r.changed, r.removed, r.unchanged, r.knobs),
            (0, 0, 0, 1, 0)
        );
        assert_eq!(e.sysctl().demotion().effective(), 10);
    }
    assert_eq!(format!("{e:?}"), before, "byte for byte");
    // A dropped line returns its knob to the default.
    sources
        .reload(&mut e, t(4), "vhid 1 pass x 192.0.2.100/24\n")
        .unwrap();
    assert_eq!(e.sysctl().demotion().effective(), 0);
}

#[test]
fn a_reload_honours_state_master_and_refuses_an_ambiguous_address() {
    let mut sources = Sources::from_cli(&cli(&["-i", "eth0"])).unwrap();
    let (mut e, eth0) = host();
    sources
        .start(&mut e, t(0), Some("vhid 1 pass x 192.0.2.100/24\n"))
        .unwrap();
    let state = |e: &HostEngine| e.parent(eth0).unwrap().carpif().vhost(1).unwrap().state();
    assert_eq!(state(&e), State::Backup);
    sources
        .reload(&mut e, t(1), "vhid 1 pass x 192.0.2.100/24 state master\n")
        .unwrap();
    assert_eq!(state(&e), State::Master);
    let before = format!("{e:?}");
    let refused = sources
        .reload(&mut e, t(2), "vhid 1 pass x 192.0.2.83/24 192.0.2.9\n")
        .unwrap_err();
    assert!(
        refused.0.contains("line 1") && refused.0.contains("192.0.2.9"),
        "{refused}"
    );
    assert_eq!(format!("{e:?}"), before, "a refused file changes nothing");
}

#[test]
fn two_hundred_and_fifty_five_vhids_fit_one_parent() {
    // Issue 14: carpd took 32 (then exited 1); BSD allows 255.
    let text: String = (1..=255)
        .map(|v| format!("vhid {v} pass x 198.51.100.{v}/24\n"))
        .collect();
    let mut sources = Sources::from_cli(&cli(&["-i", "eth0"])).unwrap();
    let (mut e, eth0) = host();
    sources.start(&mut e, t(0), Some(&text)).unwrap();
    assert_eq!(e.parent(eth0).unwrap().carpif().len(), 255);
}

#[test]
fn a_returning_parent_gets_its_vhids_again() {
    let c = cli(&["-i", "eth0", "-v", "4", "-p", "x", "-a", "192.0.2.104/24"]);
    let mut sources = Sources::from_cli(&c).unwrap();
    let (mut e, eth0) = host();
    sources
        .start(
            &mut e,
            t(0),
            Some("ifconfig eth1 vhid 5 pass y 198.51.100.5/24\n"),
        )
        .unwrap();
    e.remove_parent(eth0).unwrap();
    let info = ParentInfo::ethernet(MacAddr([2, 0, 0, 0, 0, 9]));
    let back = e.add_parent("eth0", info, LinkState::Up).unwrap();
    assert!(e.parent(back).unwrap().carpif().is_empty());
    assert!(sources.reattach(&mut e, t(1), "eth0").is_empty());
    assert!(e.parent(back).unwrap().carpif().vhost(4).is_some());
    let eth1 = e.parent_id("eth1").unwrap();
    assert!(e.parent(eth1).unwrap().carpif().vhost(5).is_some());
}
