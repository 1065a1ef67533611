//! Helpers shared by the integration tests: the capture corpus, our
//! dissection of it, and tshark.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use rike::capture::{Capture, Decoder, Pdu, PduExtractor, Ports};
use rike::dissect::{dissect, value_of, Dissection, Value};

/// The test data directory.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// Every capture file under tests/data, sorted.
pub fn captures() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng" | "cap")
            ) {
                out.push(p);
            }
        }
    }
    let mut v = Vec::new();
    walk(&data_dir(), &mut v);
    v.sort();
    v
}

/// Path relative to tests/data, for messages and exception lists.
pub fn rel(p: &Path) -> String {
    p.strip_prefix(data_dir())
        .unwrap_or(p)
        .display()
        .to_string()
}

/// One dissected PDU with its frame.
pub struct Dissected {
    /// Frame number.
    pub frame: u32,
    /// The PDU bytes.
    pub bytes: Vec<u8>,
    /// The dissection.
    pub dissection: Dissection,
}

/// Dissects every IKE PDU of a capture. Container errors after good frames
/// are returned beside the PDUs.
pub fn dissect_capture(data: &[u8]) -> Result<(Vec<Dissected>, Option<String>), String> {
    let cap = Capture::parse(data).map_err(|e| e.to_string())?;
    let mut dec = Decoder::new();
    let mut ex = PduExtractor::new(Ports::default());
    let mut segs = Vec::new();
    let mut pdus: Vec<Pdu<'_>> = Vec::new();
    let mut out = Vec::new();
    let mut err = None;
    for f in cap.frames() {
        let f = match f {
            Ok(f) => f,
            Err(e) => {
                err = Some(e.to_string());
                break;
            }
        };
        segs.clear();
        dec.decode(&f, &mut segs);
        pdus.clear();
        for s in &segs {
            ex.push(s, &mut pdus);
        }
        for p in &pdus {
            out.push(Dissected {
                frame: p.frame,
                bytes: p.bytes.to_vec(),
                dissection: dissect(&p.bytes, p.carrier),
            });
        }
    }
    Ok((out, err))
}

/// A value in the normal form used to compare with tshark's `-T fields`:
/// integers in decimal (tshark prints hex for BASE_HEX fields), booleans
/// as 0/1, byte strings as lower-case hex without separators.
pub fn normalise(s: &str) -> String {
    let t = s.trim();
    if let Some(h) = t.strip_prefix("0x") {
        if let Ok(v) = u64::from_str_radix(h, 16) {
            return v.to_string();
        }
    }
    if !t.is_empty() && t.len() <= 19 && t.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(v) = t.parse::<u64>() {
            return v.to_string();
        }
    }
    match t {
        "<MISSING>" => String::new(),
        "True" | "true" => "1".into(),
        "False" | "false" => "0".into(),
        _ => t.replace(':', "").to_ascii_lowercase(),
    }
}

/// Our values per frame: frame → (built-in field name → values in order).
pub fn our_fields(d: &[Dissected]) -> BTreeMap<u32, BTreeMap<String, Vec<String>>> {
    let mut out: BTreeMap<u32, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for x in d {
        let frame = out.entry(x.frame).or_default();
        for r in &x.dissection.records {
            let desc = r.field.desc();
            let Some(suffix) = desc.abbrev.strip_prefix("rike.") else {
                continue;
            };
            let v = match value_of(&x.dissection, r, &x.bytes) {
                // tshark prints FT_NONE items as "1" (present).
                Value::None => "1".to_owned(),
                Value::UInt(n) => n.to_string(),
                Value::Bool(b) => u8::from(b).to_string(),
                Value::Bytes(b) => rike::dissect::hex(b),
                Value::Ipv4(a) => a.to_string(),
                Value::Ipv6(a) => a.to_string(),
                Value::Str(s) => s,
            };
            frame
                .entry(format!("isakmp.{suffix}"))
                .or_default()
                .push(normalise(&v));
        }
    }
    out
}

/// Is tshark on this machine?
pub fn have_tshark() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Fails the test unless tshark is present or RIKE_SKIP_TSHARK=1 says to
/// skip; returns whether to go on.
pub fn require_tshark() -> bool {
    if have_tshark() {
        return true;
    }
    if std::env::var("RIKE_SKIP_TSHARK").as_deref() == Ok("1") {
        eprintln!("tshark missing: skipped because RIKE_SKIP_TSHARK=1");
        return false;
    }
    panic!("tshark not found: install it (.ci/run does) or set RIKE_SKIP_TSHARK=1");
}

/// The built-in dissector's field names (`tshark -G fields`).
pub fn builtin_fields() -> Vec<String> {
    let o = Command::new("tshark")
        .args(["-G", "fields"])
        .output()
        .expect("tshark -G fields");
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.split('\t').nth(2))
        .filter(|f| f.starts_with("isakmp."))
        .map(str::to_owned)
        .collect()
}

/// tshark's values per frame for `fields`: frame → field → values.
pub fn tshark_fields(
    capture: &Path,
    fields: &[String],
    extra: &[&str],
) -> BTreeMap<u32, BTreeMap<String, Vec<String>>> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r")
        .arg(capture)
        .args([
            "-n",
            "-T",
            "fields",
            "-E",
            "occurrence=a",
            "-E",
            "aggregator=\u{1f}",
            "-E",
            "separator=\u{1e}",
        ])
        .args(["-e", "frame.number"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    cmd.args(extra);
    let o = cmd.output().expect("run tshark");
    assert!(
        o.status.success() || !o.stdout.is_empty(),
        "tshark failed on {}: {}",
        capture.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    let mut out = BTreeMap::new();
    for line in String::from_utf8_lossy(&o.stdout).lines() {
        let mut cols = line.split('\u{1e}');
        let Some(frame) = cols.next().and_then(|f| f.parse::<u32>().ok()) else {
            continue;
        };
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (f, c) in fields.iter().zip(cols) {
            if c.is_empty() {
                continue;
            }
            m.insert(f.clone(), c.split('\u{1f}').map(normalise).collect());
        }
        if !m.is_empty() {
            out.insert(frame, m);
        }
    }
    out
}

/// Reads the JSON written by tests/data/strongswan/extract_charon_values.py:
/// an object of label → array of hex strings.
pub fn charon_values(path: &Path) -> BTreeMap<String, Vec<Vec<u8>>> {
    let text = std::fs::read_to_string(path).expect("charon values");
    let mut out = BTreeMap::new();
    let mut label: Option<String> = None;
    // Strings alternate: a label (followed by ':'), then hex values.
    let mut rest = text.as_str();
    while let Some(start) = rest.find('"') {
        let after = &rest[start + 1..];
        let end = after.find('"').expect("closing quote");
        let s = &after[..end];
        rest = &after[end + 1..];
        if rest.trim_start().starts_with(':') {
            label = Some(s.to_owned());
            out.entry(s.to_owned()).or_insert_with(Vec::new);
        } else if let Some(l) = &label {
            let bytes = (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
                .collect();
            out.get_mut(l).expect("label").push(bytes);
        }
    }
    out
}

/// Hex to bytes (test helper).
pub fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The IKE messages of a capture, in order: (frame, message bytes).
pub fn ike_messages(file: &Path) -> Vec<(u32, Vec<u8>)> {
    use rike::dissect::Carrier;
    use rike::wire::transport::{classify_tcp_frame, classify_udp_encap, Encapsulated};
    let data = std::fs::read(file).expect("capture");
    let cap = Capture::parse(&data).expect("capture parses");
    let mut dec = Decoder::new();
    let mut ex = PduExtractor::new(Ports::default());
    let (mut segs, mut pdus) = (Vec::new(), Vec::new());
    let mut out = Vec::new();
    for f in cap.frames() {
        let f = f.expect("frame");
        segs.clear();
        dec.decode(&f, &mut segs);
        pdus.clear();
        for s in &segs {
            ex.push(s, &mut pdus);
        }
        for p in &pdus {
            let ike = match p.carrier {
                Carrier::Plain => Some(&p.bytes[..]),
                Carrier::UdpEncap => match classify_udp_encap(&p.bytes) {
                    Ok(Encapsulated::Ike(i)) => Some(i),
                    _ => None,
                },
                Carrier::TcpFrame => match classify_tcp_frame(&p.bytes[2..], 2) {
                    Ok(Encapsulated::Ike(i)) => Some(i),
                    _ => None,
                },
                Carrier::TcpPrefix => None,
            };
            if let Some(i) = ike {
                out.push((p.frame, i.to_vec()));
            }
        }
    }
    out
}

/// Dissects every IKE PDU of a capture with `keys`, in two passes as
/// Wireshark does (the first sees the exchanges, the second shows them:
/// IKEv1 IV chains, RFC 7383 reassembly).
pub fn dissect_capture_keyed(data: &[u8], keys: rike::dissect::keys::KeyStore) -> Vec<Dissected> {
    use rike::dissect::{CaptureState, PduInfo};
    let mut state = CaptureState::new();
    *state.keys_mut() = keys;
    let mut out = Vec::new();
    for visited in [false, true] {
        let cap = Capture::parse(data).expect("capture parses");
        let mut dec = Decoder::new();
        let mut ex = PduExtractor::new(Ports::default());
        let (mut segs, mut pdus): (Vec<_>, Vec<Pdu<'_>>) = (Vec::new(), Vec::new());
        for f in cap.frames() {
            let f = f.expect("frame");
            segs.clear();
            dec.decode(&f, &mut segs);
            pdus.clear();
            for s in &segs {
                ex.push(s, &mut pdus);
            }
            for p in &pdus {
                let info = PduInfo {
                    frame: p.frame,
                    time_ns: 0,
                    visited,
                    carrier: p.carrier,
                };
                let d = state.dissect(&info, &p.bytes);
                if visited {
                    out.push(Dissected {
                        frame: p.frame,
                        bytes: p.bytes.to_vec(),
                        dissection: d,
                    });
                }
            }
        }
    }
    out
}

/// Openswan's unit-test IKEv2 key lines (tests/data/keys/
/// openswan_libpluto_ikev2_keys.tsv), one entry per distinct key set:
/// (first test directory that printed it, its `ikev2 I|R …` lines).
pub fn openswan_key_sets() -> Vec<(String, Vec<String>)> {
    let tsv = std::fs::read_to_string(data_dir().join("keys/openswan_libpluto_ikev2_keys.tsv"))
        .expect("openswan key lines");
    let mut by_dir: Vec<(String, Vec<String>)> = Vec::new();
    for line in tsv.lines().filter(|l| !l.starts_with('#')) {
        let Some((dir, key)) = line.split_once('\t') else {
            continue;
        };
        match by_dir.last_mut() {
            Some((d, lines)) if d == dir => lines.push(key.to_owned()),
            _ => by_dir.push((dir.to_owned(), vec![key.to_owned()])),
        }
    }
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (dir, mut lines) in by_dir {
        lines.sort();
        lines.dedup();
        if !out.iter().any(|(_, l)| *l == lines) {
            out.push((dir, lines));
        }
    }
    out
}
