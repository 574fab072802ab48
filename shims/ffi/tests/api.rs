//! The C ABI called as C would: NULLs, lengths, codes, round trips.
//!
//! Every `unsafe` block here calls the ABI with pointers to live locals,
//! or with NULL and wrong lengths on purpose: that is what is tested.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::undocumented_unsafe_blocks
)]

use core::ffi::{c_int, c_void, CStr};
use core::mem::offset_of;
use std::ptr::{null, null_mut};

use carp_ctl::CarpReq;
use carp_ffi::*;

/// A driver whose context is a Vec collecting frames.
unsafe extern "C" fn tx(ctx: *mut c_void, frame: *const u8, len: usize) -> c_int {
    // SAFETY: ctx is the Vec<Vec<u8>> of the test; frame valid for len.
    let sent = unsafe { &mut *ctx.cast::<Vec<Vec<u8>>>() };
    sent.push(unsafe { std::slice::from_raw_parts(frame, len) }.to_vec());
    0
}
unsafe extern "C" fn mac(_ctx: *mut c_void, out: *mut u8) {
    // SAFETY: out is valid for 6 bytes.
    unsafe { out.copy_from_nonoverlapping([2, 0, 0, 0, 0, 1].as_ptr(), 6) };
}
unsafe extern "C" fn v4(_ctx: *mut c_void, out: *mut u8) -> c_int {
    // SAFETY: out is valid for 4 bytes.
    unsafe { out.copy_from_nonoverlapping([192, 0, 2, 1].as_ptr(), 4) };
    0
}

fn ops() -> carp_driver_ops {
    carp_driver_ops {
        transmit: Some(tx),
        link_state: None,
        hw_addr: Some(mac),
        ipv4_addr: Some(v4),
        ipv6_link_local: None,
        join_multicast: None,
        leave_multicast: None,
        mtu: None,
        link_type: None,
    }
}

fn new_if(sent: &mut Vec<Vec<u8>>) -> *mut carp_if {
    let mut cif = null_mut();
    let ctx = (sent as *mut Vec<Vec<u8>>).cast();
    assert_eq!(
        unsafe { carp_if_new(&ops(), ctx, null(), 7, &mut cif) },
        CARP_OK
    );
    cif
}

fn ifconfig(cif: *mut carp_if, now: u64, words: &str) -> c_int {
    unsafe { carp_if_ifconfig(cif, now, words.as_ptr().cast(), words.len(), null_mut()) }
}

#[test]
fn null_pointers_are_refused_with_efault() {
    let mut cif = null_mut();
    assert_eq!(
        unsafe { carp_if_new(null(), null_mut(), null(), 0, &mut cif) },
        CARP_EFAULT
    );
    let mut no_tx = ops();
    no_tx.transmit = None;
    assert_eq!(
        unsafe { carp_if_new(&no_tx, null_mut(), null(), 0, &mut cif) },
        CARP_EFAULT
    );
    assert_eq!(unsafe { carp_if_handle_timeout(null(), 0) }, CARP_EFAULT);
    assert_eq!(
        unsafe { carp_if_input(null(), 0, null(), 0, null_mut()) },
        CARP_EFAULT
    );
    assert_eq!(
        unsafe { carp_sysctl_get(null(), null(), 0, null_mut()) },
        CARP_EFAULT
    );
    let mut sent = Vec::new();
    let cif = new_if(&mut sent);
    assert_eq!(
        unsafe { carp_if_input(cif, 0, null(), 10, null_mut()) },
        CARP_EFAULT
    );
    assert_eq!(unsafe { carp_if_stats(cif, null_mut()) }, CARP_EFAULT);
    unsafe { carp_if_free(cif) };
    unsafe { carp_if_free(null_mut()) };
}

#[test]
fn bad_link_type_is_einval() {
    unsafe extern "C" fn fddi_plus(_: *mut c_void) -> c_int {
        7
    }
    let mut o = ops();
    o.link_type = Some(fddi_plus);
    let mut cif = null_mut();
    assert_eq!(
        unsafe { carp_if_new(&o, null_mut(), null(), 0, &mut cif) },
        CARP_EINVAL
    );
    assert!(cif.is_null());
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
        CARP_ENOTRECOVERABLE,
    ] {
        let name = unsafe { CStr::from_ptr(carp_strerror(code)) };
        assert_ne!(name.to_str().unwrap(), "unknown error", "{code}");
    }
    assert_eq!(
        unsafe { CStr::from_ptr(carp_strerror(-9999)) },
        c"unknown error"
    );
}

#[test]
fn carp_req_mirrors_the_control_abi_layout() {
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
    assert_eq!(size_of::<carp_stats>(), CARP_COUNTERS * 8);
    assert_eq!(CARP_COUNTERS, carp_core::Counter::COUNT);
}

#[test]
fn carpreq_set_then_get_round_trips_and_wrong_length_is_emsgsize() {
    let mut sent = Vec::new();
    let cif = new_if(&mut sent);
    assert_eq!(
        ifconfig(cif, 0, "vhid 3 advskew 40 pass pw 192.0.2.50"),
        CARP_OK
    );
    let mut req: carp_req = unsafe { core::mem::zeroed() };
    assert_eq!(
        unsafe { carp_if_get_carpreq(cif, 3, &mut req, CARP_CARPREQ_LEN) },
        CARP_OK
    );
    assert_eq!(
        (req.vhid, req.advskew, req.naddrs, req.state),
        (3, 40, 1, CARP_STATE_BACKUP)
    );
    assert_eq!(&req.key[..3], b"pw\0");
    req.advskew = 200;
    req.state = CARP_STATE_MASTER;
    assert_eq!(
        unsafe { carp_if_set_carpreq(cif, 1, &req, CARP_CARPREQ_LEN) },
        CARP_OK
    );
    assert_eq!(unsafe { carp_if_state(cif, 3) }, CARP_STATE_MASTER);
    assert_eq!(
        unsafe { carp_if_set_carpreq(cif, 1, &req, 36) },
        CARP_EMSGSIZE
    );
    req.advskew = 255;
    assert_eq!(
        unsafe { carp_if_set_carpreq(cif, 2, &req, CARP_CARPREQ_LEN) },
        CARP_ERANGE
    );
    let mut msg = [0u8; 64];
    let n = unsafe { carp_if_last_error(cif, msg.as_mut_ptr().cast(), msg.len()) };
    let text = CStr::from_bytes_until_nul(&msg).unwrap().to_str().unwrap();
    assert_eq!(text, "advskew 255: out of range 0..254");
    assert_eq!(n as usize, text.len());
    assert_eq!(unsafe { carp_if_state(cif, 9) }, CARP_ENOENT);
    assert!(!sent.is_empty(), "the forced master advertised");
    unsafe { carp_if_free(cif) };
}

#[test]
fn events_drain_in_order_and_garbage_frames_are_not_carp() {
    let mut sent = Vec::new();
    let cif = new_if(&mut sent);
    assert_eq!(ifconfig(cif, 5, "vhid 1 192.0.2.100"), CARP_OK);
    let mut ev = [carp_event::default(); 4];
    assert_eq!(unsafe { carp_if_poll_events(cif, ev.as_mut_ptr(), 4) }, 1);
    assert_eq!(
        (ev[0].kind, ev[0].at_us, ev[0].from, ev[0].to),
        (CARP_EVENT_STATE_CHANGE, 5, 0, 1)
    );
    assert_eq!(
        unsafe { CStr::from_ptr(carp_reason_name(ev[0].reason.into())) },
        c"admin-up"
    );
    assert_eq!(unsafe { carp_if_poll_events(cif, ev.as_mut_ptr(), 4) }, 0);
    let mut deadline = 0;
    assert_eq!(unsafe { carp_if_poll_timeout(cif, &mut deadline) }, 1);
    assert_eq!(deadline, 5 + 3_000_000);
    let junk = [0u8; 20];
    let mut counter = 0;
    let rc = unsafe { carp_if_input(cif, 6, junk.as_ptr(), junk.len(), &mut counter) };
    assert_eq!((rc, counter), (CARP_INPUT_NOT_CARP, -1));
    unsafe { carp_if_free(cif) };
}

#[test]
fn sysctls_are_read_and_written_by_name_and_shared() {
    let tree = carp_sysctl_new();
    let name = "net.inet.carp.preempt";
    assert_eq!(
        unsafe { carp_sysctl_set(tree, name.as_ptr().cast(), name.len(), 1) },
        CARP_OK
    );
    let mut cif = null_mut();
    assert_eq!(
        unsafe { carp_if_new(&ops(), null_mut(), tree, 0, &mut cif) },
        CARP_OK
    );
    unsafe { carp_sysctl_free(tree) };
    let shared = unsafe { carp_if_sysctl(cif) };
    let mut v = 0;
    assert_eq!(
        unsafe { carp_sysctl_get(shared, "preempt".as_ptr().cast(), 7, &mut v) },
        CARP_OK
    );
    assert_eq!(v, 1);
    assert_eq!(
        unsafe { carp_sysctl_set(shared, "dscp".as_ptr().cast(), 4, 64) },
        CARP_ERANGE
    );
    assert_eq!(
        unsafe { carp_sysctl_set(shared, "stats".as_ptr().cast(), 5, 0) },
        CARP_EPERM
    );
    assert_eq!(
        unsafe { carp_sysctl_get(shared, "nope".as_ptr().cast(), 4, &mut v) },
        CARP_ENOENT
    );
    let line = "sysctl -w net.inet.carp.log=2";
    assert_eq!(
        unsafe { carp_sysctl_set_line(shared, line.as_ptr().cast(), line.len()) },
        CARP_OK
    );
    let bad = [0xffu8, 0xfe];
    assert_eq!(
        unsafe { carp_sysctl_get(shared, bad.as_ptr().cast(), 2, &mut v) },
        CARP_EILSEQ
    );
    unsafe { carp_if_free(cif) };
}

#[test]
fn ifconfig_reports_the_bad_word_and_changes_nothing() {
    let mut sent = Vec::new();
    let cif = new_if(&mut sent);
    let words = "vhid 1 advskew 10 bogus";
    let mut bad = 0;
    let rc = unsafe { carp_if_ifconfig(cif, 0, words.as_ptr().cast(), words.len(), &mut bad) };
    assert_eq!((rc, bad), (CARP_EINVAL, 4));
    assert_eq!(unsafe { carp_if_state(cif, 1) }, CARP_ENOENT);
    assert_eq!(ifconfig(cif, 0, "advskew 10"), CARP_EINVAL);
    assert_eq!(ifconfig(cif, 0, "vhid 1 192.0.2.9"), CARP_OK);
    assert_eq!(ifconfig(cif, 0, "vhid 1 192.0.2.9 alias"), CARP_OK);
    assert_eq!(ifconfig(cif, 0, "vhid 1 destroy"), CARP_OK);
    assert_eq!(unsafe { carp_if_state(cif, 1) }, CARP_ENOENT);
    unsafe { carp_if_free(cif) };
}

static mut REENTER: *mut carp_if = null_mut();
static mut REENTRY_CODE: c_int = 0;

#[test]
fn a_callback_calling_back_into_its_interface_gets_ebusy() {
    unsafe extern "C" fn tx_reenter(_: *mut c_void, _: *const u8, _: usize) -> c_int {
        // SAFETY: test-only statics, single-threaded within this test.
        unsafe { REENTRY_CODE = carp_if_handle_timeout(REENTER, 0) };
        0
    }
    let mut o = ops();
    o.transmit = Some(tx_reenter);
    let mut cif = null_mut();
    assert_eq!(
        unsafe { carp_if_new(&o, null_mut(), null(), 0, &mut cif) },
        CARP_OK
    );
    unsafe { REENTER = cif };
    assert_eq!(ifconfig(cif, 0, "vhid 1 192.0.2.9 state master"), CARP_OK);
    assert_eq!(unsafe { REENTRY_CODE }, CARP_EBUSY);
    assert_eq!(unsafe { carp_if_handle_timeout(cif, 1) }, CARP_OK);
    unsafe { carp_if_free(cif) };
}

#[test]
fn name_strings_are_the_bsd_states_and_the_shared_reason_words() {
    let name = |p: *const core::ffi::c_char| unsafe { CStr::from_ptr(p) }.to_str().unwrap();
    // BSD CARP_STATES, indexed by carpr_state (OpenBSD ip_carp.h).
    let states: Vec<&str> = (0..4).map(|s| name(carp_state_name(s))).collect();
    assert_eq!(states, ["INIT", "BACKUP", "MASTER", "unknown"]);
    assert_eq!(name(carp_state_name(-1)), "unknown");
    // The words carpd's JSON events and carp-sim print.
    assert_eq!(name(carp_reason_name(4)), "master-down");
    assert_eq!(name(carp_reason_name(8)), "bow-out");
    assert_eq!(name(carp_reason_name(12)), "tie-lost");
    assert_eq!(name(carp_reason_name(13)), "tie-disputed");
    assert_eq!(name(carp_reason_name(14)), "unknown");
    assert_eq!(name(carp_demote_reason_name(2)), "send-errors");
    assert_eq!(name(carp_demote_reason_name(5)), "unknown");
}
