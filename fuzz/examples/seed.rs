//! Writes seed corpora for the fuzz targets from the captures (and raw
//! `.bin` messages) under the project's `tests/data`, using the library
//! itself to extract IKE messages (see examples/corpus_stats.rs).
//!
//! ```text
//! cargo run --manifest-path fuzz/Cargo.toml --example seed -- [DATA_DIR] [CORPUS_DIR]
//! ```
//!
//! Defaults: `tests/data` and `fuzz/corpus` (paths relative to the
//! project root, where the command above is run). Writes one file per
//! distinct input into `CORPUS_DIR/<target>/`, named by a hash of its
//! content, so running it twice adds nothing.
//!
//! * parse_strict: every IKE message (marker / TCP framing removed).
//! * parse_lax: every UDP payload or TCP frame with its carrier octet in
//!   front (0 plain, 1 UDP-encap, 2 TCP frame, 3 TCP prefix), and every
//!   IKE message as plain.
//! * tcp_reassembler: every reassembled TCP direction (prefix + frames as
//!   on the wire) in a few chunkings, and every IKE message framed as an
//!   RFC 8229 stream ("IKETCP" + frame).
//! * roundtrip_emit: every IKE message with a walkable chain, as an
//!   emit case (header + payload records, see `rike_fuzz::EmitCase`).

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use rike::capture::{Capture, Decoder, PduExtractor, Ports};
use rike::dissect::Carrier;
use rike::wire::transport::{
    classify_tcp_frame, classify_udp_encap, frame_ike_for_tcp, Encapsulated, Prefix, TCP_PREFIX,
};
use rike_fuzz::{EmitCase, TcpCase};

struct Out {
    root: PathBuf,
    seen: HashSet<(&'static str, u64)>,
    counts: BTreeMap<&'static str, usize>,
}

impl Out {
    fn put(&mut self, target: &'static str, data: &[u8]) {
        let mut h = DefaultHasher::new();
        data.hash(&mut h);
        let k = h.finish();
        if !self.seen.insert((target, k)) {
            return;
        }
        let dir = self.root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("seed-{k:016x}")), data).unwrap();
        *self.counts.entry(target).or_default() += 1;
    }

    fn message(&mut self, ike: &[u8]) {
        self.put("parse_strict", ike);
        let mut lax = vec![0u8];
        lax.extend_from_slice(ike);
        self.put("parse_lax", &lax);
        if let Some(case) = EmitCase::from_message(ike) {
            self.put("roundtrip_emit", &case.encode());
        }
        let mut stream = TCP_PREFIX.to_vec();
        if frame_ike_for_tcp(ike, &mut stream).is_ok() {
            self.put(
                "tcp_reassembler",
                &TcpCase::encode(Prefix::Auto, &[], &stream),
            );
        }
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn main() {
    let mut args = std::env::args().skip(1);
    let data = PathBuf::from(args.next().unwrap_or_else(|| "tests/data".into()));
    let root = PathBuf::from(args.next().unwrap_or_else(|| "fuzz/corpus".into()));
    let mut out = Out {
        root,
        seen: HashSet::new(),
        counts: BTreeMap::new(),
    };
    let mut captures = 0;
    for f in files(&data) {
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
        let bytes = std::fs::read(&f).unwrap();
        if ext == "bin" {
            out.message(&bytes);
            continue;
        }
        if !matches!(ext, "pcap" | "pcapng" | "cap") {
            continue;
        }
        let Ok(cap) = Capture::parse(&bytes) else {
            continue;
        };
        captures += 1;
        let mut dec = Decoder::new();
        let mut ex = PduExtractor::new(Ports::default());
        let mut segs = Vec::new();
        let mut pdus = Vec::new();
        // TCP directions, reassembled as on the wire.
        let mut streams: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        for fr in cap.frames().flatten() {
            segs.clear();
            dec.decode(&fr, &mut segs);
            pdus.clear();
            for s in &segs {
                ex.push(s, &mut pdus);
            }
            for p in &pdus {
                let sel = match p.carrier {
                    Carrier::Plain => 0u8,
                    Carrier::UdpEncap => 1,
                    Carrier::TcpFrame => 2,
                    Carrier::TcpPrefix => 3,
                };
                let mut lax = vec![sel];
                lax.extend_from_slice(&p.bytes);
                out.put("parse_lax", &lax);
                if matches!(p.carrier, Carrier::TcpFrame | Carrier::TcpPrefix) {
                    streams
                        .entry(format!("{}>{}", p.src, p.dst))
                        .or_default()
                        .extend_from_slice(&p.bytes);
                }
                let ike = match p.carrier {
                    Carrier::Plain => Some(&p.bytes[..]),
                    Carrier::UdpEncap => match classify_udp_encap(&p.bytes) {
                        Ok(Encapsulated::Ike(i)) => Some(i),
                        _ => None,
                    },
                    Carrier::TcpFrame if p.bytes.len() >= 2 => {
                        match classify_tcp_frame(&p.bytes[2..], 2) {
                            Ok(Encapsulated::Ike(i)) => Some(i),
                            _ => None,
                        }
                    }
                    _ => None,
                };
                if let Some(ike) = ike {
                    out.message(ike);
                }
            }
        }
        for s in streams.values() {
            for (prefix, cuts) in [
                (Prefix::Auto, &[][..]),
                (Prefix::Auto, &[1][..]),
                (Prefix::Auto, &[3, 7, 0, 64][..]),
                (Prefix::Expect, &[5, 100][..]),
            ] {
                out.put("tcp_reassembler", &TcpCase::encode(prefix, cuts, s));
            }
        }
    }
    println!("{captures} captures read");
    for (t, n) in &out.counts {
        println!("{t:16} {n} seeds written to {}", out.root.join(t).display());
    }
}
