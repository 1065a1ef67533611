//! An ISAKMP SA (RFC 2408 §2.4, RFC 2409 §5): cookies, phase 1 state,
//! keys and the CBC IV chains (RFC 2409 App. B), the exchanges in progress
//! by message ID, the IPsec SAs it made, timers, and retransmission the
//! IKEv1 way: the sender of a message that expects an answer resends it on
//! a timer, a bounded number of times, and whoever receives again the
//! peer's previous message resends its own last one.
//!
//! The exchanges live in their own files (`main_mode`, `aggressive`,
//! `quick`, `info`, `xauth`, `modecfg`) as further `impl IsakmpSa` blocks.

use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, SocketAddr};

use sha2::{Digest, Sha256};

use super::modecfg::CfgEx;
use super::proposal::P1Transform;
use super::quick::{ChildSa, QmInit, QmResp};
use super::xauth::XauthEx;
use crate::crypto::keymat_v1::{self, Hash, Phase1Keys};
use crate::crypto::{Encryption, KeyExchange, Prf, Secret};
use crate::engine::config::V1Options;
use crate::engine::ctx::Ctx;
use crate::engine::event::{ChildId, DownReason, Event, Ikev1KeyRecord, SaHandle, Transmit};
use crate::engine::identity::Identity;
use crate::engine::timer::{Timer, TimerTable};
use crate::wire::header::{Flags, Header, Version, HEADER_LEN};
use crate::wire::message::Message;
use crate::wire::registry::{ExchangeType, PayloadType};
use crate::wire::transport::NON_ESP_MARKER;
use crate::wire::Mode;

/// Bytes of our nonces (RFC 2409 §5: 8 to 256).
pub(crate) const NONCE_LEN: usize = 32;

/// How long a finished exchange is kept to answer retransmissions.
pub(crate) const KEEP_DONE_MS: u64 = 60_000;

/// The phase 1 keys (RFC 2409 §5, App. B).
pub(crate) struct V1Keys {
    /// The negotiated hash (IVs, NAT-D).
    pub(crate) hash: Hash,
    /// Its HMAC, the PRF.
    pub(crate) prf: Box<dyn Prf>,
    /// The cipher.
    pub(crate) cipher: Box<dyn Encryption>,
    /// SKEYID and its derivatives.
    pub(crate) k: Phase1Keys,
    /// The encryption key (SKEYID_e expanded).
    pub(crate) enc_key: Secret,
}

/// The last message we sent in an exchange, and what we heard last.
#[derive(Default)]
pub(crate) struct Flight {
    /// The datagrams (fragments, or one message), without the non-ESP
    /// marker.
    pub(crate) packets: Vec<Vec<u8>>,
    /// SHA-256 of the peer's last accepted message in this exchange: the
    /// same again means our answer was lost.
    pub(crate) last_in: Option<[u8; 32]>,
    /// Resend at, when an answer is awaited.
    pub(crate) retransmit_at: Option<u64>,
    /// Resends so far.
    pub(crate) tries: u32,
}

/// An exchange after phase 1, by message ID (RFC 2408 §3.1: each has its
/// own M-ID and IV chain).
pub(crate) struct Exchange {
    /// What it is and where it is.
    pub(crate) kind: ExKind,
    /// The IV of the next message in this exchange.
    pub(crate) iv: Vec<u8>,
    /// Our last message.
    pub(crate) flight: Flight,
    /// Finished: forget it at this time.
    pub(crate) purge_at: Option<u64>,
}

/// The exchanges.
pub(crate) enum ExKind {
    /// Quick Mode we started.
    QmInit(Box<QmInit>),
    /// Quick Mode the peer started.
    QmResp(Box<QmResp>),
    /// A Transaction exchange of XAUTH.
    Xauth(XauthEx),
    /// A Transaction exchange of Mode-Config.
    Cfg(CfgEx),
    /// A one-way Informational exchange, or any exchange that is over.
    Done,
}

/// Initiator, Main Mode: MM1 sent, the offer kept to check the choice.
pub(crate) struct ExpectMmSa {
    pub(crate) offered: Vec<P1Transform>,
}

/// Initiator: MM3 or AM1 sent, our key exchange pending.
pub(crate) struct ExpectKe {
    pub(crate) ke: Box<dyn KeyExchange>,
    /// Aggressive Mode: the offer.
    pub(crate) offered: Vec<P1Transform>,
}

/// Responder waiting for the application's pre-shared key: the message
/// that needs it, to be handled again with the key.
pub(crate) struct PendingPsk {
    pub(crate) request: u64,
    pub(crate) raw: Vec<u8>,
    pub(crate) local: SocketAddr,
    pub(crate) remote: SocketAddr,
}

/// Where phase 1 is.
pub(crate) enum Phase1 {
    /// Nothing sent yet.
    Start,
    /// Initiator, Main Mode: MM1 sent.
    MmSaSent(Box<ExpectMmSa>),
    /// Initiator, Main Mode: MM3 sent.
    MmKeSent(Box<ExpectKe>),
    /// Initiator, Main Mode: MM5 sent.
    MmAuthSent,
    /// Responder, Main Mode: MM2 sent.
    MmExpectKe,
    /// Responder, Main Mode: MM4 sent.
    MmExpectAuth,
    /// Initiator, Aggressive Mode: AM1 sent.
    AmSent(Box<ExpectKe>),
    /// Responder, Aggressive Mode: AM2 sent.
    AmExpectAuth,
    /// Responder: waiting for `provide_psk`.
    WaitPsk(Box<PendingPsk>),
    /// Phase 1 complete.
    Done,
    /// Gone.
    Dead,
}

/// What the peer announced with Vendor IDs.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PeerCaps {
    /// NAT traversal: RFC 3947, or a draft (payloads 130/131).
    pub(crate) natt: Option<super::natt::NattVersion>,
    /// RFC 3706 DPD.
    pub(crate) dpd: bool,
    /// IKEv1 fragmentation.
    pub(crate) frag: bool,
    /// XAUTH.
    pub(crate) xauth: bool,
}

/// NAT detection results (RFC 3947 §3.2).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct NatState {
    /// NAT-T is in use (both sent the Vendor ID).
    pub(crate) natt: Option<super::natt::NattVersion>,
    /// We are behind a NAT (our address was rewritten).
    pub(crate) local_behind: bool,
    /// The peer is behind a NAT.
    pub(crate) peer_behind: bool,
}

impl NatState {
    /// Any NAT on the path (then ESP goes in UDP, RFC 3948).
    pub(crate) fn any(&self) -> bool {
        self.local_behind || self.peer_behind
    }
}

/// Dead Peer Detection state (RFC 3706 §5).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Dpd {
    /// Our last R-U-THERE sequence number.
    pub(crate) seq: u32,
    /// An R-U-THERE is outstanding: tries so far and when to send again.
    pub(crate) outstanding: Option<(u32, u64)>,
}

/// Work that waits until the SA is up (phase 1, XAUTH, Mode-Config).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pending {
    NewChild(usize),
    RekeyChild(ChildId),
    DeleteChild(ChildId),
    DeleteIke,
    Liveness,
}

/// Effects on other SAs, for the engine to carry out after the call.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Effects {
    /// The peer sent INITIAL-CONTACT: older SAs with it are stale.
    pub(crate) initial_contact: bool,
    /// Phase 1 is to be rekeyed (a new ISAKMP SA to replace this one).
    pub(crate) rekey: bool,
    /// Initiate again once this SA is gone (DPD restart).
    pub(crate) restart: bool,
    /// The peer deleted this ISAKMP SA: its IPsec SAs may move to a newer
    /// ISAKMP SA with the same peer.
    pub(crate) peer_deleted: bool,
}

/// XAUTH progress (draft-ietf-ipsec-isakmp-xauth-06 §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum XauthState {
    /// Not configured.
    None,
    /// Configured, not done yet.
    Pending,
    /// Done.
    Done,
}

/// Mode-Config progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CfgState {
    /// Not configured.
    None,
    /// Configured, not done yet.
    Pending,
    /// Done.
    Done,
}

/// RFC 3947 fragments of one incoming message.
#[derive(Default)]
pub(crate) struct FragIn {
    pub(crate) id: u16,
    pub(crate) pieces: BTreeMap<u8, Vec<u8>>,
    pub(crate) last: Option<u8>,
    pub(crate) bytes: usize,
}

/// An ISAKMP SA.
pub(crate) struct IsakmpSa {
    pub(crate) handle: SaHandle,
    pub(crate) peer: usize,
    pub(crate) initiator: bool,
    pub(crate) aggressive: bool,
    pub(crate) cky_i: [u8; 8],
    pub(crate) cky_r: [u8; 8],
    pub(crate) local: SocketAddr,
    pub(crate) remote: SocketAddr,
    /// On port 4500 with the non-ESP marker.
    pub(crate) encap: bool,
    pub(crate) state: Phase1,
    pub(crate) chosen: Option<P1Transform>,
    pub(crate) keys: Option<V1Keys>,
    /// SAi_b: the body of the initiator's SA payload.
    pub(crate) sa_i: Vec<u8>,
    pub(crate) gx_i: Vec<u8>,
    pub(crate) gx_r: Vec<u8>,
    pub(crate) ni: Vec<u8>,
    pub(crate) nr: Vec<u8>,
    /// The shared secret of phase 1 until the keys are derived.
    pub(crate) gxy: Option<Secret>,
    pub(crate) caps: PeerCaps,
    pub(crate) nat: NatState,
    pub(crate) remote_id: Option<Identity>,
    /// Phase 1 IV chain: the IV of the next phase 1 message, and after
    /// phase 1 its last CBC block (the seed of phase 2 IVs, App. B).
    pub(crate) p1_iv: Vec<u8>,
    pub(crate) p1: Flight,
    pub(crate) exchanges: BTreeMap<u32, Exchange>,
    pub(crate) children: Vec<ChildSa>,
    pub(crate) queue: VecDeque<Pending>,
    pub(crate) timers: TimerTable,
    pub(crate) last_heard: u64,
    pub(crate) dpd: Dpd,
    pub(crate) xauth: XauthState,
    pub(crate) cfg: CfgState,
    /// Mode-Config: our internal address (client) or the one we gave
    /// (server); DNS servers.
    pub(crate) vip: Option<IpAddr>,
    pub(crate) vip_dns: Vec<IpAddr>,
    /// The application knows this SA.
    pub(crate) announced: bool,
    /// IkeSaUp was sent.
    pub(crate) up: bool,
    pub(crate) frag_in: Option<FragIn>,
    pub(crate) frag_id: u16,
    /// Negotiated phase 1 lifetime (s).
    pub(crate) lifetime_s: Option<u64>,
    /// The ISAKMP SA this one replaces (phase 1 rekey).
    pub(crate) replaces: Option<SaHandle>,
    /// Initiator: send INITIAL-CONTACT (no other ISAKMP SA with this peer
    /// when we started, and not a rekey).
    pub(crate) initial_contact: bool,
    pub(crate) effects: Effects,
    /// Quick Modes started to rekey, by the Child SA they replace.
    pub(crate) rekeying: Vec<ChildId>,
    /// The state to go back to once the application's key arrives.
    pub(crate) resume: Option<Phase1>,
    /// Aggressive Mode responder: the initiator's ID from AM1.
    pub(crate) am_peer_id: Option<super::payloads::IdIn>,
    /// Aggressive Mode responder: our SA payload body for AM2.
    pub(crate) am_reply_sa: Vec<u8>,
    /// XAUTH client waiting for the application: request, M-ID,
    /// identifier.
    pub(crate) xauth_wait: Option<(u64, u32, u16)>,
    /// XAUTH server waiting for the application's verdict.
    pub(crate) xauth_verify: Option<u64>,
}

impl IsakmpSa {
    /// A fresh SA shell.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        handle: SaHandle,
        peer: usize,
        initiator: bool,
        aggressive: bool,
        cky_i: [u8; 8],
        local: SocketAddr,
        remote: SocketAddr,
        now: u64,
        state: Phase1,
    ) -> IsakmpSa {
        IsakmpSa {
            handle,
            peer,
            initiator,
            aggressive,
            cky_i,
            cky_r: [0; 8],
            local,
            remote,
            encap: local.port() == 4500 || remote.port() == 4500,
            state,
            chosen: None,
            keys: None,
            sa_i: Vec::new(),
            gx_i: Vec::new(),
            gx_r: Vec::new(),
            ni: Vec::new(),
            nr: Vec::new(),
            gxy: None,
            caps: PeerCaps::default(),
            nat: NatState::default(),
            remote_id: None,
            p1_iv: Vec::new(),
            p1: Flight::default(),
            exchanges: BTreeMap::new(),
            children: Vec::new(),
            queue: VecDeque::new(),
            timers: TimerTable::default(),
            last_heard: now,
            dpd: Dpd::default(),
            xauth: XauthState::None,
            cfg: CfgState::None,
            vip: None,
            vip_dns: Vec::new(),
            announced: initiator,
            up: false,
            frag_in: None,
            frag_id: 0,
            lifetime_s: None,
            replaces: None,
            initial_contact: false,
            effects: Effects::default(),
            rekeying: Vec::new(),
            resume: None,
            am_peer_id: None,
            am_reply_sa: Vec::new(),
            xauth_wait: None,
            xauth_verify: None,
        }
    }

    /// The IKEv1 options of our peer configuration.
    pub(crate) fn opts(&self, ctx: &Ctx<'_>) -> V1Options {
        ctx.peer_cfg(self.peer).ikev1.clone().unwrap_or_default()
    }

    pub(crate) fn is_dead(&self) -> bool {
        matches!(self.state, Phase1::Dead)
    }

    /// Phase 1 complete (XAUTH and Mode-Config may still run).
    pub(crate) fn phase1_done(&self) -> bool {
        matches!(self.state, Phase1::Done)
    }

    /// Up: authenticated both ways (phase 1 and XAUTH).
    pub(crate) fn is_established(&self) -> bool {
        self.up && !self.is_dead()
    }

    /// Half-open: a responder SA whose phase 1 is not complete.
    pub(crate) fn is_half_open(&self) -> bool {
        !self.initiator && !self.phase1_done() && !self.is_dead()
    }

    /// The SA's next deadline.
    pub(crate) fn next_timeout(&self) -> Option<u64> {
        self.timers.next()
    }

    /// A header for a message of this SA.
    pub(crate) fn header(
        &self,
        exchange: ExchangeType,
        mid: u32,
        flags: u8,
        first: PayloadType,
    ) -> Header {
        Header {
            ispi: self.cky_i,
            rspi: self.cky_r,
            next_payload: first,
            version: Version::V1,
            exchange_type: exchange,
            flags: Flags(flags),
            message_id: mid,
            length: 0,
        }
    }

    /// An unencrypted message: header and the chain.
    pub(crate) fn plain(
        &self,
        exchange: ExchangeType,
        mid: u32,
        first: PayloadType,
        chain: &[u8],
    ) -> Vec<u8> {
        let mut h = self.header(exchange, mid, 0, first);
        h.length = u32::try_from(HEADER_LEN + chain.len()).unwrap_or(u32::MAX);
        let mut m = Vec::with_capacity(HEADER_LEN + chain.len());
        h.emit(&mut m);
        m.extend_from_slice(chain);
        m
    }

    /// An encrypted message (RFC 2409 App. B): the chain padded with zeros
    /// to the block length and encrypted in CBC mode with `iv`. Returns
    /// the message and the IV of the next message (its last block).
    pub(crate) fn seal(
        &self,
        exchange: ExchangeType,
        mid: u32,
        flags: u8,
        first: PayloadType,
        chain: &[u8],
        iv: &[u8],
    ) -> Option<(Vec<u8>, Vec<u8>)> {
        let k = self.keys.as_ref()?;
        let bl = k.cipher.block_len().max(1);
        let mut pt = Secret::from_slice(chain);
        let pad = (bl - pt.len() % bl) % bl;
        let n = pt.len() + pad;
        pt.expose_mut().resize(n, 0);
        if n == 0 {
            return None;
        }
        let ct = k
            .cipher
            .encrypt(k.enc_key.expose(), iv, &[], pt.expose())
            .ok()?;
        let next = ct.get(ct.len().checked_sub(bl)?..)?.to_vec();
        let mut h = self.header(exchange, mid, flags | Flags::ENCRYPTION, first);
        h.length = u32::try_from(HEADER_LEN + ct.len()).ok()?;
        let mut m = Vec::with_capacity(HEADER_LEN + ct.len());
        h.emit(&mut m);
        m.extend_from_slice(&ct);
        Some((m, next))
    }

    /// Decrypts an encrypted message with `iv`: the padded plaintext and
    /// the IV of the next message. `None` when the body is not a whole
    /// number of blocks or there are no keys.
    pub(crate) fn open(&self, msg: &Message<'_>, iv: &[u8]) -> Option<(Secret, Vec<u8>)> {
        let k = self.keys.as_ref()?;
        let bl = k.cipher.block_len().max(1);
        let body = msg.body();
        if body.is_empty() || body.len() % bl != 0 || iv.len() != k.cipher.iv_len() {
            return None;
        }
        let pt = k.cipher.decrypt(k.enc_key.expose(), iv, &[], body).ok()?;
        Some((pt, body.get(body.len() - bl..)?.to_vec()))
    }

    /// The first IV of an exchange after phase 1 (App. B):
    /// hash(last phase 1 CBC block | M-ID), cut to the block length.
    pub(crate) fn phase2_iv(&self, mid: u32) -> Option<Vec<u8>> {
        let k = self.keys.as_ref()?;
        Some(keymat_v1::phase2_iv(
            k.hash,
            &self.p1_iv,
            mid,
            k.cipher.block_len().max(1),
        ))
    }

    /// HASH(1)-style hash: prf(SKEYID_a, M-ID | rest) (RFC 2409 §5.5,
    /// §5.7; the Transaction exchange likewise).
    pub(crate) fn hash1(&self, mid: u32, rest: &[u8]) -> Option<Vec<u8>> {
        let k = self.keys.as_ref()?;
        keymat_v1::hash1(&*k.prf, k.k.skeyid_a.expose(), mid, rest)
            .ok()
            .map(|s| s.expose().to_vec())
    }

    /// A fresh message ID for an exchange we start: random, non-zero, not
    /// in use.
    pub(crate) fn new_mid(&self, ctx: &mut Ctx<'_>) -> Option<u32> {
        for _ in 0..16 {
            let b = ctx.random(4);
            let mid = u32::from_be_bytes(b.try_into().ok()?);
            if mid != 0 && !self.exchanges.contains_key(&mid) {
                return Some(mid);
            }
        }
        None
    }

    /// Queues datagrams for the peer (with the non-ESP marker on 4500).
    pub(crate) fn transmit(&self, ctx: &mut Ctx<'_>, packets: &[Vec<u8>]) {
        for p in packets {
            let data = if self.encap {
                [&NON_ESP_MARKER[..], p].concat()
            } else {
                p.clone()
            };
            ctx.out.transmits.push_back(Transmit {
                local: self.local,
                remote: self.remote,
                data,
                sa: Some(self.handle),
            });
        }
    }

    fn flight_mut(&mut self, mid: u32) -> Option<&mut Flight> {
        if mid == 0 {
            Some(&mut self.p1)
        } else {
            self.exchanges.get_mut(&mid).map(|e| &mut e.flight)
        }
    }

    /// Sends `msg` (fragmented when it must be) as our message in exchange
    /// `mid`, kept for resending; with `await_reply` it is resent on a
    /// timer until the answer comes.
    pub(crate) fn send(&mut self, ctx: &mut Ctx<'_>, mid: u32, msg: Vec<u8>, await_reply: bool) {
        let packets = self.fragment_out(ctx, msg);
        self.transmit(ctx, &packets);
        let at = await_reply.then(|| ctx.now + ctx.config.retransmit.base_ms);
        if let Some(f) = self.flight_mut(mid) {
            f.packets = packets;
            f.tries = 0;
            f.retransmit_at = at;
        }
        self.rearm();
    }

    /// The peer's message `digest` in exchange `mid` was accepted: it
    /// answers ours (no more resending), and a copy of it will get our
    /// answer again. Until we [`send`](Self::send) that answer there is
    /// nothing to resend: a copy of a message that ends an exchange gets
    /// no answer (else each duplicate would start an endless echo).
    pub(crate) fn accepted(&mut self, mid: u32, digest: [u8; 32]) {
        if let Some(f) = self.flight_mut(mid) {
            f.last_in = Some(digest);
            f.retransmit_at = None;
            f.tries = 0;
            f.packets.clear();
        }
    }

    /// Ends an exchange: it stays to answer retransmissions for a while.
    pub(crate) fn finish_exchange(&mut self, ctx: &Ctx<'_>, mid: u32) {
        if let Some(e) = self.exchanges.get_mut(&mid) {
            e.kind = ExKind::Done;
            e.purge_at = Some(ctx.now + KEEP_DONE_MS);
        }
        self.rearm();
    }

    /// Sets the Retransmit timer to the earliest resend or purge.
    pub(crate) fn rearm(&mut self) {
        let mut next = self.p1.retransmit_at;
        for e in self.exchanges.values() {
            for t in [e.flight.retransmit_at, e.purge_at].into_iter().flatten() {
                next = Some(next.map_or(t, |n: u64| n.min(t)));
            }
        }
        match next {
            Some(t) => self.timers.set(Timer::Retransmit, t),
            None => self.timers.stop(Timer::Retransmit),
        }
    }

    /// Resends what is due, gives up on what has been resent enough, and
    /// forgets finished exchanges.
    fn retransmit_due(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
        let r = ctx.config.retransmit;
        let wait = |tries: u32| {
            let mut w = r.base_ms;
            for _ in 0..tries {
                w = w * r.factor_tenths / 10;
            }
            w
        };
        if self.p1.retransmit_at.is_some_and(|t| t <= now) {
            if self.p1.tries >= r.tries {
                ctx.log(format!(
                    "ISAKMP SA {}: no answer in phase 1 after {} tries",
                    self.handle.0,
                    self.p1.tries + 1
                ));
                self.die(ctx, DownReason::Timeout);
                return;
            }
            self.p1.tries += 1;
            self.p1.retransmit_at = Some(now + wait(self.p1.tries));
            let p = self.p1.packets.clone();
            self.transmit(ctx, &p);
        }
        let mids: Vec<u32> = self.exchanges.keys().copied().collect();
        for mid in mids {
            let Some(e) = self.exchanges.get_mut(&mid) else {
                continue;
            };
            if e.purge_at.is_some_and(|t| t <= now) {
                self.exchanges.remove(&mid);
                continue;
            }
            if e.flight.retransmit_at.is_none_or(|t| t > now) {
                continue;
            }
            if e.flight.tries >= r.tries {
                e.flight.retransmit_at = None;
                self.exchange_timed_out(ctx, mid);
                if self.is_dead() {
                    return;
                }
                continue;
            }
            e.flight.tries += 1;
            e.flight.retransmit_at = Some(now + wait(e.flight.tries));
            let p = e.flight.packets.clone();
            self.transmit(ctx, &p);
        }
    }

    /// An exchange got no answer: for our requests the peer is gone
    /// (as an IKEv2 request timing out); a Quick Mode we answered is
    /// dropped.
    fn exchange_timed_out(&mut self, ctx: &mut Ctx<'_>, mid: u32) {
        let Some(e) = self.exchanges.remove(&mid) else {
            return;
        };
        match e.kind {
            ExKind::QmResp(q) => {
                ctx.out.child_spis.remove(&q.spi_in);
            }
            ExKind::Done => {}
            _ => {
                ctx.log(format!(
                    "ISAKMP SA {}: no answer in exchange {mid:08x}",
                    self.handle.0
                ));
                self.die(ctx, DownReason::Timeout);
            }
        }
    }

    /// Follows the peer to a new address (the float to port 4500, a NAT
    /// rebinding; RFC 3947 §4): only on authenticated messages.
    pub(crate) fn follow(&mut self, ctx: &mut Ctx<'_>, local: SocketAddr, remote: SocketAddr) {
        self.last_heard = ctx.now;
        if remote != self.remote || local != self.local {
            self.remote = remote;
            self.local = local;
            self.encap = local.port() == 4500 || remote.port() == 4500;
            if self.up {
                ctx.out.events.push_back(Event::PeerAddressChanged {
                    sa: self.handle,
                    remote,
                });
            }
        }
    }

    /// Publishes the keys (for key logs and Wireshark tables).
    pub(crate) fn announce_keys(&self, ctx: &mut Ctx<'_>) {
        let (Some(k), Some(c)) = (&self.keys, &self.chosen) else {
            return;
        };
        ctx.out.events.push_back(Event::Ikev1Keys(Ikev1KeyRecord {
            sa: self.handle,
            cky_i: self.cky_i,
            cky_r: self.cky_r,
            encr: c.encr.0,
            key_bits: c.key_bits,
            hash: c.hash.0,
            key: k.enc_key.clone(),
            skeyid_d: k.k.skeyid_d.clone(),
            skeyid_a: k.k.skeyid_a.clone(),
        }));
    }

    /// Ends the SA: IPsec SAs down first, then the ISAKMP SA.
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
        for e in std::mem::take(&mut self.exchanges).into_values() {
            match e.kind {
                ExKind::QmInit(q) => {
                    ctx.out.child_spis.remove(&q.spi_in);
                }
                ExKind::QmResp(q) => {
                    ctx.out.child_spis.remove(&q.spi_in);
                }
                _ => {}
            }
        }
        self.state = Phase1::Dead;
        self.queue.clear();
        self.timers = TimerTable::default();
        self.gxy = None;
        if self.announced {
            ctx.out.events.push_back(Event::IkeSaDown {
                sa: self.handle,
                reason,
            });
        }
    }

    /// Handles a message for this SA (already matched by cookies).
    pub(crate) fn handle(
        &mut self,
        ctx: &mut Ctx<'_>,
        raw: &[u8],
        local: SocketAddr,
        remote: SocketAddr,
    ) {
        if self.is_dead() {
            return;
        }
        let Ok(msg) = Message::parse(raw, Mode::Strict) else {
            return;
        };
        let h = msg.header;
        if h.next_payload == PayloadType::V1_FRAGMENT && !h.flags.has(Flags::ENCRYPTION) {
            if let Some(whole) = self.fragment_in(ctx, &msg) {
                // The reassembled message must belong here too.
                if Header::parse(&whole).is_ok_and(|w| w.ispi == h.ispi && w.rspi == h.rspi) {
                    self.handle(ctx, &whole, local, remote);
                }
            }
            return;
        }
        let digest: [u8; 32] = Sha256::digest(raw).into();
        // A copy of the peer's last message: ours was lost, send it again.
        let again = if h.message_id == 0 {
            self.p1.last_in == Some(digest)
        } else {
            self.exchanges
                .get(&h.message_id)
                .is_some_and(|e| e.flight.last_in == Some(digest))
        };
        if again {
            let packets = if h.message_id == 0 {
                self.p1.packets.clone()
            } else {
                self.exchanges
                    .get(&h.message_id)
                    .map(|e| e.flight.packets.clone())
                    .unwrap_or_default()
            };
            self.transmit(ctx, &packets);
            return;
        }
        match h.exchange_type {
            ExchangeType::IDENTITY_PROTECTION => {
                self.main_mode_in(ctx, &msg, raw, digest, local, remote)
            }
            ExchangeType::AGGRESSIVE => self.aggressive_in(ctx, &msg, raw, digest, local, remote),
            ExchangeType::QUICK_MODE => self.quick_in(ctx, &msg, digest, local, remote),
            ExchangeType::INFORMATIONAL_V1 => self.info_in(ctx, &msg, local, remote),
            ExchangeType::TRANSACTION => self.transaction_in(ctx, &msg, digest, local, remote),
            _ => {}
        }
        self.rearm();
    }

    /// Adds work; starts it at once when the SA is up.
    pub(crate) fn enqueue(&mut self, ctx: &mut Ctx<'_>, p: Pending) {
        if !self.queue.contains(&p) {
            self.queue.push_back(p);
        }
        self.run_queue(ctx);
    }

    /// Starts queued work once the SA is up (and Mode-Config, which gives
    /// the client its address, is done).
    pub(crate) fn run_queue(&mut self, ctx: &mut Ctx<'_>) {
        if !self.is_established() || self.cfg == CfgState::Pending {
            return;
        }
        while let Some(p) = self.queue.pop_front() {
            match p {
                Pending::NewChild(cfg) => self.start_quick(ctx, cfg, None),
                Pending::RekeyChild(id) => self.start_rekey_child(ctx, id),
                Pending::DeleteChild(id) => self.delete_children(ctx, &[id]),
                Pending::DeleteIke => self.delete_ike(ctx),
                Pending::Liveness => self.send_dpd(ctx),
            }
            if self.is_dead() {
                return;
            }
        }
        self.rearm();
    }

    /// XAUTH (if any) is over and successful: the SA is up.
    pub(crate) fn become_up(&mut self, ctx: &mut Ctx<'_>) {
        if self.up {
            return;
        }
        self.up = true;
        self.announced = true;
        self.timers.stop(Timer::HalfOpen);
        let cfg = ctx.peer_cfg(self.peer).clone();
        // Named as IKEv2 names them (and strongSwan lists IKEv1 SAs): the
        // hash's HMAC as integrity and PRF.
        let algorithms = self
            .chosen
            .as_ref()
            .and_then(|c| {
                let prf = c.hash()?.prf_id();
                Some(crate::engine::proposal::Chosen {
                    encr: c.cipher()?,
                    integ: super::proposal::integ_of_hash(c.hash),
                    prf: Some(prf),
                    ke: Some(crate::wire::registry::KeMethod(c.group)),
                    esn: None,
                })
            })
            .map(|c| c.describe())
            .unwrap_or_default();
        // A phase 1 rekey is announced as IkeSaRekeyed once it takes over.
        if self.replaces.is_none() {
            ctx.out.events.push_back(Event::IkeSaUp {
                sa: self.handle,
                peer: cfg.name.clone(),
                initiator: self.initiator,
                local: self.local,
                remote: self.remote,
                local_id: cfg.local_id.clone(),
                remote_id: self.remote_id.clone().unwrap_or(Identity::Null),
                spi_i: self.cky_i,
                spi_r: self.cky_r,
                algorithms,
            });
        }
        if let Some(d) = cfg.dpd_ms {
            self.timers.set(Timer::Liveness, ctx.now + d);
        }
        // Mode-Config follows XAUTH; the first Child SA follows both.
        self.start_mode_config(ctx);
        if self.initiator && self.replaces.is_none() && !cfg.children.is_empty() {
            self.enqueue(ctx, Pending::NewChild(0));
        }
        self.run_queue(ctx);
    }

    /// Phase 1 is complete: arm the lifetimes, then XAUTH or up.
    pub(crate) fn phase1_complete(&mut self, ctx: &mut Ctx<'_>) {
        self.state = Phase1::Done;
        self.gxy = None;
        let cfg = ctx.peer_cfg(self.peer).clone();
        let opts = self.opts(ctx);
        let life_ms = self.lifetime_s.map(|s| s.saturating_mul(1000));
        let rekey = cfg
            .ike_rekey_ms
            .or_else(|| life_ms.map(|l| l / 10 * 9))
            .filter(|_| self.initiator || cfg.ike_rekey_ms.is_some());
        if let Some(r) = rekey {
            self.timers.set(Timer::RekeyIke, ctx.now + r);
        }
        if let Some(l) = life_ms {
            self.timers.set(Timer::Reap, ctx.now + l);
        }
        if self.nat.local_behind {
            if let Some(k) = ctx.config.nat_keepalive_ms {
                self.timers.set(Timer::Keepalive, ctx.now + k);
            }
        }
        self.xauth = if opts.xauth.is_some() {
            XauthState::Pending
        } else {
            XauthState::None
        };
        self.cfg = if opts.mode_config.is_some() {
            CfgState::Pending
        } else {
            CfgState::None
        };
        if self.xauth == XauthState::Pending {
            self.start_xauth(ctx);
        } else {
            self.become_up(ctx);
        }
    }

    /// Fires due timers.
    pub(crate) fn on_timeout(&mut self, ctx: &mut Ctx<'_>) {
        for t in self.timers.expired(ctx.now) {
            if self.is_dead() {
                return;
            }
            match t {
                Timer::Retransmit => self.retransmit_due(ctx),
                Timer::HalfOpen => {
                    if !self.up {
                        self.die(ctx, DownReason::HalfOpenTimeout);
                    }
                }
                Timer::RekeyIke => self.effects.rekey = true,
                Timer::Child => self.child_timers(ctx),
                Timer::Liveness => self.dpd_timer(ctx),
                Timer::Keepalive => self.keepalive(ctx),
                Timer::Reap => self.expire(ctx),
            }
        }
        if !self.is_dead() {
            self.rearm();
        }
    }

    /// The hard lifetime of phase 1 ran out: tell the peer, end.
    fn expire(&mut self, ctx: &mut Ctx<'_>) {
        if self.phase1_done() {
            self.send_delete_isakmp(ctx);
        }
        self.die(ctx, DownReason::Expired);
    }
}
