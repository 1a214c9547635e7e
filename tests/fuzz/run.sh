#!/usr/bin/env bash
# Builds the fuzz targets with clang (libFuzzer, ASan, UBSan) and runs one
# of them on its committed corpus for a bounded time. Any crash, leak or
# sanitizer report fails. Usage: run.sh BUILD_DIR TARGET [SECONDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$1
target=$2
seconds=${3:-${FUZZ_SECONDS:-45}}
# One configure and build for all targets, serialised between parallel tests.
(
  flock 9
  if [ ! -x "$build/$target" ]; then
    CXX=clang++ cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$build" -j 2 >/dev/null
  fi
) 9>"$build.lock"
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp "$here/corpus/${target#fuzz_}"/* "$corpus"/
# New inputs go to a scratch copy; the committed seeds stay as they are.
"$build/$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
  -print_final_stats=1 "$corpus" 2>&1 | tail -n 15
