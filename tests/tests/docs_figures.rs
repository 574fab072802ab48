//! Every figure README.md and BENCHMARKS.md quote comes from a log in
//! `bench/` that a script in the tree wrote, stamped with the date and the
//! machine (`scripts/stamp.sh`): the docs cannot drift from the logs.
//!
//! | log | written by |
//! |---|---|
//! | `bench/summary.txt` | `scripts/bench.sh` |
//! | `bench/callgrind.txt` | `scripts/callgrind.sh` |
//! | `bench/failover.txt` | `scripts/failover.sh` |
//! | `bench/baremetal-sizes.txt` | `SIZE_LOG=bench/baremetal-sizes.txt shims/baremetal/size.sh` |
//! | `bench/fuzz.txt` | `FUZZ_LOG=bench/fuzz.txt bash fuzz/smoke.sh SECONDS` |
//! | `bench/model.txt` | `scripts/model.sh` |
//! | `bench/mutations.txt` | `scripts/mutations.sh` |
//! | `bench/firewall.txt` | `scripts/firewall.sh` |
//!
//! Checked: each log starts with a stamp; every bench summary line, every
//! callgrind line, every failover line and every firewall-pair line the
//! docs show (indented code blocks or fenced) is a line of its log; the bare-metal size tables are
//! the log's rows; the README's fuzz table is the fuzz log's figures.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(rel: &str) -> String {
    let path = root().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The log's lines after its stamp; panics unless it starts with one
/// (`# <UTC date>T<time>Z, <n> CPUs, ...`).
fn log_lines(rel: &str) -> Vec<String> {
    let text = read(rel);
    let stamp = text.lines().next().unwrap_or("");
    let date = stamp.strip_prefix("# ").unwrap_or("");
    let well_formed = date.len() > 20
        && date.as_bytes()[4] == b'-'
        && date.as_bytes()[10] == b'T'
        && (stamp.contains(" CPUs") || text.lines().nth(1).is_some_and(|l| l.contains(" CPUs")));
    assert!(
        well_formed,
        "{rel} does not start with a date and machine stamp: {stamp:?}"
    );
    text.lines().map(str::to_owned).collect()
}

/// Lines of the two docs, code-block indentation removed.
fn doc_lines() -> Vec<(&'static str, String)> {
    ["README.md", "BENCHMARKS.md"]
        .into_iter()
        .flat_map(|doc| {
            read(doc)
                .lines()
                .map(|l| (doc, l.strip_prefix("    ").unwrap_or(l).to_owned()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn assert_quoted_lines_are_logged(prefixes: &[&str], log: &str) {
    let logged = log_lines(log);
    let mut quoted = 0;
    for (doc, line) in doc_lines() {
        if prefixes.iter().any(|p| line.starts_with(p)) {
            quoted += 1;
            assert!(
                logged.contains(&line),
                "{doc} quotes a line that is not in {log}:\n{line}"
            );
        }
    }
    assert!(quoted > 0, "the docs quote nothing from {log}");
}

#[test]
fn bench_summary_lines_are_those_of_bench_sh() {
    assert_quoted_lines_are_logged(
        &[
            "auth: ",
            "input: ",
            "send: ",
            "arp: ",
            "scale: ",
            "memory: ",
            "failover: runs",
            "takeover (carp-sim): ",
        ],
        "bench/summary.txt",
    );
}

#[test]
fn callgrind_lines_are_those_of_callgrind_sh() {
    assert_quoted_lines_are_logged(&["callgrind: "], "bench/callgrind.txt");
}

#[test]
fn failover_lines_are_those_of_failover_sh() {
    assert_quoted_lines_are_logged(
        &[
            "failover carpd ",
            "failover ucarp ",
            "  last advert of the old master",
            "  client: ",
            "discarded (",
            "advbase 0: takeover",
        ],
        "bench/failover.txt",
    );
}

#[test]
fn firewall_pair_lines_are_those_of_firewall_sh() {
    assert_quoted_lines_are_logged(&["firewall-pair "], "bench/firewall.txt");
}

#[test]
fn bare_metal_size_tables_are_the_rows_of_size_sh() {
    let rows: Vec<Vec<String>> = log_lines("bench/baremetal-sizes.txt")
        .iter()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|w| w.contains("-none"))
        })
        .map(|l| l.split_whitespace().map(str::to_owned).collect())
        .collect();
    assert_eq!(rows.len(), 2, "two targets in the size log");
    let mut tables = 0;
    for (doc, line) in doc_lines() {
        let cells: Vec<String> = line
            .split('|')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        if cells.len() == 5 && cells[0].contains("-none") {
            tables += 1;
            assert!(
                rows.contains(&cells),
                "{doc}: size row {cells:?} is not in the log {rows:?}"
            );
        }
    }
    assert!(tables >= 2, "no size table in the docs");
}

/// `74.7 M`, `6.27 M`, `653 k`: three significant digits.
fn executions(n: u64) -> String {
    let (value, unit) = if n >= 1_000_000 {
        (n as f64 / 1e6, "M")
    } else {
        (n as f64 / 1e3, "k")
    };
    let digits = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{value:.digits$} {unit}")
}

#[test]
fn the_readme_fuzz_table_is_the_fuzz_log() {
    let logged = log_lines("bench/fuzz.txt");
    let readme = read("README.md");
    let mut rows = 0;
    for line in logged.iter().filter(|l| !l.starts_with('#')) {
        // `<target>: <s> s, <n> executions, cov <c> ft <f>, corpus <k>, no crash`
        let words: Vec<&str> = line.split([' ', ',']).filter(|w| !w.is_empty()).collect();
        let target = words[0].trim_end_matches(':');
        let n: u64 = words[3]
            .parse()
            .unwrap_or_else(|_| panic!("executions in {line}"));
        let row = format!("| `{target}` | {}", executions(n));
        let cells = format!("| {} / {} | {} |", words[6], words[8], words[10]);
        let found = readme
            .lines()
            .find(|l| l.starts_with(&row))
            .unwrap_or_else(|| panic!("README has no fuzz row starting {row:?} (log: {line})"));
        assert!(
            found.ends_with(&cells),
            "README row {found:?}, log says {cells:?}"
        );
        assert!(line.ends_with("no crash"), "{line}");
        rows += 1;
    }
    assert_eq!(rows, 5, "one log line per fuzz target");
}

#[test]
fn executions_print_with_three_digits() {
    assert_eq!(executions(74_712_345), "74.7 M");
    assert_eq!(executions(6_271_000), "6.27 M");
    assert_eq!(executions(653_400), "653 k");
    assert_eq!(executions(52_512), "52.5 k");
}

#[test]
fn model_check_lines_are_those_of_model_sh() {
    assert_quoted_lines_are_logged(&["model: "], "bench/model.txt");
}

/// The README's mutation summary is the log's, and the log says every
/// mutation was killed, each by at least one named test.
#[test]
fn mutation_summary_is_that_of_mutations_sh_and_none_survived() {
    assert_quoted_lines_are_logged(&["mutations: "], "bench/mutations.txt");
    let lines = log_lines("bench/mutations.txt");
    let killed = lines
        .iter()
        .filter(|l| l.starts_with("mutation killed: "))
        .count();
    assert!(killed >= 10, "{killed} mutations killed");
    assert!(!lines.iter().any(|l| l.starts_with("mutation survived: ")));
    assert_eq!(
        lines.last().map(String::as_str),
        Some(format!("mutations: {killed} tried, {killed} killed, 0 survived").as_str())
    );
}
