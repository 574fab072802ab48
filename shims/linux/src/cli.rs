//! The command line: ucarp-compatible flags, ifconfig words after `--`, and
//! carpd's own options.

use std::path::PathBuf;

use clap::Parser;

/// carpd: CARP (Common Address Redundancy Protocol) on a Linux interface.
///
/// Runs virtual hosts (vhids) on one or more parent interfaces (-i,
/// repeatable, and every `carpdev` of --config), as one host: one set of
/// net.inet.carp knobs and one demotion, so when a parent's link goes down
/// the vhids on the other parents fail over too, as in a BSD kernel. Sends
/// and receives CARP adverts (IPv4 to 224.0.0.18, IPv6 to ff02::12) from
/// the virtual MAC `00:00:5e:00:01:<vhid>`, answers ARP and neighbour
/// solicitations for the virtual addresses while MASTER, and puts the
/// virtual addresses on a macvlan `carp<vhid>-<ifindex>` (owning the
/// virtual MAC) while MASTER. Interoperates with ucarp and the BSD carp(4).
///
/// A vhid comes from the ucarp-style flags (-v, -p, -a, -b, -k, ...: a vhid
/// on the first -i), from ifconfig words after `--` (on the first -i), or
/// from the lines of --config. Examples:
///
///   carpd -i eth0 -s 192.0.2.11 -v 1 -p secret -a 192.0.2.100 -k 10
///
///   carpd -i eth0 -- vhid 1 advskew 100 pass secret 192.0.2.100/24
///
///   carpd -i eth0 -i eth1 --config /etc/carpd.conf
///
/// Config file: ifconfig lines in any BSD shape: `ifconfig carp0 create
/// vhid 1 carpdev eth1 pass x 192.0.2.100/24`, `ifconfig eth0 vhid 2
/// advskew 100 pass x 198.51.100.1/24` (a vhid on a parent, FreeBSD), bare
/// words for the first -i (`vhid 1 advskew 100 pass x 192.0.2.100/24`),
/// OpenBSD hostname.carpN lines (`inet 192.0.2.100 255.255.255.0 NONE vhid
/// 1 pass x`) or FreeBSD rc.conf lines (`ifconfig_eth0_alias0="inet vhid 1
/// pass x alias 192.0.2.100/32"`); sysctl lines (`net.inet.carp.preempt=1`)
/// set the host-wide knobs; `#` starts a comment. The file is declarative:
/// applying it again (SIGHUP) changes only what differs, a vhid it no
/// longer names is removed and a knob it no longer sets returns to its
/// default.
///
/// Host settings: carpd sets arp_ignore=1 and arp_announce=2 on each
/// parent and arp_ignore=8 on its macvlans so that only the virtual MAC
/// answers ARP for a virtual address, and puts the parent's values back
/// when the last carpd using it leaves (README, "carpd").
///
/// Events: every state change, announcement, replay and demotion is
/// written as one JSON line, in order and never dropped, to stdout or to
/// --events. Scripts: -u/-d run as `<script> <interface> <address>
/// [<xparam>]` once per virtual address, in order, as ucarp does.
///
/// Signals: SIGTERM/SIGINT leave gracefully (a MASTER sends the bow-out
/// advert so a backup takes over at once, and the addresses are removed);
/// SIGUSR1 prints each vhid's state and the counters (netstat -s -p carp
/// style) to stderr; SIGHUP re-reads --config, all or nothing (a bad file
/// keeps the running configuration).
///
/// Faults: a parent going down (admin or carrier) puts its vhids in INIT
/// and demotes the host until it is back; a parent removed and re-created
/// (new ifindex) or renamed is followed; a parent down at start waits in
/// INIT. A second carpd for the same parent and vhid refuses to start (lock
/// files in --run-dir); what a killed carpd left (macvlans, host settings)
/// is removed when the next one starts.
#[derive(Debug, Clone, Parser)]
#[command(name = "carpd", version, verbatim_doc_comment)]
pub struct Cli {
    /// Parent interface to run on (ucarp --interface). Repeat for more
    /// parents; the first is where the ucarp flags, the words after `--`
    /// and the config file's bare lines put their vhid.
    #[arg(short = 'i', long = "interface", value_name = "IF")]
    pub interfaces: Vec<String>,

    /// Source of IPv4 adverts on a parent (ucarp --srcip), `IP` for the
    /// first -i or `IF=IP`; repeatable. Default: the parent's first IPv4
    /// address; a parent without one sends from 0.0.0.0, as NetBSD does,
    /// and `0.0.0.0` asks for that explicitly.
    #[arg(short = 's', long = "srcip", value_name = "[IF=]IP")]
    pub srcip: Vec<String>,

    /// Virtual host id, 1-255 (ucarp --vhid).
    #[arg(short = 'v', long = "vhid", value_name = "ID")]
    pub vhid: Option<u8>,

    /// Passphrase, at most 19 bytes (ucarp --pass). Without one the key is
    /// all zeros, as carp(4) without `pass`.
    #[arg(short = 'p', long = "pass", value_name = "PASS")]
    pub pass: Option<String>,

    /// Read the passphrase from FILE, first line (ucarp --passfile).
    #[arg(
        short = 'o',
        long = "passfile",
        value_name = "FILE",
        conflicts_with = "pass"
    )]
    pub passfile: Option<PathBuf>,

    /// Virtual address, IPv4 or IPv6, optionally with /prefix (ucarp
    /// --addr). Repeat for more addresses of the same vhid.
    #[arg(short = 'a', long = "addr", value_name = "ADDR[/LEN]")]
    pub addr: Vec<String>,

    /// Advertisement base interval in seconds, 0-255 (ucarp --advbase;
    /// 0 = sub-second adverts every advskew/256 s, as OpenBSD).
    #[arg(
        short = 'b',
        long = "advbase",
        value_name = "SECONDS",
        default_value_t = 1
    )]
    pub advbase: u8,

    /// Advertisement skew in 1/256 s, 0-254 (ucarp --advskew). The host
    /// with the smaller advbase+advskew/256 wins the election.
    #[arg(
        short = 'k',
        long = "advskew",
        value_name = "SKEW",
        default_value_t = 0
    )]
    pub advskew: u8,

    /// Become MASTER as soon as possible when we advertise more often than
    /// the current master (ucarp --preempt; net.inet.carp.preempt=1).
    #[arg(short = 'P', long = "preempt")]
    pub preempt: bool,

    /// Advert intervals of silence before a backup declares the master dead
    /// (ucarp --deadratio; default 3, as carp(4)). Local only.
    #[arg(
        short = 'r',
        long = "deadratio",
        value_name = "RATIO",
        default_value_t = 3
    )]
    pub deadratio: u8,

    /// Run FILE on becoming MASTER: `FILE <if> <address> [<xparam>]` per
    /// virtual address (ucarp --upscript). carpd adds the addresses itself;
    /// the script is for anything else.
    #[arg(short = 'u', long = "upscript", value_name = "FILE")]
    pub upscript: Option<PathBuf>,

    /// Run FILE on leaving MASTER, and at start when BACKUP unless
    /// --neutral (ucarp --downscript).
    #[arg(short = 'd', long = "downscript", value_name = "FILE")]
    pub downscript: Option<PathBuf>,

    /// Run the down script at exit (ucarp --shutdown).
    #[arg(short = 'z', long = "shutdown")]
    pub shutdown: bool,

    /// Do not run the down script at start when entering BACKUP (ucarp
    /// --neutral).
    #[arg(short = 'n', long = "neutral")]
    pub neutral: bool,

    /// Extra parameter passed to the up/down scripts (ucarp --xparam).
    #[arg(short = 'x', long = "xparam", value_name = "VALUE")]
    pub xparam: Option<String>,

    /// Debug output on stderr (ucarp --debug).
    #[arg(short = 'D', long = "debug")]
    pub debug: bool,

    /// Detach from the terminal and run in the background, logging to
    /// syslog (ucarp --daemonize). Under systemd, leave it out.
    #[arg(short = 'B', long = "daemonize")]
    pub daemonize: bool,

    /// Log to syslog with this facility (ucarp --facility; default daemon
    /// with -B). Without -f or -B: the journal under systemd, else stderr.
    #[arg(short = 'f', long = "facility", value_name = "FACILITY")]
    pub facility: Option<String>,

    /// Ignore the parent's carrier: a lost link is not a reason to leave
    /// MASTER (ucarp --ignoreifstate, for crossover cables).
    #[arg(short = 'S', long = "ignoreifstate")]
    pub ignoreifstate: bool,

    /// Broadcast adverts instead of multicast (ucarp --nomcast). Refused:
    /// carp sends to 224.0.0.18 and ff02::12 as the BSDs do.
    #[arg(short = 'M', long = "nomcast")]
    pub nomcast: bool,

    /// Multicast group of the adverts (ucarp --mcast). Only the CARP group
    /// 224.0.0.18 is accepted.
    #[arg(short = 'm', long = "mcast", value_name = "IP")]
    pub mcast: Option<std::net::Ipv4Addr>,

    /// The control socket carpctl talks to (root only). Default:
    /// `carpd.sock` in --run-dir (/run/carpd/carpd.sock).
    #[arg(long = "control", value_name = "PATH")]
    pub control: Option<PathBuf>,

    /// Kill an up or down script still running after SECONDS.
    #[arg(long = "script-timeout", value_name = "SECONDS", default_value_t = 30)]
    pub script_timeout: u32,

    /// Run FILE as `FILE STATE GROUP` when an interface group's state
    /// changes (`ifconfig carp0 group fw`): MASTER when every member vhid
    /// is MASTER, INIT when every one is INIT, else BACKUP; once with
    /// BACKUP at start; runs of a group never overlap, changes meanwhile
    /// are coalesced to the latest; environment CARP_GROUP, CARP_STATE,
    /// CARP_PREVIOUS_STATE, CARP_REASON, CARP_VHIDS, CARP_DEMOTE,
    /// CARP_SEQ, CARP_TIME.
    #[arg(long = "group-hook", value_name = "FILE")]
    pub group_hook: Option<PathBuf>,

    /// Kill a group hook (and its process group) still running after
    /// SECONDS.
    #[arg(long = "hook-timeout", value_name = "SECONDS", default_value_t = crate::hook::DEFAULT_TIMEOUT_SECS)]
    pub hook_timeout: u32,

    /// A link that is not a carp parent (the state-sync link, e.g.
    /// conntrackd's) whose being down (admin or carrier) adds 1 to
    /// --demote-group's demote counter until it is back (OpenBSD pfsync's
    /// syncdev).
    #[arg(long = "syncdev", value_name = "IF")]
    pub syncdev: Option<String>,

    /// For SECONDS after start, add 128 to --demote-group's demote counter
    /// (OpenBSD /etc/rc's `carpdemote 128` at boot), so that a returning
    /// box does not preempt before its state is synced.
    #[arg(long = "holddown", value_name = "SECONDS", default_value_t = 0)]
    pub holddown: u32,

    /// The interface group --syncdev and --holddown demote (default
    /// `carp`: every vhid, the host's demotion, as pfsync's).
    #[arg(long = "demote-group", value_name = "GROUP", default_value = "carp")]
    pub demote_group: String,

    /// On SIGTERM, wait at most SECONDS for scripts and event readers.
    #[arg(
        long = "shutdown-timeout",
        value_name = "SECONDS",
        default_value_t = 10
    )]
    pub shutdown_timeout: u32,

    /// Read vhids (ifconfig-word lines) and sysctl lines from FILE;
    /// re-read on SIGHUP.
    #[arg(long = "config", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Write the JSON event lines to PATH (a file, appended, or a FIFO)
    /// instead of stdout.
    #[arg(long = "events", value_name = "PATH")]
    pub events: Option<PathBuf>,

    /// Set a host-wide knob, e.g. `--sysctl replay=0` or
    /// `--sysctl net.inet.carp.log=3` (repeatable).
    #[arg(long = "sysctl", value_name = "NAME=VALUE")]
    pub sysctl: Vec<String>,

    /// Do not add or remove the virtual addresses: the up/down scripts do,
    /// as with ucarp. The macvlan owning the virtual MAC is still brought
    /// up while MASTER, so clients that send to the virtual MAC keep
    /// reaching this host, whatever interface the scripts put the address
    /// on.
    #[arg(long = "no-addresses")]
    pub no_addresses: bool,

    /// Directory of the lock files (one per parent and vhid: a second
    /// carpd for the same vhid refuses to start) and of the saved host
    /// settings.
    #[arg(long = "run-dir", value_name = "DIR", default_value = "/run/carpd")]
    pub run_dir: PathBuf,

    /// Write carpd's pid to FILE (removed on exit).
    #[arg(long = "pidfile", value_name = "FILE")]
    pub pidfile: Option<PathBuf>,

    /// ifconfig words for one more vhid, after `--`:
    /// `vhid 1 advbase 1 advskew 100 pass x 192.0.2.100/24 [state master]`.
    #[arg(last = true, value_name = "WORDS")]
    pub words: Vec<String>,
}

impl Cli {
    /// The control socket: `--control`, else `carpd.sock` in `--run-dir`.
    pub fn control_socket(&self) -> PathBuf {
        self.control
            .clone()
            .unwrap_or_else(|| self.run_dir.join("carpd.sock"))
    }
}
