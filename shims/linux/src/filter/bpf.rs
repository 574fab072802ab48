//! The bpf(2) calls carpd makes: a per-CPU array of counters, loading a
//! socket filter, attaching it, reading the counters back, and
//! `BPF_PROG_TEST_RUN` for tests and benches.
//!
//! Command numbers and `union bpf_attr` layouts from the kernel's
//! `include/uapi/linux/bpf.h`.
#![allow(unsafe_code)]

use std::io;
use std::mem::size_of;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use super::ebpf::Insn;

const BPF_MAP_CREATE: libc::c_long = 0;
const BPF_MAP_LOOKUP_ELEM: libc::c_long = 1;
const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_PROG_TEST_RUN: libc::c_long = 10;
const BPF_MAP_TYPE_PERCPU_ARRAY: u32 = 6;
const BPF_PROG_TYPE_SOCKET_FILTER: u32 = 1;

/// `bpf(cmd, attr, sizeof attr)`.
fn bpf<T>(cmd: libc::c_long, attr: &mut T) -> io::Result<libc::c_long> {
    // SAFETY: `attr` is a live, initialised `repr(C)` prefix of
    // `union bpf_attr` of the size passed; the kernel reads it and, for
    // the commands used here, writes only inside it or through the user
    // pointers it holds, which point to live buffers of the sizes given.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd,
            std::ptr::from_mut(attr).cast::<libc::c_void>(),
            size_of::<T>(),
        )
    };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

fn owned(fd: libc::c_long) -> io::Result<OwnedFd> {
    let fd = RawFd::try_from(fd).map_err(|_| io::Error::other("bpf: descriptor out of range"))?;
    // SAFETY: the kernel just returned this fresh descriptor to us alone.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[repr(C)]
#[derive(Default)]
struct MapCreate {
    map_type: u32,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    map_flags: u32,
}

#[repr(C)]
#[derive(Default)]
struct ProgLoad {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
    prog_name: [u8; 16],
}

#[repr(C)]
#[derive(Default)]
struct MapElem {
    map_fd: u32,
    _pad: u32,
    key: u64,
    value: u64,
    flags: u64,
}

#[repr(C)]
#[derive(Default)]
struct TestRun {
    prog_fd: u32,
    retval: u32,
    data_size_in: u32,
    data_size_out: u32,
    data_in: u64,
    data_out: u64,
    repeat: u32,
    duration: u32,
}

fn raw_u32(fd: &OwnedFd) -> u32 {
    u32::try_from(fd.as_raw_fd()).unwrap_or(u32::MAX)
}

/// CPUs the kernel keeps per-CPU map values for (the bits of
/// `/sys/devices/system/cpu/possible`, e.g. `0-3`).
fn possible_cpus() -> usize {
    let text = std::fs::read_to_string("/sys/devices/system/cpu/possible").unwrap_or_default();
    let count: usize = text
        .trim()
        .split(',')
        .filter_map(|part| {
            let (a, b) = part.split_once('-').unwrap_or((part, part));
            let (a, b) = (a.parse::<usize>().ok()?, b.parse::<usize>().ok()?);
            b.checked_sub(a).map(|d| d + 1)
        })
        .sum();
    // Too many slots only adds zeros to the sums.
    if count == 0 {
        4096
    } else {
        count
    }
}

/// A `BPF_MAP_TYPE_PERCPU_ARRAY` of `u64` counters (Linux 4.6).
#[derive(Debug)]
pub struct Counters {
    fd: OwnedFd,
    entries: u32,
    cpus: usize,
}

impl Counters {
    /// Creates `entries` counters, all zero.
    ///
    /// # Errors
    /// The bpf(2) failure (`EPERM` without CAP_BPF or CAP_SYS_ADMIN,
    /// `ENOSYS`/`EINVAL` on kernels without it).
    pub fn create(entries: u32) -> io::Result<Counters> {
        let mut attr = MapCreate {
            map_type: BPF_MAP_TYPE_PERCPU_ARRAY,
            key_size: 4,
            value_size: 8,
            max_entries: entries,
            map_flags: 0,
        };
        let fd = owned(bpf(BPF_MAP_CREATE, &mut attr)?)?;
        Ok(Counters {
            fd,
            entries,
            cpus: possible_cpus(),
        })
    }

    /// The map's descriptor, for [`super::ebpf::Asm::load_map`].
    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Counter `key` summed over every CPU.
    ///
    /// # Errors
    /// The lookup failure (`ENOENT` for a key beyond the map).
    pub fn sum(&self, key: u32) -> io::Result<u64> {
        if key >= self.entries {
            return Err(io::Error::from_raw_os_error(libc::ENOENT));
        }
        let mut values = vec![0u64; self.cpus];
        let mut attr = MapElem {
            map_fd: raw_u32(&self.fd),
            key: std::ptr::from_ref(&key) as u64,
            value: values.as_mut_ptr() as u64,
            ..MapElem::default()
        };
        bpf(BPF_MAP_LOOKUP_ELEM, &mut attr)?;
        Ok(values.iter().fold(0u64, |a, v| a.wrapping_add(*v)))
    }
}

/// A loaded `BPF_PROG_TYPE_SOCKET_FILTER`.
#[derive(Debug)]
pub struct Program {
    fd: OwnedFd,
}

/// Why the kernel refused a program: the error and the verifier's log.
#[derive(Debug)]
pub struct LoadError {
    /// The bpf(2) error.
    pub error: io::Error,
    /// The verifier's explanation (empty when it gave none).
    pub log: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.error)?;
        if let Some(last) = self.log.lines().rev().find(|l| !l.trim().is_empty()) {
            write!(f, " (verifier: {last})")?;
        }
        Ok(())
    }
}

impl Program {
    /// Loads `insns` as a socket filter named `name`.
    ///
    /// # Errors
    /// [`LoadError`] with the verifier's log when the kernel refuses it.
    pub fn load(insns: &[Insn], name: &str) -> Result<Program, LoadError> {
        let license = b"BSD\0";
        let mut log = vec![0u8; 64 * 1024];
        let mut prog_name = [0u8; 16];
        // The kernel takes letters, digits, '_' and '.' only.
        for (d, s) in prog_name.iter_mut().zip(name.bytes().take(15)) {
            *d = if s.is_ascii_alphanumeric() || s == b'.' {
                s
            } else {
                b'_'
            };
        }
        let insn_cnt = u32::try_from(insns.len()).unwrap_or(u32::MAX);
        let mut attr = ProgLoad {
            prog_type: BPF_PROG_TYPE_SOCKET_FILTER,
            insn_cnt,
            insns: insns.as_ptr() as u64,
            license: license.as_ptr() as u64,
            log_level: 1,
            log_size: u32::try_from(log.len()).unwrap_or(0),
            log_buf: log.as_mut_ptr() as u64,
            prog_name,
            ..ProgLoad::default()
        };
        match bpf(BPF_PROG_LOAD, &mut attr).and_then(owned) {
            Ok(fd) => Ok(Program { fd }),
            Err(error) => {
                let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
                let log = String::from_utf8_lossy(log.get(..end).unwrap_or(&[])).into_owned();
                Err(LoadError { error, log })
            }
        }
    }

    /// Makes it `socket`'s filter (`SO_ATTACH_BPF`, Linux 3.19), replacing
    /// the one before atomically.
    ///
    /// # Errors
    /// The setsockopt failure.
    pub fn attach(&self, socket: BorrowedFd<'_>) -> io::Result<()> {
        let fd: libc::c_int = self.fd.as_raw_fd();
        // SAFETY: `fd` is a live c_int of the size passed.
        let rc = unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_ATTACH_BPF,
                std::ptr::from_ref(&fd).cast::<libc::c_void>(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// Runs the program once over `frame` in the kernel
    /// (`BPF_PROG_TEST_RUN`, Linux 4.12) and returns what it returned.
    /// The kernel builds the skb as a receive would: the MAC header at the
    /// start, `pkt_type` from the destination.
    ///
    /// # Errors
    /// The bpf(2) failure.
    pub fn test_run(&self, frame: &[u8]) -> io::Result<u32> {
        self.test_runs(frame, 1).map(|(ret, _)| ret)
    }

    /// Runs the program `repeat` times over `frame` in the kernel and
    /// returns what it returned and the kernel's mean time per run in ns
    /// (for benches: the program alone, no socket).
    ///
    /// # Errors
    /// The bpf(2) failure.
    pub fn test_runs(&self, frame: &[u8], repeat: u32) -> io::Result<(u32, u32)> {
        let mut out = vec![0u8; frame.len() + 256];
        let mut attr = TestRun {
            prog_fd: raw_u32(&self.fd),
            data_size_in: u32::try_from(frame.len()).unwrap_or(u32::MAX),
            data_size_out: u32::try_from(out.len()).unwrap_or(0),
            data_in: frame.as_ptr() as u64,
            data_out: out.as_mut_ptr() as u64,
            repeat,
            ..TestRun::default()
        };
        bpf(BPF_PROG_TEST_RUN, &mut attr)?;
        Ok((attr.retval, attr.duration))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn possible_cpus_counts_ranges() {
        assert!(possible_cpus() >= 1);
    }
}
