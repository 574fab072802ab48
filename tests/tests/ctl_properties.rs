//! The control engine, property-tested: the same random request sequence
//! given as ifconfig words, as `carpreq` sets and as a configuration file
//! (the whole history, applied declaratively after every step) leaves the
//! three engines in the same state; a refused request leaves every byte of
//! the engine as it was; reapplying the same file changes nothing.

use std::net::Ipv4Addr;

use carp_core::{Instant, State, Vhid, VhostConfig};
use carp_ctl::{CarpReq, Engine, Parent};
use carp_ifnet::carpif::MAX_VHIDS;
use carp_ifnet::driver::{LinkState, ParentInfo};
use carp_ifnet::lladdr::MacAddr;
use proptest::prelude::*;

type Host = Engine<Vec<Box<Parent<MAX_VHIDS>>>, MAX_VHIDS, 64>;

const NAMES: [&str; 3] = ["carp0", "carp1", "carp2"];

/// One request, in the abstract.
#[derive(Debug, Clone)]
enum Op {
    Create(usize),
    Destroy(usize),
    /// vhid, advbase, advskew, pass, last byte and prefix length of the
    /// one IPv4 address (in 192.0.2.0/24).
    Set(usize, u8, u8, u8, u8, u8, u8),
    Admin(usize, bool),
}

fn op() -> impl Strategy<Value = Op> {
    let name = 0..NAMES.len();
    prop_oneof![
        name.clone().prop_map(Op::Create),
        name.clone().prop_map(Op::Destroy),
        (
            name.clone(),
            prop_oneof![1..=4u8, Just(0u8)],
            0..=3u8,
            prop_oneof![0..=254u8, Just(255u8)],
            0..=2u8,
            1..=4u8,
            prop_oneof![Just(24u8), Just(32u8), Just(33u8)],
        )
            .prop_map(|(n, v, b, k, p, a, l)| Op::Set(n, v, b, k, p, a, l)),
        (name, any::<bool>()).prop_map(|(n, up)| Op::Admin(n, up)),
    ]
}

fn host() -> Host {
    let mut e = Host::new(Vec::new());
    let em0 =
        ParentInfo::ethernet(MacAddr([2, 0, 0, 0, 0, 1])).with_ipv4(Ipv4Addr::new(192, 0, 2, 1));
    e.add_parent("em0", em0, LinkState::Up).unwrap();
    e.set_counter_seed(7 << 48);
    e
}

fn now() -> Instant {
    Instant::from_millis(1)
}

/// The words of an op (`None` for what words cannot say).
fn words(op: &Op) -> (usize, String) {
    match *op {
        Op::Create(n) => (n, "create".into()),
        Op::Destroy(n) => (n, "destroy".into()),
        Op::Set(n, vhid, advbase, advskew, pass, last, len) => (
            n,
            format!(
                "vhid {vhid} advbase {advbase} advskew {advskew} pass p{pass} 192.0.2.{last}/{len}"
            ),
        ),
        Op::Admin(n, up) => (n, if up { "up" } else { "down" }.into()),
    }
}

/// The op as a carpreq set where it is one (a whole configuration).
fn carpreq(op: &Op) -> Option<(usize, CarpReq)> {
    let Op::Set(n, vhid, advbase, advskew, pass, last, len) = *op else {
        return None;
    };
    let mut req = CarpReq::from_config(&VhostConfig::new(Vhid::new(1).unwrap()), State::Init, None);
    req.vhid = i32::from(vhid);
    req.advbase = i32::from(advbase);
    req.advskew = i32::from(advskew);
    let key = format!("p{pass}");
    req.key = [0; 20];
    req.key[..key.len()].copy_from_slice(key.as_bytes());
    req.naddrs = 1;
    req.addrs[0] = carp_ctl::CarpReqAddr::new(Ipv4Addr::new(192, 0, 2, last).into(), len);
    Some((n, req))
}

/// What the three engines must agree on: the status of everything and the
/// carpreq of every interface.
fn view(e: &Host) -> String {
    let mut out = String::new();
    e.status_all(&mut out);
    for name in e.names() {
        out.push_str(&format!(
            "{name}: {:?}\n",
            e.get_carpreq(name.as_str(), None)
        ));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(200),
        ..ProptestConfig::default()
    })]

    #[test]
    fn words_carpreq_and_files_agree_and_refusals_change_nothing(ops in proptest::collection::vec(op(), 1..24)) {
        let mut by_words = host();
        let mut by_req = host();
        let mut by_file = host();
        let mut history: Vec<String> = Vec::new();
        for op in &ops {
            let (n, w) = words(op);
            let name = NAMES[n];
            // Words.
            let before = format!("{by_words:?}");
            let r_words = by_words.ifconfig(now(), name, &w);
            if r_words.is_err() {
                prop_assert_eq!(format!("{by_words:?}"), before, "refused words changed something");
            }
            // carpreq where the op is one, words otherwise.
            let before = format!("{by_req:?}");
            let r_req = match carpreq(op) {
                Some((n, req)) => by_req.set_carpreq(now(), NAMES[n], &req),
                None => by_req.ifconfig(now(), name, &w),
            };
            if r_req.is_err() {
                prop_assert_eq!(format!("{by_req:?}"), before, "refused carpreq changed something");
            }
            prop_assert_eq!(r_words.is_ok(), r_req.is_ok(), "words {:?} carpreq {:?}", r_words, r_req);
            // The whole history of accepted requests as a file. (A file's
            // line creates the interface it names, as FreeBSD's rc.conf and
            // OpenBSD's hostname.if do, so a refused interactive request
            // may be a good line: only accepted ones are recorded.)
            if r_words.is_ok() {
                history.push(format!("ifconfig {name} {w}"));
                let file = history.join("\n");
                let r_file = by_file.apply_config(now(), &file, None);
                prop_assert!(r_file.is_ok(), "accepted words, refused file: {:?}", r_file);
                let once = format!("{by_file:?}");
                let again = by_file.apply_config(now(), &file, None);
                prop_assert!(again.is_ok());
                prop_assert_eq!(format!("{by_file:?}"), once, "reapplying the file changed something");
            }
            // A refused file changes nothing: the history with a bad line.
            let before = format!("{by_file:?}");
            let bad = format!("{}\nifconfig carp0 vhid 300", history.join("\n"));
            prop_assert!(by_file.apply_config(now(), &bad, None).is_err());
            prop_assert_eq!(format!("{by_file:?}"), before, "a refused file changed something");
            let v = view(&by_words);
            prop_assert_eq!(&v, &view(&by_req), "words and carpreq differ after {:?}", op);
            prop_assert_eq!(&v, &view(&by_file), "words and the file differ after {:?}", op);
        }
    }
}
