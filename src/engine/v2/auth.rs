//! IKE_AUTH (RFC 7296 §1.2, §2.15 authentication, §3.5 identities;
//! RFC 7427 digital signatures; RFC 4945 certificate/identity binding).

use super::child::ChildOffer;
use super::ike_sa::{ExpectAuthResponse, IkeSa, PendingAuth, PendingSign, Request, State};
use super::payloads::{auth_body, notify_body, Inbound};
use crate::crypto::cert::{self, AltName, EkuPolicy};
use crate::crypto::keymat_v2::{psk_auth, signed_octets};
use crate::crypto::sign::{encode_auth_signature, parse_auth_signature};
use crate::crypto::{ct_eq, Secret, SignatureScheme};
use crate::engine::config::{LocalAuth, RemoteAuth};
use crate::engine::ctx::Ctx;
use crate::engine::event::{DownReason, Event, RequestId};
use crate::engine::identity::Identity;
use crate::engine::proposal::{select, Offered};
use crate::engine::timer::Timer;
use crate::wire::emit::ChainBuilder;
use crate::wire::registry::{
    AuthMethodV2, CertEncoding, ExchangeType, HashAlgorithm, NotifyTypeV2, PayloadType,
    ProtocolIdV2,
};

/// The RFC 7427 hash algorithm a signature scheme uses.
fn scheme_hash(s: SignatureScheme) -> Option<HashAlgorithm> {
    use SignatureScheme as S;
    Some(HashAlgorithm(match s {
        S::RsaPkcs1Sha1 => 1,
        S::RsaPkcs1Sha256 | S::RsaPssSha256 | S::EcdsaP256Sha256 => 2,
        S::RsaPkcs1Sha384 | S::RsaPssSha384 | S::EcdsaP384Sha384 => 3,
        S::RsaPkcs1Sha512 | S::RsaPssSha512 | S::EcdsaP521Sha512 => 4,
        S::Ed25519 => 5,
        _ => return None,
    }))
}

/// How we sign: RFC 7427 (method 14) with a hash the peer announced, else
/// the method of RFC 7296 §3.8 for the key type. DIGITAL_SIGNATURE means
/// an RFC 7427 signature (ECDSA DER-encoded).
fn choose_scheme(
    schemes: &[SignatureScheme],
    peer_hashes: &[HashAlgorithm],
) -> Option<(SignatureScheme, AuthMethodV2)> {
    use SignatureScheme as S;
    if let Some(&s) = schemes.iter().find(|s| {
        scheme_hash(**s).is_some_and(|h| peer_hashes.contains(&h))
            && crate::crypto::sign::algorithm_identifier(**s).is_some()
    }) {
        return Some((s, AuthMethodV2::DIGITAL_SIGNATURE));
    }
    for &s in schemes {
        let method = match s {
            S::RsaPkcs1Sha1 => AuthMethodV2::RSA_SIG,
            S::EcdsaP256Sha256 => AuthMethodV2::ECDSA_SHA256_P256,
            S::EcdsaP384Sha384 => AuthMethodV2::ECDSA_SHA384_P384,
            S::EcdsaP521Sha512 => AuthMethodV2::ECDSA_SHA512_P521,
            _ => continue,
        };
        return Some((s, method));
    }
    // RSA keys list SHA-1 PKCS#1 among their schemes; a key that has none
    // of the classic methods can only sign with RFC 7427.
    Some((*schemes.first()?, AuthMethodV2::DIGITAL_SIGNATURE))
}

/// Signs with our own key (see [`choose_scheme`]).
fn sign_auth(
    key: &dyn crate::crypto::Signer,
    peer_hashes: &[HashAlgorithm],
    octets: &[u8],
) -> Option<(AuthMethodV2, Vec<u8>)> {
    let (s, method) = choose_scheme(key.schemes(), peer_hashes)?;
    if method == AuthMethodV2::DIGITAL_SIGNATURE {
        let sig = key.sign_der(s, octets).ok()?;
        Some((method, encode_auth_signature(s, &sig).ok()?))
    } else {
        Some((method, key.sign(s, octets).ok()?))
    }
}

/// Does the certificate vouch for the identity (RFC 4945 §3.1: subject
/// DN or a subjectAltName of the identity's type)?
fn cert_binds(info: &cert::CertInfo, id: &Identity) -> bool {
    match id {
        Identity::Dn(dn) => *dn == info.subject_dn,
        Identity::Fqdn(f) => info
            .alt_names
            .iter()
            .any(|a| matches!(a, AltName::Dns(d) if d.eq_ignore_ascii_case(f))),
        Identity::Email(e) => info
            .alt_names
            .iter()
            .any(|a| matches!(a, AltName::Email(d) if d.eq_ignore_ascii_case(e))),
        Identity::Ipv4(a) => info
            .alt_names
            .iter()
            .any(|n| matches!(n, AltName::Ip(ip) if *ip == std::net::IpAddr::V4(*a))),
        Identity::Ipv6(a) => info
            .alt_names
            .iter()
            .any(|n| matches!(n, AltName::Ip(ip) if *ip == std::net::IpAddr::V6(*a))),
        _ => false,
    }
}

/// Why the peer's AUTH was not accepted.
enum AuthError {
    /// Needs the application's PSK first.
    NeedPsk,
    /// Rejected, with the reason for the log.
    Failed(String),
}

impl IkeSa {
    /// Our AUTH payload data over `octets`.
    fn our_auth(&self, ctx: &Ctx<'_>, octets: &[u8]) -> Option<(AuthMethodV2, Vec<u8>)> {
        let keys = self.keys.as_ref()?;
        match &ctx.peer_cfg(self.peer).local_auth {
            LocalAuth::Psk(s) => {
                let a = psk_auth(&*keys.prf, s.expose(), octets).ok()?;
                Some((AuthMethodV2::SHARED_KEY_MIC, a.expose().to_vec()))
            }
            LocalAuth::Signature { key, .. } => sign_auth(&**key, &self.peer_hashes, octets),
            LocalAuth::External { .. } => self.ext_sig.clone(),
        }
    }

    /// With an external key and no signature yet: asks the application to
    /// sign `octets` (a `SignRequest`) and parks the SA; true when it did.
    /// `resume` is the responder's IKE_AUTH request to answer afterwards.
    fn ask_signature(
        &mut self,
        ctx: &mut Ctx<'_>,
        octets: &[u8],
        resume: &mut Option<(PendingAuth, Option<Secret>)>,
    ) -> bool {
        let LocalAuth::External { schemes, .. } = &ctx.peer_cfg(self.peer).local_auth else {
            return false;
        };
        if self.ext_sig.is_some() {
            return false;
        }
        let Some((scheme, method)) = choose_scheme(schemes, &self.peer_hashes) else {
            return false;
        };
        let request = ctx.out.next_request + 1;
        ctx.out.next_request = request;
        ctx.out.events.push_back(Event::SignRequest {
            request: RequestId(request),
            sa: self.handle,
            scheme,
            der: method == AuthMethodV2::DIGITAL_SIGNATURE,
            data: octets.to_vec(),
        });
        let (resume, psk) = match resume.take() {
            Some((r, p)) => (Some(r), p),
            None => (None, None),
        };
        self.state = State::WaitSign(Box::new(PendingSign {
            request,
            scheme,
            method,
            resume,
            psk,
        }));
        true
    }

    /// The application's answer to a `SignRequest`: the signature, or
    /// `None` when it cannot sign. False when `request` is not pending.
    pub(crate) fn signature_answer(
        &mut self,
        ctx: &mut Ctx<'_>,
        request: u64,
        sig: Option<Vec<u8>>,
    ) -> bool {
        let State::WaitSign(p) = &self.state else {
            return false;
        };
        if p.request != request {
            return false;
        }
        let State::WaitSign(p) = std::mem::replace(&mut self.state, State::ExpectAuth) else {
            return false;
        };
        let p = *p;
        let data = match sig {
            Some(sig) if p.method == AuthMethodV2::DIGITAL_SIGNATURE => {
                encode_auth_signature(p.scheme, &sig).ok()
            }
            Some(sig) if !sig.is_empty() => Some(sig),
            _ => None,
        };
        let Some(data) = data else {
            ctx.log(format!(
                "SA {}: no signature from the application",
                self.handle.0
            ));
            if let Some(r) = p.resume {
                self.reply_error(
                    ctx,
                    ExchangeType::IKE_AUTH,
                    r.message_id,
                    NotifyTypeV2::AUTHENTICATION_FAILED,
                );
            }
            self.die(
                ctx,
                DownReason::Error("the application did not sign".into()),
            );
            return true;
        };
        self.ext_sig = Some((p.method, data));
        match p.resume {
            Some(r) => self.finish_auth_request(ctx, r.message_id, r.inbound, p.psk),
            None => self.send_auth_request(ctx),
        }
        self.ext_sig = None;
        true
    }

    /// Checks the peer's AUTH: `octets` are what it signed, `psk` the
    /// application's answer when the configuration asks for one.
    fn check_peer_auth(
        &self,
        ctx: &Ctx<'_>,
        peer_cfg: usize,
        inb: &Inbound,
        id: &Identity,
        octets: &[u8],
        psk: Option<&Secret>,
    ) -> Result<(), AuthError> {
        let keys = self
            .keys
            .as_ref()
            .ok_or(AuthError::Failed("no keys".into()))?;
        let (method, data) = inb
            .auth
            .as_ref()
            .ok_or_else(|| AuthError::Failed("no AUTH payload".into()))?;
        let cfg = ctx.peer_cfg(peer_cfg);
        match (&cfg.remote_auth, *method) {
            (RemoteAuth::Psk(_) | RemoteAuth::AskPsk, AuthMethodV2::SHARED_KEY_MIC) => {
                let secret = match (&cfg.remote_auth, psk) {
                    (RemoteAuth::Psk(s), _) => s,
                    (_, Some(s)) => s,
                    _ => return Err(AuthError::NeedPsk),
                };
                let want = psk_auth(&*keys.prf, secret.expose(), octets)
                    .map_err(|e| AuthError::Failed(e.to_string()))?;
                if ct_eq(want.expose(), data) {
                    Ok(())
                } else {
                    Err(AuthError::Failed(
                        "pre-shared key AUTH does not verify".into(),
                    ))
                }
            }
            (RemoteAuth::Certificate { cas }, m) => {
                let (ee, rest) = inb
                    .certs
                    .iter()
                    .filter(|(e, _)| *e == CertEncoding::X509_SIGNATURE)
                    .map(|(_, d)| d.as_slice())
                    .collect::<Vec<_>>()
                    .split_first()
                    .map(|(a, b)| (*a, b.to_vec()))
                    .ok_or_else(|| AuthError::Failed("no certificate".into()))?;
                let trusted: Vec<&[u8]> = cas.iter().map(Vec::as_slice).collect();
                cert::verify_chain(ee, &rest, &trusted, ctx.unix_time, EkuPolicy::Ike)
                    .map_err(|e| AuthError::Failed(e.to_string()))?;
                let info =
                    cert::parse_certificate(ee).map_err(|e| AuthError::Failed(e.to_string()))?;
                if !cert_binds(&info, id) {
                    return Err(AuthError::Failed(format!(
                        "the certificate does not vouch for {id}"
                    )));
                }
                use SignatureScheme as S;
                let (scheme, sig, der) = match m {
                    AuthMethodV2::DIGITAL_SIGNATURE => {
                        let (s, _, sig) = parse_auth_signature(data)
                            .map_err(|e| AuthError::Failed(e.to_string()))?;
                        (s, sig, true)
                    }
                    AuthMethodV2::RSA_SIG => (S::RsaPkcs1Sha1, &data[..], false),
                    AuthMethodV2::ECDSA_SHA256_P256 => (S::EcdsaP256Sha256, &data[..], false),
                    AuthMethodV2::ECDSA_SHA384_P384 => (S::EcdsaP384Sha384, &data[..], false),
                    AuthMethodV2::ECDSA_SHA512_P521 => (S::EcdsaP521Sha512, &data[..], false),
                    other => {
                        return Err(AuthError::Failed(format!(
                            "AUTH method {} not accepted",
                            other.0
                        )))
                    }
                };
                ctx.provider
                    .verifier()
                    .verify(&info.spki, scheme, octets, sig, der)
                    .map_err(|e| AuthError::Failed(e.to_string()))
            }
            (_, m) => Err(AuthError::Failed(format!(
                "AUTH method {} does not match the configuration",
                m.0
            ))),
        }
    }

    /// Our IDx, [CERT+], [CERTREQ], [IDr], AUTH payloads.
    fn write_identity_and_auth(&self, ctx: &Ctx<'_>, c: &mut ChainBuilder, octets: &[u8]) -> bool {
        let cfg = ctx.peer_cfg(self.peer);
        let id_type = if self.initiator {
            PayloadType::V2_IDI
        } else {
            PayloadType::V2_IDR
        };
        let body = cfg.local_id.payload_body();
        c.payload(id_type, 0, |o| o.bytes(&body));
        if let LocalAuth::Signature { chain, .. } | LocalAuth::External { chain, .. } =
            &cfg.local_auth
        {
            for der in chain {
                c.payload(PayloadType::V2_CERT, 0, |o| {
                    o.u8(CertEncoding::X509_SIGNATURE.0);
                    o.bytes(der);
                });
            }
        }
        if self.initiator {
            if let RemoteAuth::Certificate { cas } = &cfg.remote_auth {
                let hashes: Vec<u8> = cas
                    .iter()
                    .filter_map(|c| cert::parse_certificate(c).ok())
                    .flat_map(|i| i.spki_sha1)
                    .collect();
                if !hashes.is_empty() {
                    c.payload(PayloadType::V2_CERTREQ, 0, |o| {
                        o.u8(CertEncoding::X509_SIGNATURE.0);
                        o.bytes(&hashes);
                    });
                }
            }
            if let Some(r) = &cfg.remote_id {
                let b = r.payload_body();
                c.payload(PayloadType::V2_IDR, 0, |o| o.bytes(&b));
            }
        }
        let Some((method, data)) = self.our_auth(ctx, octets) else {
            return false;
        };
        c.payload(PayloadType::V2_AUTH, 0, |o| auth_body(o, method, &data));
        true
    }

    /// The octets we sign: our first message, the peer's nonce,
    /// prf(SK_p, our ID body) (§2.15).
    fn octets_ours(&self, id_body: &[u8]) -> Option<Vec<u8>> {
        let k = self.keys.as_ref()?;
        let (nonce, skp) = if self.initiator {
            (&self.nr, &k.k.sk_pi)
        } else {
            (&self.ni, &k.k.sk_pr)
        };
        signed_octets(&*k.prf, &self.init_sent, nonce, skp.expose(), id_body).ok()
    }

    /// The octets the peer signed.
    fn octets_peer(&self, id_body: &[u8]) -> Option<Vec<u8>> {
        let k = self.keys.as_ref()?;
        let (nonce, skp) = if self.initiator {
            (&self.ni, &k.k.sk_pr)
        } else {
            (&self.nr, &k.k.sk_pi)
        };
        signed_octets(&*k.prf, &self.init_received, nonce, skp.expose(), id_body).ok()
    }

    /// Initiator: sends IKE_AUTH with the first Child SA.
    pub(crate) fn send_auth_request(&mut self, ctx: &mut Ctx<'_>) {
        let cfg = ctx.peer_cfg(self.peer).clone();
        let id_body = cfg.local_id.payload_body();
        let Some(octets) = self.octets_ours(&id_body) else {
            self.die(ctx, DownReason::Error("cannot compute AUTH".into()));
            return;
        };
        if self.ask_signature(ctx, &octets, &mut None) {
            return;
        }
        let mut c = ChainBuilder::new();
        if !self.write_identity_and_auth(ctx, &mut c, &octets) {
            self.die(ctx, DownReason::Error("cannot sign AUTH".into()));
            return;
        }
        if cfg.initial_contact && self.initial_contact {
            c.payload(PayloadType::V2_NOTIFY, 0, |o| {
                notify_body(
                    o,
                    ProtocolIdV2::NONE,
                    &[],
                    NotifyTypeV2::INITIAL_CONTACT,
                    &[],
                )
            });
        }
        let offer = if cfg.children.is_empty() {
            None
        } else {
            ChildOffer::new(ctx, self, 0, false, None)
        };
        if let Some(o) = &offer {
            o.write(&mut c, None);
        }
        let child = offer;
        self.state = State::AuthSent(Box::new(ExpectAuthResponse { child: None }));
        if self.send_request(ctx, ExchangeType::IKE_AUTH, Request::Auth, c) {
            if let State::AuthSent(st) = &mut self.state {
                st.child = child;
            }
        } else {
            self.die(ctx, DownReason::Error("cannot send IKE_AUTH".into()));
        }
    }

    /// Responder: picks the peer configuration that fits the identities
    /// (the one chosen at IKE_SA_INIT when it fits).
    fn config_for_ids(
        &self,
        ctx: &Ctx<'_>,
        idi: &Identity,
        idr: Option<&Identity>,
    ) -> Option<usize> {
        let keys = self.keys.as_ref()?;
        let offered = Offered {
            number: 1,
            protocol: ProtocolIdV2::IKE,
            spi: vec![],
            transforms: keys.chosen.transforms(),
        };
        let fits = |i: usize| {
            let p = ctx.peer_cfg(i);
            p.remote_id.as_ref().is_none_or(|r| r.matches(idi))
                && idr.is_none_or(|r| p.local_id.matches(r))
                && p.remote.is_none_or(|a| a.ip() == self.remote.ip())
                && select(&p.ike, std::slice::from_ref(&offered), true).is_some()
        };
        if fits(self.peer) {
            return Some(self.peer);
        }
        (0..ctx.config.peers.len()).find(|&i| fits(i))
    }

    /// Responder: an IKE_AUTH request.
    pub(crate) fn auth_request(&mut self, ctx: &mut Ctx<'_>, mid: u32, inb: Inbound) {
        if !matches!(self.state, State::ExpectAuth) {
            // IKE_AUTH is only valid once, right after IKE_SA_INIT.
            self.reply_error(
                ctx,
                ExchangeType::IKE_AUTH,
                mid,
                NotifyTypeV2::INVALID_SYNTAX,
            );
            return;
        }
        self.finish_auth_request(ctx, mid, inb, None);
    }

    /// Responder: checks AUTH (with the application's PSK when asked) and
    /// answers.
    pub(crate) fn finish_auth_request(
        &mut self,
        ctx: &mut Ctx<'_>,
        mid: u32,
        inb: Inbound,
        psk: Option<Secret>,
    ) {
        let fail = |sa: &mut IkeSa, ctx: &mut Ctx<'_>, why: String| {
            ctx.log(format!(
                "SA {}: authentication of the peer failed: {why}",
                sa.handle.0
            ));
            sa.reply_error(
                ctx,
                ExchangeType::IKE_AUTH,
                mid,
                NotifyTypeV2::AUTHENTICATION_FAILED,
            );
            // The peer holds this SA's keys (its IKE_AUTH decrypted): a
            // failed authentication is the application's to report.
            sa.announced = true;
            sa.die(ctx, DownReason::AuthenticationFailed { by_peer: false });
        };
        let Some((idi, idi_body)) = inb.idi.clone() else {
            fail(self, ctx, "no IDi".into());
            return;
        };
        let idr = inb.idr.as_ref().map(|(i, _)| i.clone());
        let Some(peer) = self.config_for_ids(ctx, &idi, idr.as_ref()) else {
            fail(self, ctx, format!("no configuration for {idi}"));
            return;
        };
        let Some(octets) = self.octets_peer(&idi_body) else {
            fail(self, ctx, "no keys".into());
            return;
        };
        match self.check_peer_auth(ctx, peer, &inb, &idi, &octets, psk.as_ref()) {
            Ok(()) => {}
            Err(AuthError::NeedPsk) => {
                let request = ctx.out.next_request + 1;
                ctx.out.next_request = request;
                ctx.out.events.push_back(Event::PskRequest {
                    request: RequestId(request),
                    sa: self.handle,
                    peer_id: idi,
                });
                self.peer = peer;
                self.state = State::WaitPsk(Box::new(PendingAuth {
                    request,
                    message_id: mid,
                    inbound: inb,
                }));
                return;
            }
            Err(AuthError::Failed(why)) => {
                fail(self, ctx, why);
                return;
            }
        }
        self.peer = peer;
        self.remote_id = Some(idi);
        let cfg = ctx.peer_cfg(peer).clone();
        let id_body = cfg.local_id.payload_body();
        let Some(octets) = self.octets_ours(&id_body) else {
            return;
        };
        let mut resume = Some((
            PendingAuth {
                request: 0,
                message_id: mid,
                inbound: inb,
            },
            psk,
        ));
        if self.ask_signature(ctx, &octets, &mut resume) {
            return;
        }
        let Some((PendingAuth { inbound: inb, .. }, _)) = resume else {
            return;
        };
        let mut c = ChainBuilder::new();
        if !self.write_identity_and_auth(ctx, &mut c, &octets) {
            self.reply_error(
                ctx,
                ExchangeType::IKE_AUTH,
                mid,
                NotifyTypeV2::AUTHENTICATION_FAILED,
            );
            self.die(ctx, DownReason::Error("cannot sign AUTH".into()));
            return;
        }
        // Up first, so that the Child SA event follows the IKE SA event.
        self.become_established(ctx);
        if inb.notify(NotifyTypeV2::INITIAL_CONTACT).is_some() {
            ctx.out.initial_contact.push(self.handle);
        }
        let child = if inb.sa.is_some() {
            Some(self.accept_child(ctx, &inb, None, true))
        } else {
            None
        };
        match &child {
            Some(Ok(accepted)) => accepted.write(&mut c),
            Some(Err((n, data))) => {
                let n = *n;
                c.payload(PayloadType::V2_NOTIFY, 0, |o| {
                    notify_body(o, ProtocolIdV2::NONE, &[], n, data)
                });
            }
            None => {}
        }
        self.send_response(ctx, ExchangeType::IKE_AUTH, mid, c);
        if let Some(Ok(accepted)) = child {
            self.install_accepted(ctx, accepted);
        }
    }

    /// The application's answer to a `PskRequest`.
    pub(crate) fn psk_answer(
        &mut self,
        ctx: &mut Ctx<'_>,
        request: u64,
        psk: Option<Secret>,
    ) -> bool {
        let State::WaitPsk(p) = &self.state else {
            return false;
        };
        if p.request != request {
            return false;
        }
        let State::WaitPsk(p) = std::mem::replace(&mut self.state, State::ExpectAuth) else {
            return false;
        };
        let p = *p;
        match psk {
            Some(s) => self.finish_auth_request(ctx, p.message_id, p.inbound, Some(s)),
            None => {
                ctx.log(format!(
                    "SA {}: no pre-shared key for the peer",
                    self.handle.0
                ));
                self.reply_error(
                    ctx,
                    ExchangeType::IKE_AUTH,
                    p.message_id,
                    NotifyTypeV2::AUTHENTICATION_FAILED,
                );
                // The application was asked (PskRequest): it hears the end.
                self.announced = true;
                self.die(ctx, DownReason::AuthenticationFailed { by_peer: false });
            }
        }
        true
    }

    /// Initiator: the IKE_AUTH response.
    pub(crate) fn auth_response(&mut self, ctx: &mut Ctx<'_>, inb: Inbound) {
        let State::AuthSent(st) = std::mem::replace(&mut self.state, State::ExpectAuth) else {
            return;
        };
        let st = *st;
        if inb.auth.is_none() {
            let reason = match inb.error().map(|n| n.ntype) {
                Some(NotifyTypeV2::AUTHENTICATION_FAILED) => {
                    DownReason::AuthenticationFailed { by_peer: true }
                }
                Some(t) => DownReason::Notify(t),
                None => DownReason::Error("IKE_AUTH response without AUTH".into()),
            };
            if let Some(r) = st.child {
                ctx.out.child_spis.remove(&r.spi_in);
            }
            self.die(ctx, reason);
            return;
        }
        let fail = |sa: &mut IkeSa, ctx: &mut Ctx<'_>, why: String| {
            ctx.log(format!(
                "SA {}: authentication of the responder failed: {why}",
                sa.handle.0
            ));
            // Tell the peer (§2.21.2) with an INFORMATIONAL; no answer is awaited.
            let mut c = ChainBuilder::new();
            c.payload(PayloadType::V2_NOTIFY, 0, |o| {
                notify_body(
                    o,
                    ProtocolIdV2::NONE,
                    &[],
                    NotifyTypeV2::AUTHENTICATION_FAILED,
                    &[],
                )
            });
            let mid = sa.next_mid;
            if let Some(p) = sa.protect(ctx, ExchangeType::INFORMATIONAL, mid, false, c) {
                sa.transmit(ctx, &p);
            }
            sa.die(ctx, DownReason::AuthenticationFailed { by_peer: false });
        };
        let Some((idr, idr_body)) = inb.idr.clone() else {
            fail(self, ctx, "no IDr".into());
            return;
        };
        let cfg = ctx.peer_cfg(self.peer).clone();
        if cfg.remote_id.as_ref().is_some_and(|r| !r.matches(&idr)) {
            fail(
                self,
                ctx,
                format!("the responder is {idr}, not the configured identity"),
            );
            return;
        }
        let Some(octets) = self.octets_peer(&idr_body) else {
            return;
        };
        let checked = self.check_peer_auth(ctx, self.peer, &inb, &idr, &octets, None);
        let why = match checked {
            Ok(()) => None,
            Err(AuthError::Failed(why)) => Some(why),
            // An initiator cannot wait for the application mid-exchange.
            Err(AuthError::NeedPsk) => {
                Some("a pre-shared key for the responder must be configured".into())
            }
        };
        if let Some(why) = why {
            if let Some(r) = st.child {
                ctx.out.child_spis.remove(&r.spi_in);
            }
            fail(self, ctx, why);
            return;
        }
        self.remote_id = Some(idr);
        self.become_established(ctx);
        if let Some(req) = st.child {
            self.complete_child(ctx, req, &inb, true);
        }
    }

    /// Authenticated both ways: announce, arm the SA's timers.
    fn become_established(&mut self, ctx: &mut Ctx<'_>) {
        self.state = State::Established;
        self.announced = true;
        self.timers.stop(Timer::HalfOpen);
        let cfg = ctx.peer_cfg(self.peer).clone();
        if let Some(r) = cfg.ike_rekey_ms {
            self.timers.set(Timer::RekeyIke, ctx.now + r);
        }
        if let Some(d) = cfg.dpd_ms {
            self.timers.set(Timer::Liveness, ctx.now + d);
        }
        let keys = self
            .keys
            .as_ref()
            .map(|k| k.chosen.describe())
            .unwrap_or_default();
        ctx.out.events.push_back(Event::IkeSaUp {
            sa: self.handle,
            peer: cfg.name.clone(),
            initiator: self.initiator,
            local: self.local,
            remote: self.remote,
            local_id: cfg.local_id.clone(),
            remote_id: self.remote_id.clone().unwrap_or(Identity::Null),
            spi_i: self.spi_i,
            spi_r: self.spi_r,
            algorithms: keys,
        });
    }
}
