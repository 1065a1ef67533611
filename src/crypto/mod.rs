//! Cryptography for IKE: the provider traits, the default RustCrypto
//! provider, key derivation for IKEv1 and IKEv2, and protection of
//! encrypted payloads. Knows nothing of exchange state.

mod encr;
pub mod keymat_v1;
pub mod keymat_v2;
mod mac;
mod provider;
mod secret;

pub use encr::Cipher;
pub use mac::{prf_plus, MacAlg, MacIntegrity, MacPrf};
pub use provider::{
    CryptoError, CryptoProvider, CryptoResult, Encryption, Integrity, KeyExchange, Prf, Random,
    SignatureScheme, Signer, Verifier,
};
pub use secret::{ct_eq, Secret};
