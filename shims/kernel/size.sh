#!/usr/bin/env bash
# Builds the example kernel (release) and prints the size in bytes of its
# .text, .rodata, .data and .bss from the ELF section table (readelf or
# llvm-readelf), and of the image file QEMU loads.
#
#   shims/kernel/size.sh
set -euo pipefail
cd "$(dirname "$0")"
readelf=$(command -v readelf || command -v llvm-readelf || true)
if [ -z "$readelf" ]; then
    echo "size.sh: need readelf or llvm-readelf" >&2
    exit 1
fi
cargo build --quiet --release
elf=target/x86_64-unknown-none/release/carp-kernel
text=0 rodata=0 data=0 bss=0
while read -r name _type _addr _off size _rest; do
    size=$((16#$size))
    case $name in
        .text*) text=$((text + size)) ;;
        .rodata*) rodata=$((rodata + size)) ;;
        .data* | .got*) data=$((data + size)) ;;
        .bss*) bss=$((bss + size)) ;;
    esac
done < <("$readelf" -S -W "$elf" | sed -n 's/^ *\[ *[0-9]*\] //p' | grep '^\.')
printf '%-12s %8s %8s %8s %8s %8s\n' image .text .rodata .data .bss file
printf '%-12s %8d %8d %8d %8d %8d\n' carp-kernel "$text" "$rodata" "$data" "$bss" "$(stat -c %s "$elf")"
