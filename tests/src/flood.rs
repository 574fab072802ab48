//! The frames of the flood bench (`tests/tests/flood.rs`) and the paced
//! sender that puts them on a lab's bridge (`src/bin/carp-flood.rs`).
//!
//! Every kind is an IPv4 frame to 224.0.0.18 (01:00:5e:00:00:12) from
//! [`ATTACKER_IP`], built with the library's own emitters so the bytes are
//! what a CARP host would send, then altered the way an attacker would:
//!
//! | kind | what it is | BSD carp drops it at |
//! |---|---|---|
//! | `forged` | advert for the victim's vhid, advskew 0, digest of a wrong key | the HMAC (`badauth`) |
//! | `badvhid` | the same for vhid + 1 | the vhid lookup (`badvhid`) |
//! | `ttl254` | the forged advert with TTL 254 | the TTL check (`badttl`) |
//! | `vrrp` | a VRRPv3 advert (RFC 5798 section 5.1) for vrid = the vhid, priority 1, one address | FreeBSD 14: the version (`badver`: a VRRPv3 advert for a CARP vhid, `carp_input`); OpenBSD: the length (`badlen`: 12 bytes < 36) |

use std::io;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use carp_core::wire::{checksum, Advert, Packet, HEADER_LEN, TOS_LOWDELAY};
use carp_core::{AuthContext, Vhid, VhostConfig};
use carp_ifnet::frame::{emit_advert, AdvertIp, MAX_FRAME_LEN};
use carp_ifnet::lladdr::{LinkType, MacAddr};

/// Source address of every flood frame.
pub const ATTACKER_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 66);
/// Source MAC of every flood frame.
pub const ATTACKER_MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x66];
/// The address the VRRP frames claim.
pub const VRRP_ADDRESS: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 200);

const ETH: usize = 14;
const IP_TTL_AT: usize = ETH + 8;

/// What a flood is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A better advert for the victim's vhid signed with a wrong key.
    Forged,
    /// The forged advert for a vhid the victim does not run.
    BadVhid,
    /// The forged advert with TTL 254 (sent from off-link).
    Ttl254,
    /// A VRRPv3 router's advert on the same protocol number and group.
    Vrrp,
}

impl Kind {
    /// All kinds, in the order the bench runs them.
    pub const ALL: [Kind; 4] = [Kind::Forged, Kind::BadVhid, Kind::Ttl254, Kind::Vrrp];

    /// Its name in the bench's lines and on the sender's command line.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Forged => "forged",
            Kind::BadVhid => "badvhid",
            Kind::Ttl254 => "ttl254",
            Kind::Vrrp => "vrrp",
        }
    }

    /// The kind called `name`.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

fn fix_ipv4_checksum(frame: &mut [u8]) {
    frame[ETH + 10..ETH + 12].fill(0);
    let sum = checksum(&frame[ETH..ETH + 20]);
    frame[ETH + 10..ETH + 12].copy_from_slice(&sum.to_be_bytes());
}

/// A CARP advert frame for `vhid` (advskew 0, advbase 1) signed with a key
/// the victim does not have.
fn forged_advert(vhid: u8) -> Vec<u8> {
    let wrong = VhostConfig::new(Vhid::new(vhid).expect("vhid 1..=254"))
        .with_passphrase(b"not-the-key")
        .expect("passphrase");
    let auth = wrong.with_auth_input(|input| AuthContext::new(&wrong.key, input));
    let counter = 0x5eed_0000_0000_0001;
    let advert = Advert {
        vhid,
        advskew: 0,
        demote: 0,
        advbase: 1,
        counter,
        digest: auth.sign(counter),
    };
    let mut carp = [0u8; HEADER_LEN];
    advert
        .emit(&mut Packet::new_unchecked(&mut carp[..]))
        .expect("advert fits");
    let mut out = [0u8; MAX_FRAME_LEN];
    let ip = AdvertIp::V4 {
        src: ATTACKER_IP,
        tos: TOS_LOWDELAY,
        ident: 1,
    };
    let n = emit_advert(
        LinkType::Ethernet,
        MacAddr(ATTACKER_MAC),
        ip,
        &carp,
        &mut out,
    )
    .expect("frame fits");
    out[..n].to_vec()
}

/// A VRRPv3 advertisement (RFC 5798 section 5.1) for `vrid` with priority
/// 1, max advert interval 100 centiseconds and [`VRRP_ADDRESS`]; its
/// checksum covers the IPv4 pseudo-header (section 5.2.8).
fn vrrp_advert(vrid: u8) -> Vec<u8> {
    let mut vrrp = [0x31, vrid, 1, 1, 0x00, 100, 0, 0, 0, 0, 0, 0];
    vrrp[8..12].copy_from_slice(&VRRP_ADDRESS.octets());
    let group = carp_core::wire::GROUP_V4.octets();
    let src = ATTACKER_IP.octets();
    let mut pseudo = Vec::with_capacity(12 + vrrp.len());
    pseudo.extend_from_slice(&src);
    pseudo.extend_from_slice(&group);
    pseudo.extend_from_slice(&[0, carp_core::wire::PROTO, 0, vrrp.len() as u8]);
    pseudo.extend_from_slice(&vrrp);
    let sum = checksum(&pseudo);
    vrrp[6..8].copy_from_slice(&sum.to_be_bytes());
    let mut frame = Vec::with_capacity(ETH + 20 + vrrp.len());
    frame.extend_from_slice(&LinkType::Ethernet.multicast_mac_v4().octets());
    frame.extend_from_slice(&ATTACKER_MAC);
    frame.extend_from_slice(&[0x08, 0x00]);
    let total = (20 + vrrp.len()) as u16;
    frame.extend_from_slice(&[0x45, 0xc0]);
    frame.extend_from_slice(&total.to_be_bytes());
    frame.extend_from_slice(&[0, 1, 0, 0, 255, carp_core::wire::PROTO, 0, 0]);
    frame.extend_from_slice(&src);
    frame.extend_from_slice(&group);
    frame.extend_from_slice(&vrrp);
    fix_ipv4_checksum(&mut frame);
    frame
}

/// The frame of `kind` aimed at a victim running `vhid` (1..=254).
pub fn frame(kind: Kind, vhid: u8) -> Vec<u8> {
    match kind {
        Kind::Forged => forged_advert(vhid),
        Kind::BadVhid => forged_advert(vhid.wrapping_add(1).max(1)),
        Kind::Ttl254 => {
            let mut f = forged_advert(vhid);
            f[IP_TTL_AT] = 254;
            fix_ipv4_checksum(&mut f);
            f
        }
        Kind::Vrrp => vrrp_advert(vhid),
    }
}

/// Sends `frame` `count` times through `send`, frame `i` at `start + i /
/// rate` (sleeping in between), and returns how long it took.
///
/// # Errors
/// The first failing send.
pub fn paced(
    count: u64,
    rate: u64,
    mut send: impl FnMut() -> io::Result<()>,
) -> io::Result<Duration> {
    let start = Instant::now();
    let rate = rate.max(1);
    for i in 0..count {
        send()?;
        let due = start + Duration::from_nanos((i + 1).saturating_mul(1_000_000_000) / rate);
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
    }
    Ok(start.elapsed())
}

#[cfg(test)]
mod tests {
    use carp_core::wire::verify_checksum;
    use carp_ifnet::frame::{parse, Body};

    use super::*;

    fn carp_payload(f: &[u8]) -> (u8, Vec<u8>) {
        let parsed = parse(LinkType::Ethernet, f).expect("a valid frame");
        match parsed.body {
            Body::Ipv4 { header, payload } => (header.ttl, payload.to_vec()),
            _ => panic!("not IPv4"),
        }
    }

    #[test]
    fn forged_bad_vhid_and_ttl_frames_are_well_formed_carp() {
        for (kind, vhid, ttl) in [
            (Kind::Forged, 1, 255),
            (Kind::BadVhid, 2, 255),
            (Kind::Ttl254, 1, 254),
        ] {
            let (got_ttl, payload) = carp_payload(&frame(kind, 1));
            assert_eq!(got_ttl, ttl, "{kind:?}");
            assert_eq!(payload.len(), HEADER_LEN);
            assert!(verify_checksum(&payload), "{kind:?}");
            assert_eq!(payload[0], 0x21, "version 2, type 1");
            assert_eq!(payload[1], vhid, "{kind:?}");
        }
    }

    #[test]
    fn vrrp_frame_has_the_rfc_5798_checksum_and_fails_carp_length() {
        let f = frame(Kind::Vrrp, 1);
        let (ttl, payload) = carp_payload(&f);
        assert_eq!(ttl, 255);
        assert_eq!(payload.len(), 12);
        assert_eq!(payload[0], 0x31, "version 3, type 1");
        // RFC 5798 5.2.8: the checksum over pseudo-header and message is 0.
        let mut pseudo = vec![192, 0, 2, 66, 224, 0, 0, 18, 0, 112, 0, 12];
        pseudo.extend_from_slice(&payload);
        assert_eq!(checksum(&pseudo), 0);
    }

    #[test]
    fn kinds_round_trip_their_names() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_name(k.name()), Some(k));
        }
        assert_eq!(Kind::from_name("nope"), None);
    }
}
