#!/usr/bin/env bash
# The gateway benchmark, in one command (under 3 minutes): builds Switchyard and
# the bare proxy, runs every scenario and writes bench/results.md.
#   bench/run.sh            # full run
#   bench/run.sh --quick    # smoke test
# Flags: --rates 500,2000 --warmup 1.5s --duration 6s --out FILE (see bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./bench/run "$@"
