//! One firewall box of the pair: its namespace and parents, its daemons
//! (conntrackd, one ucarp per side), what a crash or a graceful stop does
//! to it, and what it logged and counted.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use super::{example_dir, Side, ADVBASE, INSIDE, SIDES};
use crate::netns::{signal_group, Background, Host, Netns};
use crate::process::wait_until;

/// One firewall box.
#[derive(Debug)]
pub struct Firewall {
    /// `fw1` or `fw2`.
    pub name: &'static str,
    /// Its advskew on both sides.
    pub advskew: u8,
    /// Its inside and outside parents, in [`SIDES`] order.
    pub ports: [Host; 2],
    /// Its files: conntrackd.conf, logs, the hook's state.
    pub dir: PathBuf,
    pub(super) conntrackd: Option<Background>,
    pub(super) ucarp: Vec<Background>,
}

pub(super) fn ip_in(ns: &Netns, args: &[&str]) -> io::Result<String> {
    let mut argv = vec!["ip"];
    argv.extend_from_slice(args);
    ns.run(&argv)
}

impl Firewall {
    /// Its namespace.
    pub fn ns(&self) -> &Netns {
        &self.ports[0].ns
    }

    /// Its conntrackd configuration (the example's, paths moved).
    pub fn conntrackd_conf(&self) -> PathBuf {
        self.dir.join("conntrackd.conf")
    }

    /// Runs `conntrackd -C <conf> <flag...>` (a client command).
    ///
    /// # Errors
    /// Spawn failure, timeout or a non-zero exit.
    pub fn conntrackd(&self, flags: &[&str]) -> io::Result<String> {
        let conf = self.conntrackd_conf();
        let mut argv = vec!["conntrackd", "-C", conf.to_str().unwrap_or_default()];
        argv.extend_from_slice(flags);
        self.ns().run(&argv)
    }

    /// Starts conntrackd in the foreground (its service's job on a real
    /// box) and waits until it answers on its socket.
    ///
    /// # Errors
    /// Spawn failure, or [`io::ErrorKind::TimedOut`] with its output.
    pub fn start_conntrackd(&mut self) -> io::Result<()> {
        let line = format!(
            "exec conntrackd -C '{}' >>'{}' 2>&1",
            self.conntrackd_conf().display(),
            self.dir.join("conntrackd.out").display()
        );
        self.conntrackd = Some(self.ns().spawn(&["sh", "-c", &line])?);
        if wait_until(Duration::from_secs(10), || self.conntrackd(&["-s"]).is_ok()) {
            return Ok(());
        }
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "{}: conntrackd does not answer:\n{}",
                self.name,
                self.logs()
            ),
        ))
    }

    /// Starts ucarp for `side` with the example's scripts, `--preempt` and
    /// `--shutdown`, its output (and the hook's) in `ucarp-<side>.log`.
    ///
    /// # Errors
    /// Spawn failure.
    pub fn start_ucarp(&mut self, side: Side) -> io::Result<()> {
        let port = self.port(side);
        let src = port
            .addrs
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        let ex = example_dir();
        let line = format!(
            "exec env CONNTRACKD_CONF='{conf}' CARP_HOOK_STATE_DIR='{hook}' \
             ucarp --interface={ifname} --srcip={src} --vhid={vhid} --pass={pass} \
             --addr={vip} --advbase={ADVBASE} --advskew={skew} \
             --upscript='{up}' --downscript='{down}' --xparam={prefix} \
             --preempt --shutdown >>'{log}' 2>&1",
            conf = self.conntrackd_conf().display(),
            hook = self.dir.join("hook").display(),
            ifname = side.ifname,
            vhid = side.vhid,
            pass = side.pass,
            vip = side.vip,
            skew = self.advskew,
            up = ex.join("ucarp-vip-up").display(),
            down = ex.join("ucarp-vip-down").display(),
            prefix = side.prefix,
            log = self.ucarp_log(side).display(),
        );
        self.ucarp.push(self.ns().spawn(&["sh", "-c", &line])?);
        Ok(())
    }

    /// Its parent on `side`.
    pub fn port(&self, side: Side) -> &Host {
        if side == INSIDE {
            &self.ports[0]
        } else {
            &self.ports[1]
        }
    }

    fn ucarp_log(&self, side: Side) -> PathBuf {
        self.dir.join(format!("ucarp-{}.log", side.name))
    }

    /// Whether `side`'s virtual address is on its parent now.
    pub fn has_vip(&self, side: Side) -> bool {
        ip_in(self.ns(), &["-4", "addr", "show", "dev", side.ifname])
            .is_ok_and(|out| out.contains(&format!("inet {}/", side.vip)))
    }

    /// True when it holds both virtual addresses.
    pub fn holds_both(&self) -> bool {
        SIDES.iter().all(|&s| self.has_vip(s))
    }

    /// True when it holds neither virtual address.
    pub fn holds_none(&self) -> bool {
        SIDES.iter().all(|&s| !self.has_vip(s))
    }

    /// The box dies: its daemons (and any hook they run) are killed with
    /// SIGKILL, its links go down, and what a reboot loses goes too: the
    /// virtual addresses ucarp's scripts added, the neighbour and
    /// connection tables, the hook's state on /run, conntrackd's socket and
    /// lock file.
    ///
    /// # Errors
    /// `conntrack -F` failed: the box would come back with the states it
    /// had, and a preemption would prove nothing about the sync.
    pub fn crash(&mut self) -> io::Result<()> {
        for proc in self.ucarp.drain(..).chain(self.conntrackd.take()) {
            if let Some(pid) = proc.id() {
                // Its process group: ucarp and a hook it may be running.
                signal_group(pid, "KILL");
            }
            drop(proc);
        }
        for ifname in ["eth0", "eth1", "eth2"] {
            let _ = ip_in(self.ns(), &["link", "set", ifname, "down"]);
        }
        for side in SIDES {
            let vip = format!("{}/{}", side.vip, side.prefix);
            let _ = ip_in(self.ns(), &["addr", "del", &vip, "dev", side.ifname]);
        }
        let _ = ip_in(self.ns(), &["neigh", "flush", "all"]);
        let _ = std::fs::remove_dir_all(self.dir.join("hook"));
        for file in ["conntrackd.lock", "conntrackd.ctl"] {
            let _ = std::fs::remove_file(self.dir.join(file));
        }
        self.ns().run(&["conntrack", "-F"]).map(drop)
    }

    /// The box boots again: links up, conntrackd (when `sync`) and ucarp
    /// on both sides.
    ///
    /// # Errors
    /// The failing command.
    pub fn power_on(&mut self, sync: bool) -> io::Result<()> {
        for ifname in ["eth0", "eth1", "eth2"] {
            ip_in(self.ns(), &["link", "set", ifname, "up"])?;
        }
        if sync {
            self.start_conntrackd()?;
        }
        SIDES.iter().try_for_each(|&s| self.start_ucarp(s))
    }

    /// SIGTERM to each ucarp: with `--shutdown` it runs its down-script and
    /// exits (ucarp 1.5.2 sends no bow-out advertisement: UCarp src/carp.c,
    /// `docarp()`, signal case 15). Waits up to `grace` for each.
    pub fn stop_ucarp(&mut self, grace: Duration) {
        for mut proc in self.ucarp.drain(..) {
            if let Some(pid) = proc.id() {
                signal_group(pid, "TERM");
            }
            wait_until(grace, || !proc.is_running());
        }
    }

    /// The hook's log lines (`<unix ms> carp-conntrackd-hook[pid]: ...`)
    /// from both ucarp logs, in time order.
    pub fn hook_lines(&self) -> Vec<(u64, String)> {
        let mut lines: Vec<(u64, String)> = SIDES
            .iter()
            .filter_map(|&s| std::fs::read_to_string(self.ucarp_log(s)).ok())
            .flat_map(|text| {
                text.lines()
                    .filter(|l| l.contains("carp-conntrackd-hook["))
                    .filter_map(|l| {
                        let (ms, rest) = l.split_once(' ')?;
                        Some((ms.parse().ok()?, rest.to_owned()))
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        lines.sort();
        lines
    }

    /// When ucarp ran the up-script for `side` at or after `after_ms`:
    /// the hook's first line for that vhid becoming master (Unix ms).
    pub fn master_at(&self, side: Side, after_ms: u64) -> Option<u64> {
        let member = format!(": master ({}-{})", side.ifname, side.vip);
        self.hook_lines()
            .into_iter()
            .find(|(ms, l)| *ms >= after_ms && l.contains(&member))
            .map(|(ms, _)| ms)
    }

    /// How long the hook's master sequence took (ms): from its first line
    /// for the group becoming master at or after `after_ms` to the end of
    /// its last conntrackd command (`-B`).
    pub fn master_sequence_ms(&self, after_ms: u64) -> Option<u64> {
        let lines = self.hook_lines();
        let (start, _) = lines
            .iter()
            .find(|(ms, l)| *ms >= after_ms && l.contains("-> master"))?;
        let (end, _) = lines
            .iter()
            .find(|(ms, l)| ms >= start && l.contains("master: conntrackd -B"))?;
        Some(end - start)
    }

    /// The forward chain's counters: packets dropped as invalid, packets
    /// accepted as established or related.
    ///
    /// # Errors
    /// The failing `nft`, or a ruleset without the example's counters.
    pub fn forward_counters(&self) -> io::Result<(u64, u64)> {
        let text = self
            .ns()
            .run(&["nft", "list", "chain", "inet", "filter", "forward"])?;
        let packets = |rule: &str| {
            text.lines()
                .find(|l| l.contains(rule))
                .and_then(|l| l.split("packets ").nth(1))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| io::Error::other(format!("no counter for {rule:?} in:\n{text}")))
        };
        Ok((
            packets("ct state invalid")?,
            packets("established,related")?,
        ))
    }

    /// The commands conntrackd logged as refused or skipped ("ignoring
    /// flush command, commit still in progress", "commit already in
    /// progress, skipping"): a hook step that did nothing although the
    /// client command returned 0.
    pub fn conntrackd_refusals(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.join("conntrackd.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("ignoring") || l.contains("already in progress"))
            .map(str::to_owned)
            .collect()
    }

    /// Its logs (ucarp with the hook, conntrackd) for a failure message.
    pub fn logs(&self) -> String {
        ["ucarp-inside.log", "ucarp-outside.log", "conntrackd.out"]
            .iter()
            .map(|f| {
                let text = std::fs::read_to_string(self.dir.join(f)).unwrap_or_default();
                format!("--- {} {f}\n{text}", self.name)
            })
            .collect()
    }
}
