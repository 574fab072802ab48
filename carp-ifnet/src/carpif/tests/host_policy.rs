//! The host policy an advert is elected with is the `Sysctl`'s as it is
//! at that input: `CarpIf` keeps the last one it read
//! (`CarpIf::host_policy`) only while the same `Sysctl` has not been
//! written since.

use super::*;

/// A master of vhid 1 advertising advskew 100 (worse than the backups'
/// 0 below) and its first advert.
fn worse_master_advert() -> Vec<u8> {
    let mut m = host(11, &[(1, 100)]);
    m.force(us(0), 1, State::Master).unwrap();
    m.sent(us(0))
        .into_iter()
        .find(|f| f[12..14] == [0x08, 0x00] && f[23] == 112)
        .unwrap()
}

#[test]
fn preempt_set_between_two_adverts_applies_to_the_second() {
    let advert = worse_master_advert();
    let mut b = host(12, &[(1, 0)]);
    // Preempt off: a worse master is left alone (BSD carp_proto_input_c).
    b.input(us(10), &advert).unwrap();
    assert_eq!(b.state(1), State::Backup);
    // No poll in between: the input alone must see the write.
    b.s.set_line("net.inet.carp.preempt=1").unwrap();
    b.input(us(20), &advert).unwrap();
    assert_eq!(b.state(1), State::Master);
}

#[test]
fn another_sysctl_with_the_same_generation_is_read_afresh() {
    let advert = worse_master_advert();
    let mut b = host(12, &[(1, 0)]);
    // One write each: both trees are at the same generation, and only the
    // second preempts.
    b.s.set_line("net.inet.carp.log=1").unwrap();
    let preempting = Sysctl::new();
    preempting.set_line("net.inet.carp.preempt=1").unwrap();
    assert_eq!(b.s.generation(), preempting.generation());
    b.input(us(10), &advert).unwrap();
    assert_eq!(b.state(1), State::Backup);
    b.cif.input(us(20), &advert, &preempting).unwrap();
    assert_eq!(b.state(1), State::Master);
}
