//! The simulated network of the engine tests: two endpoints, A and B, on a
//! link where the test decides each datagram's fate (deliver, drop,
//! duplicate, delay), an optional NAT in front of A, and a virtual clock.
//!
//! Every datagram is also decoded for the assertions: the IKE header, and
//! the payloads inside SK, opened with the keys the endpoints log in their
//! `IkeKeys` events (so a test can say "B answered TEMPORARY_FAILURE" or
//! "A signed with AUTH method 1"). Included with `#[path]` by the
//! `engine_*` test files.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;

use rike::crypto::sk::SkDirection;
use rike::crypto::{CryptoProvider, CryptoResult, Random, RustCrypto, Secret, SeededRandom};
use rike::engine::{
    ChildConfig, ChildId, ChildSaInfo, Config, DownReason, Endpoint, Event, Identity, IkeKeyRecord,
    IpsecMode, LocalAuth, PeerConfig, ProposalSpec, RemoteAuth, SaHandle, TrafficSelector,
    Transmit,
};
use rike::wire::header::{Flags, Header, HEADER_LEN, PAYLOAD_HEADER_LEN};
use rike::wire::message::PayloadIter;
use rike::wire::registry::{
    AuthMethodV2, ExchangeType, KeMethod, NotifyTypeV2, PayloadType, ProtocolIdV2,
};
use rike::wire::transport::NON_ESP_MARKER;
use rike::wire::v2::{decode, Payload};
use rike::wire::{IkeVersion, Mode};

pub const A_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
pub const B_IP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 20);
/// The NAT's public address when A is behind it.
pub const NAT_IP: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 7);
/// One-way delay of the link.
pub const LATENCY: u64 = 10;

pub fn addr(ip: impl Into<IpAddr>, port: u16) -> SocketAddr {
    SocketAddr::new(ip.into(), port)
}

pub fn ts(s: &str) -> TrafficSelector {
    TrafficSelector::parse(s).unwrap()
}

pub fn child(name: &str, local: &str, remote: &str) -> ChildConfig {
    ChildConfig {
        name: name.into(),
        esp: ProposalSpec::parse_list("aes256gcm16-x25519,aes128-sha256-modp2048", false).unwrap(),
        local_ts: vec![ts(local)],
        remote_ts: vec![ts(remote)],
        mode: IpsecMode::Tunnel,
        rekey_ms: None,
        lifetime_ms: None,
    }
}

pub fn psk_peer(
    name: &str,
    remote: Option<SocketAddr>,
    me: &str,
    them: &str,
    psk: &[u8],
) -> PeerConfig {
    PeerConfig {
        name: name.into(),
        remote,
        local_id: Identity::parse(me),
        remote_id: Some(Identity::parse(them)),
        local_auth: LocalAuth::Psk(Secret::from_slice(psk)),
        remote_auth: RemoteAuth::Psk(Secret::from_slice(psk)),
        ike: ProposalSpec::parse_list("aes256gcm16-prfsha256-x25519,aes128-sha256-modp2048", true)
            .unwrap(),
        children: vec![],
        ike_rekey_ms: None,
        dpd_ms: None,
        fragmentation: true,
        initial_contact: true,
        force_encap: false,
        ikev1: None,
    }
}

/// A's configuration: initiates to B with one Child SA, 10.1/16 ⇄ 10.2/16.
pub fn initiator_peer() -> PeerConfig {
    let mut p = psk_peer(
        "to-b",
        Some(addr(B_IP, 500)),
        "a.example",
        "b.example",
        b"correct horse",
    );
    p.children = vec![child("net", "10.1.0.0/16", "10.2.0.0/16")];
    p
}

/// B's configuration: answers A.
pub fn responder_peer() -> PeerConfig {
    let mut p = psk_peer("from-a", None, "b.example", "a.example", b"correct horse");
    p.children = vec![child("net", "10.2.0.0/16", "10.1.0.0/16")];
    p
}

/// Sets the first octet of the endpoint's next nonces, like strongSwan's
/// `nonce_first_byte`, so that a test decides which exchange of a
/// collision has the lowest nonce (RFC 7296 §2.8.1). Every 32-octet draw
/// of the random source gets it: nonces (and X25519 private values, which
/// are clamped anyway).
#[derive(Clone, Default)]
pub struct NonceKnob(Arc<AtomicU16>);

impl NonceKnob {
    pub fn set(&self, first: Option<u8>) {
        self.0
            .store(first.map_or(0, |b| 0x100 | u16::from(b)), Ordering::SeqCst);
    }
}

struct KnobRandom {
    inner: SeededRandom,
    knob: NonceKnob,
}

impl Random for KnobRandom {
    fn fill(&mut self, out: &mut [u8]) -> CryptoResult<()> {
        self.inner.fill(out)?;
        let k = self.knob.0.load(Ordering::SeqCst);
        if out.len() == 32 && k & 0x100 != 0 {
            out[0] = k as u8;
        }
        Ok(())
    }
}

/// An endpoint and the knob on its nonces.
pub struct Node {
    pub ep: Endpoint,
    pub nonce: NonceKnob,
}

/// An endpoint with these peers, a seeded random source and `tweak`
/// applied to the defaults.
pub fn endpoint(peers: Vec<PeerConfig>, seed: u8, tweak: impl FnOnce(&mut Config)) -> Node {
    let mut cfg = Config::with_peers(peers);
    tweak(&mut cfg);
    let knob = NonceKnob::default();
    let ep = Endpoint::new(
        Arc::new(cfg),
        Arc::new(RustCrypto::new()),
        Box::new(KnobRandom {
            inner: SeededRandom::from_seed([seed; 32]),
            knob: knob.clone(),
        }),
    );
    Node { ep, nonce: knob }
}

/// One payload inside a decoded message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inner {
    Sa {
        protocol: ProtocolIdV2,
        spi: Vec<u8>,
    },
    Ke(KeMethod),
    Nonce(Vec<u8>),
    Notify {
        ntype: NotifyTypeV2,
        spi: Vec<u8>,
    },
    Delete {
        protocol: ProtocolIdV2,
        spis: Vec<Vec<u8>>,
    },
    Auth(AuthMethodV2),
    Other(PayloadType),
}

/// A datagram as the tests see it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub from_a: bool,
    /// When it was sent.
    pub at: u64,
    pub exchange: ExchangeType,
    pub response: bool,
    /// The sender is the original initiator of the IKE SA.
    pub initiator: bool,
    pub mid: u32,
    pub spi_i: [u8; 8],
    pub spi_r: [u8; 8],
    /// RFC 7383 fragment (number, total).
    pub fragment: Option<(u16, u16)>,
    /// The payloads (inside SK when encrypted); `None` when the message
    /// could not be opened (keys not logged, or a fragment that does not
    /// complete its message; the one that does carries the whole).
    pub inner: Option<Vec<Inner>>,
    /// A fragment's decrypted piece and, for the first, the type of the
    /// first inner payload.
    piece: Option<(PayloadType, Vec<u8>)>,
}

impl Seen {
    pub fn notifies(&self) -> Vec<NotifyTypeV2> {
        self.inner
            .iter()
            .flatten()
            .filter_map(|p| match p {
                Inner::Notify { ntype, .. } => Some(*ntype),
                _ => None,
            })
            .collect()
    }

    pub fn has(&self, t: NotifyTypeV2) -> bool {
        self.notifies().contains(&t)
    }

    /// The ESP SPIs this message deletes.
    pub fn deleted_esp(&self) -> Vec<u32> {
        self.inner
            .iter()
            .flatten()
            .filter_map(|p| match p {
                Inner::Delete { protocol, spis } if *protocol == ProtocolIdV2::ESP => Some(spis),
                _ => None,
            })
            .flatten()
            .filter_map(|s| <[u8; 4]>::try_from(&s[..]).ok().map(u32::from_be_bytes))
            .collect()
    }

    pub fn deletes_ike(&self) -> bool {
        self.inner
            .iter()
            .flatten()
            .any(|p| matches!(p, Inner::Delete { protocol, .. } if *protocol == ProtocolIdV2::IKE))
    }

    pub fn nonce(&self) -> Option<&[u8]> {
        self.inner.iter().flatten().find_map(|p| match p {
            Inner::Nonce(n) => Some(&n[..]),
            _ => None,
        })
    }

    pub fn auth(&self) -> Option<AuthMethodV2> {
        self.inner.iter().flatten().find_map(|p| match p {
            Inner::Auth(m) => Some(*m),
            _ => None,
        })
    }

    /// A CREATE_CHILD_SA that rekeys the IKE SA (its SA payload is for IKE).
    pub fn is_ike_rekey(&self) -> bool {
        self.exchange == ExchangeType::CREATE_CHILD_SA
            && self
                .inner
                .iter()
                .flatten()
                .any(|p| matches!(p, Inner::Sa { protocol, .. } if *protocol == ProtocolIdV2::IKE))
    }

    /// A CREATE_CHILD_SA request that rekeys a Child SA (N(REKEY_SA)).
    pub fn is_child_rekey(&self) -> bool {
        self.exchange == ExchangeType::CREATE_CHILD_SA && self.has(NotifyTypeV2::REKEY_SA)
    }

    pub fn is(&self, from_a: bool, exchange: ExchangeType, response: bool) -> bool {
        self.from_a == from_a && self.exchange == exchange && self.response == response
    }
}

fn inner_payloads(base: &[u8], first: PayloadType, chain: &[u8]) -> Vec<Inner> {
    let mut out = Vec::new();
    for p in PayloadIter::new(base, chain, first, IkeVersion::V2) {
        let Ok(p) = p else { break };
        let item = match decode(base, &p, Mode::Lax) {
            Ok(Payload::Sa(mut props)) => match props.next() {
                Some(Ok(pr)) => Inner::Sa {
                    protocol: pr.protocol_v2(),
                    spi: pr.spi.to_vec(),
                },
                _ => Inner::Other(p.payload_type),
            },
            Ok(Payload::KeyExchange(k)) => Inner::Ke(k.method),
            Ok(Payload::Nonce(n)) => Inner::Nonce(n.to_vec()),
            Ok(Payload::Notify(n)) => Inner::Notify {
                ntype: n.notify_type,
                spi: n.spi.to_vec(),
            },
            Ok(Payload::Delete(d)) => Inner::Delete {
                protocol: d.protocol_id,
                spis: d.spis().map(<[u8]>::to_vec).collect(),
            },
            Ok(Payload::Auth(a)) => Inner::Auth(a.method),
            _ => Inner::Other(p.payload_type),
        };
        out.push(item);
    }
    out
}

/// Decodes an IKE datagram, opening SK with whichever logged keys fit.
pub fn decode_ike(data: &[u8], keys: &[IkeKeyRecord], from_a: bool, at: u64) -> Option<Seen> {
    let ike = match data.strip_prefix(&NON_ESP_MARKER[..]) {
        Some(rest) => rest,
        None => data,
    };
    let h = Header::parse(ike).ok()?;
    let mut seen = Seen {
        from_a,
        at,
        exchange: h.exchange_type,
        response: h.flags.has(Flags::RESPONSE),
        initiator: h.flags.has(Flags::INITIATOR),
        mid: h.message_id,
        spi_i: h.ispi,
        spi_r: h.rspi,
        fragment: None,
        inner: None,
        piece: None,
    };
    let body = ike.get(HEADER_LEN..)?;
    match h.next_payload {
        PayloadType::V2_SK | PayloadType::V2_SKF => {
            let first = PayloadType(*body.first()?);
            let mut header_end = HEADER_LEN + PAYLOAD_HEADER_LEN;
            if h.next_payload == PayloadType::V2_SKF {
                let n = u16::from_be_bytes([*body.get(4)?, *body.get(5)?]);
                let total = u16::from_be_bytes([*body.get(6)?, *body.get(7)?]);
                seen.fragment = Some((n, total));
                header_end += 4;
            }
            let k = keys
                .iter()
                .find(|k| k.spi_i == h.ispi && k.spi_r == h.rspi)?;
            let provider = RustCrypto::new();
            let encr = provider.encryption(k.encr.0, k.encr.1).ok()?;
            let integ = match k.integ {
                Some(i) => Some(provider.integrity(i).ok()?),
                None => None,
            };
            let (ek, ak) = if seen.initiator {
                (&k.sk_ei, &k.sk_ai)
            } else {
                (&k.sk_er, &k.sk_ar)
            };
            let dir = SkDirection {
                encr: &*encr,
                integ: integ.as_deref(),
                ek: ek.expose(),
                ak: ak.expose(),
            };
            let opened = dir.open(ike, header_end).ok()?;
            let chain = opened.plaintext.expose()[..opened.chain_len].to_vec();
            match seen.fragment {
                Some((_, total)) if total > 1 => seen.piece = Some((first, chain)),
                _ => seen.inner = Some(inner_payloads(&chain, first, &chain)),
            }
        }
        first => seen.inner = Some(inner_payloads(ike, first, body)),
    }
    Some(seen)
}

/// A side of the simulated network.
pub struct Side {
    pub ep: Endpoint,
    pub nonce: NonceKnob,
    /// Its own address (behind the NAT for A when `nat` is set).
    pub ip: IpAddr,
    pub events: Vec<Event>,
    pub sent: Vec<Transmit>,
    pub sent_at: Vec<u64>,
}

impl Side {
    fn new(n: Node, ip: IpAddr) -> Side {
        Side {
            ep: n.ep,
            nonce: n.nonce,
            ip,
            events: vec![],
            sent: vec![],
            sent_at: vec![],
        }
    }

    /// Every IKE SA key record this side logged.
    pub fn keys(&self) -> Vec<IkeKeyRecord> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::IkeKeys(k) => Some(k.clone()),
                _ => None,
            })
            .collect()
    }

    /// The latest parameters of each Child SA this side announced.
    pub fn child_info(&self, id: ChildId) -> Option<ChildSaInfo> {
        child_ups(&self.events).into_iter().rfind(|c| c.child == id)
    }
}

/// What happens to a datagram in flight.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Fate {
    Deliver,
    Drop,
    Duplicate,
    /// Delivered after this much extra delay.
    Delay(u64),
}

/// A datagram leaving a side, for the fate function.
pub struct Sent<'a> {
    /// Sequence number over both directions.
    pub n: u64,
    pub from_a: bool,
    pub now: u64,
    pub t: &'a Transmit,
    /// The decoded message (None for keepalives and what does not parse).
    pub msg: Option<&'a Seen>,
}

impl Sent<'_> {
    /// Is it `exchange` from A (or B), a request (or response)?
    pub fn is(&self, from_a: bool, exchange: ExchangeType, response: bool) -> bool {
        self.msg.is_some_and(|m| m.is(from_a, exchange, response))
    }
}

/// Decides each datagram's fate.
pub type FateFn = Box<dyn FnMut(&Sent<'_>) -> Fate>;

/// A datagram in flight: (deliver at, to A?, receiver's local, receiver's
/// remote, data).
type Flying = (u64, bool, SocketAddr, SocketAddr, Vec<u8>);

/// RFC 7383 fragments seen of each message (sender is A, SPIi, message ID,
/// response): piece by number, with the first inner payload type.
type Pieces = HashMap<(bool, [u8; 8], u32, bool), BTreeMap<u16, (PayloadType, Vec<u8>)>>;

pub struct Net {
    pub a: Side,
    pub b: Side,
    pub now: u64,
    flight: VecDeque<Flying>,
    pub fate: FateFn,
    /// A is behind a NAT: its source port `inner` is seen as NAT_IP:`outer`.
    pub nat: Option<Vec<(u16, u16)>>,
    sent_count: u64,
    /// Every datagram sent, decoded, in send order.
    pub trace: Vec<Seen>,
    pieces: Pieces,
}

impl Net {
    pub fn new(a: Node, b: Node) -> Net {
        Net::on(a, A_IP.into(), b, B_IP.into())
    }

    /// Two nodes at the given addresses.
    pub fn on(a: Node, a_ip: IpAddr, b: Node, b_ip: IpAddr) -> Net {
        Net {
            a: Side::new(a, a_ip),
            b: Side::new(b, b_ip),
            now: 0,
            flight: VecDeque::new(),
            fate: Box::new(|_| Fate::Deliver),
            nat: None,
            sent_count: 0,
            trace: Vec::new(),
            pieces: HashMap::new(),
        }
    }

    pub fn with_fate(mut self, f: impl FnMut(&Sent<'_>) -> Fate + 'static) -> Net {
        self.fate = Box::new(f);
        self
    }

    fn nat_out(&self, port: u16) -> u16 {
        self.nat
            .as_ref()
            .and_then(|m| m.iter().find(|(i, _)| *i == port).map(|(_, o)| *o))
            .unwrap_or(port)
    }

    fn nat_in(&self, port: u16) -> Option<u16> {
        self.nat
            .as_ref()
            .and_then(|m| m.iter().find(|(_, o)| *o == port).map(|(i, _)| *i))
    }

    /// Moves what both sides want to send into the network (events first,
    /// so that the keys of a message are known when it is decoded).
    pub fn collect(&mut self) {
        for side in [&mut self.a, &mut self.b] {
            while let Some(e) = side.ep.poll_event() {
                side.events.push(e);
            }
        }
        let mut keys = self.a.keys();
        keys.extend(self.b.keys());
        for from_a in [true, false] {
            loop {
                let side = if from_a { &mut self.a } else { &mut self.b };
                let Some(t) = side.ep.poll_transmit() else {
                    break;
                };
                side.sent.push(t.clone());
                side.sent_at.push(self.now);
                let mut seen = decode_ike(&t.data, &keys, from_a, self.now);
                if let Some(m) = seen.as_mut() {
                    self.reassemble(m);
                }
                let n = self.sent_count;
                self.sent_count += 1;
                let fate = (self.fate)(&Sent {
                    n,
                    from_a,
                    now: self.now,
                    t: &t,
                    msg: seen.as_ref(),
                });
                self.trace.extend(seen);
                let at = self.now + LATENCY;
                // Apply the NAT to A's datagrams on the way out.
                let src = if from_a && self.nat.is_some() {
                    addr(NAT_IP, self.nat_out(t.local.port()))
                } else {
                    t.local
                };
                // Delivered as (receiver's local, receiver's remote).
                let item = (at, !from_a, t.remote, src, t.data);
                match fate {
                    Fate::Deliver => self.flight.push_back(item),
                    Fate::Drop => {}
                    Fate::Duplicate => {
                        self.flight.push_back(item.clone());
                        self.flight
                            .push_back((at + 1, item.1, item.2, item.3, item.4));
                    }
                    Fate::Delay(d) => {
                        self.flight
                            .push_back((at + d, item.1, item.2, item.3, item.4))
                    }
                }
            }
        }
    }

    /// Collects a fragment's piece; the fragment that completes its
    /// message gets the whole message's payloads.
    fn reassemble(&mut self, m: &mut Seen) {
        let (Some((n, total)), Some(piece)) = (m.fragment, m.piece.take()) else {
            return;
        };
        let key = (m.from_a, m.spi_i, m.mid, m.response);
        let got = self.pieces.entry(key).or_default();
        got.insert(n, piece);
        if got.len() == usize::from(total) {
            let first = got[&1].0;
            let whole: Vec<u8> = got.values().flat_map(|(_, p)| p.clone()).collect();
            m.inner = Some(inner_payloads(&whole, first, &whole));
            self.pieces.remove(&key);
        }
    }

    /// Runs the world for `ms` of virtual time.
    pub fn run(&mut self, ms: u64) {
        let end = self.now + ms;
        loop {
            self.collect();
            let next_packet = self.flight.iter().map(|f| f.0).min();
            let next_timer = [self.a.ep.poll_timeout(), self.b.ep.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            let Some(next) = [next_packet, next_timer].into_iter().flatten().min() else {
                self.now = end;
                return;
            };
            if next > end {
                self.now = end;
                return;
            }
            self.now = self.now.max(next);
            // Deliver every due datagram, in order of arrival time.
            let mut due: Vec<Flying> = Vec::new();
            let mut keep = VecDeque::new();
            for f in self.flight.drain(..) {
                if f.0 <= self.now {
                    due.push(f);
                } else {
                    keep.push_back(f);
                }
            }
            self.flight = keep;
            due.sort_by_key(|f| f.0);
            for (_, to_a, local, remote, data) in due {
                if to_a {
                    // Through the NAT back to A.
                    let local = if self.nat.is_some() {
                        match self.nat_in(local.port()) {
                            Some(p) => addr(self.a.ip, p),
                            None => continue,
                        }
                    } else {
                        local
                    };
                    self.a.ep.handle(self.now, local, remote, &data);
                } else {
                    self.b.ep.handle(self.now, local, remote, &data);
                }
            }
            self.a.ep.handle_timeout(self.now);
            self.b.ep.handle_timeout(self.now);
        }
    }

    /// Messages sent since trace index `from` that match `f`.
    pub fn seen_since(&self, from: usize, f: impl Fn(&Seen) -> bool) -> Vec<&Seen> {
        self.trace[from.min(self.trace.len())..]
            .iter()
            .filter(|s| f(s))
            .collect()
    }
}

/// A and B with the default configurations.
pub fn pair() -> Net {
    Net::new(
        endpoint(vec![initiator_peer()], 1, |_| {}),
        endpoint(vec![responder_peer()], 2, |_| {}),
    )
}

/// A initiates with peer configuration "to-b"; runs 20 s.
pub fn connect(net: &mut Net) -> SaHandle {
    let h = net
        .a
        .ep
        .initiate(net.now, "to-b", addr(net.a.ip, 500))
        .unwrap();
    net.run(20_000);
    h
}

pub fn ike_ups(events: &[Event]) -> Vec<SaHandle> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::IkeSaUp { sa, .. } => Some(*sa),
            _ => None,
        })
        .collect()
}

/// Every Child SA announced (up or as a rekey's new SA), in order.
pub fn child_ups(events: &[Event]) -> Vec<ChildSaInfo> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ChildSaUp(i) => Some(i.clone()),
            Event::ChildSaRekeyed { new, .. } => Some(new.clone()),
            _ => None,
        })
        .collect()
}

/// The reasons of every IKE SA that went down.
pub fn downs(events: &[Event]) -> Vec<DownReason> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::IkeSaDown { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

/// The Child SAs that went down: (inbound SPI, reason).
pub fn child_downs(events: &[Event]) -> Vec<(u32, DownReason)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ChildSaDown { spi_in, reason, .. } => Some((*spi_in, reason.clone())),
            _ => None,
        })
        .collect()
}

/// The two ends of a Child SA agree on SPIs, algorithms, keys, selectors.
pub fn assert_child_pair(a: &ChildSaInfo, b: &ChildSaInfo) {
    assert_eq!(a.spi_out, b.spi_in);
    assert_eq!(a.spi_in, b.spi_out);
    assert_eq!((a.encr, a.key_bits, a.integ), (b.encr, b.key_bits, b.integ));
    assert_eq!((a.esn, a.pfs, a.mode), (b.esn, b.pfs, b.mode));
    assert_eq!(a.encr_key_out.expose(), b.encr_key_in.expose());
    assert_eq!(a.encr_key_in.expose(), b.encr_key_out.expose());
    assert_eq!(a.integ_key_out.expose(), b.integ_key_in.expose());
    assert_eq!(a.integ_key_in.expose(), b.integ_key_out.expose());
    assert_ne!(a.encr_key_in.expose(), a.encr_key_out.expose());
    assert_eq!(a.local_ts, b.remote_ts);
    assert_eq!(a.remote_ts, b.local_ts);
}

/// Each side's current Child SAs pair up with the other's (SPIs).
pub fn assert_children_agree(net: &Net, sa_a: SaHandle, sa_b: SaHandle) -> usize {
    let a = net.a.ep.child_spis(sa_a);
    let b = net.b.ep.child_spis(sa_b);
    assert_eq!(a.len(), b.len(), "A {a:x?} B {b:x?}");
    for (_, i, o) in &a {
        assert!(
            b.iter().any(|(_, bi, bo)| bi == o && bo == i),
            "A {a:x?} B {b:x?}"
        );
    }
    a.len()
}

pub fn only_sa(ep: &Endpoint) -> SaHandle {
    let s = ep.sas();
    assert_eq!(s.len(), 1, "{s:?}");
    s[0]
}

/// The end state both sides must reach: exactly one IKE SA each, the same
/// SPIs and keys on both, and the same Child SAs with agreeing keys (from
/// the latest announcement of each). Returns the SAs and the Child count.
pub fn assert_converged(net: &Net) -> (SaHandle, SaHandle, usize) {
    let (sa, sb) = (only_sa(&net.a.ep), only_sa(&net.b.ep));
    assert!(net.a.ep.is_established(sa) && net.b.ep.is_established(sb));
    let spis = net.a.ep.ike_spis(sa).unwrap();
    assert_eq!(Some(spis), net.b.ep.ike_spis(sb));
    let key = |side: &Side| {
        side.keys()
            .into_iter()
            .find(|k| (k.spi_i, k.spi_r) == spis)
            .map(|k| k.key_log_line())
    };
    assert!(key(&net.a).is_some());
    assert_eq!(key(&net.a), key(&net.b), "IKE SA keys differ");
    let n = assert_children_agree(net, sa, sb);
    for (id, spi_in, _) in net.a.ep.child_spis(sa) {
        let a = net.a.child_info(id).expect("announced on A");
        let (bid, _, _) = net
            .b
            .ep
            .child_spis(sb)
            .into_iter()
            .find(|(_, _, o)| *o == spi_in)
            .unwrap();
        let b = net.b.child_info(bid).expect("announced on B");
        assert_child_pair(&a, &b);
    }
    (sa, sb, n)
}

/// No Child SA is announced twice and every one that went down was up:
/// the events are a consistent history. Returns the SPIs still up.
pub fn assert_child_history(events: &[Event]) -> BTreeSet<u32> {
    let mut up = BTreeSet::new();
    for e in events {
        match e {
            Event::ChildSaUp(i) | Event::ChildSaRekeyed { new: i, .. } => {
                assert!(up.insert(i.spi_in), "SPI {:x} announced twice", i.spi_in);
            }
            Event::ChildSaDown { spi_in, .. } => {
                assert!(up.remove(spi_in), "SPI {spi_in:x} down but never up");
            }
            _ => {}
        }
    }
    up
}

/// IKE SA events form a consistent history: every SA that went down had
/// been initiated by the application (`initiated`) or announced (up or as
/// a rekey's new SA), and went down once.
pub fn assert_ike_history(events: &[Event], initiated: &[SaHandle]) {
    let mut up: BTreeSet<SaHandle> = initiated.iter().copied().collect();
    let mut gone = BTreeSet::new();
    for e in events {
        match e {
            Event::IkeSaUp { sa, .. } => {
                up.insert(*sa);
            }
            Event::IkeSaRekeyed { new, .. } => {
                assert!(up.insert(*new), "rekeyed into a known SA {new:?}");
            }
            Event::IkeSaDown { sa, reason } => {
                assert!(up.contains(sa), "{sa:?} down ({reason:?}) but never up");
                assert!(gone.insert(*sa), "{sa:?} down twice");
            }
            _ => {}
        }
    }
}

/// A fate function: `fate` for the first datagram that matches `pred`,
/// delivery for everything else.
pub fn first(
    pred: impl Fn(&Sent<'_>) -> bool + 'static,
    fate: Fate,
) -> impl FnMut(&Sent<'_>) -> Fate {
    let mut done = false;
    move |s| {
        if !done && pred(s) {
            done = true;
            fate
        } else {
            Fate::Deliver
        }
    }
}

/// A fate function: `fate` for every datagram that matches `pred`.
pub fn every(
    pred: impl Fn(&Sent<'_>) -> bool + 'static,
    fate: Fate,
) -> impl FnMut(&Sent<'_>) -> Fate {
    move |s| if pred(s) { fate } else { Fate::Deliver }
}

/// Delivers what `a` and `b` send each other, directly (no loss, no
/// clock), until both are quiet; drops their events. A is at A_IP, B at
/// B_IP.
pub fn pump(now: u64, a: &mut Endpoint, b: &mut Endpoint) {
    loop {
        let mut moved = false;
        while let Some(t) = a.poll_transmit() {
            b.handle(now, t.remote, t.local, &t.data);
            moved = true;
        }
        while let Some(t) = b.poll_transmit() {
            a.handle(now, t.remote, t.local, &t.data);
            moved = true;
        }
        while a.poll_event().is_some() || b.poll_event().is_some() {}
        if !moved {
            return;
        }
    }
}

/// Establishes `n` IKE SAs, each with its Child SA, from `a` (peer
/// configuration "to-b") to `b`.
pub fn establish_many(a: &mut Endpoint, b: &mut Endpoint, n: usize) {
    for _ in 0..n {
        a.initiate(0, "to-b", addr(A_IP, 500)).unwrap();
        pump(0, a, b);
    }
}
