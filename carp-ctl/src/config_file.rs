//! Whole configuration lines as users write them, one at a time:
//!
//! * shell: `ifconfig carp0 create`, `ifconfig carp0 vhid 1 pass x 10.0.0.1`;
//! * OpenBSD `/etc/hostname.carpN`: `inet 10.0.0.1 255.255.255.0 10.0.0.255
//!   vhid 1 pass foo` (the interface is the file's, so the line names none);
//! * FreeBSD `/etc/rc.conf`: `cloned_interfaces="carp1 carp2"`,
//!   `ifconfig_carp1="vhid 1 advskew 50 pass x 99.88.77.66"` and, FreeBSD
//!   10 on, vhids on the parent: `ifconfig_em0_alias0="inet vhid 1 pass foo
//!   alias 10.0.0.1/32"` (rc.d adds `alias` to every `_aliasN` line, so we
//!   do too);
//! * `#` comments and blank lines.
//!
//! Lines that are not ours (`sysctl -w net.inet.carp.preempt=1`,
//! `net.inet.carp.allow=1`, other rc.conf variables, `!command` lines) are
//! handed back untouched as [`ConfigLine::NotMine`]. A `#` outside quotes
//! starts a comment, so a passphrase cannot hold one.

use super::ifname::IfName;
use super::words::{parse_hostname_if, parse_word_iter, AliasOp, IfconfigRequest, Lifecycle};
use super::CtlError;

/// Names one `cloned_interfaces` line holds.
pub const MAX_CLONED: usize = 16;

/// What one configuration line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigLine<'a> {
    /// Blank or comment only.
    Blank,
    /// `ifconfig IF create` and nothing else.
    Create {
        /// The interface.
        ifname: IfName,
    },
    /// `ifconfig IF destroy` and nothing else.
    Destroy {
        /// The interface.
        ifname: IfName,
    },
    /// Words for an interface: `ifconfig IF ...`, `ifconfig_IF="..."`, or
    /// a `hostname.if` line (`ifname` is `None`: the file names it).
    Configure {
        /// The interface, when the line names it. For FreeBSD
        /// `ifconfig_em0_alias0` it is the parent `em0`.
        ifname: Option<IfName>,
        /// The words.
        request: IfconfigRequest,
    },
    /// FreeBSD `cloned_interfaces="carp1 carp2"`.
    Cloned {
        /// The interfaces to create, in order.
        names: heapless::Vec<IfName, MAX_CLONED>,
    },
    /// Not a line for the interface parser (sysctl, other rc.conf
    /// variables, `!` commands): the line as given, for someone else.
    NotMine {
        /// The line.
        line: &'a str,
    },
}

/// Parses one configuration line.
///
/// Word indexes in errors count the words of the line from 0 (for rc.conf
/// lines, the words inside the quotes; the variable name is word 0 for a
/// bad interface name there).
///
/// # Errors
/// [`CtlError::UnterminatedQuote`], [`CtlError::BadIfName`],
/// [`CtlError::MissingValue`] for `ifconfig` with no interface, or the
/// error of the words (see [`super::parse_words`]).
pub fn parse_line(line: &str) -> Result<ConfigLine<'_>, CtlError> {
    let text = strip_comment(line).trim();
    let Some(first) = text.split_ascii_whitespace().next() else {
        return Ok(ConfigLine::Blank);
    };
    if first == "ifconfig" {
        return ifconfig_command(text);
    }
    if first == "sysctl" || first.starts_with('!') {
        return Ok(ConfigLine::NotMine { line });
    }
    if let Some((name, value)) = text.split_once('=') {
        if is_variable_name(name) {
            return rc_conf(name, value, line);
        }
        // `net.inet.carp.preempt=1`: sysctl.conf.
        if !name.contains(char::is_whitespace) {
            return Ok(ConfigLine::NotMine { line });
        }
    }
    Ok(ConfigLine::Configure {
        ifname: None,
        request: parse_hostname_if(text)?,
    })
}

fn ifconfig_command(text: &str) -> Result<ConfigLine<'_>, CtlError> {
    let mut words = text.split_ascii_whitespace().skip(1);
    let name = words.next().ok_or(CtlError::MissingValue {
        word: "ifconfig",
        index: 0,
    })?;
    let ifname = IfName::new(name).ok_or_else(|| CtlError::bad_ifname(1, name))?;
    let request = parse_word_iter(words).map_err(|e| e.shifted(2))?;
    Ok(classify(ifname, request))
}

fn classify(ifname: IfName, request: IfconfigRequest) -> ConfigLine<'static> {
    if request.is_only(Lifecycle::Create) {
        ConfigLine::Create { ifname }
    } else if request.is_only(Lifecycle::Destroy) {
        ConfigLine::Destroy { ifname }
    } else {
        ConfigLine::Configure {
            ifname: Some(ifname),
            request,
        }
    }
}

fn rc_conf<'a>(name: &str, value: &str, line: &'a str) -> Result<ConfigLine<'a>, CtlError> {
    let value = unquote(value.trim())?;
    if name == "cloned_interfaces" {
        let mut names = heapless::Vec::new();
        for (index, word) in value.split_ascii_whitespace().enumerate() {
            let ifname = IfName::new(word).ok_or_else(|| CtlError::bad_ifname(index, word))?;
            names
                .push(ifname)
                .map_err(|_| CtlError::TooManyNames { max: MAX_CLONED })?;
        }
        return Ok(ConfigLine::Cloned { names });
    }
    let Some(suffix) = name.strip_prefix("ifconfig_") else {
        return Ok(ConfigLine::NotMine { line });
    };
    let (ifname, alias_line) = rc_interface(suffix);
    let ifname = IfName::new(ifname).ok_or_else(|| CtlError::bad_ifname(0, ifname))?;
    let mut request = parse_word_iter(value.split_ascii_whitespace())?;
    if alias_line && request.alias.is_none() {
        request.alias = Some(AliasOp::Add);
    }
    Ok(classify(ifname, request))
}

/// The interface of an `ifconfig_<if>[_aliasN|_aliases|_ipv6]` variable,
/// and whether it is an alias line.
fn rc_interface(suffix: &str) -> (&str, bool) {
    if let Some(base) = suffix.strip_suffix("_aliases") {
        return (base, true);
    }
    if let Some((base, n)) = suffix.rsplit_once("_alias") {
        if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
            return (base, true);
        }
    }
    (suffix.strip_suffix("_ipv6").unwrap_or(suffix), false)
}

fn is_variable_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn unquote(value: &str) -> Result<&str, CtlError> {
    for quote in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(quote) {
            return inner.strip_suffix(quote).ok_or(CtlError::UnterminatedQuote);
        }
    }
    Ok(value)
}

/// The line up to a `#` that is outside quotes.
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '#') => return line.get(..i).unwrap_or(""),
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
    }
    line
}
