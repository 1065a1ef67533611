//! X.509 certificates for IKE: PEM decoding, the fields IKE needs
//! (subject DN for ID_DER_ASN1_DN, SubjectPublicKeyInfo for AUTH, the
//! SHA-1 of the SubjectPublicKeyInfo for CERTREQ, RFC 7296 §3.7;
//! subjectAltNames for ID_FQDN / ID_RFC822_ADDR / ID_IPV4_ADDR /
//! ID_IPV6_ADDR), and chain validation with rustls-webpki on
//! RustCrypto signature verification ([`SIGNATURE_ALGORITHMS`]).
//!
//! Everything here takes untrusted bytes: failures are
//! [`CryptoError::Certificate`] (or [`CryptoError::Key`] for PEM), never
//! panics.

use core::fmt;
use std::net::IpAddr;
use std::time::Duration;

use rustls_pki_types::{
    alg_id, AlgorithmIdentifier, CertificateDer, InvalidSignature, SignatureVerificationAlgorithm,
    UnixTime,
};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};
use webpki::{ExtendedKeyUsageValidator, KeyPurposeId, KeyPurposeIdIter, KeyUsage};
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::Certificate;
use zeroize::Zeroize;

use super::provider::{CryptoError, CryptoResult};
use super::sign::{ecdsa_verify_prehash, PublicKey};

// ----------------------------------------------------------------- PEM

/// One PEM block: its label (`CERTIFICATE`, `PRIVATE KEY`, …) and the
/// decoded DER.
#[derive(Clone, PartialEq, Eq)]
pub struct PemBlock {
    /// The label between `-----BEGIN ` and `-----`.
    pub label: String,
    /// The decoded contents.
    pub der: Vec<u8>,
}

impl Drop for PemBlock {
    // Blocks may hold private keys.
    fn drop(&mut self) {
        self.der.zeroize();
    }
}

impl fmt::Debug for PemBlock {
    // Blocks may hold private keys: print only the label and length.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PemBlock({}, {} bytes)", self.label, self.der.len())
    }
}

/// Does `data` look like PEM text (a `-----BEGIN ` line, possibly after
/// whitespace)?
pub fn looks_like_pem(data: &[u8]) -> bool {
    let start = data
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(data.len());
    data.get(start..)
        .is_some_and(|rest| rest.starts_with(b"-----BEGIN "))
}

/// Every PEM block in `data`, in order (RFC 7468; text outside blocks is
/// ignored, as OpenSSL does).
pub fn pem_blocks(data: &[u8]) -> CryptoResult<Vec<PemBlock>> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    const END: &[u8] = b"-----END ";
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(off) = find(&data[at..], BEGIN) {
        let start = at + off;
        let end_marker = find(&data[start..], END)
            .map(|o| start + o)
            .ok_or_else(|| CryptoError::Key("PEM block without END line".into()))?;
        // The END line runs to its closing "-----" and the line break.
        let after = end_marker + END.len();
        let close = find(&data[after..], b"-----")
            .map(|o| after + o + 5)
            .ok_or_else(|| CryptoError::Key("PEM END line not closed".into()))?;
        let mut stop = close;
        while let Some(&b) = data.get(stop) {
            if b == b'\r' || b == b'\n' {
                stop += 1;
                if b == b'\n' {
                    break;
                }
            } else {
                break;
            }
        }
        let block = &data[start..stop];
        let (label, der) = x509_cert::der::pem::decode_vec(block)
            .map_err(|e| CryptoError::Key(format!("PEM: {e}")))?;
        out.push(PemBlock {
            label: label.to_string(),
            der,
        });
        at = stop;
    }
    Ok(out)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The DER of every `CERTIFICATE` block in `pem`.
pub fn pem_certificates(pem: &[u8]) -> CryptoResult<Vec<Vec<u8>>> {
    let certs: Vec<Vec<u8>> = pem_blocks(pem)?
        .into_iter()
        .filter(|b| b.label == "CERTIFICATE")
        .map(|mut b| std::mem::take(&mut b.der))
        .collect();
    if certs.is_empty() {
        return Err(CryptoError::Certificate(
            "no CERTIFICATE in PEM input".into(),
        ));
    }
    Ok(certs)
}

/// DER from either DER or PEM input: PEM's first `CERTIFICATE` block, or
/// the input itself when it is not PEM.
pub fn certificate_der(data: &[u8]) -> CryptoResult<Vec<u8>> {
    if looks_like_pem(data) {
        pem_certificates(data)?
            .into_iter()
            .next()
            .ok_or_else(|| CryptoError::Certificate("no CERTIFICATE in PEM input".into()))
    } else {
        Ok(data.to_vec())
    }
}

// --------------------------------------------------------------- fields

/// A subjectAltName IKE can use as an identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AltName {
    /// dNSName (ID_FQDN).
    Dns(String),
    /// rfc822Name (ID_RFC822_ADDR).
    Email(String),
    /// iPAddress (ID_IPV4_ADDR / ID_IPV6_ADDR).
    Ip(IpAddr),
}

/// The fields of a certificate that IKE uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject Name, DER (the value of an ID_DER_ASN1_DN identity).
    pub subject_dn: Vec<u8>,
    /// Issuer Name, DER.
    pub issuer_dn: Vec<u8>,
    /// SubjectPublicKeyInfo, DER (what AUTH signatures verify against).
    pub spki: Vec<u8>,
    /// SHA-1 of the SubjectPublicKeyInfo: this certificate's entry in a
    /// CERTREQ when it is a CA (RFC 7296 §3.7).
    pub spki_sha1: [u8; 20],
    /// subjectAltNames of the kinds above, in certificate order (others
    /// are skipped).
    pub alt_names: Vec<AltName>,
    /// notBefore, seconds since the Unix epoch.
    pub not_before: u64,
    /// notAfter, seconds since the Unix epoch.
    pub not_after: u64,
    /// SHA-1 of the whole certificate (IKEv2 "Hash and URL" of X.509).
    pub sha1: [u8; 20],
}

/// SHA-1 of a DER SubjectPublicKeyInfo (RFC 7296 §3.7 CERTREQ).
pub fn spki_sha1(spki_der: &[u8]) -> [u8; 20] {
    Sha1::digest(spki_der).into()
}

/// Parses a DER X.509 certificate.
pub fn parse_certificate(der: &[u8]) -> CryptoResult<CertInfo> {
    let bad =
        |what: &str, e: x509_cert::der::Error| CryptoError::Certificate(format!("{what}: {e}"));
    let cert = Certificate::from_der(der).map_err(|e| bad("certificate", e))?;
    let tbs = cert.tbs_certificate();
    let subject_dn = tbs.subject().to_der().map_err(|e| bad("subject", e))?;
    let issuer_dn = tbs.issuer().to_der().map_err(|e| bad("issuer", e))?;
    let spki = tbs
        .subject_public_key_info()
        .to_der()
        .map_err(|e| bad("subjectPublicKeyInfo", e))?;
    let mut alt_names = Vec::new();
    match tbs.get_extension::<SubjectAltName>() {
        Ok(Some((_, san))) => {
            for name in san.0 {
                match name {
                    GeneralName::DnsName(s) => alt_names.push(AltName::Dns(s.to_string())),
                    GeneralName::Rfc822Name(s) => alt_names.push(AltName::Email(s.to_string())),
                    GeneralName::IpAddress(o) => match o.as_bytes().len() {
                        4 => {
                            let mut b = [0u8; 4];
                            b.copy_from_slice(o.as_bytes());
                            alt_names.push(AltName::Ip(IpAddr::from(b)));
                        }
                        16 => {
                            let mut b = [0u8; 16];
                            b.copy_from_slice(o.as_bytes());
                            alt_names.push(AltName::Ip(IpAddr::from(b)));
                        }
                        _ => {}
                    },
                    _ => {}
                }
            }
        }
        Ok(None) => {}
        Err(e) => return Err(bad("subjectAltName", e)),
    }
    let validity = tbs.validity();
    Ok(CertInfo {
        subject_dn,
        issuer_dn,
        spki_sha1: spki_sha1(&spki),
        spki,
        alt_names,
        not_before: validity.not_before.to_unix_duration().as_secs(),
        not_after: validity.not_after.to_unix_duration().as_secs(),
        sha1: Sha1::digest(der).into(),
    })
}

// ----------------------------------------------------- chain validation

/// id-kp-ipsecIKE, 1.3.6.1.5.5.7.3.17 (RFC 4945 §5.1.3.12), OID value.
pub const EKU_IPSEC_IKE: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x11];
/// id-kp-serverAuth, 1.3.6.1.5.5.7.3.1.
pub const EKU_SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
/// id-kp-clientAuth, 1.3.6.1.5.5.7.3.2.
pub const EKU_CLIENT_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];
/// anyExtendedKeyUsage, 2.5.29.37.0.
pub const EKU_ANY: &[u8] = &[0x55, 0x1d, 0x25, 0x00];

/// Which Extended Key Usage the end-entity certificate must allow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EkuPolicy {
    /// No EKU extension, or one listing id-kp-ipsecIKE,
    /// anyExtendedKeyUsage, serverAuth or clientAuth (what deployed IKE
    /// certificates carry; RFC 4945 §5.1.3.12 practice).
    #[default]
    Ike,
    /// No EKU extension, or one listing id-kp-ipsecIKE
    /// (`KeyUsage::required_if_present(id-kp-ipsecIKE)`).
    IpsecIke,
    /// No EKU extension, or one listing serverAuth.
    ServerAuth,
    /// The EKU extension is not looked at.
    Any,
}

impl ExtendedKeyUsageValidator for EkuPolicy {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        let allowed: &[&[u8]] = match self {
            EkuPolicy::Ike => &[EKU_IPSEC_IKE, EKU_ANY, EKU_SERVER_AUTH, EKU_CLIENT_AUTH],
            EkuPolicy::IpsecIke => {
                return KeyUsage::required_if_present(EKU_IPSEC_IKE).validate(iter)
            }
            EkuPolicy::ServerAuth => return KeyUsage::server_auth().validate(iter),
            EkuPolicy::Any => {
                // Still reject a malformed extension.
                for id in iter {
                    id?;
                }
                return Ok(());
            }
        };
        let mut present = Vec::new();
        for id in iter {
            let id = id?;
            if allowed.iter().any(|a| KeyPurposeId::new(a) == id) {
                return Ok(());
            }
            present.push(id.to_decoded_oid());
        }
        if present.is_empty() {
            Ok(())
        } else {
            Err(webpki::Error::RequiredEkuNotFoundContext(
                webpki::RequiredEkuNotFoundContext {
                    required: KeyUsage::required(EKU_IPSEC_IKE),
                    present,
                },
            ))
        }
    }
}

/// Validates `end_entity` (DER) up to one of `trusted` (DER CA
/// certificates, the trust anchors) through any of `intermediates`, at
/// `unix_time` (seconds), with rustls-webpki's RFC 5280 path building and
/// the RustCrypto [`SIGNATURE_ALGORITHMS`]. Revocation is not checked.
pub fn verify_chain(
    end_entity: &[u8],
    intermediates: &[&[u8]],
    trusted: &[&[u8]],
    unix_time: u64,
    eku: EkuPolicy,
) -> CryptoResult<()> {
    let fail = |what: &str, e: webpki::Error| CryptoError::Certificate(format!("{what}: {e}"));
    let anchor_ders: Vec<CertificateDer<'_>> =
        trusted.iter().map(|d| CertificateDer::from(*d)).collect();
    let mut anchors = Vec::with_capacity(anchor_ders.len());
    for (i, d) in anchor_ders.iter().enumerate() {
        anchors.push(
            webpki::anchor_from_trusted_cert(d)
                .map_err(|e| fail(&format!("trusted certificate {i}"), e))?,
        );
    }
    if anchors.is_empty() {
        return Err(CryptoError::Certificate("no trusted certificates".into()));
    }
    let inter: Vec<CertificateDer<'_>> = intermediates
        .iter()
        .map(|d| CertificateDer::from(*d))
        .collect();
    let ee_der = CertificateDer::from(end_entity);
    let ee = webpki::EndEntityCert::try_from(&ee_der).map_err(|e| fail("end-entity", e))?;
    let time = UnixTime::since_unix_epoch(Duration::from_secs(unix_time));
    ee.verify_for_usage(
        SIGNATURE_ALGORITHMS,
        &anchors,
        &inter,
        time,
        eku,
        None,
        None,
    )
    .map(|_| ())
    .map_err(|e| fail("chain", e))
}

// ------------------------------------ webpki signature algorithms

#[derive(Clone, Copy, Debug)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn digest(self, m: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => Sha256::digest(m).to_vec(),
            Hash::Sha384 => Sha384::digest(m).to_vec(),
            Hash::Sha512 => Sha512::digest(m).to_vec(),
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Curve {
    P256,
    P384,
    P521,
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    RsaPkcs1(Hash),
    RsaPss(Hash),
    Ecdsa(Curve, Hash),
    Ed25519,
}

/// A rustls-webpki signature algorithm implemented on RustCrypto.
#[derive(Debug)]
pub struct RustCryptoSigAlg {
    kind: Kind,
    public_key_alg_id: AlgorithmIdentifier,
    signature_alg_id: AlgorithmIdentifier,
}

/// Minimum RSA modulus for certificate signatures, in bytes (2048 bits).
const MIN_RSA_BYTES: usize = 256;

impl SignatureVerificationAlgorithm for RustCryptoSigAlg {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        use rsa::pkcs1::DecodeRsaPublicKey;
        use rsa::traits::PublicKeyParts;
        use rsa::{Pkcs1v15Sign, Pss};
        match self.kind {
            Kind::RsaPkcs1(h) | Kind::RsaPss(h) => {
                let k = rsa::PublicKey::from_pkcs1_der(public_key).map_err(|_| InvalidSignature)?;
                if k.size() < MIN_RSA_BYTES {
                    return Err(InvalidSignature);
                }
                let d = h.digest(message);
                let r = match (self.kind, h) {
                    (Kind::RsaPkcs1(_), Hash::Sha256) => {
                        k.verify(Pkcs1v15Sign::new::<Sha256>(), &d, signature)
                    }
                    (Kind::RsaPkcs1(_), Hash::Sha384) => {
                        k.verify(Pkcs1v15Sign::new::<Sha384>(), &d, signature)
                    }
                    (Kind::RsaPkcs1(_), Hash::Sha512) => {
                        k.verify(Pkcs1v15Sign::new::<Sha512>(), &d, signature)
                    }
                    (_, Hash::Sha256) => k.verify(Pss::<Sha256>::new(), &d, signature),
                    (_, Hash::Sha384) => k.verify(Pss::<Sha384>::new(), &d, signature),
                    (_, Hash::Sha512) => k.verify(Pss::<Sha512>::new(), &d, signature),
                };
                r.map_err(|_| InvalidSignature)
            }
            Kind::Ecdsa(c, h) => {
                let key =
                    match c {
                        Curve::P256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(public_key)
                            .map(PublicKey::P256),
                        Curve::P384 => p384::ecdsa::VerifyingKey::from_sec1_bytes(public_key)
                            .map(PublicKey::P384),
                        Curve::P521 => p521::ecdsa::VerifyingKey::from_sec1_bytes(public_key)
                            .map(PublicKey::P521),
                    }
                    .map_err(|_| InvalidSignature)?;
                ecdsa_verify_prehash(&key, &h.digest(message), signature, true)
                    .map_err(|_| InvalidSignature)
            }
            Kind::Ed25519 => {
                let b: &[u8; 32] = public_key.try_into().map_err(|_| InvalidSignature)?;
                let k = ed25519_dalek::VerifyingKey::from_bytes(b).map_err(|_| InvalidSignature)?;
                let s = ed25519_dalek::Signature::from_slice(signature)
                    .map_err(|_| InvalidSignature)?;
                k.verify_strict(message, &s).map_err(|_| InvalidSignature)
            }
        }
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.public_key_alg_id
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.signature_alg_id
    }
}

macro_rules! alg {
    ($name:ident, $kind:expr, $pk:expr, $sig:expr, $doc:literal) => {
        #[doc = $doc]
        pub static $name: RustCryptoSigAlg = RustCryptoSigAlg {
            kind: $kind,
            public_key_alg_id: $pk,
            signature_alg_id: $sig,
        };
    };
}

alg!(
    RSA_PKCS1_SHA256,
    Kind::RsaPkcs1(Hash::Sha256),
    alg_id::RSA_ENCRYPTION,
    alg_id::RSA_PKCS1_SHA256,
    "RSA PKCS#1 v1.5 with SHA-256 (2048–8192-bit keys)."
);
alg!(
    RSA_PKCS1_SHA384,
    Kind::RsaPkcs1(Hash::Sha384),
    alg_id::RSA_ENCRYPTION,
    alg_id::RSA_PKCS1_SHA384,
    "RSA PKCS#1 v1.5 with SHA-384."
);
alg!(
    RSA_PKCS1_SHA512,
    Kind::RsaPkcs1(Hash::Sha512),
    alg_id::RSA_ENCRYPTION,
    alg_id::RSA_PKCS1_SHA512,
    "RSA PKCS#1 v1.5 with SHA-512."
);
alg!(
    RSA_PSS_SHA256,
    Kind::RsaPss(Hash::Sha256),
    alg_id::RSA_ENCRYPTION,
    alg_id::RSA_PSS_SHA256,
    "RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32 (rsaEncryption keys)."
);
alg!(
    RSA_PSS_SHA384,
    Kind::RsaPss(Hash::Sha384),
    alg_id::RSA_ENCRYPTION,
    alg_id::RSA_PSS_SHA384,
    "RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48."
);
alg!(
    RSA_PSS_SHA512,
    Kind::RsaPss(Hash::Sha512),
    alg_id::RSA_ENCRYPTION,
    alg_id::RSA_PSS_SHA512,
    "RSASSA-PSS, SHA-512, MGF1-SHA-512, salt 64."
);
alg!(
    ECDSA_P256_SHA256,
    Kind::Ecdsa(Curve::P256, Hash::Sha256),
    alg_id::ECDSA_P256,
    alg_id::ECDSA_SHA256,
    "ECDSA P-256 with SHA-256."
);
alg!(
    ECDSA_P256_SHA384,
    Kind::Ecdsa(Curve::P256, Hash::Sha384),
    alg_id::ECDSA_P256,
    alg_id::ECDSA_SHA384,
    "ECDSA P-256 with SHA-384."
);
alg!(
    ECDSA_P384_SHA256,
    Kind::Ecdsa(Curve::P384, Hash::Sha256),
    alg_id::ECDSA_P384,
    alg_id::ECDSA_SHA256,
    "ECDSA P-384 with SHA-256."
);
alg!(
    ECDSA_P384_SHA384,
    Kind::Ecdsa(Curve::P384, Hash::Sha384),
    alg_id::ECDSA_P384,
    alg_id::ECDSA_SHA384,
    "ECDSA P-384 with SHA-384."
);
alg!(
    ECDSA_P521_SHA256,
    Kind::Ecdsa(Curve::P521, Hash::Sha256),
    alg_id::ECDSA_P521,
    alg_id::ECDSA_SHA256,
    "ECDSA P-521 with SHA-256."
);
alg!(
    ECDSA_P521_SHA384,
    Kind::Ecdsa(Curve::P521, Hash::Sha384),
    alg_id::ECDSA_P521,
    alg_id::ECDSA_SHA384,
    "ECDSA P-521 with SHA-384."
);
alg!(
    ECDSA_P521_SHA512,
    Kind::Ecdsa(Curve::P521, Hash::Sha512),
    alg_id::ECDSA_P521,
    alg_id::ECDSA_SHA512,
    "ECDSA P-521 with SHA-512."
);
alg!(
    ED25519,
    Kind::Ed25519,
    alg_id::ED25519,
    alg_id::ED25519,
    "Ed25519."
);

/// Every signature algorithm [`verify_chain`] accepts in certificates.
pub static SIGNATURE_ALGORITHMS: &[&dyn SignatureVerificationAlgorithm] = &[
    &ECDSA_P256_SHA256,
    &ECDSA_P256_SHA384,
    &ECDSA_P384_SHA256,
    &ECDSA_P384_SHA384,
    &ECDSA_P521_SHA256,
    &ECDSA_P521_SHA384,
    &ECDSA_P521_SHA512,
    &ED25519,
    &RSA_PKCS1_SHA256,
    &RSA_PKCS1_SHA384,
    &RSA_PKCS1_SHA512,
    &RSA_PSS_SHA256,
    &RSA_PSS_SHA384,
    &RSA_PSS_SHA512,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_handle_noise_and_errors() {
        let text = b"junk\n-----BEGIN FOO-----\nAQID\n-----END FOO-----\ntext\r\n-----BEGIN BAR-----\r\nBQU=\r\n-----END BAR-----\r\n";
        let b = pem_blocks(text).unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].label, "FOO");
        assert_eq!(b[0].der, [1, 2, 3]);
        assert_eq!(b[1].label, "BAR");
        assert_eq!(b[1].der, [5, 5]);
        assert!(format!("{:?}", b[0]).contains("3 bytes"));
        assert!(pem_blocks(b"-----BEGIN X-----\nAAAA\n").is_err());
        assert!(pem_blocks(b"-----BEGIN X-----\nAAAA\n-----END X").is_err());
        assert!(pem_blocks(b"-----BEGIN X-----\n!!!!\n-----END X-----\n").is_err());
        assert!(pem_blocks(b"nothing").unwrap().is_empty());
        assert!(pem_certificates(b"nothing").is_err());
        assert!(looks_like_pem(b"  \n-----BEGIN X-----"));
        assert!(!looks_like_pem(b"\x30\x82"));
        assert!(!looks_like_pem(b""));
    }

    #[test]
    fn garbage_certificates_are_errors() {
        for junk in [
            &[][..],
            &[0x30],
            &[0x30, 0x00],
            &[0x30, 0x82, 0xff, 0xff, 0x00],
            &[0xAA; 100],
        ] {
            assert!(matches!(
                parse_certificate(junk),
                Err(CryptoError::Certificate(_))
            ));
            assert!(matches!(
                verify_chain(junk, &[junk], &[junk], 0, EkuPolicy::Ike),
                Err(CryptoError::Certificate(_))
            ));
        }
        assert!(verify_chain(&[0x30], &[], &[], 0, EkuPolicy::Ike).is_err());
    }

    #[test]
    fn garbage_keys_fail_webpki_algorithms() {
        for alg in SIGNATURE_ALGORITHMS {
            assert!(alg.verify_signature(&[], b"m", &[]).is_err());
            assert!(alg
                .verify_signature(&[0x04; 65], b"m", &[0x30; 70])
                .is_err());
            assert!(!alg.fips());
        }
    }
}
