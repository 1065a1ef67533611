//! Values of records, read from the dissected bytes the way Wireshark's
//! `proto_tree_add_item` reads them (big-endian integers, masks applied),
//! and their display text.

use core::fmt::{self, Write as _};
use std::net::{Ipv4Addr, Ipv6Addr};

use super::catalogue::{Base, FieldKind};
use super::record::{Dissection, Record};

/// A record's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// A subtree label without a value.
    None,
    /// An unsigned integer (mask applied and shifted).
    UInt(u64),
    /// A flag.
    Bool(bool),
    /// Raw bytes.
    Bytes(&'a [u8]),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address.
    Ipv6(Ipv6Addr),
    /// Text.
    Str(String),
}

fn be(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .take(8)
        .fold(0u64, |a, &b| (a << 8) | u64::from(b))
}

/// Reads the value of `rec` from `buf` (the buffer that was dissected).
pub fn value_of<'a>(d: &'a Dissection, rec: &Record, buf: &'a [u8]) -> Value<'a> {
    let desc = rec.field.desc();
    let buf = d.buffer(rec, buf);
    let start = rec.offset as usize;
    let bytes = buf
        .get(start..start.saturating_add(rec.length as usize))
        .unwrap_or(&[]);
    let masked = |v: u64| {
        if desc.mask == 0 {
            v
        } else {
            (v & desc.mask) >> desc.mask.trailing_zeros()
        }
    };
    match desc.kind {
        FieldKind::Label => Value::None,
        FieldKind::U8 | FieldKind::U16 | FieldKind::U32 | FieldKind::U64 => {
            Value::UInt(masked(rec.value.unwrap_or_else(|| be(bytes))))
        }
        FieldKind::FrameNum | FieldKind::RelTimeNs => Value::UInt(rec.value.unwrap_or(0)),
        FieldKind::Bool { .. } => Value::Bool(masked(rec.value.unwrap_or_else(|| be(bytes))) != 0),
        FieldKind::Bytes => Value::Bytes(bytes),
        FieldKind::Ipv4 => <[u8; 4]>::try_from(bytes)
            .map(|a| Value::Ipv4(a.into()))
            .unwrap_or(Value::Bytes(bytes)),
        FieldKind::Ipv6 => <[u8; 16]>::try_from(bytes)
            .map(|a| Value::Ipv6(a.into()))
            .unwrap_or(Value::Bytes(bytes)),
        FieldKind::String => match rec.text {
            Some(t) => Value::Str(d.text_of(t).to_owned()),
            None => Value::Str(printable(bytes)),
        },
    }
}

/// Text from wire bytes for display: invalid UTF-8 replaced, control
/// characters escaped (`\0`, `\x1b` …) so a terminal shows what is there.
pub fn printable(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\0' => s.push_str("\\0"),
            c if c.is_control() => {
                let _ = write!(s, "\\x{:02x}", c as u32);
            }
            c => s.push(c),
        }
    }
    s
}

/// Lower-case hex without separators.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::None => Ok(()),
            Value::UInt(v) => write!(f, "{v}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Bytes(b) => f.write_str(&hex(b)),
            Value::Ipv4(a) => write!(f, "{a}"),
            Value::Ipv6(a) => write!(f, "{a}"),
            Value::Str(s) => f.write_str(s),
        }
    }
}

/// The display text of a record: "Name: value" with value names, in the
/// manner of `tshark -V`, plus any label.
pub fn display(d: &Dissection, rec: &Record, buf: &[u8]) -> String {
    let desc = rec.field.desc();
    let v = value_of(d, rec, buf);
    let mut s = String::new();
    let label = rec.text.map(|t| d.text_of(t)).unwrap_or("");
    let _ = write!(s, "{}", desc.name);
    match (&v, desc.kind) {
        (Value::None, _) => {
            s.push_str(label);
            return s;
        }
        (Value::UInt(n), FieldKind::RelTimeNs) => {
            let _ = write!(
                s,
                ": {}.{:09} seconds",
                n / 1_000_000_000,
                n % 1_000_000_000
            );
        }
        (Value::UInt(n), _) => {
            let num = match desc.base {
                Base::Hex => {
                    let width = match desc.kind {
                        FieldKind::U8 => 2,
                        FieldKind::U16 => 4,
                        FieldKind::U32 => 8,
                        _ => 16,
                    };
                    format!("0x{n:0width$x}")
                }
                _ => n.to_string(),
            };
            match desc.vals.and_then(|vn| (vn.lookup)(*n)) {
                Some(name) => {
                    let _ = write!(s, ": {name} ({num})");
                }
                None if desc.vals.is_some() => {
                    let _ = write!(s, ": Unknown ({num})");
                }
                None => {
                    let _ = write!(s, ": {num}");
                }
            }
        }
        (Value::Bool(b), _) => {
            let text = match desc.tf {
                Some((t, f)) => {
                    if *b {
                        t
                    } else {
                        f
                    }
                }
                None => {
                    if *b {
                        "True"
                    } else {
                        "False"
                    }
                }
            };
            let _ = write!(s, ": {text}");
        }
        (Value::Str(t), _) if rec.text.is_some() => {
            let _ = write!(s, ": {t}");
            return s;
        }
        (v, _) => {
            let _ = write!(s, ": {v}");
        }
    }
    s.push_str(label);
    s
}
