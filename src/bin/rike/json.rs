//! One JSON object per IKE message, with the catalogue's field names as
//! keys. A field with children is followed by `<name>_tree` holding them
//! (tshark's `-T json` shape); a key that repeats on one level becomes an
//! array, so the output is valid JSON.

use std::io::{self, Write};

use rike::dissect::{value_of, Dissection, Severity, Value};

use super::dissect_cmd::Item;

enum J {
    Null,
    Num(u64),
    Float(f64),
    Bool(bool),
    Str(String),
    Obj(Vec<(String, J)>),
    Arr(Vec<J>),
}

fn insert(obj: &mut Vec<(String, J)>, key: String, val: J) {
    if let Some((_, slot)) = obj.iter_mut().find(|(k, _)| *k == key) {
        match slot {
            J::Arr(a) => a.push(val),
            other => {
                let first = std::mem::replace(other, J::Null);
                *other = J::Arr(vec![first, val]);
            }
        }
    } else {
        obj.push((key, val));
    }
}

fn escape(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn render(j: &J, out: &mut String) {
    match j {
        J::Null => out.push_str("null"),
        J::Num(n) => out.push_str(&n.to_string()),
        J::Float(f) => out.push_str(&format!("{f:.6}")),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Str(s) => escape(s, out),
        J::Arr(a) => {
            out.push('[');
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                render(v, out);
            }
            out.push(']');
        }
        J::Obj(o) => {
            out.push('{');
            for (i, (k, v)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                escape(k, out);
                out.push(':');
                render(v, out);
            }
            out.push('}');
        }
    }
}

fn value(d: &Dissection, v: Value<'_>) -> J {
    let _ = d;
    match v {
        Value::None => J::Null,
        Value::UInt(n) => J::Num(n),
        Value::Bool(b) => J::Bool(b),
        Value::Bytes(b) => J::Str(rike::dissect::hex(b)),
        Value::Ipv4(a) => J::Str(a.to_string()),
        Value::Ipv6(a) => J::Str(a.to_string()),
        Value::Str(s) => J::Str(s),
    }
}

/// Builds the object of the records from `i` on at `depth`; returns it and
/// the index after the last record consumed.
fn level(d: &Dissection, buf: &[u8], mut i: usize, depth: u8) -> (Vec<(String, J)>, usize) {
    let mut obj = Vec::new();
    while let Some(r) = d.records.get(i) {
        if r.depth < depth {
            break;
        }
        let desc = r.field.desc();
        let mut v = value(d, value_of(d, r, buf));
        if let (J::Null, Some(t)) = (&v, r.text) {
            v = J::Str(d.text_of(t).trim_start().to_owned());
        }
        insert(&mut obj, desc.abbrev.to_owned(), v);
        i += 1;
        if d.records.get(i).is_some_and(|n| n.depth > r.depth) {
            let (children, next) = level(d, buf, i, r.depth + 1);
            insert(&mut obj, format!("{}_tree", desc.abbrev), J::Obj(children));
            i = next;
        }
    }
    (obj, i)
}

/// Writes one item as a JSON object on one line.
pub fn write_item(out: &mut impl Write, item: &Item<'_>) -> io::Result<()> {
    let d = item.dissection;
    let buf: &[u8] = &item.pdu.bytes;
    let (fields, _) = level(d, buf, 0, 0);
    let experts = d
        .experts
        .iter()
        .map(|e| {
            let desc = e.expert.desc();
            J::Obj(vec![
                ("expert".into(), J::Str(desc.abbrev.into())),
                (
                    "severity".into(),
                    J::Str(
                        match desc.severity {
                            Severity::Note => "note",
                            Severity::Warning => "warning",
                            Severity::Error => "error",
                        }
                        .into(),
                    ),
                ),
                ("offset".into(), J::Num(u64::from(e.offset))),
                ("text".into(), J::Str(d.text_of(e.text).into())),
            ])
        })
        .collect();
    let obj = J::Obj(vec![
        ("file".into(), J::Str(item.file.into())),
        ("frame".into(), J::Num(u64::from(item.pdu.frame))),
        ("time".into(), J::Float(item.time)),
        ("src".into(), J::Str(item.pdu.src.to_string())),
        ("dst".into(), J::Str(item.pdu.dst.to_string())),
        ("summary".into(), J::Str(d.summary.clone())),
        ("rike".into(), J::Obj(fields)),
        ("expert".into(), J::Arr(experts)),
    ]);
    let mut s = String::new();
    render(&obj, &mut s);
    s.push('\n');
    out.write_all(s.as_bytes())
}
