//! Per-capture analysis: request/response links, response times,
//! retransmissions and RFC 7383 fragment grouping, on real captures.

mod common;

use std::collections::BTreeMap;

use common::data_dir;
use rike::capture::{Capture, Decoder, Pdu, PduExtractor, Ports};
use rike::dissect::{value_of, CaptureState, Dissection, Field, PduInfo, Value};

/// A capture's IKE PDUs in order: (frame, time in ns, carrier, bytes).
fn pdus_of(data: &[u8]) -> Vec<(u32, u64, rike::dissect::Carrier, Vec<u8>)> {
    let Ok(cap) = Capture::parse(data) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut dec = Decoder::new();
    let mut ex = PduExtractor::new(Ports::default());
    let (mut segs, mut pdus): (Vec<_>, Vec<Pdu<'_>>) = (Vec::new(), Vec::new());
    for f in cap.frames() {
        let Ok(f) = f else { break };
        let time_ns = f.timestamp.secs as u64 * 1_000_000_000 + u64::from(f.timestamp.nanos);
        segs.clear();
        dec.decode(&f, &mut segs);
        pdus.clear();
        for s in &segs {
            ex.push(s, &mut pdus);
        }
        for p in &pdus {
            out.push((p.frame, time_ns, p.carrier, p.bytes.to_vec()));
        }
    }
    out
}

/// Runs the capture through a CaptureState in two passes (learn, then
/// read) keeping only frames in `keep`; returns frame → dissection.
fn analyse(file: &str, keep: impl Fn(u32) -> bool) -> BTreeMap<u32, (Vec<u8>, Dissection)> {
    let data = std::fs::read(data_dir().join(file)).unwrap();
    let pdus: Vec<_> = pdus_of(&data).into_iter().filter(|p| keep(p.0)).collect();
    let mut state = CaptureState::new();
    let mut out = BTreeMap::new();
    for visited in [false, true] {
        for (frame, time_ns, carrier, bytes) in &pdus {
            let info = PduInfo {
                frame: *frame,
                time_ns: *time_ns,
                visited,
                carrier: *carrier,
            };
            let d = state.dissect(&info, bytes);
            if visited {
                out.insert(*frame, (bytes.clone(), d));
            }
        }
    }
    out
}

fn uint(d: &(Vec<u8>, Dissection), f: Field) -> Vec<u64> {
    d.1.find(f)
        .filter_map(|r| match value_of(&d.1, r, &d.0) {
            Value::UInt(n) => Some(n),
            _ => None,
        })
        .collect()
}

fn text(d: &(Vec<u8>, Dissection), f: Field) -> Vec<String> {
    d.1.find(f)
        .map(|r| match value_of(&d.1, r, &d.0) {
            Value::Str(s) => s,
            other => format!("{other:?}"),
        })
        .collect()
}

#[test]
fn requests_and_responses_are_linked_both_ways() {
    let a = analyse("tcpdump/ikev2four.pcap", |_| true);
    // Frames 7 and 8 are two CREATE_CHILD_SA requests (MID 2, 3) answered
    // by 9 and 10 in the same order (tshark: isakmp.messageid per frame).
    assert_eq!(uint(&a[&7], Field::ResponseIn), [9]);
    assert_eq!(uint(&a[&8], Field::ResponseIn), [10]);
    assert_eq!(uint(&a[&9], Field::ResponseTo), [7]);
    assert_eq!(uint(&a[&10], Field::ResponseTo), [8]);
    // Response time = frame 2 - frame 1 (tshark frame.time_delta 0.003731).
    assert_eq!(uint(&a[&2], Field::ResponseTime), [3_731_000]);
    // No retransmissions in this capture.
    assert!(a
        .values()
        .all(|d| d.1.find(Field::RetransmissionOf).next().is_none()));
}

#[test]
fn resent_ike_sa_init_is_a_new_exchange_not_a_retransmission() {
    // zeek-plugin-ikev2: the initiator's KE group is refused
    // (INVALID_KE_PAYLOAD in frame 2) and it sends IKE_SA_INIT again with
    // message ID 0 (frame 3), answered in frame 4.
    let a = analyse("zeek-plugin-ikev2/ikev2.pcap", |_| true);
    assert_eq!(uint(&a[&1], Field::ResponseIn), [2]);
    assert_eq!(uint(&a[&3], Field::ResponseIn), [4]);
    assert_eq!(uint(&a[&4], Field::ResponseTo), [3]);
    assert!(a[&3].1.find(Field::RetransmissionOf).next().is_none());
}

#[test]
fn retransmitted_requests_point_at_the_original() {
    // ipsec_client.pcap: the IP-fragmented IKE_AUTH request (frame 5) is
    // sent again in frames 8 and 11, byte for byte.
    let a = analyse("zeek-spicy-ipsec/ipsec_client.pcap", |_| true);
    assert!(a[&5].1.find(Field::RetransmissionOf).next().is_none());
    assert_eq!(uint(&a[&8], Field::RetransmissionOf), [5]);
    assert_eq!(uint(&a[&11], Field::RetransmissionOf), [5]);
    assert!(a[&8]
        .1
        .experts
        .iter()
        .any(|e| e.expert == rike::dissect::Expert::Retransmission));
}

#[test]
fn fragments_are_grouped_without_keys() {
    // zeek-plugin-ikev2: IKE_AUTH in SKF fragments 1/2 (frame 5) and 2/2
    // (frame 6), answered in frame 7.
    let a = analyse("zeek-plugin-ikev2/ikev2.pcap", |_| true);
    assert_eq!(uint(&a[&5], Field::ReassembledIn), [6]);
    assert_eq!(uint(&a[&6], Field::ReassembledIn), [6]);
    assert_eq!(uint(&a[&6], Field::Fragment), [5, 6]);
    assert_eq!(uint(&a[&7], Field::ResponseTo), [5]);
    assert_eq!(uint(&a[&5], Field::ResponseIn), [7]);
    // Fragments are not retransmissions of each other.
    assert!(a[&6].1.find(Field::RetransmissionOf).next().is_none());
}

#[test]
fn missing_fragments_are_named() {
    // The crafted IKE_AUTH in 4 fragments, frame 3 (fragment 3/4) dropped.
    let a = analyse("crafted/ikev2-fragments.pcap", |f| f != 3);
    for f in [1, 2, 4] {
        assert_eq!(text(&a[&f], Field::FragmentsMissing), ["3"], "frame {f}");
        assert!(a[&f].1.find(Field::ReassembledIn).next().is_none());
    }
    assert!(text(&a[&4], Field::FragmentsReceived)[0].contains("fragment 4 of 4"));
    // All four: reassembled in frame 4, nothing missing.
    let a = analyse("crafted/ikev2-fragments.pcap", |_| true);
    assert_eq!(uint(&a[&1], Field::ReassembledIn), [4]);
    assert!(a[&4].1.find(Field::FragmentsMissing).next().is_none());
}

#[test]
fn reset_forgets_everything() {
    let data = std::fs::read(data_dir().join("tcpdump/ikev2four.pcap")).unwrap();
    let mut state = CaptureState::new();
    let segs = rike::capture::udp_and_tcp_payloads(&data).unwrap();
    let mut first = None;
    for s in &segs {
        if let rike::capture::Segment::Udp { frame, payload, .. } = s {
            let info = PduInfo {
                frame: *frame,
                time_ns: 0,
                visited: false,
                carrier: rike::dissect::Carrier::Plain,
            };
            let d = state.dissect(&info, payload);
            if *frame == 2 {
                first = Some(d.find(Field::ResponseTo).count());
            }
        }
    }
    assert_eq!(first, Some(1));
    state.reset();
    // After a reset, frame 2 seen alone has no request to point at.
    let rike::capture::Segment::Udp { payload, .. } = &segs[1] else {
        panic!()
    };
    let info = PduInfo {
        frame: 2,
        time_ns: 0,
        visited: true,
        carrier: rike::dissect::Carrier::Plain,
    };
    assert_eq!(
        state
            .dissect(&info, payload)
            .find(Field::ResponseTo)
            .count(),
        0
    );
}

/// Every key file of tests/data, for the no-tree comparison.
fn all_keys(state: &mut CaptureState) {
    let d = data_dir();
    let mut paths = vec![
        d.join("keys/wireshark_ikev1_decryption_table.csv"),
        d.join("keys/verified_wireshark_ikev2_decryption_table.csv"),
        d.join("crafted/ikev2_decryption_table"),
    ];
    for e in std::fs::read_dir(d.join("strongswan")).unwrap().flatten() {
        if e.path().is_dir() {
            paths.push(e.path());
        }
    }
    for p in paths {
        state.keys_mut().load_path(&p).unwrap();
    }
}

/// The experts of a dissection as (kind, offset, text).
fn experts(d: &Dissection) -> Vec<(String, u32, String)> {
    d.experts
        .iter()
        .map(|e| {
            (
                format!("{:?}", e.expert),
                e.offset,
                d.text_of(e.text).to_owned(),
            )
        })
        .collect()
}

/// Wireshark's passes without a tree (`dissect_summary`, what the plugin
/// asks for with RIKE_PDU_NO_TREE) give the same summary, expert infos,
/// ESP offset and decrypted sources as with one, and no records; and a
/// state that saw the first pass without trees gives the same trees on the
/// second pass as one that built trees all along. Over every capture, with
/// every key of tests/data.
#[test]
fn a_pass_without_a_tree_learns_the_same_and_shows_the_same_summary() {
    let (mut frames, mut experts_seen) = (0usize, 0usize);
    for path in common::captures() {
        let data = std::fs::read(&path).unwrap();
        let pdus_all = pdus_of(&data);
        let (mut full, mut lean) = (CaptureState::new(), CaptureState::new());
        all_keys(&mut full);
        all_keys(&mut lean);
        let name = common::rel(&path);
        for visited in [false, true] {
            for (frame, time_ns, carrier, bytes) in &pdus_all {
                let info = PduInfo {
                    frame: *frame,
                    time_ns: *time_ns,
                    visited,
                    carrier: *carrier,
                };
                let a = full.dissect_captured(&info, bytes, bytes.len());
                let b = if visited {
                    lean.dissect_captured(&info, bytes, bytes.len())
                } else {
                    lean.dissect_summary(&info, bytes, bytes.len())
                };
                let at = format!("{name} frame {frame} (second pass: {visited})");
                assert_eq!(a.summary, b.summary, "{at}");
                assert_eq!(experts(&a), experts(&b), "{at}");
                assert_eq!(a.esp, b.esp, "{at}");
                assert_eq!(a.sources, b.sources, "{at}");
                if visited {
                    assert_eq!(a.records, b.records, "{at}");
                    assert_eq!(a.text, b.text, "{at}");
                } else {
                    assert!(b.records.is_empty(), "{at}");
                    frames += 1;
                    experts_seen += b.experts.len();
                }
            }
        }
    }
    assert!(frames > 400, "only {frames} PDUs compared");
    assert!(
        experts_seen > 50,
        "only {experts_seen} expert infos compared"
    );
}
