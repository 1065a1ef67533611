//! IKE_SA_INIT (RFC 7296 §1.2, §2.6 cookies, §2.7 proposal choice,
//! §1.2/§3.10.1 INVALID_KE_PAYLOAD, §2.23 NAT detection, RFC 7383 §2.3 and
//! RFC 7427 §4 capability notifies).

use std::net::{IpAddr, SocketAddr};

use sha1::{Digest, Sha1};

use super::ike_sa::{
    ExpectAuthResponse, ExpectSaInitResponse, IkeSa, Outstanding, Request, SaKeys, State,
};
use super::payloads::{ke_body, notify_body, sa_body, sa_chosen_body, Inbound};
use crate::crypto::keymat_v2::{self, IkeKeys};
use crate::crypto::{KeyExchange, Secret};
use crate::engine::config::{LocalAuth, RemoteAuth};
use crate::engine::ctx::Ctx;
use crate::engine::event::{DownReason, SaHandle};
use crate::engine::proposal::{select, Chosen, Offered};
use crate::engine::timer::Timer;
use crate::wire::emit::MessageBuilder;
use crate::wire::header::{Flags, Header, Version};
use crate::wire::message::Message;
use crate::wire::registry::{
    CertEncoding, ExchangeType, HashAlgorithm, KeMethod, NotifyTypeV2, PayloadType, ProtocolIdV2,
};

/// NAT detection hash: SHA-1(SPIi | SPIr | IP | port) (§2.23).
pub(crate) fn nat_hash(spi_i: &[u8; 8], spi_r: &[u8; 8], addr: SocketAddr) -> Vec<u8> {
    let mut h = Sha1::new();
    h.update(spi_i);
    h.update(spi_r);
    match addr.ip() {
        IpAddr::V4(a) => h.update(a.octets()),
        IpAddr::V6(a) => h.update(a.octets()),
    }
    h.update(addr.port().to_be_bytes());
    h.finalize().to_vec()
}

/// Hash algorithms we accept and offer for RFC 7427 signatures.
const HASHES: [HashAlgorithm; 4] = [
    HashAlgorithm(2),
    HashAlgorithm(3),
    HashAlgorithm(4),
    HashAlgorithm(5),
];

fn uses_signatures(local: &LocalAuth, remote: &RemoteAuth) -> bool {
    matches!(
        local,
        LocalAuth::Signature { .. } | LocalAuth::External { .. }
    ) || matches!(remote, RemoteAuth::Certificate { .. })
}

/// What a stateless answer to an IKE_SA_INIT request should say.
pub(crate) enum Refusal {
    /// N(NO_PROPOSAL_CHOSEN).
    NoProposal,
    /// N(INVALID_KE_PAYLOAD) with the group we want.
    InvalidKe(KeMethod),
    /// Not even worth an answer (malformed, unsupported).
    Drop,
}

impl IkeSa {
    fn derive_keys(&mut self, ctx: &mut Ctx<'_>, chosen: &Chosen, shared: &Secret) -> Option<()> {
        let prf = ctx.provider.prf(chosen.prf?).ok()?;
        let seed = keymat_v2::skeyseed(&*prf, &self.ni, &self.nr, shared.expose()).ok()?;
        self.set_keys(ctx, chosen, &seed)
    }

    /// Derives the SA's keys from SKEYSEED with the nonces and SPIs set
    /// (§2.14; §2.18 for a rekeyed SA).
    pub(crate) fn set_keys(
        &mut self,
        ctx: &mut Ctx<'_>,
        chosen: &Chosen,
        seed: &Secret,
    ) -> Option<()> {
        let prf = ctx.provider.prf(chosen.prf?).ok()?;
        let encr = ctx.provider.encryption(chosen.encr.0, chosen.encr.1).ok()?;
        let integ = match chosen.integ {
            Some(i) => Some(ctx.provider.integrity(i).ok()?),
            None => None,
        };
        let k = IkeKeys::derive(
            &*prf,
            seed.expose(),
            &self.ni,
            &self.nr,
            &self.spi_i,
            &self.spi_r,
            integ.as_ref().map_or(0, |i| i.key_len()),
            encr.key_len(),
        )
        .ok()?;
        self.keys = Some(SaKeys {
            prf,
            encr,
            integ,
            chosen: chosen.clone(),
            k,
        });
        Some(())
    }

    /// Starts an IKE SA as initiator with peer configuration `peer`.
    pub(crate) fn start_initiator(
        ctx: &mut Ctx<'_>,
        handle: SaHandle,
        peer: usize,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> Option<IkeSa> {
        let spi: [u8; 8] = ctx.random(8).try_into().ok()?;
        if spi == [0; 8] {
            return None;
        }
        let mut sa = IkeSa::new(handle, peer, true, spi, local, remote, ctx.now);
        sa.ni = ctx.random(32);
        let method = ctx.peer_cfg(peer).ike.first()?.ke.first().copied()?;
        let ke = ctx.provider.key_exchange(method, ctx.rng).ok()?;
        // No half-open timer: the initiator gives up when its
        // retransmissions are exhausted.
        sa.send_sa_init(ctx, ke, method, None, 0);
        Some(sa)
    }

    fn send_sa_init(
        &mut self,
        ctx: &mut Ctx<'_>,
        ke: Box<dyn KeyExchange>,
        method: KeMethod,
        cookie: Option<Vec<u8>>,
        restarts: u32,
    ) {
        let cfg = ctx.peer_cfg(self.peer).clone();
        let header = Header {
            ispi: self.spi_i,
            rspi: [0; 8],
            next_payload: PayloadType::NONE,
            version: Version::V2,
            exchange_type: ExchangeType::IKE_SA_INIT,
            flags: Flags(Flags::INITIATOR),
            message_id: 0,
            length: 0,
        };
        let mut b = MessageBuilder::new(&header);
        let none = ProtocolIdV2(0);
        if let Some(c) = &cookie {
            b.payload(PayloadType::V2_NOTIFY, 0, |o| {
                notify_body(o, none, &[], NotifyTypeV2::COOKIE, c)
            });
        }
        b.payload(PayloadType::V2_SA, 0, |o| {
            sa_body(o, &cfg.ike, ProtocolIdV2::IKE, &[])
        });
        let public = ke.public_value().to_vec();
        b.payload(PayloadType::V2_KE, 0, |o| ke_body(o, method, &public));
        let ni = self.ni.clone();
        b.payload(PayloadType::V2_NONCE, 0, |o| o.bytes(&ni));
        let sig = uses_signatures(&cfg.local_auth, &cfg.remote_auth);
        let (spi_i, local, remote) = (self.spi_i, self.local, self.remote);
        capability_notifies(
            &mut b,
            (spi_i, [0; 8]),
            local,
            remote,
            cfg.fragmentation,
            sig,
        );
        let Ok(msg) = b.finish() else { return };
        self.init_sent = msg.clone();
        self.transmit(ctx, std::slice::from_ref(&msg));
        self.outstanding = Some(Outstanding {
            message_id: 0,
            packets: vec![msg],
            tries: 0,
            kind: Request::SaInit,
        });
        self.next_mid = 1;
        self.timers
            .set(Timer::Retransmit, ctx.now + ctx.config.retransmit.base_ms);
        self.state = State::InitSent(Box::new(ExpectSaInitResponse {
            ke,
            method,
            cookie,
            restarts,
        }));
    }

    /// Initiator: the IKE_SA_INIT response.
    pub(crate) fn sa_init_response(&mut self, ctx: &mut Ctx<'_>, msg: &Message<'_>, raw: &[u8]) {
        let State::InitSent(_) = &self.state else {
            return;
        };
        let Ok(inb) = Inbound::read(msg.bytes, msg.payloads()) else {
            return;
        };
        let State::InitSent(st) = std::mem::replace(&mut self.state, State::ExpectAuth) else {
            return;
        };
        let st = *st;
        let ours = ctx.peer_cfg(self.peer).ike.clone();
        // A COOKIE: send the same request again with it (§2.6).
        if let Some(c) = inb.notify(NotifyTypeV2::COOKIE) {
            if st.restarts < 3 && !c.data.is_empty() && c.data.len() <= 64 {
                self.timers.stop(crate::engine::timer::Timer::Retransmit);
                let cookie = c.data.clone();
                self.send_sa_init(ctx, st.ke, st.method, Some(cookie), st.restarts + 1);
                return;
            }
        }
        // INVALID_KE_PAYLOAD: try the group the responder wants, if we
        // offered it (§1.2).
        if let Some(n) = inb.notify(NotifyTypeV2::INVALID_KE_PAYLOAD) {
            let wanted = <[u8; 2]>::try_from(&n.data[..])
                .ok()
                .map(|b| KeMethod(u16::from_be_bytes(b)));
            let offered = |m: KeMethod| ours.iter().any(|p| p.ke.contains(&m));
            if let Some(m) = wanted.filter(|m| offered(*m) && *m != st.method) {
                if st.restarts < 3 {
                    if let Ok(ke) = ctx.provider.key_exchange(m, ctx.rng) {
                        self.timers.stop(crate::engine::timer::Timer::Retransmit);
                        self.send_sa_init(ctx, ke, m, st.cookie, st.restarts + 1);
                        return;
                    }
                }
            }
        }
        if let Some(e) = inb.error() {
            let t = e.ntype;
            self.die(ctx, DownReason::Notify(t));
            return;
        }
        self.outstanding = None;
        self.timers.stop(crate::engine::timer::Timer::Retransmit);
        let (Some(sa), Some((method, peer_ke)), Some(nr)) = (&inb.sa, &inb.ke, &inb.nonce) else {
            self.die(
                ctx,
                DownReason::Error("IKE_SA_INIT response lacks SA, KE or nonce".into()),
            );
            return;
        };
        let chosen = match sa.as_slice() {
            [one] => Chosen::from_reply(one, &ours, true),
            _ => None,
        };
        let Some(chosen) = chosen.filter(|c| c.ke == Some(st.method) && *method == st.method)
        else {
            self.die(
                ctx,
                DownReason::Error("the responder chose a proposal we did not offer".into()),
            );
            return;
        };
        if !(16..=256).contains(&nr.len()) || msg.header.rspi == [0; 8] {
            self.die(ctx, DownReason::Error("bad nonce or SPI".into()));
            return;
        }
        self.spi_r = msg.header.rspi;
        self.nr = nr.clone();
        let shared = match st.ke.complete(peer_ke) {
            Ok(s) => s,
            Err(e) => {
                self.die(ctx, DownReason::Error(format!("key exchange: {e}")));
                return;
            }
        };
        if self.derive_keys(ctx, &chosen, &shared).is_none() {
            self.die(ctx, DownReason::Error("key derivation failed".into()));
            return;
        }
        self.init_received = raw.to_vec();
        self.nat_and_capabilities(ctx, &inb);
        self.announce_keys(ctx);
        self.state = State::AuthSent(Box::new(ExpectAuthResponse { child: None }));
        self.send_auth_request(ctx);
    }

    /// NAT detection results and the peer's capability notifies.
    fn nat_and_capabilities(&mut self, ctx: &mut Ctx<'_>, inb: &Inbound) {
        let me = nat_hash(&self.spi_i, &self.spi_r, self.local);
        let peer = nat_hash(&self.spi_i, &self.spi_r, self.remote);
        let dst_ok = inb
            .notifies
            .iter()
            .filter(|n| n.ntype == NotifyTypeV2::NAT_DETECTION_DESTINATION_IP)
            .any(|n| n.data == me);
        let src_ok = inb
            .notifies
            .iter()
            .filter(|n| n.ntype == NotifyTypeV2::NAT_DETECTION_SOURCE_IP)
            .any(|n| n.data == peer);
        let detected = inb.notify(NotifyTypeV2::NAT_DETECTION_SOURCE_IP).is_some();
        let nat = detected && (!dst_ok || !src_ok);
        let cfg = ctx.peer_cfg(self.peer);
        if (nat || cfg.force_encap) && self.initiator && !self.encap {
            // Float to 4500 (§2.23).
            self.encap = true;
            self.local.set_port(4500);
            self.remote.set_port(4500);
        }
        if nat {
            if let Some(k) = ctx.config.nat_keepalive_ms {
                self.timers.set(Timer::Keepalive, ctx.now + k);
            }
        }
        self.peer_frag = cfg.fragmentation
            && inb
                .notify(NotifyTypeV2::IKEV2_FRAGMENTATION_SUPPORTED)
                .is_some();
        if let Some(n) = inb.notify(NotifyTypeV2::SIGNATURE_HASH_ALGORITHMS) {
            self.peer_hashes = n
                .data
                .chunks_exact(2)
                .map(|c| HashAlgorithm(u16::from_be_bytes([c[0], c[1]])))
                .collect();
        }
    }

    /// Responder: a new IKE_SA_INIT request. Returns the SA, or how to
    /// refuse without keeping state.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn respond_sa_init(
        ctx: &mut Ctx<'_>,
        handle: SaHandle,
        msg: &Message<'_>,
        raw: &[u8],
        inb: &Inbound,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> Result<IkeSa, Refusal> {
        let (Some(theirs), Some((method, peer_ke)), Some(ni)) = (&inb.sa, &inb.ke, &inb.nonce)
        else {
            return Err(Refusal::Drop);
        };
        if !(16..=256).contains(&ni.len()) || msg.header.ispi == [0; 8] {
            return Err(Refusal::Drop);
        }
        // Peer configurations that may answer this address, first match.
        let mut found: Option<(usize, Offered, Chosen)> = None;
        for (i, p) in ctx.config.peers.iter().enumerate() {
            if p.remote.is_some_and(|r| r.ip() != remote.ip()) {
                continue;
            }
            if let Some((o, c)) = select(&p.ike, theirs, true) {
                found = Some((i, o, c));
                break;
            }
        }
        let Some((peer, offered, chosen)) = found else {
            return Err(Refusal::NoProposal);
        };
        let Some(want) = chosen.ke else {
            return Err(Refusal::NoProposal);
        };
        if *method != want {
            // The group we chose is not the one the KE payload carries.
            return Err(Refusal::InvalidKe(want));
        }
        let spi_r: [u8; 8] = ctx.random(8).try_into().map_err(|_| Refusal::Drop)?;
        let mut sa = IkeSa::new(handle, peer, false, msg.header.ispi, local, remote, ctx.now);
        sa.spi_r = spi_r;
        sa.ni = ni.clone();
        sa.nr = ctx.random(32);
        let (public, shared) = ctx
            .provider
            .key_exchange_respond(want, peer_ke, ctx.rng)
            .map_err(|_| Refusal::Drop)?;
        sa.derive_keys(ctx, &chosen, &shared).ok_or(Refusal::Drop)?;
        sa.init_received = raw.to_vec();
        sa.nat_and_capabilities(ctx, inb);
        // Our answer.
        let cfg = ctx.peer_cfg(peer).clone();
        let header = Header {
            ispi: sa.spi_i,
            rspi: sa.spi_r,
            next_payload: PayloadType::NONE,
            version: Version::V2,
            exchange_type: ExchangeType::IKE_SA_INIT,
            flags: Flags(Flags::RESPONSE),
            message_id: 0,
            length: 0,
        };
        let mut b = MessageBuilder::new(&header);
        b.payload(PayloadType::V2_SA, 0, |o| {
            sa_chosen_body(o, offered.number, &chosen, ProtocolIdV2::IKE, &[])
        });
        b.payload(PayloadType::V2_KE, 0, |o| ke_body(o, want, &public));
        let nr = sa.nr.clone();
        b.payload(PayloadType::V2_NONCE, 0, |o| o.bytes(&nr));
        let sig = uses_signatures(&cfg.local_auth, &cfg.remote_auth);
        capability_notifies(
            &mut b,
            (sa.spi_i, sa.spi_r),
            local,
            remote,
            sa.peer_frag,
            sig,
        );
        if let RemoteAuth::Certificate { cas } = &cfg.remote_auth {
            let hashes: Vec<u8> = cas
                .iter()
                .filter_map(|c| crate::crypto::cert::parse_certificate(c).ok())
                .flat_map(|i| i.spki_sha1)
                .collect();
            if !hashes.is_empty() {
                b.payload(PayloadType::V2_CERTREQ, 0, |o| {
                    o.u8(CertEncoding::X509_SIGNATURE.0);
                    o.bytes(&hashes);
                });
            }
        }
        let out = b.finish().map_err(|_| Refusal::Drop)?;
        sa.init_sent = out.clone();
        sa.transmit(ctx, std::slice::from_ref(&out));
        sa.last_response = Some((0, vec![out]));
        sa.peer_mid = 1;
        sa.state = State::ExpectAuth;
        sa.timers.set(
            Timer::HalfOpen,
            ctx.now + ctx.config.limits.half_open_timeout_ms,
        );
        sa.announce_keys(ctx);
        Ok(sa)
    }
}

/// The notifies both IKE_SA_INIT messages carry: NAT detection (§2.23),
/// fragmentation support (RFC 7383 §2.3), signature hashes (RFC 7427 §4).
fn capability_notifies(
    b: &mut MessageBuilder,
    (spi_i, spi_r): ([u8; 8], [u8; 8]),
    local: SocketAddr,
    remote: SocketAddr,
    fragmentation: bool,
    signatures: bool,
) {
    let mut status = |t: NotifyTypeV2, data: &[u8]| {
        b.payload(PayloadType::V2_NOTIFY, 0, |o| {
            notify_body(o, ProtocolIdV2::NONE, &[], t, data)
        });
    };
    status(
        NotifyTypeV2::NAT_DETECTION_SOURCE_IP,
        &nat_hash(&spi_i, &spi_r, local),
    );
    status(
        NotifyTypeV2::NAT_DETECTION_DESTINATION_IP,
        &nat_hash(&spi_i, &spi_r, remote),
    );
    if fragmentation {
        status(NotifyTypeV2::IKEV2_FRAGMENTATION_SUPPORTED, &[]);
    }
    if signatures {
        let data: Vec<u8> = HASHES.iter().flat_map(|h| h.0.to_be_bytes()).collect();
        status(NotifyTypeV2::SIGNATURE_HASH_ALGORITHMS, &data);
    }
}

/// A stateless IKE_SA_INIT answer: one notify (§2.6, §1.2).
pub(crate) fn stateless_reply(ispi: [u8; 8], t: NotifyTypeV2, data: &[u8]) -> Vec<u8> {
    let header = Header {
        ispi,
        rspi: [0; 8],
        next_payload: PayloadType::NONE,
        version: Version::V2,
        exchange_type: ExchangeType::IKE_SA_INIT,
        flags: Flags(Flags::RESPONSE),
        message_id: 0,
        length: 0,
    };
    let mut b = MessageBuilder::new(&header);
    b.payload(PayloadType::V2_NOTIFY, 0, |o| {
        notify_body(o, ProtocolIdV2(0), &[], t, data)
    });
    b.finish().unwrap_or_default()
}
