//! From QEMU's PVH entry to Rust in long mode.
//!
//! QEMU's `-kernel` loads a 64-bit ELF that carries a Xen PVH entry note
//! (`XEN_ELFNOTE_PHYS32_ENTRY`, type 18, name "Xen", an 8-byte descriptor
//! on ELF64) and jumps there in 32-bit protected mode, paging off, with
//! `%ebx` holding the physical address of `struct hvm_start_info` (Xen's
//! `xen/include/public/arch-x86/hvm/start_info.h`). The trampoline below
//! identity-maps the first 4 GiB with 2 MiB pages (RAM, the PCI BARs this
//! kernel assigns, the HPET and the local APIC all live there), enables
//! PAE and long mode, loads a 64-bit GDT and calls [`crate::kmain`] with the
//! start-info address.

use core::arch::global_asm;

/// `hvm_start_info.magic`: "xEn3" with the top bit set.
pub const START_INFO_MAGIC: u32 = 0x336e_c578;

/// The fields of `struct hvm_start_info` this kernel reads (version 0 and 1
/// share them).
#[repr(C)]
pub struct StartInfo {
    /// [`START_INFO_MAGIC`].
    pub magic: u32,
    /// Layout version.
    pub version: u32,
    /// `SIF_*` flags.
    pub flags: u32,
    /// Number of modules.
    pub nr_modules: u32,
    /// Physical address of the module list.
    pub modlist_paddr: u64,
    /// Physical address of the NUL-terminated command line (`-append`).
    pub cmdline_paddr: u64,
    /// Physical address of the ACPI RSDP.
    pub rsdp_paddr: u64,
}

/// The kernel command line QEMU passed with `-append`, or "" when none (or
/// when it is not UTF-8 or longer than 4 KiB).
///
/// # Safety
/// `start_info` is the address the PVH entry got in `%ebx` (identity-mapped).
pub unsafe fn cmdline(start_info: usize) -> &'static str {
    const MAX: usize = 4096;
    // SAFETY: the caller passes the start info QEMU wrote below 4 GiB.
    let info = unsafe { &*(start_info as *const StartInfo) };
    if info.magic != START_INFO_MAGIC || info.cmdline_paddr == 0 {
        return "";
    }
    let base = info.cmdline_paddr as usize as *const u8;
    let mut len = 0;
    // SAFETY: QEMU wrote a NUL-terminated string there; the scan is bounded.
    while len < MAX && unsafe { *base.add(len) } != 0 {
        len += 1;
    }
    // SAFETY: `len` bytes from `base` were just read.
    let bytes = unsafe { core::slice::from_raw_parts(base, len) };
    core::str::from_utf8(bytes).unwrap_or("")
}

/// Bytes of the boot stack (CarpIf and smoltcp state live in `kmain`'s frame).
pub const STACK_SIZE: usize = 1 << 20;

global_asm!(
    r#"
    .section .note.Xen, "a"
    .p2align 2
    .long 4             /* namesz: "Xen\0" */
    .long 8             /* descsz: 8 on ELF64 */
    .long 18            /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .p2align 2
    .quad pvh_start

    .section .bss.boot, "aw", @nobits
    .p2align 12
boot_pml4:  .skip 4096
boot_pdpt:  .skip 4096
boot_pd:    .skip 4096 * 4
boot_stack: .skip {stack}
boot_stack_top:

    .section .rodata.boot, "a"
    .p2align 3
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff    /* 0x08: 64-bit code, DPL 0 */
    .quad 0x00cf92000000ffff    /* 0x10: data */
boot_gdt_end:
boot_gdtr:
    .word boot_gdt_end - boot_gdt - 1
    .quad boot_gdt

    .section .text.boot, "ax"
    .code32
    .global pvh_start
pvh_start:
    cli
    cld
    mov esi, ebx                     /* keep the start info */
    /* Zero the page tables (the loader zeroes .bss, but be sure). */
    lea edi, [boot_pml4]
    xor eax, eax
    mov ecx, (4096 * 6) / 4
    rep stosd
    /* PML4[0] -> PDPT; PDPT[0..4] -> four page directories. */
    lea eax, [boot_pdpt]
    or eax, 3
    mov [boot_pml4], eax
    lea edi, [boot_pdpt]
    lea eax, [boot_pd]
    or eax, 3
    mov ecx, 4
2:  mov [edi], eax
    add eax, 4096
    add edi, 8
    loop 2b
    /* 2048 2 MiB pages: present, writable, PS; cache disabled above 3 GiB
       (PCI BARs, HPET, local APIC). */
    lea edi, [boot_pd]
    mov eax, 0x83
    xor edx, edx                     /* high dword of the entry */
    mov ecx, 2048
3:  mov ebx, eax
    cmp eax, 0xc0000083
    jb 4f
    or ebx, 0x18                     /* PWT | PCD */
4:  mov [edi], ebx
    mov [edi + 4], edx
    add eax, 0x200000
    jnc 5f
    inc edx
5:  add edi, 8
    loop 3b
    /* PAE, long mode, paging. */
    mov eax, cr4
    or eax, 1 << 5
    mov cr4, eax
    lea eax, [boot_pml4]
    mov cr3, eax
    mov ecx, 0xc0000080
    rdmsr
    or eax, 1 << 8
    wrmsr
    mov eax, cr0
    or eax, (1 << 31) | 1
    mov cr0, eax
    lgdt [boot_gdtr]
    push 0x08
    lea eax, [boot_long_mode]
    push eax
    retf

    .code64
boot_long_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    lea rsp, [rip + boot_stack_top]
    mov edi, esi                     /* kmain(start_info) */
    call {kmain}
6:  hlt
    jmp 6b
    "#,
    stack = const STACK_SIZE,
    kmain = sym crate::kmain,
);
