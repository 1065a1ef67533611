//! Aggressive Mode (RFC 2409 §5; RFC 2408 §4.8):
//!
//! ```text
//! AM1  I->R  HDR, SA, KE, Ni, IDii, VID*
//! AM2  R->I  HDR, SA, KE, Nr, IDir, [CERT], HASH_R | SIG_R, VID*, NAT-D, NAT-D
//! AM3  I->R  HDR*, [CERT], HASH_I | SIG_I, NAT-D, NAT-D   (port 4500 behind a NAT)
//! ```
//!
//! The identities travel in clear, and with pre-shared keys AM2 lets a
//! passive listener test guesses of the key offline: off unless the peer
//! configuration asks for it, and logged as a warning when used. One key
//! exchange group only (the KE goes with the offer). AM3 is the last
//! message: the responder resends AM2 until it comes, the initiator
//! answers a repeated AM2 with AM3 again. AM3 is sent encrypted (as
//! strongSwan does); a plain AM3 is accepted too.

use std::net::SocketAddr;

use super::auth::{auth_method, configured_psk, AuthBase};
use super::main_mode::{chosen_from_reply, fresh_cookie};
use super::natt::write_vids;
use super::payloads::{identity_body, Inbound, ProposalIn, TransformIn};
use super::proposal::{echo_sa_body, effective_life, p1_offer, p1_sa_body, P1Transform};
use super::sa::{ExpectKe, IsakmpSa, Phase1, NONCE_LEN};
use crate::crypto::Secret;
use crate::engine::ctx::Ctx;
use crate::engine::event::{DownReason, SaHandle};
use crate::engine::timer::Timer;
use crate::wire::emit::ChainBuilder;
use crate::wire::header::Flags;
use crate::wire::message::Message;
use crate::wire::registry::{ExchangeType, KeMethod, NotifyTypeV1, PayloadType};

const AM: ExchangeType = ExchangeType::AGGRESSIVE;

fn warn(ctx: &mut Ctx<'_>, handle: SaHandle) {
    ctx.log(format!(
        "ISAKMP SA {}: WARNING: Aggressive Mode sends the identities in clear and, with a \
         pre-shared key, lets an eavesdropper guess the key offline",
        handle.0
    ));
}

impl IsakmpSa {
    /// Initiator: sends AM1.
    pub(crate) fn start_aggressive(&mut self, ctx: &mut Ctx<'_>) -> bool {
        let cfg = ctx.peer_cfg(self.peer).clone();
        let opts = self.opts(ctx);
        let Some(method) = auth_method(&cfg, true) else {
            return false;
        };
        let mut offered = p1_offer(&cfg.ike, method, opts.ike_lifetime_s);
        // One KE payload: one group, the first we prefer.
        let Some(group) = offered.first().map(|t| t.group) else {
            return false;
        };
        offered.retain(|t| t.group == group);
        let Some(body) = p1_sa_body(&offered) else {
            return false;
        };
        let Ok(ke) = ctx.provider.key_exchange(KeMethod(group), ctx.rng) else {
            return false;
        };
        let Some(id) = identity_body(&cfg.local_id) else {
            return false;
        };
        warn(ctx, self.handle);
        self.gx_i = ke.public_value().to_vec();
        self.ni = ctx.random(NONCE_LEN);
        let mut c = ChainBuilder::new();
        c.payload(PayloadType::SA, 0, |o| o.bytes(&body));
        c.payload(PayloadType::KE, 0, |o| o.bytes(&self.gx_i));
        c.payload(PayloadType::NONCE, 0, |o| o.bytes(&self.ni));
        c.payload(PayloadType::ID, 0, |o| o.bytes(&id));
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
        self.state = Phase1::AmSent(Box::new(ExpectKe { ke, offered }));
        let msg = self.plain(AM, 0, first, &chain);
        self.send(ctx, 0, msg, true);
        true
    }

    /// Responder: a new SA from AM1 with the chosen transform. Sends AM2,
    /// or first asks the application for the pre-shared key.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn respond_aggressive(
        ctx: &mut Ctx<'_>,
        handle: SaHandle,
        peer: usize,
        inb: &Inbound,
        raw: &[u8],
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
            true,
            cky_i,
            local,
            remote,
            ctx.now,
            Phase1::AmExpectAuth,
        );
        sa.cky_r = fresh_cookie(ctx)?;
        let opts = sa.opts(ctx);
        let cfg = ctx.peer_cfg(peer).clone();
        sa.sa_i = inb.sa.as_ref()?.body.clone();
        sa.lifetime_s = effective_life(chosen.life_s, Some(u64::from(opts.ike_lifetime_s)));
        sa.chosen = Some(chosen);
        sa.read_vids(&inb.vids, opts.nat_traversal);
        sa.am_peer_id = Some(inb.ids.first()?.clone());
        sa.am_reply_sa = echo_sa_body(proposal, &[], transform)?;
        sa.timers.set(
            Timer::HalfOpen,
            ctx.now + ctx.config.limits.half_open_timeout_ms,
        );
        warn(ctx, handle);
        if sa.auth_base() == Some(AuthBase::Psk) {
            match configured_psk(&cfg) {
                Some(k) => sa.am1(ctx, inb, digest, Some(k)),
                None => {
                    let id = super::payloads::identity_of(inb.ids.first()?);
                    sa.ask_psk(ctx, raw, id, local, remote);
                }
            }
        } else {
            sa.am1(ctx, inb, digest, None);
        }
        Some(sa)
    }

    /// Responder: AM1 again, now with the application's key.
    pub(crate) fn am1_with_psk(
        &mut self,
        ctx: &mut Ctx<'_>,
        msg: &Message<'_>,
        digest: [u8; 32],
        psk: Secret,
    ) {
        let Ok(inb) = Inbound::read(msg.body(), msg.header.next_payload, false) else {
            return;
        };
        self.am1(ctx, &inb, digest, Some(psk));
    }

    /// Responder: AM1's key exchange; sends AM2.
    fn am1(&mut self, ctx: &mut Ctx<'_>, inb: &Inbound, digest: [u8; 32], psk: Option<Secret>) {
        let (Some(gx_i), Some(ni)) = (inb.ke.clone(), inb.nonce.clone()) else {
            self.die(ctx, DownReason::Error("AM1 without KE or nonce".into()));
            return;
        };
        let Some(group) = self.chosen.as_ref().map(|c| c.group) else {
            return;
        };
        if !(8..=256).contains(&ni.len()) {
            self.die(ctx, DownReason::Error("AM1 nonce length".into()));
            return;
        }
        let (gx_r, gxy) = match ctx
            .provider
            .key_exchange_respond(KeMethod(group), &gx_i, ctx.rng)
        {
            Ok(v) => v,
            Err(e) => {
                self.send_plain_notify(ctx, AM, NotifyTypeV1::INVALID_KEY_INFORMATION);
                self.die(ctx, DownReason::Error(format!("key exchange: {e}")));
                return;
            }
        };
        self.gx_i = gx_i;
        self.gx_r = gx_r;
        self.ni = ni;
        self.nr = ctx.random(NONCE_LEN);
        self.gxy = Some(gxy);
        if !self.derive_keys(ctx, psk.as_ref()) {
            self.die(
                ctx,
                DownReason::Error("cannot derive the phase 1 keys".into()),
            );
            return;
        }
        let cfg = ctx.peer_cfg(self.peer).clone();
        let opts = self.opts(ctx);
        let mut c = ChainBuilder::new();
        let sa_body = self.am_reply_sa.clone();
        c.payload(PayloadType::SA, 0, |o| o.bytes(&sa_body));
        c.payload(PayloadType::KE, 0, |o| o.bytes(&self.gx_r));
        c.payload(PayloadType::NONCE, 0, |o| o.bytes(&self.nr));
        if let Err(why) = self.write_id_auth(ctx, &mut c, true) {
            self.die(ctx, DownReason::Error(why));
            return;
        }
        write_vids(
            &mut c,
            self.caps.natt.is_some(),
            opts.xauth.is_some(),
            cfg.fragmentation,
        );
        self.write_natd(ctx, &mut c);
        let Ok((first, chain)) = c.finish() else {
            return;
        };
        self.state = Phase1::AmExpectAuth;
        self.accepted(0, digest);
        let m = self.plain(AM, 0, first, &chain);
        // AM3 may be lost, and only we would notice: resend AM2.
        self.send(ctx, 0, m, true);
    }

    /// An Aggressive Mode message for this SA.
    pub(crate) fn aggressive_in(
        &mut self,
        ctx: &mut Ctx<'_>,
        msg: &Message<'_>,
        _raw: &[u8],
        digest: [u8; 32],
        local: SocketAddr,
        remote: SocketAddr,
    ) {
        if msg.header.message_id != 0 || !self.aggressive {
            return;
        }
        let encrypted = msg.header.flags.has(Flags::ENCRYPTION);
        match (&self.state, encrypted) {
            (Phase1::AmSent(_), false) => self.am2(ctx, msg, digest, local, remote),
            (Phase1::AmExpectAuth, _) if self.keys.is_some() => {
                self.am3(ctx, msg, digest, local, remote)
            }
            _ => {}
        }
    }

    /// Initiator: AM2 — choice, key exchange and the responder's proof;
    /// sends AM3.
    fn am2(
        &mut self,
        ctx: &mut Ctx<'_>,
        msg: &Message<'_>,
        digest: [u8; 32],
        local: SocketAddr,
        remote: SocketAddr,
    ) {
        let Ok(inb) = Inbound::read(msg.body(), msg.header.next_payload, false) else {
            return;
        };
        let Phase1::AmSent(st) = &self.state else {
            return;
        };
        let Some(chosen) = chosen_from_reply(&inb, &st.offered) else {
            return;
        };
        let (Some(gx_r), Some(nr), Some(id)) =
            (inb.ke.clone(), inb.nonce.clone(), inb.ids.first().cloned())
        else {
            return;
        };
        if msg.header.rspi == [0; 8] || !(8..=256).contains(&nr.len()) {
            return;
        }
        let Phase1::AmSent(st) = std::mem::replace(&mut self.state, Phase1::Done) else {
            return;
        };
        let opts = self.opts(ctx);
        self.cky_r = msg.header.rspi;
        self.lifetime_s = effective_life(chosen.life_s, Some(u64::from(opts.ike_lifetime_s)));
        self.chosen = Some(chosen);
        self.read_vids(&inb.vids, opts.nat_traversal);
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
        self.detect_nat(ctx, &inb.natd);
        self.float();
        let mut c = ChainBuilder::new();
        if let Err(why) = self.write_id_auth(ctx, &mut c, false) {
            self.die(ctx, DownReason::Error(why));
            return;
        }
        self.write_natd(ctx, &mut c);
        self.write_initial_contact(ctx, &mut c);
        let Ok((first, chain)) = c.finish() else {
            return;
        };
        let Some((m, iv)) = self.seal(AM, 0, 0, first, &chain, &self.p1_iv) else {
            return;
        };
        self.p1_iv = iv;
        self.send(ctx, 0, m, false);
        self.phase1_complete(ctx);
    }

    /// Responder: AM3 — the initiator's proof.
    fn am3(
        &mut self,
        ctx: &mut Ctx<'_>,
        msg: &Message<'_>,
        digest: [u8; 32],
        local: SocketAddr,
        remote: SocketAddr,
    ) {
        let encrypted = msg.header.flags.has(Flags::ENCRYPTION);
        let (inb, iv) = if encrypted {
            let Some((pt, iv)) = self.open(msg, &self.p1_iv) else {
                return;
            };
            match Inbound::read(pt.expose(), msg.header.next_payload, true) {
                Ok(i) => (i, Some(iv)),
                Err(_) => {
                    self.send_plain_notify(ctx, AM, NotifyTypeV1::PAYLOAD_MALFORMED);
                    self.die(ctx, DownReason::AuthenticationFailed { by_peer: false });
                    return;
                }
            }
        } else {
            let Ok(i) = Inbound::read(msg.body(), msg.header.next_payload, false) else {
                return;
            };
            (i, None)
        };
        let Some(id) = self.am_peer_id.clone() else {
            return;
        };
        if let Some(iv) = iv {
            self.p1_iv = iv;
        }
        if let Err(why) = self.check_id_auth(ctx, &id, &inb) {
            ctx.log(format!(
                "ISAKMP SA {}: authentication of the initiator failed: {why}",
                self.handle.0
            ));
            self.send_auth_failed(ctx);
            self.die(ctx, DownReason::AuthenticationFailed { by_peer: false });
            return;
        }
        self.accepted(0, digest);
        self.follow(ctx, local, remote);
        self.detect_nat(ctx, &inb.natd);
        if inb.notify(NotifyTypeV1::INITIAL_CONTACT).is_some() {
            self.effects.initial_contact = true;
        }
        self.phase1_complete(ctx);
    }
}
