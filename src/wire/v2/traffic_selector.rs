//! IKEv2 Traffic Selector payloads (RFC 7296 §3.13; Fibre Channel RFC 4595;
//! security labels RFC 9478). A selector of an unknown type is kept raw
//! with its declared length; it never fails the whole payload.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::wire::error::{ErrorKind, Mode, Result, WireError};
use crate::wire::reader::{array, be_u8, offset_in, run};
use crate::wire::registry::TsType;

/// TSi / TSr payload body.
#[derive(Clone, Copy, Debug)]
pub struct TrafficSelectors<'a> {
    /// Declared number of selectors.
    pub num_ts: u8,
    /// The three reserved octets.
    pub reserved: [u8; 3],
    /// The selectors' bytes.
    pub selectors_raw: &'a [u8],
    base: &'a [u8],
}

/// One traffic selector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrafficSelector<'a> {
    /// Selector type.
    pub ts_type: TsType,
    /// IP protocol ID (0 = any); for FC and SECLABEL the second octet.
    pub ip_protocol: u8,
    /// Selector length, header included.
    pub length: u16,
    /// The selector's bytes on the wire.
    pub raw: &'a [u8],
}

impl<'a> TrafficSelector<'a> {
    fn u16_at(&self, at: usize) -> Option<u16> {
        self.raw
            .get(at..at + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    /// Start and end port for the IP range types.
    pub fn ports(&self) -> Option<(u16, u16)> {
        match self.ts_type {
            TsType::IPV4_ADDR_RANGE | TsType::IPV6_ADDR_RANGE => {
                Some((self.u16_at(4)?, self.u16_at(6)?))
            }
            _ => None,
        }
    }

    /// Start and end address for TS_IPV4_ADDR_RANGE.
    pub fn ipv4_range(&self) -> Option<(Ipv4Addr, Ipv4Addr)> {
        if self.ts_type != TsType::IPV4_ADDR_RANGE {
            return None;
        }
        let s: [u8; 4] = self.raw.get(8..12)?.try_into().ok()?;
        let e: [u8; 4] = self.raw.get(12..16)?.try_into().ok()?;
        Some((s.into(), e.into()))
    }

    /// Start and end address for TS_IPV6_ADDR_RANGE.
    pub fn ipv6_range(&self) -> Option<(Ipv6Addr, Ipv6Addr)> {
        if self.ts_type != TsType::IPV6_ADDR_RANGE {
            return None;
        }
        let s: [u8; 16] = self.raw.get(8..24)?.try_into().ok()?;
        let e: [u8; 16] = self.raw.get(24..40)?.try_into().ok()?;
        Some((s.into(), e.into()))
    }

    /// The bytes after the four-octet selector header.
    pub fn body(&self) -> &'a [u8] {
        self.raw.get(4..).unwrap_or(&[])
    }
}

impl<'a> TrafficSelectors<'a> {
    /// Parses the body; strict mode also walks the selectors and checks
    /// their count and lengths.
    pub fn parse(base: &'a [u8], body: &'a [u8], mode: Mode) -> Result<Self> {
        let (selectors_raw, (num_ts, reserved)) = run(base, body, (be_u8, array::<3>))?;
        let t = TrafficSelectors {
            num_ts,
            reserved,
            selectors_raw,
            base,
        };
        if mode == Mode::Strict {
            t.check()?;
        }
        Ok(t)
    }

    /// The selectors.
    pub fn selectors(&self) -> TrafficSelectorIter<'a> {
        TrafficSelectorIter {
            base: self.base,
            rest: self.selectors_raw,
        }
    }

    /// Walks the selectors and checks the count.
    pub fn check(&self) -> Result<()> {
        let mut n = 0usize;
        for s in self.selectors() {
            s?;
            n += 1;
        }
        if n != usize::from(self.num_ts) {
            return Err(WireError::new(
                ErrorKind::CountMismatch {
                    declared: usize::from(self.num_ts),
                    found: n,
                },
                offset_in(self.base, self.selectors_raw).saturating_sub(4),
            ));
        }
        Ok(())
    }
}

/// Lazy iterator over traffic selectors; ends after an error.
#[derive(Clone, Debug)]
pub struct TrafficSelectorIter<'a> {
    base: &'a [u8],
    rest: &'a [u8],
}

/// Fixed length of the selector types with one.
fn fixed_length(t: TsType) -> Option<usize> {
    match t {
        TsType::IPV4_ADDR_RANGE => Some(16),
        TsType::IPV6_ADDR_RANGE => Some(40),
        TsType::FC_ADDR_RANGE => Some(16),
        _ => None,
    }
}

impl<'a> Iterator for TrafficSelectorIter<'a> {
    type Item = Result<TrafficSelector<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let input = self.rest;
        let off = offset_in(self.base, input);
        let mut fail = |e| {
            self.rest = &[];
            Some(Err(e))
        };
        if input.len() < 4 {
            return fail(WireError::truncated(off, 4, input.len()));
        }
        let ts_type = TsType(input[0]);
        let length = u16::from_be_bytes([input[2], input[3]]);
        let len = usize::from(length);
        let min = fixed_length(ts_type).unwrap_or(4);
        if len < min {
            return fail(WireError::new(
                ErrorKind::LengthTooSmall {
                    declared: len,
                    minimum: min,
                },
                off + 2,
            ));
        }
        if let Some(fixed) = fixed_length(ts_type) {
            if len != fixed {
                return fail(WireError::new(
                    ErrorKind::InvalidValue("traffic selector length"),
                    off + 2,
                ));
            }
        }
        if input.len() < len {
            return fail(WireError::truncated(off, len, input.len()));
        }
        let (raw, rest) = input.split_at(len);
        self.rest = rest;
        Some(Ok(TrafficSelector {
            ts_type,
            ip_protocol: input[1],
            length,
            raw,
        }))
    }
}
