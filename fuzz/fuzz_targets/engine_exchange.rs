//! engine_exchange: two in-process engines (IKEv2 or IKEv1) handshaking
//! while the input decides every datagram's fate, injects raw datagrams,
//! moves the clock and issues commands. See
//! `rike_fuzz::check_engine_exchange`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rike_fuzz::fuzz_engine_exchange(data));
