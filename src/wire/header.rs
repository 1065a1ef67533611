//! The 28-octet ISAKMP header shared by IKEv1 (RFC 2408 §3.1) and IKEv2
//! (RFC 7296 §3.1), and the 4-octet generic payload header (RFC 2408 §3.2,
//! RFC 7296 §3.2).

use core::fmt;

use super::error::{ErrorKind, Result, WireError};
use super::reader::{array, be_u32, be_u8, run, take, PResult};
use super::registry::{ExchangeType, PayloadType};

/// Length of the ISAKMP header.
pub const HEADER_LEN: usize = 28;
/// Length of the generic payload header.
pub const PAYLOAD_HEADER_LEN: usize = 4;

/// The major.minor version octet.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Version(pub u8);

impl Version {
    /// ISAKMP / IKEv1 (1.0).
    pub const V1: Version = Version(0x10);
    /// IKEv2 (2.0).
    pub const V2: Version = Version(0x20);
    /// The major version (high nibble).
    pub const fn major(self) -> u8 {
        self.0 >> 4
    }
    /// The minor version (low nibble).
    pub const fn minor(self) -> u8 {
        self.0 & 0x0f
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major(), self.minor())
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// The flags octet. IKEv1 uses E/C/A (RFC 2408 §3.1), IKEv2 I/V/R
/// (RFC 7296 §3.1); unknown bits are kept.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(pub u8);

impl Flags {
    /// IKEv1 Encryption bit.
    pub const ENCRYPTION: u8 = 0x01;
    /// IKEv1 Commit bit.
    pub const COMMIT: u8 = 0x02;
    /// IKEv1 Authentication-only bit.
    pub const AUTH_ONLY: u8 = 0x04;
    /// IKEv2 Initiator bit.
    pub const INITIATOR: u8 = 0x08;
    /// IKEv2 Version bit (a higher version is supported).
    pub const VERSION: u8 = 0x10;
    /// IKEv2 Response bit.
    pub const RESPONSE: u8 = 0x20;

    /// Is `bit` set?
    pub const fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:02x}", self.0)
    }
}

/// Which protocol a message belongs to, from the major version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IkeVersion {
    /// ISAKMP / IKEv1.
    V1,
    /// IKEv2.
    V2,
}

/// The ISAKMP header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    /// Initiator SPI (IKEv1: initiator cookie).
    pub ispi: [u8; 8],
    /// Responder SPI (IKEv1: responder cookie).
    pub rspi: [u8; 8],
    /// Type of the first payload.
    pub next_payload: PayloadType,
    /// Version octet.
    pub version: Version,
    /// Exchange type.
    pub exchange_type: ExchangeType,
    /// Flags octet.
    pub flags: Flags,
    /// Message ID.
    pub message_id: u32,
    /// Length of the whole message, header included.
    pub length: u32,
}

impl Header {
    /// Initiator SPI as an integer.
    pub fn ispi_u64(&self) -> u64 {
        u64::from_be_bytes(self.ispi)
    }

    /// Responder SPI as an integer.
    pub fn rspi_u64(&self) -> u64 {
        u64::from_be_bytes(self.rspi)
    }

    /// IKEv1 or IKEv2, if the major version is one of them.
    pub fn ike_version(&self) -> Option<IkeVersion> {
        match self.version.major() {
            1 => Some(IkeVersion::V1),
            2 => Some(IkeVersion::V2),
            _ => None,
        }
    }

    /// Parses the 28-octet header at the start of `input`; the version is
    /// not checked here (see [`super::message::Message::parse`]).
    pub fn parse(input: &[u8]) -> Result<Header> {
        run(input, input, parse_header).map(|(_, h)| h)
    }

    /// Writes the header (28 octets).
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.ispi);
        out.extend_from_slice(&self.rspi);
        out.push(self.next_payload.0);
        out.push(self.version.0);
        out.push(self.exchange_type.0);
        out.push(self.flags.0);
        out.extend_from_slice(&self.message_id.to_be_bytes());
        out.extend_from_slice(&self.length.to_be_bytes());
    }
}

pub(crate) fn parse_header(input: &[u8]) -> PResult<'_, Header> {
    let (rest, fixed) = take(HEADER_LEN)(input)?;
    let (f, ispi) = array::<8>(fixed)?;
    let (f, rspi) = array::<8>(f)?;
    let (f, np) = be_u8(f)?;
    let (f, ver) = be_u8(f)?;
    let (f, xt) = be_u8(f)?;
    let (f, flags) = be_u8(f)?;
    let (f, mid) = be_u32(f)?;
    let (_, len) = be_u32(f)?;
    Ok((
        rest,
        Header {
            ispi,
            rspi,
            next_payload: PayloadType(np),
            version: Version(ver),
            exchange_type: ExchangeType(xt),
            flags: Flags(flags),
            message_id: mid,
            length: len,
        },
    ))
}

/// The generic payload header: next payload, a flags/reserved octet (the
/// IKEv2 critical bit is its top bit) and the payload length, header
/// included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PayloadHeader {
    /// Type of the following payload (or, inside SK/SKF, of the first
    /// inner payload).
    pub next_payload: PayloadType,
    /// The octet after next-payload: IKEv2 critical bit + reserved bits;
    /// IKEv1 reserved. Kept as read so that it re-encodes unchanged.
    pub flags: u8,
    /// Payload length including this header.
    pub length: u16,
}

impl PayloadHeader {
    /// The IKEv2 critical bit (RFC 7296 §3.2).
    pub const CRITICAL: u8 = 0x80;

    /// Is the IKEv2 critical bit set?
    pub const fn critical(&self) -> bool {
        self.flags & Self::CRITICAL != 0
    }
}

/// One generic payload split off the front of a buffer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Split<'a> {
    pub(crate) header: PayloadHeader,
    pub(crate) body: &'a [u8],
    pub(crate) raw: &'a [u8],
    pub(crate) rest: &'a [u8],
}

/// Splits one generic payload (header + body) off the front of `input`.
/// `base` is the buffer offsets are measured from.
pub(crate) fn split_payload<'a>(base: &'a [u8], input: &'a [u8]) -> Result<Split<'a>> {
    let off = super::reader::offset_in(base, input);
    if input.len() < PAYLOAD_HEADER_LEN {
        return Err(WireError::truncated(off, PAYLOAD_HEADER_LEN, input.len()));
    }
    let hdr = PayloadHeader {
        next_payload: PayloadType(input[0]),
        flags: input[1],
        length: u16::from_be_bytes([input[2], input[3]]),
    };
    let len = usize::from(hdr.length);
    if len < PAYLOAD_HEADER_LEN {
        return Err(WireError::new(
            ErrorKind::LengthTooSmall {
                declared: len,
                minimum: PAYLOAD_HEADER_LEN,
            },
            off + 2,
        ));
    }
    if len > input.len() {
        return Err(WireError::truncated(off, len, input.len()));
    }
    let (raw, rest) = input.split_at(len);
    Ok(Split {
        header: hdr,
        body: &raw[PAYLOAD_HEADER_LEN..],
        raw,
        rest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_fields() {
        let bytes: [u8; 28] = [
            0xe4, 0x7a, 0x59, 0x1f, 0xd0, 0x57, 0x58, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x10,
            0x02, 0x00, 0, 0, 0, 0, 0, 0, 0, 0xa8,
        ];
        let h = Header::parse(&bytes).unwrap();
        assert_eq!(h.ispi_u64(), 0xe47a591fd057587f);
        assert_eq!(h.next_payload, PayloadType::SA);
        assert_eq!(h.version.major(), 1);
        assert_eq!(h.exchange_type, ExchangeType::IDENTITY_PROTECTION);
        assert_eq!(h.length, 168);
        assert_eq!(h.ike_version(), Some(IkeVersion::V1));
        let mut out = Vec::new();
        h.emit(&mut out);
        assert_eq!(out, bytes);
    }

    #[test]
    fn short_header_is_truncated_error() {
        let e = Header::parse(&[0u8; 27]).unwrap_err();
        assert_eq!(
            e.kind,
            ErrorKind::Truncated {
                needed: 28,
                available: 27
            }
        );
        assert_eq!(e.offset, 0);
    }

    #[test]
    fn payload_header_checks_lengths() {
        let buf = [0u8, 0, 0, 3, 9, 9];
        let e = split_payload(&buf, &buf).unwrap_err();
        assert_eq!(e.offset, 2);
        let buf = [0u8, 0x80, 0, 9, 1, 2];
        let e = split_payload(&buf, &buf).unwrap_err();
        assert!(matches!(e.kind, ErrorKind::Truncated { needed: 9, .. }));
        let buf = [13u8, 0x80, 0, 6, 1, 2, 7];
        let s = split_payload(&buf, &buf).unwrap();
        assert!(s.header.critical());
        assert_eq!(s.header.next_payload, PayloadType::VENDOR_ID);
        assert_eq!(s.body, &[1, 2]);
        assert_eq!(s.raw.len(), 6);
        assert_eq!(s.rest, &[7]);
    }
}
