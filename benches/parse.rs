//! Parsing throughput over the capture corpus (tests/data).
//!
//! Every IKE message of every capture is extracted once, before measuring,
//! with `rike::capture` (UDP 500, UDP 4500 after the non-ESP marker, RFC
//! 8229 TCP frames after their length and marker). Then:
//!
//! * `rike/validate_all`: the strict full walk (`rike::wire::validate`) of
//!   every message; the errors of the malformed ones are counted.
//! * `rike/dissect_all`: the lax, allocating tree of the CLI and plugin.
//! * `rike/ikev2_walk` vs `ipsec_parser/ikev2_walk`: the same walk (header,
//!   every payload, every SA proposal and transform, traffic selectors)
//!   over the IKEv2 messages both libraries accept.
//!
//! Each benchmark runs twice: in a group with `Throughput::Elements`
//! (messages/s) and in a `*_bytes` group with `Throughput::BytesDecimal`
//! (MB/s). The sizes of the message sets are printed at the end.
//!
//! Run: `cargo bench --bench parse -- --warm-up-time 2 --measurement-time 5`

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput};
use ipsec_parser::{parse_ikev2_header, parse_ikev2_payload_list, IkeV2PayloadContent};
use rike::capture::{Capture, Decoder, Pdu, PduExtractor, Ports, Segment};
use rike::dissect::{dissect, Carrier};
use rike::wire::transport::{classify_tcp_frame, classify_udp_encap, Encapsulated};
use rike::wire::{v2, validate, Message, Mode};

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

/// Every IKE message of every capture under tests/data, in file order.
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

/// True when ipsec-parser parses the header and the whole payload list.
fn ipsec_parser_accepts(m: &[u8]) -> bool {
    let Ok((rest, hdr)) = parse_ikev2_header(m) else {
        return false;
    };
    matches!(
        parse_ikev2_payload_list(rest, hdr.next_payload),
        Ok((_, Ok(_)))
    )
}

/// rike's side of the IKEv2 comparison: strict header, payload chain,
/// strict decode of every payload, every proposal, transform and transform
/// attribute of SA payloads, every traffic selector.
fn rike_ikev2_walk(msgs: &[&[u8]]) -> u64 {
    let mut sum = 0u64;
    for m in msgs {
        let Ok(msg) = Message::parse(m, Mode::Strict) else {
            continue;
        };
        sum = sum.wrapping_add(u64::from(msg.header.message_id));
        for p in msg.payloads() {
            let Ok(p) = p else { break };
            sum = sum.wrapping_add(u64::from(p.header.length));
            match v2::decode(msg.bytes, &p, Mode::Strict) {
                Ok(v2::Payload::Sa(props)) => {
                    for prop in props {
                        let Ok(prop) = prop else { break };
                        sum = sum.wrapping_add(u64::from(prop.protocol_id));
                        for t in prop.transforms_v2() {
                            let Ok(t) = t else { break };
                            sum = sum
                                .wrapping_add(u64::from(t.transform_type.0))
                                .wrapping_add(u64::from(t.transform_id));
                            for a in t.attributes() {
                                let Ok(a) = a else { break };
                                // Decoded here; ipsec-parser only hands out
                                // the raw bytes, so sum what both have.
                                sum = sum.wrapping_add(a.raw.len() as u64);
                            }
                        }
                    }
                }
                Ok(v2::Payload::TrafficSelectors(ts)) => {
                    for s in ts.selectors() {
                        let Ok(s) = s else { break };
                        let (lo, hi) = s.ports().unwrap_or((0, 0));
                        sum = sum.wrapping_add(u64::from(lo) + u64::from(hi));
                    }
                }
                Ok(_) => sum = sum.wrapping_add(1),
                Err(_) => sum = sum.wrapping_add(7),
            }
        }
    }
    sum
}

/// ipsec-parser's side: the same walk over its eager payload list.
fn ipsec_parser_ikev2_walk(msgs: &[&[u8]]) -> u64 {
    let mut sum = 0u64;
    for m in msgs {
        let Ok((rest, hdr)) = parse_ikev2_header(m) else {
            continue;
        };
        sum = sum.wrapping_add(u64::from(hdr.msg_id));
        let Ok((_, Ok(payloads))) = parse_ikev2_payload_list(rest, hdr.next_payload) else {
            continue;
        };
        // The first element is ipsec-parser's Dummy seed of the fold.
        for p in payloads.iter().skip(1) {
            sum = sum.wrapping_add(u64::from(p.hdr.payload_length));
            match &p.content {
                IkeV2PayloadContent::SA(props) => {
                    for prop in props {
                        sum = sum.wrapping_add(u64::from(prop.protocol_id.0));
                        for t in &prop.transforms {
                            sum = sum
                                .wrapping_add(u64::from(t.transform_type.0))
                                .wrapping_add(u64::from(t.transform_id));
                            // Attributes are only exposed as raw bytes.
                            sum = sum.wrapping_add(t.attributes.map_or(0, |a| a.len() as u64));
                        }
                    }
                }
                IkeV2PayloadContent::TSi(ts) | IkeV2PayloadContent::TSr(ts) => {
                    for s in &ts.ts {
                        sum = sum.wrapping_add(u64::from(s.start_port) + u64::from(s.end_port));
                    }
                }
                _ => sum = sum.wrapping_add(1),
            }
        }
    }
    sum
}

fn validate_all(msgs: &[&[u8]]) -> (u64, u64) {
    let (mut sum, mut errors) = (0u64, 0u64);
    for m in msgs {
        match validate(m) {
            Ok(st) => {
                sum = sum.wrapping_add(
                    (st.payloads + st.proposals + st.transforms + st.attributes + st.selectors)
                        as u64,
                )
            }
            Err(e) => {
                errors += 1;
                sum = sum.wrapping_add(e.offset as u64);
            }
        }
    }
    (sum, errors)
}

fn dissect_all(msgs: &[&[u8]]) -> u64 {
    let mut sum = 0u64;
    for m in msgs {
        let d = dissect(m, Carrier::Plain);
        sum = sum.wrapping_add((d.records.len() + d.experts.len()) as u64);
    }
    sum
}

struct Set<'a> {
    msgs: Vec<&'a [u8]>,
    bytes: u64,
}

impl<'a> Set<'a> {
    fn new(msgs: Vec<&'a [u8]>) -> Self {
        let bytes = msgs.iter().map(|m| m.len() as u64).sum();
        Set { msgs, bytes }
    }
    fn len(&self) -> u64 {
        self.msgs.len() as u64
    }
}

fn main() {
    let corpus = load_corpus();
    let all = Set::new(corpus.iter().map(Vec::as_slice).collect());
    assert!(
        !all.msgs.is_empty(),
        "no IKE messages found under tests/data"
    );
    let invalid = all.msgs.iter().filter(|m| validate(m).is_err()).count();
    let v2: Vec<&[u8]> = all.msgs.iter().copied().filter(|m| major_is_2(m)).collect();
    let v2_rike_err = v2.iter().filter(|m| validate(m).is_err()).count();
    let v2_ipsec_err = v2.iter().filter(|m| !ipsec_parser_accepts(m)).count();
    let shared = Set::new(
        all.msgs
            .iter()
            .copied()
            .filter(|m| major_is_2(m) && validate(m).is_ok() && ipsec_parser_accepts(m))
            .collect(),
    );
    // Both walks sum the same fields, so equal checksums show they saw the
    // same payloads, proposals, transforms, attribute bytes and selectors.
    let (ck_rike, ck_ipsec) = (
        rike_ikev2_walk(&shared.msgs),
        ipsec_parser_ikev2_walk(&shared.msgs),
    );
    assert_eq!(ck_rike, ck_ipsec, "the two IKEv2 walks disagree");
    assert!(!shared.msgs.is_empty(), "no IKEv2 message accepted by both");

    let mut c = Criterion::default().configure_from_args();
    let sets: [(&str, &Set<'_>); 2] = [("all", &all), ("ikev2_shared", &shared)];
    for bytes in [false, true] {
        let tp = |s: &Set<'_>| {
            if bytes {
                Throughput::BytesDecimal(s.bytes)
            } else {
                Throughput::Elements(s.len())
            }
        };
        let suffix = if bytes { "_bytes" } else { "" };
        let mut g = c.benchmark_group(format!("rike{suffix}"));
        g.throughput(tp(&all));
        g.bench_function("validate_all", |b| {
            b.iter(|| validate_all(black_box(&all.msgs)))
        });
        g.bench_function("dissect_all", |b| {
            b.iter(|| dissect_all(black_box(&all.msgs)))
        });
        g.throughput(tp(&shared));
        g.bench_function("ikev2_walk", |b| {
            b.iter(|| rike_ikev2_walk(black_box(&shared.msgs)))
        });
        g.finish();
        let mut g = c.benchmark_group(format!("ipsec_parser{suffix}"));
        g.throughput(tp(&shared));
        g.bench_function("ikev2_walk", |b| {
            b.iter(|| ipsec_parser_ikev2_walk(black_box(&shared.msgs)))
        });
        g.finish();
    }
    c.final_summary();

    eprintln!("\nmessage sets:");
    for (name, s) in sets {
        eprintln!("  {name:13} messages={:5} bytes={}", s.len(), s.bytes);
    }
    eprintln!(
        "  all: {invalid} fail rike::wire::validate; {} are IKEv2 (major 2), of which \
         {v2_rike_err} fail rike::wire::validate and {v2_ipsec_err} fail ipsec-parser",
        v2.len()
    );
    eprintln!("  ikev2_walk checksum (both sides): {ck_rike}");
}

/// Major version 2 in the header's version octet.
fn major_is_2(m: &[u8]) -> bool {
    m.get(17).is_some_and(|v| v >> 4 == 2)
}
