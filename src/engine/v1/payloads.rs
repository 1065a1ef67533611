//! Reading an IKEv1 payload chain (plain, or decrypted with its padding)
//! into an owned summary, and writing the payload bodies the exchanges
//! send (RFC 2408 §3, RFC 2407 §4.6, RFC 3947 §3.2/§5.2, the Mode-Config
//! and XAUTH drafts).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::crypto::Secret;
use crate::engine::identity::{Identity, TrafficSelector};
use crate::wire::attribute::{AttrValue, Attribute};
use crate::wire::emit::Out;
use crate::wire::header::IkeVersion;
use crate::wire::identity::IdData;
use crate::wire::message::PayloadIter;
use crate::wire::registry::{
    CertEncoding, CfgType, Doi, IdTypeV1, IdTypeV2, NotifyTypeV1, PayloadType, ProtocolIdV1,
};
use crate::wire::v1::{self, Payload};
use crate::wire::{ErrorKind, Mode, WireError};

/// IPsec DOI situation SIT_IDENTITY_ONLY (RFC 2407 §4.2).
pub(crate) const SIT_IDENTITY_ONLY: u32 = 1;

/// A data attribute, owned; the value is kept as a secret because XAUTH
/// passwords travel in attributes.
#[derive(Clone, Debug)]
pub(crate) struct AttrIn {
    /// Attribute type (AF bit removed).
    pub(crate) t: u16,
    /// Sent in the short (TV) form.
    pub(crate) short: bool,
    /// The value bytes (two octets for TV).
    pub(crate) value: Secret,
}

impl AttrIn {
    fn from_wire(a: &Attribute<'_>) -> AttrIn {
        AttrIn {
            t: a.attr_type,
            short: a.is_tv(),
            value: Secret::from_slice(a.value_bytes()),
        }
    }

    /// The value as an integer (TV, or a TLV of 1 to 8 octets).
    pub(crate) fn int(&self) -> Option<u64> {
        let b = self.value.expose();
        if b.is_empty() || b.len() > 8 {
            return None;
        }
        Some(b.iter().fold(0u64, |a, &x| (a << 8) | u64::from(x)))
    }
}

/// A transform of a received proposal.
#[derive(Clone, Debug)]
pub(crate) struct TransformIn {
    /// Transform number.
    pub(crate) number: u8,
    /// Transform ID.
    pub(crate) id: u8,
    /// SA attributes.
    pub(crate) attrs: Vec<AttrIn>,
}

/// A received proposal.
#[derive(Clone, Debug)]
pub(crate) struct ProposalIn {
    /// Proposal number.
    pub(crate) number: u8,
    /// Protocol.
    pub(crate) protocol: ProtocolIdV1,
    /// SPI.
    pub(crate) spi: Vec<u8>,
    /// Transforms in order.
    pub(crate) transforms: Vec<TransformIn>,
}

/// A received SA payload.
#[derive(Clone, Debug)]
pub(crate) struct SaIn {
    /// The body (SAi_b for HASH_I/HASH_R).
    pub(crate) body: Vec<u8>,
    /// Domain of interpretation.
    pub(crate) doi: Doi,
    /// Situation.
    pub(crate) situation: u32,
    /// Proposals in order.
    pub(crate) proposals: Vec<ProposalIn>,
}

/// A received ID payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IdIn {
    /// ID type.
    pub(crate) id_type: IdTypeV1,
    /// Protocol (IPsec DOI).
    pub(crate) protocol: u8,
    /// Port (IPsec DOI).
    pub(crate) port: u16,
    /// Identification data.
    pub(crate) data: Vec<u8>,
    /// The whole body (IDii_b / IDir_b).
    pub(crate) body: Vec<u8>,
}

/// A received notification.
#[derive(Clone, Debug)]
pub(crate) struct NotifyIn {
    /// Protocol.
    pub(crate) protocol: ProtocolIdV1,
    /// SPI.
    pub(crate) spi: Vec<u8>,
    /// Type.
    pub(crate) ntype: NotifyTypeV1,
    /// Data.
    pub(crate) data: Vec<u8>,
}

/// A received Delete payload.
#[derive(Clone, Debug)]
pub(crate) struct DeleteIn {
    /// Protocol.
    pub(crate) protocol: ProtocolIdV1,
    /// SPIs.
    pub(crate) spis: Vec<Vec<u8>>,
}

/// A received Attribute payload (Mode-Config, XAUTH).
#[derive(Clone, Debug)]
pub(crate) struct CfgIn {
    /// Message type.
    pub(crate) cfg_type: CfgType,
    /// Identifier.
    pub(crate) identifier: u16,
    /// Attributes.
    pub(crate) attrs: Vec<AttrIn>,
}

impl CfgIn {
    /// The first attribute of type `t`.
    pub(crate) fn get(&self, t: u16) -> Option<&AttrIn> {
        self.attrs.iter().find(|a| a.t == t)
    }
}

/// An IKEv1 fragment payload.
#[derive(Clone, Debug)]
pub(crate) struct FragmentIn {
    /// Fragment ID.
    pub(crate) id: u16,
    /// Number (from 1).
    pub(crate) number: u8,
    /// Last fragment?
    pub(crate) last: bool,
    /// The piece.
    pub(crate) data: Vec<u8>,
}

/// What a message carried, owned.
#[derive(Clone, Debug, Default)]
pub(crate) struct Inbound {
    pub(crate) sa: Option<SaIn>,
    pub(crate) ke: Option<Vec<u8>>,
    pub(crate) nonce: Option<Vec<u8>>,
    pub(crate) ids: Vec<IdIn>,
    pub(crate) hash: Option<Vec<u8>>,
    pub(crate) sig: Option<Vec<u8>>,
    pub(crate) certs: Vec<(CertEncoding, Vec<u8>)>,
    pub(crate) certreqs: Vec<(CertEncoding, Vec<u8>)>,
    pub(crate) notifies: Vec<NotifyIn>,
    pub(crate) deletes: Vec<DeleteIn>,
    pub(crate) vids: Vec<Vec<u8>>,
    pub(crate) natd: Vec<Vec<u8>>,
    pub(crate) nat_oa: Vec<IpAddr>,
    pub(crate) cfg: Option<CfgIn>,
    pub(crate) fragment: Option<FragmentIn>,
    /// The first payload was HASH: the chain after it, up to the end of the
    /// last payload (the input of HASH(1)/HASH(2), RFC 2409 §5.5).
    pub(crate) after_hash: Option<Vec<u8>>,
    /// Payload types in order.
    pub(crate) order: Vec<PayloadType>,
}

impl Inbound {
    /// Reads the chain in `chain` whose first payload is `first`. With
    /// `padded` (a decrypted body, RFC 2409 App. B) bytes after the last
    /// payload are padding and ignored; otherwise they are an error.
    pub(crate) fn read(
        chain: &[u8],
        first: PayloadType,
        padded: bool,
    ) -> Result<Inbound, WireError> {
        let mut m = Inbound::default();
        let mut end = 0usize;
        let mut hash_len = None;
        for p in PayloadIter::new(chain, chain, first, IkeVersion::V1) {
            let p = match p {
                Ok(p) => p,
                Err(e) if padded && matches!(e.kind, ErrorKind::TrailingData(_)) => break,
                Err(e) => return Err(e),
            };
            let off = crate::wire::reader::offset_in(chain, p.raw);
            end = off + p.raw.len();
            if m.order.is_empty() && p.payload_type == PayloadType::HASH {
                hash_len = Some(end);
            }
            m.order.push(p.payload_type);
            match v1::decode(chain, &p, Mode::Strict)? {
                Payload::Sa(sa) => {
                    let mut proposals = Vec::new();
                    for pr in sa.proposals() {
                        let pr = pr?;
                        let mut transforms = Vec::new();
                        for t in pr.transforms_v1() {
                            let t = t?;
                            let mut attrs = Vec::new();
                            for a in t.attributes() {
                                attrs.push(AttrIn::from_wire(&a?));
                            }
                            transforms.push(TransformIn {
                                number: t.number,
                                id: t.transform_id,
                                attrs,
                            });
                        }
                        pr.check_count(transforms.len())?;
                        proposals.push(ProposalIn {
                            number: pr.number,
                            protocol: pr.protocol_v1(),
                            spi: pr.spi.to_vec(),
                            transforms,
                        });
                    }
                    m.sa = Some(SaIn {
                        body: p.body.to_vec(),
                        doi: sa.doi,
                        situation: sa.situation_bits(),
                        proposals,
                    });
                }
                Payload::KeyExchange(k) => m.ke = Some(k.to_vec()),
                Payload::Nonce(n) => m.nonce = Some(n.to_vec()),
                Payload::Identification(id) => m.ids.push(IdIn {
                    id_type: id.id_type,
                    protocol: id.protocol_id,
                    port: id.port,
                    data: id.data.to_vec(),
                    body: p.body.to_vec(),
                }),
                Payload::Hash(h) => {
                    if m.hash.is_none() {
                        m.hash = Some(h.to_vec());
                    }
                }
                Payload::Signature(s) => m.sig = Some(s.to_vec()),
                Payload::Certificate(c) => m.certs.push((c.encoding, c.data.to_vec())),
                Payload::CertificateRequest(c) => {
                    m.certreqs.push((c.cert_type, c.authority.to_vec()))
                }
                Payload::Notification(n) => m.notifies.push(NotifyIn {
                    protocol: n.protocol_id,
                    spi: n.spi.to_vec(),
                    ntype: n.notify_type,
                    data: n.data.to_vec(),
                }),
                Payload::Delete(d) => m.deletes.push(DeleteIn {
                    protocol: d.protocol_id,
                    spis: d.spis().map(<[u8]>::to_vec).collect(),
                }),
                Payload::VendorId(v) => m.vids.push(v.to_vec()),
                Payload::NatD(h) => m.natd.push(h.to_vec()),
                Payload::NatOa(o) => m.nat_oa.push(o.ip()?),
                Payload::Attributes(c) => {
                    let mut attrs = Vec::new();
                    for a in c.attributes() {
                        attrs.push(AttrIn::from_wire(&a?));
                    }
                    m.cfg = Some(CfgIn {
                        cfg_type: c.cfg_type,
                        identifier: c.identifier,
                        attrs,
                    });
                }
                Payload::Fragment(f) => {
                    m.fragment = Some(FragmentIn {
                        id: f.fragment_id,
                        number: f.number,
                        last: f.is_last(),
                        data: f.data.to_vec(),
                    })
                }
                // Unknown and GDOI payloads are ignored (RFC 2408 §5.1
                // would answer INVALID-PAYLOAD-TYPE; ignoring is safer
                // for private payloads such as vendor extensions).
                Payload::Gdoi(..) | Payload::Unknown(..) => {}
            }
        }
        if let Some(h) = hash_len {
            m.after_hash = chain.get(h..end).map(<[u8]>::to_vec);
        }
        Ok(m)
    }

    /// The first notification of type `t`.
    pub(crate) fn notify(&self, t: NotifyTypeV1) -> Option<&NotifyIn> {
        self.notifies.iter().find(|n| n.ntype == t)
    }

    /// The first error notification.
    pub(crate) fn error(&self) -> Option<&NotifyIn> {
        self.notifies.iter().find(|n| n.ntype.is_error())
    }
}

/// The bytes `f` writes, as a payload body (through a throwaway chain, so
/// that length overflows are caught the same way).
pub(crate) fn body_of(f: impl FnOnce(&mut Out)) -> Option<Vec<u8>> {
    let mut c = crate::wire::emit::ChainBuilder::new();
    c.payload(PayloadType::NONE, 0, f);
    let (_, b) = c.finish().ok()?;
    b.get(crate::wire::header::PAYLOAD_HEADER_LEN..)
        .map(<[u8]>::to_vec)
}

/// Writes the fixed part of an IPsec DOI SA payload (RFC 2407 §4.6.1).
pub(crate) fn sa_header(o: &mut Out) {
    o.u32(Doi::IPSEC.0);
    o.u32(SIT_IDENTITY_ONLY);
}

/// Writes a Notification body (RFC 2408 §3.14).
pub(crate) fn notify_body(
    o: &mut Out,
    protocol: ProtocolIdV1,
    spi: &[u8],
    t: NotifyTypeV1,
    data: &[u8],
) {
    o.u32(Doi::IPSEC.0);
    o.u8(protocol.0);
    o.u8(u8::try_from(spi.len()).unwrap_or(0));
    o.u16(t.0);
    if spi.len() <= usize::from(u8::MAX) {
        o.bytes(spi);
    } else {
        o.set_overflow();
    }
    o.bytes(data);
}

/// Writes a Delete body (RFC 2408 §3.15); the SPIs share one size.
pub(crate) fn delete_body(o: &mut Out, protocol: ProtocolIdV1, spi_size: u8, spis: &[Vec<u8>]) {
    o.u32(Doi::IPSEC.0);
    o.u8(protocol.0);
    o.u8(spi_size);
    o.u16(u16::try_from(spis.len()).unwrap_or(0));
    for s in spis {
        o.bytes(s);
    }
}

/// Writes an Attribute payload body (draft-dukes-ike-mode-cfg-02 §3.2).
pub(crate) fn cfg_body(o: &mut Out, t: CfgType, identifier: u16, attrs: &[(u16, AttrValue<'_>)]) {
    o.u8(t.0);
    o.u8(0);
    o.u16(identifier);
    for (at, v) in attrs {
        o.attribute(*at, *v);
    }
}

/// The phase 1 ID payload body of an identity (RFC 2407 §4.6.2: protocol
/// and port 0 mean "any"). `None` for ID_NULL, which IKEv1 lacks.
pub(crate) fn identity_body(id: &Identity) -> Option<Vec<u8>> {
    if matches!(id, Identity::Null) {
        return None;
    }
    Some(id.payload_body())
}

/// The identity of a received phase 1 ID payload (types 1, 2, 3, 5, 9,
/// 11 have the same numbers in both versions).
pub(crate) fn identity_of(id: &IdIn) -> Identity {
    Identity::from_wire(IdTypeV2(id.id_type.0), &id.data)
}

fn prefix_len(v6: bool, start: u128, end: u128) -> Option<u32> {
    let bits = if v6 { 128 } else { 32 };
    let span = end.wrapping_sub(start).wrapping_add(1);
    if span == 0 {
        // The whole IPv6 space.
        return (v6 && start == 0).then_some(0);
    }
    if !span.is_power_of_two() || start % span != 0 {
        return None;
    }
    Some(bits - span.trailing_zeros())
}

fn ip_bits(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(a) => (false, u128::from(u32::from(a))),
        IpAddr::V6(a) => (true, u128::from(a)),
    }
}

fn ip_bytes(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

fn mask_of(v6: bool, prefix: u32) -> IpAddr {
    if v6 {
        let m = if prefix == 0 {
            0
        } else {
            u128::MAX << (128 - prefix)
        };
        IpAddr::V6(Ipv6Addr::from(m))
    } else {
        let m = if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - prefix)
        };
        IpAddr::V4(Ipv4Addr::from(m))
    }
}

/// A traffic selector as a Quick Mode ID payload body (RFC 2409 §5.5,
/// RFC 2407 §4.6.2): a host, a subnet or a range. A port range other than
/// one port or all ports cannot be expressed and widens to all ports.
pub(crate) fn ts_body(ts: &TrafficSelector) -> Vec<u8> {
    let (v6, s) = ip_bits(ts.start);
    let (_, e) = ip_bits(ts.end);
    let port = if ts.start_port == ts.end_port {
        ts.start_port
    } else {
        0
    };
    let (t, data) = if s == e {
        (
            if v6 {
                IdTypeV1::IPV6_ADDR
            } else {
                IdTypeV1::IPV4_ADDR
            },
            ip_bytes(ts.start),
        )
    } else if let Some(p) = prefix_len(v6, s, e) {
        (
            if v6 {
                IdTypeV1::IPV6_ADDR_SUBNET
            } else {
                IdTypeV1::IPV4_ADDR_SUBNET
            },
            [ip_bytes(ts.start), ip_bytes(mask_of(v6, p))].concat(),
        )
    } else {
        (
            if v6 {
                IdTypeV1::IPV6_ADDR_RANGE
            } else {
                IdTypeV1::IPV4_ADDR_RANGE
            },
            [ip_bytes(ts.start), ip_bytes(ts.end)].concat(),
        )
    };
    let mut b = vec![t.0, ts.protocol];
    b.extend_from_slice(&port.to_be_bytes());
    b.extend_from_slice(&data);
    b
}

/// The traffic selector of a Quick Mode ID payload; `None` for types that
/// are not addresses, a bad length, or a mask that is not a prefix.
pub(crate) fn ts_of(id: &IdIn) -> Option<TrafficSelector> {
    let (start_port, end_port) = if id.port == 0 {
        (0, 65535)
    } else {
        (id.port, id.port)
    };
    let range = |start: IpAddr, end: IpAddr| {
        (ip_bits(start).1 <= ip_bits(end).1).then_some(TrafficSelector {
            protocol: id.protocol,
            start_port,
            end_port,
            start,
            end,
        })
    };
    let subnet = |a: IpAddr, m: IpAddr| {
        let (v6, a) = ip_bits(a);
        let (_, m) = ip_bits(m);
        let full = if v6 { u128::MAX } else { u128::from(u32::MAX) };
        let host = !m & full;
        // The mask must be contiguous ones.
        if host & host.wrapping_add(1) != 0 {
            return None;
        }
        let from = |n: u128| {
            if v6 {
                IpAddr::V6(Ipv6Addr::from(n))
            } else {
                IpAddr::V4(Ipv4Addr::from(n as u32))
            }
        };
        range(from(a & m), from((a & m) | host))
    };
    match crate::wire::identity::decode_id(id.id_type.0, &id.data, false).ok()? {
        IdData::Ipv4(a) => range(IpAddr::V4(a), IpAddr::V4(a)),
        IdData::Ipv6(a) => range(IpAddr::V6(a), IpAddr::V6(a)),
        IdData::Ipv4Subnet(a, m) => subnet(IpAddr::V4(a), IpAddr::V4(m)),
        IdData::Ipv6Subnet(a, m) => subnet(IpAddr::V6(a), IpAddr::V6(m)),
        IdData::Ipv4Range(a, b) => range(IpAddr::V4(a), IpAddr::V4(b)),
        IdData::Ipv6Range(a, b) => range(IpAddr::V6(a), IpAddr::V6(b)),
        _ => None,
    }
}

/// A NAT-OA body (RFC 3947 §5.2).
pub(crate) fn nat_oa_body(o: &mut Out, ip: IpAddr) {
    match ip {
        IpAddr::V4(a) => {
            o.u8(IdTypeV1::IPV4_ADDR.0);
            o.bytes(&[0, 0, 0]);
            o.bytes(&a.octets());
        }
        IpAddr::V6(a) => {
            o.u8(IdTypeV1::IPV6_ADDR.0);
            o.bytes(&[0, 0, 0]);
            o.bytes(&a.octets());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(body: &[u8]) -> IdIn {
        IdIn {
            id_type: IdTypeV1(body[0]),
            protocol: body[1],
            port: u16::from_be_bytes([body[2], body[3]]),
            data: body[4..].to_vec(),
            body: body.to_vec(),
        }
    }

    #[test]
    fn selectors_round_trip_through_id_payloads() {
        for s in [
            "10.1.0.1",
            "10.1.0.0/16",
            "10.1.0.5-10.1.0.9",
            "0.0.0.0/0",
            "2001:db8::/32",
            "::/0",
            "10.2.0.0/24[udp/53]",
        ] {
            let ts = TrafficSelector::parse(s).unwrap();
            let b = ts_body(&ts);
            assert_eq!(ts_of(&id(&b)), Some(ts), "{s}");
        }
        // A non-prefix mask is refused, not misread.
        let mut b = ts_body(&TrafficSelector::parse("10.1.0.0/16").unwrap());
        b[9] = 0x0f;
        assert_eq!(ts_of(&id(&b)), None);
        // Wrong lengths are refused.
        assert_eq!(ts_of(&id(&[1, 0, 0, 0, 10, 1])), None);
    }

    #[test]
    fn padded_chains_and_hash_input() {
        // HASH (4 bytes of data) then Nonce, then zero padding.
        let chain = [10, 0, 0, 8, 1, 2, 3, 4, 0, 0, 0, 6, 0xaa, 0xbb, 0, 0, 0, 0];
        let m = Inbound::read(&chain, PayloadType::HASH, true).unwrap();
        assert_eq!(m.hash.as_deref(), Some(&[1, 2, 3, 4][..]));
        assert_eq!(m.nonce.as_deref(), Some(&[0xaa, 0xbb][..]));
        assert_eq!(m.after_hash.as_deref(), Some(&chain[8..14]));
        assert!(Inbound::read(&chain, PayloadType::HASH, false).is_err());
        // Truncated: an error, no panic.
        assert!(Inbound::read(&chain[..10], PayloadType::HASH, true).is_err());
    }
}
