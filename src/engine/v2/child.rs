//! Child SAs: offered in IKE_AUTH (RFC 7296 §1.2) and CREATE_CHILD_SA
//! (§1.3.1), rekeyed (§1.3.3, §2.8), collisions (§2.8.1), traffic
//! selector narrowing (§2.9), key material (§2.17); IKE SA rekeying
//! (§1.3.2, §2.18) and its collisions (§2.8.2).

use super::ike_sa::{IkeSa, Outstanding, Pending, Request, State};
use super::payloads::{ke_body, notify_body, sa_body, sa_chosen_body, ts_body, Inbound};
use crate::crypto::keymat_v2::{skeyseed_rekey, ChildKeys};
use crate::crypto::{KeyExchange, Secret};
use crate::engine::config::IpsecMode;
use crate::engine::ctx::Ctx;
use crate::engine::event::{ChildId, ChildSaInfo, DownReason, Event};
use crate::engine::identity::TrafficSelector;
use crate::engine::proposal::{select, Chosen, ProposalSpec};
use crate::engine::timer::{Timer, TimerTable};
use crate::wire::emit::ChainBuilder;
use crate::wire::registry::{ExchangeType, KeMethod, NotifyTypeV2, PayloadType, ProtocolIdV2};

/// An installed Child SA.
pub(crate) struct ChildSa {
    pub(crate) id: ChildId,
    /// Index of its `ChildConfig`.
    pub(crate) cfg: usize,
    pub(crate) spi_in: u32,
    pub(crate) spi_out: u32,
    pub(crate) chosen: Chosen,
    pub(crate) mode: IpsecMode,
    pub(crate) local_ts: Vec<TrafficSelector>,
    pub(crate) remote_ts: Vec<TrafficSelector>,
    pub(crate) rekey_at: Option<u64>,
    pub(crate) expire_at: Option<u64>,
    /// Replaced by a rekey; waiting for its Delete.
    pub(crate) rekeyed: bool,
}

/// A Child SA we offered and wait to hear about.
pub(crate) struct ChildRequest {
    pub(crate) cfg: usize,
    pub(crate) spi_in: u32,
    pub(crate) ni: Vec<u8>,
    pub(crate) ke: Option<(KeMethod, Box<dyn KeyExchange>)>,
    pub(crate) rekey_of: Option<ChildId>,
    pub(crate) mode: IpsecMode,
    pub(crate) local_ts: Vec<TrafficSelector>,
    pub(crate) remote_ts: Vec<TrafficSelector>,
    pub(crate) proposals: Vec<ProposalSpec>,
    /// INVALID_KE_PAYLOAD restarts so far.
    pub(crate) restarts: u32,
    /// The peer rekeyed the same Child SA while this rekey was out: the
    /// lowest nonce of its exchange (§2.8.1). Kept here rather than on
    /// the old Child SA, which the peer deletes if its SA wins, possibly
    /// before our answer arrives.
    pub(crate) collision: Option<Vec<u8>>,
}

/// The name used in IKE_AUTH: a Child SA offered there.
pub(crate) type ChildOffer = ChildRequest;

/// A rekey of the IKE SA we asked for.
pub(crate) struct IkeRekeyRequest {
    pub(crate) spi: [u8; 8],
    pub(crate) ni: Vec<u8>,
    pub(crate) method: KeMethod,
    pub(crate) ke: Box<dyn KeyExchange>,
}

/// A Child SA we accepted as responder, ready to answer and install.
pub(crate) struct Accepted {
    child: ChildSa,
    info: ChildSaInfo,
    number: u8,
    nr: Option<Vec<u8>>,
    ke: Option<(KeMethod, Vec<u8>)>,
    rekey_of: Option<ChildId>,
}

/// A refusal: the notify type and its data.
pub(crate) type Refused = (NotifyTypeV2, Vec<u8>);

fn dynamic(ts: &[TrafficSelector], addr: std::net::SocketAddr) -> Vec<TrafficSelector> {
    if ts.is_empty() {
        vec![TrafficSelector::host(addr.ip())]
    } else {
        ts.to_vec()
    }
}

/// Intersections of `ours` with `theirs` (§2.9 narrowing).
fn narrow(ours: &[TrafficSelector], theirs: &[TrafficSelector]) -> Vec<TrafficSelector> {
    let mut out = Vec::new();
    for t in theirs {
        for o in ours {
            if let Some(i) = o.intersect(t) {
                if !out.contains(&i) {
                    out.push(i);
                }
            }
        }
    }
    out
}

/// N(USE_TRANSPORT_MODE) (§1.3.1).
fn transport_notify(c: &mut ChainBuilder) {
    c.payload(PayloadType::V2_NOTIFY, 0, |o| {
        notify_body(
            o,
            ProtocolIdV2::NONE,
            &[],
            NotifyTypeV2::USE_TRANSPORT_MODE,
            &[],
        )
    });
}

fn strip_ke(specs: &[ProposalSpec]) -> Vec<ProposalSpec> {
    specs
        .iter()
        .map(|s| ProposalSpec {
            ke: Vec::new(),
            addke: Vec::new(),
            ..s.clone()
        })
        .collect()
}

impl ChildRequest {
    /// A new offer for Child configuration `cfg`; in CREATE_CHILD_SA
    /// (`create`) with a nonce and, with PFS, a KE. `rekey_of` takes its
    /// selectors from the Child SA being rekeyed.
    pub(crate) fn new(
        ctx: &mut Ctx<'_>,
        sa: &IkeSa,
        cfg: usize,
        create: bool,
        rekey_of: Option<&ChildSa>,
    ) -> Option<ChildRequest> {
        let c = ctx.peer_cfg(sa.peer).children.get(cfg)?.clone();
        let proposals = if create {
            c.esp.clone()
        } else {
            strip_ke(&c.esp)
        };
        let ke = match proposals.first().and_then(|p| p.ke.first()) {
            Some(&m) if create => Some((m, ctx.provider.key_exchange(m, ctx.rng).ok()?)),
            _ => None,
        };
        let spi_in = ctx.child_spi()?;
        let ni = if create { ctx.random(32) } else { Vec::new() };
        let (local_ts, remote_ts, mode) = match rekey_of {
            Some(old) => (old.local_ts.clone(), old.remote_ts.clone(), old.mode),
            None => (
                dynamic(&c.local_ts, sa.local),
                dynamic(&c.remote_ts, sa.remote),
                c.mode,
            ),
        };
        Some(ChildRequest {
            cfg,
            spi_in,
            ni,
            ke,
            rekey_of: rekey_of.map(|o| o.id),
            mode,
            local_ts,
            remote_ts,
            proposals,
            restarts: 0,
            collision: None,
        })
    }

    /// Writes the offer: [N(REKEY_SA)], [N(USE_TRANSPORT_MODE)], SA, [Ni],
    /// [KEi], TSi, TSr.
    pub(crate) fn write(&self, c: &mut ChainBuilder, rekey_spi: Option<u32>) {
        if let Some(spi) = rekey_spi {
            c.payload(PayloadType::V2_NOTIFY, 0, |o| {
                notify_body(
                    o,
                    ProtocolIdV2::ESP,
                    &spi.to_be_bytes(),
                    NotifyTypeV2::REKEY_SA,
                    &[],
                )
            });
        }
        if self.mode == IpsecMode::Transport {
            transport_notify(c);
        }
        let spi = self.spi_in.to_be_bytes();
        c.payload(PayloadType::V2_SA, 0, |o| {
            sa_body(o, &self.proposals, ProtocolIdV2::ESP, &spi)
        });
        if !self.ni.is_empty() {
            c.payload(PayloadType::V2_NONCE, 0, |o| o.bytes(&self.ni));
        }
        if let Some((m, ke)) = &self.ke {
            let public = ke.public_value().to_vec();
            c.payload(PayloadType::V2_KE, 0, |o| ke_body(o, *m, &public));
        }
        c.payload(PayloadType::V2_TSI, 0, |o| ts_body(o, &self.local_ts));
        c.payload(PayloadType::V2_TSR, 0, |o| ts_body(o, &self.remote_ts));
    }
}

impl Accepted {
    /// Writes the answer: SA, [Nr], [KEr], TSi, TSr, [N(USE_TRANSPORT_MODE)].
    pub(crate) fn write(&self, c: &mut ChainBuilder) {
        let spi = self.child.spi_in.to_be_bytes();
        c.payload(PayloadType::V2_SA, 0, |o| {
            sa_chosen_body(o, self.number, &self.child.chosen, ProtocolIdV2::ESP, &spi)
        });
        if let Some(nr) = &self.nr {
            c.payload(PayloadType::V2_NONCE, 0, |o| o.bytes(nr));
        }
        if let Some((m, public)) = &self.ke {
            c.payload(PayloadType::V2_KE, 0, |o| ke_body(o, *m, public));
        }
        // We are the responder: TSi is the peer's side.
        c.payload(PayloadType::V2_TSI, 0, |o| {
            ts_body(o, &self.child.remote_ts)
        });
        c.payload(PayloadType::V2_TSR, 0, |o| ts_body(o, &self.child.local_ts));
        if self.child.mode == IpsecMode::Transport {
            transport_notify(c);
        }
    }
}

impl IkeSa {
    /// KEYMAT for a Child SA; `we_initiated` the exchange that made it.
    #[allow(clippy::too_many_arguments)]
    fn child_info(
        &self,
        ctx: &mut Ctx<'_>,
        child: &ChildSa,
        pfs: Option<&Secret>,
        ni: &[u8],
        nr: &[u8],
        we_initiated: bool,
    ) -> Option<ChildSaInfo> {
        let keys = self.keys.as_ref()?;
        let encr = ctx
            .provider
            .encryption(child.chosen.encr.0, child.chosen.encr.1)
            .ok()?;
        let integ_len = match child.chosen.integ {
            Some(i) => ctx.provider.integrity(i).ok()?.key_len(),
            None => 0,
        };
        let k = ChildKeys::derive(
            &*keys.prf,
            keys.k.sk_d.expose(),
            pfs.map(Secret::expose),
            ni,
            nr,
            encr.key_len(),
            integ_len,
        )
        .ok()?;
        let (ei, ii, eo, io) = if we_initiated {
            (k.encr_r, k.integ_r, k.encr_i, k.integ_i)
        } else {
            (k.encr_i, k.integ_i, k.encr_r, k.integ_r)
        };
        let cfg = ctx.peer_cfg(self.peer).children.get(child.cfg)?;
        Some(ChildSaInfo {
            sa: self.handle,
            child: child.id,
            name: cfg.name.clone(),
            protocol: 50,
            spi_in: child.spi_in,
            spi_out: child.spi_out,
            encr: child.chosen.encr.0,
            key_bits: child.chosen.encr.1,
            integ: child.chosen.integ,
            esn: child.chosen.esn.is_some_and(|e| e.0 == 1),
            pfs: child.chosen.ke,
            mode: child.mode,
            encap: self.encap,
            local: self.local,
            remote: self.remote,
            local_ts: child.local_ts.clone(),
            remote_ts: child.remote_ts.clone(),
            encr_key_in: ei,
            encr_key_out: eo,
            integ_key_in: ii,
            integ_key_out: io,
            rekey_ms: cfg.rekey_ms,
            lifetime_ms: cfg.lifetime_ms,
            lifetime_kb: None,
        })
    }

    fn new_child(
        &self,
        ctx: &mut Ctx<'_>,
        cfg: usize,
        chosen: Chosen,
        spi_in: u32,
        spi_out: u32,
    ) -> ChildSa {
        let c = &ctx.peer_cfg(self.peer).children[cfg];
        let (rekey_ms, lifetime_ms, mode) = (c.rekey_ms, c.lifetime_ms, c.mode);
        ChildSa {
            id: ctx.out.child_id(),
            cfg,
            spi_in,
            spi_out,
            chosen,
            mode,
            local_ts: Vec::new(),
            remote_ts: Vec::new(),
            rekey_at: rekey_ms.map(|r| ctx.now + r),
            expire_at: lifetime_ms.map(|l| ctx.now + l),
            rekeyed: false,
        }
    }

    /// Responder: picks a Child configuration, proposal and selectors for
    /// the offer in `inb`. In IKE_AUTH (`in_auth`) the nonces are the IKE
    /// SA's and there is no KE.
    pub(crate) fn accept_child(
        &mut self,
        ctx: &mut Ctx<'_>,
        inb: &Inbound,
        rekey_of: Option<ChildId>,
        in_auth: bool,
    ) -> Result<Accepted, Refused> {
        let refuse = |t: NotifyTypeV2| Err((t, Vec::new()));
        let Some(theirs) = &inb.sa else {
            return refuse(NotifyTypeV2::INVALID_SYNTAX);
        };
        let (Some(tsi), Some(tsr)) = (&inb.tsi, &inb.tsr) else {
            return refuse(NotifyTypeV2::TS_UNACCEPTABLE);
        };
        let peer_cfg = ctx.peer_cfg(self.peer).clone();
        let old = rekey_of.and_then(|id| self.children.iter().find(|c| c.id == id));
        let candidates: Vec<usize> = match old {
            Some(o) => vec![o.cfg],
            None => (0..peer_cfg.children.len()).collect(),
        };
        let mut proposal_fit = false;
        let mut found = None;
        for i in candidates {
            let c = &peer_cfg.children[i];
            let specs = if in_auth {
                strip_ke(&c.esp)
            } else {
                c.esp.clone()
            };
            let Some((offered, chosen)) = select(&specs, theirs, false) else {
                continue;
            };
            proposal_fit = true;
            let (ours_local, ours_remote) = match old {
                Some(o) => (o.local_ts.clone(), o.remote_ts.clone()),
                None => (
                    dynamic(&c.local_ts, self.local),
                    dynamic(&c.remote_ts, self.remote),
                ),
            };
            let local = narrow(&ours_local, tsr);
            let remote = narrow(&ours_remote, tsi);
            if local.is_empty() || remote.is_empty() {
                continue;
            }
            found = Some((i, offered, chosen, local, remote));
            break;
        }
        let Some((cfg, offered, chosen, local_ts, remote_ts)) = found else {
            return refuse(if proposal_fit {
                NotifyTypeV2::TS_UNACCEPTABLE
            } else {
                NotifyTypeV2::NO_PROPOSAL_CHOSEN
            });
        };
        let Ok(spi_out) = <[u8; 4]>::try_from(&offered.spi[..]).map(u32::from_be_bytes) else {
            return refuse(NotifyTypeV2::INVALID_SYNTAX);
        };
        // PFS: the KE must be of the chosen group (§1.3.1 INVALID_KE_PAYLOAD).
        let mut pfs = None;
        let mut ke_out = None;
        if let Some(want) = chosen.ke {
            match &inb.ke {
                Some((m, data)) if *m == want => {
                    let (public, shared) =
                        ctx.provider
                            .key_exchange_respond(want, data, ctx.rng)
                            .map_err(|_| (NotifyTypeV2::INVALID_SYNTAX, Vec::new()))?;
                    pfs = Some(shared);
                    ke_out = Some((want, public));
                }
                _ => {
                    return Err((
                        NotifyTypeV2::INVALID_KE_PAYLOAD,
                        want.0.to_be_bytes().to_vec(),
                    ))
                }
            }
        }
        let (ni, nr) = if in_auth {
            (self.ni.clone(), self.nr.clone())
        } else {
            match &inb.nonce {
                Some(n) if (16..=256).contains(&n.len()) => (n.clone(), ctx.random(32)),
                _ => return refuse(NotifyTypeV2::INVALID_SYNTAX),
            }
        };
        let Some(spi_in) = ctx.child_spi() else {
            return refuse(NotifyTypeV2::NO_ADDITIONAL_SAS);
        };
        let mut child = self.new_child(ctx, cfg, chosen, spi_in, spi_out);
        let peer_transport = inb.notify(NotifyTypeV2::USE_TRANSPORT_MODE).is_some();
        child.mode = match old {
            Some(o) => o.mode,
            None if peer_transport && child.mode == IpsecMode::Transport => IpsecMode::Transport,
            None => IpsecMode::Tunnel,
        };
        child.local_ts = local_ts;
        child.remote_ts = remote_ts;
        let Some(info) = self.child_info(ctx, &child, pfs.as_ref(), &ni, &nr, false) else {
            ctx.out.child_spis.remove(&spi_in);
            return refuse(NotifyTypeV2::NO_PROPOSAL_CHOSEN);
        };
        Ok(Accepted {
            child,
            info,
            number: offered.number,
            nr: (!in_auth).then_some(nr),
            ke: ke_out,
            rekey_of,
        })
    }

    /// Installs a Child SA we accepted (after the answer is queued).
    pub(crate) fn install_accepted(&mut self, ctx: &mut Ctx<'_>, a: Accepted) {
        let ev = match a.rekey_of {
            Some(old) => Event::ChildSaRekeyed { old, new: a.info },
            None => Event::ChildSaUp(a.info),
        };
        ctx.out.events.push_back(ev);
        self.children.push(a.child);
        self.arm_child_timer();
    }

    /// Initiator of the exchange: the peer's answer to our Child SA offer.
    pub(crate) fn complete_child(
        &mut self,
        ctx: &mut Ctx<'_>,
        req: ChildRequest,
        inb: &Inbound,
        in_auth: bool,
    ) {
        let name = ctx
            .peer_cfg(self.peer)
            .children
            .get(req.cfg)
            .map(|c| c.name.clone())
            .unwrap_or_default();
        let failed = |sa: &mut IkeSa, ctx: &mut Ctx<'_>, req: &ChildRequest, t: NotifyTypeV2| {
            ctx.out.child_spis.remove(&req.spi_in);
            ctx.log(format!(
                "SA {}: Child SA {name} not created: {}",
                sa.handle.0,
                t.name().unwrap_or("error")
            ));
            ctx.out.events.push_back(Event::ChildSaFailed {
                sa: sa.handle,
                name: name.clone(),
                notify: t,
            });
            // A failed rekey is retried later, unless the Child SA expires first.
            if let Some(old) = req
                .rekey_of
                .and_then(|id| sa.children.iter_mut().find(|c| c.id == id))
            {
                old.rekey_at = Some(ctx.now + 10_000);
                sa.arm_child_timer();
            }
        };
        let Some(theirs) = &inb.sa else {
            let t = inb
                .error()
                .map_or(NotifyTypeV2::NO_PROPOSAL_CHOSEN, |n| n.ntype);
            if t == NotifyTypeV2::INVALID_KE_PAYLOAD && !in_auth && req.restarts == 0 {
                let wanted = inb
                    .notify(t)
                    .and_then(|n| <[u8; 2]>::try_from(&n.data[..]).ok())
                    .map(|b| KeMethod(u16::from_be_bytes(b)));
                if let Some(m) = wanted.filter(|m| req.proposals.iter().any(|p| p.ke.contains(m))) {
                    if let Ok(ke) = ctx.provider.key_exchange(m, ctx.rng) {
                        let mut req = req;
                        req.ke = Some((m, ke));
                        req.restarts = 1;
                        self.send_child_request(ctx, req);
                        return;
                    }
                }
            }
            failed(self, ctx, &req, t);
            return;
        };
        let chosen = match theirs.as_slice() {
            [one] => crate::engine::proposal::Chosen::from_reply(one, &req.proposals, false)
                .map(|c| (one, c)),
            _ => None,
        };
        let Some((offered, chosen)) = chosen else {
            failed(self, ctx, &req, NotifyTypeV2::NO_PROPOSAL_CHOSEN);
            return;
        };
        let Ok(spi_out) = <[u8; 4]>::try_from(&offered.spi[..]).map(u32::from_be_bytes) else {
            failed(self, ctx, &req, NotifyTypeV2::INVALID_SYNTAX);
            return;
        };
        let (Some(tsi), Some(tsr)) = (inb.tsi.clone(), inb.tsr.clone()) else {
            failed(self, ctx, &req, NotifyTypeV2::TS_UNACCEPTABLE);
            return;
        };
        // The responder may only narrow what we offered (§2.9).
        let inside = |got: &[TrafficSelector], offered: &[TrafficSelector]| {
            !got.is_empty() && got.iter().all(|g| offered.iter().any(|o| o.contains(g)))
        };
        if !inside(&tsi, &req.local_ts) || !inside(&tsr, &req.remote_ts) {
            failed(self, ctx, &req, NotifyTypeV2::TS_UNACCEPTABLE);
            return;
        }
        let (ni, nr) = if in_auth {
            (self.ni.clone(), self.nr.clone())
        } else {
            match &inb.nonce {
                Some(n) if (16..=256).contains(&n.len()) => (req.ni.clone(), n.clone()),
                _ => {
                    failed(self, ctx, &req, NotifyTypeV2::INVALID_SYNTAX);
                    return;
                }
            }
        };
        let mut req = req;
        let pfs = match (chosen.ke, req.ke.take(), &inb.ke) {
            (None, _, _) => None,
            (Some(m), Some((mine, ke)), Some((theirs_m, data))) if m == mine && *theirs_m == m => {
                match ke.complete(data) {
                    Ok(s) => Some(s),
                    Err(_) => {
                        failed(self, ctx, &req, NotifyTypeV2::INVALID_SYNTAX);
                        return;
                    }
                }
            }
            _ => {
                failed(self, ctx, &req, NotifyTypeV2::INVALID_KE_PAYLOAD);
                return;
            }
        };
        let mut child = self.new_child(ctx, req.cfg, chosen, req.spi_in, spi_out);
        child.mode = if req.mode == IpsecMode::Transport
            && inb.notify(NotifyTypeV2::USE_TRANSPORT_MODE).is_some()
        {
            IpsecMode::Transport
        } else {
            IpsecMode::Tunnel
        };
        child.local_ts = tsi;
        child.remote_ts = tsr;
        let Some(info) = self.child_info(ctx, &child, pfs.as_ref(), &ni, &nr, true) else {
            failed(self, ctx, &req, NotifyTypeV2::NO_PROPOSAL_CHOSEN);
            return;
        };
        let new_id = child.id;
        match req.rekey_of {
            None => ctx.out.events.push_back(Event::ChildSaUp(info)),
            Some(old_id) => {
                let ours_min = ni.clone().min(nr.clone());
                let old = self.children.iter_mut().find(|c| c.id == old_id);
                match req.collision.take() {
                    // A collision we lost (§2.8.1): the Child SA with the
                    // lowest nonce goes, deleted by whoever made it — us;
                    // the peer deletes the old one.
                    Some(theirs_min) if ours_min < theirs_min => {
                        ctx.out.events.push_back(Event::ChildSaUp(info));
                        self.children.push(child);
                        self.queue.push_back(Pending::DeleteChild(new_id));
                        self.arm_child_timer();
                        return;
                    }
                    _ => {
                        ctx.out.events.push_back(Event::ChildSaRekeyed {
                            old: old_id,
                            new: info,
                        });
                        if let Some(o) = old {
                            o.rekeyed = true;
                            self.queue.push_back(Pending::DeleteChild(old_id));
                        }
                    }
                }
            }
        }
        self.children.push(child);
        self.arm_child_timer();
    }

    /// Arms the Child timer at the earliest rekey or expiry.
    pub(crate) fn arm_child_timer(&mut self) {
        let next = self
            .children
            .iter()
            .flat_map(|c| [c.rekey_at.filter(|_| !c.rekeyed), c.expire_at])
            .flatten()
            .min();
        match next {
            Some(at) => self.timers.set(Timer::Child, at),
            None => self.timers.stop(Timer::Child),
        }
    }

    /// Child timer: rekey or expire the Child SAs that are due.
    pub(crate) fn child_timers(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now;
        let mut work = Vec::new();
        for c in &mut self.children {
            if c.expire_at.is_some_and(|t| t <= now) {
                c.expire_at = None;
                c.rekey_at = None;
                work.push(Pending::DeleteChild(c.id));
            } else if !c.rekeyed && c.rekey_at.is_some_and(|t| t <= now) {
                c.rekey_at = None;
                work.push(Pending::RekeyChild(c.id));
            }
        }
        self.arm_child_timer();
        for w in work {
            self.enqueue(ctx, w);
        }
    }

    fn send_child_request(&mut self, ctx: &mut Ctx<'_>, req: ChildRequest) {
        let rekey_spi = req
            .rekey_of
            .and_then(|id| self.children.iter().find(|c| c.id == id))
            .map(|c| c.spi_in);
        let mut c = ChainBuilder::new();
        req.write(&mut c, rekey_spi);
        let spi = req.spi_in;
        if !self.send_request(
            ctx,
            ExchangeType::CREATE_CHILD_SA,
            Request::CreateChild(Box::new(req)),
            c,
        ) {
            ctx.out.child_spis.remove(&spi);
        }
    }

    /// Creates another Child SA with configuration `cfg`.
    pub(crate) fn start_new_child(&mut self, ctx: &mut Ctx<'_>, cfg: usize) {
        if let Some(req) = ChildRequest::new(ctx, self, cfg, true, None) {
            self.send_child_request(ctx, req);
        }
    }

    /// Rekeys Child SA `id` (§1.3.3).
    pub(crate) fn start_rekey_child(&mut self, ctx: &mut Ctx<'_>, id: ChildId) {
        let Some(pos) = self.children.iter().position(|c| c.id == id && !c.rekeyed) else {
            return;
        };
        let old = &self.children[pos];
        let cfg = old.cfg;
        // ChildRequest::new borrows the old Child SA only to copy its
        // selectors and mode.
        let snapshot = ChildSa {
            id: old.id,
            cfg,
            spi_in: old.spi_in,
            spi_out: old.spi_out,
            chosen: old.chosen.clone(),
            mode: old.mode,
            local_ts: old.local_ts.clone(),
            remote_ts: old.remote_ts.clone(),
            rekey_at: None,
            expire_at: None,
            rekeyed: false,
        };
        if let Some(req) = ChildRequest::new(ctx, self, cfg, true, Some(&snapshot)) {
            self.send_child_request(ctx, req);
        }
    }

    /// Rekeys the IKE SA (§1.3.2).
    pub(crate) fn start_rekey_ike(&mut self, ctx: &mut Ctx<'_>) {
        let Some(keys) = &self.keys else { return };
        let Some(method) = keys.chosen.ke else { return };
        let Ok(spi) = <[u8; 8]>::try_from(ctx.random(8)) else {
            return;
        };
        let Ok(ke) = ctx.provider.key_exchange(method, ctx.rng) else {
            return;
        };
        let ni = ctx.random(32);
        let mut specs = ctx.peer_cfg(self.peer).ike.clone();
        // The negotiated group first, so that the peer picks it.
        for s in &mut specs {
            if let Some(p) = s.ke.iter().position(|k| *k == method) {
                s.ke.swap(0, p);
            }
        }
        let public = ke.public_value().to_vec();
        let mut c = ChainBuilder::new();
        c.payload(PayloadType::V2_SA, 0, |o| {
            sa_body(o, &specs, ProtocolIdV2::IKE, &spi)
        });
        c.payload(PayloadType::V2_NONCE, 0, |o| o.bytes(&ni));
        c.payload(PayloadType::V2_KE, 0, |o| ke_body(o, method, &public));
        self.peer_ike_rekey = None;
        let req = IkeRekeyRequest {
            spi,
            ni,
            method,
            ke,
        };
        self.send_request(
            ctx,
            ExchangeType::CREATE_CHILD_SA,
            Request::RekeyIke(Box::new(req)),
            c,
        );
    }

    /// The IKE SA that a rekey makes: keys from the old SK_d (§2.18).
    #[allow(clippy::too_many_arguments)]
    fn rekeyed_sa(
        &self,
        ctx: &mut Ctx<'_>,
        initiator: bool,
        spi_i: [u8; 8],
        spi_r: [u8; 8],
        ni: Vec<u8>,
        nr: Vec<u8>,
        chosen: &Chosen,
        shared: &Secret,
    ) -> Option<IkeSa> {
        let old = self.keys.as_ref()?;
        let seed =
            skeyseed_rekey(&*old.prf, old.k.sk_d.expose(), shared.expose(), &ni, &nr).ok()?;
        let handle = ctx.out.sa_handle();
        let mut sa = IkeSa::new(
            handle,
            self.peer,
            initiator,
            spi_i,
            self.local,
            self.remote,
            ctx.now,
        );
        sa.spi_r = spi_r;
        sa.ni = ni;
        sa.nr = nr;
        sa.set_keys(ctx, chosen, &seed)?;
        sa.encap = self.encap;
        sa.peer_frag = self.peer_frag;
        sa.peer_hashes = self.peer_hashes.clone();
        sa.remote_id = self.remote_id.clone();
        sa.state = State::Established;
        // Unknown to the application until it replaces this SA (hand_over).
        sa.announced = false;
        let cfg = ctx.peer_cfg(self.peer);
        if let Some(r) = cfg.ike_rekey_ms {
            sa.timers.set(Timer::RekeyIke, ctx.now + r);
        }
        if let Some(d) = cfg.dpd_ms {
            sa.timers.set(Timer::Liveness, ctx.now + d);
        }
        if let Some(k) = self.timers.get(Timer::Keepalive) {
            sa.timers.set(Timer::Keepalive, k);
        }
        Some(sa)
    }

    /// Moves our Child SAs to the SA that replaces us and announces it.
    fn hand_over(&mut self, ctx: &mut Ctx<'_>, mut new: IkeSa) {
        new.children = std::mem::take(&mut self.children);
        new.arm_child_timer();
        new.announced = true;
        self.replaced_by = Some(new.handle);
        self.timers.stop(Timer::RekeyIke);
        self.timers.stop(Timer::Child);
        self.timers.stop(Timer::Liveness);
        self.timers.stop(Timer::Keepalive);
        ctx.out.events.push_back(Event::IkeSaRekeyed {
            old: self.handle,
            new: new.handle,
        });
        new.announce_keys(ctx);
        ctx.out.new_sas.push(new);
    }

    /// Initiator: the answer to our IKE SA rekey.
    pub(crate) fn rekey_ike_response(
        &mut self,
        ctx: &mut Ctx<'_>,
        req: IkeRekeyRequest,
        inb: Inbound,
    ) {
        let retry = |sa: &mut IkeSa, ctx: &mut Ctx<'_>| {
            if let Some(r) = ctx.peer_cfg(sa.peer).ike_rekey_ms {
                sa.timers
                    .set(Timer::RekeyIke, ctx.now + (r / 10).clamp(1000, 60_000));
            }
        };
        let ours = ctx.peer_cfg(self.peer).ike.clone();
        let reply = match (inb.sa.as_deref(), &inb.ke, &inb.nonce) {
            (Some([one]), Some((m, data)), Some(nr)) if *m == req.method => {
                crate::engine::proposal::Chosen::from_reply(one, &ours, true)
                    .filter(|c| c.ke == Some(req.method))
                    .and_then(|c| {
                        <[u8; 8]>::try_from(&one.spi[..])
                            .ok()
                            .map(|s| (c, s, data, nr))
                    })
            }
            _ => None,
        };
        let Some((chosen, spi_r, data, nr)) = reply else {
            ctx.log(format!(
                "SA {}: IKE SA rekey refused: {}",
                self.handle.0,
                inb.error()
                    .and_then(|n| n.ntype.name())
                    .unwrap_or("bad answer")
            ));
            retry(self, ctx);
            return;
        };
        let Ok(shared) = req.ke.complete(data) else {
            retry(self, ctx);
            return;
        };
        let Some(mut ours_sa) = self.rekeyed_sa(
            ctx,
            true,
            req.spi,
            spi_r,
            req.ni.clone(),
            nr.clone(),
            &chosen,
            &shared,
        ) else {
            retry(self, ctx);
            return;
        };
        let ours_min = req.ni.clone().min(nr.clone());
        match self.peer_ike_rekey.take() {
            Some((theirs, theirs_min)) if ours_min < theirs_min => {
                // We lost the collision (§2.8.2): the peer's SA carries
                // on; we delete ours, and the peer deletes this one.
                self.hand_over(ctx, *theirs);
                ours_sa.queue.push_back(Pending::DeleteIke);
                ctx.out.new_sas.push(ours_sa);
            }
            Some((mut theirs, _)) => {
                // We won: the peer deletes its SA; we delete this one.
                // Should the peer's Delete never come (it took our Delete
                // of this SA before our answer and forgot its rekey,
                // §2.25.2), the SA goes silently once the peer's
                // retransmissions would be over.
                let r = ctx.config.retransmit;
                let (mut wait, mut window) = (r.base_ms, 0);
                for _ in 0..=r.tries {
                    window += wait;
                    wait = wait * r.factor_tenths / 10;
                }
                theirs.timers = TimerTable::default();
                theirs.timers.set(Timer::Reap, ctx.now + window);
                ctx.out.new_sas.push(*theirs);
                self.hand_over(ctx, ours_sa);
                self.queue.push_back(Pending::DeleteIke);
            }
            None => {
                self.hand_over(ctx, ours_sa);
                self.queue.push_back(Pending::DeleteIke);
            }
        }
    }

    /// Responder: a CREATE_CHILD_SA request.
    pub(crate) fn create_child_request(&mut self, ctx: &mut Ctx<'_>, mid: u32, inb: Inbound) {
        let refuse = |sa: &mut IkeSa, ctx: &mut Ctx<'_>, (t, data): Refused| {
            let mut c = ChainBuilder::new();
            c.payload(PayloadType::V2_NOTIFY, 0, |o| {
                notify_body(o, ProtocolIdV2::NONE, &[], t, &data)
            });
            sa.send_response(ctx, ExchangeType::CREATE_CHILD_SA, mid, c);
        };
        if !self.is_established() || self.replaced_by.is_some() || self.deleting() {
            // Being deleted or replaced (§2.25).
            refuse(self, ctx, (NotifyTypeV2::TEMPORARY_FAILURE, Vec::new()));
            return;
        }
        let ike = inb
            .sa
            .as_ref()
            .is_some_and(|s| s.iter().any(|p| p.protocol == ProtocolIdV2::IKE));
        // §2.25.1: a request to rekey the IKE SA while we create, rekey or
        // close a Child SA of it gets TEMPORARY_FAILURE; §2.25.2: so does a
        // request to create or rekey a Child SA while we rekey the IKE SA.
        let busy = match self.outstanding.as_ref().map(|o| &o.kind) {
            Some(Request::CreateChild(_) | Request::DeleteChildren(_)) => ike,
            Some(Request::RekeyIke(_)) => !ike,
            _ => false,
        };
        if busy {
            refuse(self, ctx, (NotifyTypeV2::TEMPORARY_FAILURE, Vec::new()));
            return;
        }
        if ike {
            self.rekey_ike_request(ctx, mid, inb);
            return;
        }
        let rekey = inb.notify(NotifyTypeV2::REKEY_SA).cloned();
        let mut rekey_of = None;
        if let Some(n) = rekey {
            // The SPI the peer names is its inbound one: our outbound.
            let spi = <[u8; 4]>::try_from(&n.spi[..]).map(u32::from_be_bytes).ok();
            let Some(old) = self.children.iter().find(|c| Some(c.spi_out) == spi) else {
                refuse(self, ctx, (NotifyTypeV2::CHILD_SA_NOT_FOUND, Vec::new()));
                return;
            };
            let deleting = matches!(&self.outstanding, Some(o) if matches!(&o.kind, Request::DeleteChildren(ids) if ids.contains(&old.id)));
            if old.rekeyed || deleting {
                refuse(self, ctx, (NotifyTypeV2::TEMPORARY_FAILURE, Vec::new()));
                return;
            }
            rekey_of = Some(old.id);
        }
        match self.accept_child(ctx, &inb, rekey_of, false) {
            Ok(a) => {
                let mut c = ChainBuilder::new();
                a.write(&mut c);
                self.send_response(ctx, ExchangeType::CREATE_CHILD_SA, mid, c);
                if let Some(old_id) = rekey_of {
                    // Replaced, by this exchange's SA or by ours when our
                    // own rekey of it is out: a collision, decided when
                    // ours is answered (§2.8.1).
                    if let Some(old) = self.children.iter_mut().find(|c| c.id == old_id) {
                        old.rekeyed = true;
                    }
                    if let Some(Outstanding {
                        kind: Request::CreateChild(r),
                        ..
                    }) = &mut self.outstanding
                    {
                        if r.rekey_of == Some(old_id) {
                            let their_min = inb.nonce.clone().unwrap_or_default();
                            r.collision = Some(their_min.min(a.nr.clone().unwrap_or_default()));
                        }
                    }
                }
                self.install_accepted(ctx, a);
            }
            Err(r) => refuse(self, ctx, r),
        }
    }

    /// Responder: a rekey of the IKE SA.
    fn rekey_ike_request(&mut self, ctx: &mut Ctx<'_>, mid: u32, inb: Inbound) {
        let refuse = |sa: &mut IkeSa, ctx: &mut Ctx<'_>, t: NotifyTypeV2, data: Vec<u8>| {
            let mut c = ChainBuilder::new();
            c.payload(PayloadType::V2_NOTIFY, 0, |o| {
                notify_body(o, ProtocolIdV2::NONE, &[], t, &data)
            });
            sa.send_response(ctx, ExchangeType::CREATE_CHILD_SA, mid, c);
        };
        let ours = ctx.peer_cfg(self.peer).ike.clone();
        let theirs = inb.sa.clone().unwrap_or_default();
        let Some((offered, chosen)) = select(&ours, &theirs, true) else {
            refuse(self, ctx, NotifyTypeV2::NO_PROPOSAL_CHOSEN, Vec::new());
            return;
        };
        let Some(want) = chosen.ke else { return };
        let (Some((m, data)), Some(ni)) = (&inb.ke, &inb.nonce) else {
            refuse(self, ctx, NotifyTypeV2::INVALID_SYNTAX, Vec::new());
            return;
        };
        if *m != want {
            refuse(
                self,
                ctx,
                NotifyTypeV2::INVALID_KE_PAYLOAD,
                want.0.to_be_bytes().to_vec(),
            );
            return;
        }
        let Ok(spi_i) = <[u8; 8]>::try_from(&offered.spi[..]) else {
            refuse(self, ctx, NotifyTypeV2::INVALID_SYNTAX, Vec::new());
            return;
        };
        let Ok((public, shared)) = ctx.provider.key_exchange_respond(want, data, ctx.rng) else {
            refuse(self, ctx, NotifyTypeV2::INVALID_SYNTAX, Vec::new());
            return;
        };
        let Ok(spi_r) = <[u8; 8]>::try_from(ctx.random(8)) else {
            return;
        };
        let nr = ctx.random(32);
        let Some(new) = self.rekeyed_sa(
            ctx,
            false,
            spi_i,
            spi_r,
            ni.clone(),
            nr.clone(),
            &chosen,
            &shared,
        ) else {
            refuse(self, ctx, NotifyTypeV2::NO_PROPOSAL_CHOSEN, Vec::new());
            return;
        };
        let mut c = ChainBuilder::new();
        c.payload(PayloadType::V2_SA, 0, |o| {
            sa_chosen_body(o, offered.number, &chosen, ProtocolIdV2::IKE, &spi_r)
        });
        c.payload(PayloadType::V2_NONCE, 0, |o| o.bytes(&nr));
        c.payload(PayloadType::V2_KE, 0, |o| ke_body(o, want, &public));
        self.send_response(ctx, ExchangeType::CREATE_CHILD_SA, mid, c);
        let ours_out =
            matches!(&self.outstanding, Some(o) if matches!(o.kind, Request::RekeyIke(_)));
        if ours_out {
            // A collision: decided when our own rekey is answered.
            let min = ni.clone().min(nr);
            self.peer_ike_rekey = Some((Box::new(new), min));
        } else {
            self.hand_over(ctx, new);
        }
    }

    /// Is a Delete of this IKE SA outstanding?
    pub(crate) fn deleting(&self) -> bool {
        matches!(&self.outstanding, Some(o) if matches!(o.kind, Request::DeleteIke))
    }

    /// The peer's Delete of the old IKE SA during an undecided collision:
    /// its SA won.
    pub(crate) fn settle_collision_on_delete(&mut self, ctx: &mut Ctx<'_>) {
        if let Some((theirs, _)) = self.peer_ike_rekey.take() {
            self.hand_over(ctx, *theirs);
        }
    }

    /// The reason to give when this SA goes after a rekey.
    pub(crate) fn down_reason(&self, by_peer: bool) -> DownReason {
        if self.replaced_by.is_some() {
            DownReason::Rekeyed
        } else {
            DownReason::Deleted { by_peer }
        }
    }
}
