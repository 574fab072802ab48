//! The IP stack: smoltcp, one interface per MAC address.
//!
//! smoltcp's `Interface` has exactly one hardware address, and carp needs
//! two on one wire: the parent's own (its own IPv4 address) and, per vhid,
//! the virtual MAC 00:00:5e:00:01:<vhid> that every frame for a virtual
//! address must come from while this host is MASTER. So the kernel runs
//! several smoltcp interfaces over the one NIC, as BSD stacks carpN on its
//! carpdev:
//!
//! * the parent interface: the NIC's MAC and the `ip=` address;
//! * one virtual interface per vhid this host has been MASTER of: the
//!   virtual MAC, and the vhid's virtual addresses only while MASTER (as
//!   [`crate::carp_glue::Carp::owned`] says). It answers ping itself and serves a one-line
//!   TCP greeting on [`HELLO_PORT`].
//!
//! Each received frame goes to one interface, by destination MAC (a frame
//! for a virtual MAC goes to its interface, broadcasts to the parent's).
//! ARP for virtual addresses is carp's: carp-ifnet answers it from the
//! virtual MAC (or stays silent as BACKUP); the virtual interface is shown
//! the request only to learn the asker's MAC, and its own ARP replies are
//! dropped on the way out. When a vhid stops being MASTER, its interface
//! loses the addresses and its TCP connection is dropped without a RST
//! (the new master owns the address now), and it is not polled again
//! until it is MASTER again.

use core::net::IpAddr;

use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet, SocketStorage};
use smoltcp::phy::{Device, DeviceCapabilities, Medium, RxToken, TxToken};
use smoltcp::socket::tcp;
use smoltcp::time::Instant as NetInstant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpCidr, Ipv4Address, Ipv4Cidr};

use carp_ifnet::arp::emit_gratuitous_arp;
use carp_ifnet::lladdr::{LinkType, MacAddr};

use crate::carp_glue::Owned;
use crate::nic::Nic;

/// TCP port of the greeting the virtual address serves while MASTER.
pub const HELLO_PORT: u16 = 7000;
/// Virtual interfaces (vhids) the stack can hold.
pub const MAX_VIFS: usize = 2;
const TCP_BUF: usize = 1024;
const FRAME: usize = 1514;

/// Socket memory for one virtual interface (lives in `kmain`'s frame).
pub struct VifStorage<'a> {
    sockets: [SocketStorage<'a>; 1],
    rx: [u8; TCP_BUF],
    tx: [u8; TCP_BUF],
}

impl VifStorage<'_> {
    /// Empty storage.
    pub const fn new() -> Self {
        VifStorage {
            sockets: [SocketStorage::EMPTY; 1],
            rx: [0; TCP_BUF],
            tx: [0; TCP_BUF],
        }
    }
}

/// A one-frame view of the NIC for one `Interface::poll`: the frame to
/// receive (if any) and the NIC to transmit on.
struct Port<'f, 'n> {
    rx: Option<&'f [u8]>,
    nic: &'n mut Nic,
    /// Drop ARP replies (carp answers ARP for virtual addresses).
    drop_arp_replies: bool,
    /// Drop everything (a vhid that is no longer MASTER).
    mute: bool,
}

struct Rx<'f>(&'f [u8]);
struct Tx<'n> {
    nic: &'n mut Nic,
    drop_arp_replies: bool,
    mute: bool,
}

impl RxToken for Rx<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(self.0)
    }
}

impl TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = [0u8; FRAME];
        let len = len.min(FRAME);
        let r = f(&mut buf[..len]);
        // ARP (0x0806) with operation 2 (reply).
        let arp_reply = buf[12..14] == [0x08, 0x06] && buf[20..22] == [0, 2];
        if !(self.mute || self.drop_arp_replies && arp_reply) {
            let _ = self.nic.send(&buf[..len]);
        }
        r
    }
}

impl Device for Port<'_, '_> {
    type RxToken<'a>
        = Rx<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = Tx<'a>
    where
        Self: 'a;

    fn receive(&mut self, _: NetInstant) -> Option<(Rx<'_>, Tx<'_>)> {
        let frame = self.rx.take()?;
        Some((
            Rx(frame),
            Tx {
                nic: self.nic,
                drop_arp_replies: self.drop_arp_replies,
                mute: self.mute,
            },
        ))
    }

    fn transmit(&mut self, _: NetInstant) -> Option<Tx<'_>> {
        Some(Tx {
            nic: self.nic,
            drop_arp_replies: self.drop_arp_replies,
            mute: self.mute,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = FRAME;
        caps
    }
}

/// One vhid's interface.
struct Vif<'a> {
    vhid: u8,
    mac: [u8; 6],
    iface: Interface,
    sockets: SocketSet<'a>,
    hello: SocketHandle,
    master: bool,
    greeted: bool,
}

/// The parent interface and the virtual ones.
pub struct Net<'a> {
    mac: [u8; 6],
    /// Prefix length of the parent's network, given to virtual addresses.
    prefix: u8,
    parent: Interface,
    parent_sockets: SocketSet<'a>,
    vifs: heapless::Vec<Vif<'a>, MAX_VIFS>,
    storage: heapless::Vec<&'a mut VifStorage<'a>, MAX_VIFS>,
    generation: u64,
}

fn now(us: u64) -> NetInstant {
    NetInstant::from_micros(i64::try_from(us).unwrap_or(i64::MAX))
}

fn eth(mac: [u8; 6]) -> HardwareAddress {
    HardwareAddress::Ethernet(EthernetAddress(mac))
}

/// Announces the parent's own address once with a gratuitous ARP, as BSD's
/// `arp_ifinit` does when an address is set (smoltcp does not). It is also
/// the NIC's first transmit, so under TCG the first advert of a takeover
/// does not pay for translating the send path (see `crate::rehearsal`).
fn announce(nic: &mut Nic, mac: [u8; 6], own: Ipv4Address) {
    let mut frame = [0u8; 64];
    if let Ok(len) = emit_gratuitous_arp(LinkType::Ethernet, MacAddr(mac), own, &mut frame) {
        let _ = nic.send(frame.get(..len).unwrap_or_default());
    }
}

impl<'a> Net<'a> {
    /// The stack over `nic` with the parent's own address `own` (and
    /// prefix length), and socket memory for the virtual interfaces.
    pub fn new(
        nic: &mut Nic,
        own: (Ipv4Address, u8),
        now_us: u64,
        parent_sockets: &'a mut [SocketStorage<'a>],
        storage: [&'a mut VifStorage<'a>; MAX_VIFS],
    ) -> Net<'a> {
        let mac = nic.mac();
        let mut port = Port {
            rx: None,
            nic,
            drop_arp_replies: false,
            mute: false,
        };
        let mut config = Config::new(eth(mac));
        config.random_seed = crate::clock::tsc();
        let mut parent = Interface::new(config, &mut port, now(now_us));
        parent.update_ip_addrs(|a| {
            let _ = a.push(IpCidr::Ipv4(Ipv4Cidr::new(own.0, own.1)));
        });
        announce(nic, mac, own.0);
        let mut vec = heapless::Vec::new();
        for s in storage {
            let _ = vec.push(s);
        }
        Net {
            mac,
            prefix: own.1,
            parent,
            parent_sockets: SocketSet::new(parent_sockets),
            vifs: heapless::Vec::new(),
            storage: vec,
            generation: u64::MAX,
        }
    }

    /// The carp state generation last synced.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Gives each virtual interface the addresses carp says this host owns
    /// now ([`crate::carp_glue::Carp::owned`]); `generation` is carp's state generation, and
    /// nothing is done when it has not moved.
    pub fn sync(&mut self, generation: u64, owned: &Owned, nic: &mut Nic, now_us: u64) {
        if self.generation == generation {
            return;
        }
        self.generation = generation;
        for vif in &mut self.vifs {
            vif.master = false;
        }
        let prefix = self.prefix;
        for (vhid, mac, addrs) in owned {
            let Some(vif) = self.vif(*vhid, *mac, nic, now_us) else {
                continue;
            };
            vif.master = true;
            vif.iface.update_ip_addrs(|list| {
                list.clear();
                for a in addrs {
                    if let IpAddr::V4(v4) = a {
                        let _ = list.push(IpCidr::Ipv4(Ipv4Cidr::new(*v4, prefix)));
                    }
                }
            });
        }
        for vif in &mut self.vifs {
            if !vif.master && !vif.iface.ip_addrs().is_empty() {
                vif.iface.update_ip_addrs(|list| list.clear());
                // Forget the connection without a word: the address is
                // the new master's now, and a RST from here would cut it.
                vif.sockets.get_mut::<tcp::Socket>(vif.hello).abort();
                let mut port = Port {
                    rx: None,
                    nic,
                    drop_arp_replies: true,
                    mute: true,
                };
                vif.iface.poll(now(now_us), &mut port, &mut vif.sockets);
            }
        }
    }

    /// The interface of `vhid`, created on first use.
    fn vif(&mut self, vhid: u8, mac: [u8; 6], nic: &mut Nic, now_us: u64) -> Option<&mut Vif<'a>> {
        if let Some(at) = self.vifs.iter().position(|v| v.vhid == vhid) {
            return self.vifs.get_mut(at);
        }
        let storage = self.storage.pop()?;
        let mut port = Port {
            rx: None,
            nic,
            drop_arp_replies: true,
            mute: false,
        };
        let mut config = Config::new(eth(mac));
        config.random_seed = crate::clock::tsc() ^ u64::from(vhid);
        let iface = Interface::new(config, &mut port, now(now_us));
        let mut sockets = SocketSet::new(&mut storage.sockets[..]);
        let socket = tcp::Socket::new(
            tcp::SocketBuffer::new(&mut storage.rx[..]),
            tcp::SocketBuffer::new(&mut storage.tx[..]),
        );
        let hello = sockets.add(socket);
        let vif = Vif {
            vhid,
            mac,
            iface,
            sockets,
            hello,
            master: false,
            greeted: false,
        };
        self.vifs.push(vif).ok()?;
        self.vifs.last_mut()
    }

    /// Hands a received frame to the interface it is for. `learn_only`:
    /// an ARP request carp has answered (see the module docs).
    pub fn ingress(&mut self, frame: &[u8], learn_only: bool, nic: &mut Nic, now_us: u64) {
        let Some(dst) = frame.get(0..6) else { return };
        let group = dst[0] & 1 == 1;
        if learn_only {
            // An ARP request for a virtual address: the vif whose address
            // it asks for learns the sender.
            let target = frame.get(38..42);
            for vif in self.vifs.iter_mut().filter(|v| v.master) {
                let ours = vif.iface.ip_addrs().iter().any(|c| match c.address() {
                    smoltcp::wire::IpAddress::Ipv4(a) => Some(&a.octets()[..]) == target,
                });
                if ours {
                    let mut port = Port {
                        rx: Some(frame),
                        nic,
                        drop_arp_replies: true,
                        mute: false,
                    };
                    vif.iface.poll(now(now_us), &mut port, &mut vif.sockets);
                }
            }
            return;
        }
        if let Some(vif) = self.vifs.iter_mut().find(|v| v.master && dst == v.mac) {
            let mut port = Port {
                rx: Some(frame),
                nic,
                drop_arp_replies: true,
                mute: false,
            };
            vif.iface.poll(now(now_us), &mut port, &mut vif.sockets);
        } else if group || dst == self.mac {
            let mut port = Port {
                rx: Some(frame),
                nic,
                drop_arp_replies: false,
                mute: false,
            };
            self.parent
                .poll(now(now_us), &mut port, &mut self.parent_sockets);
        }
    }

    /// Runs the interfaces' timers and the greeting service.
    pub fn poll(&mut self, nic: &mut Nic, now_us: u64) {
        let mut port = Port {
            rx: None,
            nic: &mut *nic,
            drop_arp_replies: false,
            mute: false,
        };
        self.parent
            .poll(now(now_us), &mut port, &mut self.parent_sockets);
        for vif in self.vifs.iter_mut().filter(|v| v.master) {
            let socket = vif.sockets.get_mut::<tcp::Socket>(vif.hello);
            if !socket.is_open() {
                let _ = socket.listen(HELLO_PORT);
                vif.greeted = false;
            }
            if socket.can_send() && !vif.greeted {
                let mut line = crate::LineBuf::new();
                let m = vif.mac;
                let _ = core::fmt::Write::write_fmt(
                    &mut line,
                    format_args!(
                        "hello from carp vhid {} at {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}\n",
                        vif.vhid, m[0], m[1], m[2], m[3], m[4], m[5]
                    ),
                );
                let _ = socket.send_slice(line.as_str().as_bytes());
                socket.close();
                vif.greeted = true;
            }
            let mut port = Port {
                rx: None,
                nic: &mut *nic,
                drop_arp_replies: true,
                mute: false,
            };
            vif.iface.poll(now(now_us), &mut port, &mut vif.sockets);
        }
    }
}
