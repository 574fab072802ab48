#!/usr/bin/env bash
# Builds the bare-metal example for both targets (release) and prints the
# size in bytes of its .text, .rodata, .data and .bss, summed over the
# output sections of each name (.text.*, ...), from the ELF section table.
# Uses readelf (binutils) or llvm-readelf, either of which reads any ELF.
#
#   shims/baremetal/size.sh            # table on stdout
# Honors CARGO_TARGET_DIR (default: shims/baremetal/target).
set -euo pipefail
cd "$(dirname "$0")"
targets=(x86_64-unknown-none thumbv7em-none-eabihf)
readelf=$(command -v readelf || command -v llvm-readelf || true)
if [ -z "$readelf" ]; then
    echo "size.sh: need readelf or llvm-readelf" >&2
    exit 1
fi
target_dir=${CARGO_TARGET_DIR:-target}
printf '%-24s %8s %8s %8s %8s\n' target .text .rodata .data .bss
for t in "${targets[@]}"; do
    cargo build --quiet --release --target "$t"
    elf="$target_dir/$t/release/carp-baremetal"
    # Section lines look like "  [ 1] .text  PROGBITS  addr off size ...";
    # drop the "[ n]" so the name is the first field and the size the fifth.
    text=0 rodata=0 data=0 bss=0
    while read -r name _type _addr _off size _rest; do
        size=$((16#$size))
        case $name in
            .text*) text=$((text + size)) ;;
            .rodata*) rodata=$((rodata + size)) ;;
            .data*) data=$((data + size)) ;;
            .bss*) bss=$((bss + size)) ;;
        esac
    done < <("$readelf" -S -W "$elf" | sed -n 's/^ *\[ *[0-9]*\] //p' | grep '^\.')
    printf '%-24s %8d %8d %8d %8d\n' "$t" "$text" "$rodata" "$data" "$bss"
done
