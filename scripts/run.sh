#!/usr/bin/env bash
# Builds the page and starts the billing server with demo data on http://127.0.0.1:8080.
# Extra arguments go to the server (e.g. --addr 127.0.0.1:9000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
scripts/build-page.sh
cargo build --release -p billing-server
mkdir -p target
exec "${CARGO_TARGET_DIR:-target}/release/billing-server" \
  --demo --db "${BILLING_DB:-target/demo.sqlite3}" --static-dir dist "$@"
