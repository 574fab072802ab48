//! [`IfName`]: an interface name as the BSDs bound it (`IFNAMSIZ`).

use core::fmt;
use core::ops::Deref;

/// `IFNAMSIZ`: bytes of an interface name including its NUL.
pub const IFNAMSIZ: usize = 16;

/// Longest interface name: `IFNAMSIZ` less the NUL.
pub const MAX_IFNAME_LEN: usize = IFNAMSIZ - 1;

/// An interface name (`carp0`, `em0`, `vlan10`, `em0.100`), a fixed-size
/// copy of at most [`MAX_IFNAME_LEN`] bytes of ASCII letters, digits, `.`,
/// `_` and `-`.
///
/// It is `Copy` (a NUL-padded `[u8; IFNAMSIZ]`), so errors can carry it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IfName {
    /// The name, NUL-padded; every byte before the padding is ASCII.
    bytes: [u8; IFNAMSIZ],
}

impl IfName {
    /// Checks and copies a name; `None` if it is not one.
    pub fn new(name: &str) -> Option<IfName> {
        let ok = !name.is_empty()
            && name.len() <= MAX_IFNAME_LEN
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !ok {
            return None;
        }
        let mut bytes = [0u8; IFNAMSIZ];
        for (dst, src) in bytes.iter_mut().zip(name.bytes()) {
            *dst = src;
        }
        Some(IfName { bytes })
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        let len = self.bytes.iter().position(|&b| b == 0).unwrap_or(IFNAMSIZ);
        // Only ASCII is ever stored, so both lookups succeed.
        self.bytes
            .get(..len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    /// The name NUL-padded to [`IFNAMSIZ`] bytes, as in `struct ifreq`.
    pub const fn to_padded(&self) -> [u8; IFNAMSIZ] {
        self.bytes
    }
}

impl Deref for IfName {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IfName").field(&self.as_str()).finish()
    }
}

impl fmt::Display for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
