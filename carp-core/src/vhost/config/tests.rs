//! What a configuration refuses, and the words it refuses it with.

use core::net::IpAddr;
use std::string::ToString;

use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn no_vhid_takes_unspecified_broadcast_multicast_or_loopback_addresses() {
    // Each is refused by name, with the address in the error, and leaves
    // the configuration as it was.
    let base = VhostConfig::new(Vhid::new(1).unwrap())
        .with_address(ip("192.0.2.100"))
        .unwrap();
    for (addr, what) in [
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("255.255.255.255", "broadcast"),
        ("224.0.0.18", "multicast"),
        ("239.255.255.250", "multicast"),
        ("ff02::12", "multicast"),
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
    ] {
        let mut config = base.clone();
        let err = config.add_address(ip(addr)).unwrap_err();
        assert_eq!(err, ConfigError::BadAddress(ip(addr)), "{addr}");
        assert_eq!(
            err.to_string(),
            format!("{addr} cannot be a virtual address: {what}")
        );
        assert_eq!(config, base, "{addr} changed the configuration");
        assert_eq!(unusable_address(ip(addr)), Some(what));
    }
    // The ends of the ranges are ordinary unicast addresses.
    for addr in [
        "192.0.2.255",
        "255.255.255.254",
        "223.255.255.255",
        "128.0.0.1",
        "2001:db8::1",
        "fe80::1",
        "::2",
    ] {
        assert_eq!(unusable_address(ip(addr)), None, "{addr}");
        let mut config = base.clone();
        config.add_address(ip(addr)).unwrap();
    }
}
