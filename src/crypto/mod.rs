//! Cryptography for IKE: the provider traits, the default RustCrypto
//! provider, key derivation for IKEv1 and IKEv2, and protection of
//! encrypted payloads. Knows nothing of exchange state.

pub mod cert;
mod encr;
pub mod ke;
pub mod keymat_v1;
pub mod keymat_v2;
mod mac;
pub mod modp;
mod provider;
pub mod rng;
mod rustcrypto;
mod secret;
pub mod sign;
pub mod sk;

pub use encr::Cipher;
pub use mac::{prf_plus, MacAlg, MacIntegrity, MacPrf};
pub use provider::{
    CryptoError, CryptoProvider, CryptoResult, Encryption, Integrity, KeyExchange, Prf, Random,
    SignatureScheme, Signer, Verifier,
};
pub use rng::{OsRandom, RandomRng, SeededRandom};
pub use rustcrypto::RustCrypto;
pub use secret::{ct_eq, Secret};
pub use sign::{load_private_key, RustCryptoVerifier};
