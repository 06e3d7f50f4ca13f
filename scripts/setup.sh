#!/usr/bin/env bash
# Installs what building, running and testing the project needs, skipping what is already there.
#   scripts/setup.sh          build + run: wasm target, trunk, wasm-bindgen-cli, wasm-split-cli, wasm-opt
#   scripts/setup.sh --test   also Chromium, ChromeDriver and axe-core for the browser tests,
#                             schemathesis (PyPI, in its own venv) for scripts/schemathesis.sh,
#                             promtool (Debian's prometheus) to lint the metrics,
#                             aiosmtpd (PyPI, same venv) and openssl for the TLS email tests,
#                             and oidc-provider (npm) as the tests' OpenID provider
#   scripts/setup.sh --bench  also Chromium, wrk, brotli, twiggy and playwright-core for scripts/bench.sh
# Safe to run again: every step checks first.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION_REQ='^0.21'      # 0.22 needs a newer rustc than these machines have
BINARYEN_VERSION=132           # Debian's wasm-opt (108) is too old for current Rust output
AXE_VERSION=4.11.0
PLAYWRIGHT_VERSION=1.64.1      # playwright-core only: it drives Debian's Chromium, downloads no browser
SCHEMATHESIS_VERSION=4.32.5    # the API against its OpenAPI document (scripts/schemathesis.sh)
AIOSMTPD_VERSION=1.4.6         # the tests' SMTP server with STARTTLS and AUTH (PyPI, in the same venv)
OIDC_PROVIDER_VERSION=8.8.1    # panva's oidc-provider (OpenID Certified): the tests' identity provider; 8.x runs on Node.js 20
TOOLS_DIR="${BILLING_TOOLS_DIR:-$HOME/.cache/plan-billing-tools}"
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! trunk --version 2>/dev/null | grep -q '^trunk 0\.21\.'; then
  say "installing trunk $TRUNK_VERSION_REQ (about 8 minutes on 2 cores)"
  cargo install trunk --version "$TRUNK_VERSION_REQ" --locked
fi

# wasm-bindgen-cli must match the wasm-bindgen library in Cargo.lock exactly.
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB_VERSION" ]; then
  say "installing wasm-bindgen-cli $WB_VERSION"
  # Without --locked: a yanked transitive dependency in its lock file would fail the install.
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --force
fi

# wasm-split-cli splits the page's wasm at its #[lazy] functions (scripts/split-wasm.sh).
WASM_SPLIT_VERSION=0.2.4
if ! cargo install --list | grep -q "^wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
  say "installing wasm-split-cli $WASM_SPLIT_VERSION (about 2 minutes)"
  cargo install wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --features build-binary --locked
fi

WASM_OPT="$TOOLS_DIR/node_modules/.bin/wasm-opt"
if ! "$WASM_OPT" --version 2>/dev/null | grep -q "version $BINARYEN_VERSION"; then
  say "installing wasm-opt (binaryen@$BINARYEN_VERSION from npm)"
  mkdir -p "$TOOLS_DIR"
  npm install --prefix "$TOOLS_DIR" --no-audit --no-fund "binaryen@$BINARYEN_VERSION" >/dev/null
fi
mkdir -p "$HOME/.cargo/bin"
ln -sf "$WASM_OPT" "$HOME/.cargo/bin/wasm-opt"

if [ "${1:-}" = "--test" ] || [ "${1:-}" = "--bench" ]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    say "installing Chromium and ChromeDriver (Debian packages)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
  if [ ! -f "$TOOLS_DIR/node_modules/axe-core/axe.min.js" ] || \
     ! grep -q "\"version\": \"$AXE_VERSION\"" "$TOOLS_DIR/node_modules/axe-core/package.json"; then
    say "installing axe-core@$AXE_VERSION (npm)"
    mkdir -p "$TOOLS_DIR"
    npm install --prefix "$TOOLS_DIR" --no-audit --no-fund "axe-core@$AXE_VERSION" >/dev/null
  fi
fi
if [ "${1:-}" = "--test" ] || [ "${1:-}" = "--bench" ]; then
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    say "installing PostgreSQL (Debian packages; the tests and the benchmark start their own cluster)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
fi
if [ "${1:-}" = "--test" ]; then
  if [ "$(node -p "require('$TOOLS_DIR/node_modules/oidc-provider/package.json').version" 2>/dev/null)" != "$OIDC_PROVIDER_VERSION" ]; then
    say "installing oidc-provider@$OIDC_PROVIDER_VERSION (npm), the tests' OpenID provider"
    npm install --prefix "$TOOLS_DIR" --no-audit --no-fund "oidc-provider@$OIDC_PROVIDER_VERSION" >/dev/null
  fi
  if ! command -v promtool >/dev/null 2>&1; then
    say "installing promtool (Debian's prometheus package) to lint the metrics"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  fi
  VENV="$TOOLS_DIR/venv"
  if [ "$("$VENV/bin/st" --version 2>/dev/null | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ]; then
    say "installing schemathesis $SCHEMATHESIS_VERSION (PyPI, into $VENV)"
    if [ ! -x "$VENV/bin/pip" ] && ! python3 -m venv "$VENV" >/dev/null 2>&1; then
      # Debian's python3 makes venvs only with python3-venv.
      as_root apt-get update -qq
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      rm -rf "$VENV"
      python3 -m venv "$VENV"
    fi
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  fi
  if [ "$("$VENV/bin/python" -c 'import aiosmtpd; print(aiosmtpd.__version__)' 2>/dev/null)" != "$AIOSMTPD_VERSION" ]; then
    say "installing aiosmtpd $AIOSMTPD_VERSION (PyPI, into $VENV), the tests' SMTP server"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==$AIOSMTPD_VERSION"
  fi
  if ! command -v openssl >/dev/null; then
    say "installing openssl (Debian package), which makes the tests' TLS certificates"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
  fi
fi
if [ "${1:-}" = "--bench" ]; then
  if ! command -v wrk >/dev/null || ! command -v brotli >/dev/null; then
    say "installing wrk and brotli (Debian packages)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk brotli >/dev/null
  fi
  if ! twiggy --version 2>/dev/null | grep -q "^twiggy 0\.8\."; then
    say "installing twiggy 0.8 (the wasm size profiler; about 2 minutes)"
    cargo install twiggy --version '^0.8' --locked
  fi
  if ! grep -qs "\"version\": \"$PLAYWRIGHT_VERSION\"" "$TOOLS_DIR/node_modules/playwright-core/package.json"; then
    say "installing playwright-core@$PLAYWRIGHT_VERSION (npm)"
    mkdir -p "$TOOLS_DIR"
    npm install --prefix "$TOOLS_DIR" --no-audit --no-fund "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null
  fi
fi
say "tools ready"
