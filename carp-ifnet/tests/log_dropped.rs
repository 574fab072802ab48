//! A dropped frame is offered to the `log` facade at `debug` under the
//! `carp` target when `net.inet.carp.log` is 2 or more (FreeBSD's "log
//! bad packets" level), and not at 1; an accepted advert logs no drop.
//! One test in its own binary: the logger is process-wide.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

#[path = "../benches/common/mod.rs"]
mod common;

use std::sync::Mutex;

use carp_core::{Reject, State};
use carp_ifnet::carpif::{CarpIf, Input};
use common::{fix_ip_checksum, host, master_advert, sysctl_replay_off, us, IP_AT};

static RECORDS: Mutex<Vec<(log::Level, String, String)>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let entry = (
            record.level(),
            record.target().to_owned(),
            record.args().to_string(),
        );
        RECORDS.lock().unwrap().push(entry);
    }
    fn flush(&self) {}
}

fn take() -> Vec<(log::Level, String, String)> {
    std::mem::take(&mut *RECORDS.lock().unwrap())
}

#[test]
fn drops_are_logged_at_debug_from_log_level_2_only() {
    log::set_logger(&Capture).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let sysctl = sysctl_replay_off();
    let mut backup: CarpIf<1> = host(12, &[(7, 50)], &sysctl);
    let advert = master_advert(7);
    let mut ttl254 = advert.clone();
    ttl254[IP_AT + 8] = 254;
    fix_ip_checksum(&mut ttl254);
    take();

    sysctl.set("log", 2).unwrap();
    let dropped = backup.input(us(1000), &ttl254, &sysctl);
    assert_eq!(dropped, Err(Reject::BadTtl(254)));
    assert_eq!(
        take(),
        [(
            log::Level::Debug,
            "carp".to_owned(),
            "dropped: wrong TTL 254, expected 255".to_owned()
        )]
    );

    sysctl.set("log", 1).unwrap();
    assert_eq!(
        backup.input(us(2000), &ttl254, &sysctl),
        Err(Reject::BadTtl(254))
    );
    assert_eq!(take(), [], "log=1 shows state changes only");

    sysctl.set("log", 2).unwrap();
    let accepted = backup.input(us(3000), &advert, &sysctl);
    assert!(
        matches!(accepted, Ok(Input::Advert { vhid: 7, .. })),
        "{accepted:?}"
    );
    assert_eq!(backup.vhost(7).map(|v| v.state()), Some(State::Backup));
    let drops: Vec<_> = take()
        .into_iter()
        .filter(|(_, _, line)| line.starts_with("dropped"))
        .collect();
    assert_eq!(drops, [], "an accepted advert is not a drop");
}
