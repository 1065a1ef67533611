//! parse_strict: `rike::wire::validate` (strict parse and walk of a whole
//! message) must never panic, and any message it accepts must re-emit
//! byte for byte: `reemit(data) == Ok(data)` (the codec's round-trip
//! property). See `rike_fuzz::check_parse_strict`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rike_fuzz::fuzz_parse_strict(data));
