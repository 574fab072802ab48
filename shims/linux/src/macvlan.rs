//! Keeping the macvlans' multicast and broadcast out of a kernel work queue.
//!
//! Linux's macvlan driver (`drivers/net/macvlan.c`) hands every broadcast
//! frame, and every multicast frame whose hash is in the port's
//! `bc_filter`, to `macvlan_broadcast_enqueue`: the frame is cloned, queued
//! on the port and delivered to the macvlans later by
//! `macvlan_process_broadcast` in a kworker of `system_unbound_wq` (commit
//! 412ca1550cbe, "macvlan: Move broadcasts into a work queue", Linux 3.18).
//! Two things make every CARP advert take that path on a carp host:
//!
//! * the parent turns promiscuous as soon as a macvlan with a MAC of its own
//!   is up on a device without unicast filtering (veth, many virtual NICs:
//!   `dev_uc_add` in `macvlan_open`), and `macvlan_compute_filter` then
//!   fills the whole `bc_filter`;
//! * `bc_filter` is only recomputed when a macvlan's receive mode changes,
//!   so it stays full after the master's macvlan goes down again.
//!
//! Measured on Linux 6.18 in network namespaces: 3 to 6 µs of kworker time
//! per multicast frame on the parent, also for frames nobody wants (a
//! forged-advert flood), and the queue work is scheduled even when the
//! queue is full (`bcqueuelen 0` only drops the clone).
//!
//! Linux 6.4 added `IFLA_MACVLAN_BC_CUTOFF` (Herbert Xu, "macvlan: Add
//! netlink attribute for broadcast cutoff"; `bclim` in ip-link(8)): with a
//! negative cutoff `macvlan_recompute_bc_filter` empties `bc_filter` and
//! every broadcast or multicast frame is delivered in the receive softirq,
//! cloned only for the up macvlans whose own filter holds its address. carpd
//! sets it to -1 on the macvlans it creates. The cutoff belongs to the
//! *port*, so it applies to every macvlan on that parent (such as a
//! container's): their broadcasts are delivered synchronously too, which is
//! what the work queue was meant to avoid with thousands of macvlans.
//!
//! Older kernels ignore the attribute (the macvlan policy of 5.x parses
//! `IFLA_INFO_DATA` leniently); [`BroadcastQueue::Kept`] reports it, read
//! back from the kernel. There, each broadcast and each frame to a group the
//! parent joined goes through the work queue; `--no-addresses` avoids the
//! macvlans altogether.

use std::io;

use netlink_packet_route::link::{
    InfoData, InfoKind, InfoMacVlan, LinkAttribute, LinkInfo, LinkMessage,
};

/// The cutoff that disables the broadcast queue (`bclim -1`).
pub const BC_CUTOFF_OFF: i32 = -1;

/// What the kernel made of the request to stop queueing broadcasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BroadcastQueue {
    /// The port's cutoff reads back as [`BC_CUTOFF_OFF`]: no work queue.
    Off,
    /// The kernel reports no cutoff (Linux before 6.4) or another value:
    /// broadcast and multicast still go through the kworker.
    Kept {
        /// The cutoff the kernel reports, if any.
        cutoff: Option<i32>,
    },
}

/// The `IFLA_LINKINFO` that sets the port's cutoff on a macvlan, for a
/// `RTM_NEWLINK` that creates it or a `RTM_SETLINK` that changes it.
pub fn cutoff_link_info(mode: Option<InfoMacVlan>) -> LinkAttribute {
    let mut data = Vec::with_capacity(2);
    data.extend(mode);
    data.push(InfoMacVlan::BcCutoff(BC_CUTOFF_OFF));
    LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(InfoKind::MacVlan),
        LinkInfo::Data(InfoData::MacVlan(data)),
    ])
}

/// A `RTM_NEWLINK` changing an existing macvlan `index`'s port cutoff.
pub fn set_cutoff_message(index: u32) -> LinkMessage {
    let mut msg = LinkMessage::default();
    msg.header.index = index;
    msg.attributes.push(cutoff_link_info(None));
    msg
}

/// Reads the port's cutoff from a macvlan's `RTM_NEWLINK` (a get reply).
pub fn broadcast_queue(link: &LinkMessage) -> BroadcastQueue {
    let cutoff = link.attributes.iter().find_map(|attr| match attr {
        LinkAttribute::LinkInfo(infos) => infos.iter().find_map(|info| match info {
            LinkInfo::Data(InfoData::MacVlan(data)) => data.iter().find_map(|d| match d {
                InfoMacVlan::BcCutoff(c) => Some(*c),
                _ => None,
            }),
            _ => None,
        }),
        _ => None,
    });
    match cutoff {
        Some(BC_CUTOFF_OFF) => BroadcastQueue::Off,
        cutoff => BroadcastQueue::Kept { cutoff },
    }
}

/// Turns a [`BroadcastQueue::Kept`] into the warning carpd prints once.
pub fn warning(name: &str, queue: BroadcastQueue) -> Option<String> {
    match queue {
        BroadcastQueue::Off => None,
        BroadcastQueue::Kept { cutoff } => Some(format!(
            "{name}: the kernel kept the macvlan broadcast queue (bc_cutoff {}; Linux 6.4 and \
             later accept -1): every broadcast and multicast frame on the parent costs a \
             kworker wake-up; --no-addresses avoids the macvlans",
            cutoff.map_or_else(|| "unsupported".to_owned(), |c| c.to_string())
        )),
    }
}

/// Errors that mean "this kernel has no such attribute" rather than a
/// failure of the link itself.
pub fn is_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EOPNOTSUPP | libc::EINVAL | libc::ERANGE)
    )
}

#[cfg(test)]
mod tests {
    use netlink_packet_core::{Emitable, Parseable};

    use super::*;

    fn round_trip(msg: &LinkMessage) -> LinkMessage {
        let mut buf = vec![0u8; msg.buffer_len()];
        msg.emit(&mut buf);
        LinkMessage::parse(&buf[..]).unwrap()
    }

    #[test]
    fn the_request_carries_bc_cutoff_minus_one_as_attribute_9() {
        let msg = set_cutoff_message(7);
        let mut buf = vec![0u8; msg.buffer_len()];
        msg.emit(&mut buf);
        // IFLA_MACVLAN_BC_CUTOFF is 9 in include/uapi/linux/if_link.h; an
        // s32 attribute is 8 bytes: length 8, type 9, value -1.
        let attr = [8u8, 0, 9, 0, 0xff, 0xff, 0xff, 0xff];
        assert!(buf.windows(attr.len()).any(|w| w == attr), "{buf:02x?}");
        assert_eq!(broadcast_queue(&round_trip(&msg)), BroadcastQueue::Off);
    }

    #[test]
    fn a_reply_without_the_attribute_is_an_older_kernel() {
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::MacVlan),
            LinkInfo::Data(InfoData::MacVlan(vec![InfoMacVlan::BcQueueLen(1000)])),
        ]));
        let q = broadcast_queue(&round_trip(&msg));
        assert_eq!(q, BroadcastQueue::Kept { cutoff: None });
        assert!(warning("carp1-eth0", q).unwrap().contains("unsupported"));
        assert_eq!(warning("carp1-eth0", BroadcastQueue::Off), None);
    }

    #[test]
    fn another_cutoff_keeps_the_queue() {
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::MacVlan),
            LinkInfo::Data(InfoData::MacVlan(vec![InfoMacVlan::BcCutoff(1)])),
        ]));
        assert_eq!(
            broadcast_queue(&round_trip(&msg)),
            BroadcastQueue::Kept { cutoff: Some(1) }
        );
    }
}
