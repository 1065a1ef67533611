//! The crypto provider: the traits the protocol code calls, so that a
//! daemon can put an HSM or a FIPS module behind them. [`RustCrypto`] is
//! the default provider.
//!
//! Algorithms are chosen by their IANA numbers (IKEv2 registries; IKEv1
//! attributes are mapped onto them by the key-derivation code).

use core::fmt;

use super::secret::Secret;
use crate::wire::registry::{EncrId, IntegId, KeMethod, PrfId};

/// Why a crypto operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CryptoError {
    /// The provider does not implement this algorithm (kind, IANA number).
    Unsupported(&'static str, u16),
    /// A key of the wrong length.
    KeyLength {
        /// Expected length in bytes.
        expected: usize,
        /// Length given.
        got: usize,
    },
    /// Input of a length the algorithm cannot take (not a block multiple,
    /// shorter than the IV and ICV, …).
    InputLength(&'static str),
    /// An integrity check value or AEAD tag did not verify.
    Integrity,
    /// A peer's public value is invalid (out of range, not on the curve,
    /// all-zero shared secret …; RFC 6989).
    InvalidPublicValue(&'static str),
    /// A signature did not verify.
    BadSignature,
    /// A key, certificate or signature could not be decoded or used.
    Key(String),
    /// A certificate chain did not validate.
    Certificate(String),
    /// The random number generator failed.
    Rng,
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CryptoError::Unsupported(kind, id) => write!(f, "unsupported {kind} {id}"),
            CryptoError::KeyLength { expected, got } => {
                write!(f, "key of {got} bytes where {expected} are needed")
            }
            CryptoError::InputLength(what) => write!(f, "invalid input length: {what}"),
            CryptoError::Integrity => write!(f, "integrity check failed"),
            CryptoError::InvalidPublicValue(why) => write!(f, "invalid public value: {why}"),
            CryptoError::BadSignature => write!(f, "signature does not verify"),
            CryptoError::Key(why) => write!(f, "key error: {why}"),
            CryptoError::Certificate(why) => write!(f, "certificate error: {why}"),
            CryptoError::Rng => write!(f, "random number generator failed"),
        }
    }
}

impl std::error::Error for CryptoError {}

/// Result of a crypto operation.
pub type CryptoResult<T> = Result<T, CryptoError>;

/// A pseudorandom function (RFC 7296 §2.13; IKEv1: the negotiated hash in
/// HMAC mode, RFC 2409 §5).
pub trait Prf: Send + Sync {
    /// IANA PRF ID.
    fn id(&self) -> PrfId;
    /// Output length in bytes.
    fn output_len(&self) -> usize;
    /// The key length the algorithm prefers (the output length for HMAC,
    /// 16 for AES-XCBC/CMAC); used for SK_d, SK_pi, SK_pr.
    fn key_len(&self) -> usize;
    /// prf(key, data[0] | data[1] | …).
    fn compute(&self, key: &[u8], data: &[&[u8]]) -> CryptoResult<Secret>;
}

/// An integrity algorithm (RFC 7296 §3.3.2 type 3).
pub trait Integrity: Send + Sync {
    /// IANA INTEG ID.
    fn id(&self) -> IntegId;
    /// Key length in bytes.
    fn key_len(&self) -> usize;
    /// Length of the (truncated) ICV in bytes.
    fn icv_len(&self) -> usize;
    /// The ICV of data[0] | data[1] | ….
    fn compute(&self, key: &[u8], data: &[&[u8]]) -> CryptoResult<Vec<u8>>;
    /// Checks `icv` in constant time.
    fn verify(&self, key: &[u8], data: &[&[u8]], icv: &[u8]) -> CryptoResult<()> {
        let want = self.compute(key, data)?;
        if super::secret::ct_eq(&want, icv) {
            Ok(())
        } else {
            Err(CryptoError::Integrity)
        }
    }
}

/// An encryption algorithm, plain or AEAD (RFC 7296 §3.3.2 type 1,
/// RFC 5282, RFC 7634).
pub trait Encryption: Send + Sync {
    /// IANA ENCR ID.
    fn id(&self) -> EncrId;
    /// Key length in bytes as used on the keying material: the cipher key
    /// plus the salt of AES-CTR (4), AES-GCM (4), AES-CCM (3) and
    /// ChaCha20-Poly1305 (4).
    fn key_len(&self) -> usize;
    /// Length of the IV carried in each message.
    fn iv_len(&self) -> usize;
    /// The length the plaintext (with padding) must be a multiple of.
    fn block_len(&self) -> usize;
    /// Length of the AEAD tag appended to the ciphertext; 0 for non-AEAD.
    fn icv_len(&self) -> usize;
    /// Is this an AEAD (no separate integrity algorithm)?
    fn is_aead(&self) -> bool {
        self.icv_len() > 0
    }
    /// Encrypts `plaintext` (already padded to `block_len`) with `key` and
    /// the wire `iv`; for AEAD, authenticates `aad` too and appends the tag.
    fn encrypt(&self, key: &[u8], iv: &[u8], aad: &[u8], plaintext: &[u8])
        -> CryptoResult<Vec<u8>>;
    /// Decrypts `ciphertext` (with the tag at its end for AEAD, verified
    /// against `aad`); returns the padded plaintext.
    fn decrypt(&self, key: &[u8], iv: &[u8], aad: &[u8], ciphertext: &[u8])
        -> CryptoResult<Secret>;
}

/// One side of a key exchange in progress (Diffie-Hellman, ECDH, KEM).
pub trait KeyExchange: Send {
    /// The method.
    fn method(&self) -> KeMethod;
    /// The value to send in the KE payload (MODP: padded to the prime's
    /// length; ECP: x | y without the 0x04 prefix, RFC 5903 §7; KEM: the
    /// encapsulation key).
    fn public_value(&self) -> &[u8];
    /// Completes the exchange with the peer's value (validated first,
    /// RFC 6989) and returns the shared secret; for a KEM, the peer's value
    /// is the ciphertext.
    fn complete(self: Box<Self>, peer: &[u8]) -> CryptoResult<Secret>;
}

/// A source of randomness.
pub trait Random: Send {
    /// Fills `out` with random bytes.
    fn fill(&mut self, out: &mut [u8]) -> CryptoResult<()>;
}

/// A signature scheme as used in IKE authentication (RFC 7296 §3.8,
/// RFC 7427, RFC 8420; IKEv1 RFC 2409 §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureScheme {
    /// RSASSA-PKCS1-v1_5 with a DigestInfo over SHA-1 (IKEv2 auth method 1).
    RsaPkcs1Sha1,
    /// RSASSA-PKCS1-v1_5, SHA-256 (RFC 7427).
    RsaPkcs1Sha256,
    /// RSASSA-PKCS1-v1_5, SHA-384.
    RsaPkcs1Sha384,
    /// RSASSA-PKCS1-v1_5, SHA-512.
    RsaPkcs1Sha512,
    /// RSASSA-PSS, SHA-256 (MGF1 SHA-256, salt 32).
    RsaPssSha256,
    /// RSASSA-PSS, SHA-384.
    RsaPssSha384,
    /// RSASSA-PSS, SHA-512.
    RsaPssSha512,
    /// IKEv1 RSA signature: PKCS#1 v1.5 type 1 padding over the raw hash
    /// (no DigestInfo), RFC 2409 §5.1.
    RsaPkcs1Raw,
    /// ECDSA P-256 with SHA-256 (auth method 9 / RFC 7427).
    EcdsaP256Sha256,
    /// ECDSA P-384 with SHA-384 (auth method 10).
    EcdsaP384Sha384,
    /// ECDSA P-521 with SHA-512 (auth method 11).
    EcdsaP521Sha512,
    /// Ed25519 (RFC 8420, "Identity" hash).
    Ed25519,
    /// ECDSA on the key's curve over data that already is the digest (no
    /// further hashing), r | s (RFC 4754 §7): how IKEv1 signs HASH_I and
    /// HASH_R with methods 9 to 11 (RFC 2409 §5.1).
    EcdsaPrehashed,
}

/// A private key that signs.
pub trait Signer: Send + Sync {
    /// The schemes this key can produce.
    fn schemes(&self) -> &[SignatureScheme];
    /// Signs `data` (the whole octets; hashing is part of the scheme).
    /// Raw IEEE P1363 (r | s) for ECDSA methods 9–11; DER for ECDSA in
    /// RFC 7427 signatures is produced by [`Signer::sign_der`].
    fn sign(&self, scheme: SignatureScheme, data: &[u8]) -> CryptoResult<Vec<u8>>;
    /// As `sign`, but ECDSA signatures DER-encoded (RFC 7427 §3); other
    /// schemes are the same as `sign`.
    fn sign_der(&self, scheme: SignatureScheme, data: &[u8]) -> CryptoResult<Vec<u8>> {
        self.sign(scheme, data)
    }
    /// The public key as a DER SubjectPublicKeyInfo.
    fn public_key_spki(&self) -> Vec<u8>;
}

/// Verification of signatures with a public key.
pub trait Verifier: Send + Sync {
    /// Verifies `sig` over `data` with the public key `spki` (DER
    /// SubjectPublicKeyInfo). `der_ecdsa` selects DER (RFC 7427) rather
    /// than raw r | s encoding for ECDSA.
    fn verify(
        &self,
        spki: &[u8],
        scheme: SignatureScheme,
        data: &[u8],
        sig: &[u8],
        der_ecdsa: bool,
    ) -> CryptoResult<()>;
}

/// The algorithms of a provider, looked up by IANA number.
pub trait CryptoProvider: Send + Sync {
    /// A PRF.
    fn prf(&self, id: PrfId) -> CryptoResult<Box<dyn Prf>>;
    /// An integrity algorithm.
    fn integrity(&self, id: IntegId) -> CryptoResult<Box<dyn Integrity>>;
    /// An encryption algorithm; `key_bits` is the Key Length attribute
    /// (required for AES and Camellia variants, absent otherwise).
    fn encryption(&self, id: EncrId, key_bits: Option<u16>) -> CryptoResult<Box<dyn Encryption>>;
    /// Starts a key exchange: generates a private value and its public
    /// value (for a KEM: a key pair; the initiator's side).
    fn key_exchange(
        &self,
        method: KeMethod,
        rng: &mut dyn Random,
    ) -> CryptoResult<Box<dyn KeyExchange>>;
    /// The responder's side: for Diffie-Hellman the same as
    /// [`CryptoProvider::key_exchange`] followed by `complete(peer)`; for a
    /// KEM, encapsulation to the peer's key. Returns (value to send, shared
    /// secret).
    fn key_exchange_respond(
        &self,
        method: KeMethod,
        peer: &[u8],
        rng: &mut dyn Random,
    ) -> CryptoResult<(Vec<u8>, Secret)> {
        let ke = self.key_exchange(method, rng)?;
        let public = ke.public_value().to_vec();
        Ok((public, ke.complete(peer)?))
    }
    /// A signature verifier.
    fn verifier(&self) -> &dyn Verifier;
}
