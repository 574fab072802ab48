//! One keepalived VRRP instance in a lab host: VRRPv3 over IPv4 or IPv6,
//! multicast or unicast peers, a notify script appending every state it
//! enters to a file (keepalived.conf(5): `notify` gets `TYPE NAME STATE
//! PRIORITY`). [`Keepalived::start`] is the flood bench's instance
//! (`advert_int 1`, one IPv4 address); [`Keepalived::start_with`] takes an
//! [`Instance`].

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
        let cidr = format!("{addr}/24");
        let addrs = [cidr.as_str()];
        let instance = Instance::new(vrid, priority, &addrs);
        Self::start_with(host, dir, name, &instance)
    }

    /// Starts keepalived in `host` on its interface with `instance`, files
    /// in `dir` under `name`.
    ///
    /// # Panics
    /// When its files cannot be written or it cannot be spawned.
    pub fn start_with(host: &Host, dir: &Path, name: &str, instance: &Instance<'_>) -> Self {
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
            instance.config(name, &host.ifname, &notify.display().to_string()),
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

    /// Stops it (SIGTERM to its process group, then SIGKILL): its VRRP
    /// process sends a priority-0 advert on the way out.
    pub fn stop(&mut self) {
        if let Some(p) = self.proc.take() {
            p.stop(Duration::from_secs(3));
        }
    }

    /// Kills its process group with SIGKILL: no priority-0 advert.
    pub fn crash(&mut self) {
        if let Some(p) = self.proc.take() {
            if let Some(pid) = p.id() {
                let group = format!("kill -KILL -- -{pid} 2>/dev/null");
                let _ = output_within(
                    Command::new("sh").args(["-c", &group]),
                    Duration::from_secs(5),
                );
            }
            drop(p);
        }
    }
}

/// One `vrrp_instance` (VRRPv3; keepalived.conf(5)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance<'a> {
    /// `virtual_router_id`.
    pub vrid: u8,
    /// `priority` (255: the address owner; keepalived wants the addresses
    /// on the interface then).
    pub priority: u8,
    /// `advert_int`, in centiseconds (VRRPv3's unit).
    pub interval_cs: u16,
    /// `virtual_ipaddress`, in CIDR form, all of one family (keepalived
    /// runs one family per instance).
    pub addrs: &'a [&'a str],
    /// `nopreempt` when false (with `state BACKUP`, as keepalived wants).
    pub preempt: bool,
    /// Writes `accept` (RFC 9568 Accept_Mode). Without `vrrp_strict`
    /// keepalived does not block traffic to the addresses either way.
    pub accept: bool,
    /// `unicast_src_ip` and `unicast_peer`: adverts to these peers
    /// instead of the group.
    pub unicast: Option<(&'a str, &'a [&'a str])>,
}

impl<'a> Instance<'a> {
    /// VRRPv3 at 100 cs, preempt on, multicast.
    pub fn new(vrid: u8, priority: u8, addrs: &'a [&'a str]) -> Self {
        Instance {
            vrid,
            priority,
            interval_cs: 100,
            addrs,
            preempt: true,
            accept: false,
            unicast: None,
        }
    }

    /// Its `keepalived.conf`, for interface `ifname`, notify script
    /// `notify`.
    pub fn config(&self, name: &str, ifname: &str, notify: &str) -> String {
        let mut conf = format!(
            "global_defs {{\n  router_id {name}\n  script_user root\n}}\n\
             vrrp_instance VI_{vrid} {{\n  state BACKUP\n  interface {ifname}\n  \
             virtual_router_id {vrid}\n  priority {priority}\n  \
             advert_int {secs}.{cs:02}\n  version 3\n",
            vrid = self.vrid,
            priority = self.priority,
            secs = self.interval_cs / 100,
            cs = self.interval_cs % 100,
        );
        if !self.preempt {
            conf.push_str("  nopreempt\n");
        }
        if self.accept {
            conf.push_str("  accept\n");
        }
        if let Some((src, peers)) = self.unicast {
            conf.push_str(&format!("  unicast_src_ip {src}\n  unicast_peer {{\n"));
            for p in peers {
                conf.push_str(&format!("    {p}\n"));
            }
            conf.push_str("  }\n");
        }
        conf.push_str("  virtual_ipaddress {\n");
        for a in self.addrs {
            conf.push_str(&format!("    {a}\n"));
        }
        conf.push_str(&format!("  }}\n  notify {notify}\n}}\n"));
        conf
    }
}

impl Drop for Keepalived {
    fn drop(&mut self) {
        self.stop();
    }
}
