#!/usr/bin/env bash
# Drives the dashboard in headless Chromium against a demo (or against
# SWITCHYARD_ADMIN_URL / SWITCHYARD_ADMIN_TOKEN / GATEWAY_URL when all are set).
# Needs Debian's chromium (/usr/bin/chromium) and Node.js; installs
# playwright-core from package-lock.json (no browser download).
# Screenshots: $SHOTS (default ui/screenshots).
set -euo pipefail
cd "$(dirname "$0")"
ui=$(pwd)
export SHOTS="${SHOTS:-$ui/screenshots}"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { echo "ui/test.sh: no chromium; apt-get install chromium" >&2; exit 1; }
[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund >/dev/null

tmp=$(mktemp -d)
demo_pid=""
cleanup() { [ -n "$demo_pid" ] && kill "$demo_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

if [ -z "${SWITCHYARD_ADMIN_URL:-}" ] || [ -z "${SWITCHYARD_ADMIN_TOKEN:-}" ] || [ -z "${GATEWAY_URL:-}" ]; then
  bin="${SWITCHYARD_BIN:-}" # a prebuilt binary, else built from this tree
  if [ -z "$bin" ]; then bin="$tmp/switchyard"; (cd .. && go build -o "$bin" ./cmd/switchyard); fi
  "$bin" demo --duration 10m --requests 40 --listen 127.0.0.1:0 > "$tmp/demo.out" 2>&1 &
  demo_pid=$!
  for _ in $(seq 1 100); do
    grep -q '^Serving for' "$tmp/demo.out" && break
    kill -0 "$demo_pid" 2>/dev/null || { cat "$tmp/demo.out" >&2; exit 1; }
    sleep 0.3
  done
  # The demo prints ready-to-paste lines; read the gateway URL and the admin
  # listener and token off them.
  export GATEWAY_URL=$(sed -n 's/^  export OPENAI_BASE_URL=//p' "$tmp/demo.out" | head -1)
  admin_line=$(grep -m1 "/admin/v1/usage" "$tmp/demo.out")
  export SWITCHYARD_ADMIN_TOKEN=$(echo "$admin_line" | sed -E "s/.*Bearer ([^' ]+).*/\1/")
  export SWITCHYARD_ADMIN_URL=$(echo "$admin_line" | sed -E "s#.*'(https?://[^/']+)/admin/v1/usage.*#\1#")
fi
echo "ui/test.sh: dashboard at $SWITCHYARD_ADMIN_URL/ui/, gateway at $GATEWAY_URL"
ADMIN_URL="$SWITCHYARD_ADMIN_URL" ADMIN_TOKEN="$SWITCHYARD_ADMIN_TOKEN" node test.mjs
