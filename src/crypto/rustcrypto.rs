//! The default [`CryptoProvider`]: every algorithm on RustCrypto crates
//! (with rustls-webpki for certificate paths, see [`super::cert`]).

use super::encr::Cipher;
use super::ke;
use super::mac::{MacIntegrity, MacPrf};
use super::provider::{
    CryptoProvider, CryptoResult, Encryption, Integrity, KeyExchange, Prf, Random, Verifier,
};
use super::secret::Secret;
use super::sign::RustCryptoVerifier;
use crate::wire::registry::{EncrId, IntegId, KeMethod, PrfId};

/// The RustCrypto provider. Stateless; `RustCrypto::default()` or
/// `RustCrypto` itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct RustCrypto;

impl RustCrypto {
    /// The provider.
    pub fn new() -> Self {
        RustCrypto
    }
}

static VERIFIER: RustCryptoVerifier = RustCryptoVerifier;

impl CryptoProvider for RustCrypto {
    fn prf(&self, id: PrfId) -> CryptoResult<Box<dyn Prf>> {
        Ok(Box::new(MacPrf::new(id)?))
    }

    fn integrity(&self, id: IntegId) -> CryptoResult<Box<dyn Integrity>> {
        Ok(Box::new(MacIntegrity::new(id)?))
    }

    fn encryption(&self, id: EncrId, key_bits: Option<u16>) -> CryptoResult<Box<dyn Encryption>> {
        Ok(Box::new(Cipher::new(id, key_bits)?))
    }

    fn key_exchange(
        &self,
        method: KeMethod,
        rng: &mut dyn Random,
    ) -> CryptoResult<Box<dyn KeyExchange>> {
        ke::start(method, rng)
    }

    fn key_exchange_respond(
        &self,
        method: KeMethod,
        peer: &[u8],
        rng: &mut dyn Random,
    ) -> CryptoResult<(Vec<u8>, Secret)> {
        // Diffie-Hellman: a fresh private value combined with the peer's;
        // KEM: encapsulation to the peer's key.
        ke::respond(method, peer, rng)
    }

    fn verifier(&self) -> &dyn Verifier {
        &VERIFIER
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::rng::SeededRandom;
    use crate::crypto::CryptoError;

    #[test]
    fn provider_dispatches() {
        let p = RustCrypto::new();
        assert_eq!(p.prf(PrfId::HMAC_SHA2_256).unwrap().output_len(), 32);
        assert_eq!(
            p.integrity(IntegId::HMAC_SHA2_256_128).unwrap().icv_len(),
            16
        );
        assert_eq!(
            p.encryption(EncrId::AES_GCM_16, Some(256))
                .unwrap()
                .icv_len(),
            16
        );
        let mut rng = SeededRandom::from_seed([1; 32]);
        for m in [
            KeMethod::CURVE25519,
            KeMethod::CURVE448,
            KeMethod::ML_KEM_768,
        ] {
            let a = p.key_exchange(m, &mut rng).unwrap();
            let (b_pub, b) = p
                .key_exchange_respond(m, a.public_value(), &mut rng)
                .unwrap();
            if m == KeMethod::ML_KEM_768 {
                // The responder sent a ciphertext, not a key.
                assert_eq!(b_pub.len(), 1088);
            }
            assert_eq!(a.complete(&b_pub).unwrap(), b);
        }
        assert!(matches!(
            p.key_exchange(KeMethod(33), &mut rng),
            Err(CryptoError::Unsupported(..))
        ));
        assert!(p
            .verifier()
            .verify(
                &[],
                crate::crypto::SignatureScheme::Ed25519,
                b"",
                &[],
                false
            )
            .is_err());
    }
}
