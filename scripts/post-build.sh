#!/usr/bin/env bash
# Trunk post-build hook. Every profile: splits the wasm into the first module
# and the later ones (scripts/split-wasm.sh). Release builds then shrink every
# module with wasm-opt -Oz (after the split: it must see the modules the
# browser loads), and write a brotli (.br) and a gzip (.gz) copy of every
# file next to it, which the server sends to browsers that accept them.
set -euo pipefail
bash "$(dirname "$0")/split-wasm.sh"
[ "${TRUNK_PROFILE:-}" = "release" ] || exit 0
if command -v wasm-opt >/dev/null; then
  for wasm in "$TRUNK_STAGING_DIR"/*.wasm; do
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-reference-types --enable-multivalue "$wasm" -o "$wasm.opt"
    mv "$wasm.opt" "$wasm"
  done
else
  echo "wasm-opt not found (scripts/setup.sh installs it); leaving the .wasm unoptimised" >&2
fi
# Node's zlib has brotli at its best quality built in; node is already needed for npm.
node - "$TRUNK_STAGING_DIR" <<'JS'
const fs = require('fs'), path = require('path'), zlib = require('zlib');
const dir = process.argv[2];
for (const name of fs.readdirSync(dir)) {
  if (!/\.(html|js|wasm|css|svg|json)$/.test(name)) continue;
  const file = path.join(dir, name), raw = fs.readFileSync(file);
  fs.writeFileSync(file + '.br', zlib.brotliCompressSync(raw, { params: {
    [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }));
  fs.writeFileSync(file + '.gz', zlib.gzipSync(raw, { level: 9 }));
}
JS
