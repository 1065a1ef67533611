//! Dissection C API: the field catalogue, per-capture state and the
//! records of one buffer. Used by the Wireshark plugin; usable by any C
//! program that wants rike's view of IKE packets.

use std::ffi::{c_char, CString};
use std::sync::OnceLock;

use super::{guard, nonnull, rike_result};
use crate::dissect::{
    Base, CaptureState, Carrier, Dissection, FieldKind, Group, PduInfo, Severity, CATALOGUE,
    EXPERTS,
};
use crate::wire::transport::TCP_PREFIX;

/// Type of a field's value, as Wireshark's `FT_*`.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rike_field_kind {
    /// A label/subtree without a value (`FT_NONE`).
    Label = 0,
    /// `FT_UINT8`.
    Uint8 = 1,
    /// `FT_UINT16`.
    Uint16 = 2,
    /// `FT_UINT32`.
    Uint32 = 3,
    /// `FT_UINT64`.
    Uint64 = 4,
    /// `FT_BOOLEAN`; `bool_bits` gives the width of the masked integer.
    Boolean = 5,
    /// `FT_BYTES`.
    Bytes = 6,
    /// `FT_IPv4`.
    Ipv4 = 7,
    /// `FT_IPv6`.
    Ipv6 = 8,
    /// `FT_STRING` (value in the record's text when the flag says so,
    /// else the bytes).
    String = 9,
    /// `FT_FRAMENUM`; the value is in the record.
    FrameNum = 10,
    /// `FT_RELATIVE_TIME`; the value (nanoseconds) is in the record.
    RelTimeNs = 11,
}

/// Display base of an integer field.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rike_field_base {
    /// None (`BASE_NONE`).
    None = 0,
    /// Decimal (`BASE_DEC`).
    Dec = 1,
    /// Hexadecimal (`BASE_HEX`).
    Hex = 2,
}

/// Severity of an expert info.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rike_severity {
    /// Note (`PI_NOTE`).
    Note = 0,
    /// Warning (`PI_WARN`).
    Warning = 1,
    /// Error (`PI_ERROR`).
    Error = 2,
}

/// What an expert info is about, as Wireshark's `PI_*` groups.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rike_expert_group {
    /// The message breaks the format: lengths, counts, structure
    /// (`PI_MALFORMED`).
    Malformed = 0,
    /// Allowed by the format but against the protocol (`PI_PROTOCOL`).
    Protocol = 1,
    /// Sequence analysis: retransmissions (`PI_SEQUENCE`).
    Sequence = 2,
    /// Content not dissected: encrypted without keys, or not captured
    /// (`PI_UNDECODED`).
    Undecoded = 3,
    /// Decryption: ICV/tag failure, wrong key (`PI_DECRYPTION`).
    Decryption = 4,
    /// Fragments and their reassembly (`PI_REASSEMBLE`).
    Reassemble = 5,
}

/// One entry of a value-name table (Wireshark `value_string`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_value_name {
    /// The value.
    pub value: u32,
    /// Its name, NUL-terminated; NULL in the terminating entry.
    pub name: *const c_char,
}

/// One entry of a value-range table (Wireshark's `range_string` of 4.0
/// and later): values `min` to `max`, both included, have the name.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_range_name {
    /// First value of the range.
    pub min: u64,
    /// Last value of the range.
    pub max: u64,
    /// The name, NUL-terminated; NULL in the terminating entry.
    pub name: *const c_char,
}

/// One field of the catalogue. All pointers are static: valid for the
/// life of the process. Entries only grow at the end.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_field_info {
    /// Field id: the index in the catalogue, used in records.
    pub id: u32,
    /// Filter name, e.g. "rike.ispi".
    pub abbrev: *const c_char,
    /// Display name, e.g. "Initiator SPI".
    pub name: *const c_char,
    /// Value type.
    pub kind: rike_field_kind,
    /// Display base.
    pub base: rike_field_base,
    /// For booleans: width in bits of the integer the mask applies to.
    pub bool_bits: u32,
    /// Bit mask (0 = the whole field).
    pub mask: u64,
    /// Value names, terminated by an entry whose name is NULL; NULL when
    /// the field has none.
    pub values: *const rike_value_name,
    /// Number of value names, terminator not counted.
    pub values_len: usize,
    /// For booleans: the text of the set state, or NULL.
    pub true_text: *const c_char,
    /// For booleans: the text of the clear state, or NULL.
    pub false_text: *const c_char,
    /// For integer fields whose registry names ranges of values (private
    /// use, unassigned …): the whole lookup table, every entry of `values`
    /// as a one-value range first, then the named ranges; the first entry
    /// that holds a value names it. Terminated by an entry whose name is
    /// NULL. NULL when the field has no named ranges (`values` is then
    /// complete).
    pub ranges: *const rike_range_name,
    /// Number of entries of `ranges`, terminator not counted.
    pub ranges_len: usize,
}

/// One expert info of the catalogue (static pointers).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_expert_info {
    /// Expert id: the index, used in expert records.
    pub id: u32,
    /// Filter name, e.g. "rike.payloadlength.invalid".
    pub abbrev: *const c_char,
    /// Default text.
    pub summary: *const c_char,
    /// Severity.
    pub severity: rike_severity,
    /// What it is about.
    pub group: rike_expert_group,
}

struct StaticCatalogue {
    fields: Vec<rike_field_info>,
    experts: Vec<rike_expert_info>,
    // Owners of the memory the pointers above point into.
    _strings: Vec<CString>,
    _values: Vec<Vec<rike_value_name>>,
    _ranges: Vec<Vec<rike_range_name>>,
}

// The raw pointers point into the owned vectors of the same struct, which
// are never modified after construction and live in a static.
unsafe impl Send for StaticCatalogue {}
unsafe impl Sync for StaticCatalogue {}

fn cstring(s: &str, keep: &mut Vec<CString>) -> *const c_char {
    let c = CString::new(s.replace('\0', "")).unwrap_or_default();
    let p = c.as_ptr();
    keep.push(c);
    p
}

fn catalogue() -> &'static StaticCatalogue {
    static CAT: OnceLock<StaticCatalogue> = OnceLock::new();
    CAT.get_or_init(|| {
        let mut strings = Vec::new();
        let mut values = Vec::new();
        let mut ranges = Vec::new();
        let mut fields = Vec::with_capacity(CATALOGUE.len());
        for d in CATALOGUE {
            let (kind, bool_bits) = match d.kind {
                FieldKind::Label => (rike_field_kind::Label, 0),
                FieldKind::U8 => (rike_field_kind::Uint8, 0),
                FieldKind::U16 => (rike_field_kind::Uint16, 0),
                FieldKind::U32 => (rike_field_kind::Uint32, 0),
                FieldKind::U64 => (rike_field_kind::Uint64, 0),
                FieldKind::Bool { bits } => (rike_field_kind::Boolean, u32::from(bits)),
                FieldKind::Bytes => (rike_field_kind::Bytes, 0),
                FieldKind::Ipv4 => (rike_field_kind::Ipv4, 0),
                FieldKind::Ipv6 => (rike_field_kind::Ipv6, 0),
                FieldKind::String => (rike_field_kind::String, 0),
                FieldKind::FrameNum => (rike_field_kind::FrameNum, 0),
                FieldKind::RelTimeNs => (rike_field_kind::RelTimeNs, 0),
            };
            let (mut vptr, mut vlen) = (std::ptr::null(), 0);
            let (mut rptr, mut rlen) = (std::ptr::null(), 0);
            if let Some(v) = d.vals {
                let mut table: Vec<rike_value_name> = (v.named)()
                    .iter()
                    .map(|&(value, name)| rike_value_name {
                        value,
                        name: cstring(name, &mut strings),
                    })
                    .collect();
                let named_ranges = (v.ranges)();
                if !named_ranges.is_empty() {
                    // The names again (same strings) as one-value ranges,
                    // then the ranges: one complete range_string.
                    let mut rt: Vec<rike_range_name> = table
                        .iter()
                        .map(|e| rike_range_name {
                            min: u64::from(e.value),
                            max: u64::from(e.value),
                            name: e.name,
                        })
                        .collect();
                    for (lo, hi, name) in named_ranges {
                        rt.push(rike_range_name {
                            min: u64::from(lo),
                            max: u64::from(hi),
                            name: cstring(name, &mut strings),
                        });
                    }
                    rlen = rt.len();
                    rt.push(rike_range_name {
                        min: 0,
                        max: 0,
                        name: std::ptr::null(),
                    });
                    rptr = rt.as_ptr();
                    ranges.push(rt);
                }
                vlen = table.len();
                table.push(rike_value_name {
                    value: 0,
                    name: std::ptr::null(),
                });
                vptr = table.as_ptr();
                values.push(table);
            }
            let (t, f) = match d.tf {
                Some((t, f)) => (cstring(t, &mut strings), cstring(f, &mut strings)),
                None => (std::ptr::null(), std::ptr::null()),
            };
            fields.push(rike_field_info {
                id: d.field as u32,
                abbrev: cstring(d.abbrev, &mut strings),
                name: cstring(d.name, &mut strings),
                kind,
                base: match d.base {
                    Base::None => rike_field_base::None,
                    Base::Dec => rike_field_base::Dec,
                    Base::Hex => rike_field_base::Hex,
                },
                bool_bits,
                mask: d.mask,
                values: vptr,
                values_len: vlen,
                true_text: t,
                false_text: f,
                ranges: rptr,
                ranges_len: rlen,
            });
        }
        let experts = EXPERTS
            .iter()
            .map(|e| rike_expert_info {
                id: e.expert as u32,
                abbrev: cstring(e.abbrev, &mut strings),
                summary: cstring(e.summary, &mut strings),
                severity: match e.severity {
                    Severity::Note => rike_severity::Note,
                    Severity::Warning => rike_severity::Warning,
                    Severity::Error => rike_severity::Error,
                },
                group: match e.group {
                    Group::Malformed => rike_expert_group::Malformed,
                    Group::Protocol => rike_expert_group::Protocol,
                    Group::Sequence => rike_expert_group::Sequence,
                    Group::Undecoded => rike_expert_group::Undecoded,
                    Group::Decryption => rike_expert_group::Decryption,
                    Group::Reassemble => rike_expert_group::Reassemble,
                },
            })
            .collect();
        StaticCatalogue {
            fields,
            experts,
            _strings: strings,
            _values: values,
            _ranges: ranges,
        }
    })
}

/// Number of fields in the catalogue.
#[no_mangle]
pub extern "C" fn rike_field_count() -> usize {
    guard!(0, { catalogue().fields.len() })
}

/// The field with id `index` (0 ≤ index < `rike_field_count()`), or NULL
/// when out of range. The entry and its strings are static.
#[no_mangle]
pub extern "C" fn rike_field_get(index: usize) -> *const rike_field_info {
    guard!(std::ptr::null(), {
        catalogue()
            .fields
            .get(index)
            .map_or(std::ptr::null(), |f| f as *const _)
    })
}

/// Number of expert infos in the catalogue.
#[no_mangle]
pub extern "C" fn rike_expert_count() -> usize {
    guard!(0, { catalogue().experts.len() })
}

/// The expert info with id `index`, or NULL when out of range (static).
#[no_mangle]
pub extern "C" fn rike_expert_get(index: usize) -> *const rike_expert_info {
    guard!(std::ptr::null(), {
        catalogue()
            .experts
            .get(index)
            .map_or(std::ptr::null(), |e| e as *const _)
    })
}

/// How a buffer handed to the dissector was carried.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rike_carrier {
    /// A bare IKE message (UDP 500, or any port chosen with Decode As).
    Plain = 0,
    /// A UDP 4500 payload: non-ESP marker + IKE, NAT keepalive, or ESP.
    UdpEncap = 1,
    /// One RFC 8229 TCP frame, its two-octet length included.
    TcpFrame = 2,
    /// The RFC 8229 stream prefix "IKETCP".
    TcpPrefix = 3,
}

fn carrier_from(raw: u32) -> Option<Carrier> {
    Some(match raw {
        0 => Carrier::Plain,
        1 => Carrier::UdpEncap,
        2 => Carrier::TcpFrame,
        3 => Carrier::TcpPrefix,
        _ => return None,
    })
}

/// Flag of [`rike_pdu_info::flags`]: the frame was dissected before (on
/// Wireshark's later passes); the capture state learns nothing from it.
pub const RIKE_PDU_VISITED: u32 = 1;

/// Flag of [`rike_pdu_info::flags`]: the caller shows no tree for this
/// frame (Wireshark called the dissector with a NULL tree: tshark's summary
/// lines, the GUI's first pass). The dissection then has no records (and
/// its expert infos point at none); summary, expert infos, ESP offset and
/// sources are as without the flag, and the capture state learns the same.
/// Saves building the records and their texts.
pub const RIKE_PDU_NO_TREE: u32 = 2;

/// Where a buffer came from.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_pdu_info {
    /// Frame number (1-based).
    pub frame: u32,
    /// `RIKE_PDU_*` flags.
    pub flags: u32,
    /// Capture time of the frame, nanoseconds since the epoch.
    pub time_ns: u64,
    /// A `rike_carrier` value.
    pub carrier: u32,
    /// Length of the buffer on the wire (Wireshark's reported length), when
    /// the capture holds less of it (snapshot length, or an RFC 8229 frame
    /// continued in a segment not reassembled); 0 = the buffer is whole.
    /// Data missing at the end is then reported as not captured
    /// (`rike.short`), not as malformed. Must not be below the buffer's
    /// length. (Was a reserved field that had to be zero.)
    pub reported_len: u32,
}

/// Flag of [`rike_record::flags`]: `value` holds the value (the item has
/// no bytes of its own, or they do not encode the value directly).
pub const RIKE_RECORD_VALUE: u32 = 1;
/// Flag of [`rike_record::flags`]: `text` is set. For string fields it is
/// the value; for other fields, text to append to the item's label.
pub const RIKE_RECORD_TEXT: u32 = 2;

/// One tree item, in pre-order.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_record {
    /// Field id (index into the catalogue).
    pub field: u32,
    /// Depth in the tree, 0 = directly under the protocol item; a record
    /// is a child of the nearest earlier record with depth one less.
    pub depth: u32,
    /// Offset in the buffer.
    pub offset: u32,
    /// Length in octets (0 for generated items).
    pub length: u32,
    /// The value when `RIKE_RECORD_VALUE` is set.
    pub value: u64,
    /// `RIKE_RECORD_*` flags.
    pub flags: u32,
    /// The buffer `offset` refers to: 0 = the buffer that was dissected,
    /// k > 0 = `rike_dissection_source(d, k - 1, …)` (decrypted or
    /// reassembled data).
    pub source: u32,
    /// NUL-terminated text when `RIKE_RECORD_TEXT` is set, else NULL;
    /// owned by the dissection.
    pub text: *const c_char,
}

/// One expert info of a dissection.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rike_expert_record {
    /// Expert id (index into the expert catalogue).
    pub expert: u32,
    /// Index of the record the info is attached to.
    pub record: u32,
    /// Offset of the problem in the buffer.
    pub offset: u32,
    /// Reserved, zero.
    pub reserved: u32,
    /// NUL-terminated text, owned by the dissection.
    pub text: *const c_char,
}

/// Per-capture analysis state (request/response links, retransmissions,
/// fragment groups). Under the hood a `Box<CaptureState>`; not shareable
/// between threads at the same time.
pub struct rike_capture {
    state: CaptureState,
    poisoned: bool,
}

/// The records of one buffer. Under the hood a `Box`; immutable once made,
/// so its arrays and strings stay valid until `rike_dissection_free`.
pub struct rike_dissection {
    records: Vec<rike_record>,
    experts: Vec<rike_expert_record>,
    summary: CString,
    sources: Vec<(CString, Vec<u8>)>,
    esp: Option<u32>,
    // Owner of the texts the records point into.
    _texts: Box<[u8]>,
}

/// `s` as a C string, NUL octets left out.
fn c_string(s: &str) -> CString {
    CString::new(s).unwrap_or_else(|_| CString::new(s.replace('\0', "")).unwrap_or_default())
}

fn to_c(d: Dissection) -> rike_dissection {
    let Dissection {
        records,
        experts,
        text,
        summary,
        sources,
        esp,
        ..
    } = d;
    // Every text, NUL-terminated (NUL octets left out), in one buffer that
    // the records and experts point into: one allocation per dissection.
    let mut buf: Vec<u8> = Vec::with_capacity(text.len() + records.len() / 4 + experts.len() + 1);
    let mut put = |(s, l): (u32, u32)| -> usize {
        let (s, l) = (s as usize, l as usize);
        let t = text.as_bytes().get(s..s.saturating_add(l)).unwrap_or(&[]);
        let at = buf.len();
        if t.contains(&0) {
            buf.extend(t.iter().filter(|&&b| b != 0));
        } else {
            buf.extend_from_slice(t);
        }
        buf.push(0);
        at
    };
    let record_texts: Vec<Option<usize>> = records.iter().map(|r| r.text.map(&mut put)).collect();
    let expert_texts: Vec<usize> = experts.iter().map(|e| put(e.text)).collect();
    let texts = buf.into_boxed_slice();
    // The boxed buffer never moves its bytes: the pointers stay valid for
    // the life of the dissection, which owns it.
    let at = |o: usize| -> *const c_char {
        texts
            .get(o..)
            .map_or(std::ptr::null(), |t| t.as_ptr().cast())
    };
    let records = records
        .iter()
        .zip(&record_texts)
        .map(|(r, t)| rike_record {
            field: r.field as u32,
            depth: u32::from(r.depth),
            offset: r.offset,
            length: r.length,
            value: r.value.unwrap_or(0),
            flags: (if r.value.is_some() {
                RIKE_RECORD_VALUE
            } else {
                0
            }) | (if t.is_some() { RIKE_RECORD_TEXT } else { 0 }),
            source: u32::from(r.source),
            text: t.map_or(std::ptr::null(), at),
        })
        .collect();
    let experts = experts
        .iter()
        .zip(&expert_texts)
        .map(|(e, &t)| rike_expert_record {
            expert: e.expert as u32,
            record: e.record,
            offset: e.offset,
            reserved: 0,
            text: at(t),
        })
        .collect();
    let sources = sources
        .into_iter()
        .map(|s| (c_string(&s.name), s.data))
        .collect();
    rike_dissection {
        records,
        experts,
        summary: c_string(&summary),
        sources,
        esp,
        _texts: texts,
    }
}

/// Reads `len` bytes at `buf`; NULL is allowed only when `len` is 0.
///
/// # Safety
/// `buf` must be valid for `len` bytes when not NULL.
unsafe fn input<'a>(buf: *const u8, len: usize) -> Option<&'a [u8]> {
    if len == 0 {
        return Some(&[]);
    }
    if buf.is_null() {
        return None;
    }
    Some(std::slice::from_raw_parts(buf, len))
}

/// Creates the analysis state of one capture and writes it to `*out`.
/// Free it with `rike_capture_free`.
///
/// # Safety
/// `out` must be a valid pointer to writable memory.
#[no_mangle]
pub unsafe extern "C" fn rike_capture_new(out: *mut *mut rike_capture) -> rike_result {
    nonnull!(out);
    guard!(rike_result::Panic, {
        let c = Box::new(rike_capture {
            state: CaptureState::new(),
            poisoned: false,
        });
        *out = Box::into_raw(c);
        rike_result::Ok
    })
}

/// Frees a capture state; NULL is ignored. Records and dissections made
/// from it stay valid (they own their data).
///
/// # Safety
/// `capture` must come from `rike_capture_new` and not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rike_capture_free(capture: *mut rike_capture) {
    if !capture.is_null() {
        guard!((), {
            drop(Box::from_raw(capture));
        });
    }
}

/// Forgets everything the state learnt (call it when the capture is
/// closed, reloaded or a new one is opened). Also clears a poisoned state.
///
/// # Safety
/// `capture` must come from `rike_capture_new`.
#[no_mangle]
pub unsafe extern "C" fn rike_capture_reset(capture: *mut rike_capture) -> rike_result {
    nonnull!(capture);
    let c = &mut *capture;
    guard!(rike_result::Panic, {
        c.state.reset();
        c.poisoned = false;
        rike_result::Ok
    })
}

/// Dissects one buffer (`len` bytes at `buf`, carried as `info->carrier`)
/// in lax mode and adds the capture analysis (links, retransmissions,
/// fragment groups). Writes a new dissection to `*out` on success; free it
/// with `rike_dissection_free`. Malformed input is not an error: it gives
/// expert records. `buf` may be NULL only when `len` is 0.
///
/// Returns `RIKE_RESULT_INVALID_PARAMETER` for an unknown carrier or a
/// `reported_len` that is not 0 but below `len`, `RIKE_RESULT_POISONED`
/// after an earlier panic (reset or free the state).
///
/// # Safety
/// `capture` from `rike_capture_new`; `info` valid; `buf` valid for `len`
/// bytes; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn rike_capture_dissect(
    capture: *mut rike_capture,
    info: *const rike_pdu_info,
    buf: *const u8,
    len: usize,
    out: *mut *mut rike_dissection,
) -> rike_result {
    nonnull!(capture);
    nonnull!(info);
    nonnull!(out);
    let c = &mut *capture;
    if c.poisoned {
        return rike_result::Poisoned;
    }
    let info = *info;
    let Some(carrier) = carrier_from(info.carrier) else {
        return rike_result::InvalidParameter;
    };
    let reported = info.reported_len as usize;
    if reported != 0 && reported < len {
        return rike_result::InvalidParameter;
    }
    let Some(bytes) = input(buf, len) else {
        return rike_result::NullParameter;
    };
    let pdu = PduInfo {
        frame: info.frame,
        time_ns: info.time_ns,
        visited: info.flags & RIKE_PDU_VISITED != 0,
        carrier,
    };
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let d = if info.flags & RIKE_PDU_NO_TREE != 0 {
            c.state.dissect_summary(&pdu, bytes, reported.max(len))
        } else {
            c.state.dissect_captured(&pdu, bytes, reported.max(len))
        };
        Box::into_raw(Box::new(to_c(d)))
    }));
    match r {
        Ok(d) => {
            *out = d;
            rike_result::Ok
        }
        Err(_) => {
            c.poisoned = true;
            rike_result::Panic
        }
    }
}

/// Dissects one buffer without any capture state (no links between
/// packets). Otherwise as `rike_capture_dissect`.
///
/// # Safety
/// `buf` valid for `len` bytes (or NULL with `len` 0); `out` writable.
#[no_mangle]
pub unsafe extern "C" fn rike_dissect(
    buf: *const u8,
    len: usize,
    carrier: u32,
    out: *mut *mut rike_dissection,
) -> rike_result {
    nonnull!(out);
    let Some(carrier) = carrier_from(carrier) else {
        return rike_result::InvalidParameter;
    };
    let Some(bytes) = input(buf, len) else {
        return rike_result::NullParameter;
    };
    guard!(rike_result::Panic, {
        let d = crate::dissect::dissect(bytes, carrier);
        *out = Box::into_raw(Box::new(to_c(d)));
        rike_result::Ok
    })
}

/// The records of a dissection; their number goes to `*len_out`. The
/// array is owned by the dissection. Returns NULL (and 0) when `d` or
/// `len_out` is NULL.
///
/// # Safety
/// `d` from a dissect call and not freed; `len_out` writable or NULL.
#[no_mangle]
pub unsafe extern "C" fn rike_dissection_records(
    d: *const rike_dissection,
    len_out: *mut usize,
) -> *const rike_record {
    if d.is_null() || len_out.is_null() {
        if !len_out.is_null() {
            *len_out = 0;
        }
        return std::ptr::null();
    }
    let d = &*d;
    *len_out = d.records.len();
    d.records.as_ptr()
}

/// The expert records of a dissection, like `rike_dissection_records`.
///
/// # Safety
/// As `rike_dissection_records`.
#[no_mangle]
pub unsafe extern "C" fn rike_dissection_experts(
    d: *const rike_dissection,
    len_out: *mut usize,
) -> *const rike_expert_record {
    if d.is_null() || len_out.is_null() {
        if !len_out.is_null() {
            *len_out = 0;
        }
        return std::ptr::null();
    }
    let d = &*d;
    *len_out = d.experts.len();
    d.experts.as_ptr()
}

/// A one-line summary for the Info column (owned by the dissection; "" for
/// a NULL dissection).
///
/// # Safety
/// `d` from a dissect call and not freed, or NULL.
#[no_mangle]
pub unsafe extern "C" fn rike_dissection_summary(d: *const rike_dissection) -> *const c_char {
    if d.is_null() {
        return c"".as_ptr();
    }
    (*d).summary.as_ptr()
}

/// Number of extra buffers (decrypted or reassembled data) the records
/// refer to; 0 for a NULL dissection.
///
/// # Safety
/// `d` from a dissect call and not freed, or NULL.
#[no_mangle]
pub unsafe extern "C" fn rike_dissection_source_count(d: *const rike_dissection) -> usize {
    if d.is_null() {
        return 0;
    }
    (*d).sources.len()
}

/// The bytes of extra buffer `index` (records with `source == index + 1`
/// refer to it); its length goes to `*len_out`. Owned by the dissection.
/// NULL (and 0) when out of range or a pointer is NULL.
///
/// # Safety
/// `d` from a dissect call and not freed; `len_out` writable or NULL.
#[no_mangle]
pub unsafe extern "C" fn rike_dissection_source(
    d: *const rike_dissection,
    index: usize,
    len_out: *mut usize,
) -> *const u8 {
    if len_out.is_null() {
        return std::ptr::null();
    }
    *len_out = 0;
    if d.is_null() {
        return std::ptr::null();
    }
    let d = &*d;
    match d.sources.get(index) {
        Some((_, data)) => {
            *len_out = data.len();
            data.as_ptr()
        }
        None => std::ptr::null(),
    }
}

/// Where the ESP packet carried by the dissected buffer starts (UDP 4500
/// without the non-ESP marker, or an RFC 8229 frame holding ESP): writes
/// its offset in the buffer to `*offset_out` and returns `RIKE_RESULT_OK`.
/// A caller with an ESP dissector hands it the bytes from there on; the
/// records at that offset and after it (source 0, depth 0) only show the
/// ESP header. Returns `RIKE_RESULT_DONE` (nothing written) when the
/// buffer carries no ESP.
///
/// # Safety
/// `d` from a dissect call and not freed; `offset_out` writable.
#[no_mangle]
pub unsafe extern "C" fn rike_dissection_esp_offset(
    d: *const rike_dissection,
    offset_out: *mut usize,
) -> rike_result {
    nonnull!(d);
    nonnull!(offset_out);
    guard!(rike_result::Panic, {
        match (*d).esp {
            Some(off) => {
                *offset_out = off as usize;
                rike_result::Ok
            }
            None => rike_result::Done,
        }
    })
}

/// The display name of extra buffer `index` (e.g. "Decrypted IKE
/// (ENCR_AES_GCM_16 (20) 256-bit)"); "" when out of range.
///
/// # Safety
/// `d` from a dissect call and not freed, or NULL.
#[no_mangle]
pub unsafe extern "C" fn rike_dissection_source_name(
    d: *const rike_dissection,
    index: usize,
) -> *const c_char {
    if d.is_null() {
        return c"".as_ptr();
    }
    let d = &*d;
    d.sources
        .get(index)
        .map_or(c"".as_ptr(), |(n, _)| n.as_ptr())
}

/// Loads decryption keys from a file or a directory of files (Wireshark's
/// ikev1/ikev2_decryption_table, strongSwan save-keys output, tcpdump/pluto
/// "ikev2 I|R" lines, a rike key log) into the capture state. `path` is a
/// NUL-terminated UTF-8 path. Lines that cannot be read are skipped and
/// counted in `*skipped_out` (may be NULL). Keys add to those already
/// loaded and survive `rike_capture_reset`.
///
/// Returns `RIKE_RESULT_INVALID_PARAMETER` when the path is not UTF-8 or
/// cannot be read.
///
/// # Safety
/// `capture` from `rike_capture_new`; `path` a NUL-terminated string;
/// `skipped_out` writable or NULL.
#[no_mangle]
pub unsafe extern "C" fn rike_capture_load_keys(
    capture: *mut rike_capture,
    path: *const c_char,
    skipped_out: *mut usize,
) -> rike_result {
    nonnull!(capture);
    nonnull!(path);
    let c = &mut *capture;
    let Ok(p) = std::ffi::CStr::from_ptr(path).to_str() else {
        return rike_result::InvalidParameter;
    };
    guard!(rike_result::Panic, {
        let before = c.state.keys().problems.len();
        match c.state.keys_mut().load_path(std::path::Path::new(p)) {
            Ok(()) => {
                if !skipped_out.is_null() {
                    *skipped_out = c.state.keys().problems.len() - before;
                }
                rike_result::Ok
            }
            Err(_) => rike_result::InvalidParameter,
        }
    })
}

/// Adds keys given as text (`len` bytes of UTF-8 at `text`, the formats of
/// `rike_capture_load_keys`). Unreadable lines are counted in
/// `*skipped_out` (may be NULL).
///
/// # Safety
/// `capture` from `rike_capture_new`; `text` valid for `len` bytes;
/// `skipped_out` writable or NULL.
#[no_mangle]
pub unsafe extern "C" fn rike_capture_add_keys(
    capture: *mut rike_capture,
    text: *const c_char,
    len: usize,
    skipped_out: *mut usize,
) -> rike_result {
    nonnull!(capture);
    let c = &mut *capture;
    let Some(bytes) = input(text.cast(), len) else {
        return rike_result::NullParameter;
    };
    let Ok(s) = std::str::from_utf8(bytes) else {
        return rike_result::InvalidParameter;
    };
    guard!(rike_result::Panic, {
        let before = c.state.keys().problems.len();
        c.state.keys_mut().load_str("keys", s);
        if !skipped_out.is_null() {
            *skipped_out = c.state.keys().problems.len() - before;
        }
        rike_result::Ok
    })
}

/// Forgets every key of the capture state and everything decrypted with
/// them, so that other keys can be loaded (a changed key-file preference)
/// without creating a new state; the analysis learnt from the capture
/// (links, retransmissions, fragment groups) stays.
///
/// Returns `RIKE_RESULT_POISONED` after an earlier panic (reset or free
/// the state).
///
/// # Safety
/// `capture` from `rike_capture_new`.
#[no_mangle]
pub unsafe extern "C" fn rike_capture_clear_keys(capture: *mut rike_capture) -> rike_result {
    nonnull!(capture);
    let c = &mut *capture;
    if c.poisoned {
        return rike_result::Poisoned;
    }
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.state.clear_keys()));
    match r {
        Ok(()) => rike_result::Ok,
        Err(_) => {
            c.poisoned = true;
            rike_result::Panic
        }
    }
}

/// Number of IKE SAs whose keys the capture state holds.
///
/// # Safety
/// `capture` from `rike_capture_new`, or NULL (gives 0).
#[no_mangle]
pub unsafe extern "C" fn rike_capture_key_count(capture: *const rike_capture) -> usize {
    if capture.is_null() {
        return 0;
    }
    (*capture).state.keys().len()
}

/// Frees a dissection; NULL is ignored.
///
/// # Safety
/// `d` from a dissect call, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn rike_dissection_free(d: *mut rike_dissection) {
    if !d.is_null() {
        guard!((), {
            drop(Box::from_raw(d));
        });
    }
}

/// RFC 8229 TCP: the length of the PDU at the start of `buf` (a stream
/// position where a PDU starts): 6 for the "IKETCP" prefix, else the frame
/// length from its two-octet length field. Needs at least 6 bytes (the
/// smallest PDU). Writes the length to `*len_out`.
///
/// Returns `RIKE_RESULT_TRUNCATED` with fewer than 6 bytes and
/// `RIKE_RESULT_MALFORMED` for a frame length below 6, writing nothing.
/// After `RIKE_RESULT_MALFORMED` the stream cannot be followed further:
/// hand the rest of the data to `rike_capture_dissect` as one
/// `RIKE_CARRIER_TCP_FRAME`; its dissection shows the bad length field and
/// a `rike.malformed` expert (for Wireshark's `tcp_dissect_pdus`: return
/// the remaining length of the segment as the PDU length).
///
/// # Safety
/// `buf` valid for `len` bytes; `len_out` writable.
#[no_mangle]
pub unsafe extern "C" fn rike_tcp_pdu_length(
    buf: *const u8,
    len: usize,
    len_out: *mut usize,
) -> rike_result {
    nonnull!(buf);
    nonnull!(len_out);
    let b = std::slice::from_raw_parts(buf, len);
    if b.len() < TCP_PREFIX.len() {
        return rike_result::Truncated;
    }
    if b.starts_with(TCP_PREFIX) {
        *len_out = TCP_PREFIX.len();
        return rike_result::Ok;
    }
    let n = usize::from(u16::from_be_bytes([b[0], b[1]]));
    if n < 6 {
        return rike_result::Malformed;
    }
    *len_out = n;
    rike_result::Ok
}

/// The carrier of one whole RFC 8229 PDU: `RIKE_CARRIER_TCP_PREFIX` for
/// "IKETCP", else `RIKE_CARRIER_TCP_FRAME`.
///
/// # Safety
/// `buf` valid for `len` bytes (or NULL with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn rike_tcp_pdu_carrier(buf: *const u8, len: usize) -> rike_carrier {
    match input(buf, len) {
        Some(b) if b == TCP_PREFIX => rike_carrier::TcpPrefix,
        _ => rike_carrier::TcpFrame,
    }
}

/// Heuristic for a TCP payload that may start an RFC 8229 stream: true
/// when it begins with "IKETCP", or with a frame whose length field, non-ESP
/// marker and ISAKMP header (version 1 or 2, length = frame length − 6)
/// agree.
///
/// # Safety
/// `buf` valid for `len` bytes (or NULL with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn rike_tcp_heuristic(buf: *const u8, len: usize) -> bool {
    let Some(b) = input(buf, len) else {
        return false;
    };
    if b.len() >= TCP_PREFIX.len() && b.starts_with(TCP_PREFIX) {
        return true;
    }
    let hdr = 2 + 4 + crate::wire::header::HEADER_LEN;
    if b.len() < hdr || b[2..6] != [0, 0, 0, 0] {
        return false;
    }
    let frame_len = usize::from(u16::from_be_bytes([b[0], b[1]]));
    let Ok(h) = crate::wire::Header::parse(&b[6..]) else {
        return false;
    };
    h.ike_version().is_some() && h.length as usize + 6 == frame_len && h.version.minor() == 0
}

/// Heuristic for a UDP payload: true when it holds an ISAKMP header of
/// version 1.0 or 2.0 whose length equals the payload length (after a
/// non-ESP marker when `carrier` is `RIKE_CARRIER_UDP_ENCAP`).
///
/// # Safety
/// `buf` valid for `len` bytes (or NULL with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn rike_udp_heuristic(buf: *const u8, len: usize, carrier: u32) -> bool {
    let Some(b) = input(buf, len) else {
        return false;
    };
    let ike = match carrier_from(carrier) {
        Some(Carrier::Plain) => b,
        Some(Carrier::UdpEncap) if b.len() > 4 && b[..4] == [0, 0, 0, 0] => &b[4..],
        _ => return false,
    };
    let Ok(h) = crate::wire::Header::parse(ike) else {
        return false;
    };
    h.ike_version().is_some() && h.version.minor() == 0 && h.length as usize == ike.len()
}
