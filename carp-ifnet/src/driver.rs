//! The ifnet-like trait a parent interface implements for carp.
//!
//! Small on purpose, in the shape of embassy's `embassy-net-driver`: carp
//! needs the parent's link type, addresses, MTU and link state, a way to send
//! one whole link-layer frame, and a multicast filter. Received frames are
//! handed to carp by the embedder (no callbacks up the stack). The trait is
//! object-safe, so `&mut dyn Driver` works as well as generics.

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use crate::lladdr::{LinkType, MacAddr};

/// Whether the parent's link (carrier) is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkState {
    /// Carrier present: frames can be sent and received.
    Up,
    /// No carrier: carp vhosts on this parent go to INIT.
    Down,
}

/// Why the driver could not send a frame or change its multicast filter.
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
    /// Any other driver failure (no more multicast filter slots, hardware error).
    Other,
}

impl fmt::Display for TxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TxError::NoBuffers => f.write_str("no transmit buffers"),
            TxError::LinkDown => f.write_str("link down"),
            TxError::TooLong { len } => write!(f, "frame of {len} bytes too long for the link"),
            TxError::Other => f.write_str("driver error"),
        }
    }
}

impl core::error::Error for TxError {}

/// A parent interface ("carpdev") as carp sees it.
///
/// Every method is cheap and non-blocking. Addresses are the parent's own,
/// never the virtual ones carp manages.
pub trait Driver {
    /// Framing of the link; decides the virtual MAC and the frame layout.
    fn link_type(&self) -> LinkType;

    /// The parent's own hardware address.
    fn hw_addr(&self) -> MacAddr;

    /// Largest IP packet the link carries, in bytes (1500 on Ethernet).
    fn mtu(&self) -> usize;

    /// Current carrier state.
    fn link_state(&self) -> LinkState;

    /// The parent's own IPv4 address: source of IPv4 adverts, and how an
    /// advert looped back to us is recognised. `None` if it has none.
    fn ipv4_addr(&self) -> Option<Ipv4Addr>;

    /// The parent's own IPv6 link-local address: source of IPv6 adverts.
    fn ipv6_link_local(&self) -> Option<Ipv6Addr>;

    /// Send one complete link-layer frame (header included, no FCS). The
    /// driver pads to the link's minimum length if the hardware needs it.
    ///
    /// # Errors
    /// [`TxError`] when the frame was not queued; [`TxError::NoBuffers`] is
    /// the one counted as `onomem`.
    fn transmit(&mut self, frame: &[u8]) -> Result<(), TxError>;

    /// Accept frames sent to the group (or functional) address `mac` from now on.
    ///
    /// # Errors
    /// [`TxError`] when the filter could not be changed.
    fn join_multicast(&mut self, mac: MacAddr) -> Result<(), TxError>;

    /// Stop accepting frames sent to `mac` (undoes one [`Driver::join_multicast`]).
    ///
    /// # Errors
    /// [`TxError`] when the filter could not be changed.
    fn leave_multicast(&mut self, mac: MacAddr) -> Result<(), TxError>;
}

impl<D: Driver + ?Sized> Driver for &mut D {
    fn link_type(&self) -> LinkType {
        (**self).link_type()
    }
    fn hw_addr(&self) -> MacAddr {
        (**self).hw_addr()
    }
    fn mtu(&self) -> usize {
        (**self).mtu()
    }
    fn link_state(&self) -> LinkState {
        (**self).link_state()
    }
    fn ipv4_addr(&self) -> Option<Ipv4Addr> {
        (**self).ipv4_addr()
    }
    fn ipv6_link_local(&self) -> Option<Ipv6Addr> {
        (**self).ipv6_link_local()
    }
    fn transmit(&mut self, frame: &[u8]) -> Result<(), TxError> {
        (**self).transmit(frame)
    }
    fn join_multicast(&mut self, mac: MacAddr) -> Result<(), TxError> {
        (**self).join_multicast(mac)
    }
    fn leave_multicast(&mut self, mac: MacAddr) -> Result<(), TxError> {
        (**self).leave_multicast(mac)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;
    use std::vec::Vec;

    struct Fake {
        sent: Vec<Vec<u8>>,
        groups: Vec<MacAddr>,
        full: bool,
    }

    impl Driver for Fake {
        fn link_type(&self) -> LinkType {
            LinkType::Ethernet
        }
        fn hw_addr(&self) -> MacAddr {
            MacAddr([0xa2, 0x22, 0x75, 0x58, 0xbc, 0x15])
        }
        fn mtu(&self) -> usize {
            1500
        }
        fn link_state(&self) -> LinkState {
            LinkState::Up
        }
        fn ipv4_addr(&self) -> Option<Ipv4Addr> {
            Some(Ipv4Addr::new(192, 0, 2, 11))
        }
        fn ipv6_link_local(&self) -> Option<Ipv6Addr> {
            None
        }
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
        driver.join_multicast(driver.link_type().multicast_mac_v4())?;
        driver.transmit(frame)
    }

    #[test]
    fn trait_objects_and_mut_refs_forward_to_the_driver() {
        let mut fake = Fake {
            sent: Vec::new(),
            groups: Vec::new(),
            full: false,
        };
        {
            let mut by_ref = &mut fake;
            send_through(&mut by_ref, &[1, 2, 3]).unwrap();
            assert_eq!(by_ref.ipv4_addr(), Some(Ipv4Addr::new(192, 0, 2, 11)));
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
    fn tx_errors_display() {
        assert_eq!(TxError::NoBuffers.to_string(), "no transmit buffers");
        assert_eq!(
            TxError::TooLong { len: 1600 }.to_string(),
            "frame of 1600 bytes too long for the link"
        );
    }
}
