//! What a client sees: `ping` every 10 ms to a virtual address (the
//! longest silence between two replies), and `arping` (who answers ARP).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::netns::{Background, Host};
use crate::process::wait_until;

/// A `ping -D -i 0.01` running in a host namespace into a file.
#[derive(Debug)]
pub struct Pinger {
    proc: Option<Background>,
    out: PathBuf,
}

/// The replies a [`Pinger`] got.
#[derive(Debug, Clone, PartialEq)]
pub struct Replies {
    /// Each reply as (time in s since the epoch, icmp_seq).
    pub replies: Vec<(f64, u64)>,
    /// Requests sent.
    pub sent: u64,
}

impl Replies {
    /// The longest silence between two replies less the 10 ms interval,
    /// in ms (by the clock: ping slows down while replies are missing),
    /// and the requests in it that got no reply.
    pub fn longest_gap(&self) -> (f64, u64) {
        self.replies
            .windows(2)
            .map(|w| {
                let ms = ((w[1].0 - w[0].0) * 1000.0 - 10.0).max(0.0);
                (ms, w[1].1.saturating_sub(w[0].1 + 1))
            })
            .fold((0.0, 0), |best, g| if g.0 > best.0 { g } else { best })
    }
}

impl Pinger {
    /// Pings `addr` from `client` every 10 ms for `secs` seconds, output
    /// in `dir`.
    ///
    /// # Panics
    /// When ping cannot be spawned.
    pub fn start(client: &Host, addr: &str, secs: u32, dir: &Path, tag: &str) -> Pinger {
        let out = dir.join(format!("ping-{tag}.txt"));
        let ping = if addr.contains(':') {
            "ping -6"
        } else {
            "ping"
        };
        let proc = client
            .ns
            .spawn(&[
                "sh",
                "-c",
                &format!(
                    "exec {ping} -n -D -i 0.01 -W 1 -w {secs} {addr} > {}",
                    out.display()
                ),
            ])
            .expect("spawn ping");
        Pinger {
            proc: Some(proc),
            out,
        }
    }

    /// Waits for ping to finish (its deadline plus 10 s at most) and
    /// returns what it saw.
    ///
    /// # Panics
    /// When it did not finish.
    pub fn finish(mut self) -> Replies {
        let done = wait_until(Duration::from_secs(120), || {
            std::fs::read_to_string(&self.out).is_ok_and(|t| t.contains("packets transmitted"))
        });
        drop(self.proc.take());
        let text = std::fs::read_to_string(&self.out).unwrap_or_default();
        assert!(done, "ping did not finish:\n{text}");
        parse_ping(&text)
    }
}

/// Parses `ping -D` output.
pub fn parse_ping(text: &str) -> Replies {
    let replies = text
        .lines()
        .filter(|l| l.contains("bytes from"))
        .filter_map(|l| {
            let t = l.strip_prefix('[')?.split(']').next()?.parse().ok()?;
            let seq = l
                .split("icmp_seq=")
                .nth(1)?
                .split(' ')
                .next()?
                .parse()
                .ok()?;
            Some((t, seq))
        })
        .collect();
    let sent = text
        .lines()
        .find_map(|l| l.split(" packets transmitted").next()?.trim().parse().ok())
        .unwrap_or(0);
    Replies { replies, sent }
}

/// One broadcast ARP request for `addr` from `client`'s interface: the
/// MAC of every reply, in order (iputils `arping`, listening `wait`
/// seconds after the one request).
///
/// # Panics
/// When arping cannot run.
pub fn arp_replies(client: &Host, addr: &str, wait: Duration) -> Vec<String> {
    // With a deadline (-w) arping waits for -c replies: ask for more than
    // can come, with an interval longer than the deadline, so it sends one
    // request and listens the whole deadline. -b keeps it broadcasting.
    let secs = wait.as_secs().max(1).to_string();
    let out = client
        .ns
        .exec(&[
            "arping",
            "-b",
            "-I",
            &client.ifname,
            "-c",
            "9",
            "-i",
            "60",
            "-w",
            &secs,
            addr,
        ])
        .expect("arping");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .filter(|l| l.contains("reply from"))
        .filter_map(|l| {
            let mac = l.split('[').nth(1)?.split(']').next()?;
            Some(mac.to_ascii_lowercase())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_are_measured_by_the_clock() {
        let text = "PING 192.0.2.100 (192.0.2.100) 56(84) bytes of data.\n\
[1.000000] 64 bytes from 192.0.2.100: icmp_seq=1 ttl=64 time=0.1 ms\n\
[1.010000] 64 bytes from 192.0.2.100: icmp_seq=2 ttl=64 time=0.1 ms\n\
[1.530000] 64 bytes from 192.0.2.100: icmp_seq=40 ttl=64 time=0.1 ms\n\
[1.540000] 64 bytes from 192.0.2.100: icmp_seq=41 ttl=64 time=0.1 ms\n\
\n--- 192.0.2.100 ping statistics ---\n\
41 packets transmitted, 4 received, 90% packet loss, time 540ms\n";
        let r = parse_ping(text);
        assert_eq!(r.sent, 41);
        assert_eq!(r.replies.len(), 4);
        let (ms, lost) = r.longest_gap();
        assert!((ms - 510.0).abs() < 1e-6, "{ms}");
        assert_eq!(lost, 37);
    }
}
