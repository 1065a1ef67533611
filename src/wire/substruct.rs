//! Chains of substructures that reuse the generic payload header: IKEv1
//! Proposal/Transform payloads (RFC 2408 §3.5–3.6) and IKEv2 Proposal and
//! Transform substructures, whose first octet is "last substruc"
//! (RFC 7296 §3.3.1, §3.3.2).

use super::error::{ErrorKind, Mode, Result, WireError};
use super::header::{split_payload, PayloadHeader, Split};
use super::reader::offset_in;

/// One substructure: its header, body and whole bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Substruct<'a> {
    pub(crate) header: PayloadHeader,
    pub(crate) body: &'a [u8],
    pub(crate) raw: &'a [u8],
}

/// Walks a substructure chain. The marker of every element but the last is
/// `more` (2 for proposals, 3 for transforms); the last has 0. In strict
/// mode any other marker ends the walk with an error. In lax mode the walk
/// follows the bytes instead, reporting a wrong marker as an anomaly item
/// after the element that carried it.
#[derive(Clone, Debug)]
pub(crate) struct SubstructIter<'a> {
    base: &'a [u8],
    rest: &'a [u8],
    more: u8,
    mode: Mode,
    done: bool,
    pending: Option<WireError>,
}

impl<'a> SubstructIter<'a> {
    pub(crate) fn new(base: &'a [u8], data: &'a [u8], more: u8, mode: Mode) -> Self {
        SubstructIter {
            base,
            rest: data,
            more,
            mode,
            done: false,
            pending: None,
        }
    }
}

impl<'a> Iterator for SubstructIter<'a> {
    type Item = Result<Substruct<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.pending.take() {
            return Some(Err(e));
        }
        if self.done {
            return None;
        }
        if self.rest.is_empty() {
            self.done = true;
            return None;
        }
        let Split {
            header,
            body,
            raw,
            rest,
        } = match split_payload(self.base, self.rest) {
            Ok(v) => v,
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
        };
        let off = offset_in(self.base, raw);
        self.rest = rest;
        let marker = header.next_payload.0;
        if marker == 0 {
            // The last one: anything after it is trailing data.
            self.done = true;
            if !rest.is_empty() {
                self.pending = Some(WireError::new(
                    ErrorKind::TrailingData(rest.len()),
                    offset_in(self.base, rest),
                ));
            }
        } else if marker != self.more {
            let e = WireError::new(ErrorKind::BadSubstructMarker(marker), off);
            match self.mode {
                Mode::Strict => {
                    self.done = true;
                    return Some(Err(e));
                }
                Mode::Lax => self.pending = Some(e),
            }
        } else if rest.is_empty() {
            // Says "more" but nothing follows.
            let e = WireError::new(ErrorKind::MissingPayloads, off);
            self.done = true;
            match self.mode {
                Mode::Strict => return Some(Err(e)),
                Mode::Lax => self.pending = Some(e),
            }
        }
        Some(Ok(Substruct { header, body, raw }))
    }
}
