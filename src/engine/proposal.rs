//! Proposals: strongSwan's keyword syntax ("aes256gcm16-prfsha256-x25519",
//! "aes256-sha256-modp2048"), their wire form, and the responder's choice
//! (RFC 7296 §2.7, §3.3.6).

use core::fmt;

use crate::wire::proposal::Proposal as WireProposal;
use crate::wire::registry::{EncrId, EsnId, IntegId, KeMethod, PrfId, ProtocolIdV2, TransformType};

/// One proposal as configured: acceptable transforms of each type, in
/// order of preference.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProposalSpec {
    /// Encryption algorithms with key length.
    pub encr: Vec<(EncrId, Option<u16>)>,
    /// Integrity algorithms (empty with AEAD).
    pub integ: Vec<IntegId>,
    /// PRFs (IKE only).
    pub prf: Vec<PrfId>,
    /// Key exchange methods (empty for a Child SA without PFS).
    pub ke: Vec<KeMethod>,
    /// Additional key exchanges (RFC 9370), ADDKE1..7.
    pub addke: Vec<Vec<KeMethod>>,
    /// Sequence number transforms (ESP only).
    pub esn: Vec<EsnId>,
}

/// The chosen transforms of a proposal: one of each type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Chosen {
    /// Encryption algorithm and key length.
    pub encr: (EncrId, Option<u16>),
    /// Integrity algorithm, if not AEAD.
    pub integ: Option<IntegId>,
    /// PRF (IKE SAs).
    pub prf: Option<PrfId>,
    /// Key exchange method, if any.
    pub ke: Option<KeMethod>,
    /// Sequence numbers (ESP).
    pub esn: Option<EsnId>,
}

/// Why a proposal string could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProposalError(pub String);

impl fmt::Display for ProposalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProposalError {}

fn aead(e: EncrId) -> bool {
    matches!(e.0, 14..=16 | 18..=20 | 28)
}

fn encr_keyword(k: &str) -> Option<(EncrId, Option<u16>)> {
    fn aes(rest: &str) -> Option<(u16, &str)> {
        for bits in [128u16, 192, 256] {
            if let Some(r) = rest.strip_prefix(&bits.to_string()) {
                return Some((bits, r));
            }
        }
        None
    }
    if let Some(rest) = k.strip_prefix("aes") {
        let (bits, mode) = aes(rest)?;
        let id = match mode {
            "" | "cbc" => EncrId::AES_CBC,
            "ctr" => EncrId::AES_CTR,
            "gcm8" | "gcm64" => EncrId::AES_GCM_8,
            "gcm12" | "gcm96" => EncrId::AES_GCM_12,
            "gcm16" | "gcm128" | "gcm" => EncrId::AES_GCM_16,
            "ccm8" | "ccm64" => EncrId::AES_CCM_8,
            "ccm12" | "ccm96" => EncrId::AES_CCM_12,
            "ccm16" | "ccm128" | "ccm" => EncrId::AES_CCM_16,
            _ => return None,
        };
        return Some((id, Some(bits)));
    }
    Some(match k {
        "3des" => (EncrId::DES3, None),
        "chacha20poly1305" => (EncrId::CHACHA20_POLY1305, None),
        "null" => (EncrId::NULL, None),
        _ => return None,
    })
}

fn integ_keyword(k: &str) -> Option<IntegId> {
    Some(match k {
        "md5" => IntegId::HMAC_MD5_96,
        "sha1" | "sha" => IntegId::HMAC_SHA1_96,
        "sha1_160" => IntegId::HMAC_SHA1_160,
        "sha256" | "sha2_256" => IntegId::HMAC_SHA2_256_128,
        "sha384" | "sha2_384" => IntegId::HMAC_SHA2_384_192,
        "sha512" | "sha2_512" => IntegId::HMAC_SHA2_512_256,
        "aesxcbc" => IntegId::AES_XCBC_96,
        "aescmac" => IntegId::AES_CMAC_96,
        _ => return None,
    })
}

fn prf_keyword(k: &str) -> Option<PrfId> {
    Some(match k.strip_prefix("prf")? {
        "md5" => PrfId::HMAC_MD5,
        "sha1" | "sha" => PrfId::HMAC_SHA1,
        "sha256" => PrfId::HMAC_SHA2_256,
        "sha384" => PrfId::HMAC_SHA2_384,
        "sha512" => PrfId::HMAC_SHA2_512,
        "aesxcbc" => PrfId::AES128_XCBC,
        "aescmac" => PrfId::AES128_CMAC,
        _ => return None,
    })
}

/// Key exchange keywords (strongSwan names).
pub fn ke_keyword(k: &str) -> Option<KeMethod> {
    Some(match k {
        "modp768" => KeMethod(1),
        "modp1024" => KeMethod(2),
        "modp1536" => KeMethod(5),
        "modp2048" => KeMethod(14),
        "modp3072" => KeMethod(15),
        "modp4096" => KeMethod(16),
        "modp6144" => KeMethod(17),
        "modp8192" => KeMethod(18),
        "ecp256" => KeMethod(19),
        "ecp384" => KeMethod(20),
        "ecp521" => KeMethod(21),
        "x25519" | "curve25519" => KeMethod(31),
        "x448" | "curve448" => KeMethod(32),
        "mlkem512" => KeMethod(35),
        "mlkem768" => KeMethod(36),
        "mlkem1024" => KeMethod(37),
        _ => return None,
    })
}

/// The PRF strongSwan implies for an integrity algorithm when a non-AEAD
/// proposal names none.
fn prf_for_integ(i: IntegId) -> Option<PrfId> {
    Some(match i {
        IntegId::HMAC_MD5_96 | IntegId::HMAC_MD5_128 => PrfId::HMAC_MD5,
        IntegId::HMAC_SHA1_96 | IntegId::HMAC_SHA1_160 => PrfId::HMAC_SHA1,
        IntegId::HMAC_SHA2_256_128 => PrfId::HMAC_SHA2_256,
        IntegId::HMAC_SHA2_384_192 => PrfId::HMAC_SHA2_384,
        IntegId::HMAC_SHA2_512_256 => PrfId::HMAC_SHA2_512,
        IntegId::AES_XCBC_96 => PrfId::AES128_XCBC,
        IntegId::AES_CMAC_96 => PrfId::AES128_CMAC,
        _ => return None,
    })
}

impl ProposalSpec {
    /// Parses one proposal in strongSwan's syntax: keywords joined by `-`
    /// (encryption, integrity, PRF, key exchange, `esn`/`noesn`,
    /// `ke1_<method>`… for RFC 9370). `ike` says whether a PRF is needed.
    pub fn parse(s: &str, ike: bool) -> Result<ProposalSpec, ProposalError> {
        let mut p = ProposalSpec::default();
        for k in s.trim().split('-').filter(|k| !k.is_empty()) {
            let k = k.to_ascii_lowercase();
            if let Some(e) = encr_keyword(&k) {
                p.encr.push(e);
            } else if let Some(i) = integ_keyword(&k) {
                p.integ.push(i);
            } else if let Some(f) = prf_keyword(&k) {
                p.prf.push(f);
            } else if let Some(m) = ke_keyword(&k) {
                p.ke.push(m);
            } else if let Some((n, m)) = k
                .strip_prefix("ke")
                .and_then(|r| r.split_once('_'))
                .and_then(|(n, m)| Some((n.parse::<usize>().ok()?, ke_keyword(m)?)))
            {
                if !(1..=7).contains(&n) {
                    return Err(ProposalError(format!("{k}: additional key exchange 1..7")));
                }
                if p.addke.len() < n {
                    p.addke.resize(n, Vec::new());
                }
                p.addke[n - 1].push(m);
            } else if k == "esn" {
                p.esn.push(EsnId(1));
            } else if k == "noesn" {
                p.esn.push(EsnId(0));
            } else {
                return Err(ProposalError(format!("unknown algorithm keyword '{k}'")));
            }
        }
        if !p.addke.is_empty() {
            // Offering them would promise an exchange we cannot carry out.
            return Err(ProposalError(format!(
                "'{s}': additional key exchanges (ke1_…, RFC 9370) need IKE_INTERMEDIATE \
                 (RFC 9242), which the engine does not implement"
            )));
        }
        if p.encr.is_empty() {
            return Err(ProposalError(format!("'{s}': no encryption algorithm")));
        }
        let all_aead = p.encr.iter().all(|(e, _)| aead(*e));
        let none_aead = p.encr.iter().all(|(e, _)| !aead(*e));
        if !all_aead && !none_aead {
            return Err(ProposalError(format!(
                "'{s}': mixes AEAD and non-AEAD encryption"
            )));
        }
        if all_aead && !p.integ.is_empty() {
            return Err(ProposalError(format!(
                "'{s}': AEAD takes no integrity algorithm"
            )));
        }
        if none_aead && p.integ.is_empty() && p.encr.iter().any(|(e, _)| *e != EncrId::NULL) {
            return Err(ProposalError(format!("'{s}': no integrity algorithm")));
        }
        if ike {
            if p.prf.is_empty() {
                p.prf = p.integ.iter().filter_map(|i| prf_for_integ(*i)).collect();
            }
            if p.prf.is_empty() {
                return Err(ProposalError(format!("'{s}': no PRF")));
            }
            if p.ke.is_empty() {
                return Err(ProposalError(format!("'{s}': no key exchange method")));
            }
        } else {
            if !p.prf.is_empty() {
                return Err(ProposalError(format!("'{s}': a Child SA takes no PRF")));
            }
            if p.esn.is_empty() {
                p.esn.push(EsnId(0));
            }
        }
        Ok(p)
    }

    /// Parses a comma-separated list.
    pub fn parse_list(s: &str, ike: bool) -> Result<Vec<ProposalSpec>, ProposalError> {
        s.split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| Self::parse(p, ike))
            .collect()
    }

    /// The transforms as (type, id, key length) in wire order.
    pub fn transforms(&self) -> Vec<(TransformType, u16, Option<u16>)> {
        let mut t = Vec::new();
        t.extend(
            self.encr
                .iter()
                .map(|(e, b)| (TransformType::ENCR, e.0, *b)),
        );
        t.extend(self.prf.iter().map(|p| (TransformType::PRF, p.0, None)));
        t.extend(self.integ.iter().map(|i| (TransformType::INTEG, i.0, None)));
        t.extend(self.ke.iter().map(|k| (TransformType::KE, k.0, None)));
        for (n, methods) in self.addke.iter().enumerate() {
            let ty = TransformType(6 + n as u8);
            t.extend(methods.iter().map(|k| (ty, k.0, None)));
        }
        t.extend(self.esn.iter().map(|e| (TransformType::ESN, e.0, None)));
        t
    }

    /// Does this spec include key exchanges (PFS for a Child SA)?
    pub fn has_ke(&self) -> bool {
        !self.ke.is_empty()
    }
}

/// A received proposal, reduced to what selection needs.
#[derive(Clone, Debug, Default)]
pub struct Offered {
    /// Proposal number.
    pub number: u8,
    /// Protocol.
    pub protocol: ProtocolIdV2,
    /// SPI.
    pub spi: Vec<u8>,
    /// Transforms: (type, id, key length).
    pub transforms: Vec<(TransformType, u16, Option<u16>)>,
}

impl Offered {
    /// Reads a wire proposal (errors in its transforms are the caller's to
    /// have checked with a strict parse).
    pub fn from_wire(p: &WireProposal<'_>) -> Offered {
        let transforms = p
            .transforms_v2()
            .flatten()
            .map(|t| (t.transform_type, t.transform_id, t.key_length()))
            .collect();
        Offered {
            number: p.number,
            protocol: p.protocol_v2(),
            spi: p.spi.to_vec(),
            transforms,
        }
    }

    fn has(&self, ty: TransformType) -> bool {
        self.transforms.iter().any(|(t, _, _)| *t == ty)
    }

    fn offers(&self, ty: TransformType, id: u16, bits: Option<u16>) -> bool {
        self.transforms
            .iter()
            .any(|(t, i, b)| *t == ty && *i == id && *b == bits)
    }
}

/// Picks the first of our specs (our preference) for which the peer's
/// proposals (in their order) offer one transform of every needed type;
/// within a type, our order wins. Returns the peer's proposal and the
/// choice. `ike` selects the IKE rules (PRF and KE required; protocol IKE).
pub fn select(ours: &[ProposalSpec], theirs: &[Offered], ike: bool) -> Option<(Offered, Chosen)> {
    for spec in ours {
        for o in theirs {
            let want_proto = if ike {
                ProtocolIdV2::IKE
            } else {
                ProtocolIdV2::ESP
            };
            if o.protocol != want_proto {
                continue;
            }
            let Some(encr) = spec
                .encr
                .iter()
                .find(|(e, b)| o.offers(TransformType::ENCR, e.0, *b))
                .copied()
            else {
                continue;
            };
            let integ = if aead(encr.0) {
                if o.has(TransformType::INTEG) && !o.offers(TransformType::INTEG, 0, None) {
                    // An AEAD with a real integrity algorithm in the same
                    // proposal is not a valid choice (§3.3); an integrity
                    // transform with ID NONE is allowed.
                    None
                } else {
                    Some(None)
                }
            } else {
                spec.integ
                    .iter()
                    .find(|i| o.offers(TransformType::INTEG, i.0, None))
                    .map(|i| Some(*i))
            };
            let Some(integ) = integ else { continue };
            let prf = if ike {
                match spec
                    .prf
                    .iter()
                    .find(|p| o.offers(TransformType::PRF, p.0, None))
                {
                    Some(p) => Some(*p),
                    None => continue,
                }
            } else {
                None
            };
            // Key exchange: required for IKE; for ESP, both sides agree on
            // having one or not (NONE counts as not).
            let ke = if spec.ke.is_empty() {
                let peer_has = o
                    .transforms
                    .iter()
                    .any(|(t, i, _)| *t == TransformType::KE && *i != 0);
                let peer_none_ok = !peer_has || o.offers(TransformType::KE, 0, None);
                if ike || !peer_none_ok {
                    continue;
                }
                None
            } else {
                match spec
                    .ke
                    .iter()
                    .find(|k| o.offers(TransformType::KE, k.0, None))
                {
                    Some(k) => Some(*k),
                    None => continue,
                }
            };
            let esn = if ike {
                None
            } else if o.has(TransformType::ESN) {
                match spec
                    .esn
                    .iter()
                    .find(|e| o.offers(TransformType::ESN, e.0, None))
                {
                    Some(e) => Some(*e),
                    None => continue,
                }
            } else {
                Some(EsnId(0))
            };
            return Some((
                o.clone(),
                Chosen {
                    encr,
                    integ,
                    prf,
                    ke,
                    esn,
                },
            ));
        }
    }
    None
}

impl Chosen {
    /// The transforms of the accepted proposal, in wire order.
    pub fn transforms(&self) -> Vec<(TransformType, u16, Option<u16>)> {
        let mut t = vec![(TransformType::ENCR, self.encr.0 .0, self.encr.1)];
        if let Some(p) = self.prf {
            t.push((TransformType::PRF, p.0, None));
        }
        if let Some(i) = self.integ {
            t.push((TransformType::INTEG, i.0, None));
        }
        if let Some(k) = self.ke {
            t.push((TransformType::KE, k.0, None));
        }
        if let Some(e) = self.esn {
            t.push((TransformType::ESN, e.0, None));
        }
        t
    }

    /// Reads the responder's single proposal back (initiator side) and
    /// checks it is one we offered.
    pub fn from_reply(o: &Offered, ours: &[ProposalSpec], ike: bool) -> Option<Chosen> {
        let (_, c) = select(ours, std::slice::from_ref(o), ike)?;
        // The reply must contain exactly one transform of each type.
        let mut seen = std::collections::HashSet::new();
        if !o.transforms.iter().all(|(t, _, _)| seen.insert(*t)) {
            return None;
        }
        Some(c)
    }

    /// strongSwan-style name, e.g. "AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE25519".
    pub fn describe(&self) -> String {
        let mut parts = vec![match self.encr.1 {
            Some(b) => format!("{}_{b}", self.encr.0.name().unwrap_or("ENCR")),
            None => self.encr.0.name().unwrap_or("ENCR").to_owned(),
        }];
        if let Some(i) = self.integ {
            parts.push(i.name().unwrap_or("INTEG").to_owned());
        }
        if let Some(p) = self.prf {
            parts.push(p.name().unwrap_or("PRF").to_owned());
        }
        if let Some(k) = self.ke {
            parts.push(k.name().unwrap_or("KE").to_owned());
        }
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strongswan_keywords() {
        let p = ProposalSpec::parse("aes256gcm16-prfsha256-x25519", true).unwrap();
        assert_eq!(p.encr, [(EncrId::AES_GCM_16, Some(256))]);
        assert_eq!(p.prf, [PrfId::HMAC_SHA2_256]);
        assert_eq!(p.ke, [KeMethod(31)]);
        assert!(p.integ.is_empty());
        let p = ProposalSpec::parse("aes256-sha256-modp2048", true).unwrap();
        assert_eq!(p.integ, [IntegId::HMAC_SHA2_256_128]);
        assert_eq!(p.prf, [PrfId::HMAC_SHA2_256], "PRF implied by integrity");
        let esp = ProposalSpec::parse("aes128gcm16", false).unwrap();
        assert_eq!(esp.esn, [EsnId(0)]);
        assert!(!esp.has_ke());
        let multi = ProposalSpec::parse("aes256gcm16-prfsha384-x25519-ke1_mlkem768", true);
        assert!(multi.unwrap_err().0.contains("IKE_INTERMEDIATE"));
        assert!(ProposalSpec::parse("aes256gcm16-x25519-ke8_mlkem768", true).is_err());
        assert!(ProposalSpec::parse("aes256gcm16-sha256-x25519", true).is_err());
        assert!(ProposalSpec::parse("aes256-x25519", true).is_err());
        assert!(ProposalSpec::parse("rot13", true).is_err());
        assert_eq!(
            ProposalSpec::parse_list("aes128-sha1-modp2048, aes256gcm16-prfsha256-ecp256", true)
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn selection_follows_our_preference() {
        let ours =
            ProposalSpec::parse_list("aes256gcm16-prfsha256-x25519,aes128-sha256-modp2048", true)
                .unwrap();
        let theirs_spec = ProposalSpec::parse_list(
            "aes128-sha256-modp2048,aes256gcm16-prfsha256-x25519-ecp256",
            true,
        )
        .unwrap();
        let theirs: Vec<Offered> = theirs_spec
            .iter()
            .enumerate()
            .map(|(n, s)| Offered {
                number: n as u8 + 1,
                protocol: ProtocolIdV2::IKE,
                spi: vec![],
                transforms: s.transforms(),
            })
            .collect();
        let (o, c) = select(&ours, &theirs, true).unwrap();
        assert_eq!(o.number, 2);
        assert_eq!(c.encr, (EncrId::AES_GCM_16, Some(256)));
        assert_eq!(c.ke, Some(KeMethod(31)));
        assert_eq!(c.integ, None);
        // Nothing in common.
        let only = ProposalSpec::parse_list("3des-md5-modp1024", true).unwrap();
        assert!(select(&only, &theirs, true).is_none());
        // ESP without PFS accepts a peer that offers NONE or nothing.
        let esp = ProposalSpec::parse_list("aes256gcm16", false).unwrap();
        let offer = Offered {
            number: 1,
            protocol: ProtocolIdV2::ESP,
            spi: vec![1, 2, 3, 4],
            transforms: esp[0].transforms(),
        };
        let (_, c) = select(&esp, &[offer], false).unwrap();
        assert_eq!(c.esn, Some(EsnId(0)));
        assert_eq!(c.ke, None);
    }
}
