//! The C ABI called as C would: NULLs, lengths, codes, parents, the data
//! path, the sysctl tree, and refused requests changing nothing.
//!
//! Every `unsafe` block calls the ABI with pointers to live locals, or
//! with NULL and wrong lengths on purpose: that is what is tested.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::undocumented_unsafe_blocks
)]

mod common;

use core::ffi::{c_int, c_void};
use core::mem::offset_of;
use std::ptr::{null, null_mut};

use carp_ctl::CarpReq;
use carp_ffi::*;
use common::{adverts, c, changes, name, ops, Host, Nic};

#[test]
fn null_pointers_are_refused_with_efault() {
    assert_eq!(unsafe { carp_host_new(0, null_mut()) }, CARP_EFAULT);
    assert_eq!(unsafe { carp_host_poll(null(), 0) }, CARP_EFAULT);
    assert_eq!(
        unsafe { carp_host_input(null(), 0, 0, null(), 0, null_mut()) },
        CARP_EFAULT
    );
    let host = Host::new();
    let mut id = 0;
    let mut no_tx = ops();
    no_tx.transmit = None;
    let em1 = c("em1");
    assert_eq!(
        unsafe { carp_host_add_parent(host.ptr, em1.as_ptr(), &no_tx, null_mut(), &mut id) },
        CARP_EFAULT
    );
    assert_eq!(host.last_error(), "ops->transmit: NULL pointer");
    assert_eq!(
        unsafe { carp_host_add_parent(host.ptr, null(), &ops(), null_mut(), &mut id) },
        CARP_EFAULT
    );
    assert_eq!(
        unsafe { carp_host_add_parent(host.ptr, em1.as_ptr(), &ops(), null_mut(), null_mut()) },
        CARP_EFAULT
    );
    assert_eq!(
        unsafe { carp_host_input(host.ptr, 0, host.em0(), null(), 10, null_mut()) },
        CARP_EFAULT
    );
    let words = "vhid 1";
    assert_eq!(
        unsafe { carp_host_ifconfig(host.ptr, 0, null(), words.as_ptr().cast(), 6, null_mut()) },
        CARP_EFAULT
    );
    assert_eq!(
        unsafe { carp_host_stats(host.ptr, null_mut()) },
        CARP_EFAULT
    );
    assert_eq!(
        unsafe { carp_host_sysctl_get(host.ptr, null(), null_mut()) },
        CARP_EFAULT
    );
    unsafe { carp_host_free(null_mut()) };
}

#[test]
fn bad_link_type_is_einval_and_adds_no_parent() {
    unsafe extern "C" fn fddi_plus(_: *mut c_void) -> c_int {
        7
    }
    let host = Host::bare();
    let mut o = ops();
    o.link_type = Some(fddi_plus);
    let mut nic = Nic::new(1);
    let mut id = 99;
    let em0 = c("em0");
    let ctx = (&mut *nic as *mut Nic).cast();
    assert_eq!(
        unsafe { carp_host_add_parent(host.ptr, em0.as_ptr(), &o, ctx, &mut id) },
        CARP_EINVAL
    );
    assert_eq!(
        (id, host.last_error().as_str()),
        (99, "link_type: invalid value 7")
    );
    assert_eq!(
        unsafe { carp_host_parent_id(host.ptr, em0.as_ptr(), &mut id) },
        CARP_ENOENT
    );
}

#[test]
fn every_code_has_a_name() {
    for code in [
        CARP_OK,
        CARP_EPERM,
        CARP_ENOENT,
        CARP_EIO,
        CARP_EBUSY,
        CARP_EFAULT,
        CARP_EEXIST,
        CARP_EINVAL,
        CARP_ENOSPC,
        CARP_ERANGE,
        CARP_EBADMSG,
        CARP_EILSEQ,
        CARP_EMSGSIZE,
        CARP_ENETDOWN,
        CARP_ENOBUFS,
        CARP_EHOSTUNREACH,
        CARP_ENOTRECOVERABLE,
    ] {
        assert_ne!(name(carp_strerror(code)), "unknown error", "{code}");
    }
    assert_eq!(name(carp_strerror(-9999)), "unknown error");
}

#[test]
fn c_structs_have_the_documented_layout() {
    assert_eq!(size_of::<carp_req>(), size_of::<CarpReq>());
    assert_eq!(size_of::<carp_req>(), CARP_CARPREQ_LEN);
    assert_eq!(offset_of!(carp_req, key), offset_of!(CarpReq, key));
    assert_eq!(offset_of!(carp_req, carpdev), offset_of!(CarpReq, carpdev));
    assert_eq!(offset_of!(carp_req, demote), offset_of!(CarpReq, demote));
    assert_eq!(offset_of!(carp_req, lladdr), offset_of!(CarpReq, lladdr));
    assert_eq!(
        offset_of!(carp_req, dead_ratio),
        offset_of!(CarpReq, dead_ratio)
    );
    assert_eq!(offset_of!(carp_req, addrs), offset_of!(CarpReq, addrs));
    assert_eq!(offset_of!(carp_req, version), offset_of!(CarpReq, version));
    assert_eq!(offset_of!(carp_req, peer), offset_of!(CarpReq, peer));
    assert_eq!(offset_of!(carp_req, peer6), offset_of!(CarpReq, peer6));
    assert_eq!(size_of::<carp_stats>(), CARP_COUNTERS * 8);
    assert_eq!(CARP_COUNTERS, carp_core::Counter::COUNT);
    assert_eq!(size_of::<carp_parent_info>(), 56);
    assert_eq!(size_of::<carp_event>(), 64);
    assert_eq!(size_of::<carp_apply_report>(), 20);
}

#[test]
fn carpreq_set_then_get_round_trips_and_bad_ones_name_the_field() {
    let host = Host::new();
    host.ifconfig(0, "em0", "vhid 3 advskew 40 pass pw 192.0.2.50");
    let mut req = host.carpreq("em0", 3);
    assert_eq!(
        (req.vhid, req.advskew, req.naddrs, req.state),
        (3, 40, 1, CARP_STATE_BACKUP)
    );
    assert_eq!(&req.key[..3], b"pw\0");
    assert_eq!(&req.carpdev[..4], b"em0\0");
    req.advskew = 200;
    req.state = CARP_STATE_MASTER;
    assert_eq!(
        host.set_carpreq(1, "em0", &req),
        CARP_OK,
        "{}",
        host.last_error()
    );
    assert_eq!(host.state(host.em0(), 3), CARP_STATE_MASTER);
    assert!(
        !host.nics[0].sent.is_empty(),
        "the forced master advertised"
    );
    assert_eq!(
        unsafe { carp_host_set_carpreq(host.ptr, 1, c("em0").as_ptr(), &req, 36) },
        CARP_EMSGSIZE
    );
    req.advskew = 255;
    assert_eq!(host.set_carpreq(2, "em0", &req), CARP_ERANGE);
    assert_eq!(host.last_error(), "advskew 255: out of range 0..254");
    assert_eq!(host.carpreq("em0", 3).advskew, 200);
    let mut out: carp_req = unsafe { core::mem::zeroed() };
    assert_eq!(
        unsafe {
            carp_host_get_carpreq(host.ptr, c("em0").as_ptr(), 9, &mut out, CARP_CARPREQ_LEN)
        },
        CARP_ENOENT
    );
    assert_eq!(
        unsafe { carp_host_get_carpreq(host.ptr, c("em0").as_ptr(), 3, &mut out, 200) },
        CARP_EMSGSIZE
    );
    assert_eq!(host.state(host.em0(), 9), CARP_ENOENT);
}

#[test]
fn refused_requests_leave_the_host_as_it_was() {
    let host = Host::new();
    host.ifconfig(
        0,
        "carp0",
        "create vhid 1 carpdev em0 advskew 5 pass pw 192.0.2.100/24",
    );
    host.ifconfig(0, "em0", "vhid 2 192.0.2.101");
    let before = (host.status_all(), host.carpreq("carp0", 0).as_bytes_owned());
    let refused: [(&str, &str); 6] = [
        ("carp0", "advskew 10 bogus"),
        ("carp0", "vhid 2"),
        ("em0", "vhid 3 192.0.2.101"),
        ("carp1", "advskew 3"),
        ("carp0", "192.0.2.102 192.0.2.103"),
        ("em0", "vhid 2 state master down"),
    ];
    for (target, words) in refused {
        let (rc, _) = host.ifconfig_at(1, target, words);
        assert!(rc < 0, "{target} {words} accepted");
    }
    assert_eq!(host.sysctl_line(1, "net.inet.carp.dscp=64"), CARP_ERANGE);
    assert_eq!(host.sysctl_line(1, "net.inet.carp.stats=0"), CARP_EPERM);
    let file = "net.inet.carp.preempt=1\nifconfig carp0 advskew 1 bogus\n";
    assert_eq!(host.apply(1, file).1, 2);
    assert_eq!(host.sysctl("preempt"), 0);
    let after = (host.status_all(), host.carpreq("carp0", 0).as_bytes_owned());
    assert_eq!(before, after);
}

trait Bytes {
    fn as_bytes_owned(&self) -> Vec<u8>;
}

impl Bytes for carp_req {
    fn as_bytes_owned(&self) -> Vec<u8> {
        let p = (self as *const carp_req).cast::<u8>();
        unsafe { std::slice::from_raw_parts(p, size_of::<carp_req>()) }.to_vec()
    }
}

#[test]
fn events_name_their_parent_and_vhid_and_junk_frames_are_not_carp() {
    let mut host = Host::new();
    let em1 = host.add_parent("em1", Nic::new(2));
    host.ifconfig(5, "em1", "vhid 7 192.0.2.100");
    let ev = host.events();
    assert_eq!(ev.len(), 1);
    assert_eq!((ev[0].parent, ev[0].vhid, ev[0].at_us), (em1, 7, 5));
    assert_eq!(changes(&ev), [(5, 7, "INIT", "BACKUP", "admin-up")]);
    let mut buf = [0u8; 16];
    let n = unsafe { carp_host_parent_name(host.ptr, ev[0].parent, buf.as_mut_ptr().cast(), 16) };
    assert_eq!((n, &buf[..4]), (3, &b"em1\0"[..]));
    let n = unsafe { carp_host_carp_name(host.ptr, em1, 7, buf.as_mut_ptr().cast(), 16) };
    assert_eq!(
        n, CARP_ENOENT,
        "configured on the parent, no carp interface"
    );
    host.ifconfig(6, "carp3", "create vhid 8 carpdev em1 192.0.2.101");
    let n = unsafe { carp_host_carp_name(host.ptr, em1, 8, buf.as_mut_ptr().cast(), 16) };
    assert_eq!((n, &buf[..6]), (5, &b"carp3\0"[..]));

    assert_eq!(host.deadline(), Some(5 + 3_000_000));
    let junk = [0u8; 20];
    let mut counter = 0;
    let rc = unsafe { carp_host_input(host.ptr, 6, em1, junk.as_ptr(), junk.len(), &mut counter) };
    assert_eq!((rc, counter), (CARP_INPUT_NOT_CARP, -1));
    let rc = unsafe { carp_host_input(host.ptr, 6, 77, junk.as_ptr(), junk.len(), &mut counter) };
    assert_eq!(rc, CARP_ENOENT);
}

#[test]
fn an_advert_with_a_bad_checksum_is_rejected_and_named() {
    let a = Host::new();
    a.ifconfig(0, "em0", "vhid 1 pass pw 192.0.2.100 state master");
    let mut advert = adverts(&a.nics[0]).last().unwrap().to_vec();
    // Ethernet 14 + IPv4 20, then the CARP header: its checksum at 6..8.
    advert[14 + 20 + 6] ^= 0xff;
    let mut b = Host::bare();
    let em0 = b.add_parent("em0", Nic::new(2));
    b.ifconfig(0, "em0", "vhid 1 pass pw 192.0.2.100");
    let mut counter = 0;
    let rc = unsafe { carp_host_input(b.ptr, 1, em0, advert.as_ptr(), advert.len(), &mut counter) };
    assert_eq!(rc, CARP_EBADMSG);
    assert_eq!(name(carp_counter_name(counter)), "badsum");
    let mut stats = carp_stats::default();
    assert_eq!(unsafe { carp_host_stats(b.ptr, &mut stats) }, CARP_OK);
    assert_eq!(stats.badsum, 1);
    assert_eq!(
        unsafe { carp_host_parent_stats(b.ptr, em0, &mut stats) },
        CARP_OK
    );
    assert_eq!(stats.badsum, 1);
}

#[test]
fn sysctls_are_read_by_name_and_mib_and_written_through_the_engine() {
    let host = Host::new();
    assert_eq!(
        host.sysctl_line(0, "sysctl -w net.inet.carp.preempt=1"),
        CARP_OK
    );
    assert_eq!(host.sysctl("preempt"), 1);
    // CARPCTL_LOG is 3 (OpenBSD ip_carp.h); the short and full MIBs.
    let full = [4, 2, 112, 3];
    assert_eq!(
        unsafe { carp_host_sysctl_set_mib(host.ptr, 0, full.as_ptr(), 4, 2) },
        CARP_OK
    );
    let mut v = 0;
    assert_eq!(
        unsafe { carp_host_sysctl_get_mib(host.ptr, [3].as_ptr(), 1, &mut v) },
        CARP_OK
    );
    assert_eq!((v, host.sysctl("net.inet.carp.log")), (2, 2));
    assert_eq!(
        unsafe { carp_host_sysctl_set_mib(host.ptr, 0, [99].as_ptr(), 1, 0) },
        CARP_ENOENT
    );
    let nope = c("nope");
    assert_eq!(
        unsafe { carp_host_sysctl_get(host.ptr, nope.as_ptr(), &mut v) },
        CARP_ENOENT
    );
    let stats = c("stats");
    assert_eq!(
        unsafe { carp_host_sysctl_get(host.ptr, stats.as_ptr(), &mut v) },
        CARP_EINVAL
    );
    let bad = [0xffu8, 0xfe, 0];
    assert_eq!(
        unsafe { carp_host_sysctl_get(host.ptr, bad.as_ptr().cast(), &mut v) },
        CARP_EILSEQ
    );
    assert_eq!(
        host.sysctl_line(0, "net.inet.carp.preempt=yes"),
        CARP_EINVAL
    );
    assert_eq!(host.sysctl_line(0, "# only a comment"), CARP_OK);
}

static mut REENTER: *mut carp_host = null_mut();
static mut REENTRY_CODE: c_int = 0;

#[test]
fn a_callback_calling_back_into_its_host_gets_ebusy() {
    unsafe extern "C" fn tx_reenter(_: *mut c_void, _: *const u8, _: usize) -> c_int {
        // SAFETY: test-only statics, single-threaded within this test.
        unsafe { REENTRY_CODE = carp_host_poll(REENTER, 0) };
        0
    }
    let host = Host::bare();
    let mut o = ops();
    o.transmit = Some(tx_reenter);
    let mut nic = Nic::new(1);
    let mut id = 0;
    let ctx = (&mut *nic as *mut Nic).cast();
    assert_eq!(
        unsafe { carp_host_add_parent(host.ptr, c("em0").as_ptr(), &o, ctx, &mut id) },
        CARP_OK
    );
    unsafe { REENTER = host.ptr };
    host.ifconfig(0, "em0", "vhid 1 192.0.2.9 state master");
    assert_eq!(unsafe { REENTRY_CODE }, CARP_EBUSY);
    host.poll(1);
}

#[test]
fn parents_are_added_renamed_found_and_removed_by_name_and_id() {
    let mut host = Host::new();
    let em1 = host.add_parent("em1", Nic::new(2));
    let mut id = 0;
    let dup = c("em1");
    let mut nic = Nic::new(3);
    let ctx = (&mut *nic as *mut Nic).cast();
    assert_eq!(
        unsafe { carp_host_add_parent(host.ptr, dup.as_ptr(), &ops(), ctx, &mut id) },
        CARP_EEXIST
    );
    let long = c("a_name_of_16_byt");
    assert_eq!(
        unsafe { carp_host_add_parent(host.ptr, long.as_ptr(), &ops(), ctx, &mut id) },
        CARP_EINVAL
    );
    assert!(
        host.last_error().contains("not an interface name"),
        "{}",
        host.last_error()
    );
    host.ifconfig(0, "carp0", "create vhid 1 carpdev em1 192.0.2.100/24");
    assert_eq!(
        unsafe { carp_host_rename_parent(host.ptr, em1, c("vlan7").as_ptr()) },
        CARP_OK
    );
    assert_eq!(
        unsafe { carp_host_parent_id(host.ptr, c("vlan7").as_ptr(), &mut id) },
        CARP_OK
    );
    assert_eq!(id, em1);
    assert_eq!(host.carpreq("carp0", 0).carpdev[..6], *b"vlan7\0");
    assert_eq!(unsafe { carp_host_remove_parent(host.ptr, em1) }, CARP_OK);
    assert_eq!(
        unsafe { carp_host_remove_parent(host.ptr, em1) },
        CARP_ENOENT
    );
    assert_eq!(host.state(em1, 1), CARP_ENOENT);
    // carp0 keeps its configuration, detached (BSD carpdetach), until a
    // carpdev attaches it again.
    let req = host.carpreq("carp0", 0);
    assert_eq!(
        (req.vhid, req.state, req.carpdev[0]),
        (1, CARP_STATE_INIT, 0)
    );
    host.ifconfig(1, "carp0", "carpdev em0");
    assert_eq!(host.state(host.em0(), 1), CARP_STATE_BACKUP);
}

#[test]
fn a_parent_link_going_down_stops_its_vhids_and_demotes_the_host() {
    let mut host = Host::new();
    let em1 = host.add_parent("em1", Nic::new(2));
    host.ifconfig(0, "em0", "vhid 1 192.0.2.100 state master");
    host.ifconfig(0, "em1", "vhid 2 198.51.100.100");
    let sent = adverts(&host.nics[0]).len();
    assert_eq!(unsafe { carp_host_set_link(host.ptr, 10, em1, 0) }, CARP_OK);
    assert_eq!(host.state(em1, 2), CARP_STATE_INIT);
    // FreeBSD carp_carpdev_state: ifdown_demotion_factor, 240 by default.
    assert_eq!(host.sysctl("demotion"), 240);
    assert_eq!(
        adverts(&host.nics[0]).len(),
        sent + 1,
        "em0's master advertised the new demotion at once"
    );
    assert_eq!(unsafe { carp_host_set_link(host.ptr, 20, em1, 1) }, CARP_OK);
    assert_eq!(host.sysctl("demotion"), 0);
    assert_eq!(host.state(em1, 2), CARP_STATE_BACKUP);
}

#[test]
fn a_parent_with_its_link_down_when_added_starts_down() {
    let mut host = Host::bare();
    let mut nic = Nic::new(1);
    nic.link_up = false;
    let em0 = host.add_parent("em0", nic);
    host.ifconfig(0, "em0", "vhid 1 192.0.2.100");
    assert_eq!(host.state(em0, 1), CARP_STATE_INIT);
}

#[test]
fn parent_info_reads_back_and_a_new_address_is_the_adverts_source() {
    let host = Host::new();
    let mut info = carp_parent_info::default();
    assert_eq!(
        unsafe { carp_host_parent_info(host.ptr, host.em0(), &mut info) },
        CARP_OK
    );
    assert_eq!(
        (
            info.hw_addr,
            info.has_ipv4,
            info.ipv4,
            info.mtu,
            info.link_type
        ),
        (
            [2, 0, 0, 0, 0, 1],
            1,
            [192, 0, 2, 1],
            1500,
            CARP_LINK_ETHERNET
        )
    );
    info.ipv4 = [192, 0, 2, 77];
    assert_eq!(
        unsafe { carp_host_set_parent_info(host.ptr, 0, host.em0(), &info) },
        CARP_OK
    );
    host.ifconfig(0, "em0", "vhid 1 192.0.2.100 state master");
    let advert = adverts(&host.nics[0]).last().unwrap().to_vec();
    // IPv4 source address: bytes 12..16 of the IP header after Ethernet.
    assert_eq!(advert[14 + 12..14 + 16], [192, 0, 2, 77]);
    info.link_type = 9;
    assert_eq!(
        unsafe { carp_host_set_parent_info(host.ptr, 0, host.em0(), &info) },
        CARP_EINVAL
    );
}

#[test]
fn the_unicast_filter_follows_mastership() {
    let host = Host::new();
    host.ifconfig(0, "em0", "vhid 1 192.0.2.100 state master");
    host.ifconfig(1, "em0", "vhid 1 state backup");
    // The IANA CARP/VRRP virtual MAC 00:00:5e:00:01:<vhid> (RFC 5798 7.3).
    assert_eq!(
        host.nics[0].filter,
        ["accept 00:00:5e:00:01:01", "drop 00:00:5e:00:01:01"]
    );
}

#[test]
fn text_is_cut_to_the_buffer_and_its_full_length_returned() {
    let host = Host::new();
    host.ifconfig(0, "carp0", "create vhid 1 carpdev em0 192.0.2.100/24");
    let full = host.status("carp0");
    let mut buf = [0xaau8; 8];
    let n = unsafe { carp_host_status(host.ptr, c("carp0").as_ptr(), buf.as_mut_ptr().cast(), 8) };
    assert_eq!(n as usize, full.len());
    assert_eq!(&buf, b"carp0: \0");
    assert_eq!(
        unsafe { carp_host_status(host.ptr, c("carp9").as_ptr(), null_mut(), 0) },
        CARP_ENOENT
    );
    let (rc, _) = host.ifconfig_at(0, "carp0", "advskew 300");
    assert_eq!(rc, CARP_ERANGE);
    let mut small = [0xaau8; 8];
    let n = unsafe { carp_host_last_error(host.ptr, small.as_mut_ptr().cast(), 8) };
    assert_eq!(
        n as usize,
        "advskew (word 1) 300: out of range 0..254".len()
    );
    assert_eq!(&small, b"advskew\0");
    let all = host.status_all();
    assert!(all.starts_with(&full) || all.ends_with(&full), "{all}");
}

#[test]
fn name_strings_are_the_bsd_states_and_the_shared_reason_words() {
    // BSD CARP_STATES, indexed by carpr_state (OpenBSD ip_carp.h).
    let states: Vec<&str> = (0..4).map(|s| name(carp_state_name(s))).collect();
    assert_eq!(states, ["INIT", "BACKUP", "MASTER", "unknown"]);
    assert_eq!(name(carp_state_name(-1)), "unknown");
    // The words carpd's JSON events and carp-sim print.
    assert_eq!(name(carp_reason_name(4)), "master-down");
    assert_eq!(name(carp_reason_name(8)), "bow-out");
    assert_eq!(name(carp_reason_name(14)), "owner");
    assert_eq!(name(carp_reason_name(15)), "unknown");
    assert_eq!(name(carp_demote_reason_name(2)), "send-errors");
    assert_eq!(name(carp_demote_reason_name(5)), "unknown");
    // carp_stats field order (BSD struct carpstats).
    assert_eq!(name(carp_counter_name(0)), "ipackets");
    assert_eq!(name(carp_counter_name(5)), "badsum");
    assert_eq!(name(carp_counter_name(23)), "badpeer");
    assert_eq!(name(carp_counter_name(24)), "unknown");
}

#[test]
fn force_state_and_admin_calls_go_through_the_engine() {
    let mut host = Host::new();
    host.ifconfig(0, "carp0", "create vhid 1 carpdev em0 192.0.2.100/24");
    host.ifconfig(0, "em0", "vhid 2 192.0.2.101");
    let (carp0, em0) = (c("carp0"), c("em0"));
    let ptr = host.ptr;
    let force = |target: &std::ffi::CString, vhid, state| unsafe {
        carp_host_force_state(ptr, 1, target.as_ptr(), vhid, state)
    };
    assert_eq!(force(&carp0, 0, CARP_STATE_MASTER), CARP_OK);
    assert_eq!(host.state(host.em0(), 1), CARP_STATE_MASTER);
    assert_eq!(force(&em0, 2, CARP_STATE_MASTER), CARP_OK);
    assert_eq!(host.state(host.em0(), 2), CARP_STATE_MASTER);
    // INIT forces nothing, as BSD SIOCSVH; 3 is no state.
    assert_eq!(force(&em0, 2, CARP_STATE_INIT), CARP_OK);
    assert_eq!(host.state(host.em0(), 2), CARP_STATE_MASTER);
    assert_eq!(force(&em0, 2, 3), CARP_ERANGE);
    assert_eq!(host.last_error(), "state 3: out of range 0..2");
    assert_eq!(force(&em0, 256, CARP_STATE_MASTER), CARP_ERANGE);
    assert_eq!(
        unsafe { carp_host_set_admin(host.ptr, 2, em0.as_ptr(), 2, 0) },
        CARP_OK
    );
    assert_eq!(host.state(host.em0(), 2), CARP_STATE_INIT);
    // A vhid that cannot run cannot be forced.
    assert_eq!(force(&em0, 2, CARP_STATE_MASTER), CARP_ENETDOWN);
    let em1 = host.add_parent("em1", Nic::new(2));
    host.ifconfig(3, "em1", "vhid 3 198.51.100.3");
    assert_eq!(unsafe { carp_host_set_link(host.ptr, 4, em1, 0) }, CARP_OK);
    assert_eq!(force(&c("em1"), 3, CARP_STATE_MASTER), CARP_ENETDOWN);
    assert!(
        host.last_error().starts_with("not running"),
        "{}",
        host.last_error()
    );
}

#[test]
fn a_file_of_bare_words_applies_to_the_default_target() {
    let host = Host::new();
    let file = "vhid 4 advskew 20 192.0.2.44/24\n";
    let mut line = -2;
    let mut report = carp_apply_report::default();
    let rc = unsafe {
        carp_host_apply_config(
            host.ptr,
            0,
            file.as_ptr().cast(),
            file.len(),
            c("em0").as_ptr(),
            &mut line,
            &mut report,
        )
    };
    assert_eq!((rc, line), (CARP_OK, -1), "{}", host.last_error());
    assert_eq!((report.added, report.removed), (1, 0));
    assert_eq!(host.carpreq("em0", 4).advskew, 20);
    // Without a default target the same file names no interface.
    let (rc, line, _) = host.apply(1, file);
    assert_eq!((rc, line), (CARP_EINVAL, 1));
    // The file no longer names vhid 4: it goes.
    let (rc, _, report) = host.apply(2, "net.inet.carp.preempt=1\n");
    assert_eq!((rc, report.removed, report.knobs), (CARP_OK, 1, 1));
    assert_eq!(host.state(host.em0(), 4), CARP_ENOENT);
}
