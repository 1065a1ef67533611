//! IKEv1 Notification payload (RFC 2408 §3.14; DPD RFC 3706 §5;
//! RESPONDER-LIFETIME RFC 2407 §4.6.3.1).

use crate::wire::attribute::AttributeIter;
use crate::wire::error::{ErrorKind, Result, WireError};
use crate::wire::reader::{be_u16, be_u32, be_u8, offset_in, run, take};
use crate::wire::registry::{Doi, NotifyTypeV1, ProtocolIdV1};

/// Notification payload body.
#[derive(Clone, Copy, Debug)]
pub struct Notification<'a> {
    /// Domain of Interpretation.
    pub doi: Doi,
    /// Protocol ID.
    pub protocol_id: ProtocolIdV1,
    /// Declared SPI size.
    pub spi_size: u8,
    /// Notify message type.
    pub notify_type: NotifyTypeV1,
    /// The SPI.
    pub spi: &'a [u8],
    /// Notification data.
    pub data: &'a [u8],
    base: &'a [u8],
}

/// Typed notification data where the type defines it.
#[derive(Clone, Debug)]
pub enum NotifyDataV1<'a> {
    /// DPD R-U-THERE / R-U-THERE-ACK: the sequence number (RFC 3706).
    DpdSequence(u32),
    /// RESPONDER-LIFETIME: IPsec DOI SA attributes (RFC 2407 §4.6.3.1).
    ResponderLifetime(AttributeIter<'a>),
    /// Anything else, raw.
    Raw(&'a [u8]),
}

impl<'a> Notification<'a> {
    /// Parses the body: 8 fixed octets, the SPI, the data.
    pub fn parse(base: &'a [u8], body: &'a [u8]) -> Result<Self> {
        let (rest, (doi, p, spi_size, t)) = run(base, body, (be_u32, be_u8, be_u8, be_u16))?;
        let (data, spi) = run(base, rest, take(usize::from(spi_size)))?;
        Ok(Notification {
            doi: Doi(doi),
            protocol_id: ProtocolIdV1(p),
            spi_size,
            notify_type: NotifyTypeV1(t),
            spi,
            data,
            base,
        })
    }

    /// The typed data; an error if a fixed-size datum has the wrong size.
    pub fn typed_data(&self) -> Result<NotifyDataV1<'a>> {
        Ok(match self.notify_type {
            NotifyTypeV1::DPD_R_U_THERE | NotifyTypeV1::DPD_R_U_THERE_ACK => {
                let b = <[u8; 4]>::try_from(self.data).map_err(|_| {
                    WireError::new(
                        ErrorKind::InvalidValue("DPD sequence length"),
                        offset_in(self.base, self.data),
                    )
                })?;
                NotifyDataV1::DpdSequence(u32::from_be_bytes(b))
            }
            NotifyTypeV1::RESPONDER_LIFETIME => {
                NotifyDataV1::ResponderLifetime(AttributeIter::new(self.base, self.data))
            }
            _ => NotifyDataV1::Raw(self.data),
        })
    }
}
