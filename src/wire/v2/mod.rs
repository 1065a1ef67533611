//! IKEv2 payload bodies (RFC 7296 §3 and extensions).
//!
//! [`decode`] turns a [`RawPayload`] into a typed [`Payload`]. Fixed parts
//! are checked against the body length before use; lists stay lazy.

mod auth;
mod config;
mod delete;
mod encrypted;
mod key_exchange;
mod notify;
mod traffic_selector;

pub use auth::{Auth, Certificate, CertificateRequest, Identification};
pub use config::{ConfigAttribute, ConfigAttributeIter, ConfigPayload};
pub use delete::Delete;
pub use encrypted::{Encrypted, EncryptedFragment};
pub use key_exchange::KeyExchange;
pub use notify::{Notify, NotifyData};
pub use traffic_selector::{TrafficSelector, TrafficSelectorIter, TrafficSelectors};

use super::error::{ErrorKind, Mode, Result, WireError};
use super::message::RawPayload;
use super::proposal::ProposalIter;
use super::reader::offset_in;
use super::registry::PayloadType;

/// A decoded IKEv2 payload.
#[derive(Clone, Debug)]
pub enum Payload<'a> {
    /// Security Association (33): its proposals.
    Sa(ProposalIter<'a>),
    /// Key Exchange (34).
    KeyExchange(KeyExchange<'a>),
    /// Identification - Initiator (35) or - Responder (36).
    Identification(Identification<'a>),
    /// Certificate (37).
    Certificate(Certificate<'a>),
    /// Certificate Request (38).
    CertificateRequest(CertificateRequest<'a>),
    /// Authentication (39).
    Auth(Auth<'a>),
    /// Nonce (40).
    Nonce(&'a [u8]),
    /// Notify (41).
    Notify(Notify<'a>),
    /// Delete (42).
    Delete(Delete<'a>),
    /// Vendor ID (43).
    VendorId(&'a [u8]),
    /// Traffic Selector - Initiator (44) or - Responder (45).
    TrafficSelectors(TrafficSelectors<'a>),
    /// Encrypted and Authenticated (46).
    Encrypted(Encrypted<'a>),
    /// Configuration (47).
    Config(ConfigPayload<'a>),
    /// Extensible Authentication (48): an EAP message (RFC 3748).
    Eap(&'a [u8]),
    /// Generic Secure Password Methods (49, RFC 6467).
    Gspm(&'a [u8]),
    /// Encrypted and Authenticated Fragment (53, RFC 7383).
    EncryptedFragment(EncryptedFragment<'a>),
    /// Any other type, kept raw.
    Unknown(PayloadType, &'a [u8]),
}

/// Decodes the body of `raw` (a payload of the chain of the message
/// `base`). Strict mode also runs the consistency checks (counts, fixed
/// data sizes); lax mode leaves them to the caller's `check()` calls.
pub fn decode<'a>(base: &'a [u8], raw: &RawPayload<'a>, mode: Mode) -> Result<Payload<'a>> {
    let b = raw.body;
    Ok(match raw.payload_type {
        PayloadType::V2_SA => Payload::Sa(ProposalIter::new(base, b, mode)),
        PayloadType::V2_KE => Payload::KeyExchange(KeyExchange::parse(base, b)?),
        PayloadType::V2_IDI | PayloadType::V2_IDR => {
            Payload::Identification(Identification::parse(base, b)?)
        }
        PayloadType::V2_CERT => Payload::Certificate(Certificate::parse(base, b)?),
        PayloadType::V2_CERTREQ => Payload::CertificateRequest(CertificateRequest::parse(base, b)?),
        PayloadType::V2_AUTH => Payload::Auth(Auth::parse(base, b)?),
        PayloadType::V2_NONCE => Payload::Nonce(b),
        PayloadType::V2_NOTIFY => Payload::Notify(Notify::parse(base, b, mode)?),
        PayloadType::V2_DELETE => Payload::Delete(Delete::parse(base, b, mode)?),
        PayloadType::V2_VENDOR_ID => Payload::VendorId(b),
        PayloadType::V2_TSI | PayloadType::V2_TSR => {
            Payload::TrafficSelectors(TrafficSelectors::parse(base, b, mode)?)
        }
        PayloadType::V2_SK => Payload::Encrypted(Encrypted {
            first_inner: raw.header.next_payload,
            data: b,
        }),
        PayloadType::V2_CP => Payload::Config(ConfigPayload::parse(base, b)?),
        PayloadType::V2_EAP => Payload::Eap(b),
        PayloadType::V2_GSPM => Payload::Gspm(b),
        PayloadType::V2_SKF => Payload::EncryptedFragment(EncryptedFragment::parse(
            base,
            b,
            raw.header.next_payload,
            mode,
        )?),
        t => Payload::Unknown(t, b),
    })
}

/// Checks that a list of SPIs is exactly `size × count` octets (Delete
/// payloads of both versions).
pub(crate) fn check_spi_list(base: &[u8], spis: &[u8], size: u8, count: u16) -> Result<()> {
    let expected = usize::from(size) * usize::from(count);
    if spis.len() != expected {
        let found = if size == 0 {
            0
        } else {
            spis.len() / usize::from(size)
        };
        return Err(WireError::new(
            ErrorKind::CountMismatch {
                declared: usize::from(count),
                found,
            },
            offset_in(base, spis),
        ));
    }
    Ok(())
}
