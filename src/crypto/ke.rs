//! Key exchange methods (IKEv2 Transform Type 4; IKEv1 group
//! descriptions): MODP Diffie-Hellman (groups 1, 2, 5, 14–18), ECP
//! (19, 20, 21; RFC 5903), Curve25519 (31) and Curve448 (32; RFC 8031)
//! and ML-KEM (35, 36, 37; FIPS 203 as used by IKEv2).
//!
//! [`start`] begins an exchange (the initiator's side; for a KEM it
//! generates a key pair and the public value is the encapsulation key).
//! [`respond`] is the responder's side: for Diffie-Hellman it generates a
//! private value and combines it with the peer's; for a KEM it
//! encapsulates to the peer's key and returns the ciphertext.
//!
//! Every peer value is checked before use (RFC 6989): its length, then
//! MODP 1 < y < p − 1, ECP on the curve (and not the identity), X25519
//! and X448 not yielding the all-zero secret, ML-KEM the FIPS 203 §7.2 modulus
//! check. A bad value is [`CryptoError::InvalidPublicValue`]. Private
//! values and shared secrets are zeroized when dropped.

use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Odd};
use ml_kem::{Decapsulate, Encapsulate, Generate as _, KeyExport};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::modp::{self, ModpGroup};
use super::provider::{CryptoError, CryptoResult, KeyExchange, Random};
use super::rng::{RandomRng, SeededRandom};
use super::secret::Secret;
use crate::wire::registry::KeMethod;

/// Is `method` a key encapsulation mechanism (the responder's value is a
/// ciphertext, not a public key)?
pub fn is_kem(method: KeMethod) -> bool {
    matches!(
        method,
        KeMethod::ML_KEM_512 | KeMethod::ML_KEM_768 | KeMethod::ML_KEM_1024
    )
}

/// Does this module implement `method`?
pub fn is_supported(method: KeMethod) -> bool {
    modp::group(method).is_some()
        || is_kem(method)
        || matches!(
            method,
            KeMethod::ECP_256
                | KeMethod::ECP_384
                | KeMethod::ECP_521
                | KeMethod::CURVE25519
                | KeMethod::CURVE448
        )
}

/// Starts a key exchange with a fresh private value from `rng`.
pub fn start(method: KeMethod, rng: &mut dyn Random) -> CryptoResult<Box<dyn KeyExchange>> {
    if let Some(g) = modp::group(method) {
        return Ok(Box::new(ModpKe::generate(g, rng)?));
    }
    match method {
        KeMethod::ECP_256 => Ok(Box::new(EcpP256::generate(rng)?)),
        KeMethod::ECP_384 => Ok(Box::new(EcpP384::generate(rng)?)),
        KeMethod::ECP_521 => Ok(Box::new(EcpP521::generate(rng)?)),
        KeMethod::CURVE25519 => Ok(Box::new(X25519Ke::generate(rng)?)),
        KeMethod::CURVE448 => Ok(Box::new(X448Ke::generate(rng)?)),
        KeMethod::ML_KEM_512 => Ok(Box::new(MlKem512Ke::generate(rng)?)),
        KeMethod::ML_KEM_768 => Ok(Box::new(MlKem768Ke::generate(rng)?)),
        KeMethod::ML_KEM_1024 => Ok(Box::new(MlKem1024Ke::generate(rng)?)),
        other => Err(CryptoError::Unsupported("key exchange method", other.0)),
    }
}

/// Starts a key exchange with a given private value, for known-answer
/// tests and reproducible runs: the MODP exponent (big-endian, at most the
/// prime's length), the ECP scalar (big-endian, the field's length), the
/// X25519 scalar (32 bytes), the X448 scalar (56 bytes), or the ML-KEM
/// seed d ‖ z (64 bytes).
pub fn start_with_private(method: KeMethod, private: &[u8]) -> CryptoResult<Box<dyn KeyExchange>> {
    if let Some(g) = modp::group(method) {
        return Ok(Box::new(ModpKe::from_exponent(g, private)?));
    }
    match method {
        KeMethod::ECP_256 => Ok(Box::new(EcpP256::from_private(private)?)),
        KeMethod::ECP_384 => Ok(Box::new(EcpP384::from_private(private)?)),
        KeMethod::ECP_521 => Ok(Box::new(EcpP521::from_private(private)?)),
        KeMethod::CURVE25519 => Ok(Box::new(X25519Ke::from_private(private)?)),
        KeMethod::CURVE448 => Ok(Box::new(X448Ke::from_private(private)?)),
        KeMethod::ML_KEM_512 => Ok(Box::new(MlKem512Ke::from_seed(private)?)),
        KeMethod::ML_KEM_768 => Ok(Box::new(MlKem768Ke::from_seed(private)?)),
        KeMethod::ML_KEM_1024 => Ok(Box::new(MlKem1024Ke::from_seed(private)?)),
        other => Err(CryptoError::Unsupported("key exchange method", other.0)),
    }
}

/// The responder's side. Diffie-Hellman: generates a private value,
/// returns (our public value, shared secret). KEM: encapsulates to the
/// peer's encapsulation key, returns (ciphertext, shared secret).
pub fn respond(
    method: KeMethod,
    peer: &[u8],
    rng: &mut dyn Random,
) -> CryptoResult<(Vec<u8>, Secret)> {
    match method {
        KeMethod::ML_KEM_512 => MlKem512Ke::encapsulate(peer, rng),
        KeMethod::ML_KEM_768 => MlKem768Ke::encapsulate(peer, rng),
        KeMethod::ML_KEM_1024 => MlKem1024Ke::encapsulate(peer, rng),
        _ => {
            // Check the peer's length before spending a key generation.
            let lens = method.data_lengths();
            if !lens.is_empty() && !lens.contains(&peer.len()) && is_supported(method) {
                return Err(CryptoError::InvalidPublicValue("wrong length"));
            }
            let ke = start(method, rng)?;
            let public = ke.public_value().to_vec();
            Ok((public, ke.complete(peer)?))
        }
    }
}

// ---------------------------------------------------------------- MODP

/// The Montgomery parameters of each group, computed once.
fn modp_params(g: &ModpGroup) -> CryptoResult<BoxedMontyParams> {
    use std::sync::OnceLock;
    static CACHE: [OnceLock<Option<BoxedMontyParams>>; 8] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    let slot = match g.method.0 {
        1 => 0,
        2 => 1,
        5 => 2,
        14 => 3,
        15 => 4,
        16 => 5,
        17 => 6,
        _ => 7,
    };
    let bits = prime_bits(g);
    CACHE[slot]
        .get_or_init(|| {
            let p = BoxedUint::from_be_slice(g.prime, bits).ok()?;
            let odd = Option::<Odd<BoxedUint>>::from(Odd::new(p))?;
            // The modulus is public: the variable-time setup is fine.
            Some(BoxedMontyParams::new_vartime(odd))
        })
        .clone()
        .ok_or(CryptoError::Unsupported("MODP group", g.method.0))
}

fn prime_bits(g: &ModpGroup) -> u32 {
    // Prime lengths are at most 1024 bytes: no overflow.
    (g.prime.len() * 8) as u32
}

/// Big-endian bytes of `v`, left-padded (or cut from the left, which only
/// drops zero bytes for values < p) to `len`.
fn to_fixed_be(v: &BoxedUint, len: usize) -> Zeroizing<Vec<u8>> {
    let b = Zeroizing::new(v.to_be_bytes().into_vec());
    let mut out = Zeroizing::new(vec![0u8; len]);
    if b.len() >= len {
        out.copy_from_slice(&b[b.len() - len..]);
    } else {
        out[len - b.len()..].copy_from_slice(&b);
    }
    out
}

/// A MODP Diffie-Hellman exchange in progress.
pub struct ModpKe {
    group: ModpGroup,
    params: BoxedMontyParams,
    /// The private exponent (zeroized on drop).
    x: BoxedUint,
    exponent_bits: u32,
    public: Vec<u8>,
}

impl ModpKe {
    /// A fresh short exponent of `group.exponent_bits` bits (RFC 3526 §8).
    fn generate(group: ModpGroup, rng: &mut dyn Random) -> CryptoResult<Self> {
        let bits = group.exponent_bits;
        let nbytes = bits.div_ceil(8) as usize;
        let mut buf = Zeroizing::new(vec![0u8; nbytes]);
        loop {
            rng.fill(&mut buf)?;
            let extra = (nbytes * 8) as u32 - bits;
            if let Some(first) = buf.first_mut() {
                *first &= 0xFFu8 >> extra;
            }
            // x ≥ 2 (g^0 and g^1 are not secrets); the loop runs again with
            // negligible probability.
            let small = buf[..nbytes - 1].iter().all(|&b| b == 0) && buf[nbytes - 1] < 2;
            if !small {
                break;
            }
        }
        Self::with_exponent(group, &buf, bits)
    }

    /// A given exponent (for tests): at most the prime's length.
    fn from_exponent(group: ModpGroup, x: &[u8]) -> CryptoResult<Self> {
        if x.is_empty() || x.len() > group.prime.len() {
            return Err(CryptoError::Key("MODP exponent length".into()));
        }
        let bits = (x.len() * 8) as u32;
        Self::with_exponent(group, x, bits)
    }

    fn with_exponent(group: ModpGroup, x: &[u8], exponent_bits: u32) -> CryptoResult<Self> {
        let params = modp_params(&group)?;
        let mut x = BoxedUint::from_be_slice(x, exponent_bits)
            .map_err(|_| CryptoError::Key("MODP exponent".into()))?;
        let bits = prime_bits(&group);
        let two = BoxedUint::from_be_slice(&[modp::GENERATOR], bits)
            .map_err(|_| CryptoError::Unsupported("MODP group", group.method.0))?;
        let y = BoxedMontyForm::new(two, &params)
            .pow_bounded_exp(&x, exponent_bits)
            .retrieve();
        let public = to_fixed_be(&y, group.prime.len()).to_vec();
        // An exponent of 0 or 1 (possible only via from_exponent) would
        // publish 1 or g; refuse it.
        if public[..public.len() - 1].iter().all(|&b| b == 0) && public[public.len() - 1] <= 2 {
            x.zeroize();
            return Err(CryptoError::Key("degenerate MODP exponent".into()));
        }
        Ok(ModpKe {
            group,
            params,
            x,
            exponent_bits,
            public,
        })
    }

    /// Checks 1 < y < p − 1 (RFC 6989 §2.1) on the padded peer value.
    fn check_peer(&self, peer: &[u8]) -> CryptoResult<()> {
        let p = self.group.prime;
        if peer.len() != p.len() {
            return Err(CryptoError::InvalidPublicValue("MODP value length"));
        }
        // y > 1
        let (last, head) = match peer.split_last() {
            Some(v) => v,
            None => return Err(CryptoError::InvalidPublicValue("MODP value length")),
        };
        if head.iter().all(|&b| b == 0) && *last <= 1 {
            return Err(CryptoError::InvalidPublicValue("MODP value ≤ 1"));
        }
        // y < p − 1: every MODP prime ends in 0xFF, so p − 1 is p with its
        // last byte 0xFE; big-endian slices of equal length compare as
        // numbers. (Public values: a variable-time comparison is fine.)
        let mut pm1 = p.to_vec();
        if let Some(l) = pm1.last_mut() {
            *l = l.wrapping_sub(1);
        }
        if peer >= pm1.as_slice() {
            return Err(CryptoError::InvalidPublicValue("MODP value ≥ p − 1"));
        }
        Ok(())
    }
}

impl Drop for ModpKe {
    fn drop(&mut self) {
        self.x.zeroize();
    }
}

impl KeyExchange for ModpKe {
    fn method(&self) -> KeMethod {
        self.group.method
    }

    fn public_value(&self) -> &[u8] {
        &self.public
    }

    fn complete(self: Box<Self>, peer: &[u8]) -> CryptoResult<Secret> {
        self.check_peer(peer)?;
        let bits = prime_bits(&self.group);
        let y = BoxedUint::from_be_slice(peer, bits)
            .map_err(|_| CryptoError::InvalidPublicValue("MODP value"))?;
        let mut z =
            BoxedMontyForm::new(y, &self.params).pow_bounded_exp(&self.x, self.exponent_bits);
        let mut zi = z.retrieve();
        z.zeroize();
        let out = to_fixed_be(&zi, self.group.prime.len());
        zi.zeroize();
        Ok(Secret::from_slice(&out))
    }
}

// ---------------------------------------------------------------- ECP

macro_rules! ecp {
    ($(#[$doc:meta])* $name:ident, $curve:ident, $method:expr, $len:expr) => {
        $(#[$doc])*
        pub struct $name {
            secret: $curve::SecretKey,
            public: Vec<u8>,
        }

        impl $name {
            fn from_secret(secret: $curve::SecretKey) -> CryptoResult<Self> {
                let sec1 = secret.public_key().to_sec1_bytes();
                let public = match sec1.split_first() {
                    Some((0x04, xy)) if xy.len() == 2 * $len => xy.to_vec(),
                    _ => return Err(CryptoError::Key("unexpected point encoding".into())),
                };
                Ok(Self { secret, public })
            }

            fn generate(rng: &mut dyn Random) -> CryptoResult<Self> {
                use $curve::elliptic_curve::Generate;
                let secret = $curve::SecretKey::try_generate_from_rng(&mut RandomRng(rng))?;
                Self::from_secret(secret)
            }

            fn from_private(d: &[u8]) -> CryptoResult<Self> {
                if d.len() != $len {
                    return Err(CryptoError::Key("ECP private value length".into()));
                }
                let secret = $curve::SecretKey::from_slice(d)
                    .map_err(|_| CryptoError::Key("ECP private value out of range".into()))?;
                Self::from_secret(secret)
            }
        }

        impl KeyExchange for $name {
            fn method(&self) -> KeMethod {
                $method
            }

            fn public_value(&self) -> &[u8] {
                &self.public
            }

            fn complete(self: Box<Self>, peer: &[u8]) -> CryptoResult<Secret> {
                if peer.len() != 2 * $len {
                    return Err(CryptoError::InvalidPublicValue("ECP value length"));
                }
                // RFC 5903 §7: x | y; SEC1 uncompressed is 0x04 | x | y.
                // Decoding checks that the point is on the curve and is not
                // the identity (RFC 6989 §2.3).
                let mut enc = Vec::with_capacity(1 + peer.len());
                enc.push(0x04);
                enc.extend_from_slice(peer);
                let pk = $curve::PublicKey::from_sec1_bytes(&enc)
                    .map_err(|_| CryptoError::InvalidPublicValue("point not on the curve"))?;
                let shared = self.secret.diffie_hellman(&pk);
                // RFC 5903 §7: the shared secret is the x coordinate.
                Ok(Secret::from_slice(shared.raw_secret_bytes()))
            }
        }
    };
}

ecp!(
    /// ECDH on NIST P-256 (group 19, RFC 5903).
    EcpP256, p256, KeMethod::ECP_256, 32
);
ecp!(
    /// ECDH on NIST P-384 (group 20, RFC 5903).
    EcpP384, p384, KeMethod::ECP_384, 48
);
ecp!(
    /// ECDH on NIST P-521 (group 21, RFC 5903).
    EcpP521, p521, KeMethod::ECP_521, 66
);

// ---------------------------------------------------------------- X25519

/// X25519 (group 31, RFC 8031).
pub struct X25519Ke {
    secret: x25519_dalek::StaticSecret,
    public: [u8; 32],
}

impl X25519Ke {
    fn generate(rng: &mut dyn Random) -> CryptoResult<Self> {
        let mut k = Zeroizing::new([0u8; 32]);
        rng.fill(k.as_mut())?;
        Self::from_private(k.as_ref())
    }

    fn from_private(k: &[u8]) -> CryptoResult<Self> {
        let k: [u8; 32] = k
            .try_into()
            .map_err(|_| CryptoError::Key("X25519 private value length".into()))?;
        let mut k = Zeroizing::new(k);
        let secret = x25519_dalek::StaticSecret::from(*k);
        k.zeroize();
        let public = x25519_dalek::PublicKey::from(&secret).to_bytes();
        Ok(X25519Ke { secret, public })
    }
}

impl KeyExchange for X25519Ke {
    fn method(&self) -> KeMethod {
        KeMethod::CURVE25519
    }

    fn public_value(&self) -> &[u8] {
        &self.public
    }

    fn complete(self: Box<Self>, peer: &[u8]) -> CryptoResult<Secret> {
        let peer: [u8; 32] = peer
            .try_into()
            .map_err(|_| CryptoError::InvalidPublicValue("X25519 value length"))?;
        let shared = self
            .secret
            .diffie_hellman(&x25519_dalek::PublicKey::from(peer));
        // RFC 8031 §3.2 / RFC 7748 §6.1: reject the all-zero output (a
        // low-order peer point); checked in constant time.
        if !shared.was_contributory() {
            return Err(CryptoError::InvalidPublicValue(
                "X25519 shared secret is zero",
            ));
        }
        Ok(Secret::from_slice(shared.as_bytes()))
    }
}

// ---------------------------------------------------------------- X448

/// X448 (group 32, RFC 8031), on RustCrypto's `x448` crate.
pub struct X448Ke {
    /// The clamped scalar (zeroized on drop by the crate).
    secret: x448::StaticSecret,
    public: [u8; 56],
}

impl X448Ke {
    fn generate(rng: &mut dyn Random) -> CryptoResult<Self> {
        let mut k = Zeroizing::new([0u8; 56]);
        rng.fill(k.as_mut())?;
        Self::from_private(k.as_ref())
    }

    fn from_private(k: &[u8]) -> CryptoResult<Self> {
        let k: [u8; 56] = k
            .try_into()
            .map_err(|_| CryptoError::Key("X448 private value length".into()))?;
        let mut k = Zeroizing::new(k);
        // RFC 7748 §5: the crate clamps (clears the 2 low bits, sets the top one).
        let secret = x448::StaticSecret::from(*k);
        k.zeroize();
        let public = *x448::PublicKey::from(&secret).as_bytes();
        Ok(X448Ke { secret, public })
    }
}

impl KeyExchange for X448Ke {
    fn method(&self) -> KeMethod {
        KeMethod::CURVE448
    }

    fn public_value(&self) -> &[u8] {
        &self.public
    }

    fn complete(self: Box<Self>, peer: &[u8]) -> CryptoResult<Secret> {
        // Any 56 octets are a u-coordinate (RFC 7748 §5: non-canonical
        // values are reduced); only the length is checked here. The
        // crate's own low-order test (`PublicKey::from_bytes`) compares
        // canonical encodings only, so the output test below is the one
        // that counts.
        let peer = x448::PublicKey::from_bytes_unchecked(peer)
            .ok_or(CryptoError::InvalidPublicValue("X448 value length"))?;
        let shared = self.secret.diffie_hellman(&peer);
        // RFC 8031 §3.2 / RFC 7748 §6.2: reject the all-zero output (a
        // low-order peer point); checked in constant time.
        let zero: subtle::Choice = shared.as_bytes().ct_eq(&[0u8; 56]);
        if bool::from(zero) {
            return Err(CryptoError::InvalidPublicValue(
                "X448 shared secret is zero",
            ));
        }
        Ok(Secret::from_slice(shared.as_bytes()))
    }
}

// ---------------------------------------------------------------- ML-KEM

macro_rules! mlkem {
    ($(#[$doc:meta])* $name:ident, $params:ty, $method:expr) => {
        $(#[$doc])*
        pub struct $name {
            dk: ml_kem::DecapsulationKey<$params>,
            public: Vec<u8>,
        }

        impl $name {
            fn from_dk(dk: ml_kem::DecapsulationKey<$params>) -> Self {
                let public = dk.encapsulation_key().to_bytes().to_vec();
                Self { dk, public }
            }

            fn generate(rng: &mut dyn Random) -> CryptoResult<Self> {
                let dk = ml_kem::DecapsulationKey::<$params>::try_generate_from_rng(
                    &mut RandomRng(rng),
                )?;
                Ok(Self::from_dk(dk))
            }

            fn from_seed(seed: &[u8]) -> CryptoResult<Self> {
                let seed = ml_kem::Seed::try_from(seed)
                    .map_err(|_| CryptoError::Key("ML-KEM seed length".into()))?;
                let mut seed = Zeroizing::new(seed);
                let dk = ml_kem::DecapsulationKey::<$params>::from_seed(*seed);
                seed.as_mut_slice().zeroize();
                Ok(Self::from_dk(dk))
            }

            /// Encapsulates to the peer's key: (ciphertext, shared secret).
            fn encapsulate(peer_ek: &[u8], rng: &mut dyn Random) -> CryptoResult<(Vec<u8>, Secret)> {
                let key = ml_kem::Key::<ml_kem::EncapsulationKey<$params>>::try_from(peer_ek)
                    .map_err(|_| CryptoError::InvalidPublicValue("ML-KEM encapsulation key length"))?;
                // FIPS 203 §7.2 type and modulus checks.
                let ek = ml_kem::EncapsulationKey::<$params>::new(&key)
                    .map_err(|_| CryptoError::InvalidPublicValue("ML-KEM encapsulation key"))?;
                // The API takes an infallible CryptoRng: key one from `rng`.
                let mut drbg = SeededRandom::from_random(rng)?;
                let (ct, mut k) = ek.encapsulate_with_rng(&mut drbg);
                let secret = Secret::from_slice(k.as_slice());
                k.as_mut_slice().zeroize();
                Ok((ct.to_vec(), secret))
            }
        }

        impl KeyExchange for $name {
            fn method(&self) -> KeMethod {
                $method
            }

            fn public_value(&self) -> &[u8] {
                &self.public
            }

            fn complete(self: Box<Self>, peer: &[u8]) -> CryptoResult<Secret> {
                let ct = ml_kem::Ciphertext::<$params>::try_from(peer)
                    .map_err(|_| CryptoError::InvalidPublicValue("ML-KEM ciphertext length"))?;
                // Implicit rejection: a tampered ciphertext gives an
                // unrelated secret, never an error.
                let mut k = self.dk.decapsulate(&ct);
                let secret = Secret::from_slice(k.as_slice());
                k.as_mut_slice().zeroize();
                Ok(secret)
            }
        }
    };
}

mlkem!(
    /// ML-KEM-512 (method 35): initiator's side.
    MlKem512Ke, ml_kem::MlKem512, KeMethod::ML_KEM_512
);
mlkem!(
    /// ML-KEM-768 (method 36): initiator's side.
    MlKem768Ke, ml_kem::MlKem768, KeMethod::ML_KEM_768
);
mlkem!(
    /// ML-KEM-1024 (method 37): initiator's side.
    MlKem1024Ke, ml_kem::MlKem1024, KeMethod::ML_KEM_1024
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::rng::{FailingRandom, SeededRandom};

    fn rng(n: u8) -> SeededRandom {
        SeededRandom::from_seed([n; 32])
    }

    const ALL: [u16; 16] = [1, 2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 31, 32, 35, 36, 37];

    #[test]
    fn every_method_agrees_both_ways() {
        for m in ALL {
            // Groups 17 and 18 are slow in debug builds: one exchange each.
            let method = KeMethod(m);
            let a = start(method, &mut rng(1)).unwrap();
            assert_eq!(a.method(), method);
            assert!(
                method.data_lengths().contains(&a.public_value().len()),
                "method {m}: public length {}",
                a.public_value().len()
            );
            let (b_pub, b_secret) = respond(method, a.public_value(), &mut rng(2)).unwrap();
            assert!(method.data_lengths().contains(&b_pub.len()), "method {m}");
            let a_secret = a.complete(&b_pub).unwrap();
            assert_eq!(a_secret, b_secret, "method {m}");
            assert!(!a_secret.is_empty());
        }
    }

    #[test]
    fn deterministic_with_seeded_rng() {
        for m in [14u16, 19, 31, 32, 36] {
            let a = start(KeMethod(m), &mut rng(9)).unwrap();
            let b = start(KeMethod(m), &mut rng(9)).unwrap();
            assert_eq!(a.public_value(), b.public_value());
        }
    }

    #[test]
    fn wrong_lengths_are_invalid_public_values() {
        for m in ALL {
            let method = KeMethod(m);
            let a = start(method, &mut rng(3)).unwrap();
            let n = a.public_value().len();
            for bad in [0, 1, n - 1, n + 1, 2000] {
                if method.data_lengths().contains(&bad) {
                    continue;
                }
                let a = start(method, &mut rng(3)).unwrap();
                let peer = vec![0x55u8; bad];
                match a.complete(&peer) {
                    Err(CryptoError::InvalidPublicValue(_)) => {}
                    other => panic!("method {m}, length {bad}: {other:?}"),
                }
                match respond(method, &peer, &mut rng(4)) {
                    Err(CryptoError::InvalidPublicValue(_)) => {}
                    other => panic!("respond {m}, length {bad}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn modp_peer_range() {
        let g = modp::group(KeMethod::MODP_1024).unwrap();
        let p = g.prime.to_vec();
        let mut one = vec![0u8; p.len()];
        *one.last_mut().unwrap() = 1;
        let mut two = vec![0u8; p.len()];
        *two.last_mut().unwrap() = 2;
        let mut pm1 = p.clone();
        *pm1.last_mut().unwrap() -= 1;
        let mut pm2 = p.clone();
        *pm2.last_mut().unwrap() -= 2;
        let ff = vec![0xFFu8; p.len()];
        for bad in [vec![0u8; p.len()], one, pm1, p.clone(), ff] {
            let a = start(KeMethod::MODP_1024, &mut rng(5)).unwrap();
            assert!(matches!(
                a.complete(&bad),
                Err(CryptoError::InvalidPublicValue(_))
            ));
        }
        for good in [two, pm2] {
            let a = start(KeMethod::MODP_1024, &mut rng(5)).unwrap();
            assert_eq!(a.complete(&good).unwrap().len(), p.len());
        }
    }

    #[test]
    fn modp_known_small_exponent() {
        // 2^3 = 8; with exponent 3 the public value is 8, and with peer
        // value 8 the shared secret is 8^3 = 512.
        let a = start_with_private(KeMethod::MODP_768, &[3]).unwrap();
        let mut want = vec![0u8; 96];
        want[95] = 8;
        assert_eq!(a.public_value(), &want[..]);
        let s = a.complete(&want).unwrap();
        let mut want_s = [0u8; 96];
        want_s[94] = 2;
        assert_eq!(s.expose(), &want_s[..]);
        assert!(start_with_private(KeMethod::MODP_768, &[1]).is_err());
        assert!(start_with_private(KeMethod::MODP_768, &[]).is_err());
    }

    #[test]
    fn x25519_zero_output_rejected() {
        let a = start(KeMethod::CURVE25519, &mut rng(6)).unwrap();
        assert!(matches!(
            a.complete(&[0u8; 32]),
            Err(CryptoError::InvalidPublicValue(_))
        ));
    }

    #[test]
    fn x448_zero_output_rejected() {
        // u = 0, 1, p − 1 (low order) and the non-canonical p, p + 1
        // (p = 2^448 − 2^224 − 1, little-endian) all give the zero output.
        let mut p = [0xFFu8; 56];
        p[28] = 0xFE;
        let mut pm1 = p;
        pm1[0] = 0xFE;
        let mut pp1 = p;
        pp1[0] = 0x00;
        pp1[1..28].fill(0x00);
        pp1[28] = 0xFF;
        let mut one = [0u8; 56];
        one[0] = 1;
        for bad in [[0u8; 56], one, pm1, p] {
            let a = start(KeMethod::CURVE448, &mut rng(6)).unwrap();
            assert!(matches!(
                a.complete(&bad),
                Err(CryptoError::InvalidPublicValue(_))
            ));
        }
        // p + 1 ≡ 1: also zero.
        let a = start(KeMethod::CURVE448, &mut rng(6)).unwrap();
        assert!(matches!(
            a.complete(&pp1),
            Err(CryptoError::InvalidPublicValue(_))
        ));
    }

    #[test]
    fn ecp_identity_and_off_curve_rejected() {
        for (m, n) in [(19u16, 32usize), (20, 48), (21, 66)] {
            let a = start(KeMethod(m), &mut rng(7)).unwrap();
            assert!(matches!(
                a.complete(&vec![0u8; 2 * n]),
                Err(CryptoError::InvalidPublicValue(_))
            ));
            let a = start(KeMethod(m), &mut rng(7)).unwrap();
            let mut p = a.public_value().to_vec();
            *p.last_mut().unwrap() ^= 1;
            let a = start(KeMethod(m), &mut rng(8)).unwrap();
            assert!(matches!(
                a.complete(&p),
                Err(CryptoError::InvalidPublicValue(_))
            ));
        }
    }

    #[test]
    fn mlkem_implicit_rejection_and_modulus_check() {
        let a = start(KeMethod::ML_KEM_768, &mut rng(10)).unwrap();
        let ek = a.public_value().to_vec();
        let (mut ct, k) = respond(KeMethod::ML_KEM_768, &ek, &mut rng(11)).unwrap();
        ct[0] ^= 1;
        let k2 = a.complete(&ct).unwrap();
        assert_eq!(k2.len(), 32);
        assert_ne!(k, k2);
        // First 12-bit coefficient set to q = 3329 (0xD01): fails §7.2.
        let mut bad = ek.clone();
        bad[0] = 0x01;
        bad[1] = (bad[1] & 0xF0) | 0x0D;
        assert!(matches!(
            respond(KeMethod::ML_KEM_768, &bad, &mut rng(12)),
            Err(CryptoError::InvalidPublicValue(_))
        ));
    }

    #[test]
    fn unsupported_and_rng_failure() {
        assert!(matches!(
            start(KeMethod(22), &mut rng(1)),
            Err(CryptoError::Unsupported(_, 22))
        ));
        assert!(matches!(
            respond(KeMethod(33), &[0; 32], &mut rng(1)),
            Err(CryptoError::Unsupported(_, 33))
        ));
        for m in ALL {
            assert!(start(KeMethod(m), &mut FailingRandom).is_err(), "{m}");
        }
        assert!(is_supported(KeMethod::CURVE448));
        assert!(!is_supported(KeMethod(33)));
        assert!(is_kem(KeMethod::ML_KEM_512));
        assert!(!is_kem(KeMethod::CURVE25519));
    }
}
