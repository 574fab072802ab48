//! What carp needs from the parent interface ("carpdev"): a description
//! the embedder keeps current ([`ParentInfo`], [`LinkState`]) and an output
//! side it passes to each [`CarpIf::poll`](crate::carpif::CarpIf::poll)
//! ([`Driver`]).
//!
//! The split follows smoltcp's device-per-call design: carp never owns the
//! NIC, so a frame still sitting in the NIC's receive buffer can be handed
//! to [`CarpIf::input`](crate::carpif::CarpIf::input) without a copy, and
//! the NIC is borrowed only while carp transmits.
//!
//! # The contract, in one place
//!
//! * **Transmit never blocks.** A full queue is [`TxError::NoBuffers`]
//!   (counted as `onomem`); every failed advert counts towards the send-error
//!   demotion (3 in a row demote the host by
//!   `net.inet.carp.senderr_demotion_factor`, BSD `CARP_SENDAD_MAX_ERRORS`),
//!   so a driver that waits for the hardware stalls the whole host instead.
//! * **Link changes are pushed.** On a link interrupt (carrier lost or
//!   back, interface administratively down or up) call
//!   [`CarpIf::set_link`](crate::carpif::CarpIf::set_link); carp never asks.
//!   Address changes of the parent go to
//!   [`CarpIf::set_parent`](crate::carpif::CarpIf::set_parent).
//! * **Only [`CarpIf::poll`](crate::carpif::CarpIf::poll) calls the driver.**
//!   Commands and input change state and queue output; `poll` sends it.
//! * **Multicast joins are counted by the driver**, as BSD's
//!   `if_addmulti`: a group joined twice is left twice.
//! * **Unicast adverts go through the host's IP stack.** A vhid with a
//!   unicast peer (`peer`, `peer6`, `carppeer`) sends its adverts to that
//!   address, which may sit behind a router: carp cannot know the next
//!   hop's link address, so it hands the whole IP packet (header built,
//!   checksums filled, TTL 255) to [`Driver::transmit_ip`] and the host
//!   routes it, resolves the neighbour and frames it from the parent's own
//!   MAC, as FreeBSD's `carp_send_ad_locked` does through `ip_output`
//!   (only multicast adverts are tagged for the virtual MAC there). A
//!   driver without an IP stack behind it keeps the default, which refuses
//!   (counted as a send error).

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use crate::lladdr::{LinkType, MacAddr};

/// Whether the parent's link (carrier) is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkState {
    /// Carrier present: frames can be sent and received.
    Up,
    /// No carrier, or the parent is administratively down: carp vhosts on
    /// this parent go to INIT.
    Down,
}

impl LinkState {
    /// `Up` for true.
    pub const fn from_up(up: bool) -> LinkState {
        if up {
            LinkState::Up
        } else {
            LinkState::Down
        }
    }

    /// True for `Up`.
    pub const fn is_up(self) -> bool {
        matches!(self, LinkState::Up)
    }
}

/// The parent interface as carp sees it: what frames look like on it and
/// the parent's own addresses. The embedder fills it at creation and pushes
/// changes with [`CarpIf::set_parent`](crate::carpif::CarpIf::set_parent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParentInfo {
    /// Framing of the link; decides the virtual MAC and the frame layout.
    pub link: LinkType,
    /// The parent's own hardware address.
    pub hw_addr: MacAddr,
    /// Largest IP packet the link carries, in bytes (1500 on Ethernet).
    pub mtu: usize,
    /// The parent's own IPv4 address: source of IPv4 adverts and how an
    /// advert looped back to us is recognised. `None` if it has none; IPv4
    /// adverts then go out from 0.0.0.0, as NetBSD's `carp_send_ad` does
    /// when the parent has no IPv4 address.
    pub ipv4: Option<Ipv4Addr>,
    /// The parent's own IPv6 link-local address: source of IPv6 adverts.
    /// `None` if it has none (IPv6 adverts are then not sent and count as
    /// send errors, as BSD fails `in6_selectsrc`).
    pub ipv6_link_local: Option<Ipv6Addr>,
    /// The parent's own global (or unique-local) IPv6 address: source of
    /// IPv6 adverts to a unicast peer that is not link-local, which a
    /// link-local source could not reach through a router (FreeBSD picks
    /// the parent's preferred address, `carp_best_ifa`). `None` if it has
    /// none; such adverts then count as send errors.
    pub ipv6: Option<Ipv6Addr>,
    /// The host forwards IPv6 (is a router): neighbour advertisements for
    /// the virtual addresses carry the R flag (RFC 4861 4.4; BSD sets it
    /// from `ip6_forwarding` in `nd6_na_output`).
    pub router: bool,
}

impl ParentInfo {
    /// An Ethernet parent with MTU 1500, no addresses, not a router.
    pub const fn ethernet(hw_addr: MacAddr) -> ParentInfo {
        ParentInfo {
            link: LinkType::Ethernet,
            hw_addr,
            mtu: 1500,
            ipv4: None,
            ipv6_link_local: None,
            ipv6: None,
            router: false,
        }
    }

    /// The same parent with another link type.
    pub const fn with_link(mut self, link: LinkType) -> ParentInfo {
        self.link = link;
        self
    }

    /// The same parent with its own IPv4 address.
    pub const fn with_ipv4(mut self, addr: Ipv4Addr) -> ParentInfo {
        self.ipv4 = Some(addr);
        self
    }

    /// The same parent with its own IPv6 link-local address.
    pub const fn with_ipv6_link_local(mut self, addr: Ipv6Addr) -> ParentInfo {
        self.ipv6_link_local = Some(addr);
        self
    }

    /// The same parent with its own global IPv6 address.
    pub const fn with_ipv6(mut self, addr: Ipv6Addr) -> ParentInfo {
        self.ipv6 = Some(addr);
        self
    }

    /// The same parent with the IPv6 router flag.
    pub const fn with_router(mut self, router: bool) -> ParentInfo {
        self.router = router;
        self
    }
}

/// Why the driver could not send a frame or change a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TxError {
    /// No transmit buffer free (BSD's mbuf shortage): counted as `onomem`.
    NoBuffers,
    /// The link is down.
    LinkDown,
    /// The frame is longer than the link can carry.
    TooLong {
        /// Length of the frame handed to the driver.
        len: usize,
    },
    /// Any other driver failure (no more filter slots, hardware error).
    Other,
    /// The driver cannot do this (an IP-level send without an IP stack).
    Unsupported,
    /// The host has no route to the destination of an IP-level send.
    NoRoute,
}

impl fmt::Display for TxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TxError::NoBuffers => f.write_str("no transmit buffers"),
            TxError::LinkDown => f.write_str("link down"),
            TxError::TooLong { len } => write!(f, "frame of {len} bytes too long for the link"),
            TxError::Other => f.write_str("driver error"),
            TxError::Unsupported => f.write_str("not supported by the driver"),
            TxError::NoRoute => f.write_str("no route to the peer"),
        }
    }
}

impl core::error::Error for TxError {}

/// The output side of a parent interface, borrowed by
/// [`CarpIf::poll`](crate::carpif::CarpIf::poll) for the duration of one
/// call. See the [module docs](self) for the contract. Object-safe: `&mut
/// dyn Driver` works as well as generics.
pub trait Driver {
    /// Send one complete link-layer frame (header included, no FCS). The
    /// driver pads to the link's minimum length if the hardware needs it.
    /// Must not block: a full queue is [`TxError::NoBuffers`].
    ///
    /// # Errors
    /// [`TxError`] when the frame was not queued.
    fn transmit(&mut self, frame: &[u8]) -> Result<(), TxError>;

    /// Accept frames sent to the group (or functional) address `mac` from
    /// now on. Joins are counted: each is undone by one
    /// [`Driver::leave_multicast`].
    ///
    /// # Errors
    /// [`TxError`] when the filter could not be changed (carp carries on:
    /// many NICs run with all multicast accepted).
    fn join_multicast(&mut self, mac: MacAddr) -> Result<(), TxError>;

    /// Undo one [`Driver::join_multicast`] of `mac`.
    ///
    /// # Errors
    /// [`TxError`] when the filter could not be changed.
    fn leave_multicast(&mut self, mac: MacAddr) -> Result<(), TxError>;

    /// Accept (or stop accepting) unicast frames sent to `mac`, a virtual
    /// MAC of a vhid this host is MASTER of: clients send to it, and a NIC
    /// with a unicast filter would drop those frames otherwise (BSD
    /// programs the parent's filter for the carp address). Called on
    /// entering MASTER with `accept = true` and on leaving it with `false`.
    /// The default does nothing, for NICs that receive every frame or run
    /// promiscuous.
    ///
    /// # Errors
    /// [`TxError`] when the filter could not be changed (logged; carp
    /// carries on).
    fn set_unicast_filter(&mut self, mac: MacAddr, accept: bool) -> Result<(), TxError> {
        let _ = (mac, accept);
        Ok(())
    }

    /// Send one complete IPv4 or IPv6 packet (header included, checksums
    /// filled, TTL or hop limit 255) to its destination through the host's
    /// IP stack: route it, resolve the next hop and frame it from the
    /// parent's own MAC. carp calls it only for the adverts of a vhid with
    /// a unicast peer (see the [module docs](self)). Must not block. The
    /// default refuses with [`TxError::Unsupported`].
    ///
    /// # Errors
    /// [`TxError`] when the packet was not queued ([`TxError::NoRoute`]
    /// when the host cannot reach the destination).
    fn transmit_ip(&mut self, packet: &[u8]) -> Result<(), TxError> {
        let _ = packet;
        Err(TxError::Unsupported)
    }
}

impl<D: Driver + ?Sized> Driver for &mut D {
    fn transmit(&mut self, frame: &[u8]) -> Result<(), TxError> {
        (**self).transmit(frame)
    }
    fn join_multicast(&mut self, mac: MacAddr) -> Result<(), TxError> {
        (**self).join_multicast(mac)
    }
    fn leave_multicast(&mut self, mac: MacAddr) -> Result<(), TxError> {
        (**self).leave_multicast(mac)
    }
    fn set_unicast_filter(&mut self, mac: MacAddr, accept: bool) -> Result<(), TxError> {
        (**self).set_unicast_filter(mac, accept)
    }
    fn transmit_ip(&mut self, packet: &[u8]) -> Result<(), TxError> {
        (**self).transmit_ip(packet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;
    use std::vec::Vec;

    #[derive(Default)]
    struct Fake {
        sent: Vec<Vec<u8>>,
        groups: Vec<MacAddr>,
        full: bool,
    }

    impl Driver for Fake {
        fn transmit(&mut self, frame: &[u8]) -> Result<(), TxError> {
            if self.full {
                return Err(TxError::NoBuffers);
            }
            self.sent.push(frame.to_vec());
            Ok(())
        }
        fn join_multicast(&mut self, mac: MacAddr) -> Result<(), TxError> {
            self.groups.push(mac);
            Ok(())
        }
        fn leave_multicast(&mut self, mac: MacAddr) -> Result<(), TxError> {
            self.groups.retain(|g| *g != mac);
            Ok(())
        }
    }

    fn send_through(driver: &mut dyn Driver, frame: &[u8]) -> Result<(), TxError> {
        driver.join_multicast(LinkType::Ethernet.multicast_mac_v4())?;
        driver.set_unicast_filter(MacAddr([0, 0, 0x5e, 0, 1, 1]), true)?;
        driver.transmit(frame)
    }

    #[test]
    fn trait_objects_and_mut_refs_forward_to_the_driver() {
        let mut fake = Fake::default();
        {
            let mut by_ref = &mut fake;
            send_through(&mut by_ref, &[1, 2, 3]).unwrap();
        }
        assert_eq!(fake.sent, [vec![1, 2, 3]]);
        assert_eq!(fake.groups, [MacAddr([1, 0, 0x5e, 0, 0, 0x12])]);
        fake.leave_multicast(MacAddr([1, 0, 0x5e, 0, 0, 0x12]))
            .unwrap();
        assert!(fake.groups.is_empty());
        fake.full = true;
        assert_eq!(send_through(&mut fake, &[0]), Err(TxError::NoBuffers));
    }

    #[test]
    fn parent_info_builders_and_link_state() {
        let mac = MacAddr([2, 0, 0, 0, 0, 1]);
        let p = ParentInfo::ethernet(mac)
            .with_ipv4(Ipv4Addr::new(192, 0, 2, 1))
            .with_router(true)
            .with_link(LinkType::Fddi);
        assert_eq!(p.link, LinkType::Fddi);
        assert_eq!(p.ipv4, Some(Ipv4Addr::new(192, 0, 2, 1)));
        assert!(p.router && p.ipv6_link_local.is_none() && p.mtu == 1500);
        assert!(LinkState::from_up(true).is_up());
        assert!(!LinkState::from_up(false).is_up());
    }

    #[test]
    fn tx_errors_display() {
        assert_eq!(TxError::NoBuffers.to_string(), "no transmit buffers");
        assert_eq!(
            TxError::TooLong { len: 1600 }.to_string(),
            "frame of 1600 bytes too long for the link"
        );
    }
}
