#!/usr/bin/env bash
# Runs every test of rike: formatting and lints, the Rust test suites
# (unit, corpus, tshark agreement, property, zero-allocation), a short
# fuzzing smoke run, and the benchmarks in quick mode.
#
# Needs: cargo, tshark (the agreement test runs it; RIKE_SKIP_TSHARK=1
# skips that test explicitly), cargo-fuzz for the fuzz smoke stage
# (skipped with a notice when absent; .ci/run installs it). The tests
# include tests/interop.rs: rike against strongSwan and libreswan in network
# namespaces, as root (tests/interop/README.md; RIKE_SKIP_INTEROP=1 skips it,
# RIKE_REQUIRE_INTEROP=1, set by .ci/run, makes a missing prerequisite fail).
set -euo pipefail
cd "$(dirname "$0")/.."

stage() { printf '\n==== %s\n' "$*"; }

stage "format"
cargo fmt --all -- --check

stage "clippy"
cargo clippy --all-targets -- -D warnings

stage "build (release)"
cargo build --release --all-targets

stage "tests"
cargo test --release

stage "main command (embedded sample)"
out=$(cargo run --release -q)
grep -q "IKE_SA_INIT" <<<"$out"
grep -q "RFC 8229" <<<"$out"
if cargo run --release -q -- dissect /etc/hostname 2>/dev/null; then
  echo "rike dissect accepted a non-capture file" >&2; exit 1
fi

stage "fuzz smoke"
if command -v cargo-fuzz >/dev/null 2>&1 && [ -x fuzz/smoke.sh ]; then
  fuzz/smoke.sh
else
  echo "cargo-fuzz not installed: fuzz smoke run skipped (.ci/run installs it)"
fi

stage "benchmarks (quick)"
cargo bench --bench parse -- --warm-up-time 1 --measurement-time 2 --noplot
cargo bench --bench crypto -- --warm-up-time 0.5 --measurement-time 1 --noplot
cargo bench --bench handshake -- --warm-up-time 1 --measurement-time 2 --noplot
cargo run --release -q --example engine_sa_memory 200

stage "all tests passed"
