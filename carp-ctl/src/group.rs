//! Interface groups of carp interfaces, as OpenBSD has them (ifconfig(8)
//! `group`, `-group`, `ifconfig -g GROUP [-]carpdemote [N]`).
//!
//! Every carp interface is in the group `carp`; `ifconfig carp0 group fw`
//! puts it in `fw` too. Each group has a demote counter (OpenBSD's
//! `ifg_carp_demoted`), and a carp interface advertises the sum of the
//! counters of its groups (`carp_group_demote_count` in OpenBSD's
//! `ip_carp.c`), so the members of a group fail over together when the
//! group is demoted: a firewall demotes the group holding its inside and
//! outside vhids and both move. Here the counter of `carp` is the host's
//! demotion (`net.inet.carp.demotion` and the link and send-error
//! demotions, FreeBSD's host-wide count), which every vhid carries, and
//! each named group adds its own.

use core::fmt;

use crate::ifname::IfName;

/// Named groups (besides `carp`) an engine holds at once.
pub const MAX_GROUPS: usize = 16;

/// The group every carp interface is in.
pub const CARP_GROUP: &str = "carp";

/// Groups one ifconfig command can add or remove.
pub const MAX_GROUP_WORDS: usize = 4;

/// The largest `carpdemote` step ifconfig takes (OpenBSD ifconfig's
/// `setgroupattribs`: `strtonum(argv[1], 0, 128)`).
pub const MAX_CARPDEMOTE_STEP: u8 = 128;

/// A group name: an interface name (at most 15 letters, digits, `.`,
/// `_`, `-`) that does not end in a digit, as OpenBSD's `if_addgroup`
/// requires (a name ending in a digit would read as an interface).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupName(IfName);

impl GroupName {
    /// Checks and copies a group name; `None` if it is not one.
    pub fn new(name: &str) -> Option<GroupName> {
        if name.ends_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        IfName::new(name).map(GroupName)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// True for `carp`, the group every carp interface is in.
    pub fn is_carp(&self) -> bool {
        self.as_str() == CARP_GROUP
    }
}

impl fmt::Debug for GroupName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("GroupName").field(&self.as_str()).finish()
    }
}

impl fmt::Display for GroupName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `group NAME` (join) or `-group NAME` (leave).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupOp {
    /// `group NAME`.
    Join(GroupName),
    /// `-group NAME`.
    Leave(GroupName),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_are_interface_names_not_ending_in_a_digit() {
        assert_eq!(GroupName::new("fw").unwrap().as_str(), "fw");
        assert!(GroupName::new("fw-pair_a.b").is_some());
        assert!(GroupName::new("fw1").is_none());
        assert!(GroupName::new("").is_none());
        assert!(GroupName::new("a b").is_none());
        assert!(GroupName::new("sixteen-letters-").is_none());
        assert!(GroupName::new("carp").unwrap().is_carp());
    }

    #[test]
    fn group_words_parse_in_order_and_refuse_repeats() {
        use crate::{parse_words, CtlError};
        let g = |n: &str| GroupName::new(n).unwrap();
        let req = parse_words("vhid 1 group fw -group lan").unwrap();
        assert_eq!(
            req.groups.as_slice(),
            [GroupOp::Join(g("fw")), GroupOp::Leave(g("lan"))]
        );
        assert_eq!(req.unexpressed(), Some("group"));
        assert_eq!(
            parse_words("group fw group fw"),
            Err(CtlError::Repeated {
                word: "group",
                index: 2
            })
        );
        assert_eq!(
            parse_words("group"),
            Err(CtlError::MissingValue {
                word: "group",
                index: 0
            })
        );
        assert_eq!(
            parse_words("group a group b group c group d group e"),
            Err(CtlError::TooManyGroups {
                max: MAX_GROUP_WORDS
            })
        );
    }
}
