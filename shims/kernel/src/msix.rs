//! Receive interrupts: virtio-net's receive queue signals an MSI-X message
//! to the local APIC, so a frame wakes the idle loop's `hlt` at once
//! instead of at the next tick (up to 0.5 ms later at 2 kHz).
//!
//! virtio-drivers sets up the queues but leaves every virtio vector at
//! `NO_VECTOR` (virtio 1.2 §4.1.4.3, `queue_msix_vector`), so this module
//! programs MSI-X table entry 0 (PCI 3.0 §6.8.2: message address of the
//! local APIC of CPU 0, data = the vector, fixed delivery, edge), enables
//! MSI-X in the capability, then gives the receive queue vector 0 through
//! the common configuration. Transmit completions and configuration
//! changes stay without a vector: nothing waits for them. With
//! `VIRTIO_F_EVENT_IDX` the device raises it once per batch of frames the
//! driver has not yet popped (virtio-drivers moves `used_event` on every
//! pop).

use core::ptr::{read_volatile, write_volatile};

use virtio_drivers::transport::pci::bus::{ConfigurationAccess, DeviceFunction, PciRoot};

use crate::pci::PortCam;

/// PCI capability ids (PCI 3.0 appendix H).
const CAP_VENDOR: u8 = 0x09;
const CAP_MSIX: u8 = 0x11;
/// `cfg_type` of virtio's common configuration capability.
const VIRTIO_COMMON_CFG: u8 = 1;
/// Offsets in virtio's common configuration (virtio 1.2 §4.1.4.3).
const QUEUE_SELECT: usize = 0x16;
const QUEUE_MSIX_VECTOR: usize = 0x1a;
/// virtio's "no vector".
const NO_VECTOR: u16 = 0xffff;
/// virtio-net's receive queue.
const RECEIVE_QUEUE: u16 = 0;
/// MSI message address: the local APIC, physical destination, CPU 0.
const MSI_ADDRESS: u32 = 0xfee0_0000;
/// MSI-X message control: enable and function mask bits (of the
/// capability's first dword).
const MSIX_ENABLE: u32 = 1 << 31;
const MSIX_FUNCTION_MASK: u32 = 1 << 30;

/// Why receive interrupts could not be set up (the kernel then polls on
/// its tick).
#[derive(Debug)]
pub enum MsixError {
    /// The device has no MSI-X capability.
    NoMsix,
    /// The device has no virtio common configuration capability.
    NoCommonConfig,
    /// A BAR the capability names is unassigned or an I/O BAR.
    Bar(u8),
    /// The device refused the vector (read back as `NO_VECTOR`).
    Refused,
}

impl core::fmt::Display for MsixError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            MsixError::NoMsix => f.write_str("no MSI-X capability"),
            MsixError::NoCommonConfig => f.write_str("no virtio common configuration"),
            MsixError::Bar(i) => write!(f, "BAR {i} unassigned or I/O"),
            MsixError::Refused => f.write_str("the device refused the vector"),
        }
    }
}

/// The memory address of BAR `index` of `df`.
fn bar_address(cam: &PortCam, df: DeviceFunction, index: u8) -> Option<u64> {
    let offset = 0x10 + 4 * index;
    let low = cam.read_word(df, offset);
    if low & 1 != 0 {
        return None;
    }
    let mut address = u64::from(low & !0xf);
    if (low >> 1) & 3 == 2 {
        address |= u64::from(cam.read_word(df, offset + 4)) << 32;
    }
    (address != 0).then_some(address)
}

/// Routes `df`'s receive queue to `vector` on CPU 0. Call after the
/// virtio-net driver has initialised the device (its reset clears the
/// vectors).
pub fn route_receive(
    root: &PciRoot<PortCam>,
    df: DeviceFunction,
    vector: u8,
) -> Result<(), MsixError> {
    let mut cam = PortCam;
    let mut msix = None;
    let mut common = None;
    for cap in root.capabilities(df) {
        match cap.id {
            CAP_MSIX => msix = Some(cap.offset),
            CAP_VENDOR if (cap.private_header >> 8) as u8 == VIRTIO_COMMON_CFG => {
                let bar = cam.read_word(df, cap.offset + 4) as u8;
                let offset = cam.read_word(df, cap.offset + 8);
                common = Some((bar, offset));
            }
            _ => {}
        }
    }
    let msix = msix.ok_or(MsixError::NoMsix)?;
    let (common_bar, common_offset) = common.ok_or(MsixError::NoCommonConfig)?;

    let table = cam.read_word(df, msix + 4);
    let bir = (table & 7) as u8;
    let table_at = bar_address(&cam, df, bir).ok_or(MsixError::Bar(bir))? + u64::from(table & !7);
    let common_at = bar_address(&cam, df, common_bar).ok_or(MsixError::Bar(common_bar))?
        + u64::from(common_offset);

    // SAFETY: the BARs are identity-mapped device memory (uncached) that
    // `pci::assign_bars` placed; entry 0 is 16 bytes at the table's start
    // (every MSI-X table has at least one entry).
    unsafe {
        let entry = table_at as usize as *mut u32;
        write_volatile(entry, MSI_ADDRESS);
        write_volatile(entry.add(1), 0);
        write_volatile(entry.add(2), u32::from(vector));
        write_volatile(entry.add(3), 0);
    }
    let control = cam.read_word(df, msix);
    cam.write_word(df, msix, (control | MSIX_ENABLE) & !MSIX_FUNCTION_MASK);

    // SAFETY: virtio's common configuration in its BAR (as above); the
    // driver selects the queue itself before each access it makes.
    let taken = unsafe {
        let base = common_at as usize as *mut u8;
        write_volatile(base.add(QUEUE_SELECT).cast::<u16>(), RECEIVE_QUEUE);
        write_volatile(base.add(QUEUE_MSIX_VECTOR).cast::<u16>(), 0);
        read_volatile(base.add(QUEUE_MSIX_VECTOR).cast::<u16>())
    };
    if taken == NO_VECTOR {
        return Err(MsixError::Refused);
    }
    Ok(())
}
