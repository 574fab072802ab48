//! The man pages and the shipped example say what the binaries do: every
//! option `--help` lists is in the page and every option the page lists is
//! in `--help`; every knob of net.inet.carp is in carpd.conf(5); the
//! example /etc/carpd.conf, uncommented, is a configuration the engine
//! accepts.

use std::collections::BTreeSet;
use std::path::Path;

use carp_core::Instant;
use carp_ifnet::driver::{LinkState, ParentInfo};
use carp_ifnet::lladdr::MacAddr;
use carp_sysctl::Knob;
use carpd::control::handler::HostEngine;
use clap::CommandFactory;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

/// Long options written in roff (`\-\-script\-timeout`) in `text`.
fn roff_long_options(text: &str) -> BTreeSet<String> {
    let plain = text.replace("\\-", "-");
    let mut out = BTreeSet::new();
    for (i, _) in plain.match_indices("--") {
        let name: String = plain[i + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if !name.is_empty() {
            out.insert(name);
        }
    }
    out
}

fn clap_long_options(cmd: &clap::Command) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = cmd
        .get_arguments()
        .filter_map(|a| a.get_long().map(str::to_owned))
        .collect();
    out.insert("help".into());
    if cmd.get_version().is_some() {
        out.insert("version".into());
    }
    out
}

#[test]
fn carpd_8_lists_exactly_the_options_of_carpd_help() {
    let page = read("man/carpd.8");
    let options = page
        .split(".SH OPTIONS")
        .nth(1)
        .and_then(|s| s.split(".SH SIGNALS").next())
        .unwrap();
    let cmd = carpd::cli::Cli::command();
    assert_eq!(roff_long_options(options), clap_long_options(&cmd));
    for arg in cmd.get_arguments() {
        if let Some(short) = arg.get_short() {
            let roff = format!(".BR \\-{short} \", \" \\-\\-");
            assert!(options.contains(&roff), "-{short} missing from carpd.8");
        }
    }
}

#[test]
fn carpctl_8_lists_every_command_and_option_of_carpctl_help() {
    let page = read("man/carpctl.8");
    let cmd = carpd::carpctl::Cli::command();
    let mut in_help = clap_long_options(&cmd);
    let mut commands = BTreeSet::new();
    for sub in cmd.get_subcommands() {
        commands.insert(sub.get_name().to_owned());
        in_help.extend(clap_long_options(sub));
        in_help.remove("version");
    }
    in_help.insert("version".into());
    let listed: BTreeSet<String> = page
        .lines()
        .filter_map(|l| l.strip_prefix(".B "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.chars().all(|c| c.is_ascii_lowercase()))
        .map(str::to_owned)
        .collect();
    for c in &commands {
        assert!(listed.contains(c), "carpctl {c} missing from carpctl.8");
    }
    let section = page.split(".SH EXAMPLES").next().unwrap();
    assert_eq!(roff_long_options(section), in_help);
}

#[test]
fn carpd_conf_5_names_every_knob_and_its_default() {
    let page = read("man/carpd.conf.5").replace("\\-", "-");
    for knob in Knob::ALL {
        if !knob.is_writable() {
            continue;
        }
        assert!(
            page.contains(&format!(".B {}\n", knob.name())),
            "{} missing",
            knob.name()
        );
        if let Some(d) = knob.default_value() {
            let after = page.split(&format!(".B {}\n", knob.name())).nth(1).unwrap();
            let line = after.lines().next().unwrap();
            assert!(
                line.contains(&format!("default {d}:")),
                "{}: default {d} not in {line:?}",
                knob.name()
            );
        }
    }
}

#[test]
fn the_example_configuration_uncommented_is_accepted_whole() {
    // An unoptimised build moves the hosted engine (506 KiB plus 357 KiB
    // per parent, docs/embedding.md) through several stack frames: more
    // than a test thread's 2 MiB, less than carpd's 8 MiB main thread.
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(example_configuration_is_accepted_whole)
        .unwrap()
        .join()
        .unwrap();
}

fn example_configuration_is_accepted_whole() {
    let text = read("dist/carpd.conf");
    let live: String = text
        .lines()
        .filter_map(|l| l.strip_prefix('#'))
        .filter(|l| l.starts_with("ifconfig ") || l.starts_with("net.inet.carp."))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(live.lines().count(), 5, "{live}");
    let mut engine = Box::new(HostEngine::new(Vec::new()));
    engine
        .add_parent(
            "eth0",
            ParentInfo::ethernet(MacAddr([2, 0, 0, 0, 0, 1])),
            LinkState::Up,
        )
        .unwrap();
    let report = engine
        .apply_config(Instant::ZERO, &live, Some("eth0"))
        .unwrap();
    // log=1 is the default: only preempt is a knob written.
    assert_eq!((report.added, report.knobs), (3, 1), "{report:?}");
    // As shipped (all commented out) it configures nothing.
    let mut fresh = Box::new(HostEngine::new(Vec::new()));
    let report = fresh.apply_config(Instant::ZERO, &text, None).unwrap();
    assert_eq!(report.added, 0);
}
