#!/usr/bin/env bash
# Builds and runs the C API tests of rike against the release libraries:
#
#   * the header compiled as strict C and C++ (every standard from C99 /
#     C++11 on, -Wall -Wextra -Werror -pedantic, plus header-hygiene
#     warnings);
#   * tests/c/header_macros.c (C11), tests/c/header_macros.cpp (C++17),
#     tests/c/dissect_api.c, tests/c/engine_api.c (two engines through a
#     full connect/rekey/delete cycle, certificates with an external key,
#     decisions, IKEv1 Main/Aggressive and Quick Mode with IKEv1 key
#     export, misuse) and tests/c/engine_threads.c (engines on several
#     threads at once), each linked statically against librike.a and run
#     three ways: under AddressSanitizer + UBSan, under valgrind memcheck
#     (zero errors, zero definite/indirect leaks), plain; and linked
#     against the installed librike.so, run plain and under valgrind;
#   * the installed library (tools/install-capi.sh into a scratch prefix):
#     its SONAME, rike.pc, a test built with `pkg-config --cflags --libs
#     rike` and with `--static`;
#   * tests/c/dlopen_host.c: a host that defines its own ike_sa_t and
#     ike_/isakmp_/charon_ functions loads librike.so with dlopen and runs
#     an exchange step through it (plain, ASan+UBSan, valgrind);
#   * the exported symbols (nm): librike.so exports exactly the functions
#     of rike.h, all rike_-prefixed; librike.a defines no unprefixed C
#     symbol besides the Rust toolchain's own (compiler-builtins helpers,
#     anon.* constants, DW.ref.rust_eh_personality).
#
# Needs cc, c++, valgrind, nm and readelf (binutils), pkg-config, cargo.
# Uses $CC / $CXX when set.
# Exits non-zero when any step fails; every step runs and the failures are
# listed at the end. Run by tests/c_abi.rs (cargo test).
#
# SPDX-License-Identifier: MIT OR Apache-2.0
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

CARGO=${CARGO:-cargo}
CC=${CC:-cc}
CXX=${CXX:-c++}

stage() { printf '\n==== %s\n' "$*"; }
die() { echo "tests/c/run.sh: $*" >&2; exit 1; }
for tool in "$CC" "$CXX" valgrind nm readelf pkg-config; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (install it, or set RIKE_SKIP_C=1 to skip the C API tests)"
done

FAILED=()
# quiet CMD...: runs CMD, shows only the first lines of its output when it
# fails (a broken header gives one diagnostic per declaration).
quiet() {
  local log rc=0
  log=$(mktemp)
  "$@" >"$log" 2>&1 || rc=$?
  if [ $rc -ne 0 ]; then
    head -n 16 "$log" >&2
    [ "$(wc -l <"$log")" -gt 16 ] && echo "    ... ($(grep -c 'error:' "$log") errors in all)" >&2
  fi
  rm -f "$log"
  return $rc
}

# step NAME CMD...: runs CMD, records NAME on failure.
step() {
  local name=$1; shift
  if "$@"; then
    echo "ok: $name"
  else
    echo "FAILED ($?): $name" >&2
    FAILED+=("$name")
  fi
}

stage "cargo build --release"
"$CARGO" build --release || die "cargo build --release failed"
TARGET_DIR=$("$CARGO" metadata --no-deps --format-version 1 2>/dev/null |
  grep -o '"target_directory":"[^"]*"' | head -n1 | sed 's/.*:"\(.*\)"/\1/')
[ -n "$TARGET_DIR" ] || TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
LIBDIR=$TARGET_DIR/release
STATIC=$LIBDIR/librike.a
SHARED=$LIBDIR/librike.so
[ -f "$STATIC" ] || die "$STATIC missing"
[ -f "$SHARED" ] || die "$SHARED missing"
# A fresh directory per run, so concurrent runs (cargo test in two
# checkouts sharing a target dir, a developer and CI) do not clobber each
# other; removed when every step passed, kept for inspection otherwise.
mkdir -p "$TARGET_DIR/c-tests"
OUT=$(mktemp -d "$TARGET_DIR/c-tests/run.XXXXXX") || die "cannot create a build directory"

# The library installed as a package would install it; the shared-library
# builds below link against this copy (its SONAME is versioned).
PREFIX=$OUT/prefix
bash "$ROOT/tools/install-capi.sh" "$PREFIX" "$LIBDIR" >/dev/null || die "tools/install-capi.sh failed"
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig

# Native libraries the static library needs, as printed by
#   cargo rustc --release --lib --crate-type staticlib -- --print native-static-libs
NATIVE_LIBS=(-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc)
INC=(-I "$ROOT/include" -I "$ROOT/tests/c")
STRICT_C=(-std=c11 -Wall -Wextra -Werror -pedantic)
STRICT_CXX=(-std=c++17 -Wall -Wextra -Werror -pedantic)
SAN=(-g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
VALGRIND=(valgrind --error-exitcode=1 --leak-check=full --show-leak-kinds=definite,indirect
  --errors-for-leak-kinds=definite,indirect)

# ---------------------------------------------------------------------------
stage "header: strict C and C++ in every standard"
printf '#include "rike.h"\nint main(void) { return rike_abi_version() == RIKE_ABI_VERSION ? 0 : 1; }\n' \
  >"$OUT/header_only.c"
cp "$OUT/header_only.c" "$OUT/header_only.cpp"
for std in c99 c11 c17 c2x gnu11; do
  step "header compiles as $std" \
    "$CC" -std=$std -Wall -Wextra -Werror -pedantic "${INC[@]}" -c "$OUT/header_only.c" -o "$OUT/header_only.$std.o"
done
for std in c++11 c++14 c++17 c++20; do
  step "header compiles as $std" \
    "$CXX" -std=$std -Wall -Wextra -Werror -pedantic "${INC[@]}" -c "$OUT/header_only.cpp" -o "$OUT/header_only.$std.o"
done
# Hygiene a library header owes its users: no duplicate declarations, full
# prototypes, no undefined macros in #if, nothing that shadows or casts
# away const.
HYGIENE=(-Wredundant-decls -Wstrict-prototypes -Wmissing-prototypes -Wundef -Wshadow -Wcast-qual
  -Wconversion -Wsign-conversion)
step "header compiles as C with hygiene warnings (${HYGIENE[*]})" \
  quiet "$CC" -std=c11 -Wall -Wextra -Werror -pedantic "${HYGIENE[@]}" "${INC[@]}" -c "$OUT/header_only.c" -o "$OUT/header_only.hyg.o"
step "header compiles as C++ with hygiene warnings" \
  quiet "$CXX" -std=c++17 -Wall -Wextra -Werror -pedantic -Wredundant-decls -Wundef -Wshadow -Wcast-qual \
  -Wconversion -Wsign-conversion -Wold-style-cast "${INC[@]}" -c "$OUT/header_only.cpp" -o "$OUT/header_only.hygxx.o"

# ---------------------------------------------------------------------------
# build NAME LANG SRC: the static plain, static ASan+UBSan and shared builds.
build() {
  local name=$1 lang=$2 src=$3 compiler strict
  if [ "$lang" = c ]; then compiler=$CC; strict=("${STRICT_C[@]}"); else compiler=$CXX; strict=("${STRICT_CXX[@]}"); fi
  step "$name: build (static)" \
    "$compiler" "${strict[@]}" -g -O1 "${INC[@]}" "$src" "$STATIC" "${NATIVE_LIBS[@]}" -o "$OUT/$name"
  step "$name: build (static, ASan+UBSan)" \
    "$compiler" "${strict[@]}" "${SAN[@]}" "${INC[@]}" "$src" "$STATIC" "${NATIVE_LIBS[@]}" -o "$OUT/$name.asan"
  step "$name: build (shared)" \
    "$compiler" "${strict[@]}" -g -O1 "${INC[@]}" "$src" -L"$PREFIX/lib" -lrike -Wl,-rpath,"$PREFIX/lib" -o "$OUT/$name.shared"
}

# run_valgrind NAME BINARY: memcheck, zero errors and zero definite or
# indirect leaks; prints the summary lines.
run_valgrind() {
  local name=$1 bin=$2 log rc=0
  shift 2
  log=$OUT/$(basename "$bin").valgrind.log
  "${VALGRIND[@]}" --log-file="$log" "$bin" "$@" || rc=$?
  grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|still reachable|no leaks are possible' "$log" |
    sed 's/^==[0-9]*== */    valgrind: /'
  if ! grep -q 'ERROR SUMMARY: 0 errors' "$log"; then
    echo "    valgrind found errors; log: $log" >&2
    sed 's/^/    | /' "$log" | tail -n 80 >&2
  fi
  [ $rc -eq 0 ] || return $rc
  grep -q 'ERROR SUMMARY: 0 errors' "$log" || return 1
  grep -Eq 'definitely lost: 0 bytes|no leaks are possible' "$log" || return 1
  grep -Eq 'indirectly lost: 0 bytes|no leaks are possible' "$log" || return 1
}

# run NAME: the built binaries, every way.
run() {
  local name=$1
  [ -x "$OUT/$name.asan" ] && step "$name: run under ASan+UBSan" "$OUT/$name.asan"
  [ -x "$OUT/$name" ] && step "$name: run under valgrind" run_valgrind "$name" "$OUT/$name"
  [ -x "$OUT/$name" ] && step "$name: run plain" "$OUT/$name"
  [ -x "$OUT/$name.shared" ] && step "$name: run plain (librike.so)" "$OUT/$name.shared"
  [ -x "$OUT/$name.shared" ] && step "$name: run under valgrind (librike.so)" run_valgrind "$name" "$OUT/$name.shared"
  return 0
}

for t in "header_macros c tests/c/header_macros.c" \
         "header_macros_cpp c++ tests/c/header_macros.cpp" \
         "dissect_api c tests/c/dissect_api.c" \
         "engine_api c tests/c/engine_api.c" \
         "engine_threads c tests/c/engine_threads.c"; do
  set -- $t
  stage "$1"
  build "$1" "$2" "$ROOT/$3"
  run "$1"
done

# ---------------------------------------------------------------------------
stage "installed library: SONAME, pkg-config"
VERSION=$(sed -n 's/^#define RIKE_VERSION_STRING "\(.*\)"$/\1/p' "$ROOT/include/rike.h")
check_soname() {
  local so
  so=$(readelf -d "$SHARED" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
  echo "    SONAME $so; installed: $(cd "$PREFIX/lib" && ls librike.so* | tr '\n' ' ')"
  [ "$so" = "librike.so.$VERSION" ] && [ -f "$PREFIX/lib/$so" ] && [ -L "$PREFIX/lib/librike.so" ]
}
step "librike.so has SONAME librike.so.$VERSION" check_soname
check_pc() {
  local v
  v=$(pkg-config --modversion rike) || return 1
  echo "    pkg-config: rike $v; --cflags --libs: $(pkg-config --cflags --libs rike)"
  [ "$v" = "$VERSION" ]
}
step "rike.pc gives the version" check_pc
# shellcheck disable=SC2046
step "engine_api: build with pkg-config (shared)" \
  "$CC" "${STRICT_C[@]}" -g -O1 -I "$ROOT/tests/c" "$ROOT/tests/c/engine_api.c" \
  $(pkg-config --cflags --libs rike) -Wl,-rpath,"$PREFIX/lib" -o "$OUT/engine_api.pc"
[ -x "$OUT/engine_api.pc" ] && step "engine_api: run (pkg-config build)" "$OUT/engine_api.pc"
check_needed() {
  readelf -d "$OUT/engine_api.pc" | grep -q "NEEDED.*\[librike.so.$VERSION\]"
}
[ -x "$OUT/engine_api.pc" ] && step "the pkg-config build needs librike.so.$VERSION" check_needed
# shellcheck disable=SC2046
step "engine_api: build with pkg-config --static" \
  "$CC" "${STRICT_C[@]}" -g -O1 -I "$ROOT/tests/c" "$ROOT/tests/c/engine_api.c" \
  $(pkg-config --cflags rike) $(pkg-config --static --libs rike | sed 's/-lrike/-Wl,-Bstatic -lrike -Wl,-Bdynamic/') \
  -o "$OUT/engine_api.pcstatic"
check_static() {
  "$OUT/engine_api.pcstatic" >/dev/null && ! readelf -d "$OUT/engine_api.pcstatic" | grep -q 'NEEDED.*librike'
}
[ -x "$OUT/engine_api.pcstatic" ] && step "engine_api: run (pkg-config --static build, no librike.so needed)" check_static

# ---------------------------------------------------------------------------
stage "dlopen into a host with its own ike_ symbols"
step "dlopen_host: build" \
  "$CC" "${STRICT_C[@]}" -g -O1 -rdynamic "${INC[@]}" "$ROOT/tests/c/dlopen_host.c" -ldl -o "$OUT/dlopen_host"
step "dlopen_host: build (ASan+UBSan)" \
  "$CC" "${STRICT_C[@]}" "${SAN[@]}" -rdynamic "${INC[@]}" "$ROOT/tests/c/dlopen_host.c" -ldl -o "$OUT/dlopen_host.asan"
SOFILE=$PREFIX/lib/librike.so.$VERSION
[ -x "$OUT/dlopen_host" ] && step "dlopen_host: run" "$OUT/dlopen_host" "$SOFILE"
[ -x "$OUT/dlopen_host.asan" ] && step "dlopen_host: run under ASan+UBSan" "$OUT/dlopen_host.asan" "$SOFILE"
[ -x "$OUT/dlopen_host" ] && step "dlopen_host: run under valgrind" run_valgrind dlopen_host "$OUT/dlopen_host" "$SOFILE"
check_host_symbols() {
  nm -D --defined-only "$OUT/dlopen_host" | grep -qE ' T ike_sa_create$' || return 1
  # The library neither defines nor needs any of the host's names.
  ! nm -D "$SHARED" | grep -E ' (ike|isakmp|charon|proto)_' 
}
[ -x "$OUT/dlopen_host" ] && step "host exports ike_sa_create; librike.so neither defines nor imports ike_/isakmp_/charon_/proto_ names" check_host_symbols

# ---------------------------------------------------------------------------
stage "riked (examples/riked): the reference daemon"
RIKED_SRC=("$ROOT/examples/riked/riked.c" "$ROOT/examples/riked/conf.c" "$ROOT/examples/riked/xfrm.c")
# shellcheck disable=SC2046
step "riked: build with pkg-config (C11, -Wall -Wextra -Werror -pedantic)" \
  "$CC" "${STRICT_C[@]}" -O2 -g "${RIKED_SRC[@]}" $(pkg-config --cflags --libs rike) \
  -Wl,-rpath,"$PREFIX/lib" -o "$OUT/riked"
step "riked: build (static, ASan+UBSan)" \
  "$CC" "${STRICT_C[@]}" "${SAN[@]}" "${INC[@]}" "${RIKED_SRC[@]}" "$STATIC" "${NATIVE_LIBS[@]}" -o "$OUT/riked.asan"
EXAMPLE=$ROOT/examples/riked/riked.conf.example
[ -x "$OUT/riked" ] && step "riked -n accepts riked.conf.example" quiet "$OUT/riked" -n -c "$EXAMPLE"
[ -x "$OUT/riked.asan" ] && step "riked -n under ASan+UBSan" quiet "$OUT/riked.asan" -n -c "$EXAMPLE"
[ -x "$OUT/riked" ] && step "riked -n under valgrind" run_valgrind riked "$OUT/riked" -n -c "$EXAMPLE"
# An IKEv1 peer in Aggressive Mode, built into the engine's configuration.
printf '%s\n' "listen 10.0.0.1" "peer v1 {" "remote 10.0.0.2" "local_id a.test" 'psk "k"' "ikev1 yes" \
  "aggressive yes" "ike aes128-sha256-modp2048" "child c {" "local_ts 10.1.0.0/16" "remote_ts 10.2.0.0/16" "}" "}" \
  >"$OUT/ikev1.conf"
[ -x "$OUT/riked.asan" ] && step "riked -n accepts an IKEv1 Aggressive Mode peer (ASan+UBSan)" \
  quiet "$OUT/riked.asan" -n -c "$OUT/ikev1.conf"
[ -x "$OUT/riked" ] && step "riked -n with an IKEv1 peer under valgrind" run_valgrind riked "$OUT/riked" -n -c "$OUT/ikev1.conf"
riked_refuses() {
  local conf=$OUT/bad.conf want=$1 log
  shift
  printf '%s\n' "$@" >"$conf"
  log=$("$OUT/riked.asan" -n -c "$conf" 2>&1) && { echo "    accepted: $*" >&2; return 1; }
  grep -q -- "$want" <<<"$log" || { echo "    no '$want' in: $log" >&2; return 1; }
}
if [ -x "$OUT/riked.asan" ]; then
  step "riked refuses an unknown setting" riked_refuses "unknown setting 'bogus'" "listen 10.0.0.1" "bogus 1"
  step "riked refuses a bad proposal (and says why)" riked_refuses "unknown algorithm keyword 'aes999'" \
    "listen 10.0.0.1" "peer p {" "local_id a.test" 'psk "k"' "ike aes999-sha256-modp2048" "}"
  step "riked refuses a peer without credential" riked_refuses "no credential" \
    "listen 10.0.0.1" "peer p {" "local_id a.test" "}"
  step "riked refuses a bad selector" riked_refuses "is not a traffic selector" \
    "listen 10.0.0.1" "peer p {" "local_id a.test" 'psk "k"' "child c {" "local_ts 10.0.0.0/40" "}" "}"
  step "riked refuses aggressive without ikev1" riked_refuses "aggressive needs ikev1" \
    "listen 10.0.0.1" "peer p {" "local_id a.test" 'psk "k"' "aggressive yes" "}"
  step "riked refuses an unreadable key file" riked_refuses "/nonexistent/key.pem" \
    "listen 10.0.0.1" "peer p {" "local_id a.test" "key /nonexistent/key.pem" 'psk "k"' "}"
  step "riked refuses two peers with external keys" riked_refuses "only one peer may use external_key" \
    "listen 10.0.0.1" "peer p {" "local_id a.test" "key /nonexistent/a.pem" "external_key yes" "}" \
    "peer q {" "local_id b.test" "key /nonexistent/b.pem" "external_key yes" "}"
fi

# ---------------------------------------------------------------------------
stage "exported symbols"
# Functions the header declares (comments removed by the preprocessor).
"$CC" -E -P -x c "${INC[@]}" "$ROOT/include/rike.h" |
  grep -oE '\brike_[A-Za-z0-9_]+[[:space:]]*\(' | sed -E 's/[[:space:]]*\($//' | sort -u >"$OUT/header.functions"

check_shared_symbols() {
  nm -D --defined-only "$SHARED" >"$OUT/so.symbols" || return 1
  echo "    nm -D --defined-only librike.so:"
  sed 's/^/      /' "$OUT/so.symbols"
  local ok=0
  # Every defined dynamic symbol, of any kind, is rike_-prefixed.
  if awk '{print $NF}' "$OUT/so.symbols" | grep -v '^rike_' >"$OUT/so.unprefixed"; then
    echo "    librike.so exports symbols without the rike_ prefix:" >&2
    sed 's/^/      /' "$OUT/so.unprefixed" >&2
    ok=1
  fi
  # The exported functions are exactly those of the header.
  awk '$2 == "T" || $2 == "t" || $2 == "W" || $2 == "i" {print $3}' "$OUT/so.symbols" | sort -u >"$OUT/so.functions"
  if ! diff -u "$OUT/header.functions" "$OUT/so.functions" >"$OUT/so.diff"; then
    echo "    functions of rike.h (-) and of librike.so (+) differ:" >&2
    sed 's/^/      /' "$OUT/so.diff" >&2
    ok=1
  fi
  echo "    $(wc -l <"$OUT/so.functions") exported functions, all in rike.h and all rike_*"
  return $ok
}
step "librike.so exports only the rike_ functions of rike.h" check_shared_symbols

check_static_symbols() {
  # Global defined symbols of every member of the archive.
  nm -g --defined-only "$STATIC" 2>/dev/null | awk 'NF == 3 {print $2, $3}' | sort -u >"$OUT/a.symbols"
  local ok=0
  # Mangled Rust symbols (_ZN legacy, _R v0) cannot clash with C names.
  grep -vE ' (_ZN|_R)' "$OUT/a.symbols" >"$OUT/a.unmangled"
  # What may be unprefixed: compiler-builtins' libgcc-style helpers
  # (__absvdi2, __popcountdi2, ...), LLVM's anon.* constants and the
  # personality reference of the unwinder.
  if grep -vE ' (rike_[a-z0-9_]+|__[a-z0-9_]+|anon\.[0-9a-f]+\.[0-9]+(\.llvm\.[0-9]+)?|DW\.ref\.rust_eh_personality)$' \
      "$OUT/a.unmangled" >"$OUT/a.unexpected"; then
    echo "    librike.a defines unexpected unprefixed global symbols:" >&2
    sed 's/^/      /' "$OUT/a.unexpected" | head -n 50 >&2
    ok=1
  fi
  # Names owned by strongSwan, libreswan and Wireshark.
  if grep -iE ' (ike|isakmp|ikev1|ikev2|ipsec|charon|pluto|proto_reg|dissect)_' "$OUT/a.symbols" >"$OUT/a.clash"; then
    echo "    librike.a defines symbols that may clash with strongSwan/Wireshark:" >&2
    sed 's/^/      /' "$OUT/a.clash" >&2
    ok=1
  fi
  echo "    librike.a global defined symbols: $(wc -l <"$OUT/a.symbols") in all;" \
    "$(grep -cE ' (_ZN|_R)' "$OUT/a.symbols") mangled Rust," \
    "$(grep -cE ' rike_' "$OUT/a.unmangled") rike_*," \
    "$(grep -cE ' __[a-z0-9_]+$' "$OUT/a.unmangled") compiler-builtins helpers ($(grep -E ' __[a-z0-9_]+$' "$OUT/a.unmangled" | awk '{print $2}' | head -n 4 | tr '\n' ' ')...)," \
    "$(grep -cE ' anon\.' "$OUT/a.unmangled") anon.* constants," \
    "$(grep -cE ' DW\.ref\.' "$OUT/a.unmangled") DW.ref.rust_eh_personality"
  return $ok
}
step "librike.a defines no unprefixed C symbols of its own" check_static_symbols

# ---------------------------------------------------------------------------
stage "summary"
if [ ${#FAILED[@]} -ne 0 ]; then
  echo "C API tests: ${#FAILED[@]} step(s) FAILED (binaries and logs kept in $OUT):" >&2
  printf '  - %s\n' "${FAILED[@]}" >&2
  exit 1
fi
rm -rf "$OUT"
echo "C API tests: all steps passed"
