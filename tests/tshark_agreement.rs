//! Our dissection against tshark's built-in `isakmp` dissector, field by
//! field (prefix swap `rike.` ↔ `isakmp.`), over every capture in
//! tests/data. Every difference must be listed, with its reason, in
//! tests/data/tshark-differences.tsv; a listed difference that no longer
//! occurs fails too, so the list stays true.
//!
//! The same comparison runs over the captures that come with keys, with
//! both dissectors decrypting (tshark through its `ikev1_decryption_table`
//! / `ikev2_decryption_table` preferences): every field of the decrypted
//! messages, listed differences in tests/data/tshark-decrypted-differences.tsv.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use rike::dissect::hex;
use rike::dissect::keys::KeyStore;
use rike::dissect::Field;
use rike::wire::registry::wireshark;

/// Fields whose values are names from different tables, not wire data.
const NOT_COMPARED: &[&str] = &["isakmp.vid_string"];

type Frames = BTreeMap<u32, BTreeMap<String, Vec<String>>>;
type ExceptionKey = (String, String, String);

fn load_exceptions(file: &str) -> BTreeMap<ExceptionKey, String> {
    let path = data_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut m = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(cols.len() >= 4, "bad line in {}: {line}", path.display());
        m.insert(
            (cols[0].to_owned(), cols[1].to_owned(), cols[2].to_owned()),
            cols[3].to_owned(),
        );
    }
    m
}

/// The fields both dissectors have (`rike.X` ↔ `isakmp.X`).
fn shared_fields() -> Vec<String> {
    let builtin: BTreeSet<String> = builtin_fields().into_iter().collect();
    let shared: Vec<String> = rike::dissect::CATALOGUE
        .iter()
        .filter_map(|d| d.abbrev.strip_prefix("rike."))
        .map(|s| format!("isakmp.{s}"))
        .filter(|f| builtin.contains(f) && !NOT_COMPARED.contains(&f.as_str()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(shared.len() > 60, "too few shared fields: {}", shared.len());
    shared
}

/// Field-by-field comparison of one capture's frames, against a list of
/// explained differences.
struct Comparison {
    exceptions: BTreeMap<ExceptionKey, String>,
    used: BTreeSet<ExceptionKey>,
    unexplained: Vec<String>,
    agree: usize,
    compared: usize,
}

impl Comparison {
    fn new(exceptions_file: &str) -> Self {
        Comparison {
            exceptions: load_exceptions(exceptions_file),
            used: BTreeSet::new(),
            unexplained: Vec::new(),
            agree: 0,
            compared: 0,
        }
    }

    /// Compares `frames` (all when `None`) of capture `name`.
    fn capture(
        &mut self,
        name: &str,
        shared: &[String],
        ours: &Frames,
        theirs: &Frames,
        frames: Option<&BTreeSet<u32>>,
    ) {
        let all: BTreeSet<u32> = ours.keys().chain(theirs.keys()).copied().collect();
        for frame in all {
            if frames.is_some_and(|only| !only.contains(&frame)) {
                continue;
            }
            let empty = BTreeMap::new();
            let o = ours.get(&frame).unwrap_or(&empty);
            let t = theirs.get(&frame).unwrap_or(&empty);
            if t.is_empty() {
                // The built-in did not dissect this frame (RFC 8229 TCP,
                // ESP …): nothing to compare.
                continue;
            }
            for f in shared {
                let (ov, tv) = (o.get(f), t.get(f));
                if ov.is_none() && tv.is_none() {
                    continue;
                }
                let n = tv.map_or(0, Vec::len).max(ov.map_or(0, Vec::len));
                self.compared += n;
                if ov == tv {
                    self.agree += n;
                    continue;
                }
                if let (Some(a), Some(b)) = (ov, tv) {
                    self.agree += a.iter().zip(b).filter(|(x, y)| x == y).count();
                }
                let keys = [
                    (name.to_owned(), frame.to_string(), f.clone()),
                    (name.to_owned(), frame.to_string(), "*".to_owned()),
                    (name.to_owned(), "*".to_owned(), f.clone()),
                    (name.to_owned(), "*".to_owned(), "*".to_owned()),
                    ("*".to_owned(), "*".to_owned(), f.clone()),
                ];
                if let Some(k) = keys.iter().find(|k| self.exceptions.contains_key(*k)) {
                    self.used.insert(k.clone());
                    continue;
                }
                self.unexplained.push(format!(
                    "{name}\t{frame}\t{f}\tours={:?}\ttshark={:?}",
                    ov.map(|v| v.iter().take(8).collect::<Vec<_>>()),
                    tv.map(|v| v.iter().take(8).collect::<Vec<_>>())
                ));
            }
        }
    }

    /// Fails on unexplained differences and on listed ones that no longer
    /// occur.
    fn finish(self, what: &str) {
        let stale: Vec<_> = self
            .exceptions
            .keys()
            .filter(|k| !self.used.contains(*k))
            .collect();
        let pct = 100.0 * self.agree as f64 / self.compared.max(1) as f64;
        eprintln!(
            "{what}: {}/{} field occurrences agree = {pct:.2}%",
            self.agree, self.compared
        );
        assert!(
            self.unexplained.is_empty(),
            "{} unexplained differences:\n{}",
            self.unexplained.len(),
            self.unexplained.join("\n")
        );
        assert!(
            stale.is_empty(),
            "listed differences that no longer occur: {stale:?}"
        );
    }
}

#[test]
fn agrees_with_builtin_dissector() {
    if !require_tshark() {
        return;
    }
    let shared = shared_fields();
    let mut cmp = Comparison::new("tshark-differences.tsv");
    for cap in captures() {
        let name = rel(&cap);
        let data = std::fs::read(&cap).unwrap();
        let Ok((ours, _)) = dissect_capture(&data) else {
            continue;
        };
        let ours = our_fields(&ours);
        let theirs = tshark_fields(&cap, &shared, &[]);
        cmp.capture(&name, &shared, &ours, &theirs, None);
    }
    cmp.finish("agreement with tshark's isakmp dissector");
}

/// Where a capture's keys come from: a Wireshark decryption table (given
/// to both dissectors as it is), or Openswan's unit-test key lines
/// (rike reads them; tshark gets them as `ikev2_decryption_table` rows
/// with Wireshark's algorithm names).
enum Keys {
    Table(&'static str),
    Openswan(Vec<String>),
}

/// Captures with keys that tshark 4.0 can decrypt too (it has no
/// ChaCha20-Poly1305, so `strongswan/sw-v2-chapoly` is not here).
const KEYED: &[(&str, &str)] = &[
    (
        "strongswan/sw-v2-gcm.pcapng",
        "strongswan/sw-v2-gcm.keys/ikev2_decryption_table",
    ),
    (
        "strongswan/sw-v2-cbc.pcapng",
        "strongswan/sw-v2-cbc.keys/ikev2_decryption_table",
    ),
    (
        "strongswan/sw-v1-main.pcapng",
        "strongswan/sw-v1-main.keys/ikev1_decryption_table",
    ),
    (
        "strongswan/sw-v1-aggr.pcapng",
        "strongswan/sw-v1-aggr.keys/ikev1_decryption_table",
    ),
    (
        "crafted/ikev2-natt-4500.pcap",
        "crafted/ikev2_decryption_table",
    ),
    (
        "crafted/ikev2-fragments.pcap",
        "crafted/ikev2_decryption_table",
    ),
    (
        "scapy/ikev2-decrypt-aes128ccm12-subset-from-scapy-uts.pcap",
        "keys/wireshark_ikev2_decryption_table.csv",
    ),
    (
        "tcpdump/ikev2pI2.pcap",
        "keys/verified_wireshark_ikev2_decryption_table.csv",
    ),
];

/// `-o uat:…` options for tshark, and the key store for rike.
fn key_options(keys: &Keys) -> (Vec<String>, KeyStore) {
    let mut store = KeyStore::new();
    let mut opts = Vec::new();
    match keys {
        Keys::Table(file) => {
            let path = data_dir().join(file);
            store.load_path(&path).unwrap();
            let text = std::fs::read_to_string(&path).unwrap();
            for line in text.lines().map(str::trim) {
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let table = match line.split(',').count() {
                    2 => "ikev1_decryption_table",
                    8 => "ikev2_decryption_table",
                    n => panic!("{file}: a row of {n} columns"),
                };
                opts.push(format!("uat:{table}:{line}"));
            }
        }
        Keys::Openswan(lines) => {
            for l in lines {
                store.load_str("openswan", l);
            }
            for ((spi_i, spi_r), sa) in &store.ikev2 {
                let encr = wireshark::ikev2_encr_name(sa.encr, sa.key_bits).expect("encr name");
                let integ = wireshark::ikev2_integ_name(sa.integ).expect("integ name");
                opts.push(format!(
                    "uat:ikev2_decryption_table:{},{},{},{},\"{encr}\",{},{},\"{integ}\"",
                    hex(spi_i),
                    hex(spi_r),
                    hex(sa.sk_ei.expose()),
                    hex(sa.sk_er.expose()),
                    hex(sa.sk_ai.expose()),
                    hex(sa.sk_ar.expose()),
                ));
            }
        }
    }
    assert!(
        !store.is_empty() && store.problems.is_empty(),
        "{:?}",
        store.problems
    );
    (opts, store)
}

/// Every keyed capture: the frames that carry an encrypted payload
/// decrypt with a correct ICV in rike, and every field the two
/// dissectors share agrees with tshark's own decryption, or is listed
/// in tests/data/tshark-decrypted-differences.tsv with its reason.
#[test]
fn decrypted_fields_agree_with_builtin_decryption() {
    if !require_tshark() {
        return;
    }
    let shared = shared_fields();
    let mut cases: Vec<(String, Keys)> = KEYED
        .iter()
        .map(|(c, k)| ((*c).to_owned(), Keys::Table(k)))
        .collect();
    // Openswan: each IKEv2 capture with the first key set that decrypts it
    // (tests/decryption.rs checks which do).
    let sets = openswan_key_sets();
    for cap in captures() {
        let name = rel(&cap);
        if !name.starts_with("openswan-libpluto/") {
            continue;
        }
        let data = std::fs::read(&cap).unwrap();
        for (_, lines) in &sets {
            let mut k = KeyStore::new();
            for l in lines {
                k.load_str("openswan", l);
            }
            let d = dissect_capture_keyed(&data, k);
            let mut enc = d
                .iter()
                .filter(|x| x.dissection.find(Field::EncData).next().is_some())
                .peekable();
            if enc.peek().is_some() && enc.all(|x| icv_correct(x) == Some(true)) {
                cases.push((name.clone(), Keys::Openswan(lines.clone())));
                break;
            }
        }
    }
    let mut cmp = Comparison::new("tshark-decrypted-differences.tsv");
    let (mut frames_total, mut inner_total, mut inner_agree) = (0usize, 0usize, 0usize);
    for (name, keys) in &cases {
        let cap = data_dir().join(name);
        let data = std::fs::read(&cap).unwrap();
        let (opts, store) = key_options(keys);
        let ours = dissect_capture_keyed(&data, store);
        // The frames with an encrypted payload; each must decrypt.
        let encrypted: BTreeSet<u32> = ours
            .iter()
            .filter(|d| d.dissection.find(Field::EncData).next().is_some())
            .map(|d| d.frame)
            .collect();
        assert!(!encrypted.is_empty(), "{name}: nothing encrypted");
        for d in ours.iter().filter(|d| encrypted.contains(&d.frame)) {
            // IKEv1 has no ICV; its check is the decrypted tree itself.
            // tcpdump's ikev2pI2 carries an ICV that does not verify with
            // its own secrets (tshark says so too; tests/decryption.rs).
            let want = (name != "tcpdump/ikev2pI2.pcap").then_some(false);
            assert_ne!(icv_correct(d), want, "{name} frame {}", d.frame);
        }
        frames_total += encrypted.len();
        let ours = our_fields(&ours);
        let args: Vec<&str> = opts.iter().flat_map(|o| ["-o", o.as_str()]).collect();
        let theirs = tshark_fields(&cap, &shared, &args);
        let plain = tshark_fields(&cap, &shared, &[]);
        // Occurrences that only decryption shows, per frame and field.
        for f in &encrypted {
            let (k, p) = (theirs.get(f), plain.get(f));
            for field in &shared {
                let n_keyed = k.and_then(|m| m.get(field)).map_or(0, Vec::len);
                let n_plain = p.and_then(|m| m.get(field)).map_or(0, Vec::len);
                let inner = n_keyed.saturating_sub(n_plain);
                inner_total += inner;
                let (ov, tv) = (
                    ours.get(f).and_then(|m| m.get(field)),
                    k.and_then(|m| m.get(field)),
                );
                if inner > 0 && ov == tv {
                    inner_agree += inner;
                }
            }
        }
        cmp.capture(name, &shared, &ours, &theirs, Some(&encrypted));
    }
    eprintln!(
        "{} keyed captures, {frames_total} encrypted frames; fields only decryption shows: {inner_agree}/{inner_total} occurrences agree",
        cases.len()
    );
    assert!(cases.len() >= 40, "{} keyed captures", cases.len());
    assert!(
        inner_total > 500,
        "only {inner_total} decrypted field occurrences"
    );
    cmp.finish("decrypted fields against tshark's decryption");
}

/// The ICV/tag verdict of a dissection with an encrypted payload: `None`
/// when it shows none.
fn icv_correct(d: &Dissected) -> Option<bool> {
    let r = d.dissection.find(Field::EncIcd).next()?;
    let t = d.dissection.text_of(r.text?);
    Some(t.contains("[correct]"))
}
