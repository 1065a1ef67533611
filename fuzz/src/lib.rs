//! The checks behind the fuzz targets, one function per target, each taking
//! the raw fuzzer input. They depend on nothing but `rike` and `std`, so the
//! regression tests in `tests/fuzz_regressions.rs` include this very file
//! (`#[path = "../fuzz/src/lib.rs"]`) and replay crashing inputs through
//! exactly the code the fuzzer ran.
//!
//! Every check panics on a violated property; libFuzzer reports the panic
//! as a crash.
//!
//! `check_*` functions assert everything. The fuzz targets call the
//! `fuzz_*` wrappers, which first skip inputs that hit a *known, reported*
//! library bug (see [`known_bug`]) so that a long run keeps exploring
//! instead of rediscovering the same crash; the regression tests call the
//! `check_*` functions directly and fail until the bug is fixed.

use rike::dissect::{self, Carrier, Dissection, FieldKind};
use rike::wire::attribute::AttributeIter;
use rike::wire::emit::{EmitError, MessageBuilder};
use rike::wire::header::{Header, IkeVersion, Version, HEADER_LEN};
use rike::wire::message::{Message, PayloadIter};
use rike::wire::registry::PayloadType;
use rike::wire::transport::{
    classify_tcp_frame, classify_udp_encap, Encapsulated, Prefix, TcpItem, TcpReassembler,
};
use rike::wire::{reemit, v1, v2, validate, Mode, WireError};

// ====================================================================
// Known library bugs (found by fuzzing, reported, not yet fixed).
// ====================================================================

/// Inputs that hit a known, reported, unfixed library bug in the given
/// target. Returns the bug's name. Remove an entry once the bug is fixed
/// (the matching test in tests/fuzz_regressions.rs then passes).
pub fn known_bug(target: &str, data: &[u8]) -> Option<&'static str> {
    // No known bug is open. Found and fixed so far (regression inputs in
    // tests/data/fuzz-regressions/, tests in tests/fuzz_regressions.rs):
    // * IKEv1 payload types 46/53 ended the chain as if SK/SKF (fixed in
    //   862eaad);
    // * a Delete with SPI size 0 and a non-zero SPI count re-emitted a
    //   count of 0 (fixed in 862eaad).
    // To park a new bug during long runs, return Some(name) here for the
    // inputs that hit it, e.g. `if target == "parse_strict" && pred(data)`.
    let _ = (target, data);
    None
}

// ====================================================================
// 1. parse_strict
// ====================================================================

/// `validate` never panics; whatever it accepts, `reemit` writes back byte
/// for byte (the codec's round-trip property).
pub fn check_parse_strict(data: &[u8]) {
    let Ok(stats) = validate(data) else { return };
    match reemit::reemit(data) {
        Ok(out) => {
            if out != data {
                let at = out
                    .iter()
                    .zip(data)
                    .position(|(a, b)| a != b)
                    .unwrap_or(out.len().min(data.len()));
                let win = |b: &[u8]| {
                    let s = at.saturating_sub(32).min(b.len());
                    let e = (at + 32).min(b.len());
                    format!("[{s}..{e}] {}", dissect::hex(&b[s..e]))
                };
                panic!(
                    "round trip changed the message at offset {at} \
                     (in {} bytes, out {} bytes, {stats:?})\n in: {}\nout: {}",
                    data.len(),
                    out.len(),
                    win(data),
                    win(&out)
                );
            }
        }
        Err(e) => panic!("validate accepted ({stats:?}) but reemit failed: {e}"),
    }
}

/// [`check_parse_strict`] minus known bugs.
pub fn fuzz_parse_strict(data: &[u8]) {
    if known_bug("parse_strict", data).is_none() {
        check_parse_strict(data);
    }
}

// ====================================================================
// 2. parse_lax
// ====================================================================

/// The carrier a parse_lax input selects with its first octet.
pub fn carrier_of(selector: u8) -> Carrier {
    match selector % 4 {
        0 => Carrier::Plain,
        1 => Carrier::UdpEncap,
        2 => Carrier::TcpFrame,
        _ => Carrier::TcpPrefix,
    }
}

/// The first octet picks the carrier, the rest is dissected; the
/// dissection must be well formed (see [`check_dissection`]). The rest is
/// also walked with the lax codec, every payload decoded and every lazy
/// list iterated (see [`walk_lax`]); nothing may panic.
pub fn check_parse_lax(data: &[u8]) {
    let Some((&sel, buf)) = data.split_first() else {
        return;
    };
    let carrier = carrier_of(sel);
    let d = dissect::dissect(buf, carrier);
    check_dissection(&d, buf);

    walk_lax(buf);
    let inner = match carrier {
        Carrier::UdpEncap => match classify_udp_encap(buf) {
            Ok(Encapsulated::Ike(i)) => Some(i),
            _ => None,
        },
        Carrier::TcpFrame if buf.len() >= 2 => match classify_tcp_frame(&buf[2..], 2) {
            Ok(Encapsulated::Ike(i)) => Some(i),
            _ => None,
        },
        _ => None,
    };
    if let Some(i) = inner {
        walk_lax(i);
    }
}

/// [`check_parse_lax`] minus known bugs.
pub fn fuzz_parse_lax(data: &[u8]) {
    if known_bug("parse_lax", data).is_none() {
        check_parse_lax(data);
    }
}

/// Invariants of a dissection of `buf`:
/// * a record whose value is read from the bytes (`value` is `None`, kind
///   not Label/FrameNum/relative time) lies within `buf`;
/// * the first record is at depth 0 and depth rises by at most one from a
///   record to the next (a pre-order tree);
/// * every expert points at an existing record; text ranges lie within
///   the text (on character boundaries); message ranges lie within `buf`;
/// * rendering every record (`dissect::display`) does not panic.
pub fn check_dissection(d: &Dissection, buf: &[u8]) {
    let n = buf.len() as u64;
    let text_ok = |r: (u32, u32)| {
        let (s, l) = (r.0 as usize, r.1 as usize);
        s.checked_add(l).is_some_and(|e| d.text.get(s..e).is_some())
    };
    let mut prev_depth: Option<u8> = None;
    for (i, rec) in d.records.iter().enumerate() {
        let kind = rec.field.desc().kind;
        // Kinds whose value is read from the bytes (not Label, FrameNum or
        // the relative time, whose values live in the record); listed
        // positively so the check survives renames in the catalogue.
        let from_bytes = rec.value.is_none()
            && matches!(
                kind,
                FieldKind::U8
                    | FieldKind::U16
                    | FieldKind::U32
                    | FieldKind::U64
                    | FieldKind::Bool { .. }
                    | FieldKind::Bytes
                    | FieldKind::Ipv4
                    | FieldKind::Ipv6
                    | FieldKind::String
            );
        if from_bytes {
            assert!(
                u64::from(rec.offset) + u64::from(rec.length) <= n,
                "record {i} ({:?}) at {}+{} beyond the {n}-byte buffer",
                rec.field,
                rec.offset,
                rec.length
            );
        }
        match prev_depth {
            None => assert_eq!(
                rec.depth, 0,
                "first record ({:?}) not at depth 0",
                rec.field
            ),
            Some(p) => assert!(
                u16::from(rec.depth) <= u16::from(p) + 1,
                "record {i} ({:?}) jumps from depth {p} to {}",
                rec.field,
                rec.depth
            ),
        }
        prev_depth = Some(rec.depth);
        if let Some(t) = rec.text {
            assert!(text_ok(t), "record {i} text range {t:?} outside the text");
        }
        let _ = dissect::display(d, rec, buf);
    }
    for (i, e) in d.experts.iter().enumerate() {
        assert!(
            (e.record as usize) < d.records.len(),
            "expert {i} ({:?}) points at record {} of {}",
            e.expert,
            e.record,
            d.records.len()
        );
        assert!(text_ok(e.text), "expert {i} text range outside the text");
    }
    for &(s, l) in &d.messages {
        assert!(
            u64::from(s) + u64::from(l) <= n,
            "message range {s}+{l} beyond the {n}-byte buffer"
        );
    }
}

/// Walks `buf` as a message with the lax codec: every payload decoded in
/// lax mode, every sub-iterator drained, every accessor called.
pub fn walk_lax(buf: &[u8]) {
    let Ok(msg) = Message::parse(buf, Mode::Lax) else {
        return;
    };
    let _ = format!("{msg:?}");
    let _ = msg.body();
    let _ = msg.encrypted_v1_body();
    let v = msg.version();
    walk_chain(msg.bytes, msg.payloads(), v, 0);
}

fn walk_chain(base: &[u8], it: PayloadIter<'_>, v: IkeVersion, depth: u32) {
    for p in it {
        let p = match p {
            Ok(p) => p,
            Err(e) => {
                let _ = e.to_string();
                continue;
            }
        };
        assert_eq!(p.raw.len(), p.body.len() + 4);
        assert_eq!(usize::from(p.header.length), p.raw.len());
        match v {
            IkeVersion::V1 => walk_v1(base, &p, depth),
            IkeVersion::V2 => walk_v2(base, &p),
        }
    }
}

fn sink<T: core::fmt::Debug>(r: Result<T, WireError>) -> Option<T> {
    match r {
        Ok(t) => {
            let _ = format!("{t:?}");
            Some(t)
        }
        Err(e) => {
            let _ = e.to_string();
            None
        }
    }
}

/// Drains an attribute list, checking each attribute against its raw
/// bytes: `emit(parse(raw)) == raw`.
fn walk_attrs(it: AttributeIter<'_>) -> usize {
    let mut n = 0;
    let mut out = Vec::new();
    for a in it {
        let Some(a) = sink(a) else { continue };
        n += 1;
        let _ = (a.is_tv(), a.as_u64(), a.value_bytes());
        out.clear();
        a.emit(&mut out);
        assert_eq!(out, a.raw, "attribute re-emission differs from its bytes");
    }
    n
}

fn walk_v1(base: &[u8], p: &rike::wire::RawPayload<'_>, depth: u32) {
    let Some(d) = sink(v1::decode(base, p, Mode::Lax)) else {
        return;
    };
    use v1::Payload as P;
    match d {
        P::Sa(sa) => {
            let _ = sa.situation_bits();
            for prop in sa.proposals() {
                let Some(prop) = sink(prop) else { continue };
                let _ = (prop.protocol_v1(), prop.transform_bytes());
                let mut n = 0;
                for t in prop.transforms_v1() {
                    if let Some(t) = sink(t) {
                        n += 1;
                        walk_attrs(t.attributes());
                    }
                }
                let _ = sink(prop.check_count(n));
            }
            if let Some(chain) = sa.gdoi_payloads() {
                if depth < 8 {
                    walk_chain(base, chain, IkeVersion::V1, depth + 1);
                } else {
                    chain.for_each(|g| {
                        let _ = sink(g);
                    });
                }
            }
        }
        P::Identification(id) => {
            let _ = sink(id.id_data());
        }
        P::Notification(n) => {
            if let Some(v1::NotifyDataV1::ResponderLifetime(attrs)) = sink(n.typed_data()) {
                walk_attrs(attrs);
            }
        }
        P::Delete(d) => {
            let _ = sink(d.check());
            for s in d.spis() {
                assert_eq!(s.len(), usize::from(d.spi_size));
            }
        }
        P::Attributes(c) => {
            walk_attrs(c.attributes());
        }
        P::NatOa(n) => {
            let _ = sink(n.ip());
        }
        P::Fragment(f) => {
            let _ = f.is_last();
        }
        _ => {}
    }
}

fn walk_v2(base: &[u8], p: &rike::wire::RawPayload<'_>) {
    let Some(d) = sink(v2::decode(base, p, Mode::Lax)) else {
        return;
    };
    use v2::Payload as P;
    match d {
        P::Sa(props) => {
            for prop in props {
                let Some(prop) = sink(prop) else { continue };
                let _ = (prop.protocol_v2(), prop.transform_bytes());
                let mut n = 0;
                for t in prop.transforms_v2() {
                    if let Some(t) = sink(t) {
                        n += 1;
                        let _ = t.key_length();
                        walk_attrs(t.attributes());
                    }
                }
                let _ = sink(prop.check_count(n));
            }
        }
        P::Identification(id) => {
            let _ = sink(id.id_data());
        }
        P::CertificateRequest(c) => {
            for h in c.ca_hashes() {
                assert_eq!(h.len(), 20);
            }
        }
        P::Auth(a) => {
            let _ = a.digital_signature();
        }
        P::Notify(n) => {
            let _ = n.is_error();
            if let Some(td) = sink(n.typed_data()) {
                match td {
                    v2::NotifyData::SignatureHashAlgorithms(h) => {
                        h.for_each(|a| drop(format!("{a:?}")));
                    }
                    v2::NotifyData::Redirect {
                        gw_type, gw_ident, ..
                    }
                    | v2::NotifyData::RedirectedFrom { gw_type, gw_ident } => {
                        let _ = v2::Notify::gateway_ip(gw_type, gw_ident);
                    }
                    _ => {}
                }
            }
        }
        P::Delete(d) => {
            let _ = sink(d.check());
            for s in d.spis() {
                assert_eq!(s.len(), usize::from(d.spi_size));
            }
        }
        P::TrafficSelectors(ts) => {
            let _ = sink(ts.check());
            for s in ts.selectors() {
                if let Some(s) = sink(s) {
                    assert_eq!(usize::from(s.length), s.raw.len());
                    let _ = (s.ports(), s.ipv4_range(), s.ipv6_range(), s.body());
                }
            }
        }
        P::Config(cp) => {
            for a in cp.attributes() {
                if let Some(a) = sink(a) {
                    assert_eq!(a.raw.len(), a.value.len() + 4);
                }
            }
        }
        P::EncryptedFragment(f) => {
            let _ = sink(f.check());
        }
        _ => {}
    }
}

// ====================================================================
// 3. tcp_reassembler
// ====================================================================

/// Most chunk sizes a tcp_reassembler input can give.
pub const MAX_CUTS: usize = 31;

/// A tcp_reassembler input, decoded:
///
/// ```text
/// octet 0: bits 0-4 = k, the number of chunk sizes (0..=31);
///          bits 5-6 = prefix mode (0, 3: Auto; 1: Expect; 2: Absent)
/// then k big-endian u16 chunk sizes, used cyclically to cut the stream
/// then the stream
/// ```
#[derive(Debug)]
pub struct TcpCase<'a> {
    /// How the reassembler treats "IKETCP".
    pub prefix: Prefix,
    /// Chunk sizes (cyclic; 0 = an empty push).
    pub cuts: Vec<u16>,
    /// The stream bytes.
    pub stream: &'a [u8],
}

impl<'a> TcpCase<'a> {
    /// Decodes an input; `None` if it is too short for its own sizes.
    pub fn decode(data: &'a [u8]) -> Option<Self> {
        let (&b0, rest) = data.split_first()?;
        let k = usize::from(b0 & 0x1f);
        let prefix = match (b0 >> 5) & 3 {
            1 => Prefix::Expect,
            2 => Prefix::Absent,
            _ => Prefix::Auto,
        };
        if rest.len() < 2 * k {
            return None;
        }
        let (sizes, stream) = rest.split_at(2 * k);
        let cuts = sizes
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        Some(TcpCase {
            prefix,
            cuts,
            stream,
        })
    }

    /// Encodes a case (used by the seeder).
    pub fn encode(prefix: Prefix, cuts: &[u16], stream: &[u8]) -> Vec<u8> {
        assert!(cuts.len() <= MAX_CUTS);
        let mode = match prefix {
            Prefix::Auto => 0,
            Prefix::Expect => 1,
            Prefix::Absent => 2,
        };
        let mut v = vec![(mode << 5) | cuts.len() as u8];
        for c in cuts {
            v.extend_from_slice(&c.to_be_bytes());
        }
        v.extend_from_slice(stream);
        v
    }

    /// The chunks the stream is pushed in: sizes used cyclically, the last
    /// chunk whatever remains. A zero size is an empty push; at most
    /// `stream.len() + 2 * MAX_CUTS` chunks.
    pub fn chunks(&self) -> Vec<&'a [u8]> {
        let mut out = Vec::new();
        let mut rest = self.stream;
        if self.cuts.is_empty() {
            out.push(rest);
            return out;
        }
        let limit = self.stream.len() + 2 * MAX_CUTS;
        let mut i = 0;
        while !rest.is_empty() && out.len() < limit {
            let n = usize::from(self.cuts[i % self.cuts.len()]).min(rest.len());
            let (c, r) = rest.split_at(n);
            out.push(c);
            rest = r;
            i += 1;
        }
        if !rest.is_empty() {
            out.push(rest);
        }
        out
    }
}

type Items = Vec<Result<TcpItem, WireError>>;

/// Polls until the reassembler needs bytes or fails. Returns whether it
/// failed.
fn drain(r: &mut TcpReassembler, out: &mut Items) -> bool {
    // Each Ok item consumes at least one octet, so this ends.
    while let Some(item) = r.poll() {
        let failed = item.is_err();
        out.push(item);
        if failed {
            // The error sticks: a second poll gives it again.
            assert_eq!(
                r.poll().map(|x| x.is_err()),
                Some(true),
                "error did not stick"
            );
            assert_eq!(r.pending(), 0, "failed reassembler still holds bytes");
            return true;
        }
    }
    false
}

fn item_len(i: &TcpItem) -> usize {
    match i {
        TcpItem::Prefix { .. } => 6,
        TcpItem::Frame { frame, .. } => frame.len(),
    }
}

/// Cuts the stream into chunks as the input says, pushes them into a
/// [`TcpReassembler`] and polls after each push. Checks:
/// * chunking independence: the items (and the error, if any) equal those
///   of pushing the whole stream at once;
/// * bounded memory: `pending()` never exceeds the bytes pushed so far,
///   equals pushed minus returned while the stream is healthy, and after
///   draining is below one maximal frame;
/// * items are contiguous in the stream, each frame's length field equals
///   its length, and their concatenation is a prefix of the stream.
pub fn check_tcp_reassembler(data: &[u8]) {
    let Some(case) = TcpCase::decode(data) else {
        return;
    };
    let stream = case.stream;

    let mut whole = TcpReassembler::new(case.prefix);
    whole.push(stream);
    let mut expected = Items::new();
    drain(&mut whole, &mut expected);

    let mut r = TcpReassembler::new(case.prefix);
    let mut got = Items::new();
    let mut pushed = 0usize;
    let mut failed = false;
    for c in case.chunks() {
        r.push(c);
        pushed += c.len();
        assert!(
            r.pending() <= pushed,
            "pending {} > pushed {pushed}",
            r.pending()
        );
        if !failed {
            failed = drain(&mut r, &mut got);
        }
        let returned: usize = got.iter().flatten().map(item_len).sum();
        if failed {
            assert_eq!(r.pending(), 0);
        } else {
            assert_eq!(
                r.pending(),
                pushed - returned,
                "pending != pushed - returned"
            );
            assert!(
                r.pending() <= 65535,
                "pending {} after draining",
                r.pending()
            );
        }
        assert!(r.pending() <= stream.len());
    }
    assert_eq!(got, expected, "items depend on the chunking");

    // Items tile a prefix of the stream.
    let mut at = 0usize;
    for item in expected.iter().flatten() {
        match item {
            TcpItem::Prefix { offset } => {
                assert_eq!(*offset, at as u64);
                assert_eq!(&stream[at..at + 6], b"IKETCP");
                assert_eq!(at, 0, "prefix not at the start");
            }
            TcpItem::Frame { offset, frame } => {
                assert_eq!(*offset, at as u64, "frames not contiguous");
                assert!(frame.len() >= 6);
                assert_eq!(
                    usize::from(u16::from_be_bytes([frame[0], frame[1]])),
                    frame.len(),
                    "frame length field"
                );
                assert_eq!(&stream[at..at + frame.len()], &frame[..]);
            }
        }
        at += item_len(item);
    }
}

/// [`check_tcp_reassembler`] minus known bugs.
pub fn fuzz_tcp_reassembler(data: &[u8]) {
    if known_bug("tcp_reassembler", data).is_none() {
        check_tcp_reassembler(data);
    }
}

// ====================================================================
// 4. roundtrip_emit
// ====================================================================

/// One payload of an emit case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmitPayload {
    /// Payload type (never NONE: a chain cannot express it).
    pub payload_type: u8,
    /// The octet after next-payload.
    pub flags: u8,
    /// For SK/SKF in IKEv2 (written with `MessageBuilder::encrypted`): the
    /// first inner payload type.
    pub first_inner: Option<u8>,
    /// The body.
    pub body: Vec<u8>,
}

/// A roundtrip_emit input, decoded:
///
/// ```text
/// 28 octets: a header (next-payload and length are ignored; a major
///            version other than 1 or 2 becomes 1 or 2)
/// then payload records until the input ends:
///   type:u8 flags:u8 len:u16be
///   [first_inner:u8]  only in IKEv2 for type 46 (SK) or 53 (SKF)
///   body: if len & 0x8000: one fill octet, body = fill × 2·(len & 0x7fff)
///         else: len octets (clamped to what is left)
///   type 0 (NONE) records are dropped.
/// ```
#[derive(Clone, Debug)]
pub struct EmitCase {
    /// The header given to the builder.
    pub header: Header,
    /// The payloads, in order.
    pub payloads: Vec<EmitPayload>,
}

fn is_encrypted_type(t: u8) -> bool {
    t == PayloadType::V2_SK.0 || t == PayloadType::V2_SKF.0
}

impl EmitCase {
    /// Decodes an input; `None` if shorter than a header.
    pub fn decode(data: &[u8]) -> Option<Self> {
        if data.len() < HEADER_LEN {
            return None;
        }
        let (h, mut rest) = data.split_at(HEADER_LEN);
        let mut header = Header::parse(h).ok()?;
        let major = header.version.major();
        if major != 1 && major != 2 {
            let m = 1 + (major & 1);
            header.version = Version((m << 4) | header.version.minor());
        }
        let v2 = header.version.major() == 2;
        let mut payloads = Vec::new();
        while rest.len() >= 4 {
            let (t, f) = (rest[0], rest[1]);
            let len = u16::from_be_bytes([rest[2], rest[3]]);
            rest = &rest[4..];
            let first_inner = if v2 && is_encrypted_type(t) {
                let (&fi, r) = rest.split_first().unwrap_or((&0, &[]));
                rest = r;
                Some(fi)
            } else {
                None
            };
            let body = if len & 0x8000 != 0 {
                let (&fill, r) = rest.split_first().unwrap_or((&0, &[]));
                rest = r;
                vec![fill; 2 * usize::from(len & 0x7fff)]
            } else {
                let n = usize::from(len).min(rest.len());
                let (b, r) = rest.split_at(n);
                rest = r;
                b.to_vec()
            };
            if t != 0 {
                payloads.push(EmitPayload {
                    payload_type: t,
                    flags: f,
                    first_inner,
                    body,
                });
            }
        }
        Some(EmitCase { header, payloads })
    }

    /// Encodes a case (used by the seeder): literal bodies only.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.header.emit(&mut v);
        let v2 = self.header.version.major() == 2;
        for p in &self.payloads {
            let len = p.body.len().min(0x7fff);
            v.push(p.payload_type);
            v.push(p.flags);
            v.extend_from_slice(&(len as u16).to_be_bytes());
            if v2 && is_encrypted_type(p.payload_type) {
                v.push(p.first_inner.unwrap_or(0));
            }
            v.extend_from_slice(&p.body[..len]);
        }
        v
    }

    /// The case of a parsed message (its raw payload chain), for seeding.
    pub fn from_message(bytes: &[u8]) -> Option<Self> {
        let msg = Message::parse(bytes, Mode::Lax).ok()?;
        let v2 = msg.version() == IkeVersion::V2;
        let mut payloads = Vec::new();
        for p in msg.payloads() {
            let p = p.ok()?;
            let enc = v2 && is_encrypted_type(p.payload_type.0);
            payloads.push(EmitPayload {
                payload_type: p.payload_type.0,
                flags: p.header.flags,
                first_inner: enc.then_some(p.header.next_payload.0),
                body: p.body.to_vec(),
            });
        }
        Some(EmitCase {
            header: msg.header,
            payloads,
        })
    }
}

/// Builds a message with [`MessageBuilder`] from fuzzer-chosen payload
/// types, flags and bodies (SK/SKF of IKEv2 through `encrypted`), then:
/// * `finish` fails exactly when a body is too long for its 16-bit length
///   or a payload follows SK/SKF;
/// * otherwise the message parses strictly at the header and its
///   [`PayloadIter`] yields exactly the payloads given (type, flags,
///   length, body, next-payload / first inner type), then ends; an IKEv1
///   message with the Encryption flag has no chain and its body is the
///   payloads' bytes;
/// * and the built message passes [`check_parse_strict`].
pub fn check_roundtrip_emit(data: &[u8]) {
    let Some(case) = EmitCase::decode(data) else {
        return;
    };
    let v2 = case.header.version.major() == 2;
    let mut b = MessageBuilder::new(&case.header);
    let mut closed = false;
    let mut should_fail = false;
    for p in &case.payloads {
        should_fail |= closed || p.body.len() > usize::from(u16::MAX) - 4;
        let t = PayloadType(p.payload_type);
        match p.first_inner {
            Some(fi) => {
                b.encrypted(t, PayloadType(fi), p.flags, |o| o.bytes(&p.body));
                closed = true;
            }
            None => {
                b.payload(t, p.flags, |o| o.bytes(&p.body));
            }
        }
    }
    let out = match b.finish() {
        Ok(out) => {
            assert!(!should_fail, "builder accepted an inexpressible message");
            out
        }
        Err(EmitError::TooLong) => {
            assert!(should_fail, "builder refused an expressible message");
            return;
        }
    };
    let msg = Message::parse(&out, Mode::Strict).expect("built message header");
    assert_eq!(msg.bytes.len(), out.len());
    let mut h = case.header;
    h.length = out.len() as u32;
    h.next_payload = PayloadType(case.payloads.first().map_or(0, |p| p.payload_type));
    assert_eq!(msg.header, h, "header changed");

    let body_len: usize = case.payloads.iter().map(|p| p.body.len() + 4).sum();
    assert_eq!(out.len(), HEADER_LEN + body_len);
    if !v2 && msg.encrypted_v1_body().is_some() {
        assert_eq!(msg.payloads().count(), 0);
        assert_eq!(msg.encrypted_v1_body().unwrap(), &out[HEADER_LEN..]);
    } else {
        let got: Vec<_> = msg.payloads().collect();
        assert_eq!(
            got.len(),
            case.payloads.len(),
            "payload count differs: {got:?}"
        );
        for (i, (g, want)) in got.iter().zip(&case.payloads).enumerate() {
            let g = g.as_ref().unwrap_or_else(|e| panic!("payload {i}: {e}"));
            assert_eq!(g.payload_type.0, want.payload_type, "payload {i} type");
            assert_eq!(g.header.flags, want.flags, "payload {i} flags");
            assert_eq!(usize::from(g.header.length), want.body.len() + 4);
            assert_eq!(g.body, &want.body[..], "payload {i} body");
            let next = match want.first_inner {
                Some(fi) => fi,
                None => case.payloads.get(i + 1).map_or(0, |p| p.payload_type),
            };
            assert_eq!(g.header.next_payload.0, next, "payload {i} next payload");
        }
    }
    check_parse_strict(&out);
}

/// [`check_roundtrip_emit`] minus known bugs.
pub fn fuzz_roundtrip_emit(data: &[u8]) {
    if known_bug("roundtrip_emit", data).is_none() {
        check_roundtrip_emit(data);
    }
}

// ====================================================================
// engine_exchange
// ====================================================================

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use rike::crypto::{RustCrypto, Secret, SeededRandom};
use rike::engine::{
    ChildConfig, Config, Endpoint, Event, Identity, IpsecMode, LocalAuth, PeerConfig, ProposalSpec,
    RemoteAuth, SaHandle, TrafficSelector, V1Options,
};

/// Deterministic endpoints: A initiates to B with one Child SA, over
/// IKEv1 (Main Mode, Quick Mode) when `v1`, else IKEv2.
fn engine_pair(v1: bool) -> (Endpoint, Endpoint) {
    let peer = |name: &str, remote: Option<SocketAddr>, me: &str, them: &str, l: &str, r: &str| {
        let psk = Secret::from_slice(b"fuzzing is believing");
        let mut p = PeerConfig::new(
            name,
            Identity::parse(me),
            LocalAuth::Psk(psk.clone()),
            RemoteAuth::Psk(psk),
        );
        p.remote = remote;
        p.remote_id = Some(Identity::parse(them));
        let (ike, esp) = if v1 {
            ("aes128-sha256-x25519", "aes128-sha256")
        } else {
            ("aes128gcm16-prfsha256-x25519", "aes128gcm16")
        };
        p.ike = ProposalSpec::parse_list(ike, true).expect("IKE proposal");
        let mut c = ChildConfig::new("net");
        c.esp = ProposalSpec::parse_list(esp, false).expect("ESP proposal");
        c.local_ts = vec![TrafficSelector::parse(l).expect("TS")];
        c.remote_ts = vec![TrafficSelector::parse(r).expect("TS")];
        c.mode = IpsecMode::Tunnel;
        p.children.push(c);
        if v1 {
            p.ikev1 = Some(V1Options::default());
        }
        p
    };
    let ep = |p: PeerConfig, seed: u8| {
        let mut cfg = Config::with_peers(vec![p]);
        // Small limits: the fuzzer reaches them.
        cfg.limits.half_open_max = 8;
        cfg.limits.cookie_threshold = 4;
        cfg.limits.ike_sa_max = 16;
        Endpoint::new(
            Arc::new(cfg),
            Arc::new(RustCrypto::new()),
            Box::new(SeededRandom::from_seed([seed; 32])),
        )
    };
    let a = ep(
        peer(
            "to-b",
            Some(ENGINE_B),
            "a.example",
            "b.example",
            "10.1.0.0/16",
            "10.2.0.0/16",
        ),
        1,
    );
    let b = ep(
        peer(
            "from-a",
            None,
            "b.example",
            "a.example",
            "10.2.0.0/16",
            "10.1.0.0/16",
        ),
        2,
    );
    (a, b)
}

const ENGINE_A: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 500);
const ENGINE_B: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)), 500);

/// Drains an endpoint's events; checks the bounds the configuration sets.
fn drain_events(ep: &mut Endpoint, sas: &mut Vec<SaHandle>) {
    while let Some(ev) = ep.poll_event() {
        if let Event::IkeSaUp { sa, .. } = ev {
            sas.push(sa);
        }
    }
    assert!(
        ep.sa_count() <= 16 + 8,
        "SA count {} above the limits",
        ep.sa_count()
    );
    assert!(
        ep.half_open_count() <= 8,
        "half-open {} above the limit",
        ep.half_open_count()
    );
}

/// engine_exchange: two engines (IKEv2, or IKEv1 when the first octet is
/// odd) run a handshake on a virtual clock while the input, read as a
/// script of one-octet operations with arguments, decides each
/// datagram's fate (deliver, drop, duplicate, flip an octet, cut it short,
/// replay an old one), injects raw datagrams (the input's own octets, to
/// either side, on port 500 or 4500), advances the clock, and issues
/// commands (rekey, delete, new Child SA, liveness). Nothing may panic;
/// the SA counts stay within the limits; the endpoints keep answering.
/// Returns how many IKE SAs came up at A and at B.
pub fn check_engine_exchange(data: &[u8]) -> (usize, usize) {
    let Some((&first, mut ops)) = data.split_first() else {
        return (0, 0);
    };
    let (mut a, mut b) = engine_pair(first & 1 == 1);
    let (mut sas_a, mut sas_b) = (Vec::new(), Vec::new());
    let mut now = 0u64;
    // Datagrams in flight: (to B?, from, to, bytes).
    let mut flight: VecDeque<(bool, SocketAddr, SocketAddr, Vec<u8>)> = VecDeque::new();
    let mut seen: Vec<(bool, SocketAddr, SocketAddr, Vec<u8>)> = Vec::new();
    let _ = a.initiate(now, "to-b", ENGINE_A);
    let mut steps = 0;
    while steps < 400 {
        steps += 1;
        while let Some(t) = a.poll_transmit() {
            flight.push_back((true, t.local, t.remote, t.data));
        }
        while let Some(t) = b.poll_transmit() {
            flight.push_back((false, t.local, t.remote, t.data));
        }
        drain_events(&mut a, &mut sas_a);
        drain_events(&mut b, &mut sas_b);
        let Some((&op, rest)) = ops.split_first() else {
            break;
        };
        ops = rest;
        let mut arg = || -> u8 {
            let (&x, rest) = ops.split_first().unwrap_or((&0, &[]));
            ops = rest;
            x
        };
        let deliver = |to_b: bool,
                       from: SocketAddr,
                       to: SocketAddr,
                       d: &[u8],
                       a: &mut Endpoint,
                       b: &mut Endpoint,
                       now: u64| {
            if to_b {
                b.handle(now, to, from, d);
            } else {
                a.handle(now, to, from, d);
            }
        };
        match op % 12 {
            // Deliver the next datagram (the common case).
            0..=3 => {
                if let Some(m) = flight.pop_front() {
                    deliver(m.0, m.1, m.2, &m.3, &mut a, &mut b, now);
                    if seen.len() < 64 {
                        seen.push(m);
                    }
                }
            }
            4 => {
                flight.pop_front();
            }
            5 => {
                if let Some(m) = flight.front().cloned() {
                    deliver(m.0, m.1, m.2, &m.3, &mut a, &mut b, now);
                }
            }
            // Flip one octet of the next datagram.
            6 => {
                let (at, x) = (usize::from(arg()), arg());
                if let Some(m) = flight.front_mut() {
                    if !m.3.is_empty() {
                        let i = at % m.3.len();
                        m.3[i] ^= x | 1;
                    }
                }
            }
            // Cut the next datagram short.
            7 => {
                let keep = usize::from(arg());
                if let Some(m) = flight.front_mut() {
                    let n = m.3.len().min(keep);
                    m.3.truncate(n);
                }
            }
            // Replay a datagram seen earlier.
            8 => {
                let i = usize::from(arg());
                if !seen.is_empty() {
                    let m = seen[i % seen.len()].clone();
                    deliver(m.0, m.1, m.2, &m.3, &mut a, &mut b, now);
                }
            }
            // Inject raw octets from the input.
            9 => {
                let (how, len) = (arg(), usize::from(arg()));
                let n = len.min(ops.len());
                let (raw, rest) = ops.split_at(n);
                ops = rest;
                let port = if how & 2 == 0 { 500 } else { 4500 };
                let mut from = if how & 1 == 0 { ENGINE_A } else { ENGINE_B };
                from.set_port(port);
                let mut to = if how & 1 == 0 { ENGINE_B } else { ENGINE_A };
                to.set_port(port);
                deliver(how & 1 == 0, from, to, raw, &mut a, &mut b, now);
            }
            // Time passes.
            10 => {
                now += u64::from(arg()) * 100 + 1;
                a.handle_timeout(now);
                b.handle_timeout(now);
            }
            // A command on an SA that came up (or a stale one).
            _ => {
                let (which, pick) = (arg(), usize::from(arg()));
                let (ep, sas) = if which & 1 == 0 {
                    (&mut a, &sas_a)
                } else {
                    (&mut b, &sas_b)
                };
                let Some(&sa) = (!sas.is_empty()).then(|| &sas[pick % sas.len()]) else {
                    continue;
                };
                let child = ep.children(sa).first().copied();
                let _ = match which / 2 % 6 {
                    0 => ep.rekey_ike(now, sa),
                    1 => ep.delete_ike(now, sa),
                    2 => ep.create_child(now, sa, "net"),
                    3 => match child {
                        Some(c) => ep.rekey_child(now, sa, c),
                        None => Ok(()),
                    },
                    4 => match child {
                        Some(c) => ep.delete_child(now, sa, c),
                        None => Ok(()),
                    },
                    _ => ep.check_liveness(now, sa),
                };
            }
        }
    }
    // The endpoints still work: an hour passes, every timer fires.
    for _ in 0..8 {
        now += 450_000;
        a.handle_timeout(now);
        b.handle_timeout(now);
        while a.poll_transmit().is_some() || b.poll_transmit().is_some() {}
        drain_events(&mut a, &mut sas_a);
        drain_events(&mut b, &mut sas_b);
    }
    (sas_a.len(), sas_b.len())
}

/// The fuzz target's entry (no known engine bug is open).
pub fn fuzz_engine_exchange(data: &[u8]) {
    check_engine_exchange(data);
}
