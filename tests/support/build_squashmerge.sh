#!/usr/bin/env bash
# Builds stock squashmerge, unmodified, from its release tarball into OUTDIR
# (OUTDIR/squashmerge), plus the race shim (OUTDIR/squashmerge_shim.so).
# Compiles the three C files directly with the definitions its configure
# script would make for liblzo2 and liblz4, so no autotools are needed.
# Cannot build (no tarball, no compiler or headers): say why and succeed;
# the tests that need it skip with that message.
set -uo pipefail
tarball=$1
out=$2
shim=$(dirname "$0")/squashmerge_shim.c
mkdir -p "$out"
if [ -x "$out/squashmerge" ] && [ -f "$out/squashmerge_shim.so" ] &&
   [ "$out/squashmerge" -nt "$tarball" ] && [ "$out/squashmerge_shim.so" -nt "$shim" ]; then
  echo "build_squashmerge: $out/squashmerge ready"
  exit 0
fi
rm -f "$out/squashmerge" "$out/squashmerge_shim.so" "$out/why-not-built"
fail() {
  echo "$1" | tee "$out/why-not-built"
  exit 0
}
[ -f "$tarball" ] || fail "stock squashmerge source $tarball not found"
src=$(mktemp -d) || fail "cannot create a temporary directory"
trap 'rm -rf "$src"' EXIT
tar -xzf "$tarball" -C "$src" || fail "cannot unpack $tarball"
dir=$(echo "$src"/squashmerge-*)
cc -O2 -pthread -D_GNU_SOURCE -DHAVE_STDINT_H=1 -DENABLE_LZO=1 -DENABLE_LZ4=1 -w \
   -o "$out/squashmerge" "$dir"/src/compressor.c "$dir"/src/util.c "$dir"/src/squashmerge.c \
   -llzo2 -llz4 || fail "cannot compile squashmerge (needs cc, liblzo2-dev, liblz4-dev)"
cc -O2 -shared -fPIC -o "$out/squashmerge_shim.so" "$shim" -ldl ||
  fail "cannot compile $shim"
echo "build_squashmerge: built $out/squashmerge"
