//! IKEv1 proposals: the configured [`ProposalSpec`]s (IKEv2 transform
//! numbers, strongSwan keywords) as phase 1 transforms with attribute
//! classes (RFC 2409 App. A) and as IPsec DOI ESP transforms (RFC 2407
//! §4.4.4, §4.5); the responder's choice; lifetimes in seconds and
//! kilobytes (RFC 2409 §5, RFC 2407 §4.5, §4.6.3.1 RESPONDER-LIFETIME).

use super::payloads::{body_of, sa_header, AttrIn, ProposalIn, TransformIn};
use crate::crypto::keymat_v1::Hash;
use crate::engine::proposal::ProposalSpec;
use crate::wire::attribute::AttrValue;
use crate::wire::emit::SaWriter;
use crate::wire::registry::{
    EncrId, IkeAttrType, IkeAuthMethod, IkeEncrAlg, IkeHashAlg, IntegId, IpsecAttrType,
    IpsecAuthAlg, IpsecEncapMode, IsakmpTransformId, KeMethod, LifeType, PrfId, ProtocolIdV1,
};

/// The IKEv1 Encryption Algorithm attribute of an IKEv2 ENCR ID (phase 1
/// is CBC only).
pub(crate) fn ike_encr(e: EncrId) -> Option<IkeEncrAlg> {
    Some(match e {
        EncrId::DES => IkeEncrAlg::DES_CBC,
        EncrId::DES3 => IkeEncrAlg::DES3_CBC,
        EncrId::AES_CBC => IkeEncrAlg::AES_CBC,
        _ => return None,
    })
}

/// The IKEv2 ENCR ID of an IKEv1 Encryption Algorithm attribute.
pub(crate) fn encr_of_ike(e: IkeEncrAlg) -> Option<EncrId> {
    Some(match e {
        IkeEncrAlg::DES_CBC => EncrId::DES,
        IkeEncrAlg::DES3_CBC => EncrId::DES3,
        IkeEncrAlg::AES_CBC => EncrId::AES_CBC,
        _ => return None,
    })
}

/// The IKEv1 Hash Algorithm of a configured PRF (the PRF is its HMAC,
/// RFC 2409 §5).
pub(crate) fn ike_hash(p: PrfId) -> Option<IkeHashAlg> {
    Some(match p {
        PrfId::HMAC_MD5 => IkeHashAlg::MD5,
        PrfId::HMAC_SHA1 => IkeHashAlg::SHA,
        PrfId::HMAC_SHA2_256 => IkeHashAlg::SHA2_256,
        PrfId::HMAC_SHA2_384 => IkeHashAlg::SHA2_384,
        PrfId::HMAC_SHA2_512 => IkeHashAlg::SHA2_512,
        _ => return None,
    })
}

/// An attribute to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AttrOwned {
    /// TV.
    Short(u16),
    /// TLV.
    Long(Vec<u8>),
}

impl AttrOwned {
    /// An integer attribute: TV when it fits 16 bits, else a TLV of 4 or 8
    /// octets (RFC 2408 §3.3; life durations).
    pub(crate) fn int(t: u16, v: u64) -> (u16, AttrOwned) {
        let a = if let Ok(s) = u16::try_from(v) {
            AttrOwned::Short(s)
        } else if let Ok(l) = u32::try_from(v) {
            AttrOwned::Long(l.to_be_bytes().to_vec())
        } else {
            AttrOwned::Long(v.to_be_bytes().to_vec())
        };
        (t, a)
    }

    /// A received attribute, to echo it unchanged.
    pub(crate) fn echo(a: &AttrIn) -> (u16, AttrOwned) {
        let v = a.value.expose();
        let o = if a.short {
            AttrOwned::Short(u16::from_be_bytes([
                v.first().copied().unwrap_or(0),
                v.get(1).copied().unwrap_or(0),
            ]))
        } else {
            AttrOwned::Long(v.to_vec())
        };
        (a.t, o)
    }
}

/// Borrowed values for the emitter.
pub(crate) fn attr_values(v: &[(u16, AttrOwned)]) -> Vec<(u16, AttrValue<'_>)> {
    v.iter()
        .map(|(t, a)| {
            (
                *t,
                match a {
                    AttrOwned::Short(s) => AttrValue::Short(*s),
                    AttrOwned::Long(b) => AttrValue::Long(b),
                },
            )
        })
        .collect()
}

/// The IKEv2 integrity algorithm of an IKEv1 hash's HMAC (how charon
/// lists an IKEv1 SA's algorithms).
pub(crate) fn integ_of_hash(h: IkeHashAlg) -> Option<IntegId> {
    Some(match h {
        IkeHashAlg::MD5 => IntegId::HMAC_MD5_96,
        IkeHashAlg::SHA => IntegId::HMAC_SHA1_96,
        IkeHashAlg::SHA2_256 => IntegId::HMAC_SHA2_256_128,
        IkeHashAlg::SHA2_384 => IntegId::HMAC_SHA2_384_192,
        IkeHashAlg::SHA2_512 => IntegId::HMAC_SHA2_512_256,
        _ => return None,
    })
}

/// A phase 1 transform (RFC 2409 App. A attribute classes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct P1Transform {
    /// Encryption Algorithm (class 1).
    pub(crate) encr: IkeEncrAlg,
    /// Key Length (class 14), for variable-length ciphers.
    pub(crate) key_bits: Option<u16>,
    /// Hash Algorithm (class 2).
    pub(crate) hash: IkeHashAlg,
    /// Authentication Method (class 3).
    pub(crate) auth: IkeAuthMethod,
    /// Group Description (class 4).
    pub(crate) group: u16,
    /// Life Duration in seconds (classes 11/12), if given.
    pub(crate) life_s: Option<u64>,
    /// Life Duration in kilobytes, if given.
    pub(crate) life_kb: Option<u64>,
}

impl P1Transform {
    /// The same algorithms (lifetimes aside).
    pub(crate) fn same_suite(&self, o: &P1Transform) -> bool {
        self.encr == o.encr
            && self.key_bits == o.key_bits
            && self.hash == o.hash
            && self.auth == o.auth
            && self.group == o.group
    }

    /// The negotiated hash.
    pub(crate) fn hash(&self) -> Option<Hash> {
        Hash::from_ike(self.hash.0).ok()
    }

    /// The cipher as an IKEv2 ENCR ID and key length.
    pub(crate) fn cipher(&self) -> Option<(EncrId, Option<u16>)> {
        Some((encr_of_ike(self.encr)?, self.key_bits))
    }

    /// The attributes (strongSwan's order: encryption, key length, hash,
    /// group, authentication, lifetimes).
    pub(crate) fn attrs(&self) -> Vec<(u16, AttrOwned)> {
        let mut v = vec![(
            IkeAttrType::ENCRYPTION_ALGORITHM.0,
            AttrOwned::Short(self.encr.0),
        )];
        if let Some(b) = self.key_bits {
            v.push((IkeAttrType::KEY_LENGTH.0, AttrOwned::Short(b)));
        }
        v.push((IkeAttrType::HASH_ALGORITHM.0, AttrOwned::Short(self.hash.0)));
        v.push((
            IkeAttrType::GROUP_DESCRIPTION.0,
            AttrOwned::Short(self.group),
        ));
        v.push((
            IkeAttrType::AUTHENTICATION_METHOD.0,
            AttrOwned::Short(self.auth.0),
        ));
        if let Some(sec) = self.life_s {
            v.push((
                IkeAttrType::LIFE_TYPE.0,
                AttrOwned::Short(LifeType::SECONDS.0),
            ));
            v.push(AttrOwned::int(IkeAttrType::LIFE_DURATION.0, sec));
        }
        if let Some(k) = self.life_kb {
            v.push((
                IkeAttrType::LIFE_TYPE.0,
                AttrOwned::Short(LifeType::KILOBYTES.0),
            ));
            v.push(AttrOwned::int(IkeAttrType::LIFE_DURATION.0, k));
        }
        v
    }

    /// Reads a KEY_IKE transform's attributes; `None` when one is
    /// missing, repeated or not understood (RFC 2409 §5: the responder
    /// must not accept what it does not understand).
    pub(crate) fn from_attrs(attrs: &[AttrIn]) -> Option<P1Transform> {
        let (mut encr, mut key_bits, mut hash, mut auth, mut group) =
            (None, None, None, None, None);
        let mut life = Lifetimes::default();
        for a in attrs {
            let v = a.int()?;
            let short = u16::try_from(v).ok();
            let set = |slot: &mut Option<u16>| {
                if slot.is_some() {
                    return false;
                }
                *slot = short;
                short.is_some()
            };
            let ok = match IkeAttrType(a.t) {
                IkeAttrType::ENCRYPTION_ALGORITHM => set(&mut encr),
                IkeAttrType::KEY_LENGTH => set(&mut key_bits),
                IkeAttrType::HASH_ALGORITHM => set(&mut hash),
                IkeAttrType::AUTHENTICATION_METHOD => set(&mut auth),
                IkeAttrType::GROUP_DESCRIPTION => set(&mut group),
                IkeAttrType::LIFE_TYPE => life.kind(short?),
                IkeAttrType::LIFE_DURATION => life.duration(v),
                _ => false,
            };
            if !ok {
                return None;
            }
        }
        Some(P1Transform {
            encr: IkeEncrAlg(encr?),
            key_bits,
            hash: IkeHashAlg(hash?),
            auth: IkeAuthMethod(auth?),
            group: group?,
            life_s: life.seconds,
            life_kb: life.kilobytes,
        })
    }
}

/// Life Type / Life Duration pairs (a type, then its duration).
#[derive(Default)]
struct Lifetimes {
    pending: Option<LifeType>,
    seconds: Option<u64>,
    kilobytes: Option<u64>,
}

impl Lifetimes {
    fn kind(&mut self, t: u16) -> bool {
        if self.pending.is_some() {
            return false;
        }
        let t = LifeType(t);
        if t != LifeType::SECONDS && t != LifeType::KILOBYTES {
            return false;
        }
        self.pending = Some(t);
        true
    }

    fn duration(&mut self, v: u64) -> bool {
        match self.pending.take() {
            Some(LifeType::SECONDS) => self.seconds = Some(v),
            Some(_) => self.kilobytes = Some(v),
            None => return false,
        }
        true
    }
}

/// Our phase 1 transforms, in preference order: every combination of
/// cipher × PRF (as the hash) × group of every configured proposal.
pub(crate) fn p1_offer(
    specs: &[ProposalSpec],
    auth: IkeAuthMethod,
    life_s: u32,
) -> Vec<P1Transform> {
    let mut v = Vec::new();
    for s in specs {
        for (e, bits) in &s.encr {
            let Some(encr) = ike_encr(*e) else { continue };
            for p in &s.prf {
                let Some(hash) = ike_hash(*p) else { continue };
                for g in &s.ke {
                    let t = P1Transform {
                        encr,
                        key_bits: *bits,
                        hash,
                        auth,
                        group: g.0,
                        life_s: Some(u64::from(life_s)),
                        life_kb: None,
                    };
                    if !v.iter().any(|x: &P1Transform| x.same_suite(&t)) {
                        v.push(t);
                    }
                }
            }
        }
    }
    v
}

/// The responder's choice: the first of our transforms (our preference)
/// that the peer offers; returns the index of the peer's transform and
/// its parsed form.
pub(crate) fn select_p1(
    ours: &[P1Transform],
    theirs: &[TransformIn],
) -> Option<(usize, P1Transform)> {
    let parsed: Vec<Option<P1Transform>> = theirs
        .iter()
        .map(|t| {
            (t.id == crate::wire::registry::IsakmpTransformId::KEY_IKE.0)
                .then(|| P1Transform::from_attrs(&t.attrs))
                .flatten()
        })
        .collect();
    for o in ours {
        for (i, p) in parsed.iter().enumerate() {
            if let Some(p) = p {
                if p.same_suite(o) {
                    return Some((i, p.clone()));
                }
            }
        }
    }
    None
}

/// The lifetime in force: the shorter of the offer and ours; an offer of
/// 0 (strongSwan's "no lifetime") or none leaves ours.
pub(crate) fn effective_life(offered: Option<u64>, ours: Option<u64>) -> Option<u64> {
    match (offered.filter(|&v| v > 0), ours.filter(|&v| v > 0)) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

// ------------------------------------------------------------ phase 2

/// The ESP transform ID of an IKEv2 ENCR ID (RFC 2407 §4.4.4: the same
/// numbers up to 20; ENCR_NULL_AUTH_AES_GMAC 21 is ESP 23).
pub(crate) fn esp_id(e: EncrId) -> Option<u8> {
    match e.0 {
        21 => Some(23),
        n @ 1..=20 => u8::try_from(n).ok(),
        _ => None,
    }
}

/// The IKEv2 ENCR ID of an ESP transform ID.
pub(crate) fn encr_of_esp(id: u8) -> EncrId {
    match id {
        23 => EncrId(21),
        n => EncrId(u16::from(n)),
    }
}

/// The IPsec DOI Authentication Algorithm of an IKEv2 INTEG ID.
pub(crate) fn esp_auth(i: IntegId) -> Option<IpsecAuthAlg> {
    Some(match i {
        IntegId::HMAC_MD5_96 => IpsecAuthAlg::HMAC_MD5,
        IntegId::HMAC_SHA1_96 => IpsecAuthAlg::HMAC_SHA,
        IntegId::HMAC_SHA2_256_128 => IpsecAuthAlg::HMAC_SHA2_256,
        IntegId::HMAC_SHA2_384_192 => IpsecAuthAlg::HMAC_SHA2_384,
        IntegId::HMAC_SHA2_512_256 => IpsecAuthAlg::HMAC_SHA2_512,
        IntegId::AES_XCBC_96 => IpsecAuthAlg::AES_XCBC_MAC,
        _ => return None,
    })
}

/// The IKEv2 INTEG ID of an IPsec DOI Authentication Algorithm.
pub(crate) fn integ_of_esp(a: IpsecAuthAlg) -> Option<IntegId> {
    Some(match a {
        IpsecAuthAlg::HMAC_MD5 => IntegId::HMAC_MD5_96,
        IpsecAuthAlg::HMAC_SHA => IntegId::HMAC_SHA1_96,
        IpsecAuthAlg::HMAC_SHA2_256 => IntegId::HMAC_SHA2_256_128,
        IpsecAuthAlg::HMAC_SHA2_384 => IntegId::HMAC_SHA2_384_192,
        IpsecAuthAlg::HMAC_SHA2_512 => IntegId::HMAC_SHA2_512_256,
        IpsecAuthAlg::AES_XCBC_MAC => IntegId::AES_XCBC_96,
        _ => return None,
    })
}

fn aead(e: EncrId) -> bool {
    matches!(e.0, 14..=16 | 18..=21 | 28)
}

/// An ESP transform (RFC 2407 §4.4.4, §4.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EspTransform {
    /// ESP transform ID.
    pub(crate) id: u8,
    /// Key Length attribute.
    pub(crate) key_bits: Option<u16>,
    /// Authentication Algorithm (none with AEAD).
    pub(crate) auth: Option<IpsecAuthAlg>,
    /// Group Description (PFS).
    pub(crate) group: Option<u16>,
    /// Encapsulation Mode.
    pub(crate) encap: IpsecEncapMode,
    /// SA Life Duration in seconds.
    pub(crate) life_s: Option<u64>,
    /// SA Life Duration in kilobytes.
    pub(crate) life_kb: Option<u64>,
}

impl EspTransform {
    /// The same algorithms and mode (lifetimes aside).
    pub(crate) fn same_suite(&self, o: &EspTransform) -> bool {
        self.id == o.id
            && self.key_bits == o.key_bits
            && self.auth == o.auth
            && self.group == o.group
            && tunnel(self.encap) == tunnel(o.encap)
    }

    /// The cipher as an IKEv2 ENCR ID.
    pub(crate) fn encr(&self) -> EncrId {
        encr_of_esp(self.id)
    }

    /// The integrity algorithm as an IKEv2 INTEG ID.
    pub(crate) fn integ(&self) -> Option<IntegId> {
        self.auth.and_then(integ_of_esp)
    }

    /// The PFS group as a key exchange method.
    pub(crate) fn pfs(&self) -> Option<KeMethod> {
        self.group.map(KeMethod)
    }

    /// The attributes.
    pub(crate) fn attrs(&self) -> Vec<(u16, AttrOwned)> {
        let mut v = Vec::new();
        if let Some(sec) = self.life_s {
            v.push((
                IpsecAttrType::SA_LIFE_TYPE.0,
                AttrOwned::Short(LifeType::SECONDS.0),
            ));
            v.push(AttrOwned::int(IpsecAttrType::SA_LIFE_DURATION.0, sec));
        }
        if let Some(k) = self.life_kb {
            v.push((
                IpsecAttrType::SA_LIFE_TYPE.0,
                AttrOwned::Short(LifeType::KILOBYTES.0),
            ));
            v.push(AttrOwned::int(IpsecAttrType::SA_LIFE_DURATION.0, k));
        }
        if let Some(g) = self.group {
            v.push((IpsecAttrType::GROUP_DESCRIPTION.0, AttrOwned::Short(g)));
        }
        v.push((
            IpsecAttrType::ENCAPSULATION_MODE.0,
            AttrOwned::Short(self.encap.0),
        ));
        if let Some(a) = self.auth {
            v.push((
                IpsecAttrType::AUTHENTICATION_ALGORITHM.0,
                AttrOwned::Short(a.0),
            ));
        }
        if let Some(b) = self.key_bits {
            v.push((IpsecAttrType::KEY_LENGTH.0, AttrOwned::Short(b)));
        }
        v
    }

    /// Reads an ESP transform; `None` when an attribute is repeated or
    /// not understood.
    pub(crate) fn from_wire(t: &TransformIn) -> Option<EspTransform> {
        let (mut key_bits, mut auth, mut group, mut encap) = (None, None, None, None);
        let mut life = Lifetimes::default();
        for a in &t.attrs {
            let v = a.int()?;
            let short = u16::try_from(v).ok();
            let set = |slot: &mut Option<u16>| {
                if slot.is_some() {
                    return false;
                }
                *slot = short;
                short.is_some()
            };
            let ok = match IpsecAttrType(a.t) {
                IpsecAttrType::SA_LIFE_TYPE => life.kind(short?),
                IpsecAttrType::SA_LIFE_DURATION => life.duration(v),
                IpsecAttrType::GROUP_DESCRIPTION => set(&mut group),
                IpsecAttrType::ENCAPSULATION_MODE => set(&mut encap),
                IpsecAttrType::AUTHENTICATION_ALGORITHM => set(&mut auth),
                IpsecAttrType::KEY_LENGTH => set(&mut key_bits),
                _ => false,
            };
            if !ok {
                return None;
            }
        }
        Some(EspTransform {
            id: t.id,
            key_bits,
            auth: auth.map(IpsecAuthAlg),
            group,
            encap: IpsecEncapMode(encap.unwrap_or(IpsecEncapMode::TUNNEL.0)),
            life_s: life.seconds,
            life_kb: life.kilobytes,
        })
    }
}

/// Tunnel (any of the tunnel encapsulation modes)?
pub(crate) fn tunnel(m: IpsecEncapMode) -> bool {
    matches!(
        m,
        IpsecEncapMode::TUNNEL | IpsecEncapMode::UDP_TUNNEL | IpsecEncapMode::UDP_TUNNEL_DRAFT
    )
}

/// UDP encapsulated (RFC 3947 §5.1 or the drafts)?
pub(crate) fn udp_encap(m: IpsecEncapMode) -> bool {
    !matches!(m, IpsecEncapMode::TUNNEL | IpsecEncapMode::TRANSPORT)
}

/// Our ESP proposals: one proposal per configured spec, each with the
/// transforms cipher × integrity. `pfs` is the group of the KE payload
/// (the same in every transform, RFC 2409 §5.5); specs that do not allow
/// it are left out.
pub(crate) fn esp_offer(
    specs: &[ProposalSpec],
    pfs: Option<u16>,
    encap: IpsecEncapMode,
    life_s: Option<u64>,
    life_kb: Option<u64>,
) -> Vec<Vec<EspTransform>> {
    let mut out = Vec::new();
    for s in specs {
        let spec_pfs = s.ke.iter().any(|k| Some(k.0) == pfs);
        if pfs.is_some() != spec_pfs {
            continue;
        }
        let mut ts = Vec::new();
        for (e, bits) in &s.encr {
            let Some(id) = esp_id(*e) else { continue };
            let auths: Vec<Option<IpsecAuthAlg>> = if aead(*e) {
                vec![None]
            } else {
                s.integ
                    .iter()
                    .filter_map(|i| esp_auth(*i))
                    .map(Some)
                    .collect()
            };
            for auth in auths {
                ts.push(EspTransform {
                    id,
                    key_bits: *bits,
                    auth,
                    group: pfs,
                    encap,
                    life_s,
                    life_kb,
                });
            }
        }
        if !ts.is_empty() {
            out.push(ts);
        }
    }
    out
}

/// Does a received ESP transform fit one of our specs (our preference
/// first)? `pfs` is the group of the KE payload received, if any.
pub(crate) fn esp_acceptable(
    specs: &[ProposalSpec],
    t: &EspTransform,
    pfs: Option<u16>,
) -> Option<usize> {
    if t.group != pfs {
        return None;
    }
    specs.iter().position(|s| {
        let encr_ok = s
            .encr
            .iter()
            .any(|(e, b)| esp_id(*e) == Some(t.id) && *b == t.key_bits);
        let integ_ok = if aead(t.encr()) {
            t.auth.is_none()
        } else {
            t.integ().is_some_and(|i| s.integ.contains(&i))
        };
        let ke_ok = match t.group {
            Some(g) => s.ke.iter().any(|k| k.0 == g),
            None => s.ke.is_empty(),
        };
        encr_ok && integ_ok && ke_ok
    })
}

/// The body of our phase 1 SA payload: one proposal (PROTO_ISAKMP, no
/// SPI) with our transforms numbered from 1 (RFC 2409 §5).
pub(crate) fn p1_sa_body(ts: &[P1Transform]) -> Option<Vec<u8>> {
    body_of(|o| {
        sa_header(o);
        SaWriter::new(o).proposal(0, 1, ProtocolIdV1::ISAKMP.0, &[], |w| {
            for (i, t) in ts.iter().enumerate() {
                let a = t.attrs();
                w.v1(
                    u8::try_from(i + 1).unwrap_or(u8::MAX),
                    IsakmpTransformId::KEY_IKE.0,
                    attr_values(&a),
                );
            }
        });
    })
}

/// A responder's SA payload body: the accepted proposal (its number, our
/// SPI) with the one accepted transform as received (RFC 2408 §4.2).
pub(crate) fn echo_sa_body(p: &ProposalIn, spi: &[u8], t: &TransformIn) -> Option<Vec<u8>> {
    let a: Vec<(u16, AttrOwned)> = t.attrs.iter().map(AttrOwned::echo).collect();
    body_of(|o| {
        sa_header(o);
        SaWriter::new(o).proposal(0, p.number, p.protocol.0, spi, |w| {
            w.v1(t.number, t.id, attr_values(&a));
        });
    })
}

/// The body of our Quick Mode SA payload: proposals numbered from 1, ESP
/// with our SPI, their transforms numbered from 1.
pub(crate) fn esp_sa_body(props: &[Vec<EspTransform>], spi: &[u8]) -> Option<Vec<u8>> {
    body_of(|o| {
        sa_header(o);
        let mut sw = SaWriter::new(o);
        for (n, ts) in props.iter().enumerate() {
            sw.proposal(
                0,
                u8::try_from(n + 1).unwrap_or(u8::MAX),
                ProtocolIdV1::IPSEC_ESP.0,
                spi,
                |w| {
                    for (i, t) in ts.iter().enumerate() {
                        let a = t.attrs();
                        w.v1(
                            u8::try_from(i + 1).unwrap_or(u8::MAX),
                            t.id,
                            attr_values(&a),
                        );
                    }
                },
            );
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Secret;

    /// Writes the attributes and reads them back.
    fn attrs(t: &P1Transform) -> Vec<AttrIn> {
        let mut w = crate::wire::emit::ChainBuilder::new();
        w.payload(crate::wire::registry::PayloadType(3), 0, |o| {
            for (ty, v) in attr_values(&t.attrs()) {
                o.attribute(ty, v);
            }
        });
        let (_, c) = w.finish().unwrap();
        let raw = &c[4..];
        crate::wire::attribute::AttributeIter::new(raw, raw)
            .map(|a| {
                let a = a.unwrap();
                AttrIn {
                    t: a.attr_type,
                    short: a.is_tv(),
                    value: Secret::from_slice(a.value_bytes()),
                }
            })
            .collect()
    }

    #[test]
    fn phase1_offer_and_choice() {
        let specs =
            ProposalSpec::parse_list("aes256-sha256-modp2048,aes128-sha1-modp1024", true).unwrap();
        let ours = p1_offer(&specs, IkeAuthMethod::PRE_SHARED_KEY, 3600);
        assert_eq!(ours.len(), 2);
        assert_eq!(ours[0].encr, IkeEncrAlg::AES_CBC);
        assert_eq!(ours[0].key_bits, Some(256));
        assert_eq!(ours[0].hash, IkeHashAlg::SHA2_256);
        assert_eq!(ours[0].group, 14);
        // Round trip through attributes, with a long lifetime.
        let mut t = ours[1].clone();
        t.life_s = Some(100_000);
        t.life_kb = Some(5);
        let back = P1Transform::from_attrs(&attrs(&t)).unwrap();
        assert_eq!(back, t);
        // The peer offers the second only: chosen.
        let theirs = vec![TransformIn {
            number: 1,
            id: 1,
            attrs: attrs(&ours[1]),
        }];
        let (i, c) = select_p1(&ours, &theirs).unwrap();
        assert_eq!(i, 0);
        assert!(c.same_suite(&ours[1]));
        // Another auth method: no choice.
        let mut other = ours[1].clone();
        other.auth = IkeAuthMethod::RSA_SIGNATURES;
        let theirs = vec![TransformIn {
            number: 1,
            id: 1,
            attrs: attrs(&other),
        }];
        assert!(select_p1(&ours, &theirs).is_none());
        assert_eq!(effective_life(Some(0), Some(50)), Some(50));
        assert_eq!(effective_life(Some(40), Some(50)), Some(40));
        assert_eq!(effective_life(None, None), None);
    }

    #[test]
    fn esp_offer_and_acceptance() {
        let specs =
            ProposalSpec::parse_list("aes128gcm16-modp2048,aes256-sha256-sha1-modp2048", false)
                .unwrap();
        let offer = esp_offer(&specs, Some(14), IpsecEncapMode::TUNNEL, Some(3600), None);
        assert_eq!(offer.len(), 2);
        assert_eq!(offer[0].len(), 1);
        assert_eq!(offer[0][0].auth, None);
        assert_eq!(offer[1].len(), 2);
        for p in &offer {
            for t in p {
                assert!(esp_acceptable(&specs, t, Some(14)).is_some());
                assert!(esp_acceptable(&specs, t, None).is_none());
            }
        }
        let nopfs = ProposalSpec::parse_list("aes128-sha1", false).unwrap();
        assert!(esp_acceptable(&nopfs, &offer[1][1], Some(14)).is_none());
        assert_eq!(
            esp_offer(&nopfs, Some(14), IpsecEncapMode::TUNNEL, None, None).len(),
            0
        );
        assert_eq!(
            encr_of_esp(esp_id(EncrId::AES_GCM_16).unwrap()),
            EncrId::AES_GCM_16
        );
        assert_eq!(
            integ_of_esp(esp_auth(IntegId::HMAC_SHA2_256_128).unwrap()),
            Some(IntegId::HMAC_SHA2_256_128)
        );
    }
}
