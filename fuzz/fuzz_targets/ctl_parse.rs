//! Any bytes through the control parsers: ifconfig words (one string, or
//! argv-style split at NUL), whole config lines (shell, hostname.if,
//! rc.conf) and the fixed-layout `CarpReq`.
//!
//! Input: `[mode, rest...]`. Never panics; an error leaves the base
//! configuration as it was; whatever becomes a configuration survives the
//! trip through `CarpReq` unchanged; every error prints.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use carp_core::{State, Vhid, VhostConfig};
use carp_ctl::IfconfigRequest;
use carp_ctl::{
    parse_line, parse_word_iter, parse_words, CarpReq, ConfigLine, CtlError, CARPREQ_LEN,
};
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

fuzz_target!(|data: &[u8]| {
    let [mode, rest @ ..] = data else {
        return;
    };
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
