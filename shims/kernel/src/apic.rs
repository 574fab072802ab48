//! A periodic wake-up tick (2 kHz, see `main.rs`) from the local APIC
//! timer, so the idle loop can `hlt` instead of spinning (under TCG a
//! spinning guest burns a host core).
//!
//! The IDT sends CPU exceptions (vectors 0-31) to a handler that prints
//! and halts, the timer (vector 0x20) and the NIC's receive interrupt
//! ([`NIC_VECTOR`], an MSI-X message) to one that acknowledges it; the
//! legacy PICs are masked, so nothing else arrives.

use core::arch::{asm, global_asm};
use core::ptr::{read_volatile, write_volatile};

use crate::clock::{tsc, Clock};
use crate::port::outb;

const LAPIC_BASE: usize = 0xfee0_0000;
const LAPIC_SVR: usize = 0x0f0;
const LAPIC_LVT_TIMER: usize = 0x320;
const LAPIC_INITIAL: usize = 0x380;
const LAPIC_CURRENT: usize = 0x390;
const LAPIC_DIVIDE: usize = 0x3e0;
const TIMER_VECTOR: u32 = 0x20;
/// The NIC's receive interrupt (see `msix.rs`): it only wakes the `hlt`.
pub const NIC_VECTOR: u8 = 0x21;
const SPURIOUS_VECTOR: u32 = 0xff;
const PERIODIC: u32 = 1 << 17;
const MASKED: u32 = 1 << 16;

fn lapic_write(reg: usize, value: u32) {
    // SAFETY: identity-mapped, uncached local APIC registers.
    unsafe { write_volatile((LAPIC_BASE + reg) as *mut u32, value) }
}

fn lapic_read(reg: usize) -> u32 {
    // SAFETY: as `lapic_write`.
    unsafe { read_volatile((LAPIC_BASE + reg) as *const u32) }
}

#[repr(C, packed)]
struct IdtPointer {
    limit: u16,
    base: u64,
}

#[derive(Clone, Copy)]
#[repr(C)]
struct Gate {
    offset_low: u16,
    selector: u16,
    ist: u8,
    attributes: u8,
    offset_mid: u16,
    offset_high: u32,
    reserved: u32,
}

impl Gate {
    const EMPTY: Gate = Gate {
        offset_low: 0,
        selector: 0,
        ist: 0,
        attributes: 0,
        offset_mid: 0,
        offset_high: 0,
        reserved: 0,
    };

    fn interrupt(handler: unsafe extern "C" fn()) -> Gate {
        let at = handler as usize as u64;
        Gate {
            offset_low: at as u16,
            selector: 0x08,
            ist: 0,
            attributes: 0x8e, // present, DPL 0, 64-bit interrupt gate
            offset_mid: (at >> 16) as u16,
            offset_high: (at >> 32) as u32,
            reserved: 0,
        }
    }
}

static mut IDT: [Gate; 256] = [Gate::EMPTY; 256];

extern "C" {
    fn isr_fault();
    fn isr_timer();
    fn isr_ignore();
}

global_asm!(
    r#"
    .section .text
    .global isr_fault, isr_timer, isr_ignore
isr_fault:
    and rsp, -16
    call {fault}
isr_timer:
    push rax
    movabs rax, {eoi}
    mov dword ptr [rax], 0
    pop rax
    iretq
isr_ignore:
    iretq
    "#,
    fault = sym cpu_fault,
    eoi = const LAPIC_BASE + 0xb0,
);

extern "C" fn cpu_fault() -> ! {
    crate::println!("carp: fault cpu-exception");
    crate::halt()
}

/// Loads the IDT, masks the PICs and starts the local APIC timer at
/// `hz` (calibrated against the TSC over 10 ms).
pub fn start_tick(clock: &Clock, hz: u32) {
    // SAFETY: single CPU, interrupts off: nothing else touches the IDT.
    let idt = unsafe { &mut *core::ptr::addr_of_mut!(IDT) };
    for (vector, gate) in idt.iter_mut().enumerate() {
        *gate = match vector {
            0..=31 => Gate::interrupt(isr_fault),
            v if v == TIMER_VECTOR as usize || v == usize::from(NIC_VECTOR) => {
                Gate::interrupt(isr_timer)
            }
            _ => Gate::interrupt(isr_ignore),
        };
    }
    let pointer = IdtPointer {
        limit: (core::mem::size_of::<[Gate; 256]>() - 1) as u16,
        base: idt.as_ptr() as u64,
    };
    // SAFETY: the IDT is static and filled above.
    unsafe { asm!("lidt [{}]", in(reg) &pointer, options(readonly, nostack)) };
    outb(0x21, 0xff);
    outb(0xa1, 0xff);

    lapic_write(LAPIC_SVR, 0x100 | SPURIOUS_VECTOR);
    lapic_write(LAPIC_DIVIDE, 0x0b); // divide by 1
    lapic_write(LAPIC_LVT_TIMER, MASKED | TIMER_VECTOR);
    lapic_write(LAPIC_INITIAL, u32::MAX);
    let t0 = tsc();
    let window = clock.us_to_ticks(10_000);
    while tsc().wrapping_sub(t0) < window {}
    let counted = u64::from(u32::MAX - lapic_read(LAPIC_CURRENT));
    let per_tick = (counted * 100 / u64::from(hz.max(1))).clamp(1, u64::from(u32::MAX));
    lapic_write(LAPIC_LVT_TIMER, PERIODIC | TIMER_VECTOR);
    lapic_write(LAPIC_INITIAL, per_tick as u32);
}

/// Sleeps until the next interrupt (at most one tick).
pub fn wait_for_tick() {
    // SAFETY: `sti; hlt` is atomic against the interrupt; `cli` after.
    unsafe { asm!("sti", "hlt", "cli", options(nomem, nostack)) }
}
