//! Data attributes in the ISAKMP TV/TLV format (RFC 2408 §3.3), used by
//! IKEv1 SA attributes, IKEv1 Mode-Config/XAUTH attributes and IKEv2
//! transform attributes (RFC 7296 §3.3.5).

use super::error::{Result, WireError};
use super::reader::offset_in;

/// Attribute Format bit: set for the short Type/Value form.
pub const AF_TV: u16 = 0x8000;

/// The value of an attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AttrValue<'a> {
    /// Type/Value (AF = 1): a two-octet value.
    Short(u16),
    /// Type/Length/Value (AF = 0): a variable-length value.
    Long(&'a [u8]),
}

/// One data attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Attribute<'a> {
    /// The 15-bit attribute type (AF bit removed).
    pub attr_type: u16,
    /// The value, short or long form.
    pub value: AttrValue<'a>,
    /// The attribute's bytes on the wire.
    pub raw: &'a [u8],
}

impl<'a> Attribute<'a> {
    /// True for the short (TV) form.
    pub fn is_tv(&self) -> bool {
        matches!(self.value, AttrValue::Short(_))
    }

    /// The value as an integer: the TV value, or a TLV value of at most 8
    /// octets read big-endian (life durations are sent either way).
    pub fn as_u64(&self) -> Option<u64> {
        match self.value {
            AttrValue::Short(v) => Some(u64::from(v)),
            AttrValue::Long(b) if !b.is_empty() && b.len() <= 8 => {
                Some(b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
            }
            AttrValue::Long(_) => None,
        }
    }

    /// The value bytes: the two TV octets or the TLV value.
    pub fn value_bytes(&self) -> &'a [u8] {
        match self.value {
            AttrValue::Short(_) => self.raw.get(2..4).unwrap_or(&[]),
            AttrValue::Long(b) => b,
        }
    }

    /// Appends the attribute in wire form.
    pub fn emit(&self, out: &mut Vec<u8>) {
        emit_attribute(out, self.attr_type, self.value);
    }
}

/// Writes one attribute. A long value over 65535 octets cannot be encoded;
/// it is cut at 65535 (builders check lengths before they get here).
pub fn emit_attribute(out: &mut Vec<u8>, attr_type: u16, value: AttrValue<'_>) {
    match value {
        AttrValue::Short(v) => {
            out.extend_from_slice(&(attr_type | AF_TV).to_be_bytes());
            out.extend_from_slice(&v.to_be_bytes());
        }
        AttrValue::Long(b) => {
            let b = &b[..b.len().min(usize::from(u16::MAX))];
            out.extend_from_slice(&(attr_type & !AF_TV).to_be_bytes());
            out.extend_from_slice(&(b.len() as u16).to_be_bytes());
            out.extend_from_slice(b);
        }
    }
}

/// Lazy iterator over a run of attributes. Stops after the first error.
#[derive(Clone, Debug)]
pub struct AttributeIter<'a> {
    base: &'a [u8],
    rest: &'a [u8],
}

impl<'a> AttributeIter<'a> {
    /// Iterates the attributes in `data`, which lies inside `base`.
    pub fn new(base: &'a [u8], data: &'a [u8]) -> Self {
        AttributeIter { base, rest: data }
    }
}

impl<'a> Iterator for AttributeIter<'a> {
    type Item = Result<Attribute<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let input = self.rest;
        let off = offset_in(self.base, input);
        let fail = |e: WireError| -> Option<Self::Item> { Some(Err(e)) };
        if input.len() < 4 {
            self.rest = &[];
            return fail(WireError::truncated(off, 4, input.len()));
        }
        let t = u16::from_be_bytes([input[0], input[1]]);
        let v = u16::from_be_bytes([input[2], input[3]]);
        if t & AF_TV != 0 {
            let (raw, rest) = input.split_at(4);
            self.rest = rest;
            return Some(Ok(Attribute {
                attr_type: t & !AF_TV,
                value: AttrValue::Short(v),
                raw,
            }));
        }
        let total = 4 + usize::from(v);
        if input.len() < total {
            self.rest = &[];
            return fail(WireError::truncated(off, total, input.len()));
        }
        let (raw, rest) = input.split_at(total);
        self.rest = rest;
        Some(Ok(Attribute {
            attr_type: t,
            value: AttrValue::Long(&raw[4..]),
            raw,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::error::ErrorKind;

    #[test]
    fn tv_and_tlv() {
        let data = [
            0x80, 0x01, 0x00, 0x07, 0x00, 0x0c, 0x00, 0x04, 0x00, 0x01, 0x51, 0x80,
        ];
        let attrs: Vec<_> = AttributeIter::new(&data, &data).collect();
        assert_eq!(attrs.len(), 2);
        let a = attrs[0].unwrap();
        assert_eq!((a.attr_type, a.as_u64()), (1, Some(7)));
        assert!(a.is_tv());
        let b = attrs[1].unwrap();
        assert_eq!((b.attr_type, b.as_u64()), (12, Some(86400)));
        let mut out = Vec::new();
        a.emit(&mut out);
        b.emit(&mut out);
        assert_eq!(out, data);
    }

    #[test]
    fn truncated_tlv_is_an_error_with_offset() {
        let data = [0x80, 0x01, 0x00, 0x07, 0x00, 0x0c, 0x00, 0x09, 0x00];
        let mut it = AttributeIter::new(&data, &data);
        assert!(it.next().unwrap().is_ok());
        let e = it.next().unwrap().unwrap_err();
        assert_eq!(e.offset, 4);
        assert!(matches!(
            e.kind,
            ErrorKind::Truncated {
                needed: 13,
                available: 5
            }
        ));
        assert!(it.next().is_none());
    }
}
