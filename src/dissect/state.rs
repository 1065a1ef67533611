//! Per-capture analysis: request ↔ response matching, retransmissions and
//! fragment bookkeeping, across the packets of one capture.
//!
//! Wireshark dissects every frame once in order (the first pass), then
//! again in any order when a user looks at it. The state learns only on
//! the first pass (`visited == false`) and answers from its tables on
//! every pass, so a later look at a request can link to a response that
//! came after it.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};

use super::catalogue::{Expert, Field};
use super::decrypt::Decryption;
use super::keys::KeyStore;
use super::record::{Dissection, ExpertRecord, Record};
use super::walk::{dissect_layout, Carrier};
use crate::wire::header::{Flags, Header, IkeVersion};
use crate::wire::message::Message;
use crate::wire::registry::PayloadType;
use crate::wire::transport::{classify_tcp_frame, classify_udp_encap, Encapsulated};
use crate::wire::{v1, Mode};

/// Where a buffer came from in the capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PduInfo {
    /// Frame number (1-based).
    pub frame: u32,
    /// Capture time of the frame, nanoseconds since the epoch.
    pub time_ns: u64,
    /// The frame was dissected before (Wireshark's `visited`): use the
    /// tables, learn nothing.
    pub visited: bool,
    /// How the buffer was carried.
    pub carrier: Carrier,
}

/// Bound on the messages remembered, so a long capture cannot exhaust
/// memory; when reached, new exchanges are no longer tracked.
const MAX_TRACKED: usize = 1 << 20;
/// Bound on fragments per group (RFC 7383 allows up to 65535; real
/// messages need a handful).
const MAX_FRAGMENTS: usize = 1024;

/// IKEv2 exchange key: who asked, on which IKE SA, with which message ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct ExchangeKey {
    ispi: [u8; 8],
    message_id: u32,
    /// The original initiator sent the request.
    requester_is_initiator: bool,
}

#[derive(Clone, Debug, Default)]
struct Exchange {
    /// Request frames (frame, time, content hash), in order; a frame whose
    /// hash appeared earlier is a retransmission. Several hashes belong to
    /// one request when it was sent in RFC 7383 fragments.
    requests: Vec<(u32, u64, u64)>,
    /// Response frames, likewise.
    responses: Vec<(u32, u64, u64)>,
    /// Content hash → first request frame with it (retransmissions are
    /// found without a scan: a peer may resend a message many times).
    first_request: HashMap<u64, u32>,
    /// Content hash → first response frame with it.
    first_response: HashMap<u64, u32>,
}

impl Exchange {
    fn push(&mut self, response: bool, at: (u32, u64, u64)) {
        let (list, first) = if response {
            (&mut self.responses, &mut self.first_response)
        } else {
            (&mut self.requests, &mut self.first_request)
        };
        list.push(at);
        first.entry(at.2).or_insert(at.0);
    }

    /// The earlier frame with the content `hash` of `frame`.
    fn original_of(&self, response: bool, frame: u32, hash: u64) -> Option<u32> {
        let first = if response {
            &self.first_response
        } else {
            &self.first_request
        };
        first.get(&hash).copied().filter(|f| *f != frame)
    }
}

/// Fragment group key (RFC 7383: same SPIs, message ID and direction;
/// IKEv1: initiator cookie and fragment ID).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct FragKey {
    ispi: [u8; 8],
    rspi: [u8; 8],
    message_id: u32,
    flags: u8,
    v1_fragment_id: Option<u16>,
}

#[derive(Clone, Debug, Default)]
struct FragGroup {
    /// Declared total (IKEv2), or the number of the fragment marked last
    /// (IKEv1), once known.
    total: Option<u16>,
    /// Fragment number → first frame that carried it.
    seen: BTreeMap<u16, u32>,
    /// Frame in which the last missing fragment arrived.
    complete_in: Option<u32>,
}

/// Analysis state of one capture. Create one per capture, reset it when
/// the capture is closed or reloaded.
#[derive(Debug, Default)]
pub struct CaptureState {
    decryption: Decryption,
    exchanges: HashMap<ExchangeKey, Vec<Exchange>>,
    /// Where each IKEv2 message learnt went: (frame, key) → (index in
    /// `exchanges[key]`, content hash).
    placed: HashMap<(u32, ExchangeKey), (usize, u64)>,
    /// IKEv1 messages by content, for retransmission detection.
    v1_seen: HashMap<u64, u32>,
    fragments: HashMap<FragKey, FragGroup>,
    tracked: usize,
}

fn content_hash(b: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    b.hash(&mut h);
    h.finish()
}

/// The IKE message inside a buffer, after any transport framing.
fn ike_bytes(buf: &[u8], carrier: Carrier) -> Option<&[u8]> {
    match carrier {
        Carrier::Plain => Some(buf),
        Carrier::UdpEncap => match classify_udp_encap(buf) {
            Ok(Encapsulated::Ike(i)) => Some(i),
            _ => None,
        },
        Carrier::TcpFrame => match classify_tcp_frame(buf.get(2..)?, 2) {
            Ok(Encapsulated::Ike(i)) => Some(i),
            _ => None,
        },
        Carrier::TcpPrefix => None,
    }
}

impl CaptureState {
    /// A fresh state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets everything (a new capture, or the same one reloaded).
    pub fn reset(&mut self) {
        let mut decryption = std::mem::take(&mut self.decryption);
        decryption.reset();
        *self = Self {
            decryption,
            ..Self::default()
        };
    }

    /// The keys used to decrypt (add to them with `keys_mut().load_path`).
    pub fn keys(&self) -> &KeyStore {
        self.decryption.keys()
    }

    /// The keys, to add some.
    pub fn keys_mut(&mut self) -> &mut KeyStore {
        self.decryption.keys_mut()
    }

    /// Forgets every key and everything decrypted with them; what the
    /// capture taught (links, retransmissions, fragment groups, IKEv1
    /// exchanges and IV chains) stays. Load other keys afterwards.
    pub fn clear_keys(&mut self) {
        self.decryption.clear_keys();
    }

    /// Dissects one buffer and adds the analysis items: links between
    /// requests and responses, response time, retransmissions, fragment
    /// grouping.
    pub fn dissect(&mut self, info: &PduInfo, buf: &[u8]) -> Dissection {
        self.dissect_captured(info, buf, buf.len())
    }

    /// As [`dissect`](Self::dissect), for a buffer that was `wire_len`
    /// octets long on the wire (more than `buf.len()` when the capture cut
    /// it short): missing data at the end is then reported as not
    /// captured, not as a malformed message.
    pub fn dissect_captured(&mut self, info: &PduInfo, buf: &[u8], wire_len: usize) -> Dissection {
        self.layout(info, buf, wire_len, true)
    }

    /// As [`dissect_captured`](Self::dissect_captured) for a caller that
    /// shows no tree (Wireshark's passes without one: tshark's summary
    /// lines, the GUI's first pass): the state learns the same, and the
    /// dissection holds the summary, the expert infos, the ESP offset and
    /// the sources, but no records.
    pub fn dissect_summary(&mut self, info: &PduInfo, buf: &[u8], wire_len: usize) -> Dissection {
        self.layout(info, buf, wire_len, false)
    }

    fn layout(&mut self, info: &PduInfo, buf: &[u8], wire_len: usize, records: bool) -> Dissection {
        self.decryption.set_frame(info.frame, info.visited);
        if let Some(ike) = ike_bytes(buf, info.carrier) {
            self.decryption.observe(ike);
        }
        let mut d = dissect_layout(buf, wire_len, info.carrier, &mut self.decryption, records);
        let Some(ike) = ike_bytes(buf, info.carrier) else {
            return d;
        };
        let Ok(header) = Header::parse(ike) else {
            return d;
        };
        let mut a = Analysis {
            d: &mut d,
            at: crate::wire::reader::offset_in(buf, ike),
            depth: 0,
            records,
        };
        match header.ike_version() {
            Some(IkeVersion::V2) => {
                self.ikev2(info, &header, ike, &mut a);
                self.skf(info, &header, ike, &mut a);
            }
            Some(IkeVersion::V1) => {
                self.ikev1(info, ike, &mut a);
                self.v1_fragments(info, &header, ike, &mut a);
            }
            None => {}
        }
        d
    }

    fn ikev2(&mut self, info: &PduInfo, h: &Header, ike: &[u8], a: &mut Analysis<'_>) {
        let response = h.flags.has(Flags::RESPONSE);
        let initiator = h.flags.has(Flags::INITIATOR);
        let key = ExchangeKey {
            ispi: h.ispi,
            message_id: h.message_id,
            requester_is_initiator: initiator != response,
        };
        if !info.visited {
            let fragment = h.next_payload == PayloadType::V2_SKF;
            self.learn_v2(key, content_hash(ike), response, fragment, info);
        }
        // The exchange this frame belongs to.
        let Some(&(index, hash)) = self.placed.get(&(info.frame, key)) else {
            return;
        };
        let Some(x) = self.exchanges.get(&key).and_then(|l| l.get(index)) else {
            return;
        };
        if response {
            if let Some(&(req, req_t, _)) = x.requests.first() {
                a.frame(Field::ResponseTo, req);
                if let Some(&(first, t, _)) = x.responses.first() {
                    if first == info.frame {
                        a.time(Field::ResponseTime, t.saturating_sub(req_t));
                    }
                }
            }
            if let Some(first) = x.original_of(true, info.frame, hash) {
                a.frame(Field::RetransmissionOf, first);
                a.expert(
                    Expert::Retransmission,
                    &format!("retransmission of the response in frame {first}"),
                );
            }
        } else {
            if let Some(&(resp, _, _)) = x.responses.first() {
                a.frame(Field::ResponseIn, resp);
            }
            if let Some(first) = x.original_of(false, info.frame, hash) {
                a.frame(Field::RetransmissionOf, first);
                a.expert(
                    Expert::Retransmission,
                    &format!("retransmission of the request in frame {first}"),
                );
            }
        }
    }

    fn learn_v2(
        &mut self,
        key: ExchangeKey,
        hash: u64,
        response: bool,
        fragment: bool,
        info: &PduInfo,
    ) {
        if self.tracked >= MAX_TRACKED {
            return;
        }
        self.tracked += 1;
        let list = self.exchanges.entry(key).or_default();
        let at = (info.frame, info.time_ns, hash);
        let index = if response {
            // Answers the latest exchange that has a request.
            match list.iter().rposition(|x| !x.requests.is_empty()) {
                Some(i) => i,
                None => {
                    list.push(Exchange::default());
                    list.len() - 1
                }
            }
        } else {
            // A request joins the open exchange when it repeats a message of
            // it (retransmission) or is another fragment of it; other bytes
            // with the same message ID start a new exchange (IKE_SA_INIT sent
            // again with a COOKIE or another KE group reuses ID 0).
            match list.last() {
                Some(x)
                    if x.first_request.contains_key(&hash)
                        || (fragment && x.responses.is_empty() && !x.requests.is_empty()) =>
                {
                    list.len() - 1
                }
                _ => {
                    list.push(Exchange::default());
                    list.len() - 1
                }
            }
        };
        if let Some(x) = list.get_mut(index) {
            x.push(response, at);
        }
        self.placed
            .entry((info.frame, key))
            .or_insert((index, hash));
    }

    fn ikev1(&mut self, info: &PduInfo, ike: &[u8], a: &mut Analysis<'_>) {
        // IKEv1 has no request/response flag; a message seen before byte for
        // byte is a retransmission (RFC 2408 §5 resends the last message).
        let hash = content_hash(ike);
        if !info.visited && self.tracked < MAX_TRACKED {
            self.tracked += 1;
            self.v1_seen.entry(hash).or_insert(info.frame);
        }
        if let Some(&first) = self.v1_seen.get(&hash) {
            if first != info.frame {
                a.frame(Field::RetransmissionOf, first);
                a.expert(
                    Expert::Retransmission,
                    &format!("retransmission of frame {first}"),
                );
            }
        }
    }

    fn skf(&mut self, info: &PduInfo, h: &Header, ike: &[u8], a: &mut Analysis<'_>) {
        let Ok(msg) = Message::parse(ike, Mode::Lax) else {
            return;
        };
        let Some(Ok(p)) = msg.payloads().find(|p| {
            p.as_ref()
                .is_ok_and(|p| p.payload_type == PayloadType::V2_SKF)
        }) else {
            return;
        };
        let Ok(crate::wire::v2::Payload::EncryptedFragment(f)) =
            crate::wire::v2::decode(msg.bytes, &p, Mode::Lax)
        else {
            return;
        };
        let key = FragKey {
            ispi: h.ispi,
            rspi: h.rspi,
            message_id: h.message_id,
            flags: h.flags.0 & (Flags::INITIATOR | Flags::RESPONSE),
            v1_fragment_id: None,
        };
        self.fragment(info, key, f.fragment_number, Some(f.total_fragments), a);
    }

    fn v1_fragments(&mut self, info: &PduInfo, h: &Header, ike: &[u8], a: &mut Analysis<'_>) {
        let Ok(msg) = Message::parse(ike, Mode::Lax) else {
            return;
        };
        for p in msg.payloads().flatten() {
            if p.payload_type != PayloadType::V1_FRAGMENT {
                continue;
            }
            let Ok(v1::Payload::Fragment(f)) = v1::decode(msg.bytes, &p, Mode::Lax) else {
                continue;
            };
            let key = FragKey {
                ispi: h.ispi,
                rspi: [0; 8],
                message_id: 0,
                flags: 0,
                v1_fragment_id: Some(f.fragment_id),
            };
            let total = f.is_last().then_some(u16::from(f.number));
            self.fragment(info, key, u16::from(f.number), total, a);
        }
    }

    fn fragment(
        &mut self,
        info: &PduInfo,
        key: FragKey,
        number: u16,
        total: Option<u16>,
        a: &mut Analysis<'_>,
    ) {
        if !info.visited {
            let g = self.fragments.entry(key).or_default();
            if total.is_some() && g.total.is_none() {
                g.total = total;
            }
            if g.seen.len() < MAX_FRAGMENTS && number != 0 {
                g.seen.entry(number).or_insert(info.frame);
            }
            if g.complete_in.is_none() {
                if let Some(t) = g.total {
                    if t > 0 && (1..=t).all(|n| g.seen.contains_key(&n)) {
                        g.complete_in = Some(info.frame);
                    }
                }
            }
        }
        let Some(g) = self.fragments.get(&key) else {
            return;
        };
        let received: Vec<String> = g.seen.keys().map(u16::to_string).collect();
        let total_text = g.total.map_or_else(|| "?".to_owned(), |t| t.to_string());
        a.text(
            Field::FragmentsReceived,
            &format!(
                "fragment {number} of {total_text} (numbers seen: {})",
                received.join(", ")
            ),
        );
        match (g.complete_in, g.total) {
            (Some(done), _) => {
                a.frame(Field::ReassembledIn, done);
                if done == info.frame {
                    a.text(Field::Fragments, &format!(" ({} fragments)", g.seen.len()));
                    a.nest(|a| {
                        for &f in g.seen.values() {
                            a.frame(Field::Fragment, f);
                        }
                    });
                }
            }
            (None, Some(t)) => {
                let missing: Vec<String> = (1..=t)
                    .filter(|n| !g.seen.contains_key(n))
                    .take(64)
                    .map(|n| n.to_string())
                    .collect();
                a.text(Field::FragmentsMissing, &missing.join(", "));
                a.expert(
                    Expert::FragmentsMissing,
                    &format!("fragments missing so far: {}", missing.join(", ")),
                );
            }
            (None, None) => {}
        }
    }
}

/// Adds generated items to a dissection: they have no bytes of their own
/// and sit at the message's offset, after the message's tree.
struct Analysis<'d> {
    d: &'d mut Dissection,
    at: usize,
    depth: u8,
    /// Records wanted (false: summary and experts only).
    records: bool,
}

impl Analysis<'_> {
    fn push(&mut self, field: Field, value: Option<u64>, text: Option<&str>) {
        if !self.records {
            return;
        }
        let text = text.map(|t| self.intern(t));
        self.d.records.push(Record {
            field,
            depth: self.depth,
            offset: u32::try_from(self.at).unwrap_or(u32::MAX),
            length: 0,
            value,
            text,
            source: 0,
        });
    }

    fn intern(&mut self, t: &str) -> (u32, u32) {
        let start = u32::try_from(self.d.text.len()).unwrap_or(u32::MAX);
        self.d.text.push_str(t);
        (start, u32::try_from(t.len()).unwrap_or(u32::MAX))
    }

    fn frame(&mut self, f: Field, frame: u32) {
        self.push(f, Some(u64::from(frame)), None);
    }

    fn time(&mut self, f: Field, ns: u64) {
        self.push(f, Some(ns), None);
    }

    fn text(&mut self, f: Field, t: &str) {
        self.push(f, None, Some(t));
    }

    fn nest(&mut self, f: impl FnOnce(&mut Self)) {
        self.depth += 1;
        f(self);
        self.depth -= 1;
    }

    fn expert(&mut self, e: Expert, text: &str) {
        let text = self.intern(text);
        let record = u32::try_from(self.d.records.len().saturating_sub(1)).unwrap_or(0);
        self.d.experts.push(ExpertRecord {
            expert: e,
            record,
            offset: u32::try_from(self.at).unwrap_or(u32::MAX),
            text,
        });
    }
}
