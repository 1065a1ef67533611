//! IKEv2 Configuration payload (RFC 7296 §3.15). Its attributes have a
//! reserved bit, a 15-bit type and always a two-octet length (§3.15.1).

use crate::wire::error::{Result, WireError};
use crate::wire::reader::{array, be_u8, offset_in, run};
use crate::wire::registry::{CfgAttrTypeV2, CfgType};

/// CP payload body.
#[derive(Clone, Copy, Debug)]
pub struct ConfigPayload<'a> {
    /// CFG_REQUEST, CFG_REPLY, CFG_SET or CFG_ACK.
    pub cfg_type: CfgType,
    /// The three reserved octets.
    pub reserved: [u8; 3],
    /// The attributes bytes.
    pub attributes_raw: &'a [u8],
    base: &'a [u8],
}

/// One configuration attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConfigAttribute<'a> {
    /// Attribute type (15 bits).
    pub attr_type: CfgAttrTypeV2,
    /// The reserved top bit of the type field.
    pub reserved_bit: bool,
    /// Value (empty in requests for "any").
    pub value: &'a [u8],
    /// The attribute's bytes on the wire.
    pub raw: &'a [u8],
}

impl<'a> ConfigPayload<'a> {
    /// Parses the body.
    pub fn parse(base: &'a [u8], body: &'a [u8]) -> Result<Self> {
        let (attributes_raw, (t, reserved)) = run(base, body, (be_u8, array::<3>))?;
        Ok(ConfigPayload {
            cfg_type: CfgType(t),
            reserved,
            attributes_raw,
            base,
        })
    }

    /// The attributes.
    pub fn attributes(&self) -> ConfigAttributeIter<'a> {
        ConfigAttributeIter {
            base: self.base,
            rest: self.attributes_raw,
        }
    }
}

/// Lazy iterator over configuration attributes; ends after an error.
#[derive(Clone, Debug)]
pub struct ConfigAttributeIter<'a> {
    base: &'a [u8],
    rest: &'a [u8],
}

impl<'a> Iterator for ConfigAttributeIter<'a> {
    type Item = Result<ConfigAttribute<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let input = self.rest;
        let off = offset_in(self.base, input);
        if input.len() < 4 {
            self.rest = &[];
            return Some(Err(WireError::truncated(off, 4, input.len())));
        }
        let t = u16::from_be_bytes([input[0], input[1]]);
        let len = usize::from(u16::from_be_bytes([input[2], input[3]]));
        if input.len() < 4 + len {
            self.rest = &[];
            return Some(Err(WireError::truncated(off, 4 + len, input.len())));
        }
        let (raw, rest) = input.split_at(4 + len);
        self.rest = rest;
        Some(Ok(ConfigAttribute {
            attr_type: CfgAttrTypeV2(t & 0x7fff),
            reserved_bit: t & 0x8000 != 0,
            value: &raw[4..],
            raw,
        }))
    }
}
