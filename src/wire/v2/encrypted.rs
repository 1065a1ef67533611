//! IKEv2 Encrypted and Authenticated payload (RFC 7296 §3.14) and its
//! fragment form (RFC 7383 §2.5). Splitting IV, ciphertext and ICV needs
//! the negotiated algorithms, so that is the crypto layer's job.

use crate::wire::error::{ErrorKind, Mode, Result, WireError};
use crate::wire::reader::{be_u16, offset_in, run};
use crate::wire::registry::PayloadType;

/// SK payload body.
#[derive(Clone, Copy, Debug)]
pub struct Encrypted<'a> {
    /// Type of the first payload inside.
    pub first_inner: PayloadType,
    /// IV, ciphertext (with padding) and ICV.
    pub data: &'a [u8],
}

/// SKF payload body.
#[derive(Clone, Copy, Debug)]
pub struct EncryptedFragment<'a> {
    /// Type of the first inner payload (only in fragment 1; 0 otherwise).
    pub first_inner: PayloadType,
    /// Fragment number, from 1.
    pub fragment_number: u16,
    /// Total number of fragments.
    pub total_fragments: u16,
    /// IV, ciphertext and ICV of this fragment.
    pub data: &'a [u8],
    base: &'a [u8],
    numbers: &'a [u8],
}

impl<'a> EncryptedFragment<'a> {
    /// Parses the body; strict mode checks the numbering.
    pub fn parse(
        base: &'a [u8],
        body: &'a [u8],
        first_inner: PayloadType,
        mode: Mode,
    ) -> Result<Self> {
        let (data, (n, t)) = run(base, body, (be_u16, be_u16))?;
        let f = EncryptedFragment {
            first_inner,
            fragment_number: n,
            total_fragments: t,
            data,
            base,
            numbers: body,
        };
        if mode == Mode::Strict {
            f.check()?;
        }
        Ok(f)
    }

    /// RFC 7383 §2.6: 1 ≤ number ≤ total, and only the first fragment names
    /// an inner payload.
    pub fn check(&self) -> Result<()> {
        let off = offset_in(self.base, self.numbers);
        if self.fragment_number == 0 || self.fragment_number > self.total_fragments {
            return Err(WireError::new(
                ErrorKind::InvalidValue("fragment number"),
                off,
            ));
        }
        if self.fragment_number != 1 && self.first_inner != PayloadType::NONE {
            return Err(WireError::new(
                ErrorKind::InvalidValue("next payload of a non-first fragment"),
                off.saturating_sub(4),
            ));
        }
        Ok(())
    }
}
