//! Advertisement authentication: the key and the precomputed HMAC-SHA1.
//!
//! The digest is standard HMAC-SHA1 (RFC 2104) keyed with the passphrase
//! bytes over, in order: the version byte (2), the type byte (1), OpenBSD's
//! virtual MAC (only when the vhid uses a non-default one), the vhid, every
//! IPv4 address ascending, every IPv6 address ascending (with a KAME-embedded
//! scope id cleared), and last the 8 counter bytes as on the wire.
//!
//! [`AuthContext`] absorbs everything but the counter once per configuration
//! and keeps the inner SHA-1 state (after ipad and the static message's whole
//! blocks), a template of the final inner block with the static tail, pad and
//! bit count in place, and the outer state (after opad). Signing or verifying
//! one advert then costs writing the counter into a copy of the template, one
//! inner and one outer raw compression (`sha1::compress`): the floor of
//! HMAC-SHA1. On x86_64 the blocks' changed lanes are put together in
//! vector registers, so that the SHA-NI code's 16-byte loads are forwarded
//! from whole stores (`lanes`). Verification compares in constant time
//! (`subtle`).

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use subtle::{Choice, ConstantTimeEq};

use crate::wire::{Advert, DIGEST_LEN, TYPE_ADVERTISEMENT, VERSION};

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod lanes;
mod precomputed;

use precomputed::Precomputed;

/// Key length of the BSDs (`CARP_KEY_LEN`): the passphrase zero-padded.
pub const KEY_LEN: usize = 20;
/// Longest passphrase accepted: ifconfig needs room for the NUL, and ucarp
/// refuses 20 characters or more too.
pub const MAX_PASSPHRASE_LEN: usize = KEY_LEN - 1;

/// A CARP key: the passphrase bytes, zero-padded to [`KEY_LEN`].
///
/// No passphrase is the all-zero key; the digest is still computed and
/// checked, as the BSDs do. `Debug` never prints the bytes.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Key {
    bytes: [u8; KEY_LEN],
    len: u8,
}

impl Key {
    /// The empty passphrase.
    pub const EMPTY: Key = Key {
        bytes: [0; KEY_LEN],
        len: 0,
    };

    /// The key for a passphrase.
    ///
    /// # Errors
    /// [`KeyError::TooLong`] for 20 bytes or more; [`KeyError::Nul`] for a
    /// NUL byte, which neither the C string ifconfig and ucarp take nor the
    /// zero-padded key a `carpreq` carries can hold.
    pub fn new(passphrase: &[u8]) -> Result<Key, KeyError> {
        if let Some(at) = passphrase.iter().position(|&b| b == 0) {
            return Err(KeyError::Nul { at });
        }
        let mut bytes = [0u8; KEY_LEN];
        match bytes.get_mut(..passphrase.len()) {
            Some(dst) if passphrase.len() <= MAX_PASSPHRASE_LEN => {
                dst.copy_from_slice(passphrase);
                Ok(Key {
                    bytes,
                    len: passphrase.len() as u8,
                })
            }
            _ => Err(KeyError::TooLong {
                len: passphrase.len(),
            }),
        }
    }

    /// The 20 key bytes as the kernel stores them (zero-padded).
    pub const fn padded(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }

    /// The passphrase bytes without the padding.
    pub fn passphrase(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// True for the empty passphrase.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key(<{} bytes>)", self.len)
    }
}

/// Why a passphrase cannot be a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The passphrase does not fit [`MAX_PASSPHRASE_LEN`].
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The passphrase holds a NUL byte.
    Nul {
        /// Offset of the first NUL.
        at: usize,
    },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            KeyError::TooLong { len } => write!(
                f,
                "passphrase of {len} bytes is too long (at most {MAX_PASSPHRASE_LEN})"
            ),
            KeyError::Nul { at } => write!(f, "passphrase holds a NUL byte at offset {at}"),
        }
    }
}

impl core::error::Error for KeyError {}

/// Whether IPv6 link-local addresses of the vhid go into the digest we send.
///
/// FreeBSD and NetBSD sign every address; OpenBSD signs without link-local
/// ones and accepts either form. Including them is the form every BSD
/// accepts, so it is the default; verification always tries both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LinkLocalRule {
    /// Sign with link-local addresses (FreeBSD, NetBSD).
    #[default]
    Include,
    /// Sign without them (OpenBSD).
    Exclude,
}

/// The static part of the HMAC message: everything but the counter.
#[derive(Debug, Clone, Copy)]
pub struct AuthInput<'a> {
    /// The vhid.
    pub vhid: u8,
    /// OpenBSD's lladdr term: the virtual MAC when it is not the default.
    pub lladdr: Option<[u8; 6]>,
    /// IPv4 addresses of the vhid, any order, duplicates allowed.
    pub ipv4: &'a [Ipv4Addr],
    /// IPv6 addresses of the vhid, any order, duplicates allowed.
    pub ipv6: &'a [Ipv6Addr],
    /// Which IPv6 form to sign with.
    pub link_local: LinkLocalRule,
}

/// Why an advert did not authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// The digest matches neither accepted form of the message.
    BadDigest,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::BadDigest => f.write_str("HMAC-SHA1 digest does not verify"),
        }
    }
}

impl core::error::Error for AuthError {}

/// An advert whose digest verified. Only [`AuthContext::verify`] makes one,
/// so the election cannot be fed an unchecked advert. It borrows the advert
/// rather than copying it: the advert was just parsed field by field, and
/// copying it whole at once stalls the CPU on the fields still in its store
/// buffer (about 8 ns an accepted advert, measured with perf).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authenticated<'a> {
    advert: &'a Advert,
}

impl<'a> Authenticated<'a> {
    /// The verified advert.
    pub const fn advert(&self) -> &'a Advert {
        self.advert
    }
}

/// Precomputed HMAC-SHA1 states for one vhid configuration.
#[derive(Clone)]
pub struct AuthContext {
    /// The form we sign with.
    send: Precomputed,
    /// The other OpenBSD form, when it differs (link-local addresses present).
    alternate: Option<Precomputed>,
}

impl fmt::Debug for AuthContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthContext")
            .field("alternate", &self.alternate.is_some())
            .finish_non_exhaustive()
    }
}

impl AuthContext {
    /// Absorbs key and static message once.
    pub fn new(key: &Key, input: &AuthInput<'_>) -> AuthContext {
        let has_link_local = input.ipv6.iter().any(is_unicast_link_local);
        let with = absorb(key, input, true);
        if !has_link_local {
            return AuthContext {
                send: with,
                alternate: None,
            };
        }
        let without = absorb(key, input, false);
        match input.link_local {
            LinkLocalRule::Include => AuthContext {
                send: with,
                alternate: Some(without),
            },
            LinkLocalRule::Exclude => AuthContext {
                send: without,
                alternate: Some(with),
            },
        }
    }

    /// The digest for an advert carrying `counter`.
    pub fn sign(&self, counter: u64) -> [u8; DIGEST_LEN] {
        self.send.digest(counter)
    }

    /// Checks an advert's digest in constant time against each accepted
    /// form of the message.
    ///
    /// # Errors
    /// [`AuthError::BadDigest`] when no form matches.
    pub fn verify<'a>(&self, advert: &'a Advert) -> Result<Authenticated<'a>, AuthError> {
        self.verify_with(advert, || ()).0
    }

    /// [`AuthContext::verify`], running `meanwhile` between the two SHA-1
    /// compressions of the first form: work that does not depend on the
    /// digest then executes while the CPU waits for the first compression,
    /// instead of after the second (see `VirtualHost::receive_advert`).
    /// `meanwhile` runs exactly once, whatever the outcome.
    pub(crate) fn verify_with<'a, R>(
        &self,
        advert: &'a Advert,
        meanwhile: impl FnOnce() -> R,
    ) -> (Result<Authenticated<'a>, AuthError>, R) {
        // Compared as the five big-endian words of the SHA-1 state: the
        // same as comparing the 20 bytes, and the computed words never take
        // a trip through memory as bytes.
        let received: [[u8; 4]; 5] = zerocopy::transmute!(advert.digest);
        let received = received.map(u32::from_be_bytes);
        let inner = self.send.inner_words(advert.counter);
        let done = meanwhile();
        let matched = same_words(self.send.outer_words(inner), &received)
            || self
                .alternate
                .as_ref()
                .is_some_and(|form| same_words(form.words(advert.counter), &received));
        let verdict = if matched {
            Ok(Authenticated { advert })
        } else {
            Err(AuthError::BadDigest)
        };
        (verdict, done)
    }
}

/// True when the computed digest words equal the received ones, in
/// constant time: every word is compared (XOR, OR: no data-dependent
/// branch), and one `subtle` test of the accumulated difference decides
/// (five `ct_eq` barriers cost as much as the rest of the comparison).
#[inline(always)]
fn same_words(computed: [u32; 5], received: &[u32; 5]) -> bool {
    let diff = computed
        .iter()
        .zip(received)
        .fold(0u32, |acc, (c, r)| acc | (c ^ r));
    let same: Choice = diff.ct_eq(&0);
    bool::from(same)
}

fn is_unicast_link_local(addr: &Ipv6Addr) -> bool {
    addr.segments()[0] & 0xffc0 == 0xfe80
}

/// The address as written: a scope id a KAME kernel embeds in bytes 2..4 of
/// a link-local (unicast or multicast) address is cleared, as `in6_clearscope`.
fn clear_scope(addr: &Ipv6Addr) -> [u8; 16] {
    let mut octets = addr.octets();
    let link_local_multicast = octets[0] == 0xff && octets[1] & 0x0f == 0x02;
    if is_unicast_link_local(addr) || link_local_multicast {
        octets[2] = 0;
        octets[3] = 0;
    }
    octets
}

fn absorb(key: &Key, input: &AuthInput<'_>, with_link_local: bool) -> Precomputed {
    // HMAC pads any key to the 64-byte block with zeros, so the bare
    // passphrase and the BSDs' 20 padded bytes give one MAC.
    let mut mac = Precomputed::builder(key.padded());
    mac.update(&[VERSION, TYPE_ADVERTISEMENT]);
    if let Some(lladdr) = input.lladdr {
        mac.update(&lladdr);
    }
    mac.update(&[input.vhid]);
    // Ascending, each once, without sorting a copy: pick the next larger
    // address each round. n is small and this runs once per configuration.
    let mut last: Option<u32> = None;
    while let Some(next) = input
        .ipv4
        .iter()
        .map(|a| u32::from(*a))
        .filter(|a| last.is_none_or(|l| *a > l))
        .min()
    {
        mac.update(&next.to_be_bytes());
        last = Some(next);
    }
    let mut last: Option<[u8; 16]> = None;
    while let Some(next) = input
        .ipv6
        .iter()
        .filter(|a| with_link_local || !is_unicast_link_local(a))
        .map(clear_scope)
        .filter(|a| last.is_none_or(|l| *a > l))
        .min()
    {
        mac.update(&next);
        last = Some(next);
    }
    mac.finish()
}

#[cfg(test)]
mod tests;
