//! IKEv2 Key Exchange payload (RFC 7296 §3.4).

use crate::wire::error::Result;
use crate::wire::reader::{be_u16, run};
use crate::wire::registry::KeMethod;

/// Key Exchange payload body.
#[derive(Clone, Copy, Debug)]
pub struct KeyExchange<'a> {
    /// Key exchange method (Diffie-Hellman group, KEM …).
    pub method: KeMethod,
    /// Reserved two octets.
    pub reserved: u16,
    /// Key exchange data.
    pub data: &'a [u8],
}

impl<'a> KeyExchange<'a> {
    /// Parses the body.
    pub fn parse(base: &'a [u8], body: &'a [u8]) -> Result<Self> {
        let (data, (m, r)) = run(base, body, (be_u16, be_u16))?;
        Ok(KeyExchange {
            method: KeMethod(m),
            reserved: r,
            data,
        })
    }
}
