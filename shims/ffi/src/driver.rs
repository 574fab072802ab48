//! The parent interface as a C struct of function pointers
//! ([`carp_driver_ops`]) plus the caller's context pointer, adapted to
//! carp's [`Driver`] trait.
//!
//! Every callback gets the `ctx` given to `carp_if_new`. Callbacks must not
//! call back into the same `carp_if` (such a call fails with `CARP_EBUSY`);
//! they may queue work for later, which is what the C example does.

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

/// The operations of a parent interface ("carpdev"). `carp_if_new` copies
/// the struct, so it may be a temporary; the functions must stay callable
/// with the `ctx` given for the life of the `carp_if`.
///
/// `transmit` and `hw_addr` are required; the others may be NULL (see each).
/// Every callback is called only from inside a `carp_if_*` call on the
/// interface, on the caller's thread.
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
    /// Returns 1 when the carrier is up, 0 when down. NULL: always up.
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
    /// Returns the framing, `CARP_LINK_*`; asked once, by `carp_if_new`.
    /// NULL: Ethernet.
    pub link_type: Option<unsafe extern "C" fn(ctx: *mut c_void) -> c_int>,
}

/// A [`Driver`] calling C.
///
/// Invariant (established by `carp_if_new`, whose caller promises it):
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
        let link = match code {
            CARP_LINK_ETHERNET => LinkType::Ethernet,
            CARP_LINK_FDDI => LinkType::Fddi,
            CARP_LINK_TOKEN_RING => LinkType::TokenRing,
            got => {
                return Err(Error::Invalid {
                    what: "link_type",
                    got: i64::from(got),
                })
            }
        };
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
    /// The parent as the callbacks describe it now.
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
}
