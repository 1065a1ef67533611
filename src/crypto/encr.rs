//! Encryption algorithms for IKE SK payloads (RFC 7296 §3.14) and IKEv1
//! encrypted bodies (RFC 2409 App. B): CBC modes (3DES, DES, AES; RFC 2451,
//! RFC 3602), AES-CTR (RFC 5930), AES-GCM and AES-CCM with 8/12/16-octet
//! ICVs (RFC 5282), ChaCha20-Poly1305 (RFC 7634) and NULL.

use aes::cipher::array::Array;
use aes::cipher::{BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit};
use aes::cipher::{BlockSizeUser, StreamCipher};
use aes::{Aes128, Aes192, Aes256};
use aes_gcm::aead::{Aead, AeadCore, Payload};

use super::provider::{CryptoError, CryptoResult, Encryption};
use super::secret::Secret;
use crate::wire::registry::EncrId;

/// The mode of an encryption algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Cbc,
    Ctr,
    Gcm(usize),
    Ccm(usize),
    ChaCha,
    Null,
}

/// The block cipher of a mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BlockAlg {
    Aes,
    Des3,
    Des,
    ChaCha,
    None,
}

/// An encryption algorithm with its key size fixed.
#[derive(Clone, Copy, Debug)]
pub struct Cipher {
    id: EncrId,
    mode: Mode,
    alg: BlockAlg,
    /// Cipher key length (without salt).
    key: usize,
}

impl Cipher {
    /// The algorithm with IANA number `id` and the Key Length attribute
    /// `key_bits` (required for AES, forbidden for fixed-size ciphers).
    pub fn new(id: EncrId, key_bits: Option<u16>) -> CryptoResult<Self> {
        let aes_key = |bits: Option<u16>| match bits {
            Some(128) => Ok(16),
            Some(192) => Ok(24),
            Some(256) => Ok(32),
            _ => Err(CryptoError::Unsupported(
                "AES key length",
                bits.unwrap_or(0),
            )),
        };
        let fixed = |bits: Option<u16>, n: usize| match bits {
            None => Ok(n),
            Some(b) if usize::from(b) == n * 8 => Ok(n),
            Some(b) => Err(CryptoError::Unsupported("key length", b)),
        };
        let (mode, alg, key) = match id {
            EncrId::DES3 => (Mode::Cbc, BlockAlg::Des3, fixed(key_bits, 24)?),
            EncrId::DES => (Mode::Cbc, BlockAlg::Des, fixed(key_bits, 8)?),
            EncrId::AES_CBC => (Mode::Cbc, BlockAlg::Aes, aes_key(key_bits)?),
            EncrId::AES_CTR => (Mode::Ctr, BlockAlg::Aes, aes_key(key_bits)?),
            EncrId::AES_GCM_8 => (Mode::Gcm(8), BlockAlg::Aes, aes_key(key_bits)?),
            EncrId::AES_GCM_12 => (Mode::Gcm(12), BlockAlg::Aes, aes_key(key_bits)?),
            EncrId::AES_GCM_16 => (Mode::Gcm(16), BlockAlg::Aes, aes_key(key_bits)?),
            EncrId::AES_CCM_8 => (Mode::Ccm(8), BlockAlg::Aes, aes_key(key_bits)?),
            EncrId::AES_CCM_12 => (Mode::Ccm(12), BlockAlg::Aes, aes_key(key_bits)?),
            EncrId::AES_CCM_16 => (Mode::Ccm(16), BlockAlg::Aes, aes_key(key_bits)?),
            EncrId::CHACHA20_POLY1305 => (Mode::ChaCha, BlockAlg::ChaCha, fixed(key_bits, 32)?),
            EncrId::NULL => (Mode::Null, BlockAlg::None, 0),
            other => return Err(CryptoError::Unsupported("encryption algorithm", other.0)),
        };
        Ok(Cipher { id, mode, alg, key })
    }

    fn salt_len(&self) -> usize {
        match self.mode {
            Mode::Ctr | Mode::Gcm(_) | Mode::ChaCha => 4,
            Mode::Ccm(_) => 3,
            Mode::Cbc | Mode::Null => 0,
        }
    }

    fn check_key(&self, key: &[u8]) -> CryptoResult<()> {
        if key.len() != self.key_len() {
            return Err(CryptoError::KeyLength {
                expected: self.key_len(),
                got: key.len(),
            });
        }
        Ok(())
    }

    fn check_iv(&self, iv: &[u8]) -> CryptoResult<()> {
        if iv.len() != self.iv_len() {
            return Err(CryptoError::InputLength("IV length"));
        }
        Ok(())
    }

    /// Nonce of the AEAD and CTR modes: salt (from the key material) | IV.
    fn nonce(&self, key: &[u8], iv: &[u8]) -> Vec<u8> {
        [&key[self.key..], iv].concat()
    }
}

fn cbc_enc<C>(key: &[u8], iv: &[u8], data: &[u8]) -> CryptoResult<Vec<u8>>
where
    C: BlockCipherEncrypt + KeyInit + BlockSizeUser,
    cbc::Encryptor<C>: KeyIvInit + BlockModeEncrypt<BlockSize = C::BlockSize>,
{
    let mut e = cbc::Encryptor::<C>::new_from_slices(key, iv)
        .map_err(|_| CryptoError::Key("CBC key or IV".into()))?;
    let mut buf = data.to_vec();
    let (blocks, rest) = Array::slice_as_chunks_mut(&mut buf);
    if !rest.is_empty() {
        return Err(CryptoError::InputLength(
            "CBC plaintext not a block multiple",
        ));
    }
    e.encrypt_blocks(blocks);
    Ok(buf)
}

fn cbc_dec<C>(key: &[u8], iv: &[u8], data: &[u8]) -> CryptoResult<Secret>
where
    C: aes::cipher::BlockCipherDecrypt + KeyInit + BlockSizeUser,
    cbc::Decryptor<C>: KeyIvInit + BlockModeDecrypt<BlockSize = C::BlockSize>,
{
    let mut d = cbc::Decryptor::<C>::new_from_slices(key, iv)
        .map_err(|_| CryptoError::Key("CBC key or IV".into()))?;
    let mut buf = Secret::from_slice(data);
    let (blocks, rest) = Array::slice_as_chunks_mut(buf.expose_mut());
    if !rest.is_empty() {
        return Err(CryptoError::InputLength(
            "CBC ciphertext not a block multiple",
        ));
    }
    d.decrypt_blocks(blocks);
    Ok(buf)
}

/// AES-CTR as used by ESP and IKEv2 (RFC 3686 §4): counter block =
/// nonce (4) | IV (8) | block counter (4, from 1).
fn ctr<C>(key: &[u8], nonce: &[u8], data: &[u8]) -> CryptoResult<Vec<u8>>
where
    C: BlockCipherEncrypt + KeyInit + BlockSizeUser<BlockSize = aes::cipher::consts::U16>,
    ctr::Ctr32BE<C>: KeyIvInit + StreamCipher,
{
    let mut block = [0u8; 16];
    block[..12].copy_from_slice(nonce);
    block[15] = 1;
    let mut c = ctr::Ctr32BE::<C>::new_from_slices(key, &block)
        .map_err(|_| CryptoError::Key("CTR key".into()))?;
    let mut buf = data.to_vec();
    c.apply_keystream(&mut buf);
    Ok(buf)
}

fn aead_enc<A>(key: &[u8], nonce: &[u8], aad: &[u8], pt: &[u8]) -> CryptoResult<Vec<u8>>
where
    A: Aead + AeadCore + KeyInit,
{
    let a = A::new_from_slice(key).map_err(|_| CryptoError::Key("AEAD key".into()))?;
    let n = aes_gcm::aead::Nonce::<A>::try_from(nonce)
        .map_err(|_| CryptoError::InputLength("AEAD nonce"))?;
    a.encrypt(&n, Payload { msg: pt, aad })
        .map_err(|_| CryptoError::InputLength("AEAD input too long"))
}

fn aead_dec<A>(key: &[u8], nonce: &[u8], aad: &[u8], ct: &[u8]) -> CryptoResult<Secret>
where
    A: Aead + AeadCore + KeyInit,
{
    let a = A::new_from_slice(key).map_err(|_| CryptoError::Key("AEAD key".into()))?;
    let n = aes_gcm::aead::Nonce::<A>::try_from(nonce)
        .map_err(|_| CryptoError::InputLength("AEAD nonce"))?;
    a.decrypt(&n, Payload { msg: ct, aad })
        .map(Secret::new)
        .map_err(|_| CryptoError::Integrity)
}

type U8 = aes::cipher::consts::U8;
type U11 = aes::cipher::consts::U11;
type U12 = aes::cipher::consts::U12;
type U16 = aes::cipher::consts::U16;

macro_rules! by_aes {
    ($len:expr, $f:ident, $($t:ident),* ; $($arg:expr),*) => {
        match $len {
            16 => $f::<Aes128 $(, $t)*>($($arg),*),
            24 => $f::<Aes192 $(, $t)*>($($arg),*),
            _ => $f::<Aes256 $(, $t)*>($($arg),*),
        }
    };
}

fn gcm_enc<C, T>(key: &[u8], nonce: &[u8], aad: &[u8], pt: &[u8]) -> CryptoResult<Vec<u8>>
where
    aes_gcm::AesGcm<C, U12, T>: Aead + KeyInit,
    T: aes_gcm::TagSize,
{
    aead_enc::<aes_gcm::AesGcm<C, U12, T>>(key, nonce, aad, pt)
}

fn gcm_dec<C, T>(key: &[u8], nonce: &[u8], aad: &[u8], ct: &[u8]) -> CryptoResult<Secret>
where
    aes_gcm::AesGcm<C, U12, T>: Aead + KeyInit,
    T: aes_gcm::TagSize,
{
    aead_dec::<aes_gcm::AesGcm<C, U12, T>>(key, nonce, aad, ct)
}

fn ccm_enc<C, T>(key: &[u8], nonce: &[u8], aad: &[u8], pt: &[u8]) -> CryptoResult<Vec<u8>>
where
    C: BlockSizeUser<BlockSize = U16> + BlockCipherEncrypt,
    ccm::Ccm<C, T, U11>: Aead + KeyInit,
    T: aes::cipher::array::ArraySize + ccm::TagSize,
{
    aead_enc::<ccm::Ccm<C, T, U11>>(key, nonce, aad, pt)
}

fn ccm_dec<C, T>(key: &[u8], nonce: &[u8], aad: &[u8], ct: &[u8]) -> CryptoResult<Secret>
where
    C: BlockSizeUser<BlockSize = U16> + BlockCipherEncrypt,
    ccm::Ccm<C, T, U11>: Aead + KeyInit,
    T: aes::cipher::array::ArraySize + ccm::TagSize,
{
    aead_dec::<ccm::Ccm<C, T, U11>>(key, nonce, aad, ct)
}

impl Encryption for Cipher {
    fn id(&self) -> EncrId {
        self.id
    }

    fn key_len(&self) -> usize {
        self.key + self.salt_len()
    }

    fn iv_len(&self) -> usize {
        match (self.mode, self.alg) {
            (Mode::Cbc, BlockAlg::Aes) => 16,
            (Mode::Cbc, _) => 8,
            (Mode::Null, _) => 0,
            _ => 8,
        }
    }

    fn block_len(&self) -> usize {
        match (self.mode, self.alg) {
            (Mode::Cbc, BlockAlg::Aes) => 16,
            (Mode::Cbc, _) => 8,
            // Counter and AEAD modes need no alignment (RFC 5930 §2,
            // RFC 5282 §3, RFC 7634 §3).
            _ => 1,
        }
    }

    fn icv_len(&self) -> usize {
        match self.mode {
            Mode::Gcm(n) | Mode::Ccm(n) => n,
            Mode::ChaCha => 16,
            _ => 0,
        }
    }

    fn encrypt(&self, key: &[u8], iv: &[u8], aad: &[u8], pt: &[u8]) -> CryptoResult<Vec<u8>> {
        self.check_key(key)?;
        self.check_iv(iv)?;
        let k = &key[..self.key];
        match (self.mode, self.alg) {
            (Mode::Cbc, BlockAlg::Aes) => by_aes!(self.key, cbc_enc, ; k, iv, pt),
            (Mode::Cbc, BlockAlg::Des3) => cbc_enc::<des::TdesEde3>(k, iv, pt),
            (Mode::Cbc, _) => cbc_enc::<des::Des>(k, iv, pt),
            (Mode::Ctr, _) => by_aes!(self.key, ctr, ; k, &self.nonce(key, iv), pt),
            (Mode::Gcm(8), _) => by_aes!(self.key, gcm_enc, U8; k, &self.nonce(key, iv), aad, pt),
            (Mode::Gcm(12), _) => by_aes!(self.key, gcm_enc, U12; k, &self.nonce(key, iv), aad, pt),
            (Mode::Gcm(_), _) => by_aes!(self.key, gcm_enc, U16; k, &self.nonce(key, iv), aad, pt),
            (Mode::Ccm(8), _) => by_aes!(self.key, ccm_enc, U8; k, &self.nonce(key, iv), aad, pt),
            (Mode::Ccm(12), _) => by_aes!(self.key, ccm_enc, U12; k, &self.nonce(key, iv), aad, pt),
            (Mode::Ccm(_), _) => by_aes!(self.key, ccm_enc, U16; k, &self.nonce(key, iv), aad, pt),
            (Mode::ChaCha, _) => {
                aead_enc::<chacha20poly1305::ChaCha20Poly1305>(k, &self.nonce(key, iv), aad, pt)
            }
            (Mode::Null, _) => Ok(pt.to_vec()),
        }
    }

    fn decrypt(&self, key: &[u8], iv: &[u8], aad: &[u8], ct: &[u8]) -> CryptoResult<Secret> {
        self.check_key(key)?;
        self.check_iv(iv)?;
        if ct.len() < self.icv_len() {
            return Err(CryptoError::InputLength("ciphertext shorter than the ICV"));
        }
        let k = &key[..self.key];
        match (self.mode, self.alg) {
            (Mode::Cbc, BlockAlg::Aes) => by_aes!(self.key, cbc_dec, ; k, iv, ct),
            (Mode::Cbc, BlockAlg::Des3) => cbc_dec::<des::TdesEde3>(k, iv, ct),
            (Mode::Cbc, _) => cbc_dec::<des::Des>(k, iv, ct),
            (Mode::Ctr, _) => {
                by_aes!(self.key, ctr, ; k, &self.nonce(key, iv), ct).map(Secret::new)
            }
            (Mode::Gcm(8), _) => by_aes!(self.key, gcm_dec, U8; k, &self.nonce(key, iv), aad, ct),
            (Mode::Gcm(12), _) => by_aes!(self.key, gcm_dec, U12; k, &self.nonce(key, iv), aad, ct),
            (Mode::Gcm(_), _) => by_aes!(self.key, gcm_dec, U16; k, &self.nonce(key, iv), aad, ct),
            (Mode::Ccm(8), _) => by_aes!(self.key, ccm_dec, U8; k, &self.nonce(key, iv), aad, ct),
            (Mode::Ccm(12), _) => by_aes!(self.key, ccm_dec, U12; k, &self.nonce(key, iv), aad, ct),
            (Mode::Ccm(_), _) => by_aes!(self.key, ccm_dec, U16; k, &self.nonce(key, iv), aad, ct),
            (Mode::ChaCha, _) => {
                aead_dec::<chacha20poly1305::ChaCha20Poly1305>(k, &self.nonce(key, iv), aad, ct)
            }
            (Mode::Null, _) => Ok(Secret::from_slice(ct)),
        }
    }
}
