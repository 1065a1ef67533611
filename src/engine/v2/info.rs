//! INFORMATIONAL exchanges (RFC 7296 §1.4): deleting Child SAs (§1.4.1,
//! including simultaneous deletes) and IKE SAs, and liveness checks
//! (§2.4).

use super::ike_sa::{IkeSa, Request};
use super::payloads::{delete_body, Inbound};
use crate::engine::ctx::Ctx;
use crate::engine::event::{ChildId, DownReason, Event};
use crate::wire::emit::ChainBuilder;
use crate::wire::registry::{ExchangeType, NotifyTypeV2, PayloadType, ProtocolIdV2};

impl IkeSa {
    /// Removes a Child SA and says so.
    pub(crate) fn remove_child(&mut self, ctx: &mut Ctx<'_>, id: ChildId, reason: DownReason) {
        let Some(pos) = self.children.iter().position(|c| c.id == id) else {
            return;
        };
        let c = self.children.remove(pos);
        ctx.out.child_spis.remove(&c.spi_in);
        let reason = if c.rekeyed {
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

    /// Deletes Child SAs (§1.4.1): we name our inbound SPIs.
    pub(crate) fn start_delete_children(&mut self, ctx: &mut Ctx<'_>, ids: Vec<ChildId>) {
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
        c.payload(PayloadType::V2_DELETE, 0, |o| {
            delete_body(o, ProtocolIdV2::ESP, &spis)
        });
        self.send_request(
            ctx,
            ExchangeType::INFORMATIONAL,
            Request::DeleteChildren(ids),
            c,
        );
    }

    /// Deletes the IKE SA and its Child SAs.
    pub(crate) fn start_delete_ike(&mut self, ctx: &mut Ctx<'_>) {
        let mut c = ChainBuilder::new();
        c.payload(PayloadType::V2_DELETE, 0, |o| {
            delete_body(o, ProtocolIdV2::IKE, &[])
        });
        self.send_request(ctx, ExchangeType::INFORMATIONAL, Request::DeleteIke, c);
    }

    /// An empty INFORMATIONAL request: is the peer alive (§2.4)?
    pub(crate) fn start_liveness(&mut self, ctx: &mut Ctx<'_>) {
        self.send_request(
            ctx,
            ExchangeType::INFORMATIONAL,
            Request::Liveness,
            ChainBuilder::new(),
        );
    }

    /// The answer to our Delete of Child SAs: whatever the peer lists, the
    /// pairs we named are gone.
    pub(crate) fn delete_children_response(
        &mut self,
        ctx: &mut Ctx<'_>,
        ids: &[ChildId],
        _inb: Inbound,
    ) {
        for id in ids {
            self.remove_child(ctx, *id, DownReason::Deleted { by_peer: false });
        }
    }

    /// Responder: an INFORMATIONAL request.
    pub(crate) fn informational_request(&mut self, ctx: &mut Ctx<'_>, mid: u32, inb: Inbound) {
        let mut c = ChainBuilder::new();
        if inb.notify(NotifyTypeV2::AUTHENTICATION_FAILED).is_some() {
            // The initiator rejected our AUTH (§2.21.2).
            self.send_response(ctx, ExchangeType::INFORMATIONAL, mid, c);
            self.die(ctx, DownReason::AuthenticationFailed { by_peer: true });
            return;
        }
        if inb.deletes.iter().any(|(p, _)| *p == ProtocolIdV2::IKE) {
            // The whole IKE SA goes: answer (empty), then remove (§1.4.1).
            self.send_response(ctx, ExchangeType::INFORMATIONAL, mid, c);
            self.settle_collision_on_delete(ctx);
            let reason = self.down_reason(true);
            self.die(ctx, reason);
            return;
        }
        // Child SAs we are deleting ourselves are not listed again
        // (§1.4.1 simultaneous deletes).
        let ours_out: Vec<ChildId> = match &self.outstanding {
            Some(o) => match &o.kind {
                Request::DeleteChildren(ids) => ids.clone(),
                _ => Vec::new(),
            },
            None => Vec::new(),
        };
        let mut answer: Vec<Vec<u8>> = Vec::new();
        let mut gone = Vec::new();
        for (proto, spis) in &inb.deletes {
            if *proto != ProtocolIdV2::ESP && *proto != ProtocolIdV2::AH {
                continue;
            }
            for spi in spis {
                let Ok(spi) = <[u8; 4]>::try_from(&spi[..]).map(u32::from_be_bytes) else {
                    continue;
                };
                // The peer names its inbound SPI: our outbound.
                if let Some(child) = self.children.iter().find(|c| c.spi_out == spi) {
                    if !ours_out.contains(&child.id) {
                        answer.push(child.spi_in.to_be_bytes().to_vec());
                    }
                    gone.push(child.id);
                }
            }
        }
        if !answer.is_empty() {
            c.payload(PayloadType::V2_DELETE, 0, |o| {
                delete_body(o, ProtocolIdV2::ESP, &answer)
            });
        }
        self.send_response(ctx, ExchangeType::INFORMATIONAL, mid, c);
        for id in gone {
            self.remove_child(ctx, id, DownReason::Deleted { by_peer: true });
        }
    }
}
