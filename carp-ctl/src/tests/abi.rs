//! The `CarpReq` ABI (layout, round trip, bad fields) and the status
//! output.

use super::*;
// ===== CarpReq =====

#[test]
fn carpreq_layout_has_documented_offsets_and_no_holes() {
    use core::mem::{offset_of, size_of};
    assert_eq!(size_of::<CarpReqAddr>(), 18);
    assert_eq!(size_of::<CarpReq>(), 240);
    assert_eq!(CARPREQ_LEN, 240);
    let offsets = [
        (offset_of!(CarpReq, state), 0),
        (offset_of!(CarpReq, vhid), 4),
        (offset_of!(CarpReq, advskew), 8),
        (offset_of!(CarpReq, advbase), 12),
        (offset_of!(CarpReq, key), 16),
        (offset_of!(CarpReq, carpdev), 36),
        (offset_of!(CarpReq, demote), 52),
        (offset_of!(CarpReq, flags), 56),
        (offset_of!(CarpReq, naddrs), 60),
        (offset_of!(CarpReq, lladdr), 64),
        (offset_of!(CarpReq, dead_ratio), 70),
        (offset_of!(CarpReq, reserved), 71),
        (offset_of!(CarpReq, addrs), 72),
        (offset_of!(CarpReq, version), 216),
        (offset_of!(CarpReq, vrrp_priority), 217),
        (offset_of!(CarpReq, vrrp_interval), 218),
        (offset_of!(CarpReq, peer), 220),
        (offset_of!(CarpReq, peer6), 224),
    ];
    for (got, want) in offsets {
        assert_eq!(got, want);
    }
}

fn rich_config() -> VhostConfig {
    let mut c = VhostConfig::new(Vhid::new(42).unwrap())
        .with_advbase(3)
        .with_advskew(100)
        .unwrap()
        .with_passphrase(b"BigPassword")
        .unwrap()
        .with_dead_ratio(5)
        .unwrap()
        .with_address(ip("192.0.2.100"))
        .unwrap()
        .with_address(ip("2001:db8::1"))
        .unwrap()
        .with_address(ip("10.0.0.1"))
        .unwrap();
    c.mac = Some([0x02, 0x00, 0x5e, 0x00, 0x01, 0x2a]);
    c.link_local = LinkLocalRule::Exclude;
    c
}

#[test]
fn carpreq_round_trips_config_through_bytes() {
    let config = rich_config();
    let mut req = CarpReq::from_config(&config, State::Master, Some(&name("em0")));
    req.set_prefix_len(0, 24).unwrap();
    req.set_prefix_len(1, 64).unwrap();
    let bytes = req.as_bytes();
    assert_eq!(bytes.len(), CARPREQ_LEN);
    assert_eq!(bytes[0..4], 2i32.to_ne_bytes(), "MASTER is BSD state 2");
    assert_eq!(bytes[4..8], 42i32.to_ne_bytes());
    assert_eq!(bytes[8..12], 100i32.to_ne_bytes());
    assert_eq!(bytes[12..16], 3i32.to_ne_bytes());
    assert_eq!(&bytes[16..36], b"BigPassword\0\0\0\0\0\0\0\0\0");
    assert_eq!(&bytes[36..52], b"em0\0\0\0\0\0\0\0\0\0\0\0\0\0");
    assert_eq!(bytes[56..60], 3u32.to_ne_bytes(), "both flags");
    assert_eq!(bytes[60..64], 3u32.to_ne_bytes(), "three addresses");
    assert_eq!(bytes[64..71], [0x02, 0x00, 0x5e, 0x00, 0x01, 0x2a, 5]);
    assert_eq!(bytes[72..78], [4, 24, 192, 0, 2, 100]);
    assert_eq!(bytes[90..94], [6, 64, 0x20, 0x01]);
    assert_eq!(bytes[108..114], [4, 32, 10, 0, 0, 1]);
    assert!(bytes[126..216].iter().all(|&b| b == 0), "unused slots zero");
    assert_eq!(bytes[216..220], [2, 100, 100, 0], "CARP, VRRP defaults");
    assert!(bytes[220..].iter().all(|&b| b == 0), "multicast");

    let back = CarpReq::from_bytes(bytes).unwrap();
    assert_eq!(back, req);
    assert_eq!(back.to_config(), Ok(config));
    assert_eq!(back.state(), Ok(State::Master));
    assert_eq!(back.carpdev(), Ok(Some(name("em0"))));
    let addrs = back.addresses().unwrap();
    assert_eq!(
        &addrs[..],
        &[
            (ip("192.0.2.100"), 24),
            (ip("2001:db8::1"), 64),
            (ip("10.0.0.1"), 32)
        ]
    );
}

#[test]
fn carpreq_state_numbers_are_bsds() {
    let c = base();
    for (state, n) in [(State::Init, 0), (State::Backup, 1), (State::Master, 2)] {
        let req = CarpReq::from_config(&c, state, None);
        assert_eq!(req.state, n);
        assert_eq!(req.state(), Ok(state));
        assert_eq!(state_number(state), n);
    }
    let req = CarpReq::from_config(&c, State::Init, None);
    assert_eq!(req.carpdev(), Ok(None));
    assert_eq!(req.to_config(), Ok(c));
}

#[test]
fn carpreq_with_a_bad_field_is_refused_naming_it() {
    let good = CarpReq::from_config(&rich_config(), State::Backup, Some(&name("em0")));
    let range = |word, min, max, got| CtlError::OutOfRange {
        word,
        min,
        max,
        got,
    };
    type Edit = fn(&mut CarpReq);
    let cases: &[(Edit, CtlError)] = &[
        (|r| r.vhid = 0, range("vhid", 1, 255, 0)),
        (|r| r.vhid = 256, range("vhid", 1, 255, 256)),
        (|r| r.advskew = 255, range("advskew", 0, 254, 255)),
        (|r| r.advbase = -1, range("advbase", 0, 255, -1)),
        (|r| r.key = [b'x'; 20], CtlError::PassTooLong { len: 20 }),
        (
            |r| r.key[15] = b'!',
            CtlError::NotZeroPadded { field: "key" },
        ),
        (|r| r.naddrs = 9, range("naddrs", 0, 8, 9)),
        (
            |r| r.addrs[1].family = 24,
            CtlError::BadFamily { slot: 1, got: 24 },
        ),
        (
            |r| r.addrs[0].prefix_len = 33,
            range("prefixlen", 0, 32, 33),
        ),
        (
            |r| r.addrs[1].prefix_len = 129,
            range("prefixlen", 0, 128, 129),
        ),
        (
            |r| r.addrs[2].addr[7] = 1,
            CtlError::NotZeroPadded { field: "addr" },
        ),
        (|r| r.flags |= 0x20, CtlError::UnknownFlags { bits: 0x20 }),
        (|r| r.version = 1, range("version", 2, 3, 1)),
        (
            |r| r.vrrp_interval = 4096,
            range("vrrp_interval", 1, 4095, 4096),
        ),
        (
            |r| r.flags |= CarpReq::FLAG_PEER,
            CtlError::MissingPeer { field: "peer" },
        ),
        (
            |r| r.peer6[15] = 1,
            CtlError::NotZeroPadded { field: "peer6" },
        ),
        (
            |r| {
                r.flags |= CarpReq::FLAG_PEER;
                r.peer = [224, 0, 0, 1];
            },
            CtlError::Config(ConfigError::BadPeer(ip("224.0.0.1"))),
        ),
        (
            |r| r.reserved = 1,
            CtlError::NotZeroPadded { field: "reserved" },
        ),
        (
            |r| r.dead_ratio = 0,
            CtlError::Config(ConfigError::OutOfRange {
                field: Field::DeadRatio,
                min: 1,
                max: 255,
                got: 0,
            }),
        ),
        (
            |r| r.addrs[2] = CarpReqAddr::new(ip("192.0.2.100"), 32),
            CtlError::Config(ConfigError::DuplicateAddress(ip("192.0.2.100"))),
        ),
        (
            |r| r.addrs[2] = CarpReqAddr::new(ip("ff02::1"), 128),
            CtlError::Config(ConfigError::BadAddress(ip("ff02::1"))),
        ),
    ];
    for (i, (edit, err)) in cases.iter().enumerate() {
        let mut req = good;
        edit(&mut req);
        assert_eq!(req.to_config(), Err(*err), "case {i}");
    }
    let mut req = good;
    req.state = 3;
    assert_eq!(req.state(), Err(range("state", 0, 2, 3)));
    req.carpdev = *b"em0\0x\0\0\0\0\0\0\0\0\0\0\0";
    assert_eq!(
        req.carpdev(),
        Err(CtlError::NotZeroPadded { field: "carpdev" })
    );
    req.carpdev = [b'e'; 16];
    assert_eq!(
        req.carpdev(),
        Err(CtlError::NotZeroPadded { field: "carpdev" })
    );
    req.carpdev = *b"em 0\0\0\0\0\0\0\0\0\0\0\0\0";
    assert_eq!(req.carpdev(), Err(CtlError::bad_ifname(0, "em 0")));
    assert_eq!(
        CarpReq::from_bytes(&[0; 215]),
        Err(CtlError::BadLength {
            want: 240,
            got: 215
        })
    );
    assert_eq!(req.set_prefix_len(3, 8), Err(range("slot", 0, 2, 3)));
    assert_eq!(
        req.set_prefix_len(0, 33),
        Err(range("prefixlen", 0, 32, 33))
    );
}

#[test]
fn a_zeroed_vrrp_tail_means_the_defaults_as_older_callers_meant() {
    let mut req = CarpReq::from_config(&base(), State::Init, None);
    req.version = 0;
    req.vrrp_priority = 0;
    req.vrrp_interval = 0;
    assert_eq!(req.to_config(), Ok(base()));
}

#[test]
fn carpreq_carries_the_vrrp_personality_and_the_peers() {
    let mut config = base()
        .with_version(carp_core::Version::Vrrp)
        .with_vrrp_priority(254)
        .unwrap()
        .with_vrrp_interval(4095)
        .unwrap()
        .with_peer(ip("198.51.100.224"))
        .unwrap()
        .with_peer(ip("2001:db8:2::2"))
        .unwrap();
    config.vrrp.accept = true;
    let req = CarpReq::from_config(&config, State::Backup, None);
    let bytes = req.as_bytes();
    assert_eq!(bytes[216..218], [3, 254], "VRRPv3, priority 254");
    assert_eq!(
        bytes[218..220],
        4095u16.to_ne_bytes(),
        "interval in host order"
    );
    assert_eq!(bytes[220..224], [198, 51, 100, 224]);
    assert_eq!(bytes[224..226], [0x20, 0x01]);
    let flags = CarpReq::FLAG_PEER | CarpReq::FLAG_PEER6 | CarpReq::FLAG_VRRP_ACCEPT;
    assert_eq!(req.flags & flags, flags);
    assert_eq!(CarpReq::from_bytes(bytes).unwrap().to_config(), Ok(config));
}

// ===== status =====

fn status_of(
    config: &VhostConfig,
    state: State,
    flags: IfFlags,
    prefix_lens: &[u8],
    carpdev: Option<&str>,
) -> String {
    let mut out = heapless::String::<512>::new();
    Status {
        ifname: "carp1",
        flags,
        mtu: 1500,
        state,
        config,
        prefix_lens,
        carpdev,
        groups: &[],
    }
    .write_to(&mut out)
    .unwrap();
    out.as_str().to_string()
}

#[test]
fn status_prints_in_bsd_shape_with_tabs() {
    let config = base();
    let status = Status {
        ifname: "carp0",
        flags: IfFlags::UP | IfFlags::RUNNING,
        mtu: 1500,
        state: State::Master,
        config: &config,
        prefix_lens: &[24],
        carpdev: None,
        groups: &[],
    };
    assert_eq!(
        status.to_string(),
        "carp0: flags=41<UP,RUNNING> mtu 1500\n\
         \tcarp: MASTER vhid 1 advbase 1 advskew 100\n\
         \tinet 192.168.0.100 netmask 0xffffff00\n"
    );
}

#[test]
fn status_prints_carpdev_inet6_and_every_flag() {
    let config = VhostConfig::new(Vhid::new(2).unwrap())
        .with_address(ip("10.0.0.1"))
        .unwrap()
        .with_address(ip("2001:db8::1"))
        .unwrap()
        .with_address(ip("fe80::1"))
        .unwrap()
        .with_address(ip("10.0.0.2"))
        .unwrap();
    assert_eq!(
        status_of(
            &config,
            State::Backup,
            IfFlags::all(),
            &[32, 64, 64],
            Some("em0")
        ),
        "carp1: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500\n\
         \tcarp: BACKUP carpdev em0 vhid 2 advbase 1 advskew 0\n\
         \tinet 10.0.0.1 netmask 0xffffffff\n\
         \tinet6 2001:db8::1 prefixlen 64\n\
         \tinet6 fe80::1%carp1 prefixlen 64\n\
         \tinet 10.0.0.2 netmask 0xffffffff\n"
    );
}

#[test]
fn status_of_a_down_vhid_without_addresses() {
    let config = VhostConfig::new(Vhid::new(9).unwrap()).with_advbase(0);
    assert_eq!(
        status_of(&config, State::Init, IfFlags::empty(), &[], None),
        "carp1: flags=0<> mtu 1500\n\tcarp: INIT vhid 9 advbase 0 advskew 0\n"
    );
    let c = base();
    assert_eq!(
        CarpLine {
            state: State::Backup,
            config: &c,
            carpdev: None
        }
        .to_string(),
        "carp: BACKUP vhid 1 advbase 1 advskew 100"
    );
    let zero = base();
    assert!(status_of(&zero, State::Master, IfFlags::UP, &[0], None).contains("netmask 0x00000000"));
}
