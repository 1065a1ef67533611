//! The IKEv1 engine (RFC 2407, 2408, 2409): ISAKMP SAs with Main Mode
//! and Aggressive Mode (pre-shared keys, RSA and ECDSA signatures with
//! certificates), Quick Mode with and without PFS, Informational
//! exchanges (Delete, Notify, DPD per RFC 3706), NAT traversal (RFC 3947),
//! XAUTH and Mode-Config (client and server), IKEv1 fragmentation;
//! retransmission the IKEv1 way; phase 1 and phase 2 rekeying.
//!
//! [`V1Engine`] is the part of the endpoint that owns the ISAKMP SAs: it
//! finds the SA of a datagram by its cookies (CKY-I, and CKY-R once
//! known; RFC 2408 §3.1 has no initiator flag, so both are needed), makes
//! responder SAs from MM1/AM1, keeps the timer index, and carries out what
//! one SA's events mean for others (INITIAL-CONTACT, phase 1 rekey,
//! DPD restart, Mode-Config address pool). Same sans-IO contract as the
//! IKEv2 side: the endpoint passes the context of each input.

pub(crate) mod aggressive;
pub(crate) mod auth;
pub(crate) mod frag;
pub(crate) mod info;
pub(crate) mod main_mode;
pub(crate) mod modecfg;
pub(crate) mod natt;
pub(crate) mod payloads;
pub(crate) mod proposal;
pub(crate) mod quick;
pub(crate) mod sa;
pub(crate) mod xauth;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};

use sha2::{Digest, Sha256};

use self::auth::auth_method;
use self::payloads::{identity_of, notify_body, Inbound, SIT_IDENTITY_ONLY};
use self::proposal::{p1_offer, select_p1};
use self::sa::{IsakmpSa, Pending, Phase1};
use super::config::ModeConfigRole;
use super::ctx::Ctx;
use super::endpoint::EngineError;
use super::event::{ChildId, DownReason, Event, SaHandle, Transmit};
use crate::crypto::Secret;
use crate::wire::emit::ChainBuilder;
use crate::wire::header::{Flags, Header, Version, HEADER_LEN};
use crate::wire::message::Message;
use crate::wire::registry::{Doi, ExchangeType, NotifyTypeV1, PayloadType, ProtocolIdV1};
use crate::wire::transport::NON_ESP_MARKER;
use crate::wire::Mode;

/// A command of the application for an ISAKMP SA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum V1Command {
    NewChild(usize),
    RekeyChild(ChildId),
    DeleteChild(ChildId),
    RekeyIke,
    DeleteIke,
    Liveness,
}

/// The ISAKMP SAs of an endpoint.
#[derive(Default)]
pub(crate) struct V1Engine {
    sas: HashMap<SaHandle, IsakmpSa>,
    /// Established and half-open SAs by (CKY-I, CKY-R).
    by_cookies: HashMap<([u8; 8], [u8; 8]), SaHandle>,
    /// Responder SAs by (initiator address, CKY-I): repeated MM1/AM1.
    by_init: HashMap<(SocketAddr, [u8; 8]), SaHandle>,
    /// Our SAs waiting for the responder's cookie, by CKY-I.
    initiated: HashMap<[u8; 8], SaHandle>,
    /// Responder SAs whose phase 1 is not complete.
    half_open: HashSet<SaHandle>,
    deadlines: HashMap<SaHandle, u64>,
    timers: BTreeSet<(u64, SaHandle)>,
}

impl V1Engine {
    /// Is this handle an ISAKMP SA of ours?
    pub(crate) fn owns(&self, h: SaHandle) -> bool {
        self.sas.contains_key(&h)
    }

    /// The peer configuration index of an SA.
    pub(crate) fn peer_of(&self, h: SaHandle) -> Option<usize> {
        self.sas.get(&h).map(|s| s.peer)
    }

    /// ISAKMP SAs held.
    pub(crate) fn count(&self) -> usize {
        self.sas.len()
    }

    /// Responder SAs whose phase 1 is not complete.
    pub(crate) fn half_open_count(&self) -> usize {
        self.half_open.len()
    }

    /// The handles.
    pub(crate) fn handles(&self) -> Vec<SaHandle> {
        self.sas.keys().copied().collect()
    }

    /// Up (phase 1 and XAUTH done)?
    pub(crate) fn is_established(&self, h: SaHandle) -> bool {
        self.sas.get(&h).is_some_and(IsakmpSa::is_established)
    }

    /// The IPsec SAs of an ISAKMP SA: id, inbound SPI, outbound SPI.
    pub(crate) fn child_spis(&self, h: SaHandle) -> Vec<(ChildId, u32, u32)> {
        self.sas
            .get(&h)
            .map(|s| {
                s.children
                    .iter()
                    .map(|c| (c.id, c.spi_in, c.spi_out))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The cookies.
    pub(crate) fn cookies(&self, h: SaHandle) -> Option<([u8; 8], [u8; 8])> {
        self.sas.get(&h).map(|s| (s.cky_i, s.cky_r))
    }

    /// The earliest deadline.
    pub(crate) fn next_timeout(&self) -> Option<u64> {
        self.timers.iter().next().map(|(at, _)| *at)
    }

    fn with_sa<R>(
        &mut self,
        ctx: &mut Ctx<'_>,
        h: SaHandle,
        f: impl FnOnce(&mut IsakmpSa, &mut Ctx<'_>) -> R,
    ) -> Option<R> {
        let sa = self.sas.get_mut(&h)?;
        let r = f(sa, ctx);
        self.settle(ctx, h);
        Some(r)
    }

    /// A datagram (without the non-ESP marker) with major version 1.
    /// Returns false when it was dropped before reaching an SA.
    pub(crate) fn handle(
        &mut self,
        ctx: &mut Ctx<'_>,
        local: SocketAddr,
        remote: SocketAddr,
        ike: &[u8],
    ) -> bool {
        let Ok(msg) = Message::parse(ike, Mode::Strict) else {
            return false;
        };
        let h = msg.header;
        if h.ispi == [0; 8] {
            return false;
        }
        let target = if h.rspi == [0; 8] {
            if let Some(&s) = self.by_init.get(&(remote, h.ispi)) {
                Some(s)
            } else if let Some(&s) = self.initiated.get(&h.ispi) {
                // An unprotected error answering our first message.
                (h.exchange_type == ExchangeType::INFORMATIONAL_V1).then_some(s)
            } else {
                let first = matches!(
                    h.exchange_type,
                    ExchangeType::IDENTITY_PROTECTION | ExchangeType::AGGRESSIVE
                ) && h.message_id == 0
                    && !h.flags.has(Flags::ENCRYPTION);
                return first && self.new_responder(ctx, &msg, ike, local, remote);
            }
        } else if let Some(&s) = self.by_cookies.get(&(h.ispi, h.rspi)) {
            Some(s)
        } else {
            self.initiated.get(&h.ispi).copied().filter(|s| {
                self.sas
                    .get(s)
                    .is_some_and(|sa| sa.cky_r == [0; 8] || sa.cky_r == h.rspi)
            })
        };
        let Some(s) = target else {
            return false;
        };
        self.with_sa(ctx, s, |sa, ctx| sa.handle(ctx, ike, local, remote))
            .is_some()
    }

    /// An unprotected answer without state (RFC 2408 §5: errors before an
    /// SA exists).
    fn stateless_notify(
        ctx: &mut Ctx<'_>,
        local: SocketAddr,
        remote: SocketAddr,
        ispi: [u8; 8],
        t: NotifyTypeV1,
    ) {
        let spi = [ispi, [0; 8]].concat();
        let mut c = ChainBuilder::new();
        c.payload(PayloadType::NOTIFICATION, 0, |o| {
            notify_body(o, ProtocolIdV1::ISAKMP, &spi, t, &[])
        });
        let Ok((first, chain)) = c.finish() else {
            return;
        };
        let h = Header {
            ispi,
            rspi: [0; 8],
            next_payload: first,
            version: Version::V1,
            exchange_type: ExchangeType::INFORMATIONAL_V1,
            flags: Flags(0),
            message_id: 0,
            length: u32::try_from(HEADER_LEN + chain.len()).unwrap_or(0),
        };
        let mut m = Vec::new();
        h.emit(&mut m);
        m.extend_from_slice(&chain);
        let data = if local.port() == 4500 || remote.port() == 4500 {
            [&NON_ESP_MARKER[..], &m].concat()
        } else {
            m
        };
        ctx.out.transmits.push_back(Transmit {
            local,
            remote,
            data,
            sa: None,
        });
    }

    /// MM1 or AM1 from a new peer: choose a configuration and a transform
    /// (RFC 2409 §5: the responder accepts one transform of the offer),
    /// make the responder SA.
    fn new_responder(
        &mut self,
        ctx: &mut Ctx<'_>,
        msg: &Message<'_>,
        raw: &[u8],
        local: SocketAddr,
        remote: SocketAddr,
    ) -> bool {
        let limits = ctx.config.limits;
        if self.half_open_count() >= limits.half_open_max || self.sas.len() >= limits.ike_sa_max {
            return false;
        }
        let h = msg.header;
        let Ok(inb) = Inbound::read(msg.body(), h.next_payload, false) else {
            return false;
        };
        let Some(sa_in) = &inb.sa else { return false };
        if sa_in.doi != Doi::IPSEC {
            Self::stateless_notify(ctx, local, remote, h.ispi, NotifyTypeV1::DOI_NOT_SUPPORTED);
            return true;
        }
        if sa_in.situation != SIT_IDENTITY_ONLY {
            Self::stateless_notify(
                ctx,
                local,
                remote,
                h.ispi,
                NotifyTypeV1::SITUATION_NOT_SUPPORTED,
            );
            return true;
        }
        let Some(proposal) = sa_in
            .proposals
            .iter()
            .find(|p| p.protocol == ProtocolIdV1::ISAKMP)
        else {
            Self::stateless_notify(ctx, local, remote, h.ispi, NotifyTypeV1::NO_PROPOSAL_CHOSEN);
            return true;
        };
        let aggressive = h.exchange_type == ExchangeType::AGGRESSIVE;
        let idi = inb.ids.first().map(identity_of);
        if aggressive && idi.is_none() {
            return false;
        }
        let mut found = None;
        for (i, p) in ctx.config.peers.iter().enumerate() {
            let Some(o) = &p.ikev1 else { continue };
            if aggressive && !o.aggressive {
                continue;
            }
            if p.remote.is_some_and(|a| a.ip() != remote.ip()) {
                continue;
            }
            if let (Some(want), Some(got)) = (&p.remote_id, &idi) {
                if !want.matches(got) {
                    continue;
                }
            }
            let Some(method) = auth_method(p, false) else {
                continue;
            };
            let ours = p1_offer(&p.ike, method, o.ike_lifetime_s);
            if let Some((ti, chosen)) = select_p1(&ours, &proposal.transforms) {
                found = Some((i, ti, chosen));
                break;
            }
        }
        let Some((peer, ti, chosen)) = found else {
            ctx.log(format!(
                "IKEv1: no configuration accepts the offer from {remote}"
            ));
            Self::stateless_notify(ctx, local, remote, h.ispi, NotifyTypeV1::NO_PROPOSAL_CHOSEN);
            return true;
        };
        let transform = &proposal.transforms[ti];
        let handle = ctx.out.sa_handle();
        let digest: [u8; 32] = Sha256::digest(raw).into();
        let sa = if aggressive {
            IsakmpSa::respond_aggressive(
                ctx, handle, peer, &inb, raw, proposal, transform, chosen, digest, h.ispi, local,
                remote,
            )
        } else {
            IsakmpSa::respond_main(
                ctx, handle, peer, &inb, proposal, transform, chosen, digest, h.ispi, local, remote,
            )
        };
        let Some(sa) = sa else { return false };
        self.by_init.insert((remote, h.ispi), handle);
        self.sas.insert(handle, sa);
        self.settle(ctx, handle);
        true
    }

    /// Starts an ISAKMP SA with peer configuration `peer`.
    pub(crate) fn initiate(
        &mut self,
        ctx: &mut Ctx<'_>,
        peer: usize,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> Result<SaHandle, EngineError> {
        self.initiate_replacing(ctx, peer, local, remote, None)
    }

    fn initiate_replacing(
        &mut self,
        ctx: &mut Ctx<'_>,
        peer: usize,
        local: SocketAddr,
        remote: SocketAddr,
        replaces: Option<SaHandle>,
    ) -> Result<SaHandle, EngineError> {
        let aggressive = ctx
            .peer_cfg(peer)
            .ikev1
            .as_ref()
            .is_some_and(|o| o.aggressive);
        let cky_i = main_mode::fresh_cookie(ctx)
            .ok_or_else(|| EngineError::Crypto("no randomness".into()))?;
        let handle = ctx.out.sa_handle();
        let mut sa = IsakmpSa::new(
            handle,
            peer,
            true,
            aggressive,
            cky_i,
            local,
            remote,
            ctx.now,
            Phase1::Start,
        );
        sa.replaces = replaces;
        // INITIAL-CONTACT says this is the only SA with the peer.
        sa.initial_contact =
            replaces.is_none() && !self.sas.values().any(|s| s.peer == peer && !s.is_dead());
        let ok = if aggressive {
            sa.start_aggressive(ctx)
        } else {
            sa.start_main(ctx)
        };
        if !ok {
            return Err(EngineError::Crypto(
                "cannot start phase 1 with the configured proposals and credentials".into(),
            ));
        }
        self.initiated.insert(cky_i, handle);
        self.sas.insert(handle, sa);
        self.settle(ctx, handle);
        Ok(handle)
    }

    /// Carries out a command.
    pub(crate) fn command(
        &mut self,
        ctx: &mut Ctx<'_>,
        h: SaHandle,
        cmd: V1Command,
    ) -> Result<(), EngineError> {
        let sa = self.sas.get(&h).ok_or(EngineError::UnknownSa(h))?;
        if let V1Command::RekeyChild(c) | V1Command::DeleteChild(c) = cmd {
            if !sa.children.iter().any(|x| x.id == c) {
                return Err(EngineError::UnknownChild(c));
            }
        }
        let established = sa.is_established();
        self.with_sa(ctx, h, |sa, ctx| match cmd {
            V1Command::NewChild(i) => sa.enqueue(ctx, Pending::NewChild(i)),
            V1Command::RekeyChild(c) => sa.enqueue(ctx, Pending::RekeyChild(c)),
            V1Command::DeleteChild(c) => sa.enqueue(ctx, Pending::DeleteChild(c)),
            V1Command::RekeyIke => sa.effects.rekey = true,
            V1Command::DeleteIke if established => sa.enqueue(ctx, Pending::DeleteIke),
            V1Command::DeleteIke => sa.die(ctx, DownReason::Deleted { by_peer: false }),
            V1Command::Liveness => sa.enqueue(ctx, Pending::Liveness),
        });
        Ok(())
    }

    /// The application's pre-shared key for a `PskRequest`.
    pub(crate) fn provide_psk(
        &mut self,
        ctx: &mut Ctx<'_>,
        h: SaHandle,
        request: u64,
        psk: Option<Secret>,
    ) -> bool {
        self.with_sa(ctx, h, |sa, ctx| sa.psk_answer(ctx, request, psk))
            .unwrap_or(false)
    }

    /// The application's XAUTH credentials.
    pub(crate) fn provide_xauth(
        &mut self,
        ctx: &mut Ctx<'_>,
        h: SaHandle,
        request: u64,
        creds: Option<(String, Secret)>,
    ) -> bool {
        self.with_sa(ctx, h, |sa, ctx| sa.xauth_credentials(ctx, request, creds))
            .unwrap_or(false)
    }

    /// The application's XAUTH verdict.
    pub(crate) fn xauth_verdict(
        &mut self,
        ctx: &mut Ctx<'_>,
        h: SaHandle,
        request: u64,
        ok: bool,
    ) -> bool {
        self.with_sa(ctx, h, |sa, ctx| sa.xauth_verdict(ctx, request, ok))
            .unwrap_or(false)
    }

    /// Fires the timers due at `ctx.now`.
    pub(crate) fn on_timeout(&mut self, ctx: &mut Ctx<'_>) {
        while let Some(&(at, h)) = self.timers.iter().next() {
            if at > ctx.now {
                break;
            }
            self.timers.remove(&(at, h));
            self.deadlines.remove(&h);
            self.with_sa(ctx, h, |sa, ctx| sa.on_timeout(ctx));
        }
    }

    /// Another live SA with the same peer and peer identity.
    fn sibling(&self, h: SaHandle) -> Option<SaHandle> {
        let sa = self.sas.get(&h)?;
        let mut v: Vec<SaHandle> = self
            .sas
            .iter()
            .filter(|(k, s)| {
                **k != h && s.is_established() && s.peer == sa.peer && s.remote_id == sa.remote_id
            })
            .map(|(k, _)| *k)
            .collect();
        v.sort();
        v.pop()
    }

    /// Moves the IPsec SAs of `from` to `to` (phase 1 rekey: they do not
    /// depend on the ISAKMP SA that made them).
    fn move_children(&mut self, ctx: &mut Ctx<'_>, from: SaHandle, to: SaHandle) {
        let Some(old) = self.sas.get_mut(&from) else {
            return;
        };
        let mut moved = std::mem::take(&mut old.children);
        let Some(new) = self.sas.get_mut(&to) else {
            return;
        };
        for c in &mut moved {
            c.info.sa = to;
        }
        new.children.extend(moved);
        new.arm_child_timer();
        ctx.out
            .events
            .push_back(Event::IkeSaRekeyed { old: from, new: to });
    }

    /// Keeps the indexes, timers and cross-SA effects up to date after SA
    /// `h` handled something.
    fn settle(&mut self, ctx: &mut Ctx<'_>, h: SaHandle) {
        let Some(sa) = self.sas.get_mut(&h) else {
            return;
        };
        let effects = std::mem::take(&mut sa.effects);
        // The peer deleted this ISAKMP SA: its IPsec SAs move to a newer
        // one with the same peer, if any; else they go too.
        if effects.peer_deleted && !sa.is_dead() {
            match self.sibling(h) {
                Some(n) => {
                    self.move_children(ctx, h, n);
                    if let Some(sa) = self.sas.get_mut(&h) {
                        sa.die(ctx, DownReason::Rekeyed);
                    }
                }
                None => {
                    if let Some(sa) = self.sas.get_mut(&h) {
                        sa.die(ctx, DownReason::Deleted { by_peer: true });
                    }
                }
            }
        }
        // INITIAL-CONTACT (RFC 2407 §4.6.3.3): the peer lost its state;
        // older SAs with it are stale.
        if effects.initial_contact {
            let (peer, id) = match self.sas.get(&h) {
                Some(s) => (s.peer, s.remote_id.clone()),
                None => return,
            };
            let stale: Vec<SaHandle> = self
                .sas
                .iter()
                .filter(|(k, s)| **k != h && s.peer == peer && s.remote_id == id && s.up)
                .map(|(k, _)| *k)
                .collect();
            for s in stale {
                self.with_sa(ctx, s, |sa, ctx| {
                    sa.die(ctx, DownReason::Deleted { by_peer: true })
                });
            }
        }
        if effects.rekey {
            let info = self
                .sas
                .get(&h)
                .filter(|s| s.is_established())
                .map(|s| (s.peer, s.local, s.remote));
            if let Some((peer, local, remote)) = info {
                if let Err(e) = self.initiate_replacing(ctx, peer, local, remote, Some(h)) {
                    ctx.log(format!("ISAKMP SA {}: rekey: {e}", h.0));
                }
            }
        }
        // A rekeyed ISAKMP SA is up: take over, retire the old one.
        let replaces = self
            .sas
            .get(&h)
            .filter(|s| s.is_established())
            .and_then(|s| s.replaces);
        if let Some(old) = replaces {
            if let Some(sa) = self.sas.get_mut(&h) {
                sa.replaces = None;
            }
            if self.sas.get(&old).is_some_and(|o| !o.is_dead()) {
                self.move_children(ctx, old, h);
                self.with_sa(ctx, old, |o, ctx| {
                    o.send_delete_isakmp(ctx);
                    o.die(ctx, DownReason::Rekeyed);
                });
            }
        }
        self.assign_address(ctx, h);
        let Some(sa) = self.sas.get(&h) else { return };
        if sa.is_dead() {
            let restart = sa.effects.restart || effects.restart;
            let peer = sa.peer;
            let (local, remote) = (sa.local, sa.remote);
            self.by_cookies.retain(|_, v| *v != h);
            self.by_init.retain(|_, v| *v != h);
            self.initiated.retain(|_, v| *v != h);
            self.half_open.remove(&h);
            if let Some(at) = self.deadlines.remove(&h) {
                self.timers.remove(&(at, h));
            }
            self.sas.remove(&h);
            if restart {
                let remote = ctx.peer_cfg(peer).remote.map_or(remote, |mut r| {
                    if remote.port() == 4500 {
                        r.set_port(4500);
                    }
                    r
                });
                let _ = self.initiate(ctx, peer, local, remote);
            }
            return;
        }
        if sa.is_half_open() {
            self.half_open.insert(h);
        } else {
            self.half_open.remove(&h);
        }
        if sa.cky_r != [0; 8] {
            self.by_cookies.insert((sa.cky_i, sa.cky_r), h);
            if sa.initiator {
                self.initiated.remove(&sa.cky_i);
            }
        }
        let next = sa.next_timeout();
        let old = self.deadlines.get(&h).copied();
        if old != next {
            if let Some(at) = old {
                self.timers.remove(&(at, h));
            }
            match next {
                Some(at) => {
                    self.timers.insert((at, h));
                    self.deadlines.insert(h, at);
                }
                None => {
                    self.deadlines.remove(&h);
                }
            }
        }
    }

    /// Mode-Config server: gives SA `h` a free address of its pool.
    fn assign_address(&mut self, ctx: &Ctx<'_>, h: SaHandle) {
        let Some(sa) = self.sas.get(&h) else { return };
        if sa.vip.is_some() || sa.is_dead() {
            return;
        }
        let Some(ModeConfigRole::Server { pool, .. }) = ctx
            .peer_cfg(sa.peer)
            .ikev1
            .as_ref()
            .and_then(|o| o.mode_config.clone())
        else {
            return;
        };
        let used: HashSet<IpAddr> = self
            .sas
            .values()
            .filter(|s| !s.is_dead() && s.cfg_server(ctx))
            .filter_map(|s| s.vip)
            .collect();
        let free = pool.into_iter().find(|a| !used.contains(a));
        if let Some(sa) = self.sas.get_mut(&h) {
            sa.vip = free;
        }
    }
}
