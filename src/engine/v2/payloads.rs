//! Reading a (decrypted, strictly validated) IKEv2 payload chain into an
//! owned summary, and writing the payload bodies the exchanges send.

use crate::engine::identity::{Identity, TrafficSelector};
use crate::engine::proposal::{Chosen, Offered, ProposalSpec};
use crate::wire::attribute::AttrValue;
use crate::wire::emit::{Out, SaWriter};
use crate::wire::message::PayloadIter;
use crate::wire::registry::{
    AuthMethodV2, CertEncoding, KeMethod, NotifyTypeV2, PayloadType, ProtocolIdV2,
};
use crate::wire::v2::{self, Payload};
use crate::wire::{Mode, WireError};

/// A received notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyIn {
    /// Protocol ID.
    pub protocol: ProtocolIdV2,
    /// SPI.
    pub spi: Vec<u8>,
    /// Type.
    pub ntype: NotifyTypeV2,
    /// Data.
    pub data: Vec<u8>,
}

/// What a message carried, owned.
#[derive(Clone, Debug, Default)]
pub struct Inbound {
    /// SA proposals.
    pub sa: Option<Vec<Offered>>,
    /// Key exchange method and data.
    pub ke: Option<(KeMethod, Vec<u8>)>,
    /// Nonce.
    pub nonce: Option<Vec<u8>>,
    /// Notifications, in order.
    pub notifies: Vec<NotifyIn>,
    /// IDi: identity and the payload body (for AUTH).
    pub idi: Option<(Identity, Vec<u8>)>,
    /// IDr.
    pub idr: Option<(Identity, Vec<u8>)>,
    /// AUTH method and data.
    pub auth: Option<(AuthMethodV2, Vec<u8>)>,
    /// Certificates.
    pub certs: Vec<(CertEncoding, Vec<u8>)>,
    /// Certificate requests.
    pub certreqs: Vec<(CertEncoding, Vec<u8>)>,
    /// TSi.
    pub tsi: Option<Vec<TrafficSelector>>,
    /// TSr.
    pub tsr: Option<Vec<TrafficSelector>>,
    /// Deletes: protocol and SPIs.
    pub deletes: Vec<(ProtocolIdV2, Vec<Vec<u8>>)>,
    /// An unknown payload marked critical (RFC 7296 §2.5).
    pub unknown_critical: Option<PayloadType>,
}

impl Inbound {
    /// Reads the chain `it` of the message `base`; anything malformed is
    /// an error (the caller answers INVALID_SYNTAX or drops).
    pub fn read(base: &[u8], it: PayloadIter<'_>) -> Result<Inbound, WireError> {
        let mut m = Inbound::default();
        for p in it {
            let p = p?;
            let decoded = v2::decode(base, &p, Mode::Strict)?;
            match decoded {
                Payload::Sa(props) => {
                    let mut list = Vec::new();
                    for pr in props {
                        let pr = pr?;
                        let mut n = 0;
                        for t in pr.transforms_v2() {
                            let t = t?;
                            for a in t.attributes() {
                                a?;
                            }
                            n += 1;
                        }
                        pr.check_count(n)?;
                        list.push(Offered::from_wire(&pr));
                    }
                    m.sa = Some(list);
                }
                Payload::KeyExchange(k) => m.ke = Some((k.method, k.data.to_vec())),
                Payload::Nonce(n) => m.nonce = Some(n.to_vec()),
                Payload::Notify(n) => m.notifies.push(NotifyIn {
                    protocol: n.protocol_id,
                    spi: n.spi.to_vec(),
                    ntype: n.notify_type,
                    data: n.data.to_vec(),
                }),
                Payload::Identification(id) => {
                    let ident = Identity::from_wire(id.id_type, id.data);
                    let body = p.body.to_vec();
                    if p.payload_type == PayloadType::V2_IDI {
                        m.idi = Some((ident, body));
                    } else {
                        m.idr = Some((ident, body));
                    }
                }
                Payload::Auth(a) => m.auth = Some((a.method, a.data.to_vec())),
                Payload::Certificate(c) => m.certs.push((c.encoding, c.data.to_vec())),
                Payload::CertificateRequest(c) => {
                    m.certreqs.push((c.encoding, c.authority.to_vec()))
                }
                Payload::TrafficSelectors(ts) => {
                    let list: Vec<TrafficSelector> = ts
                        .selectors()
                        .flatten()
                        .filter_map(|s| TrafficSelector::from_wire(&s))
                        .collect();
                    if p.payload_type == PayloadType::V2_TSI {
                        m.tsi = Some(list);
                    } else {
                        m.tsr = Some(list);
                    }
                }
                Payload::Delete(d) => m
                    .deletes
                    .push((d.protocol_id, d.spis().map(<[u8]>::to_vec).collect())),
                Payload::Unknown(t, _) if p.header.critical() => {
                    m.unknown_critical.get_or_insert(t);
                }
                _ => {}
            }
        }
        Ok(m)
    }

    /// The first notification of `t`.
    pub fn notify(&self, t: NotifyTypeV2) -> Option<&NotifyIn> {
        self.notifies.iter().find(|n| n.ntype == t)
    }

    /// The first error notification (type below 16384).
    pub fn error(&self) -> Option<&NotifyIn> {
        self.notifies.iter().find(|n| n.ntype.0 < 16384)
    }
}

/// Writes an SA payload body with `specs`, proposal numbers from 1, each
/// carrying `spi`.
pub fn sa_body(o: &mut Out, specs: &[ProposalSpec], protocol: ProtocolIdV2, spi: &[u8]) {
    let mut w = SaWriter::new(o);
    for (n, spec) in specs.iter().enumerate() {
        let transforms = spec.transforms();
        w.proposal(0, (n + 1) as u8, protocol.0, spi, |t| {
            for (ty, id, bits) in &transforms {
                match bits {
                    Some(b) => t.v2(*ty, *id, [(14u16, AttrValue::Short(*b))]),
                    None => t.v2(*ty, *id, []),
                };
            }
        });
    }
}

/// Writes the accepted proposal (the responder's SA payload).
pub fn sa_chosen_body(
    o: &mut Out,
    number: u8,
    chosen: &Chosen,
    protocol: ProtocolIdV2,
    spi: &[u8],
) {
    let transforms = chosen.transforms();
    SaWriter::new(o).proposal(0, number, protocol.0, spi, |t| {
        for (ty, id, bits) in &transforms {
            match bits {
                Some(b) => t.v2(*ty, *id, [(14u16, AttrValue::Short(*b))]),
                None => t.v2(*ty, *id, []),
            };
        }
    });
}

/// KE body.
pub fn ke_body(o: &mut Out, method: KeMethod, data: &[u8]) {
    o.u16(method.0);
    o.u16(0);
    o.bytes(data);
}

/// Notify body.
pub fn notify_body(o: &mut Out, protocol: ProtocolIdV2, spi: &[u8], t: NotifyTypeV2, data: &[u8]) {
    o.u8(protocol.0);
    o.u8(spi.len() as u8);
    o.u16(t.0);
    o.bytes(spi);
    o.bytes(data);
}

/// TS body.
pub fn ts_body(o: &mut Out, list: &[TrafficSelector]) {
    o.u8(list.len() as u8);
    o.bytes(&[0, 0, 0]);
    for t in list {
        t.emit(o);
    }
}

/// AUTH body.
pub fn auth_body(o: &mut Out, method: AuthMethodV2, data: &[u8]) {
    o.u8(method.0);
    o.bytes(&[0, 0, 0]);
    o.bytes(data);
}

/// Delete body.
pub fn delete_body(o: &mut Out, protocol: ProtocolIdV2, spis: &[Vec<u8>]) {
    o.u8(protocol.0);
    o.u8(spis.first().map_or(0, |s| s.len() as u8));
    o.u16(spis.len() as u16);
    for s in spis {
        o.bytes(s);
    }
}
