//! A small eBPF assembler with labels: the instructions carpd's socket
//! filter is generated from ([`super::bpf`] loads them).
//!
//! Encoding from the kernel's `include/uapi/linux/bpf.h`, `bpf_common.h`
//! and Documentation/bpf/standardization/instruction-set.rst.

use std::os::fd::RawFd;

/// A register, `r0`..`r10` (`r10` is the read-only frame pointer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reg(u8);

/// Return value and helper result.
pub const R0: Reg = Reg(0);
/// First helper argument (the context on entry).
pub const R1: Reg = Reg(1);
/// Second helper argument.
pub const R2: Reg = Reg(2);
/// Third helper argument.
pub const R3: Reg = Reg(3);
/// Fourth helper argument.
pub const R4: Reg = Reg(4);
/// Fifth helper argument.
pub const R5: Reg = Reg(5);
/// Callee-saved.
pub const R6: Reg = Reg(6);
/// Callee-saved.
pub const R7: Reg = Reg(7);
/// Callee-saved.
pub const R8: Reg = Reg(8);
/// Callee-saved.
pub const R9: Reg = Reg(9);
/// Frame pointer (top of the 512-byte stack).
pub const FP: Reg = Reg(10);

// Instruction classes.
const LD: u8 = 0x00;
const LDX: u8 = 0x01;
const ST: u8 = 0x02;
const STX: u8 = 0x03;
const ALU: u8 = 0x04;
const JMP: u8 = 0x05;
const ALU64: u8 = 0x07;
// Modes and sources.
const IMM: u8 = 0x00;
const MEM: u8 = 0x60;
const K: u8 = 0x00;
const X: u8 = 0x08;
/// `BPF_END` with `BPF_TO_BE`: host to big-endian byte order.
const END_TO_BE: u8 = 0xd0 | 0x08;
/// `src_reg` of a `LD_IMM64` whose immediate is a map file descriptor.
const PSEUDO_MAP_FD: u8 = 1;

/// Load and store sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// One byte.
    B = 0x10,
    /// Two bytes.
    H = 0x08,
    /// Four bytes.
    W = 0x00,
    /// Eight bytes.
    Dw = 0x18,
}

/// ALU operations (64-bit unless noted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alu {
    /// `dst += src`.
    Add = 0x00,
    /// `dst -= src`.
    Sub = 0x10,
    /// `dst |= src`.
    Or = 0x40,
    /// `dst &= src`.
    And = 0x50,
    /// `dst <<= src`.
    Lsh = 0x60,
    /// `dst >>= src` (logical).
    Rsh = 0x70,
    /// `dst = src`.
    Mov = 0xb0,
}

/// Conditional jumps (unsigned comparisons of the 64-bit registers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cond {
    /// `==`.
    Eq = 0x10,
    /// `>`.
    Gt = 0x20,
    /// `>=`.
    Ge = 0x30,
    /// `!=`.
    Ne = 0x50,
    /// `<`.
    Lt = 0xa0,
}

/// Helper function numbers (`enum bpf_func_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Helper {
    /// `bpf_map_lookup_elem(map, key)`: pointer to the value or NULL.
    MapLookupElem = 1,
    /// `bpf_skb_load_bytes_relative(skb, offset, to, len, start_header)`
    /// (Linux 4.18): 0, or a negative error with `to` zeroed.
    SkbLoadBytesRelative = 68,
}

/// One `struct bpf_insn`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    code: u8,
    regs: u8,
    off: i16,
    imm: i32,
}

impl Insn {
    const fn new(code: u8, dst: Reg, src: Reg, off: i16, imm: i32) -> Insn {
        Insn {
            code,
            regs: (src.0 << 4) | dst.0,
            off,
            imm,
        }
    }
}

/// A jump target, bound once with [`Asm::bind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label(usize);

/// Why a program could not be assembled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsmError {
    /// A label was jumped to but never bound.
    Unbound(usize),
    /// A jump is further than an `i16` reaches.
    TooFar {
        /// Index of the jump instruction.
        at: usize,
    },
}

impl std::fmt::Display for AsmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AsmError::Unbound(l) => write!(f, "ebpf: label {l} jumped to but never bound"),
            AsmError::TooFar { at } => write!(f, "ebpf: jump at {at} out of range"),
        }
    }
}

/// Instructions under construction, with forward jumps to labels.
#[derive(Debug, Default)]
pub struct Asm {
    insns: Vec<Insn>,
    labels: Vec<Option<usize>>,
    fixups: Vec<(usize, usize)>,
}

impl Asm {
    /// An empty program.
    pub fn new() -> Asm {
        Asm::default()
    }

    /// A fresh, unbound label.
    pub fn label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() - 1)
    }

    /// Binds `label` to the next instruction.
    pub fn bind(&mut self, label: Label) {
        if let Some(slot) = self.labels.get_mut(label.0) {
            *slot = Some(self.insns.len());
        }
    }

    fn push(&mut self, insn: Insn) {
        self.insns.push(insn);
    }

    /// `dst op= imm` (64-bit; `imm` is sign-extended).
    pub fn alu_imm(&mut self, op: Alu, dst: Reg, imm: i32) {
        self.push(Insn::new(ALU64 | op as u8 | K, dst, R0, 0, imm));
    }

    /// `dst op= src` (64-bit).
    pub fn alu_reg(&mut self, op: Alu, dst: Reg, src: Reg) {
        self.push(Insn::new(ALU64 | op as u8 | X, dst, src, 0, 0));
    }

    /// `dst = imm` as a 32-bit move: the upper half is zeroed, so any
    /// `u32` arrives unchanged (a 64-bit move would sign-extend it).
    pub fn mov32(&mut self, dst: Reg, imm: u32) {
        self.push(Insn::new(
            ALU | Alu::Mov as u8 | K,
            dst,
            R0,
            0,
            i32::from_ne_bytes(imm.to_ne_bytes()),
        ));
    }

    /// `dst = be16(dst)`: the 16-bit value read from the wire, as a number.
    pub fn be16(&mut self, dst: Reg) {
        self.push(Insn::new(ALU | END_TO_BE, dst, R0, 0, 16));
    }

    /// `dst = *(size *)(src + off)`.
    pub fn load(&mut self, size: Size, dst: Reg, src: Reg, off: i16) {
        self.push(Insn::new(LDX | MEM | size as u8, dst, src, off, 0));
    }

    /// `*(size *)(dst + off) = src`.
    pub fn store(&mut self, size: Size, dst: Reg, off: i16, src: Reg) {
        self.push(Insn::new(STX | MEM | size as u8, dst, src, off, 0));
    }

    /// `*(size *)(dst + off) = imm`.
    pub fn store_imm(&mut self, size: Size, dst: Reg, off: i16, imm: i32) {
        self.push(Insn::new(ST | MEM | size as u8, dst, R0, off, imm));
    }

    /// `dst = imm` for a full 64-bit immediate (two instruction slots).
    pub fn load_imm64(&mut self, dst: Reg, imm: u64) {
        let lo = i32::from_ne_bytes((imm as u32).to_ne_bytes());
        let hi = i32::from_ne_bytes(((imm >> 32) as u32).to_ne_bytes());
        self.push(Insn::new(LD | IMM | Size::Dw as u8, dst, R0, 0, lo));
        self.push(Insn::new(0, R0, R0, 0, hi));
    }

    /// `dst = map` (the verifier turns the descriptor into the map's address).
    pub fn load_map(&mut self, dst: Reg, map: RawFd) {
        self.push(Insn::new(
            LD | IMM | Size::Dw as u8,
            dst,
            Reg(PSEUDO_MAP_FD),
            0,
            map,
        ));
        self.push(Insn::new(0, R0, R0, 0, 0));
    }

    fn jump_to(&mut self, code: u8, dst: Reg, src: Reg, imm: i32, target: Label) {
        self.fixups.push((self.insns.len(), target.0));
        self.push(Insn::new(code, dst, src, 0, imm));
    }

    /// `if dst cond imm goto target` (`imm` sign-extended to 64 bits: keep
    /// it below 2^31 or compare with a register).
    pub fn jump_imm(&mut self, cond: Cond, dst: Reg, imm: i32, target: Label) {
        self.jump_to(JMP | cond as u8 | K, dst, R0, imm, target);
    }

    /// `if dst cond src goto target`.
    pub fn jump_reg(&mut self, cond: Cond, dst: Reg, src: Reg, target: Label) {
        self.jump_to(JMP | cond as u8 | X, dst, src, 0, target);
    }

    /// `goto target`.
    pub fn jump(&mut self, target: Label) {
        self.jump_to(JMP, R0, R0, 0, target);
    }

    /// `r0 = helper(r1, ..., r5)`; clobbers `r1`..`r5`.
    pub fn call(&mut self, helper: Helper) {
        self.push(Insn::new(JMP | 0x80, R0, R0, 0, helper as i32));
    }

    /// `return r0`.
    pub fn exit(&mut self) {
        self.push(Insn::new(JMP | 0x90, R0, R0, 0, 0));
    }

    /// Resolves the jumps.
    ///
    /// # Errors
    /// A label never bound, or a jump beyond `i16`.
    pub fn finish(mut self) -> Result<Vec<Insn>, AsmError> {
        for &(at, label) in &self.fixups {
            let target = self
                .labels
                .get(label)
                .copied()
                .flatten()
                .ok_or(AsmError::Unbound(label))?;
            let delta =
                i64::try_from(target).unwrap_or(i64::MAX) - i64::try_from(at).unwrap_or(0) - 1;
            let off = i16::try_from(delta).map_err(|_| AsmError::TooFar { at })?;
            if let Some(insn) = self.insns.get_mut(at) {
                insn.off = off;
            }
        }
        Ok(self.insns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_the_kernel_macros() {
        let mut a = Asm::new();
        let end = a.label();
        a.alu_reg(Alu::Mov, R6, R1); // BPF_MOV64_REG(R6, R1): bf 16
        a.load(Size::W, R0, R6, 4); // BPF_LDX_MEM(W, R0, R6, 4): 61 60 0400
        a.jump_imm(Cond::Eq, R0, 4, end); // BPF_JMP_IMM(JEQ, R0, 4, +1): 15 00 0100
        a.mov32(R0, 0xffff_ffff); // BPF_MOV32_IMM(R0, -1): b4 00
        a.bind(end);
        a.exit(); // 95
        let p = a.finish().unwrap();
        assert_eq!(
            p[0],
            Insn {
                code: 0xbf,
                regs: 0x16,
                off: 0,
                imm: 0
            }
        );
        assert_eq!(
            p[1],
            Insn {
                code: 0x61,
                regs: 0x06 << 4,
                off: 4,
                imm: 0
            }
        );
        assert_eq!(
            p[2],
            Insn {
                code: 0x15,
                regs: 0,
                off: 1,
                imm: 4
            }
        );
        assert_eq!(
            p[3],
            Insn {
                code: 0xb4,
                regs: 0,
                off: 0,
                imm: -1
            }
        );
        assert_eq!(
            p[4],
            Insn {
                code: 0x95,
                regs: 0,
                off: 0,
                imm: 0
            }
        );
    }

    #[test]
    fn wide_immediates_take_two_slots_and_jumps_count_them() {
        let mut a = Asm::new();
        let end = a.label();
        a.jump(end);
        a.load_imm64(R2, 0x1122_3344_5566_7788);
        a.load_map(R1, 7);
        a.bind(end);
        a.exit();
        let p = a.finish().unwrap();
        assert_eq!(p[0].off, 4);
        assert_eq!(
            (p[1].code, p[1].imm, p[2].imm),
            (0x18, 0x5566_7788, 0x1122_3344)
        );
        assert_eq!((p[3].code, p[3].regs, p[3].imm), (0x18, 0x11, 7));
    }

    #[test]
    fn an_unbound_label_is_an_error() {
        let mut a = Asm::new();
        let nowhere = a.label();
        a.jump(nowhere);
        assert_eq!(a.finish(), Err(AsmError::Unbound(0)));
    }
}
