//! Parsing one line of `sysctl` input: the command an administrator types
//! (`sysctl -w net.inet.carp.preempt=1`, the older OpenBSD spelling;
//! `sysctl net.inet.carp.preempt=1`) and the line of `/etc/sysctl.conf`
//! (`net.inet.carp.preempt=1`).
//!
//! Accepted: `[sysctl [-w]] name = value [# comment]`, with any spaces or
//! tabs around the words and `=`; `name` full or short; `value` a decimal
//! integer with an optional sign. A blank or comment-only line is `None`.

use crate::error::{Snippet, SysctlError};
use crate::knob::Knob;

/// A parsed `name=value` line: which knob, and the value to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment {
    /// The node named.
    pub knob: Knob,
    /// The value, saturated to `i64` (range checks happen on write).
    pub value: i64,
}

/// Parses one line without applying it. `Ok(None)` for a blank or
/// comment-only line.
pub fn parse_line(line: &str) -> Result<Option<Assignment>, SysctlError> {
    let body = line.split_once('#').map_or(line, |(before, _)| before);
    let mut cur = Cursor { pos: 0 };
    cur.skip_space(body);
    if cur.rest(body).is_empty() {
        return Ok(None);
    }

    // Optional `sysctl` command word, then an optional `-w`.
    if let Some(after) = cur.rest(body).strip_prefix("sysctl") {
        if after.is_empty() || after.starts_with(is_space) {
            cur.pos += "sysctl".len();
            cur.skip_space(body);
            if cur.rest(body).starts_with('-') {
                let flag = cur.word(body);
                if flag != "-w" {
                    return Err(cur.syntax_at(cur.pos - flag.len(), "'-w' or a name"));
                }
                cur.skip_space(body);
            }
        }
    }

    // The name runs up to '=' or a space.
    let name_at = cur.pos;
    let name = cur.take_while(body, |c| c != '=' && !is_space(c));
    if name.is_empty() {
        return Err(cur.syntax_at(name_at, "a name"));
    }
    cur.skip_space(body);
    if !cur.rest(body).starts_with('=') {
        return Err(cur.syntax_at(cur.pos, "'='"));
    }
    cur.pos += 1;
    cur.skip_space(body);

    let value_at = cur.pos;
    let value = cur.word(body);
    if value.is_empty() {
        return Err(cur.syntax_at(value_at, "a value"));
    }
    cur.skip_space(body);
    if !cur.rest(body).is_empty() {
        return Err(cur.syntax_at(cur.pos, "end of line"));
    }

    let knob = Knob::from_name(name).ok_or(SysctlError::UnknownName(Snippet::new(name)))?;
    let value = parse_int(value).ok_or(SysctlError::WrongType {
        knob,
        got: Snippet::new(value),
    })?;
    Ok(Some(Assignment { knob, value }))
}

/// A decimal integer with an optional `+`/`-`, saturating at the `i64`
/// bounds so that an absurd value is reported as out of range, not as text.
fn parse_int(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, text.get(1..)?),
        Some(b'+') => (false, text.get(1..)?),
        _ => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    let mut value: i64 = 0;
    for c in digits.bytes() {
        let digit = i64::from(c.checked_sub(b'0').filter(|d| *d <= 9)?);
        value = value.saturating_mul(10);
        value = if negative {
            value.saturating_sub(digit)
        } else {
            value.saturating_add(digit)
        };
    }
    Some(value)
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

/// A byte position in the line; `body` is the line without its comment.
struct Cursor {
    pos: usize,
}

impl Cursor {
    fn rest<'b>(&self, body: &'b str) -> &'b str {
        body.get(self.pos..).unwrap_or("")
    }

    fn take_while<'b>(&mut self, body: &'b str, keep: impl Fn(char) -> bool) -> &'b str {
        let rest = self.rest(body);
        let len = rest.find(|c| !keep(c)).unwrap_or(rest.len());
        self.pos += len;
        rest.get(..len).unwrap_or("")
    }

    fn skip_space(&mut self, body: &str) {
        self.take_while(body, is_space);
    }

    fn word<'b>(&mut self, body: &'b str) -> &'b str {
        self.take_while(body, |c| !is_space(c))
    }

    fn syntax_at(&self, pos: usize, expected: &'static str) -> SysctlError {
        SysctlError::Syntax {
            column: pos + 1,
            expected,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> (Knob, i64) {
        let a = parse_line(line).unwrap().unwrap();
        (a.knob, a.value)
    }

    #[test]
    fn accepts_every_spelling_bsd_users_write() {
        for line in [
            "sysctl -w net.inet.carp.preempt=1",
            "sysctl net.inet.carp.preempt=1",
            "net.inet.carp.preempt=1",
            "  net.inet.carp.preempt = 1  ",
            "\tsysctl\t-w\tnet.inet.carp.preempt=1\t# failover",
            "preempt=1",
            "net.inet.carp.preempt=+1",
            "net.inet.carp.preempt=1\r\n",
        ] {
            assert_eq!(ok(line), (Knob::Preempt, 1), "{line:?}");
        }
        assert_eq!(ok("net.inet.carp.demotion=-20"), (Knob::Demotion, -20));
    }

    #[test]
    fn blank_and_comment_lines_are_none() {
        for line in ["", "   ", "# sysctl, both spellings", "  # x=1", "\t\n"] {
            assert_eq!(parse_line(line), Ok(None), "{line:?}");
        }
    }

    #[test]
    fn syntax_errors_point_at_the_column() {
        assert_eq!(
            parse_line("net.inet.carp.preempt"),
            Err(SysctlError::Syntax {
                column: 22,
                expected: "'='"
            })
        );
        assert_eq!(
            parse_line("sysctl -n net.inet.carp.preempt=1"),
            Err(SysctlError::Syntax {
                column: 8,
                expected: "'-w' or a name"
            })
        );
        assert_eq!(
            parse_line("sysctl -w"),
            Err(SysctlError::Syntax {
                column: 10,
                expected: "a name"
            })
        );
        assert_eq!(
            parse_line("=1"),
            Err(SysctlError::Syntax {
                column: 1,
                expected: "a name"
            })
        );
        assert_eq!(
            parse_line("net.inet.carp.preempt= # nothing"),
            Err(SysctlError::Syntax {
                column: 24,
                expected: "a value"
            })
        );
        assert_eq!(
            parse_line("net.inet.carp.preempt=1 net.inet.carp.allow=1"),
            Err(SysctlError::Syntax {
                column: 25,
                expected: "end of line"
            })
        );
    }

    #[test]
    fn non_integer_values_are_wrong_type_and_huge_ones_saturate() {
        assert_eq!(
            parse_line("net.inet.carp.preempt=yes"),
            Err(SysctlError::WrongType {
                knob: Knob::Preempt,
                got: Snippet::new("yes")
            })
        );
        for bad in ["-", "+", "1x", "0x10", "1.5", "--1"] {
            let line = format!("net.inet.carp.dscp={bad}");
            assert!(
                matches!(parse_line(&line), Err(SysctlError::WrongType { .. })),
                "{line}"
            );
        }
        assert_eq!(ok("dscp=99999999999999999999999"), (Knob::Dscp, i64::MAX));
        assert_eq!(
            ok("demotion=-99999999999999999999999"),
            (Knob::Demotion, i64::MIN)
        );
    }

    #[test]
    fn unknown_names_are_reported_with_the_name() {
        assert_eq!(
            parse_line("sysctl -w net.inet.carp.dead_ratio=3"),
            Err(SysctlError::UnknownName(Snippet::new(
                "net.inet.carp.dead_ratio"
            )))
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        for line in [
            "sysctl",
            "sysctlx=1",
            "é=é",
            "sysctl -w é",
            "\u{a0}=1",
            "a==1",
        ] {
            let _ = parse_line(line);
        }
        assert_eq!(
            parse_line("sysctlx=1"),
            Err(SysctlError::UnknownName(Snippet::new("sysctlx")))
        );
    }
}
