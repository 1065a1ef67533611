//! Randomness: the operating system's generator ([`OsRandom`]), a
//! deterministic generator for tests ([`SeededRandom`]), and the bridges
//! that let RustCrypto APIs draw from a `&mut dyn Random`.
//!
//! RustCrypto's 2026 crates take either a fallible
//! [`rand_core::TryCryptoRng`] (the `try_*` constructors, e.g.
//! `Generate::try_generate_from_rng`) or an infallible
//! [`rand_core::CryptoRng`]. [`RandomRng`] wraps a `&mut dyn Random` as the
//! former, so an RNG failure comes back as [`CryptoError::Rng`]. Where only
//! the infallible form is accepted, [`SeededRandom::from_random`] keys a
//! generator with 32 bytes from the `dyn Random` (failing cleanly if those
//! cannot be had) and the API draws from that.

use core::convert::Infallible;

use rand_core::{TryCryptoRng, TryRng};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use super::provider::{CryptoError, CryptoResult, Random};

/// The operating system's random number generator (getrandom's `SysRng`).
#[derive(Clone, Copy, Debug, Default)]
pub struct OsRandom;

impl OsRandom {
    /// The OS generator.
    pub fn new() -> Self {
        OsRandom
    }
}

impl Random for OsRandom {
    fn fill(&mut self, out: &mut [u8]) -> CryptoResult<()> {
        getrandom::SysRng
            .try_fill_bytes(out)
            .map_err(|_| CryptoError::Rng)
    }
}

/// A deterministic generator: SHA-256 in counter mode,
/// block *i* = SHA-256(seed ‖ i as 64-bit big-endian), output in order.
///
/// **For tests** (reproducible exchanges, fixed nonces and keys): anyone
/// who knows the seed knows every output. The state is zeroized on drop.
/// [`SeededRandom::from_random`] keys one from another source; that is how
/// RustCrypto APIs that only take an infallible `CryptoRng` draw from a
/// `&mut dyn Random` (with a fresh 256-bit key each time).
pub struct SeededRandom {
    seed: Zeroizing<[u8; 32]>,
    counter: u64,
    block: Zeroizing<[u8; 32]>,
    used: usize,
}

impl SeededRandom {
    /// A generator whose whole output is determined by `seed`.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let mut s = Zeroizing::new([0u8; 32]);
        s.copy_from_slice(&seed);
        SeededRandom {
            seed: s,
            counter: 0,
            block: Zeroizing::new([0u8; 32]),
            used: 32,
        }
    }

    /// A generator keyed with 32 bytes drawn from `src`.
    pub fn from_random(src: &mut dyn Random) -> CryptoResult<Self> {
        let mut seed = Zeroizing::new([0u8; 32]);
        src.fill(seed.as_mut())?;
        Ok(Self::from_seed(*seed))
    }

    fn refill(&mut self) {
        let mut h = Sha256::new();
        h.update(self.seed.as_ref());
        h.update(self.counter.to_be_bytes());
        self.counter = self.counter.wrapping_add(1);
        let out = h.finalize();
        self.block.copy_from_slice(&out);
        self.used = 0;
    }

    fn fill_bytes_inner(&mut self, out: &mut [u8]) {
        let mut at = 0;
        while at < out.len() {
            if self.used >= self.block.len() {
                self.refill();
            }
            let n = (self.block.len() - self.used).min(out.len() - at);
            out[at..at + n].copy_from_slice(&self.block[self.used..self.used + n]);
            // Fast key erasure is not needed for a test generator, but do
            // not leave consumed output lying around.
            self.block[self.used..self.used + n].zeroize();
            self.used += n;
            at += n;
        }
    }
}

impl core::fmt::Debug for SeededRandom {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SeededRandom").finish_non_exhaustive()
    }
}

impl Random for SeededRandom {
    fn fill(&mut self, out: &mut [u8]) -> CryptoResult<()> {
        self.fill_bytes_inner(out);
        Ok(())
    }
}

impl TryRng for SeededRandom {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.fill_bytes_inner(&mut b);
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.fill_bytes_inner(&mut b);
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.fill_bytes_inner(dst);
        Ok(())
    }
}

impl TryCryptoRng for SeededRandom {}

/// A `&mut dyn Random` as a fallible RustCrypto RNG
/// ([`rand_core::TryCryptoRng`] with `Error = CryptoError`).
pub struct RandomRng<'a>(pub &'a mut dyn Random);

impl TryRng for RandomRng<'_> {
    type Error = CryptoError;

    fn try_next_u32(&mut self) -> Result<u32, CryptoError> {
        let mut b = [0u8; 4];
        self.0.fill(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, CryptoError> {
        let mut b = [0u8; 8];
        self.0.fill(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), CryptoError> {
        self.0.fill(dst)
    }
}

impl TryCryptoRng for RandomRng<'_> {}

/// A generator that always fails; for testing error paths.
#[cfg(test)]
pub(crate) struct FailingRandom;

#[cfg(test)]
impl Random for FailingRandom {
    fn fill(&mut self, _out: &mut [u8]) -> CryptoResult<()> {
        Err(CryptoError::Rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::Rng;

    #[test]
    fn os_random_fills() {
        let mut a = [0u8; 64];
        let mut b = [0u8; 64];
        OsRandom::new().fill(&mut a).unwrap();
        OsRandom.fill(&mut b).unwrap();
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 64]);
    }

    #[test]
    fn seeded_random_is_deterministic_and_chunking_invariant() {
        let mut a = SeededRandom::from_seed([7; 32]);
        let mut b = SeededRandom::from_seed([7; 32]);
        let mut c = SeededRandom::from_seed([8; 32]);
        let mut x = [0u8; 100];
        a.fill(&mut x).unwrap();
        let mut y = [0u8; 100];
        for chunk in y.chunks_mut(7) {
            b.fill(chunk).unwrap();
        }
        assert_eq!(x, y);
        let mut z = [0u8; 100];
        c.fill(&mut z).unwrap();
        assert_ne!(x, z);
        // Block 0 is SHA-256(seed || 0u64).
        let mut h = Sha256::new();
        h.update([7u8; 32]);
        h.update(0u64.to_be_bytes());
        assert_eq!(&x[..32], h.finalize().as_slice());
        // Usable as an infallible CryptoRng.
        let _ = a.next_u64();
    }

    #[test]
    fn adapters_propagate_failure() {
        let mut f = FailingRandom;
        assert_eq!(
            SeededRandom::from_random(&mut f).unwrap_err(),
            CryptoError::Rng
        );
        let mut r = RandomRng(&mut f);
        assert_eq!(r.try_next_u32().unwrap_err(), CryptoError::Rng);
        let mut os = OsRandom;
        let mut r = RandomRng(&mut os);
        let mut buf = [0u8; 16];
        r.try_fill_bytes(&mut buf).unwrap();
    }
}
