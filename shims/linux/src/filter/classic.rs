//! The classic BPF filter: the fallback when the kernel refuses the eBPF
//! program (Linux before 4.18, no CAP_BPF or CAP_SYS_ADMIN). It keeps out
//! everything that is not CARP, ARP or neighbour discovery and our own
//! transmissions, and lets every CARP frame through: the library then sees,
//! and counts, all of them. It is also the filter a socket starts with, so
//! that nothing unfiltered is queued before the eBPF program is attached.
#![allow(unsafe_code)]

use std::io;
use std::mem::size_of;
use std::os::fd::{AsRawFd, BorrowedFd};

/// Ethertypes and protocol numbers the filter lets through.
const ETHERTYPE_IPV4: u32 = 0x0800;
const ETHERTYPE_ARP: u32 = 0x0806;
const ETHERTYPE_IPV6: u32 = 0x86dd;
const PROTO_CARP: u32 = 112;
const PROTO_ICMPV6: u32 = 58;
const ND_NEIGHBOR_SOLICIT: u32 = 135;
const ND_NEIGHBOR_ADVERT: u32 = 136;
/// `SKF_AD_OFF + SKF_AD_PKTTYPE`: the ancillary load of `sll_pkttype`.
const SKF_AD_PKTTYPE: u32 = 0xffff_f000 + 4;
/// `PACKET_OUTGOING`: a frame this host sent (ours included).
const PACKET_OUTGOING: u32 = 4;

/// Classic BPF opcodes used by the filter.
const LD_W_ABS: u16 = 0x20;
const LD_H_ABS: u16 = 0x28;
const LD_B_ABS: u16 = 0x30;
const JEQ_K: u16 = 0x15;
const RET_K: u16 = 0x06;

/// One BPF instruction with symbolic jump targets (instruction indexes).
#[derive(Debug, Clone, Copy)]
enum Insn {
    Load(u16, u32),
    JumpIfEqual { k: u32, then: usize, or_else: usize },
    Return(u32),
}

/// The filter program: accept ARP, IPv4 protocol 112, IPv6 next header 112
/// and ICMPv6 neighbour solicitations/advertisements (next header directly
/// after the fixed IPv6 header); drop our own outgoing frames and the rest.
fn program() -> Vec<Insn> {
    const ACCEPT: usize = 14;
    const DROP: usize = 15;
    use Insn::{JumpIfEqual as Jeq, Load, Return};
    vec![
        /* 0 */ Load(LD_W_ABS, SKF_AD_PKTTYPE),
        /* 1 */
        Jeq {
            k: PACKET_OUTGOING,
            then: DROP,
            or_else: 2,
        },
        /* 2 */ Load(LD_H_ABS, 12),
        /* 3 */
        Jeq {
            k: ETHERTYPE_ARP,
            then: ACCEPT,
            or_else: 4,
        },
        /* 4 */
        Jeq {
            k: ETHERTYPE_IPV4,
            then: 6,
            or_else: 5,
        },
        /* 5 */
        Jeq {
            k: ETHERTYPE_IPV6,
            then: 8,
            or_else: DROP,
        },
        /* 6 */ Load(LD_B_ABS, 14 + 9),
        /* 7 */
        Jeq {
            k: PROTO_CARP,
            then: ACCEPT,
            or_else: DROP,
        },
        /* 8 */ Load(LD_B_ABS, 14 + 6),
        /* 9 */
        Jeq {
            k: PROTO_CARP,
            then: ACCEPT,
            or_else: 10,
        },
        /* 10 */
        Jeq {
            k: PROTO_ICMPV6,
            then: 11,
            or_else: DROP,
        },
        /* 11 */ Load(LD_B_ABS, 14 + 40),
        /* 12 */
        Jeq {
            k: ND_NEIGHBOR_SOLICIT,
            then: ACCEPT,
            or_else: 13,
        },
        /* 13 */
        Jeq {
            k: ND_NEIGHBOR_ADVERT,
            then: ACCEPT,
            or_else: DROP,
        },
        /* 14 */ Return(0x0004_0000),
        /* 15 */ Return(0),
    ]
}

/// Assembles [`program`] into kernel instructions (jumps are relative and
/// forward only, at most 255 ahead).
fn assemble(program: &[Insn]) -> io::Result<Vec<libc::sock_filter>> {
    let rel = |from: usize, to: usize| -> io::Result<u8> {
        to.checked_sub(from + 1)
            .and_then(|d| u8::try_from(d).ok())
            .ok_or_else(|| io::Error::other(format!("bpf: bad jump {from} -> {to}")))
    };
    program
        .iter()
        .enumerate()
        .map(|(i, insn)| {
            Ok(match *insn {
                Insn::Load(code, k) => libc::sock_filter {
                    code,
                    jt: 0,
                    jf: 0,
                    k,
                },
                Insn::JumpIfEqual { k, then, or_else } => libc::sock_filter {
                    code: JEQ_K,
                    jt: rel(i, then)?,
                    jf: rel(i, or_else)?,
                    k,
                },
                Insn::Return(k) => libc::sock_filter {
                    code: RET_K,
                    jt: 0,
                    jf: 0,
                    k,
                },
            })
        })
        .collect()
}

/// Attaches the classic filter to `socket` (`SO_ATTACH_FILTER`), replacing
/// whatever filter it had.
///
/// # Errors
/// The setsockopt failure.
pub fn attach(socket: BorrowedFd<'_>) -> io::Result<()> {
    let mut filter = assemble(&program())?;
    let prog = libc::sock_fprog {
        len: u16::try_from(filter.len()).map_err(|_| io::Error::other("bpf too long"))?,
        filter: filter.as_mut_ptr(),
    };
    // SAFETY: `prog` points to `filter`, both live for the call; the
    // kernel copies the program before returning.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            std::ptr::from_ref(&prog).cast::<libc::c_void>(),
            size_of::<libc::sock_fprog>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the assembled program over `frame` the way the kernel would
    /// (only the opcodes the program uses), with `pkttype` for the
    /// ancillary load.
    fn run(frame: &[u8], pkttype: u32) -> u32 {
        let prog = assemble(&program()).unwrap();
        let mut pc = 0;
        let mut acc = 0u32;
        for _ in 0..prog.len() {
            let i = prog[pc];
            match i.code {
                LD_W_ABS if i.k == SKF_AD_PKTTYPE => acc = pkttype,
                LD_H_ABS => {
                    let k = i.k as usize;
                    acc = u32::from(u16::from_be_bytes([frame[k], frame[k + 1]]));
                }
                LD_B_ABS => match frame.get(i.k as usize) {
                    Some(b) => acc = u32::from(*b),
                    None => return 0,
                },
                JEQ_K => {
                    let off = if acc == i.k { i.jt } else { i.jf };
                    pc += 1 + off as usize;
                    continue;
                }
                RET_K => return i.k,
                other => panic!("opcode {other:#x}"),
            }
            pc += 1;
        }
        panic!("program did not return");
    }

    fn frame(ethertype: u16, byte_at: &[(usize, u8)]) -> Vec<u8> {
        let mut f = vec![0u8; 90];
        f[12..14].copy_from_slice(&ethertype.to_be_bytes());
        for &(at, b) in byte_at {
            f[at] = b;
        }
        f
    }

    #[test]
    fn filter_accepts_carp_arp_and_neighbour_discovery() {
        assert_ne!(run(&frame(0x0800, &[(23, 112)]), 0), 0);
        assert_ne!(run(&frame(0x86dd, &[(20, 112)]), 0), 0);
        assert_ne!(run(&frame(0x0806, &[]), 0), 0);
        assert_ne!(run(&frame(0x86dd, &[(20, 58), (54, 135)]), 2), 0);
        assert_ne!(run(&frame(0x86dd, &[(20, 58), (54, 136)]), 2), 0);
    }

    #[test]
    fn filter_drops_other_traffic_and_our_own_frames() {
        assert_eq!(run(&frame(0x0800, &[(23, 6)]), 0), 0);
        assert_eq!(run(&frame(0x0800, &[(23, 1)]), 0), 0);
        assert_eq!(run(&frame(0x86dd, &[(20, 58), (54, 128)]), 0), 0);
        assert_eq!(run(&frame(0x86dd, &[(20, 17)]), 0), 0);
        assert_eq!(run(&frame(0x88cc, &[]), 0), 0);
        assert_eq!(run(&frame(0x0800, &[(23, 112)]), PACKET_OUTGOING), 0);
    }
}
