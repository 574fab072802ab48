#!/usr/bin/env bash
# Mutation trials (issue "every claim is a test"): each mutation below is
# applied to a clean tree, the crates that hold the code are tested, and
# the failing tests are listed; the tree is restored after each. A
# mutation that no test notices is reported as SURVIVED and the script
# exits 1. Writes bench/mutations.txt (stamped, scripts/stamp.sh), whose
# "mutations:" summary README.md quotes (tests/tests/docs_figures.rs).
# Runs in 3-10 minutes on a two-CPU machine (3 with a warm build); not
# part of .ci/run (the tests it names are, in `cargo test --workspace`).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! git diff --quiet; then
    echo "mutations.sh: the tree has changes; commit or stash them first" >&2
    exit 2
fi
LOG=bench/mutations.txt
TMP=$(mktemp)
# The files the mutations below touch, restored on any exit (not the whole
# tree: the log this script writes is a tracked file).
mutated_files() {
    for m in "${MUTATIONS[@]}"; do
        IFS='@' read -r _ file _ <<<"${m//$'\n'/$'\x1f'}"
        echo "${file}"
    done | sort -u
}
trap 'git checkout -q -- $(mutated_files); rm -f "${TMP}"' EXIT

# name @ file @ exact text @ replacement @ crates to test (a word that
# starts with -- is passed to cargo test as it is, e.g. --lib)
# (`ours > theirs` -> `ours >= theirs` in a master's rule is no mutation
# to try: exact ties are decided by the tie-break before that line and an
# equal time with a less demoted peer by the clause after it.)
MUTATIONS=(
    "advert interval +1 ms@carp-core/src/time.rs@+ self.advskew as u64 * MICROS_PER_SEC / SKEW_UNITS_PER_SEC,
        )
    }

    /// Silence@+ self.advskew as u64 * MICROS_PER_SEC / SKEW_UNITS_PER_SEC + 1_000,
        )
    }

    /// Silence@carp-core carp-sim"
    "master-down interval +1 ms@carp-core/src/time.rs@ratio * self.advbase as u64 * MICROS_PER_SEC
                + self.advskew@ratio * self.advbase as u64 * MICROS_PER_SEC + 1_000
                + self.advskew@carp-core carp-sim"
    "election: a master yields to a worse peer@carp-core/src/vhost/election.rs@} else if (ours > theirs && peer_demote <= our_demote)@} else if (ours < theirs && peer_demote <= our_demote)@carp-core carp-sim"
    "election: a master keeps the role against a less demoted peer@carp-core/src/vhost/election.rs@&& peer_demote <= our_demote) || peer_demote < our_demote {@&& peer_demote <= our_demote) {@carp-core carp-sim"
    "election: a backup preempts an equal master@carp-core/src/vhost/election.rs@policy.preempt && ours < theirs@policy.preempt && ours <= theirs@carp-core carp-sim"
    "HMAC message: type before version@carp-core/src/auth/mod.rs@mac.update(&[VERSION, TYPE_ADVERTISEMENT]);@mac.update(&[TYPE_ADVERTISEMENT, VERSION]);@carp-core"
    "HMAC message: vhid left out@carp-core/src/auth/mod.rs@    mac.update(&[input.vhid]);@    let _ = input.vhid;@carp-core"
    "send-error threshold 3 -> 4@carp-core/src/vhost/mod.rs@pub const SENDAD_MAX_ERRORS: u8 = 3;@pub const SENDAD_MAX_ERRORS: u8 = 4;@carp-core carp-ifnet"
    "FDDI frame control 0x50 -> 0x51@carp-ifnet/src/frame/fddi.rs@pub const FC_LLC_ASYNC: u8 = 0x50;@pub const FC_LLC_ASYNC: u8 = 0x51;@carp-ifnet"
    "Token Ring access control 0x10 -> 0x00@carp-ifnet/src/frame/token_ring.rs@pub const AC_FRAME: u8 = 0x10;@pub const AC_FRAME: u8 = 0x00;@carp-ifnet"
    "Token Ring frame control 0x40 -> 0x41@carp-ifnet/src/frame/token_ring.rs@pub const FC_LLC: u8 = 0x40;@pub const FC_LLC: u8 = 0x41;@carp-ifnet"
    "input shortcut skips the IPv4 header checksum@carp-ifnet/src/frame/fast.rs@    if !carp_core::wire::verify_checksum(header.as_bytes()) {@    if false && !carp_core::wire::verify_checksum(header.as_bytes()) {@carp-ifnet"
    "checksum verify: fold drops the end-around carry@carp-core/src/wire/checksum.rs@    sum + u16::from(carry) == 0xffff@    sum == 0xffff@carp-core"
    "vhid index not rebuilt when a vhid is removed@carp-ifnet/src/carpif/mod.rs@        let mut slot = self.slots.remove(at);
        self.index_vhids();@        let mut slot = self.slots.remove(at);@carp-ifnet"
    "VRRPv3 early checks let a CARP vhid through@carp-ifnet/src/carpif/input_vrrp.rs@        if !host.config().is_vrrp() {@        if false && !host.config().is_vrrp() {@carp-ifnet"
    "a backup keeps its old unicast filter@carp-ifnet/src/carpif/slot.rs@            return !self.filters.is_empty();@            return false;@carp-ifnet"
    "input shortcut keeps the link padding@carp-ifnet/src/frame/fast.rs@packet.get(HEADER_LEN..usize::from(header.total_len.get()))?@packet.get(HEADER_LEN..)?@carp-ifnet"
    "HMAC lanes: counter bytes past a word's end dropped@carp-core/src/auth/lanes.rs@let spill = counter.checked_shr(64 - shift).unwrap_or(0);@let spill = 0u64;@carp-core"
    "HMAC lanes: outer block without its pad byte@carp-core/src/auth/lanes.rs@be(e, 0) | u64::from(PAD) << 32,@be(e, 0),@carp-core"
    "host policy read once and never again@carp-ifnet/src/carpif/policy_sync.rs@            Some((cached, policy)) if cached == key => policy,@            Some((_, policy)) => policy,@carp-ifnet"
    "host policy cache ignores which Sysctl it came from@carp-ifnet/src/carpif/policy_sync.rs@let key = (core::ptr::from_ref(sysctl).addr(), sysctl.generation());@let key = (0, sysctl.generation());@carp-ifnet"
    "a dropped CARP packet not counted as received in the parent's stats@carp-ifnet/src/carpif/input.rs@        self.stats.bump(received);
        self.stats.bump(why);@        self.stats.bump(why);@carp-ifnet"
    "an accepted CARP packet not counted in the host's stats@carp-ifnet/src/carpif/input.rs@                sysctl.count(&mut self.lane, &[received]);
                Ok(input)@                Ok(input)@carp-ifnet carp-ctl carp-sim"
    "statistics lanes: a count in a lane stores nothing@carp-sysctl/src/lanes.rs@                count.store(next, Ordering::Relaxed);@                let _ = next;@carp-sysctl carp-ifnet"
    "statistics lanes: a released lane's counts are dropped@carp-sysctl/src/lanes.rs@                            into.add(counter, wide(count.swap(0, Ordering::Relaxed)));@                            count.store(0, Ordering::Relaxed);@carp-sysctl carp-ifnet"
    "statistics lanes: a reset leaves what the lanes hold@carp-sysctl/src/tree.rs@        stats.lanes_at_reset = lanes;@        let _ = lanes;@carp-sysctl"
    "input: the early checks skip version, type and authlen@carp-ifnet/src/carpif/input.rs@        Advert::check_fields(&packet).map_err(Reject::from)?;@        let _ = Advert::check_fields(&packet);@carp-ifnet"
    "input: the sender's IPv4 address reaches the vhost byte-swapped@carp-ifnet/src/carpif/input.rs@        IpAddr::V4((bits as u32).into())@        IpAddr::V4((bits as u32).swap_bytes().into())@carp-ifnet"
    "dropped frames logged at info (log=1)@carp-ifnet/src/log_event.rs@pub const DROPPED_LEVEL: log::Level = log::Level::Debug;@pub const DROPPED_LEVEL: log::Level = log::Level::Info;@carp-ifnet"
    "state init forces a state (SIOCSVH ignores it)@carp-ctl/src/engine/plan.rs@    state.filter(|s| *s != State::Init)@    state.filter(|_| true)@carp-ctl carp-ffi"
    "a word's upper bound not enforced@carp-ctl/src/words/parser.rs@        Ok(v) if n >= min && n <= max => Ok(v),@        Ok(v) if n >= min => Ok(v),@carp-ctl"
    "net.inet.carp.log=2 shows no bad packets@carp-sysctl/src/knob.rs@            2 => LogLevel::BadPackets,@            2 => LogLevel::StateChanges,@carp-sysctl"
    "carpd's flood hold doubles only above 16 frames a read@shims/linux/src/packet.rs@            } else if read >= FLOOD_FRAMES {@            } else if read > FLOOD_FRAMES {@carpd --lib"
    "receive: the plan misses a fresh backup's hold-down start@carp-core/src/vhost/receive.rs@            None if self.state == State::Backup => Some(now),@            None if self.state == State::Init => Some(now),@carp-core"
    "receive: a forged advert is applied before its digest is refused@carp-core/src/vhost/receive.rs@        let verified = verified.map_err(|_| Reject::BadAuth)?;@        let Ok(verified) = verified else {
            let _ = self.apply(now, advert, origin, policy, plan);
            return Err(Reject::BadAuth);
        };@carp-core"
    "receive: NetBSD's own advert is taken@carp-core/src/vhost/receive.rs@        if origin.src.is_unspecified() && advert.counter == self.counter {@        if origin.src.is_unspecified() && advert.counter == self.counter.wrapping_add(1) {@carp-core carp-ifnet"
)

survived=0
{
    sh scripts/stamp.sh
    echo "# code: carp-core, carp-ifnet, carp-sim, carp-ctl, carp-sysctl and carpd as of $(git log -1 --format=%h -- carp-core carp-ifnet shims/sim carp-ctl carp-sysctl shims/linux)"
    for m in "${MUTATIONS[@]}"; do
        IFS='@' read -r name file from to crates <<<"${m//$'\n'/$'\x1f'}"
        from=${from//$'\x1f'/$'\n'}
        to=${to//$'\x1f'/$'\n'}
        FROM="${from}" TO="${to}" python3 - "${file}" <<'PY'
import os, sys
path = sys.argv[1]
text = open(path).read()
old, new = os.environ["FROM"], os.environ["TO"]
if text.count(old) != 1:
    sys.exit(f"mutations.sh: {path}: expected the text once, found {text.count(old)}: {old!r}")
open(path, "w").write(text.replace(old, new))
PY
        args=()
        for c in ${crates}; do
            case ${c} in
            --*) args+=("${c}") ;;
            *) args+=(-p "${c}") ;;
            esac
        done
        cargo test -q --no-fail-fast "${args[@]}" >"${TMP}" 2>&1 || true
        failed=$(awk '/^failures:$/{f=1;next} f&&/^    [a-z_:0-9]+$/{print $1} /^test result/{f=0}' "${TMP}" | sort -u)
        if [ -z "${failed}" ]; then
            echo "mutation survived: ${name} (${file}; tested ${crates})"
            survived=$((survived + 1))
        else
            echo "mutation killed: ${name} (${file}) by $(echo "${failed}" | wc -l) test(s): $(echo "${failed}" | head -4 | paste -sd, -)"
        fi
        git checkout -q -- "${file}"
    done
    echo "mutations: ${#MUTATIONS[@]} tried, $((${#MUTATIONS[@]} - survived)) killed, ${survived} survived"
} | tee "${LOG}"
[ "$(tail -1 "${LOG}")" = "mutations: ${#MUTATIONS[@]} tried, ${#MUTATIONS[@]} killed, 0 survived" ]
