#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark: tshark's wall time over one large capture with the rike plugin
# and with the built-in isakmp dissector, measured in the same run.
#
# The large capture is made here, not committed: every capture of tests/data
# is concatenated once (mergecap -a; files mergecap cannot read are left
# out), then the result is doubled until it holds at least MIN_IKE IKE
# packets (as counted by the built-in dissector: isakmp or udpencap).
# Repeated packets look like retransmissions to both dissectors, which keep
# per-capture state for them.
#
# Then, REPS times, in alternating order (built-in first on odd rounds,
# plugin first on even ones), two modes:
#   summary: tshark -r BIG -n                  (columns only; no tree)
#   tree:    tshark -r BIG -n -V               (the full tree of every packet)
# output to /dev/null. The plugin runs with the built-in dissectors disabled
# (--disable-protocol isakmp/udpencap/tcpencap); the built-in runs without
# any plugin loaded. Both load the same (empty) set of other plugins. The
# figures are medians; ratio = plugin / built-in (below 1: the plugin is
# faster). Not a test: nothing is asserted.
#
# Usage: tests/plugin/bench.sh [DIR]
#   DIR       work directory (default <target>/plugin-bench); the plugin is
#             built there with tests/plugin/run.sh build
# Environment:
#   MIN_IKE=100000   IKE packets the capture must hold at least
#   REPS=5           rounds per mode
#   MODES="summary tree"
#   RIKE_LIB=…       as for run.sh (skip the cargo build)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
DIR=${1:-$TARGET/plugin-bench}
MIN_IKE=${MIN_IKE:-100000}
REPS=${REPS:-5}
MODES=${MODES:-summary tree}
RUN=$ROOT/tests/plugin/run.sh

command -v mergecap >/dev/null || { echo "bench: mergecap (wireshark-common) is needed" >&2; exit 3; }
mkdir -p "$DIR"
chmod a+rx "$DIR"
"$RUN" build "$DIR/env" >/dev/null

# ---- the capture
WORK=$DIR/work
rm -rf "$WORK"
mkdir -p "$WORK"
chmod a+rx "$WORK"
mapfile -t CAPS < <(find "$ROOT/tests/data" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort)
GOOD=()
for c in "${CAPS[@]}"; do
  # mergecap stops at the first unreadable file: keep those it can copy whole.
  if mergecap -a -w "$WORK/probe.pcapng" "$c" >/dev/null 2>&1; then GOOD+=("$c"); fi
done
rm -f "$WORK/probe.pcapng"
mergecap -a -w "$WORK/corpus.pcapng" "${GOOD[@]}"
chmod a+r "$WORK/corpus.pcapng"
count_ike() {
  "$RUN" tshark-builtin "$DIR/env" -r "$1" -n -Y 'isakmp || udpencap' -T fields -e frame.number 2>/dev/null | wc -l
}
per_corpus=$(count_ike "$WORK/corpus.pcapng")
frames_corpus=$(capinfos -M -c -T "$WORK/corpus.pcapng" | awk -F'\t' 'NR == 2 {print $2}')
[[ $per_corpus -gt 0 ]] || { echo "bench: no IKE packets in the corpus?" >&2; exit 1; }
cur=$WORK/corpus.pcapng
copies=1
while (( per_corpus * copies < MIN_IKE )); do
  mergecap -a -w "$WORK/x$((copies * 2)).pcapng" "$cur" "$cur"
  [[ $cur == "$WORK/corpus.pcapng" ]] || rm -f "$cur"
  cur=$WORK/x$((copies * 2)).pcapng
  copies=$((copies * 2))
done
BIG=$WORK/big.pcapng
mv "$cur" "$BIG"
chmod a+r "$BIG"
frames=$((frames_corpus * copies))
ike=$((per_corpus * copies))
size=$(du -h "$BIG" | cut -f1)
echo "capture: ${#GOOD[@]} of ${#CAPS[@]} corpus captures concatenated (${frames_corpus} frames," \
     "${per_corpus} IKE packets), x${copies}: ${frames} frames, ${ike} IKE packets, ${size}"

PLUGIN_ARGS=(--disable-protocol isakmp --disable-protocol udpencap --disable-protocol tcpencap)
now() { date +%s.%N; }
# run WHICH MODE: prints the wall time in seconds.
run() {
  local which=$1 mode=$2 args=(-r "$BIG" -n) t0 t1 sub=tshark-builtin
  [[ $mode == tree ]] && args+=(-V)
  if [[ $which == plugin ]]; then sub=tshark; args+=("${PLUGIN_ARGS[@]}"); fi
  t0=$(now)
  "$RUN" "$sub" "$DIR/env" "${args[@]}" >/dev/null 2>"$WORK/stderr.$which"
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", b - a}'
}
median() { sort -n | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# Sanity: the plugin really dissects (and the built-in really is the built-in).
p=$("$RUN" tshark "$DIR/env" -r "$WORK/corpus.pcapng" -n "${PLUGIN_ARGS[@]}" -Y rike -T fields -e frame.number 2>/dev/null | wc -l)
b=$("$RUN" tshark-builtin "$DIR/env" -r "$WORK/corpus.pcapng" -n -Y 'rike' -T fields -e frame.number 2>/dev/null | wc -l || true)
echo "check: in the corpus the plugin dissects ${p} frames as rike; without it ${b} frames are rike"

echo "tshark $(tshark --version 2>/dev/null | head -n1 | awk '{print $3}'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %-5s %s\n' mode round "built-in s / plugin s"
for mode in $MODES; do
  B=() P=()
  for ((i = 1; i <= REPS; i++)); do
    if (( i % 2 )); then
      b=$(run builtin "$mode"); p=$(run plugin "$mode")
    else
      p=$(run plugin "$mode"); b=$(run builtin "$mode")
    fi
    B+=("$b"); P+=("$p")
    printf '%-8s %-5s %s / %s\n' "$mode" "$i" "$b" "$p"
  done
  mb=$(printf '%s\n' "${B[@]}" | median)
  mp=$(printf '%s\n' "${P[@]}" | median)
  ratio=$(awk -v p="$mp" -v b="$mb" 'BEGIN {printf "%.2f", p / b}')
  echo "RESULT $mode: built-in ${mb} s, plugin ${mp} s (medians of ${REPS}), ratio plugin/built-in ${ratio}" \
       "(${ike} IKE packets, $(awk -v n="$ike" -v t="$mp" 'BEGIN {printf "%.1f", n / t / 1000}')k IKE packets/s with the plugin)"
done
