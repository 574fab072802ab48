//! Unicast adverts (`peer`, `peer6`, `carppeer`) out through the host's IP
//! stack: the [`carp_ifnet::driver::Driver::transmit_ip`] of carpd.
//!
//! carp-ifnet hands over the whole IP packet: header built, TTL or hop
//! limit 255, every checksum filled (a VRRPv3 checksum covers the
//! pseudo-header, so the source in the header must be the one that goes
//! out). The simplest correct way to send such a packet on Linux is a raw
//! socket with the header included, which the kernel routes by its
//! destination, resolves the next hop for (ARP/ND, queueing the packet
//! meanwhile) and frames from the parent's own MAC, as FreeBSD's
//! `carp_send_ad_locked` leaves unicast adverts to `ip_output` /
//! `ip6_output`:
//!
//! * IPv4: `socket(AF_INET, SOCK_RAW, 112)` with `IP_HDRINCL` (raw(7):
//!   the kernel sends the header as given, filling only a zero ID);
//! * IPv6: `socket(AF_INET6, SOCK_RAW, 112)` with `IPV6_HDRINCL`
//!   (Linux 4.5; ipv6(7)); the destination of `sendto` routes the packet,
//!   with the parent's index as scope for a link-local peer.
//!
//! Both are bound to the parent (`SO_BINDTODEVICE`, which the kernel
//! keeps as the interface index, so a rename changes nothing): the advert
//! leaves through the parent or not at all, and a peer behind a router is
//! reached through a route on the parent. Sends never block
//! (`MSG_DONTWAIT`); a full queue is [`TxError::NoBuffers`], no route
//! [`TxError::NoRoute`]; carp-ifnet counts every failure as a send error.
//!
//! The sockets are of protocol 112 rather than `IPPROTO_RAW` for one more
//! reason: the kernel answers a unicast packet of a protocol nobody
//! listens for with ICMP "protocol unreachable" (IPv4) or "unrecognized
//! next header" (IPv6), once per advert received from a peer. A raw
//! socket of the protocol bound to the parent counts as a listener
//! (`raw_local_deliver`, `ipv6_raw_deliver`); its receive queue stays
//! empty under a filter that drops everything, since carpd reads every
//! advert from its packet socket ([`crate::packet`]), unicast ones (to
//! the parent's own MAC) included.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use carp_ifnet::driver::TxError;
use nix::errno::Errno;
use nix::sys::socket::{sendto, MsgFlags, SockaddrIn, SockaddrIn6};

/// IANA protocol number of CARP and VRRP.
const PROTO_CARP: libc::c_int = 112;

/// The two raw sockets of one parent; a family whose socket could not be
/// opened refuses with [`TxError::Unsupported`].
#[derive(Debug)]
pub struct IpSender {
    v4: Option<OwnedFd>,
    v6: Option<OwnedFd>,
    ifindex: u32,
}

impl IpSender {
    /// Opens the sockets of the parent `name` (index `ifindex`). A family
    /// that fails (no IPv6 in the kernel, no `CAP_NET_RAW`) is logged and
    /// left out: multicast carp does not need it.
    pub fn open(name: &str, ifindex: u32) -> IpSender {
        let open = |family, hdrincl: (libc::c_int, libc::c_int)| {
            open_socket(family, hdrincl, name)
                .inspect_err(|e| {
                    log::warn!(target: "carpd", "{name}: no unicast adverts over {}: {e}",
                        if family == libc::AF_INET { "IPv4" } else { "IPv6" });
                })
                .ok()
        };
        IpSender {
            v4: open(libc::AF_INET, (libc::IPPROTO_IP, libc::IP_HDRINCL)),
            v6: open(libc::AF_INET6, (libc::IPPROTO_IPV6, libc::IPV6_HDRINCL)),
            ifindex,
        }
    }

    /// Sends one whole IPv4 or IPv6 packet to the destination in its
    /// header.
    ///
    /// # Errors
    /// [`TxError::Unsupported`] for a family without a socket or a packet
    /// that is neither; otherwise the kernel's refusal ([`tx_error`]).
    pub fn send(&self, packet: &[u8]) -> Result<(), TxError> {
        let flags = MsgFlags::MSG_DONTWAIT;
        let sent = match packet.first().map(|b| b >> 4) {
            Some(4) => {
                let fd = self.v4.as_ref().ok_or(TxError::Unsupported)?;
                let dst = ipv4_destination(packet).ok_or(TxError::Other)?;
                let to = SockaddrIn::from(SocketAddrV4::new(dst, 0));
                sendto(fd.as_raw_fd(), packet, &to, flags)
            }
            Some(6) => {
                let fd = self.v6.as_ref().ok_or(TxError::Unsupported)?;
                let dst = ipv6_destination(packet).ok_or(TxError::Other)?;
                // The scope matters for a link-local peer only; the kernel
                // ignores it for others.
                let to = SockaddrIn6::from(SocketAddrV6::new(dst, 0, 0, self.ifindex));
                sendto(fd.as_raw_fd(), packet, &to, flags)
            }
            _ => return Err(TxError::Unsupported),
        };
        match sent {
            Ok(_) => Ok(()),
            Err(e) => Err(tx_error(e, packet.len())),
        }
    }
}

/// What a refused `sendto` means to carp: `ENOBUFS`/`EAGAIN` no buffers,
/// `ENETUNREACH`/`EHOSTUNREACH` no route, `ENETDOWN`/`ENXIO` link down,
/// `EMSGSIZE` too long (a packet of `len` bytes), anything else a driver
/// error.
pub fn tx_error(e: Errno, len: usize) -> TxError {
    match e {
        Errno::ENOBUFS | Errno::EAGAIN => TxError::NoBuffers,
        Errno::ENETUNREACH | Errno::EHOSTUNREACH => TxError::NoRoute,
        Errno::ENETDOWN | Errno::ENXIO => TxError::LinkDown,
        Errno::EMSGSIZE => TxError::TooLong { len },
        _ => TxError::Other,
    }
}

/// The destination of an IPv4 header (bytes 16..20).
pub fn ipv4_destination(packet: &[u8]) -> Option<Ipv4Addr> {
    let b: [u8; 4] = packet.get(16..20)?.try_into().ok()?;
    Some(Ipv4Addr::from(b))
}

/// The destination of an IPv6 header (bytes 24..40).
pub fn ipv6_destination(packet: &[u8]) -> Option<Ipv6Addr> {
    let b: [u8; 16] = packet.get(24..40)?.try_into().ok()?;
    Some(Ipv6Addr::from(b))
}

fn check(rc: libc::c_int) -> io::Result<()> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn setsockopt<T: ?Sized>(
    fd: &OwnedFd,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
) -> io::Result<()> {
    let len = libc::socklen_t::try_from(size_of_val(value))
        .map_err(|_| io::Error::other("socket option too long"))?;
    // SAFETY: `value` points to `len` live bytes; the kernel copies them
    // before returning.
    check(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            std::ptr::from_ref(value).cast::<libc::c_void>(),
            len,
        )
    })
}

/// A raw protocol-112 socket of `family` with the header included, bound
/// to `device`, receiving nothing.
fn open_socket(
    family: libc::c_int,
    (level, hdrincl): (libc::c_int, libc::c_int),
    device: &str,
) -> io::Result<OwnedFd> {
    // SAFETY: socket(2) has no memory preconditions; the result is checked
    // before it is owned.
    let raw = unsafe {
        libc::socket(
            family,
            libc::SOCK_RAW | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            PROTO_CARP,
        )
    };
    check(raw)?;
    // SAFETY: `raw` is a fresh descriptor nobody else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    // Drop everything this socket would receive: one `ret #0`.
    let mut drop_all = [libc::sock_filter {
        code: (libc::BPF_RET | libc::BPF_K) as u16,
        jt: 0,
        jf: 0,
        k: 0,
    }];
    let prog = libc::sock_fprog {
        len: 1,
        filter: drop_all.as_mut_ptr(),
    };
    setsockopt(&fd, libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, &prog)?;
    let one: libc::c_int = 1;
    setsockopt(&fd, level, hdrincl, &one)?;
    let name = CString::new(device).map_err(|_| io::Error::other("NUL in interface name"))?;
    setsockopt(
        &fd,
        libc::SOL_SOCKET,
        libc::SO_BINDTODEVICE,
        name.as_bytes_with_nul(),
    )?;
    Ok(fd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_come_from_the_header() {
        let mut v4 = [0u8; 20];
        v4[0] = 0x45;
        v4[16..20].copy_from_slice(&[198, 51, 100, 12]);
        assert_eq!(ipv4_destination(&v4), Some(Ipv4Addr::new(198, 51, 100, 12)));
        assert_eq!(ipv4_destination(&v4[..19]), None);
        let mut v6 = [0u8; 40];
        v6[0] = 0x60;
        let peer: Ipv6Addr = "2001:db8:1::12".parse().unwrap();
        v6[24..40].copy_from_slice(&peer.octets());
        assert_eq!(ipv6_destination(&v6), Some(peer));
        assert_eq!(ipv6_destination(&v6[..39]), None);
    }

    #[test]
    fn kernel_refusals_map_onto_carps_counters() {
        assert_eq!(tx_error(Errno::ENOBUFS, 60), TxError::NoBuffers);
        assert_eq!(tx_error(Errno::EAGAIN, 60), TxError::NoBuffers);
        assert_eq!(tx_error(Errno::ENETUNREACH, 60), TxError::NoRoute);
        assert_eq!(tx_error(Errno::EHOSTUNREACH, 60), TxError::NoRoute);
        assert_eq!(tx_error(Errno::ENETDOWN, 60), TxError::LinkDown);
        assert_eq!(tx_error(Errno::EMSGSIZE, 60), TxError::TooLong { len: 60 });
        assert_eq!(tx_error(Errno::EPERM, 60), TxError::Other);
    }
}
