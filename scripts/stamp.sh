#!/bin/sh
# Prints the stamp every figures log in bench/ starts with: when and on
# what it was measured, as one comment line:
#   # 2026-11-29T21:10:00Z, 2 CPUs, Intel(R) Xeon(R) Processor (sha_ni),
#     Linux 6.1.0, rustc 1.95.0 (...), load 0.42 0.31 0.20
# (one line). Figures measured while the machine was busy (load above its
# CPU count) are provisional: the load average is part of the stamp.
set -eu
cpus=$(nproc)
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
sha=""
grep -qw sha_ni /proc/cpuinfo && sha=" (sha_ni)"
rustc=$(rustc --version 2>/dev/null || echo "rustc ?")
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), ${cpus} CPUs, ${model}${sha}, $(uname -s) $(uname -r), ${rustc}, load ${load}"
