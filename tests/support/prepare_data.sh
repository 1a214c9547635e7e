#!/usr/bin/env bash
# Clones the bundled real workload once into the build tree as a bare
# repository (tests read revisions with `squashpub image --rev`, and export
# checkouts with `git archive`). No bundle: say so and succeed; the tests
# that need it skip with a clear message.
set -euo pipefail
bundle=$1
out=$2
if [ ! -f "$bundle" ]; then
  echo "prepare_data: $bundle not found; real-data tests will be skipped"
  exit 0
fi
if [ -d "$out/guru.git" ] && git -C "$out/guru.git" rev-parse -q --verify 2026-06-30 >/dev/null; then
  echo "prepare_data: $out/guru.git ready"
  exit 0
fi
rm -rf "$out/guru.git.tmp"
mkdir -p "$out"
git clone -q --bare "$bundle" "$out/guru.git.tmp"
git -C "$out/guru.git.tmp" fetch -q "$bundle" 'refs/tags/*:refs/tags/*'
rm -rf "$out/guru.git"
mv "$out/guru.git.tmp" "$out/guru.git"
echo "prepare_data: cloned $bundle into $out/guru.git"
