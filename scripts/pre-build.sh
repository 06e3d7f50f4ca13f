#!/usr/bin/env bash
# Trunk pre-build hook: joins the stylesheets into one file per entry, so a
# page loads one stylesheet. Sources stay one file per component (style/).
set -euo pipefail
cd "${TRUNK_SOURCE_DIR:-.}"
out=target/style
mkdir -p "$out"
# Tokens first, then the shared building blocks, then the components.
cat style/tokens.css style/base.css style/button.css style/flex_card.css style/cap_input.css \
    style/usage_meter.css style/spend_chart.css style/feature_breakdown.css style/alert_banner.css style/confirm_dialog.css style/credits_summary.css \
    style/page_states.css > "$out/billing.css.tmp"
cat "$out/billing.css.tmp" style/preview.css > "$out/preview.css.tmp"
# Replace only when changed, so `trunk serve` does not rebuild in a loop.
for name in billing preview; do
  cmp -s "$out/$name.css.tmp" "$out/$name.css" && rm "$out/$name.css.tmp" || mv "$out/$name.css.tmp" "$out/$name.css"
done
