//! rike against strongSwan: runs `tests/interop/run.sh` (every scenario,
//! rike as initiator and as responder, in network namespaces; see
//! tests/interop/README.md) with the `rike` binary of this build.
//!
//! It needs root and strongSwan's charon, swanctl, tshark/dumpcap, ip,
//! ping, openssl and python3. Without them it prints why and passes, unless
//! `RIKE_REQUIRE_INTEROP=1` (CI sets it), which makes a missing
//! prerequisite a failure. `RIKE_SKIP_INTEROP=1` skips it explicitly.

#[path = "common/interop_harness.rs"]
mod interop_harness;

#[test]
fn rike_interoperates_with_strongswan() {
    interop_harness::run_interop(
        "interop",
        "run.sh",
        &[],
        &[("RIKE_BIN", env!("CARGO_BIN_EXE_rike"))],
    );
}
