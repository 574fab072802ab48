//! The election on the simulated LAN with exact timings: equal advskew
//! settles by address, a demoted master hands over at once, and a fixed
//! advert fate replays exactly.
//!
//! Every expected instant is computed here from the configuration and the
//! CARP formula (interval = advbase s + advskew/256 s, master-down =
//! 3 x advbase s + advskew/256 s, truncated to microseconds as the kernels
//! do), never read from the implementation.

use carp_core::{Instant, State};
use carp_sim::lan::RecordKind;
use carp_sim::scenario::Scenario;
use carp_sim::Lan;

const SEC: u64 = 1_000_000;

fn skew_us(advskew: u64) -> u64 {
    advskew * SEC / 256
}
fn master_down(advskew: u64) -> u64 {
    3 * SEC + skew_us(advskew)
}
fn interval(advskew: u64) -> u64 {
    SEC + skew_us(advskew)
}

/// `n` hosts 192.0.2.10 + i, all with `advskew`, booting at 0.
fn equal_hosts(n: usize, advskew: u64, delay_us: u64, extra: &str) -> Lan {
    let mut text = format!("duration = \"60s\"\nseed = 5\n[link]\ndelay = \"{delay_us}us\"\n");
    for i in 0..n {
        text.push_str(&format!(
            "[[host]]\nname = \"h{i}\"\nmac = \"02:00:00:00:00:{:02x}\"\nip = \"192.0.2.{}\"\n\
             [[host.vhost]]\nvhid = 1\npass = \"same\"\nadvskew = {advskew}\naddrs = [\"192.0.2.100\"]\n",
            10 + i,
            10 + i
        ));
    }
    text.push_str(extra);
    Scenario::from_toml(&text).unwrap().run(None).unwrap()
}

/// (instant, host, to-state, reason) of every transition.
fn transitions(lan: &Lan) -> Vec<(u64, usize, State, &'static str)> {
    lan.records()
        .iter()
        .filter_map(|r| match r.kind {
            RecordKind::Transition { to, reason, .. } => {
                Some((r.at.micros(), r.host.unwrap_or(usize::MAX), to, reason))
            }
            _ => None,
        })
        .collect()
}

fn masters_at(lan: &Lan, at: u64) -> Vec<usize> {
    let mut masters: Vec<usize> = Vec::new();
    for (t, host, to, _) in transitions(lan) {
        if t > at {
            break;
        }
        masters.retain(|h| *h != host);
        if to == State::Master {
            masters.push(host);
        }
    }
    masters.sort_unstable();
    masters
}

#[test]
fn equal_advskew_elects_the_lowest_address_within_master_down_plus_one_interval() {
    for (n, delay) in [(2, 100), (2, 3_000), (3, 100)] {
        let lan = equal_hosts(n, 100, delay, "");
        let md = master_down(100);
        // Everyone reaches master-down together and takes over ...
        let at_md: Vec<_> = transitions(&lan)
            .into_iter()
            .filter(|t| t.0 == md)
            .collect();
        assert_eq!(at_md.len(), n, "{at_md:?}");
        assert!(at_md
            .iter()
            .all(|t| t.2 == State::Master && t.3 == "master-down"));
        // ... the crossing adverts arrive one delay later and every host but
        // 192.0.2.10 yields to it, on the spot.
        let yields: Vec<_> = transitions(&lan)
            .into_iter()
            .filter(|t| t.2 == State::Backup && t.0 > 0)
            .collect();
        assert_eq!(yields.len(), n - 1, "{yields:?}");
        for y in &yields {
            assert_eq!((y.0, y.3), (md + delay, "tie-lost"));
            assert_ne!(y.1, 0);
        }
        // One master within master-down plus one advert interval, and for
        // the rest of the run.
        assert_eq!(masters_at(&lan, md + interval(100)), [0]);
        assert_eq!(lan.masters(1), [0]);
        assert_eq!(transitions(&lan).len(), 2 * n + (n - 1));
    }
}

#[test]
fn a_demoted_master_hands_over_within_a_tenth_of_a_second() {
    // OpenBSD regress sys/netinet/carp/carp_2.sh: advskew 0 and 100, the
    // master is demoted ("ifconfig -g ... carpdemote") and the backup must
    // be master 0.1 s later.
    let delay = 100;
    let text = format!(
        "duration = \"20s\"\n[link]\ndelay = \"{delay}us\"\n\
         [[host]]\nname = \"a\"\nmac = \"02:00:00:00:00:0a\"\nip = \"192.0.2.2\"\n\
         [[host.vhost]]\nvhid = 251\npass = \"p\"\nadvskew = 0\naddrs = [\"192.0.2.1\"]\n\
         [[host]]\nname = \"b\"\nmac = \"02:00:00:00:00:0b\"\nip = \"192.0.2.3\"\n\
         [[host.vhost]]\nvhid = 251\npass = \"p\"\nadvskew = 100\naddrs = [\"192.0.2.1\"]\n\
         [[event]]\nat = \"5s\"\naction = \"sysctl\"\nhost = \"a\"\n\
         name = \"net.inet.carp.demotion\"\nvalue = 1\n"
    );
    let lan = Scenario::from_toml(&text).unwrap().run(None).unwrap();
    let demoted = 5 * SEC;
    // a is master from its master-down (3 s) on.
    assert_eq!(
        transitions(&lan)[2],
        (master_down(0), 0, State::Master, "master-down")
    );
    // a advertises at once (advskew 240, demote 1); b, undemoted, takes over
    // from a more demoted master one delay later, regardless of preempt;
    // b's advert makes a yield one more delay later.
    let after: Vec<_> = transitions(&lan)
        .into_iter()
        .filter(|t| t.0 >= demoted)
        .collect();
    assert_eq!(
        after,
        [
            (demoted + delay, 1, State::Master, "peer-demoted"),
            (demoted + 2 * delay, 0, State::Backup, "better-master"),
        ]
    );
    assert!(2 * delay <= SEC / 10);
    assert_eq!(lan.masters(251), [1]);
    let advert = lan
        .captured()
        .iter()
        .find(|c| c.at == Instant::from_micros(demoted))
        .expect("an advert at the instant of the demotion");
    // CARP header after Ethernet (14) and IPv4 (20): advskew at +2,
    // demote at +4.
    assert_eq!((advert.frame[34 + 2], advert.frame[34 + 4]), (240, 1));
}

#[test]
fn a_fixed_fate_replays_one_lost_advert_exactly() {
    // a (advskew 0) would be master from 3 s; its first advert to b is
    // lost, so b (advskew 100) times out at its own master-down and takes
    // over, and yields to a's second advert one interval later.
    let text = "duration = \"10s\"\n[link]\ndelay = \"100us\"\n\
         [[host]]\nname = \"a\"\nmac = \"02:00:00:00:00:0a\"\nip = \"192.0.2.10\"\n\
         [[host.vhost]]\nvhid = 1\npass = \"p\"\nadvskew = 0\naddrs = [\"192.0.2.100\"]\n\
         [[host]]\nname = \"b\"\nmac = \"02:00:00:00:00:0b\"\nip = \"192.0.2.11\"\n\
         [[host.vhost]]\nvhid = 1\npass = \"p\"\nadvskew = 100\naddrs = [\"192.0.2.100\"]\n\
         [[fate]]\nfrom = \"a\"\nto = \"b\"\nadvert = 1\ndelays = []\n\
         [[fate]]\nfrom = \"a\"\nto = \"b\"\nadvert = 2\ndelays = [\"200us\", \"300us\"]\n";
    let lan = Scenario::from_toml(text).unwrap().run(None).unwrap();
    let t = transitions(&lan);
    assert_eq!(t[2], (master_down(0), 0, State::Master, "master-down"));
    assert_eq!(t[3], (master_down(100), 1, State::Master, "master-down"));
    // a's second advert (3 s + 1 s) arrives 200 us later, its duplicate at
    // 300 us finds b a backup already.
    assert_eq!(
        t[4],
        (
            master_down(0) + interval(0) + 200,
            1,
            State::Backup,
            "better-master"
        )
    );
    assert_eq!(t.len(), 5);
}

#[test]
fn three_equal_hosts_one_demoted_settle_on_one_master() {
    // The fuzzer's livelock (fuzz/README.md, event_sequence): three hosts
    // with equal advskew, the master (192.0.2.10, elected by address)
    // demoted. Its advert makes both healthy backups take over at the same
    // instant (a peer with a higher demote byte); their adverts cross. With
    // BSD's equal-masters-both-yield rule and no jitter that replayed for
    // ever with no master; with the tie broken by address (rule 1 of
    // docs/protocol-notes.md, ucarp's direction) the lower address,
    // 192.0.2.11, keeps it.
    let delay = 100;
    let lan = equal_hosts(
        3,
        100,
        delay,
        "[[event]]\nat = \"10s\"\naction = \"sysctl\"\nhost = \"h0\"\n\
         name = \"net.inet.carp.demotion\"\nvalue = 1\n",
    );
    let demoted = 10 * SEC;
    assert_eq!(masters_at(&lan, demoted - 1), [0]);
    let after: Vec<_> = transitions(&lan)
        .into_iter()
        .filter(|t| t.0 >= demoted)
        .collect();
    // h0's advert at 10 s reaches both one delay later: both take over;
    // their crossing adverts arrive one more delay later: h2 yields to the
    // lower address, h0 (demoted) hears a master and goes backup.
    assert_eq!(
        after.iter().filter(|t| t.0 == demoted + delay).count(),
        2,
        "{after:?}"
    );
    assert!(after
        .iter()
        .filter(|t| t.0 == demoted + delay)
        .all(|t| t.2 == State::Master && t.3 == "peer-demoted" && t.1 != 0));
    assert!(after.contains(&(demoted + 2 * delay, 2, State::Backup, "tie-lost")));
    // Exactly one master from then to the end of the 60 s run, and it is h1.
    assert_eq!(masters_at(&lan, demoted + 2 * delay), [1]);
    assert_eq!(lan.masters(1), [1]);
    assert!(
        after.iter().all(|t| t.0 <= demoted + 2 * delay),
        "no transition after the election: {after:?}"
    );
}

#[test]
fn setting_the_advskew_a_vhid_already_has_leaves_its_master_down_running() {
    // Found by random_lans_converge_to_one_master_by_the_rules: the engine
    // does not re-time a vhid a request leaves as it is, so the takeover
    // is master-down after becoming BACKUP, not after the request.
    let text = "duration = \"10s\"\nseed = 1\n\
        [[host]]\nname = \"a\"\nmac = \"02:00:00:00:00:0a\"\nip = \"192.0.2.10\"\n\
        [[host.vhost]]\nvhid = 1\npass = \"pw\"\nadvskew = 198\naddrs = [\"192.0.2.100\"]\n\
        [[event]]\nat = \"3001ms\"\nhost = \"a\"\naction = \"set-advskew\"\nadvskew = 198\n";
    let lan = Scenario::from_toml(text).unwrap().run(None).unwrap();
    let takeover = lan
        .records()
        .iter()
        .find_map(|r| match &r.kind {
            RecordKind::Transition {
                to: State::Master,
                takeover: Some(t),
                ..
            } => Some((r.at, *t)),
            _ => None,
        })
        .expect("a takeover");
    assert_eq!(takeover.0, Instant::from_micros(master_down(198)));
    assert_eq!(takeover.1.delay, takeover.1.expected);
    assert_eq!(takeover.1.reference, Instant::ZERO);
}
