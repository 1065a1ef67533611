//! Informational exchanges (RFC 2409 §5.7, RFC 2408 §4.8): encrypted
//! Notify and Delete payloads behind HASH(1) = prf(SKEYID_a, M-ID | N/D),
//! each in an exchange of its own (a fresh M-ID, IV from the last phase 1
//! block); unprotected notifications only while phase 1 runs. Dead Peer
//! Detection (RFC 3706 §5): R-U-THERE / R-U-THERE-ACK with sequence
//! numbers, sent when the peer has been quiet for the configured delay,
//! retried, then the configured action.

use std::net::SocketAddr;

use super::payloads::{delete_body, notify_body, Inbound};
use super::quick::with_hash;
use super::sa::{ExKind, IsakmpSa};
use crate::crypto::ct_eq;
use crate::engine::config::DpdAction;
use crate::engine::ctx::Ctx;
use crate::engine::event::{ChildId, DownReason, Event};
use crate::engine::timer::Timer;
use crate::wire::emit::ChainBuilder;
use crate::wire::header::Flags;
use crate::wire::message::Message;
use crate::wire::registry::{ExchangeType, NotifyTypeV1, NotifyTypeV2, PayloadType, ProtocolIdV1};

const INFO: ExchangeType = ExchangeType::INFORMATIONAL_V1;

/// The IKEv2 number closest to an IKEv1 error, for `ChildSaFailed`.
fn v2_of(n: NotifyTypeV1) -> NotifyTypeV2 {
    match n {
        NotifyTypeV1::NO_PROPOSAL_CHOSEN => NotifyTypeV2::NO_PROPOSAL_CHOSEN,
        NotifyTypeV1::INVALID_ID_INFORMATION => NotifyTypeV2::TS_UNACCEPTABLE,
        other => NotifyTypeV2(other.0),
    }
}

/// Errors that mean the peer did not accept our authentication.
fn auth_error(n: NotifyTypeV1) -> bool {
    matches!(
        n,
        NotifyTypeV1::AUTHENTICATION_FAILED
            | NotifyTypeV1::INVALID_HASH_INFORMATION
            | NotifyTypeV1::INVALID_SIGNATURE
            | NotifyTypeV1::PAYLOAD_MALFORMED
            | NotifyTypeV1::INVALID_ID_INFORMATION
            | NotifyTypeV1::INVALID_CERTIFICATE
    )
}

impl IsakmpSa {
    /// The ISAKMP SPI of notifications and deletes: CKY-I | CKY-R.
    pub(crate) fn isakmp_spi(&self) -> Vec<u8> {
        [self.cky_i, self.cky_r].concat()
    }

    /// An encrypted Informational exchange carrying `rest` behind
    /// HASH(1); one-way, so nothing is kept.
    fn send_info(&mut self, ctx: &mut Ctx<'_>, c: ChainBuilder) {
        let Some(mid) = self.new_mid(ctx) else { return };
        let Ok((first, rest)) = c.finish() else {
            return;
        };
        let (Some(hash), Some(iv)) = (self.hash1(mid, &rest), self.phase2_iv(mid)) else {
            return;
        };
        let chain = with_hash(&hash, first, &rest);
        if let Some((m, _)) = self.seal(INFO, mid, 0, PayloadType::HASH, &chain, &iv) {
            let packets = self.fragment_out(ctx, m);
            self.transmit(ctx, &packets);
        }
    }

    /// An encrypted notification.
    pub(crate) fn send_notify(
        &mut self,
        ctx: &mut Ctx<'_>,
        protocol: ProtocolIdV1,
        spi: &[u8],
        t: NotifyTypeV1,
        data: &[u8],
    ) {
        let mut c = ChainBuilder::new();
        c.payload(PayloadType::NOTIFICATION, 0, |o| {
            notify_body(o, protocol, spi, t, data)
        });
        self.send_info(ctx, c);
    }

    /// An unprotected notification during phase 1 (no keys, or keys the
    /// peer cannot have), RFC 2408 §5.
    pub(crate) fn send_plain_notify(
        &mut self,
        ctx: &mut Ctx<'_>,
        _in: ExchangeType,
        t: NotifyTypeV1,
    ) {
        let spi = self.isakmp_spi();
        let mut c = ChainBuilder::new();
        c.payload(PayloadType::NOTIFICATION, 0, |o| {
            notify_body(o, ProtocolIdV1::ISAKMP, &spi, t, &[])
        });
        let Ok((first, chain)) = c.finish() else {
            return;
        };
        let m = self.plain(INFO, 0, first, &chain);
        self.transmit(ctx, &[m]);
    }

    /// Tells the peer its authentication failed (encrypted: it has the
    /// same keys unless the pre-shared keys differ).
    pub(crate) fn send_auth_failed(&mut self, ctx: &mut Ctx<'_>) {
        let spi = self.isakmp_spi();
        self.send_notify(
            ctx,
            ProtocolIdV1::ISAKMP,
            &spi,
            NotifyTypeV1::AUTHENTICATION_FAILED,
            &[],
        );
    }

    /// Deletes for our inbound SPIs of these IPsec SAs (RFC 2408 §3.15).
    pub(crate) fn send_delete_esp(&mut self, ctx: &mut Ctx<'_>, ids: &[ChildId]) {
        let spis: Vec<Vec<u8>> = self
            .children
            .iter()
            .filter(|c| ids.contains(&c.id))
            .map(|c| c.spi_in.to_be_bytes().to_vec())
            .collect();
        if spis.is_empty() {
            return;
        }
        let mut c = ChainBuilder::new();
        c.payload(PayloadType::DELETE, 0, |o| {
            delete_body(o, ProtocolIdV1::IPSEC_ESP, 4, &spis)
        });
        self.send_info(ctx, c);
    }

    /// Deletes IPsec SAs: tells the peer, then removes them.
    pub(crate) fn delete_children(&mut self, ctx: &mut Ctx<'_>, ids: &[ChildId]) {
        self.send_delete_esp(ctx, ids);
        for id in ids {
            self.remove_child(ctx, *id, DownReason::Deleted { by_peer: false });
        }
    }

    /// The ISAKMP SA Delete (SPI CKY-I | CKY-R).
    pub(crate) fn send_delete_isakmp(&mut self, ctx: &mut Ctx<'_>) {
        let spi = self.isakmp_spi();
        let mut c = ChainBuilder::new();
        c.payload(PayloadType::DELETE, 0, |o| {
            delete_body(o, ProtocolIdV1::ISAKMP, 16, &[spi])
        });
        self.send_info(ctx, c);
    }

    /// Deletes the IPsec SAs, then the ISAKMP SA.
    pub(crate) fn delete_ike(&mut self, ctx: &mut Ctx<'_>) {
        let ids: Vec<ChildId> = self.children.iter().map(|c| c.id).collect();
        self.send_delete_esp(ctx, &ids);
        self.send_delete_isakmp(ctx);
        self.die(ctx, DownReason::Deleted { by_peer: false });
    }

    /// An Informational message.
    pub(crate) fn info_in(
        &mut self,
        ctx: &mut Ctx<'_>,
        msg: &Message<'_>,
        local: SocketAddr,
        remote: SocketAddr,
    ) {
        let h = msg.header;
        if !h.flags.has(Flags::ENCRYPTION) {
            // Unprotected: believed only while phase 1 runs.
            if self.phase1_done() {
                return;
            }
            let Ok(inb) = Inbound::read(msg.body(), h.next_payload, false) else {
                return;
            };
            if let Some(n) = inb.error() {
                self.peer_error(ctx, n.ntype);
            }
            return;
        }
        if self.keys.is_none() || h.message_id == 0 {
            return;
        }
        // CONNECTED goes on in its Quick Mode's IV chain.
        let iv = match self.exchanges.get(&h.message_id) {
            Some(e) if matches!(&e.kind, ExKind::QmInit(q) if q.committed.is_some()) => {
                e.iv.clone()
            }
            Some(_) => return,
            None => match self.phase2_iv(h.message_id) {
                Some(iv) => iv,
                None => return,
            },
        };
        let Some((pt, _)) = self.open(msg, &iv) else {
            return;
        };
        let Ok(inb) = Inbound::read(pt.expose(), h.next_payload, true) else {
            return;
        };
        let (Some(got), Some(rest)) = (&inb.hash, &inb.after_hash) else {
            return;
        };
        if inb.order.first() != Some(&PayloadType::HASH)
            || !self
                .hash1(h.message_id, rest)
                .is_some_and(|w| ct_eq(&w, got))
        {
            ctx.log(format!(
                "ISAKMP SA {}: Informational {:08x}: HASH(1) does not verify",
                self.handle.0, h.message_id
            ));
            return;
        }
        self.follow(ctx, local, remote);
        for d in &inb.deletes {
            match d.protocol {
                ProtocolIdV1::IPSEC_ESP | ProtocolIdV1::IPSEC_AH => {
                    for spi in &d.spis {
                        let Ok(b) = <[u8; 4]>::try_from(spi.as_slice()) else {
                            continue;
                        };
                        let spi = u32::from_be_bytes(b);
                        if let Some(id) = self
                            .children
                            .iter()
                            .find(|c| c.spi_out == spi)
                            .map(|c| c.id)
                        {
                            self.remove_child(ctx, id, DownReason::Deleted { by_peer: true });
                        }
                    }
                }
                ProtocolIdV1::ISAKMP if d.spis.contains(&self.isakmp_spi()) => {
                    self.effects.peer_deleted = true;
                }
                _ => {}
            }
        }
        for n in &inb.notifies {
            match n.ntype {
                NotifyTypeV1::DPD_R_U_THERE if n.spi == self.isakmp_spi() && n.data.len() == 4 => {
                    let spi = self.isakmp_spi();
                    let data = n.data.clone();
                    self.send_notify(
                        ctx,
                        ProtocolIdV1::ISAKMP,
                        &spi,
                        NotifyTypeV1::DPD_R_U_THERE_ACK,
                        &data,
                    );
                }
                NotifyTypeV1::DPD_R_U_THERE_ACK => {
                    let seq = <[u8; 4]>::try_from(n.data.as_slice())
                        .ok()
                        .map(u32::from_be_bytes);
                    if self.dpd.outstanding.is_some() && seq == Some(self.dpd.seq) {
                        self.dpd.outstanding = None;
                    }
                }
                NotifyTypeV1::INITIAL_CONTACT => self.effects.initial_contact = true,
                NotifyTypeV1::CONNECTED => self.connected(ctx, h.message_id),
                t if t.is_error() => self.peer_error_protected(ctx, t, n.protocol, &n.spi),
                _ => {}
            }
            if self.is_dead() {
                return;
            }
        }
    }

    /// An error from the peer before phase 1 completed.
    fn peer_error(&mut self, ctx: &mut Ctx<'_>, t: NotifyTypeV1) {
        ctx.log(format!("ISAKMP SA {}: the peer says {t}", self.handle.0));
        let reason = if auth_error(t) {
            DownReason::AuthenticationFailed { by_peer: true }
        } else {
            DownReason::NotifyV1(t)
        };
        self.die(ctx, reason);
    }

    /// An authenticated error: for a Quick Mode of ours (by its SPI),
    /// or the SA's authentication.
    fn peer_error_protected(
        &mut self,
        ctx: &mut Ctx<'_>,
        t: NotifyTypeV1,
        protocol: ProtocolIdV1,
        spi: &[u8],
    ) {
        if !self.up && auth_error(t) {
            self.peer_error(ctx, t);
            return;
        }
        // Errors about a proposal or selectors belong to a Quick Mode,
        // whatever protocol the peer put in (libreswan says ISAKMP).
        let qm_error = matches!(
            t,
            NotifyTypeV1::NO_PROPOSAL_CHOSEN
                | NotifyTypeV1::INVALID_ID_INFORMATION
                | NotifyTypeV1::ATTRIBUTES_NOT_SUPPORTED
                | NotifyTypeV1::BAD_PROPOSAL_SYNTAX
                | NotifyTypeV1::INVALID_TRANSFORM_ID
                | NotifyTypeV1::INVALID_SPI
                | NotifyTypeV1::INVALID_KEY_INFORMATION
        );
        if protocol != ProtocolIdV1::IPSEC_ESP && protocol != ProtocolIdV1(0) && !qm_error {
            ctx.log(format!("ISAKMP SA {}: the peer says {t}", self.handle.0));
            return;
        }
        let pending: Vec<(u32, u32, usize)> = self
            .exchanges
            .iter()
            .filter_map(|(mid, e)| match &e.kind {
                ExKind::QmInit(q) if q.committed.is_none() => Some((*mid, q.spi_in, q.cfg)),
                _ => None,
            })
            .collect();
        let hit = pending
            .iter()
            .find(|(_, s, _)| s.to_be_bytes().as_slice() == spi)
            .or(if pending.len() == 1 {
                pending.first()
            } else {
                None
            })
            .copied();
        let Some((mid, spi_in, cfg)) = hit else {
            ctx.log(format!("ISAKMP SA {}: the peer says {t}", self.handle.0));
            return;
        };
        if let Some(e) = self.exchanges.get_mut(&mid) {
            if let ExKind::QmInit(q) = &e.kind {
                if let Some(old) = q.rekey_of {
                    self.rekeying.retain(|c| *c != old);
                }
            }
            e.flight.retransmit_at = None;
            e.flight.packets.clear();
        }
        self.finish_exchange(ctx, mid);
        ctx.out.child_spis.remove(&spi_in);
        let name = ctx
            .peer_cfg(self.peer)
            .children
            .get(cfg)
            .map(|c| c.name.clone())
            .unwrap_or_default();
        ctx.out.events.push_back(Event::ChildSaFailed {
            sa: self.handle,
            name,
            notify: v2_of(t),
        });
    }

    /// Sends an R-U-THERE now (RFC 3706 §5.4: a fresh sequence number).
    pub(crate) fn send_dpd(&mut self, ctx: &mut Ctx<'_>) {
        if !self.caps.dpd {
            return;
        }
        if self.dpd.seq == 0 {
            // A random start (§5.5), kept clear of wrapping soon.
            let b = ctx.random(4);
            self.dpd.seq = u32::from_be_bytes(b.try_into().unwrap_or([0, 0, 0, 1])) & 0x7fff_ffff;
        }
        self.dpd.seq = self.dpd.seq.wrapping_add(1);
        let tries = self.dpd.outstanding.map_or(0, |(t, _)| t);
        let r = ctx.config.retransmit;
        let mut wait = r.base_ms;
        for _ in 0..tries {
            wait = wait * r.factor_tenths / 10;
        }
        self.dpd.outstanding = Some((tries, ctx.now + wait));
        let spi = self.isakmp_spi();
        let seq = self.dpd.seq.to_be_bytes();
        self.send_notify(
            ctx,
            ProtocolIdV1::ISAKMP,
            &spi,
            NotifyTypeV1::DPD_R_U_THERE,
            &seq,
        );
        self.arm_dpd(ctx);
    }

    fn arm_dpd(&mut self, ctx: &Ctx<'_>) {
        let d = ctx.peer_cfg(self.peer).dpd_ms;
        // The next probe is due when the peer will have been quiet for
        // the delay (RFC 3706 §5.3: only when idle).
        let next = [
            self.dpd.outstanding.map(|(_, at)| at),
            d.map(|d| (self.last_heard + d).max(ctx.now + 1)),
        ]
        .into_iter()
        .flatten()
        .min();
        match next {
            Some(t) => self.timers.set(Timer::Liveness, t),
            None => self.timers.stop(Timer::Liveness),
        }
    }

    /// The Liveness timer: probe when quiet, retry, give up.
    pub(crate) fn dpd_timer(&mut self, ctx: &mut Ctx<'_>) {
        let Some(d) = ctx.peer_cfg(self.peer).dpd_ms else {
            return;
        };
        match self.dpd.outstanding {
            Some((tries, at)) if at <= ctx.now => {
                if tries >= ctx.config.retransmit.tries {
                    ctx.log(format!(
                        "ISAKMP SA {}: DPD: no R-U-THERE-ACK after {} tries",
                        self.handle.0,
                        tries + 1
                    ));
                    if self.opts(ctx).dpd_action == DpdAction::Restart {
                        self.effects.restart = true;
                    }
                    self.die(ctx, DownReason::Timeout);
                    return;
                }
                self.dpd.outstanding = Some((tries + 1, at));
                self.send_dpd(ctx);
            }
            Some(_) => {}
            None => {
                if ctx.now.saturating_sub(self.last_heard) >= d {
                    self.send_dpd(ctx);
                }
            }
        }
        self.arm_dpd(ctx);
    }
}

/// Lets the engine name the hidden `v2_of` in tests.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_v2_numbers() {
        assert_eq!(
            v2_of(NotifyTypeV1::NO_PROPOSAL_CHOSEN),
            NotifyTypeV2::NO_PROPOSAL_CHOSEN
        );
        assert_eq!(
            v2_of(NotifyTypeV1::INVALID_ID_INFORMATION),
            NotifyTypeV2::TS_UNACCEPTABLE
        );
        assert!(auth_error(NotifyTypeV1::AUTHENTICATION_FAILED));
        assert!(!auth_error(NotifyTypeV1::NO_PROPOSAL_CHOSEN));
    }
}
