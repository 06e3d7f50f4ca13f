#!/usr/bin/env bash
# Runs every test: domain unit and property tests, the API against a real
# server on a SQLite file and again on PostgreSQL (a throwaway cluster on a
# loopback port, stopped and removed at the end), the browser end-to-end suite
# in headless Chromium, and schemathesis against the API's own OpenAPI document.
# Also lints the wasm release build, which the page ships as.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export PATH="$HOME/.cargo/bin:$PATH"
# Where setup put the npm tools the tests start (the OpenID provider).
export BILLING_TOOLS_DIR="${BILLING_TOOLS_DIR:-$HOME/.cache/plan-billing-tools}"

echo "== page: release build (trunk): the page and the preview"
scripts/build-page.sh

echo "== page: clippy for wasm32, release"
cargo clippy --release --target wasm32-unknown-unknown --lib --bins -- -D warnings

echo "== tests: domain, page logic, API"
log=$(mktemp)
export RELIABILITY_FIGURES
RELIABILITY_FIGURES=$(mktemp)
PG_DIR=$(mktemp -d -u /tmp/billing-pg.XXXXXX)
trap 'scripts/postgres.sh stop "$PG_DIR"; rm -f "$log" "$RELIABILITY_FIGURES"' EXIT
set +e
cargo test --workspace --exclude billing-e2e --no-fail-fast 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}
set -e

echo "== end-to-end: the page in headless Chromium"
# Only the browser suite is throttled: two browsers at a time fit the 2-core
# machines; each test has its own server, database and browser.
set +e
cargo test -p billing-e2e --no-fail-fast -- --test-threads="${E2E_THREADS:-2}" 2>&1 | tee -a "$log"
e2e_status=${PIPESTATUS[0]}
set -e
if [ "$status" = 0 ]; then
  status=$e2e_status
fi

echo "== API tests again, on PostgreSQL (each test in a database of its own)"
BILLING_TEST_POSTGRES=$(scripts/postgres.sh start "$PG_DIR")
export BILLING_TEST_POSTGRES
# The CA of the cluster's certificate, for the tests that connect with sslmode=verify-full.
export BILLING_TEST_POSTGRES_CA="$PG_DIR/tls/ca.crt"
# The cluster's folder, for the test that stops and starts it under load (its own binary: nothing else runs meanwhile).
export BILLING_TEST_POSTGRES_DIR="$PG_DIR"
set +e
cargo test -p billing-server --test '*' --no-fail-fast 2>&1 | tee -a "$log"
pg_status=${PIPESTATUS[0]}
set -e
unset BILLING_TEST_POSTGRES BILLING_TEST_POSTGRES_CA BILLING_TEST_POSTGRES_DIR
scripts/postgres.sh stop "$PG_DIR"
if [ "$status" = 0 ]; then
  status=$pg_status
fi

echo "== API against its OpenAPI document (schemathesis)"
st_status=0
scripts/schemathesis.sh || st_status=$?
if [ "$status" = 0 ]; then
  status=$st_status
fi
if [ "$status" = 0 ]; then
  python3 scripts/reliability-report.py "$RELIABILITY_FIGURES" "$log" > docs/reliability.md
  echo "== wrote docs/reliability.md"
fi
# One closing line for the whole run, summed over every test binary; a failed
# schemathesis run counts as one failed test.
awk -v st_failed=$((st_status != 0)) \
  '/^test result:/ { for (i = 2; i <= NF; i++) { if ($i ~ /^passed;/) p += $(i - 1); if ($i ~ /^failed;/) f += $(i - 1) } }
     END { printf "tests: %d passed, %d failed\n", p, f + st_failed }' "$log"
exit "$status"
