//! Per-message output of the dissector: a flat pre-order list of records
//! (field, depth, offset, length) and expert records beside it.

use super::catalogue::{Expert, Field};

/// One tree item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// Which field.
    pub field: Field,
    /// Tree depth (0 = top level under the protocol item).
    pub depth: u8,
    /// Offset in the dissected buffer.
    pub offset: u32,
    /// Length in octets.
    pub length: u32,
    /// A value given by the dissector instead of read from the bytes
    /// (payload type of a payload subtree, a TLV value of odd size …).
    pub value: Option<u64>,
    /// Text: the value of a string field not read from the bytes (vendor
    /// name), or a label appended to the item; a range of
    /// [`Dissection::text`].
    pub text: Option<(u32, u32)>,
    /// Which buffer `offset` refers to: 0 = the dissected buffer, k > 0 =
    /// `Dissection::sources[k - 1]` (decrypted or reassembled data).
    pub source: u8,
}

/// A buffer made during dissection (decrypted or reassembled data).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Source {
    /// Name to show, e.g. "Decrypted IKE".
    pub name: String,
    /// The bytes.
    pub data: Vec<u8>,
}

/// One expert info.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpertRecord {
    /// Which expert info.
    pub expert: Expert,
    /// Index of the record it is attached to (the item it explains).
    pub record: u32,
    /// Offset of the problem in the buffer.
    pub offset: u32,
    /// Text in [`Dissection::text`].
    pub text: (u32, u32),
}

/// The dissection of one buffer (a UDP payload, a TCP frame or a message).
#[derive(Clone, Debug, Default)]
pub struct Dissection {
    /// Tree items in pre-order.
    pub records: Vec<Record>,
    /// Expert infos.
    pub experts: Vec<ExpertRecord>,
    /// Text referenced by records and experts.
    pub text: String,
    /// A one-line summary for the Info column.
    pub summary: String,
    /// Offsets of the IKE messages found in the buffer.
    pub messages: Vec<(u32, u32)>,
    /// Buffers made during dissection, referred to by `Record::source`.
    pub sources: Vec<Source>,
    /// Offset of an ESP packet the buffer carries (UDP 4500, RFC 8229
    /// frame), from where an ESP dissector takes over.
    pub esp: Option<u32>,
}

impl Dissection {
    /// The bytes a record's offsets refer to, given the dissected buffer.
    pub fn buffer<'b>(&'b self, rec: &Record, buf: &'b [u8]) -> &'b [u8] {
        match rec.source {
            0 => buf,
            k => self
                .sources
                .get(usize::from(k) - 1)
                .map_or(&[][..], |s| &s.data[..]),
        }
    }

    /// The text of a (start, len) range.
    pub fn text_of(&self, r: (u32, u32)) -> &str {
        let (s, l) = (r.0 as usize, r.1 as usize);
        self.text.get(s..s + l).unwrap_or("")
    }

    /// Records of a field, in order.
    pub fn find(&self, field: Field) -> impl Iterator<Item = &Record> {
        self.records.iter().filter(move |r| r.field == field)
    }
}
