//! The socket filter program, generated from a [`FilterSpec`].
//!
//! The rule: **drop a frame only when the verdict of carp's input path on
//! it is certain, and count it exactly as that path would.** The checks
//! below replay `carp_ifnet::carpif::CarpIf::input` (OpenBSD
//! `carp_proto_input` order) on the frame's first bytes: IPv4 header
//! checksum (a bad one is not CARP's to count), fragments (passed), then
//! the TTL or hop limit, the length, the CARP checksum, the source address
//! and the vhid. Anything the program is not sure about (IP options, a
//! CARP payload longer than 36 bytes, a short frame, a disabled carp, no
//! vhid yet) goes to user space, where the library decides and counts.
//!
//! Two FreeBSD 14 additions of the input path are replayed too:
//!
//! * a payload of version 3 is VRRPv3 and takes the library's VRRP order
//!   (`carp_ifnet` `input_vrrp`): the message length with the addresses it
//!   counts (`badlen`), the vhid (`badvhid`), then the vhid's
//!   personality: one for a running CARP vhid is `badver`; one for a VRRP
//!   vhid goes up, where the library checks its TTL and pseudo-header
//!   checksum, and so does one for a vhid in INIT, which the library
//!   counts as `badvhid` (the filter is regenerated on every state change,
//!   so it knows which vhids run);
//! * while a vhid of the parent has a unicast peer of the family, the TTL
//!   is not checked here: a routed peer's adverts arrive with TTL 254 and
//!   the library decides per vhid, after the vhid lookup.
//!
//! Dropped CARP frames bump `ipackets`/`ipackets6` and the reason's
//! counter in a per-CPU map ([`Slot`]); frames that are not CARP's at all
//! (other protocols, ARP and neighbour solicitations for addresses that
//! are not virtual) are dropped and counted under [`Slot::NotCarp`], which
//! the library would have ignored without counting. Our own transmissions
//! (`PACKET_OUTGOING`) are dropped uncounted, as the classic filter did.
//!
//! The rules follow `carp_ifnet`'s input path exactly; when that changes
//! (a check added, moved or relaxed), `tests/tests/socket_filter.rs`, which
//! runs this program in the kernel against the library frame by frame,
//! fails until this file follows.
//!
//! Frame bytes are copied to the stack with `bpf_skb_load_bytes_relative`
//! from the MAC header (Linux 4.18), which reads the frame the same way on
//! a packet socket and under `BPF_PROG_TEST_RUN`. The copy starts at
//! `fp - 130` so that the IP header and the CARP header are 4-aligned: the
//! verifier rejects misaligned stack loads.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::RawFd;

use carp_core::Counter;

use super::ebpf::{
    Alu, Asm, AsmError, Cond, Helper, Insn, Label, Reg, Size, FP, R0, R1, R2, R3, R4, R5, R6, R7,
    R8, R9,
};

/// The vhids a filter lets through (a 256-bit set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VhidSet([u64; 4]);

impl VhidSet {
    /// Adds `vhid`.
    pub fn insert(&mut self, vhid: u8) {
        if let Some(w) = self.0.get_mut(usize::from(vhid >> 6)) {
            *w |= 1 << (vhid & 63);
        }
    }

    /// True when `vhid` is in the set.
    pub fn contains(&self, vhid: u8) -> bool {
        self.0
            .get(usize::from(vhid >> 6))
            .is_some_and(|w| w >> (vhid & 63) & 1 == 1)
    }

    /// True when no vhid is in the set.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    fn words(&self) -> [u64; 4] {
        self.0
    }
}

impl FromIterator<u8> for VhidSet {
    fn from_iter<I: IntoIterator<Item = u8>>(iter: I) -> VhidSet {
        let mut set = VhidSet::default();
        for v in iter {
            set.insert(v);
        }
        set
    }
}

/// What the filter is generated from: the parent's running configuration
/// as plain data. Regenerate the filter whenever any of it changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterSpec {
    /// `net.inet.carp.allow`: when false every CARP frame goes up (the
    /// library counts it under `disabled`).
    pub allow: bool,
    /// The vhids configured on this parent (any state: the library counts
    /// a vhid in INIT as `badvhid` itself).
    pub vhids: VhidSet,
    /// Virtual IPv4 addresses: ARP requests for them go up.
    pub ipv4: Vec<Ipv4Addr>,
    /// Virtual IPv6 addresses: neighbour solicitations for them go up.
    pub ipv6: Vec<Ipv6Addr>,
    /// The CARP vhids not in INIT: a VRRPv3 advert for one of them is
    /// `badver` for certain (for a vhid in INIT it is `badvhid`).
    pub carp_running: VhidSet,
    /// Some vhid has an IPv4 unicast peer: IPv4 TTLs are left to the
    /// library.
    pub unicast_v4: bool,
    /// Some vhid has an IPv6 unicast peer: hop limits are left to the
    /// library.
    pub unicast_v6: bool,
}

/// The counters of the filter's map, by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// CARP over IPv4 dropped in the kernel (BSD `ipackets`).
    Ipackets,
    /// CARP over IPv6 dropped in the kernel (`ipackets6`).
    Ipackets6,
    /// TTL or hop limit not 255.
    Badttl,
    /// Fewer than 36 bytes of CARP.
    Badlen,
    /// Bad CARP checksum.
    Badsum,
    /// Multicast or broadcast source (or :: over IPv6).
    Badaddrs,
    /// A vhid not configured on this parent.
    Badvhid,
    /// A VRRPv3 advert for a running CARP vhid.
    Badver,
    /// Not CARP's: other traffic, ARP and ND for other addresses.
    NotCarp,
    /// Frames let through to the ring.
    Passed,
}

impl Slot {
    /// Every slot, in map order.
    pub const ALL: [Slot; 10] = [
        Slot::Ipackets,
        Slot::Ipackets6,
        Slot::Badttl,
        Slot::Badlen,
        Slot::Badsum,
        Slot::Badaddrs,
        Slot::Badvhid,
        Slot::Badver,
        Slot::NotCarp,
        Slot::Passed,
    ];

    /// The carp counter this slot adds to, if it is one.
    pub const fn counter(self) -> Option<Counter> {
        match self {
            Slot::Ipackets => Some(Counter::Ipackets),
            Slot::Ipackets6 => Some(Counter::Ipackets6),
            Slot::Badttl => Some(Counter::Badttl),
            Slot::Badlen => Some(Counter::Badlen),
            Slot::Badsum => Some(Counter::Badsum),
            Slot::Badaddrs => Some(Counter::Badaddrs),
            Slot::Badvhid => Some(Counter::Badvhid),
            Slot::Badver => Some(Counter::Badver),
            Slot::NotCarp | Slot::Passed => None,
        }
    }
}

/// `struct __sk_buff` offsets.
const SKB_PKT_TYPE: i16 = 4;
const SKB_PROTOCOL: i16 = 16;
/// `PACKET_OUTGOING`.
const PACKET_OUTGOING: i32 = 4;
/// `BPF_HDR_START_MAC`.
const HDR_START_MAC: i32 = 0;
/// Where frame byte 0 is copied, relative to the frame pointer.
const BUF: i16 = -130;
/// Where the counter key is built.
const KEY: i16 = -4;
/// What a pass returns: keep the whole frame.
const KEEP: u32 = u32::MAX;

const ETH: usize = 14;
const CARP_LEN: usize = 36;
/// The fixed VRRPv3 header, before the addresses (RFC 9568 5.1).
const VRRP_HEADER_LEN: i32 = 8;
const PROTO_CARP: i32 = 112;
const PROTO_ICMPV6: i32 = 58;
const ND_SOLICIT: i32 = 135;

/// A 16-bit wire value as a native load of its bytes reads it.
fn wire16(v: u16) -> i32 {
    i32::from(u16::from_ne_bytes(v.to_be_bytes()))
}

/// A 32-bit wire value as a native load of its bytes reads it.
fn wire32(bytes: [u8; 4]) -> u32 {
    u32::from_ne_bytes(bytes)
}

/// The stack offset of frame byte `at`.
fn at(at: usize) -> i16 {
    BUF + i16::try_from(at).unwrap_or(i16::MAX)
}

struct Gen {
    a: Asm,
    map: RawFd,
}

impl Gen {
    /// `map[slot] += 1` on this CPU; clobbers r0..r5.
    fn count(&mut self, slot: Slot) {
        let a = &mut self.a;
        let skip = a.label();
        a.store_imm(Size::W, FP, KEY, slot as i32);
        a.load_map(R1, self.map);
        a.alu_reg(Alu::Mov, R2, FP);
        a.alu_imm(Alu::Add, R2, i32::from(KEY));
        a.call(Helper::MapLookupElem);
        a.jump_imm(Cond::Eq, R0, 0, skip);
        a.load(Size::Dw, R1, R0, 0);
        a.alu_imm(Alu::Add, R1, 1);
        a.store(Size::Dw, R0, 0, R1);
        a.bind(skip);
    }

    /// Copies the frame's first `r4` bytes (set by the caller) to the
    /// stack; a frame shorter than that goes to `short`.
    fn load_r4(&mut self, short: Label) {
        let a = &mut self.a;
        a.alu_reg(Alu::Mov, R1, R6);
        a.mov32(R2, 0);
        a.alu_reg(Alu::Mov, R3, FP);
        a.alu_imm(Alu::Add, R3, i32::from(BUF));
        a.mov32(R5, HDR_START_MAC as u32);
        a.call(Helper::SkbLoadBytesRelative);
        a.jump_imm(Cond::Ne, R0, 0, short);
    }

    fn load(&mut self, len: usize, short: Label) {
        self.a.mov32(R4, u32::try_from(len).unwrap_or(0));
        self.load_r4(short);
    }

    /// Jumps to `bad` unless the 16-bit one's complement sum of the
    /// `words` 32-bit words at frame byte `from` is 0xffff (RFC 1071: a
    /// correct checksum field makes it so; grouping by 32 bits and reading
    /// in host order do not change that). Clobbers r1, r2.
    fn checksum(&mut self, from: usize, words: usize, bad: Label) {
        let a = &mut self.a;
        a.mov32(R2, 0);
        for i in 0..words {
            a.load(Size::W, R1, FP, at(from + 4 * i));
            a.alu_reg(Alu::Add, R2, R1);
        }
        for _ in 0..2 {
            a.alu_reg(Alu::Mov, R1, R2);
            a.alu_imm(Alu::Rsh, R1, 32);
            a.alu_imm(Alu::Lsh, R2, 32);
            a.alu_imm(Alu::Rsh, R2, 32);
            a.alu_reg(Alu::Add, R2, R1);
        }
        for _ in 0..2 {
            a.alu_reg(Alu::Mov, R1, R2);
            a.alu_imm(Alu::Rsh, R1, 16);
            a.alu_imm(Alu::And, R2, 0xffff);
            a.alu_reg(Alu::Add, R2, R1);
        }
        a.jump_imm(Cond::Ne, R2, 0xffff, bad);
    }

    /// Jumps to `bad` unless the vhid at frame byte `from` is in `set`.
    fn vhid_in(&mut self, set: &VhidSet, from: usize, bad: Label) {
        self.vhid_test(set, from, bad, false);
    }

    /// Jumps to `target` when the vhid at frame byte `from` is in `set`
    /// (`when_in`) or is not (`!when_in`); falls through otherwise.
    fn vhid_test(&mut self, set: &VhidSet, from: usize, target: Label, when_in: bool) {
        let a = &mut self.a;
        let (test, done) = (a.label(), a.label());
        a.load(Size::B, R1, FP, at(from));
        a.alu_reg(Alu::Mov, R2, R1);
        a.alu_imm(Alu::Rsh, R2, 6);
        a.alu_imm(Alu::And, R1, 63);
        let words = set.words();
        let mut next = a.label();
        for (i, word) in words.iter().enumerate() {
            a.bind(next);
            next = a.label();
            a.jump_imm(Cond::Ne, R2, i32::try_from(i).unwrap_or(0), next);
            a.load_imm64(R3, *word);
            a.jump(test);
        }
        // A byte's top two bits pick one of the four words: not reached.
        a.bind(next);
        a.jump(if when_in { done } else { target });
        a.bind(test);
        a.alu_reg(Alu::Rsh, R3, R1);
        a.alu_imm(Alu::And, R3, 1);
        let cond = if when_in { Cond::Ne } else { Cond::Eq };
        a.jump_imm(cond, R3, 0, target);
        a.bind(done);
    }

    /// Jumps to `hit` when the `N` 4-byte words at frame byte `from`
    /// equal one of `targets`. The words are loaded once, into r1, r7, r8
    /// and r9; each target then costs two instructions per word and a jump.
    fn matches<const N: usize>(&mut self, from: usize, targets: &[[u32; N]], hit: Label) {
        const HELD: [Reg; 4] = [R1, R7, R8, R9];
        let a = &mut self.a;
        for (i, reg) in HELD.iter().take(N).enumerate() {
            a.load(Size::W, *reg, FP, at(from + 4 * i));
        }
        for words in targets {
            let miss = a.label();
            for (w, reg) in words.iter().zip(HELD) {
                a.mov32(R2, *w);
                a.jump_reg(Cond::Ne, reg, R2, miss);
            }
            a.jump(hit);
            a.bind(miss);
        }
    }
}

/// Labels of the drop tails of one address family.
struct Drops {
    /// `None` when the TTL is left to the library (unicast peers).
    ttl: Option<Label>,
    len: Label,
    sum: Label,
    addr: Label,
    vhid: Label,
    ver: Label,
}

impl Drops {
    fn new(a: &mut Asm, check_ttl: bool) -> Drops {
        Drops {
            ttl: check_ttl.then(|| a.label()),
            len: a.label(),
            sum: a.label(),
            addr: a.label(),
            vhid: a.label(),
            ver: a.label(),
        }
    }

    fn emit(&self, g: &mut Gen, received: Slot) {
        let ttl = self.ttl.map(|t| (t, Slot::Badttl));
        for (label, slot) in ttl.into_iter().chain([
            (self.len, Slot::Badlen),
            (self.sum, Slot::Badsum),
            (self.addr, Slot::Badaddrs),
            (self.vhid, Slot::Badvhid),
            (self.ver, Slot::Badver),
        ]) {
            g.a.bind(label);
            g.count(received);
            g.count(slot);
            g.a.mov32(R0, 0);
            g.a.exit();
        }
    }
}

/// The IPv4 CARP checks, after the protocol byte said 112 (`r1`..`r5`
/// free, the first 34 frame bytes on the stack).
fn ipv4_checks(g: &mut Gen, spec: &FilterSpec, drop: &Drops, pass: Label, not_carp: Label) {
    // The header as `Ipv4Repr::parse` checks it: no options (else the
    // library decides), total length within the frame, header checksum.
    g.a.load(Size::B, R1, FP, at(ETH));
    g.a.jump_imm(Cond::Ne, R1, 0x45, pass);
    g.a.load(Size::H, R4, FP, at(ETH + 2));
    g.a.be16(R4);
    g.a.jump_imm(Cond::Lt, R4, 20, pass);
    g.a.jump_imm(Cond::Gt, R4, 20 + CARP_LEN as i32, pass);
    g.a.alu_imm(Alu::Add, R4, ETH as i32);
    g.load_r4(pass);
    g.checksum(ETH, 5, not_carp);
    // Fragments are `hdrops` to the library: let it count them.
    g.a.load(Size::H, R1, FP, at(ETH + 6));
    g.a.be16(R1);
    g.a.alu_imm(Alu::And, R1, 0x3fff);
    g.a.jump_imm(Cond::Ne, R1, 0, pass);
    // Version 3: the VRRPv3 checks, before the TTL (`carp_input`
    // dispatches on the version nibble).
    let carp = g.a.label();
    g.a.load(Size::H, R3, FP, at(ETH + 2));
    g.a.be16(R3);
    g.a.alu_imm(Alu::Sub, R3, 20);
    vrrp_dispatch(g, spec, drop, pass, carp, ETH + 20, 2);
    g.a.bind(carp);
    // carp_input: TTL (here only without unicast peers), length,
    // checksum, source, vhid.
    if let Some(bad_ttl) = drop.ttl {
        g.a.load(Size::B, R1, FP, at(ETH + 8));
        g.a.jump_imm(Cond::Ne, R1, 255, bad_ttl);
    }
    g.a.load(Size::H, R1, FP, at(ETH + 2));
    g.a.be16(R1);
    g.a.jump_imm(Cond::Lt, R1, 20 + CARP_LEN as i32, drop.len);
    g.checksum(ETH + 20, CARP_LEN / 4, drop.sum);
    // Source: not multicast (224/4) or broadcast. 0.0.0.0 is a peer
    // without an IPv4 address (NetBSD sends from it): the library takes it.
    g.a.load(Size::B, R1, FP, at(ETH + 12));
    let not_multicast = g.a.label();
    g.a.jump_imm(Cond::Lt, R1, 224, not_multicast);
    g.a.jump_imm(Cond::Lt, R1, 240, drop.addr);
    g.a.bind(not_multicast);
    g.a.load(Size::W, R1, FP, at(ETH + 12));
    g.a.mov32(R2, u32::MAX);
    g.a.jump_reg(Cond::Eq, R1, R2, drop.addr);
    g.vhid_in(&spec.vhids, ETH + 20 + 1, drop.vhid);
    g.a.jump(pass);
}

/// With the payload's length in `r3` (at most 36 bytes, all on the
/// stack) and the payload at frame byte `from`: a version-3 payload gets
/// the VRRPv3 checks of `input_vrrp` (length with `count << addr_shift`
/// address bytes, vhid, personality) and goes to `pass` or a drop; any
/// other goes on at `carp`. Clobbers r1, r2.
fn vrrp_dispatch(
    g: &mut Gen,
    spec: &FilterSpec,
    drop: &Drops,
    pass: Label,
    carp: Label,
    from: usize,
    addr_shift: i32,
) {
    let a = &mut g.a;
    // No payload byte: the library reads no version and takes the CARP path.
    a.jump_imm(Cond::Eq, R3, 0, carp);
    a.load(Size::B, R1, FP, at(from));
    a.alu_imm(Alu::Rsh, R1, 4);
    a.jump_imm(Cond::Ne, R1, 3, carp);
    // VrrpPacket::check_len: the fixed header, then the counted addresses.
    a.jump_imm(Cond::Lt, R3, VRRP_HEADER_LEN, drop.len);
    a.load(Size::B, R1, FP, at(from + 3));
    a.alu_imm(Alu::Lsh, R1, addr_shift);
    a.alu_imm(Alu::Add, R1, VRRP_HEADER_LEN);
    a.jump_reg(Cond::Gt, R1, R3, drop.len);
    g.vhid_in(&spec.vhids, from + 1, drop.vhid);
    g.vhid_test(&spec.carp_running, from + 1, drop.ver, true);
    g.a.jump(pass);
}

/// The IPv6 CARP checks, after the next header said 112 (the first 54
/// frame bytes on the stack).
fn ipv6_checks(g: &mut Gen, spec: &FilterSpec, drop: &Drops, pass: Label) {
    g.a.load(Size::B, R1, FP, at(ETH));
    g.a.alu_imm(Alu::Rsh, R1, 4);
    g.a.jump_imm(Cond::Ne, R1, 6, pass);
    g.a.load(Size::H, R4, FP, at(ETH + 4));
    g.a.be16(R4);
    g.a.jump_imm(Cond::Gt, R4, CARP_LEN as i32, pass);
    g.a.alu_imm(Alu::Add, R4, (ETH + 40) as i32);
    g.load_r4(pass);
    let carp = g.a.label();
    g.a.load(Size::H, R3, FP, at(ETH + 4));
    g.a.be16(R3);
    vrrp_dispatch(g, spec, drop, pass, carp, ETH + 40, 4);
    g.a.bind(carp);
    if let Some(bad_ttl) = drop.ttl {
        g.a.load(Size::B, R1, FP, at(ETH + 7));
        g.a.jump_imm(Cond::Ne, R1, 255, bad_ttl);
    }
    g.a.load(Size::H, R1, FP, at(ETH + 4));
    g.a.be16(R1);
    g.a.jump_imm(Cond::Lt, R1, CARP_LEN as i32, drop.len);
    g.checksum(ETH + 40, CARP_LEN / 4, drop.sum);
    // Source: not multicast (ff00::/8) or ::.
    g.a.load(Size::B, R1, FP, at(ETH + 8));
    g.a.jump_imm(Cond::Eq, R1, 0xff, drop.addr);
    g.a.load(Size::W, R1, FP, at(ETH + 8));
    for i in 1..4 {
        g.a.load(Size::W, R2, FP, at(ETH + 8 + 4 * i));
        g.a.alu_reg(Alu::Or, R1, R2);
    }
    g.a.jump_imm(Cond::Eq, R1, 0, drop.addr);
    g.vhid_in(&spec.vhids, ETH + 40 + 1, drop.vhid);
    g.a.jump(pass);
}

/// The program for `spec`, counting into the map `map`.
///
/// # Errors
/// Only if the generator itself is wrong (an unbound label).
pub fn program(spec: &FilterSpec, map: RawFd) -> Result<Vec<Insn>, AsmError> {
    let mut g = Gen { a: Asm::new(), map };
    let a = &mut g.a;
    let (pass, not_carp, quiet) = (a.label(), a.label(), a.label());
    let (arp, ipv4, ipv6, icmpv6) = (a.label(), a.label(), a.label(), a.label());
    let (v4, v6) = (
        Drops::new(a, !spec.unicast_v4),
        Drops::new(a, !spec.unicast_v6),
    );
    // With carp disabled or no vhid, the library counts every CARP frame
    // (`disabled`, `badif`): pass them all.
    let active = spec.allow && !spec.vhids.is_empty();

    a.alu_reg(Alu::Mov, R6, R1);
    a.load(Size::W, R0, R6, SKB_PKT_TYPE);
    a.jump_imm(Cond::Eq, R0, PACKET_OUTGOING, quiet);
    a.load(Size::W, R0, R6, SKB_PROTOCOL);
    a.jump_imm(Cond::Eq, R0, wire16(0x0806), arp);
    a.jump_imm(Cond::Eq, R0, wire16(0x0800), ipv4);
    a.jump_imm(Cond::Eq, R0, wire16(0x86dd), ipv6);
    a.jump(not_carp);

    // ARP: requests whose target is a virtual address.
    g.a.bind(arp);
    g.load(ETH + 28, not_carp);
    g.a.load(Size::H, R1, FP, at(ETH + 6));
    g.a.jump_imm(Cond::Ne, R1, wire16(1), not_carp);
    let v4_targets: Vec<[u32; 1]> = spec.ipv4.iter().map(|a| [wire32(a.octets())]).collect();
    g.matches(ETH + 24, &v4_targets, pass);
    g.a.jump(not_carp);

    // IPv4: the protocol byte first (anything else is not CARP's, whatever
    // the rest of the frame; `is_truncated_carp` reads the same byte).
    g.a.bind(ipv4);
    g.load(ETH + 20, pass);
    g.a.load(Size::B, R1, FP, at(ETH + 9));
    g.a.jump_imm(Cond::Ne, R1, PROTO_CARP, not_carp);
    if active {
        ipv4_checks(&mut g, spec, &v4, pass, not_carp);
    } else {
        g.a.jump(pass);
    }

    // IPv6: the next header directly after the fixed header, as
    // `Ipv6Repr::parse` and the input path read it.
    g.a.bind(ipv6);
    g.load(ETH + 40, pass);
    g.a.load(Size::B, R1, FP, at(ETH + 6));
    g.a.jump_imm(Cond::Eq, R1, PROTO_ICMPV6, icmpv6);
    g.a.jump_imm(Cond::Ne, R1, PROTO_CARP, not_carp);
    if active {
        ipv6_checks(&mut g, spec, &v6, pass);
    } else {
        g.a.jump(pass);
    }

    // ICMPv6: neighbour solicitations whose target is a virtual address.
    g.a.bind(icmpv6);
    g.load(ETH + 40 + 24, not_carp);
    g.a.load(Size::B, R1, FP, at(ETH + 40));
    g.a.jump_imm(Cond::Ne, R1, ND_SOLICIT, not_carp);
    let v6_targets: Vec<[u32; 4]> = spec
        .ipv6
        .iter()
        .map(|a| {
            let o = a.octets();
            [0, 4, 8, 12].map(|i| wire32([o[i], o[i + 1], o[i + 2], o[i + 3]]))
        })
        .collect();
    g.matches(ETH + 40 + 8, &v6_targets, pass);
    g.a.jump(not_carp);

    // The drop tails (only when jumped to: the verifier refuses
    // unreachable code).
    if active {
        v4.emit(&mut g, Slot::Ipackets);
        v6.emit(&mut g, Slot::Ipackets6);
    }
    g.a.bind(not_carp);
    g.count(Slot::NotCarp);
    g.a.bind(quiet);
    g.a.mov32(R0, 0);
    g.a.exit();
    g.a.bind(pass);
    g.count(Slot::Passed);
    g.a.mov32(R0, KEEP);
    g.a.exit();
    g.a.finish()
}
