//! What the C ABI tests share: a recording driver, a host with parents,
//! and the calls as a C caller makes them, with Rust strings.
//!
//! Every `unsafe` block calls the ABI with pointers to live locals or to
//! `Nic`s the test keeps alive (boxed) for the host's life.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::undocumented_unsafe_blocks,
    clippy::missing_safety_doc
)]

use core::ffi::{c_char, c_int, c_void, CStr};
use std::ffi::CString;
use std::ptr::null_mut;

use carp_ffi::*;

/// A NIC: what was sent and the filter calls, in order.
#[derive(Debug, Default)]
pub struct Nic {
    pub mac: [u8; 6],
    pub ipv4: [u8; 4],
    pub link_up: bool,
    pub sent: Vec<Vec<u8>>,
    pub filter: Vec<String>,
    /// Packets handed to `transmit_ip` (unicast adverts).
    pub ip_sent: Vec<Vec<u8>>,
}

impl Nic {
    pub fn new(last: u8) -> Box<Nic> {
        Box::new(Nic {
            mac: [2, 0, 0, 0, 0, last],
            ipv4: [192, 0, 2, last],
            link_up: true,
            ..Nic::default()
        })
    }
}

unsafe fn nic<'a>(ctx: *mut c_void) -> &'a mut Nic {
    unsafe { &mut *ctx.cast::<Nic>() }
}

pub unsafe extern "C" fn tx(ctx: *mut c_void, frame: *const u8, len: usize) -> c_int {
    let frame = unsafe { std::slice::from_raw_parts(frame, len) }.to_vec();
    unsafe { nic(ctx) }.sent.push(frame);
    0
}
pub unsafe extern "C" fn tx_ip(ctx: *mut c_void, packet: *const u8, len: usize) -> c_int {
    let packet = unsafe { std::slice::from_raw_parts(packet, len) }.to_vec();
    unsafe { nic(ctx) }.ip_sent.push(packet);
    0
}
pub unsafe extern "C" fn hw_addr(ctx: *mut c_void, out: *mut u8) {
    unsafe { out.copy_from_nonoverlapping(nic(ctx).mac.as_ptr(), 6) };
}
pub unsafe extern "C" fn ipv4(ctx: *mut c_void, out: *mut u8) -> c_int {
    unsafe { out.copy_from_nonoverlapping(nic(ctx).ipv4.as_ptr(), 4) };
    0
}
pub unsafe extern "C" fn link(ctx: *mut c_void) -> c_int {
    c_int::from(unsafe { nic(ctx) }.link_up)
}
pub unsafe extern "C" fn unicast(ctx: *mut c_void, mac: *const u8, accept: c_int) -> c_int {
    let mac = unsafe { std::slice::from_raw_parts(mac, 6) };
    let word = if accept != 0 { "accept" } else { "drop" };
    unsafe { nic(ctx) }.filter.push(format!(
        "{word} {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]
    ));
    0
}

pub fn ops() -> carp_driver_ops {
    carp_driver_ops {
        transmit: Some(tx),
        link_state: Some(link),
        hw_addr: Some(hw_addr),
        ipv4_addr: Some(ipv4),
        ipv6_link_local: None,
        join_multicast: None,
        leave_multicast: None,
        mtu: None,
        link_type: None,
        set_unicast_filter: Some(unicast),
        transmit_ip: Some(tx_ip),
        ipv6_addr: None,
    }
}

pub fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// A host and the NICs of its parents (which must outlive it).
pub struct Host {
    pub ptr: *mut carp_host,
    /// Boxed: the host keeps pointers to them (their `ctx`).
    #[allow(clippy::vec_box)]
    pub nics: Vec<Box<Nic>>,
    pub parents: Vec<carp_parent_id>,
}

impl Host {
    /// A host with one parent `em0` (MAC ...:01, 192.0.2.1).
    pub fn new() -> Host {
        let mut h = Host::bare();
        h.add_parent("em0", Nic::new(1));
        h
    }

    /// A host without parents.
    pub fn bare() -> Host {
        let mut ptr = null_mut();
        assert_eq!(unsafe { carp_host_new(0x5eed, &mut ptr) }, CARP_OK);
        Host {
            ptr,
            nics: Vec::new(),
            parents: Vec::new(),
        }
    }

    pub fn add_parent(&mut self, name: &str, mut nic: Box<Nic>) -> carp_parent_id {
        let mut id = u32::MAX;
        let ctx = (&mut *nic as *mut Nic).cast();
        let rc = unsafe { carp_host_add_parent(self.ptr, c(name).as_ptr(), &ops(), ctx, &mut id) };
        assert_eq!(rc, CARP_OK, "{}", self.last_error());
        self.nics.push(nic);
        self.parents.push(id);
        id
    }

    pub fn em0(&self) -> carp_parent_id {
        self.parents[0]
    }

    /// `ifconfig TARGET WORDS`: the code and the bad word index.
    pub fn ifconfig_at(&self, now: u64, target: &str, words: &str) -> (c_int, c_int) {
        let mut bad = -2;
        let rc = unsafe {
            carp_host_ifconfig(
                self.ptr,
                now,
                c(target).as_ptr(),
                words.as_ptr().cast(),
                words.len(),
                &mut bad,
            )
        };
        (rc, bad)
    }

    /// `ifconfig TARGET WORDS` that must succeed.
    pub fn ifconfig(&self, now: u64, target: &str, words: &str) {
        let (rc, _) = self.ifconfig_at(now, target, words);
        assert_eq!(rc, CARP_OK, "{target} {words}: {}", self.last_error());
    }

    /// Applies a configuration file: the code, the bad line, the report.
    pub fn apply(&self, now: u64, text: &str) -> (c_int, c_int, carp_apply_report) {
        let mut line = -2;
        let mut report = carp_apply_report::default();
        let rc = unsafe {
            carp_host_apply_config(
                self.ptr,
                now,
                text.as_ptr().cast(),
                text.len(),
                std::ptr::null(),
                &mut line,
                &mut report,
            )
        };
        (rc, line, report)
    }

    pub fn last_error(&self) -> String {
        let mut buf = [0u8; 256];
        let n = unsafe { carp_host_last_error(self.ptr, buf.as_mut_ptr().cast(), buf.len()) };
        let text = CStr::from_bytes_until_nul(&buf)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(n as usize, text.len(), "message cut: {text}");
        text
    }

    pub fn state(&self, parent: carp_parent_id, vhid: c_int) -> c_int {
        unsafe { carp_host_state(self.ptr, parent, vhid) }
    }

    pub fn carpreq(&self, target: &str, vhid: c_int) -> carp_req {
        let mut req: carp_req = unsafe { core::mem::zeroed() };
        let rc = unsafe {
            carp_host_get_carpreq(
                self.ptr,
                c(target).as_ptr(),
                vhid,
                &mut req,
                CARP_CARPREQ_LEN,
            )
        };
        assert_eq!(rc, CARP_OK, "{}", self.last_error());
        req
    }

    pub fn set_carpreq(&self, now: u64, target: &str, req: &carp_req) -> c_int {
        unsafe { carp_host_set_carpreq(self.ptr, now, c(target).as_ptr(), req, CARP_CARPREQ_LEN) }
    }

    pub fn sysctl(&self, name: &str) -> i64 {
        let mut v = i64::MIN;
        let rc = unsafe { carp_host_sysctl_get(self.ptr, c(name).as_ptr(), &mut v) };
        assert_eq!(rc, CARP_OK, "{}", self.last_error());
        v
    }

    pub fn sysctl_line(&self, now: u64, line: &str) -> c_int {
        unsafe { carp_host_sysctl_line(self.ptr, now, line.as_ptr().cast(), line.len()) }
    }

    /// `ifconfig TARGET`, whole.
    pub fn status(&self, target: &str) -> String {
        let t = c(target);
        let n = unsafe { carp_host_status(self.ptr, t.as_ptr(), null_mut(), 0) };
        assert!(n >= 0, "{}", self.last_error());
        let mut buf = vec![0u8; n as usize + 1];
        let m =
            unsafe { carp_host_status(self.ptr, t.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        assert_eq!(m, n);
        CStr::from_bytes_until_nul(&buf)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// Everything `ifconfig -a` shows of carp: the engine's state as text.
    pub fn status_all(&self) -> String {
        let mut buf = vec![0u8; 1 << 16];
        let n = unsafe { carp_host_status_all(self.ptr, buf.as_mut_ptr().cast(), buf.len()) };
        assert!((n as usize) < buf.len());
        CStr::from_bytes_until_nul(&buf)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    }

    pub fn poll(&self, now: u64) {
        assert_eq!(unsafe { carp_host_poll(self.ptr, now) }, CARP_OK);
    }

    pub fn deadline(&self) -> Option<u64> {
        let mut d = 0;
        match unsafe { carp_host_poll_timeout(self.ptr, &mut d) } {
            1 => Some(d),
            0 => None,
            e => panic!("poll_timeout: {e}"),
        }
    }

    /// Runs every timer up to `until`, deadline by deadline.
    pub fn run_until(&self, until: u64) {
        while let Some(d) = self.deadline().filter(|d| *d <= until) {
            self.poll(d);
        }
    }

    pub fn events(&self) -> Vec<carp_event> {
        let mut out = Vec::new();
        let mut ev = [carp_event::default(); 8];
        loop {
            let n = unsafe { carp_host_poll_events(self.ptr, ev.as_mut_ptr(), ev.len()) };
            assert!(n >= 0);
            out.extend_from_slice(&ev[..n as usize]);
            if n == 0 {
                return out;
            }
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        unsafe { carp_host_free(self.ptr) };
    }
}

/// A C name string as Rust text.
pub fn name(p: *const c_char) -> &'static str {
    unsafe { CStr::from_ptr(p) }.to_str().unwrap()
}

/// `(at_us, from, to, reason)` of the state changes among `events`.
pub fn changes(events: &[carp_event]) -> Vec<(u64, u8, &'static str, &'static str, &'static str)> {
    events
        .iter()
        .filter(|e| e.kind == CARP_EVENT_STATE_CHANGE)
        .map(|e| {
            (
                e.at_us,
                e.vhid,
                name(carp_state_name(e.from.into())),
                name(carp_state_name(e.to.into())),
                name(carp_reason_name(e.reason.into())),
            )
        })
        .collect()
}

/// The CARP adverts among the frames a NIC sent: IPv4 (ethertype 0x0800)
/// with protocol 112.
pub fn adverts(nic: &Nic) -> Vec<&[u8]> {
    nic.sent
        .iter()
        .filter(|f| f.len() > 23 && f[12..14] == [0x08, 0x00] && f[23] == 112)
        .map(|f| f.as_slice())
        .collect()
}
