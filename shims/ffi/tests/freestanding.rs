//! The freestanding C library for kernels, end to end: builds carp-ffi
//! without its `hosted` feature for `x86_64-unknown-none` (profile
//! `freestanding`, `panic = "abort"`), links it into
//! `examples/freestanding/failover.c` and its `runtime.c` with
//! `-ffreestanding -nostdlib -static` (its own `_start`, raw system calls,
//! no libc), checks what
//! the binary and the library are made of, runs it and checks its output
//! to the byte.
//!
//! * Symbols: the Rust code of the library needs nothing from outside
//!   but `carp_panic` and the four memory functions every freestanding C
//!   environment has (`memcpy`, `memmove`, `memset`, `memcmp`); the binary
//!   is a static executable without an interpreter or a dynamic section,
//!   and holds no allocator, thread, unwinder or libc symbol.
//! * Times, from the CARP formula (BSD `carp_setrun`): a vhid becomes
//!   MASTER after master-down, 3 * advbase + advskew/256 s, of silence. A
//!   (advskew 0) alone: MASTER at 3 s; it advertises at 3, 4 and 5 s and
//!   dies after the third; B (advskew 100) takes over 3 + 100/256 s =
//!   3 390 625 us after that advert. A destroyed master bows out with an
//!   advert of advskew 255 (OpenBSD `carp_send_ad` with `sc_bow_out`).
//! * Capacities: 4 parents, 16 vhids per parent (the freestanding
//!   `CARP_MAX_PARENTS`, `CARP_MAX_VHIDS`); one more of each is refused.
//! * Stack: the program paints its stack; the deepest use of the whole
//!   run must stay within the 16 KiB the header promises.
//!
//! It needs an x86_64 Linux host, the `x86_64-unknown-none` Rust target,
//! `cc`, `nm` and `readelf`; without one it is skipped (and the skip
//! logged), and in CI it fails instead (`carp-require`). `--nocapture` shows the figures
//! (library and binary sizes, host size, stack).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// One advert interval at advbase 1, in microseconds.
const ADVBASE_US: u64 = 1_000_000;
/// B's skew.
const B_ADVSKEW: u64 = 100;
/// The stack the header promises no call exceeds.
const STACK_LIMIT: u64 = 16 * 1024;
/// The freestanding capacities (`types.rs`, the header's freestanding
/// `CARP_MAX_PARENTS` and `CARP_MAX_VHIDS`).
const MAX_PARENTS: u64 = 4;
const MAX_VHIDS: u64 = 16;

/// Master-down interval for `advskew` (BSD `carp_setrun`: 3 advert
/// intervals plus the skew in 1/256 s).
fn master_down_us(advskew: u64) -> u64 {
    3 * ADVBASE_US + advskew * ADVBASE_US / 256
}

/// The output, every line but the "figure" ones.
fn expected() -> String {
    let a_master = master_down_us(0);
    // A advertises on becoming MASTER and every advbase after; the program
    // kills it at the first instant at or after 5 s.
    let killed = a_master + 2 * ADVBASE_US;
    let b_master = killed + master_down_us(B_ADVSKEW);
    format!(
        "\
init NULL: NULL pointer argument
init one byte short: wrong length
init misaligned: invalid argument
parent {p1} of {MAX_PARENTS}: no room
vhid {v1} of {MAX_VHIDS} on em0: no room
scratch em0 vhid {MAX_VHIDS}: BACKUP
scratch host ended; its memory goes to host A
ifconfig carp0 create vhid 1 carpdev em0 advskwe 100: invalid argument (word index 5)
  word 6 \"advskwe\": unknown (not a keyword, an address or a value)
B config: 1 added, 1 knobs
B carpreq: vhid 1 advbase 1 advskew {B_ADVSKEW} carpdev em0 state BACKUP preempt 1
         0 us  A carp0 vhid 1 INIT -> BACKUP (admin-up)
         0 us  B carp0 vhid 1 INIT -> BACKUP (admin-up)
{a_master:>10} us  A carp0 vhid 1 BACKUP -> MASTER (master-down)
{killed:>10} us  A killed (no more frames or time)
{b_master:>10} us  B carp0 vhid 1 BACKUP -> MASTER (master-down)
takeover: B is MASTER at {b_master} us, {after} us after A died
adverts: A sent 3, B sent 1 and received 3
B: ifconfig carp0
carp0: flags=41<UP,RUNNING> mtu 1500
\tcarp: MASTER carpdev em0 vhid 1 advbase 1 advskew {B_ADVSKEW}
\tinet 192.0.2.100 netmask 0xffffff00
B bowed out: advert vhid 1 advskew 255
",
        p1 = MAX_PARENTS + 1,
        v1 = MAX_VHIDS + 1,
        after = b_master - killed,
    )
}

/// What the Rust code may need from the embedder.
const ALLOWED_IMPORTS: [&str; 5] = ["carp_panic", "memcmp", "memcpy", "memmove", "memset"];

/// No such symbol may be in the binary: allocators, threads, unwinding,
/// libc's start and I/O.
const FORBIDDEN: [&str; 16] = [
    "malloc",
    "calloc",
    "realloc",
    "free",
    "aligned_alloc",
    "posix_memalign",
    "abort",
    "exit",
    "printf",
    "puts",
    "__libc_start_main",
    "__errno_location",
    "__rust_alloc",
    "__rust_dealloc",
    "rust_eh_personality",
    "_Unwind_Resume",
];
const FORBIDDEN_PREFIXES: [&str; 4] = ["pthread_", "__pthread", "__libc_", "_Unwind_"];

/// Skips (returns false, the skip logged) when a tool is missing; fails
/// where interop is required (`carp-require`'s rule: `CI` set and not
/// `false`/`0`, or `CARP_REQUIRE_INTEROP=1`).
fn have(what: &str, ok: bool) -> bool {
    if !ok {
        carp_require::skip_or_fail(&format!("needs {what}"));
    }
    ok
}

fn runs(cmd: &str, arg: &str) -> bool {
    Command::new(cmd)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn checked(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout_of(cmd: &mut Command) -> String {
    String::from_utf8(checked(cmd).stdout).expect("UTF-8 output")
}

/// The freestanding `libcarp_ffi.a`, built by cargo in a target directory
/// of its own (the test's own build holds the workspace's).
fn build_library() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("freestanding-target");
    let cargo = option_env!("CARGO").unwrap_or("cargo");
    checked(
        Command::new(cargo)
            .args(["rustc", "--quiet", "--manifest-path"])
            .arg(&manifest)
            .args(["-p", "carp-ffi", "--no-default-features"])
            .args(["--target", "x86_64-unknown-none"])
            .args(["--profile", "freestanding", "--crate-type", "staticlib"])
            .env("CARGO_TARGET_DIR", &target_dir)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("CARGO_BUILD_TARGET"),
    );
    target_dir.join("x86_64-unknown-none/freestanding/libcarp_ffi.a")
}

const CFLAGS: [&str; 6] = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-g"];
/// As the example's Makefile: no libc, no start files, no PIE, no stack
/// protector, no loops turned into calls of the memory functions.
const FREESTANDING: [&str; 6] = [
    "-ffreestanding",
    "-nostdlib",
    "-static",
    "-fno-pie",
    "-fno-stack-protector",
    "-fno-tree-loop-distribute-patterns",
];

/// The program's C files, in `examples/freestanding/`.
const SOURCES: [&str; 2] = ["failover.c", "runtime.c"];

/// Compiles the program (objects, for its own sizes) and links it with
/// the library.
fn build_program(lib: &Path) -> (Vec<PathBuf>, PathBuf) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let objects: Vec<PathBuf> = SOURCES
        .iter()
        .map(|source| {
            let obj = tmp.join(format!("freestanding-{source}.o"));
            checked(
                Command::new(&cc)
                    .args(CFLAGS)
                    .args(FREESTANDING)
                    .arg("-I")
                    .arg(dir.join("include"))
                    .arg("-c")
                    .arg(dir.join("examples/freestanding").join(source))
                    .arg("-o")
                    .arg(&obj),
            );
            obj
        })
        .collect();
    let exe = tmp.join("freestanding-failover");
    checked(
        Command::new(&cc)
            .args(FREESTANDING)
            .arg("-no-pie")
            .arg("-o")
            .arg(&exe)
            .args(&objects)
            .arg(lib),
    );
    (objects, exe)
}

/// Bytes of .text, .rodata, .data and .bss (each with its subsections;
/// .data.rel.ro counts as data) of an ELF file, or of the archive members
/// whose name contains `member`.
fn sections(file: &Path, member: Option<&str>) -> BTreeMap<&'static str, u64> {
    let table = stdout_of(Command::new("readelf").args(["-S", "-W"]).arg(file));
    let mut sizes = BTreeMap::from([("text", 0), ("rodata", 0), ("data", 0), ("bss", 0)]);
    let mut in_member = member.is_none();
    for line in table.lines() {
        if let (Some(m), Some(name)) = (member, line.strip_prefix("File: ")) {
            in_member = name.contains(m);
            continue;
        }
        let Some(rest) = line.trim_start().strip_prefix('[') else {
            continue;
        };
        let Some((_, rest)) = rest.split_once(']') else {
            continue;
        };
        // Name Type Address Off Size ...
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if !in_member || fields.len() < 5 {
            continue;
        }
        let size = u64::from_str_radix(fields[4], 16).unwrap_or(0);
        for key in ["text", "rodata", "data", "bss"] {
            let name = fields[0];
            if name == format!(".{key}") || name.starts_with(&format!(".{key}.")) {
                *sizes.get_mut(key).unwrap() += size;
            }
        }
    }
    sizes
}

/// What the library's own Rust code (the `carp_ffi` member: all of carp
/// after LTO) exports, and what it leaves undefined that no other member
/// of the archive defines.
fn library_symbols(lib: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let table = stdout_of(Command::new("nm").arg("-A").arg(lib));
    let mut defined = BTreeSet::new();
    let mut exports = BTreeSet::new();
    let mut undefined = BTreeSet::new();
    for line in table.lines() {
        // archive:member.o:[address] type name
        let Some((place, symbol)) = line.split_once(".o:") else {
            continue;
        };
        let ours = place.contains(":carp_ffi-");
        let fields: Vec<&str> = symbol.split_whitespace().collect();
        match fields.as_slice() {
            ["U", name] if ours => {
                undefined.insert((*name).to_string());
            }
            [_, kind, name] if !["U", "w", "v"].contains(kind) => {
                if ours && *kind == "T" {
                    exports.insert((*name).to_string());
                }
                defined.insert((*name).to_string());
            }
            _ => {}
        }
    }
    (exports, undefined.difference(&defined).cloned().collect())
}

/// Runs `exe` for at most 30 s.
fn run(exe: &Path) -> Output {
    let mut child = Command::new(exe)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the freestanding program");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("the freestanding program ran over 30 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("its output")
}

#[test]
fn freestanding_program_links_the_no_std_library_and_fails_over_at_the_formula() {
    if !have(
        "an x86_64 Linux host",
        cfg!(all(target_arch = "x86_64", target_os = "linux")),
    ) {
        return;
    }
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("x86_64-unknown-none"))
        // Without rustup the toolchain may still have the target: let the
        // build say.
        .unwrap_or(true);
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    if !have("the x86_64-unknown-none Rust target", installed)
        || !have("cc", runs(&cc, "--version"))
        || !have("nm", runs("nm", "--version"))
        || !have("readelf", runs("readelf", "--version"))
    {
        return;
    }

    let lib = build_library();
    let (exports, imports) = library_symbols(&lib);
    for f in [
        "carp_host_size",
        "carp_host_align",
        "carp_host_init",
        "carp_host_fini",
    ] {
        assert!(exports.contains(f), "the library lacks {f}: {exports:?}");
    }
    for f in ["carp_host_new", "carp_host_free"] {
        assert!(!exports.contains(f), "the freestanding library has {f}");
    }
    let allowed: BTreeSet<String> = ALLOWED_IMPORTS.iter().map(|s| s.to_string()).collect();
    assert!(
        imports.is_subset(&allowed),
        "the library needs {:?} beyond {allowed:?}",
        imports.difference(&allowed).collect::<Vec<_>>()
    );

    let (objects, exe) = build_program(&lib);
    let header = stdout_of(Command::new("readelf").args(["-h", "-l", "-d"]).arg(&exe));
    assert!(header.contains("EXEC (Executable file)"), "{header}");
    assert!(!header.contains("INTERP"), "an interpreter: {header}");
    assert!(
        header.contains("There is no dynamic section"),
        "dynamic: {header}"
    );
    let symbols = stdout_of(Command::new("nm").arg(&exe));
    for name in symbols.lines().filter_map(|l| l.split_whitespace().last()) {
        assert!(
            !FORBIDDEN.contains(&name) && !FORBIDDEN_PREFIXES.iter().any(|p| name.starts_with(p)),
            "the freestanding binary holds {name}"
        );
    }
    for needed in ["carp_host_init", "carp_host_fini", "carp_panic", "_start"] {
        assert!(
            symbols.lines().any(|l| l.ends_with(&format!(" {needed}"))),
            "no {needed} in the binary"
        );
    }

    let out = run(&exe);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "exit {}: {}{stdout}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let (figures, lines): (Vec<&str>, Vec<&str>) = stdout
        .split_inclusive('\n')
        .partition(|l| l.starts_with("figure "));
    assert_eq!(lines.concat(), expected());

    let figure = |key: &str| -> u64 {
        figures
            .iter()
            .find_map(|l| {
                let words: Vec<&str> = l.split_whitespace().collect();
                let at = words.iter().position(|w| *w == key)?;
                words.get(at + 1)?.parse().ok()
            })
            .unwrap_or_else(|| panic!("no figure {key} in {figures:?}"))
    };
    let (host_size, host_align, stack) = (
        figure("host_size"),
        figure("host_align"),
        figure("stack_used"),
    );
    assert!(host_align.is_power_of_two(), "align {host_align}");
    // README's freestanding paragraph quotes the host's size and alignment.
    let readme = include_str!("../../../README.md").replace('\n', " ");
    let quoted = format!(
        "written in place ({} KiB, align {host_align}",
        host_size / 1024
    );
    assert!(
        readme.contains(&quoted),
        "README.md does not say {quoted:?}"
    );
    // So does docs/embedding.md's memory section (x86_64 only: this test's
    // host is one).
    let embedding = include_str!("../../../docs/embedding.md").replace('\n', " ");
    let said = format!("says how much ({} KiB on x86_64)", host_size / 1024);
    assert!(
        !cfg!(target_arch = "x86_64") || embedding.contains(&said),
        "docs/embedding.md does not say {said:?}"
    );
    assert!(
        stack <= STACK_LIMIT,
        "the run used {stack} bytes of stack, over {STACK_LIMIT}"
    );

    let library = sections(&lib, Some("carp_ffi-"));
    let mut program = BTreeMap::new();
    for obj in &objects {
        for (k, v) in sections(obj, None) {
            *program.entry(k).or_insert(0) += v;
        }
    }
    let binary = sections(&exe, None);
    let part = |s: &BTreeMap<&str, u64>| {
        format!(
            "text {} rodata {} data {} bss {}",
            s["text"], s["rodata"], s["data"], s["bss"]
        )
    };
    let carp: BTreeMap<&str, u64> = binary
        .iter()
        .map(|(k, v)| (*k, v.saturating_sub(program[k])))
        .collect();
    println!(
        "freestanding figures: library (LTO object) {}; in the binary, all but the C program: {}; \
         binary {}; host {host_size} bytes (align {host_align}); deepest stack of the run {stack} bytes",
        part(&library),
        part(&carp),
        part(&binary),
    );
    // README's freestanding paragraph quotes carp's code and read-only
    // data in the binary, in KB: held to within 5 % of what was built.
    let quoted_kb = |after: &str| -> u64 {
        readme
            .split(after)
            .nth(1)
            .and_then(|rest| rest.split(" KB").next())
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("README.md has no size after {after:?}"))
    };
    for (what, kb, bytes) in [
        ("code", quoted_kb("prints the sizes: about"), carp["text"]),
        (
            "read-only data",
            quoted_kb("KB of code and"),
            carp["rodata"],
        ),
    ] {
        let quoted = kb * 1000;
        assert!(
            quoted.abs_diff(bytes) * 20 <= bytes,
            "README.md says about {kb} KB of {what}; the binary holds {bytes} bytes of carp's"
        );
    }
}
