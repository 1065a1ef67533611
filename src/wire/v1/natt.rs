//! IKEv1 NAT-OA payload (RFC 3947 §5.2; draft numbering 131).

use std::net::IpAddr;

use crate::wire::error::{ErrorKind, Mode, Result, WireError};
use crate::wire::reader::{be_u8, offset_in, run, take};
use crate::wire::registry::IdTypeV1;

/// NAT-OA payload body.
#[derive(Clone, Copy, Debug)]
pub struct NatOa<'a> {
    /// ID type: ID_IPV4_ADDR (1) or ID_IPV6_ADDR (5).
    pub id_type: IdTypeV1,
    /// The three reserved octets.
    pub reserved: [u8; 3],
    /// The original address bytes.
    pub address: &'a [u8],
    base: &'a [u8],
}

impl<'a> NatOa<'a> {
    /// Parses the body; strict mode also checks the address length.
    pub fn parse(base: &'a [u8], body: &'a [u8], mode: Mode) -> Result<Self> {
        let (address, (t, r)) = run(base, body, (be_u8, take(3)))?;
        let n = NatOa {
            id_type: IdTypeV1(t),
            reserved: [r[0], r[1], r[2]],
            address,
            base,
        };
        if mode == Mode::Strict {
            n.ip()?;
        }
        Ok(n)
    }

    /// The original address.
    pub fn ip(&self) -> Result<IpAddr> {
        let bad = || {
            WireError::new(
                ErrorKind::InvalidValue("NAT-OA address"),
                offset_in(self.base, self.address),
            )
        };
        match (self.id_type, self.address.len()) {
            (IdTypeV1::IPV4_ADDR, 4) => {
                let a: [u8; 4] = self.address.try_into().map_err(|_| bad())?;
                Ok(IpAddr::from(a))
            }
            (IdTypeV1::IPV6_ADDR, 16) => {
                let a: [u8; 16] = self.address.try_into().map_err(|_| bad())?;
                Ok(IpAddr::from(a))
            }
            _ => Err(bad()),
        }
    }
}
