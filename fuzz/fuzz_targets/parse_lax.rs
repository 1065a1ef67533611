//! parse_lax: the first octet picks the carrier (0 Plain, 1 UDP-encap,
//! 2 TCP frame, 3 TCP prefix; modulo 4), the rest goes to
//! `rike::dissect::dissect`, which must never panic and must return a
//! well-formed dissection: records read from the bytes lie within the
//! buffer, depths rise by at most one from record to record, experts point
//! at existing records, text ranges are valid, every record renders. The
//! rest (and the IKE message inside a UDP-encap datagram or TCP frame) is
//! also walked with `Message::parse(_, Mode::Lax)` and v1/v2::decode in lax
//! mode, draining every sub-iterator (proposals, transforms, attributes,
//! selectors, CP attributes, delete SPIs, notify data, GDOI chains);
//! nothing may panic. See `rike_fuzz::check_parse_lax`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rike_fuzz::fuzz_parse_lax(data));
