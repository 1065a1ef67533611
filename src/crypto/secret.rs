//! Secret bytes: zeroized on drop, compared in constant time, never
//! printed.

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Key material or a shared secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Takes ownership of `v` (which will be zeroized when dropped).
    pub fn new(v: Vec<u8>) -> Self {
        Secret(Zeroizing::new(v))
    }

    /// Copies `b`.
    pub fn from_slice(b: &[u8]) -> Self {
        Secret::new(b.to_vec())
    }

    /// A secret of `n` zero bytes, to be filled.
    pub fn zeroed(n: usize) -> Self {
        Secret::new(vec![0; n])
    }

    /// The bytes. Handle with care: do not log them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The bytes, mutably.
    pub fn expose_mut(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Empty?
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Constant-time comparison with `other` (lengths are not secret).
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        ct_eq(&self.0, other)
    }

    /// Splits off the first `n` bytes as a new secret (for cutting keying
    /// material into keys); `None` when fewer remain.
    pub fn take(&self, at: &mut usize, n: usize) -> Option<Secret> {
        let s = self.0.get(*at..at.checked_add(n)?)?;
        *at += n;
        Some(Secret::from_slice(s))
    }
}

/// Constant-time equality of two byte strings (lengths compared openly).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} bytes)", self.0.len())
    }
}

impl From<Vec<u8>> for Secret {
    fn from(v: Vec<u8>) -> Self {
        Secret::new(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_bytes_and_take_splits() {
        let s = Secret::from_slice(&[1, 2, 3, 4, 5]);
        assert_eq!(format!("{s:?}"), "Secret(5 bytes)");
        let mut at = 0;
        assert_eq!(s.take(&mut at, 2).unwrap().expose(), &[1, 2]);
        assert_eq!(s.take(&mut at, 3).unwrap().expose(), &[3, 4, 5]);
        assert!(s.take(&mut at, 1).is_none());
        assert!(s.ct_eq(&[1, 2, 3, 4, 5]));
        assert!(!s.ct_eq(&[1, 2, 3, 4, 6]));
        assert!(!s.ct_eq(&[1, 2, 3, 4]));
    }
}
