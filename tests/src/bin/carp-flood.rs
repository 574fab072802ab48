//! `carp-flood <ifname> <kind> <vhid> <count> <rate>`: sends `count` frames
//! of `kind` (see `carp_tests::flood`) aimed at `vhid` out of `ifname`
//! through an AF_PACKET socket, `rate` per second, evenly spaced; prints
//! `sent <count> in <seconds> s`. Run inside a lab namespace by the flood
//! bench; it needs CAP_NET_RAW.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::io;
use std::mem::size_of;
use std::process::ExitCode;

use carp_tests::flood::{frame, paced, Kind};

fn usage() -> ExitCode {
    eprintln!("usage: carp-flood <ifname> <forged|badvhid|ttl254|vrrp> <vhid> <count> <rate>");
    ExitCode::from(2)
}

/// A packet socket bound to `ifname` (sends only: protocol 0 receives nothing).
fn open(ifname: &str) -> io::Result<i32> {
    let name = CString::new(ifname).map_err(|_| io::Error::other("bad interface name"))?;
    // SAFETY: `name` is a valid NUL-terminated string.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    if index == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: plain socket(2); the result is checked.
    let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: all-zero is a valid sockaddr_ll.
    let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    addr.sll_family = libc::AF_PACKET as u16;
    addr.sll_ifindex = i32::try_from(index).map_err(|_| io::Error::other("ifindex"))?;
    // SAFETY: `addr` is a sockaddr_ll of the size passed.
    let rc = unsafe {
        libc::bind(
            fd,
            std::ptr::from_ref(&addr).cast::<libc::sockaddr>(),
            size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(fd)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [ifname, kind, vhid, count, rate] = args.as_slice() else {
        return usage();
    };
    let (Some(kind), Ok(vhid), Ok(count), Ok(rate)) = (
        Kind::from_name(kind),
        vhid.parse::<u8>(),
        count.parse::<u64>(),
        rate.parse::<u64>(),
    ) else {
        return usage();
    };
    if !(1..=254).contains(&vhid) {
        return usage();
    }
    let bytes = frame(kind, vhid);
    let fd = match open(ifname) {
        Ok(fd) => fd,
        Err(e) => {
            eprintln!("carp-flood: {ifname}: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Sleep to the microsecond, not the default 50 µs timer slack.
    // SAFETY: prctl with integer arguments only.
    unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1u64, 0u64, 0u64, 0u64) };
    let sent = paced(count, rate, || {
        // SAFETY: the pointer and length describe `bytes`.
        let n = unsafe { libc::send(fd, bytes.as_ptr().cast(), bytes.len(), 0) };
        if n < 0 {
            let e = io::Error::last_os_error();
            // A full queue drops this frame; the flood goes on.
            if e.raw_os_error() == Some(libc::ENOBUFS) {
                return Ok(());
            }
            return Err(e);
        }
        Ok(())
    });
    match sent {
        Ok(took) => {
            println!("sent {count} in {:.3} s", took.as_secs_f64());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("carp-flood: send: {e}");
            ExitCode::FAILURE
        }
    }
}
