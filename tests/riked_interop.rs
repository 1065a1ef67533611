//! riked (examples/riked, the reference C daemon on the C API) against
//! strongSwan and against itself over RFC 8229 TCP: runs
//! `tests/interop/riked.sh` (every scenario; see the script's header and
//! tests/interop/README.md). The script builds riked against a release
//! librike installed with tools/install-capi.sh, as a user would.
//!
//! Needs root, strongSwan's charon and swanctl, tshark/dumpcap, ip, ping,
//! openssl, python3, cc and pkg-config. Without them it prints why and
//! passes, unless `RIKE_REQUIRE_INTEROP=1` (CI sets it), which makes a
//! missing prerequisite a failure. `RIKE_SKIP_INTEROP=1` skips it.

#[path = "common/interop_harness.rs"]
mod interop_harness;

#[test]
fn riked_interoperates_with_strongswan_and_itself_over_tcp() {
    interop_harness::run_interop(
        "riked interop",
        "riked.sh",
        &["cc", "pkg-config"],
        &[
            ("RIKE_BIN", env!("CARGO_BIN_EXE_rike")),
            ("CARGO", env!("CARGO")),
        ],
    );
}
