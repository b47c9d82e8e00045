#!/usr/bin/env bash
# Vendors the dashboard's chart library (uPlot) into internal/ui/static/vendor
# from the npm registry, at the exact versions package-lock.json pins. The
# copied files are committed, so `go build` needs neither npm nor a network;
# rerun this after changing package.json, then commit the result.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
out=../internal/ui/static/vendor
mkdir -p "$out"
cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css "$out/"
cp node_modules/uplot/LICENSE "$out/uPlot.LICENSE"
echo "uplot $(node -p 'require("./node_modules/uplot/package.json").version')" > "$out/VERSIONS"
echo "vendored into $out: $(ls "$out" | tr '\n' ' ')"
