//! The IKEv2 Encrypted payload (SK, RFC 7296 §3.14) and its fragment form
//! (SKF, RFC 7383 §2.5): sealing a payload chain into a message and
//! opening it again.
//!
//! Layout of the payload body: IV | ciphertext | ICV. The plaintext is the
//! inner payload chain, padding and a pad-length octet. Without AEAD the
//! ICV covers the whole message from the IKE header to the end of the
//! ciphertext; with AEAD (RFC 5282 §5.1) the associated data is the
//! message up to the end of the SK payload's generic header (for SKF, its
//! fragment numbers included) and the ICV is the tag.

use super::provider::{CryptoError, CryptoResult, Encryption, Integrity, Random};
use super::secret::{ct_eq, Secret};

/// One direction's protection: algorithms and keys.
pub struct SkDirection<'k> {
    /// The encryption algorithm.
    pub encr: &'k dyn Encryption,
    /// The integrity algorithm (None with AEAD).
    pub integ: Option<&'k dyn Integrity>,
    /// SK_e of this direction (with salt).
    pub ek: &'k [u8],
    /// SK_a of this direction (empty with AEAD).
    pub ak: &'k [u8],
}

/// The result of opening an SK/SKF payload.
#[derive(Debug)]
pub struct Opened {
    /// The plaintext: chain, padding, pad-length octet.
    pub plaintext: Secret,
    /// Length of the inner payload chain at its start.
    pub chain_len: usize,
    /// IV length used.
    pub iv_len: usize,
    /// ICV length used.
    pub icv_len: usize,
}

impl SkDirection<'_> {
    /// ICV length for this direction.
    pub fn icv_len(&self) -> usize {
        if self.encr.is_aead() {
            self.encr.icv_len()
        } else {
            self.integ.map_or(0, |i| i.icv_len())
        }
    }

    /// The body length of an SK payload carrying `chain_len` bytes of
    /// payloads (IV, padded ciphertext, ICV).
    pub fn body_len(&self, chain_len: usize) -> usize {
        let block = self.encr.block_len().max(1);
        // At least the pad-length octet; pad up to the block size.
        let padded = (chain_len + 1).div_ceil(block) * block;
        self.encr.iv_len() + padded + self.icv_len()
    }

    /// Seals `chain` into the SK/SKF payload body at the end of `msg`.
    ///
    /// `msg` must already hold the whole message up to and including the
    /// SK/SKF generic header (and fragment numbers), with its lengths and
    /// the header's length set for the final size, i.e. as if `body_len`
    /// more bytes followed; this function appends them.
    pub fn seal(&self, msg: &mut Vec<u8>, chain: &[u8], rng: &mut dyn Random) -> CryptoResult<()> {
        let block = self.encr.block_len().max(1);
        let padded = (chain.len() + 1).div_ceil(block) * block;
        let pad = padded - chain.len() - 1;
        let pad8 = u8::try_from(pad).map_err(|_| CryptoError::InputLength("padding"))?;
        let mut plain = Secret::new(Vec::with_capacity(padded));
        plain.expose_mut().extend_from_slice(chain);
        plain.expose_mut().resize(chain.len() + pad, 0);
        plain.expose_mut().push(pad8);
        let mut iv = vec![0u8; self.encr.iv_len()];
        rng.fill(&mut iv)?;
        if self.encr.is_aead() {
            let aad = msg.clone();
            let ct = self.encr.encrypt(self.ek, &iv, &aad, plain.expose())?;
            msg.extend_from_slice(&iv);
            msg.extend_from_slice(&ct);
        } else {
            let ct = self.encr.encrypt(self.ek, &iv, &[], plain.expose())?;
            msg.extend_from_slice(&iv);
            msg.extend_from_slice(&ct);
            if let Some(i) = self.integ {
                let icv = i.compute(self.ak, &[msg])?;
                msg.extend_from_slice(&icv);
            }
        }
        Ok(())
    }

    /// Opens the SK/SKF payload whose body `body` ends `msg`; `header_end`
    /// is the offset in `msg` where the body starts (after the generic
    /// header and, for SKF, the fragment numbers). Verifies the ICV or tag
    /// in constant time and checks the padding.
    pub fn open(&self, msg: &[u8], header_end: usize) -> CryptoResult<Opened> {
        let body = msg
            .get(header_end..)
            .ok_or(CryptoError::InputLength("SK payload beyond the message"))?;
        let iv_len = self.encr.iv_len();
        let icv_len = self.icv_len();
        if body.len() < iv_len + icv_len + 1 {
            return Err(CryptoError::InputLength(
                "SK payload shorter than IV and ICV",
            ));
        }
        let iv = &body[..iv_len];
        let plain = if self.encr.is_aead() {
            let aad = &msg[..header_end];
            self.encr.decrypt(self.ek, iv, aad, &body[iv_len..])?
        } else {
            let end = body.len() - icv_len;
            if let Some(i) = self.integ {
                let want = i.compute(self.ak, &[&msg[..header_end + end]])?;
                if !ct_eq(&want, &body[end..]) {
                    return Err(CryptoError::Integrity);
                }
            }
            self.encr.decrypt(self.ek, iv, &[], &body[iv_len..end])?
        };
        let pad = usize::from(
            *plain
                .expose()
                .last()
                .ok_or(CryptoError::InputLength("empty plaintext"))?,
        );
        if pad + 1 > plain.len() {
            return Err(CryptoError::InputLength("pad length exceeds the plaintext"));
        }
        let chain_len = plain.len() - pad - 1;
        Ok(Opened {
            plaintext: plain,
            chain_len,
            iv_len,
            icv_len,
        })
    }
}
