#!/usr/bin/env bash
# Installs rike's C library under PREFIX, as a distribution package would:
#
#   PREFIX/include/rike.h
#   PREFIX/lib/librike.a
#   PREFIX/lib/librike.so.<version>     (the file; its SONAME)
#   PREFIX/lib/librike.so -> librike.so.<version>   (for -lrike)
#   PREFIX/lib/pkgconfig/rike.pc        (pkg-config --cflags --libs rike;
#                                        --static adds the native libraries)
#
# Usage: tools/install-capi.sh PREFIX [LIBDIR]
#   LIBDIR: where cargo put librike.{a,so} (default: the release directory
#   of cargo's target dir; run `cargo build --release` first).
#
# Before 1.0 the SONAME carries the exact version (librike.so.0.1.0): any
# release may change the ABI. Compare rike_abi_version() with
# RIKE_ABI_VERSION at startup.
#
# SPDX-License-Identifier: MIT OR Apache-2.0
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${1:?usage: $0 PREFIX [LIBDIR]}
LIBDIR=${2:-}
if [ -z "$LIBDIR" ]; then
  TARGET_DIR=$(cd "$ROOT" && cargo metadata --no-deps --format-version 1 |
    grep -o '"target_directory":"[^"]*"' | head -n1 | sed 's/.*:"\(.*\)"/\1/')
  LIBDIR=$TARGET_DIR/release
fi
for f in librike.a librike.so; do
  [ -f "$LIBDIR/$f" ] || { echo "install-capi.sh: $LIBDIR/$f missing (cargo build --release)" >&2; exit 1; }
done
VERSION=$(sed -n 's/^#define RIKE_VERSION_STRING "\(.*\)"$/\1/p' "$ROOT/include/rike.h")
[ -n "$VERSION" ] || { echo "install-capi.sh: no RIKE_VERSION_STRING in rike.h" >&2; exit 1; }
SONAME=$(readelf -d "$LIBDIR/librike.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$SONAME" = "librike.so.$VERSION" ] ||
  { echo "install-capi.sh: SONAME is '$SONAME', expected librike.so.$VERSION" >&2; exit 1; }
# The libraries a static link needs besides librike.a, as printed by
#   cargo rustc --release --lib --crate-type staticlib -- --print native-static-libs
NATIVE_LIBS="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"

mkdir -p "$PREFIX/include" "$PREFIX/lib/pkgconfig"
PREFIX=$(cd "$PREFIX" && pwd)
install -m 644 "$ROOT/include/rike.h" "$PREFIX/include/rike.h"
install -m 644 "$LIBDIR/librike.a" "$PREFIX/lib/librike.a"
install -m 755 "$LIBDIR/librike.so" "$PREFIX/lib/$SONAME"
ln -sf "$SONAME" "$PREFIX/lib/librike.so"
sed -e "s|@PREFIX@|$PREFIX|" -e "s|@VERSION@|$VERSION|" -e "s|@NATIVE_LIBS@|$NATIVE_LIBS|" \
  "$ROOT/tools/rike.pc.in" >"$PREFIX/lib/pkgconfig/rike.pc"
echo "installed rike $VERSION (SONAME $SONAME) under $PREFIX"
