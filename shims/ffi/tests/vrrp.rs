//! The C ABI with a VRRPv3 vhid and a unicast peer: the words, the
//! `transmit_ip` callback, the grown `carp_req`, the status and the
//! `badpeer` counter, as a C caller sees them.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::undocumented_unsafe_blocks
)]

mod common;

use carp_ffi::*;
use common::Host;

#[test]
fn a_vrrp_owner_with_a_unicast_peer_sends_through_transmit_ip() {
    let h = Host::new();
    h.ifconfig(
        0,
        "em0",
        "vhid 1 carpver 3 vrrpprio 255 peer 192.0.2.2 add 192.0.2.100/32",
    );
    h.poll(0);
    // The owner is MASTER at once and its advert went to the IP stack.
    assert_eq!(h.state(h.em0(), 1), CARP_STATE_MASTER);
    let packet = &h.nics[0].ip_sent[0];
    assert_eq!(packet[0] >> 4, 4);
    assert_eq!((packet[8], packet[9]), (255, 112), "TTL 255, protocol 112");
    assert_eq!(packet[16..20], [192, 0, 2, 2], "to the peer");
    assert_eq!(
        packet[20..24],
        [0x31, 1, 255, 1],
        "VRRPv3, vrid 1, priority 255"
    );
    assert!(common::adverts(&h.nics[0]).is_empty(), "nothing multicast");
    let status = h.status("em0");
    assert!(
        status.contains("\tvrrp: MASTER vrid 1 prio 255 interval 100\n"),
        "{status}"
    );
    assert!(
        status.contains("\t      peer 192.0.2.2 peer6 ff02::12\n"),
        "{status}"
    );
    let req = h.carpreq("em0", 1);
    assert_eq!(
        (req.version, req.vrrp_priority, req.vrrp_interval),
        (3, 255, 100)
    );
    assert_eq!(req.peer, [192, 0, 2, 2]);
    assert_ne!(req.flags & (1 << 2), 0, "FLAG_PEER");
}
