#!/usr/bin/env bash
# CI smoke run of the fuzz targets: builds them without a sanitizer (works
# on stable Rust, no RUSTC_BOOTSTRAP needed), seeds the corpora from
# tests/data when they are empty, and runs each target for SMOKE_SECONDS
# (default 30) from its corpus, with a 10 s per-input timeout. Exits
# non-zero if the build fails or any target crashes, hangs or runs out of
# memory (libFuzzer leaves the input in fuzz/artifacts/<target>/).
#
# Usage (from anywhere): fuzz/smoke.sh [TARGET...]
# Needs cargo-fuzz:      cargo install cargo-fuzz --locked
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
cd "$root" || exit 2

secs="${SMOKE_SECONDS:-30}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(parse_strict parse_lax tcp_reassembler roundtrip_emit engine_exchange)
fi

# A target dir of its own, so the ASan builds in fuzz/target stay.
td=fuzz/target/smoke
cargo fuzz build --sanitizer none --target-dir "$td" || exit 2

# Seed the corpora once (they are git-ignored).
for t in "${targets[@]}"; do
    if [ -z "$(ls -A "fuzz/corpus/$t" 2>/dev/null)" ]; then
        cargo run --release --manifest-path fuzz/Cargo.toml --example seed \
            -- tests/data fuzz/corpus || exit 2
        break
    fi
done

status=0
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for t in "${targets[@]}"; do
    echo "=== $t (${secs}s)"
    cargo fuzz run --sanitizer none --target-dir "$td" "$t" -- \
        -max_total_time="$secs" -timeout=10 -print_final_stats=1 >"$log" 2>&1
    rc=$?
    grep -E '^#[0-9]+[[:space:]]+DONE|^stat::number_of_executed_units|^stat::average_exec_per_sec' "$log"
    if [ $rc -ne 0 ]; then
        grep -E 'panicked|SUMMARY|Test unit written|^ERROR|==[0-9]+==' "$log" | head -20
        echo "!!! $t failed (exit $rc)"
        status=1
    fi
done
exit $status
