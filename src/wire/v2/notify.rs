//! IKEv2 Notify payload (RFC 7296 §3.10) and the typed data of the notify
//! types whose data has a defined format.

use std::net::IpAddr;

use crate::wire::error::{ErrorKind, Mode, Result, WireError};
use crate::wire::reader::{be_u16, be_u8, offset_in, run, take};
use crate::wire::registry::{
    GatewayIdType, HashAlgorithm, IpcompTransformId, KeMethod, NotifyTypeV2, ProtocolIdV2,
};

/// Notify payload body.
#[derive(Clone, Copy, Debug)]
pub struct Notify<'a> {
    /// Protocol ID (0 when the notification is about the IKE SA).
    pub protocol_id: ProtocolIdV2,
    /// SPI size.
    pub spi_size: u8,
    /// Notify message type.
    pub notify_type: NotifyTypeV2,
    /// The SPI.
    pub spi: &'a [u8],
    /// Notification data.
    pub data: &'a [u8],
    base: &'a [u8],
}

/// Notification data of the types with a defined format.
#[derive(Clone, Debug)]
pub enum NotifyData<'a> {
    /// No data expected and none present (status flags such as
    /// USE_TRANSPORT_MODE, IKEV2_FRAGMENTATION_SUPPORTED, INITIAL_CONTACT,
    /// REKEY_SA, ESP_TFC_PADDING_NOT_SUPPORTED …).
    Empty,
    /// NAT_DETECTION_SOURCE_IP / _DESTINATION_IP: a SHA-1 hash (§2.23).
    NatDetection(&'a [u8]),
    /// COOKIE: 1–64 octets (§2.6).
    Cookie(&'a [u8]),
    /// INVALID_KE_PAYLOAD: the accepted key exchange method (§3.10.1).
    AcceptedKeMethod(KeMethod),
    /// SIGNATURE_HASH_ALGORITHMS: the hash algorithms (RFC 7427 §4).
    SignatureHashAlgorithms(HashAlgorithms<'a>),
    /// REDIRECT (RFC 5685 §8.2): new gateway and optional nonce.
    Redirect {
        /// Gateway identity type.
        gw_type: GatewayIdType,
        /// Gateway identity.
        gw_ident: &'a [u8],
        /// Nonce data (empty when redirecting an established SA).
        nonce: &'a [u8],
    },
    /// REDIRECTED_FROM (RFC 5685 §8.3): the original gateway.
    RedirectedFrom {
        /// Gateway identity type.
        gw_type: GatewayIdType,
        /// Gateway identity.
        gw_ident: &'a [u8],
    },
    /// IPCOMP_SUPPORTED: CPI and transform ID (§3.10.1).
    IpcompSupported {
        /// Compression parameter index.
        cpi: u16,
        /// IPComp transform.
        transform: IpcompTransformId,
    },
    /// SET_WINDOW_SIZE (§2.3) or AUTH_LIFETIME (RFC 4478): a 32-bit value.
    U32(u32),
    /// Data of a type without a defined format here.
    Raw(&'a [u8]),
}

/// Lazy list of two-octet hash algorithm identifiers.
#[derive(Clone, Debug)]
pub struct HashAlgorithms<'a>(&'a [u8]);

impl Iterator for HashAlgorithms<'_> {
    type Item = HashAlgorithm;
    fn next(&mut self) -> Option<HashAlgorithm> {
        let (v, rest) = self.0.split_first_chunk::<2>()?;
        self.0 = rest;
        Some(HashAlgorithm(u16::from_be_bytes(*v)))
    }
}

impl<'a> Notify<'a> {
    /// Parses the body; strict mode also checks typed data sizes.
    pub fn parse(base: &'a [u8], body: &'a [u8], mode: Mode) -> Result<Self> {
        let (rest, (p, spi_size, t)) = run(base, body, (be_u8, be_u8, be_u16))?;
        let (data, spi) = run(base, rest, take(usize::from(spi_size)))?;
        let n = Notify {
            protocol_id: ProtocolIdV2(p),
            spi_size,
            notify_type: NotifyTypeV2(t),
            spi,
            data,
            base,
        };
        if mode == Mode::Strict {
            n.typed_data()?;
        }
        Ok(n)
    }

    /// True for error types (below 16384, RFC 7296 §3.10.1).
    pub fn is_error(&self) -> bool {
        self.notify_type.0 < 16384
    }

    fn bad(&self, what: &'static str) -> WireError {
        WireError::new(
            ErrorKind::InvalidValue(what),
            offset_in(self.base, self.data),
        )
    }

    fn gateway(&self, b: &'a [u8]) -> Result<(GatewayIdType, &'a [u8], &'a [u8])> {
        let (&t, rest) = b
            .split_first()
            .ok_or_else(|| self.bad("gateway identity"))?;
        let (&len, rest) = rest
            .split_first()
            .ok_or_else(|| self.bad("gateway identity"))?;
        let len = usize::from(len);
        if rest.len() < len {
            return Err(self.bad("gateway identity length"));
        }
        let (ident, after) = rest.split_at(len);
        let t = GatewayIdType(t);
        let ok = match t {
            GatewayIdType::IPV4 => len == 4,
            GatewayIdType::IPV6 => len == 16,
            _ => true,
        };
        if !ok {
            return Err(self.bad("gateway address length"));
        }
        Ok((t, ident, after))
    }

    /// The typed data; an error when a defined format is violated.
    pub fn typed_data(&self) -> Result<NotifyData<'a>> {
        let d = self.data;
        Ok(match self.notify_type {
            NotifyTypeV2::NAT_DETECTION_SOURCE_IP | NotifyTypeV2::NAT_DETECTION_DESTINATION_IP => {
                if d.len() != 20 {
                    return Err(self.bad("NAT detection hash length"));
                }
                NotifyData::NatDetection(d)
            }
            NotifyTypeV2::COOKIE => {
                if d.is_empty() || d.len() > 64 {
                    return Err(self.bad("cookie length"));
                }
                NotifyData::Cookie(d)
            }
            NotifyTypeV2::INVALID_KE_PAYLOAD => {
                let v: [u8; 2] = d.try_into().map_err(|_| self.bad("accepted group"))?;
                NotifyData::AcceptedKeMethod(KeMethod(u16::from_be_bytes(v)))
            }
            NotifyTypeV2::SIGNATURE_HASH_ALGORITHMS => {
                if d.len() % 2 != 0 {
                    return Err(self.bad("hash algorithm list length"));
                }
                NotifyData::SignatureHashAlgorithms(HashAlgorithms(d))
            }
            NotifyTypeV2::REDIRECT => {
                let (gw_type, gw_ident, nonce) = self.gateway(d)?;
                NotifyData::Redirect {
                    gw_type,
                    gw_ident,
                    nonce,
                }
            }
            NotifyTypeV2::REDIRECTED_FROM => {
                let (gw_type, gw_ident, rest) = self.gateway(d)?;
                if !rest.is_empty() {
                    return Err(self.bad("REDIRECTED_FROM trailing data"));
                }
                NotifyData::RedirectedFrom { gw_type, gw_ident }
            }
            NotifyTypeV2::IPCOMP_SUPPORTED => {
                let v: [u8; 3] = d.try_into().map_err(|_| self.bad("IPCOMP_SUPPORTED"))?;
                NotifyData::IpcompSupported {
                    cpi: u16::from_be_bytes([v[0], v[1]]),
                    transform: IpcompTransformId(v[2]),
                }
            }
            NotifyTypeV2::SET_WINDOW_SIZE | NotifyTypeV2::AUTH_LIFETIME => {
                let v: [u8; 4] = d.try_into().map_err(|_| self.bad("32-bit value"))?;
                NotifyData::U32(u32::from_be_bytes(v))
            }
            NotifyTypeV2::INITIAL_CONTACT
            | NotifyTypeV2::USE_TRANSPORT_MODE
            | NotifyTypeV2::ESP_TFC_PADDING_NOT_SUPPORTED
            | NotifyTypeV2::NON_FIRST_FRAGMENTS_ALSO
            | NotifyTypeV2::IKEV2_FRAGMENTATION_SUPPORTED
            | NotifyTypeV2::REDIRECT_SUPPORTED
            | NotifyTypeV2::MOBIKE_SUPPORTED
            | NotifyTypeV2::REKEY_SA
            | NotifyTypeV2::CHILDLESS_IKEV2_SUPPORTED
            | NotifyTypeV2::INTERMEDIATE_EXCHANGE_SUPPORTED
                if d.is_empty() =>
            {
                NotifyData::Empty
            }
            _ => NotifyData::Raw(d),
        })
    }

    /// For REDIRECT / REDIRECTED_FROM with an address gateway, the address.
    pub fn gateway_ip(gw_type: GatewayIdType, ident: &[u8]) -> Option<IpAddr> {
        match gw_type {
            GatewayIdType::IPV4 => <[u8; 4]>::try_from(ident).ok().map(IpAddr::from),
            GatewayIdType::IPV6 => <[u8; 16]>::try_from(ident).ok().map(IpAddr::from),
            _ => None,
        }
    }
}
