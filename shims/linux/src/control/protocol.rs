//! What carpctl and carpd say to each other over the control socket: one
//! request as one line of JSON, one response as one line of JSON, then
//! the connection closes.
//!
//! ```text
//! > {"op":"ifconfig","target":"carp0","words":"advskew 200"}
//! < {"ok":true}
//! > {"op":"ifconfig","target":"carp0","words":"advskew 300"}
//! < {"ok":false,"error":"advskew (word 1) 300: out of range 0..254"}
//! ```
//!
//! A refused request (`"ok":false`) changed nothing: every write goes
//! through [`carp_ctl::Engine`], which validates the whole request before
//! it applies any of it.

use serde::{Deserialize, Serialize};

/// The longest request line carpd reads, in bytes (a configuration file
/// is not sent over the socket: `reload` re-reads it).
pub const MAX_REQUEST: usize = 64 * 1024;

/// One request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Request {
    /// `ifconfig` status of one interface (a carp interface or a parent),
    /// or of all, with the host's demote count.
    Status {
        /// The interface, or every one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<String>,
    },
    /// `ifconfig TARGET WORDS`, all or nothing.
    Ifconfig {
        /// A carp interface (`carp0`) or a parent (`eth0`).
        target: String,
        /// The words (`advskew 200`, `vhid 1 state master`).
        words: String,
    },
    /// Force a vhid's state: `ifconfig TARGET [vhid N] state backup|master`.
    State {
        /// A carp interface or a parent.
        target: String,
        /// The vhid, needed when `target` is a parent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        vhid: Option<u8>,
        /// `backup` or `master` (any case).
        state: String,
    },
    /// Change the administrator's demotion: `+N` adds, `-N` subtracts, `N`
    /// sets.
    Demote {
        /// `+N`, `-N` or `N`.
        value: String,
        /// Why, for the log and the `demotion` event.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Read every knob, read one (`name`), or write one (`name=value`).
    Sysctl {
        /// `net.inet.carp.preempt`, `preempt`, `preempt=1`, or nothing.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        line: Option<String>,
    },
    /// The counters and the vhids' states.
    Stats {},
    /// Re-read the configuration file (as SIGHUP), all or nothing.
    Reload {},
}

/// One response.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Response {
    /// True when the request was carried out.
    pub ok: bool,
    /// Why it was refused (nothing changed then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Text to print (status, netstat counters, sysctl lines, a reload's
    /// summary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The same as data, for `--json` and `--prometheus`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
}

impl Response {
    /// Done, with nothing to say.
    pub fn done() -> Response {
        Response {
            ok: true,
            ..Response::default()
        }
    }

    /// Done, with text to print.
    pub fn text(text: String) -> Response {
        Response {
            ok: true,
            text: Some(text),
            ..Response::default()
        }
    }

    /// Refused: nothing changed, and why.
    pub fn refused(why: impl std::fmt::Display) -> Response {
        Response {
            ok: false,
            error: Some(why.to_string()),
            ..Response::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_one_json_object_tagged_by_op() {
        let r = Request::Ifconfig {
            target: "carp0".into(),
            words: "advskew 200".into(),
        };
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(
            text,
            r#"{"op":"ifconfig","target":"carp0","words":"advskew 200"}"#
        );
        assert_eq!(serde_json::from_str::<Request>(&text).unwrap(), r);
        assert_eq!(
            serde_json::from_str::<Request>(r#"{"op":"stats"}"#).unwrap(),
            Request::Stats {}
        );
    }

    #[test]
    fn unknown_ops_and_fields_are_refused() {
        assert!(serde_json::from_str::<Request>(r#"{"op":"format-disk"}"#).is_err());
        assert!(serde_json::from_str::<Request>(r#"{"op":"reload","force":true}"#).is_err());
    }

    #[test]
    fn a_refusal_says_why() {
        let text = serde_json::to_string(&Response::refused("advskew 300: out of range")).unwrap();
        assert_eq!(text, r#"{"ok":false,"error":"advskew 300: out of range"}"#);
    }
}
