//! Re-emission of a parsed message from its decoded fields, through the
//! builders of [`super::emit`]. Every length, count and marker is recomputed,
//! so `reemit(parse(b)) == b` checks parser and emitter against each other
//! (the round-trip property of the codec).

use core::fmt;

use super::attribute::{AttrValue, Attribute, AttributeIter};
use super::emit::{EmitError, MessageBuilder, Out, SaWriter};
use super::error::{Mode, WireError};
use super::header::IkeVersion;
use super::message::{Message, RawPayload};
use super::proposal::ProposalIter;
use super::{v1, v2};

/// Why re-emission failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReemitError {
    /// The message does not parse strictly.
    Parse(WireError),
    /// A builder refused a length.
    Emit(EmitError),
}

impl fmt::Display for ReemitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReemitError::Parse(e) => write!(f, "parse: {e}"),
            ReemitError::Emit(e) => write!(f, "emit: {e}"),
        }
    }
}

impl std::error::Error for ReemitError {}

impl From<WireError> for ReemitError {
    fn from(e: WireError) -> Self {
        ReemitError::Parse(e)
    }
}

/// Parses `bytes` strictly and writes the message again from its fields.
pub fn reemit(bytes: &[u8]) -> Result<Vec<u8>, ReemitError> {
    // Everything the strict walk rejects is refused here too, so the round
    // trip is only claimed for messages the engine would accept.
    super::validate::validate(bytes)?;
    let msg = Message::parse(bytes, Mode::Strict)?;
    let mut b = MessageBuilder::new(&msg.header);
    if let Some(body) = msg.encrypted_v1_body() {
        // Opaque until decrypted: the body goes back as it came, and the
        // header's next-payload (the first encrypted payload) is kept.
        let mut out = b.finish().map_err(ReemitError::Emit)?;
        out[16] = msg.header.next_payload.0;
        out.extend_from_slice(body);
        let len = out.len() as u32;
        out[24..28].copy_from_slice(&len.to_be_bytes());
        return Ok(out);
    }
    for p in msg.payloads() {
        let p = p?;
        emit_payload(&mut b, msg.bytes, &p, msg.version())?;
    }
    b.finish().map_err(ReemitError::Emit)
}

fn attrs<'a>(it: AttributeIter<'a>) -> Result<Vec<(u16, AttrValue<'a>)>, WireError> {
    it.map(|a| a.map(|a: Attribute<'a>| (a.attr_type, a.value)))
        .collect()
}

fn sa_proposals(out: &mut Out, props: ProposalIter<'_>, v: IkeVersion) -> Result<(), WireError> {
    let props: Vec<_> = props.collect::<Result<_, _>>()?;
    let mut w = SaWriter::new(out);
    for p in props {
        let mut err = None;
        w.proposal(p.header.flags, p.number, p.protocol_id, p.spi, |t| {
            let r: Result<(), WireError> = (|| {
                match v {
                    IkeVersion::V1 => {
                        for x in p.transforms_v1() {
                            let x = x?;
                            let a = attrs(x.attributes())?;
                            t.v1_full(x.header.flags, x.number, x.transform_id, x.reserved, a);
                        }
                    }
                    IkeVersion::V2 => {
                        for x in p.transforms_v2() {
                            let x = x?;
                            let a = attrs(x.attributes())?;
                            t.v2_full(
                                x.header.flags,
                                x.transform_type,
                                x.reserved,
                                x.transform_id,
                                a,
                            );
                        }
                    }
                }
                Ok(())
            })();
            err = r.err();
        });
        if let Some(e) = err {
            return Err(e);
        }
    }
    Ok(())
}

fn emit_payload(
    b: &mut MessageBuilder,
    base: &[u8],
    p: &RawPayload<'_>,
    version: IkeVersion,
) -> Result<(), ReemitError> {
    let flags = p.header.flags;
    let mut err: Option<WireError> = None;
    match version {
        IkeVersion::V1 => {
            let decoded = v1::decode(base, p, Mode::Strict)?;
            b.payload(p.payload_type, flags, |o| {
                err = emit_v1(o, &decoded).err();
            });
        }
        IkeVersion::V2 => {
            let decoded = v2::decode(base, p, Mode::Strict)?;
            match decoded {
                v2::Payload::Encrypted(e) => {
                    b.encrypted(p.payload_type, e.first_inner, flags, |o| o.bytes(e.data));
                }
                v2::Payload::EncryptedFragment(f) => {
                    b.encrypted(p.payload_type, f.first_inner, flags, |o| {
                        o.u16(f.fragment_number);
                        o.u16(f.total_fragments);
                        o.bytes(f.data);
                    });
                }
                d => {
                    b.payload(p.payload_type, flags, |o| {
                        err = emit_v2(o, d).err();
                    });
                }
            }
        }
    }
    err.map_or(Ok(()), |e| Err(e.into()))
}

fn emit_v1(o: &mut Out, p: &v1::Payload<'_>) -> Result<(), WireError> {
    use v1::Payload as P;
    match *p {
        P::Sa(sa) => {
            o.u32(sa.doi.0);
            o.bytes(sa.situation);
            if let Some((np, r)) = sa.gdoi {
                o.u8(np.0);
                o.bytes(&r);
                o.bytes(sa.rest);
            } else {
                sa_proposals(o, sa.proposals(), IkeVersion::V1)?;
            }
        }
        P::Identification(id) => {
            o.u8(id.id_type.0);
            o.u8(id.protocol_id);
            o.u16(id.port);
            o.bytes(id.data);
        }
        P::Certificate(c) => {
            o.u8(c.encoding.0);
            o.bytes(c.data);
        }
        P::CertificateRequest(c) => {
            o.u8(c.cert_type.0);
            o.bytes(c.authority);
        }
        P::Notification(n) => {
            o.u32(n.doi.0);
            o.u8(n.protocol_id.0);
            o.u8(n.spi.len() as u8);
            o.u16(n.notify_type.0);
            o.bytes(n.spi);
            o.bytes(n.data);
        }
        P::Delete(d) => {
            o.u32(d.doi.0);
            o.u8(d.protocol_id.0);
            o.u8(d.spi_size);
            o.u16(d.num_spis);
            d.spis().for_each(|s| o.bytes(s));
        }
        P::Attributes(c) => {
            o.u8(c.cfg_type.0);
            o.u8(c.reserved);
            o.u16(c.identifier);
            for (t, v) in attrs(c.attributes())? {
                o.attribute(t, v);
            }
        }
        P::NatOa(n) => {
            o.u8(n.id_type.0);
            o.bytes(&n.reserved);
            o.bytes(n.address);
        }
        P::Fragment(f) => {
            o.u16(f.fragment_id);
            o.u8(f.number);
            o.u8(f.flags);
            o.bytes(f.data);
        }
        P::KeyExchange(b)
        | P::Hash(b)
        | P::Signature(b)
        | P::Nonce(b)
        | P::VendorId(b)
        | P::NatD(b)
        | P::Gdoi(_, b)
        | P::Unknown(_, b) => o.bytes(b),
    }
    Ok(())
}

fn emit_v2(o: &mut Out, p: v2::Payload<'_>) -> Result<(), WireError> {
    use v2::Payload as P;
    match p {
        P::Sa(props) => sa_proposals(o, props, IkeVersion::V2)?,
        P::KeyExchange(k) => {
            o.u16(k.method.0);
            o.u16(k.reserved);
            o.bytes(k.data);
        }
        P::Identification(id) => {
            o.u8(id.id_type.0);
            o.bytes(&id.reserved);
            o.bytes(id.data);
        }
        P::Certificate(c) => {
            o.u8(c.encoding.0);
            o.bytes(c.data);
        }
        P::CertificateRequest(c) => {
            o.u8(c.encoding.0);
            o.bytes(c.authority);
        }
        P::Auth(a) => {
            o.u8(a.method.0);
            o.bytes(&a.reserved);
            o.bytes(a.data);
        }
        P::Notify(n) => {
            o.u8(n.protocol_id.0);
            o.u8(n.spi.len() as u8);
            o.u16(n.notify_type.0);
            o.bytes(n.spi);
            o.bytes(n.data);
        }
        P::Delete(d) => {
            o.u8(d.protocol_id.0);
            o.u8(d.spi_size);
            o.u16(d.num_spis);
            d.spis().for_each(|s| o.bytes(s));
        }
        P::TrafficSelectors(ts) => {
            let sels: Vec<_> = ts.selectors().collect::<Result<_, _>>()?;
            match u8::try_from(sels.len()) {
                Ok(n) => o.u8(n),
                Err(_) => o.set_overflow(),
            }
            o.bytes(&ts.reserved);
            for s in sels {
                let start = o.len();
                o.u8(s.ts_type.0);
                o.u8(s.ip_protocol);
                o.u16(0);
                o.bytes(s.body());
                let len = o.len() - start;
                o.patch_u16(start + 2, len);
            }
        }
        P::Config(cp) => {
            o.u8(cp.cfg_type.0);
            o.bytes(&cp.reserved);
            for a in cp.attributes() {
                let a = a?;
                let t = a.attr_type.0 | if a.reserved_bit { 0x8000 } else { 0 };
                o.u16(t);
                match u16::try_from(a.value.len()) {
                    Ok(l) => o.u16(l),
                    Err(_) => o.set_overflow(),
                }
                o.bytes(a.value);
            }
        }
        P::Nonce(b) | P::VendorId(b) | P::Eap(b) | P::Gspm(b) | P::Unknown(_, b) => o.bytes(b),
        // Handled by the caller (they end the chain).
        P::Encrypted(e) => o.bytes(e.data),
        P::EncryptedFragment(f) => {
            o.u16(f.fragment_number);
            o.u16(f.total_fragments);
            o.bytes(f.data);
        }
    }
    Ok(())
}
