//! Quick Mode (RFC 2409 §5.5): IPsec SAs under the ISAKMP SA.
//!
//! ```text
//! QM1  I->R  HDR*, HASH(1), SA, Ni, [KE], [IDci, IDcr], [NAT-OAi, NAT-OAr]
//! QM2  R->I  HDR*, HASH(2), SA, Nr, [KE], [IDci, IDcr], [N(RESPONDER-LIFETIME)], [NAT-OA*]
//! QM3  I->R  HDR*, HASH(3)
//! [    R->I  HDR*, HASH(1), N(CONNECTED)   when the commit bit is set, RFC 2408 §3.1 ]
//! ```
//!
//! HASH(1) = prf(SKEYID_a, M-ID | SA | Ni [| KE] [| IDci | IDcr]),
//! HASH(2) = prf(SKEYID_a, M-ID | Ni_b | SA | Nr [| KE] [| IDci | IDcr]),
//! HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b);
//! KEYMAT = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)
//! expanded, one per direction with the SPI of its receiver. The ID
//! payloads are the traffic selectors (RFC 2407 §4.6.2); without them the
//! SA is between the phase 1 addresses. Lifetimes in seconds and
//! kilobytes are proposed, shortened by the responder with
//! RESPONDER-LIFETIME (RFC 2407 §4.6.3.1), and rekeyed before they run
//! out with a fresh Quick Mode.

use std::net::SocketAddr;

use super::payloads::{nat_oa_body, notify_body, ts_body, ts_of, IdIn, Inbound, SaIn};
use super::proposal::{
    attr_values, effective_life, esp_acceptable, esp_offer, esp_sa_body, tunnel, AttrOwned,
    EspTransform,
};
use super::sa::{ExKind, Exchange, Flight, IsakmpSa, NONCE_LEN};
use crate::crypto::keymat_v1;
use crate::crypto::{ct_eq, KeyExchange, Secret};
use crate::engine::config::IpsecMode;
use crate::engine::ctx::Ctx;
use crate::engine::event::{ChildId, ChildSaInfo, DownReason, Event};
use crate::engine::identity::TrafficSelector;
use crate::engine::timer::Timer;
use crate::wire::emit::ChainBuilder;
use crate::wire::header::{Flags, PAYLOAD_HEADER_LEN};
use crate::wire::message::Message;
use crate::wire::registry::{
    ExchangeType, IpsecAttrType, KeMethod, LifeType, NotifyTypeV1, PayloadType, ProtocolIdV1,
};

const QM: ExchangeType = ExchangeType::QUICK_MODE;

/// An IPsec SA made by Quick Mode.
pub(crate) struct ChildSa {
    pub(crate) id: ChildId,
    /// Index of its child configuration.
    pub(crate) cfg: usize,
    pub(crate) spi_in: u32,
    pub(crate) spi_out: u32,
    /// Its parameters and keys as announced.
    pub(crate) info: ChildSaInfo,
    pub(crate) rekey_at: Option<u64>,
    pub(crate) expire_at: Option<u64>,
    /// A newer SA replaces it (it lives on until deleted or expired).
    pub(crate) replaced: bool,
}

/// Initiator: QM1 sent.
pub(crate) struct QmInit {
    pub(crate) cfg: usize,
    pub(crate) spi_in: u32,
    pub(crate) ni: Vec<u8>,
    pub(crate) ke: Option<Box<dyn KeyExchange>>,
    /// Our proposals (numbered from 1).
    pub(crate) offered: Vec<Vec<EspTransform>>,
    /// The ID bodies we sent.
    pub(crate) ids: [Vec<u8>; 2],
    pub(crate) local_ts: TrafficSelector,
    pub(crate) remote_ts: TrafficSelector,
    /// The Child SA this Quick Mode rekeys.
    pub(crate) rekey_of: Option<ChildId>,
    /// QM3 sent with the commit bit: the SA waits for CONNECTED.
    pub(crate) committed: Option<Box<ChildSa>>,
}

/// Responder: QM2 sent.
pub(crate) struct QmResp {
    pub(crate) spi_in: u32,
    pub(crate) ni: Vec<u8>,
    pub(crate) nr: Vec<u8>,
    /// The SA to install when QM3 verifies.
    pub(crate) child: Box<ChildSa>,
    /// The initiator set the commit bit: confirm with CONNECTED.
    pub(crate) commit: bool,
}

/// `HASH | rest`: a HASH payload before an already written chain.
pub(crate) fn with_hash(hash: &[u8], first: PayloadType, rest: &[u8]) -> Vec<u8> {
    let len = u16::try_from(PAYLOAD_HEADER_LEN + hash.len()).unwrap_or(u16::MAX);
    let mut v = Vec::with_capacity(PAYLOAD_HEADER_LEN + hash.len() + rest.len());
    v.push(first.0);
    v.push(0);
    v.extend_from_slice(&len.to_be_bytes());
    v.extend_from_slice(hash);
    v.extend_from_slice(rest);
    v
}

/// The single proposal and transform of a responder's SA payload.
fn reply_choice(sa: &SaIn) -> Option<(u8, u32, EspTransform)> {
    let [p] = sa.proposals.as_slice() else {
        return None;
    };
    let [t] = p.transforms.as_slice() else {
        return None;
    };
    if p.protocol != ProtocolIdV1::IPSEC_ESP {
        return None;
    }
    let spi = u32::from_be_bytes(p.spi.as_slice().try_into().ok()?);
    Some((p.number, spi, EspTransform::from_wire(t)?))
}

/// Lifetimes in a RESPONDER-LIFETIME notify (seconds, kilobytes).
fn responder_lifetime(inb: &Inbound) -> (Option<u64>, Option<u64>) {
    let Some(n) = inb.notify(NotifyTypeV1::RESPONDER_LIFETIME) else {
        return (None, None);
    };
    let (mut s, mut kb, mut kind) = (None, None, None);
    let data = n.data.as_slice();
    for a in crate::wire::attribute::AttributeIter::new(data, data) {
        let Ok(a) = a else { break };
        match (IpsecAttrType(a.attr_type), a.as_u64()) {
            (IpsecAttrType::SA_LIFE_TYPE, Some(v)) => kind = u16::try_from(v).ok().map(LifeType),
            (IpsecAttrType::SA_LIFE_DURATION, Some(v)) => match kind.take() {
                Some(LifeType::SECONDS) => s = Some(v),
                Some(LifeType::KILOBYTES) => kb = Some(v),
                _ => {}
            },
            _ => {}
        }
    }
    (s, kb)
}

impl IsakmpSa {
    /// Our side's selector for a child configuration: the Mode-Config
    /// address when we got one, else the first configured, else our
    /// address.
    fn our_ts(&self, ctx: &Ctx<'_>, cfg: usize) -> TrafficSelector {
        if let (Some(vip), true) = (self.vip, self.cfg_client(ctx)) {
            return TrafficSelector::host(vip);
        }
        ctx.peer_cfg(self.peer)
            .children
            .get(cfg)
            .and_then(|c| c.local_ts.first().copied())
            .unwrap_or_else(|| TrafficSelector::host(self.local.ip()))
    }

    /// The peer's side's selector for a child configuration.
    fn their_ts(&self, ctx: &Ctx<'_>, cfg: usize) -> TrafficSelector {
        ctx.peer_cfg(self.peer)
            .children
            .get(cfg)
            .and_then(|c| c.remote_ts.first().copied())
            .unwrap_or_else(|| TrafficSelector::host(self.remote.ip()))
    }

    /// Starts a Quick Mode for child configuration `cfg` (rekeying
    /// `rekey_of` when set).
    pub(crate) fn start_quick(&mut self, ctx: &mut Ctx<'_>, cfg: usize, rekey_of: Option<ChildId>) {
        let Some(child) = ctx.peer_cfg(self.peer).children.get(cfg).cloned() else {
            return;
        };
        let opts = self.opts(ctx);
        let (Some(mid), Some(spi_in)) = (self.new_mid(ctx), ctx.child_spi()) else {
            return;
        };
        let ni = ctx.random(NONCE_LEN);
        let pfs = child.esp.iter().find_map(|s| s.ke.first()).map(|k| k.0);
        let ke = match pfs {
            Some(g) => match ctx.provider.key_exchange(KeMethod(g), ctx.rng) {
                Ok(k) => Some(k),
                Err(_) => {
                    ctx.out.child_spis.remove(&spi_in);
                    return;
                }
            },
            None => None,
        };
        let local_ts = self.our_ts(ctx, cfg);
        let remote_ts = self.their_ts(ctx, cfg);
        let tun = child.mode == IpsecMode::Tunnel;
        let offered = esp_offer(
            &child.esp,
            pfs,
            self.encap_mode(tun),
            child.lifetime_ms.map(|l| l / 1000),
            opts.child_lifetime_kb,
        );
        let Some(sa_body) = esp_sa_body(&offered, &spi_in.to_be_bytes()) else {
            ctx.out.child_spis.remove(&spi_in);
            return;
        };
        if offered.is_empty() {
            ctx.log(format!(
                "ISAKMP SA {}: child {:?} has no ESP proposal IKEv1 can express",
                self.handle.0, child.name
            ));
            ctx.out.child_spis.remove(&spi_in);
            return;
        }
        let ids = [ts_body(&local_ts), ts_body(&remote_ts)];
        let mut c = ChainBuilder::new();
        c.payload(PayloadType::SA, 0, |o| o.bytes(&sa_body));
        c.payload(PayloadType::NONCE, 0, |o| o.bytes(&ni));
        if let Some(k) = &ke {
            let v = k.public_value().to_vec();
            c.payload(PayloadType::KE, 0, |o| o.bytes(&v));
        }
        c.payload(PayloadType::ID, 0, |o| o.bytes(&ids[0]));
        c.payload(PayloadType::ID, 0, |o| o.bytes(&ids[1]));
        self.write_nat_oa(&mut c, tun);
        let Ok((first, rest)) = c.finish() else {
            ctx.out.child_spis.remove(&spi_in);
            return;
        };
        let (Some(hash), Some(iv)) = (self.hash1(mid, &rest), self.phase2_iv(mid)) else {
            ctx.out.child_spis.remove(&spi_in);
            return;
        };
        let chain = with_hash(&hash, first, &rest);
        let flags = if opts.commit { Flags::COMMIT } else { 0 };
        let Some((msg, next_iv)) = self.seal(QM, mid, flags, PayloadType::HASH, &chain, &iv) else {
            ctx.out.child_spis.remove(&spi_in);
            return;
        };
        if let Some(old) = rekey_of {
            self.rekeying.push(old);
        }
        self.exchanges.insert(
            mid,
            Exchange {
                kind: ExKind::QmInit(Box::new(QmInit {
                    cfg,
                    spi_in,
                    ni,
                    ke,
                    offered,
                    ids,
                    local_ts,
                    remote_ts,
                    rekey_of,
                    committed: None,
                })),
                iv: next_iv,
                flight: Flight::default(),
                purge_at: None,
            },
        );
        self.send(ctx, mid, msg, true);
    }

    /// NAT-OA payloads (RFC 3947 §5.2): our original address and the
    /// peer's as we address it, for transport mode behind a NAT.
    fn write_nat_oa(&self, c: &mut ChainBuilder, tunnel: bool) {
        let Some(v) = self.nat.natt else { return };
        if tunnel || !self.nat.any() {
            return;
        }
        let t = v.nat_oa_type();
        let (a, b) = (self.local.ip(), self.remote.ip());
        c.payload(t, 0, |o| nat_oa_body(o, a));
        c.payload(t, 0, |o| nat_oa_body(o, b));
    }

    /// A Quick Mode message.
    pub(crate) fn quick_in(
        &mut self,
        ctx: &mut Ctx<'_>,
        msg: &Message<'_>,
        digest: [u8; 32],
        local: SocketAddr,
        remote: SocketAddr,
    ) {
        let h = msg.header;
        if !self.phase1_done() || h.message_id == 0 || !h.flags.has(Flags::ENCRYPTION) {
            return;
        }
        match self.exchanges.get(&h.message_id).map(|e| &e.kind) {
            None if self.is_established() => self.qm1(ctx, msg, digest, local, remote),
            Some(ExKind::QmInit(q)) if q.committed.is_none() => {
                self.qm2(ctx, msg, digest, local, remote)
            }
            Some(ExKind::QmResp(_)) => self.qm3(ctx, msg, digest, local, remote),
            _ => {}
        }
    }

    /// Decrypts a message of exchange `mid` with IV `iv` and checks that
    /// it starts with a HASH payload; returns it read and the next IV.
    fn open_hashed(&self, msg: &Message<'_>, iv: &[u8]) -> Option<(Inbound, Vec<u8>)> {
        let (pt, next) = self.open(msg, iv)?;
        let inb = Inbound::read(pt.expose(), msg.header.next_payload, true).ok()?;
        (inb.order.first() == Some(&PayloadType::HASH)).then_some((inb, next))
    }

    /// Responder: QM1.
    fn qm1(
        &mut self,
        ctx: &mut Ctx<'_>,
        msg: &Message<'_>,
        digest: [u8; 32],
        local: SocketAddr,
        remote: SocketAddr,
    ) {
        let mid = msg.header.message_id;
        let Some(iv) = self.phase2_iv(mid) else {
            return;
        };
        let Some((inb, next_iv)) = self.open_hashed(msg, &iv) else {
            return;
        };
        let (Some(got), Some(rest)) = (&inb.hash, &inb.after_hash) else {
            return;
        };
        if !self.hash1(mid, rest).is_some_and(|w| ct_eq(&w, got)) {
            ctx.log(format!(
                "ISAKMP SA {}: Quick Mode {mid:08x}: HASH(1) does not verify",
                self.handle.0
            ));
            return;
        }
        self.follow(ctx, local, remote);
        let commit = msg.header.flags.has(Flags::COMMIT);
        // Register the exchange first: a refusal is our answer to it.
        self.exchanges.insert(
            mid,
            Exchange {
                kind: ExKind::Done,
                iv: next_iv,
                flight: Flight::default(),
                purge_at: None,
            },
        );
        self.accepted(mid, digest);
        match self.qm1_accept(ctx, mid, &inb, commit) {
            Ok(()) => {}
            Err(n) => {
                ctx.log(format!(
                    "ISAKMP SA {}: Quick Mode {mid:08x} refused: {n}",
                    self.handle.0
                ));
                let spi = inb
                    .sa
                    .as_ref()
                    .and_then(|s| s.proposals.first())
                    .map(|p| p.spi.clone())
                    .unwrap_or_default();
                self.send_notify(ctx, ProtocolIdV1::IPSEC_ESP, &spi, n, &[]);
                self.finish_exchange(ctx, mid);
            }
        }
    }

    /// Responder: chooses the child configuration and transform and
    /// sends QM2; the error to notify otherwise.
    fn qm1_accept(
        &mut self,
        ctx: &mut Ctx<'_>,
        mid: u32,
        inb: &Inbound,
        commit: bool,
    ) -> Result<(), NotifyTypeV1> {
        let sa = inb.sa.as_ref().ok_or(NotifyTypeV1::PAYLOAD_MALFORMED)?;
        let ni = inb.nonce.clone().ok_or(NotifyTypeV1::PAYLOAD_MALFORMED)?;
        if !(8..=256).contains(&ni.len()) {
            return Err(NotifyTypeV1::PAYLOAD_MALFORMED);
        }
        // The selectors: the initiator's side (the peer's), then ours.
        let (peer_ts, our_ts, id_bodies): (TrafficSelector, TrafficSelector, Option<[IdIn; 2]>) =
            match inb.ids.as_slice() {
                [] => (
                    TrafficSelector::host(self.remote.ip()),
                    TrafficSelector::host(self.local.ip()),
                    None,
                ),
                [ci, cr] => (
                    ts_of(ci).ok_or(NotifyTypeV1::INVALID_ID_INFORMATION)?,
                    ts_of(cr).ok_or(NotifyTypeV1::INVALID_ID_INFORMATION)?,
                    Some([ci.clone(), cr.clone()]),
                ),
                _ => return Err(NotifyTypeV1::INVALID_ID_INFORMATION),
            };
        let peer_cfg = ctx.peer_cfg(self.peer).clone();
        let opts = self.opts(ctx);
        let fits = |c: &crate::engine::config::ChildConfig| {
            let remote_ok = if c.remote_ts.is_empty() {
                peer_ts == TrafficSelector::host(self.remote.ip())
            } else {
                c.remote_ts.iter().any(|t| t.contains(&peer_ts))
            };
            let local_ok = if c.local_ts.is_empty() {
                our_ts == TrafficSelector::host(self.local.ip())
            } else {
                c.local_ts.iter().any(|t| t.contains(&our_ts))
            };
            // A client's selector must be the address we gave it.
            let vip_ok = !self.cfg_server(ctx)
                || self.vip.is_none_or(|v| peer_ts == TrafficSelector::host(v));
            remote_ok && local_ok && vip_ok
        };
        let cfg = peer_cfg
            .children
            .iter()
            .position(fits)
            .ok_or(NotifyTypeV1::INVALID_ID_INFORMATION)?;
        let child_cfg = &peer_cfg.children[cfg];
        let want_tunnel = child_cfg.mode == IpsecMode::Tunnel;
        let pfs = inb.ke.as_ref().map(|_| ());
        // Our preference: the spec order; within it the peer's order.
        let mut best: Option<(usize, usize, usize, EspTransform)> = None;
        for (pi, p) in sa.proposals.iter().enumerate() {
            if p.protocol != ProtocolIdV1::IPSEC_ESP || p.spi.len() != 4 {
                continue;
            }
            for (ti, t) in p.transforms.iter().enumerate() {
                let Some(e) = EspTransform::from_wire(t) else {
                    continue;
                };
                if tunnel(e.encap) != want_tunnel || e.group.is_some() != pfs.is_some() {
                    continue;
                }
                if let Some(rank) = esp_acceptable(&child_cfg.esp, &e, e.group) {
                    if best.as_ref().is_none_or(|b| rank < b.0) {
                        best = Some((rank, pi, ti, e));
                    }
                }
            }
        }
        let (_, pi, ti, t) = best.ok_or(NotifyTypeV1::NO_PROPOSAL_CHOSEN)?;
        let prop = &sa.proposals[pi];
        let spi_out = u32::from_be_bytes(
            prop.spi
                .as_slice()
                .try_into()
                .map_err(|_| NotifyTypeV1::INVALID_SPI)?,
        );
        let (gx_r, pfs_secret) = match (&inb.ke, t.group) {
            (Some(k), Some(g)) => {
                let (v, s) = ctx
                    .provider
                    .key_exchange_respond(KeMethod(g), k, ctx.rng)
                    .map_err(|_| NotifyTypeV1::INVALID_KEY_INFORMATION)?;
                (Some(v), Some(s))
            }
            _ => (None, None),
        };
        let spi_in = ctx.child_spi().ok_or(NotifyTypeV1::NO_PROPOSAL_CHOSEN)?;
        let nr = ctx.random(NONCE_LEN);
        // Lifetimes: ours when shorter, then told with RESPONDER-LIFETIME.
        let ours_s = child_cfg.lifetime_ms.map(|l| l / 1000);
        let offered_s = t.life_s.or(Some(28_800));
        let life_s = effective_life(offered_s, ours_s);
        let life_kb = effective_life(t.life_kb, opts.child_lifetime_kb);
        let shorter = life_s < offered_s || (life_kb.is_some() && life_kb != t.life_kb);
        let echoed: Vec<(u16, AttrOwned)> = prop.transforms[ti]
            .attrs
            .iter()
            .map(AttrOwned::echo)
            .collect();
        let tr = &prop.transforms[ti];
        let sa_body = super::payloads::body_of(|o| {
            super::payloads::sa_header(o);
            crate::wire::emit::SaWriter::new(o).proposal(
                0,
                prop.number,
                ProtocolIdV1::IPSEC_ESP.0,
                &spi_in.to_be_bytes(),
                |w| {
                    w.v1(tr.number, tr.id, attr_values(&echoed));
                },
            );
        })
        .ok_or(NotifyTypeV1::PAYLOAD_MALFORMED)?;
        let mut c = ChainBuilder::new();
        c.payload(PayloadType::SA, 0, |o| o.bytes(&sa_body));
        c.payload(PayloadType::NONCE, 0, |o| o.bytes(&nr));
        if let Some(v) = &gx_r {
            c.payload(PayloadType::KE, 0, |o| o.bytes(v));
        }
        if let Some([ci, cr]) = &id_bodies {
            c.payload(PayloadType::ID, 0, |o| o.bytes(&ci.body));
            c.payload(PayloadType::ID, 0, |o| o.bytes(&cr.body));
        }
        if shorter {
            let mut attrs = Vec::new();
            if let Some(s) = life_s {
                attrs.push((
                    IpsecAttrType::SA_LIFE_TYPE.0,
                    AttrOwned::Short(LifeType::SECONDS.0),
                ));
                attrs.push(AttrOwned::int(IpsecAttrType::SA_LIFE_DURATION.0, s));
            }
            if let Some(k) = life_kb {
                attrs.push((
                    IpsecAttrType::SA_LIFE_TYPE.0,
                    AttrOwned::Short(LifeType::KILOBYTES.0),
                ));
                attrs.push(AttrOwned::int(IpsecAttrType::SA_LIFE_DURATION.0, k));
            }
            let data = super::payloads::body_of(|o| {
                for (t, v) in attr_values(&attrs) {
                    o.attribute(t, v);
                }
            })
            .unwrap_or_default();
            c.payload(PayloadType::NOTIFICATION, 0, |o| {
                notify_body(
                    o,
                    ProtocolIdV1::IPSEC_ESP,
                    &spi_in.to_be_bytes(),
                    NotifyTypeV1::RESPONDER_LIFETIME,
                    &data,
                )
            });
        }
        self.write_nat_oa(&mut c, want_tunnel);
        let (first, rest) = c.finish().map_err(|_| NotifyTypeV1::PAYLOAD_MALFORMED)?;
        let k = self
            .keys
            .as_ref()
            .ok_or(NotifyTypeV1::INVALID_KEY_INFORMATION)?;
        let hash = keymat_v1::hash2(&*k.prf, k.k.skeyid_a.expose(), mid, &ni, &rest)
            .map_err(|_| NotifyTypeV1::INVALID_KEY_INFORMATION)?;
        let chain = with_hash(hash.expose(), first, &rest);
        let iv = self
            .exchanges
            .get(&mid)
            .map(|e| e.iv.clone())
            .unwrap_or_default();
        let flags = if commit { Flags::COMMIT } else { 0 };
        let (m, next_iv) = self
            .seal(QM, mid, flags, PayloadType::HASH, &chain, &iv)
            .ok_or(NotifyTypeV1::INVALID_KEY_INFORMATION)?;
        let Some(child) = self.make_child(
            ctx,
            cfg,
            spi_in,
            spi_out,
            &t,
            pfs_secret.as_ref(),
            &ni,
            &nr,
            our_ts,
            peer_ts,
            life_s,
            life_kb,
            false,
        ) else {
            ctx.out.child_spis.remove(&spi_in);
            return Err(NotifyTypeV1::NO_PROPOSAL_CHOSEN);
        };
        if let Some(e) = self.exchanges.get_mut(&mid) {
            e.iv = next_iv;
            e.kind = ExKind::QmResp(Box::new(QmResp {
                spi_in,
                ni,
                nr,
                child: Box::new(child),
                commit,
            }));
        }
        self.send(ctx, mid, m, true);
        Ok(())
    }

    /// Initiator: QM2.
    fn qm2(
        &mut self,
        ctx: &mut Ctx<'_>,
        msg: &Message<'_>,
        digest: [u8; 32],
        local: SocketAddr,
        remote: SocketAddr,
    ) {
        let mid = msg.header.message_id;
        let Some(e) = self.exchanges.get(&mid) else {
            return;
        };
        let ExKind::QmInit(q) = &e.kind else { return };
        let Some((inb, next_iv)) = self.open_hashed(msg, &e.iv) else {
            return;
        };
        let (Some(got), Some(rest), Some(k)) = (&inb.hash, &inb.after_hash, &self.keys) else {
            return;
        };
        let want = keymat_v1::hash2(&*k.prf, k.k.skeyid_a.expose(), mid, &q.ni, rest);
        if !want.is_ok_and(|w| ct_eq(w.expose(), got)) {
            ctx.log(format!(
                "ISAKMP SA {}: Quick Mode {mid:08x}: HASH(2) does not verify",
                self.handle.0
            ));
            return;
        }
        // Take the exchange's state; it is put back as needed.
        let Some(mut ex) = self.exchanges.remove(&mid) else {
            return;
        };
        let ExKind::QmInit(q) = std::mem::replace(&mut ex.kind, ExKind::Done) else {
            return;
        };
        ex.iv = next_iv;
        self.exchanges.insert(mid, ex);
        self.accepted(mid, digest);
        self.follow(ctx, local, remote);
        let q = *q;
        match self.qm2_complete(ctx, mid, &inb, q, msg.header.flags.has(Flags::COMMIT)) {
            Ok(()) => {}
            Err((why, rekey_of)) => {
                ctx.log(format!(
                    "ISAKMP SA {}: Quick Mode {mid:08x}: {why}",
                    self.handle.0
                ));
                if let Some(old) = rekey_of {
                    self.rekeying.retain(|c| *c != old);
                }
                self.finish_exchange(ctx, mid);
            }
        }
    }

    /// Initiator: checks the responder's choice, sends QM3, installs (or
    /// waits for CONNECTED).
    fn qm2_complete(
        &mut self,
        ctx: &mut Ctx<'_>,
        mid: u32,
        inb: &Inbound,
        q: QmInit,
        commit: bool,
    ) -> Result<(), (String, Option<ChildId>)> {
        let fail = |why: &str| (why.to_owned(), q.rekey_of);
        let release = |ctx: &mut Ctx<'_>| {
            ctx.out.child_spis.remove(&q.spi_in);
        };
        let Some((number, spi_out, t)) = inb.sa.as_ref().and_then(reply_choice) else {
            release(ctx);
            return Err(fail("QM2 without a single ESP proposal"));
        };
        let ours = q
            .offered
            .get(usize::from(number).wrapping_sub(1))
            .and_then(|p| p.iter().find(|o| o.same_suite(&t)));
        let Some(ours) = ours.cloned() else {
            release(ctx);
            return Err(fail("QM2 chose a transform we did not offer"));
        };
        let Some(nr) = inb.nonce.clone().filter(|n| (8..=256).contains(&n.len())) else {
            release(ctx);
            return Err(fail("QM2 without a nonce"));
        };
        let pfs_secret = match (q.ke, &inb.ke) {
            (Some(ke), Some(peer)) => match ke.complete(peer) {
                Ok(s) => Some(s),
                Err(_) => {
                    release(ctx);
                    return Err(fail("QM2 KE does not complete"));
                }
            },
            (None, None) => None,
            _ => {
                release(ctx);
                return Err(fail("QM2 KE does not match the PFS offer"));
            }
        };
        match inb.ids.as_slice() {
            [] => {}
            [ci, cr] if ci.body == q.ids[0] && cr.body == q.ids[1] => {}
            _ => {
                release(ctx);
                return Err(fail("QM2 IDs are not the ones we sent"));
            }
        }
        let (rl_s, rl_kb) = responder_lifetime(inb);
        let life_s = effective_life(rl_s.or(t.life_s).or(ours.life_s), ours.life_s);
        let life_kb = effective_life(rl_kb.or(t.life_kb).or(ours.life_kb), ours.life_kb);
        let Some(child) = self.make_child(
            ctx,
            q.cfg,
            q.spi_in,
            spi_out,
            &ours,
            pfs_secret.as_ref(),
            &q.ni,
            &nr,
            q.local_ts,
            q.remote_ts,
            life_s,
            life_kb,
            true,
        ) else {
            release(ctx);
            return Err(fail("cannot derive the keys"));
        };
        let (Some(k), Some(iv)) = (&self.keys, self.exchanges.get(&mid).map(|e| e.iv.clone()))
        else {
            return Err(fail("no keys"));
        };
        let h3 = keymat_v1::hash3(&*k.prf, k.k.skeyid_a.expose(), mid, &q.ni, &nr)
            .map_err(|e| fail(&e.to_string()))?;
        let chain = with_hash(h3.expose(), PayloadType::NONE, &[]);
        let flags = if commit { Flags::COMMIT } else { 0 };
        let Some((m, next_iv)) = self.seal(QM, mid, flags, PayloadType::HASH, &chain, &iv) else {
            return Err(fail("cannot encrypt QM3"));
        };
        let Some(ex) = self.exchanges.get_mut(&mid) else {
            return Err(fail("exchange gone"));
        };
        ex.iv = next_iv;
        if commit {
            // RFC 2408 §3.1: keep QM3 going until CONNECTED confirms.
            ex.kind = ExKind::QmInit(Box::new(QmInit {
                ke: None,
                offered: Vec::new(),
                committed: Some(Box::new(child)),
                ..q
            }));
            self.send(ctx, mid, m, true);
        } else {
            self.send(ctx, mid, m, false);
            self.finish_exchange(ctx, mid);
            self.install_child(ctx, child, q.rekey_of);
        }
        Ok(())
    }

    /// Responder: QM3.
    fn qm3(
        &mut self,
        ctx: &mut Ctx<'_>,
        msg: &Message<'_>,
        digest: [u8; 32],
        local: SocketAddr,
        remote: SocketAddr,
    ) {
        let mid = msg.header.message_id;
        let Some(e) = self.exchanges.get(&mid) else {
            return;
        };
        let ExKind::QmResp(q) = &e.kind else { return };
        let Some((inb, next_iv)) = self.open_hashed(msg, &e.iv) else {
            return;
        };
        let (Some(got), Some(k)) = (&inb.hash, &self.keys) else {
            return;
        };
        let want = keymat_v1::hash3(&*k.prf, k.k.skeyid_a.expose(), mid, &q.ni, &q.nr);
        if !want.is_ok_and(|w| ct_eq(w.expose(), got)) {
            return;
        }
        let Some(mut ex) = self.exchanges.remove(&mid) else {
            return;
        };
        let ExKind::QmResp(q) = std::mem::replace(&mut ex.kind, ExKind::Done) else {
            return;
        };
        ex.iv = next_iv;
        self.exchanges.insert(mid, ex);
        self.accepted(mid, digest);
        self.follow(ctx, local, remote);
        let spi_in = q.spi_in;
        self.install_child(ctx, *q.child, None);
        if q.commit {
            self.send_connected(ctx, mid, spi_in);
        }
        self.finish_exchange(ctx, mid);
    }

    /// CONNECTED (RFC 2408 §3.14.1, §4.?): an Informational with the
    /// Quick Mode's M-ID, its IV chain going on from QM3.
    fn send_connected(&mut self, ctx: &mut Ctx<'_>, mid: u32, spi: u32) {
        let mut c = ChainBuilder::new();
        c.payload(PayloadType::NOTIFICATION, 0, |o| {
            notify_body(
                o,
                ProtocolIdV1::IPSEC_ESP,
                &spi.to_be_bytes(),
                NotifyTypeV1::CONNECTED,
                &[],
            )
        });
        let Ok((first, rest)) = c.finish() else {
            return;
        };
        let Some(hash) = self.hash1(mid, &rest) else {
            return;
        };
        let chain = with_hash(&hash, first, &rest);
        let Some(iv) = self.exchanges.get(&mid).map(|e| e.iv.clone()) else {
            return;
        };
        let Some((m, next)) = self.seal(
            ExchangeType::INFORMATIONAL_V1,
            mid,
            0,
            PayloadType::HASH,
            &chain,
            &iv,
        ) else {
            return;
        };
        if let Some(e) = self.exchanges.get_mut(&mid) {
            e.iv = next;
        }
        self.send(ctx, mid, m, false);
    }

    /// Initiator: CONNECTED for a committed Quick Mode arrived (already
    /// decrypted and verified).
    pub(crate) fn connected(&mut self, ctx: &mut Ctx<'_>, mid: u32) {
        let Some(e) = self.exchanges.get_mut(&mid) else {
            return;
        };
        let ExKind::QmInit(q) = &mut e.kind else {
            return;
        };
        let Some(child) = q.committed.take() else {
            return;
        };
        let rekey_of = q.rekey_of;
        e.flight.retransmit_at = None;
        e.flight.packets.clear();
        self.finish_exchange(ctx, mid);
        self.install_child(ctx, *child, rekey_of);
    }

    /// KEYMAT and the announced parameters of a new IPsec SA. `ni`/`nr`
    /// are the Quick Mode initiator's and responder's nonces.
    #[allow(clippy::too_many_arguments)]
    fn make_child(
        &self,
        ctx: &mut Ctx<'_>,
        cfg: usize,
        spi_in: u32,
        spi_out: u32,
        t: &EspTransform,
        pfs: Option<&Secret>,
        ni: &[u8],
        nr: &[u8],
        local_ts: TrafficSelector,
        remote_ts: TrafficSelector,
        life_s: Option<u64>,
        life_kb: Option<u64>,
        we_initiated: bool,
    ) -> Option<ChildSa> {
        let k = self.keys.as_ref()?;
        let child_cfg = ctx.peer_cfg(self.peer).children.get(cfg)?.clone();
        let encr = ctx.provider.encryption(t.encr(), t.key_bits).ok()?;
        let integ = t.integ();
        let ilen = match integ {
            Some(i) => ctx.provider.integrity(i).ok()?.key_len(),
            None => 0,
        };
        let elen = encr.key_len();
        let km = |spi: u32| {
            keymat_v1::keymat(
                &*k.prf,
                k.k.skeyid_d.expose(),
                pfs.map(Secret::expose),
                ProtocolIdV1::IPSEC_ESP.0,
                &spi.to_be_bytes(),
                ni,
                nr,
                elen + ilen,
            )
            .ok()
        };
        let (kin, kout) = (km(spi_in)?, km(spi_out)?);
        let (mut a, mut b) = (0, 0);
        let encr_key_in = kin.take(&mut a, elen)?;
        let integ_key_in = kin.take(&mut a, ilen)?;
        let encr_key_out = kout.take(&mut b, elen)?;
        let integ_key_out = kout.take(&mut b, ilen)?;
        let lifetime_ms = life_s.map(|s| s.saturating_mul(1000));
        // The initiator of the SA rekeys first; the responder only later,
        // should the initiator not.
        let rekey_ms = child_cfg.rekey_ms.map(|r| {
            if we_initiated {
                r
            } else {
                match lifetime_ms {
                    Some(l) if l > r => r + (l - r) / 2,
                    _ => r + r / 10,
                }
            }
        });
        let id = ctx.out.child_id();
        let info = ChildSaInfo {
            sa: self.handle,
            child: id,
            name: child_cfg.name.clone(),
            protocol: 50,
            spi_in,
            spi_out,
            encr: t.encr(),
            key_bits: t.key_bits,
            integ,
            esn: false,
            pfs: t.pfs(),
            mode: child_cfg.mode,
            encap: super::proposal::udp_encap(t.encap) || self.encap,
            local: self.local,
            remote: self.remote,
            local_ts: vec![local_ts],
            remote_ts: vec![remote_ts],
            encr_key_in,
            encr_key_out,
            integ_key_in,
            integ_key_out,
            rekey_ms,
            lifetime_ms,
            lifetime_kb: life_kb,
        };
        Some(ChildSa {
            id,
            cfg,
            spi_in,
            spi_out,
            info,
            rekey_at: rekey_ms.map(|r| ctx.now + r),
            expire_at: lifetime_ms.map(|l| ctx.now + l),
            replaced: false,
        })
    }

    /// Announces and keeps a new IPsec SA. A rekey we started replaces
    /// `rekey_of` (deleted at once); one the peer started is recognised by
    /// its configuration and selectors, and the old SA stays until the
    /// peer deletes it or it expires.
    pub(crate) fn install_child(
        &mut self,
        ctx: &mut Ctx<'_>,
        mut child: ChildSa,
        rekey_of: Option<ChildId>,
    ) {
        // Lifetimes run from now, when the SA is installed.
        child.rekey_at = child.info.rekey_ms.map(|r| ctx.now + r);
        child.expire_at = child.info.lifetime_ms.map(|l| ctx.now + l);
        let old = rekey_of
            .filter(|o| self.children.iter().any(|c| c.id == *o))
            .or_else(|| {
                self.children
                    .iter()
                    .find(|c| {
                        !c.replaced
                            && c.cfg == child.cfg
                            && c.info.local_ts == child.info.local_ts
                            && c.info.remote_ts == child.info.remote_ts
                    })
                    .map(|c| c.id)
            });
        match old {
            Some(o) => {
                ctx.out.events.push_back(Event::ChildSaRekeyed {
                    old: o,
                    new: child.info.clone(),
                });
                if let Some(c) = self.children.iter_mut().find(|c| c.id == o) {
                    c.replaced = true;
                    c.rekey_at = None;
                }
                self.children.push(child);
                if rekey_of.is_some() {
                    self.rekeying.retain(|c| *c != o);
                    self.delete_children(ctx, &[o]);
                }
            }
            None => {
                ctx.out
                    .events
                    .push_back(Event::ChildSaUp(child.info.clone()));
                self.children.push(child);
            }
        }
        self.arm_child_timer();
    }

    /// Removes an IPsec SA and says so.
    pub(crate) fn remove_child(&mut self, ctx: &mut Ctx<'_>, id: ChildId, reason: DownReason) {
        let Some(pos) = self.children.iter().position(|c| c.id == id) else {
            return;
        };
        let c = self.children.remove(pos);
        ctx.out.child_spis.remove(&c.spi_in);
        let reason = if c.replaced {
            DownReason::Rekeyed
        } else {
            reason
        };
        ctx.out.events.push_back(Event::ChildSaDown {
            sa: self.handle,
            child: c.id,
            spi_in: c.spi_in,
            spi_out: c.spi_out,
            reason,
        });
        self.arm_child_timer();
    }

    /// The Child timer: the earliest rekey or expiry.
    pub(crate) fn arm_child_timer(&mut self) {
        let next = self
            .children
            .iter()
            .flat_map(|c| [c.rekey_at, c.expire_at])
            .flatten()
            .min();
        match next {
            Some(t) => self.timers.set(Timer::Child, t),
            None => self.timers.stop(Timer::Child),
        }
    }

    /// Rekeys and expires IPsec SAs that are due.
    pub(crate) fn child_timers(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
        let expired: Vec<ChildId> = self
            .children
            .iter()
            .filter(|c| c.expire_at.is_some_and(|t| t <= now))
            .map(|c| c.id)
            .collect();
        for id in expired {
            self.send_delete_esp(ctx, &[id]);
            self.remove_child(ctx, id, DownReason::Expired);
        }
        let due: Vec<ChildId> = self
            .children
            .iter()
            .filter(|c| !c.replaced && c.rekey_at.is_some_and(|t| t <= now))
            .map(|c| c.id)
            .collect();
        for id in due {
            if let Some(c) = self.children.iter_mut().find(|c| c.id == id) {
                c.rekey_at = None;
            }
            self.start_rekey_child(ctx, id);
        }
        self.arm_child_timer();
    }

    /// Rekeys an IPsec SA with a new Quick Mode.
    pub(crate) fn start_rekey_child(&mut self, ctx: &mut Ctx<'_>, id: ChildId) {
        let Some(c) = self.children.iter().find(|c| c.id == id) else {
            return;
        };
        if c.replaced || self.rekeying.contains(&id) {
            return;
        }
        let cfg = c.cfg;
        self.start_quick(ctx, cfg, Some(id));
    }
}
