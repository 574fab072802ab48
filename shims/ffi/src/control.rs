//! Configuring an interface from C: a [`carp_req`] (set/get by vhid, as
//! `SIOCSVH`/`SIOCGVH`), ifconfig words, admin up/down, forced state.
//!
//! Every request is checked whole before anything changes; the only step
//! that can fail after a change is a forced state on a vhost that cannot
//! run (`CARP_ENETDOWN`), which leaves the new configuration in place.

use core::ffi::{c_char, c_int};

use carp_core::VhostConfig;
use carp_core::{State, VirtualHost};
use carp_ctl::{parse_words, CarpReq, CtlError, Lifecycle, CARPREQ_LEN};
use zerocopy::IntoBytes;

use crate::boundary::{bytes, out_slice, put_opt, text};
use crate::errno::{Error, CARP_OK};
use crate::iface::{carp_if, instant, with_if, Inner};
use crate::types::carp_req;

/// The vhost `vhid`, or `CARP_ENOENT`.
pub(crate) fn vhost(inner: &Inner, vhid: c_int) -> Result<&VirtualHost, Error> {
    let v = vhid_u8(vhid)?;
    inner
        .cif
        .vhost(v)
        .ok_or(Error::If(carp_ifnet::carpif::IfError::NoSuchVhid(v)))
}

fn vhid_u8(vhid: c_int) -> Result<u8, Error> {
    match u8::try_from(vhid) {
        Ok(v) if v != 0 => Ok(v),
        _ => Err(Error::Ctl(CtlError::OutOfRange {
            word: "vhid",
            min: 1,
            max: 255,
            got: i64::from(vhid),
        })),
    }
}

fn state_from(state: c_int) -> Result<State, Error> {
    let req = CarpReq::from_bytes(&[0; CARPREQ_LEN])?;
    CarpReq { state, ..req }.state().map_err(Error::Ctl)
}

/// Adds `config` as a new vhid or replaces the configuration of an
/// existing one, then forces `state` when given and different.
fn apply(
    inner: &mut Inner,
    now_us: u64,
    config: VhostConfig,
    state: Option<State>,
) -> Result<(), Error> {
    let now = instant(now_us);
    let vhid = config.vhid.get();

    match inner.cif.vhost(vhid) {
        Some(host) if *host.config() == config => {}
        Some(_) => inner.cif.reconfigure(now, config, &inner.sysctl.tree)?,
        None => {
            let seed = inner.counter_seed(vhid);
            inner.cif.add_vhost(now, config, seed, &inner.sysctl.tree)?;
        }
    }
    if let Some(state) = state {
        if inner.cif.vhost(vhid).map(VirtualHost::state) != Some(state) {
            inner
                .cif
                .force_state(now, vhid, state, &inner.sysctl.tree)?;
        }
    }
    Ok(())
}

/// Applies a set request (`SIOCSVH`): adds the vhid or replaces its whole
/// configuration; a `state` of BACKUP or MASTER then forces that state.
/// `len` must be `CARP_CARPREQ_LEN`. Returns 0, or the code of the first
/// field found wrong (`CARP_ERANGE`, `CARP_EINVAL`, ...) with nothing
/// changed; `carp_if_last_error` names the field.
///
/// # Safety
/// `cif` is NULL or live; `req` is NULL or valid for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn carp_if_set_carpreq(
    cif: *const carp_if,
    now_us: u64,
    req: *const carp_req,
    len: usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_if(cif, |inner| {
            let raw = bytes(req.cast::<u8>(), len, "req")?;
            let req = CarpReq::from_bytes(raw)?;
            let state = match req.state()? {
                State::Init => None,
                s => Some(s),
            };
            let config = req.to_config()?;
            apply(inner, now_us, config, state)?;
            inner.flush(instant(now_us));
            Ok(CARP_OK)
        })
    }
}

/// Fills a get request (`SIOCGVH`) for `vhid`: configuration, state and
/// the host's current demotion. `len` must be `CARP_CARPREQ_LEN`. Returns
/// 0 or `CARP_ENOENT`.
///
/// # Safety
/// `cif` is NULL or live; `out` is NULL or valid for `len` bytes of writes.
#[no_mangle]
pub unsafe extern "C" fn carp_if_get_carpreq(
    cif: *const carp_if,
    vhid: c_int,
    out: *mut carp_req,
    len: usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_if(cif, |inner| {
            if len != CARPREQ_LEN {
                return Err(Error::Length {
                    what: "carp_req",
                    want: CARPREQ_LEN,
                    got: len,
                });
            }
            let host = vhost(inner, vhid)?;
            let mut req = CarpReq::from_config(host.config(), host.state(), None);
            req.demote = i32::from(inner.sysctl().demotion().effective());
            let slots = out_slice(out.cast::<u8>(), len, "out")?;
            for (slot, b) in slots.iter_mut().zip(req.as_bytes()) {
                slot.write(*b);
            }
            Ok(CARP_OK)
        })
    }
}

/// Applies ifconfig words of `len` bytes, as after `ifconfig carpN`:
/// `vhid 1 advskew 100 pass secret 192.0.2.100/24`, then `up`/`down`,
/// `state master`, or `vhid 1 destroy`. `vhid` is required (this call is
/// keyed by vhid). A new vhid starts from the defaults and comes up; an
/// existing one has the words applied to its configuration. Returns 0 or
/// an error with nothing changed; `*bad_word` (if not NULL) gets the
/// 0-based index of the offending word, or -1.
///
/// # Safety
/// `cif` is NULL or live; `words` is NULL or valid for `len` bytes;
/// `bad_word` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn carp_if_ifconfig(
    cif: *const carp_if,
    now_us: u64,
    words: *const c_char,
    len: usize,
    bad_word: *mut c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { put_opt(bad_word, -1) };
    // SAFETY: forwarded contract.
    unsafe {
        with_if(cif, |inner| {
            let line = text(words, len, "words")?;
            let req = parse_words(line).inspect_err(|e| {
                if let Some(i) = e.index() {
                    put_opt(bad_word, c_int::try_from(i).unwrap_or(c_int::MAX));
                }
            })?;
            let vhid = req.vhid.ok_or(CtlError::MissingVhid)?.get();
            let now = instant(now_us);
            if req.lifecycle == Some(Lifecycle::Destroy) {
                inner.cif.remove_vhost(now, vhid, &inner.sysctl.tree)?;
                inner.flush(instant(now_us));
                return Ok(CARP_OK);
            }
            let config = match inner.cif.vhost(vhid) {
                Some(host) => req.apply(host.config())?,
                None => req.apply(&VhostConfig::new(req.vhid.ok_or(CtlError::MissingVhid)?))?,
            };
            apply(inner, now_us, config, None)?;
            if let Some(up) = req.up {
                inner.cif.set_admin(now, vhid, up, &inner.sysctl.tree)?;
            }
            if let Some(state) = req.state {
                inner
                    .cif
                    .force_state(now, vhid, state, &inner.sysctl.tree)?;
            }
            inner.flush(instant(now_us));
            Ok(CARP_OK)
        })
    }
}

/// Forces `vhid` to `state` (`ifconfig carpN state master`). Returns 0,
/// `CARP_ENOENT`, `CARP_EINVAL` for a bad state, or `CARP_ENETDOWN` when
/// the vhost is not running.
///
/// # Safety
/// `cif` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn carp_if_force_state(
    cif: *const carp_if,
    now_us: u64,
    vhid: c_int,
    state: c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_if(cif, |inner| {
            let vhid = vhid_u8(vhid)?;
            let state = state_from(state)?;
            inner
                .cif
                .force_state(instant(now_us), vhid, state, &inner.sysctl.tree)?;
            inner.flush(instant(now_us));
            Ok(CARP_OK)
        })
    }
}

/// Brings `vhid` up (`up` non-zero) or down; a master going down bows out.
/// Returns 0 or `CARP_ENOENT`.
///
/// # Safety
/// `cif` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn carp_if_set_admin(
    cif: *const carp_if,
    now_us: u64,
    vhid: c_int,
    up: c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe {
        with_if(cif, |inner| {
            let vhid = vhid_u8(vhid)?;
            inner
                .cif
                .set_admin(instant(now_us), vhid, up != 0, &inner.sysctl.tree)?;
            inner.flush(instant(now_us));
            Ok(CARP_OK)
        })
    }
}
