//! Any bytes through the control parsers and the engine: ifconfig words
//! (one string, or argv-style split at NUL), whole config lines (shell,
//! hostname.if, rc.conf), the fixed-layout `CarpReq`, and the same bytes
//! as requests to a running `carp_ctl::Engine` (words to an interface, a
//! carpreq set, a whole configuration file, a sysctl line).
//!
//! Input: `[mode, target, rest...]`. Never panics; an error leaves the
//! base configuration as it was, and a refused engine request leaves the
//! whole engine as it was, byte for byte (its `Debug` dump); whatever
//! becomes a configuration survives the trip through `CarpReq` unchanged,
//! and every carp interface the engine holds reads back through `get` and
//! sets back to no change; a file applied twice changes nothing the
//! second time; every error prints.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use carp_core::{Instant, State, Vhid, VhostConfig};
use carp_ctl::{
    parse_line, parse_word_iter, parse_words, CarpReq, ConfigLine, CtlError, CARPREQ_LEN,
};
use carp_ctl::{Engine, IfconfigRequest, Parent};
use carp_ifnet::driver::{LinkState, ParentInfo};
use carp_ifnet::lladdr::MacAddr;
use libfuzzer_sys::fuzz_target;
use zerocopy::IntoBytes;

fn base() -> VhostConfig {
    VhostConfig::new(Vhid::new(1).expect("vhid"))
        .with_advskew(100)
        .expect("advskew")
        .with_passphrase(b"base")
        .expect("pass")
        .with_address(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 100)))
        .expect("v4")
        .with_address(IpAddr::V6(Ipv6Addr::new(
            0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x100,
        )))
        .expect("v6")
}

/// A configuration survives `CarpReq` both ways.
fn round_trip(config: &VhostConfig) {
    for state in [State::Init, State::Backup, State::Master] {
        let req = CarpReq::from_config(config, state, None);
        assert_eq!(req.to_config().as_ref(), Ok(config), "CarpReq round trip");
        assert_eq!(req.state(), Ok(state));
        let again = CarpReq::from_bytes(req.as_bytes()).expect("own bytes");
        assert_eq!(again, req);
    }
}

fn apply(request: &IfconfigRequest) {
    let base = base();
    let kept = base.clone();
    match request.apply(&base) {
        Ok(config) => round_trip(&config),
        Err(e) => {
            let _ = e.to_string();
        }
    }
    assert_eq!(base, kept, "apply changed its base");
    match request.to_config() {
        Ok(config) => {
            assert_eq!(Some(config.vhid), request.vhid);
            assert_eq!(request.unexpressed(), None, "to_config dropped a word");
            round_trip(&config);
        }
        Err(e) => {
            if let Some(word) = request.unexpressed() {
                assert_eq!(e, CtlError::NotAConfig { word });
            }
            let _ = e.to_string();
        }
    }
}

fn words(text: &str) {
    match parse_words(text) {
        Ok(request) => {
            // Parsing the words one by one says the same.
            let again = parse_word_iter(text.split_ascii_whitespace());
            assert_eq!(again.as_ref(), Ok(&request));
            apply(&request);
        }
        Err(e) => {
            let _ = e.to_string();
            let _ = e.index();
        }
    }
}

fn argv(text: &str) {
    match parse_word_iter(text.split('\0')) {
        Ok(request) => apply(&request),
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

fn line(text: &str) {
    match parse_line(text) {
        Ok(ConfigLine::Configure { request, .. }) => apply(&request),
        Ok(ConfigLine::NotMine { line }) => assert_eq!(line, text),
        Ok(other) => {
            let _ = format!("{other:?}");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

fn carpreq(bytes: &[u8]) {
    if bytes.len() != CARPREQ_LEN {
        assert_eq!(
            CarpReq::from_bytes(bytes),
            Err(CtlError::BadLength {
                want: CARPREQ_LEN,
                got: bytes.len()
            })
        );
    }
    // Any bytes of the right length are a request (zerocopy FromBytes).
    let mut exact = [0u8; CARPREQ_LEN];
    let n = bytes.len().min(CARPREQ_LEN);
    exact[..n].copy_from_slice(&bytes[..n]);
    let req = CarpReq::from_bytes(&exact).expect("exact length");
    assert_eq!(req.as_bytes(), &exact[..]);
    let _ = req.state();
    let _ = req.carpdev();
    let _ = req.addresses();
    match req.to_config() {
        Ok(config) => {
            assert_eq!(i32::from(config.vhid.get()), req.vhid);
            assert_eq!(i32::from(config.advskew.get()), req.advskew);
            round_trip(&config);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Two parents, a master on carp0 (em0), a vhid on em1, a VRRP vhid on
/// em1, a unicast vhid on em0, knobs set.
type Host = Engine<Vec<Box<Parent<8>>>, 8, 16>;

fn host() -> Host {
    let mut e = Host::new(Vec::new());
    let em0 =
        ParentInfo::ethernet(MacAddr([2, 0, 0, 0, 0, 1])).with_ipv4(Ipv4Addr::new(192, 0, 2, 1));
    let em1 =
        ParentInfo::ethernet(MacAddr([2, 0, 0, 0, 0, 2])).with_ipv4(Ipv4Addr::new(198, 51, 100, 1));
    e.add_parent("em0", em0, LinkState::Up).expect("em0");
    e.add_parent("em1", em1, LinkState::Up).expect("em1");
    let t = Instant::ZERO;
    e.ifconfig(
        t,
        "carp0",
        "create vhid 1 advskew 10 pass x 192.0.2.100/24 state master",
    )
    .expect("carp0");
    e.ifconfig(t, "em1", "vhid 9 pass y alias 198.51.100.9/32")
        .expect("em1 vhid 9");
    e.ifconfig(t, "carp1", "create").expect("carp1");
    e.ifconfig(
        t,
        "em1",
        "vhid 10 carpver 3 vrrpprio 200 add 198.51.100.10/32",
    )
    .expect("em1 VRRP vhid 10");
    e.ifconfig(
        t,
        "em0",
        "vhid 11 peer 192.0.2.77 peer6 2001:db8::77 add 192.0.2.111/32",
    )
    .expect("em0 unicast vhid 11");
    e.sysctl_line(t, "net.inet.carp.preempt=1")
        .expect("preempt");
    e
}

const TARGETS: [&str; 6] = ["carp0", "carp1", "carp2", "em0", "em1", "em9"];

/// What holds after any accepted request: each carp interface's `carpreq`
/// reads back and sets back to no change.
fn consistent(e: &mut Host) {
    let names: Vec<String> = e.names().map(|n| n.to_string()).collect();
    for name in names {
        if let Ok(req) = e.get_carpreq(&name, None) {
            let before = format!("{e:?}");
            e.set_carpreq(Instant::from_millis(1), &name, &req)
                .expect("a carpreq get sets back");
            assert_eq!(
                format!("{e:?}"),
                before,
                "{name}: get then set changed something"
            );
        }
    }
}

/// One request to the engine; a refused one must leave every byte.
fn engine(target: u8, mode: u8, text: &str, bytes: &[u8]) {
    let mut e = host();
    let target = TARGETS[usize::from(target) % TARGETS.len()];
    let now = Instant::from_millis(1);
    let before = format!("{e:?}");
    let refused = match mode % 4 {
        0 => e
            .ifconfig(now, target, text)
            .map(drop)
            .err()
            .map(|x| x.to_string()),
        1 => {
            let mut exact = [0u8; CARPREQ_LEN];
            let n = bytes.len().min(CARPREQ_LEN);
            exact[..n].copy_from_slice(&bytes[..n]);
            let req = CarpReq::from_bytes(&exact).expect("exact length");
            e.set_carpreq(now, target, &req)
                .err()
                .map(|x| x.to_string())
        }
        2 => match e.apply_config(now, text, Some(target)) {
            Ok(_) => {
                let once = format!("{e:?}");
                let again = e
                    .apply_config(now, text, Some(target))
                    .expect("the same file again");
                assert_eq!(again.added + again.changed + again.removed, 0, "{again:?}");
                assert_eq!(format!("{e:?}"), once, "a second apply changed something");
                None
            }
            Err(x) => Some(x.to_string()),
        },
        _ => e
            .sysctl_line(now, text)
            .map(drop)
            .err()
            .map(|x| x.to_string()),
    };
    match refused {
        Some(message) => {
            assert!(!message.is_empty());
            assert_eq!(format!("{e:?}"), before, "refused ({message}) yet changed");
        }
        None => consistent(&mut e),
    }
}

fuzz_target!(|data: &[u8]| {
    let [mode, target, rest @ ..] = data else {
        return;
    };
    engine(*target, *mode >> 2, &String::from_utf8_lossy(rest), rest);
    if mode % 4 == 3 {
        carpreq(rest);
        return;
    }
    let text = String::from_utf8_lossy(rest);
    match mode % 4 {
        0 => words(&text),
        1 => argv(&text),
        _ => {
            for l in text.lines() {
                line(l);
            }
        }
    }
});
