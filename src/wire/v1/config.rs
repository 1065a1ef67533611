//! IKEv1 Attribute payload for Mode-Config and XAUTH
//! (draft-dukes-ike-mode-cfg-02 §3.2, draft-beaulieu-ike-xauth-02).

use crate::wire::attribute::AttributeIter;
use crate::wire::error::Result;
use crate::wire::reader::{be_u16, be_u8, run};
use crate::wire::registry::CfgType;

/// Attribute payload body.
#[derive(Clone, Copy, Debug)]
pub struct ConfigAttributes<'a> {
    /// Message type (request, reply, set, ack).
    pub cfg_type: CfgType,
    /// Reserved octet.
    pub reserved: u8,
    /// Identifier matching replies to requests.
    pub identifier: u16,
    /// The attributes bytes.
    pub attributes_raw: &'a [u8],
    base: &'a [u8],
}

impl<'a> ConfigAttributes<'a> {
    /// Parses the body.
    pub fn parse(base: &'a [u8], body: &'a [u8]) -> Result<Self> {
        let (attributes_raw, (t, r, id)) = run(base, body, (be_u8, be_u8, be_u16))?;
        Ok(ConfigAttributes {
            cfg_type: CfgType(t),
            reserved: r,
            identifier: id,
            attributes_raw,
            base,
        })
    }

    /// The attributes (TV/TLV, RFC 2408 §3.3 format).
    pub fn attributes(&self) -> AttributeIter<'a> {
        AttributeIter::new(self.base, self.attributes_raw)
    }
}
