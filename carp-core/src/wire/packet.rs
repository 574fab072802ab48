//! `Packet`: a checked view over the bytes of a CARP header.

use zerocopy::FromBytes;

use super::{checksum, verify_checksum, CarpHeader, WireError, DIGEST_LEN, HEADER_LEN};

/// Byte offset of the checksum field.
const CHECKSUM_AT: usize = 6;

/// A read (and, over `AsMut`, write) view of a CARP header in a buffer.
///
/// Build it with [`Packet::new_checked`] on input; accessors then read fixed
/// offsets. Bytes past [`HEADER_LEN`] are ignored (BSD does the same: the
/// header is whatever follows the IP header, trailers are not CARP's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking its length. Accessors on a short
    /// buffer read zero; see the module docs.
    pub const fn new_unchecked(buffer: T) -> Self {
        Packet { buffer }
    }

    /// Wraps a buffer after [`Packet::check_len`].
    ///
    /// # Errors
    /// [`WireError::Truncated`] when the buffer is shorter than the header.
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let packet = Packet { buffer };
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that the buffer holds a whole header.
    ///
    /// # Errors
    /// [`WireError::Truncated`] when it does not.
    pub fn check_len(&self) -> Result<(), WireError> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            Err(WireError::Truncated { len })
        } else {
            Ok(())
        }
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The header, or `None` on a short buffer.
    pub fn header(&self) -> Option<&CarpHeader> {
        CarpHeader::ref_from_prefix(self.buffer.as_ref())
            .ok()
            .map(|(h, _)| h)
    }

    /// The 36 header bytes (fewer on a short unchecked buffer).
    pub fn header_bytes(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        b.get(..HEADER_LEN).unwrap_or(b)
    }

    /// Version nibble.
    pub fn version(&self) -> u8 {
        self.header().map_or(0, |h| h.version_type >> 4)
    }

    /// Type nibble.
    pub fn kind(&self) -> u8 {
        self.header().map_or(0, |h| h.version_type & 0x0f)
    }

    /// Virtual host id.
    pub fn vhid(&self) -> u8 {
        self.header().map_or(0, |h| h.vhid)
    }

    /// Advertisement skew, 1/256 s.
    pub fn advskew(&self) -> u8 {
        self.header().map_or(0, |h| h.advskew)
    }

    /// authlen in 32-bit words.
    pub fn authlen(&self) -> u8 {
        self.header().map_or(0, |h| h.authlen)
    }

    /// Demotion byte (OpenBSD) or pad.
    pub fn demote(&self) -> u8 {
        self.header().map_or(0, |h| h.demote)
    }

    /// Advertisement base, seconds.
    pub fn advbase(&self) -> u8 {
        self.header().map_or(0, |h| h.advbase)
    }

    /// Checksum field as stored.
    pub fn checksum(&self) -> u16 {
        self.header().map_or(0, |h| h.checksum.get())
    }

    /// The 64-bit counter.
    pub fn counter(&self) -> u64 {
        self.header().map_or(0, |h| h.counter.get())
    }

    /// The 8 counter bytes exactly as on the wire (what the HMAC covers).
    pub fn counter_bytes(&self) -> [u8; 8] {
        self.counter().to_be_bytes()
    }

    /// The 20-byte digest (all zero on a short unchecked buffer).
    pub fn digest(&self) -> [u8; DIGEST_LEN] {
        self.header().map_or([0; DIGEST_LEN], |h| h.digest)
    }

    /// True when the Internet checksum over the header verifies.
    ///
    /// Ones' complement arithmetic has two zeros: when the other 34 bytes
    /// sum to 0xffff, a checksum field of 0x0000 and one of 0xffff both
    /// verify. The BSDs (`in_cksum(m, len) != 0` rejects) accept both, and
    /// so does this; [`Advert::emit`](super::Advert::emit) writes 0x0000,
    /// as `in_cksum` computes it.
    pub fn verify_checksum(&self) -> bool {
        self.header_bytes().len() == HEADER_LEN && verify_checksum(self.header_bytes())
    }

    /// The checksum the field should hold for the current contents.
    pub fn expected_checksum(&self) -> u16 {
        let mut copy = [0u8; HEADER_LEN];
        let src = self.header_bytes();
        if let Some(dst) = copy.get_mut(..src.len()) {
            dst.copy_from_slice(src);
        }
        if let Some(field) = copy.get_mut(CHECKSUM_AT..CHECKSUM_AT + 2) {
            field.fill(0);
        }
        checksum(&copy)
    }

    /// Checks the checksum.
    ///
    /// # Errors
    /// [`WireError::Truncated`] or [`WireError::BadChecksum`].
    pub fn check_checksum(&self) -> Result<(), WireError> {
        self.check_len()?;
        if self.verify_checksum() {
            Ok(())
        } else {
            Err(WireError::BadChecksum {
                got: self.checksum(),
                expected: self.expected_checksum(),
            })
        }
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// The header for writing, or `None` on a short buffer.
    pub fn header_mut(&mut self) -> Option<&mut CarpHeader> {
        CarpHeader::mut_from_prefix(self.buffer.as_mut())
            .ok()
            .map(|(h, _)| h)
    }

    /// Sets version and type nibbles.
    pub fn set_version_type(&mut self, version: u8, kind: u8) {
        if let Some(h) = self.header_mut() {
            h.version_type = (version << 4) | (kind & 0x0f);
        }
    }

    /// Sets the vhid.
    pub fn set_vhid(&mut self, vhid: u8) {
        if let Some(h) = self.header_mut() {
            h.vhid = vhid;
        }
    }

    /// Sets advskew.
    pub fn set_advskew(&mut self, advskew: u8) {
        if let Some(h) = self.header_mut() {
            h.advskew = advskew;
        }
    }

    /// Sets authlen.
    pub fn set_authlen(&mut self, authlen: u8) {
        if let Some(h) = self.header_mut() {
            h.authlen = authlen;
        }
    }

    /// Sets the demotion byte.
    pub fn set_demote(&mut self, demote: u8) {
        if let Some(h) = self.header_mut() {
            h.demote = demote;
        }
    }

    /// Sets advbase.
    pub fn set_advbase(&mut self, advbase: u8) {
        if let Some(h) = self.header_mut() {
            h.advbase = advbase;
        }
    }

    /// Sets the counter.
    pub fn set_counter(&mut self, counter: u64) {
        if let Some(h) = self.header_mut() {
            h.counter.set(counter);
        }
    }

    /// Sets the digest.
    pub fn set_digest(&mut self, digest: &[u8; DIGEST_LEN]) {
        if let Some(h) = self.header_mut() {
            h.digest = *digest;
        }
    }

    /// Computes and stores the checksum over the current contents.
    pub fn fill_checksum(&mut self) {
        let sum = {
            if let Some(h) = self.header_mut() {
                h.checksum.set(0);
            }
            self.expected_checksum()
        };
        if let Some(h) = self.header_mut() {
            h.checksum.set(sum);
        }
    }
}
