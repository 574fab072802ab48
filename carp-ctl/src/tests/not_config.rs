//! The words a vhid's configuration cannot hold: `to_config` refuses them
//! by name instead of dropping them, and OpenBSD's `lladdr`.

use super::*;

#[test]
fn to_config_refuses_each_word_it_cannot_express() {
    // The row: to_config() dropped state, up/down, create/destroy
    // silently. Each such word now makes it fail, naming the word.
    for (line, word) in [
        ("vhid 1 192.0.2.1 state master", "state"),
        ("vhid 1 192.0.2.1 state init", "state"),
        ("vhid 1 192.0.2.1 up", "up"),
        ("vhid 1 192.0.2.1 down", "down"),
        ("vhid 1 192.0.2.1 create", "create"),
        ("vhid 1 destroy", "destroy"),
        ("vhid 1 carpdev em0 192.0.2.1", "carpdev"),
        ("vhid 1 -carpdev", "-carpdev"),
        ("vhid 1 lladdr 02:00:00:00:00:01", "lladdr"),
        ("vhid 1 lladdr random", "lladdr"),
        ("vhid 1 down state backup", "state"),
    ] {
        let req = words(line);
        assert_eq!(req.unexpressed(), Some(word), "{line}");
        let err = req.to_config().unwrap_err();
        assert_eq!(err, CtlError::NotAConfig { word }, "{line}");
        assert!(err.to_string().starts_with(&format!("{word}: ")), "{err}");
        // apply() is the explicit configuration-only path, and says so.
        let fresh = VhostConfig::new(Vhid::new(1).unwrap());
        assert!(req.apply(&fresh).is_ok(), "{line}");
    }
    // Configuration only: accepted, and every word is in the result.
    let req = words("vhid 3 advbase 2 advskew 7 pass pw inet alias 192.0.2.1/24");
    assert_eq!(req.unexpressed(), None);
    let config = req.to_config().unwrap();
    assert_eq!(
        (config.vhid.get(), config.advbase, config.advskew.get()),
        (3, 2, 7)
    );
    assert_eq!(config.key.passphrase(), b"pw");
    assert_eq!(config.addresses(), &[ip("192.0.2.1")]);
    assert_eq!(words("advskew 3").to_config(), Err(CtlError::MissingVhid));
}

#[test]
fn lladdr_takes_a_unicast_mac_or_random() {
    use carp_ifnet::lladdr::MacAddr;
    let r = words("vhid 1 lladdr 02:00:5e:aa:bb:0c 192.0.2.1");
    assert_eq!(
        r.lladdr,
        Some(Lladdr::Mac(MacAddr([0x02, 0, 0x5e, 0xaa, 0xbb, 0x0c])))
    );
    assert_eq!(r.addresses.len(), 1);
    assert_eq!(words("lladdr random").lladdr, Some(Lladdr::Random));
    assert_eq!(
        words("lladdr 0:0:5e:0:1:7").lladdr,
        Some(Lladdr::Mac(MacAddr([0, 0, 0x5e, 0, 1, 7])))
    );
    let bad = |index, got| CtlError::BadLladdr {
        index,
        got: Snippet::new(got),
    };
    for (line, err) in [
        // OpenBSD SIOCSIFLLADDR: EINVAL for a group address.
        ("lladdr 01:00:5e:00:00:12", bad(1, "01:00:5e:00:00:12")),
        ("lladdr ff:ff:ff:ff:ff:ff", bad(1, "ff:ff:ff:ff:ff:ff")),
        ("vhid 1 lladdr 00:00:5e:00:01", bad(3, "00:00:5e:00:01")),
        ("lladdr RANDOM", bad(1, "RANDOM")),
        ("lladdr 10.0.0.1", bad(1, "10.0.0.1")),
        (
            "lladdr",
            CtlError::MissingValue {
                word: "lladdr",
                index: 0,
            },
        ),
        (
            "lladdr random lladdr 02:00:00:00:00:01",
            CtlError::Repeated {
                word: "lladdr",
                index: 2,
            },
        ),
    ] {
        assert_eq!(parse_words(line), Err(err), "{line}");
    }
    // hostname.if takes it too (OpenBSD writes `lladdr` lines there).
    let r = parse_hostname_if("inet 10.0.0.1 255.255.255.0 NONE vhid 1 lladdr 02:00:00:00:00:09")
        .unwrap();
    assert_eq!(r.lladdr, Some(Lladdr::Mac(MacAddr([2, 0, 0, 0, 0, 9]))));
}
