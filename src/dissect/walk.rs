//! The dissector: walks a message with the lax parser and lays out records
//! in the shape of Wireshark's tree (payload subtrees, proposal and
//! transform subtrees, attribute subtrees), so the built-in dissector's
//! users find fields where they expect them.

use core::fmt::Write as _;

use super::catalogue::{integrity_status, Expert, Field};
use super::decrypt::{Decrypted, Decryptor, Integrity2, NoKeys};
use super::record::{Dissection, ExpertRecord, Record, Source};
use crate::wire::attribute::{AttrValue, Attribute};
use crate::wire::error::{ErrorKind, Mode, WireError};
use crate::wire::header::{Flags, Header, IkeVersion, HEADER_LEN};
use crate::wire::identity::IdData;
use crate::wire::message::{Message, PayloadIter, RawPayload};
use crate::wire::proposal::{Proposal, ProposalIter};
use crate::wire::reader::offset_in;
use crate::wire::registry::*;
use crate::wire::transport::{classify_udp_encap, Encapsulated, Esp};
use crate::wire::{v1, v2};

/// What carried the buffer handed to the dissector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carrier {
    /// A bare IKE message (UDP 500 or any port given by Decode As).
    Plain,
    /// A UDP 4500 payload: marker, keepalive or ESP.
    UdpEncap,
    /// One RFC 8229 TCP frame, length field included.
    TcpFrame,
    /// The RFC 8229 stream prefix "IKETCP".
    TcpPrefix,
}

/// Dissects one buffer carried by `carrier`, without keys.
pub fn dissect(buf: &[u8], carrier: Carrier) -> Dissection {
    dissect_with(buf, carrier, &mut NoKeys)
}

/// Dissects one buffer, asking `dec` to decrypt what it can.
pub fn dissect_with(buf: &[u8], carrier: Carrier, dec: &mut dyn Decryptor) -> Dissection {
    dissect_captured(buf, buf.len(), carrier, dec)
}

/// Dissects one buffer that was `wire_len` octets long on the wire but is
/// shorter when the capture cut it (snapshot length) or holds only part
/// of it: data missing at the end is then reported as not captured
/// ([`Expert::CutShort`]) rather than as a malformed message, as long as
/// the lengths in the message fit the length on the wire.
pub fn dissect_captured(
    buf: &[u8],
    wire_len: usize,
    carrier: Carrier,
    dec: &mut dyn Decryptor,
) -> Dissection {
    dissect_layout(buf, wire_len, carrier, dec, true)
}

/// As [`dissect_captured`]; without `records` the dissection keeps only
/// what a caller that shows no tree needs: the summary, the expert infos
/// (pointing at no record), the ESP offset and the decrypted sources. The
/// walk, and so the decryption, is the same.
pub(crate) fn dissect_layout(
    buf: &[u8],
    wire_len: usize,
    carrier: Carrier,
    dec: &mut dyn Decryptor,
    records: bool,
) -> Dissection {
    // Room for a typical message, so the lists rarely grow.
    let d = Dissection {
        records: Vec::with_capacity(if records { 64 + buf.len() / 8 } else { 0 }),
        text: String::with_capacity(128),
        ..Dissection::default()
    };
    let mut w = Walker {
        base: buf,
        d,
        depth: 0,
        source: 0,
        wire_len: wire_len.max(buf.len()),
        dec,
        records,
    };
    match carrier {
        Carrier::Plain => w.message(buf),
        Carrier::UdpEncap => w.udp_encap(buf),
        Carrier::TcpFrame => w.tcp_frame(buf),
        Carrier::TcpPrefix => {
            w.add(Field::TcpPrefix, buf);
            if buf == crate::wire::transport::TCP_PREFIX {
                w.d.summary.push_str("RFC 8229 stream prefix");
            } else {
                w.expert(
                    Expert::Malformed,
                    0,
                    "not the RFC 8229 stream prefix \"IKETCP\"",
                );
                w.d.summary.push_str("Malformed RFC 8229 stream prefix");
            }
        }
    }
    w.d
}

struct Walker<'a, 'x> {
    base: &'a [u8],
    d: Dissection,
    depth: u8,
    /// Index of `base` among the dissection's buffers (0 = the input).
    source: u8,
    /// Length of the input on the wire (≥ its captured length).
    wire_len: usize,
    dec: &'x mut dyn Decryptor,
    /// Records (and their texts) wanted: false for a summary only.
    records: bool,
}

fn clamp32(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

impl<'a, 'x> Walker<'a, 'x> {
    fn off(&self, s: &[u8]) -> usize {
        offset_in(self.base, s)
    }

    fn push_record(&mut self, field: Field, off: usize, len: usize, value: Option<u64>) -> usize {
        if !self.records {
            return usize::MAX;
        }
        self.d.records.push(Record {
            field,
            depth: self.depth,
            offset: clamp32(off),
            length: clamp32(len),
            value,
            text: None,
            source: self.source,
        });
        self.d.records.len() - 1
    }

    /// A field over `s`, value read from the bytes.
    fn add(&mut self, field: Field, s: &[u8]) -> usize {
        let off = self.off(s);
        self.push_record(field, off, s.len(), None)
    }

    /// A field over `len` octets at `at` within `s`.
    fn add_at(&mut self, field: Field, s: &[u8], at: usize, len: usize) -> usize {
        let off = self.off(s) + at;
        self.push_record(field, off, len, None)
    }

    /// A field over `s` with a value given here.
    fn add_value(&mut self, field: Field, s: &[u8], value: u64) -> usize {
        let off = self.off(s);
        self.push_record(field, off, s.len(), Some(value))
    }

    fn intern(&mut self, t: &str) -> (u32, u32) {
        let start = clamp32(self.d.text.len());
        self.d.text.push_str(t);
        (start, clamp32(t.len()))
    }

    fn set_text(&mut self, record: usize, t: &str) {
        if !self.records {
            return;
        }
        let r = self.intern(t);
        if let Some(rec) = self.d.records.get_mut(record) {
            rec.text = Some(r);
        }
    }

    fn expert(&mut self, expert: Expert, offset: usize, text: &str) {
        let text = self.intern(text);
        let record = clamp32(self.d.records.len().saturating_sub(1));
        self.d.experts.push(ExpertRecord {
            expert,
            record,
            offset: clamp32(offset),
            text,
        });
    }

    /// Reports a wire error as an expert info (offsets of wire errors are
    /// relative to `msg`).
    fn wire_error(&mut self, msg: &[u8], e: WireError) {
        let off = self.off(msg) + e.offset;
        if self.not_captured(msg, &e) {
            let text = format!(
                "{e}: only {} of the {} octets on the wire were captured",
                self.base.len(),
                self.wire_len
            );
            self.expert(Expert::CutShort, off, &text);
            return;
        }
        let expert = match e.kind {
            ErrorKind::LengthTooSmall { .. } | ErrorKind::Truncated { .. } => {
                Expert::PayloadLengthInvalid
            }
            ErrorKind::MessageLengthMismatch { .. } => Expert::LengthMismatch,
            ErrorKind::TrailingData(_) | ErrorKind::PayloadAfterEncrypted => Expert::ExtraData,
            ErrorKind::CountMismatch { .. } => Expert::CountMismatch,
            ErrorKind::InvalidValue(_) | ErrorKind::BadSubstructMarker(_) => Expert::BadValue,
            _ => Expert::Malformed,
        };
        let text = e.to_string();
        self.expert(expert, off, &text);
    }

    /// Whether `e` (relative to `msg`) only says that bytes are missing at
    /// the end of a buffer the capture cut short, where the lengths in the
    /// message still fit the length on the wire.
    fn not_captured(&self, msg: &[u8], e: &WireError) -> bool {
        let captured = self.base.len();
        if self.source != 0 || self.wire_len <= captured {
            return false;
        }
        let start = self.off(msg);
        let at = start + e.offset;
        match e.kind {
            ErrorKind::Truncated { needed, available } => {
                at + available == captured && at + needed <= self.wire_len
            }
            ErrorKind::MessageLengthMismatch { declared, actual } => {
                declared > actual && start + actual == captured && start + declared <= self.wire_len
            }
            ErrorKind::MissingPayloads => at >= captured,
            _ => false,
        }
    }

    fn nest<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        self.depth = self.depth.saturating_add(1);
        let r = f(self);
        self.depth = self.depth.saturating_sub(1);
        r
    }

    // ---------------------------------------------------------------- transport

    fn udp_encap(&mut self, buf: &'a [u8]) {
        match classify_udp_encap(buf) {
            Ok(Encapsulated::Keepalive) => {
                self.add(Field::NatKeepalive, buf);
                self.d.summary.push_str("NAT-Keepalive");
            }
            Ok(Encapsulated::Ike(ike)) => {
                self.add(Field::NonEspMarker, &buf[..4]);
                self.message(ike);
            }
            Ok(Encapsulated::Esp(esp)) => self.esp(buf, esp),
            Err(_) if self.esp_cut_short(buf) => {
                // ESP whose header the capture cut: the SPI is there and
                // not a marker; the rest was on the wire.
                self.d.esp = Some(0);
                self.add_at(Field::EspSpi, buf, 0, 4);
                let text = format!(
                    "ESP header cut short: only {} of the {} octets on the wire were captured",
                    buf.len(),
                    self.wire_len
                );
                self.expert(Expert::CutShort, 0, &text);
                let spi = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
                let _ = write!(self.d.summary, "ESP (SPI=0x{spi:08x}, cut short)");
            }
            Err(e) => {
                self.add(Field::DataPayload, buf);
                self.wire_error(buf, e);
                self.d.summary.push_str("Malformed UDP-encapsulated packet");
            }
        }
    }

    /// A UDP 4500 payload of which the capture holds 4 to 7 octets of
    /// ESP: a valid SPI (not the non-ESP marker), the 8-octet header and
    /// more on the wire.
    fn esp_cut_short(&self, buf: &[u8]) -> bool {
        self.source == 0
            && self.wire_len >= 8
            && (4..8).contains(&buf.len())
            && u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) >= 256
    }

    fn esp(&mut self, buf: &'a [u8], esp: Esp<'a>) {
        if self.source == 0 {
            self.d.esp = Some(clamp32(self.off(buf)));
        }
        self.add_at(Field::EspSpi, buf, 0, 4);
        self.add_at(Field::EspSequence, buf, 4, 4);
        let _ = write!(
            self.d.summary,
            "ESP (SPI=0x{:08x}, seq={})",
            esp.spi, esp.sequence
        );
    }

    fn tcp_frame(&mut self, buf: &'a [u8]) {
        if buf.len() < 2 {
            self.add(Field::DataPayload, buf);
            self.expert(
                Expert::Malformed,
                0,
                "TCP frame shorter than its length field",
            );
            return;
        }
        let r = self.add_at(Field::TcpLength, buf, 0, 2);
        let declared = usize::from(u16::from_be_bytes([buf[0], buf[1]]));
        if declared < 6 {
            // RFC 8229 §3: the length counts itself and at least a non-ESP
            // marker or an ESP SPI; a smaller one cannot be framed, and
            // the stream cannot be followed past it.
            self.set_text(r, " (invalid: below 6)");
            if buf.len() > 2 {
                self.add(Field::DataPayload, &buf[2..]);
            }
            self.expert(
                Expert::Malformed,
                0,
                &format!(
                    "RFC 8229 frame length {declared} is below 6 (length field and non-ESP \
                     marker or ESP SPI): the stream cannot be followed further"
                ),
            );
            self.d.summary.push_str("Malformed RFC 8229 frame length");
            return;
        }
        if declared != self.wire_len {
            let text = format!(
                "RFC 8229 frame length {declared} but the frame is {} octets",
                self.wire_len
            );
            self.expert(Expert::LengthMismatch, 0, &text);
        }
        let content = &buf[2..];
        match crate::wire::transport::classify_tcp_frame(content, 2) {
            Ok(Encapsulated::Ike(ike)) => {
                self.add(Field::NonEspMarker, &content[..4]);
                self.message(ike);
            }
            Ok(Encapsulated::Esp(esp)) => self.esp(content, esp),
            Ok(Encapsulated::Keepalive) => {}
            Err(e) => {
                self.add(Field::DataPayload, content);
                self.wire_error(buf, e);
            }
        }
    }

    // ---------------------------------------------------------------- message

    fn message(&mut self, input: &'a [u8]) {
        let msg = match Message::parse(input, Mode::Lax) {
            Ok(m) => m,
            Err(e) => {
                self.add(Field::DataPayload, input);
                self.wire_error(input, e);
                self.d.summary.push_str("Malformed ISAKMP message");
                return;
            }
        };
        let start = self.off(input);
        self.d
            .messages
            .push((clamp32(start), clamp32(msg.bytes.len())));
        self.header(&msg);
        for e in msg.anomalies.into_iter().flatten() {
            self.wire_error(input, e);
        }
        self.summary(&msg);
        if msg.header.ike_version().is_none() {
            self.add(Field::DataPayload, msg.body());
            return;
        }
        if let Some(body) = msg.encrypted_v1_body() {
            let r = self.add(Field::EncData, body);
            self.set_text(r, &format!(" ({} bytes)", body.len()));
            if let Some(dec) = self.dec.ikev1(msg.bytes, &msg.header) {
                self.decrypted(body, &dec, IkeVersion::V1);
            }
            return;
        }
        self.chain(msg.bytes, msg.payloads(), msg.version());
        if msg.bytes.len() < input.len() {
            // Bytes after the header length: shown, flagged above.
            self.add(Field::ExtraData, &input[msg.bytes.len()..]);
        }
    }

    fn summary(&mut self, msg: &Message<'_>) {
        let h = &msg.header;
        let s = &mut self.d.summary;
        if !s.is_empty() {
            s.push_str(", ");
        }
        match h.exchange_type.name() {
            Some(n) => s.push_str(n),
            None => {
                let _ = write!(s, "Exchange {}", h.exchange_type.0);
            }
        }
        if msg.version() == IkeVersion::V2 {
            let _ = write!(
                s,
                " MID={:02} {} {}",
                h.message_id,
                if h.flags.has(Flags::INITIATOR) {
                    "Initiator"
                } else {
                    "Responder"
                },
                if h.flags.has(Flags::RESPONSE) {
                    "Response"
                } else {
                    "Request"
                }
            );
        } else if h.message_id != 0 {
            let _ = write!(s, " MID=0x{:08x}", h.message_id);
        }
    }

    fn header(&mut self, msg: &Message<'a>) {
        let b = msg.bytes;
        self.add_at(Field::Ispi, b, 0, 8);
        self.add_at(Field::Rspi, b, 8, 8);
        self.add_at(Field::NextPayload, b, 16, 1);
        self.add_at(Field::Version, b, 17, 1);
        self.nest(|w| {
            w.add_at(Field::MjVer, b, 17, 1);
            w.add_at(Field::MnVer, b, 17, 1);
        });
        self.add_at(Field::ExchangeType, b, 18, 1);
        self.add_at(Field::Flags, b, 19, 1);
        let v1 = msg.version() == IkeVersion::V1;
        self.nest(|w| {
            let flags: &[Field] = if v1 {
                &[Field::FlagE, Field::FlagC, Field::FlagA]
            } else {
                &[Field::FlagI, Field::FlagV, Field::FlagR]
            };
            for &f in flags {
                w.add_at(f, b, 19, 1);
            }
        });
        self.add_at(Field::MessageId, b, 20, 4);
        self.add_at(Field::Length, b, 24, 4);
        debug_assert!(b.len() >= HEADER_LEN);
    }

    fn chain(&mut self, msg: &'a [u8], mut payloads: PayloadIter<'a>, version: IkeVersion) {
        while let Some(p) = payloads.next() {
            match p {
                Ok(p) => self.payload(msg, &p, version),
                Err(e) => {
                    match e.kind {
                        ErrorKind::TrailingData(_) | ErrorKind::PayloadAfterEncrypted => {
                            let from = e.offset.min(msg.len());
                            self.add(Field::ExtraData, &msg[from..]);
                        }
                        _ => self.broken_header(msg, &e, payloads.next_type(), version),
                    }
                    self.wire_error(msg, e);
                }
            }
        }
    }

    /// Shows the generic header of a payload or substructure whose length
    /// is impossible (below 4 or beyond the data), so the bad value can be
    /// seen; `e` is the error from splitting it off.
    fn broken_header(&mut self, msg: &'a [u8], e: &WireError, t: PayloadType, v: IkeVersion) {
        let start = match e.kind {
            ErrorKind::Truncated { .. } => e.offset,
            ErrorKind::LengthTooSmall { .. } => e.offset.saturating_sub(2),
            _ => return,
        };
        let Some(rest) = msg.get(start..) else { return };
        if rest.len() < 4 {
            return;
        }
        self.add_value(Field::TypePayload, rest, u64::from(t.0));
        self.nest(|w| {
            w.add_at(Field::NextPayload, rest, 0, 1);
            match v {
                IkeVersion::V1 => {
                    w.add_at(Field::Reserved, rest, 1, 1);
                }
                IkeVersion::V2 => {
                    w.add_at(Field::CriticalPayload, rest, 1, 1);
                    w.add_at(Field::Reserved7, rest, 1, 1);
                }
            }
            w.add_at(Field::PayloadLength, rest, 2, 2);
        });
    }

    fn payload(&mut self, msg: &'a [u8], p: &RawPayload<'a>, version: IkeVersion) {
        let r = self.add_value(Field::TypePayload, p.raw, u64::from(p.payload_type.0));
        self.nest(|w| {
            w.add_at(Field::NextPayload, p.raw, 0, 1);
            match version {
                IkeVersion::V1 => {
                    w.add_at(Field::Reserved, p.raw, 1, 1);
                }
                IkeVersion::V2 => {
                    w.add_at(Field::CriticalPayload, p.raw, 1, 1);
                    w.add_at(Field::Reserved7, p.raw, 1, 1);
                }
            }
            w.add_at(Field::PayloadLength, p.raw, 2, 2);
            match version {
                IkeVersion::V1 => match v1::decode(msg, p, Mode::Lax) {
                    Ok(d) => w.v1_body(msg, r, &d),
                    Err(e) => {
                        w.add(Field::DataPayload, p.body);
                        w.wire_error(msg, e);
                    }
                },
                IkeVersion::V2 => {
                    if p.header.critical() && p.payload_type.name().is_none() {
                        let off = w.off(p.raw);
                        w.expert(
                            Expert::UnknownCritical,
                            off,
                            "unknown payload marked critical",
                        );
                    }
                    match v2::decode(msg, p, Mode::Lax) {
                        Ok(d) => w.v2_body(msg, r, d),
                        Err(e) => {
                            w.add(Field::DataPayload, p.body);
                            w.wire_error(msg, e);
                        }
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- IKEv1

    fn v1_body(&mut self, msg: &'a [u8], item: usize, d: &v1::Payload<'a>) {
        use v1::Payload as P;
        match *d {
            P::Sa(sa) => {
                let body = &sa.situation;
                let b = self.fixed_before(body, 4);
                self.add_at(Field::SaDoi, b, 0, 4);
                let r = self.add(Field::SaSituation, sa.situation);
                let _ = r;
                self.nest(|w| {
                    for f in [
                        Field::SitIdentityOnly,
                        Field::SitSecrecy,
                        Field::SitIntegrity,
                    ] {
                        w.add(f, sa.situation);
                    }
                });
                if let Some((np, _)) = sa.gdoi {
                    let after = &self.after(sa.situation, 3);
                    self.add_at(Field::SaNextAttrPayload, after, 0, 1);
                    self.add_at(Field::Reserved2, after, 1, 2);
                    if let Some(chain) = sa.gdoi_payloads() {
                        let _ = np;
                        self.chain(msg, chain, IkeVersion::V1);
                    }
                } else {
                    self.proposals(msg, sa.proposals(), IkeVersion::V1);
                }
            }
            P::KeyExchange(b) => {
                self.add(Field::KeData, b);
            }
            P::Identification(id) => {
                let fixed = self.fixed_before(id.data, 4);
                self.add_at(Field::IdTypeV1, fixed, 0, 1);
                self.add_at(Field::IdProtoId, fixed, 1, 1);
                self.add_at(Field::IdPort, fixed, 2, 2);
                let label = match id.id_data() {
                    Ok(d) => Some(d),
                    Err(e) => {
                        self.wire_error(msg, e);
                        None
                    }
                };
                self.id_data(id.data, label);
            }
            P::Certificate(c) => {
                let fixed = self.fixed_before(c.data, 1);
                self.add_at(Field::CertEncoding, fixed, 0, 1);
                self.add(Field::CertData, c.data);
            }
            P::CertificateRequest(c) => {
                let fixed = self.fixed_before(c.authority, 1);
                self.add_at(Field::CertReqType, fixed, 0, 1);
                if !c.authority.is_empty() {
                    self.add(Field::CertReqAuthority, c.authority);
                }
            }
            P::Hash(b) => {
                self.add(Field::Hash, b);
            }
            P::Signature(b) => {
                self.add(Field::Sig, b);
            }
            P::Nonce(b) => {
                self.add(Field::Nonce, b);
            }
            P::Notification(n) => {
                let fixed = self.fixed_before(n.spi, 8);
                self.add_at(Field::NotifyDoi, fixed, 0, 4);
                self.add_at(Field::NotifyProtoIdV1, fixed, 4, 1);
                self.add_at(Field::SpiSize, fixed, 5, 1);
                self.add_at(Field::NotifyMsgTypeV1, fixed, 6, 2);
                self.label_name(item, " - ", n.notify_type.name());
                if !n.spi.is_empty() {
                    self.add(Field::Spi, n.spi);
                }
                self.add(Field::NotifyData, n.data);
                match n.typed_data() {
                    Ok(v1::NotifyDataV1::DpdSequence(_)) => {
                        let f = if n.notify_type == NotifyTypeV1::DPD_R_U_THERE {
                            Field::NotifyDpdAreYouThere
                        } else {
                            Field::NotifyDpdAck
                        };
                        self.add(f, n.data);
                    }
                    Ok(v1::NotifyDataV1::ResponderLifetime(attrs)) => {
                        for a in attrs {
                            match a {
                                Ok(a) => self.attribute(AttrClass::Ipsec, &a),
                                Err(e) => {
                                    self.wire_error(msg, e);
                                    break;
                                }
                            }
                        }
                    }
                    Ok(v1::NotifyDataV1::Raw(_)) => {}
                    Err(e) => self.wire_error(msg, e),
                }
            }
            P::Delete(del) => {
                let fixed = self.fixed_before(del.spis_raw, 8);
                self.add_at(Field::DeleteDoi, fixed, 0, 4);
                self.add_at(Field::DeleteProtoIdV1, fixed, 4, 1);
                self.add_at(Field::SpiSize, fixed, 5, 1);
                self.add_at(Field::SpiNum, fixed, 6, 2);
                // An SPI size of 0 (the IKE SA itself) lists nothing,
                // whatever the count says.
                for s in del.spis().take_while(|s| !s.is_empty()) {
                    self.add(Field::DeleteSpi, s);
                }
                if let Err(e) = del.check() {
                    self.wire_error(msg, e);
                }
            }
            P::VendorId(b) => self.vendor_id(item, b),
            P::Attributes(c) => {
                let fixed = self.fixed_before(c.attributes_raw, 4);
                self.add_at(Field::CfgType, fixed, 0, 1);
                self.add_at(Field::Reserved, fixed, 1, 1);
                self.add_at(Field::CfgIdentifier, fixed, 2, 2);
                for a in c.attributes() {
                    match a {
                        Ok(a) => self.cfg_attribute_v1(&a),
                        Err(e) => {
                            self.wire_error(msg, e);
                            break;
                        }
                    }
                }
            }
            P::NatD(b) => {
                self.add(Field::NatHash, b);
            }
            P::NatOa(n) => {
                let fixed = self.fixed_before(n.address, 4);
                self.add_at(Field::IdTypeV1, fixed, 0, 1);
                self.add_at(Field::Reserved, fixed, 1, 3);
                match n.ip() {
                    Ok(std::net::IpAddr::V4(_)) => {
                        self.add(Field::NatOaIpv4, n.address);
                    }
                    Ok(std::net::IpAddr::V6(_)) => {
                        self.add(Field::NatOaIpv6, n.address);
                    }
                    Err(e) => {
                        self.add(Field::DataPayload, n.address);
                        self.wire_error(msg, e);
                    }
                }
            }
            P::Fragment(f) => {
                let fixed = self.fixed_before(f.data, 4);
                self.add_at(Field::FragPacketId, fixed, 0, 2);
                self.add_at(Field::FragSeq, fixed, 2, 1);
                self.add_at(Field::FragLast, fixed, 3, 1);
                self.add(Field::FragData, f.data);
            }
            P::Gdoi(_, b) | P::Unknown(_, b) => {
                if !b.is_empty() {
                    self.add(Field::DataPayload, b);
                }
            }
        }
    }

    // ---------------------------------------------------------------- IKEv2

    fn v2_body(&mut self, msg: &'a [u8], item: usize, d: v2::Payload<'a>) {
        use v2::Payload as P;
        match d {
            P::Sa(props) => self.proposals(msg, props, IkeVersion::V2),
            P::KeyExchange(k) => {
                let fixed = self.fixed_before(k.data, 4);
                self.add_at(Field::KeDhGroup, fixed, 0, 2);
                self.add_at(Field::Reserved, fixed, 2, 2);
                self.add(Field::KeData, k.data);
                let lens = k.method.data_lengths();
                if !lens.is_empty() && !lens.contains(&k.data.len()) {
                    let off = self.off(k.data);
                    self.expert(
                        Expert::BadValue,
                        off,
                        &format!(
                            "key exchange data is {} octets; {} needs {}",
                            k.data.len(),
                            k.method,
                            lens.iter()
                                .map(|l| l.to_string())
                                .collect::<Vec<_>>()
                                .join(" or ")
                        ),
                    );
                }
            }
            P::Identification(id) => {
                let fixed = self.fixed_before(id.data, 4);
                self.add_at(Field::IdTypeV2, fixed, 0, 1);
                self.add_at(Field::Reserved, fixed, 1, 3);
                let label = match id.id_data() {
                    Ok(d) => Some(d),
                    Err(e) => {
                        self.wire_error(msg, e);
                        None
                    }
                };
                self.id_data(id.data, label);
            }
            P::Certificate(c) => {
                let fixed = self.fixed_before(c.data, 1);
                self.add_at(Field::CertEncoding, fixed, 0, 1);
                self.add(Field::CertData, c.data);
            }
            P::CertificateRequest(c) => {
                let fixed = self.fixed_before(c.authority, 1);
                self.add_at(Field::CertReqType, fixed, 0, 1);
                if !c.authority.is_empty() {
                    self.add(Field::CertReqAuthority, c.authority);
                }
                // X.509: a list of SHA-1 hashes of CA public keys (§3.7).
                if c.encoding == CertEncoding::X509_SIGNATURE && c.authority.len() % 20 == 0 {
                    self.nest(|w| {
                        for h in c.ca_hashes() {
                            w.add(Field::CertReqCaKeyHash, h);
                        }
                    });
                }
            }
            P::Auth(a) => {
                let fixed = self.fixed_before(a.data, 4);
                self.add_at(Field::AuthMethod, fixed, 0, 1);
                self.add_at(Field::Reserved, fixed, 1, 3);
                self.add(Field::AuthData, a.data);
                if let Some((alg, sig)) = a.digital_signature() {
                    self.add_at(Field::AuthSigAsn1Len, a.data, 0, 1);
                    self.add(Field::AuthSigAsn1Data, alg);
                    self.add(Field::AuthSigValue, sig);
                }
            }
            P::Nonce(b) => {
                self.add(Field::Nonce, b);
            }
            P::Notify(n) => self.notify_v2(msg, item, &n),
            P::Delete(del) => {
                let fixed = self.fixed_before(del.spis_raw, 4);
                self.add_at(Field::DeleteProtoIdV2, fixed, 0, 1);
                self.add_at(Field::SpiSize, fixed, 1, 1);
                self.add_at(Field::SpiNum, fixed, 2, 2);
                // An SPI size of 0 (the IKE SA itself) lists nothing,
                // whatever the count says.
                for s in del.spis().take_while(|s| !s.is_empty()) {
                    self.add(Field::DeleteSpi, s);
                }
                if let Err(e) = del.check() {
                    self.wire_error(msg, e);
                }
            }
            P::VendorId(b) => self.vendor_id(item, b),
            P::TrafficSelectors(ts) => {
                let fixed = self.fixed_before(ts.selectors_raw, 4);
                self.add_at(Field::TsNumber, fixed, 0, 1);
                self.add_at(Field::Reserved, fixed, 1, 3);
                let mut n = 0usize;
                for s in ts.selectors() {
                    match s {
                        Ok(s) => {
                            n += 1;
                            self.traffic_selector(&s);
                        }
                        Err(e) => {
                            self.wire_error(msg, e);
                            break;
                        }
                    }
                }
                if n != usize::from(ts.num_ts) {
                    let off = self.off(fixed);
                    self.expert(
                        Expert::CountMismatch,
                        off,
                        &format!("{} traffic selectors declared, {n} present", ts.num_ts),
                    );
                }
            }
            P::Encrypted(e) => {
                let dec = Header::parse(msg)
                    .ok()
                    .and_then(|h| self.dec.ikev2(msg, &h, self.whole_payload(e.data, 4), None));
                match dec {
                    Some(dec) => self.decrypted(e.data, &dec, IkeVersion::V2),
                    None => {
                        let r = self.add(Field::EncData, e.data);
                        self.set_text(r, &format!(" ({} bytes)", e.data.len()));
                    }
                }
            }
            P::EncryptedFragment(f) => {
                let fixed = self.fixed_before(f.data, 4);
                self.add_at(Field::FragNumber, fixed, 0, 2);
                self.add_at(Field::FragTotal, fixed, 2, 2);
                self.set_text(
                    item,
                    &format!(" (fragment {}/{})", f.fragment_number, f.total_fragments),
                );
                if let Err(e) = f.check() {
                    let off = self.off(msg) + e.offset;
                    self.expert(Expert::FragmentNumberInvalid, off, &e.to_string());
                }
                let numbers = Some((f.fragment_number, f.total_fragments));
                let dec = Header::parse(msg).ok().and_then(|h| {
                    self.dec
                        .ikev2(msg, &h, self.whole_payload(f.data, 8), numbers)
                });
                match dec {
                    Some(dec) => self.decrypted(f.data, &dec, IkeVersion::V2),
                    None => {
                        let r = self.add(Field::EncData, f.data);
                        self.set_text(r, &format!(" ({} bytes)", f.data.len()));
                    }
                }
            }
            P::Config(cp) => {
                let fixed = self.fixed_before(cp.attributes_raw, 4);
                self.add_at(Field::CfgType, fixed, 0, 1);
                self.add_at(Field::Reserved, fixed, 1, 3);
                for a in cp.attributes() {
                    match a {
                        Ok(a) => self.cfg_attribute_v2(&a),
                        Err(e) => {
                            self.wire_error(msg, e);
                            break;
                        }
                    }
                }
            }
            P::Eap(b) => {
                self.add(Field::EapData, b);
            }
            P::Gspm(b) => {
                self.add(Field::GspmData, b);
            }
            P::Unknown(_, b) => {
                if !b.is_empty() {
                    self.add(Field::DataPayload, b);
                }
            }
        }
    }

    fn notify_v2(&mut self, msg: &'a [u8], item: usize, n: &v2::Notify<'a>) {
        let fixed = self.fixed_before(n.spi, 4);
        self.add_at(Field::NotifyProtoIdV2, fixed, 0, 1);
        self.add_at(Field::SpiSize, fixed, 1, 1);
        self.add_at(Field::NotifyMsgTypeV2, fixed, 2, 2);
        self.label_name(item, " - ", n.notify_type.name());
        if !n.spi.is_empty() {
            self.add(Field::Spi, n.spi);
        }
        self.add(Field::NotifyData, n.data);
        let d = n.data;
        match n.typed_data() {
            Ok(v2::NotifyData::AcceptedKeMethod(_)) => {
                self.add(Field::NotifyAcceptedGroup, d);
            }
            Ok(v2::NotifyData::SignatureHashAlgorithms(_)) => {
                for c in d.chunks_exact(2) {
                    self.add(Field::NotifySigHashAlg, c);
                }
            }
            Ok(v2::NotifyData::Redirect { gw_type, .. }) => {
                self.gateway(d, gw_type, true);
            }
            Ok(v2::NotifyData::RedirectedFrom { gw_type, .. }) => {
                self.gateway(d, gw_type, false);
            }
            Ok(v2::NotifyData::IpcompSupported { .. }) => {
                self.add_at(Field::NotifyIpcompCpi, d, 0, 2);
                self.add_at(Field::NotifyIpcompTransform, d, 2, 1);
            }
            Ok(v2::NotifyData::U32(_)) => {
                let f = if n.notify_type == NotifyTypeV2::AUTH_LIFETIME {
                    Field::NotifyAuthLifetime
                } else {
                    Field::NotifyWindowSize
                };
                self.add(f, d);
            }
            Ok(_) => {}
            Err(e) => self.wire_error(msg, e),
        }
    }

    fn gateway(&mut self, d: &'a [u8], gw_type: GatewayIdType, new: bool) {
        self.add_at(Field::NotifyRedirectGwType, d, 0, 1);
        self.add_at(Field::NotifyRedirectGwLen, d, 1, 1);
        let len = usize::from(d.get(1).copied().unwrap_or(0));
        let ident = d.get(2..2 + len).unwrap_or(&[]);
        let f = match (gw_type, new) {
            (GatewayIdType::IPV4, true) => Field::NotifyRedirectNewIpv4,
            (GatewayIdType::IPV6, true) => Field::NotifyRedirectNewIpv6,
            (GatewayIdType::FQDN, true) => Field::NotifyRedirectNewFqdn,
            (_, true) => Field::NotifyRedirectNewData,
            (GatewayIdType::IPV4, false) => Field::NotifyRedirectOrgIpv4,
            (GatewayIdType::IPV6, false) => Field::NotifyRedirectOrgIpv6,
            (_, false) => Field::NotifyRedirectOrgData,
        };
        self.add(f, ident);
        if new {
            let nonce = d.get(2 + len..).unwrap_or(&[]);
            if !nonce.is_empty() {
                self.add(Field::NotifyRedirectNonce, nonce);
            }
        }
    }

    fn traffic_selector(&mut self, s: &v2::TrafficSelector<'a>) {
        self.add(Field::TsData, s.raw);
        self.nest(|w| {
            w.add_at(Field::TsType, s.raw, 0, 1);
            w.add_at(Field::TsProtoId, s.raw, 1, 1);
            w.add_at(Field::TsSelectorLength, s.raw, 2, 2);
            match s.ts_type {
                TsType::IPV4_ADDR_RANGE => {
                    w.add_at(Field::TsStartPort, s.raw, 4, 2);
                    w.add_at(Field::TsEndPort, s.raw, 6, 2);
                    w.add_at(Field::TsStartIpv4, s.raw, 8, 4);
                    w.add_at(Field::TsEndIpv4, s.raw, 12, 4);
                }
                TsType::IPV6_ADDR_RANGE => {
                    w.add_at(Field::TsStartPort, s.raw, 4, 2);
                    w.add_at(Field::TsEndPort, s.raw, 6, 2);
                    w.add_at(Field::TsStartIpv6, s.raw, 8, 16);
                    w.add_at(Field::TsEndIpv6, s.raw, 24, 16);
                }
                _ => {
                    if !s.body().is_empty() {
                        w.add(Field::TsBody, s.body());
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- shared

    /// The payload (generic header and fixed fields, `fixed` octets in all)
    /// around its variable data `data`.
    fn whole_payload(&self, data: &'a [u8], fixed: usize) -> &'a [u8] {
        let start = self.off(data).saturating_sub(fixed);
        self.base
            .get(start..self.off(data) + data.len())
            .unwrap_or(&[])
    }

    /// Shows decrypted content: IV, ciphertext and ICV (IKEv2) over the
    /// encrypted `data`, then the plaintext as a new buffer with its
    /// payload chain, padding and pad length.
    fn decrypted(&mut self, data: &'a [u8], dec: &Decrypted, version: IkeVersion) {
        if version == IkeVersion::V2 && data.len() >= dec.iv_len + dec.icv_len {
            let ct_len = data.len() - dec.iv_len - dec.icv_len;
            self.add_at(Field::EncIv, data, 0, dec.iv_len);
            let r = self.add_at(Field::EncData, data, dec.iv_len, ct_len);
            self.set_text(r, &format!(" ({ct_len} bytes)"));
            if dec.icv_len > 0 {
                let r = self.add_at(Field::EncIcd, data, dec.iv_len + ct_len, dec.icv_len);
                let (text, status) = match dec.integrity {
                    Integrity2::Correct => (" [correct]", integrity_status::GOOD),
                    Integrity2::Incorrect => (" [incorrect]", integrity_status::BAD),
                    Integrity2::Unchecked => (" [not checked]", integrity_status::UNVERIFIED),
                };
                self.set_text(r, text);
                let off = self.off(data) + dec.iv_len + ct_len;
                self.nest(|w| w.push_record(Field::EncIcdStatus, off, 0, Some(status)));
            }
        }
        if version == IkeVersion::V1 && dec.integrity != Integrity2::Unchecked {
            let r = self.add_at(Field::EncHashCheck, data, 0, 0);
            let t = if dec.integrity == Integrity2::Correct {
                "[correct]"
            } else {
                "[incorrect]"
            };
            self.set_text(r, t);
        }
        if dec.integrity == Integrity2::Incorrect {
            let off = self.off(data);
            let text = dec.problem.as_deref().unwrap_or("integrity check failed");
            self.expert(Expert::IcvIncorrect, off, text);
        } else if let Some(p) = &dec.problem {
            let off = self.off(data);
            self.expert(Expert::DecryptionFailed, off, p);
        }
        if dec.plaintext.is_empty() {
            return;
        }
        let name = format!("Decrypted IKE ({})", dec.algorithm.trim());
        // A fragment holds a piece of a chain: shown as data; the chain is
        // dissected once reassembled. Data decrypted with a wrong key is
        // shown as a data source only, nothing is read from it.
        let chain_len = if dec.fragment { 0 } else { dec.payloads_len };
        let garbage =
            dec.integrity == Integrity2::Incorrect && dec.payloads_len == 0 && !dec.fragment;
        self.plaintext_tree(
            Field::EncDecrypted,
            name,
            &dec.plaintext,
            chain_len,
            dec.first,
            version,
            !garbage,
        );
        if let Some((first, whole)) = &dec.reassembled {
            self.plaintext_tree(
                Field::EncReassembled,
                "Reassembled IKE (RFC 7383)".into(),
                whole,
                whole.len(),
                *first,
                version,
                false,
            );
        }
    }

    /// A label over a new buffer, with the payload chain of its first
    /// `chain_len` bytes under it (and, for IKEv2 SK plaintext, the padding
    /// and pad length after the chain).
    #[allow(clippy::too_many_arguments)]
    fn plaintext_tree(
        &mut self,
        label: Field,
        name: String,
        plain: &[u8],
        chain_len: usize,
        first: PayloadType,
        version: IkeVersion,
        with_padding: bool,
    ) {
        let Ok(index) = u8::try_from(self.d.sources.len() + 1) else {
            return;
        };
        self.d.sources.push(Source {
            name,
            data: plain.to_vec(),
        });
        if self.records {
            self.d.records.push(Record {
                field: label,
                depth: self.depth,
                offset: 0,
                length: clamp32(plain.len()),
                value: None,
                text: None,
                source: index,
            });
        }
        let chain = plain.get(..chain_len).unwrap_or(&[]);
        let mut inner = Walker {
            base: plain,
            d: std::mem::take(&mut self.d),
            depth: self.depth.saturating_add(1),
            source: index,
            wire_len: plain.len(),
            dec: &mut *self.dec,
            records: self.records,
        };
        if !chain.is_empty() {
            inner.chain(
                plain,
                PayloadIter::new(plain, chain, first, version),
                version,
            );
        }
        if chain.is_empty() && with_padding && version == IkeVersion::V2 {
            // A fragment's piece of the message, before its padding.
            let pad_len = usize::from(plain.last().copied().unwrap_or(0));
            let data_len = plain.len().saturating_sub(pad_len + 1);
            if data_len > 0 {
                inner.add_at(Field::FragData, plain, 0, data_len);
            }
            let pad = plain
                .get(data_len..plain.len().saturating_sub(1))
                .unwrap_or(&[]);
            if !pad.is_empty() {
                inner.add(Field::EncPadding, pad);
            }
            if !plain.is_empty() {
                inner.add_at(Field::EncPadLength, plain, plain.len() - 1, 1);
            }
        } else if with_padding && version == IkeVersion::V2 && plain.len() > chain_len {
            let pad = &plain[chain_len..plain.len() - 1];
            if !pad.is_empty() {
                inner.add(Field::EncPadding, pad);
            }
            inner.add_at(Field::EncPadLength, plain, plain.len() - 1, 1);
        } else if with_padding && plain.len() > chain_len {
            inner.add(Field::EncPadding, &plain[chain_len..]);
        }
        self.d = inner.d;
    }

    /// The `n` bytes before `s` (the fixed part of a body whose variable
    /// part is `s`); offsets of fields in it are relative to its start.
    fn fixed_before(&self, s: &'a [u8], n: usize) -> &'a [u8] {
        let end = self.off(s);
        let start = end.saturating_sub(n);
        self.base.get(start..end).unwrap_or(&[])
    }

    /// The `n` bytes after `s`.
    fn after(&self, s: &'a [u8], n: usize) -> &'a [u8] {
        let start = self.off(s) + s.len();
        self.base.get(start..start + n).unwrap_or(&[])
    }

    fn label_name(&mut self, item: usize, sep: &str, name: Option<&str>) {
        if let Some(n) = name {
            self.set_text(item, &format!("{sep}{n}"));
        }
    }

    fn vendor_id(&mut self, item: usize, b: &'a [u8]) {
        self.add(Field::VidBytes, b);
        let name = crate::wire::registry::vendor_id_name(b).unwrap_or("Unknown Vendor ID");
        let r = self.add(Field::VidString, b);
        self.set_text(r, name);
        self.set_text(item, &format!(" : {name}"));
    }

    fn id_data(&mut self, data: &'a [u8], d: Option<IdData<'a>>) {
        self.add(Field::IdData, data);
        let Some(d) = d else { return };
        self.nest(|w| {
            let half = data.len() / 2;
            match d {
                IdData::Ipv4(_) => {
                    w.add(Field::IdIpv4, data);
                }
                IdData::Ipv6(_) => {
                    w.add(Field::IdIpv6, data);
                }
                IdData::Ipv4Subnet(..) => {
                    w.add_at(Field::IdIpv4Subnet, data, 0, half);
                    w.add_at(Field::IdIpv4Netmask, data, half, half);
                }
                IdData::Ipv4Range(..) => {
                    w.add_at(Field::IdIpv4RangeStart, data, 0, half);
                    w.add_at(Field::IdIpv4RangeEnd, data, half, half);
                }
                IdData::Ipv6Subnet(..) => {
                    w.add_at(Field::IdIpv6Subnet, data, 0, half);
                    w.add_at(Field::IdIpv6Netmask, data, half, half);
                }
                IdData::Ipv6Range(..) => {
                    w.add_at(Field::IdIpv6RangeStart, data, 0, half);
                    w.add_at(Field::IdIpv6RangeEnd, data, half, half);
                }
                IdData::Fqdn(_) => {
                    w.add(Field::IdFqdn, data);
                    w.check_text(data, "FQDN");
                }
                IdData::UserFqdn(_) => {
                    w.add(Field::IdUserFqdn, data);
                    w.check_text(data, "user FQDN");
                }
                IdData::DerAsn1Dn(_) => {
                    w.add(Field::IdDn, data);
                }
                IdData::DerAsn1Gn(_) => {
                    w.add(Field::IdGn, data);
                }
                IdData::KeyId(_) => {
                    w.add(Field::IdKeyId, data);
                }
                IdData::Other(_) => {
                    if !data.is_empty() {
                        w.add(Field::IdOther, data);
                    }
                }
                IdData::Null => {}
            }
        });
    }

    /// Names must be printable text: flag NUL and control octets (they
    /// have crashed printers that took the name for a C string).
    fn check_text(&mut self, data: &[u8], what: &str) {
        if let Some(i) = data.iter().position(|&b| b < 0x20 || b == 0x7f) {
            let off = self.off(data) + i;
            self.expert(
                Expert::BadValue,
                off,
                &format!("{what} contains control octet 0x{:02x}", data[i]),
            );
        }
    }

    fn proposals(&mut self, msg: &'a [u8], props: ProposalIter<'a>, version: IkeVersion) {
        let mut expected = 1u16;
        for p in props {
            match p {
                Ok(p) => {
                    self.proposal(msg, &p, version);
                    // RFC 7296 §3.3.1: numbered 1, 2, 3 … (IKEv1 reuses a
                    // number for an AND of protocols, RFC 2408 §4.2).
                    if version == IkeVersion::V2 && u16::from(p.number) != expected {
                        let off = self.off(p.raw) + 4;
                        self.expert(
                            Expert::BadValue,
                            off,
                            &format!("proposal number {} where {expected} was due", p.number),
                        );
                    }
                    expected = u16::from(p.number).saturating_add(1);
                }
                Err(e) => {
                    self.broken_header(msg, &e, PayloadType::PROPOSAL, IkeVersion::V1);
                    self.wire_error(msg, e);
                }
            }
        }
    }

    fn proposal(&mut self, msg: &'a [u8], p: &Proposal<'a>, version: IkeVersion) {
        let r = self.add_value(
            Field::TypePayload,
            p.raw,
            u64::from(PayloadType::PROPOSAL.0),
        );
        self.set_text(r, &format!(" # {}", p.number));
        self.nest(|w| {
            w.add_at(Field::NextPayload, p.raw, 0, 1);
            w.add_at(Field::Reserved, p.raw, 1, 1);
            w.add_at(Field::PayloadLength, p.raw, 2, 2);
            w.add_at(Field::PropNumber, p.raw, 4, 1);
            let proto = match version {
                IkeVersion::V1 => Field::PropProtoIdV1,
                IkeVersion::V2 => Field::PropProtoIdV2,
            };
            w.add_at(proto, p.raw, 5, 1);
            w.add_at(Field::SpiSize, p.raw, 6, 1);
            w.add_at(Field::PropTransforms, p.raw, 7, 1);
            if !p.spi.is_empty() {
                w.add(Field::Spi, p.spi);
            }
            let mut count = 0usize;
            match version {
                IkeVersion::V1 => {
                    for t in p.transforms_v1() {
                        match t {
                            Ok(t) => {
                                count += 1;
                                w.transform_v1(msg, p, &t);
                            }
                            Err(e) => {
                                w.broken_header(msg, &e, PayloadType::TRANSFORM, IkeVersion::V1);
                                w.wire_error(msg, e);
                            }
                        }
                    }
                }
                IkeVersion::V2 => {
                    for t in p.transforms_v2() {
                        match t {
                            Ok(t) => {
                                count += 1;
                                w.transform_v2(msg, &t);
                            }
                            Err(e) => {
                                w.broken_header(msg, &e, PayloadType::TRANSFORM, IkeVersion::V1);
                                w.wire_error(msg, e);
                            }
                        }
                    }
                }
            }
            if let Err(e) = p.check_count(count) {
                w.wire_error(msg, e);
            }
        });
    }

    fn transform_v1(
        &mut self,
        msg: &'a [u8],
        p: &Proposal<'a>,
        t: &crate::wire::proposal::TransformV1<'a>,
    ) {
        let r = self.add_value(
            Field::TypePayload,
            t.raw,
            u64::from(PayloadType::TRANSFORM.0),
        );
        self.set_text(r, &format!(" # {}", t.number));
        let (id_field, class) = match p.protocol_v1() {
            ProtocolIdV1::ISAKMP => (Field::TransIdIsakmp, AttrClass::Ike),
            ProtocolIdV1::IPSEC_AH => (Field::TransIdAh, AttrClass::Ipsec),
            ProtocolIdV1::IPSEC_ESP => (Field::TransIdEsp, AttrClass::Ipsec),
            ProtocolIdV1::IPCOMP => (Field::TransIdIpcomp, AttrClass::Ipsec),
            _ => (Field::TransIdOther, AttrClass::Ipsec),
        };
        self.nest(|w| {
            w.add_at(Field::NextPayload, t.raw, 0, 1);
            w.add_at(Field::Reserved, t.raw, 1, 1);
            w.add_at(Field::PayloadLength, t.raw, 2, 2);
            w.add_at(Field::TransNumber, t.raw, 4, 1);
            w.add_at(id_field, t.raw, 5, 1);
            w.add_at(Field::Reserved, t.raw, 6, 2);
            for a in t.attributes() {
                match a {
                    Ok(a) => w.attribute(class, &a),
                    Err(e) => {
                        w.wire_error(msg, e);
                        break;
                    }
                }
            }
        });
    }

    fn transform_v2(&mut self, msg: &'a [u8], t: &crate::wire::proposal::TransformV2<'a>) {
        self.add_value(
            Field::TypePayload,
            t.raw,
            u64::from(PayloadType::TRANSFORM.0),
        );
        self.nest(|w| {
            w.add_at(Field::NextPayload, t.raw, 0, 1);
            w.add_at(Field::Reserved, t.raw, 1, 1);
            w.add_at(Field::PayloadLength, t.raw, 2, 2);
            w.add_at(Field::TfType, t.raw, 4, 1);
            w.add_at(Field::Reserved, t.raw, 5, 1);
            let id = match t.transform_type.0 {
                1 => Field::TfIdEncr,
                2 => Field::TfIdPrf,
                3 => Field::TfIdInteg,
                4 => Field::TfIdDh,
                5 => Field::TfIdEsn,
                6..=12 => Field::TfIdAddKe,
                _ => Field::TfId,
            };
            w.add_at(id, t.raw, 6, 2);
            for a in t.attributes() {
                match a {
                    Ok(a) => w.attribute(AttrClass::Ike2, &a),
                    Err(e) => {
                        w.wire_error(msg, e);
                        break;
                    }
                }
            }
        });
    }

    fn attribute(&mut self, class: AttrClass, a: &Attribute<'a>) {
        let (item, format, ty, length, value) = class.fields();
        let r = self.add(item, a.raw);
        let type_name = class.type_name(a.attr_type);
        let typed = class.typed_field(a.attr_type, a.value_bytes().len());
        let shown = match (typed, a.as_u64()) {
            (Some((_, true)), Some(v)) => class
                .value_name(a.attr_type, v)
                .map(str::to_owned)
                .unwrap_or_else(|| v.to_string()),
            _ => hex(a.value_bytes()),
        };
        let label = format!(
            " (t={},l={}): {}: {}",
            a.attr_type,
            a.value_bytes().len(),
            type_name.unwrap_or("Unknown"),
            shown
        );
        self.set_text(r, &label);
        self.nest(|w| {
            w.add_at(format, a.raw, 0, 2);
            w.add_at(ty, a.raw, 0, 2);
            if !a.is_tv() {
                w.add_at(length, a.raw, 2, 2);
            }
            let vb = a.value_bytes();
            w.add(value, vb);
            if let Some((f, _)) = typed {
                match (a.value, a.as_u64()) {
                    (AttrValue::Short(_), _) => {
                        w.add(f, vb);
                    }
                    (AttrValue::Long(_), Some(v)) if matches!(vb.len(), 1 | 2 | 4 | 8) => {
                        let k = f.desc().kind;
                        let natural = matches!(
                            (k, vb.len()),
                            (crate::dissect::FieldKind::U16, 2)
                                | (crate::dissect::FieldKind::U32, 4)
                                | (crate::dissect::FieldKind::U64, 8)
                        );
                        if natural {
                            w.add(f, vb);
                        } else {
                            w.add_value(f, vb, v);
                        }
                    }
                    (AttrValue::Long(_), Some(v)) => {
                        w.add_value(f, vb, v);
                    }
                    _ => {}
                }
            }
        });
    }

    fn cfg_attribute_v1(&mut self, a: &Attribute<'a>) {
        let r = self.add(Field::CfgAttr, a.raw);
        let name = CfgAttrTypeV1(a.attr_type).describe().unwrap_or("Unknown");
        self.set_text(
            r,
            &format!(" (t={},l={}): {name}", a.attr_type, a.value_bytes().len()),
        );
        self.nest(|w| {
            w.add_at(Field::CfgAttrFormat, a.raw, 0, 2);
            w.add_at(Field::CfgAttrTypeV1, a.raw, 0, 2);
            if !a.is_tv() {
                w.add_at(Field::CfgAttrLength, a.raw, 2, 2);
            }
            let vb = a.value_bytes();
            if !vb.is_empty() {
                w.add(Field::CfgAttrValue, vb);
                w.cfg_typed(vb);
            }
        });
    }

    fn cfg_attribute_v2(&mut self, a: &v2::ConfigAttribute<'a>) {
        let r = self.add(Field::CfgAttr, a.raw);
        let name = a.attr_type.describe().unwrap_or("Unknown");
        self.set_text(
            r,
            &format!(" (t={},l={}): {name}", a.attr_type.0, a.value.len()),
        );
        self.nest(|w| {
            w.add_at(Field::CfgAttrTypeV2, a.raw, 0, 2);
            w.add_at(Field::CfgAttrLength, a.raw, 2, 2);
            if !a.value.is_empty() {
                w.add(Field::CfgAttrValue, a.value);
                w.cfg_typed(a.value);
            }
        });
    }

    /// Addresses in configuration attributes: IPv4 (4, or 8 with a mask)
    /// and IPv6 (16, or 17 with a prefix length).
    fn cfg_typed(&mut self, v: &'a [u8]) {
        match v.len() {
            4 | 8 => {
                self.add_at(Field::CfgAttrIp4, v, 0, 4);
            }
            16 | 17 => {
                self.add_at(Field::CfgAttrIp6, v, 0, 16);
            }
            _ => {}
        }
    }
}

fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// Which attribute registry applies.
#[derive(Clone, Copy, Debug)]
enum AttrClass {
    /// IKEv1 phase-1 (RFC 2409 App. A).
    Ike,
    /// IPsec DOI (RFC 2407 §4.5).
    Ipsec,
    /// IKEv2 transform attributes.
    Ike2,
}

impl AttrClass {
    fn fields(self) -> (Field, Field, Field, Field, Field) {
        match self {
            AttrClass::Ike => (
                Field::IkeAttr,
                Field::IkeAttrFormat,
                Field::IkeAttrType,
                Field::IkeAttrLength,
                Field::IkeAttrValue,
            ),
            AttrClass::Ipsec => (
                Field::IpsecAttr,
                Field::IpsecAttrFormat,
                Field::IpsecAttrType,
                Field::IpsecAttrLength,
                Field::IpsecAttrValue,
            ),
            AttrClass::Ike2 => (
                Field::Ike2Attr,
                Field::Ike2AttrFormat,
                Field::Ike2AttrType,
                Field::Ike2AttrLength,
                Field::Ike2AttrValue,
            ),
        }
    }

    fn type_name(self, t: u16) -> Option<&'static str> {
        match self {
            AttrClass::Ike => IkeAttrType(t).name(),
            AttrClass::Ipsec => IpsecAttrType(t).name(),
            AttrClass::Ike2 => TransformAttrType(t).name(),
        }
    }

    /// The typed field for attribute type `t`, and whether its value is a
    /// number with names or a plain number.
    fn typed_field(self, t: u16, len: usize) -> Option<(Field, bool)> {
        let long = len > 4;
        Some(match (self, t) {
            (AttrClass::Ike, 1) => (Field::IkeAttrEncr, true),
            (AttrClass::Ike, 2) => (Field::IkeAttrHash, true),
            (AttrClass::Ike, 3) => (Field::IkeAttrAuth, true),
            (AttrClass::Ike, 4) => (Field::IkeAttrGroupDesc, true),
            (AttrClass::Ike, 5) => (Field::IkeAttrGroupType, true),
            (AttrClass::Ike, 11) => (Field::IkeAttrLifeType, true),
            (AttrClass::Ike, 12) if long => (Field::IkeAttrLifeDuration64, true),
            (AttrClass::Ike, 12) => (Field::IkeAttrLifeDuration, true),
            (AttrClass::Ike, 14) => (Field::IkeAttrKeyLength, true),
            (AttrClass::Ipsec, 1) => (Field::IpsecAttrLifeType, true),
            (AttrClass::Ipsec, 2) if long => (Field::IpsecAttrLifeDuration64, true),
            (AttrClass::Ipsec, 2) => (Field::IpsecAttrLifeDuration, true),
            (AttrClass::Ipsec, 3) => (Field::IpsecAttrGroupDesc, true),
            (AttrClass::Ipsec, 4) => (Field::IpsecAttrEncap, true),
            (AttrClass::Ipsec, 5) => (Field::IpsecAttrAuth, true),
            (AttrClass::Ipsec, 6) => (Field::IpsecAttrKeyLength, true),
            (AttrClass::Ipsec, 7) => (Field::IpsecAttrKeyRounds, true),
            (AttrClass::Ipsec, 11) => (Field::IpsecAttrEsn, true),
            (AttrClass::Ike2, 14) => (Field::Ike2AttrKeyLength, true),
            _ => return None,
        })
    }

    fn value_name(self, t: u16, v: u64) -> Option<&'static str> {
        let v16 = u16::try_from(v).ok()?;
        match (self, t) {
            (AttrClass::Ike, 1) => IkeEncrAlg(v16).name(),
            (AttrClass::Ike, 2) => IkeHashAlg(v16).name(),
            (AttrClass::Ike, 3) => IkeAuthMethod(v16).name(),
            (AttrClass::Ike, 4) | (AttrClass::Ipsec, 3) => IkeGroupDesc(v16).name(),
            (AttrClass::Ike, 5) => IkeGroupType(v16).name(),
            (AttrClass::Ike, 11) | (AttrClass::Ipsec, 1) => LifeType(v16).name(),
            (AttrClass::Ipsec, 4) => IpsecEncapMode(v16).name(),
            (AttrClass::Ipsec, 5) => IpsecAuthAlg(v16).name(),
            _ => None,
        }
    }
}
