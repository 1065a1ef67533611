//! The codec allocates nothing: a strict `validate` and a lax walk of every
//! payload, proposal, transform, attribute, selector, SPI and typed notify
//! of every message of the capture corpus run with zero heap allocations.
//!
//! A counting global allocator counts, per thread, every `alloc`,
//! `alloc_zeroed` and `realloc`; the counter is a `const`-initialised
//! thread-local `Cell`, so counting never allocates itself and tests
//! running on other threads do not disturb the count.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::path::{Path, PathBuf};

use rike::capture::{Capture, Decoder, Pdu, PduExtractor, Ports, Segment};
use rike::dissect::Carrier;
use rike::wire::proposal::ProposalIter;
use rike::wire::transport::{classify_tcp_frame, classify_udp_encap, Encapsulated};
use rike::wire::{v1, v2, validate, IkeVersion, Message, Mode, WalkStats};

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn bump() {
    // `try_with`: never panic inside the allocator, even during thread
    // teardown.
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every call is forwarded unchanged to `System`.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns its result with the number of allocations this
/// thread made meanwhile.
fn count_allocs<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let before = ALLOCS.with(Cell::get);
    let r = f();
    let after = ALLOCS.with(Cell::get);
    (r, after - before)
}

/// Every capture file under `dir`, sorted.
fn captures(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng" | "cap")
            ) {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// The IKE message in a PDU, without its transport framing.
fn ike_message<'a>(p: &'a Pdu<'_>) -> Option<&'a [u8]> {
    match p.carrier {
        Carrier::Plain => Some(&p.bytes[..]),
        Carrier::UdpEncap => match classify_udp_encap(&p.bytes) {
            Ok(Encapsulated::Ike(i)) => Some(i),
            _ => None,
        },
        Carrier::TcpFrame => match classify_tcp_frame(p.bytes.get(2..)?, 2) {
            Ok(Encapsulated::Ike(i)) => Some(i),
            _ => None,
        },
        Carrier::TcpPrefix => None,
    }
}

/// Every IKE message of every capture under tests/data.
fn load_corpus() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut out = Vec::new();
    for f in captures(&dir) {
        let Ok(data) = std::fs::read(&f) else {
            continue;
        };
        let Ok(cap) = Capture::parse(&data) else {
            continue;
        };
        let mut dec = Decoder::new();
        let mut ex = PduExtractor::new(Ports::default());
        let mut segs: Vec<Segment<'_>> = Vec::new();
        let mut pdus: Vec<Pdu<'_>> = Vec::new();
        for fr in cap.frames().map_while(Result::ok) {
            segs.clear();
            dec.decode(&fr, &mut segs);
            for s in &segs {
                ex.push(s, &mut pdus);
            }
        }
        let mut tail = Vec::new();
        dec.finish(&mut tail);
        for s in &tail {
            ex.push(s, &mut pdus);
        }
        out.extend(pdus.iter().filter_map(ike_message).map(<[u8]>::to_vec));
    }
    out
}

/// Builds a message: header (`version` octet, `exchange`, `flags`) and a
/// chain of `(payload type, body)`; lengths and next-payload fields filled.
fn build(version: u8, exchange: u8, flags: u8, payloads: &[(u8, &[u8])]) -> Vec<u8> {
    let mut m = vec![1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0];
    m.push(payloads.first().map_or(0, |p| p.0));
    m.extend_from_slice(&[version, exchange, flags, 0, 0, 0, 1, 0, 0, 0, 0]);
    for (i, (_, body)) in payloads.iter().enumerate() {
        m.push(payloads.get(i + 1).map_or(0, |p| p.0));
        m.push(0);
        m.extend_from_slice(&u16::try_from(4 + body.len()).unwrap().to_be_bytes());
        m.extend_from_slice(body);
    }
    let len = u32::try_from(m.len()).unwrap().to_be_bytes();
    m[24..28].copy_from_slice(&len);
    m
}

/// Plaintext messages with the payloads the corpus only carries inside
/// SK or encrypted IKEv1 bodies (traffic selectors, CP, Delete, Mode-Config,
/// NAT-OA, typed notifies), so the walk covers their iterators too.
fn crafted() -> Vec<Vec<u8>> {
    let ts_v4 = [7, 0, 0, 16, 0, 0, 0xff, 0xff, 10, 0, 0, 0, 10, 0, 0, 255];
    let mut ts_v6 = vec![8, 6, 0, 40, 0, 80, 0, 80];
    ts_v6.extend_from_slice(&[0x20, 1, 0xd, 0xb8]);
    ts_v6.extend_from_slice(&[0; 12]);
    ts_v6.extend_from_slice(&[0x20, 1, 0xd, 0xb8]);
    ts_v6.extend_from_slice(&[0xff; 12]);
    let mut tsi = vec![2, 0, 0, 0];
    tsi.extend_from_slice(&ts_v4);
    tsi.extend_from_slice(&ts_v6);
    let mut tsr = vec![1, 0, 0, 0];
    tsr.extend_from_slice(&ts_v4);
    let sa: &[u8] = &[
        0, 0, 0, 32, 1, 3, 4, 2, 0xaa, 0xbb, 0xcc, 0xdd, // ESP proposal, 2 transforms
        3, 0, 0, 12, 1, 0, 0, 12, 0x80, 14, 0, 128, // ENCR AES-CBC, key length 128
        0, 0, 0, 8, 3, 0, 0, 12, // INTEG HMAC-SHA1-96
    ];
    let mut certreq = vec![4];
    certreq.extend_from_slice(&[0x11; 40]);
    let v2 = build(
        0x20,
        35,
        0x08,
        &[
            // IDi, IPv4
            (35, &[1, 0, 0, 0, 192, 0, 2, 1]),
            // CERTREQ, two CA hashes
            (38, &certreq),
            // AUTH, digital signature
            (39, &[14, 0, 0, 0, 2, 0x30, 0x00, 0xde, 0xad]),
            // SIGNATURE_HASH_ALGORITHMS
            (41, &[0, 0, 0x40, 0x2f, 0, 1, 0, 2, 0, 4]),
            // REDIRECT to an IPv4 gateway
            (41, &[0, 0, 0x40, 0x17, 1, 4, 192, 0, 2, 9]),
            // SET_WINDOW_SIZE
            (41, &[0, 0, 0x40, 0x01, 0, 0, 0, 4]),
            // CP
            (
                47,
                &[1, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 1, 0, 4, 10, 0, 0, 5],
            ),
            // SA; TSi with an IPv4 and an IPv6 range; TSr
            (33, sa),
            (44, &tsi),
            (45, &tsr),
            // Delete, two ESP SPIs
            (42, &[3, 4, 0, 2, 1, 1, 1, 1, 2, 2, 2, 2]),
        ],
    );
    let mut dpd = vec![0, 0, 0, 1, 1, 16, 0x8d, 0x28];
    dpd.extend_from_slice(&[0x42; 16]);
    dpd.extend_from_slice(&[0, 0, 0, 7]);
    let v1 = build(
        0x10,
        5,
        0,
        &[
            // Notification, R-U-THERE
            (11, &dpd),
            // Delete
            (12, &[0, 0, 0, 1, 3, 4, 0, 2, 1, 1, 1, 1, 2, 2, 2, 2]),
            // Mode-Config request
            (14, &[1, 0, 0, 9, 0, 1, 0, 0, 0x80, 7, 0, 1]),
            // NAT-D
            (20, &[0x5a; 20]),
            // NAT-OA, IPv4
            (21, &[1, 0, 0, 0, 192, 0, 2, 7]),
            // ID, IPv4, UDP/500
            (5, &[1, 17, 1, 0xf4, 10, 0, 0, 1]),
        ],
    );
    vec![v2, v1]
}

/// What the walks visited.
#[derive(Debug, Default)]
struct Counts {
    messages: u64,
    strict_ok: u64,
    strict_err: u64,
    /// Sum of the `WalkStats` of the messages `validate` accepted.
    strict: WalkStats,
    payloads: u64,
    proposals: u64,
    transforms: u64,
    attributes: u64,
    selectors: u64,
    config_attributes: u64,
    spis: u64,
    notifies: u64,
    ids: u64,
    lax_errors: u64,
    checksum: u64,
}

impl Counts {
    fn add(&mut self, v: u64) {
        self.checksum = self.checksum.wrapping_add(v);
    }

    /// Consumes a result without formatting its error (that allocates).
    fn ok<T>(&mut self, r: rike::wire::error::Result<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.lax_errors += 1;
                self.add(e.offset as u64);
                None
            }
        }
    }
}

fn walk_proposals(props: ProposalIter<'_>, v: IkeVersion, c: &mut Counts) {
    for p in props {
        let Some(p) = c.ok(p) else { continue };
        c.proposals += 1;
        c.add(u64::from(p.protocol_v1().0) + u64::from(p.protocol_v2().0) + p.spi.len() as u64);
        let mut n = 0usize;
        match v {
            IkeVersion::V1 => {
                for t in p.transforms_v1() {
                    let Some(t) = c.ok(t) else { continue };
                    n += 1;
                    c.add(u64::from(t.transform_id));
                    for a in t.attributes() {
                        let Some(a) = c.ok(a) else { continue };
                        c.attributes += 1;
                        c.add(a.as_u64().unwrap_or(0) + a.value_bytes().len() as u64);
                    }
                }
            }
            IkeVersion::V2 => {
                for t in p.transforms_v2() {
                    let Some(t) = c.ok(t) else { continue };
                    n += 1;
                    c.add(u64::from(t.transform_id) + u64::from(t.key_length().unwrap_or(0)));
                    for a in t.attributes() {
                        let Some(a) = c.ok(a) else { continue };
                        c.attributes += 1;
                        c.add(a.as_u64().unwrap_or(0) + a.value_bytes().len() as u64);
                    }
                }
            }
        }
        c.transforms += n as u64;
        c.ok(p.check_count(n));
    }
}

fn walk_v1(base: &[u8], p: &rike::wire::RawPayload<'_>, c: &mut Counts) {
    let Some(d) = c.ok(v1::decode(base, p, Mode::Lax)) else {
        return;
    };
    match d {
        v1::Payload::Sa(sa) => {
            c.add(u64::from(sa.situation_bits()));
            walk_proposals(sa.proposals(), IkeVersion::V1, c);
            if let Some(chain) = sa.gdoi_payloads() {
                for g in chain {
                    if let Some(g) = c.ok(g) {
                        c.add(g.body.len() as u64);
                    }
                }
            }
        }
        v1::Payload::Identification(id) => {
            c.ids += 1;
            c.ok(id.id_data());
        }
        v1::Payload::Notification(n) => {
            c.notifies += 1;
            match c.ok(n.typed_data()) {
                Some(v1::NotifyDataV1::ResponderLifetime(attrs)) => {
                    for a in attrs {
                        if c.ok(a).is_some() {
                            c.attributes += 1;
                        }
                    }
                }
                Some(v1::NotifyDataV1::DpdSequence(s)) => c.add(u64::from(s)),
                Some(v1::NotifyDataV1::Raw(d)) => c.add(d.len() as u64),
                None => {}
            }
        }
        v1::Payload::Attributes(cfg) => {
            for a in cfg.attributes() {
                if let Some(a) = c.ok(a) {
                    c.config_attributes += 1;
                    c.add(u64::from(a.attr_type));
                }
            }
        }
        v1::Payload::Delete(d) => {
            c.ok(d.check());
            for s in d.spis() {
                c.spis += 1;
                c.add(s.len() as u64);
            }
        }
        v1::Payload::NatOa(n) => {
            c.ok(n.ip());
        }
        v1::Payload::Fragment(f) => c.add(u64::from(f.is_last()) + u64::from(f.number)),
        _ => c.add(1),
    }
}

fn walk_v2(base: &[u8], p: &rike::wire::RawPayload<'_>, c: &mut Counts) {
    let Some(d) = c.ok(v2::decode(base, p, Mode::Lax)) else {
        return;
    };
    match d {
        v2::Payload::Sa(props) => walk_proposals(props, IkeVersion::V2, c),
        v2::Payload::Identification(id) => {
            c.ids += 1;
            c.ok(id.id_data());
        }
        v2::Payload::TrafficSelectors(ts) => {
            c.ok(ts.check());
            for s in ts.selectors() {
                let Some(s) = c.ok(s) else { continue };
                c.selectors += 1;
                let (lo, hi) = s.ports().unwrap_or((0, 0));
                c.add(u64::from(lo) + u64::from(hi));
                c.add(u64::from(s.ipv4_range().is_some()) + u64::from(s.ipv6_range().is_some()));
            }
        }
        v2::Payload::Config(cp) => {
            for a in cp.attributes() {
                if let Some(a) = c.ok(a) {
                    c.config_attributes += 1;
                    c.add(u64::from(a.attr_type.0) + a.value.len() as u64);
                }
            }
        }
        v2::Payload::Delete(d) => {
            c.ok(d.check());
            for s in d.spis() {
                c.spis += 1;
                c.add(s.len() as u64);
            }
        }
        v2::Payload::Notify(n) => {
            c.notifies += 1;
            c.add(u64::from(n.is_error()));
            match c.ok(n.typed_data()) {
                Some(v2::NotifyData::SignatureHashAlgorithms(h)) => {
                    for a in h {
                        c.add(u64::from(a.0));
                    }
                }
                Some(v2::NotifyData::Redirect {
                    gw_type, gw_ident, ..
                })
                | Some(v2::NotifyData::RedirectedFrom { gw_type, gw_ident }) => {
                    c.add(u64::from(
                        v2::Notify::gateway_ip(gw_type, gw_ident).is_some(),
                    ));
                }
                Some(_) => c.add(1),
                None => {}
            }
        }
        v2::Payload::Auth(a) => {
            c.add(u64::from(a.digital_signature().is_some()));
        }
        v2::Payload::CertificateRequest(r) => c.add(r.ca_hashes().count() as u64),
        v2::Payload::EncryptedFragment(f) => {
            c.ok(f.check());
        }
        _ => c.add(1),
    }
}

/// The lax walk of one message, as a dissector would do it without the
/// tree.
fn lax_walk(bytes: &[u8], c: &mut Counts) {
    let Some(msg) = c.ok(Message::parse(bytes, Mode::Lax)) else {
        return;
    };
    let version = msg.version();
    for p in msg.payloads() {
        let Some(p) = c.ok(p) else { continue };
        c.payloads += 1;
        match version {
            IkeVersion::V1 => walk_v1(msg.bytes, &p, c),
            IkeVersion::V2 => walk_v2(msg.bytes, &p, c),
        }
    }
}

/// `validate` and the lax walk of every message in `msgs`.
fn walk_all(msgs: &[Vec<u8>], c: &mut Counts) {
    for m in msgs {
        c.messages += 1;
        match validate(black_box(m)) {
            Ok(st) => {
                c.strict_ok += 1;
                c.strict.payloads += st.payloads;
                c.strict.proposals += st.proposals;
                c.strict.transforms += st.transforms;
                c.strict.attributes += st.attributes;
                c.strict.selectors += st.selectors;
            }
            Err(e) => {
                c.strict_err += 1;
                c.add(e.offset as u64);
            }
        }
        lax_walk(black_box(m), c);
    }
    black_box(c.checksum);
}

#[test]
fn validate_and_lax_walk_allocate_nothing() {
    // Loading allocates; only the walks are measured.
    let corpus = load_corpus();
    let extra = crafted();
    let mut c = Counts::default();
    let mut x = Counts::default();
    let ((), allocs) = count_allocs(|| {
        walk_all(&corpus, &mut c);
        walk_all(&extra, &mut x);
    });
    eprintln!("corpus: {c:#?}\ncrafted: {x:#?}");
    assert_eq!(allocs, 0, "the walks allocated {allocs} times");
    // Not vacuous: the corpus was found and walked in depth. Observed:
    // 397 messages (382 strictly valid), 927 payloads, 217 proposals,
    // 1006 transforms, 468 attributes, 179 notifies in the lax walk.
    assert!(c.messages >= 380, "{c:?}");
    assert!(c.strict_ok >= 360, "{c:?}");
    assert!(c.strict.payloads >= 880, "{c:?}");
    assert!(c.strict.transforms >= 950, "{c:?}");
    assert!(c.payloads >= 900, "{c:?}");
    assert!(c.proposals >= 200, "{c:?}");
    assert!(c.transforms >= 950, "{c:?}");
    assert!(c.attributes >= 440, "{c:?}");
    assert!(c.notifies >= 170, "{c:?}");
    // The crafted messages are valid and reach the other iterators.
    assert_eq!((x.strict_ok, x.lax_errors), (2, 0), "{x:?}");
    assert_eq!(x.payloads, 17, "{x:?}");
    assert_eq!(x.strict.selectors, 3, "{x:?}");
    assert_eq!(x.selectors, 3, "{x:?}");
    assert_eq!(x.transforms, 2, "{x:?}");
    assert_eq!(x.config_attributes, 5, "{x:?}");
    assert_eq!(x.spis, 4, "{x:?}");
    assert_eq!(x.notifies, 4, "{x:?}");
    assert_eq!(x.ids, 2, "{x:?}");
}

#[test]
fn counter_detects_allocations() {
    let ((), n) = count_allocs(|| {
        black_box(Vec::<u8>::with_capacity(1));
    });
    assert!(n >= 1, "Vec::with_capacity(1) not counted");
    let ((), n) = count_allocs(|| {
        black_box(Box::new(black_box(7u64)));
    });
    assert!(n >= 1, "Box::new not counted");
    // alloc_zeroed and realloc are counted too.
    let ((), n) = count_allocs(|| {
        let mut v: Vec<u8> = black_box(vec![0u8; 64]);
        v.extend_from_slice(black_box(&[1u8; 256]));
        black_box(v);
    });
    assert!(n >= 2, "vec![0; n] + growth counted {n} times");
    // An error formatted: the thing the measured walk must not do.
    let ((), n) = count_allocs(|| {
        let e = validate(black_box(&[0u8; 3])).unwrap_err();
        black_box(e.to_string());
    });
    assert!(n >= 1, "formatting an error not counted");
    let ((), n) = count_allocs(|| black_box(()));
    assert_eq!(n, 0, "an empty section counted {n} allocations");
}
