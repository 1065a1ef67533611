//! IKEv2 key derivation (RFC 7296 §2.13–2.18, RFC 9370 §2.2.2) and the
//! octets the AUTH payload signs (RFC 7296 §2.15, RFC 7427).

use super::mac::prf_plus;
use super::provider::{CryptoResult, Prf};
use super::secret::Secret;

/// The key of prf(Ni | Nr, …): the nonces concatenated, or for a PRF with
/// a fixed key size half of it from the start of each nonce (§2.14).
fn nonce_key(prf: &dyn Prf, ni: &[u8], nr: &[u8]) -> Secret {
    let fixed = prf.key_len();
    let hmac = matches!(prf.id().0, 1..=3 | 5..=7);
    if hmac || ni.len() + nr.len() == fixed {
        return Secret::new([ni, nr].concat());
    }
    let half = fixed / 2;
    let take = |n: &[u8]| n[..n.len().min(half)].to_vec();
    Secret::new([take(ni), take(nr)].concat())
}

/// SKEYSEED = prf(Ni | Nr, g^ir) (§2.14).
pub fn skeyseed(prf: &dyn Prf, ni: &[u8], nr: &[u8], shared: &[u8]) -> CryptoResult<Secret> {
    prf.compute(nonce_key(prf, ni, nr).expose(), &[shared])
}

/// SKEYSEED of a rekeyed IKE SA: prf(SK_d (old), g^ir (new) | Ni | Nr)
/// (§2.18). Also the RFC 9370 §2.2.2 step after each additional key
/// exchange, with that exchange's secret as `shared`.
pub fn skeyseed_rekey(
    prf: &dyn Prf,
    old_sk_d: &[u8],
    shared: &[u8],
    ni: &[u8],
    nr: &[u8],
) -> CryptoResult<Secret> {
    prf.compute(old_sk_d, &[shared, ni, nr])
}

/// The seven keys of an IKE SA.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IkeKeys {
    /// Derives Child SA keys and rekeyed IKE SAs.
    pub sk_d: Secret,
    /// Integrity key, initiator to responder (empty with AEAD).
    pub sk_ai: Secret,
    /// Integrity key, responder to initiator.
    pub sk_ar: Secret,
    /// Encryption key (with salt), initiator to responder.
    pub sk_ei: Secret,
    /// Encryption key (with salt), responder to initiator.
    pub sk_er: Secret,
    /// Used in the initiator's AUTH.
    pub sk_pi: Secret,
    /// Used in the responder's AUTH.
    pub sk_pr: Secret,
}

impl IkeKeys {
    /// {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} =
    /// prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) (§2.14). `integ_key_len` is 0
    /// for AEAD; `encr_key_len` includes any salt.
    #[allow(clippy::too_many_arguments)]
    pub fn derive(
        prf: &dyn Prf,
        skeyseed: &[u8],
        ni: &[u8],
        nr: &[u8],
        spi_i: &[u8; 8],
        spi_r: &[u8; 8],
        integ_key_len: usize,
        encr_key_len: usize,
    ) -> CryptoResult<IkeKeys> {
        let pk = prf.key_len();
        let total = 3 * pk + 2 * integ_key_len + 2 * encr_key_len;
        let seed = [ni, nr, spi_i, spi_r].concat();
        let km = prf_plus(prf, skeyseed, &seed, total)?;
        let mut at = 0;
        let mut next = |n| km.take(&mut at, n).unwrap_or_default();
        Ok(IkeKeys {
            sk_d: next(pk),
            sk_ai: next(integ_key_len),
            sk_ar: next(integ_key_len),
            sk_ei: next(encr_key_len),
            sk_er: next(encr_key_len),
            sk_pi: next(pk),
            sk_pr: next(pk),
        })
    }
}

/// Keys of a Child SA in both directions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChildKeys {
    /// Encryption key (with salt), initiator to responder.
    pub encr_i: Secret,
    /// Integrity key, initiator to responder.
    pub integ_i: Secret,
    /// Encryption key, responder to initiator.
    pub encr_r: Secret,
    /// Integrity key, responder to initiator.
    pub integ_r: Secret,
}

impl ChildKeys {
    /// KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) (§2.17), taken as
    /// encryption then integrity key for initiator→responder, then the same
    /// for responder→initiator. `pfs_shared` is the CREATE_CHILD_SA
    /// exchange's DH secret, when there was one.
    pub fn derive(
        prf: &dyn Prf,
        sk_d: &[u8],
        pfs_shared: Option<&[u8]>,
        ni: &[u8],
        nr: &[u8],
        encr_key_len: usize,
        integ_key_len: usize,
    ) -> CryptoResult<ChildKeys> {
        let seed = [pfs_shared.unwrap_or(&[]), ni, nr].concat();
        let km = prf_plus(prf, sk_d, &seed, 2 * (encr_key_len + integ_key_len))?;
        let mut at = 0;
        let mut next = |n| km.take(&mut at, n).unwrap_or_default();
        Ok(ChildKeys {
            encr_i: next(encr_key_len),
            integ_i: next(integ_key_len),
            encr_r: next(encr_key_len),
            integ_r: next(integ_key_len),
        })
    }
}

/// The octets an AUTH payload covers (§2.15): the sender's first message,
/// the peer's nonce, and prf(SK_p, the sender's ID payload body).
pub fn signed_octets(
    prf: &dyn Prf,
    first_message: &[u8],
    peer_nonce: &[u8],
    sk_p: &[u8],
    id_payload_body: &[u8],
) -> CryptoResult<Vec<u8>> {
    let maced_id = prf.compute(sk_p, &[id_payload_body])?;
    Ok([first_message, peer_nonce, maced_id.expose()].concat())
}

/// The key pad of shared-key AUTH (§2.15).
pub const KEY_PAD: &[u8] = b"Key Pad for IKEv2";

/// AUTH for the shared-key method: prf(prf(secret, "Key Pad for IKEv2"),
/// signed octets) (§2.15). Also the EAP case with the MSK as secret.
pub fn psk_auth(prf: &dyn Prf, secret: &[u8], signed: &[u8]) -> CryptoResult<Secret> {
    let k = prf.compute(secret, &[KEY_PAD])?;
    prf.compute(k.expose(), &[signed])
}
