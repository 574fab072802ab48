#!/usr/bin/env python3
"""A second, independent CARP HMAC: written from the BSD sources, not from
carp-core, to cross-check its digests (tests/tests/hmac_cross_check.rs).

The message follows OpenBSD `carp_hmac_prepare_ctx` / `carp_hmac_generate`
and FreeBSD `carp_hmac_prepare` / `carp_hmac_generate`:

  1. version byte (2), 2. type byte (1, advertisement),
  3. OpenBSD only: the carp interface's MAC when it is neither the vhid's
     default virtual MAC nor the parent's MAC (`sc_realmac`) (the `lladdr`
     term, hashed before the vhid),
  4. the vhid byte,
  5. each IPv4 address once, ascending as host-order numbers (the kernels'
     "smallest above the last one" loop),
  6. each IPv6 address once, ascending bytewise, with the KAME-embedded
     scope id (bytes 2-3 of a link-local address) cleared; OpenBSD's
     HMAC_NOV6LL context, the one it sends with, leaves link-local
     (scope-embedded) addresses out, its HMAC_ORIG context and FreeBSD keep
     them,
  7. the 8 counter bytes as in the header (two 32-bit words, network order),

keyed with the passphrase zero-padded to CARP_KEY_LEN (20), as RFC 2104
HMAC-SHA1 (Python's hmac and hashlib).

Input, one case per line on stdin (fields separated by spaces, `-` for
none):
  NAME PASSPHRASE_HEX VHID LLADDR_HEX PARENT_HEX IPV4S IPV6S FORM COUNTER
where IPV4S and IPV6S are comma-separated, FORM is one of
  openbsd-sent   (OpenBSD HMAC_NOV6LL: lladdr term, no link-local)
  openbsd-orig   (OpenBSD HMAC_ORIG: lladdr term, link-local kept)
  freebsd        (FreeBSD/NetBSD: no lladdr term, every address)
and COUNTER is decimal. LLADDR_HEX is the carp interface's MAC, PARENT_HEX
the parent's; it is hashed (OpenBSD forms only) when it differs from both
00:00:5e:00:01:VHID and the parent's.
Output: `NAME DIGEST_HEX` per case.
"""

import hashlib
import hmac
import ipaddress
import struct
import sys

CARP_VERSION = 2
CARP_ADVERTISEMENT = 1
CARP_KEY_LEN = 20


def ascending_once(keys):
    """The kernels' loop: repeatedly take the smallest key above the last."""
    out = []
    last = None
    while True:
        above = [k for k in keys if last is None or k > last]
        if not above:
            return out
        last = min(above)
        out.append(last)


def scope_embedded(addr):
    """IN6_IS_SCOPE_EMBED: link-local unicast, or link- or interface-local
    multicast."""
    a = ipaddress.IPv6Address(addr)
    b = a.packed
    return a.is_link_local or (b[0] == 0xFF and (b[1] & 0x0F) in (0x01, 0x02))


def message(vhid, lladdr, parent, ipv4s, ipv6s, form):
    msg = bytes([CARP_VERSION, CARP_ADVERTISEMENT])
    default_mac = bytes([0x00, 0x00, 0x5E, 0x00, 0x01, vhid])
    if (
        form.startswith("openbsd")
        and lladdr is not None
        and lladdr != default_mac
        and lladdr != parent
    ):
        msg += lladdr
    msg += bytes([vhid])
    v4 = [int(ipaddress.IPv4Address(a)) for a in ipv4s]
    for n in ascending_once(v4):
        msg += struct.pack(">I", n)
    v6 = []
    for a in ipv6s:
        packed = bytearray(ipaddress.IPv6Address(a).packed)
        if scope_embedded(a):
            if form == "openbsd-sent":
                continue
            packed[2:4] = b"\x00\x00"
        v6.append(bytes(packed))
    for b in ascending_once(v6):
        msg += b
    return msg


def digest(passphrase, vhid, lladdr, parent, ipv4s, ipv6s, form, counter):
    key = passphrase.ljust(CARP_KEY_LEN, b"\x00")
    msg = message(vhid, lladdr, parent, ipv4s, ipv6s, form)
    msg += struct.pack(">II", counter >> 32, counter & 0xFFFFFFFF)
    return hmac.new(key, msg, hashlib.sha1).hexdigest()


def listed(field):
    return [] if field == "-" else field.split(",")


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        name, key_hex, vhid, lladdr, parent, v4, v6, form, counter = line.split()
        if form not in ("openbsd-sent", "openbsd-orig", "freebsd"):
            sys.exit("unknown form " + form)
        key = b"" if key_hex == "-" else bytes.fromhex(key_hex)
        mac = None if lladdr == "-" else bytes.fromhex(lladdr)
        parent_mac = None if parent == "-" else bytes.fromhex(parent)
        d = digest(
            key, int(vhid), mac, parent_mac, listed(v4), listed(v6), form, int(counter)
        )
        print(name, d)


if __name__ == "__main__":
    main()
