//! Identification data (RFC 2407 §4.6.2, RFC 7296 §3.5): the typed view of
//! the bytes after an ID payload's fixed part. Also used by IKEv1 NAT-OA.
//!
//! IKEv1 and IKEv2 share the numbers of the types they both have
//! (1 IPv4, 2 FQDN, 3 user FQDN / RFC 822, 5 IPv6, 9 DN, 10 GN, 11 key ID).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::error::ErrorKind;

/// Decoded identification data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdData<'a> {
    /// ID_IPV4_ADDR.
    Ipv4(Ipv4Addr),
    /// ID_IPV4_ADDR_SUBNET (IKEv1): address and mask.
    Ipv4Subnet(Ipv4Addr, Ipv4Addr),
    /// ID_IPV4_ADDR_RANGE (IKEv1): start and end.
    Ipv4Range(Ipv4Addr, Ipv4Addr),
    /// ID_IPV6_ADDR.
    Ipv6(Ipv6Addr),
    /// ID_IPV6_ADDR_SUBNET (IKEv1): address and mask.
    Ipv6Subnet(Ipv6Addr, Ipv6Addr),
    /// ID_IPV6_ADDR_RANGE (IKEv1): start and end.
    Ipv6Range(Ipv6Addr, Ipv6Addr),
    /// ID_FQDN: a domain name, not terminated.
    Fqdn(&'a [u8]),
    /// ID_USER_FQDN (IKEv1) / ID_RFC822_ADDR (IKEv2).
    UserFqdn(&'a [u8]),
    /// ID_DER_ASN1_DN: a DER Distinguished Name.
    DerAsn1Dn(&'a [u8]),
    /// ID_DER_ASN1_GN: a DER GeneralName.
    DerAsn1Gn(&'a [u8]),
    /// ID_KEY_ID: opaque bytes.
    KeyId(&'a [u8]),
    /// ID_LIST (IKEv1, RFC 3554) or ID_FC_NAME (IKEv2): opaque here.
    Other(&'a [u8]),
    /// ID_NULL (IKEv2, RFC 7619): no data.
    Null,
}

fn v4(b: &[u8]) -> Option<Ipv4Addr> {
    <[u8; 4]>::try_from(b).ok().map(Ipv4Addr::from)
}

fn v6(b: &[u8]) -> Option<Ipv6Addr> {
    <[u8; 16]>::try_from(b).ok().map(Ipv6Addr::from)
}

fn pair<T>(b: &[u8], n: usize, f: impl Fn(&[u8]) -> Option<T>) -> Option<(T, T)> {
    if b.len() != 2 * n {
        return None;
    }
    Some((f(&b[..n])?, f(&b[n..])?))
}

/// Decodes identification data of type `id_type`. `v2` selects the IKEv2
/// meaning of types 12 (FC_NAME) and 13 (NULL); the address types 4, 6, 7
/// and 8 exist only in IKEv1.
pub fn decode_id(id_type: u8, data: &[u8], v2: bool) -> Result<IdData<'_>, ErrorKind> {
    let bad = ErrorKind::InvalidValue("identification data length");
    Ok(match (id_type, v2) {
        (1, _) => IdData::Ipv4(v4(data).ok_or(bad)?),
        (5, _) => IdData::Ipv6(v6(data).ok_or(bad)?),
        (4, false) => {
            let (a, m) = pair(data, 4, v4).ok_or(bad)?;
            IdData::Ipv4Subnet(a, m)
        }
        (7, false) => {
            let (a, m) = pair(data, 4, v4).ok_or(bad)?;
            IdData::Ipv4Range(a, m)
        }
        (6, false) => {
            let (a, m) = pair(data, 16, v6).ok_or(bad)?;
            IdData::Ipv6Subnet(a, m)
        }
        (8, false) => {
            let (a, m) = pair(data, 16, v6).ok_or(bad)?;
            IdData::Ipv6Range(a, m)
        }
        (2, _) => IdData::Fqdn(data),
        (3, _) => IdData::UserFqdn(data),
        (9, _) => IdData::DerAsn1Dn(data),
        (10, _) => IdData::DerAsn1Gn(data),
        (11, _) => IdData::KeyId(data),
        (13, true) if data.is_empty() => IdData::Null,
        (13, true) => return Err(ErrorKind::InvalidValue("ID_NULL with data")),
        _ => IdData::Other(data),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_types_check_length() {
        assert_eq!(
            decode_id(1, &[10, 0, 0, 1], false),
            Ok(IdData::Ipv4(Ipv4Addr::new(10, 0, 0, 1)))
        );
        assert!(decode_id(1, &[10, 0, 0], true).is_err());
        // The tcpdump ikev1_id_ipv6_addr_subnet-oobr case: short subnet.
        assert!(decode_id(6, &[0; 20], false).is_err());
        assert!(matches!(
            decode_id(4, &[10, 0, 0, 0, 255, 0, 0, 0], false),
            Ok(IdData::Ipv4Subnet(_, m)) if m == Ipv4Addr::new(255, 0, 0, 0)
        ));
        assert_eq!(decode_id(2, b"west", true), Ok(IdData::Fqdn(b"west")));
        assert_eq!(decode_id(13, b"", true), Ok(IdData::Null));
        assert_eq!(decode_id(4, b"abc", true), Ok(IdData::Other(b"abc")));
    }
}
