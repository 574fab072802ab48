//! The rows of issue 14's table, through the C ABI: each request as a C
//! caller makes it, and the value BSD (or the engine, where the issue
//! names it the reference) gives.
//!
//! Master-down with advbase 1 and advskew 0 is 3 s (BSD `carp_setrun`:
//! `3 * advbase + advskew / 256`), so a lone backup becomes MASTER at
//! 3 000 000 us.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::undocumented_unsafe_blocks
)]

mod common;

use carp_ffi::*;
use common::{changes, Host};

const MASTER_DOWN_US: u64 = 3_000_000;

/// A `carp_req` for vhid 1, advbase 1, one address with its prefix.
fn req(vhid: i32, addr: [u8; 4], prefix: u8, state: i32) -> carp_req {
    let mut r: carp_req = unsafe { core::mem::zeroed() };
    r.vhid = vhid;
    r.advbase = 1;
    r.dead_ratio = 3;
    r.state = state;
    r.naddrs = 1;
    r.addrs[0].family = 4;
    r.addrs[0].prefix_len = prefix;
    r.addrs[0].addr[..4].copy_from_slice(&addr);
    r
}

#[test]
fn row_state_init_as_words_is_accepted_and_ignored_the_vhid_runs() {
    // BSD SIOCSVH ignores carpr_state INIT; the words do the same.
    for (target, words) in [
        ("em0", "vhid 1 state init 192.0.2.100"),
        ("carp0", "create vhid 1 carpdev em0 state init 192.0.2.100"),
    ] {
        let host = Host::new();
        host.ifconfig(0, target, words);
        assert_eq!(host.state(host.em0(), 1), CARP_STATE_BACKUP, "{words}");
        assert_eq!(host.deadline(), Some(MASTER_DOWN_US));
        host.run_until(10_000_000);
        assert_eq!(host.state(host.em0(), 1), CARP_STATE_MASTER, "{words}");
        assert_eq!(
            changes(&host.events()),
            [
                (0, 1, "INIT", "BACKUP", "admin-up"),
                (MASTER_DOWN_US, 1, "BACKUP", "MASTER", "master-down"),
            ],
            "{words}"
        );
    }
}

#[test]
fn row_state_init_as_a_carp_req_is_ignored_the_same_way() {
    let words = Host::new();
    words.ifconfig(0, "em0", "vhid 1 state init 192.0.2.100/24");
    let carpreq = Host::new();
    let r = req(1, [192, 0, 2, 100], 24, CARP_STATE_INIT);
    assert_eq!(
        carpreq.set_carpreq(0, "em0", &r),
        CARP_OK,
        "{}",
        carpreq.last_error()
    );
    for host in [&words, &carpreq] {
        host.run_until(10_000_000);
    }
    let (w, c) = (changes(&words.events()), changes(&carpreq.events()));
    assert_eq!(w, c);
    assert_eq!(
        c.last(),
        Some(&(MASTER_DOWN_US, 1, "BACKUP", "MASTER", "master-down"))
    );
    assert_eq!(words.status("em0"), carpreq.status("em0"));
}

#[test]
fn row_a_prefix_length_is_read_back_as_given() {
    let host = Host::new();
    host.ifconfig(0, "carp0", "create vhid 1 carpdev em0 192.0.2.100/24");
    host.ifconfig(0, "em0", "vhid 2 192.0.2.101/25 2001:db8::1/64");
    let r = req(3, [192, 0, 2, 102], 26, CARP_STATE_INIT);
    assert_eq!(
        host.set_carpreq(0, "em0", &r),
        CARP_OK,
        "{}",
        host.last_error()
    );

    let one = host.carpreq("carp0", 0);
    assert_eq!((one.vhid, one.naddrs, one.addrs[0].prefix_len), (1, 1, 24));
    assert_eq!(&one.carpdev[..4], b"em0\0");
    let two = host.carpreq("em0", 2);
    assert_eq!((two.addrs[0].prefix_len, two.addrs[1].prefix_len), (25, 64));
    assert_eq!(two.addrs[1].family, 6);
    assert_eq!(host.carpreq("em0", 3).addrs[0].prefix_len, 26);
    // ifconfig shows the netmask of the prefix (BSD in_status).
    assert!(host
        .status("carp0")
        .contains("inet 192.0.2.100 netmask 0xffffff00\n"));
    let em0 = host.status("em0");
    assert!(
        em0.contains("inet 192.0.2.101 netmask 0xffffff80 vhid 2\n"),
        "{em0}"
    );
    assert!(
        em0.contains("inet6 2001:db8::1 prefixlen 64 vhid 2\n"),
        "{em0}"
    );
    assert!(
        em0.contains("inet 192.0.2.102 netmask 0xffffffc0 vhid 3\n"),
        "{em0}"
    );
}

#[test]
fn row_a_reloaded_file_with_state_master_forces_a_running_vhid() {
    let host = Host::new();
    let base = "ifconfig carp0 create vhid 1 carpdev em0 pass s3cret 192.0.2.100/24\n";
    assert_eq!(host.apply(0, base).0, CARP_OK, "{}", host.last_error());
    assert_eq!(host.state(host.em0(), 1), CARP_STATE_BACKUP);
    let forced = format!("{base}ifconfig carp0 state master\n");
    let (rc, line, _) = host.apply(500_000, &forced);
    assert_eq!((rc, line), (CARP_OK, -1), "{}", host.last_error());
    assert_eq!(host.state(host.em0(), 1), CARP_STATE_MASTER);
    host.run_until(1_500_000);
    assert_eq!(host.state(host.em0(), 1), CARP_STATE_MASTER);
    assert_eq!(
        changes(&host.events()),
        [
            (0, 1, "INIT", "BACKUP", "admin-up"),
            (500_000, 1, "BACKUP", "MASTER", "forced"),
        ]
    );
}

#[test]
fn row_reloading_a_file_counts_its_demotion_once_and_a_deleted_line_resets() {
    let host = Host::new();
    let file = "ifconfig carp0 create vhid 1 carpdev em0 192.0.2.100/24\n\
                net.inet.carp.demotion=10\n\
                net.inet.carp.preempt=1\n";
    for reload in 0..4 {
        let (rc, _, report) = host.apply(reload, file);
        assert_eq!(rc, CARP_OK, "{}", host.last_error());
        assert_eq!(host.sysctl("net.inet.carp.demotion"), 10, "reload {reload}");
        if reload > 0 {
            assert_eq!((report.added, report.changed, report.unchanged), (0, 0, 1));
        }
    }
    assert_eq!(host.carpreq("carp0", 0).demote, 10);
    assert_eq!(host.sysctl("preempt"), 1);
    // Lines deleted from the file: demotion and preempt back to where the
    // file found them.
    let rc = host
        .apply(
            5,
            "ifconfig carp0 create vhid 1 carpdev em0 192.0.2.100/24\n",
        )
        .0;
    assert_eq!(rc, CARP_OK);
    assert_eq!(host.sysctl("net.inet.carp.demotion"), 0);
    assert_eq!(host.sysctl("preempt"), 0);
    assert_eq!(host.carpreq("carp0", 0).demote, 0);
    // An interactive write keeps BSD's semantics: it adds.
    assert_eq!(host.sysctl_line(6, "net.inet.carp.demotion=10"), CARP_OK);
    assert_eq!(host.sysctl_line(6, "net.inet.carp.demotion=10"), CARP_OK);
    assert_eq!(host.sysctl("demotion"), 20);
}

#[test]
fn row_a_bare_address_after_an_address_is_refused_naming_line_and_word() {
    let host = Host::new();
    let before = host.status_all();
    let file = "net.inet.carp.preempt=1\nifconfig carp0 create vhid 1 carpdev em0 192.0.2.83/24 192.0.2.9\n";
    let (rc, line, _) = host.apply(0, file);
    assert_eq!((rc, line), (CARP_EINVAL, 2));
    let msg = host.last_error();
    assert!(msg.starts_with("line 2: word "), "{msg}");
    assert!(
        msg.contains("\"192.0.2.9\": a bare address right after an address"),
        "{msg}"
    );
    assert_eq!(host.status_all(), before);
    assert_eq!(host.sysctl("preempt"), 0, "the whole file was refused");

    let (rc, bad) = host.ifconfig_at(0, "em0", "vhid 1 192.0.2.83/24 192.0.2.9");
    assert_eq!((rc, bad), (CARP_EINVAL, 3));
    assert!(host
        .last_error()
        .starts_with("word 4 \"192.0.2.9\": a bare address"));
}

#[test]
fn row_the_broadcast_address_is_never_a_virtual_address() {
    let host = Host::new();
    let (rc, _) = host.ifconfig_at(0, "em0", "vhid 1 255.255.255.255");
    assert_eq!(rc, CARP_EINVAL);
    assert!(
        host.last_error()
            .starts_with("255.255.255.255 cannot be a virtual address"),
        "{}",
        host.last_error()
    );
    let r = req(1, [255, 255, 255, 255], 32, CARP_STATE_INIT);
    assert_eq!(host.set_carpreq(0, "em0", &r), CARP_EINVAL);
    assert_eq!(host.state(host.em0(), 1), CARP_ENOENT);
    assert!(host.nics[0].sent.is_empty(), "nothing signed or sent");
}

#[test]
fn row_forty_vhids_fit_on_one_parent_and_so_do_255() {
    let host = Host::new();
    for vhid in 1..=40u32 {
        let words = format!("vhid {vhid} 198.51.100.{vhid}");
        host.ifconfig(0, "em0", &words);
    }
    for vhid in 1..=40 {
        assert_eq!(
            host.state(host.em0(), vhid),
            CARP_STATE_BACKUP,
            "vhid {vhid}"
        );
    }
    for vhid in 41..=255u32 {
        let words = format!("vhid {vhid} 10.{}.{}.1", vhid / 256, vhid % 256);
        host.ifconfig(0, "em0", &words);
    }
    assert_eq!(host.state(host.em0(), 255), CARP_STATE_BACKUP);
    assert_eq!(CARP_MAX_VHIDS, 255);
    let (rc, bad) = host.ifconfig_at(0, "em0", "vhid 256 10.9.9.9");
    assert_eq!((rc, bad), (CARP_ERANGE, 1));
}

#[test]
fn row_create_down_up_state_and_destroy_are_honoured() {
    let host = Host::new();
    host.ifconfig(0, "carp0", "create");
    host.ifconfig(0, "carp0", "vhid 1 carpdev em0 pass s3cret 192.0.2.100/24");
    assert_eq!(host.state(host.em0(), 1), CARP_STATE_BACKUP);
    host.ifconfig(1, "carp0", "down");
    assert_eq!(host.state(host.em0(), 1), CARP_STATE_INIT);
    assert!(
        host.status("carp0")
            .starts_with("carp0: flags=0<> mtu 1500\n"),
        "{}",
        host.status("carp0")
    );
    host.ifconfig(2, "carp0", "up");
    assert_eq!(host.state(host.em0(), 1), CARP_STATE_BACKUP);
    host.ifconfig(3, "carp0", "state master");
    assert_eq!(host.state(host.em0(), 1), CARP_STATE_MASTER);
    let sent = host.nics[0].sent.len();
    host.ifconfig(4, "carp0", "destroy");
    assert_eq!(host.state(host.em0(), 1), CARP_ENOENT);
    assert!(
        host.nics[0].sent.len() > sent,
        "the master bowed out on destroy"
    );
    let mut req: carp_req = unsafe { core::mem::zeroed() };
    let rc = unsafe {
        carp_host_get_carpreq(
            host.ptr,
            common::c("carp0").as_ptr(),
            0,
            &mut req,
            CARP_CARPREQ_LEN,
        )
    };
    assert_eq!(rc, CARP_ENOENT);
    assert_eq!(host.last_error(), "carp0: no such interface");
}

#[test]
fn row_an_unknown_word_is_named_with_its_position() {
    let host = Host::new();
    let (rc, bad) = host.ifconfig_at(0, "em0", "vhid 1 advskew 10 pass x 192.0.2.9 bogus");
    assert_eq!((rc, bad), (CARP_EINVAL, 7));
    assert_eq!(
        host.last_error(),
        "word 8 \"bogus\": unknown (not a keyword, an address or a value)"
    );
    let (rc, bad) = host.ifconfig_at(0, "em0", "vhid 1 advskew 300");
    assert_eq!((rc, bad), (CARP_ERANGE, 3));
    assert_eq!(
        host.last_error(),
        "advskew (word 4) 300: out of range 0..254"
    );
    assert_eq!(host.state(host.em0(), 1), CARP_ENOENT);
}
