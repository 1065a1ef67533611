//! IKEv1 fragment payload (private type 132), negotiated by the
//! "FRAGMENTATION" vendor ID; used by Cisco, strongSwan and Windows.
//! Body: fragment ID (2), fragment number (1), flags (1; bit 0 = last).

use crate::wire::error::Result;
use crate::wire::reader::{be_u16, be_u8, run};

/// Fragment payload body.
#[derive(Clone, Copy, Debug)]
pub struct Fragment<'a> {
    /// Identifies the message the fragment belongs to.
    pub fragment_id: u16,
    /// 1-based fragment number.
    pub number: u8,
    /// Flags; [`Fragment::LAST`] marks the last fragment.
    pub flags: u8,
    /// The fragment's share of the message.
    pub data: &'a [u8],
}

impl<'a> Fragment<'a> {
    /// Flag of the last fragment.
    pub const LAST: u8 = 0x01;

    /// Parses the body.
    pub fn parse(base: &'a [u8], body: &'a [u8]) -> Result<Self> {
        let (data, (fragment_id, number, flags)) = run(base, body, (be_u16, be_u8, be_u8))?;
        Ok(Fragment {
            fragment_id,
            number,
            flags,
            data,
        })
    }

    /// Is this the last fragment?
    pub fn is_last(&self) -> bool {
        self.flags & Self::LAST != 0
    }
}
