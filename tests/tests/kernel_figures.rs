//! Figures of the example kernel for BENCHMARKS.md: boot to first advert
//! (on the wire from the host's QEMU start, and on the guest's clock from
//! vCPU reset) and the per-advert cost in the guest against one SHA-1
//! block compression timed in the same boot (`bench` on the command line).
//! A measurement, not a check: `.ci/run` runs it with
//! `--ignored --nocapture` so its `kernel figures:` lines land in the log.
//! The image's section sizes come from `shims/kernel/size.sh`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use carp_tests::carpd::Scratch;
use carp_tests::kernel::{field, run_for, Guest};
use carp_tests::netns::Lab;
use carp_tests::require;
use carp_tests::require::Prerequisite::{Netns, Qemu, Root, Tshark};
use carp_tests::tshark::decode_fields;

#[test]
#[ignore = "a measurement: .ci/run runs it with --ignored --nocapture"]
fn kernel_figures() {
    require!(Root, Netns, Qemu, Tshark);
    // Build first, so the boot time does not include cargo.
    let _ = carp_tests::kernel::image();
    let dir = Scratch::new("kq-figures");
    let lab = Lab::new().unwrap();
    let pcap = dir.path.join("boot.pcap");
    let cap = lab.capture(&pcap, "ip proto 112").unwrap();
    // Forced MASTER at configuration: the first advert goes out as soon
    // as carp is configured, so the figure is boot cost, not election.
    let cmdline =
        "ip=192.0.2.21/24; ifconfig carp0 create vhid 1 pass pw 192.0.2.100/24 state master; bench";
    let spawned = SystemTime::now();
    let guest = Guest::boot(&lab, "g", "02:00:5e:10:00:21", cmdline).unwrap();
    let bench = guest
        .wait_line("carp: bench ", Duration::from_secs(30))
        .unwrap_or_else(|| panic!("no bench line:\n{}", guest.transcript()));
    run_for(Duration::from_millis(500));
    drop(cap);

    let boot = guest.wait_line("carp: boot ", Duration::ZERO).unwrap();
    let first = guest
        .wait_line("carp: advert-first ", Duration::ZERO)
        .unwrap();
    let us = |line: &str, key: &str| field(line, key).unwrap().parse::<u64>().unwrap();
    let entry_ms = us(&boot.text, "entry_us") as f64 / 1000.0;
    let guest_ms = (us(&boot.text, "clock_us") + us(&first.text, "at_us")) as f64 / 1000.0;
    let rows = decode_fields(&pcap, &["frame.time_epoch", "ip.src"]).unwrap();
    let first_wire = rows
        .iter()
        .find(|r| r[1] == "192.0.2.21")
        .map(|r| r[0].parse::<f64>().unwrap())
        .expect("no advert from the guest on the wire");
    let spawn_epoch = spawned.duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    let host_ms = (first_wire - spawn_epoch) * 1000.0;
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    println!(
        "kernel figures: boot to first advert {host_ms:.1} ms from QEMU start to the bridge; {guest_ms:.1} ms on the guest clock from vCPU reset (kernel entry at {entry_ms:.1} ms, HPET calibration 50 ms); load average {}",
        load.join(" ")
    );
    let advert = us(&bench.text, "advert_ticks");
    let sha = us(&bench.text, "sha1_block_ticks");
    println!(
        "kernel figures: per advert {advert} TSC ticks (CarpIf::poll building, signing and framing one advert), one SHA-1 block {sha} ticks, ratio {:.2} (TCG; medians of {})",
        advert as f64 / sha as f64,
        field(&bench.text, "rounds").unwrap()
    );
}
