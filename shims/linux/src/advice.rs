//! What an operator should be told about a configuration the engine
//! accepted: vhids that will sit in INIT for want of an address, and CARP
//! vhids that sign with the empty passphrase (any host on the link can
//! forge their adverts; a VRRPv3 vhid has no authentication to warn about,
//! RFC 9568 removed it). Said at start, after every reload, and by `carpctl
//! check`.

use carp_core::auth::Key;

use crate::control::handler::HostEngine;

/// One warning per vhid that needs one, `eth0 vhid 3: ...`, in parent and
/// vhid order.
pub fn warnings(engine: &HostEngine) -> Vec<String> {
    let mut out = Vec::new();
    for p in engine.parents() {
        for h in p.carpif().vhosts() {
            let vhid = h.vhid().get();
            let at = match engine.name_of(p.id(), vhid) {
                Some(n) => format!("{} ({} vhid {vhid})", n.as_str(), p.name().as_str()),
                None => format!("{} vhid {vhid}", p.name().as_str()),
            };
            if h.config().addresses().is_empty() {
                out.push(format!(
                    "{at}: no address: it stays in INIT (carp advertises its addresses; \
                     give at least one)"
                ));
            }
            if !h.config().is_vrrp() && h.config().key.padded() == Key::EMPTY.padded() {
                out.push(format!(
                    "{at}: no passphrase: its adverts are signed with the empty key, which \
                     any host on the link can forge (ucarp refuses this)"
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use carp_core::Instant;
    use carp_ifnet::driver::{LinkState, ParentInfo};
    use carp_ifnet::lladdr::MacAddr;

    #[test]
    fn an_addressless_or_keyless_vhid_is_named() {
        let mut e = Box::new(HostEngine::new(Vec::new()));
        e.add_parent(
            "eth0",
            ParentInfo::ethernet(MacAddr([2, 0, 0, 0, 0, 1])),
            LinkState::Up,
        )
        .unwrap();
        let text = "ifconfig carp0 create vhid 1 pass x carpdev eth0 192.0.2.1/24\n\
                    ifconfig eth0 vhid 2 pass y\n\
                    ifconfig eth0 vhid 3 alias 192.0.2.3/32\n\
                    ifconfig eth0 vhid 4 carpver 3 alias 192.0.2.4/32\n";
        e.apply_config(Instant::ZERO, text, None).unwrap();
        assert_eq!(
            warnings(&e),
            [
                "eth0 vhid 2: no address: it stays in INIT (carp advertises its addresses; give \
                 at least one)",
                "eth0 vhid 3: no passphrase: its adverts are signed with the empty key, which \
                 any host on the link can forge (ucarp refuses this)",
            ]
        );
    }
}
