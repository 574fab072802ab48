//! Interactive requests: ifconfig words and `carpreq` sets, each planned,
//! validated whole and applied, or refused with nothing changed.

use carp_core::{Instant, State};

use super::store::ParentStore;
use super::Engine;
use crate::{parse_words, CarpReq, CtlError, IfconfigRequest};

impl<S: ParentStore<N>, const N: usize, const M: usize> Engine<S, N, M> {
    /// `ifconfig TARGET WORDS`: parses the words and applies them to a carp
    /// interface (`carp0`, OpenBSD) or to a vhid on a parent (`em0`,
    /// FreeBSD), all or nothing. Call [`Engine::poll`] for each parent
    /// afterwards: what the change owes the wire (a bow-out, an advert)
    /// goes out then.
    ///
    /// `create` and `destroy` make and remove carp interfaces; `state
    /// backup|master` is forced after the configuration (INIT is ignored,
    /// as BSD `SIOCSVH` ignores it; `down` stops a vhid); `carpdev` and
    /// `-carpdev` attach and detach.
    ///
    /// # Errors
    /// The parser's ([`parse_words`]) or the engine's
    /// ([`CtlError`]); nothing changes then.
    pub fn ifconfig(&mut self, now: Instant, target: &str, words: &str) -> Result<(), CtlError> {
        let req = parse_words(words)?;
        self.configure(now, target, &req)
    }

    /// Applies parsed words (see [`Engine::ifconfig`]).
    ///
    /// # Errors
    /// As [`Engine::ifconfig`], less the parser's.
    pub fn configure(
        &mut self,
        now: Instant,
        target: &str,
        req: &IfconfigRequest,
    ) -> Result<(), CtlError> {
        let target = self.target(target)?;
        self.plan_from_running()?;
        self.resolve_words(target, req)?;
        self.normalize_lladdr();
        self.validate(self.sysctl.arpbalance())?;
        self.commit(now)
    }

    /// `SIOCSVH`: sets the whole configuration of a carp interface's vhid
    /// (or, on a parent, of the request's vhid), its prefix lengths, its
    /// `carpdev` (empty: unchanged) and state (INIT ignored), all or
    /// nothing.
    ///
    /// # Errors
    /// The request's fields ([`CarpReq::to_config`] and friends) or the
    /// engine's; nothing changes then.
    pub fn set_carpreq(
        &mut self,
        now: Instant,
        target: &str,
        req: &CarpReq,
    ) -> Result<(), CtlError> {
        let target = self.target(target)?;
        self.plan_from_running()?;
        self.resolve_carpreq(target, req)?;
        self.normalize_lladdr();
        self.validate(self.sysctl.arpbalance())?;
        self.commit(now)
    }

    /// `ifconfig TARGET state STATE`, as a call.
    ///
    /// # Errors
    /// As [`Engine::configure`]: a forced BACKUP or MASTER needs the vhid
    /// up, its parent's link up and an address.
    pub fn force_state(
        &mut self,
        now: Instant,
        target: &str,
        vhid: Option<u8>,
        state: State,
    ) -> Result<(), CtlError> {
        let req = IfconfigRequest {
            vhid: vhid.and_then(|v| carp_core::Vhid::new(v).ok()),
            state: Some(state),
            ..IfconfigRequest::default()
        };
        self.configure(now, target, &req)
    }

    /// `ifconfig TARGET up|down`, as a call (down as MASTER bows out).
    ///
    /// # Errors
    /// As [`Engine::configure`].
    pub fn set_admin(
        &mut self,
        now: Instant,
        target: &str,
        vhid: Option<u8>,
        up: bool,
    ) -> Result<(), CtlError> {
        let req = IfconfigRequest {
            vhid: vhid.and_then(|v| carp_core::Vhid::new(v).ok()),
            up: Some(up),
            ..IfconfigRequest::default()
        };
        self.configure(now, target, &req)
    }
}
