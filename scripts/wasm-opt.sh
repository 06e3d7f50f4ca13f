#!/usr/bin/env bash
# Trunk post-build hook: optimise the release .wasm for size. Debug builds are left alone.
set -euo pipefail
[ "${TRUNK_PROFILE:-}" = "release" ] || exit 0
if ! command -v wasm-opt >/dev/null; then
  echo "wasm-opt not found (scripts/setup.sh installs it); leaving the .wasm unoptimised" >&2
  exit 0
fi
for wasm in "$TRUNK_STAGING_DIR"/*.wasm; do
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-reference-types --enable-multivalue "$wasm" -o "$wasm.opt"
  mv "$wasm.opt" "$wasm"
done
