//! The AF_PACKET socket on the parent: CARP, ARP and neighbour-discovery
//! frames in through a memory-mapped receive ring behind the kernel-side
//! filter ([`crate::filter`]), whole Ethernet frames out, multicast
//! membership through `PACKET_ADD_MEMBERSHIP`.
//!
//! # Receive: a ring and one wake-up per batch
//!
//! The socket has a `TPACKET_V2` receive ring (packet(7), Linux 2.6.27;
//! Documentation/networking/packet_mmap.rst): the kernel copies each frame
//! the filter passes into the next free slot and flips the slot's status
//! to `TP_STATUS_USER`; [`PacketSocket::recv`] reads slots and hands them
//! back without a system call. Only the wake-up costs one (`ppoll`).
//!
//! Wake-ups are moderated in user space: after a wake-up that found
//! frames, [`PacketSocket::hold_off`] tells the event loop to leave the
//! ring out of its poll set for [`MODERATION`] and read it when that
//! expires. An idle host reacts to its first frame at once. Under a flood
//! (at least [`FLOOD_FRAMES`] frames per read) the hold doubles up to
//! [`MAX_HOLD`], so carpd wakes at most 250 times a second for frames,
//! whatever the rate, and a frame waits at most 4 ms; a read that took a
//! quarter of the ring halves the hold again (see [`Moderation`]).
//! (`TPACKET_V3` moderates in the kernel instead, but its block timer
//! delays every frame, also on an idle host, by up to one jiffy-rounded
//! timeout: 4 ms at HZ=250.)
//!
//! A full ring drops frames in the kernel; `PACKET_STATISTICS` counts them
//! and [`PacketSocket::kernel_counts`] reports them beside the filter's
//! counters, so no frame goes missing from the report.
//!
//! The only `unsafe` of carpd lives here and in [`crate::filter`], around
//! the socket calls and the shared ring that libc offers no safe wrapper
//! for.
#![allow(unsafe_code)]

use std::cell::Cell;
use std::io;
use std::mem::size_of;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::filter::{classic, FilterSpec, KernelCounts, SocketFilter};

const ETH_P_ALL: u16 = 0x0003;
/// Shortest Ethernet frame without FCS; shorter ones are zero-padded.
const ETH_MIN_FRAME: usize = 60;
/// Smallest ring slot: a 1500-byte MTU frame, its VLAN tag and the
/// `tpacket2_hdr` and `sockaddr_ll` in front of it.
const MIN_SLOT: usize = 2048;
/// Bytes of ring memory aimed at (a slot count of 512 at 2 KiB slots).
const RING_BYTES: usize = 1 << 20;
/// Fewest slots, whatever the MTU.
const MIN_SLOTS: usize = 64;

/// How long the event loop leaves the ring alone after a wake-up that
/// found frames: the longest a frame waits when frames come but no flood,
/// and the shortest time between two wake-ups for frames.
pub const MODERATION: Duration = Duration::from_millis(1);
/// The longest hold, reached under a flood: a frame waits at most this.
pub const MAX_HOLD: Duration = Duration::from_millis(4);
/// Frames found by one read that make the next hold twice as long (up to
/// [`MAX_HOLD`]); fewer return it to [`MODERATION`]. 16 per millisecond
/// is 16,000 frames a second, 60 times advbase 0's advert rate at
/// advskew 1, so a busy vhid set never stretches the hold.
pub const FLOOD_FRAMES: usize = 16;

/// The ring's shape for a parent with `mtu`: (slot size, slots, block
/// size, blocks). Slots are powers of two of at least 2 KiB holding a
/// whole frame; blocks are one page or one slot, whichever is larger.
pub fn ring_geometry(mtu: u32, page: usize) -> (usize, usize, usize, usize) {
    let need = usize::try_from(mtu).unwrap_or(1500) + 14 + 4 + libc::TPACKET2_HDRLEN + 32;
    let slot = need.next_power_of_two().max(MIN_SLOT);
    let block = page.max(slot);
    let per_block = block / slot;
    let slots = (RING_BYTES / slot).max(MIN_SLOTS);
    let blocks = slots.div_ceil(per_block);
    (slot, blocks * per_block, block, blocks)
}

/// When the event loop may look at the ring: at once when idle, at most
/// once per [`MODERATION`] while frames keep coming, and at most once per
/// up to [`MAX_HOLD`] under a flood: each read that found at least
/// [`FLOOD_FRAMES`] doubles the next hold, unless that read took more than
/// a quarter of the ring, which halves it, down to [`MODERATION`] (at
/// 512 slots a 4 ms hold fills a quarter at 32,000 frames a second).
#[derive(Debug)]
pub struct Moderation {
    /// Frames read since the last [`Moderation::hold_off`].
    read: Cell<usize>,
    /// The length of the next hold.
    hold: Cell<Duration>,
    /// The ring is left alone until then.
    held_until: Cell<Option<Instant>>,
    /// Slots in the ring.
    slots: usize,
}

impl Moderation {
    /// Moderation for a ring of `slots` slots.
    pub fn new(slots: usize) -> Moderation {
        Moderation {
            read: Cell::new(0),
            hold: Cell::new(MODERATION),
            held_until: Cell::new(None),
            slots,
        }
    }

    /// Notes that a frame was read.
    pub fn frame_read(&self) {
        self.read.set(self.read.get().saturating_add(1));
    }

    /// `None`: poll the ring; `Some(d)`: leave it out of the poll set for
    /// `d`, then read it. A read that found frames starts a new hold.
    pub fn hold_off(&self, now: Instant) -> Option<Duration> {
        let read = self.read.replace(0);
        if read > 0 {
            let hold = if read > self.slots / 4 {
                (self.hold.get() / 2).max(MODERATION)
            } else if read >= FLOOD_FRAMES {
                (self.hold.get() * 2).min(MAX_HOLD)
            } else {
                MODERATION
            };
            self.hold.set(hold);
            self.held_until.set(Some(now + hold));
        }
        match self.held_until.get() {
            Some(until) if until > now => Some(until - now),
            _ => {
                self.held_until.set(None);
                None
            }
        }
    }
}

/// The mapped receive ring.
#[derive(Debug)]
struct Ring {
    base: NonNull<u8>,
    len: usize,
    slot: usize,
    slots: usize,
    next: Cell<usize>,
}

impl Ring {
    /// The status word of slot `i`.
    fn status(&self, i: usize) -> &AtomicU32 {
        // SAFETY: `i < slots`, so the slot lies inside the mapping; its
        // first four bytes are `tp_status`, 16-byte aligned, which the
        // kernel and we only touch atomically.
        unsafe { &*self.base.as_ptr().add(i * self.slot).cast::<AtomicU32>() }
    }

    /// Copies the next frame into `buf` and gives its slot back; `None`
    /// when the kernel has not filled it yet.
    fn take(&self, buf: &mut [u8]) -> Option<usize> {
        let i = self.next.get();
        let status = self.status(i);
        if status.load(Ordering::Acquire) & libc::TP_STATUS_USER == 0 {
            return None;
        }
        // SAFETY: the slot is ours (TP_STATUS_USER, read with Acquire
        // after the kernel's write barrier); its header is a
        // `tpacket2_hdr` at the slot start.
        let hdr = unsafe {
            std::ptr::read(
                self.base
                    .as_ptr()
                    .add(i * self.slot)
                    .cast::<libc::tpacket2_hdr>(),
            )
        };
        let at = usize::from(hdr.tp_mac);
        let len = usize::try_from(hdr.tp_snaplen).unwrap_or(0);
        let len = len.min(self.slot.saturating_sub(at)).min(buf.len());
        // SAFETY: `at + len <= slot`, inside slot `i`, which the kernel
        // does not write while it is ours.
        let frame =
            unsafe { std::slice::from_raw_parts(self.base.as_ptr().add(i * self.slot + at), len) };
        if let Some(dst) = buf.get_mut(..len) {
            dst.copy_from_slice(frame);
        }
        status.store(libc::TP_STATUS_KERNEL, Ordering::Release);
        self.next.set((i + 1) % self.slots);
        Some(len)
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: `base`/`len` are the mapping made in `open`, unmapped once.
        unsafe {
            libc::munmap(self.base.as_ptr().cast::<libc::c_void>(), self.len);
        }
    }
}

/// A raw packet socket bound to one interface, filtered for carp, with a
/// receive ring.
#[derive(Debug)]
pub struct PacketSocket {
    // Unmapped before the socket closes.
    ring: Ring,
    fd: OwnedFd,
    ifindex: i32,
    filter: SocketFilter,
    moderation: Moderation,
    /// `tp_drops` so far (the kernel resets its count on each read).
    ring_drops: Cell<u64>,
}

fn check(ret: libc::c_int) -> io::Result<()> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn setsockopt<T>(fd: &OwnedFd, level: libc::c_int, name: libc::c_int, value: &T) -> io::Result<()> {
    // SAFETY: `value` points to a live T of the size passed; the kernel
    // copies it before returning.
    check(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            std::ptr::from_ref(value).cast::<libc::c_void>(),
            size_of::<T>() as libc::socklen_t,
        )
    })
}

impl PacketSocket {
    /// Opens the socket with its ring sized for `mtu`, attaches the
    /// classic filter and only then binds it to `ifindex` for every
    /// protocol, so no unfiltered frame is ever queued. The eBPF filter
    /// replaces the classic one at the first [`PacketSocket::set_filter`].
    ///
    /// # Errors
    /// Socket, ring, mmap, filter or bind failures (EPERM without
    /// CAP_NET_RAW).
    pub fn open(ifindex: u32, mtu: u32) -> io::Result<PacketSocket> {
        let ifindex =
            i32::try_from(ifindex).map_err(|_| io::Error::other("interface index too large"))?;
        // SAFETY: plain socket(2) call; the result is checked before use.
        let raw = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
                0,
            )
        };
        check(raw)?;
        // SAFETY: `raw` is a fresh, valid descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        classic::attach(fd.as_fd())?;
        let version = libc::tpacket_versions::TPACKET_V2 as libc::c_int;
        setsockopt(&fd, libc::SOL_PACKET, libc::PACKET_VERSION, &version)?;
        // SAFETY: sysconf has no preconditions.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
        let (slot, slots, block, blocks) = ring_geometry(mtu, page);
        let req = libc::tpacket_req {
            tp_block_size: u32::try_from(block).map_err(|_| io::Error::other("ring block"))?,
            tp_block_nr: u32::try_from(blocks).map_err(|_| io::Error::other("ring blocks"))?,
            tp_frame_size: u32::try_from(slot).map_err(|_| io::Error::other("ring slot"))?,
            tp_frame_nr: u32::try_from(slots).map_err(|_| io::Error::other("ring slots"))?,
        };
        setsockopt(&fd, libc::SOL_PACKET, libc::PACKET_RX_RING, &req)?;
        let len = block * blocks;
        // SAFETY: maps the ring the kernel just allocated for this socket;
        // the result is checked, and unmapped in `Ring::drop`.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = NonNull::new(base.cast::<u8>()).ok_or_else(|| io::Error::other("mmap: null"))?;
        let ring = Ring {
            base,
            len,
            slot,
            slots,
            next: Cell::new(0),
        };
        // SAFETY: sockaddr_ll is plain old data; all-zero is a valid value.
        let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        addr.sll_family = libc::AF_PACKET as u16;
        addr.sll_protocol = ETH_P_ALL.to_be();
        addr.sll_ifindex = ifindex;
        // SAFETY: `addr` is a valid sockaddr_ll and the length passed is its size.
        check(unsafe {
            libc::bind(
                fd.as_raw_fd(),
                std::ptr::from_ref(&addr).cast::<libc::sockaddr>(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        })?;
        Ok(PacketSocket {
            ring,
            fd,
            ifindex,
            filter: SocketFilter::new(),
            moderation: Moderation::new(slots),
            ring_drops: Cell::new(0),
        })
    }

    /// Generates and attaches the kernel-side filter for `spec` (call it
    /// at start and after every reconfiguration).
    ///
    /// # Errors
    /// Why the eBPF filter is not in place; the classic filter is, and
    /// carp works (every CARP frame then reaches the library).
    pub fn set_filter(&mut self, spec: &FilterSpec) -> Result<(), String> {
        self.filter.install(self.fd.as_fd(), spec)
    }

    /// What the kernel dropped, counted, passed and lost so far.
    pub fn kernel_counts(&self) -> KernelCounts {
        let mut stats = libc::tpacket_stats {
            tp_packets: 0,
            tp_drops: 0,
        };
        let mut len = size_of::<libc::tpacket_stats>() as libc::socklen_t;
        // SAFETY: `stats`/`len` are live and of the size given.
        let rc = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                std::ptr::from_mut(&mut stats).cast::<libc::c_void>(),
                &mut len,
            )
        };
        if rc == 0 {
            self.ring_drops
                .set(self.ring_drops.get() + u64::from(stats.tp_drops));
        }
        let mut counts = self.filter.counts();
        counts.ring_drops = self.ring_drops.get();
        counts
    }

    /// Adds (`join`) or removes a link-layer multicast address from the
    /// interface's filter for as long as this socket lives.
    ///
    /// # Errors
    /// The setsockopt failure.
    pub fn membership(&self, mac: [u8; 6], join: bool) -> io::Result<()> {
        let mut address = [0u8; 8];
        address[..6].copy_from_slice(&mac);
        let mreq = libc::packet_mreq {
            mr_ifindex: self.ifindex,
            mr_type: libc::PACKET_MR_MULTICAST as u16,
            mr_alen: 6,
            mr_address: address,
        };
        let name = if join {
            libc::PACKET_ADD_MEMBERSHIP
        } else {
            libc::PACKET_DROP_MEMBERSHIP
        };
        setsockopt(&self.fd, libc::SOL_PACKET, name, &mreq)
    }

    /// Sends one Ethernet frame as is (zero-padded to 60 bytes).
    ///
    /// # Errors
    /// The send failure (`ENOBUFS`/`EAGAIN` when the queue is full).
    pub fn send(&self, frame: &[u8]) -> io::Result<()> {
        let mut padded = [0u8; ETH_MIN_FRAME];
        let frame = if frame.len() < ETH_MIN_FRAME {
            padded[..frame.len()].copy_from_slice(frame);
            &padded[..]
        } else {
            frame
        };
        // SAFETY: the pointer and length describe `frame`, valid for the call.
        let sent = unsafe {
            libc::send(
                self.fd.as_raw_fd(),
                frame.as_ptr().cast::<libc::c_void>(),
                frame.len(),
                0,
            )
        };
        if sent < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Copies the next received frame from the ring into `buf` (cut to
    /// its length) without a system call; `Ok(None)` when the ring is
    /// empty.
    ///
    /// # Errors
    /// None today (the signature matches a socket read).
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        let got = self.ring.take(buf);
        if got.is_some() {
            self.moderation.frame_read();
        }
        Ok(got)
    }

    /// The socket's pending error, read and so cleared (`SO_ERROR`): a
    /// packet socket is told ENETDOWN when its interface goes down and
    /// ENODEV when it goes away, and with a ring no read ever clears it.
    pub fn take_error(&self) -> Option<io::Error> {
        let mut err: libc::c_int = 0;
        let mut len = size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `err` and `len` are valid for writes of their sizes.
        let ret = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_ERROR,
                std::ptr::from_mut(&mut err).cast::<libc::c_void>(),
                &mut len,
            )
        };
        (ret == 0 && err != 0).then(|| io::Error::from_raw_os_error(err))
    }

    /// Call before each poll: `None` to poll the ring as usual, or how
    /// long to leave it out of the poll set (then read it with
    /// [`PacketSocket::recv`] when the wait ends, readable or not).
    pub fn hold_off(&self, now: Instant) -> Option<Duration> {
        self.moderation.hold_off(now)
    }
}

impl AsFd for PacketSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_slots_hold_a_whole_frame_and_fill_whole_blocks() {
        for (mtu, page) in [(1500, 4096), (9000, 4096), (65535, 4096), (1500, 65536)] {
            let (slot, slots, block, blocks) = ring_geometry(mtu, page);
            let frame = mtu as usize + 14 + 4;
            assert!(slot >= frame + libc::TPACKET2_HDRLEN, "mtu {mtu}");
            assert!(slot.is_power_of_two());
            assert_eq!(block % page, 0, "blocks are whole pages");
            assert_eq!(block % slot, 0, "no slot straddles a block");
            assert_eq!(slots, blocks * (block / slot));
            assert!(slots >= MIN_SLOTS);
        }
        assert_eq!(ring_geometry(1500, 4096), (2048, 512, 4096, 256));
    }

    #[test]
    fn hold_off_waits_one_moderation_after_frames_then_polls_again() {
        let m = Moderation::new(512);
        let t0 = Instant::now();
        assert_eq!(m.hold_off(t0), None, "idle: poll the ring");
        m.frame_read();
        assert_eq!(m.hold_off(t0), Some(MODERATION));
        let half = t0 + MODERATION / 2;
        assert_eq!(
            m.hold_off(half),
            Some(MODERATION / 2),
            "an early wake-up keeps the hold"
        );
        m.frame_read();
        let later = t0 + MODERATION;
        assert_eq!(
            m.hold_off(later),
            Some(MODERATION),
            "frames again: a new hold"
        );
        assert_eq!(
            m.hold_off(later + MODERATION),
            None,
            "expired with no frame: poll"
        );
    }

    /// Reads `n` frames, then asks for the next hold at `at`.
    fn read_then_hold(m: &Moderation, n: usize, at: Instant) -> Option<Duration> {
        for _ in 0..n {
            m.frame_read();
        }
        m.hold_off(at)
    }

    #[test]
    fn a_flood_doubles_the_hold_to_4_ms_and_a_quiet_read_resets_it() {
        let m = Moderation::new(512);
        let mut t = Instant::now();
        // 20,000 frames/s: 20 per millisecond, 16 or more per read.
        let mut holds = Vec::new();
        for _ in 0..5 {
            let hold = read_then_hold(&m, 16, t).unwrap();
            holds.push(hold.as_millis());
            t += hold;
        }
        assert_eq!(holds, [2, 4, 4, 4, 4]);
        // advbase 0 at advskew 1: one advert per 1/256 s, one per read.
        assert_eq!(read_then_hold(&m, 1, t), Some(MODERATION));
        assert_eq!(read_then_hold(&m, 15, t + MODERATION), Some(MODERATION));
    }

    #[test]
    fn a_read_of_more_than_a_quarter_of_the_ring_halves_the_hold() {
        let m = Moderation::new(512);
        let t = Instant::now();
        assert_eq!(read_then_hold(&m, 16, t), Some(MAX_HOLD / 2));
        assert_eq!(read_then_hold(&m, 16, t), Some(MAX_HOLD));
        assert_eq!(read_then_hold(&m, 129, t), Some(MAX_HOLD / 2));
        assert_eq!(read_then_hold(&m, 129, t), Some(MODERATION));
        assert_eq!(read_then_hold(&m, 500, t), Some(MODERATION), "never below");
    }
}
