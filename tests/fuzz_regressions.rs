//! Regression tests for inputs found by the fuzz targets in `fuzz/`.
//!
//! The checks are the fuzz targets' own: `fuzz/src/lib.rs` is included
//! here as a module, so each input is replayed through exactly the code
//! libFuzzer ran (the `check_*` functions, without the known-bug filter of
//! the `fuzz_*` wrappers). Inputs live in
//! `tests/data/fuzz-regressions/<target>/`; every file there is replayed
//! by `replay_<target>`, and the bugs get a named test each that says what
//! went wrong.
//!
//! A test marked "FAILS until … is fixed" reproduces a library bug that
//! was reported and not yet fixed; once the library is fixed it passes.
//! (None is open at the moment: both bugs below were fixed in 862eaad;
//! every input fails at d406688 and passes from 862eaad on.)

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod checks;

use std::path::{Path, PathBuf};

fn dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fuzz-regressions")
        .join(target)
}

fn input(target: &str, name: &str) -> Vec<u8> {
    let p = dir(target).join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Replays every file of a target's directory through its check and
/// names the ones that fail.
fn replay_all(target: &str, check: fn(&[u8])) {
    let Ok(rd) = std::fs::read_dir(dir(target)) else {
        return;
    };
    let mut names: Vec<_> = rd
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let failed: Vec<_> = names
        .into_iter()
        .filter(|n| {
            let data = input(target, n);
            std::panic::catch_unwind(|| check(&data)).is_err()
        })
        .collect();
    assert!(failed.is_empty(), "{target}: failing inputs {failed:?}");
}

#[test]
fn replay_parse_strict() {
    replay_all("parse_strict", checks::check_parse_strict);
}

#[test]
fn replay_parse_lax() {
    replay_all("parse_lax", checks::check_parse_lax);
}

#[test]
fn replay_tcp_reassembler() {
    replay_all("tcp_reassembler", checks::check_tcp_reassembler);
}

#[test]
fn replay_roundtrip_emit() {
    replay_all("roundtrip_emit", checks::check_roundtrip_emit);
}

#[test]
fn replay_engine_exchange() {
    replay_all("engine_exchange", |d| {
        checks::check_engine_exchange(d);
    });
}

/// The engine target's script language: a script that only delivers runs
/// a whole handshake, IKEv2 (even first octet) and IKEv1 (odd); one that
/// drops everything brings nothing up; hostile scripts (every operation,
/// raw injections, corruption, commands) run to the end.
#[test]
fn engine_exchange_scripts_mean_what_they_say() {
    assert_eq!(checks::check_engine_exchange(&[0; 64]), (1, 1), "IKEv2");
    let mut v1 = vec![1u8; 64];
    v1[0] = 1;
    assert_eq!(checks::check_engine_exchange(&v1), (1, 1), "IKEv1");
    let mut drop = vec![4u8; 64];
    drop[0] = 0;
    assert_eq!(checks::check_engine_exchange(&drop), (0, 0));
    let mut x: u32 = 0x1234_5678;
    for first in 0..8u8 {
        let mut script = vec![first];
        script.extend((0..2000).map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        }));
        checks::check_engine_exchange(&script);
    }
}

// ---------------------------------------------------------------------
// Bug 1 (fixed in 862eaad): an IKEv1 payload of type 46 or 53 ended the
// payload chain.
// ---------------------------------------------------------------------
//
// `PayloadIter::next` (src/wire/message.rs) treated payload types 46 (SK)
// and 53 (SKF) as "last, next-payload names the inner payload" in every
// message, IKEv1 included, where 46 and 53 are unassigned ISAKMP payload
// types. `validate` then accepted IKEv1 messages whose chain really goes
// on, and `reemit` (which writes the payload through
// `MessageBuilder::payload`, next payload 0) did not give them back.

/// IKEv1 header (version 0x10, next payload 46, length 32) and one
/// payload `01 00 00 04` (next payload SA, length 4). Before the fix,
/// `validate` accepted it and `reemit` changed octet 28 from 01 to 00;
/// now the chain goes on to the SA payload, finds no bytes, and
/// `validate` rejects the message.
#[test]
fn v1_payload_46_ends_chain_parse_strict() {
    let data = input("parse_strict", "v1-payload-46-ends-chain.bin");
    checks::check_parse_strict(&data);
}

/// The fuzzer's original find: an IKEv1 message (version 0x17) whose first
/// payload is type 53 with next payload 0x23.
#[test]
fn v1_payload_53_ends_chain_parse_strict() {
    let data = input("parse_strict", "v1-payload-53-ends-chain-fuzzer.bin");
    checks::check_parse_strict(&data);
}

/// The same bug seen from the builder: an IKEv1 message built with
/// `MessageBuilder` as [payload 46 (empty), Nonce (10, empty)] did not
/// parse back: `PayloadIter` stopped after the 46 payload and reported the
/// Nonce as data after an encrypted payload.
#[test]
fn v1_payload_46_ends_chain_roundtrip_emit() {
    let data = input("roundtrip_emit", "v1-payload-46-then-nonce.bin");
    checks::check_roundtrip_emit(&data);
}

// ---------------------------------------------------------------------
// Bug 2 (fixed in 862eaad): a Delete payload with SPI size 0 and a
// non-zero SPI count re-emitted a count of 0.
// ---------------------------------------------------------------------
//
// `validate` accepts SPI size 0 with any count (size × count = 0 octets of
// SPIs), but `reemit` (src/wire/reemit.rs, Delete arms of `emit_v1` and
// `emit_v2`) wrote `d.spis().count()`, which was 0 when the SPI size is 0,
// instead of `num_spis`.

/// IKEv2 INFORMATIONAL with one Delete: protocol 1 (IKE), SPI size 0,
/// number of SPIs 1. Before the fix the re-emitted count was 0 (octets
/// 34–35 changed from 00 01 to 00 00).
#[test]
fn v2_delete_spi_size_0_count_1_parse_strict() {
    let data = input("parse_strict", "v2-delete-spi-size-0-count-1.bin");
    checks::check_parse_strict(&data);
}

/// IKEv1 Informational with one Delete: DOI 1, protocol 1 (ISAKMP), SPI
/// size 0, number of SPIs 1; same failure at octets 38–39.
#[test]
fn v1_delete_spi_size_0_count_1_parse_strict() {
    let data = input("parse_strict", "v1-delete-spi-size-0-count-1.bin");
    checks::check_parse_strict(&data);
}

/// The fuzzer's original find (roundtrip_emit): a built 250 986-octet
/// IKEv2 message whose 42nd payload is a Delete with SPI size 0 and count
/// 0x402e; it parsed strictly but re-emitted with count 0.
#[test]
fn v2_delete_spi_size_0_roundtrip_emit() {
    let data = input("roundtrip_emit", "v2-delete-spi-size-0-count-16430.bin");
    checks::check_roundtrip_emit(&data);
}
