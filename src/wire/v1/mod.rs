//! IKEv1 / ISAKMP payload bodies (RFC 2407, 2408, 2409 and extensions).
//!
//! [`decode`] turns a [`RawPayload`] from the chain into a typed
//! [`Payload`]. Fixed parts are checked against the body length before use;
//! lists stay lazy.

mod config;
mod delete;
mod fragment;
mod identification;
mod natt;
mod notification;
mod sa;

pub use config::ConfigAttributes;
pub use delete::Delete;
pub use fragment::Fragment;
pub use identification::{Certificate, CertificateRequest, Identification};
pub use natt::NatOa;
pub use notification::{Notification, NotifyDataV1};
pub use sa::Sa;

use super::error::{Mode, Result};
use super::message::RawPayload;
use super::registry::PayloadType;

/// A decoded IKEv1 payload.
#[derive(Clone, Copy, Debug)]
pub enum Payload<'a> {
    /// Security Association (1).
    Sa(Sa<'a>),
    /// Key Exchange (4): the public value.
    KeyExchange(&'a [u8]),
    /// Identification (5).
    Identification(Identification<'a>),
    /// Certificate (6).
    Certificate(Certificate<'a>),
    /// Certificate Request (7).
    CertificateRequest(CertificateRequest<'a>),
    /// Hash (8).
    Hash(&'a [u8]),
    /// Signature (9).
    Signature(&'a [u8]),
    /// Nonce (10).
    Nonce(&'a [u8]),
    /// Notification (11).
    Notification(Notification<'a>),
    /// Delete (12).
    Delete(Delete<'a>),
    /// Vendor ID (13).
    VendorId(&'a [u8]),
    /// Mode-Config / XAUTH attribute payload (14).
    Attributes(ConfigAttributes<'a>),
    /// NAT-D (20, or 130 in the drafts): a hash.
    NatD(&'a [u8]),
    /// NAT-OA (21, or 131 in the drafts).
    NatOa(NatOa<'a>),
    /// IKEv1 fragment (132).
    Fragment(Fragment<'a>),
    /// A GDOI payload (RFC 6407: SAK, SAT, KD, SEQ, POP, GAP), kept raw.
    Gdoi(PayloadType, &'a [u8]),
    /// Any other type, kept raw.
    Unknown(PayloadType, &'a [u8]),
}

/// Decodes the body of `raw`. `base` is the buffer offsets are measured
/// from (the message). In lax mode count/length consistency checks are
/// left to the caller (`check()` methods); structural truncation is an
/// error in both modes.
pub fn decode<'a>(base: &'a [u8], raw: &RawPayload<'a>, mode: Mode) -> Result<Payload<'a>> {
    let b = raw.body;
    Ok(match raw.payload_type {
        PayloadType::SA => Payload::Sa(Sa::parse(base, b, mode)?),
        PayloadType::KE => Payload::KeyExchange(b),
        PayloadType::ID => Payload::Identification(Identification::parse(base, b, mode)?),
        PayloadType::CERT => Payload::Certificate(Certificate::parse(base, b)?),
        PayloadType::CR => Payload::CertificateRequest(CertificateRequest::parse(base, b)?),
        PayloadType::HASH => Payload::Hash(b),
        PayloadType::SIG => Payload::Signature(b),
        PayloadType::NONCE => Payload::Nonce(b),
        PayloadType::NOTIFICATION => Payload::Notification(Notification::parse(base, b)?),
        PayloadType::DELETE => Payload::Delete(Delete::parse(base, b, mode)?),
        PayloadType::VENDOR_ID => Payload::VendorId(b),
        PayloadType::ATTRIBUTES => Payload::Attributes(ConfigAttributes::parse(base, b)?),
        PayloadType::NAT_D | PayloadType::NAT_D_DRAFT => Payload::NatD(b),
        PayloadType::NAT_OA | PayloadType::NAT_OA_DRAFT => {
            Payload::NatOa(NatOa::parse(base, b, mode)?)
        }
        PayloadType::V1_FRAGMENT => Payload::Fragment(Fragment::parse(base, b)?),
        t @ (PayloadType::SAK
        | PayloadType::SAT
        | PayloadType::KD
        | PayloadType::SEQ
        | PayloadType::POP
        | PayloadType::GAP) => Payload::Gdoi(t, b),
        t => Payload::Unknown(t, b),
    })
}
