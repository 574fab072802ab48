//! Clients: plain IPv4 hosts on the segment that ask who has a virtual
//! address and count which host answers, with which vhid.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use carp_ifnet::arp::{ArpOperation, ArpRepr};
use carp_ifnet::frame::{self, Body, MAX_FRAME_LEN};
use carp_ifnet::lladdr::{LinkType, MacAddr};

/// A client as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSpec {
    /// Name in timelines.
    pub name: String,
    /// Its MAC.
    pub mac: MacAddr,
    /// Its IPv4 address (arpbalance hashes it).
    pub ip: Ipv4Addr,
}

/// A client and what it heard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    spec: ClientSpec,
    requests: u64,
    answers: BTreeMap<(usize, u8), u64>,
    /// Answers to the latest request so far.
    current: u64,
    /// Requests answered by more than one host.
    multiple: u64,
    /// Requests answered at least once.
    answered: u64,
}

impl Client {
    /// A client that has asked nothing yet.
    pub fn new(spec: ClientSpec) -> Client {
        Client {
            spec,
            requests: 0,
            answers: BTreeMap::new(),
            current: 0,
            multiple: 0,
            answered: 0,
        }
    }

    /// Its configuration.
    pub fn spec(&self) -> &ClientSpec {
        &self.spec
    }
    /// ARP requests sent.
    pub fn requests(&self) -> u64 {
        self.requests
    }
    /// Requests that got at least one answer.
    pub fn answered(&self) -> u64 {
        self.answered
    }
    /// Requests that got more than one answer.
    pub fn answered_twice(&self) -> u64 {
        self.multiple
    }
    /// Answers by (host index, vhid).
    pub fn answers(&self) -> &BTreeMap<(usize, u8), u64> {
        &self.answers
    }

    /// The broadcast ARP request for `target`, counted as sent.
    pub(crate) fn request(&mut self, link: LinkType, target: Ipv4Addr) -> Option<Vec<u8>> {
        let arp = ArpRepr {
            operation: ArpOperation::Request,
            sender_mac: self.spec.mac,
            sender_ip: self.spec.ip,
            target_mac: MacAddr::ZERO,
            target_ip: target,
        };
        let mut buf = [0u8; MAX_FRAME_LEN];
        let len = arp
            .emit_frame(link, MacAddr::BROADCAST, self.spec.mac, &mut buf)
            .ok()?;
        self.requests += 1;
        self.current = 0;
        buf.get(..len).map(<[u8]>::to_vec)
    }

    /// The MAC an ARP reply to this client says its sender is at, if
    /// `frame` is one.
    pub(crate) fn answer_in(&self, link: LinkType, frame: &[u8]) -> Option<MacAddr> {
        let parsed = frame::parse(link, frame).ok()?;
        match parsed.body {
            Body::Arp(arp)
                if arp.operation == ArpOperation::Reply
                    && arp.target_ip == self.spec.ip
                    && parsed.dst == self.spec.mac =>
            {
                Some(arp.sender_mac)
            }
            _ => None,
        }
    }

    pub(crate) fn count_answer(&mut self, host: usize, vhid: u8) {
        *self.answers.entry((host, vhid)).or_insert(0) += 1;
        self.current += 1;
        match self.current {
            1 => self.answered += 1,
            2 => self.multiple += 1,
            _ => {}
        }
    }
}
