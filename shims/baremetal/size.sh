#!/usr/bin/env bash
# Builds the bare-metal example for both targets (release) and prints the
# size in bytes of its .text, .rodata, .data and .bss, summed over the
# output sections of each name (.text.*, ...), from the ELF section table,
# then holds each to its budget in budgets.txt. Fails when a build fails,
# readelf is missing or fails, the image has no .text, or a budget is
# exceeded. Uses readelf (binutils) or llvm-readelf, either reads any ELF.
#
#   shims/baremetal/size.sh            # table on stdout
#   SIZE_LOG=bench/baremetal-sizes.txt shims/baremetal/size.sh
#                                      # also stamped (scripts/stamp.sh) there,
#                                      # where README and BENCHMARKS take it from
# Honors CARGO_TARGET_DIR (default: shims/baremetal/target).
set -euo pipefail
cd "$(dirname "$0")"
log=""
if [ -n "${SIZE_LOG:-}" ]; then
    case $SIZE_LOG in /*) log=$SIZE_LOG ;; *) log=../../$SIZE_LOG ;; esac
    sh ../../scripts/stamp.sh >"$log"
fi
row() { printf '%-24s %8s %8s %8s %8s\n' "$@" | tee -a "${log:-/dev/null}"; }
targets=(x86_64-unknown-none thumbv7em-none-eabihf)
readelf=$(command -v readelf || command -v llvm-readelf || true)
if [ -z "$readelf" ]; then
    echo "size.sh: need readelf or llvm-readelf" >&2
    exit 1
fi
target_dir=${CARGO_TARGET_DIR:-target}
over=()
row target .text .rodata .data .bss
for t in "${targets[@]}"; do
    cargo build --quiet --release --target "$t"
    elf="$target_dir/$t/release/carp-baremetal"
    # Section lines look like "  [ 1] .text  PROGBITS  addr off size ...";
    # drop the "[ n]" so the name is the first field and the size the fifth.
    # Captured first, so a failing readelf fails the script.
    table=$("$readelf" -S -W "$elf")
    text=0 rodata=0 data=0 bss=0
    while read -r name _type _addr _off size _rest; do
        size=$((16#$size))
        case $name in
            .text*) text=$((text + size)) ;;
            .rodata*) rodata=$((rodata + size)) ;;
            .data*) data=$((data + size)) ;;
            .bss*) bss=$((bss + size)) ;;
        esac
    done < <(sed -n 's/^ *\[ *[0-9]*\] //p' <<<"$table" | grep '^\.' || true)
    row "$t" "$text" "$rodata" "$data" "$bss"
    if [ "$text" -eq 0 ]; then
        echo "size.sh: $elf has no .text: readelf output not understood" >&2
        exit 1
    fi
    budget=$(awk -v t="$t" '$1 == t { print $2, $3, $4, $5 }' budgets.txt)
    if [ -z "$budget" ]; then
        echo "size.sh: no budget for $t in budgets.txt" >&2
        exit 1
    fi
    read -r b_text b_rodata b_data b_bss <<<"$budget"
    for pair in ".text:$text:$b_text" ".rodata:$rodata:$b_rodata" ".data:$data:$b_data" ".bss:$bss:$b_bss"; do
        IFS=: read -r section size limit <<<"$pair"
        if [ "$size" -gt "$limit" ]; then
            over+=("$t $section $size > $limit")
        fi
    done
done
if [ "${#over[@]}" -ne 0 ]; then
    printf 'size.sh: over budget (budgets.txt): %s\n' "${over[@]}" >&2
    exit 1
fi
echo "size.sh: every section within budgets.txt"
