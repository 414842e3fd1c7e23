#!/usr/bin/env bash
# Render an HTML page (the report's index.html) to PNG in Debian's headless Chromium, as the
# browser tests do; used for the screenshot in docs/report.md.
#   bash scripts/screenshot_page.sh report/index.html docs/report_screenshot.png [1280,1600]
set -euo pipefail
page=$(realpath "$1"); out=$(realpath -m "$2"); size=${3:-1280,1600}
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-quic \
  --no-first-run --disable-background-networking --disable-component-update --disable-sync \
  --hide-scrollbars --user-data-dir="$profile" --window-size="$size" \
  --screenshot="$out" "file://$page" 2>/dev/null
echo "$out"
