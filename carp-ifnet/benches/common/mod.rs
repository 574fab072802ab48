//! What every bench shares: a non-recording mock driver, the SHA-1 floor,
//! frame builders, the interleaved best-of-rounds timer, and one closure
//! per measured path (the criterion benches, the summary lines and the
//! callgrind driver `ops` all run the very same closures).
#![allow(dead_code)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant as WallClock;

use carp_core::wire::{Packet, HEADER_LEN};
use carp_core::{Instant, Reject, State, Vhid, VhostConfig};
use carp_ifnet::arp::{ArpOperation, ArpRepr};
use carp_ifnet::carpif::{CarpIf, Input};
use carp_ifnet::driver::{Driver, LinkState, ParentInfo, TxError};
use carp_ifnet::lladdr::{LinkType, MacAddr};
use carp_sysctl::Sysctl;
use sha1::digest::generic_array::GenericArray;

/// The shared virtual address.
pub const VADDR: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 100);

/// Ethernet + IPv4 header length in an advert frame.
pub const IP_AT: usize = 14;
/// Where the CARP header starts in an Ethernet/IPv4 advert frame.
pub const CARP_AT: usize = 34;

/// The output side of a NIC that counts what it sends and keeps frames
/// only when asked to (`capture`), so the measured paths do not allocate.
#[derive(Debug, Default)]
pub struct Mock {
    pub sent: u64,
    pub capture: bool,
    pub frames: Vec<Vec<u8>>,
}

impl Mock {
    pub fn capturing() -> Mock {
        Mock {
            capture: true,
            ..Mock::default()
        }
    }
}

/// Host `n`'s parent: Ethernet, 192.0.2.n.
pub fn parent(n: u8) -> ParentInfo {
    ParentInfo::ethernet(MacAddr([0x02, 0, 0, 0, 0, n])).with_ipv4(Ipv4Addr::new(192, 0, 2, n))
}

impl Driver for Mock {
    fn transmit(&mut self, frame: &[u8]) -> Result<(), TxError> {
        self.sent += 1;
        if self.capture {
            self.frames.push(frame.to_vec());
        } else {
            black_box(frame);
        }
        Ok(())
    }
    fn join_multicast(&mut self, _: MacAddr) -> Result<(), TxError> {
        Ok(())
    }
    fn leave_multicast(&mut self, _: MacAddr) -> Result<(), TxError> {
        Ok(())
    }
}

pub fn us(n: u64) -> Instant {
    Instant::from_micros(n)
}

pub fn config(vhid: u8, skew: u8) -> VhostConfig {
    VhostConfig::new(Vhid::new(vhid).unwrap())
        .with_advskew(skew)
        .unwrap()
        .with_passphrase(b"secret42")
        .unwrap()
        .with_address(IpAddr::V4(VADDR))
        .unwrap()
}

/// A sysctl tree with `replay` off, so one frame can be accepted again and
/// again.
pub fn sysctl_replay_off() -> Sysctl {
    let s = Sysctl::new();
    s.set("replay", 0).unwrap();
    s
}

/// A host (`n` is its last address byte) with `vhids` (vhid, skew) in
/// BACKUP, its groups joined, nothing sent yet.
pub fn host<const N: usize>(n: u8, vhids: &[(u8, u8)], s: &Sysctl) -> CarpIf<N> {
    let mut cif = CarpIf::new(parent(n), LinkState::Up);
    for (vhid, skew) in vhids {
        cif.add_vhost(us(0), config(*vhid, *skew), u64::from(n) << 40, s)
            .unwrap();
    }
    cif.poll(us(0), &mut Mock::default(), s);
    cif
}

/// A master's first advert frame for `vhid` (Ethernet, IPv4, 70 bytes).
pub fn master_advert(vhid: u8) -> Vec<u8> {
    let s = Sysctl::new();
    let mut nic = Mock::capturing();
    let mut m: CarpIf<1> = CarpIf::new(parent(11), LinkState::Up);
    m.add_vhost(us(0), config(vhid, 10), 11 << 40, &s).unwrap();
    m.force_state(us(0), vhid, State::Master, &s).unwrap();
    m.poll(us(0), &mut nic, &s);
    nic.frames.remove(0)
}

/// Re-checksums the IPv4 header after an edit.
pub fn fix_ip_checksum(frame: &mut [u8]) {
    frame[24] = 0;
    frame[25] = 0;
    let sum = carp_core::wire::checksum(&frame[IP_AT..CARP_AT]);
    frame[24..26].copy_from_slice(&sum.to_be_bytes());
}

/// Re-checksums the CARP header after an edit.
pub fn fix_carp_checksum(frame: &mut [u8]) {
    Packet::new_unchecked(&mut frame[CARP_AT..CARP_AT + HEADER_LEN]).fill_checksum();
}

pub fn arp_request(sender: Ipv4Addr, target: Ipv4Addr) -> Vec<u8> {
    let req = ArpRepr {
        operation: ArpOperation::Request,
        sender_mac: MacAddr([0x02, 0xaa, 0, 0, 0, 1]),
        sender_ip: sender,
        target_mac: MacAddr::ZERO,
        target_ip: target,
    };
    let mut buf = [0u8; 64];
    let n = req
        .emit_frame(
            LinkType::Ethernet,
            MacAddr::BROADCAST,
            req.sender_mac,
            &mut buf,
        )
        .unwrap();
    buf[..n].to_vec()
}

// ===== the floor =====

type Block = GenericArray<u8, sha1::digest::consts::U64>;

const SHA1_IV: [u32; 5] = [
    0x6745_2301,
    0xefcd_ab89,
    0x98ba_dcfe,
    0x1032_5476,
    0xc3d2_e1f0,
];

/// Two raw SHA-1 compressions: what an HMAC with both pads precomputed must
/// at least cost (inner and outer block).
pub fn floor_op() -> impl FnMut() {
    let blocks: [Block; 2] = [
        GenericArray::from([0x5au8; 64]),
        GenericArray::from([0xa5u8; 64]),
    ];
    let mut state = SHA1_IV;
    move || {
        sha1::compress(black_box(&mut state), &black_box(&blocks)[..1]);
        sha1::compress(black_box(&mut state), &black_box(&blocks)[1..]);
    }
}

/// One raw SHA-1 compression, the reference of the reject paths.
pub fn compress_op() -> impl FnMut() {
    let blocks: [Block; 1] = [GenericArray::from([0x5au8; 64])];
    let mut state = SHA1_IV;
    move || sha1::compress(black_box(&mut state), black_box(&blocks))
}

// ===== input paths =====

/// A backup of vhid 7 that takes `frame` over and over; `expect` checks the
/// outcome once before measuring.
fn input_op(frame: Vec<u8>, expect: Result<(), Reject>) -> impl FnMut() {
    let s = sysctl_replay_off();
    let mut cif: CarpIf = host(12, &[(7, 50)], &s);
    let mut now = 1_000_000u64;
    let first = cif.input(us(now), &frame, &s);
    match expect {
        Ok(()) => assert!(
            matches!(first, Ok(Input::Advert { vhid: 7, .. })),
            "{first:?}"
        ),
        Err(r) => assert_eq!(first, Err(r)),
    }
    move || {
        now += 1;
        let _ = black_box(cif.input(us(now), black_box(&frame), &s));
    }
}

/// A valid advert from the master of vhid 7, accepted every time.
pub fn accept_op() -> impl FnMut() {
    input_op(master_advert(7), Ok(()))
}

/// A valid advert for vhid 8, which this parent does not run.
pub fn badvhid_op() -> impl FnMut() {
    input_op(master_advert(8), Err(Reject::BadVhid(8)))
}

/// A valid advert with TTL 254 (IP checksum fixed).
pub fn ttl254_op() -> impl FnMut() {
    let mut f = master_advert(7);
    f[22] = 254;
    fix_ip_checksum(&mut f);
    input_op(f, Err(Reject::BadTtl(254)))
}

/// CARP version 3 (CARP checksum fixed).
pub fn badversion_op() -> impl FnMut() {
    let mut f = master_advert(7);
    f[CARP_AT] = 0x31;
    fix_carp_checksum(&mut f);
    input_op(f, Err(Reject::BadVersion(3)))
}

/// One flipped bit in the counter, checksum left stale.
pub fn badchecksum_op() -> impl FnMut() {
    let mut f = master_advert(7);
    f[CARP_AT + 10] ^= 1;
    input_op(f, Err(Reject::BadChecksum))
}

/// An advert cut inside the IP header (30 bytes).
pub fn truncated_op() -> impl FnMut() {
    let f = master_advert(7);
    input_op(f[..30].to_vec(), Err(Reject::HeaderTruncated { len: 30 }))
}

/// A forged advert: one digest bit flipped, checksum fixed, so it costs a
/// whole verify before it is refused.
pub fn forged_op() -> impl FnMut() {
    let mut f = master_advert(7);
    f[CARP_AT + HEADER_LEN - 1] ^= 1;
    fix_carp_checksum(&mut f);
    input_op(f, Err(Reject::BadAuth))
}

// ===== send path =====

/// A master of vhid 7 whose advert timer is due: each call jumps to the
/// deadline and runs `poll`, which signs, frames and sends one advert.
pub fn send_op() -> impl FnMut() {
    let s = Sysctl::new();
    let mut nic = Mock::default();
    let mut cif: CarpIf = host(11, &[(7, 10)], &s);
    cif.force_state(us(0), 7, State::Master, &s).unwrap();
    // Past the delayed announcement, then check one call is one advert.
    for _ in 0..4 {
        let now = cif.poll_timeout().unwrap();
        cif.poll(now, &mut nic, &s);
    }
    while cif.poll_event().is_some() {}
    let before = nic.sent;
    let now = cif.poll_timeout().unwrap();
    cif.poll(now, &mut nic, &s);
    assert_eq!(nic.sent, before + 1);
    move || {
        let now = cif.poll_timeout().unwrap_or(Instant::ZERO);
        cif.poll(black_box(now), &mut nic, &s);
    }
}

// ===== ARP with 255 vhids sharing one address =====

/// This host is master of all 255 vhids holding [`VADDR`]; requesters walk
/// a /16 so every share is hit. `balanced` sets `arpbalance`.
pub fn arp_op(balanced: bool) -> impl FnMut() {
    let s = Sysctl::new();
    s.set("arpbalance", i64::from(balanced)).unwrap();
    let vhids: Vec<(u8, u8)> = (1..=255u8).map(|v| (v, 0)).collect();
    let mut nic = Mock::default();
    let mut cif: Box<CarpIf<255>> = Box::new(host(11, &vhids, &s));
    for v in 1..=255u8 {
        cif.force_state(us(0), v, State::Master, &s).unwrap();
    }
    cif.poll(us(0), &mut nic, &s);
    while cif.poll_event().is_some() {}
    let requests: Vec<Vec<u8>> = (0..1024u32)
        .map(|i| arp_request(Ipv4Addr::from(0xc633_0000 + i * 61), VADDR))
        .collect();
    for r in &requests {
        assert!(matches!(
            cif.input(us(1), r, &s),
            Ok(Input::ArpReplied { .. })
        ));
        cif.poll(us(1), &mut nic, &s);
    }
    let mut i = 0usize;
    // Each call decides (input) and sends the reply (poll).
    move || {
        i = (i + 1) & 1023;
        let _ = black_box(cif.input(us(1), black_box(&requests[i]), &s));
        cif.poll(us(1), &mut nic, &s);
    }
}

// ===== timing =====

/// Batches per figure, at least: each operation's figure is its fastest
/// of this many timed batches or more.
const ROUNDS: usize = 31;

/// The wall time the rounds span, at least. On the Intel Xeon VM the
/// host's phases alternate within seconds (2026-12-02, 152 back-to-back
/// runs of the 31-round summary in 90 s: quiet stretches of 0.4-6.1 s,
/// heavy ones of 0.6-5.9 s, and one heavy stretch of over 10 s in 20
/// runs of a 10 s span). In the heavy phase, a busy sibling hardware
/// thread, every small integer path takes about twice its time and the
/// SHA-NI compression 1.2 times. [`ROUNDS`] rounds alone take 20-40 ms
/// and fall inside one phase, so a run's ratios were those of whichever
/// phase it started in; rounds spanning 20 s see both, and each figure
/// is its path's fastest batch, from the quiet phase.
/// [`Span::median_round`] gives the typical round beside it.
pub const SPAN: std::time::Duration = std::time::Duration::from_secs(20);

/// One measured operation and its batches' times, in ns per call.
///
/// A summary builds one `Timed` per operation, references included, and
/// hands them all to [`interleave`], which times one batch of each in
/// turn, round after round, for at least [`ROUNDS`] rounds and [`SPAN`]:
/// the batches interleave, so a frequency step or a neighbour on the host
/// hits every figure of the round alike instead of whichever operation
/// was being timed then, and a ratio compares figures taken under the
/// same conditions. The figure is the fastest batch, the least disturbed
/// (the first round, with cold caches and branch predictors, is slower
/// and drops out). The closure stays monomorphised inside its batch loop
/// (only the batch is called through `dyn`): the shortest paths are a few
/// ns long, and a call through `dyn` per call would add to them.
pub struct Timed<F> {
    op: F,
    calls: u32,
    batches: Vec<f64>,
}

impl<F: FnMut()> Timed<F> {
    /// `calls` calls per batch; about a millisecond of work keeps the
    /// batches short next to the phases of a noisy host.
    pub fn new(calls: u32, op: F) -> Self {
        Timed {
            op,
            calls,
            batches: Vec::new(),
        }
    }

    /// The fastest batch's ns per call.
    pub fn ns(&self) -> f64 {
        self.batches.iter().fold(f64::MAX, |a, b| a.min(*b))
    }

    /// Round `i`'s batch, in ns per call.
    pub fn round(&self, i: usize) -> f64 {
        self.batches[i]
    }
}

/// One timed batch of a measured operation, as [`interleave`] runs it.
pub trait Batch {
    /// Times one batch and keeps its ns per call.
    fn batch(&mut self);
}

impl<F: FnMut()> Batch for Timed<F> {
    fn batch(&mut self) {
        let start = WallClock::now();
        for _ in 0..self.calls {
            (self.op)();
        }
        let ns = start.elapsed().as_nanos() as f64 / f64::from(self.calls);
        self.batches.push(ns);
    }
}

/// The rounds one [`interleave`] ran.
#[derive(Clone, Copy, Debug)]
pub struct Span {
    /// How many rounds.
    pub rounds: usize,
    /// Their wall time, in seconds.
    pub seconds: f64,
}

impl Span {
    /// The median over the rounds of `per_round(i)`, a ratio of round
    /// `i`'s own batches: what a typical round saw, the host's slow
    /// phases included, next to the fastest batches' figures.
    pub fn median_round(&self, per_round: impl Fn(usize) -> f64) -> f64 {
        let mut xs: Vec<f64> = (0..self.rounds).map(per_round).collect();
        xs.sort_by(f64::total_cmp);
        xs[xs.len() / 2]
    }

    /// `"<rounds> rounds over <seconds> s"`, for the summary lines.
    pub fn describe(&self) -> String {
        format!("{} rounds over {:.1} s", self.rounds, self.seconds)
    }
}

/// Rounds, each timing one batch of every operation of `ops` in their
/// order, until at least [`ROUNDS`] have run and [`SPAN`] has passed.
pub fn interleave(ops: &mut [&mut dyn Batch]) -> Span {
    let start = WallClock::now();
    let mut rounds = 0;
    while rounds < ROUNDS || start.elapsed() < SPAN {
        for op in ops.iter_mut() {
            op.batch();
        }
        rounds += 1;
    }
    Span {
        rounds,
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// The floor alone, for a bench whose own figures are not per call
/// (`scale`): its fastest batch over [`interleave`]'s rounds.
pub fn floor_ns() -> f64 {
    let mut floor = Timed::new(10_000, floor_op());
    interleave(&mut [&mut floor]);
    floor.ns()
}

/// Where the benches write their data files for `scripts/plot.py`: the
/// top-level `bench/` directory.
pub fn data_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// True unless the binary was started by `cargo bench` (which passes
/// `--bench`): under `cargo test --benches` each bench only runs its paths
/// once as a smoke test.
pub fn quick_mode() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

/// True for `cargo bench ... -- --check`, the mode `.ci/run` uses: no
/// criterion, only the self-timed summary (about [`SPAN`] where it
/// interleaves; a few seconds otherwise), whose same-run
/// ratios are then held to bounds with [`Checks`].
pub fn check_mode() -> bool {
    std::env::args().any(|a| a == "--check")
}

/// Bounds on a bench's same-run ratios, for [`check_mode`]. The bounds sit
/// well above this tree's figures (BENCHMARKS.md) and well below what the
/// regressions they guard against cost (pads recomputed per call, HMAC
/// before the cheap checks, a scan of every vhid per call: 2x and more).
pub struct Checks {
    bench: &'static str,
    failed: Vec<String>,
}

impl Checks {
    /// No check yet, for `bench`.
    pub fn new(bench: &'static str) -> Checks {
        Checks {
            bench,
            failed: Vec::new(),
        }
    }

    /// Prints `<bench>: check <what> <value> <= <bound> ok|FAILED`.
    pub fn at_most(&mut self, what: &str, value: f64, bound: f64) {
        let ok = value <= bound;
        println!(
            "{}: check {what} {value:.3} <= {bound:.3} {}",
            self.bench,
            if ok { "ok" } else { "FAILED" }
        );
        if !ok {
            self.failed.push(format!("{what} {value:.3} > {bound:.3}"));
        }
    }

    /// Exits with status 1 when a check failed.
    pub fn finish(self) {
        if !self.failed.is_empty() {
            eprintln!("{}: checks failed: {}", self.bench, self.failed.join("; "));
            std::process::exit(1);
        }
    }
}

// ===== many vhids on one parent =====

/// `vhids` masters on one parent (`CarpIf<255>`), driven from deadline
/// to deadline on a virtual clock. With `distinct_skews` vhid k has advskew
/// k-1, so almost every deadline is one vhid's alone (the worst case for
/// per-call scans); otherwise all share skew 0 and fire together.
pub struct Scale {
    cif: Box<CarpIf<255>>,
    nic: Mock,
    s: Sysctl,
    now: Instant,
}

impl Scale {
    /// Set up, forced to MASTER, and run 3 virtual seconds so the takeover
    /// announcements are behind.
    pub fn new(vhids: u8, distinct_skews: bool) -> Scale {
        let s = Sysctl::new();
        let list: Vec<(u8, u8)> = (1..=vhids)
            .map(|v| (v, if distinct_skews { v - 1 } else { 0 }))
            .collect();
        let mut cif: Box<CarpIf<255>> = Box::new(host(11, &list, &s));
        for v in 1..=vhids {
            cif.force_state(us(0), v, State::Master, &s).unwrap();
        }
        let mut scale = Scale {
            cif,
            nic: Mock::default(),
            s,
            now: Instant::ZERO,
        };
        scale.run_for(3_000_000);
        while scale.cif.poll_event().is_some() {}
        scale
    }

    /// One `poll` at the next deadline.
    pub fn step(&mut self) {
        if let Some(d) = self.cif.poll_timeout() {
            self.now = self.now.max(d);
        }
        self.cif.poll(black_box(self.now), &mut self.nic, &self.s);
    }

    pub fn run_steps(&mut self, n: u64) {
        for _ in 0..n {
            self.step();
        }
    }

    /// Runs `micros` of virtual time; returns the adverts sent.
    pub fn run_for(&mut self, micros: u64) -> u64 {
        let before = self.adverts();
        let end = self.now.micros() + micros;
        while self.cif.poll_timeout().is_some_and(|d| d.micros() <= end) {
            self.step();
        }
        self.adverts() - before
    }

    /// Adverts sent so far.
    pub fn adverts(&self) -> u64 {
        self.cif.stats().get(carp_core::Counter::Opackets)
    }
}

// ===== parts of the paths, to say where the time goes =====

/// `frame::parse` of a valid advert frame (Ethernet, IPv4 with its header
/// checksum).
pub fn part_parse_op() -> impl FnMut() {
    let f = master_advert(7);
    move || {
        let _ = black_box(carp_ifnet::frame::parse(LinkType::Ethernet, black_box(&f)));
    }
}

/// `frame::fast::ipv4_carp` of the same frame: the input path's shortcut
/// for IPv4 CARP over Ethernet (both headers borrowed in place, the IPv4
/// header checksum checked).
pub fn part_shortcut_op() -> impl FnMut() {
    let f = master_advert(7);
    move || {
        let _ = black_box(carp_ifnet::frame::fast::ipv4_carp(
            LinkType::Ethernet,
            black_box(&f),
        ));
    }
}

/// The CARP header checksum (36 bytes).
pub fn part_carp_checksum_op() -> impl FnMut() {
    let f = master_advert(7);
    move || {
        black_box(carp_core::wire::verify_checksum(black_box(
            &f[CARP_AT..CARP_AT + HEADER_LEN],
        )));
    }
}

/// One counter bump in the host's `Sysctl` (a spin lock around `Stats`).
pub fn part_sysctl_bump_op() -> impl FnMut() {
    let s = Sysctl::new();
    move || black_box(&s).bump(carp_core::Counter::Ipackets)
}

/// One count in a statistics lane (`Sysctl::count`), as the input path
/// counts a packet: no lock.
pub fn part_sysctl_lane_op() -> impl FnMut() {
    let s = Sysctl::new();
    let mut lane = carp_sysctl::StatsLane::new();
    move || black_box(&s).count(black_box(&mut lane), &[carp_core::Counter::Ipackets])
}

fn vhost_auth() -> (carp_core::AuthContext, carp_core::wire::Advert) {
    let f = master_advert(7);
    let packet = Packet::new_checked(&f[CARP_AT..CARP_AT + HEADER_LEN]).unwrap();
    let advert = carp_core::wire::Advert::parse(&packet).unwrap();
    let c = config(7, 10);
    let ctx = c.with_auth_input(|input| carp_core::AuthContext::new(&c.key, input));
    assert!(ctx.verify(&advert).is_ok());
    (ctx, advert)
}

/// `AuthContext::verify` alone (carp-core's HMAC check).
pub fn part_verify_op() -> impl FnMut() {
    let (ctx, advert) = vhost_auth();
    move || {
        let _ = black_box(ctx.verify(black_box(&advert)).is_ok());
    }
}

/// `AuthContext::sign` alone.
pub fn part_sign_op() -> impl FnMut() {
    let (ctx, _) = vhost_auth();
    let mut counter = 0u64;
    move || {
        counter = counter.wrapping_add(1);
        black_box(ctx.sign(black_box(counter)));
    }
}
