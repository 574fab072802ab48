//! Plain C structs crossing the boundary: the control request
//! ([`carp_req`]), what a configuration file did ([`carp_apply_report`]),
//! counters ([`carp_stats`]) and events ([`carp_event`]), and the names
//! of states, reasons and counters (carp-core's one table of spellings).
#![allow(non_camel_case_types)]

use core::ffi::{c_char, c_int, CStr};
use core::net::IpAddr;

use carp_core::{Counter, DemoteReason, Event, EventKind, Reason, State, Stats};
use carp_ctl::{state_number, ApplyReport, ParentId};

/// Bytes of `carp_req.key` (19-byte passphrase and a NUL).
pub const CARP_KEY_LEN: usize = 20;
/// Bytes of `carp_req.carpdev` (IFNAMSIZ).
pub const CARP_IFNAMSIZ: usize = 16;
/// Virtual addresses one vhid holds.
pub const CARP_MAX_ADDRS: usize = 8;
/// Vhids one parent holds: all of them (BSD allows 255). Hosted build.
#[cfg(feature = "hosted")]
pub const CARP_MAX_VHIDS: usize = 255;
/// Carp interfaces and vhids one host describes at once (four parents
/// full of vhids). Hosted build.
#[cfg(feature = "hosted")]
pub const CARP_MAX_ITEMS: usize = 1024;
/// Parents one host holds (parent ids are 16-bit). Hosted build.
#[cfg(feature = "hosted")]
pub const CARP_MAX_PARENTS: usize = 65535;
/// Vhids one parent holds (any numbers from 1 to 255). Freestanding
/// build: fixed when the library is built, inside `carp_host_size()`.
#[cfg(not(feature = "hosted"))]
pub const CARP_MAX_VHIDS: usize = 16;
/// Carp interfaces and vhids one host describes at once: every vhid of
/// every parent. Freestanding build.
#[cfg(not(feature = "hosted"))]
pub const CARP_MAX_ITEMS: usize = 64;
/// Parents one host holds. Freestanding build.
#[cfg(not(feature = "hosted"))]
pub const CARP_MAX_PARENTS: usize = 4;
/// Size of a `carp_req` in bytes: the `len` argument of the carpreq calls.
pub const CARP_CARPREQ_LEN: usize = 240;

/// A parent interface's handle, from `carp_host_add_parent`: stable for
/// the parent's life (0..65535).
pub type carp_parent_id = u32;

/// `carp_req.state` and `carp_host_state`: INIT.
pub const CARP_STATE_INIT: c_int = 0;
/// BACKUP.
pub const CARP_STATE_BACKUP: c_int = 1;
/// MASTER.
pub const CARP_STATE_MASTER: c_int = 2;

/// One address slot of a [`carp_req`] (18 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct carp_req_addr {
    /// 4 (IPv4) or 6 (IPv6); 0 in an unused slot.
    pub family: u8,
    /// Prefix length: 0..32 for IPv4, 0..128 for IPv6.
    pub prefix_len: u8,
    /// The address in network order; IPv4 uses the first 4 bytes, the rest 0.
    pub addr: [u8; 16],
}

/// The set/get request of one virtual host (BSD `struct carpreq` and more;
/// 240 bytes, no padding, integers in host order), for
/// `carp_host_set_carpreq` (`SIOCSVH`) and `carp_host_get_carpreq`
/// (`SIOCGVH`). Zero it, fill it and pass `sizeof(carp_req)` as the
/// length. A set request is a whole configuration: there is no "0 means
/// unchanged" (but an all-zero `carpdev` keeps the parent).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct carp_req {
    /// `CARP_STATE_*`. On set: BACKUP or MASTER forces that state after the
    /// configuration is applied; INIT is accepted and ignored, as BSD
    /// `SIOCSVH` ignores it (take a vhid down with `carp_host_set_admin`).
    pub state: i32,
    /// The vhid, 1..255.
    pub vhid: i32,
    /// Skew in 1/256 s, 0..254.
    pub advskew: i32,
    /// Base advertisement interval in seconds, 0..255.
    pub advbase: i32,
    /// The passphrase, NUL-padded (at most 19 bytes).
    pub key: [u8; CARP_KEY_LEN],
    /// Parent interface name (`carpdev`), NUL-padded. On set: all zero
    /// keeps the parent the interface has. On get: the parent, or all
    /// zero when detached.
    pub carpdev: [u8; CARP_IFNAMSIZ],
    /// Demotion counter (get: the host's current, effective value; set:
    /// ignored).
    pub demote: i32,
    /// Bit 0: `lladdr` holds a non-default virtual MAC. Bit 1: sign IPv6
    /// without link-local addresses (OpenBSD's form). Bit 2: IPv4 adverts
    /// go to `peer` (unicast). Bit 3: IPv6 adverts go to `peer6`. Bit 4:
    /// VRRP Accept_Mode.
    pub flags: u32,
    /// Used slots of `addrs`.
    pub naddrs: u32,
    /// OpenBSD virtual MAC, meaningful with flag bit 0.
    pub lladdr: [u8; 6],
    /// Advert intervals of silence before a backup takes over, 1..255 (3).
    pub dead_ratio: u8,
    /// Reserved, 0.
    pub reserved: u8,
    /// The virtual addresses, `naddrs` of them, with the prefix lengths
    /// given when they were configured.
    pub addrs: [carp_req_addr; CARP_MAX_ADDRS],
    /// 2 (CARP) or 3 (VRRPv3); 0 reads as 2.
    pub version: u8,
    /// VRRP priority, 1..255; 0 reads as 100.
    pub vrrp_priority: u8,
    /// VRRP advertisement interval, 1..4095 centiseconds; 0 reads as 100.
    pub vrrp_interval: u16,
    /// IPv4 unicast peer (flag bit 2), network order; zero otherwise.
    pub peer: [u8; 4],
    /// IPv6 unicast peer (flag bit 3); zero otherwise.
    pub peer6: [u8; 16],
}

/// What `carp_host_apply_config` did (each count: carp interfaces and
/// vhids).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct carp_apply_report {
    /// Added.
    pub added: u32,
    /// Whose configuration, admin state or parent changed.
    pub changed: u32,
    /// Removed (the file no longer names them).
    pub removed: u32,
    /// Described as they already were (not re-timed).
    pub unchanged: u32,
    /// Sysctl knobs written (set, or returned to their default).
    pub knobs: u32,
}

impl From<ApplyReport> for carp_apply_report {
    fn from(r: ApplyReport) -> carp_apply_report {
        let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        carp_apply_report {
            added: n(r.added),
            changed: n(r.changed),
            removed: n(r.removed),
            unchanged: n(r.unchanged),
            knobs: n(r.knobs),
        }
    }
}

/// Counters in BSD `struct carpstats` order, then ours; see
/// `netstat -s -p carp` for their wording.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct carp_stats {
    /// Adverts received over IPv4.
    pub ipackets: u64,
    /// Adverts received over IPv6.
    pub ipackets6: u64,
    /// Received on an interface without carp.
    pub badif: u64,
    /// TTL or hop limit not 255.
    pub badttl: u64,
    /// Link or IP header incomplete.
    pub hdrops: u64,
    /// CARP checksum wrong.
    pub badsum: u64,
    /// Version not 2.
    pub badver: u64,
    /// Fewer than 36 bytes of CARP.
    pub badlen: u64,
    /// Digest did not verify.
    pub badauth: u64,
    /// No such vhid on the parent, or it is not running.
    pub badvhid: u64,
    /// Source or destination address not acceptable.
    pub badaddrs: u64,
    /// Adverts sent over IPv4.
    pub opackets: u64,
    /// Adverts sent over IPv6.
    pub opackets6: u64,
    /// Sends that failed for want of buffers.
    pub onomem: u64,
    /// State changes.
    pub ostates: u64,
    /// Transitions to MASTER.
    pub preempt: u64,
    /// Type not 1 (ours).
    pub badtype: u64,
    /// authlen not 7 (ours).
    pub badauthlen: u64,
    /// Replayed counters dropped under the `enforce` replay policy (ours).
    pub replay: u64,
    /// Replayed counters accepted under the `log` policy (ours).
    pub replaylogged: u64,
    /// Our own adverts seen again (ours).
    pub own: u64,
    /// Dropped because net.inet.carp.allow is 0 (ours).
    pub disabled: u64,
    /// Sends the driver refused for other reasons (ours).
    pub senderr: u64,
    /// Unicast mode: adverts from a source other than the peer (ours).
    pub badpeer: u64,
}

/// Number of counters in a [`carp_stats`].
pub const CARP_COUNTERS: usize = 24;

impl From<&Stats> for carp_stats {
    fn from(s: &Stats) -> carp_stats {
        carp_stats {
            ipackets: s.get(Counter::Ipackets),
            ipackets6: s.get(Counter::Ipackets6),
            badif: s.get(Counter::Badif),
            badttl: s.get(Counter::Badttl),
            hdrops: s.get(Counter::Hdrops),
            badsum: s.get(Counter::Badsum),
            badver: s.get(Counter::Badver),
            badlen: s.get(Counter::Badlen),
            badauth: s.get(Counter::Badauth),
            badvhid: s.get(Counter::Badvhid),
            badaddrs: s.get(Counter::Badaddrs),
            opackets: s.get(Counter::Opackets),
            opackets6: s.get(Counter::Opackets6),
            onomem: s.get(Counter::Onomem),
            ostates: s.get(Counter::Ostates),
            preempt: s.get(Counter::Preempt),
            badtype: s.get(Counter::Badtype),
            badauthlen: s.get(Counter::Badauthlen),
            replay: s.get(Counter::Replay),
            replaylogged: s.get(Counter::ReplayLogged),
            own: s.get(Counter::Own),
            disabled: s.get(Counter::Disabled),
            senderr: s.get(Counter::Senderr),
            badpeer: s.get(Counter::Badpeer),
        }
    }
}

/// `carp_event.kind`: the state changed (`from`, `to`, `reason`).
pub const CARP_EVENT_STATE_CHANGE: u8 = 1;
/// Announce every virtual address now (gratuitous ARP / unsolicited NA);
/// `repeat` marks the delayed second announcement.
pub const CARP_EVENT_ANNOUNCE: u8 = 2;
/// An advert's counter was not above the last one from `src` (`counter`,
/// `last`, `dropped`).
pub const CARP_EVENT_REPLAY: u8 = 3;
/// Change the host's demotion by `delta` for `reason` (a `CARP_DEMOTE_*`).
pub const CARP_EVENT_DEMOTE: u8 = 4;
/// An event this version of the header does not describe.
pub const CARP_EVENT_OTHER: u8 = 255;

/// One event of a virtual host, drained by `carp_host_poll_events`. Fields
/// not used by `kind` are 0.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct carp_event {
    /// Sequence number per virtual host, from 0.
    pub seq: u64,
    /// When it happened, in the caller's microseconds.
    pub at_us: u64,
    /// The parent the vhid runs on (`carp_host_parent_name`,
    /// `carp_host_carp_name` name it).
    pub parent: carp_parent_id,
    /// DEMOTE: signed change.
    pub delta: i32,
    /// The vhid.
    pub vhid: u8,
    /// `CARP_EVENT_*`.
    pub kind: u8,
    /// STATE_CHANGE: state before (`CARP_STATE_*`).
    pub from: u8,
    /// STATE_CHANGE: state after (`CARP_STATE_*`).
    pub to: u8,
    /// STATE_CHANGE: why (`carp_reason_name`); DEMOTE: which contribution
    /// (`carp_demote_reason_name`).
    pub reason: u8,
    /// ANNOUNCE: 1 for the delayed repeat.
    pub repeat: u8,
    /// REPLAY: 1 if the advert was dropped (`enforce`), 0 if accepted (`log`).
    pub dropped: u8,
    /// REPLAY: 4 or 6, the family of `src`.
    pub src_family: u8,
    /// REPLAY: the sender, network order (IPv4 in the first 4 bytes).
    pub src: [u8; 16],
    /// REPLAY: counter received.
    pub counter: u64,
    /// REPLAY: last counter accepted from that sender.
    pub last: u64,
}

/// What an index is not.
const UNKNOWN: &CStr = c"unknown";

// State-change reasons and demotion reasons are indexed by their position
// in carp-core's `ALL` tables, and named from them (`carp_core::names`).

fn index_of<T: PartialEq>(all: &[T], value: T) -> u8 {
    all.iter()
        .position(|v| *v == value)
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(u8::MAX)
}

fn at<T: Copy>(all: &[T], index: c_int) -> Option<T> {
    usize::try_from(index)
        .ok()
        .and_then(|i| all.get(i))
        .copied()
}

/// The name of a state-change reason (`carp_event.reason`): a static
/// NUL-terminated string, "unknown" for other values.
#[no_mangle]
pub extern "C" fn carp_reason_name(reason: c_int) -> *const c_char {
    at(&Reason::ALL, reason)
        .map_or(UNKNOWN, Reason::c_name)
        .as_ptr()
}

/// The name of a demotion reason (`carp_event.reason` of a DEMOTE event).
#[no_mangle]
pub extern "C" fn carp_demote_reason_name(reason: c_int) -> *const c_char {
    at(&DemoteReason::ALL, reason)
        .map_or(UNKNOWN, DemoteReason::c_name)
        .as_ptr()
}

/// The name of a counter, by its index in `carp_stats` (the
/// `reject_counter` of `carp_host_input`): `badsum`, `badauth`, ...;
/// "unknown" for other values.
#[no_mangle]
pub extern "C" fn carp_counter_name(counter: c_int) -> *const c_char {
    at(&Counter::ALL, counter)
        .map_or(UNKNOWN, Counter::c_name)
        .as_ptr()
}

/// The BSD name of a state (`INIT`, `BACKUP`, `MASTER`), "unknown" for
/// other values.
#[no_mangle]
pub extern "C" fn carp_state_name(state: c_int) -> *const c_char {
    // CARP_STATE_* are BSD's carpr_state numbers, the indices of State::ALL.
    at(&State::ALL, state)
        .map_or(UNKNOWN, State::c_name)
        .as_ptr()
}

fn state_u8(state: State) -> u8 {
    u8::try_from(state_number(state)).unwrap_or(u8::MAX)
}

impl carp_event {
    /// The C form of `e`, which happened on `parent`.
    pub fn new(parent: ParentId, e: &Event) -> carp_event {
        let mut out = carp_event {
            parent: u32::from(parent.0),
            seq: e.seq,
            at_us: e.at.micros(),
            vhid: e.vhid,
            kind: CARP_EVENT_OTHER,
            ..carp_event::default()
        };
        match e.kind {
            EventKind::StateChange { from, to, reason } => {
                out.kind = CARP_EVENT_STATE_CHANGE;
                out.from = state_u8(from);
                out.to = state_u8(to);
                out.reason = index_of(&Reason::ALL, reason);
            }
            EventKind::Announce { repeat } => {
                out.kind = CARP_EVENT_ANNOUNCE;
                out.repeat = u8::from(repeat);
            }
            EventKind::Replay {
                src,
                counter,
                last,
                dropped,
            } => {
                out.kind = CARP_EVENT_REPLAY;
                out.counter = counter;
                out.last = last;
                out.dropped = u8::from(dropped);
                match src {
                    IpAddr::V4(a) => {
                        out.src_family = 4;
                        for (d, s) in out.src.iter_mut().zip(a.octets()) {
                            *d = s;
                        }
                    }
                    IpAddr::V6(a) => {
                        out.src_family = 6;
                        out.src = a.octets();
                    }
                }
            }
            EventKind::Demote { reason, delta } => {
                out.kind = CARP_EVENT_DEMOTE;
                out.reason = index_of(&DemoteReason::ALL, reason);
                out.delta = delta;
            }
            _ => {}
        }
        out
    }
}

/// The state a `CARP_STATE_*` number names (BSD `carpr_state`).
///
/// # Errors
/// [`CtlError::OutOfRange`](carp_ctl::CtlError::OutOfRange) for another
/// number.
pub fn state_from_number(state: c_int) -> Result<State, carp_ctl::CtlError> {
    State::ALL
        .into_iter()
        .find(|s| state_number(*s) == state)
        .ok_or(carp_ctl::CtlError::OutOfRange {
            word: "state",
            min: i64::from(CARP_STATE_INIT),
            max: i64::from(CARP_STATE_MASTER),
            got: i64::from(state),
        })
}

/// A vhid argument, 1..255.
///
/// # Errors
/// [`CtlError::OutOfRange`](carp_ctl::CtlError::OutOfRange) naming `vhid`.
pub fn vhid_from_number(vhid: c_int) -> Result<u8, carp_ctl::CtlError> {
    match u8::try_from(vhid) {
        Ok(v) if v != 0 => Ok(v),
        _ => Err(carp_ctl::CtlError::OutOfRange {
            word: "vhid",
            min: 1,
            max: 255,
            got: i64::from(vhid),
        }),
    }
}

/// An optional vhid argument: 0 for none (a carp interface's own vhid),
/// else 1..255.
///
/// # Errors
/// [`CtlError::OutOfRange`](carp_ctl::CtlError::OutOfRange) naming `vhid`.
pub fn opt_vhid_from_number(vhid: c_int) -> Result<Option<u8>, carp_ctl::CtlError> {
    match vhid {
        0 => Ok(None),
        v => vhid_from_number(v)
            .map(Some)
            .map_err(|_| carp_ctl::CtlError::OutOfRange {
                word: "vhid",
                min: 0,
                max: 255,
                got: i64::from(v),
            }),
    }
}
