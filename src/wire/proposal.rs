//! Proposals and transforms, the substructures of an SA payload.
//!
//! The proposal body is the same in both versions (RFC 2408 §3.5,
//! RFC 7296 §3.3.1): number, protocol, SPI size, transform count, SPI,
//! transforms. Transforms differ: IKEv1 has number + one-octet ID
//! (RFC 2408 §3.6), IKEv2 has type + two-octet ID (RFC 7296 §3.3.2).

use super::attribute::AttributeIter;
use super::error::{ErrorKind, Mode, Result, WireError};
use super::header::PayloadHeader;
use super::reader::offset_in;
use super::registry::{ProtocolIdV1, ProtocolIdV2, TransformType};
use super::substruct::SubstructIter;

/// Marker of a proposal followed by another (IKEv1 next payload
/// "Proposal", IKEv2 last substruc 2).
pub const MORE_PROPOSALS: u8 = 2;
/// Marker of a transform followed by another.
pub const MORE_TRANSFORMS: u8 = 3;

/// A proposal substructure.
#[derive(Clone, Copy, Debug)]
pub struct Proposal<'a> {
    /// Its generic header (next payload / last substruc, reserved, length).
    pub header: PayloadHeader,
    /// Proposal number.
    pub number: u8,
    /// Protocol ID (IKEv1 and IKEv2 registries differ; see the typed
    /// accessors).
    pub protocol_id: u8,
    /// Declared SPI size.
    pub spi_size: u8,
    /// Declared number of transforms.
    pub num_transforms: u8,
    /// The SPI.
    pub spi: &'a [u8],
    /// The proposal's bytes on the wire, header included.
    pub raw: &'a [u8],
    transforms: &'a [u8],
    base: &'a [u8],
    mode: Mode,
}

/// Proposals of an SA payload.
#[derive(Clone, Debug)]
pub struct ProposalIter<'a> {
    inner: SubstructIter<'a>,
    base: &'a [u8],
    mode: Mode,
}

impl<'a> ProposalIter<'a> {
    pub(crate) fn new(base: &'a [u8], data: &'a [u8], mode: Mode) -> Self {
        ProposalIter {
            inner: SubstructIter::new(base, data, MORE_PROPOSALS, mode),
            base,
            mode,
        }
    }
}

impl<'a> Iterator for ProposalIter<'a> {
    type Item = Result<Proposal<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        let s = match self.inner.next()? {
            Ok(s) => s,
            Err(e) => return Some(Err(e)),
        };
        let b = s.body;
        let off = offset_in(self.base, b);
        if b.len() < 4 {
            return Some(Err(WireError::truncated(off, 4, b.len())));
        }
        let spi_size = b[2];
        let end = 4 + usize::from(spi_size);
        if b.len() < end {
            return Some(Err(WireError::truncated(off, end, b.len())));
        }
        Some(Ok(Proposal {
            header: s.header,
            number: b[0],
            protocol_id: b[1],
            spi_size,
            num_transforms: b[3],
            spi: &b[4..end],
            raw: s.raw,
            transforms: &b[end..],
            base: self.base,
            mode: self.mode,
        }))
    }
}

impl<'a> Proposal<'a> {
    /// Protocol ID in the IKEv1 registry.
    pub fn protocol_v1(&self) -> ProtocolIdV1 {
        ProtocolIdV1(self.protocol_id)
    }

    /// Protocol ID in the IKEv2 registry.
    pub fn protocol_v2(&self) -> ProtocolIdV2 {
        ProtocolIdV2(self.protocol_id)
    }

    /// The raw transform bytes.
    pub fn transform_bytes(&self) -> &'a [u8] {
        self.transforms
    }

    /// IKEv1 transforms.
    pub fn transforms_v1(&self) -> TransformIterV1<'a> {
        TransformIterV1 {
            inner: SubstructIter::new(self.base, self.transforms, MORE_TRANSFORMS, self.mode),
            base: self.base,
        }
    }

    /// IKEv2 transforms.
    pub fn transforms_v2(&self) -> TransformIterV2<'a> {
        TransformIterV2 {
            inner: SubstructIter::new(self.base, self.transforms, MORE_TRANSFORMS, self.mode),
            base: self.base,
        }
    }

    /// Checks the transform count against the transforms present, walking
    /// them with `count` (which also surfaces their errors).
    pub fn check_count(&self, count: usize) -> Result<()> {
        if count != usize::from(self.num_transforms) {
            return Err(WireError::new(
                ErrorKind::CountMismatch {
                    declared: usize::from(self.num_transforms),
                    found: count,
                },
                offset_in(self.base, self.raw) + 7,
            ));
        }
        Ok(())
    }
}

/// An IKEv1 transform (RFC 2408 §3.6).
#[derive(Clone, Copy, Debug)]
pub struct TransformV1<'a> {
    /// Generic header.
    pub header: PayloadHeader,
    /// Transform number.
    pub number: u8,
    /// Transform ID (meaning depends on the proposal's protocol).
    pub transform_id: u8,
    /// Reserved two octets, kept for re-encoding.
    pub reserved: u16,
    /// The SA attributes bytes.
    pub attributes_raw: &'a [u8],
    /// Whole transform bytes.
    pub raw: &'a [u8],
    base: &'a [u8],
}

impl<'a> TransformV1<'a> {
    /// The SA attributes.
    pub fn attributes(&self) -> AttributeIter<'a> {
        AttributeIter::new(self.base, self.attributes_raw)
    }
}

/// An IKEv2 transform (RFC 7296 §3.3.2).
#[derive(Clone, Copy, Debug)]
pub struct TransformV2<'a> {
    /// Generic header (last substruc, reserved, length).
    pub header: PayloadHeader,
    /// Transform type.
    pub transform_type: TransformType,
    /// Reserved octet.
    pub reserved: u8,
    /// Transform ID, in the registry of `transform_type`.
    pub transform_id: u16,
    /// Transform attributes bytes.
    pub attributes_raw: &'a [u8],
    /// Whole transform bytes.
    pub raw: &'a [u8],
    base: &'a [u8],
}

impl<'a> TransformV2<'a> {
    /// The transform attributes.
    pub fn attributes(&self) -> AttributeIter<'a> {
        AttributeIter::new(self.base, self.attributes_raw)
    }

    /// The Key Length attribute (type 14), if present and well formed.
    pub fn key_length(&self) -> Option<u16> {
        self.attributes()
            .filter_map(|a| a.ok())
            .find(|a| a.attr_type == 14)
            .and_then(|a| a.as_u64())
            .and_then(|v| u16::try_from(v).ok())
    }
}

macro_rules! transform_iter {
    ($name:ident, $item:ident, $body:expr) => {
        /// Lazy iterator over the transforms of a proposal.
        #[derive(Clone, Debug)]
        pub struct $name<'a> {
            inner: SubstructIter<'a>,
            base: &'a [u8],
        }

        impl<'a> Iterator for $name<'a> {
            type Item = Result<$item<'a>>;

            fn next(&mut self) -> Option<Self::Item> {
                let s = match self.inner.next()? {
                    Ok(s) => s,
                    Err(e) => return Some(Err(e)),
                };
                let b = s.body;
                if b.len() < 4 {
                    return Some(Err(WireError::truncated(
                        offset_in(self.base, b),
                        4,
                        b.len(),
                    )));
                }
                let f: fn(_, _, _, _) -> $item<'a> = $body;
                Some(Ok(f(s.header, s.raw, b, self.base)))
            }
        }
    };
}

transform_iter!(
    TransformIterV1,
    TransformV1,
    |header, raw, b: &'a [u8], base| {
        TransformV1 {
            header,
            number: b[0],
            transform_id: b[1],
            reserved: u16::from_be_bytes([b[2], b[3]]),
            attributes_raw: &b[4..],
            raw,
            base,
        }
    }
);

transform_iter!(
    TransformIterV2,
    TransformV2,
    |header, raw, b: &'a [u8], base| {
        TransformV2 {
            header,
            transform_type: TransformType(b[0]),
            reserved: b[1],
            transform_id: u16::from_be_bytes([b[2], b[3]]),
            attributes_raw: &b[4..],
            raw,
            base,
        }
    }
);
