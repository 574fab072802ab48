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
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IfName(heapless::String<IFNAMSIZ>);

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
        let mut s = heapless::String::new();
        s.push_str(name).ok()?;
        Some(IfName(s))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name NUL-padded to [`IFNAMSIZ`] bytes, as in `struct ifreq`.
    pub fn to_padded(&self) -> [u8; IFNAMSIZ] {
        let mut out = [0u8; IFNAMSIZ];
        for (dst, src) in out.iter_mut().zip(self.0.bytes()) {
            *dst = src;
        }
        out
    }
}

impl Deref for IfName {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
