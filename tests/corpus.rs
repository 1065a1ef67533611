//! The whole capture corpus: every capture dissects without a panic, the
//! malformed ones are reported as such, and every well-formed IKE message
//! parses strictly and re-emits byte for byte.

mod common;

use std::collections::BTreeSet;

use common::*;
use rike::dissect::Carrier;
use rike::wire::transport::{classify_tcp_frame, classify_udp_encap, Encapsulated};

/// Captures made to break parsers (tcpdump CVE/OOB reproducers, zeek's
/// bad-length cases) and openswan's bad-KE case: each must yield at least
/// one expert info.
const MALFORMED: &[&str] = &[
    "tcpdump/ikev1_id_ipv6_addr_subnet-oobr.pcap",
    "tcpdump/ikev2-id-short.pcap",
    "tcpdump/ikev2-id-normal.pcap",
    "tcpdump/ikev2pI2-segfault.pcapng",
    "tcpdump/isakmp-3948-oobr-2.pcap",
    "tcpdump/isakmp-delete-segfault.pcap",
    "tcpdump/isakmp-identification-segfault.pcap",
    "tcpdump/isakmp-ikev1_n_print-oobr.pcap",
    "tcpdump/isakmp-no-none-np.pcapng",
    "tcpdump/isakmp-pointer-loop.pcap",
    "tcpdump/isakmp-rfc3948-oobr.pcap",
    "tcpdump/isakmp-various-oobr.pcap",
    "tcpdump/isakmpv1-attr-oobr.pcap",
    "zeek-spicy-ipsec/ipsec-ikev1-payload-bad-length.pcap",
    "zeek-spicy-ipsec/ipsec-ikev1-zero-length.pcap",
    "openswan-libpluto/libpluto__lp08-parentR1__parentI1badKE.pcap",
    "openswan-libpluto/libpluto__lp08-parentR1__parentR1notify.pcap",
];

/// (capture, frame) of the IKE messages that must fail the strict parse.
const STRICT_INVALID: &[(&str, u32)] = &[
    (
        "openswan-libpluto/libpluto__lp08-parentR1__parentR1notify.pcap",
        1,
    ),
    (
        "openswan-libpluto/libpluto__lp08-parentR1__parentR1notify.pcap",
        2,
    ),
    ("tcpdump/ikev1_id_ipv6_addr_subnet-oobr.pcap", 1),
    ("tcpdump/ikev2-id-normal.pcap", 1),
    ("tcpdump/ikev2-id-short.pcap", 1),
    ("tcpdump/ikev2pI2-segfault.pcapng", 1),
    ("tcpdump/isakmp-delete-segfault.pcap", 1),
    ("tcpdump/isakmp-ikev1_n_print-oobr.pcap", 1),
    ("tcpdump/isakmp-ikev1_n_print-oobr.pcap", 3),
    ("tcpdump/isakmp-no-none-np.pcapng", 1),
    ("tcpdump/isakmp-pointer-loop.pcap", 1),
    ("tcpdump/isakmp-various-oobr.pcap", 1),
    ("tcpdump/isakmpv1-attr-oobr.pcap", 1),
    ("zeek-spicy-ipsec/ipsec-ikev1-payload-bad-length.pcap", 1),
    ("zeek-spicy-ipsec/ipsec-ikev1-zero-length.pcap", 1),
];

fn ike_of(carrier: Carrier, bytes: &[u8]) -> Option<&[u8]> {
    match carrier {
        Carrier::Plain => Some(bytes),
        Carrier::UdpEncap => match classify_udp_encap(bytes) {
            Ok(Encapsulated::Ike(i)) => Some(i),
            _ => None,
        },
        Carrier::TcpFrame => match classify_tcp_frame(bytes.get(2..)?, 2) {
            Ok(Encapsulated::Ike(i)) => Some(i),
            _ => None,
        },
        Carrier::TcpPrefix => None,
    }
}

#[test]
fn every_capture_dissects_and_malformed_ones_say_so() {
    let caps = captures();
    assert!(caps.len() >= 130, "corpus missing: {} captures", caps.len());
    for m in MALFORMED {
        assert!(caps.iter().any(|c| rel(c) == *m), "{m} not in tests/data");
    }
    for cap in &caps {
        let name = rel(cap);
        let data = std::fs::read(cap).unwrap();
        let (ours, err) = dissect_capture(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(err.is_none(), "{name}: {err:?}");
        let experts: usize = ours.iter().map(|d| d.dissection.experts.len()).sum();
        if MALFORMED.contains(&name.as_str()) {
            assert!(
                experts > 0,
                "{name}: malformed capture without an expert info"
            );
        }
        for d in &ours {
            // Records stay inside the buffer and nest one level at a time.
            let mut depth = 0u8;
            for r in &d.dissection.records {
                assert!(r.depth <= depth + 1, "{name} frame {}: depth jump", d.frame);
                depth = r.depth;
                if r.value.is_none() {
                    let end = r.offset as usize + r.length as usize;
                    assert!(
                        end <= d.bytes.len(),
                        "{name} frame {}: record past end",
                        d.frame
                    );
                }
            }
        }
    }
}

#[test]
fn well_formed_messages_parse_strictly_and_round_trip() {
    let expected_invalid: BTreeSet<(String, u32)> = STRICT_INVALID
        .iter()
        .map(|(c, f)| ((*c).to_owned(), *f))
        .collect();
    let mut invalid = BTreeSet::new();
    let (mut total, mut valid) = (0usize, 0usize);
    for cap in captures() {
        let name = rel(&cap);
        let data = std::fs::read(&cap).unwrap();
        let cap = rike::capture::Capture::parse(&data).unwrap();
        let mut dec = rike::capture::Decoder::new();
        let mut ex = rike::capture::PduExtractor::new(rike::capture::Ports::default());
        let (mut segs, mut pdus) = (Vec::new(), Vec::new());
        for f in cap.frames() {
            let f = f.unwrap();
            segs.clear();
            dec.decode(&f, &mut segs);
            pdus.clear();
            for s in &segs {
                ex.push(s, &mut pdus);
            }
            for p in &pdus {
                let Some(ike) = ike_of(p.carrier, &p.bytes) else {
                    continue;
                };
                total += 1;
                match rike::wire::validate(ike) {
                    Ok(_) => {
                        valid += 1;
                        let again = rike::wire::reemit::reemit(ike)
                            .unwrap_or_else(|e| panic!("{name} frame {}: {e}", p.frame));
                        assert_eq!(again, ike, "{name} frame {}: re-emission differs", p.frame);
                    }
                    Err(_) => {
                        invalid.insert((name.clone(), p.frame));
                    }
                }
            }
        }
    }
    assert_eq!(invalid, expected_invalid);
    eprintln!("{valid} of {total} IKE messages parse strictly and round-trip");
    assert!(valid >= 380, "only {valid} valid messages");
    assert_eq!(total, valid + expected_invalid.len());
}
