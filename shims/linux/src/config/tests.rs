use super::*;
use clap::Parser;

fn cli(args: &[&str]) -> Cli {
    let mut argv = vec!["carpd"];
    argv.extend_from_slice(args);
    Cli::try_parse_from(argv).unwrap()
}

#[test]
fn ucarp_flags_make_one_vhid() {
    let d = Desired::from_cli(&cli(&[
        "-i",
        "eth0",
        "-s",
        "192.0.2.11",
        "-v",
        "7",
        "-p",
        "secret42",
        "-a",
        "192.0.2.100",
        "-b",
        "2",
        "-k",
        "10",
        "-P",
        "-r",
        "4",
    ]))
    .unwrap();
    assert_eq!(d.vhosts.len(), 1);
    let c = &d.vhosts[0].config;
    assert_eq!(c.vhid.get(), 7);
    assert_eq!((c.advbase, c.advskew.get(), c.dead_ratio.get()), (2, 10, 4));
    assert_eq!(c.addresses(), ["192.0.2.100".parse::<IpAddr>().unwrap()]);
    assert_eq!(
        c.key,
        VhostConfig::new(c.vhid)
            .with_passphrase(b"secret42")
            .unwrap()
            .key
    );
    assert_eq!(d.sysctl_lines, ["net.inet.carp.preempt=1"]);
    assert_eq!(d.vhosts[0].prefix_len("192.0.2.100".parse().unwrap()), 32);
}

#[test]
fn ifconfig_words_after_the_dashes_make_a_vhid() {
    let d = Desired::from_cli(&cli(&[
        "-i",
        "eth0",
        "--",
        "vhid",
        "1",
        "advskew",
        "100",
        "pass",
        "x",
        "192.0.2.100/24",
    ]))
    .unwrap();
    let v = &d.vhosts[0];
    assert_eq!((v.config.vhid.get(), v.config.advskew.get()), (1, 100));
    assert_eq!(v.prefix_len("192.0.2.100".parse().unwrap()), 24);
}

#[test]
fn a_password_of_twenty_bytes_is_refused() {
    let r = Desired::from_cli(&cli(&[
        "-i",
        "eth0",
        "-v",
        "1",
        "-p",
        "abcdefghijklmnopqrst",
    ]));
    assert!(r.is_err());
}

#[test]
fn address_without_vhid_is_refused() {
    assert!(Desired::from_cli(&cli(&["-i", "eth0", "-a", "192.0.2.100"])).is_err());
}

#[test]
fn config_file_lines_of_every_style_merge_by_vhid() {
    let text = "\
# carpd.conf
net.inet.carp.preempt=1
vhid 1 advskew 100 pass x 192.0.2.100/24
ifconfig carp2 vhid 2 pass y 2001:db8::100/64
ifconfig carp2 advskew 20
ifconfig_eth0_alias0=\"inet vhid 3 pass z alias 192.0.2.103/32\"
vhid 1 state master
";
    let d = Desired::from_file_text("eth0", text).unwrap();
    assert_eq!(d.sysctl_lines, ["net.inet.carp.preempt=1"]);
    let vhids: Vec<u8> = d.vhosts.iter().map(|v| v.config.vhid.get()).collect();
    assert_eq!(vhids, [1, 2, 3]);
    assert_eq!(d.vhosts[0].state, Some(State::Master));
    assert_eq!(d.vhosts[0].config.advskew.get(), 100);
    assert_eq!(d.vhosts[1].config.advskew.get(), 20);
    assert_eq!(d.vhosts[1].prefix_len("2001:db8::100".parse().unwrap()), 64);
}

#[test]
fn a_bad_line_rejects_the_whole_file_naming_the_line() {
    let err = Desired::from_file_text("eth0", "vhid 1 pass x\nvhid 2 advskew 300\n").unwrap_err();
    assert!(err.0.starts_with("line 2:"), "{err}");
    let err = Desired::from_file_text("eth0", "net.inet.carp.nonsense=1\n").unwrap_err();
    assert!(err.0.starts_with("line 1:"), "{err}");
    let err = Desired::from_file_text("eth0", "vhid 1 carpdev eth1\n").unwrap_err();
    assert!(err.0.contains("eth1"), "{err}");
}

#[test]
fn file_vhids_replace_command_line_ones() {
    let c = Desired::from_cli(&cli(&["-i", "eth0", "-v", "1", "-k", "5"])).unwrap();
    let f = Desired::from_file_text("eth0", "vhid 1 advskew 9\nvhid 4\n").unwrap();
    let m = c.merged(f);
    assert_eq!(m.vhosts.len(), 2);
    assert_eq!(m.vhosts[0].config.advskew.get(), 9);
}
