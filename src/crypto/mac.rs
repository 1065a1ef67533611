//! PRFs and integrity algorithms on RustCrypto: HMAC-MD5/SHA-1/SHA-2
//! (RFC 2104, RFC 4868), AES-XCBC (RFC 3566, RFC 4434) and AES-CMAC
//! (RFC 4493, RFC 4494, RFC 4615).
//!
//! XCBC has no crate; it is built here on the AES block cipher exactly as
//! RFC 3566 §4 describes (K1/K2/K3 derived from the key, CBC-MAC with the
//! last block XORed with K2 or padded and XORed with K3).

use aes::cipher::{BlockCipherEncrypt, KeyInit};
use aes::Aes128;
use hmac::{Hmac, Mac};

use super::provider::{CryptoError, CryptoResult, Integrity, Prf};
use super::secret::Secret;
use crate::wire::registry::{IntegId, PrfId};

/// The MAC primitives behind PRFs and integrity algorithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacAlg {
    /// HMAC-MD5 (16-byte output).
    HmacMd5,
    /// HMAC-SHA-1 (20).
    HmacSha1,
    /// HMAC-SHA-256 (32).
    HmacSha256,
    /// HMAC-SHA-384 (48).
    HmacSha384,
    /// HMAC-SHA-512 (64).
    HmacSha512,
    /// AES-XCBC-MAC (16), 16-byte key.
    AesXcbc,
    /// AES-CMAC (16), 16-byte key.
    AesCmac,
}

impl MacAlg {
    /// Full output length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            MacAlg::HmacMd5 | MacAlg::AesXcbc | MacAlg::AesCmac => 16,
            MacAlg::HmacSha1 => 20,
            MacAlg::HmacSha256 => 32,
            MacAlg::HmacSha384 => 48,
            MacAlg::HmacSha512 => 64,
        }
    }

    /// The MAC over data[0] | data[1] | … with `key` (any length for
    /// HMAC; exactly 16 bytes for XCBC and CMAC).
    pub fn mac(self, key: &[u8], data: &[&[u8]]) -> CryptoResult<Secret> {
        fn hmac<M: Mac + KeyInit>(key: &[u8], data: &[&[u8]]) -> CryptoResult<Secret> {
            let mut m = <M as KeyInit>::new_from_slice(key)
                .map_err(|_| CryptoError::Key("HMAC key".into()))?;
            for d in data {
                m.update(d);
            }
            Ok(Secret::from_slice(&m.finalize().into_bytes()))
        }
        match self {
            MacAlg::HmacMd5 => hmac::<Hmac<md5::Md5>>(key, data),
            MacAlg::HmacSha1 => hmac::<Hmac<sha1::Sha1>>(key, data),
            MacAlg::HmacSha256 => hmac::<Hmac<sha2::Sha256>>(key, data),
            MacAlg::HmacSha384 => hmac::<Hmac<sha2::Sha384>>(key, data),
            MacAlg::HmacSha512 => hmac::<Hmac<sha2::Sha512>>(key, data),
            MacAlg::AesXcbc => xcbc(key, data),
            MacAlg::AesCmac => {
                let mut m = <cmac::Cmac<Aes128> as KeyInit>::new_from_slice(key).map_err(|_| {
                    CryptoError::KeyLength {
                        expected: 16,
                        got: key.len(),
                    }
                })?;
                for d in data {
                    m.update(d);
                }
                Ok(Secret::from_slice(&m.finalize().into_bytes()))
            }
        }
    }
}

/// AES-XCBC-MAC-128 (RFC 3566 §4) over the concatenation of `data`.
fn xcbc(key: &[u8], data: &[&[u8]]) -> CryptoResult<Secret> {
    let cipher = Aes128::new_from_slice(key).map_err(|_| CryptoError::KeyLength {
        expected: 16,
        got: key.len(),
    })?;
    let derive = |fill: u8| {
        let mut b = [fill; 16].into();
        cipher.encrypt_block(&mut b);
        let out: [u8; 16] = b.into();
        out
    };
    let (k1, k2, k3) = (derive(0x01), derive(0x02), derive(0x03));
    let c1 = Aes128::new(&k1.into());
    let msg: Vec<u8> = data.concat();
    let mut e = [0u8; 16];
    // All blocks but the last: E = E_K1(M[i] ^ E).
    let n = msg.len();
    let last_start = if n == 0 { 0 } else { (n - 1) / 16 * 16 };
    for block in msg[..last_start].chunks_exact(16) {
        for (x, m) in e.iter_mut().zip(block) {
            *x ^= m;
        }
        let mut b = e.into();
        c1.encrypt_block(&mut b);
        e = b.into();
    }
    let last = &msg[last_start..];
    if last.len() == 16 {
        for i in 0..16 {
            e[i] ^= last[i] ^ k2[i];
        }
    } else {
        // Pad with 0x80 then zeros, XOR with K3.
        let mut padded = [0u8; 16];
        padded[..last.len()].copy_from_slice(last);
        padded[last.len()] = 0x80;
        for i in 0..16 {
            e[i] ^= padded[i] ^ k3[i];
        }
    }
    let mut b = e.into();
    c1.encrypt_block(&mut b);
    let out: [u8; 16] = b.into();
    Ok(Secret::from_slice(&out))
}

/// A PRF backed by a [`MacAlg`].
#[derive(Clone, Copy, Debug)]
pub struct MacPrf {
    id: PrfId,
    alg: MacAlg,
}

impl MacPrf {
    /// The PRF with IANA number `id`.
    pub fn new(id: PrfId) -> CryptoResult<Self> {
        let alg = match id {
            PrfId::HMAC_MD5 => MacAlg::HmacMd5,
            PrfId::HMAC_SHA1 => MacAlg::HmacSha1,
            PrfId::HMAC_SHA2_256 => MacAlg::HmacSha256,
            PrfId::HMAC_SHA2_384 => MacAlg::HmacSha384,
            PrfId::HMAC_SHA2_512 => MacAlg::HmacSha512,
            PrfId::AES128_XCBC => MacAlg::AesXcbc,
            PrfId::AES128_CMAC => MacAlg::AesCmac,
            other => return Err(CryptoError::Unsupported("PRF", other.0)),
        };
        Ok(MacPrf { id, alg })
    }
}

impl Prf for MacPrf {
    fn id(&self) -> PrfId {
        self.id
    }
    fn output_len(&self) -> usize {
        self.alg.output_len()
    }
    fn key_len(&self) -> usize {
        self.alg.output_len()
    }
    fn compute(&self, key: &[u8], data: &[&[u8]]) -> CryptoResult<Secret> {
        match self.alg {
            // RFC 4434 §2 (XCBC): a key shorter than 16 bytes is
            // zero-padded, a longer one is first run through the PRF with
            // a zero key.
            MacAlg::AesXcbc if key.len() != 16 => {
                let k = if key.len() < 16 {
                    let mut k = key.to_vec();
                    k.resize(16, 0);
                    Secret::new(k)
                } else {
                    self.alg.mac(&[0u8; 16], &[key])?
                };
                self.alg.mac(k.expose(), data)
            }
            // RFC 4615 §3 (CMAC): any key that is not 16 bytes, shorter
            // ones included, is first run through AES-CMAC with a zero key.
            MacAlg::AesCmac if key.len() != 16 => {
                let k = self.alg.mac(&[0u8; 16], &[key])?;
                self.alg.mac(k.expose(), data)
            }
            _ => self.alg.mac(key, data),
        }
    }
}

/// An integrity algorithm backed by a [`MacAlg`], truncated.
#[derive(Clone, Copy, Debug)]
pub struct MacIntegrity {
    id: IntegId,
    alg: MacAlg,
    key_len: usize,
    icv_len: usize,
}

impl MacIntegrity {
    /// The integrity algorithm with IANA number `id` (RFC 7296 §3.3.2;
    /// RFC 2403/2404/3566/4494/4868).
    pub fn new(id: IntegId) -> CryptoResult<Self> {
        let (alg, key_len, icv_len) = match id {
            IntegId::HMAC_MD5_96 => (MacAlg::HmacMd5, 16, 12),
            IntegId::HMAC_SHA1_96 => (MacAlg::HmacSha1, 20, 12),
            IntegId::HMAC_MD5_128 => (MacAlg::HmacMd5, 16, 16),
            IntegId::HMAC_SHA1_160 => (MacAlg::HmacSha1, 20, 20),
            IntegId::AES_XCBC_96 => (MacAlg::AesXcbc, 16, 12),
            IntegId::AES_CMAC_96 => (MacAlg::AesCmac, 16, 12),
            IntegId::HMAC_SHA2_256_128 => (MacAlg::HmacSha256, 32, 16),
            IntegId::HMAC_SHA2_384_192 => (MacAlg::HmacSha384, 48, 24),
            IntegId::HMAC_SHA2_512_256 => (MacAlg::HmacSha512, 64, 32),
            other => return Err(CryptoError::Unsupported("integrity algorithm", other.0)),
        };
        Ok(MacIntegrity {
            id,
            alg,
            key_len,
            icv_len,
        })
    }
}

impl Integrity for MacIntegrity {
    fn id(&self) -> IntegId {
        self.id
    }
    fn key_len(&self) -> usize {
        self.key_len
    }
    fn icv_len(&self) -> usize {
        self.icv_len
    }
    fn compute(&self, key: &[u8], data: &[&[u8]]) -> CryptoResult<Vec<u8>> {
        if key.len() != self.key_len {
            return Err(CryptoError::KeyLength {
                expected: self.key_len,
                got: key.len(),
            });
        }
        let full = self.alg.mac(key, data)?;
        Ok(full.expose()[..self.icv_len].to_vec())
    }
}

/// prf+ (RFC 7296 §2.13): T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n),
/// concatenated and cut to `len` bytes. At most 255 blocks.
pub fn prf_plus(prf: &dyn Prf, key: &[u8], seed: &[u8], len: usize) -> CryptoResult<Secret> {
    let block = prf.output_len();
    if block == 0 || len > block * 255 {
        return Err(CryptoError::InputLength(
            "prf+ output longer than 255 blocks",
        ));
    }
    let mut out = Secret::new(Vec::with_capacity(len + block));
    let mut prev = Secret::default();
    let mut n = 1u8;
    while out.len() < len {
        let t = prf.compute(key, &[prev.expose(), seed, &[n]])?;
        out.expose_mut().extend_from_slice(t.expose());
        prev = t;
        n = n.wrapping_add(1);
    }
    out.expose_mut().truncate(len);
    Ok(out)
}
