#!/usr/bin/env bash
# Builds the page for release into dist/, and the designers' preview, a bundle
# of its own, into dist/preview/ (served at /preview). The page first: its
# build replaces dist/ whole.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
trunk build --release
trunk build preview.html --release --dist dist/preview --public-url /preview/
