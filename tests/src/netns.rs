//! Throw-away network namespaces for interop tests.
//!
//! A [`Lab`] is one isolated LAN: a bridge `br0` that lives *inside* its own
//! namespace (never on the host), and any number of host namespaces, each
//! joined to the bridge by a veth pair whose host end is `eth0`. More LANs
//! (bridges in the same namespace, [`Lab::add_bridge`]) and more ports per
//! host ([`Lab::add_port`]) make hosts with several parents. Addresses
//! come only from the documentation ranges 192.0.2.0/24, 198.51.100.0/24
//! and 2001:db8::/32, so nothing can leak onto a real network. Names are `carpt-<pid>-<lab>-*`,
//! unique per test process; dropping the lab (also while a test panics)
//! kills whatever still runs in its namespaces and deletes them, and
//! [`Lab::new`] first removes namespaces left by processes that died.
//!
//! Every command runs with a deadline (see [`crate::process`]).

use std::io;
use std::net::IpAddr;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::process::{checked_stdout, output_within, wait_until, wait_within, DEFAULT_TIMEOUT};

/// Prefix of every namespace this harness creates.
pub const PREFIX: &str = "carpt-";
/// Name of the bridge inside the bridge namespace.
pub const BRIDGE: &str = "br0";
/// Name of each host's interface to the bridge.
pub const HOST_IF: &str = "eth0";

static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

fn unique_prefix() -> String {
    format!(
        "{PREFIX}{}-{}-",
        std::process::id(),
        NEXT_ID.fetch_add(1, Ordering::Relaxed)
    )
}

fn ip(args: &[&str]) -> io::Result<String> {
    checked_stdout(Command::new("ip").args(args))
}

/// Creates and deletes one namespace: whether `ip netns` works here.
///
/// # Errors
/// The failing `ip` command.
pub fn probe() -> io::Result<()> {
    let name = format!("{}probe", unique_prefix());
    ip(&["netns", "add", &name])?;
    ip(&["netns", "delete", &name]).map(drop)
}

/// One network namespace (a handle: the [`Lab`] owns and deletes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Netns {
    name: String,
}

impl Netns {
    /// Its name, as `ip netns list` shows it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A command that runs `program` inside the namespace
    /// (`ip netns exec NAME program`).
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.name, program]);
        cmd
    }

    /// Runs `argv` inside the namespace within [`DEFAULT_TIMEOUT`].
    ///
    /// # Errors
    /// Spawn failure or timeout; a non-zero exit is in the [`Output`].
    pub fn exec(&self, argv: &[&str]) -> io::Result<Output> {
        let (program, args) = argv
            .split_first()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty argv"))?;
        output_within(self.command(program).args(args), DEFAULT_TIMEOUT)
    }

    /// Runs `argv` inside the namespace and returns its stdout.
    ///
    /// # Errors
    /// As [`Netns::exec`], and a non-zero exit.
    pub fn run(&self, argv: &[&str]) -> io::Result<String> {
        let (program, args) = argv
            .split_first()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty argv"))?;
        checked_stdout(self.command(program).args(args))
    }

    /// Starts `argv` in the background inside the namespace; it is killed
    /// (with its process group) when the returned handle drops.
    ///
    /// # Errors
    /// Spawn failure.
    pub fn spawn(&self, argv: &[&str]) -> io::Result<Background> {
        let (program, args) = argv
            .split_first()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty argv"))?;
        let child = self
            .command(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()?;
        Ok(Background { child: Some(child) })
    }

    /// One ICMP echo to `addr` with a one-second wait: true if answered.
    pub fn ping_once(&self, addr: IpAddr) -> bool {
        self.exec(&["ping", "-c", "1", "-W", "1", &addr.to_string()])
            .is_ok_and(|o| o.status.success())
    }

    /// Pings `addr` until it answers or `timeout` passes.
    pub fn ping_within(&self, addr: IpAddr, timeout: Duration) -> bool {
        wait_until(timeout, || self.ping_once(addr))
    }

    fn kill_all_and_delete(&self) {
        // `ip netns delete` only unmounts: kill what still runs inside, or
        // the namespace (and its veths) lives on.
        if let Ok(pids) = ip(&["netns", "pids", &self.name]) {
            for pid in pids.split_whitespace() {
                let _ = output_within(
                    Command::new("sh").args(["-c", &format!("kill -KILL {pid}")]),
                    DEFAULT_TIMEOUT,
                );
            }
        }
        let _ = ip(&["netns", "delete", &self.name]);
    }
}

/// A process running in a namespace, killed with its process group on drop.
#[derive(Debug)]
pub struct Background {
    child: Option<Child>,
}

impl Background {
    /// Its process id (also its process group id).
    pub fn id(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// True while it has not exited.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Sends SIGTERM to its group, waits up to `grace`, then SIGKILL.
    pub fn stop(mut self, grace: Duration) {
        self.terminate(grace);
    }

    fn terminate(&mut self, grace: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // The leader is not reaped yet, so its pid (the group's id) cannot
        // have been reused.
        signal_group(child.id(), "TERM");
        if !matches!(wait_within(&mut child, grace), Ok(Some(_))) {
            signal_group(child.id(), "KILL");
            let _ = child.kill();
            let _ = wait_within(&mut child, DEFAULT_TIMEOUT);
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.terminate(Duration::from_millis(500));
    }
}

/// Sends `signal` (a name without `SIG`: TERM, KILL, HUP) to process
/// group `pgid` (killpg(2)); an unknown name or a group that is gone is
/// ignored. Call it while the group's leader has not been reaped (its pid
/// then cannot be reused).
pub fn signal_group(pgid: u32, signal: &str) {
    let Ok(signal) = format!("SIG{signal}").parse::<nix::sys::signal::Signal>() else {
        return;
    };
    let Ok(pgid) = i32::try_from(pgid) else {
        return;
    };
    let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pgid), signal);
}

/// A host namespace on the lab's bridge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// Its namespace.
    pub ns: Netns,
    /// Its interface to the bridge ([`HOST_IF`]).
    pub ifname: String,
    /// The MAC address of that interface.
    pub mac: [u8; 6],
    /// Its addresses, without prefix length.
    pub addrs: Vec<IpAddr>,
}

/// One isolated LAN of namespaces; everything is deleted on drop.
#[derive(Debug)]
pub struct Lab {
    prefix: String,
    bridge: Netns,
    hosts: Vec<Netns>,
    /// Ports added with [`Lab::add_port`] (their MACs count them).
    ports: u8,
    /// One lab at a time per test process: interop tests measure timing
    /// and a 2-core machine running several at once would skew them.
    /// Released after `Drop` has cleaned up.
    _turn: MutexGuard<'static, ()>,
}

/// Serialises labs within one test process.
static LAB_TURN: Mutex<()> = Mutex::new(());

impl Lab {
    /// Creates the bridge namespace with `br0` up (no STP, no multicast
    /// snooping, so CARP's groups reach every port).
    ///
    /// # Errors
    /// The failing `ip` command; whatever was created is deleted again.
    pub fn new() -> io::Result<Lab> {
        // A test that panicked holding the turn poisons it; the lab it held
        // was still cleaned up by its Drop, so the turn is safe to take.
        let turn = LAB_TURN.lock().unwrap_or_else(PoisonError::into_inner);
        remove_stale();
        let prefix = unique_prefix();
        let bridge = Netns {
            name: format!("{prefix}br"),
        };
        ip(&["netns", "add", bridge.name()])?;
        let lab = Lab {
            prefix,
            bridge,
            hosts: Vec::new(),
            ports: 0,
            _turn: turn,
        };
        let br = lab.bridge.name();
        ip(&["-n", br, "link", "set", "lo", "up"])?;
        ip(&[
            "-n",
            br,
            "link",
            "add",
            BRIDGE,
            "type",
            "bridge",
            "stp_state",
            "0",
            "mcast_snooping",
            "0",
        ])?;
        ip(&["-n", br, "link", "set", BRIDGE, "up"])?;
        Ok(lab)
    }

    /// The namespace holding the bridge (capture there with tcpdump on
    /// [`BRIDGE`]).
    pub fn bridge(&self) -> &Netns {
        &self.bridge
    }

    /// Adds host `name` (lowercase letters and digits, at most 10) with
    /// `addrs` in CIDR form, e.g. `["192.0.2.11/24", "2001:db8::11/64"]`.
    /// Its MAC is `02:00:5e:10:00:<n>` for the n-th host (from 1).
    ///
    /// # Errors
    /// [`io::ErrorKind::InvalidInput`] for a bad name or an address outside
    /// 192.0.2.0/24 and 2001:db8::/32; otherwise the failing `ip` command.
    pub fn add_host(&mut self, name: &str, addrs: &[&str]) -> io::Result<Host> {
        if !short_name(name, 10) || name == "br" {
            return Err(invalid(format!("bad host name {name:?}")));
        }
        let parsed = addrs
            .iter()
            .map(|a| parse_documentation_cidr(a))
            .collect::<io::Result<Vec<IpAddr>>>()?;
        let index = u8::try_from(self.hosts.len() + 1).map_err(|_| invalid("too many hosts"))?;
        let mac = [0x02, 0x00, 0x5e, 0x10, 0x00, index];
        let ns = Netns {
            name: format!("{}{name}", self.prefix),
        };
        ip(&["netns", "add", ns.name()])?;
        self.hosts.push(ns.clone());
        let (br, h) = (self.bridge.name(), ns.name());
        let port = format!("v-{name}");
        let mac_text = mac_text(mac);
        ip(&[
            "-n", br, "link", "add", &port, "type", "veth", "peer", "name", HOST_IF, "netns", h,
        ])?;
        ip(&["-n", br, "link", "set", &port, "master", BRIDGE, "up"])?;
        ip(&["-n", h, "link", "set", "lo", "up"])?;
        ip(&["-n", h, "link", "set", HOST_IF, "address", &mac_text, "up"])?;
        for cidr in addrs {
            let mut args = vec!["-n", h, "addr", "add", cidr, "dev", HOST_IF];
            if cidr.contains(':') {
                args.push("nodad");
            }
            ip(&args)?;
        }
        Ok(Host {
            ns,
            ifname: HOST_IF.to_owned(),
            mac,
            addrs: parsed,
        })
    }

    /// Adds another LAN: a bridge `name` (lowercase letters and digits, at
    /// most 8) in the bridge namespace, set up as `br0` is.
    ///
    /// # Errors
    /// A bad name, or the failing `ip` command.
    pub fn add_bridge(&mut self, name: &str) -> io::Result<()> {
        if !short_name(name, 8) || name == BRIDGE {
            return Err(invalid(format!("bad bridge name {name:?}")));
        }
        let br = self.bridge.name();
        ip(&[
            "-n",
            br,
            "link",
            "add",
            name,
            "type",
            "bridge",
            "stp_state",
            "0",
            "mcast_snooping",
            "0",
        ])?;
        ip(&["-n", br, "link", "set", name, "up"]).map(drop)
    }

    /// Joins `host` to `bridge` by one more veth pair, whose host end is
    /// `ifname` (MAC `02:00:5e:20:<bridge port n>:<host n>`) with `addrs`
    /// in CIDR form. The bridge end is `<bridge>-<host name>`, unique per
    /// host and bridge (at most 15 bytes: keep host names short).
    ///
    /// # Errors
    /// A bad name or address, or the failing `ip` command.
    pub fn add_port(
        &mut self,
        host: &Host,
        bridge: &str,
        ifname: &str,
        addrs: &[&str],
    ) -> io::Result<Host> {
        for a in addrs {
            parse_documentation_cidr(a)?;
        }
        let hostname = host
            .ns
            .name()
            .strip_prefix(&self.prefix)
            .ok_or_else(|| invalid("not this lab's host"))?;
        let port = format!("{bridge}-{hostname}");
        if port.len() > 15 || !short_name(ifname.replace(['.', '_'], "").as_str(), 15) {
            return Err(invalid(format!("names too long: {port}, {ifname}")));
        }
        self.ports += 1;
        let n = self.hosts.iter().position(|h| *h == host.ns).unwrap_or(0) + 1;
        let mac = [
            0x02,
            0x00,
            0x5e,
            0x20,
            self.ports,
            u8::try_from(n).unwrap_or(0),
        ];
        let (br, h) = (self.bridge.name(), host.ns.name());
        ip(&[
            "-n", br, "link", "add", &port, "type", "veth", "peer", "name", ifname, "netns", h,
        ])?;
        ip(&["-n", br, "link", "set", &port, "master", bridge, "up"])?;
        ip(&[
            "-n",
            h,
            "link",
            "set",
            ifname,
            "address",
            &mac_text(mac),
            "up",
        ])?;
        for cidr in addrs {
            let mut args = vec!["-n", h, "addr", "add", cidr, "dev", ifname];
            if cidr.contains(':') {
                args.push("nodad");
            }
            ip(&args)?;
        }
        Ok(Host {
            ns: host.ns.clone(),
            ifname: ifname.to_owned(),
            mac,
            addrs: addrs
                .iter()
                .map(|a| parse_documentation_cidr(a))
                .collect::<io::Result<Vec<IpAddr>>>()?,
        })
    }

    /// Runs `ip ARGS` in the bridge namespace (a port down is a carrier
    /// loss on the host's end).
    ///
    /// # Errors
    /// The failing `ip` command.
    pub fn bridge_ip(&self, args: &[&str]) -> io::Result<String> {
        let mut all = vec!["-n", self.bridge.name()];
        all.extend_from_slice(args);
        ip(&all)
    }

    /// Adds a tap `t-<name>` in the bridge namespace, enslaved to the
    /// bridge and up, for a QEMU guest started in that namespace (see
    /// [`crate::kernel::Guest`]); it goes with the namespace. Returns its name.
    ///
    /// # Errors
    /// [`io::ErrorKind::InvalidInput`] for a bad name, else the failing
    /// `ip` command.
    pub fn add_tap(&self, name: &str) -> io::Result<String> {
        let valid = !name.is_empty()
            && name.len() <= 10
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !valid {
            return Err(invalid(format!("bad tap name {name:?}")));
        }
        let br = self.bridge.name();
        let tap = format!("t-{name}");
        ip(&["-n", br, "tuntap", "add", "dev", &tap, "mode", "tap"])?;
        ip(&["-n", br, "link", "set", &tap, "master", BRIDGE, "up"])?;
        Ok(tap)
    }

    /// Starts tcpdump on the bridge writing `path` (packet-buffered) for
    /// `filter`, and waits until the file has its header.
    ///
    /// # Errors
    /// As [`capture`].
    pub fn capture(&self, path: &Path, filter: &str) -> io::Result<Background> {
        capture(&self.bridge, BRIDGE, path, filter)
    }
}

/// Starts tcpdump in `ns` on `ifname` writing `path` (packet-buffered) for
/// `filter`, and waits until the file has its header.
///
/// # Errors
/// Spawn failure, or [`io::ErrorKind::TimedOut`] when tcpdump did not
/// start writing within [`DEFAULT_TIMEOUT`].
pub fn capture(ns: &Netns, ifname: &str, path: &Path, filter: &str) -> io::Result<Background> {
    let path_text = path.to_string_lossy();
    let mut proc = ns.spawn(&[
        "tcpdump",
        "--immediate-mode",
        "-i",
        ifname,
        "-U",
        "-w",
        &path_text,
        "-s",
        "0",
        filter,
    ])?;
    let started = wait_until(DEFAULT_TIMEOUT, || {
        std::fs::metadata(path).is_ok_and(|m| m.len() >= 24)
    });
    if !started || !proc.is_running() {
        return Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("tcpdump did not start writing {path_text}"),
        ));
    }
    // tcpdump writes the header before the socket is live: give it a beat.
    std::thread::sleep(Duration::from_millis(200));
    Ok(proc)
}

impl Drop for Lab {
    fn drop(&mut self) {
        for ns in self.hosts.iter().rev() {
            ns.kill_all_and_delete();
        }
        self.bridge.kill_all_and_delete();
    }
}

fn short_name(name: &str, max: usize) -> bool {
    !name.is_empty()
        && name.len() <= max
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn mac_text(mac: [u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.into())
}

/// Parses `addr/len` and accepts it only inside 192.0.2.0/24,
/// 198.51.100.0/24 or 2001:db8::/32 (TEST-NET-1, TEST-NET-2 and the IPv6
/// documentation prefix).
fn parse_documentation_cidr(cidr: &str) -> io::Result<IpAddr> {
    let (addr, len) = cidr
        .split_once('/')
        .ok_or_else(|| invalid(format!("{cidr}: no prefix length")))?;
    let addr: IpAddr = addr
        .parse()
        .map_err(|_| invalid(format!("{cidr}: bad address")))?;
    let len: u8 = len
        .parse()
        .map_err(|_| invalid(format!("{cidr}: bad prefix length")))?;
    let allowed = match addr {
        IpAddr::V4(a) => {
            (a.octets()[..3] == [192, 0, 2] || a.octets()[..3] == [198, 51, 100])
                && (24..=32).contains(&len)
        }
        IpAddr::V6(a) => a.segments()[..2] == [0x2001, 0x0db8] && (32..=128).contains(&len),
    };
    if !allowed {
        return Err(invalid(format!(
            "{cidr}: outside 192.0.2.0/24, 198.51.100.0/24 and 2001:db8::/32"
        )));
    }
    Ok(addr)
}

/// Deletes `carpt-<pid>-*` namespaces whose creating process is gone.
fn remove_stale() {
    let Ok(list) = ip(&["netns", "list"]) else {
        return;
    };
    for name in list.lines().filter_map(|l| l.split_whitespace().next()) {
        let Some(pid) = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('-').next())
        else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new(&format!("/proc/{pid}")).exists() {
            Netns {
                name: name.to_owned(),
            }
            .kill_all_and_delete();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_documentation_addresses() {
        assert!(parse_documentation_cidr("192.0.2.11/24").is_ok());
        assert!(parse_documentation_cidr("2001:db8::11/64").is_ok());
        assert!(parse_documentation_cidr("198.51.100.7/24").is_ok());
        for bad in [
            "10.0.0.1/24",
            "192.0.3.1/24",
            "198.51.101.1/24",
            "192.0.2.1/16",
            "2001:db9::1/64",
            "192.0.2.1",
            "fe80::1/64",
        ] {
            assert!(parse_documentation_cidr(bad).is_err(), "{bad}");
        }
    }
}
