//! The memory table of `docs/embedding.md`, held to the code (64-bit
//! targets; the table says so).

use super::*;
use carp_ifnet::carpif::CarpIf;
use core::mem::size_of;

const DOC: &str = include_str!("../../../../docs/embedding.md");

/// The byte count on the table row whose first cell starts with `what`.
fn documented(what: &str) -> usize {
    DOC.lines()
        .filter_map(|l| l.strip_prefix("| "))
        .find(|l| l.starts_with(what))
        .and_then(|l| l.trim_end_matches(" |").rsplit("| ").next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("docs/embedding.md has no size row for {what:?}"))
}

#[test]
#[cfg(target_pointer_width = "64")]
fn memory_figures() {
    assert_eq!(
        size_of::<carp_core::VirtualHost>(),
        1000,
        "the vhid slot row names 1000"
    );
    let slot = documented("one vhid slot");
    assert_eq!(size_of::<CarpIf<2>>() - size_of::<CarpIf<1>>(), slot);
    // The table is for the bounded event queue; with carp-ifnet's `alloc`
    // (a workspace build, where carpd asks for it) the queue is smaller.
    let grown = carp_ifnet::carpif::BOUNDED_QUEUE_BYTES - carp_ifnet::carpif::QUEUE_BYTES;
    let carpif = |n: usize| n + grown;
    let queue = carp_ifnet::carpif::BOUNDED_QUEUE_BYTES;
    assert!(
        DOC.contains(&std::format!("{queue} bytes are its event queue")),
        "the queue is {queue} bytes"
    );
    assert_eq!(carpif(size_of::<CarpIf<1>>()), documented("`CarpIf<1>`"));
    assert_eq!(carpif(size_of::<CarpIf<16>>()), documented("`CarpIf<16>`"));
    assert_eq!(
        carpif(size_of::<CarpIf<255>>()),
        documented("`CarpIf<255>`")
    );
    let parent = documented("a parent in the engine");
    assert_eq!(size_of::<Parent<16>>() - size_of::<CarpIf<16>>(), parent);
    assert_eq!(size_of::<Parent<255>>() - size_of::<CarpIf<255>>(), parent);
    type Bare<const M: usize> = Engine<heapless::Vec<Parent<16>, 0>, 16, M>;
    let entry = documented("one entry of the engine");
    assert_eq!(size_of::<Bare<1>>() - size_of::<Bare<0>>(), entry);
    assert_eq!(
        size_of::<Bare<0>>(),
        documented("an `Engine` with no parent room")
    );
    assert_eq!(
        size_of::<carp_sysctl::Sysctl>(),
        documented("the host's `Sysctl`")
    );
    // The worked example in the text below the table.
    let example = size_of::<Engine<heapless::Vec<Parent<16>, 2>, 16, 32>>() + 2 * grown;
    assert!(
        DOC.contains(&std::format!("32>`, is {example} bytes")),
        "example is {example}"
    );
    let hosted = size_of::<Engine<heapless::Vec<Parent<255>, 0>, 255, HOSTED_ITEMS>>();
    assert_eq!(hosted / 1024, 506, "hosted engine {hosted}");
    assert!(DOC.contains("are 506 KiB plus 357 KiB per parent"));
    assert_eq!(carpif(size_of::<Parent<255>>()) / 1024, 357);
}
