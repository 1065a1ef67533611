//! IKEv1 key derivation (RFC 2409 §5, §5.5, Appendix B): SKEYID for the
//! three authentication families, SKEYID_d/a/e, encryption key expansion,
//! phase-1 and phase-2 IVs, HASH_I/HASH_R, Quick Mode HASH(1..3) and
//! KEYMAT.
//!
//! The PRF is the negotiated hash in HMAC mode (RFC 2409 §5: "the HMAC
//! version of the negotiated hash algorithm"); the IVs use the plain hash.

use super::mac::MacAlg;
use super::provider::{CryptoError, CryptoResult, Prf};
use super::secret::Secret;

/// A plain hash of the IKEv1 registry (RFC 2409 App. A "Hash Algorithm").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hash {
    /// MD5 (1).
    Md5,
    /// SHA-1 (2).
    Sha1,
    /// SHA2-256 (4).
    Sha256,
    /// SHA2-384 (5).
    Sha384,
    /// SHA2-512 (6).
    Sha512,
}

impl Hash {
    /// From the IKEv1 Hash Algorithm attribute value.
    pub fn from_ike(v: u16) -> CryptoResult<Hash> {
        Ok(match v {
            1 => Hash::Md5,
            2 => Hash::Sha1,
            4 => Hash::Sha256,
            5 => Hash::Sha384,
            6 => Hash::Sha512,
            other => return Err(CryptoError::Unsupported("IKEv1 hash", other)),
        })
    }

    /// The HMAC PRF of this hash.
    pub fn prf_alg(self) -> MacAlg {
        match self {
            Hash::Md5 => MacAlg::HmacMd5,
            Hash::Sha1 => MacAlg::HmacSha1,
            Hash::Sha256 => MacAlg::HmacSha256,
            Hash::Sha384 => MacAlg::HmacSha384,
            Hash::Sha512 => MacAlg::HmacSha512,
        }
    }

    /// The IKEv2 PRF ID of the same HMAC (to look it up in a provider).
    pub fn prf_id(self) -> crate::wire::registry::PrfId {
        use crate::wire::registry::PrfId;
        match self {
            Hash::Md5 => PrfId::HMAC_MD5,
            Hash::Sha1 => PrfId::HMAC_SHA1,
            Hash::Sha256 => PrfId::HMAC_SHA2_256,
            Hash::Sha384 => PrfId::HMAC_SHA2_384,
            Hash::Sha512 => PrfId::HMAC_SHA2_512,
        }
    }

    /// hash(data[0] | data[1] | …).
    pub fn digest(self, data: &[&[u8]]) -> Vec<u8> {
        use sha2::Digest;
        fn run<D: Digest>(data: &[&[u8]]) -> Vec<u8> {
            let mut h = D::new();
            for d in data {
                h.update(d);
            }
            h.finalize().to_vec()
        }
        match self {
            Hash::Md5 => run::<md5::Md5>(data),
            Hash::Sha1 => run::<sha1::Sha1>(data),
            Hash::Sha256 => run::<sha2::Sha256>(data),
            Hash::Sha384 => run::<sha2::Sha384>(data),
            Hash::Sha512 => run::<sha2::Sha512>(data),
        }
    }
}

/// SKEYID for pre-shared keys: prf(pre-shared-key, Ni_b | Nr_b).
pub fn skeyid_psk(prf: &dyn Prf, psk: &[u8], ni: &[u8], nr: &[u8]) -> CryptoResult<Secret> {
    prf.compute(psk, &[ni, nr])
}

/// SKEYID for signatures: prf(Ni_b | Nr_b, g^xy).
pub fn skeyid_sig(prf: &dyn Prf, ni: &[u8], nr: &[u8], gxy: &[u8]) -> CryptoResult<Secret> {
    let key = [ni, nr].concat();
    prf.compute(&key, &[gxy])
}

/// SKEYID for public key encryption: prf(hash(Ni_b | Nr_b), CKY-I | CKY-R).
pub fn skeyid_pke(
    prf: &dyn Prf,
    hash: Hash,
    ni: &[u8],
    nr: &[u8],
    cky_i: &[u8; 8],
    cky_r: &[u8; 8],
) -> CryptoResult<Secret> {
    let key = hash.digest(&[ni, nr]);
    prf.compute(&key, &[cky_i, cky_r])
}

/// SKEYID_d, SKEYID_a, SKEYID_e.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Phase1Keys {
    /// SKEYID itself.
    pub skeyid: Secret,
    /// Derives phase-2 keying material.
    pub skeyid_d: Secret,
    /// Authenticates phase-2 and informational messages.
    pub skeyid_a: Secret,
    /// Source of the encryption key.
    pub skeyid_e: Secret,
}

impl Phase1Keys {
    /// SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0),
    /// SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1),
    /// SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2).
    pub fn derive(
        prf: &dyn Prf,
        skeyid: Secret,
        gxy: &[u8],
        cky_i: &[u8; 8],
        cky_r: &[u8; 8],
    ) -> CryptoResult<Phase1Keys> {
        let k = skeyid.expose();
        let d = prf.compute(k, &[gxy, cky_i, cky_r, &[0]])?;
        let a = prf.compute(k, &[d.expose(), gxy, cky_i, cky_r, &[1]])?;
        let e = prf.compute(k, &[a.expose(), gxy, cky_i, cky_r, &[2]])?;
        Ok(Phase1Keys {
            skeyid,
            skeyid_d: d,
            skeyid_a: a,
            skeyid_e: e,
        })
    }

    /// The encryption key of `len` bytes (Appendix B): SKEYID_e itself when
    /// long enough, else K1 | K2 | … with K1 = prf(SKEYID_e, 0),
    /// Kn = prf(SKEYID_e, Kn-1), cut to `len`.
    pub fn encryption_key(&self, prf: &dyn Prf, len: usize) -> CryptoResult<Secret> {
        let e = self.skeyid_e.expose();
        if e.len() >= len {
            return Ok(Secret::from_slice(&e[..len]));
        }
        let mut out = Secret::new(Vec::with_capacity(len + prf.output_len()));
        let mut k = prf.compute(e, &[&[0]])?;
        loop {
            out.expose_mut().extend_from_slice(k.expose());
            if out.len() >= len {
                break;
            }
            k = prf.compute(e, &[k.expose()])?;
        }
        out.expose_mut().truncate(len);
        Ok(out)
    }
}

/// HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b);
/// HASH_R swaps the KE values and cookies and uses IDir_b (§5). `sa_i` is
/// the body of the initiator's SA payload; the IDs are ID payload bodies.
#[allow(clippy::too_many_arguments)]
pub fn hash_i_r(
    prf: &dyn Prf,
    skeyid: &[u8],
    initiator: bool,
    gx_i: &[u8],
    gx_r: &[u8],
    cky_i: &[u8; 8],
    cky_r: &[u8; 8],
    sa_i: &[u8],
    id: &[u8],
) -> CryptoResult<Secret> {
    if initiator {
        prf.compute(skeyid, &[gx_i, gx_r, cky_i, cky_r, sa_i, id])
    } else {
        prf.compute(skeyid, &[gx_r, gx_i, cky_r, cky_i, sa_i, id])
    }
}

/// The phase-1 IV: hash(g^xi | g^xr), cut to the cipher's block length
/// (Appendix B).
pub fn phase1_iv(hash: Hash, gx_i: &[u8], gx_r: &[u8], block_len: usize) -> Vec<u8> {
    let mut iv = hash.digest(&[gx_i, gx_r]);
    iv.truncate(block_len);
    iv
}

/// The first IV of a phase-2 or informational exchange: hash(last phase-1
/// CBC output block | M-ID), cut to the block length (Appendix B).
pub fn phase2_iv(
    hash: Hash,
    last_phase1_block: &[u8],
    message_id: u32,
    block_len: usize,
) -> Vec<u8> {
    let mut iv = hash.digest(&[last_phase1_block, &message_id.to_be_bytes()]);
    iv.truncate(block_len);
    iv
}

/// Quick Mode HASH(1) = prf(SKEYID_a, M-ID | payloads after HASH(1));
/// also the informational HASH(1) = prf(SKEYID_a, M-ID | N/D).
pub fn hash1(prf: &dyn Prf, skeyid_a: &[u8], message_id: u32, rest: &[u8]) -> CryptoResult<Secret> {
    prf.compute(skeyid_a, &[&message_id.to_be_bytes(), rest])
}

/// Quick Mode HASH(2) = prf(SKEYID_a, M-ID | Ni_b | payloads after HASH(2)).
pub fn hash2(
    prf: &dyn Prf,
    skeyid_a: &[u8],
    message_id: u32,
    ni: &[u8],
    rest: &[u8],
) -> CryptoResult<Secret> {
    prf.compute(skeyid_a, &[&message_id.to_be_bytes(), ni, rest])
}

/// Quick Mode HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b).
pub fn hash3(
    prf: &dyn Prf,
    skeyid_a: &[u8],
    message_id: u32,
    ni: &[u8],
    nr: &[u8],
) -> CryptoResult<Secret> {
    prf.compute(skeyid_a, &[&[0], &message_id.to_be_bytes(), ni, nr])
}

/// Quick Mode KEYMAT for one SPI (§5.5), `len` bytes:
/// K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b),
/// Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b).
#[allow(clippy::too_many_arguments)]
pub fn keymat(
    prf: &dyn Prf,
    skeyid_d: &[u8],
    pfs_shared: Option<&[u8]>,
    protocol: u8,
    spi: &[u8],
    ni: &[u8],
    nr: &[u8],
    len: usize,
) -> CryptoResult<Secret> {
    let g = pfs_shared.unwrap_or(&[]);
    let mut out = Secret::new(Vec::with_capacity(len + prf.output_len()));
    let mut k = prf.compute(skeyid_d, &[g, &[protocol], spi, ni, nr])?;
    loop {
        out.expose_mut().extend_from_slice(k.expose());
        if out.len() >= len {
            break;
        }
        k = prf.compute(skeyid_d, &[k.expose(), g, &[protocol], spi, ni, nr])?;
    }
    out.expose_mut().truncate(len);
    Ok(out)
}
