//! Declarative configuration files: applying a whole file to a running
//! host gives the state applying it to a fresh host would, touching only
//! what changed.
//!
//! A file holds any mix of the lines [`crate::parse_line`] knows (shell
//! `ifconfig carp0 ...`, OpenBSD `hostname.if`, FreeBSD `rc.conf`, bare
//! ifconfig words) and sysctl lines (`net.inet.carp.preempt=1`). The file
//! owns what it configures ("managed"): what the previous file configured
//! and this one does not is destroyed; a knob the previous file set and
//! this one does not returns to its default; FreeBSD's add-on-write
//! `net.inet.carp.demotion` counts once per file (the difference from the
//! previous file's sum is applied), not once per reload. What was
//! configured interactively and the file does not mention stays; what the
//! file mentions is the file's, from a fresh start.
//! Interactive writes keep BSD semantics.

use carp_core::Instant;
use carp_sysctl::{Knob, Value};

use super::items::Item;
use super::resolve::Target;
use super::store::ParentStore;
use super::{Engine, FileError};
use crate::{parse_line, ConfigLine, CtlError, IfName, Lifecycle};

/// Knobs a file can set (every writable node of `net.inet.carp`).
const KNOBS: usize = Knob::ALL.len();

/// What the last file set of the sysctl tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileKnobs {
    /// The value each knob was set to, by index in [`Knob::ALL`].
    set: [Option<i64>; KNOBS],
    /// The sum of the file's `demotion` lines.
    demotion: i64,
}

impl FileKnobs {
    pub(crate) const fn new() -> FileKnobs {
        FileKnobs {
            set: [None; KNOBS],
            demotion: 0,
        }
    }
}

/// What applying a file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ApplyReport {
    /// Carp interfaces and vhids added.
    pub added: usize,
    /// Carp interfaces and vhids whose configuration, admin state or
    /// parent changed.
    pub changed: usize,
    /// Carp interfaces and vhids removed.
    pub removed: usize,
    /// Carp interfaces and vhids the file describes as they already were
    /// (not re-timed).
    pub unchanged: usize,
    /// Knobs written (set or returned to their default).
    pub knobs: usize,
}

impl<S: ParentStore<N>, const N: usize, const M: usize> Engine<S, N, M> {
    /// Applies a whole configuration file, all or nothing: applying it to a
    /// running host gives the state applying it to a fresh host would,
    /// touching only what changed; the file owns what it names; what the
    /// previous file named and this one does not is removed; dropped knobs
    /// return to their defaults; `demotion` counts once per file. Lines that name no interface (OpenBSD
    /// `hostname.if` lines, bare words) apply to `default_target`. Call
    /// [`Engine::poll`] for each parent afterwards.
    ///
    /// # Errors
    /// The first bad line, with its number, or a check across lines (line
    /// 0); the running configuration is left as it was.
    pub fn apply_config(
        &mut self,
        now: Instant,
        text: &str,
        default_target: Option<&str>,
    ) -> Result<ApplyReport, FileError> {
        let whole = |error: CtlError| FileError { line: 0, error };
        self.plan_from_running().map_err(whole)?;
        self.want.retain(|w| !w.managed);
        let mut knobs = FileKnobs::new();
        for (n, line) in text.lines().enumerate() {
            let at = |error: CtlError| FileError { line: n + 1, error };
            self.apply_line(line, default_target, &mut knobs)
                .map_err(at)?;
        }
        let balance = match knobs.set.get(knob_index(Knob::ArpBalance)) {
            Some(Some(v)) => *v != 0,
            _ => self.sysctl.arpbalance(),
        };
        self.normalize_lladdr();
        self.validate(balance).map_err(whole)?;
        let mut report = self.count_changes();
        report.knobs = self.write_knobs(&knobs);
        self.commit(now).map_err(whole)?;
        self.file = knobs;
        self.sync_policy(now);
        Ok(report)
    }

    fn apply_line(
        &mut self,
        line: &str,
        default_target: Option<&str>,
        knobs: &mut FileKnobs,
    ) -> Result<(), CtlError> {
        match parse_line(line)? {
            ConfigLine::Blank => Ok(()),
            ConfigLine::NotMine { line } => file_knob(line, knobs),
            ConfigLine::Cloned { names } => {
                for name in names {
                    self.ensure_named(name)?;
                }
                Ok(())
            }
            ConfigLine::Create { ifname } => self.ensure_named(ifname),
            // What a file says is an end state: `destroy` means "absent",
            // which holds whether or not the interface was there (on a
            // fresh host it never is).
            ConfigLine::Destroy { ifname } => {
                self.want.retain(|w| w.name != Some(ifname));
                Ok(())
            }
            ConfigLine::Configure { ifname, request } => {
                let name = match ifname {
                    Some(n) => n,
                    None => {
                        let d = default_target.ok_or(CtlError::MissingValue {
                            word: "ifconfig",
                            index: 0,
                        })?;
                        IfName::new(d).ok_or_else(|| CtlError::bad_ifname(0, d))?
                    }
                };
                let target = self.target(name.as_str())?;
                if let (Target::Name(n), Some(Lifecycle::Destroy)) = (target, request.lifecycle) {
                    self.want.retain(|w| w.name != Some(n));
                    return Ok(());
                }
                match target {
                    // A carp interface a line configures exists (FreeBSD's
                    // cloned_interfaces, OpenBSD's hostname.carpN).
                    Target::Name(n) if request.lifecycle.is_none() => self.ensure_named(n)?,
                    Target::Name(_) => {}
                    // A vhid on a parent the file names is the file's from
                    // a fresh start, whoever configured it before.
                    Target::Parent(id, _) => {
                        if let Some(vhid) = request.vhid {
                            self.want
                                .retain(|w| w.managed || w.running_at() != Some((id, vhid.get())));
                        }
                    }
                }
                if let Some(at) = self.resolve_words(target, &request)? {
                    if let Some(item) = self.want.get_mut(at) {
                        item.managed = true;
                    }
                }
                Ok(())
            }
        }
    }

    /// The file describes carp interface `name`: it exists, managed. One
    /// configured by hand before is the file's from a fresh start, so
    /// applying the file again gives the same result.
    fn ensure_named(&mut self, name: IfName) -> Result<(), CtlError> {
        if self.parent_id(name.as_str()).is_some() {
            return Err(CtlError::NotACarpInterface(name));
        }
        self.want.retain(|w| w.managed || w.name != Some(name));
        if !self.want.iter().any(|w| w.name == Some(name)) {
            let mut item = Item::named(name);
            item.managed = true;
            self.want
                .push(item)
                .map_err(|_| CtlError::TooManyInterfaces { max: M })?;
        }
        Ok(())
    }

    /// Writes the file's knobs (validated when parsed), returns the
    /// previous file's to their defaults and moves the administrator's
    /// demotion by the difference of the two files' sums.
    fn write_knobs(&mut self, knobs: &FileKnobs) -> usize {
        let mut written = 0;
        for (i, knob) in Knob::ALL.into_iter().enumerate() {
            if knob == Knob::Demotion {
                continue;
            }
            let new = knobs.set.get(i).copied().flatten();
            let old = self.file.set.get(i).copied().flatten();
            let value = match (new, old) {
                (Some(v), _) => v,
                (None, Some(_)) => match knob.default_value() {
                    Some(d) => d,
                    None => continue,
                },
                (None, None) => continue,
            };
            if self.sysctl.value(knob) != Value::Int(value)
                && self.sysctl.set_knob(knob, value).is_ok()
            {
                written += 1;
            }
        }
        let delta = knobs.demotion.saturating_sub(self.file.demotion);
        if delta != 0 {
            let delta = i32::try_from(delta).unwrap_or(if delta < 0 { i32::MIN } else { i32::MAX });
            self.sysctl.demote(carp_core::DemoteReason::Global, delta);
            written += 1;
        }
        written
    }

    /// Counts what committing the wanted state will do.
    fn count_changes(&self) -> ApplyReport {
        let mut report = ApplyReport::default();
        let mut running: usize = self.names.len();
        for p in self.parents() {
            running += p
                .cif
                .vhosts()
                .filter(|h| !self.names.iter().any(|e| e.is_at(p.id, h.vhid().get())))
                .count();
        }
        let mut matched = 0;
        for item in &self.want {
            match self.running_item(item) {
                None => report.added += 1,
                Some(now) => {
                    matched += 1;
                    let same = now.config == item.config
                        && now.up == item.up
                        && now.parent == item.parent
                        && now.prefix == item.prefix
                        && now.groups == item.groups
                        && item.force.is_none();
                    if same {
                        report.unchanged += 1;
                    } else {
                        report.changed += 1;
                    }
                }
            }
        }
        report.removed = running.saturating_sub(matched);
        report
    }

    /// The running item with the same identity as `like`.
    fn running_item(&self, like: &Item) -> Option<Item> {
        if let Some(name) = like.name {
            let entry = self.names.iter().find(|e| e.name == name)?;
            return Some(super::plan::item_of_entry(&self.parents, entry));
        }
        let (parent, vhid) = like.running_at()?;
        let p = self.parent(parent)?;
        let host = p.cif.vhost(vhid)?;
        if self.names.iter().any(|e| e.is_at(parent, vhid)) {
            return None;
        }
        Some(Item {
            name: None,
            parent: Some(parent),
            config: Some(host.config().clone()),
            prefix: p.extra(vhid).prefix,
            up: host.is_admin_up(),
            force: None,
            carpdev_named: true,
            managed: p.extra(vhid).managed,
            random_mac: false,
            groups: 0,
        })
    }
}

/// A sysctl line of the file, checked now and remembered (last one wins;
/// `demotion` lines add up).
fn file_knob(line: &str, knobs: &mut FileKnobs) -> Result<(), CtlError> {
    let Some(a) = carp_sysctl::line::parse_line(line)? else {
        return Ok(());
    };
    let range = a
        .knob
        .range()
        .ok_or(carp_sysctl::SysctlError::ReadOnly(a.knob))?;
    if !range.contains(&a.value) {
        return Err(carp_sysctl::SysctlError::OutOfRange {
            knob: a.knob,
            min: *range.start(),
            max: *range.end(),
            got: a.value,
        }
        .into());
    }
    if a.knob == Knob::Demotion {
        knobs.demotion = knobs.demotion.saturating_add(a.value);
    } else if let Some(slot) = knobs.set.get_mut(knob_index(a.knob)) {
        *slot = Some(a.value);
    }
    Ok(())
}

fn knob_index(knob: Knob) -> usize {
    Knob::ALL.iter().position(|k| *k == knob).unwrap_or(KNOBS)
}
