//! One firewall box of the pair: its namespace and parents, its daemons
//! (conntrackd, carpd for both sides), what a crash or a graceful stop does
//! to it, and what it logged and counted.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use super::{example_dir, Side, INSIDE, SIDES};
use crate::carpd::{json_field, Carpd};
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
    pub(super) carpd: Option<Carpd>,
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

    /// Starts carpd on both parents with the example's configuration
    /// (`carpd-<box>.conf`), `carp-conntrackd-hook` as the group hook (the
    /// conntrackd paths in its environment, through a wrapper in the box's
    /// directory), the sync link `eth2` demoting the group `fw`, and a
    /// hold-down of `holddown` seconds. Its events and stderr (with the
    /// hook's lines) are `carpd.events` and `carpd.stderr`.
    ///
    /// # Errors
    /// The wrapper cannot be written.
    pub fn start_carpd(&mut self, holddown: u32) -> io::Result<()> {
        let ex = example_dir();
        let hook = self.dir.join("hook.sh");
        std::fs::write(
            &hook,
            format!(
                "#!/bin/sh\nexport CONNTRACKD_CONF='{conf}' CARP_HOOK_STATE_DIR='{state}'\n\
                 exec '{hook}' \"$@\"\n",
                conf = self.conntrackd_conf().display(),
                state = self.dir.join("hook").display(),
                hook = ex.join("carp-conntrackd-hook").display(),
            ),
        )?;
        std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
        let conf = ex.join(format!("carpd-{}.conf", self.name));
        let run = self.dir.join("run");
        let control = self.dir.join("carpd.sock");
        let holddown = holddown.to_string();
        let args = [
            "-i",
            "eth0",
            "-i",
            "eth1",
            "--config",
            conf.to_str().unwrap_or_default(),
            "--group-hook",
            hook.to_str().unwrap_or_default(),
            "--syncdev",
            "eth2",
            "--demote-group",
            "fw",
            "--holddown",
            &holddown,
            "--run-dir",
            run.to_str().unwrap_or_default(),
            "--control",
            control.to_str().unwrap_or_default(),
        ];
        self.carpd = Some(Carpd::start_args(self.ns(), &self.dir, "carpd", &args));
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

    /// Whether `side`'s virtual address is on the box now (carpd puts it
    /// on the vhid's macvlan).
    pub fn has_vip(&self, side: Side) -> bool {
        ip_in(self.ns(), &["-4", "-o", "addr", "show"])
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

    /// The box dies: its daemons are killed with SIGKILL (carpd sends no
    /// bow-out), its links go down, and what a reboot loses goes too:
    /// carpd's macvlans with the virtual addresses, the neighbour and
    /// connection tables, the hook's state on /run, conntrackd's socket and
    /// lock file.
    ///
    /// # Errors
    /// `conntrack -F` failed: the box would come back with the states it
    /// had, and a preemption would prove nothing about the sync.
    pub fn crash(&mut self) -> io::Result<()> {
        // carpd first: a box that loses power sends nothing more, while a
        // carpd that saw its parents go down would advertise the
        // demotion and its peer would preempt at once.
        if let Some(mut c) = self.carpd.take() {
            c.crash();
        }
        if let Some(proc) = self.conntrackd.take() {
            if let Some(pid) = proc.id() {
                signal_group(pid, "KILL");
            }
            drop(proc);
        }
        for ifname in ["eth0", "eth1", "eth2"] {
            let _ = ip_in(self.ns(), &["link", "set", ifname, "down"]);
        }
        let macvlans = ip_in(self.ns(), &["-o", "link", "show", "type", "macvlan"])?;
        for name in macvlans
            .lines()
            .filter_map(|l| l.split(": ").nth(1))
            .filter_map(|n| n.split('@').next())
        {
            let _ = ip_in(self.ns(), &["link", "del", name]);
        }
        let _ = ip_in(self.ns(), &["neigh", "flush", "all"]);
        let _ = std::fs::remove_dir_all(self.dir.join("hook"));
        for file in ["conntrackd.lock", "conntrackd.ctl"] {
            let _ = std::fs::remove_file(self.dir.join(file));
        }
        self.ns().run(&["conntrack", "-F"]).map(drop)
    }

    /// The box boots again: links up, conntrackd (when `sync`), carpd
    /// with a hold-down of `holddown` seconds.
    ///
    /// # Errors
    /// The failing command.
    pub fn power_on(&mut self, sync: bool, holddown: u32) -> io::Result<()> {
        for ifname in ["eth0", "eth1", "eth2"] {
            ip_in(self.ns(), &["link", "set", ifname, "up"])?;
        }
        if sync {
            self.start_conntrackd()?;
        }
        self.start_carpd(holddown)
    }

    /// SIGTERM to carpd: its masters send the bow-out advertisement
    /// (advskew 255), it runs the group hook for INIT and exits. Waits up
    /// to `grace`.
    pub fn stop_carpd(&mut self, grace: Duration) {
        if let Some(mut c) = self.carpd.take() {
            c.terminate(grace);
        }
    }

    /// carpd's events of kind `event`.
    pub fn events(&self, event: &str) -> Vec<String> {
        self.carpd_events()
            .into_iter()
            .filter(|l| json_field(l, "event").as_deref() == Some(event))
            .collect()
    }

    fn carpd_events(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.join("carpd.events"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The hook's log lines (`<unix ms> carp-conntrackd-hook[pid]: ...`),
    /// as carpd logged them (`carpd: group fw hook: <line>`), in time
    /// order.
    pub fn hook_lines(&self) -> Vec<(u64, String)> {
        let text = std::fs::read_to_string(self.dir.join("carpd.stderr")).unwrap_or_default();
        let mut lines: Vec<(u64, String)> = text
            .lines()
            .filter_map(|l| {
                let i = l.find(" carp-conntrackd-hook[")?;
                let ms = l.get(..i)?.rsplit(' ').next()?.parse().ok()?;
                Some((ms, l.get(i + 1..)?.to_owned()))
            })
            .collect();
        lines.sort();
        lines
    }

    /// When `side`'s vhid became MASTER at or after `after_us`
    /// (CLOCK_MONOTONIC µs, carpd's `at_us`).
    pub fn master_at(&self, side: Side, after_us: u64) -> Option<u64> {
        self.events("state")
            .iter()
            .filter(|l| json_field(l, "vhid").as_deref() == Some(&side.vhid.to_string()))
            .filter(|l| json_field(l, "to").as_deref() == Some("MASTER"))
            .filter_map(|l| json_field(l, "at_us")?.parse().ok())
            .find(|us| *us >= after_us)
    }

    /// The demotions of the group `fw` carpd logged (`group fw: demote +1
    /// (sync link eth2 down): count 1`), in order.
    pub fn sync_demotions(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.join("carpd.stderr"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("group fw: demote"))
            .map(str::to_owned)
            .collect()
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

    /// Its logs (carpd with the hook, conntrackd) for a failure message.
    pub fn logs(&self) -> String {
        ["carpd.stderr", "conntrackd.out"]
            .iter()
            .map(|f| {
                let text = std::fs::read_to_string(self.dir.join(f)).unwrap_or_default();
                format!("--- {} {f}\n{text}", self.name)
            })
            .collect()
    }
}
