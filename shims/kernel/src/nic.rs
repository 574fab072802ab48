//! The virtio-net NIC over PCI, through `virtio-drivers` without alloc.
//!
//! * DMA memory for the virtqueues comes from a static pool (identity
//!   mapping: a physical address is its virtual address).
//! * Transmit never blocks: a ring of [`TX_SLOTS`] static buffers, each
//!   submitted with `transmit_begin` and reclaimed when the device has used
//!   it. A full ring is [`NicError::Full`] (carp counts it as a send error;
//!   virtio-drivers' own `send` would wait for the device and hang the
//!   kernel on a stalled backend).
//! * Receive buffers live in an [`RxRing`] apart from the device, so a
//!   received frame can be lent to carp and to the IP stack straight from
//!   the DMA buffer while the device transmits their answers.

use core::ptr::NonNull;

use virtio_drivers::device::net::VirtIONetRaw;
use virtio_drivers::transport::pci::PciTransport;
use virtio_drivers::{BufferDirection, Hal, PhysAddr, PAGE_SIZE};

/// Descriptors per virtqueue.
pub const QUEUE_SIZE: usize = 16;
/// Transmit buffers in flight.
pub const TX_SLOTS: usize = QUEUE_SIZE;
/// Receive buffers posted.
pub const RX_SLOTS: usize = QUEUE_SIZE;
/// Bytes per buffer: the virtio-net header and a 1514-byte frame, and at
/// least virtio-drivers' minimum receive buffer (1526).
pub const BUF_LEN: usize = 2048;
const DMA_PAGES: usize = 16;

#[repr(C, align(4096))]
struct DmaPool([u8; DMA_PAGES * PAGE_SIZE]);

static mut DMA_POOL: DmaPool = DmaPool([0; DMA_PAGES * PAGE_SIZE]);
static mut DMA_USED: usize = 0;

/// virtio-drivers' platform hooks for this identity-mapped kernel.
pub struct KernelHal;

// SAFETY: pages handed out are never reused (no dealloc), zeroed, aligned,
// and identity-mapped, so the physical address is the pointer.
unsafe impl Hal for KernelHal {
    fn dma_alloc(pages: usize, _direction: BufferDirection) -> (PhysAddr, NonNull<u8>) {
        // SAFETY: single CPU, called during device init only.
        let used = unsafe { &mut *core::ptr::addr_of_mut!(DMA_USED) };
        if *used + pages > DMA_PAGES {
            crate::println!("carp: fault dma-pool-exhausted");
            crate::halt();
        }
        // SAFETY: in bounds of the pool, checked above.
        let ptr = unsafe { (core::ptr::addr_of_mut!(DMA_POOL) as *mut u8).add(*used * PAGE_SIZE) };
        *used += pages;
        // SAFETY: `ptr` points at `pages` pages of the pool.
        unsafe { core::ptr::write_bytes(ptr, 0, pages * PAGE_SIZE) };
        (ptr as u64, NonNull::new(ptr).unwrap_or(NonNull::dangling()))
    }

    unsafe fn dma_dealloc(_paddr: PhysAddr, _vaddr: NonNull<u8>, _pages: usize) -> i32 {
        0
    }

    unsafe fn mmio_phys_to_virt(paddr: PhysAddr, _size: usize) -> NonNull<u8> {
        NonNull::new(paddr as usize as *mut u8).unwrap_or(NonNull::dangling())
    }

    unsafe fn share(buffer: NonNull<[u8]>, _direction: BufferDirection) -> PhysAddr {
        buffer.as_ptr() as *mut u8 as usize as u64
    }

    unsafe fn unshare(_paddr: PhysAddr, _buffer: NonNull<[u8]>, _direction: BufferDirection) {}
}

/// Why a frame was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NicError {
    /// Every transmit buffer is still with the device.
    Full,
    /// The frame does not fit a buffer.
    TooLong,
    /// The device refused the buffer.
    Device,
}

/// The device and its transmit ring.
pub struct Nic {
    net: VirtIONetRaw<KernelHal, PciTransport, QUEUE_SIZE>,
    tx: [[u8; BUF_LEN]; TX_SLOTS],
    /// Per slot: the token and length of the buffer with the device.
    tx_busy: [Option<(u16, usize)>; TX_SLOTS],
    /// Frames sent, and refused for want of a buffer.
    pub sent: u64,
    /// See `sent`.
    pub full: u64,
}

impl Nic {
    /// Brings up the device on `transport`.
    pub fn new(transport: PciTransport) -> Result<Nic, virtio_drivers::Error> {
        Ok(Nic {
            net: VirtIONetRaw::new(transport)?,
            tx: [[0; BUF_LEN]; TX_SLOTS],
            tx_busy: [None; TX_SLOTS],
            sent: 0,
            full: 0,
        })
    }

    /// The MAC address QEMU gave the device.
    pub fn mac(&self) -> [u8; 6] {
        self.net.mac_address()
    }

    /// Takes back the transmit buffers the device is done with.
    fn reclaim(&mut self) {
        while let Some(token) = self.net.poll_transmit() {
            let Some(slot) = self
                .tx_busy
                .iter()
                .position(|b| matches!(b, Some((t, _)) if *t == token))
            else {
                return;
            };
            if let Some((_, len)) = self.tx_busy[slot].take() {
                // SAFETY: the same buffer and length that were submitted.
                let _ = unsafe { self.net.transmit_complete(token, &self.tx[slot][..len]) };
            }
        }
    }

    /// Queues one Ethernet frame (no FCS) without waiting for the device.
    pub fn send(&mut self, frame: &[u8]) -> Result<(), NicError> {
        self.reclaim();
        let Some(slot) = self.tx_busy.iter().position(Option::is_none) else {
            self.full += 1;
            return Err(NicError::Full);
        };
        let buf = &mut self.tx[slot];
        let hdr = self
            .net
            .fill_buffer_header(buf)
            .map_err(|_| NicError::Device)?;
        let len = hdr + frame.len();
        if len > BUF_LEN {
            return Err(NicError::TooLong);
        }
        buf[hdr..len].copy_from_slice(frame);
        // SAFETY: the buffer is static in `self` and not touched again
        // until `reclaim` sees the device return it.
        match unsafe { self.net.transmit_begin(&self.tx[slot][..len]) } {
            Ok(token) => {
                self.tx_busy[slot] = Some((token, len));
                self.sent += 1;
                Ok(())
            }
            Err(_) => {
                self.full += 1;
                Err(NicError::Full)
            }
        }
    }
}

/// Posted receive buffers, apart from the [`Nic`] so that a received frame
/// can be borrowed while the NIC transmits.
pub struct RxRing {
    bufs: [[u8; BUF_LEN]; RX_SLOTS],
    tokens: [Option<u16>; RX_SLOTS],
}

impl RxRing {
    /// An empty ring (call [`RxRing::post_all`]).
    pub const fn new() -> RxRing {
        RxRing {
            bufs: [[0; BUF_LEN]; RX_SLOTS],
            tokens: [None; RX_SLOTS],
        }
    }

    /// Hands every idle buffer to the device.
    pub fn post_all(&mut self, nic: &mut Nic) {
        for slot in 0..RX_SLOTS {
            if self.tokens[slot].is_none() {
                // SAFETY: the buffer stays in `self` (which lives for the
                // kernel's life) until the device returns it.
                if let Ok(token) = unsafe { nic.net.receive_begin(&mut self.bufs[slot]) } {
                    self.tokens[slot] = Some(token);
                }
            }
        }
    }

    /// The next received frame: its slot and byte range in that buffer.
    pub fn next(&mut self, nic: &mut Nic) -> Option<(usize, core::ops::Range<usize>)> {
        let token = nic.net.poll_receive()?;
        let slot = self.tokens.iter().position(|t| *t == Some(token))?;
        self.tokens[slot] = None;
        // SAFETY: the buffer that was posted with this token.
        let (hdr, len) = unsafe { nic.net.receive_complete(token, &mut self.bufs[slot]) }.ok()?;
        Some((slot, hdr..hdr + len))
    }

    /// The bytes of a received frame.
    pub fn frame(&self, slot: usize, range: core::ops::Range<usize>) -> &[u8] {
        self.bufs[slot].get(range).unwrap_or(&[])
    }

    /// Gives a buffer back to the device.
    pub fn recycle(&mut self, slot: usize, nic: &mut Nic) {
        if self.tokens[slot].is_none() {
            // SAFETY: as in `post_all`.
            if let Ok(token) = unsafe { nic.net.receive_begin(&mut self.bufs[slot]) } {
                self.tokens[slot] = Some(token);
            }
        }
    }
}
