//! The firewall pair of `examples/firewall-pair` in network namespaces,
//! built from the example's own files (ruleset, conntrackd configurations,
//! hook and ucarp scripts), so that the test proves what the example ships.
//!
//! ```text
//!                 inside (br0)                       outside (out)
//!  client ─────────────┬──────── eth0 fw1 eth1 ───────────┬───────── server
//!  192.0.2.10/25       │         .2  eth2  .2             │   198.51.100.10/24
//!  via 192.0.2.1       │        .253 │ sync                │   192.0.2.0/25 via
//!                      │   192.0.2.252/30 (switch "sync")  │   198.51.100.1
//!                      │        .254 │                     │
//!                      └──────── eth0 fw2 eth1 ───────────┘
//!                                .3         .3
//!  VIPs: 192.0.2.1 (vhid 1, inside), 198.51.100.1 (vhid 2, outside)
//! ```
//!
//! Each box runs one carpd for both sides (`carpd-<box>.conf`: both vhids
//! in the group `fw`) with `carp-conntrackd-hook` as the group hook and
//! `eth2` as its sync link. The sync link goes through a switch (a
//! bridge), so one box's port going down leaves the other's carrier up.
//! Every path the example names under `/run/firewall-pair/` is moved into
//! the test's scratch directory. Everything runs inside a [`Lab`] and is
//! killed and deleted when the [`Pair`] drops, also on a panic.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod node;

pub use node::Firewall;

use crate::carpd::Scratch;
use crate::netns::{Background, Host, Lab, Netns};
use crate::process::wait_until;
use crate::stream::{unix_ms, Report};
use node::ip_in;

/// The example's directory.
pub fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/firewall-pair")
}

/// One side of the pair: a LAN and its virtual address on one vhid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Side {
    /// `inside` or `outside`.
    pub name: &'static str,
    /// The firewalls' parent interface on this side.
    pub ifname: &'static str,
    /// The vhid of this side's virtual address.
    pub vhid: u8,
    /// Its CARP passphrase.
    pub pass: &'static str,
    /// The virtual address.
    pub vip: &'static str,
    /// Its prefix length.
    pub prefix: u8,
}

/// The clients' side: the virtual address is their default gateway.
pub const INSIDE: Side = Side {
    name: "inside",
    ifname: "eth0",
    vhid: 1,
    pass: "lanpasswd",
    vip: "192.0.2.1",
    prefix: 25,
};

/// The servers' side: their route back to the clients goes to this
/// virtual address.
pub const OUTSIDE: Side = Side {
    name: "outside",
    ifname: "eth1",
    vhid: 2,
    pass: "wanpasswd",
    vip: "198.51.100.1",
    prefix: 24,
};

/// Both sides.
pub const SIDES: [Side; 2] = [INSIDE, OUTSIDE];
/// Advertisement interval (seconds) on both sides of both boxes.
pub const ADVBASE: u8 = 1;
/// advskew of fw1 and fw2 on both sides (the seeds' rule: the preferred
/// box 0, the other 100).
pub const ADVSKEW: [u8; 2] = [0, 100];
/// The service the ruleset lets inside clients open.
pub const SERVICE: &str = "198.51.100.10:7000";

/// A client's stream through the pair.
#[derive(Debug)]
pub struct Stream {
    proc: Background,
    out: PathBuf,
    /// How long it runs at most: duration plus stall timeout.
    pub bound: Duration,
}

impl Stream {
    /// Its report once it has exited (waiting at most [`Stream::bound`]
    /// and 10 s more).
    ///
    /// # Errors
    /// It did not exit in time, or printed no valid report.
    pub fn report(mut self) -> Result<Report, String> {
        let bound = self.bound + Duration::from_secs(10);
        if !wait_until(bound, || !self.proc.is_running()) {
            return Err(format!("carp-stream client still running after {bound:?}"));
        }
        let text = std::fs::read_to_string(&self.out).map_err(|e| e.to_string())?;
        Report::parse(&text).map_err(|e| format!("{e}:\n{text}"))
    }

    /// Its report lines so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }
}

/// The pair, its client and its server.
#[derive(Debug)]
pub struct Pair {
    /// fw1 (advskew 0) and fw2 (advskew 100).
    pub fw: [Firewall; 2],
    /// The inside client.
    pub client: Host,
    /// The outside server.
    pub server: Host,
    /// Whether conntrackd runs (false for the control).
    pub sync: bool,
    server_proc: Option<Background>,
    /// Owns the namespaces: dropped after the daemons, before the files.
    _lab: Lab,
    dir: Scratch,
}

/// Moves the example's `/run/firewall-pair/` paths into `dir`.
fn localized(example_file: &str, dir: &Path) -> io::Result<String> {
    let text = std::fs::read_to_string(example_dir().join(example_file))?;
    Ok(text.replace("/run/firewall-pair/", &format!("{}/", dir.display())))
}

impl Pair {
    /// Builds the topology of the module docs, loads the example's ruleset
    /// in both boxes with forwarding on and TCP loose pickup off, and
    /// writes their conntrackd configurations. Starts no daemon.
    ///
    /// # Errors
    /// The failing command, or a box whose `nf_conntrack_tcp_loose` did
    /// not read back 0.
    pub fn build(tag: &str, sync: bool) -> io::Result<Pair> {
        let dir = Scratch::new(tag);
        let mut lab = Lab::new()?;
        lab.add_bridge("out")?;
        let client = lab.add_host("client", &["192.0.2.10/25"])?;
        let server = lab.add_host("server", &[])?;
        // The harness joins every host to br0: the server lives outside only.
        ip_in(&server.ns, &["link", "del", "eth0"])?;
        let server = lab.add_port(&server, "out", "eth1", &["198.51.100.10/24"])?;
        let mut fw = Vec::new();
        for (i, name) in ["fw1", "fw2"].into_iter().enumerate() {
            let n = i + 2;
            let inside = lab.add_host(name, &[&format!("192.0.2.{n}/25")])?;
            let outside = lab.add_port(&inside, "out", "eth1", &[&format!("198.51.100.{n}/24")])?;
            let box_dir = dir.path.join(name);
            std::fs::create_dir_all(&box_dir)?;
            let conf = localized(&format!("conntrackd-{name}.conf"), &dir.path)?;
            std::fs::write(box_dir.join("conntrackd.conf"), conf)?;
            fw.push(Firewall {
                name,
                advskew: ADVSKEW[i],
                ports: [inside, outside],
                dir: box_dir,
                conntrackd: None,
                carpd: None,
            });
        }
        let fw: [Firewall; 2] = fw
            .try_into()
            .map_err(|_| io::Error::other("two firewalls"))?;
        // The dedicated sync link, through a switch of its own.
        lab.add_bridge("sync")?;
        for (f, addr) in fw.iter().zip(["192.0.2.253/30", "192.0.2.254/30"]) {
            lab.add_port(&f.ports[0], "sync", "eth2", &[addr])?;
        }
        let ruleset = example_dir().join("nftables.conf");
        for f in &fw {
            f.ns().run(&["sysctl", "-qw", "net.ipv4.ip_forward=1"])?;
            f.ns()
                .run(&["nft", "-f", ruleset.to_str().unwrap_or_default()])?;
            f.ns()
                .run(&["sysctl", "-qw", "net.netfilter.nf_conntrack_tcp_loose=0"])?;
            let loose = f
                .ns()
                .run(&["sysctl", "-n", "net.netfilter.nf_conntrack_tcp_loose"])?;
            if loose.trim() != "0" {
                return Err(io::Error::other(format!(
                    "{}: tcp_loose is {loose}",
                    f.name
                )));
            }
        }
        ip_in(&client.ns, &["route", "add", "default", "via", INSIDE.vip])?;
        ip_in(
            &server.ns,
            &["route", "add", "192.0.2.0/25", "via", OUTSIDE.vip],
        )?;
        Ok(Pair {
            fw,
            client,
            server,
            sync,
            server_proc: None,
            _lab: lab,
            dir,
        })
    }

    /// Starts conntrackd on both boxes (unless this is the control), then
    /// carpd on both (no hold-down), and waits until fw1 holds both
    /// virtual addresses and fw2 neither.
    ///
    /// # Errors
    /// A daemon that did not start, or no such state within 20 s.
    pub fn start(&mut self) -> io::Result<()> {
        if self.sync {
            for f in &mut self.fw {
                f.start_conntrackd()?;
            }
        }
        for f in &mut self.fw {
            f.start_carpd(0)?;
        }
        self.wait_master(0, Duration::from_secs(20))
    }

    /// Waits until box `i` holds both virtual addresses and the other
    /// neither.
    ///
    /// # Errors
    /// [`io::ErrorKind::TimedOut`] with the logs.
    pub fn wait_master(&self, i: usize, timeout: Duration) -> io::Result<()> {
        let ok = wait_until(timeout, || {
            self.fw.get(i).is_some_and(Firewall::holds_both)
                && self.fw.get(1 - i).is_some_and(Firewall::holds_none)
        });
        if ok {
            return Ok(());
        }
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("fw{} is not master of both sides:\n{}", i + 1, self.logs()),
        ))
    }

    /// Starts the server (`carp-stream serve`, binary `bin`) for `lifetime`
    /// and waits until it listens.
    ///
    /// # Errors
    /// Spawn failure, or no listening socket within 10 s.
    pub fn start_server(&mut self, bin: &Path, lifetime: Duration) -> io::Result<()> {
        let secs = lifetime.as_secs().to_string();
        let bin = bin.to_str().unwrap_or_default();
        self.server_proc = Some(self.server.ns.spawn(&[bin, "serve", SERVICE, &secs])?);
        let port = format!(":{}", SERVICE.rsplit_once(':').map_or("", |(_, p)| p));
        let listening = wait_until(Duration::from_secs(10), || {
            self.server
                .ns
                .run(&["ss", "-Htln", "sport", "=", &port])
                .is_ok_and(|out| !out.trim().is_empty())
        });
        if listening {
            return Ok(());
        }
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "carp-stream serve does not listen",
        ))
    }

    /// Starts a client stream of `duration` with stall timeout `stall`
    /// and waits until it is connected and has been acknowledged for a
    /// second.
    ///
    /// # Errors
    /// Spawn failure, or no connection within 10 s.
    pub fn stream(&self, bin: &Path, duration: Duration, stall: Duration) -> io::Result<Stream> {
        let out = self.dir.path.join(format!("stream-{}.out", unix_ms()));
        let line = format!(
            "exec '{}' client {SERVICE} {} {} >'{}' 2>&1",
            bin.display(),
            duration.as_secs(),
            stall.as_millis(),
            out.display()
        );
        let proc = self.client.ns.spawn(&["sh", "-c", &line])?;
        let stream = Stream {
            proc,
            out,
            bound: duration + stall,
        };
        if !wait_until(Duration::from_secs(10), || {
            stream.output().contains("connected")
        }) {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no connection: {}\n{}", stream.output(), self.logs()),
            ));
        }
        std::thread::sleep(Duration::from_secs(1));
        Ok(stream)
    }

    /// The larger retransmission timeout (ms, `ss -ti`'s `rto`) of the
    /// client's and the server's end of the stream.
    ///
    /// # Errors
    /// `ss` failed or showed no connection to the service.
    pub fn rto_ms(&self) -> io::Result<f64> {
        let rto = |ns: &Netns| -> io::Result<f64> {
            let text = ns.run(&["ss", "-tin", "state", "established"])?;
            text.split_whitespace()
                .find_map(|w| w.strip_prefix("rto:"))
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| io::Error::other(format!("no rto in:\n{text}")))
        };
        Ok(rto(&self.client.ns)?.max(rto(&self.server.ns)?))
    }

    /// Every box's logs.
    pub fn logs(&self) -> String {
        self.fw.iter().map(Firewall::logs).collect()
    }
}
