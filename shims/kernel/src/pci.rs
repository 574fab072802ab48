//! PCI: configuration mechanism #1 (ports 0xcf8/0xcfc) for virtio-drivers,
//! and the BAR assignment qboot leaves to the kernel.
//!
//! qboot (`-bios bios-microvm.bin`, the fast firmware) does not assign PCI
//! memory BARs, and virtio-drivers then refuses the device
//! (`BarNotAllocated`). [`assign_bars`] gives each memory BAR of a device an
//! address from a window above RAM, naturally aligned, and turns on memory
//! decoding and bus mastering.

use virtio_drivers::transport::pci::bus::{
    BarInfo, Command, ConfigurationAccess, DeviceFunction, MemoryBarType, PciRoot,
};

use crate::port::{inl, outl};

const CONFIG_ADDRESS: u16 = 0xcf8;
const CONFIG_DATA: u16 = 0xcfc;

/// Start of the window BARs are placed in: above the guest's RAM (QEMU is
/// started with far less than 3 GiB) and below the IOAPIC/HPET/LAPIC.
pub const BAR_WINDOW: u64 = 0xc000_0000;
/// End (exclusive) of the window.
pub const BAR_WINDOW_END: u64 = 0xfe00_0000;

/// Configuration mechanism #1 through I/O ports.
pub struct PortCam;

fn address(df: DeviceFunction, offset: u8) -> u32 {
    0x8000_0000
        | u32::from(df.bus) << 16
        | u32::from(df.device) << 11
        | u32::from(df.function) << 8
        | u32::from(offset & 0xfc)
}

impl ConfigurationAccess for PortCam {
    fn read_word(&self, df: DeviceFunction, offset: u8) -> u32 {
        outl(CONFIG_ADDRESS, address(df, offset));
        inl(CONFIG_DATA)
    }

    fn write_word(&mut self, df: DeviceFunction, offset: u8, data: u32) {
        outl(CONFIG_ADDRESS, address(df, offset));
        outl(CONFIG_DATA, data);
    }

    unsafe fn unsafe_clone(&self) -> Self {
        PortCam
    }
}

/// Why a device's BARs could not be placed.
#[derive(Debug)]
pub enum BarError {
    /// virtio-drivers could not read a BAR.
    Pci(virtio_drivers::transport::pci::bus::PciError),
    /// The window is full.
    NoSpace,
}

/// Places every unassigned memory BAR of `df` in the window starting at
/// `*next` (advanced past them), then enables memory decoding and bus
/// mastering. BARs the firmware already placed are kept.
pub fn assign_bars(
    root: &mut PciRoot<PortCam>,
    df: DeviceFunction,
    next: &mut u64,
) -> Result<(), BarError> {
    let bars = root.bars(df).map_err(BarError::Pci)?;
    for (index, bar) in bars.iter().enumerate() {
        let Some(BarInfo::Memory {
            address_type,
            address,
            size,
            ..
        }) = bar
        else {
            continue;
        };
        if *address != 0 || *size == 0 {
            continue;
        }
        let at = next.next_multiple_of(*size);
        if at + size > BAR_WINDOW_END {
            return Err(BarError::NoSpace);
        }
        match address_type {
            MemoryBarType::Width64 => root.set_bar_64(df, index as u8, at),
            _ => root.set_bar_32(df, index as u8, at as u32),
        }
        *next = at + size;
    }
    let (_, command) = root.get_status_command(df);
    root.set_command(df, command | Command::MEMORY_SPACE | Command::BUS_MASTER);
    Ok(())
}
