//! carpd as an operator runs it, in network namespaces: carpctl against a
//! live pair (step down, force master, advskew, preempt, demote and back,
//! a refused write changes nothing), ucarp's SIGUSR2, the log of a peer
//! with another passphrase, an events FIFO nobody reads, SIGTERM bounded
//! with a slow script, scripts for addresses a reload adds.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use carp_tests::carpd::{carpctl_bin, signal, Carpd, Scratch, BACKUP, MASTER};
use carp_tests::netns::{Host, Lab};
use carp_tests::process::wait_until;
use carp_tests::require;
use carp_tests::require::Prerequisite::{Netns, Root};

/// Master-down at advbase 1 is 3 s + advskew/256: ten is plenty.
const ELECT: Duration = Duration::from_secs(10);

fn lab(n: usize) -> (Lab, Vec<Host>) {
    let mut lab = Lab::new().unwrap();
    let hosts = (0..n)
        .map(|i| {
            lab.add_host(&format!("h{i}"), &[&format!("192.0.2.{}/24", 11 + i)])
                .unwrap()
        })
        .collect();
    (lab, hosts)
}

fn socket(dir: &Scratch, name: &str) -> PathBuf {
    dir.path.join(format!("{name}.sock"))
}

/// carpd on `host` with vhid 1, its own control socket, and `extra`.
fn start(host: &Host, dir: &Scratch, name: &str, pass: &str, skew: u8, extra: &[&str]) -> Carpd {
    let skew = skew.to_string();
    let sock = socket(dir, name);
    let sock = sock.to_str().unwrap();
    let mut args = vec![
        "-v",
        "1",
        "-p",
        pass,
        "-a",
        "192.0.2.100/24",
        "-k",
        &skew,
        "--control",
        sock,
    ];
    args.extend_from_slice(extra);
    Carpd::start(host, &dir.path, name, &args)
}

/// `carpctl -s SOCK args...` run in `host`'s namespace.
fn carpctl(host: &Host, sock: &Path, args: &[&str]) -> Output {
    let bin = carpctl_bin();
    let mut argv = vec![bin.to_str().unwrap(), "-s", sock.to_str().unwrap()];
    argv.extend_from_slice(args);
    host.ns.exec(&argv).unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "carpctl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn reason(c: &Carpd) -> String {
    c.last_state().map(|(_, r)| r).unwrap_or_default()
}

#[test]
fn carpctl_steers_a_live_pair() {
    require!(Root, Netns);
    let dir = Scratch::new("ops-pair");
    let (_lab, h) = lab(2);
    let a = start(&h[0], &dir, "a", "pw", 10, &[]);
    let b = start(&h[1], &dir, "b", "pw", 50, &[]);
    let (sa, sb) = (socket(&dir, "a"), socket(&dir, "b"));
    assert!(a.wait_state(MASTER, ELECT), "{:?}", a.event_lines());
    assert!(b.wait_state(BACKUP, ELECT));

    // Status: BSD ifconfig lines and the demote count.
    let status = ok(&carpctl(&h[0], &sa, &["status"]));
    assert!(
        status.contains("\tcarp: MASTER vhid 1 advbase 1 advskew 10\n"),
        "{status}"
    );
    assert!(
        status.contains("\tinet 192.0.2.100 netmask 0xffffff00 vhid 1\n"),
        "{status}"
    );
    assert!(status.ends_with("carp: carp demote count 0\n"), "{status}");

    // advskew 200 on a master: still master (b has no preempt).
    ok(&carpctl(
        &h[0],
        &sa,
        &["ifconfig", "eth0", "vhid", "1", "advskew", "200"],
    ));
    assert!(
        ok(&carpctl(&h[0], &sa, &["status"])).contains("carp: MASTER vhid 1 advbase 1 advskew 200")
    );
    // state backup: a leaves master; its own master-down (3 s + 200/256)
    // comes after b's (3 s + 50/256 from a's last advert), so b takes over.
    ok(&carpctl(
        &h[0],
        &sa,
        &["state", "eth0", "backup", "--vhid", "1"],
    ));
    assert!(a.wait_state(BACKUP, Duration::from_secs(2)));
    assert_eq!(reason(&a), "forced");
    assert!(b.wait_state(MASTER, ELECT), "{:?}", b.event_lines());
    assert_eq!(reason(&b), "master-down");

    // Back to advskew 10 and state master: a takes over, b yields to the
    // better master.
    ok(&carpctl(
        &h[0],
        &sa,
        &["ifconfig", "eth0", "vhid", "1", "advskew", "10"],
    ));
    ok(&carpctl(
        &h[0],
        &sa,
        &["state", "eth0", "master", "--vhid", "1"],
    ));
    assert!(a.wait_state(MASTER, Duration::from_secs(2)));
    assert!(b.wait_state(BACKUP, ELECT), "{:?}", b.event_lines());

    // advskew 200 on a, preempt on b: b advertises more often and takes over.
    ok(&carpctl(
        &h[0],
        &sa,
        &["ifconfig", "eth0", "vhid", "1", "advskew", "200"],
    ));
    ok(&carpctl(&h[1], &sb, &["sysctl", "net.inet.carp.preempt=1"]));
    assert!(b.wait_state(MASTER, ELECT), "{:?}", b.event_lines());
    assert_eq!(reason(&b), "preempt");
    assert!(a.wait_state(BACKUP, ELECT));

    // Demote and back: a at advskew 10 with preempt takes over again; a
    // demotion hands the vhid to b, and undoing it takes it back.
    ok(&carpctl(
        &h[0],
        &sa,
        &["ifconfig", "eth0", "vhid", "1", "advskew", "10"],
    ));
    ok(&carpctl(&h[0], &sa, &["sysctl", "preempt=1"]));
    assert!(a.wait_state(MASTER, ELECT), "{:?}", a.event_lines());
    let out = ok(&carpctl(
        &h[0],
        &sa,
        &["demote", "+100", "maintenance", "window"],
    ));
    assert!(out.contains("carp demote count 100"), "{out}");
    assert!(b.wait_state(MASTER, ELECT), "{:?}", b.event_lines());
    assert!(a.wait_state(BACKUP, ELECT));
    let demotion = a.events_of("demotion");
    assert!(
        demotion
            .iter()
            .any(|l| l.contains("\"to\":100") && l.contains("\"note\":\"maintenance window\"")),
        "{demotion:?}"
    );
    ok(&carpctl(&h[0], &sa, &["demote", "0"]));
    assert!(a.wait_state(MASTER, ELECT), "{:?}", a.event_lines());
    assert!(a
        .events_of("demotion")
        .iter()
        .any(|l| l.contains("\"from\":100,\"to\":0")));

    // A refused write changes nothing and says why.
    let before = ok(&carpctl(&h[0], &sa, &["status", "--json"]));
    let refused = carpctl(
        &h[0],
        &sa,
        &["ifconfig", "eth0", "vhid", "1", "advskew", "255"],
    );
    assert_eq!(refused.status.code(), Some(1));
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(
        why.starts_with("carpctl: refused, nothing changed: advskew"),
        "{why}"
    );
    let refused = carpctl(&h[0], &sa, &["demote", "-1"]);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(ok(&carpctl(&h[0], &sa, &["status", "--json"])), before);

    // The counters are right: a became master four times (elected,
    // forced, preempting b, back after the demotion).
    let stats = ok(&carpctl(&h[0], &sa, &["stats"]));
    assert!(stats.contains("\t4 transitions to master\n"), "{stats}");
    let prom = ok(&carpctl(&h[0], &sa, &["stats", "--prometheus"]));
    assert!(prom.contains("carp_preempt_total 4\n"), "{prom}");
    assert!(prom.contains("carp_vhid_state{interface=\"eth0\",vhid=\"1\",state=\"MASTER\"} 1\n"));
}

#[test]
fn sigusr2_steps_down_as_ucarp_does() {
    require!(Root, Netns);
    let dir = Scratch::new("ops-usr2");
    let (_lab, h) = lab(2);
    let a = start(&h[0], &dir, "a", "pw", 10, &[]);
    let b = start(&h[1], &dir, "b", "pw", 50, &[]);
    assert!(a.wait_state(MASTER, ELECT));
    assert!(b.wait_state(BACKUP, ELECT));
    signal(a.pid(), "USR2");
    // a bows out: b takes over at once, not at master-down.
    assert!(
        b.wait_state(MASTER, Duration::from_secs(2)),
        "{:?}",
        b.event_lines()
    );
    assert_eq!(reason(&b), "bow-out");
    // a is back after ucarp's three seconds, as BACKUP, and stays there.
    assert!(
        a.wait_state(BACKUP, Duration::from_secs(6)),
        "{:?}",
        a.event_lines()
    );
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(a.state().as_deref(), Some(BACKUP), "{:?}", a.event_lines());
    assert_eq!(b.state().as_deref(), Some(MASTER));
    let status = ok(&carpctl(&h[0], &socket(&dir, "a"), &["status"]));
    assert!(status.contains("carp: BACKUP"), "{status}");
}

#[test]
fn a_peer_with_another_passphrase_is_logged_once_with_the_hint() {
    require!(Root, Netns);
    let dir = Scratch::new("ops-badauth");
    let (_lab, h) = lab(2);
    let a = start(&h[0], &dir, "a", "right", 10, &[]);
    let b = start(&h[1], &dir, "b", "wrong", 50, &[]);
    assert!(a.wait_state(MASTER, ELECT));
    assert!(
        b.wait_state(MASTER, ELECT),
        "two masters: the misconfiguration"
    );
    let hint = "bad authentication: passphrase or address list differs from the sender's";
    assert!(
        wait_until(Duration::from_secs(5), || a.stderr_text().contains(hint)),
        "{}",
        a.stderr_text()
    );
    // Adverts every second for five more seconds: still one line (once a
    // minute), naming the sender.
    std::thread::sleep(Duration::from_secs(5));
    let text = a.stderr_text();
    assert_eq!(text.matches(hint).count(), 1, "{text}");
    assert!(
        text.contains("eth0: advert from 192.0.2.12 dropped"),
        "{text}"
    );
}

/// carpd with `args` in `host`, stderr to `dir/<name>.stderr` (no
/// `--events` of the harness's).
fn spawn_raw(
    host: &Host,
    dir: &Scratch,
    name: &str,
    args: &[&str],
) -> carp_tests::netns::Background {
    let mut line = format!(
        "exec {} -i {} --run-dir {}",
        carp_tests::carpd::carpd_bin().display(),
        host.ifname,
        dir.path.join("run").display()
    );
    for a in args {
        line.push_str(&format!(" '{a}'"));
    }
    line.push_str(&format!(
        " 2>>{}",
        dir.path.join(format!("{name}.stderr")).display()
    ));
    host.ns.spawn(&["sh", "-c", &line]).unwrap()
}

#[test]
fn an_events_fifo_nobody_reads_never_holds_carpd_up() {
    require!(Root, Netns);
    let dir = Scratch::new("ops-fifo");
    let (_lab, h) = lab(1);
    let fifo = dir.path.join("events.fifo");
    nix_mkfifo(&fifo);
    let sock = socket(&dir, "a");
    let mut a = spawn_raw(
        &h[0],
        &dir,
        "a",
        &[
            "-v",
            "1",
            "-p",
            "pw",
            "-a",
            "192.0.2.100/24",
            "--events",
            fifo.to_str().unwrap(),
            "--control",
            sock.to_str().unwrap(),
            "--shutdown-timeout",
            "2",
        ],
    );
    // Elected and answering carpctl while nobody ever opened the FIFO.
    assert!(wait_until(ELECT, || carpctl(&h[0], &sock, &["status"])
        .status
        .success()
        && ok(&carpctl(&h[0], &sock, &["status"]))
            .contains("carp: MASTER")));
    let pid = a.id().unwrap();
    let start = Instant::now();
    signal(pid, "TERM");
    assert!(wait_until(Duration::from_secs(8), || !a.is_running()));
    assert!(start.elapsed() < Duration::from_secs(8));
}

#[test]
fn a_bad_events_path_is_refused_at_start() {
    require!(Root, Netns);
    let dir = Scratch::new("ops-badpath");
    let (_lab, h) = lab(1);
    let mut a = spawn_raw(
        &h[0],
        &dir,
        "a",
        &[
            "-v",
            "1",
            "-p",
            "pw",
            "-a",
            "192.0.2.100/24",
            "--events",
            "/nonexistent/dir/ev",
        ],
    );
    assert!(wait_until(Duration::from_secs(5), || !a.is_running()));
    let err = std::fs::read_to_string(dir.path.join("a.stderr")).unwrap();
    assert!(
        err.contains("--events /nonexistent/dir/ev: No such file or directory"),
        "{err}"
    );
}

#[test]
fn sigterm_is_bounded_with_a_slow_script_and_the_backup_takes_over_at_once() {
    require!(Root, Netns);
    let dir = Scratch::new("ops-slow");
    let (_lab, h) = lab(2);
    let script = dir.path.join("slow-down.sh");
    std::fs::write(&script, "#!/bin/sh\nsleep 30\n").unwrap();
    let _ = std::process::Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status();
    let mut a = start(
        &h[0],
        &dir,
        "a",
        "pw",
        10,
        &[
            "-d",
            script.to_str().unwrap(),
            "-z",
            "--shutdown-timeout",
            "2",
        ],
    );
    let b = start(&h[1], &dir, "b", "pw", 50, &[]);
    assert!(a.wait_state(MASTER, ELECT));
    assert!(b.wait_state(BACKUP, ELECT));
    let start = Instant::now();
    a.terminate(Duration::from_secs(10));
    let took = start.elapsed();
    // --shutdown-timeout 2 with a 30 s down script: gone in seconds.
    assert!(took < Duration::from_secs(6), "SIGTERM took {took:?}");
    // The bow-out advert: b takes over without waiting for master-down.
    assert!(
        b.wait_state(MASTER, Duration::from_secs(2)),
        "{:?}",
        b.event_lines()
    );
    assert_eq!(reason(&b), "bow-out");
}

fn nix_mkfifo(path: &Path) {
    let out = std::process::Command::new("mkfifo")
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success());
}

#[test]
fn a_reload_runs_the_scripts_of_the_addresses_it_adds_and_removes() {
    require!(Root, Netns);
    let dir = Scratch::new("ops-reload");
    let (_lab, h) = lab(1);
    let log = dir.path.join("scripts.log");
    let script = |name: &str, tag: &str| {
        let path = dir.path.join(name);
        std::fs::write(
            &path,
            format!("#!/bin/sh\necho \"{tag} $1 $2\" >> {}\n", log.display()),
        )
        .unwrap();
        let _ = std::process::Command::new("chmod")
            .arg("+x")
            .arg(&path)
            .status();
        path
    };
    let (up, down) = (script("up.sh", "up"), script("down.sh", "down"));
    let conf = dir.path.join("carpd.conf");
    std::fs::write(&conf, "ifconfig eth0 vhid 1 pass pw alias 192.0.2.100/24\n").unwrap();
    let sock = socket(&dir, "a");
    let a = Carpd::start(
        &h[0],
        &dir.path,
        "a",
        &[
            "--config",
            conf.to_str().unwrap(),
            "-u",
            up.to_str().unwrap(),
            "-d",
            down.to_str().unwrap(),
            "-n",
            "--control",
            sock.to_str().unwrap(),
        ],
    );
    assert!(a.wait_state(MASTER, ELECT), "{:?}", a.event_lines());
    let lines = || std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        wait_until(Duration::from_secs(5), || lines()
            == "up eth0 192.0.2.100\n"),
        "{}",
        lines()
    );

    // One address more, one less: their scripts run, the kept one's not.
    std::fs::write(&conf, "ifconfig eth0 vhid 1 pass pw alias 192.0.2.101/24\n").unwrap();
    let out = ok(&carpctl(&h[0], &sock, &["reload"]));
    assert!(out.contains("1 changed"), "{out}");
    assert!(
        wait_until(Duration::from_secs(5), || {
            lines() == "up eth0 192.0.2.100\ndown eth0 192.0.2.100\nup eth0 192.0.2.101\n"
        }),
        "{}",
        lines()
    );
    assert_eq!(a.state().as_deref(), Some(MASTER));

    // A bad file changes nothing, says which line, and is an event.
    std::fs::write(
        &conf,
        "ifconfig eth0 vhid 1 advskew 300 pass pw alias 192.0.2.101/24\n",
    )
    .unwrap();
    let refused = carpctl(&h[0], &sock, &["reload"]);
    assert_eq!(refused.status.code(), Some(1));
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains("line 1: advskew"), "{why}");
    assert!(wait_until(Duration::from_secs(2), || !a
        .events_of("refused")
        .is_empty()));
    let status = ok(&carpctl(&h[0], &sock, &["status"]));
    assert!(
        status.contains("advskew 0") && status.contains("192.0.2.101"),
        "{status}"
    );
}
