//! What `ifconfig` shows, for carp interfaces (OpenBSD) and for parents
//! with vhids (FreeBSD), and the `carpreq` a get (`SIOCGVH`) returns.

use core::fmt::Write;

use carp_core::State;

use super::names::Slot;
use super::plan::item_of_entry;
use super::resolve::Target;
use super::store::ParentStore;
use super::Engine;
use crate::{CarpLine, CarpReq, CtlError, IfFlags, Status, StatusHeader};

impl<S: ParentStore<N>, const N: usize, const M: usize> Engine<S, N, M> {
    /// Writes `ifconfig TARGET` in BSD shape. For a carp interface
    /// (OpenBSD): `carp0: flags=41<UP,RUNNING> mtu 1500`, then `carp:
    /// MASTER carpdev em0 vhid 1 advbase 1 advskew 0` (with `carpdev` when
    /// the user named it) and its addresses with their netmasks. For a
    /// parent (FreeBSD): its first line, then per vhid configured on it
    /// the `carp:` line and its addresses, each tagged `vhid N`. A failing
    /// `out` ends the output early and is not an error.
    ///
    /// # Errors
    /// A bad name, or [`CtlError::NoSuchInterface`].
    pub fn status<W: Write>(&self, target: &str, out: &mut W) -> Result<(), CtlError> {
        match self.target(target)? {
            Target::Name(name) => {
                let entry = self
                    .names
                    .iter()
                    .find(|e| e.name == name)
                    .ok_or(CtlError::NoSuchInterface(name))?;
                let _ = self.write_named(entry, out);
            }
            Target::Parent(id, _) => {
                let _ = self.write_parent(id, out);
            }
        }
        Ok(())
    }

    /// Writes the status of every parent that has vhids of its own and of
    /// every carp interface, in that order.
    pub fn status_all<W: Write>(&self, out: &mut W) {
        for p in self.parents() {
            let own = p
                .cif
                .vhosts()
                .any(|h| !self.names.iter().any(|e| e.is_at(p.id, h.vhid().get())));
            if own {
                let _ = self.write_parent(p.id, out);
            }
        }
        for entry in &self.names {
            let _ = self.write_named(entry, out);
        }
    }

    fn write_named<W: Write>(&self, entry: &super::names::Entry, out: &mut W) -> core::fmt::Result {
        let item = item_of_entry(&self.parents, entry);
        let parent = item.parent.and_then(|id| self.parent(id));
        let mtu = parent.map_or(1500, |p| {
            u32::try_from(p.cif.parent().mtu).unwrap_or(u32::MAX)
        });
        let state = match (&entry.slot, parent) {
            (Slot::Attached { vhid, .. }, Some(p)) => {
                p.cif.vhost(vhid.get()).map_or(State::Init, |h| h.state())
            }
            _ => State::Init,
        };
        let mut flags = IfFlags::empty();
        flags.set(IfFlags::UP, item.up);
        flags.set(IfFlags::RUNNING, state != State::Init);
        let Some(config) = &item.config else {
            return write!(
                out,
                "{}",
                StatusHeader {
                    ifname: entry.name.as_str(),
                    flags,
                    mtu,
                }
            );
        };
        let carpdev = parent
            .filter(|_| entry.carpdev_named)
            .map(|p| p.name.as_str());
        let groups: heapless::Vec<crate::GroupName, { crate::MAX_GROUPS }> =
            self.groups_of(entry.name.as_str()).collect();
        let status = Status {
            ifname: entry.name.as_str(),
            flags,
            mtu,
            state,
            config,
            prefix_lens: item.prefix.get(..config.addresses().len()).unwrap_or(&[]),
            carpdev,
            groups: &groups,
        };
        write!(out, "{status}")
    }

    fn write_parent<W: Write>(&self, id: super::ParentId, out: &mut W) -> core::fmt::Result {
        let Some(p) = self.parent(id) else {
            return Ok(());
        };
        let mut flags = IfFlags::BROADCAST | IfFlags::SIMPLEX | IfFlags::MULTICAST;
        flags.set(IfFlags::UP, true);
        flags.set(IfFlags::RUNNING, p.cif.is_link_up());
        let mtu = u32::try_from(p.cif.parent().mtu).unwrap_or(u32::MAX);
        write!(
            out,
            "{}",
            StatusHeader {
                ifname: p.name.as_str(),
                flags,
                mtu,
            }
        )?;
        for host in p.cif.vhosts() {
            let vhid = host.vhid().get();
            if self.names.iter().any(|e| e.is_at(id, vhid)) {
                continue;
            }
            let line = CarpLine {
                state: host.state(),
                config: host.config(),
                carpdev: None,
            };
            writeln!(out, "\t{line}")?;
            if let Some(peers) = line.peer_line() {
                writeln!(out, "\t{peers}")?;
            }
            let prefix = p.extra(vhid).prefix;
            for (addr, len) in host.config().addresses().iter().zip(prefix) {
                match addr {
                    core::net::IpAddr::V4(a) => {
                        let mask = u32::MAX
                            .checked_shl(32 - u32::from(len.min(32)))
                            .unwrap_or(0);
                        writeln!(out, "\tinet {a} netmask {mask:#010x} vhid {vhid}")?;
                    }
                    core::net::IpAddr::V6(a) => {
                        writeln!(out, "\tinet6 {a} prefixlen {len} vhid {vhid}")?;
                    }
                }
            }
        }
        Ok(())
    }

    /// `SIOCGVH`: the `carpreq` describing a carp interface's vhid, or, on
    /// a parent, vhid `vhid`: configuration, state, `carpdev`, the prefix
    /// lengths given, and the host's effective demotion in `demote`.
    ///
    /// # Errors
    /// [`CtlError::NoSuchInterface`], [`CtlError::NoVhid`].
    pub fn get_carpreq(&self, target: &str, vhid: Option<u8>) -> Result<CarpReq, CtlError> {
        let (item, state, carpdev) = match self.target(target)? {
            Target::Name(name) => {
                let entry = self
                    .names
                    .iter()
                    .find(|e| e.name == name)
                    .ok_or(CtlError::NoSuchInterface(name))?;
                let (state, dev) = match &entry.slot {
                    Slot::Attached { parent, vhid } => {
                        let p = self.parent(*parent);
                        (
                            p.and_then(|p| p.cif.vhost(vhid.get()))
                                .map_or(State::Init, |h| h.state()),
                            p.map(|p| p.name),
                        )
                    }
                    Slot::Unset => return Err(CtlError::NoVhid(name)),
                    Slot::Detached { .. } => (State::Init, None),
                };
                (item_of_entry(&self.parents, entry), state, dev)
            }
            Target::Parent(id, name) => {
                let vhid = vhid.ok_or(CtlError::MissingVhid)?;
                let p = self.parent(id).ok_or(CtlError::UnknownParentId)?;
                let host = p.cif.vhost(vhid).ok_or(CtlError::NoVhid(name))?;
                let mut item = super::items::Item::named(name);
                item.config = Some(host.config().clone());
                item.prefix = p.extra(vhid).prefix;
                (item, host.state(), Some(name))
            }
        };
        let Some(config) = &item.config else {
            return Err(CtlError::UnknownParentId);
        };
        let mut req = CarpReq::from_config(config, state, carpdev.as_ref());
        for (slot, len) in item
            .prefix
            .iter()
            .enumerate()
            .take(config.addresses().len())
        {
            req.set_prefix_len(slot, *len)?;
        }
        req.demote = i32::from(self.sysctl.demotion().effective());
        Ok(req)
    }
}
