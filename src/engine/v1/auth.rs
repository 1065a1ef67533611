//! Phase 1 authentication shared by Main and Aggressive Mode (RFC 2409
//! §5): the authentication method of a configuration (with the XAUTH
//! variants of draft-beaulieu-ike-xauth-02 §4.1), SKEYID for pre-shared
//! keys and signatures, HASH_I/HASH_R, signatures with certificates
//! (RFC 2409 §5.1, RFC 4754, RFC 4945), and the ID payloads.

use super::payloads::{identity_body, identity_of, notify_body, IdIn, Inbound};
use super::sa::{IsakmpSa, V1Keys};
use crate::crypto::cert::{self, AltName, EkuPolicy};
use crate::crypto::keymat_v1::{self, Phase1Keys};
use crate::crypto::{ct_eq, Secret, SignatureScheme, Signer};
use crate::engine::config::{LocalAuth, PeerConfig, RemoteAuth, XauthRole};
use crate::engine::ctx::Ctx;
use crate::engine::identity::Identity;
use crate::wire::emit::ChainBuilder;
use crate::wire::registry::{CertEncoding, IkeAuthMethod, NotifyTypeV1, PayloadType, ProtocolIdV1};

/// What a phase 1 authentication method is based on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AuthBase {
    /// Pre-shared key.
    Psk,
    /// RSA signatures.
    Rsa,
    /// ECDSA signatures (RFC 4754).
    Ecdsa,
}

/// The base of a method; `None` for methods we do not do (DSS, public
/// key encryption, hybrid).
pub(crate) fn base_of(m: IkeAuthMethod) -> Option<AuthBase> {
    Some(match m {
        IkeAuthMethod::PRE_SHARED_KEY
        | IkeAuthMethod::XAUTH_INIT_PRESHARED
        | IkeAuthMethod::XAUTH_RESP_PRESHARED => AuthBase::Psk,
        IkeAuthMethod::RSA_SIGNATURES
        | IkeAuthMethod::XAUTH_INIT_RSA
        | IkeAuthMethod::XAUTH_RESP_RSA => AuthBase::Rsa,
        IkeAuthMethod::ECDSA_SHA256_P256
        | IkeAuthMethod::ECDSA_SHA384_P384
        | IkeAuthMethod::ECDSA_SHA512_P521 => AuthBase::Ecdsa,
        _ => return None,
    })
}

/// The Authentication Method attribute for a configuration. Both ends of
/// IKEv1 use the same method; with XAUTH the method also says which side
/// is the XAUTH client ("Init" = the phase 1 initiator).
pub(crate) fn auth_method(cfg: &PeerConfig, initiator: bool) -> Option<IkeAuthMethod> {
    let schemes: Vec<SignatureScheme> = match &cfg.local_auth {
        LocalAuth::Psk(_) => Vec::new(),
        LocalAuth::Signature { key, .. } => key.schemes().to_vec(),
        #[allow(unreachable_patterns)]
        _ => return None,
    };
    let base = if schemes.is_empty() {
        IkeAuthMethod::PRE_SHARED_KEY
    } else if schemes.contains(&SignatureScheme::RsaPkcs1Raw) {
        IkeAuthMethod::RSA_SIGNATURES
    } else if schemes.contains(&SignatureScheme::EcdsaP256Sha256) {
        IkeAuthMethod::ECDSA_SHA256_P256
    } else if schemes.contains(&SignatureScheme::EcdsaP384Sha384) {
        IkeAuthMethod::ECDSA_SHA384_P384
    } else if schemes.contains(&SignatureScheme::EcdsaP521Sha512) {
        IkeAuthMethod::ECDSA_SHA512_P521
    } else {
        return None;
    };
    let xauth = cfg.ikev1.as_ref().and_then(|o| o.xauth.as_ref());
    let Some(role) = xauth else {
        return Some(base);
    };
    // The initiator is the XAUTH client: "Init" methods.
    let initiator_is_client = matches!(role, XauthRole::Client { .. }) == initiator;
    Some(match (base, initiator_is_client) {
        (IkeAuthMethod::PRE_SHARED_KEY, true) => IkeAuthMethod::XAUTH_INIT_PRESHARED,
        (IkeAuthMethod::PRE_SHARED_KEY, false) => IkeAuthMethod::XAUTH_RESP_PRESHARED,
        (IkeAuthMethod::RSA_SIGNATURES, true) => IkeAuthMethod::XAUTH_INIT_RSA,
        (IkeAuthMethod::RSA_SIGNATURES, false) => IkeAuthMethod::XAUTH_RESP_RSA,
        // No XAUTH codes exist for ECDSA: the plain method.
        (m, _) => m,
    })
}

/// The pre-shared key of a configuration (one key serves both
/// directions in IKEv1).
pub(crate) fn configured_psk(cfg: &PeerConfig) -> Option<Secret> {
    match (&cfg.local_auth, &cfg.remote_auth) {
        (_, RemoteAuth::Psk(s)) => Some(s.clone()),
        // The application's key, asked for when needed.
        (_, RemoteAuth::AskPsk) => None,
        (LocalAuth::Psk(s), _) => Some(s.clone()),
        _ => None,
    }
}

/// Does the certificate vouch for the identity (RFC 4945 §3.1)?
fn cert_binds(info: &cert::CertInfo, id: &Identity) -> bool {
    let alt = |f: &dyn Fn(&AltName) -> bool| info.alt_names.iter().any(f);
    match id {
        Identity::Dn(dn) => *dn == info.subject_dn,
        Identity::Fqdn(f) => alt(&|a| matches!(a, AltName::Dns(d) if d.eq_ignore_ascii_case(f))),
        Identity::Email(e) => alt(&|a| matches!(a, AltName::Email(d) if d.eq_ignore_ascii_case(e))),
        Identity::Ipv4(a) => {
            alt(&|n| matches!(n, AltName::Ip(ip) if *ip == std::net::IpAddr::V4(*a)))
        }
        Identity::Ipv6(a) => {
            alt(&|n| matches!(n, AltName::Ip(ip) if *ip == std::net::IpAddr::V6(*a)))
        }
        _ => false,
    }
}

/// The signature scheme of a method for signing / verifying HASH_x.
fn scheme_of(base: AuthBase) -> SignatureScheme {
    match base {
        AuthBase::Rsa => SignatureScheme::RsaPkcs1Raw,
        _ => SignatureScheme::EcdsaPrehashed,
    }
}

/// The curve-hash scheme of an ECDSA method (peers that hash HASH_x once
/// more with the curve's hash, RFC 4754 §3).
fn curve_scheme(m: IkeAuthMethod) -> Option<SignatureScheme> {
    Some(match m {
        IkeAuthMethod::ECDSA_SHA256_P256 => SignatureScheme::EcdsaP256Sha256,
        IkeAuthMethod::ECDSA_SHA384_P384 => SignatureScheme::EcdsaP384Sha384,
        IkeAuthMethod::ECDSA_SHA512_P521 => SignatureScheme::EcdsaP521Sha512,
        _ => return None,
    })
}

impl IsakmpSa {
    /// The base of the negotiated method.
    pub(crate) fn auth_base(&self) -> Option<AuthBase> {
        base_of(self.chosen.as_ref()?.auth)
    }

    /// Derives SKEYID and its family, the encryption key and the first
    /// phase 1 IV (RFC 2409 §5, App. B) once the shared secret, nonces,
    /// cookies and (for pre-shared keys) the key are known.
    pub(crate) fn derive_keys(&mut self, ctx: &mut Ctx<'_>, psk: Option<&Secret>) -> bool {
        let Some(chosen) = self.chosen.clone() else {
            return false;
        };
        let (Some(hash), Some((encr, bits)), Some(base)) =
            (chosen.hash(), chosen.cipher(), base_of(chosen.auth))
        else {
            return false;
        };
        let Some(gxy) = self.gxy.clone() else {
            return false;
        };
        let Ok(prf) = ctx.provider.prf(hash.prf_id()) else {
            return false;
        };
        let Ok(cipher) = ctx.provider.encryption(encr, bits) else {
            return false;
        };
        let skeyid = match base {
            AuthBase::Psk => match psk {
                Some(k) => keymat_v1::skeyid_psk(&*prf, k.expose(), &self.ni, &self.nr),
                None => return false,
            },
            AuthBase::Rsa | AuthBase::Ecdsa => {
                keymat_v1::skeyid_sig(&*prf, &self.ni, &self.nr, gxy.expose())
            }
        };
        let Ok(skeyid) = skeyid else { return false };
        let Ok(k) = Phase1Keys::derive(&*prf, skeyid, gxy.expose(), &self.cky_i, &self.cky_r)
        else {
            return false;
        };
        let Ok(enc_key) = k.encryption_key(&*prf, cipher.key_len()) else {
            return false;
        };
        self.p1_iv = keymat_v1::phase1_iv(hash, &self.gx_i, &self.gx_r, cipher.block_len().max(1));
        self.keys = Some(V1Keys {
            hash,
            prf,
            cipher,
            k,
            enc_key,
        });
        self.announce_keys(ctx);
        true
    }

    /// HASH_I (initiator) or HASH_R over an ID payload body (RFC 2409 §5).
    pub(crate) fn hash_x(&self, of_initiator: bool, id_body: &[u8]) -> Option<Vec<u8>> {
        let k = self.keys.as_ref()?;
        keymat_v1::hash_i_r(
            &*k.prf,
            k.k.skeyid.expose(),
            of_initiator,
            &self.gx_i,
            &self.gx_r,
            &self.cky_i,
            &self.cky_r,
            &self.sa_i,
            id_body,
        )
        .ok()
        .map(|s| s.expose().to_vec())
    }

    /// INITIAL-CONTACT (RFC 2407 §4.6.3.3) with the phase 1 proof, when
    /// configured and no other ISAKMP SA with the peer lived when we
    /// started (nor is this a rekey).
    pub(crate) fn write_initial_contact(&self, ctx: &Ctx<'_>, c: &mut ChainBuilder) {
        if ctx.peer_cfg(self.peer).initial_contact && self.initial_contact {
            let spi = [self.cky_i, self.cky_r].concat();
            c.payload(PayloadType::NOTIFICATION, 0, |o| {
                notify_body(
                    o,
                    ProtocolIdV1::ISAKMP,
                    &spi,
                    NotifyTypeV1::INITIAL_CONTACT,
                    &[],
                )
            });
        }
    }

    /// Writes our ID payload (unless it went earlier, as in Aggressive
    /// Mode), certificates and HASH or SIG payload.
    pub(crate) fn write_id_auth(
        &self,
        ctx: &Ctx<'_>,
        c: &mut ChainBuilder,
        with_id: bool,
    ) -> Result<(), String> {
        let cfg = ctx.peer_cfg(self.peer);
        let body = identity_body(&cfg.local_id).ok_or("ID_NULL has no IKEv1 form")?;
        if with_id {
            c.payload(PayloadType::ID, 0, |o| o.bytes(&body));
        }
        let hash = self
            .hash_x(self.initiator, &body)
            .ok_or("cannot compute HASH")?;
        match (self.auth_base(), &cfg.local_auth) {
            (Some(AuthBase::Psk), _) => {
                c.payload(PayloadType::HASH, 0, |o| o.bytes(&hash));
            }
            (Some(base), LocalAuth::Signature { key, chain }) => {
                // The end entity certificate first; intermediates too, so
                // that a peer without them can build the path.
                for der in chain {
                    c.payload(PayloadType::CERT, 0, |o| {
                        o.u8(CertEncoding::X509_SIGNATURE.0);
                        o.bytes(der);
                    });
                }
                let sig = sign(&**key, base, &hash)?;
                c.payload(PayloadType::SIG, 0, |o| o.bytes(&sig));
            }
            _ => return Err("no credential for the negotiated method".into()),
        }
        Ok(())
    }

    /// Certificate requests for the CAs we trust (RFC 2408 §3.10: the
    /// authority is the CA's subject name).
    pub(crate) fn write_certreqs(&self, ctx: &Ctx<'_>, c: &mut ChainBuilder) {
        if let RemoteAuth::Certificate { cas } = &ctx.peer_cfg(self.peer).remote_auth {
            for ca in cas {
                if let Ok(info) = cert::parse_certificate(ca) {
                    c.payload(PayloadType::CR, 0, |o| {
                        o.u8(CertEncoding::X509_SIGNATURE.0);
                        o.bytes(&info.subject_dn);
                    });
                }
            }
        }
    }

    /// Checks the peer's ID `id` and the HASH or SIG (with its
    /// certificate) in `inb`; on success, records its identity.
    pub(crate) fn check_id_auth(
        &mut self,
        ctx: &Ctx<'_>,
        id: &IdIn,
        inb: &Inbound,
    ) -> Result<(), String> {
        let identity = identity_of(id);
        let cfg = ctx.peer_cfg(self.peer);
        if let Some(want) = &cfg.remote_id {
            if !want.matches(&identity) {
                return Err(format!("the peer is {identity}, not {want}"));
            }
        }
        let want = self
            .hash_x(!self.initiator, &id.body)
            .ok_or("cannot compute HASH")?;
        let method = self.chosen.as_ref().ok_or("no transform")?.auth;
        match (base_of(method), &cfg.remote_auth) {
            (Some(AuthBase::Psk), RemoteAuth::Psk(_) | RemoteAuth::AskPsk) => {
                let got = inb.hash.as_ref().ok_or("no HASH payload")?;
                if !ct_eq(&want, got) {
                    return Err("HASH does not verify (wrong pre-shared key?)".into());
                }
            }
            (Some(base), RemoteAuth::Certificate { cas }) if base != AuthBase::Psk => {
                let sig = inb.sig.as_ref().ok_or("no SIG payload")?;
                let certs: Vec<&[u8]> = inb
                    .certs
                    .iter()
                    .filter(|(e, _)| *e == CertEncoding::X509_SIGNATURE)
                    .map(|(_, d)| d.as_slice())
                    .collect();
                let (ee, rest) = certs.split_first().ok_or("no certificate")?;
                let trusted: Vec<&[u8]> = cas.iter().map(Vec::as_slice).collect();
                cert::verify_chain(ee, rest, &trusted, ctx.unix_time, EkuPolicy::Ike)
                    .map_err(|e| e.to_string())?;
                let info = cert::parse_certificate(ee).map_err(|e| e.to_string())?;
                if !cert_binds(&info, &identity) {
                    return Err(format!("the certificate does not vouch for {identity}"));
                }
                let v = ctx.provider.verifier();
                let ok = v
                    .verify(&info.spki, scheme_of(base), &want, sig, false)
                    .is_ok()
                    || curve_scheme(method)
                        .is_some_and(|s| v.verify(&info.spki, s, &want, sig, false).is_ok());
                if !ok {
                    return Err("SIG does not verify".into());
                }
            }
            _ => return Err("the method does not match the configuration".into()),
        }
        self.remote_id = Some(identity);
        Ok(())
    }
}

/// Signs HASH_x (RFC 2409 §5.1: RSA with PKCS#1 type 1 padding and no
/// DigestInfo; ECDSA over HASH_x as the digest, r | s, RFC 4754).
fn sign(key: &dyn Signer, base: AuthBase, hash: &[u8]) -> Result<Vec<u8>, String> {
    key.sign(scheme_of(base), hash).map_err(|e| e.to_string())
}
