#!/usr/bin/env bash
# Builds the Debian package of carpd with cargo-deb and checks it: the
# files it installs, the man pages render, and its systemd unit passes
# `systemd-analyze verify` (with the package's own binaries and pages).
# Installs cargo-deb when it is missing. Prints the .deb's path last.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! cargo deb --version >/dev/null 2>&1; then
    echo "installing cargo-deb"
    cargo install --locked cargo-deb
fi
cargo deb --version

out="$(cargo deb -p carpd --quiet 2>/dev/null | tail -n 1)"
deb="${out:-$(ls -t target/debian/carpd_*.deb | head -n 1)}"
echo "built ${deb}"

tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
dpkg-deb -x "${deb}" "${tmp}/root"
dpkg-deb -I "${deb}" | sed -n '/Package:/,/Description:/p'

unit="$(find "${tmp}/root" -name carpd.service | head -n 1)"
for f in usr/sbin/carpd usr/sbin/carpctl etc/carpd.conf etc/default/carpd \
         usr/share/man/man8/carpd.8.gz usr/share/man/man8/carpctl.8.gz \
         usr/share/man/man5/carpd.conf.5.gz; do
    # cargo-deb may or may not compress the pages: accept both.
    if [ ! -e "${tmp}/root/${f}" ] && [ ! -e "${tmp}/root/${f%.gz}" ]; then
        echo "missing from the package: ${f}" >&2
        exit 1
    fi
done
if [ -z "${unit}" ]; then
    echo "missing from the package: carpd.service" >&2
    exit 1
fi
echo "unit: ${unit#"${tmp}/root"}"
"${tmp}/root/usr/sbin/carpd" --version
"${tmp}/root/usr/sbin/carpctl" --version

for page in "${tmp}"/root/usr/share/man/man*/*; do
    MANWIDTH=80 man -l "${page}" >/dev/null
done

# The unit as shipped, its binaries pointed at the extracted package and
# its Documentation= pages looked up there.
sed "s#/usr/sbin/#${tmp}/root/usr/sbin/#g" "${unit}" >"${tmp}/carpd.service"
MANPATH="${tmp}/root/usr/share/man" systemd-analyze verify "${tmp}/carpd.service"
echo "systemd-analyze verify: ok"
echo "${deb}"
