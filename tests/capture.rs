//! Integration tests of `rike::capture` against real captures.
//!
//! Expected values were read from the same files with tshark 4.0 (the
//! commands are quoted next to each expectation). Files under
//! `tests/data/derived/` are produced by `tests/data/derived/make_derived.py`
//! from the public captures and were read back with tshark as well.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use rike::capture::{
    udp_and_tcp_payloads, Capture, CaptureError, Decoder, Direction, Format, Frame, Limits,
    LinkType, Segment, Timestamp,
};

macro_rules! data {
    ($path:literal) => {
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/", $path))
            .expect(concat!("missing test capture ", $path))
    };
}

/// Everything a capture yields: frames, segments (after `finish`), error.
struct Decoded {
    frames: Vec<Frame<'static>>,
    segments: Vec<Segment<'static>>,
    error: Option<CaptureError>,
}

fn decode(file: &[u8]) -> Decoded {
    decode_with(file, Limits::default())
}

fn decode_with(file: &[u8], limits: Limits) -> Decoded {
    // Leak the buffer so frames can be kept as 'static in the result.
    let file: &'static [u8] = Box::leak(file.to_vec().into_boxed_slice());
    let capture = Capture::parse(file).expect("capture header");
    let mut decoder = Decoder::with_limits(limits);
    let mut frames = Vec::new();
    let mut segments = Vec::new();
    let mut error = None;
    for frame in capture.frames() {
        match frame {
            Ok(frame) => {
                let before = segments.len();
                decoder.decode(&frame, &mut segments);
                assert!(
                    segments.len() > before,
                    "frame {} yielded nothing",
                    frame.number
                );
                frames.push(frame);
            }
            Err(e) => error = Some(e),
        }
    }
    let mut tail = Vec::new();
    decoder.finish(&mut tail);
    segments.extend(tail);
    Decoded {
        frames,
        segments: segments.into_iter().map(Segment::into_owned).collect(),
        error,
    }
}

fn udp(segments: &[Segment<'_>]) -> Vec<(u32, SocketAddr, SocketAddr, Vec<u8>)> {
    segments
        .iter()
        .filter_map(|s| match s {
            Segment::Udp {
                frame,
                src,
                dst,
                payload,
                ..
            } => Some((*frame, *src, *dst, payload.to_vec())),
            _ => None,
        })
        .collect()
}

fn skipped(segments: &[Segment<'_>]) -> Vec<(u32, &'static str)> {
    segments
        .iter()
        .filter_map(|s| match s {
            Segment::Skipped { frame, reason } => Some((*frame, *reason)),
            _ => None,
        })
        .collect()
}

/// Concatenated TCP bytes of one stream direction.
fn tcp_stream(segments: &[Segment<'_>], stream_id: u32, dir: Direction) -> Vec<u8> {
    let mut v = Vec::new();
    for s in segments {
        if let Segment::Tcp {
            stream,
            direction,
            data,
            ..
        } = s
        {
            if *stream == stream_id && *direction == dir {
                v.extend_from_slice(data);
            }
        }
    }
    v
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn sock(ip: [u8; 4], port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port)
}

// ---------------------------------------------------------------------------
// Real captures
// ---------------------------------------------------------------------------

/// `tshark -r tcpdump/ikev2four.pcap -T fields -e udp.length`
const IKEV2FOUR_UDP_LENGTHS: [usize; 21] = [
    384, 68, 416, 312, 244, 164, 260, 228, 84, 84, 292, 260, 212, 212, 292, 260, 212, 212, 372,
    324, 100,
];

fn check_ikev2four(d: &Decoded) {
    assert!(d.error.is_none());
    assert_eq!(d.frames.len(), 21);
    let udp = udp(&d.segments);
    assert_eq!(udp.len(), 21);
    // All 21 datagrams are 500 -> 500; 11 from 192.168.1.2, 10 from .1.
    assert!(udp
        .iter()
        .all(|(_, s, d, _)| s.port() == 500 && d.port() == 500));
    let from_2 = udp
        .iter()
        .filter(|(_, s, _, _)| s.ip() == IpAddr::V4(Ipv4Addr::new(192, 168, 1, 2)))
        .count();
    assert_eq!(from_2, 11);
    let lengths: Vec<usize> = udp.iter().map(|(_, _, _, p)| p.len() + 8).collect();
    assert_eq!(lengths, IKEV2FOUR_UDP_LENGTHS);
    let frames: Vec<u32> = udp.iter().map(|u| u.0).collect();
    assert_eq!(frames, (1..=21).collect::<Vec<_>>());
}

#[test]
fn ikev2four_null_loopback() {
    let file = data!("tcpdump/ikev2four.pcap");
    let cap = Capture::parse(&file).unwrap();
    assert_eq!(
        cap.format(),
        Format::Pcap {
            big_endian: false,
            nanosecond: false,
            link_type: LinkType::NULL
        }
    );
    let d = decode(&file);
    check_ikev2four(&d);
    // tshark -e frame.time_epoch: 1186402884.386989000
    assert_eq!(
        d.frames[0].timestamp,
        Timestamp {
            secs: 1186402884,
            nanos: 386989000
        }
    );
    assert_eq!(d.frames[0].link_type, LinkType::NULL);
    // Payloads borrow from the file buffer when nothing was reassembled.
    let cap = Capture::parse(&file).unwrap();
    let frame = cap.frames().next().unwrap().unwrap();
    let mut out = Vec::new();
    Decoder::new().decode(&frame, &mut out);
    assert!(matches!(
        &out[0],
        Segment::Udp {
            payload: Cow::Borrowed(_),
            ..
        }
    ));
}

#[test]
fn ikev2four_variants_big_endian_nanosecond_cooked_loop() {
    let reference = udp(&decode(&data!("tcpdump/ikev2four.pcap")).segments);
    let variants = [
        (
            data!("derived/ikev2four-be.pcap"),
            LinkType::NULL,
            true,
            false,
        ),
        (
            data!("derived/ikev2four-be-nsec.pcap"),
            LinkType::NULL,
            true,
            true,
        ),
        (
            data!("derived/ikev2four-sll.pcap"),
            LinkType::LINUX_SLL,
            false,
            false,
        ),
        (
            data!("derived/ikev2four-sll2.pcap"),
            LinkType::LINUX_SLL2,
            false,
            false,
        ),
        (
            data!("derived/ikev2four-loop.pcap"),
            LinkType::LOOP,
            false,
            false,
        ),
    ];
    for (file, link_type, big_endian, nanosecond) in variants {
        assert_eq!(
            Capture::parse(&file).unwrap().format(),
            Format::Pcap {
                big_endian,
                nanosecond,
                link_type
            }
        );
        let d = decode(&file);
        check_ikev2four(&d);
        assert_eq!(udp(&d.segments), reference);
        // tshark -e frame.time_epoch on ikev2four-be-nsec.pcap:
        // 1186402884.386989001, ..., frame 14: 1186402884.462453014
        let nanos = if nanosecond {
            [386989001, 462453014]
        } else {
            [386989000, 462453000]
        };
        assert_eq!(d.frames[0].timestamp.nanos, nanos[0]);
        assert_eq!(d.frames[13].timestamp.nanos, nanos[1]);
        assert_eq!(d.frames[13].timestamp.secs, 1186402884);
    }
}

#[test]
fn ipsec_client_ip_fragment_reassembly() {
    // tshark -2 -r ipsec_client.pcap -e frame.number -e ip.reassembled_in -e udp.length:
    // frames 3,4 -> reassembled in 5, 6,7 -> 8, 9,10 -> 11; udp.length 3480.
    let d = decode(&data!("zeek-spicy-ipsec/ipsec_client.pcap"));
    assert!(d.error.is_none());
    let udp = udp(&d.segments);
    let summary: Vec<(u32, u16, usize)> = udp
        .iter()
        .map(|(f, _, dst, p)| (*f, dst.port(), p.len() + 8))
        .collect();
    assert_eq!(
        summary,
        [
            (1, 500, 888),
            (2, 500, 316),
            (5, 4500, 3480),
            (8, 4500, 3480),
            (11, 4500, 3480)
        ]
    );
    let pending: Vec<u32> = skipped(&d.segments)
        .iter()
        .filter(|(_, r)| r.contains("reassembly pending"))
        .map(|(f, _)| *f)
        .collect();
    assert_eq!(pending, [3, 4, 6, 7, 9, 10]);
    // tshark -2 -Y frame.number==5 -e udp.payload: 3472 bytes, non-ESP marker
    // then the IKE_AUTH header.
    let payload = &udp[2].3;
    assert_eq!(payload.len(), 3472);
    assert_eq!(
        payload[..32],
        hex("00000000238671c80375a0fb73d16a42f60ef7f02e2023080000000100000d8c")[..]
    );
    assert_eq!(
        payload[3472 - 16..],
        hex("04ee5923ac3c0581f4ad892bcd2cc841")[..]
    );
    assert_eq!(udp[2].1, sock([192, 168, 0, 10], 4500));
    assert_eq!(udp[2].2, sock([144, 76, 154, 114], 4500));
}

#[test]
fn ikev2_nat_t_pcapng_nanoseconds() {
    let file = data!("scapy/ikev2_nat_t.pcapng");
    assert_eq!(
        Capture::parse(&file).unwrap().format(),
        Format::PcapNg { big_endian: false }
    );
    let d = decode(&file);
    assert!(d.error.is_none());
    assert_eq!(d.frames.len(), 54);
    // tshark -e frame.time_epoch (if_tsresol = 9): first and last frame.
    assert_eq!(
        d.frames[0].timestamp,
        Timestamp {
            secs: 1623613953,
            nanos: 582635172
        }
    );
    assert_eq!(
        d.frames[53].timestamp,
        Timestamp {
            secs: 1623613983,
            nanos: 755091229
        }
    );
    assert!(d.frames.iter().all(|f| f.link_type == LinkType::ETHERNET));
    // tshark -e udp.length
    let expected = [
        312, 317, 1292, 1284, 128, 128, 128, 128, 128, 128, 128, 128, 84, 76, 84, 76, 84, 76, 320,
        325, 1300, 1292, 128, 128, 128, 128, 128, 128, 128, 128, 84, 76, 84, 76, 84, 76, 320, 325,
        1308, 1308, 144, 144, 144, 144, 144, 144, 144, 144, 92, 92, 92, 92, 92, 92,
    ];
    let udp = udp(&d.segments);
    let lengths: Vec<usize> = udp.iter().map(|u| u.3.len() + 8).collect();
    assert_eq!(lengths, expected);
    let to_4500 = udp.iter().filter(|u| u.2.port() == 4500).count();
    let from_4500 = udp.iter().filter(|u| u.1.port() == 4500).count();
    assert_eq!((to_4500, from_4500), (27, 27));
}

#[test]
fn multi_section_pcapng() {
    // tshark -2 -r derived/multi-section.pcapng -e frame.number
    //   -e frame.interface_id -e frame.time_epoch -e frame.encap_type
    //   -e udp.length -e ip.reassembled_in -e tcp.len
    let file = data!("derived/multi-section.pcapng");
    assert_eq!(
        Capture::parse(&file).unwrap().format(),
        Format::PcapNg { big_endian: true }
    );
    let d = decode(&file);
    assert!(d.error.is_none(), "{:?}", d.error);
    // Frame 2 is a custom block: numbered by Wireshark, not a packet.
    let numbers: Vec<u32> = d.frames.iter().map(|f| f.number).collect();
    assert_eq!(numbers, [1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    let summary: Vec<(u32, LinkType, i64, u32)> = d
        .frames
        .iter()
        .map(|f| {
            (
                f.interface,
                f.link_type,
                f.timestamp.secs,
                f.timestamp.nanos,
            )
        })
        .collect();
    let l = LinkType;
    assert_eq!(
        summary,
        [
            (0, l(0), 1186402884, 386989000),
            (1, l(1), 1421270042, 910095007),
            (1, l(1), 1421270042, 910105007), // obsolete packet block
            (1, l(1), 1421270042, 910124007),
            (2, l(228), 1717200000, 179999351), // 2^-20 s units
            (2, l(228), 1717200000, 189999580),
            (2, l(228), 1717200000, 199999809),
            (2, l(228), 1717200000, 209999084),
            (2, l(228), 1717200000, 219999313),
            (2, l(228), 1717200000, 229999542),
            (2, l(228), 1717200000, 239999771),
            (0, l(276), 1186402884, 390720000), // second section, LE
            (0, l(276), 0, 0),                  // simple packet block
        ]
    );
    let udp: Vec<(u32, usize)> = udp(&d.segments)
        .iter()
        .map(|u| (u.0, u.3.len() + 8))
        .collect();
    assert_eq!(udp, [(1, 384), (5, 3480), (13, 68), (14, 416)]);
    assert_eq!(
        tcp_stream(&d.segments, 0, Direction::ClientToServer).len(),
        666
    );
    assert_eq!(
        tcp_stream(&d.segments, 0, Direction::ServerToClient).len(),
        442
    );
}

/// Parses tshark's `-z follow,tcp,raw,N` output into (node 0, node 1) bytes.
fn parse_follow(text: &str) -> (Vec<u8>, Vec<u8>) {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for line in text.lines() {
        if line.is_empty() || line.contains(':') || line.starts_with('=') {
            continue;
        }
        match line.strip_prefix('\t') {
            Some(h) => b.extend(hex(h)),
            None => a.extend(hex(line)),
        }
    }
    (a, b)
}

#[test]
fn rfc8229_tcp_stream_matches_tshark_follow() {
    let d = decode(&data!("crafted/ikev2-tcp-rfc8229.pcap"));
    assert!(d.error.is_none());
    let follow =
        String::from_utf8(data!("crafted/ikev2-tcp-rfc8229.follow-tcp-raw-0.txt")).unwrap();
    let (client, server) = parse_follow(&follow);
    assert_eq!((client.len(), server.len()), (666, 442));
    let c2s = tcp_stream(&d.segments, 0, Direction::ClientToServer);
    let s2c = tcp_stream(&d.segments, 0, Direction::ServerToClient);
    assert!(c2s.starts_with(b"IKETCP"));
    assert_eq!(c2s, client);
    assert_eq!(s2c, server);
    // tshark: data in frames 4 (440), 5 (442), 6 (113), 7 (113).
    let chunks: Vec<(u32, Direction, SocketAddr, usize)> = d
        .segments
        .iter()
        .filter_map(|s| match s {
            Segment::Tcp {
                frame,
                stream: 0,
                direction,
                src,
                data,
                ..
            } => Some((*frame, *direction, *src, data.len())),
            _ => None,
        })
        .collect();
    let c = sock([192, 0, 2, 10], 40000);
    let s = sock([198, 51, 100, 20], 4500);
    use Direction::*;
    assert_eq!(
        chunks,
        [
            (4, ClientToServer, c, 440),
            (5, ServerToClient, s, 442),
            (6, ClientToServer, c, 113),
            (7, ClientToServer, c, 113)
        ]
    );
    let same = udp_and_tcp_payloads(&data!("crafted/ikev2-tcp-rfc8229.pcap")).unwrap();
    assert_eq!(same.len(), 4);
}

#[test]
fn tcp_reorder_retransmission_overlap_and_gap() {
    // tshark -r derived/tcp-reorder.pcap -q -z follow,tcp,raw,0 / ,1:
    // stream 0 node 0: "IKETCPAAAA" "B"x10 "C"x10 "DDDDD" "EEEE";
    //          node 1: "srv0" "srv1"
    // stream 1 node 0: "six1" [4 bytes missing in capture file] "six3";
    //          node 1: "back"
    let d = decode(&data!("derived/tcp-reorder.pcap"));
    assert!(d.error.is_none());
    use Direction::*;
    assert_eq!(
        tcp_stream(&d.segments, 0, ClientToServer),
        b"IKETCPAAAABBBBBBBBBBCCCCCCCCCCDDDDDEEEE"
    );
    assert_eq!(tcp_stream(&d.segments, 0, ServerToClient), b"srv0srv1");
    assert_eq!(tcp_stream(&d.segments, 1, ClientToServer), b"six1six3");
    assert_eq!(tcp_stream(&d.segments, 1, ServerToClient), b"back");
    let events: Vec<(u32, u32, Direction, String)> = d
        .segments
        .iter()
        .filter_map(|s| match s {
            Segment::Tcp {
                frame,
                stream,
                direction,
                data,
                ..
            } => Some((
                *frame,
                *stream,
                *direction,
                String::from_utf8_lossy(data).into_owned(),
            )),
            Segment::TcpGap {
                frame,
                stream,
                direction,
                missing,
                ..
            } => Some((*frame, *stream, *direction, format!("<gap {missing}>"))),
            _ => None,
        })
        .collect();
    let e = |f, s, d, t: &str| (f, s, d, t.to_string());
    assert_eq!(
        events,
        [
            e(2, 0, ServerToClient, "srv0"), // data on the SYN-ACK
            e(4, 0, ClientToServer, "IKETCPAAAA"),
            // frame 5 is buffered (out of order), delivered when 6 fills the gap
            e(6, 0, ClientToServer, "BBBBBBBBBB"),
            e(6, 0, ClientToServer, "CCCCCCCCCC"),
            // frame 7: retransmission; frame 8: 5 bytes overlap, 5 new
            e(8, 0, ClientToServer, "DDDDD"),
            e(9, 0, ServerToClient, "srv1"),
            e(10, 0, ClientToServer, "EEEE"),
            e(13, 1, ClientToServer, "six1"),
            // frame 14 waits behind a hole that frame 15 acknowledges
            e(15, 1, ClientToServer, "<gap 4>"),
            e(15, 1, ClientToServer, "six3"),
            e(16, 1, ServerToClient, "back"),
        ]
    );
    let reasons = skipped(&d.segments);
    assert!(reasons.contains(&(5, "TCP out-of-order segment (buffered)")));
    assert!(reasons.contains(&(7, "TCP retransmission (no new data)")));
    assert!(reasons.contains(&(1, "TCP segment without payload")));
}

#[test]
fn esp_counted_raw_including_ah_tunnel() {
    // tshark -e esp.spi -e esp.sequence: AH (spi 0x8179b705 / 0xba8bd060)
    // then ESP, alternating 0x48dac2e4 / 0xfb5128a6, sequence 1..5.
    let d = decode(&data!("zeek-spicy-ipsec/IPsec_ESP-AH_tunnel_mode.cap"));
    let esp: Vec<(u32, u32, u32, usize)> = d
        .segments
        .iter()
        .filter_map(|s| match s {
            Segment::Esp { frame, payload, .. } => Some((
                *frame,
                u32::from_be_bytes(payload[..4].try_into().unwrap()),
                u32::from_be_bytes(payload[4..8].try_into().unwrap()),
                payload.len(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(esp.len(), 10);
    for (i, (frame, spi, seq, len)) in esp.iter().enumerate() {
        assert_eq!(*frame, i as u32 + 1);
        let expect_spi = if i % 2 == 0 { 0x48dac2e4 } else { 0xfb5128a6 };
        assert_eq!((*spi, *seq), (expect_spi, i as u32 / 2 + 1));
        // ip.len 180 - 20 (IPv4) - 24 (AH)
        assert_eq!(*len, 136);
    }

    // ipsec.cap: 11 ISAKMP datagrams then 16 ESP packets (frames 12-27).
    let d = decode(&data!("zeek-spicy-ipsec/ipsec.cap"));
    assert_eq!(udp(&d.segments).len(), 11);
    let esp: Vec<(u32, u32, u32)> = d
        .segments
        .iter()
        .filter_map(|s| match s {
            Segment::Esp { frame, payload, .. } => Some((
                *frame,
                u32::from_be_bytes(payload[..4].try_into().unwrap()),
                u32::from_be_bytes(payload[4..8].try_into().unwrap()),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(esp.len(), 16);
    assert_eq!(esp[0], (12, 0x1c0d7b38, 1));
    assert_eq!(esp[9], (21, 0x1c0d7b38, 6));
    assert_eq!(esp[15], (27, 0x1c0d7b38, 9));
}

#[test]
fn isakmp4500_ports_and_arp() {
    // tshark -e udp.dstport -e arp.opcode: 8 ARP, 4 x port 500, 23 x 4500.
    let d = decode(&data!("tcpdump/isakmp4500.pcap"));
    let udp = udp(&d.segments);
    assert_eq!(udp.iter().filter(|u| u.2.port() == 500).count(), 4);
    assert_eq!(udp.iter().filter(|u| u.2.port() == 4500).count(), 23);
    let arp = skipped(&d.segments)
        .iter()
        .filter(|(_, r)| *r == "ARP")
        .count();
    assert_eq!(arp, 8);
}

#[test]
fn raw_ip_and_truncated_frames() {
    // LINKTYPE_RAW (101): tshark udp.length 248 from 212.158.157.2:500.
    let d = decode(&data!("suricata-verify/IKEv2_SA_INIT_2-8-weak.pcap"));
    assert_eq!(d.frames[0].link_type, LinkType::RAW);
    let udp = udp(&d.segments);
    assert_eq!(udp.len(), 1);
    assert_eq!(udp[0].1, sock([212, 158, 157, 2], 500));
    assert_eq!(udp[0].3.len() + 8, 248);

    // tshark: frame.len 65613, frame.cap_len 46, "[Packet size limited during capture]"
    let d = decode(&data!("tcpdump/esp_truncated.pcap"));
    assert_eq!(
        (d.frames[0].original_len, d.frames[0].data.len()),
        (65613, 46)
    );
    // The datagram is handed on with what was captured, marked truncated,
    // so a dissector can still show its first bytes (as tshark does).
    assert_eq!(d.segments.len(), 1);
    match &d.segments[0] {
        Segment::Udp {
            truncated, payload, ..
        } => {
            assert!(*truncated);
            assert!(payload.len() < 65613);
        }
        other => panic!("expected a truncated UDP segment, got {other:?}"),
    }
}

#[test]
fn every_capture_in_tests_data_reads_cleanly() {
    // All public captures in the corpus are well-formed containers (tshark
    // reads them all); their frames must decode without container errors.
    fn walk(dir: &std::path::Path, files: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, files);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng" | "cap")
            ) {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data")),
        &mut files,
    );
    assert!(files.len() >= 10);
    for path in files {
        let file = std::fs::read(&path).unwrap();
        let d = decode(&file);
        assert!(d.error.is_none(), "{}: {:?}", path.display(), d.error);
        assert!(!d.frames.is_empty(), "{}", path.display());
    }
}

// ---------------------------------------------------------------------------
// Hand-built captures
// ---------------------------------------------------------------------------

/// A little-endian microsecond pcap with the given frames.
fn pcap(link_type: u32, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&4u16.to_le_bytes());
    v.extend_from_slice(&[0; 8]);
    v.extend_from_slice(&65535u32.to_le_bytes());
    v.extend_from_slice(&link_type.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        v.extend_from_slice(&(1000 + i as u32).to_le_bytes());
        v.extend_from_slice(&0u32.to_le_bytes());
        v.extend_from_slice(&(f.len() as u32).to_le_bytes());
        v.extend_from_slice(&(f.len() as u32).to_le_bytes());
        v.extend_from_slice(f);
    }
    v
}

fn ipv4(proto: u8, src: [u8; 4], dst: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x45, 0];
    v.extend_from_slice(&(20 + payload.len() as u16).to_be_bytes());
    v.extend_from_slice(&[0, 1, 0x40, 0, 64, proto, 0, 0]);
    v.extend_from_slice(&src);
    v.extend_from_slice(&dst);
    v.extend_from_slice(payload);
    v
}

fn udp_datagram(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&sport.to_be_bytes());
    v.extend_from_slice(&dport.to_be_bytes());
    v.extend_from_slice(&(8 + payload.len() as u16).to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(payload);
    v
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const FIN: u8 = 0x01;

/// A raw IPv4 TCP segment between 10.0.0.1 (`client` = true) and 10.0.0.2.
fn tcp(client: bool, seq: u32, ack: u32, flags: u8, data: &[u8]) -> Vec<u8> {
    let (sport, dport) = if client {
        (40000u16, 4500u16)
    } else {
        (4500, 40000)
    };
    let mut t = Vec::new();
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.extend_from_slice(&[5 << 4, flags, 0x20, 0, 0, 0, 0, 0]);
    t.extend_from_slice(data);
    let (a, b) = ([10, 0, 0, 1], [10, 0, 0, 2]);
    if client {
        ipv4(6, a, b, &t)
    } else {
        ipv4(6, b, a, &t)
    }
}

#[test]
fn linux_cooked_v1_and_v2_hand_built() {
    let ip = ipv4(
        17,
        [192, 0, 2, 1],
        [192, 0, 2, 2],
        &udp_datagram(500, 500, b"hello"),
    );
    // SLL: packet type 0 (to us), ARPHRD_ETHER, addr len 6, addr, protocol.
    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(&ip);
    // SLL2: protocol, reserved, ifindex, ARPHRD_ETHER, packet type, addr len, addr.
    let mut sll2 = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0,
    ];
    sll2.extend_from_slice(&ip);
    for (lt, frame) in [(113, sll), (276, sll2)] {
        let d = decode(&pcap(lt, &[frame]));
        let udp = udp(&d.segments);
        assert_eq!(udp.len(), 1, "link type {lt}");
        assert_eq!(udp[0].1, sock([192, 0, 2, 1], 500));
        assert_eq!(udp[0].3, b"hello");
    }
}

#[test]
fn tcp_handshake_variants_and_port_reuse() {
    use Direction::*;
    // SYN-ACK seen first: its receiver is the client.
    let frames = vec![
        tcp(false, 500, 101, SYN | ACK, b""),
        tcp(true, 101, 501, ACK, b"abc"),
        tcp(true, 100, 0, SYN, b""), // late retransmitted SYN: same stream
        tcp(true, 104, 501, ACK | FIN, b"de"),
        // New connection on the same ports with another ISN: stream 1.
        tcp(true, 9000, 0, SYN, b""),
        tcp(false, 7000, 9001, SYN | ACK, b""),
        tcp(true, 9001, 7001, ACK, b"xyz"),
    ];
    let d = decode(&pcap(228, &frames));
    assert_eq!(tcp_stream(&d.segments, 0, ClientToServer), b"abcde");
    assert_eq!(tcp_stream(&d.segments, 1, ClientToServer), b"xyz");
    let first = d
        .segments
        .iter()
        .find_map(|s| match s {
            Segment::Tcp { src, direction, .. } => Some((*src, *direction)),
            _ => None,
        })
        .unwrap();
    assert_eq!(first, (sock([10, 0, 0, 1], 40000), ClientToServer));

    // Data after the FIN is never delivered; data on a SYN (TCP Fast Open) is.
    let frames = vec![
        tcp(true, 0, 0, SYN, b"tfo"),
        tcp(true, 4, 0, ACK | FIN, b"x"),
        tcp(true, 6, 0, ACK, b"late"),
    ];
    let d = decode(&pcap(228, &frames));
    assert_eq!(tcp_stream(&d.segments, 0, ClientToServer), b"tfox");
    assert_eq!(skipped(&d.segments).last().unwrap().0, 3);

    // Sequence numbers wrapping around 2^32.
    let frames = vec![
        tcp(true, u32::MAX - 1, 0, SYN, b""),
        tcp(true, 1, 0, ACK, b"ccc"), // out of order: bytes 2..
        tcp(true, u32::MAX, 0, ACK, b"ab"),
    ];
    let d = decode(&pcap(228, &frames));
    assert_eq!(tcp_stream(&d.segments, 0, ClientToServer), b"abccc");
}

#[test]
fn tcp_buffer_limit_and_finish() {
    use Direction::*;
    // Out-of-order data behind a hole that is never filled.
    let frames = vec![
        tcp(true, 0, 0, SYN, b""),
        tcp(true, 1, 0, ACK, b"1111"),
        tcp(true, 9, 0, ACK, b"3333"),
        tcp(true, 13, 0, ACK, b"4444"),
        tcp(true, 21, 0, ACK, b"6666"),
    ];
    // With the default limits, the data waits for `finish`.
    let d = decode(&pcap(228, &frames));
    assert_eq!(
        tcp_stream(&d.segments, 0, ClientToServer),
        b"1111333344446666"
    );
    let gaps: Vec<u64> = d
        .segments
        .iter()
        .filter_map(|s| match s {
            Segment::TcpGap { missing, .. } => Some(*missing),
            _ => None,
        })
        .collect();
    assert_eq!(gaps, [4, 4]);
    // With a 6-byte buffer, the oldest gap is skipped as soon as it overflows.
    let limits = Limits {
        max_tcp_buffered_bytes: 6,
        ..Limits::default()
    };
    let d = decode_with(&pcap(228, &frames), limits);
    let at: Vec<(u32, bool)> = d
        .segments
        .iter()
        .filter_map(|s| match s {
            Segment::Tcp { frame, .. } => Some((*frame, false)),
            Segment::TcpGap { frame, .. } => Some((*frame, true)),
            _ => None,
        })
        .collect();
    assert_eq!(
        at,
        [
            (2, false),
            (4, true),
            (4, false),
            (4, false),
            (5, true),
            (5, false)
        ]
    );
    assert_eq!(
        tcp_stream(&d.segments, 0, ClientToServer),
        b"1111333344446666"
    );
    // Connection table is bounded.
    let frames: Vec<Vec<u8>> = (0..50u16)
        .map(|i| {
            let mut t = tcp(true, 0, 0, SYN, b"");
            t[20..22].copy_from_slice(&(1000 + i).to_be_bytes());
            t
        })
        .collect();
    let file = pcap(228, &frames);
    let cap = Capture::parse(&file).unwrap();
    let mut dec = Decoder::with_limits(Limits {
        max_tcp_connections: 8,
        ..Limits::default()
    });
    let mut out = Vec::new();
    for f in cap.frames() {
        dec.decode(&f.unwrap(), &mut out);
        assert!(dec.tcp_connections() <= 8);
    }
}

// ---------------------------------------------------------------------------
// Errors and garbage
// ---------------------------------------------------------------------------

#[test]
fn not_a_capture() {
    assert_eq!(
        Capture::parse(&[]).unwrap_err(),
        CaptureError::NotACapture { magic: None }
    );
    assert_eq!(
        Capture::parse(&[0u8; 4096]).unwrap_err(),
        CaptureError::NotACapture { magic: Some(0) }
    );
    let err = Capture::parse(b"GET / HTTP/1.1\r\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "not a pcap or pcapng capture file (unknown magic 0x47455420)"
    );
    let raw_ike =
        b"\x86\x43\x30\xac\x30\xb6\xe6\x40\x00\x00\x00\x00\x00\x00\x00\x00\x21\x20\x22\x08";
    assert!(matches!(
        Capture::parse(raw_ike),
        Err(CaptureError::NotACapture { .. })
    ));
}

#[test]
fn truncated_file_yields_good_frames_then_error() {
    let file = data!("tcpdump/ikev2four.pcap");
    // Cut in the middle of the last record (frame 21).
    let cut = &file[..file.len() - 10];
    let cap = Capture::parse(cut).unwrap();
    let items: Vec<_> = cap.frames().collect();
    assert_eq!(items.len(), 21);
    assert!(items[..20].iter().all(|i| i.is_ok()));
    let err = items[20].clone().unwrap_err();
    let full = Capture::parse(&file).unwrap();
    let last = full.frames().last().unwrap().unwrap();
    let last_offset = file.len() - 16 - last.data.len();
    assert_eq!(
        err,
        CaptureError::Truncated {
            offset: last_offset,
            what: "packet record"
        }
    );
    assert_eq!(
        err.to_string(),
        format!("capture file truncated: incomplete packet record at byte offset {last_offset}")
    );
    assert!(!err.to_string().contains('\n'));
    assert!(udp_and_tcp_payloads(cut).is_err());
    // Cut inside the file header.
    assert!(matches!(
        Capture::parse(&file[..20]),
        Err(CaptureError::Truncated { offset: 0, .. })
    ));
    // pcapng cut inside a block: frames before it, then the error.
    let ng = data!("scapy/ikev2_nat_t.pcapng");
    let cap_ng = &ng[..ng.len() / 2];
    let items: Vec<_> = Capture::parse(cap_ng).unwrap().frames().collect();
    assert!(items.len() > 10);
    assert!(items[..items.len() - 1].iter().all(|i| i.is_ok()));
    assert!(matches!(
        items.last().unwrap(),
        Err(CaptureError::Truncated { .. })
    ));
}

#[test]
fn huge_caplen_is_an_error_not_an_allocation() {
    let mut file = pcap(1, &[vec![0u8; 60]]);
    // caplen := 2 GiB
    file[24 + 8..24 + 12].copy_from_slice(&0x8000_0000u32.to_le_bytes());
    let items: Vec<_> = Capture::parse(&file).unwrap().frames().collect();
    assert_eq!(items.len(), 1);
    let err = items[0].clone().unwrap_err();
    assert!(
        matches!(err, CaptureError::Corrupt { offset: 24, .. }),
        "{err}"
    );
    assert!(err
        .to_string()
        .starts_with("corrupt capture file at byte offset 24: "));
    // Also for pcapng EPB with a huge captured length.
    let mut ng = data!("derived/multi-section.pcapng");
    // Walk the (big-endian) blocks to the first enhanced packet block.
    let mut pos = 0;
    while ng[pos..pos + 4] != [0, 0, 0, 6] {
        pos += u32::from_be_bytes(ng[pos + 4..pos + 8].try_into().unwrap()) as usize;
    }
    ng[pos + 20..pos + 24].copy_from_slice(&0x8000_0000u32.to_be_bytes());
    let items: Vec<_> = Capture::parse(&ng).unwrap().frames().collect();
    assert!(matches!(
        items[0],
        Err(CaptureError::Corrupt { offset, .. }) if offset == pos
    ));
}

#[test]
fn unsupported_link_types() {
    let file = pcap(105, &[vec![0u8; 30]]);
    let err = Capture::parse(&file).unwrap_err();
    assert_eq!(err, CaptureError::UnsupportedLinkType(LinkType(105)));
    assert_eq!(err.to_string(), "unsupported link type IEEE802_11 (105)");
    let err = Capture::parse(&pcap(4242, &[])).unwrap_err();
    assert_eq!(err.to_string(), "unsupported link type 4242");
    // pcapng whose only interface is 802.11 radiotap.
    let mut ng = Vec::new();
    let block = |kind: u32, body: &[u8]| {
        let mut b = kind.to_le_bytes().to_vec();
        b.extend_from_slice(&(body.len() as u32 + 12).to_le_bytes());
        b.extend_from_slice(body);
        b.extend_from_slice(&(body.len() as u32 + 12).to_le_bytes());
        b
    };
    let mut shb = 0x1a2b3c4du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&[1, 0, 0, 0]);
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    ng.extend(block(0x0a0d0d0a, &shb));
    ng.extend(block(1, &[127, 0, 0, 0, 0, 0, 0, 0]));
    assert_eq!(
        Capture::parse(&ng).unwrap_err().to_string(),
        "unsupported link type IEEE802_11_RADIOTAP (127)"
    );
    // A supported interface next to it: frames of the other one are skipped.
    ng.extend(block(1, &[1, 0, 0, 0, 0, 0, 0, 0]));
    let mut epb = vec![0u8; 20];
    epb[12] = 4;
    epb[16] = 4;
    epb.extend_from_slice(&[1, 2, 3, 4]);
    ng.extend(block(6, &epb));
    let d = decode(&ng);
    assert_eq!(skipped(&d.segments), [(1, "unsupported link type")]);
}

#[test]
fn garbage_never_panics() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut rand = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    // Random bytes behind each magic number.
    for magic in [
        [0xd4u8, 0xc3, 0xb2, 0xa1],
        [0xa1, 0xb2, 0x3c, 0x4d],
        [0x0a, 0x0d, 0x0d, 0x0a],
    ] {
        for len in [0usize, 4, 11, 23, 24, 40, 100, 1000] {
            let mut v = magic.to_vec();
            v.extend((0..len).map(|_| rand() as u8));
            if let Ok(cap) = Capture::parse(&v) {
                let mut dec = Decoder::new();
                let mut out = Vec::new();
                for f in cap.frames().flatten() {
                    dec.decode(&f, &mut out);
                }
            }
        }
    }
    // Every link type with garbage frames of every short length.
    let mut dec = Decoder::new();
    for lt in [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 105] {
        for len in 0..80 {
            let data: Vec<u8> = (0..len).map(|_| rand() as u8).collect();
            let frame = Frame {
                number: 1,
                timestamp: Timestamp::default(),
                link_type: LinkType(lt),
                interface: 0,
                data: &data,
                original_len: len,
            };
            let mut out = Vec::new();
            dec.decode(&frame, &mut out);
            assert!(!out.is_empty());
        }
    }
}

#[test]
fn mutation_fuzz_10000() {
    let seeds = [
        data!("tcpdump/ikev2four.pcap"),
        data!("zeek-spicy-ipsec/ipsec_client.pcap"),
        data!("derived/multi-section.pcapng"),
        data!("derived/tcp-reorder.pcap"),
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut rand = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut frames_seen = 0usize;
    for i in 0..10_000 {
        let seed = &seeds[i % seeds.len()];
        let mut v = seed.clone();
        let mutations = 1 + rand() % 8;
        for _ in 0..mutations {
            let pos = (rand() as usize) % v.len();
            match rand() % 4 {
                0 => v[pos] = rand() as u8,
                1 => v[pos] ^= 1 << (rand() % 8),
                2 => v[pos] = [0, 0xff, 0x7f, 0x80][(rand() % 4) as usize],
                _ => {
                    // Overwrite a length-ish 32-bit field.
                    let end = (pos + 4).min(v.len());
                    let word = (rand() as u32).to_le_bytes();
                    v[pos..end].copy_from_slice(&word[..end - pos]);
                }
            }
        }
        if rand() % 10 == 0 {
            let cut = (rand() as usize) % v.len();
            v.truncate(cut);
        }
        let Ok(cap) = Capture::parse(&v) else {
            continue;
        };
        let _ = cap.format();
        let mut dec = Decoder::with_limits(Limits {
            max_fragmented_datagrams: 4,
            max_tcp_connections: 4,
            max_tcp_buffered_bytes: 64,
        });
        let mut out = Vec::new();
        for frame in cap.frames() {
            match frame {
                Ok(f) => {
                    frames_seen += 1;
                    let before = out.len();
                    dec.decode(&f, &mut out);
                    assert!(out.len() > before);
                }
                Err(e) => {
                    assert!(!e.to_string().contains('\n'));
                }
            }
        }
        let mut tail = Vec::new();
        dec.finish(&mut tail);
    }
    assert!(frames_seen > 10_000);
}
