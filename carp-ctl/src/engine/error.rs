//! A configuration file refused: where, and why.

use core::fmt;

use crate::CtlError;

/// A configuration file refused: the line (from 1) and why. The running
/// configuration is left as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileError {
    /// Line number, from 1; 0 when the file as a whole is refused (a
    /// capacity, or a check across lines).
    pub line: usize,
    /// Why.
    pub error: CtlError,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.error)
        } else {
            write!(f, "line {}: {}", self.line, self.error)
        }
    }
}

impl core::error::Error for FileError {}
