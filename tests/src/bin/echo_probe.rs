//! `carp-echo-probe ADDR INTERVAL_MS DURATION_MS`: a client that sends an
//! ICMP echo request to the IPv4 address `ADDR` every `INTERVAL_MS` on a
//! fixed schedule (request k is due at start + k x interval, whatever came
//! back), for `DURATION_MS`, then waits 200 ms for the last replies and
//! prints one line per request and per reply:
//!
//! ```text
//! sent <seq> <unix seconds, microseconds>
//! reply <seq> <unix seconds, microseconds>
//! ```
//!
//! The failover measurement runs it in the client namespace instead of
//! `ping`, which stretches its interval while replies are missing, so the
//! client-observed downtime can be bounded by takeover + one interval.
//! Needs root (a raw ICMP socket).

use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::sys::socket::{
    recvfrom, sendto, setsockopt, socket, sockopt, AddressFamily, MsgFlags, SockFlag, SockProtocol,
    SockType, SockaddrIn,
};
use nix::sys::time::TimeVal;

/// Unix time now, in seconds.
fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// RFC 1071 ones'-complement sum of `bytes`, complemented.
fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An echo request (type 8) with identifier `id` and sequence `seq`.
fn echo_request(id: u16, seq: u16) -> [u8; 16] {
    let mut m = [0u8; 16];
    m[0] = 8;
    m[4..6].copy_from_slice(&id.to_be_bytes());
    m[6..8].copy_from_slice(&seq.to_be_bytes());
    m[8..16].copy_from_slice(b"carpecho");
    let sum = checksum(&m);
    m[2..4].copy_from_slice(&sum.to_be_bytes());
    m
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, interval, duration] = args.as_slice() else {
        return Err("usage: carp-echo-probe ADDR INTERVAL_MS DURATION_MS".into());
    };
    let addr: Ipv4Addr = addr.parse().map_err(|e| format!("ADDR {addr}: {e}"))?;
    let ms = |s: &str, what: &str| {
        s.parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|e| format!("{what} {s}: {e}"))
    };
    let interval = ms(interval, "INTERVAL_MS")?;
    let duration = ms(duration, "DURATION_MS")?;
    if interval.is_zero() {
        return Err("INTERVAL_MS must be at least 1".into());
    }

    let fd = socket(
        AddressFamily::Inet,
        SockType::Raw,
        SockFlag::empty(),
        SockProtocol::Icmp,
    )
    .map_err(|e| format!("raw ICMP socket (root needed): {e}"))?;
    setsockopt(&fd, sockopt::ReceiveTimeout, &TimeVal::new(0, 50_000))
        .map_err(|e| format!("SO_RCVTIMEO: {e}"))?;
    let fd = Arc::new(fd);
    let id = (std::process::id() & 0xffff) as u16;
    let replies: Arc<Mutex<Vec<(u16, f64)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));

    let receiver = {
        let (fd, replies, stop) = (Arc::clone(&fd), Arc::clone(&replies), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while !stop.load(Ordering::Relaxed) {
                let Ok((n, from)) = recvfrom::<SockaddrIn>(fd.as_raw_fd(), &mut buf) else {
                    continue;
                };
                let at = unix_now();
                let Some(packet) = buf.get(..n) else { continue };
                // A raw IPv4 socket hands over the IP header too.
                let ihl = usize::from(packet.first().map_or(0, |b| b & 0x0f)) * 4;
                let Some(icmp) = packet.get(ihl..ihl + 8) else {
                    continue;
                };
                let from_target = from.is_some_and(|f| f.ip() == addr);
                let ours = u16::from_be_bytes([icmp[4], icmp[5]]) == id;
                if from_target && icmp[0] == 0 && ours {
                    let seq = u16::from_be_bytes([icmp[6], icmp[7]]);
                    if let Ok(mut r) = replies.lock() {
                        r.push((seq, at));
                    }
                }
            }
        })
    };

    let target = SockaddrIn::from(std::net::SocketAddrV4::new(addr, 0));
    let start = Instant::now();
    let mut sent = Vec::new();
    for seq in 0u16.. {
        let due = start + interval * u32::from(seq);
        if due.duration_since(start) >= duration {
            break;
        }
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let at = unix_now();
        // A failed send (no route for a moment) is a request unanswered.
        let _ = sendto(
            fd.as_raw_fd(),
            &echo_request(id, seq),
            &target,
            MsgFlags::empty(),
        );
        sent.push((seq, at));
    }
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    receiver.join().map_err(|_| "receiver thread panicked")?;

    let mut out = String::new();
    for (seq, at) in &sent {
        out.push_str(&format!("sent {seq} {at:.6}\n"));
    }
    let replies = replies.lock().map_err(|_| "reply list poisoned")?;
    for (seq, at) in replies.iter() {
        out.push_str(&format!("reply {seq} {at:.6}\n"));
    }
    print!("{out}");
    Ok(())
}
