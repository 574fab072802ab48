//! Footprint: `size_of` the per-vhid state and of `CarpIf` at the default
//! capacity (16) and at 255; target <= 1 KiB per vhid.
//!
//! Prints `memory: VirtualHost <b> B, VhostConfig <b> B, AuthContext <b> B,
//! CarpIf<16> <b> B, CarpIf<255> <b> B, per vhid slot <b> B`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::mem::size_of;

use carp_core::{AuthContext, Event, Stats, VhostConfig, VirtualHost};
use carp_ifnet::carpif::CarpIf;
use common::Mock;

fn main() {
    // A VhostConfig holds its 8 addresses inline (heapless), so a vhid with
    // 8 addresses is exactly size_of::<VirtualHost>().
    let vhost = size_of::<VirtualHost>();
    let c16 = size_of::<CarpIf<16>>();
    let c255 = size_of::<CarpIf<255>>();
    let slot = (c255 - c16) as f64 / 239.0;
    println!(
        "memory: VirtualHost {vhost} B, VhostConfig {} B, AuthContext {} B, Stats {} B, Event {} B, CarpIf<16> {c16} B, CarpIf<255> {c255} B, per vhid slot {slot:.0} B (Mock driver {} B)",
        size_of::<VhostConfig>(),
        size_of::<AuthContext>(),
        size_of::<Stats>(),
        size_of::<Event>(),
        size_of::<Mock>(),
    );
    println!(
        "memory: target <= 1024 B per vhid {} ({slot:.0} B)",
        if slot <= 1024.0 { "MET" } else { "MISSED" }
    );
}
