//! An IKEv2 SA: its state, keys, message IDs, outstanding request,
//! response cache, Child SAs and timers; sending and receiving protected
//! messages. The exchanges live in their own files (`sa_init`, `auth`,
//! `child`, `info`) as further `impl IkeSa` blocks.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;

use super::child::{ChildRequest, ChildSa, IkeRekeyRequest};
use super::payloads::Inbound;
use crate::crypto::keymat_v2::IkeKeys;
use crate::crypto::sk::SkDirection;
use crate::crypto::{Encryption, Integrity, KeyExchange, Prf};
use crate::engine::ctx::Ctx;
use crate::engine::event::{ChildId, DownReason, Event, IkeKeyRecord, SaHandle, Transmit};
use crate::engine::identity::Identity;
use crate::engine::proposal::Chosen;
use crate::engine::timer::{Timer, TimerTable};
use crate::wire::emit::ChainBuilder;
use crate::wire::header::{Flags, Header, Version, HEADER_LEN, PAYLOAD_HEADER_LEN};
use crate::wire::message::{Message, PayloadIter};
use crate::wire::registry::{ExchangeType, HashAlgorithm, KeMethod, PayloadType};
use crate::wire::transport::NON_ESP_MARKER;
use crate::wire::{IkeVersion, Mode};

/// The IKE SA's negotiated algorithms and keys.
pub(crate) struct SaKeys {
    pub(crate) prf: Box<dyn Prf>,
    pub(crate) encr: Box<dyn Encryption>,
    pub(crate) integ: Option<Box<dyn Integrity>>,
    pub(crate) chosen: Chosen,
    pub(crate) k: IkeKeys,
}

/// Initiator: IKE_SA_INIT sent.
pub(crate) struct ExpectSaInitResponse {
    pub(crate) ke: Box<dyn KeyExchange>,
    pub(crate) method: KeMethod,
    pub(crate) cookie: Option<Vec<u8>>,
    /// INVALID_KE_PAYLOAD / COOKIE restarts so far (bounded).
    pub(crate) restarts: u32,
}

/// Initiator: IKE_AUTH sent; the Child SA offered in it.
pub(crate) struct ExpectAuthResponse {
    pub(crate) child: Option<ChildRequest>,
}

/// Responder: waiting for the application's PSK to check IKE_AUTH.
pub(crate) struct PendingAuth {
    pub(crate) request: u64,
    pub(crate) message_id: u32,
    pub(crate) inbound: Inbound,
}

/// Waiting for the application's signature (`LocalAuth::External`).
pub(crate) struct PendingSign {
    pub(crate) request: u64,
    pub(crate) scheme: crate::crypto::SignatureScheme,
    /// DIGITAL_SIGNATURE (RFC 7427) or a classic method.
    pub(crate) method: crate::wire::registry::AuthMethodV2,
    /// Responder: the IKE_AUTH request to answer once signed.
    pub(crate) resume: Option<PendingAuth>,
    /// Responder: the application's PSK for the peer, if it gave one.
    pub(crate) psk: Option<crate::crypto::Secret>,
}

/// Where the SA is.
pub(crate) enum State {
    InitSent(Box<ExpectSaInitResponse>),
    AuthSent(Box<ExpectAuthResponse>),
    ExpectAuth,
    WaitPsk(Box<PendingAuth>),
    WaitSign(Box<PendingSign>),
    Established,
    Dead,
}

/// What an outstanding request was.
pub(crate) enum Request {
    SaInit,
    Auth,
    CreateChild(Box<ChildRequest>),
    RekeyIke(Box<IkeRekeyRequest>),
    DeleteIke,
    DeleteChildren(Vec<ChildId>),
    Liveness,
}

/// A request sent and not yet answered.
pub(crate) struct Outstanding {
    pub(crate) message_id: u32,
    pub(crate) packets: Vec<Vec<u8>>,
    pub(crate) tries: u32,
    pub(crate) kind: Request,
}

/// Work waiting for the request window (one request at a time, §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pending {
    NewChild(usize),
    RekeyChild(ChildId),
    RekeyIke,
    DeleteChild(ChildId),
    DeleteIke,
    Liveness,
}

/// RFC 7383 fragments of one incoming message.
#[derive(Default)]
pub(crate) struct FragIn {
    pub(crate) message_id: u32,
    pub(crate) response: bool,
    pub(crate) total: u16,
    pub(crate) first: PayloadType,
    pub(crate) pieces: BTreeMap<u16, Vec<u8>>,
    pub(crate) bytes: usize,
}

/// An IKEv2 SA.
pub(crate) struct IkeSa {
    pub(crate) handle: SaHandle,
    pub(crate) peer: usize,
    pub(crate) initiator: bool,
    pub(crate) spi_i: [u8; 8],
    pub(crate) spi_r: [u8; 8],
    pub(crate) local: SocketAddr,
    pub(crate) remote: SocketAddr,
    pub(crate) encap: bool,
    pub(crate) state: State,
    pub(crate) keys: Option<SaKeys>,
    pub(crate) ni: Vec<u8>,
    pub(crate) nr: Vec<u8>,
    /// Our IKE_SA_INIT message and the peer's (both go into AUTH).
    pub(crate) init_sent: Vec<u8>,
    pub(crate) init_received: Vec<u8>,
    pub(crate) peer_frag: bool,
    pub(crate) peer_hashes: Vec<HashAlgorithm>,
    pub(crate) remote_id: Option<Identity>,
    pub(crate) next_mid: u32,
    pub(crate) outstanding: Option<Outstanding>,
    pub(crate) queue: VecDeque<Pending>,
    pub(crate) peer_mid: u32,
    pub(crate) last_response: Option<(u32, Vec<Vec<u8>>)>,
    pub(crate) frag_in: Option<FragIn>,
    pub(crate) children: Vec<ChildSa>,
    pub(crate) timers: TimerTable,
    pub(crate) last_heard: u64,
    /// When rekeyed by a CREATE_CHILD_SA, the SA that replaced this one.
    pub(crate) replaced_by: Option<SaHandle>,
    /// The application knows this SA (initiated it, or saw it come up):
    /// only then is its end announced.
    pub(crate) announced: bool,
    /// The peer rekeyed this IKE SA while our rekey was outstanding: its
    /// new SA and that exchange's lowest nonce (§2.8.2).
    pub(crate) peer_ike_rekey: Option<(Box<IkeSa>, Vec<u8>)>,
    /// The application's signature (`LocalAuth::External`), for the
    /// AUTH payload being built.
    pub(crate) ext_sig: Option<(crate::wire::registry::AuthMethodV2, Vec<u8>)>,
    /// Initiator: send INITIAL_CONTACT in IKE_AUTH (configured, and no
    /// other IKE SA with this peer when we started).
    pub(crate) initial_contact: bool,
}

impl IkeSa {
    /// A fresh SA shell.
    pub(crate) fn new(
        handle: SaHandle,
        peer: usize,
        initiator: bool,
        spi_i: [u8; 8],
        local: SocketAddr,
        remote: SocketAddr,
        now: u64,
    ) -> IkeSa {
        IkeSa {
            handle,
            peer,
            initiator,
            spi_i,
            spi_r: [0; 8],
            local,
            remote,
            encap: local.port() == 4500,
            state: State::ExpectAuth,
            keys: None,
            ni: Vec::new(),
            nr: Vec::new(),
            init_sent: Vec::new(),
            init_received: Vec::new(),
            peer_frag: false,
            peer_hashes: Vec::new(),
            remote_id: None,
            next_mid: 0,
            outstanding: None,
            queue: VecDeque::new(),
            peer_mid: 0,
            last_response: None,
            frag_in: None,
            children: Vec::new(),
            timers: TimerTable::default(),
            last_heard: now,
            replaced_by: None,
            announced: initiator,
            peer_ike_rekey: None,
            ext_sig: None,
            initial_contact: false,
        }
    }

    /// Takes `local` and `remote` as the SA's addresses (UDP encapsulation
    /// on port 4500); true when they changed.
    pub(crate) fn move_to(&mut self, local: SocketAddr, remote: SocketAddr) -> bool {
        if (local, remote) == (self.local, self.remote) {
            return false;
        }
        self.local = local;
        self.remote = remote;
        self.encap = local.port() == 4500 || remote.port() == 4500;
        true
    }

    /// Our SPI (the one peers' messages are demultiplexed by).
    pub(crate) fn local_spi(&self) -> [u8; 8] {
        if self.initiator {
            self.spi_i
        } else {
            self.spi_r
        }
    }

    pub(crate) fn is_established(&self) -> bool {
        matches!(self.state, State::Established)
    }

    pub(crate) fn is_dead(&self) -> bool {
        matches!(self.state, State::Dead)
    }

    /// Half-open: a responder SA not yet authenticated.
    pub(crate) fn is_half_open(&self) -> bool {
        !self.initiator
            && matches!(
                self.state,
                State::ExpectAuth | State::WaitPsk(_) | State::WaitSign(_)
            )
    }

    fn header(
        &self,
        exchange: ExchangeType,
        mid: u32,
        response: bool,
        next: PayloadType,
    ) -> Header {
        let mut flags = 0;
        if self.initiator {
            flags |= Flags::INITIATOR;
        }
        if response {
            flags |= Flags::RESPONSE;
        }
        Header {
            ispi: self.spi_i,
            rspi: self.spi_r,
            next_payload: next,
            version: Version::V2,
            exchange_type: exchange,
            flags: Flags(flags),
            message_id: mid,
            length: 0,
        }
    }

    /// Our direction's protection (SK_ei/SK_ai for the initiator).
    fn out_dir(&self) -> Option<SkDirection<'_>> {
        let k = self.keys.as_ref()?;
        let (ek, ak) = if self.initiator {
            (&k.k.sk_ei, &k.k.sk_ai)
        } else {
            (&k.k.sk_er, &k.k.sk_ar)
        };
        Some(SkDirection {
            encr: &*k.encr,
            integ: k.integ.as_deref(),
            ek: ek.expose(),
            ak: ak.expose(),
        })
    }

    fn in_dir(&self) -> Option<SkDirection<'_>> {
        let k = self.keys.as_ref()?;
        let (ek, ak) = if self.initiator {
            (&k.k.sk_er, &k.k.sk_ar)
        } else {
            (&k.k.sk_ei, &k.k.sk_ai)
        };
        Some(SkDirection {
            encr: &*k.encr,
            integ: k.integ.as_deref(),
            ek: ek.expose(),
            ak: ak.expose(),
        })
    }

    /// Builds and protects a message with the inner chain `chain`; one
    /// message, or RFC 7383 fragments when it would exceed the MTU and the
    /// peer supports them (never for IKE_SA_INIT, which is not encrypted).
    pub(crate) fn protect(
        &self,
        ctx: &mut Ctx<'_>,
        exchange: ExchangeType,
        mid: u32,
        response: bool,
        chain: ChainBuilder,
    ) -> Option<Vec<Vec<u8>>> {
        let dir = self.out_dir()?;
        let (first, inner) = chain.finish().ok()?;
        let marker = if self.encap { NON_ESP_MARKER.len() } else { 0 };
        let whole = HEADER_LEN + PAYLOAD_HEADER_LEN + dir.body_len(inner.len());
        let mtu = ctx.config.fragment_mtu.max(576) - 28 - marker;
        if whole <= mtu || !self.peer_frag || !ctx.peer_cfg(self.peer).fragmentation {
            let mut msg = Vec::with_capacity(whole);
            let mut h = self.header(exchange, mid, response, PayloadType::V2_SK);
            h.length = whole as u32;
            h.emit(&mut msg);
            msg.extend_from_slice(&[first.0, 0]);
            let plen = (PAYLOAD_HEADER_LEN + dir.body_len(inner.len())) as u16;
            msg.extend_from_slice(&plen.to_be_bytes());
            dir.seal(&mut msg, &inner, ctx.rng).ok()?;
            debug_assert_eq!(msg.len(), whole);
            return Some(vec![msg]);
        }
        // Fragment: the plaintext per fragment so that each message fits.
        let overhead = HEADER_LEN + PAYLOAD_HEADER_LEN + 4 + dir.body_len(0);
        let room = mtu.saturating_sub(overhead).max(16);
        let block = dir.encr.block_len().max(1);
        let room = (room / block) * block - 1;
        let pieces: Vec<&[u8]> = inner.chunks(room.max(1)).collect();
        let total = u16::try_from(pieces.len()).ok()?;
        let mut out = Vec::with_capacity(pieces.len());
        for (i, piece) in pieces.iter().enumerate() {
            let number = (i + 1) as u16;
            let body = 4 + dir.body_len(piece.len());
            let len = HEADER_LEN + PAYLOAD_HEADER_LEN + body;
            let mut msg = Vec::with_capacity(len);
            let mut h = self.header(exchange, mid, response, PayloadType::V2_SKF);
            h.length = len as u32;
            h.emit(&mut msg);
            let np = if number == 1 { first.0 } else { 0 };
            msg.extend_from_slice(&[np, 0]);
            msg.extend_from_slice(&((PAYLOAD_HEADER_LEN + body) as u16).to_be_bytes());
            msg.extend_from_slice(&number.to_be_bytes());
            msg.extend_from_slice(&total.to_be_bytes());
            dir.seal(&mut msg, piece, ctx.rng).ok()?;
            out.push(msg);
        }
        Some(out)
    }

    /// Queues `packets` for sending to the peer.
    pub(crate) fn transmit(&self, ctx: &mut Ctx<'_>, packets: &[Vec<u8>]) {
        self.transmit_to(ctx, packets, self.local, self.remote);
    }

    /// Queues `packets` for sending from `local` to `remote`.
    fn transmit_to(
        &self,
        ctx: &mut Ctx<'_>,
        packets: &[Vec<u8>],
        local: SocketAddr,
        remote: SocketAddr,
    ) {
        for p in packets {
            let data = if self.encap {
                [&NON_ESP_MARKER[..], p].concat()
            } else {
                p.clone()
            };
            ctx.out.transmits.push_back(Transmit {
                local,
                remote,
                data,
                sa: Some(self.handle),
            });
        }
    }

    /// Sends a request now, or queues the work if one is outstanding.
    pub(crate) fn send_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        exchange: ExchangeType,
        kind: Request,
        chain: ChainBuilder,
    ) -> bool {
        let mid = self.next_mid;
        let Some(packets) = self.protect(ctx, exchange, mid, false, chain) else {
            ctx.log(format!("{}: cannot protect the request", self.handle.0));
            return false;
        };
        self.next_mid = self.next_mid.wrapping_add(1);
        self.transmit(ctx, &packets);
        self.outstanding = Some(Outstanding {
            message_id: mid,
            packets,
            tries: 0,
            kind,
        });
        self.timers
            .set(Timer::Retransmit, ctx.now + ctx.config.retransmit.base_ms);
        true
    }

    /// Sends (and caches, for retransmitted requests) a response.
    pub(crate) fn send_response(
        &mut self,
        ctx: &mut Ctx<'_>,
        exchange: ExchangeType,
        mid: u32,
        chain: ChainBuilder,
    ) {
        if let Some(packets) = self.protect(ctx, exchange, mid, true, chain) {
            self.transmit(ctx, &packets);
            self.last_response = Some((mid, packets));
        }
    }

    /// Retransmission timer.
    pub(crate) fn retransmit(&mut self, ctx: &mut Ctx<'_>) {
        let Some(o) = self.outstanding.as_mut() else {
            return;
        };
        let r = ctx.config.retransmit;
        if o.tries >= r.tries {
            ctx.log(format!(
                "SA {}: no answer to message {} after {} tries",
                self.handle.0,
                o.message_id,
                o.tries + 1
            ));
            // An unanswered Delete of the IKE SA still ends it as asked:
            // the peer removes the SA on our first Delete it receives, so
            // a lost answer is never resent (§1.4.1).
            let reason = match o.kind {
                Request::DeleteIke => self.down_reason(false),
                _ => DownReason::Timeout,
            };
            self.die(ctx, reason);
            return;
        }
        o.tries += 1;
        let mut wait = r.base_ms;
        for _ in 0..o.tries {
            wait = wait * r.factor_tenths / 10;
        }
        let packets = o.packets.clone();
        self.transmit(ctx, &packets);
        self.timers.set(Timer::Retransmit, ctx.now + wait);
    }

    /// Ends the SA: Child SAs down first, then the IKE SA.
    pub(crate) fn die(&mut self, ctx: &mut Ctx<'_>, reason: DownReason) {
        if self.is_dead() {
            return;
        }
        for c in self.children.drain(..) {
            ctx.out.events.push_back(Event::ChildSaDown {
                sa: self.handle,
                child: c.id,
                spi_in: c.spi_in,
                spi_out: c.spi_out,
                reason: reason.clone(),
            });
            ctx.out.child_spis.remove(&c.spi_in);
        }
        let announce = self.announced;
        self.peer_ike_rekey = None;
        self.state = State::Dead;
        self.outstanding = None;
        self.queue.clear();
        self.timers = TimerTable::default();
        if announce {
            ctx.out.events.push_back(Event::IkeSaDown {
                sa: self.handle,
                reason,
            });
        }
    }

    /// Publishes the IKE SA keys (for key logs and Wireshark tables).
    pub(crate) fn announce_keys(&self, ctx: &mut Ctx<'_>) {
        if let Some(k) = &self.keys {
            ctx.out.events.push_back(Event::IkeKeys(IkeKeyRecord {
                sa: self.handle,
                spi_i: self.spi_i,
                spi_r: self.spi_r,
                encr: k.chosen.encr,
                integ: k.chosen.integ,
                sk_ei: k.k.sk_ei.clone(),
                sk_er: k.k.sk_er.clone(),
                sk_ai: k.k.sk_ai.clone(),
                sk_ar: k.k.sk_ar.clone(),
            }));
        }
    }

    /// Decrypts an SK message, or collects an SKF fragment; returns the
    /// inner chain (first payload type, bytes) once complete. `None` for a
    /// message that does not verify (dropped silently, §2.21.2), or a
    /// fragment that does not complete the set yet.
    pub(crate) fn open(
        &mut self,
        ctx: &mut Ctx<'_>,
        msg: &Message<'_>,
    ) -> Option<(PayloadType, Vec<u8>)> {
        let first = msg.payloads().next()?.ok()?;
        let header_end = crate::wire::reader::offset_in(msg.bytes, first.body);
        let dir = self.in_dir()?;
        match first.payload_type {
            PayloadType::V2_SK => {
                let o = dir.open(msg.bytes, header_end).ok()?;
                let chain = o.plaintext.expose()[..o.chain_len].to_vec();
                Some((first.header.next_payload, chain))
            }
            PayloadType::V2_SKF => {
                let body = first.body;
                if body.len() < 4 {
                    return None;
                }
                let number = u16::from_be_bytes([body[0], body[1]]);
                let total = u16::from_be_bytes([body[2], body[3]]);
                if number == 0 || number > total {
                    return None;
                }
                // Verify before keeping anything (RFC 7383 §2.6.2).
                let o = dir.open(msg.bytes, header_end + 4).ok()?;
                let piece = o.plaintext.expose()[..o.chain_len].to_vec();
                let response = msg.header.flags.has(Flags::RESPONSE);
                let mid = msg.header.message_id;
                let limit = ctx.config.limits.fragment_bytes_max;
                let f = self.frag_in.get_or_insert_with(FragIn::default);
                if f.message_id != mid || f.response != response || f.total != total {
                    *f = FragIn {
                        message_id: mid,
                        response,
                        total,
                        ..FragIn::default()
                    };
                }
                if number == 1 {
                    f.first = first.header.next_payload;
                }
                if f.bytes + piece.len() > limit {
                    self.frag_in = None;
                    return None;
                }
                f.bytes += piece.len();
                f.pieces.entry(number).or_insert(piece);
                if f.pieces.len() == usize::from(total) {
                    let f = self.frag_in.take()?;
                    let whole = f.pieces.into_values().flatten().collect();
                    return Some((f.first, whole));
                }
                None
            }
            _ => None,
        }
    }

    /// Handles a message for this SA (already matched by SPI).
    pub(crate) fn handle(
        &mut self,
        ctx: &mut Ctx<'_>,
        raw: &[u8],
        local: SocketAddr,
        remote: SocketAddr,
    ) {
        let Ok(msg) = Message::parse(raw, Mode::Strict) else {
            return;
        };
        let h = msg.header;
        let response = h.flags.has(Flags::RESPONSE);
        // Message IDs (§2.3): a response must match our outstanding
        // request; a request must be the next one, or the last one again.
        if response {
            if self.outstanding.as_ref().map(|o| o.message_id) != Some(h.message_id) {
                return;
            }
        } else if h.exchange_type != ExchangeType::IKE_SA_INIT {
            if h.message_id.wrapping_add(1) == self.peer_mid {
                if let Some((mid, packets)) = &self.last_response {
                    if *mid == h.message_id {
                        // Answered where the retransmission came from
                        // (§2.11): a NAT may have rebound the peer's port
                        // since the first one.
                        let p = packets.clone();
                        self.transmit_to(ctx, &p, local, remote);
                    }
                }
                return;
            }
            if h.message_id != self.peer_mid {
                return;
            }
        }
        if h.exchange_type == ExchangeType::IKE_SA_INIT {
            if response {
                self.sa_init_response(ctx, &msg, raw);
            }
            return;
        }
        let Some((first, chain)) = self.open(ctx, &msg) else {
            return;
        };
        let inbound = match Inbound::read(
            &chain,
            PayloadIter::new(&chain, &chain, first, IkeVersion::V2),
        ) {
            Ok(i) => i,
            Err(_) => {
                if !response {
                    self.reply_error(
                        ctx,
                        h.exchange_type,
                        h.message_id,
                        crate::wire::registry::NotifyTypeV2::INVALID_SYNTAX,
                    );
                    self.peer_mid = self.peer_mid.wrapping_add(1);
                }
                return;
            }
        };
        // Authenticated: the peer is alive. Follow a change of address
        // (the float to port 4500, a NAT rebinding, §2.23): replies go
        // where the last authenticated message came from.
        self.last_heard = ctx.now;
        if self.move_to(local, remote) {
            if self.is_established() {
                ctx.out.events.push_back(Event::PeerAddressChanged {
                    sa: self.handle,
                    remote,
                });
            }
            // The SA a rekey made took this one's addresses then; it
            // follows (applied by the endpoint).
            if let Some(n) = self.replaced_by {
                ctx.out.moved.push((n, local, remote));
            }
            if let Some((theirs, _)) = &mut self.peer_ike_rekey {
                theirs.move_to(local, remote);
            }
        }
        if let Some(t) = inbound.unknown_critical {
            if !response {
                let data = [t.0];
                let mut c = ChainBuilder::new();
                c.payload(PayloadType::V2_NOTIFY, 0, |o| {
                    super::payloads::notify_body(
                        o,
                        crate::wire::registry::ProtocolIdV2(0),
                        &[],
                        crate::wire::registry::NotifyTypeV2::UNSUPPORTED_CRITICAL_PAYLOAD,
                        &data,
                    )
                });
                self.peer_mid = self.peer_mid.wrapping_add(1);
                self.send_response(ctx, h.exchange_type, h.message_id, c);
            }
            return;
        }
        if response {
            self.timers.stop(Timer::Retransmit);
            let Some(o) = self.outstanding.take() else {
                return;
            };
            match o.kind {
                Request::Auth => self.auth_response(ctx, inbound),
                Request::CreateChild(req) => self.complete_child(ctx, *req, &inbound, false),
                Request::RekeyIke(req) => self.rekey_ike_response(ctx, *req, inbound),
                Request::DeleteIke => {
                    let reason = self.down_reason(false);
                    self.die(ctx, reason);
                }
                Request::DeleteChildren(ids) => self.delete_children_response(ctx, &ids, inbound),
                Request::Liveness | Request::SaInit => {}
            }
            if !self.is_dead() {
                self.next_pending(ctx);
            }
        } else {
            self.peer_mid = self.peer_mid.wrapping_add(1);
            match h.exchange_type {
                ExchangeType::IKE_AUTH => self.auth_request(ctx, h.message_id, inbound),
                ExchangeType::CREATE_CHILD_SA => {
                    self.create_child_request(ctx, h.message_id, inbound)
                }
                ExchangeType::INFORMATIONAL => {
                    self.informational_request(ctx, h.message_id, inbound)
                }
                other => {
                    let _ = other;
                    self.reply_error(
                        ctx,
                        h.exchange_type,
                        h.message_id,
                        crate::wire::registry::NotifyTypeV2::INVALID_SYNTAX,
                    );
                }
            }
        }
    }

    /// Answers a request with one error notify.
    pub(crate) fn reply_error(
        &mut self,
        ctx: &mut Ctx<'_>,
        exchange: ExchangeType,
        mid: u32,
        t: crate::wire::registry::NotifyTypeV2,
    ) {
        let mut c = ChainBuilder::new();
        c.payload(PayloadType::V2_NOTIFY, 0, |o| {
            super::payloads::notify_body(o, crate::wire::registry::ProtocolIdV2(0), &[], t, &[])
        });
        self.send_response(ctx, exchange, mid, c);
    }

    /// Starts the next queued work if the window is free.
    pub(crate) fn next_pending(&mut self, ctx: &mut Ctx<'_>) {
        while self.outstanding.is_none() && self.is_established() {
            let Some(p) = self.queue.pop_front() else {
                return;
            };
            match p {
                Pending::NewChild(cfg) => self.start_new_child(ctx, cfg),
                Pending::RekeyChild(id) => self.start_rekey_child(ctx, id),
                Pending::RekeyIke => self.start_rekey_ike(ctx),
                Pending::DeleteChild(id) => self.start_delete_children(ctx, vec![id]),
                Pending::DeleteIke => self.start_delete_ike(ctx),
                Pending::Liveness => self.start_liveness(ctx),
            }
        }
    }

    /// Adds work; starts it at once when possible.
    pub(crate) fn enqueue(&mut self, ctx: &mut Ctx<'_>, p: Pending) {
        if !self.queue.contains(&p) {
            self.queue.push_back(p);
        }
        self.next_pending(ctx);
    }

    /// Fires due timers.
    pub(crate) fn on_timeout(&mut self, ctx: &mut Ctx<'_>) {
        for t in self.timers.expired(ctx.now) {
            if self.is_dead() {
                return;
            }
            match t {
                Timer::Retransmit => self.retransmit(ctx),
                Timer::HalfOpen => {
                    if self.is_half_open()
                        || matches!(
                            self.state,
                            State::InitSent(_) | State::AuthSent(_) | State::WaitSign(_)
                        )
                    {
                        self.die(ctx, DownReason::HalfOpenTimeout);
                    }
                }
                Timer::RekeyIke => self.enqueue(ctx, Pending::RekeyIke),
                Timer::Child => self.child_timers(ctx),
                Timer::Liveness => {
                    let dpd = ctx.peer_cfg(self.peer).dpd_ms;
                    if let Some(d) = dpd {
                        if ctx.now.saturating_sub(self.last_heard) >= d {
                            self.enqueue(ctx, Pending::Liveness);
                        }
                        self.timers.set(Timer::Liveness, ctx.now + d);
                    }
                }
                Timer::Keepalive => {
                    if self.encap {
                        ctx.out.transmits.push_back(Transmit {
                            local: self.local,
                            remote: self.remote,
                            data: vec![crate::wire::transport::NAT_KEEPALIVE],
                            sa: Some(self.handle),
                        });
                    }
                    if let Some(k) = ctx.config.nat_keepalive_ms {
                        self.timers.set(Timer::Keepalive, ctx.now + k);
                    }
                }
                Timer::Reap => self.die(ctx, DownReason::Deleted { by_peer: false }),
            }
        }
    }

    /// The SA's next deadline.
    pub(crate) fn next_timeout(&self) -> Option<u64> {
        self.timers.next()
    }
}
