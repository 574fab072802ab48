//! `Advert`: the value form of a CARP advertisement.

use super::{Packet, WireError, AUTHLEN, DIGEST_LEN, HEADER_LEN, TYPE_ADVERTISEMENT, VERSION};

/// The fields of one advertisement, independent of any buffer.
///
/// Version, type and authlen are fixed by the protocol and so are not
/// stored: [`Advert::parse`] rejects anything else and [`Advert::emit`]
/// writes the constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Advert {
    /// Virtual host id.
    pub vhid: u8,
    /// Skew in 1/256 s (255 only in the bow-out advert).
    pub advskew: u8,
    /// Sender's demotion count (OpenBSD), 0 from FreeBSD/NetBSD/ucarp.
    pub demote: u8,
    /// Base interval in seconds (255 only in the bow-out advert).
    pub advbase: u8,
    /// The replay counter.
    pub counter: u64,
    /// HMAC-SHA1 digest.
    pub digest: [u8; DIGEST_LEN],
}

impl Advert {
    /// Parses and validates a view: checksum, then version, type, authlen.
    ///
    /// # Errors
    /// The first [`WireError`] found, in that order.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Advert, WireError> {
        packet.check_checksum()?;
        Advert::parse_fields(packet)
    }

    /// Validates version, type and authlen and reads the fields, leaving the
    /// checksum to a caller that checked it already (carp-ifnet checks it
    /// earlier, in the BSD order of input checks).
    ///
    /// # Errors
    /// As [`Advert::check_fields`].
    pub fn parse_fields<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Advert, WireError> {
        Advert::check_fields(packet)?;
        Ok(Advert::read_fields(packet))
    }

    /// The fields as they are, for a caller that ran
    /// [`Advert::check_fields`] already (a field of a packet too short for
    /// it reads as zero).
    #[inline]
    pub fn read_fields<T: AsRef<[u8]>>(packet: &Packet<T>) -> Advert {
        Advert {
            vhid: packet.vhid(),
            advskew: packet.advskew(),
            demote: packet.demote(),
            advbase: packet.advbase(),
            counter: packet.counter(),
            digest: packet.digest(),
        }
    }

    /// The checks of [`Advert::parse_fields`] without reading the fields: a
    /// caller that rejects most packets (a flood) copies nothing out of
    /// those it rejects.
    ///
    /// # Errors
    /// The first of [`WireError::Truncated`], [`WireError::BadVersion`],
    /// [`WireError::BadType`] and [`WireError::BadAuthLen`] that applies.
    #[inline]
    pub fn check_fields<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<(), WireError> {
        packet.check_len()?;
        if packet.version() != VERSION {
            return Err(WireError::BadVersion(packet.version()));
        }
        if packet.kind() != TYPE_ADVERTISEMENT {
            return Err(WireError::BadType(packet.kind()));
        }
        if packet.authlen() != AUTHLEN {
            return Err(WireError::BadAuthLen(packet.authlen()));
        }
        Ok(())
    }

    /// Bytes [`Advert::emit`] writes.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the advert, checksum last.
    ///
    /// # Errors
    /// [`WireError::Truncated`] when the buffer is too short; nothing is
    /// written then.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut Packet<T>,
    ) -> Result<(), WireError> {
        packet.check_len()?;
        packet.set_version_type(VERSION, TYPE_ADVERTISEMENT);
        packet.set_vhid(self.vhid);
        packet.set_advskew(self.advskew);
        packet.set_authlen(AUTHLEN);
        packet.set_demote(self.demote);
        packet.set_advbase(self.advbase);
        packet.set_counter(self.counter);
        packet.set_digest(&self.digest);
        packet.fill_checksum();
        Ok(())
    }

    /// True for the advert a leaving master sends (advbase and advskew 255).
    pub const fn is_bow_out(&self) -> bool {
        self.advbase == super::BOW_OUT && self.advskew == super::BOW_OUT
    }
}
