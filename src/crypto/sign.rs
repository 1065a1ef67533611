//! Signatures for IKE authentication: private-key loading, signing
//! ([`Signer`]) and verification ([`RustCryptoVerifier`]) for RSA
//! (PKCS#1 v1.5 with DigestInfo, RSASSA-PSS, and the raw IKEv1 form),
//! ECDSA on P-256/P-384/P-521 and Ed25519; plus the RFC 7427 Digital
//! Signature authentication helpers (AlgorithmIdentifier blobs).
//!
//! Schemes and their data (RFC 7296 §3.8, RFC 7427, RFC 8420,
//! RFC 2409 §5.1):
//! - RSA PKCS#1 v1.5 / PSS: the data is hashed with the scheme's hash
//!   (PSS: MGF1 with the same hash, salt length = hash length).
//! - [`SignatureScheme::RsaPkcs1Raw`] (IKEv1): the data *is* the hash;
//!   it is padded with PKCS#1 type 1 without a DigestInfo.
//! - ECDSA: the data is hashed with the scheme's hash; `sign` gives the
//!   fixed-width r ‖ s of auth methods 9–11, `sign_der` the DER
//!   `ECDSA-Sig-Value` of RFC 7427.
//! - Ed25519: the data itself is signed (RFC 8420 "Identity" hash).
//!
//! Keys are zeroized when dropped (the underlying crates' key types do
//! this). RSA signing uses blinding with the OS generator; PSS salts come
//! from the OS generator too.

use core::fmt;

use ed25519_dalek::Signer as _;
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey};
use rsa::{Pkcs1v15Sign, Pss};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};
use x509_cert::der::asn1::{ObjectIdentifier, OctetStringRef};
use x509_cert::der::Decode;
use x509_cert::spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};
use zeroize::Zeroizing;

use super::cert;
use super::modp::hex;
use super::provider::{CryptoError, CryptoResult, SignatureScheme, Signer, Verifier};

// ------------------------------------------------------------------ OIDs

pub(crate) const OID_RSA_ENCRYPTION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
pub(crate) const OID_RSASSA_PSS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const OID_MGF1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.8");
const OID_SHA1_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.5");
const OID_SHA256_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const OID_SHA384_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const OID_SHA512_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
pub(crate) const OID_EC_PUBLIC_KEY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const OID_ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const OID_ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
pub(crate) const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
pub(crate) const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
pub(crate) const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
pub(crate) const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const OID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const OID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

// ------------------------------------------------- RFC 7427 identifiers

/// sha1WithRSAEncryption (RFC 7427 A.1.1).
const AI_SHA1_RSA: [u8; 15] = hex("300d06092a864886f70d0101050500");
/// sha256WithRSAEncryption (RFC 7427 A.1.2).
const AI_SHA256_RSA: [u8; 15] = hex("300d06092a864886f70d01010b0500");
/// sha384WithRSAEncryption (RFC 7427 A.1.3).
const AI_SHA384_RSA: [u8; 15] = hex("300d06092a864886f70d01010c0500");
/// sha512WithRSAEncryption (RFC 7427 A.1.4).
const AI_SHA512_RSA: [u8; 15] = hex("300d06092a864886f70d01010d0500");
/// RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32 (DER: trailerField omitted).
const AI_PSS_SHA256: [u8; 67] = hex(concat!(
    "304106092a864886f70d01010a3034a00f300d06096086480165030402010500",
    "a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120"
));
/// RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48.
const AI_PSS_SHA384: [u8; 67] = hex(concat!(
    "304106092a864886f70d01010a3034a00f300d06096086480165030402020500",
    "a11c301a06092a864886f70d010108300d06096086480165030402020500a203020130"
));
/// RSASSA-PSS, SHA-512, MGF1-SHA-512, salt 64.
const AI_PSS_SHA512: [u8; 67] = hex(concat!(
    "304106092a864886f70d01010a3034a00f300d06096086480165030402030500",
    "a11c301a06092a864886f70d010108300d06096086480165030402030500a203020140"
));
/// ecdsa-with-SHA256 (RFC 7427 A.3.1).
const AI_ECDSA_SHA256: [u8; 12] = hex("300a06082a8648ce3d040302");
/// ecdsa-with-SHA384 (RFC 7427 A.3.2).
const AI_ECDSA_SHA384: [u8; 12] = hex("300a06082a8648ce3d040303");
/// ecdsa-with-SHA512 (RFC 7427 A.3.3).
const AI_ECDSA_SHA512: [u8; 12] = hex("300a06082a8648ce3d040304");
/// id-Ed25519 (RFC 8420 §2, RFC 8410).
const AI_ED25519: [u8; 7] = hex("300506032b6570");

/// The DER AlgorithmIdentifier that names `scheme` in an RFC 7427
/// Digital Signature AUTH payload; `None` for the raw IKEv1 scheme, which
/// has none. The PSS identifiers carry explicit parameters (hash, MGF1 with
/// the same hash, salt = hash length) with the DEFAULT trailerField
/// omitted, as DER requires.
pub fn algorithm_identifier(scheme: SignatureScheme) -> Option<&'static [u8]> {
    use SignatureScheme as S;
    Some(match scheme {
        S::RsaPkcs1Sha1 => &AI_SHA1_RSA,
        S::RsaPkcs1Sha256 => &AI_SHA256_RSA,
        S::RsaPkcs1Sha384 => &AI_SHA384_RSA,
        S::RsaPkcs1Sha512 => &AI_SHA512_RSA,
        S::RsaPssSha256 => &AI_PSS_SHA256,
        S::RsaPssSha384 => &AI_PSS_SHA384,
        S::RsaPssSha512 => &AI_PSS_SHA512,
        S::EcdsaP256Sha256 => &AI_ECDSA_SHA256,
        S::EcdsaP384Sha384 => &AI_ECDSA_SHA384,
        S::EcdsaP521Sha512 => &AI_ECDSA_SHA512,
        S::Ed25519 => &AI_ED25519,
        S::RsaPkcs1Raw | S::EcdsaPrehashed => return None,
    })
}

/// The scheme named by a received DER AlgorithmIdentifier (RFC 7427).
///
/// For ECDSA the identifier names only the hash (ecdsa-with-SHA256 →
/// [`SignatureScheme::EcdsaP256Sha256`] and so on); the curve comes from
/// the signer's key, and [`RustCryptoVerifier`] accepts any supported
/// curve with DER signatures. PSS parameters must be hash = MGF1 hash,
/// salt length = hash length; the trailerField may be present or not.
pub fn scheme_from_algorithm_identifier(der: &[u8]) -> CryptoResult<SignatureScheme> {
    use SignatureScheme as S;
    let ai = AlgorithmIdentifierRef::from_der(der)
        .map_err(|e| CryptoError::Key(format!("AlgorithmIdentifier: {e}")))?;
    let no_params = ai.parameters.is_none();
    let null_or_none = ai.parameters.is_none_or(|p| p.is_null());
    let rsa = |s: S| {
        if null_or_none {
            Ok(s)
        } else {
            Err(CryptoError::Key(
                "unexpected RSA signature parameters".into(),
            ))
        }
    };
    let ec = |s: S| {
        if no_params {
            Ok(s)
        } else {
            Err(CryptoError::Key(
                "unexpected ECDSA signature parameters".into(),
            ))
        }
    };
    match ai.oid {
        OID_SHA1_RSA => rsa(S::RsaPkcs1Sha1),
        OID_SHA256_RSA => rsa(S::RsaPkcs1Sha256),
        OID_SHA384_RSA => rsa(S::RsaPkcs1Sha384),
        OID_SHA512_RSA => rsa(S::RsaPkcs1Sha512),
        OID_ECDSA_SHA256 => ec(S::EcdsaP256Sha256),
        OID_ECDSA_SHA384 => ec(S::EcdsaP384Sha384),
        OID_ECDSA_SHA512 => ec(S::EcdsaP521Sha512),
        OID_ED25519 => ec(S::Ed25519),
        OID_RSASSA_PSS => {
            let params = ai
                .parameters
                .ok_or_else(|| CryptoError::Key("RSASSA-PSS without parameters".into()))?;
            let pss: rsa::pkcs1::RsaPssParamsOwned = params
                .decode_as()
                .map_err(|e| CryptoError::Key(format!("RSASSA-PSS parameters: {e}")))?;
            let (scheme, salt) = match pss.hash.oid {
                OID_SHA256 => (S::RsaPssSha256, 32),
                OID_SHA384 => (S::RsaPssSha384, 48),
                OID_SHA512 => (S::RsaPssSha512, 64),
                _ => return Err(CryptoError::Key("unsupported RSASSA-PSS hash".into())),
            };
            let hash_params_ok = pss.hash.parameters.is_none_or(|p| p.is_null());
            let mgf_ok = pss.mask_gen.oid == OID_MGF1
                && pss.mask_gen.parameters.is_some_and(|h| {
                    h.oid == pss.hash.oid && h.parameters.is_none_or(|p| p.is_null())
                });
            if !hash_params_ok || !mgf_ok || pss.salt_len != salt {
                return Err(CryptoError::Key(
                    "unsupported RSASSA-PSS parameters (need MGF1 with the same hash, salt = hash length)"
                        .into(),
                ));
            }
            Ok(scheme)
        }
        other => Err(CryptoError::Key(format!(
            "unsupported signature algorithm {other}"
        ))),
    }
}

/// The Authentication Data of an RFC 7427 Digital Signature AUTH payload
/// (method 14): one octet of AlgorithmIdentifier length, the
/// AlgorithmIdentifier, the signature (ECDSA in DER).
pub fn encode_auth_signature(scheme: SignatureScheme, signature: &[u8]) -> CryptoResult<Vec<u8>> {
    let ai = algorithm_identifier(scheme)
        .ok_or_else(|| CryptoError::Key("no AlgorithmIdentifier for this scheme".into()))?;
    let len = u8::try_from(ai.len())
        .map_err(|_| CryptoError::Key("AlgorithmIdentifier too long".into()))?;
    let mut out = Vec::with_capacity(1 + ai.len() + signature.len());
    out.push(len);
    out.extend_from_slice(ai);
    out.extend_from_slice(signature);
    Ok(out)
}

/// Splits RFC 7427 Authentication Data into (scheme, AlgorithmIdentifier
/// DER, signature).
pub fn parse_auth_signature(data: &[u8]) -> CryptoResult<(SignatureScheme, &[u8], &[u8])> {
    let (&len, rest) = data.split_first().ok_or(CryptoError::InputLength(
        "empty signature authentication data",
    ))?;
    let len = usize::from(len);
    if rest.len() <= len {
        return Err(CryptoError::InputLength("signature authentication data"));
    }
    let (ai, sig) = rest.split_at(len);
    Ok((scheme_from_algorithm_identifier(ai)?, ai, sig))
}

// ------------------------------------------------------------- hashing

fn digest_for(scheme: SignatureScheme, data: &[u8]) -> Option<Vec<u8>> {
    use SignatureScheme as S;
    Some(match scheme {
        S::RsaPkcs1Sha1 => Sha1::digest(data).to_vec(),
        S::RsaPkcs1Sha256 | S::RsaPssSha256 | S::EcdsaP256Sha256 => Sha256::digest(data).to_vec(),
        S::RsaPkcs1Sha384 | S::RsaPssSha384 | S::EcdsaP384Sha384 => Sha384::digest(data).to_vec(),
        S::RsaPkcs1Sha512 | S::RsaPssSha512 | S::EcdsaP521Sha512 => Sha512::digest(data).to_vec(),
        S::RsaPkcs1Raw | S::Ed25519 | S::EcdsaPrehashed => return None,
    })
}

fn wrong_scheme(scheme: SignatureScheme, key: &str) -> CryptoError {
    CryptoError::Key(format!("{scheme:?} cannot be used with {key} key"))
}

// --------------------------------------------------------------- RSA

const RSA_SCHEMES: [SignatureScheme; 8] = [
    SignatureScheme::RsaPkcs1Sha256,
    SignatureScheme::RsaPkcs1Sha384,
    SignatureScheme::RsaPkcs1Sha512,
    SignatureScheme::RsaPssSha256,
    SignatureScheme::RsaPssSha384,
    SignatureScheme::RsaPssSha512,
    SignatureScheme::RsaPkcs1Sha1,
    SignatureScheme::RsaPkcs1Raw,
];

/// An RSA private key.
pub struct RsaSigner {
    key: rsa::PrivateKey,
    spki: Vec<u8>,
}

impl RsaSigner {
    /// Wraps a decoded key.
    pub fn new(key: rsa::PrivateKey) -> CryptoResult<Self> {
        let spki = key
            .to_public_key()
            .to_public_key_der()
            .map_err(|e| CryptoError::Key(format!("RSA public key: {e}")))?
            .into_vec();
        Ok(RsaSigner { key, spki })
    }

    /// Modulus length in bytes (= signature length).
    pub fn size(&self) -> usize {
        use rsa::traits::PublicKeyParts;
        self.key.size()
    }
}

impl fmt::Debug for RsaSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RsaSigner({} bits)", self.size() * 8)
    }
}

impl Signer for RsaSigner {
    fn schemes(&self) -> &[SignatureScheme] {
        &RSA_SCHEMES
    }

    fn sign(&self, scheme: SignatureScheme, data: &[u8]) -> CryptoResult<Vec<u8>> {
        use SignatureScheme as S;
        let hash = digest_for(scheme, data);
        let h = hash.as_deref().unwrap_or(data);
        let r = match scheme {
            S::RsaPkcs1Sha1 => self.key.sign(Pkcs1v15Sign::new::<Sha1>(), h),
            S::RsaPkcs1Sha256 => self.key.sign(Pkcs1v15Sign::new::<Sha256>(), h),
            S::RsaPkcs1Sha384 => self.key.sign(Pkcs1v15Sign::new::<Sha384>(), h),
            S::RsaPkcs1Sha512 => self.key.sign(Pkcs1v15Sign::new::<Sha512>(), h),
            S::RsaPssSha256 => self.key.sign(Pss::<Sha256>::new(), h),
            S::RsaPssSha384 => self.key.sign(Pss::<Sha384>::new(), h),
            S::RsaPssSha512 => self.key.sign(Pss::<Sha512>::new(), h),
            // IKEv1 (RFC 2409 §5.1): type-1 padding over the given hash,
            // no DigestInfo.
            S::RsaPkcs1Raw => self.key.sign(Pkcs1v15Sign::new_unprefixed(), data),
            other => return Err(wrong_scheme(other, "an RSA")),
        };
        r.map_err(|e| CryptoError::Key(format!("RSA signing: {e}")))
    }

    fn public_key_spki(&self) -> Vec<u8> {
        self.spki.clone()
    }
}

// -------------------------------------------------------------- ECDSA

enum EcKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
}

/// An ECDSA private key on P-256, P-384 or P-521 (auth methods 9, 10, 11;
/// RFC 7427 with the curve's hash).
pub struct EcdsaSigner {
    key: EcKey,
    scheme: [SignatureScheme; 1],
    spki: Vec<u8>,
}

impl EcdsaSigner {
    fn from_p256(sk: p256::SecretKey) -> CryptoResult<Self> {
        let spki = p256::pkcs8::EncodePublicKey::to_public_key_der(&sk.public_key())
            .map_err(|e| CryptoError::Key(format!("EC public key: {e}")))?
            .into_vec();
        Ok(EcdsaSigner {
            key: EcKey::P256(p256::ecdsa::SigningKey::from(sk)),
            scheme: [SignatureScheme::EcdsaP256Sha256],
            spki,
        })
    }

    fn from_p384(sk: p384::SecretKey) -> CryptoResult<Self> {
        let spki = p384::pkcs8::EncodePublicKey::to_public_key_der(&sk.public_key())
            .map_err(|e| CryptoError::Key(format!("EC public key: {e}")))?
            .into_vec();
        Ok(EcdsaSigner {
            key: EcKey::P384(p384::ecdsa::SigningKey::from(sk)),
            scheme: [SignatureScheme::EcdsaP384Sha384],
            spki,
        })
    }

    fn from_p521(sk: p521::SecretKey) -> CryptoResult<Self> {
        let spki = p521::pkcs8::EncodePublicKey::to_public_key_der(&sk.public_key())
            .map_err(|e| CryptoError::Key(format!("EC public key: {e}")))?
            .into_vec();
        Ok(EcdsaSigner {
            key: EcKey::P521(p521::ecdsa::SigningKey::from(sk)),
            scheme: [SignatureScheme::EcdsaP521Sha512],
            spki,
        })
    }

    fn sign_both(&self, scheme: SignatureScheme, data: &[u8], der: bool) -> CryptoResult<Vec<u8>> {
        if scheme == SignatureScheme::EcdsaPrehashed {
            return self.sign_prehashed(data);
        }
        if scheme != self.scheme[0] {
            return Err(wrong_scheme(scheme, "this ECDSA"));
        }
        let fail = |e: p256::ecdsa::Error| CryptoError::Key(format!("ECDSA signing: {e}"));
        // RFC 6979 deterministic nonces; the curve's own hash.
        Ok(match &self.key {
            EcKey::P256(k) => {
                let s: p256::ecdsa::Signature = k.try_sign(data).map_err(fail)?;
                if der {
                    s.to_der().as_bytes().to_vec()
                } else {
                    s.to_bytes().to_vec()
                }
            }
            EcKey::P384(k) => {
                let s: p384::ecdsa::Signature = k.try_sign(data).map_err(fail)?;
                if der {
                    s.to_der().as_bytes().to_vec()
                } else {
                    s.to_bytes().to_vec()
                }
            }
            EcKey::P521(k) => {
                let s: p521::ecdsa::Signature = k.try_sign(data).map_err(fail)?;
                if der {
                    s.to_der().as_bytes().to_vec()
                } else {
                    s.to_bytes().to_vec()
                }
            }
        })
    }
}

impl EcdsaSigner {
    /// ECDSA over `digest` as given (RFC 4754 as IKEv1 uses it), r | s.
    fn sign_prehashed(&self, digest: &[u8]) -> CryptoResult<Vec<u8>> {
        use p256::ecdsa::signature::hazmat::PrehashSigner;
        let fail = |e: p256::ecdsa::Error| CryptoError::Key(format!("ECDSA signing: {e}"));
        Ok(match &self.key {
            EcKey::P256(k) => {
                let s: p256::ecdsa::Signature = k.sign_prehash(digest).map_err(fail)?;
                s.to_bytes().to_vec()
            }
            EcKey::P384(k) => {
                let s: p384::ecdsa::Signature = k.sign_prehash(digest).map_err(fail)?;
                s.to_bytes().to_vec()
            }
            EcKey::P521(k) => {
                let s: p521::ecdsa::Signature = k.sign_prehash(digest).map_err(fail)?;
                s.to_bytes().to_vec()
            }
        })
    }
}

impl fmt::Debug for EcdsaSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EcdsaSigner({:?})", self.scheme[0])
    }
}

impl Signer for EcdsaSigner {
    fn schemes(&self) -> &[SignatureScheme] {
        &self.scheme
    }

    fn sign(&self, scheme: SignatureScheme, data: &[u8]) -> CryptoResult<Vec<u8>> {
        self.sign_both(scheme, data, false)
    }

    fn sign_der(&self, scheme: SignatureScheme, data: &[u8]) -> CryptoResult<Vec<u8>> {
        self.sign_both(scheme, data, true)
    }

    fn public_key_spki(&self) -> Vec<u8> {
        self.spki.clone()
    }
}

// ------------------------------------------------------------ Ed25519

/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4).
const ED25519_SPKI_PREFIX: [u8; 12] = hex("302a300506032b6570032100");

/// An Ed25519 private key (RFC 8420).
pub struct Ed25519Signer {
    key: ed25519_dalek::SigningKey,
}

impl Ed25519Signer {
    /// From the 32-byte private key (RFC 8032 §5.1.5 "secret key").
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Ed25519Signer {
            key: ed25519_dalek::SigningKey::from_bytes(seed),
        }
    }

    /// The 32-byte public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }
}

impl fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ed25519Signer")
    }
}

impl Signer for Ed25519Signer {
    fn schemes(&self) -> &[SignatureScheme] {
        &[SignatureScheme::Ed25519]
    }

    fn sign(&self, scheme: SignatureScheme, data: &[u8]) -> CryptoResult<Vec<u8>> {
        if scheme != SignatureScheme::Ed25519 {
            return Err(wrong_scheme(scheme, "an Ed25519"));
        }
        Ok(self.key.sign(data).to_bytes().to_vec())
    }

    fn public_key_spki(&self) -> Vec<u8> {
        let mut v = ED25519_SPKI_PREFIX.to_vec();
        v.extend_from_slice(&self.public_key());
        v
    }
}

// ------------------------------------------------------- key loading

/// Loads a private key from PEM (`PRIVATE KEY` = PKCS#8, `RSA PRIVATE
/// KEY` = PKCS#1, `EC PRIVATE KEY` = SEC1; other blocks such as `EC
/// PARAMETERS` are skipped) or DER (tried as PKCS#8, PKCS#1, SEC1).
/// Encrypted keys are not supported.
pub fn load_private_key(data: &[u8]) -> CryptoResult<Box<dyn Signer>> {
    if !cert::looks_like_pem(data) {
        return load_private_key_der(data);
    }
    for mut block in cert::pem_blocks(data)? {
        let der = Zeroizing::new(std::mem::take(&mut block.der));
        match block.label.as_str() {
            "PRIVATE KEY" => return load_pkcs8(&der),
            "RSA PRIVATE KEY" => return load_pkcs1(&der),
            "EC PRIVATE KEY" => return load_sec1(&der),
            "ENCRYPTED PRIVATE KEY" => {
                return Err(CryptoError::Key(
                    "encrypted private keys are not supported".into(),
                ))
            }
            _ => continue,
        }
    }
    Err(CryptoError::Key("no private key in PEM input".into()))
}

/// Loads a DER private key: PKCS#8, else PKCS#1 RSA, else SEC1 EC.
pub fn load_private_key_der(der: &[u8]) -> CryptoResult<Box<dyn Signer>> {
    if pkcs8::PrivateKeyInfoRef::from_der(der).is_ok() {
        return load_pkcs8(der);
    }
    if let Ok(s) = load_pkcs1(der) {
        return Ok(s);
    }
    load_sec1(der).map_err(|_| CryptoError::Key("not a PKCS#8, PKCS#1 or SEC1 private key".into()))
}

use rsa::pkcs8;

fn load_pkcs8(der: &[u8]) -> CryptoResult<Box<dyn Signer>> {
    let info = pkcs8::PrivateKeyInfoRef::from_der(der)
        .map_err(|e| CryptoError::Key(format!("PKCS#8: {e}")))?;
    match info.algorithm.oid {
        OID_RSA_ENCRYPTION => {
            let key = rsa::PrivateKey::from_pkcs8_der(der)
                .map_err(|e| CryptoError::Key(format!("RSA PKCS#8: {e}")))?;
            Ok(Box::new(RsaSigner::new(key)?))
        }
        OID_EC_PUBLIC_KEY => {
            let curve: Option<ObjectIdentifier> = info
                .algorithm
                .parameters
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
            let bad = |e: pkcs8::Error| CryptoError::Key(format!("EC PKCS#8: {e}"));
            match curve {
                Some(OID_P256) => Ok(Box::new(EcdsaSigner::from_p256(
                    p256::SecretKey::from_pkcs8_der(der).map_err(bad)?,
                )?)),
                Some(OID_P384) => Ok(Box::new(EcdsaSigner::from_p384(
                    p384::SecretKey::from_pkcs8_der(der).map_err(bad)?,
                )?)),
                Some(OID_P521) => Ok(Box::new(EcdsaSigner::from_p521(
                    p521::SecretKey::from_pkcs8_der(der).map_err(bad)?,
                )?)),
                _ => Err(CryptoError::Key("unsupported EC curve".into())),
            }
        }
        OID_ED25519 => {
            // RFC 8410 §7: privateKey is an OCTET STRING holding the
            // CurvePrivateKey OCTET STRING of 32 bytes.
            let inner = <&OctetStringRef>::from_der(info.private_key.as_bytes())
                .map_err(|e| CryptoError::Key(format!("Ed25519 PKCS#8: {e}")))?;
            let seed: Zeroizing<[u8; 32]> = Zeroizing::new(
                inner
                    .as_bytes()
                    .try_into()
                    .map_err(|_| CryptoError::Key("Ed25519 private key length".into()))?,
            );
            Ok(Box::new(Ed25519Signer::from_seed(&seed)))
        }
        other => Err(CryptoError::Key(format!(
            "unsupported private key algorithm {other}"
        ))),
    }
}

fn load_pkcs1(der: &[u8]) -> CryptoResult<Box<dyn Signer>> {
    let key = rsa::PrivateKey::from_pkcs1_der(der)
        .map_err(|e| CryptoError::Key(format!("RSA PKCS#1: {e}")))?;
    Ok(Box::new(RsaSigner::new(key)?))
}

fn load_sec1(der: &[u8]) -> CryptoResult<Box<dyn Signer>> {
    if let Ok(k) = p256::SecretKey::from_sec1_der(der) {
        return Ok(Box::new(EcdsaSigner::from_p256(k)?));
    }
    if let Ok(k) = p384::SecretKey::from_sec1_der(der) {
        return Ok(Box::new(EcdsaSigner::from_p384(k)?));
    }
    if let Ok(k) = p521::SecretKey::from_sec1_der(der) {
        return Ok(Box::new(EcdsaSigner::from_p521(k)?));
    }
    Err(CryptoError::Key(
        "SEC1: not a P-256, P-384 or P-521 key".into(),
    ))
}

// ------------------------------------------------------- verification

/// A public key decoded from a SubjectPublicKeyInfo.
pub(crate) enum PublicKey {
    Rsa(rsa::PublicKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl PublicKey {
    /// Decodes a DER SubjectPublicKeyInfo: rsaEncryption (or
    /// id-RSASSA-PSS), id-ecPublicKey on P-256/384/521, id-Ed25519.
    pub(crate) fn from_spki(spki: &[u8]) -> CryptoResult<Self> {
        let info = SubjectPublicKeyInfoRef::from_der(spki)
            .map_err(|e| CryptoError::Key(format!("SubjectPublicKeyInfo: {e}")))?;
        let bits = info
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| CryptoError::Key("public key is not whole octets".into()))?;
        match info.algorithm.oid {
            OID_RSA_ENCRYPTION => Ok(PublicKey::Rsa(
                rsa::PublicKey::from_public_key_der(spki)
                    .map_err(|e| CryptoError::Key(format!("RSA public key: {e}")))?,
            )),
            OID_RSASSA_PSS => Ok(PublicKey::Rsa(
                rsa::PublicKey::from_pkcs1_der(bits)
                    .map_err(|e| CryptoError::Key(format!("RSA public key: {e}")))?,
            )),
            OID_EC_PUBLIC_KEY => {
                let curve: Option<ObjectIdentifier> = info
                    .algorithm
                    .parameters
                    .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
                let bad = |_| CryptoError::Key("EC public key is not a curve point".into());
                match curve {
                    Some(OID_P256) => Ok(PublicKey::P256(
                        p256::ecdsa::VerifyingKey::from_sec1_bytes(bits).map_err(bad)?,
                    )),
                    Some(OID_P384) => Ok(PublicKey::P384(
                        p384::ecdsa::VerifyingKey::from_sec1_bytes(bits).map_err(bad)?,
                    )),
                    Some(OID_P521) => Ok(PublicKey::P521(
                        p521::ecdsa::VerifyingKey::from_sec1_bytes(bits).map_err(bad)?,
                    )),
                    _ => Err(CryptoError::Key("unsupported EC curve".into())),
                }
            }
            OID_ED25519 => {
                let b: &[u8; 32] = bits
                    .try_into()
                    .map_err(|_| CryptoError::Key("Ed25519 public key length".into()))?;
                Ok(PublicKey::Ed25519(
                    ed25519_dalek::VerifyingKey::from_bytes(b)
                        .map_err(|_| CryptoError::Key("Ed25519 public key".into()))?,
                ))
            }
            other => Err(CryptoError::Key(format!(
                "unsupported public key algorithm {other}"
            ))),
        }
    }

    /// Verifies; see [`Verifier::verify`] for `der_ecdsa`.
    pub(crate) fn verify(
        &self,
        scheme: SignatureScheme,
        data: &[u8],
        sig: &[u8],
        der_ecdsa: bool,
    ) -> CryptoResult<()> {
        use SignatureScheme as S;
        let bad = |_| CryptoError::BadSignature;
        match self {
            PublicKey::Rsa(k) => {
                let hash = digest_for(scheme, data);
                let h = hash.as_deref().unwrap_or(data);
                match scheme {
                    S::RsaPkcs1Sha1 => k.verify(Pkcs1v15Sign::new::<Sha1>(), h, sig),
                    S::RsaPkcs1Sha256 => k.verify(Pkcs1v15Sign::new::<Sha256>(), h, sig),
                    S::RsaPkcs1Sha384 => k.verify(Pkcs1v15Sign::new::<Sha384>(), h, sig),
                    S::RsaPkcs1Sha512 => k.verify(Pkcs1v15Sign::new::<Sha512>(), h, sig),
                    S::RsaPssSha256 => k.verify(Pss::<Sha256>::new(), h, sig),
                    S::RsaPssSha384 => k.verify(Pss::<Sha384>::new(), h, sig),
                    S::RsaPssSha512 => k.verify(Pss::<Sha512>::new(), h, sig),
                    S::RsaPkcs1Raw => k.verify(Pkcs1v15Sign::new_unprefixed(), data, sig),
                    other => return Err(wrong_scheme(other, "an RSA")),
                }
                .map_err(bad)
            }
            PublicKey::P256(_) | PublicKey::P384(_) | PublicKey::P521(_)
                if scheme == S::EcdsaPrehashed =>
            {
                ecdsa_verify_prehash(self, data, sig, der_ecdsa)
            }
            PublicKey::P256(_) | PublicKey::P384(_) | PublicKey::P521(_) => {
                let own = match self {
                    PublicKey::P256(_) => S::EcdsaP256Sha256,
                    PublicKey::P384(_) => S::EcdsaP384Sha384,
                    _ => S::EcdsaP521Sha512,
                };
                // Methods 9–11 (raw r | s) tie the hash to the curve; in
                // RFC 7427 (DER) the identifier names the hash only.
                let ecdsa = matches!(
                    scheme,
                    S::EcdsaP256Sha256 | S::EcdsaP384Sha384 | S::EcdsaP521Sha512
                );
                if !ecdsa || (!der_ecdsa && scheme != own) {
                    return Err(wrong_scheme(scheme, "this EC"));
                }
                let hash = digest_for(scheme, data).unwrap_or_default();
                ecdsa_verify_prehash(self, &hash, sig, der_ecdsa)
            }
            PublicKey::Ed25519(k) => {
                if scheme != S::Ed25519 {
                    return Err(wrong_scheme(scheme, "an Ed25519"));
                }
                let s = ed25519_dalek::Signature::from_slice(sig)
                    .map_err(|_| CryptoError::BadSignature)?;
                k.verify_strict(data, &s)
                    .map_err(|_| CryptoError::BadSignature)
            }
        }
    }
}

/// ECDSA verification of a precomputed hash, signature raw or DER.
pub(crate) fn ecdsa_verify_prehash(
    key: &PublicKey,
    hash: &[u8],
    sig: &[u8],
    der: bool,
) -> CryptoResult<()> {
    let bad = |_| CryptoError::BadSignature;
    macro_rules! check {
        ($curve:ident, $k:expr) => {{
            let s = if der {
                $curve::ecdsa::Signature::from_der(sig)
            } else {
                $curve::ecdsa::Signature::from_slice(sig)
            }
            .map_err(bad)?;
            $k.verify_prehash(hash, &s).map_err(bad)
        }};
    }
    match key {
        PublicKey::P256(k) => check!(p256, k),
        PublicKey::P384(k) => check!(p384, k),
        PublicKey::P521(k) => check!(p521, k),
        _ => Err(CryptoError::Key("not an EC key".into())),
    }
}

/// Verification with keys given as DER SubjectPublicKeyInfo, on
/// RustCrypto.
///
/// For ECDSA with `der_ecdsa` (RFC 7427) the scheme selects the hash and
/// the key's curve is used whatever it is; without it (methods 9–11) the
/// scheme must match the key's curve.
#[derive(Clone, Copy, Debug, Default)]
pub struct RustCryptoVerifier;

impl Verifier for RustCryptoVerifier {
    fn verify(
        &self,
        spki: &[u8],
        scheme: SignatureScheme,
        data: &[u8],
        sig: &[u8],
        der_ecdsa: bool,
    ) -> CryptoResult<()> {
        PublicKey::from_spki(spki)?.verify(scheme, data, sig, der_ecdsa)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alg_id_seq(v: &[u8]) -> Vec<u8> {
        let mut out = vec![0x30, v.len() as u8];
        out.extend_from_slice(v);
        out
    }

    /// The blobs agree with rustls-pki-types' AlgorithmIdentifier values
    /// (an independent encoding).
    #[test]
    fn algorithm_identifiers_match_pki_types() {
        use rustls_pki_types::alg_id;
        use SignatureScheme as S;
        let pairs = [
            (S::RsaPkcs1Sha256, alg_id::RSA_PKCS1_SHA256),
            (S::RsaPkcs1Sha384, alg_id::RSA_PKCS1_SHA384),
            (S::RsaPkcs1Sha512, alg_id::RSA_PKCS1_SHA512),
            (S::RsaPssSha256, alg_id::RSA_PSS_SHA256),
            (S::RsaPssSha384, alg_id::RSA_PSS_SHA384),
            (S::RsaPssSha512, alg_id::RSA_PSS_SHA512),
            (S::EcdsaP256Sha256, alg_id::ECDSA_SHA256),
            (S::EcdsaP384Sha384, alg_id::ECDSA_SHA384),
            (S::EcdsaP521Sha512, alg_id::ECDSA_SHA512),
            (S::Ed25519, alg_id::ED25519),
        ];
        for (s, a) in pairs {
            let ours = algorithm_identifier(s).unwrap();
            assert_eq!(ours, &alg_id_seq(&a)[..], "{s:?}");
            assert_eq!(scheme_from_algorithm_identifier(ours).unwrap(), s);
        }
        assert_eq!(
            scheme_from_algorithm_identifier(&AI_SHA1_RSA).unwrap(),
            S::RsaPkcs1Sha1
        );
        assert!(algorithm_identifier(S::RsaPkcs1Raw).is_none());
    }

    #[test]
    fn pss_with_trailer_field_and_bad_params() {
        // RFC 7427 A.4.3 style: trailerField [3] INTEGER 1 present.
        let with_trailer = hex::<72>(concat!(
            "304606092a864886f70d01010a3039a00f300d06096086480165030402010500",
            "a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120",
            "a303020101"
        ));
        assert_eq!(
            scheme_from_algorithm_identifier(&with_trailer).unwrap(),
            SignatureScheme::RsaPssSha256
        );
        // Salt 20 with SHA-256: refused.
        let mut salt20 = AI_PSS_SHA256;
        salt20[66] = 0x14;
        assert!(scheme_from_algorithm_identifier(&salt20).is_err());
        // MGF1 with another hash: refused.
        let mut mgf = AI_PSS_SHA256;
        mgf[64 - 2] = 0x02; // MGF1's hash OID last arc 1 → 2 (SHA-384)
        assert!(scheme_from_algorithm_identifier(&mgf).is_err());
        // No parameters: refused.
        assert!(
            scheme_from_algorithm_identifier(&hex::<13>("300b06092a864886f70d01010a")).is_err()
        );
        // Trailing garbage, truncation, empty: errors, not panics.
        let mut long = AI_ECDSA_SHA256.to_vec();
        long.push(0);
        assert!(scheme_from_algorithm_identifier(&long).is_err());
        assert!(scheme_from_algorithm_identifier(&AI_ECDSA_SHA256[..5]).is_err());
        assert!(scheme_from_algorithm_identifier(&[]).is_err());
    }

    #[test]
    fn auth_data_round_trip() {
        let d = encode_auth_signature(SignatureScheme::Ed25519, &[9; 64]).unwrap();
        assert_eq!(d[0], 7);
        let (s, ai, sig) = parse_auth_signature(&d).unwrap();
        assert_eq!(s, SignatureScheme::Ed25519);
        assert_eq!(ai, &AI_ED25519);
        assert_eq!(sig, &[9; 64]);
        assert!(parse_auth_signature(&d[..8]).is_err());
        assert!(parse_auth_signature(&[]).is_err());
        assert!(parse_auth_signature(&[200, 1, 2]).is_err());
        assert!(encode_auth_signature(SignatureScheme::RsaPkcs1Raw, &[1]).is_err());
    }

    #[test]
    fn ed25519_sign_verify_and_spki() {
        let s = Ed25519Signer::from_seed(&[3; 32]);
        let sig = s.sign(SignatureScheme::Ed25519, b"abc").unwrap();
        let spki = s.public_key_spki();
        let v = RustCryptoVerifier;
        v.verify(&spki, SignatureScheme::Ed25519, b"abc", &sig, false)
            .unwrap();
        assert_eq!(
            v.verify(&spki, SignatureScheme::Ed25519, b"abd", &sig, false),
            Err(CryptoError::BadSignature)
        );
        assert_eq!(
            v.verify(&spki, SignatureScheme::Ed25519, b"abc", &sig[..63], false),
            Err(CryptoError::BadSignature)
        );
        assert!(s.sign(SignatureScheme::EcdsaP256Sha256, b"x").is_err());
        assert!(v
            .verify(&spki, SignatureScheme::RsaPkcs1Sha256, b"abc", &sig, false)
            .is_err());
    }

    #[test]
    fn garbage_spki_and_keys_are_errors() {
        let v = RustCryptoVerifier;
        for junk in [
            &[][..],
            &[0x30],
            &[0x30, 0x03, 0x02, 0x01, 0x00],
            &[0xFF; 40],
        ] {
            assert!(v
                .verify(junk, SignatureScheme::Ed25519, b"", &[0; 64], false)
                .is_err());
            assert!(load_private_key(junk).is_err());
        }
        assert!(load_private_key(
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        )
        .is_err());
        assert!(
            load_private_key(b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n").is_err()
        );
    }
}
