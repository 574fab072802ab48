//! Which virtual addresses go on a vhid's macvlan, and with which route.
//!
//! A MASTER's virtual addresses live on its macvlan (see [`crate::vmac`]),
//! with the prefix lengths the configuration gave
//! ([`carp_ctl::Parent::prefix_lens`]). How the master reaches the
//! clients depends on the parent:
//!
//! * the parent has an address in the virtual address's subnet: the
//!   address goes on without a prefix route (`noprefixroute`); the
//!   parent's own route carries the replies, as before carp took over;
//! * it has none (an IPv4 parent without an address in that subnet, or an
//!   IPv6 parent with only its link-local address): the address brings its
//!   prefix route along, through the macvlan, at metric
//!   [`ROUTE_METRIC`] (above the kernel's 0 and 256, so a route of the
//!   parent's own, if one appears, still wins). Without it the master
//!   could receive from clients but never answer them.

use std::net::IpAddr;

use carp_ctl::Parent;

/// Metric of the prefix routes carpd adds through a macvlan.
pub const ROUTE_METRIC: u32 = 1024;

/// One address as it goes on the macvlan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Planned {
    /// The virtual address.
    pub addr: IpAddr,
    /// Its prefix length.
    pub prefix_len: u8,
    /// `Some(metric)`: with its prefix route at that metric; `None`:
    /// `noprefixroute`.
    pub route_metric: Option<u32>,
}

/// The addresses of `vhid` on `parent` as they go on its macvlan, given
/// the parent's own addresses (with prefix lengths).
pub fn plan<const N: usize>(
    parent: &Parent<N>,
    vhid: u8,
    parent_addrs: &[(IpAddr, u8)],
) -> Vec<Planned> {
    let Some(host) = parent.carpif().vhost(vhid) else {
        return Vec::new();
    };
    host.config()
        .addresses()
        .iter()
        .zip(parent.prefix_lens(vhid))
        .map(|(addr, len)| Planned {
            addr: *addr,
            prefix_len: *len,
            route_metric: (!on_link(*addr, parent_addrs)).then_some(ROUTE_METRIC),
        })
        .collect()
}

/// True when one of `parent_addrs` (address/prefix) has `addr` in its
/// subnet, so the parent already routes to `addr`'s neighbours.
pub fn on_link(addr: IpAddr, parent_addrs: &[(IpAddr, u8)]) -> bool {
    parent_addrs
        .iter()
        .any(|(own, len)| same_prefix(addr, *own, *len))
}

fn same_prefix(a: IpAddr, b: IpAddr, len: u8) -> bool {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(len.min(32)))
                .unwrap_or(0);
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(len.min(128)))
                .unwrap_or(0);
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carp_core::Instant;
    use carp_ctl::Engine;
    use carp_ifnet::driver::{LinkState, ParentInfo};
    use carp_ifnet::lladdr::MacAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_parent_with_an_address_in_the_subnet_routes_for_the_virtual_address() {
        let own = [(ip("192.0.2.11"), 24), (ip("fe80::1"), 64)];
        assert!(on_link(ip("192.0.2.100"), &own));
        assert!(!on_link(ip("198.51.100.1"), &own));
        assert!(!on_link(ip("2001:db8::100"), &own), "link-local only");
        assert!(on_link(ip("2001:db8::100"), &[(ip("2001:db8::11"), 64)]));
        assert!(!on_link(ip("2001:db8:1::100"), &[(ip("2001:db8::11"), 64)]));
        assert!(
            on_link(ip("10.1.2.3"), &[(ip("10.9.9.9"), 0)]),
            "a /0 covers all"
        );
    }

    #[test]
    fn the_plan_keeps_the_configured_prefixes_and_routes_what_the_parent_does_not() {
        let mut e: Engine<Vec<Box<Parent<255>>>, 255, 64> = Engine::new(Vec::new());
        let info = ParentInfo::ethernet(MacAddr([2, 0, 0, 0, 0, 1]));
        let id = e.add_parent("eth0", info, LinkState::Up).unwrap();
        e.ifconfig(
            Instant::ZERO,
            "eth0",
            "vhid 3 pass x 192.0.2.100/25 198.51.100.7/24 2001:db8::7/64",
        )
        .unwrap();
        let p = e.parent(id).unwrap();
        let plan = plan(p, 3, &[(ip("192.0.2.11"), 24)]);
        assert_eq!(
            plan,
            [
                Planned {
                    addr: ip("192.0.2.100"),
                    prefix_len: 25,
                    route_metric: None
                },
                Planned {
                    addr: ip("198.51.100.7"),
                    prefix_len: 24,
                    route_metric: Some(ROUTE_METRIC)
                },
                Planned {
                    addr: ip("2001:db8::7"),
                    prefix_len: 64,
                    route_metric: Some(ROUTE_METRIC)
                },
            ]
        );
        assert!(super::plan(p, 4, &[]).is_empty(), "no such vhid");
    }
}
