//! Emission: builders that write any message the codec parses.
//!
//! Lengths and next-payload/last-substruc markers are never written by
//! hand: [`MessageBuilder`] patches them after each body, and nested
//! writers ([`SaWriter`], [`TransformWriter`]) do the same for proposals
//! and transforms. A length that does not fit its field makes
//! [`MessageBuilder::finish`] fail instead of writing a wrong value.

use core::fmt;

use super::attribute::AttrValue;
use super::header::{Header, HEADER_LEN, PAYLOAD_HEADER_LEN};
use super::proposal::{MORE_PROPOSALS, MORE_TRANSFORMS};
use super::registry::{PayloadType, TransformType};

/// Why a message could not be emitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmitError {
    /// A payload, substructure or attribute is longer than its 16-bit
    /// length field allows.
    TooLong,
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmitError::TooLong => write!(f, "a length does not fit its 16-bit field"),
        }
    }
}

impl std::error::Error for EmitError {}

/// A byte buffer that remembers whether any length overflowed.
#[derive(Debug, Default)]
pub struct Out {
    buf: Vec<u8>,
    overflow: bool,
}

impl Out {
    /// Appends one octet.
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    /// Appends a big-endian u16.
    pub fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    /// Appends a big-endian u32.
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    /// Appends bytes.
    pub fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }
    /// Current length.
    pub fn len(&self) -> usize {
        self.buf.len()
    }
    /// Nothing written yet?
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
    /// Writes `v` as a u16 at `at` (already reserved), or records overflow.
    pub fn patch_u16(&mut self, at: usize, v: usize) {
        match (u16::try_from(v), self.buf.get_mut(at..at + 2)) {
            (Ok(v), Some(slot)) => slot.copy_from_slice(&v.to_be_bytes()),
            _ => self.overflow = true,
        }
    }
    /// Writes one octet at `at`.
    pub fn patch_u8(&mut self, at: usize, v: u8) {
        if let Some(b) = self.buf.get_mut(at) {
            *b = v;
        }
    }
    /// Writes a data attribute (TV when `value` is short, else TLV).
    pub fn attribute(&mut self, attr_type: u16, value: AttrValue<'_>) {
        if let AttrValue::Long(b) = value {
            if b.len() > usize::from(u16::MAX) {
                self.overflow = true;
                return;
            }
        }
        super::attribute::emit_attribute(&mut self.buf, attr_type, value);
    }
    /// Records a length overflow found by a caller.
    pub fn set_overflow(&mut self) {
        self.overflow = true;
    }
    fn finish(self) -> Result<Vec<u8>, EmitError> {
        if self.overflow {
            Err(EmitError::TooLong)
        } else {
            Ok(self.buf)
        }
    }
}

/// Writes a message: the header, then payloads in order.
#[derive(Debug)]
pub struct MessageBuilder {
    out: Out,
    /// Where the next-payload octet of the previous element lives.
    np_at: usize,
    closed: bool,
}

impl MessageBuilder {
    /// Starts a message with `header`; its next-payload and length fields
    /// are filled in as payloads are added and at [`MessageBuilder::finish`].
    pub fn new(header: &Header) -> Self {
        let mut buf = Vec::with_capacity(256);
        header.emit(&mut buf);
        buf[16] = 0;
        MessageBuilder {
            out: Out {
                buf,
                overflow: false,
            },
            np_at: 16,
            closed: false,
        }
    }

    fn begin(&mut self, payload_type: PayloadType, next: u8, flags: u8) -> usize {
        if self.closed {
            // A payload after SK/SKF cannot be expressed: its type would
            // have to go in the SK header, which names the inner payload.
            self.out.set_overflow();
        }
        self.out.patch_u8(self.np_at, payload_type.0);
        let start = self.out.len();
        self.np_at = start;
        self.out.u8(next);
        self.out.u8(flags);
        self.out.u16(0);
        start
    }

    /// Appends a payload of `payload_type` whose body `body` writes.
    /// `flags` is the octet after next-payload (IKEv2 critical bit).
    pub fn payload(
        &mut self,
        payload_type: PayloadType,
        flags: u8,
        body: impl FnOnce(&mut Out),
    ) -> &mut Self {
        let start = self.begin(payload_type, 0, flags);
        body(&mut self.out);
        let len = self.out.len() - start;
        self.out.patch_u16(start + 2, len);
        self
    }

    /// Appends an SK or SKF payload, which must be last; `first_inner` goes
    /// in its next-payload field (RFC 7296 §3.14, RFC 7383 §2.5).
    pub fn encrypted(
        &mut self,
        payload_type: PayloadType,
        first_inner: PayloadType,
        flags: u8,
        body: impl FnOnce(&mut Out),
    ) -> &mut Self {
        let start = self.begin(payload_type, first_inner.0, flags);
        body(&mut self.out);
        let len = self.out.len() - start;
        self.out.patch_u16(start + 2, len);
        self.closed = true;
        self
    }

    /// Bytes written so far (header included).
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// Only the header so far?
    pub fn is_empty(&self) -> bool {
        self.out.len() <= HEADER_LEN
    }

    /// Patches the message length and returns the bytes.
    pub fn finish(mut self) -> Result<Vec<u8>, EmitError> {
        let len = self.out.len();
        match u32::try_from(len) {
            Ok(l) => {
                if let Some(slot) = self.out.buf.get_mut(24..28) {
                    slot.copy_from_slice(&l.to_be_bytes());
                }
            }
            Err(_) => self.out.set_overflow(),
        }
        self.out.finish()
    }
}

/// Writes a chain of substructures (proposals or transforms), patching the
/// "more" marker of each element when another follows and its length.
#[derive(Debug)]
struct Chain {
    more: u8,
    last_at: Option<usize>,
    count: usize,
}

impl Chain {
    fn begin(&mut self, out: &mut Out, reserved: u8) -> usize {
        if let Some(at) = self.last_at {
            out.patch_u8(at, self.more);
        }
        let start = out.len();
        self.last_at = Some(start);
        self.count += 1;
        out.u8(0);
        out.u8(reserved);
        out.u16(0);
        start
    }
    fn end(out: &mut Out, start: usize) {
        let len = out.len() - start;
        out.patch_u16(start + 2, len);
    }
}

/// Writes the proposals of an SA payload (both versions).
#[derive(Debug)]
pub struct SaWriter<'o> {
    out: &'o mut Out,
    chain: Chain,
}

impl<'o> SaWriter<'o> {
    /// Starts writing proposals into `out` (after any fixed SA fields).
    pub fn new(out: &'o mut Out) -> Self {
        SaWriter {
            out,
            chain: Chain {
                more: MORE_PROPOSALS,
                last_at: None,
                count: 0,
            },
        }
    }

    /// Appends a proposal; `transforms` writes its transforms, whose number
    /// is filled into the proposal header. `reserved` is the header's
    /// reserved octet (0 when building).
    pub fn proposal(
        &mut self,
        reserved: u8,
        number: u8,
        protocol_id: u8,
        spi: &[u8],
        transforms: impl FnOnce(&mut TransformWriter<'_>),
    ) -> &mut Self {
        let start = self.chain.begin(self.out, reserved);
        self.out.u8(number);
        self.out.u8(protocol_id);
        match u8::try_from(spi.len()) {
            Ok(n) => self.out.u8(n),
            Err(_) => {
                self.out.set_overflow();
                self.out.u8(0)
            }
        }
        let count_at = self.out.len();
        self.out.u8(0);
        self.out.bytes(spi);
        let mut t = TransformWriter {
            out: self.out,
            chain: Chain {
                more: MORE_TRANSFORMS,
                last_at: None,
                count: 0,
            },
        };
        transforms(&mut t);
        let n = t.chain.count;
        match u8::try_from(n) {
            Ok(n) => self.out.patch_u8(count_at, n),
            Err(_) => self.out.set_overflow(),
        }
        Chain::end(self.out, start);
        self
    }
}

/// Writes the transforms of one proposal.
#[derive(Debug)]
pub struct TransformWriter<'o> {
    out: &'o mut Out,
    chain: Chain,
}

impl TransformWriter<'_> {
    /// Appends an IKEv2 transform with its attributes.
    pub fn v2<'v>(
        &mut self,
        transform_type: TransformType,
        transform_id: u16,
        attributes: impl IntoIterator<Item = (u16, AttrValue<'v>)>,
    ) -> &mut Self {
        self.v2_full(0, transform_type, 0, transform_id, attributes)
    }

    /// Appends an IKEv2 transform, reserved octets given (re-emission).
    pub fn v2_full<'v>(
        &mut self,
        header_reserved: u8,
        transform_type: TransformType,
        reserved: u8,
        transform_id: u16,
        attributes: impl IntoIterator<Item = (u16, AttrValue<'v>)>,
    ) -> &mut Self {
        let start = self.chain.begin(self.out, header_reserved);
        self.out.u8(transform_type.0);
        self.out.u8(reserved);
        self.out.u16(transform_id);
        for (t, v) in attributes {
            self.out.attribute(t, v);
        }
        Chain::end(self.out, start);
        self
    }

    /// Appends an IKEv1 transform with its SA attributes.
    pub fn v1<'v>(
        &mut self,
        number: u8,
        transform_id: u8,
        attributes: impl IntoIterator<Item = (u16, AttrValue<'v>)>,
    ) -> &mut Self {
        self.v1_full(0, number, transform_id, 0, attributes)
    }

    /// Appends an IKEv1 transform, reserved fields given (re-emission).
    pub fn v1_full<'v>(
        &mut self,
        header_reserved: u8,
        number: u8,
        transform_id: u8,
        reserved: u16,
        attributes: impl IntoIterator<Item = (u16, AttrValue<'v>)>,
    ) -> &mut Self {
        let start = self.chain.begin(self.out, header_reserved);
        self.out.u8(number);
        self.out.u8(transform_id);
        self.out.u16(reserved);
        for (t, v) in attributes {
            self.out.attribute(t, v);
        }
        Chain::end(self.out, start);
        self
    }
}

/// Size of a payload's generic header, re-exported for builders.
pub const GENERIC_HEADER_LEN: usize = PAYLOAD_HEADER_LEN;

/// Writes a payload chain without an ISAKMP header: the inner payloads of
/// an SK payload, which are encrypted before they go into a message.
#[derive(Debug, Default)]
pub struct ChainBuilder {
    out: Out,
    first: Option<PayloadType>,
    /// Where the next-payload octet of the previous payload lives.
    np_at: Option<usize>,
}

impl ChainBuilder {
    /// An empty chain.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a payload of `payload_type` whose body `body` writes.
    pub fn payload(
        &mut self,
        payload_type: PayloadType,
        flags: u8,
        body: impl FnOnce(&mut Out),
    ) -> &mut Self {
        match self.np_at {
            Some(at) => self.out.patch_u8(at, payload_type.0),
            None => self.first = Some(payload_type),
        }
        let start = self.out.len();
        self.np_at = Some(start);
        self.out.u8(0);
        self.out.u8(flags);
        self.out.u16(0);
        body(&mut self.out);
        let len = self.out.len() - start;
        self.out.patch_u16(start + 2, len);
        self
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// No payload yet?
    pub fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// The type of the first payload (NONE for an empty chain) and the
    /// chain's bytes.
    pub fn finish(self) -> Result<(PayloadType, Vec<u8>), EmitError> {
        let first = self.first.unwrap_or(PayloadType::NONE);
        self.out.finish().map(|b| (first, b))
    }
}
