#!/usr/bin/env bash
# Trunk post-build step, every profile: splits the page's wasm at its
# `#[lazy]` functions (wasm-split-cli, installed by scripts/setup.sh) into the
# first module and the modules fetched later, then runs wasm-bindgen again on
# the first module in place of the one Trunk staged. The later modules and
# their loader get names from their contents, as Trunk's files do, because
# the server lets browsers keep every file but the HTML for a year.
# See ARCHITECTURE.md ("The page in two modules").
set -euo pipefail
stage="$TRUNK_STAGING_DIR"
js=$(find "$stage" -maxdepth 1 -name '*.js' ! -name '__wasm_split*' | head -n 1)
stem=$(basename "$js" .js)   # e.g. billing-page-0123456789abcdef
bin=${stem%-*}               # e.g. billing-page
case "${TRUNK_PROFILE:-debug}" in release) profile=release ;; *) profile=debug ;; esac
target_dir=$(cd "$TRUNK_SOURCE_DIR" && cargo metadata --format-version 1 --no-deps \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
raw="$target_dir/wasm32-unknown-unknown/$profile/$bin.wasm"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
wasm-split-cli "$raw" "$work" --out-name "$stem"
wasm-bindgen --target web --no-typescript --keep-lld-exports --out-dir "$stage" --out-name "$stem" "$work/$stem.wasm"
rm -f "$work/$stem.wasm"
node - "$work" "$stage" "$stem" <<'JS'
const fs = require('fs'), path = require('path'), crypto = require('crypto');
const [work, stage, stem] = process.argv.slice(2);
const hash = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16);
let loader = fs.readFileSync(path.join(work, '__wasm_split.js'), 'utf8');
for (const name of fs.readdirSync(work).filter((n) => n.endsWith('.wasm'))) {
  const bytes = fs.readFileSync(path.join(work, name));
  const named = `${path.basename(name, '.wasm')}-${hash(bytes)}.wasm`;
  fs.writeFileSync(path.join(stage, named), bytes);
  loader = loader.split(`"./${name}"`).join(`"./${named}"`);
}
const linked = `__wasm_split-${hash(loader)}.js`;
fs.writeFileSync(path.join(stage, linked), loader);
const main = path.join(stage, `${stem}.js`);
// Only where the module is imported: the wasm's own imports keep the name it was built with.
const glue = fs.readFileSync(main, 'utf8').replace(/^(import \* as \w+ from )"\.\/__wasm_split\.js"/gm, `$1"./${linked}"`);
if (!glue.includes(linked)) throw new Error(`${main} does not import __wasm_split.js`);
fs.writeFileSync(main, glue);
JS
