#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Wireshark plugin tests: build plugin/ against the system's Wireshark,
# load it into the real tshark, compare it with the built-in dissector.
#
# Usage:
#   tests/plugin/run.sh                 build, then run the tests
#                                       (cargo test --release --test plugin_tshark)
#   tests/plugin/run.sh build DIR       build librike.a and rike.so, check that rike.so
#                                       exports only the plugin ABI symbols, and lay out
#                                       DIR/plugins/<maj.min>/epan/rike.so (the plugin),
#                                       DIR/no-plugins/<maj.min>/epan/ (none: the baseline)
#                                       and DIR/home, all usable by uid 65534
#   tests/plugin/run.sh tshark DIR ARGS...
#                                       tshark with the plugin from DIR (as nobody when
#                                       run as root: root ignores WIRESHARK_PLUGIN_DIR)
#   tests/plugin/run.sh tshark-builtin DIR ARGS...
#                                       the same tshark without the plugin (DIR/no-plugins)
#   tests/plugin/bench.sh [DIR]         benchmark: plugin vs built-in over a large capture
#
# Environment:
#   RIKE_LIB=/path/librike.a   use this library instead of `cargo build --release --lib`
#   RIKE_PLUGIN_BUILD=DIR      CMake build directory (default: <target>/plugin-build)
#   RIKE_SKIP_PLUGIN=1         (read by the Rust test) skip when tools are missing;
#                              without it, missing tshark/cmake/libwireshark-dev fail
#
# Needs: tshark, libwireshark-dev + libglib2.0-dev (pkg-config wireshark), cmake,
# pkg-config, a C compiler, nm (binutils), setpriv (util-linux) when run as root.
# Debian 12: apt-get install -y tshark libwireshark-dev libglib2.0-dev cmake pkg-config
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BUILD=${RIKE_PLUGIN_BUILD:-$TARGET/plugin-build}
NOBODY=65534

die() { echo "plugin tests: $*" >&2; exit 3; }

need_tools() {
  local t missing=()
  for t in tshark cmake pkg-config nm cc; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  [[ $(id -u) -ne 0 ]] || command -v setpriv >/dev/null 2>&1 || missing+=(setpriv)
  pkg-config --exists 'wireshark >= 4.0' 2>/dev/null || missing+=("libwireshark-dev (pkg-config wireshark >= 4.0)")
  [[ ${#missing[@]} -eq 0 ]] ||
    die "missing: ${missing[*]} (Debian: apt-get install -y tshark libwireshark-dev libglib2.0-dev cmake pkg-config)"
}

ws_majmin() { pkg-config --modversion wireshark | grep -oE '^[0-9]+\.[0-9]+'; }

build() {
  local dir=$1
  need_tools
  if [[ -z ${RIKE_LIB:-} ]]; then
    "${CARGO:-cargo}" build --release --lib --manifest-path "$ROOT/Cargo.toml" >&2
    RIKE_LIB=$TARGET/release/librike.a
  fi
  [[ -r $RIKE_LIB ]] || die "no $RIKE_LIB"
  cmake -S "$ROOT/plugin" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRIKE_LIB="$RIKE_LIB" >&2
  cmake --build "$BUILD" -j >&2
  local so=$BUILD/rike.so
  # Only the four symbols of the 4.0 plugin ABI may be exported (plus
  # plugin_describe from 4.2 on); librike's and libc's must stay hidden.
  local want="plugin_register plugin_version plugin_want_major plugin_want_minor"
  [[ $(ws_majmin) == 4.0 ]] || want="plugin_describe $want"
  local got
  got=$(nm -D --defined-only "$so" | awk '{print $3}' | sort | tr '\n' ' ' | sed 's/ $//')
  [[ $got == "$want" ]] || die "rike.so exports [$got], expected [$want]"
  echo "exported symbols: $got" >&2

  local mm; mm=$(ws_majmin)
  mkdir -p "$dir/plugins/$mm/epan" "$dir/no-plugins/$mm/epan" "$dir/home"
  install -m 0755 "$so" "$dir/plugins/$mm/epan/rike.so"
  chmod -R a+rX "$dir"
  chmod a+rx "$dir"
  [[ $(id -u) -ne 0 ]] || chown -R "$NOBODY:$NOBODY" "$dir/home"
  echo "$dir"
}

run_tshark() {
  local dir=$1 plugins=$2; shift 2
  local envs=(HOME="$dir/home" XDG_CONFIG_HOME="$dir/home/.config" WIRESHARK_PLUGIN_DIR="$dir/$plugins")
  if [[ $(id -u) -eq 0 ]]; then
    exec setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups env "${envs[@]}" tshark "$@"
  fi
  exec env "${envs[@]}" tshark "$@"
}

case ${1:-test} in
  build)  [[ $# -eq 2 ]] || die "usage: $0 build DIR"; build "$2" ;;
  tshark) [[ $# -ge 2 ]] || die "usage: $0 tshark DIR ARGS..."; shift; d=$1; shift; run_tshark "$d" plugins "$@" ;;
  tshark-builtin)
          [[ $# -ge 2 ]] || die "usage: $0 tshark-builtin DIR ARGS..."; shift; d=$1; shift; run_tshark "$d" no-plugins "$@" ;;
  test)   need_tools; cd "$ROOT" && exec "${CARGO:-cargo}" test --release --test plugin_tshark -- --nocapture ;;
  *)      sed -n '2,29p' "$0"; exit 2 ;;
esac
