//! Our dissection against tshark's built-in `isakmp` dissector, field by
//! field (prefix swap `rike.` ↔ `isakmp.`), over every capture in
//! tests/data. Every difference must be listed, with its reason, in
//! tests/data/tshark-differences.tsv; a listed difference that no longer
//! occurs fails too, so the list stays true.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;

/// Fields whose values are names from different tables, not wire data.
const NOT_COMPARED: &[&str] = &["isakmp.vid_string"];

fn load_exceptions() -> BTreeMap<(String, String, String), String> {
    let path = data_dir().join("tshark-differences.tsv");
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

#[test]
fn agrees_with_builtin_dissector() {
    if !require_tshark() {
        return;
    }
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
    let exceptions = load_exceptions();
    let mut used = BTreeSet::new();
    let mut unexplained = Vec::new();
    let (mut agree, mut compared) = (0usize, 0usize);
    for cap in captures() {
        let name = rel(&cap);
        let data = std::fs::read(&cap).unwrap();
        let Ok((ours, _)) = dissect_capture(&data) else {
            continue;
        };
        let ours = our_fields(&ours);
        let theirs = tshark_fields(&cap, &shared, &[]);
        let frames: BTreeSet<u32> = ours.keys().chain(theirs.keys()).copied().collect();
        for frame in frames {
            let empty = BTreeMap::new();
            let o = ours.get(&frame).unwrap_or(&empty);
            let t = theirs.get(&frame).unwrap_or(&empty);
            if t.is_empty() {
                // The built-in did not dissect this frame (RFC 8229 TCP,
                // ESP …): nothing to compare.
                continue;
            }
            for f in &shared {
                let (ov, tv) = (o.get(f), t.get(f));
                if ov.is_none() && tv.is_none() {
                    continue;
                }
                let n = tv.map_or(0, Vec::len).max(ov.map_or(0, Vec::len));
                compared += n;
                if ov == tv {
                    agree += n;
                    continue;
                }
                if let (Some(a), Some(b)) = (ov, tv) {
                    agree += a.iter().zip(b).filter(|(x, y)| x == y).count();
                }
                let keys = [
                    (name.clone(), frame.to_string(), f.clone()),
                    (name.clone(), frame.to_string(), "*".to_owned()),
                    (name.clone(), "*".to_owned(), f.clone()),
                    (name.clone(), "*".to_owned(), "*".to_owned()),
                    ("*".to_owned(), "*".to_owned(), f.clone()),
                ];
                if let Some(k) = keys.iter().find(|k| exceptions.contains_key(*k)) {
                    used.insert(k.clone());
                    continue;
                }
                unexplained.push(format!(
                    "{name}\t{frame}\t{f}\tours={:?}\ttshark={:?}",
                    ov.map(|v| v.iter().take(8).collect::<Vec<_>>()),
                    tv.map(|v| v.iter().take(8).collect::<Vec<_>>())
                ));
            }
        }
    }
    let stale: Vec<_> = exceptions.keys().filter(|k| !used.contains(*k)).collect();
    let pct = 100.0 * agree as f64 / compared.max(1) as f64;
    eprintln!("agreement with tshark's isakmp dissector: {agree}/{compared} field occurrences = {pct:.2}%");
    assert!(
        unexplained.is_empty(),
        "{} unexplained differences:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
    assert!(
        stale.is_empty(),
        "listed differences that no longer occur: {stale:?}"
    );
}
