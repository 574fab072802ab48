//! [`SysctlError`] and the small fixed-size copies of offending input it
//! carries ([`Snippet`], [`MibPath`]), so errors stay `Copy` and never borrow
//! the caller's buffer.

use core::fmt;

use crate::knob::Knob;

/// Why a get or set was refused. A refused set changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SysctlError {
    /// No node has that name.
    UnknownName(Snippet),
    /// No node has that MIB.
    UnknownMib(MibPath),
    /// The node cannot be written (`stats`).
    ReadOnly(Knob),
    /// The value is outside the node's range.
    OutOfRange {
        /// The node written.
        knob: Knob,
        /// Smallest value accepted.
        min: i64,
        /// Largest value accepted.
        max: i64,
        /// The value given (saturated to `i64` when it came from text).
        got: i64,
    },
    /// The value is not an integer (`net.inet.carp.preempt=yes`).
    WrongType {
        /// The node written.
        knob: Knob,
        /// The value given.
        got: Snippet,
    },
    /// A `set_line` line is not `[sysctl [-w]] name=value [# comment]`.
    Syntax {
        /// 1-based byte column where the problem starts.
        column: usize,
        /// What was expected there.
        expected: &'static str,
    },
}

impl fmt::Display for SysctlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SysctlError::UnknownName(name) => write!(f, "unknown oid '{name}'"),
            SysctlError::UnknownMib(mib) => write!(f, "unknown oid {mib}"),
            SysctlError::ReadOnly(knob) => write!(f, "oid '{knob}' is read only"),
            SysctlError::OutOfRange {
                knob,
                min,
                max,
                got,
            } => write!(f, "{knob}: {got} is out of range {min}..={max}"),
            SysctlError::WrongType { knob, got } => {
                write!(f, "{knob}: '{got}' is not an integer")
            }
            SysctlError::Syntax { column, expected } => {
                write!(f, "syntax error at column {column}: expected {expected}")
            }
        }
    }
}

impl core::error::Error for SysctlError {}

/// Longest text a [`Snippet`] keeps.
pub const SNIPPET_LEN: usize = 32;

/// A copy of up to [`SNIPPET_LEN`] bytes of offending text, cut at a
/// character boundary.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Snippet {
    buf: [u8; SNIPPET_LEN],
    len: u8,
    truncated: bool,
}

impl Snippet {
    /// Copies `text`, keeping at most [`SNIPPET_LEN`] bytes.
    pub fn new(text: &str) -> Snippet {
        let mut len = text.len().min(SNIPPET_LEN);
        while !text.is_char_boundary(len) {
            len -= 1;
        }
        let mut buf = [0u8; SNIPPET_LEN];
        for (dst, src) in buf.iter_mut().zip(text.bytes().take(len)) {
            *dst = src;
        }
        Snippet {
            buf,
            len: len as u8,
            truncated: len < text.len(),
        }
    }

    /// The text kept.
    pub fn as_str(&self) -> &str {
        self.buf
            .get(..usize::from(self.len))
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    /// Whether the original text was longer than what is kept.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }
}

impl fmt::Display for Snippet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())?;
        if self.truncated {
            f.write_str("...")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Snippet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())?;
        if self.truncated {
            f.write_str("...")?;
        }
        Ok(())
    }
}

/// Most MIB components a [`MibPath`] keeps.
pub const MIB_PATH_LEN: usize = 6;

/// A copy of up to [`MIB_PATH_LEN`] components of an offending MIB.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MibPath {
    parts: [i32; MIB_PATH_LEN],
    len: u8,
    truncated: bool,
}

impl MibPath {
    /// Copies `mib`, keeping at most [`MIB_PATH_LEN`] components.
    pub fn new(mib: &[i32]) -> MibPath {
        let mut parts = [0i32; MIB_PATH_LEN];
        let len = mib.len().min(MIB_PATH_LEN);
        for (dst, src) in parts.iter_mut().zip(mib) {
            *dst = *src;
        }
        MibPath {
            parts,
            len: len as u8,
            truncated: len < mib.len(),
        }
    }

    /// The components kept.
    pub fn as_slice(&self) -> &[i32] {
        self.parts.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// Whether the original MIB was longer than what is kept.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }
}

impl fmt::Display for MibPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, part) in self.as_slice().iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{part}")?;
        }
        if self.truncated {
            f.write_str("...")?;
        }
        f.write_str("}")
    }
}

impl fmt::Debug for MibPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_keeps_short_text_and_cuts_long_text_at_a_char_boundary() {
        let s = Snippet::new("net.inet.carp.nope");
        assert_eq!(s.as_str(), "net.inet.carp.nope");
        assert!(!s.is_truncated());

        // 31 ASCII bytes then a 2-byte char straddling byte 32.
        let long = "abcdefghijklmnopqrstuvwxyz01234é-tail";
        let s = Snippet::new(long);
        assert_eq!(s.as_str(), "abcdefghijklmnopqrstuvwxyz01234");
        assert!(s.is_truncated());
        assert_eq!(format!("{s}"), "abcdefghijklmnopqrstuvwxyz01234...");
        assert_eq!(Snippet::new("").as_str(), "");
    }

    #[test]
    fn mib_path_prints_like_a_dotted_oid() {
        assert_eq!(
            format!("{}", MibPath::new(&[4, 2, 112, 99])),
            "{4.2.112.99}"
        );
        assert_eq!(format!("{}", MibPath::new(&[])), "{}");
        let long = MibPath::new(&[1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(long.as_slice(), &[1, 2, 3, 4, 5, 6]);
        assert_eq!(format!("{long}"), "{1.2.3.4.5.6...}");
    }

    #[test]
    fn errors_say_what_was_wrong() {
        let e = SysctlError::OutOfRange {
            knob: Knob::Dscp,
            min: 0,
            max: 63,
            got: 64,
        };
        assert_eq!(
            format!("{e}"),
            "net.inet.carp.dscp: 64 is out of range 0..=63"
        );
        assert_eq!(
            format!("{}", SysctlError::ReadOnly(Knob::Stats)),
            "oid 'net.inet.carp.stats' is read only"
        );
        assert_eq!(
            format!(
                "{}",
                SysctlError::UnknownName(Snippet::new("net.inet.carp.x"))
            ),
            "unknown oid 'net.inet.carp.x'"
        );
    }
}
