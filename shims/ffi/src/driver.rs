//! A parent interface as C describes it: a struct of function pointers
//! ([`carp_driver_ops`]) plus the caller's context pointer, adapted to
//! carp's [`Driver`] trait, and its description ([`carp_parent_info`]).
//!
//! Every callback gets the `ctx` given to `carp_host_add_parent`. Callbacks
//! must not call back into the same `carp_host` (such a call fails with
//! `CARP_EBUSY`); they may queue work for later, which is what the C
//! example does.

use core::ffi::{c_int, c_void};
use core::net::{Ipv4Addr, Ipv6Addr};

use carp_ifnet::driver::{Driver, LinkState, ParentInfo, TxError};
use carp_ifnet::lladdr::{LinkType, MacAddr};

use crate::errno::{tx_result, Error};

/// Ethernet II framing (`carp_driver_ops.link_type`).
pub const CARP_LINK_ETHERNET: c_int = 0;
/// FDDI with 802.2 LLC/SNAP.
pub const CARP_LINK_FDDI: c_int = 1;
/// IEEE 802.5 Token Ring with 802.2 LLC/SNAP.
pub const CARP_LINK_TOKEN_RING: c_int = 2;

/// MTU assumed when `carp_driver_ops.mtu` is NULL.
pub const CARP_DEFAULT_MTU: u32 = 1500;

/// The operations of a parent interface ("carpdev").
/// `carp_host_add_parent` copies the struct, so it may be a temporary; the
/// functions must stay callable with the `ctx` given until the parent is
/// removed or the host freed.
///
/// `transmit` and `hw_addr` are required; the others may be NULL (see each).
/// `transmit_ip` and `ipv6_addr` came with unicast peers, at the end so a
/// zero-initialised struct of older code keeps its meaning.
/// Every callback is called only from inside a `carp_host_*` call, on the
/// caller's thread. The description callbacks (`link_state`, `hw_addr`,
/// `ipv4_addr`, `ipv6_link_local`, `mtu`, `link_type`) are asked once, by
/// `carp_host_add_parent`; later changes are pushed by the caller
/// (`carp_host_set_link`, `carp_host_set_parent_info`). The output
/// callbacks (`transmit`, `transmit_ip`, the multicast and unicast filters)
/// are called by every call that sends what carp owes the wire.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
#[allow(non_camel_case_types)]
pub struct carp_driver_ops {
    /// Sends one complete link-layer frame (header included, no FCS) of
    /// `len` bytes. `frame` is valid only during the call: copy it. Returns
    /// 0 when queued, `CARP_ENOBUFS` when out of buffers (counted as
    /// `onomem`), `CARP_ENETDOWN` when the link is down, `CARP_EMSGSIZE`
    /// when too long, any other negative value for other failures.
    pub transmit:
        Option<unsafe extern "C" fn(ctx: *mut c_void, frame: *const u8, len: usize) -> c_int>,
    /// Returns 1 when the carrier is up, 0 when down, when the parent is
    /// added. NULL: up.
    pub link_state: Option<unsafe extern "C" fn(ctx: *mut c_void) -> c_int>,
    /// Writes the parent's own 6-byte hardware address to `out`.
    pub hw_addr: Option<unsafe extern "C" fn(ctx: *mut c_void, out: *mut u8)>,
    /// Writes the parent's own IPv4 address (network order) to `out[4]` and
    /// returns 0, or returns non-zero when it has none. NULL: none.
    pub ipv4_addr: Option<unsafe extern "C" fn(ctx: *mut c_void, out: *mut u8) -> c_int>,
    /// Writes the parent's IPv6 link-local address to `out[16]` and returns
    /// 0, or returns non-zero when it has none. NULL: none.
    pub ipv6_link_local: Option<unsafe extern "C" fn(ctx: *mut c_void, out: *mut u8) -> c_int>,
    /// Accepts frames to the 6-byte group address `mac` from now on; 0 or a
    /// negative code. NULL: nothing to do (promiscuous driver).
    pub join_multicast: Option<unsafe extern "C" fn(ctx: *mut c_void, mac: *const u8) -> c_int>,
    /// Undoes one `join_multicast`; 0 or a negative code. NULL: nothing to do.
    pub leave_multicast: Option<unsafe extern "C" fn(ctx: *mut c_void, mac: *const u8) -> c_int>,
    /// Returns the largest IP packet the link carries. NULL: 1500.
    pub mtu: Option<unsafe extern "C" fn(ctx: *mut c_void) -> u32>,
    /// Returns the framing, `CARP_LINK_*`. NULL: Ethernet.
    pub link_type: Option<unsafe extern "C" fn(ctx: *mut c_void) -> c_int>,
    /// Accepts (`accept` 1) or stops accepting (0) unicast frames to the
    /// 6-byte virtual MAC `mac`: called on entering and on leaving MASTER
    /// of a vhid (BSD programs the parent's filter so). 0 or a negative
    /// code. NULL: nothing to do (the NIC receives every frame).
    pub set_unicast_filter:
        Option<unsafe extern "C" fn(ctx: *mut c_void, mac: *const u8, accept: c_int) -> c_int>,
    /// Sends one complete IPv4 or IPv6 packet of `len` bytes (header
    /// included, checksums filled, TTL or hop limit 255) through the host's
    /// IP stack, which routes it, resolves the next hop and frames it from
    /// the parent's own MAC: the adverts of a vhid with a unicast peer
    /// (`peer`, `peer6`, `carppeer`), which may sit behind a router.
    /// `packet` is valid only during the call. Returns 0 when queued, or a
    /// negative code as `transmit` (`CARP_EHOSTUNREACH` without a route).
    /// NULL: unicast adverts are not sent (counted as send errors).
    pub transmit_ip:
        Option<unsafe extern "C" fn(ctx: *mut c_void, packet: *const u8, len: usize) -> c_int>,
    /// Writes the parent's own global (or unique-local) IPv6 address to
    /// `out[16]` and returns 0, or returns non-zero when it has none: the
    /// source of IPv6 adverts to a unicast peer that is not link-local.
    /// NULL: none.
    pub ipv6_addr: Option<unsafe extern "C" fn(ctx: *mut c_void, out: *mut u8) -> c_int>,
}

/// The parent as carp knows it (`carp_host_parent_info`,
/// `carp_host_set_parent_info`); 56 bytes, no padding.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub struct carp_parent_info {
    /// The parent's own hardware address.
    pub hw_addr: [u8; 6],
    /// 1 when `ipv4` holds the parent's own IPv4 address.
    pub has_ipv4: u8,
    /// 1 when `ipv6_link_local` holds the parent's IPv6 link-local address.
    pub has_ipv6_link_local: u8,
    /// The parent's IPv4 address, network order: the source of IPv4
    /// adverts (without one they go out from 0.0.0.0, as NetBSD's).
    pub ipv4: [u8; 4],
    /// Largest IP packet the link carries, in bytes.
    pub mtu: u32,
    /// The parent's IPv6 link-local address: the source of IPv6 adverts
    /// (without one they are not sent).
    pub ipv6_link_local: [u8; 16],
    /// `CARP_LINK_*`.
    pub link_type: i32,
    /// 1 when the host forwards IPv6: neighbour advertisements carry the
    /// router flag (RFC 4861 4.4).
    pub router: u8,
    /// 1 when `ipv6` holds the parent's own global IPv6 address.
    pub has_ipv6: u8,
    /// Reserved, 0.
    pub reserved: [u8; 2],
    /// The parent's global (or unique-local) IPv6 address: the source of
    /// IPv6 adverts to a unicast peer that is not link-local.
    pub ipv6: [u8; 16],
}

impl carp_parent_info {
    /// The description carp uses.
    ///
    /// # Errors
    /// `link_type` not a `CARP_LINK_*`.
    pub fn to_parent_info(&self) -> Result<ParentInfo, Error> {
        Ok(ParentInfo {
            link: link_type(self.link_type)?,
            hw_addr: MacAddr(self.hw_addr),
            mtu: usize::try_from(self.mtu).unwrap_or(usize::MAX),
            ipv4: (self.has_ipv4 != 0).then(|| Ipv4Addr::from(self.ipv4)),
            ipv6_link_local: (self.has_ipv6_link_local != 0)
                .then(|| Ipv6Addr::from(self.ipv6_link_local)),
            ipv6: (self.has_ipv6 != 0).then(|| Ipv6Addr::from(self.ipv6)),
            router: self.router != 0,
        })
    }
}

impl From<&ParentInfo> for carp_parent_info {
    fn from(p: &ParentInfo) -> carp_parent_info {
        carp_parent_info {
            hw_addr: p.hw_addr.octets(),
            has_ipv4: u8::from(p.ipv4.is_some()),
            has_ipv6_link_local: u8::from(p.ipv6_link_local.is_some()),
            ipv4: p.ipv4.map_or([0; 4], |a| a.octets()),
            mtu: u32::try_from(p.mtu).unwrap_or(u32::MAX),
            ipv6_link_local: p.ipv6_link_local.map_or([0; 16], |a| a.octets()),
            link_type: match p.link {
                LinkType::Fddi => CARP_LINK_FDDI,
                LinkType::TokenRing => CARP_LINK_TOKEN_RING,
                _ => CARP_LINK_ETHERNET,
            },
            router: u8::from(p.router),
            has_ipv6: u8::from(p.ipv6.is_some()),
            reserved: [0; 2],
            ipv6: p.ipv6.map_or([0; 16], |a| a.octets()),
        }
    }
}

/// The framing a `CARP_LINK_*` names.
fn link_type(code: c_int) -> Result<LinkType, Error> {
    match code {
        CARP_LINK_ETHERNET => Ok(LinkType::Ethernet),
        CARP_LINK_FDDI => Ok(LinkType::Fddi),
        CARP_LINK_TOKEN_RING => Ok(LinkType::TokenRing),
        got => Err(Error::Invalid {
            what: "link_type",
            got: i64::from(got),
        }),
    }
}

/// A [`Driver`] calling C.
///
/// Invariant (established by `carp_host_add_parent`, whose caller promises
/// it):
/// every non-NULL function of `ops` may be called with `ctx` as its first
/// argument for as long as this value lives, and follows the contract
/// documented on its field.
#[derive(Debug)]
pub(crate) struct CDriver {
    ops: carp_driver_ops,
    ctx: *mut c_void,
    link: LinkType,
}

type Transmit = unsafe extern "C" fn(*mut c_void, *const u8, usize) -> c_int;
type HwAddr = unsafe extern "C" fn(*mut c_void, *mut u8);

impl CDriver {
    /// Checks the required callbacks and asks the link type once.
    ///
    /// # Safety
    /// The functions of `ops` must be callable with `ctx` as documented on
    /// [`carp_driver_ops`] for as long as the returned value lives.
    pub(crate) unsafe fn new(ops: carp_driver_ops, ctx: *mut c_void) -> Result<CDriver, Error> {
        let _: Transmit = ops.transmit.ok_or(Error::Null("ops->transmit"))?;
        let _: HwAddr = ops.hw_addr.ok_or(Error::Null("ops->hw_addr"))?;
        let code = match ops.link_type {
            // SAFETY: the caller promises `f` is callable with `ctx`.
            Some(f) => unsafe { f(ctx) },
            None => CARP_LINK_ETHERNET,
        };
        let link = link_type(code)?;
        Ok(CDriver { ops, ctx, link })
    }

    /// Calls an address callback with a zeroed buffer of `L` bytes.
    fn address<const L: usize>(
        &self,
        f: Option<unsafe extern "C" fn(*mut c_void, *mut u8) -> c_int>,
    ) -> Option<[u8; L]> {
        let f = f?;
        let mut out = [0u8; L];
        // SAFETY: `f` is callable with `ctx` (type invariant) and writes at
        // most L bytes (4 or 16, as its field documents) to `out`, which is
        // valid for L bytes of writes.
        let code = unsafe { f(self.ctx, out.as_mut_ptr()) };
        (code == 0).then_some(out)
    }

    fn multicast(
        &mut self,
        f: Option<unsafe extern "C" fn(*mut c_void, *const u8) -> c_int>,
        mac: MacAddr,
    ) -> Result<(), TxError> {
        let Some(f) = f else { return Ok(()) };
        let octets = mac.octets();
        // SAFETY: `f` is callable with `ctx` (type invariant); it reads 6
        // bytes from `octets`, which lives across the call.
        tx_result(unsafe { f(self.ctx, octets.as_ptr()) }, 0)
    }
}

impl CDriver {
    /// The parent as the callbacks describe it now (asked when the parent
    /// is added).
    pub(crate) fn parent_info(&self) -> ParentInfo {
        let mut hw = [0u8; 6];
        if let Some(f) = self.ops.hw_addr {
            // SAFETY: `f` is callable with `ctx` (type invariant) and writes
            // 6 bytes to `hw`, valid for 6 bytes of writes.
            unsafe { f(self.ctx, hw.as_mut_ptr()) };
        }
        let mtu = match self.ops.mtu {
            // SAFETY: `f` is callable with `ctx` (type invariant).
            Some(f) => unsafe { f(self.ctx) },
            None => CARP_DEFAULT_MTU,
        };
        ParentInfo {
            link: self.link,
            hw_addr: MacAddr(hw),
            mtu: usize::try_from(mtu).unwrap_or(usize::MAX),
            ipv4: self.address::<4>(self.ops.ipv4_addr).map(Ipv4Addr::from),
            ipv6_link_local: self
                .address::<16>(self.ops.ipv6_link_local)
                .map(Ipv6Addr::from),
            ipv6: self.address::<16>(self.ops.ipv6_addr).map(Ipv6Addr::from),
            router: false,
        }
    }

    /// The carrier state the `link_state` callback reports (up without one).
    pub(crate) fn link_state(&self) -> LinkState {
        let up = match self.ops.link_state {
            // SAFETY: `f` is callable with `ctx` (type invariant).
            Some(f) => (unsafe { f(self.ctx) }) != 0,
            None => true,
        };
        LinkState::from_up(up)
    }
}

impl Driver for CDriver {
    fn transmit(&mut self, frame: &[u8]) -> Result<(), TxError> {
        let Some(f) = self.ops.transmit else {
            return Err(TxError::Other);
        };
        // SAFETY: `f` is callable with `ctx` (type invariant); `frame` is
        // valid for `frame.len()` bytes of reads during the call, and the
        // callback does not keep the pointer (its documented contract).
        let code = unsafe { f(self.ctx, frame.as_ptr(), frame.len()) };
        tx_result(code, frame.len())
    }

    fn join_multicast(&mut self, mac: MacAddr) -> Result<(), TxError> {
        self.multicast(self.ops.join_multicast, mac)
    }

    fn leave_multicast(&mut self, mac: MacAddr) -> Result<(), TxError> {
        self.multicast(self.ops.leave_multicast, mac)
    }

    fn set_unicast_filter(&mut self, mac: MacAddr, accept: bool) -> Result<(), TxError> {
        let Some(f) = self.ops.set_unicast_filter else {
            return Ok(());
        };
        let octets = mac.octets();
        // SAFETY: `f` is callable with `ctx` (type invariant); it reads 6
        // bytes from `octets`, which lives across the call.
        tx_result(
            unsafe { f(self.ctx, octets.as_ptr(), c_int::from(accept)) },
            0,
        )
    }

    fn transmit_ip(&mut self, packet: &[u8]) -> Result<(), TxError> {
        let Some(f) = self.ops.transmit_ip else {
            return Err(TxError::Unsupported);
        };
        // SAFETY: `f` is callable with `ctx` (type invariant); `packet` is
        // valid for `packet.len()` bytes of reads during the call, and the
        // callback does not keep the pointer (its documented contract).
        let code = unsafe { f(self.ctx, packet.as_ptr(), packet.len()) };
        tx_result(code, packet.len())
    }
}
