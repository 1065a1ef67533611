//! IKEv1 Identification (RFC 2408 §3.8, RFC 2407 §4.6.2), Certificate
//! (RFC 2408 §3.9) and Certificate Request (RFC 2408 §3.10) payloads.

use crate::wire::error::{Mode, Result, WireError};
use crate::wire::identity::{decode_id, IdData};
use crate::wire::reader::{be_u16, be_u8, offset_in, run};
use crate::wire::registry::{CertEncoding, IdTypeV1};

/// Identification payload body.
#[derive(Clone, Copy, Debug)]
pub struct Identification<'a> {
    /// ID type.
    pub id_type: IdTypeV1,
    /// IPsec DOI: protocol ID (0 or e.g. 17 for UDP).
    pub protocol_id: u8,
    /// IPsec DOI: port.
    pub port: u16,
    /// Identification data.
    pub data: &'a [u8],
    base: &'a [u8],
}

impl<'a> Identification<'a> {
    /// Parses the body (4 fixed octets, then the data).
    pub fn parse(base: &'a [u8], body: &'a [u8], _mode: Mode) -> Result<Self> {
        let (data, (t, p, port)) = run(base, body, (be_u8, be_u8, be_u16))?;
        Ok(Identification {
            id_type: IdTypeV1(t),
            protocol_id: p,
            port,
            data,
            base,
        })
    }

    /// The typed identification data; an error (with the offset of the
    /// data) when an address type has the wrong length.
    pub fn id_data(&self) -> Result<IdData<'a>> {
        decode_id(self.id_type.0, self.data, false)
            .map_err(|k| WireError::new(k, offset_in(self.base, self.data)))
    }
}

/// Certificate payload body.
#[derive(Clone, Copy, Debug)]
pub struct Certificate<'a> {
    /// Certificate encoding.
    pub encoding: CertEncoding,
    /// Certificate data.
    pub data: &'a [u8],
}

impl<'a> Certificate<'a> {
    /// Parses the body.
    pub fn parse(base: &'a [u8], body: &'a [u8]) -> Result<Self> {
        let (data, e) = run(base, body, be_u8)?;
        Ok(Certificate {
            encoding: CertEncoding(e),
            data,
        })
    }
}

/// Certificate Request payload body.
#[derive(Clone, Copy, Debug)]
pub struct CertificateRequest<'a> {
    /// Requested certificate type.
    pub cert_type: CertEncoding,
    /// Certificate authority (a DER DN), possibly empty.
    pub authority: &'a [u8],
}

impl<'a> CertificateRequest<'a> {
    /// Parses the body.
    pub fn parse(base: &'a [u8], body: &'a [u8]) -> Result<Self> {
        let (authority, t) = run(base, body, be_u8)?;
        Ok(CertificateRequest {
            cert_type: CertEncoding(t),
            authority,
        })
    }
}
