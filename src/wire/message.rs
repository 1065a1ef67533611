//! A whole ISAKMP message: the header and a lazy walk over its payload
//! chain (RFC 2408 §3.1–3.2, RFC 7296 §3.1–3.2).

use super::error::{ErrorKind, Mode, Result, WireError};
use super::header::{split_payload, Flags, Header, IkeVersion, PayloadHeader, HEADER_LEN};
use super::reader::offset_in;
use super::registry::PayloadType;

/// A parsed message borrowing the datagram.
#[derive(Clone, Copy, Debug)]
pub struct Message<'a> {
    /// The header.
    pub header: Header,
    /// The message bytes, header included, as far as the header length
    /// reaches (clamped to the bytes present in lax mode).
    pub bytes: &'a [u8],
    /// Header-level anomalies accepted in lax mode (length mismatch,
    /// unknown version); always `None` in strict mode.
    pub anomalies: [Option<WireError>; 2],
}

impl<'a> Message<'a> {
    /// Parses the header of the message in `input` and checks its length.
    ///
    /// Strict: `input` must be exactly one message of version 1 or 2.
    /// Lax: a header length that disagrees with `input` or an unknown major
    /// version is recorded in [`Message::anomaly`]; the payloads are walked
    /// over the bytes that are really there.
    pub fn parse(input: &'a [u8], mode: Mode) -> Result<Message<'a>> {
        let header = Header::parse(input)?;
        let declared = header.length as usize;
        let mut anomalies = [None, None];
        let mut end = declared;
        if declared != input.len() || declared < HEADER_LEN {
            let e = WireError::new(
                ErrorKind::MessageLengthMismatch {
                    declared,
                    actual: input.len(),
                },
                24,
            );
            if mode == Mode::Strict {
                return Err(e);
            }
            anomalies[0] = Some(e);
            end = declared.clamp(HEADER_LEN, input.len());
        }
        if header.ike_version().is_none() {
            let e = WireError::new(ErrorKind::UnsupportedVersion(header.version.major()), 17);
            if mode == Mode::Strict {
                return Err(e);
            }
            anomalies[1] = Some(e);
        }
        Ok(Message {
            header,
            bytes: &input[..end],
            anomalies,
        })
    }

    /// IKEv1 or IKEv2 (IKEv2 for any major version other than 1, which only
    /// lax mode lets through).
    pub fn version(&self) -> IkeVersion {
        self.header.ike_version().unwrap_or(IkeVersion::V2)
    }

    /// The bytes after the header.
    pub fn body(&self) -> &'a [u8] {
        self.bytes.get(HEADER_LEN..).unwrap_or(&[])
    }

    /// For an IKEv1 message with the Encryption bit, the encrypted body.
    pub fn encrypted_v1_body(&self) -> Option<&'a [u8]> {
        (self.version() == IkeVersion::V1 && self.header.flags.has(Flags::ENCRYPTION))
            .then(|| self.body())
    }

    /// The payload chain. Empty for an encrypted IKEv1 message (decrypt the
    /// body first) or an unknown version.
    pub fn payloads(&self) -> PayloadIter<'a> {
        if self.encrypted_v1_body().is_some() || self.header.ike_version().is_none() {
            return PayloadIter::new(self.bytes, &[], PayloadType::NONE, IkeVersion::V1);
        }
        PayloadIter::new(
            self.bytes,
            self.body(),
            self.header.next_payload,
            self.version(),
        )
    }
}

/// One payload from the chain, before its body is decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawPayload<'a> {
    /// This payload's type (from the previous next-payload field).
    pub payload_type: PayloadType,
    /// Its generic header. Inside SK/SKF, `next_payload` is the type of the
    /// first inner payload.
    pub header: PayloadHeader,
    /// The body after the generic header.
    pub body: &'a [u8],
    /// Header and body.
    pub raw: &'a [u8],
}

/// Lazy walk over a payload chain. Yields each payload, or an error where
/// the chain breaks (truncation, a length below 4, bytes after the NONE
/// terminator, a chain that runs out before NONE); ends after an error.
#[derive(Clone, Debug)]
pub struct PayloadIter<'a> {
    base: &'a [u8],
    rest: &'a [u8],
    next: PayloadType,
    version: IkeVersion,
    done: bool,
    after_encrypted: bool,
}

impl<'a> PayloadIter<'a> {
    /// Walks the chain in `data` (inside `base`, which offsets are measured
    /// from) whose first payload has type `first`. `version` decides whether
    /// payloads 46/53 (IKEv2 SK/SKF, which end the chain) are special.
    pub fn new(base: &'a [u8], data: &'a [u8], first: PayloadType, version: IkeVersion) -> Self {
        PayloadIter {
            base,
            rest: data,
            next: first,
            version,
            done: false,
            after_encrypted: false,
        }
    }

    /// The bytes not yet walked.
    pub fn remaining(&self) -> &'a [u8] {
        self.rest
    }

    /// The type of the payload the walk is at (after an error: the type of
    /// the payload that failed).
    pub fn next_type(&self) -> PayloadType {
        self.next
    }
}

impl<'a> Iterator for PayloadIter<'a> {
    type Item = Result<RawPayload<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let off = offset_in(self.base, self.rest);
        if self.next == PayloadType::NONE {
            self.done = true;
            let kind = if self.after_encrypted {
                ErrorKind::PayloadAfterEncrypted
            } else {
                ErrorKind::TrailingData(self.rest.len())
            };
            return (!self.rest.is_empty()).then(|| Err(WireError::new(kind, off)));
        }
        if self.rest.is_empty() {
            self.done = true;
            return Some(Err(WireError::new(ErrorKind::MissingPayloads, off)));
        }
        match split_payload(self.base, self.rest) {
            Ok(super::header::Split {
                header,
                body,
                raw,
                rest,
            }) => {
                let payload_type = self.next;
                self.rest = rest;
                self.next = header.next_payload;
                // SK and SKF must be last: their next-payload names the
                // first payload inside the encrypted data (RFC 7296 §3.14,
                // RFC 7383 §2.5).
                if self.version == IkeVersion::V2
                    && (payload_type == PayloadType::V2_SK || payload_type == PayloadType::V2_SKF)
                {
                    self.next = PayloadType::NONE;
                    self.after_encrypted = true;
                }
                Some(Ok(RawPayload {
                    payload_type,
                    header,
                    body,
                    raw,
                }))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(next: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![
            1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, next, 0x20, 34, 8,
        ];
        v.extend_from_slice(&[0, 0, 0, 0]);
        v.extend_from_slice(&((28 + body.len()) as u32).to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn walks_chain() {
        // Nonce (40) then Vendor ID (43).
        let b = msg(40, &[43, 0, 0, 6, 0xaa, 0xbb, 0, 0, 0, 5, 0x01]);
        let m = Message::parse(&b, Mode::Strict).unwrap();
        let p: Vec<_> = m.payloads().map(|p| p.unwrap()).collect();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].payload_type, PayloadType::V2_NONCE);
        assert_eq!(p[0].body, &[0xaa, 0xbb]);
        assert_eq!(p[1].payload_type, PayloadType::V2_VENDOR_ID);
        assert_eq!(offset_in(m.bytes, p[1].raw), 34);
    }

    #[test]
    fn chain_errors() {
        // Next says Nonce but no bytes.
        let b = msg(40, &[]);
        let m = Message::parse(&b, Mode::Strict).unwrap();
        let e = m.payloads().next().unwrap().unwrap_err();
        assert_eq!(e.kind, ErrorKind::MissingPayloads);
        assert_eq!(e.offset, 28);
        // Trailing data after NONE.
        let b = msg(40, &[0, 0, 0, 4, 9, 9]);
        let m = Message::parse(&b, Mode::Strict).unwrap();
        let items: Vec<_> = m.payloads().collect();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].unwrap_err().kind, ErrorKind::TrailingData(2));
        // Zero length payload: error, no loop.
        let b = msg(40, &[40, 0, 0, 0]);
        let m = Message::parse(&b, Mode::Strict).unwrap();
        assert_eq!(m.payloads().count(), 1);
    }

    #[test]
    fn length_mismatch_strict_vs_lax() {
        let mut b = msg(0, &[]);
        b.push(0);
        assert!(matches!(
            Message::parse(&b, Mode::Strict).unwrap_err().kind,
            ErrorKind::MessageLengthMismatch {
                declared: 28,
                actual: 29
            }
        ));
        let m = Message::parse(&b, Mode::Lax).unwrap();
        assert!(m.anomalies[0].is_some());
        assert_eq!(m.bytes.len(), 28);
    }

    #[test]
    fn sk_ends_outer_chain() {
        // SK (46) whose inner first payload is IDi (35); then junk.
        let b = msg(46, &[35, 0, 0, 6, 1, 2, 9]);
        let m = Message::parse(&b, Mode::Strict).unwrap();
        let items: Vec<_> = m.payloads().collect();
        assert_eq!(items.len(), 2);
        let sk = items[0].unwrap();
        assert_eq!(sk.header.next_payload, PayloadType::V2_IDI);
        assert_eq!(items[1].unwrap_err().kind, ErrorKind::PayloadAfterEncrypted);
    }
}
