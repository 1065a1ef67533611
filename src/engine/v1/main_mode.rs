//! Main Mode (RFC 2409 §5; Identity Protection, RFC 2408 §4.5):
//!
//! ```text
//! MM1  I->R  HDR, SA, VID*                       choose a transform
//! MM2  R->I  HDR, SA, VID*
//! MM3  I->R  HDR, KE, Ni, [CR], NAT-D, NAT-D     Diffie-Hellman, NAT-D (RFC 3947 §3.2)
//! MM4  R->I  HDR, KE, Nr, [CR], NAT-D, NAT-D
//! MM5  I->R  HDR*, IDii, [CERT], HASH_I | SIG_I  (port 4500 behind a NAT, RFC 3947 §4)
//! MM6  R->I  HDR*, IDir, [CERT], HASH_R | SIG_R
//! ```
//!
//! The initiator resends MM1/MM3/MM5 until answered; the responder resends
//! its last message only when the initiator's arrives again (it sends
//! nothing on its own, so that spoofed MM1s cannot make it amplify).

use std::net::SocketAddr;

use super::auth::{auth_method, configured_psk, AuthBase};
use super::natt::write_vids;
use super::payloads::{Inbound, ProposalIn, TransformIn};
use super::proposal::{echo_sa_body, effective_life, p1_offer, p1_sa_body, P1Transform};
use super::sa::{ExpectKe, ExpectMmSa, IsakmpSa, PendingPsk, Phase1, NONCE_LEN};
use crate::engine::ctx::Ctx;
use crate::engine::event::{DownReason, Event, RequestId, SaHandle};
use crate::engine::identity::Identity;
use crate::engine::timer::Timer;
use crate::wire::emit::ChainBuilder;
use crate::wire::header::Flags;
use crate::wire::message::Message;
use crate::wire::registry::{ExchangeType, KeMethod, NotifyTypeV1, PayloadType, ProtocolIdV1};

const MM: ExchangeType = ExchangeType::IDENTITY_PROTECTION;

/// The single transform of a responder's SA payload, parsed, if it is one
/// we offered.
pub(crate) fn chosen_from_reply(inb: &Inbound, offered: &[P1Transform]) -> Option<P1Transform> {
    let sa = inb.sa.as_ref()?;
    let [p] = sa.proposals.as_slice() else {
        return None;
    };
    let [t] = p.transforms.as_slice() else {
        return None;
    };
    if p.protocol != ProtocolIdV1::ISAKMP {
        return None;
    }
    let c = P1Transform::from_attrs(&t.attrs)?;
    offered.iter().any(|o| o.same_suite(&c)).then_some(c)
}

impl IsakmpSa {
    /// Initiator: sends MM1.
    pub(crate) fn start_main(&mut self, ctx: &mut Ctx<'_>) -> bool {
        let cfg = ctx.peer_cfg(self.peer).clone();
        let opts = self.opts(ctx);
        let Some(method) = auth_method(&cfg, true) else {
            return false;
        };
        let offered = p1_offer(&cfg.ike, method, opts.ike_lifetime_s);
        let Some(body) = p1_sa_body(&offered) else {
            return false;
        };
        if offered.is_empty() {
            return false;
        }
        let mut c = ChainBuilder::new();
        c.payload(PayloadType::SA, 0, |o| o.bytes(&body));
        write_vids(
            &mut c,
            opts.nat_traversal,
            opts.xauth.is_some(),
            cfg.fragmentation,
        );
        let Ok((first, chain)) = c.finish() else {
            return false;
        };
        self.sa_i = body;
        self.state = Phase1::MmSaSent(Box::new(ExpectMmSa { offered }));
        let msg = self.plain(MM, 0, first, &chain);
        self.send(ctx, 0, msg, true);
        true
    }

    /// Responder: a new SA from MM1 with the chosen transform; sends MM2.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn respond_main(
        ctx: &mut Ctx<'_>,
        handle: SaHandle,
        peer: usize,
        inb: &Inbound,
        proposal: &ProposalIn,
        transform: &TransformIn,
        chosen: P1Transform,
        digest: [u8; 32],
        cky_i: [u8; 8],
        local: SocketAddr,
        remote: SocketAddr,
    ) -> Option<IsakmpSa> {
        let mut sa = IsakmpSa::new(
            handle,
            peer,
            false,
            false,
            cky_i,
            local,
            remote,
            ctx.now,
            Phase1::MmExpectKe,
        );
        sa.cky_r = fresh_cookie(ctx)?;
        let opts = sa.opts(ctx);
        let cfg = ctx.peer_cfg(peer).clone();
        sa.sa_i = inb.sa.as_ref()?.body.clone();
        sa.lifetime_s = effective_life(chosen.life_s, Some(u64::from(opts.ike_lifetime_s)));
        sa.chosen = Some(chosen);
        sa.read_vids(&inb.vids, opts.nat_traversal);
        let body = echo_sa_body(proposal, &[], transform)?;
        let mut c = ChainBuilder::new();
        c.payload(PayloadType::SA, 0, |o| o.bytes(&body));
        write_vids(
            &mut c,
            sa.caps.natt.is_some(),
            opts.xauth.is_some(),
            cfg.fragmentation,
        );
        let (first, chain) = c.finish().ok()?;
        let msg = sa.plain(MM, 0, first, &chain);
        sa.accepted(0, digest);
        sa.send(ctx, 0, msg, false);
        sa.timers.set(
            Timer::HalfOpen,
            ctx.now + ctx.config.limits.half_open_timeout_ms,
        );
        Some(sa)
    }

    /// A Main Mode message for this SA.
    pub(crate) fn main_mode_in(
        &mut self,
        ctx: &mut Ctx<'_>,
        msg: &Message<'_>,
        raw: &[u8],
        digest: [u8; 32],
        local: SocketAddr,
        remote: SocketAddr,
    ) {
        let h = msg.header;
        if h.message_id != 0 || self.aggressive {
            return;
        }
        let encrypted = h.flags.has(Flags::ENCRYPTION);
        match (&self.state, encrypted) {
            (Phase1::MmSaSent(_), false) => self.mm2(ctx, msg, digest),
            (Phase1::MmKeSent(_), false) => self.mm4(ctx, msg, digest),
            (Phase1::MmAuthSent, true) => self.mm6(ctx, msg, digest, local, remote),
            (Phase1::MmExpectKe, false) => self.mm3(ctx, msg, digest),
            (Phase1::MmExpectAuth, true) => self.mm5(ctx, msg, raw, digest, local, remote, None),
            _ => {}
        }
    }

    /// Initiator: MM2 — the responder's choice; sends MM3.
    fn mm2(&mut self, ctx: &mut Ctx<'_>, msg: &Message<'_>, digest: [u8; 32]) {
        let Ok(inb) = Inbound::read(msg.body(), msg.header.next_payload, false) else {
            return;
        };
        let Phase1::MmSaSent(st) = &self.state else {
            return;
        };
        let Some(chosen) = chosen_from_reply(&inb, &st.offered) else {
            ctx.log(format!(
                "ISAKMP SA {}: MM2 chose no transform we offered",
                self.handle.0
            ));
            return;
        };
        if msg.header.rspi == [0; 8] {
            return;
        }
        let opts = self.opts(ctx);
        self.cky_r = msg.header.rspi;
        self.lifetime_s = effective_life(chosen.life_s, Some(u64::from(opts.ike_lifetime_s)));
        self.chosen = Some(chosen.clone());
        self.read_vids(&inb.vids, opts.nat_traversal);
        let Ok(ke) = ctx.provider.key_exchange(KeMethod(chosen.group), ctx.rng) else {
            self.die(
                ctx,
                DownReason::Error("key exchange group not supported".into()),
            );
            return;
        };
        self.gx_i = ke.public_value().to_vec();
        self.ni = ctx.random(NONCE_LEN);
        let mut c = ChainBuilder::new();
        c.payload(PayloadType::KE, 0, |o| o.bytes(&self.gx_i));
        c.payload(PayloadType::NONCE, 0, |o| o.bytes(&self.ni));
        if self.auth_base() != Some(AuthBase::Psk) {
            self.write_certreqs(ctx, &mut c);
        }
        self.write_natd(ctx, &mut c);
        let Ok((first, chain)) = c.finish() else {
            return;
        };
        self.accepted(0, digest);
        self.state = Phase1::MmKeSent(Box::new(ExpectKe {
            ke,
            offered: Vec::new(),
        }));
        let m = self.plain(MM, 0, first, &chain);
        self.send(ctx, 0, m, true);
    }

    /// Responder: MM3 — the initiator's KE and nonce; sends MM4.
    fn mm3(&mut self, ctx: &mut Ctx<'_>, msg: &Message<'_>, digest: [u8; 32]) {
        let Ok(inb) = Inbound::read(msg.body(), msg.header.next_payload, false) else {
            return;
        };
        let (Some(gx_i), Some(ni)) = (inb.ke.clone(), inb.nonce.clone()) else {
            return;
        };
        if !(8..=256).contains(&ni.len()) {
            return;
        }
        let Some(group) = self.chosen.as_ref().map(|c| c.group) else {
            return;
        };
        let (gx_r, gxy) = match ctx
            .provider
            .key_exchange_respond(KeMethod(group), &gx_i, ctx.rng)
        {
            Ok(v) => v,
            Err(e) => {
                ctx.log(format!("ISAKMP SA {}: MM3 KE: {e}", self.handle.0));
                self.send_plain_notify(ctx, MM, NotifyTypeV1::INVALID_KEY_INFORMATION);
                self.die(ctx, DownReason::Error(format!("key exchange: {e}")));
                return;
            }
        };
        self.gx_i = gx_i;
        self.gx_r = gx_r;
        self.ni = ni;
        self.nr = ctx.random(NONCE_LEN);
        self.gxy = Some(gxy);
        self.detect_nat(ctx, &inb.natd);
        // With a configured key the keys exist now; a key asked of the
        // application is needed only when MM5 arrives.
        let cfg = ctx.peer_cfg(self.peer).clone();
        if self.auth_base() != Some(AuthBase::Psk) {
            self.derive_keys(ctx, None);
        } else if let Some(psk) = configured_psk(&cfg) {
            self.derive_keys(ctx, Some(&psk));
        }
        let mut c = ChainBuilder::new();
        c.payload(PayloadType::KE, 0, |o| o.bytes(&self.gx_r));
        c.payload(PayloadType::NONCE, 0, |o| o.bytes(&self.nr));
        if self.auth_base() != Some(AuthBase::Psk) {
            self.write_certreqs(ctx, &mut c);
        }
        self.write_natd(ctx, &mut c);
        let Ok((first, chain)) = c.finish() else {
            return;
        };
        self.accepted(0, digest);
        self.state = Phase1::MmExpectAuth;
        let m = self.plain(MM, 0, first, &chain);
        self.send(ctx, 0, m, false);
    }

    /// Initiator: MM4 — the responder's KE and nonce; derives the keys and
    /// sends MM5.
    fn mm4(&mut self, ctx: &mut Ctx<'_>, msg: &Message<'_>, digest: [u8; 32]) {
        let Ok(inb) = Inbound::read(msg.body(), msg.header.next_payload, false) else {
            return;
        };
        let (Some(gx_r), Some(nr)) = (inb.ke.clone(), inb.nonce.clone()) else {
            return;
        };
        if !(8..=256).contains(&nr.len()) {
            return;
        }
        let Phase1::MmKeSent(_) = &self.state else {
            return;
        };
        let Phase1::MmKeSent(st) = std::mem::replace(&mut self.state, Phase1::MmAuthSent) else {
            return;
        };
        let gxy = match st.ke.complete(&gx_r) {
            Ok(s) => s,
            Err(e) => {
                self.die(ctx, DownReason::Error(format!("key exchange: {e}")));
                return;
            }
        };
        self.gx_r = gx_r;
        self.nr = nr;
        self.gxy = Some(gxy);
        let psk = configured_psk(ctx.peer_cfg(self.peer));
        if !self.derive_keys(ctx, psk.as_ref()) {
            self.die(
                ctx,
                DownReason::Error("cannot derive the phase 1 keys".into()),
            );
            return;
        }
        self.detect_nat(ctx, &inb.natd);
        self.accepted(0, digest);
        self.float();
        let mut c = ChainBuilder::new();
        if let Err(why) = self.write_id_auth(ctx, &mut c, true) {
            self.die(ctx, DownReason::Error(why));
            return;
        }
        self.write_initial_contact(ctx, &mut c);
        let Ok((first, chain)) = c.finish() else {
            return;
        };
        let Some((m, iv)) = self.seal(MM, 0, 0, first, &chain, &self.p1_iv) else {
            return;
        };
        self.p1_iv = iv;
        self.send(ctx, 0, m, true);
    }

    /// Responder: MM5 — the initiator's identity and proof; sends MM6.
    /// `psk` is the application's answer to a `PskRequest`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn mm5(
        &mut self,
        ctx: &mut Ctx<'_>,
        msg: &Message<'_>,
        raw: &[u8],
        digest: [u8; 32],
        local: SocketAddr,
        remote: SocketAddr,
        psk: Option<crate::crypto::Secret>,
    ) {
        if self.keys.is_none() {
            if let Some(k) = psk {
                if !self.derive_keys(ctx, Some(&k)) {
                    self.die(ctx, DownReason::Error("cannot derive the keys".into()));
                    return;
                }
            } else {
                self.ask_psk(ctx, raw, Identity::from(remote.ip()), local, remote);
                return;
            }
        }
        let Some((pt, iv)) = self.open(msg, &self.p1_iv) else {
            return;
        };
        let inb = match Inbound::read(pt.expose(), msg.header.next_payload, true) {
            Ok(i) => i,
            Err(_) => {
                // Garbage after decryption: most likely another
                // pre-shared key (RFC 2409 §5: the keys differ).
                ctx.log(format!(
                    "ISAKMP SA {}: MM5 does not decrypt to payloads (wrong pre-shared key?)",
                    self.handle.0
                ));
                self.send_plain_notify(ctx, MM, NotifyTypeV1::PAYLOAD_MALFORMED);
                self.die(ctx, DownReason::AuthenticationFailed { by_peer: false });
                return;
            }
        };
        let Some(id) = inb.ids.first().cloned() else {
            return;
        };
        if let Err(why) = self.check_id_auth(ctx, &id, &inb) {
            ctx.log(format!(
                "ISAKMP SA {}: authentication of the initiator failed: {why}",
                self.handle.0
            ));
            self.p1_iv = iv;
            self.send_auth_failed(ctx);
            self.die(ctx, DownReason::AuthenticationFailed { by_peer: false });
            return;
        }
        self.p1_iv = iv;
        self.follow(ctx, local, remote);
        if inb.notify(NotifyTypeV1::INITIAL_CONTACT).is_some() {
            self.effects.initial_contact = true;
        }
        self.accepted(0, digest);
        let mut c = ChainBuilder::new();
        if let Err(why) = self.write_id_auth(ctx, &mut c, true) {
            self.die(ctx, DownReason::Error(why));
            return;
        }
        let Ok((first, chain)) = c.finish() else {
            return;
        };
        let Some((m, iv)) = self.seal(MM, 0, 0, first, &chain, &self.p1_iv) else {
            return;
        };
        self.p1_iv = iv;
        self.send(ctx, 0, m, false);
        self.phase1_complete(ctx);
    }

    /// Initiator: MM6 — the responder's identity and proof.
    fn mm6(
        &mut self,
        ctx: &mut Ctx<'_>,
        msg: &Message<'_>,
        digest: [u8; 32],
        local: SocketAddr,
        remote: SocketAddr,
    ) {
        let Some((pt, iv)) = self.open(msg, &self.p1_iv) else {
            return;
        };
        let Ok(inb) = Inbound::read(pt.expose(), msg.header.next_payload, true) else {
            return;
        };
        let Some(id) = inb.ids.first().cloned() else {
            return;
        };
        self.p1_iv = iv;
        if let Err(why) = self.check_id_auth(ctx, &id, &inb) {
            ctx.log(format!(
                "ISAKMP SA {}: authentication of the responder failed: {why}",
                self.handle.0
            ));
            self.send_auth_failed(ctx);
            self.die(ctx, DownReason::AuthenticationFailed { by_peer: false });
            return;
        }
        self.accepted(0, digest);
        self.follow(ctx, local, remote);
        self.phase1_complete(ctx);
    }

    /// Responder: asks the application for the pre-shared key and keeps
    /// the message that needs it.
    pub(crate) fn ask_psk(
        &mut self,
        ctx: &mut Ctx<'_>,
        raw: &[u8],
        peer_id: Identity,
        local: SocketAddr,
        remote: SocketAddr,
    ) {
        if matches!(self.state, Phase1::WaitPsk(_)) {
            return;
        }
        let request = ctx.out.next_request + 1;
        ctx.out.next_request = request;
        ctx.out.events.push_back(Event::PskRequest {
            request: RequestId(request),
            sa: self.handle,
            peer_id,
        });
        let back = std::mem::replace(
            &mut self.state,
            Phase1::WaitPsk(Box::new(PendingPsk {
                request,
                raw: raw.to_vec(),
                local,
                remote,
            })),
        );
        self.resume = Some(back);
    }

    /// The application's answer to a `PskRequest`.
    pub(crate) fn psk_answer(
        &mut self,
        ctx: &mut Ctx<'_>,
        request: u64,
        psk: Option<crate::crypto::Secret>,
    ) -> bool {
        let Phase1::WaitPsk(p) = &self.state else {
            return false;
        };
        if p.request != request {
            return false;
        }
        let Some(back) = self.resume.take() else {
            return false;
        };
        let Phase1::WaitPsk(p) = std::mem::replace(&mut self.state, back) else {
            return false;
        };
        let Some(psk) = psk else {
            ctx.log(format!(
                "ISAKMP SA {}: no pre-shared key for the peer",
                self.handle.0
            ));
            self.die(ctx, DownReason::AuthenticationFailed { by_peer: false });
            return true;
        };
        let Ok(msg) = Message::parse(&p.raw, crate::wire::Mode::Strict) else {
            return true;
        };
        let digest: [u8; 32] =
            sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(&p.raw)).into();
        if self.aggressive {
            self.am1_with_psk(ctx, &msg, digest, psk);
        } else {
            self.mm5(ctx, &msg, &p.raw, digest, p.local, p.remote, Some(psk));
        }
        self.rearm();
        true
    }
}

/// A random non-zero cookie (RFC 2408 §2.5.3; the secret-hash recipe is
/// for stateless responders, and we keep state per SA anyway).
pub(crate) fn fresh_cookie(ctx: &mut Ctx<'_>) -> Option<[u8; 8]> {
    for _ in 0..8 {
        let c: [u8; 8] = ctx.random(8).try_into().ok()?;
        if c != [0; 8] {
            return Some(c);
        }
    }
    None
}
