//! IKEv2 Identification (RFC 7296 §3.5), Certificate (§3.6), Certificate
//! Request (§3.7) and Authentication (§3.8) payloads.

use crate::wire::error::{Result, WireError};
use crate::wire::identity::{decode_id, IdData};
use crate::wire::reader::{array, be_u8, offset_in, run};
use crate::wire::registry::{AuthMethodV2, CertEncoding, IdTypeV2};

/// IDi / IDr payload body.
#[derive(Clone, Copy, Debug)]
pub struct Identification<'a> {
    /// ID type.
    pub id_type: IdTypeV2,
    /// The three reserved octets (kept: they are part of the AUTH input).
    pub reserved: [u8; 3],
    /// Identification data.
    pub data: &'a [u8],
    base: &'a [u8],
}

impl<'a> Identification<'a> {
    /// Parses the body.
    pub fn parse(base: &'a [u8], body: &'a [u8]) -> Result<Self> {
        let (data, (t, reserved)) = run(base, body, (be_u8, array::<3>))?;
        Ok(Identification {
            id_type: IdTypeV2(t),
            reserved,
            data,
            base,
        })
    }

    /// The typed identification data.
    pub fn id_data(&self) -> Result<IdData<'a>> {
        decode_id(self.id_type.0, self.data, true)
            .map_err(|k| WireError::new(k, offset_in(self.base, self.data)))
    }
}

/// CERT payload body.
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

/// CERTREQ payload body.
#[derive(Clone, Copy, Debug)]
pub struct CertificateRequest<'a> {
    /// Certificate encoding requested.
    pub encoding: CertEncoding,
    /// Certification authority data: for X.509 a list of 20-octet SHA-1
    /// hashes of trusted CAs' public keys.
    pub authority: &'a [u8],
}

impl<'a> CertificateRequest<'a> {
    /// Parses the body.
    pub fn parse(base: &'a [u8], body: &'a [u8]) -> Result<Self> {
        let (authority, e) = run(base, body, be_u8)?;
        Ok(CertificateRequest {
            encoding: CertEncoding(e),
            authority,
        })
    }

    /// The CA key hashes (whole 20-octet chunks).
    pub fn ca_hashes(&self) -> impl Iterator<Item = &'a [u8]> {
        self.authority.chunks_exact(20)
    }
}

/// AUTH payload body.
#[derive(Clone, Copy, Debug)]
pub struct Auth<'a> {
    /// Authentication method.
    pub method: AuthMethodV2,
    /// The three reserved octets.
    pub reserved: [u8; 3],
    /// Authentication data.
    pub data: &'a [u8],
}

impl<'a> Auth<'a> {
    /// Parses the body.
    pub fn parse(base: &'a [u8], body: &'a [u8]) -> Result<Self> {
        let (data, (m, reserved)) = run(base, body, (be_u8, array::<3>))?;
        Ok(Auth {
            method: AuthMethodV2(m),
            reserved,
            data,
        })
    }

    /// For the Digital Signature method (14, RFC 7427 §3): the
    /// AlgorithmIdentifier (after its one-octet length) and the signature.
    pub fn digital_signature(&self) -> Option<(&'a [u8], &'a [u8])> {
        if self.method != AuthMethodV2::DIGITAL_SIGNATURE {
            return None;
        }
        let (&len, rest) = self.data.split_first()?;
        let len = usize::from(len);
        (rest.len() >= len).then(|| rest.split_at(len))
    }
}
