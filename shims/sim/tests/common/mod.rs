//! Helpers shared by the simulator's integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use carp_sim::report::Report;
use carp_sim::scenario::Scenario;
use carp_sim::Lan;

/// The path of a shipped scenario.
pub fn scenario_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.toml"))
}

/// A shipped scenario, parsed.
pub fn scenario(name: &str) -> Scenario {
    let path = scenario_path(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Scenario::from_toml(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A shipped scenario, run with its own seed.
pub fn run(name: &str) -> (Scenario, Lan) {
    let s = scenario(name);
    let lan = s.run(None).unwrap();
    (s, lan)
}

/// The text `carp-sim run` prints for a shipped scenario.
pub fn text(name: &str) -> String {
    let (s, lan) = run(name);
    Report::new(&lan, s.seed).text()
}

/// A pcap file in the temp dir, removed on drop.
pub struct TempFile(pub PathBuf);

impl TempFile {
    pub fn new(name: &str) -> TempFile {
        TempFile(std::env::temp_dir().join(format!("carp-sim-{}-{name}", std::process::id())))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
