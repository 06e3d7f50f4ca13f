#!/usr/bin/env bash
# The benchmark: builds release, measures page weight, time to a usable card,
# interactions, API reads, metering (group commit against one transaction per
# request), metering on PostgreSQL with one and two servers (group commit
# beside one transaction per request), batch ingest on SQLite and PostgreSQL,
# the hot workspace on SQLite and one and two PostgreSQL servers (a throwaway
# cluster on a loopback port, removed at the end), flat cost at 0 / 100,000 /
# 1,000,000 records and peak memory, in one run on loopback; after each
# metering run it checks the cap and the running totals. Prints one table
# and writes docs/performance.md. Not part of the test command. Takes about
# 13 minutes once built.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --bench
export PATH="$HOME/.cargo/bin:$PATH"
export BILLING_TOOLS_DIR="${BILLING_TOOLS_DIR:-$HOME/.cache/plan-billing-tools}"
scripts/build-page.sh
cargo build --release -p billing-server
export BENCH_WASM="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/release/billing-page.wasm"
PG_DIR=$(mktemp -d -u /tmp/billing-bench-pg.XXXXXX)
trap 'scripts/postgres.sh stop "$PG_DIR"' EXIT
pg_url=$(scripts/postgres.sh start "$PG_DIR")
python3 scripts/bench/run.py "${CARGO_TARGET_DIR:-target}/release/billing-server" dist docs/performance.md "$pg_url"
