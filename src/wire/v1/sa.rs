//! IKEv1 Security Association payload (RFC 2408 §3.4, RFC 2407 §4.6.1;
//! GDOI RFC 6407 §5.1).

use crate::wire::error::{Mode, Result};
use crate::wire::header::IkeVersion;
use crate::wire::message::PayloadIter;
use crate::wire::proposal::ProposalIter;
use crate::wire::reader::{be_u32, be_u8, run, take};
use crate::wire::registry::{Doi, PayloadType};

/// SA payload body.
#[derive(Clone, Copy, Debug)]
pub struct Sa<'a> {
    /// Domain of Interpretation.
    pub doi: Doi,
    /// Situation (4 octets for the IPsec and GDOI DOIs).
    pub situation: &'a [u8],
    /// GDOI only: the SA Attribute Next Payload and the two reserved octets.
    pub gdoi: Option<(PayloadType, [u8; 2])>,
    /// The proposals (IPsec DOI) or GDOI SA attribute payloads.
    pub rest: &'a [u8],
    base: &'a [u8],
    mode: Mode,
}

impl<'a> Sa<'a> {
    /// Parses the body. The situation is taken as 4 octets: the labeled
    /// secrecy/integrity data of RFC 2407 §4.6.1 is not in use anywhere and
    /// stays inside `rest`.
    pub fn parse(base: &'a [u8], body: &'a [u8], mode: Mode) -> Result<Sa<'a>> {
        let (rest, (doi, situation)) = run(base, body, (be_u32, take(4)))?;
        let doi = Doi(doi);
        let (rest, gdoi) = if doi == Doi::GDOI {
            let (rest, (np, r1, r2)) = run(base, rest, (be_u8, be_u8, be_u8))?;
            (rest, Some((PayloadType(np), [r1, r2])))
        } else {
            (rest, None)
        };
        Ok(Sa {
            doi,
            situation,
            gdoi,
            rest,
            base,
            mode,
        })
    }

    /// The situation as an integer.
    pub fn situation_bits(&self) -> u32 {
        self.situation
            .iter()
            .fold(0u32, |a, &b| (a << 8) | u32::from(b))
    }

    /// The proposals (not for GDOI, where it is empty).
    pub fn proposals(&self) -> ProposalIter<'a> {
        let data = if self.gdoi.is_some() {
            &[][..]
        } else {
            self.rest
        };
        ProposalIter::new(self.base, data, self.mode)
    }

    /// GDOI: the SA attribute payloads (SAK, SAT, GAP) as a payload chain.
    pub fn gdoi_payloads(&self) -> Option<PayloadIter<'a>> {
        self.gdoi
            .map(|(np, _)| PayloadIter::new(self.base, self.rest, np, IkeVersion::V1))
    }
}
