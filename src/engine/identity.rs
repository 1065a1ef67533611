//! Identities (RFC 7296 §3.5) and traffic selectors (§3.13, narrowing
//! §2.9) as the engine uses them.

use core::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::wire::emit::Out;
use crate::wire::registry::{IdTypeV2, TsType};
use crate::wire::v2::TrafficSelector as WireTs;

/// An IKE identity.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Identity {
    /// ID_IPV4_ADDR.
    Ipv4(Ipv4Addr),
    /// ID_IPV6_ADDR.
    Ipv6(Ipv6Addr),
    /// ID_FQDN.
    Fqdn(String),
    /// ID_RFC822_ADDR.
    Email(String),
    /// ID_DER_ASN1_DN (DER bytes).
    Dn(Vec<u8>),
    /// ID_KEY_ID.
    KeyId(Vec<u8>),
    /// ID_NULL (RFC 7619).
    Null,
    /// Any other type, as received.
    Other(IdTypeV2, Vec<u8>),
}

impl Identity {
    /// Reads strongSwan-like notation: an IP address, `@fqdn` or a name
    /// with dots (FQDN), `user@domain` (RFC 822), `@#hex` (key ID),
    /// `%null`.
    pub fn parse(s: &str) -> Identity {
        let s = s.trim();
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Identity::from(ip);
        }
        if s == "%null" {
            return Identity::Null;
        }
        if let Some(hex) = s.strip_prefix("@#") {
            if let Some(b) = crate::hex::decode(hex) {
                return Identity::KeyId(b);
            }
        }
        if let Some(f) = s.strip_prefix('@') {
            return Identity::Fqdn(f.to_owned());
        }
        if s.contains('@') {
            return Identity::Email(s.to_owned());
        }
        Identity::Fqdn(s.to_owned())
    }

    /// The ID type.
    pub fn id_type(&self) -> IdTypeV2 {
        match self {
            Identity::Ipv4(_) => IdTypeV2::IPV4_ADDR,
            Identity::Ipv6(_) => IdTypeV2::IPV6_ADDR,
            Identity::Fqdn(_) => IdTypeV2::FQDN,
            Identity::Email(_) => IdTypeV2::RFC822_ADDR,
            Identity::Dn(_) => IdTypeV2::DER_ASN1_DN,
            Identity::KeyId(_) => IdTypeV2::KEY_ID,
            Identity::Null => IdTypeV2::NULL,
            Identity::Other(t, _) => *t,
        }
    }

    /// The identification data.
    pub fn data(&self) -> Vec<u8> {
        match self {
            Identity::Ipv4(a) => a.octets().to_vec(),
            Identity::Ipv6(a) => a.octets().to_vec(),
            Identity::Fqdn(s) | Identity::Email(s) => s.as_bytes().to_vec(),
            Identity::Dn(b) | Identity::KeyId(b) | Identity::Other(_, b) => b.clone(),
            Identity::Null => Vec::new(),
        }
    }

    /// The ID payload body: type, three reserved octets, data (the input
    /// of MACedIDFor*, §2.15).
    pub fn payload_body(&self) -> Vec<u8> {
        let mut v = vec![self.id_type().0, 0, 0, 0];
        v.extend(self.data());
        v
    }

    /// From a received ID payload.
    pub fn from_wire(t: IdTypeV2, data: &[u8]) -> Identity {
        match (t, data.len()) {
            (IdTypeV2::IPV4_ADDR, 4) => {
                Identity::Ipv4(Ipv4Addr::new(data[0], data[1], data[2], data[3]))
            }
            (IdTypeV2::IPV6_ADDR, 16) => {
                let a: [u8; 16] = data.try_into().unwrap_or([0; 16]);
                Identity::Ipv6(Ipv6Addr::from(a))
            }
            (IdTypeV2::FQDN, _) => match std::str::from_utf8(data) {
                Ok(s) => Identity::Fqdn(s.to_owned()),
                Err(_) => Identity::Other(t, data.to_vec()),
            },
            (IdTypeV2::RFC822_ADDR, _) => match std::str::from_utf8(data) {
                Ok(s) => Identity::Email(s.to_owned()),
                Err(_) => Identity::Other(t, data.to_vec()),
            },
            (IdTypeV2::DER_ASN1_DN, _) => Identity::Dn(data.to_vec()),
            (IdTypeV2::KEY_ID, _) => Identity::KeyId(data.to_vec()),
            (IdTypeV2::NULL, 0) => Identity::Null,
            _ => Identity::Other(t, data.to_vec()),
        }
    }

    /// Does a received identity match this configured one? FQDN and
    /// e-mail compare case-insensitively.
    pub fn matches(&self, other: &Identity) -> bool {
        match (self, other) {
            (Identity::Fqdn(a), Identity::Fqdn(b)) | (Identity::Email(a), Identity::Email(b)) => {
                a.eq_ignore_ascii_case(b)
            }
            _ => self == other,
        }
    }
}

impl From<IpAddr> for Identity {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(a) => Identity::Ipv4(a),
            IpAddr::V6(a) => Identity::Ipv6(a),
        }
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identity::Ipv4(a) => write!(f, "{a}"),
            Identity::Ipv6(a) => write!(f, "{a}"),
            Identity::Fqdn(s) | Identity::Email(s) => write!(f, "{s}"),
            Identity::Dn(b) => write!(f, "DN({} bytes)", b.len()),
            Identity::KeyId(b) => write!(f, "@#{}", crate::hex::encode(b)),
            Identity::Null => write!(f, "%null"),
            Identity::Other(t, b) => write!(f, "{t}:{}", crate::hex::encode(b)),
        }
    }
}

/// A traffic selector: protocol, port range, address range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TrafficSelector {
    /// IP protocol (0 = any).
    pub protocol: u8,
    /// First port.
    pub start_port: u16,
    /// Last port.
    pub end_port: u16,
    /// First address.
    pub start: IpAddr,
    /// Last address.
    pub end: IpAddr,
}

fn ip_u128(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(a) => (false, u128::from(u32::from(a))),
        IpAddr::V6(a) => (true, u128::from(a)),
    }
}

fn ip_from(v6: bool, n: u128) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(n))
    } else {
        IpAddr::V4(Ipv4Addr::from(n as u32))
    }
}

impl TrafficSelector {
    /// Everything of one family: all addresses, all protocols, all ports.
    pub fn any(v6: bool) -> Self {
        let (s, e) = if v6 {
            (
                IpAddr::V6(Ipv6Addr::UNSPECIFIED),
                IpAddr::V6(Ipv6Addr::from(u128::MAX)),
            )
        } else {
            (
                IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                IpAddr::V4(Ipv4Addr::BROADCAST),
            )
        };
        TrafficSelector {
            protocol: 0,
            start_port: 0,
            end_port: 65535,
            start: s,
            end: e,
        }
    }

    /// One host.
    pub fn host(ip: IpAddr) -> Self {
        TrafficSelector {
            protocol: 0,
            start_port: 0,
            end_port: 65535,
            start: ip,
            end: ip,
        }
    }

    /// Reads `addr/prefix`, `addr`, `start-end`, or `%any`/`%any6`, each
    /// optionally followed by `[proto/port]` (proto a number or
    /// tcp/udp/icmp; port a number or `%any`).
    pub fn parse(s: &str) -> Option<TrafficSelector> {
        let s = s.trim();
        let (net, extra) = match s.split_once('[') {
            Some((n, rest)) => (n, Some(rest.strip_suffix(']')?)),
            None => (s, None),
        };
        let mut ts = match net {
            "%any" | "0.0.0.0/0" => Self::any(false),
            "%any6" | "::/0" => Self::any(true),
            n if n.contains('/') => {
                let (a, p) = n.split_once('/')?;
                let ip: IpAddr = a.parse().ok()?;
                let prefix: u32 = p.parse().ok()?;
                let (v6, n) = ip_u128(ip);
                let bits = if v6 { 128 } else { 32 };
                if prefix > bits {
                    return None;
                }
                let host_bits = bits - prefix;
                let mask: u128 = if host_bits == 128 {
                    u128::MAX
                } else {
                    (1u128 << host_bits) - 1
                };
                TrafficSelector {
                    protocol: 0,
                    start_port: 0,
                    end_port: 65535,
                    start: ip_from(v6, n & !mask),
                    end: ip_from(v6, n | mask),
                }
            }
            n if n.contains('-') => {
                let (a, b) = n.split_once('-')?;
                let (a, b): (IpAddr, IpAddr) = (a.parse().ok()?, b.parse().ok()?);
                if a.is_ipv4() != b.is_ipv4() || ip_u128(a).1 > ip_u128(b).1 {
                    return None;
                }
                TrafficSelector {
                    protocol: 0,
                    start_port: 0,
                    end_port: 65535,
                    start: a,
                    end: b,
                }
            }
            n => Self::host(n.parse().ok()?),
        };
        if let Some(e) = extra {
            let (proto, port) = e.split_once('/').unwrap_or((e, "%any"));
            ts.protocol = match proto {
                "tcp" => 6,
                "udp" => 17,
                "icmp" => 1,
                "ipv6-icmp" => 58,
                "%any" | "" => 0,
                p => p.parse().ok()?,
            };
            if port != "%any" {
                let (a, b) = port.split_once('-').unwrap_or((port, port));
                ts.start_port = a.parse().ok()?;
                ts.end_port = b.parse().ok()?;
            }
        }
        Some(ts)
    }

    /// IPv6?
    pub fn is_v6(&self) -> bool {
        self.start.is_ipv6()
    }

    /// The intersection (narrowing, §2.9), if not empty.
    pub fn intersect(&self, other: &TrafficSelector) -> Option<TrafficSelector> {
        if self.is_v6() != other.is_v6() {
            return None;
        }
        let protocol = match (self.protocol, other.protocol) {
            (0, p) | (p, 0) => p,
            (a, b) if a == b => a,
            _ => return None,
        };
        let start_port = self.start_port.max(other.start_port);
        let end_port = self.end_port.min(other.end_port);
        if start_port > end_port {
            return None;
        }
        let v6 = self.is_v6();
        let s = ip_u128(self.start).1.max(ip_u128(other.start).1);
        let e = ip_u128(self.end).1.min(ip_u128(other.end).1);
        if s > e {
            return None;
        }
        Some(TrafficSelector {
            protocol,
            start_port,
            end_port,
            start: ip_from(v6, s),
            end: ip_from(v6, e),
        })
    }

    /// Is `other` inside this selector?
    pub fn contains(&self, other: &TrafficSelector) -> bool {
        self.intersect(other).as_ref() == Some(other)
    }

    /// Writes the selector (§3.13.1).
    pub fn emit(&self, o: &mut Out) {
        let v6 = self.is_v6();
        o.u8(if v6 {
            TsType::IPV6_ADDR_RANGE.0
        } else {
            TsType::IPV4_ADDR_RANGE.0
        });
        o.u8(self.protocol);
        o.u16(if v6 { 40 } else { 16 });
        o.u16(self.start_port);
        o.u16(self.end_port);
        for ip in [self.start, self.end] {
            match ip {
                IpAddr::V4(a) => o.bytes(&a.octets()),
                IpAddr::V6(a) => o.bytes(&a.octets()),
            }
        }
    }

    /// From a received selector (IP range types only).
    pub fn from_wire(w: &WireTs<'_>) -> Option<TrafficSelector> {
        let (start_port, end_port) = w.ports()?;
        let (start, end) = if let Some((s, e)) = w.ipv4_range() {
            (IpAddr::V4(s), IpAddr::V4(e))
        } else {
            let (s, e) = w.ipv6_range()?;
            (IpAddr::V6(s), IpAddr::V6(e))
        };
        Some(TrafficSelector {
            protocol: w.ip_protocol,
            start_port,
            end_port,
            start,
            end,
        })
    }
}

impl fmt::Display for TrafficSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (v6, s) = ip_u128(self.start);
        let e = ip_u128(self.end).1;
        let span = e.wrapping_sub(s).wrapping_add(1);
        let bits = if v6 { 128 } else { 32 };
        // A prefix when the range is one.
        if span.is_power_of_two() && s % span == 0 {
            write!(f, "{}/{}", self.start, bits - span.trailing_zeros())?;
        } else if s == 0 && e == (if v6 { u128::MAX } else { u128::from(u32::MAX) }) {
            write!(f, "{}/0", self.start)?;
        } else {
            write!(f, "{}-{}", self.start, self.end)?;
        }
        if self.protocol != 0 || self.start_port != 0 || self.end_port != 65535 {
            write!(f, "[{}", self.protocol)?;
            if self.start_port == self.end_port {
                write!(f, "/{}", self.start_port)?;
            } else if self.start_port != 0 || self.end_port != 65535 {
                write!(f, "/{}-{}", self.start_port, self.end_port)?;
            }
            write!(f, "]")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities() {
        assert_eq!(
            Identity::parse("10.0.0.1"),
            Identity::Ipv4(Ipv4Addr::new(10, 0, 0, 1))
        );
        assert_eq!(
            Identity::parse("@moon.example"),
            Identity::Fqdn("moon.example".into())
        );
        assert_eq!(
            Identity::parse("carol@example.org"),
            Identity::Email("carol@example.org".into())
        );
        assert_eq!(Identity::parse("@#0102"), Identity::KeyId(vec![1, 2]));
        let id = Identity::Fqdn("a.ike.test".into());
        assert_eq!(id.payload_body(), b"\x02\x00\x00\x00a.ike.test");
        assert!(id.matches(&Identity::Fqdn("A.IKE.test".into())));
        assert_eq!(
            Identity::from_wire(IdTypeV2::FQDN, b"x"),
            Identity::Fqdn("x".into())
        );
    }

    #[test]
    fn selectors_parse_and_narrow() {
        let a = TrafficSelector::parse("10.1.0.0/16").unwrap();
        assert_eq!(a.start, "10.1.0.0".parse::<IpAddr>().unwrap());
        assert_eq!(a.end, "10.1.255.255".parse::<IpAddr>().unwrap());
        assert_eq!(a.to_string(), "10.1.0.0/16");
        let b = TrafficSelector::parse("10.1.2.3[udp/500]").unwrap();
        assert_eq!((b.protocol, b.start_port, b.end_port), (17, 500, 500));
        let n = a.intersect(&b).unwrap();
        assert_eq!(n, b);
        assert!(a.contains(&b));
        assert!(TrafficSelector::parse("192.168.0.0/24")
            .unwrap()
            .intersect(&a)
            .is_none());
        assert!(TrafficSelector::any(true).intersect(&a).is_none());
        assert_eq!(TrafficSelector::any(false).to_string(), "0.0.0.0/0");
        assert!(TrafficSelector::parse("10.0.0.5-10.0.0.1").is_none());
        let mut o = Out::default();
        a.emit(&mut o);
        assert_eq!(o.len(), 16);
    }
}
