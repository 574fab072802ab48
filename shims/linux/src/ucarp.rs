//! ucarp's command line, checked as ucarp and the BSDs would: what carpd
//! refuses before it starts, and what it warns about.
//!
//! Every flag of ucarp(8) and of Debian's ifupdown hook
//! (`/etc/network/if-up.d/ucarp`: `-i -s -B -z -v -p -a -u -d` and `-P -k
//! -b -r -M -x`) is accepted by [`crate::cli::Cli`]; values carp cannot
//! honour are refused here with a sentence saying why.

use std::net::Ipv4Addr;
use std::path::Path;

use crate::cli::Cli;

/// The CARP IPv4 group, the only `--mcast` carp speaks.
pub const CARP_GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);

/// Refuses what carp cannot do; returns the warnings to log.
///
/// # Errors
/// The first refusal, as a sentence naming the flag and why.
pub fn check(cli: &Cli) -> Result<Vec<String>, String> {
    if cli.advskew == 255 {
        return Err(
            "--advskew 255: out of range 0..254: BSD carp reserves advskew 255 for \
                    the advert a leaving master sends (bow-out), so peers would read every \
                    advert of this host as a goodbye"
                .into(),
        );
    }
    if cli.nomcast {
        return Err(
            "--nomcast: broadcast adverts are ucarp's own; carp sends to 224.0.0.18 \
                    and ff02::12 as the BSDs do, and a BSD or carpd peer ignores broadcast \
                    adverts (leave -M out on every host)"
                .into(),
        );
    }
    if let Some(group) = cli.mcast.filter(|g| *g != CARP_GROUP) {
        return Err(format!(
            "--mcast {group}: carp adverts go to {CARP_GROUP} (the IANA CARP/VRRP group); \
             peers listening elsewhere would not be BSD carp peers"
        ));
    }
    if cli.pass.is_none() {
        if let Some(path) = &cli.passfile {
            read_passfile(path)?;
        }
    }
    if cli.pass.as_deref() == Some("") {
        return Err(empty_pass("--pass"));
    }
    let mut warnings = Vec::new();
    if let Some(vhid) = cli.vhid {
        if cli.addr.is_empty() {
            warnings.push(format!(
                "vhid {vhid} has no --addr: it stays in INIT (carp needs a virtual address \
                 to advertise)"
            ));
        }
        if cli.pass.is_none() && cli.passfile.is_none() {
            warnings.push(format!(
                "vhid {vhid} has no --pass: adverts are signed with the all-zero key, so \
                 any host on the link can take the address over (ucarp refuses to start \
                 without a password)"
            ));
        }
    }
    if cli.daemonize && std::env::var_os("INVOCATION_ID").is_some() {
        warnings.push(
            "-B under systemd: the unit's Type=notify expects carpd in the foreground".into(),
        );
    }
    Ok(warnings)
}

fn empty_pass(what: &str) -> String {
    format!(
        "{what}: the password is empty: ucarp refuses it (\"You must supply a password\"), \
         and carp would sign with the all-zero key, which any host can forge"
    )
}

/// The passphrase of a `--passfile`: its first line, as ucarp reads it.
///
/// # Errors
/// The file cannot be read, or its first line is empty.
pub fn read_passfile(path: &Path) -> Result<String, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("--passfile {}: {e}", path.display()))?;
    let first = text.lines().next().unwrap_or("");
    if first.is_empty() {
        return Err(empty_pass(&format!("--passfile {}", path.display())));
    }
    Ok(first.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn cli(args: &[&str]) -> Cli {
        let mut argv = vec!["carpd"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).unwrap()
    }

    #[test]
    fn debians_ifupdown_hook_command_line_parses() {
        // /etc/network/if-up.d/ucarp with every optional parameter set.
        let c = cli(&[
            "-i",
            "eth0",
            "-s",
            "192.0.2.11",
            "-B",
            "-z",
            "-v",
            "7",
            "-p",
            "s3cret",
            "-a",
            "192.0.2.100",
            "-u",
            "/usr/share/ucarp/vip-up",
            "-d",
            "/usr/share/ucarp/vip-down",
            "-P",
            "-k",
            "50",
            "-b",
            "2",
            "-r",
            "4",
            "-x",
            "extra",
        ]);
        assert!(c.daemonize && c.shutdown && c.preempt);
        assert_eq!(
            (c.vhid, c.advskew, c.advbase, c.deadratio),
            (Some(7), 50, 2, 4)
        );
        assert_eq!(c.xparam.as_deref(), Some("extra"));
        assert_eq!(check(&c), Ok(vec![]));
    }

    #[test]
    fn ucarp_long_options_with_equals_parse() {
        let c = cli(&[
            "--interface=eth0",
            "--vhid=3",
            "--pass=x",
            "--addr=192.0.2.100",
            "--facility=local3",
            "--ignoreifstate",
            "--neutral",
            "--mcast=224.0.0.18",
        ]);
        assert_eq!(c.facility.as_deref(), Some("local3"));
        assert!(c.ignoreifstate && c.neutral);
        assert_eq!(check(&c), Ok(vec![]));
    }

    #[test]
    fn advskew_255_is_refused_with_the_reason() {
        let e = check(&cli(&[
            "-i",
            "eth0",
            "-v",
            "1",
            "-p",
            "x",
            "-a",
            "192.0.2.1",
            "-k",
            "255",
        ]))
        .unwrap_err();
        assert!(
            e.starts_with("--advskew 255: out of range 0..254: BSD carp reserves"),
            "{e}"
        );
    }

    #[test]
    fn an_empty_passfile_is_refused() {
        let dir = std::env::temp_dir().join(format!("carpd-ucarp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty");
        std::fs::write(&empty, "\nsecond line\n").unwrap();
        let path = empty.to_str().unwrap();
        let e = check(&cli(&[
            "-i",
            "eth0",
            "-v",
            "1",
            "-o",
            path,
            "-a",
            "192.0.2.1",
        ]))
        .unwrap_err();
        assert!(e.contains("the password is empty"), "{e}");
        std::fs::write(&empty, "s3cret\n").unwrap();
        assert_eq!(read_passfile(&empty), Ok("s3cret".into()));
        let e = check(&cli(&[
            "-i",
            "eth0",
            "-v",
            "1",
            "-p",
            "",
            "-a",
            "192.0.2.1",
        ]))
        .unwrap_err();
        assert!(e.starts_with("--pass: the password is empty"), "{e}");
    }

    #[test]
    fn broadcast_and_other_groups_are_refused_and_a_bare_vhid_warned_about() {
        assert!(check(&cli(&["-i", "eth0", "-M"]))
            .unwrap_err()
            .starts_with("--nomcast"));
        assert!(check(&cli(&["-i", "eth0", "-m", "239.1.1.1"]))
            .unwrap_err()
            .starts_with("--mcast 239.1.1.1"));
        let w = check(&cli(&["-i", "eth0", "-v", "4", "-p", "x"])).unwrap();
        assert_eq!(w.len(), 1);
        assert!(w[0].starts_with("vhid 4 has no --addr"), "{w:?}");
    }
}
