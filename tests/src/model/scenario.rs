//! A trace of the checker as a carp-sim scenario: hosts and boot times,
//! faults as `[[event]]`s, every copy that was not on time as a
//! `[[fate]]` (the link's delay is d1, with no loss, jitter or
//! duplication of its own).

use std::fmt::Write;

use super::search::Successor;
use super::world::{host_ip, Fault, Step, PASS, VADDR, VHID};
use super::Bounds;

/// The scenario that replays `path` from the initial state of `bounds`,
/// running `tail_us` past its last step; `comment` heads the file.
pub fn to_toml(bounds: &Bounds, path: &[Successor], comment: &str, tail_us: u64) -> String {
    let end = path.last().map_or(0, |s| s.world.now.micros()) + tail_us;
    let mut t = String::new();
    for line in comment.lines() {
        let _ = writeln!(t, "# {line}");
    }
    let _ = writeln!(t, "duration = \"{end}us\"\nseed = 1\n");
    let _ = writeln!(t, "[knobs]\npreempt = {}\n", bounds.preempt);
    let _ = writeln!(t, "[link]\ndelay = \"{}us\"\n", bounds.delays_us.0);
    for (i, skew) in bounds.skews.iter().enumerate() {
        let start = bounds.starts_us.get(i).copied().unwrap_or(0);
        let _ = writeln!(
            t,
            "[[host]]\nname = \"h{i}\"\nmac = \"02:00:00:00:00:{:02x}\"\nip = \"{}\"\nstart = \"{start}us\"\n\
             [[host.vhost]]\nvhid = {VHID}\npass = \"{PASS}\"\nadvskew = {skew}\naddrs = [\"{VADDR}\"]\n",
            10 + i,
            host_ip(i)
        );
    }
    let mut sent = vec![0u64; bounds.skews.len()];
    let mut fates = String::new();
    for s in path {
        if let Step::Fault(at, fault) = s.step {
            let _ = writeln!(
                t,
                "[[event]]\nat = \"{}us\"\n{}\n",
                at.micros(),
                event(fault)
            );
        }
        let numbers: Vec<u64> = s
            .senders
            .iter()
            .map(|from| {
                let n = sent.get_mut(*from).map_or(0, |n| {
                    *n += 1;
                    *n
                });
                n
            })
            .collect();
        for c in &s.copies {
            if c.delays != [bounds.delays_us.0] {
                let delays: Vec<String> = c.delays.iter().map(|d| format!("\"{d}us\"")).collect();
                let _ = writeln!(
                    fates,
                    "[[fate]]\nfrom = \"h{}\"\nto = \"h{}\"\nadvert = {}\ndelays = [{}]\n",
                    c.from,
                    c.to,
                    numbers.get(c.advert).copied().unwrap_or(0),
                    delays.join(", ")
                );
            }
        }
    }
    t.push_str(&fates);
    t
}

fn event(fault: Fault) -> String {
    match fault {
        Fault::Crash(i) => format!("action = \"crash\"\nhost = \"h{i}\""),
        Fault::Restart(i) => format!("action = \"restart\"\nhost = \"h{i}\""),
        Fault::LinkDown(i) => format!("action = \"link-down\"\nhost = \"h{i}\""),
        Fault::LinkUp(i) => format!("action = \"link-up\"\nhost = \"h{i}\""),
        Fault::Demote(i, d) => {
            format!("action = \"sysctl\"\nhost = \"h{i}\"\nname = \"net.inet.carp.demotion\"\nvalue = {d}")
        }
        Fault::Preempt(i, on) => format!(
            "action = \"sysctl\"\nhost = \"h{i}\"\nname = \"net.inet.carp.preempt\"\nvalue = {}",
            i64::from(on)
        ),
    }
}
