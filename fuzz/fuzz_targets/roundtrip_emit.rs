//! roundtrip_emit: builds a message with `rike::wire::emit::MessageBuilder`
//! from a fuzzer-chosen header and payload list (types, flags, bodies;
//! IKEv2 SK/SKF through `encrypted`; see `rike_fuzz::EmitCase`). `finish`
//! must fail exactly when a body overflows its 16-bit length or a payload
//! follows SK/SKF; otherwise the message must parse and its `PayloadIter`
//! must yield exactly the payloads given, and the message must pass the
//! parse_strict check. See `rike_fuzz::check_roundtrip_emit`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rike_fuzz::fuzz_roundtrip_emit(data));
