//! IKEv2 Delete payload (RFC 7296 §3.11).

use crate::wire::error::{Mode, Result};
use crate::wire::reader::{be_u16, be_u8, run};
use crate::wire::registry::ProtocolIdV2;

/// Delete payload body.
#[derive(Clone, Copy, Debug)]
pub struct Delete<'a> {
    /// Protocol ID (1 = the IKE SA itself, no SPIs).
    pub protocol_id: ProtocolIdV2,
    /// SPI size.
    pub spi_size: u8,
    /// Declared number of SPIs.
    pub num_spis: u16,
    /// The SPIs, concatenated.
    pub spis_raw: &'a [u8],
    base: &'a [u8],
}

impl<'a> Delete<'a> {
    /// Parses the body; strict mode checks size × count.
    pub fn parse(base: &'a [u8], body: &'a [u8], mode: Mode) -> Result<Self> {
        let (spis_raw, (p, spi_size, n)) = run(base, body, (be_u8, be_u8, be_u16))?;
        let d = Delete {
            protocol_id: ProtocolIdV2(p),
            spi_size,
            num_spis: n,
            spis_raw,
            base,
        };
        if mode == Mode::Strict {
            d.check()?;
        }
        Ok(d)
    }

    /// Checks the SPI bytes against size × count.
    pub fn check(&self) -> Result<()> {
        super::check_spi_list(self.base, self.spis_raw, self.spi_size, self.num_spis)
    }

    /// The SPIs: `num_spis` of them (empty slices when the SPI size is 0),
    /// whole ones only.
    pub fn spis(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let n = usize::from(self.spi_size);
        let raw = self.spis_raw;
        (0..usize::from(self.num_spis)).map_while(move |i| raw.get(i * n..i * n + n))
    }
}
