//! One keepalived VRRP instance in a lab host, for the flood bench: VRRPv3,
//! `advert_int 1`, one IPv4 virtual address, a notify script appending
//! every state it enters to a file (keepalived.conf(5): `notify` gets
//! `TYPE NAME STATE PRIORITY`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::netns::{Background, Host};
use crate::process::{output_within, wait_until};

/// True when `keepalived --version` runs.
pub fn available() -> bool {
    output_within(
        Command::new("keepalived").arg("--version"),
        Duration::from_secs(10),
    )
    .is_ok_and(|o| o.status.success())
}

/// A running keepalived (its VRRP process and parent).
#[derive(Debug)]
pub struct Keepalived {
    proc: Option<Background>,
    states: PathBuf,
}

impl Keepalived {
    /// Starts keepalived in `host` on `eth0` for `vrid` with `priority`
    /// and `addr` (IPv4, /24), files in `dir` under `name`.
    ///
    /// # Panics
    /// When its files cannot be written or it cannot be spawned.
    pub fn start(host: &Host, dir: &Path, name: &str, vrid: u8, priority: u8, addr: &str) -> Self {
        let states = dir.join(format!("{name}.states"));
        let notify = dir.join(format!("{name}-notify.sh"));
        std::fs::write(
            &notify,
            format!("#!/bin/sh\necho \"$3\" >> {}\n", states.display()),
        )
        .expect("notify script");
        let _ = Command::new("chmod").arg("755").arg(&notify).status();
        let conf = dir.join(format!("{name}.conf"));
        std::fs::write(
            &conf,
            format!(
                "global_defs {{\n  router_id {name}\n  script_user root\n}}\n\
                 vrrp_instance VI_{vrid} {{\n  state BACKUP\n  interface {ifname}\n  \
                 virtual_router_id {vrid}\n  priority {priority}\n  advert_int 1\n  \
                 version 3\n  virtual_ipaddress {{\n    {addr}/24\n  }}\n  \
                 notify {notify}\n}}\n",
                ifname = host.ifname,
                notify = notify.display()
            ),
        )
        .expect("keepalived.conf");
        let log = dir.join(format!("{name}.log"));
        let line = format!(
            "exec keepalived --dont-fork --log-console --vrrp --use-file {conf} \
             --pid {dir}/{name}.pid --vrrp_pid {dir}/{name}-vrrp.pid \
             --checkers_pid {dir}/{name}-checkers.pid >{log} 2>&1",
            conf = conf.display(),
            dir = dir.display(),
            log = log.display(),
        );
        let proc = host
            .ns
            .spawn(&["sh", "-c", &line])
            .expect("spawn keepalived");
        Keepalived {
            proc: Some(proc),
            states,
        }
    }

    /// Every state the notify script recorded, in order.
    pub fn states(&self) -> Vec<String> {
        std::fs::read_to_string(&self.states)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The last recorded state.
    pub fn state(&self) -> Option<String> {
        self.states().pop()
    }

    /// Waits until the last recorded state is `want`.
    pub fn wait_state(&self, want: &str, timeout: Duration) -> bool {
        wait_until(timeout, || self.state().as_deref() == Some(want))
    }

    /// Stops it (SIGTERM to its process group, then SIGKILL).
    pub fn stop(&mut self) {
        if let Some(p) = self.proc.take() {
            p.stop(Duration::from_secs(3));
        }
    }
}

impl Drop for Keepalived {
    fn drop(&mut self) {
        self.stop();
    }
}
