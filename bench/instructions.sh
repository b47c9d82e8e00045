#!/usr/bin/env bash
# Instructions per request, counted by valgrind: a CPU measure that does not
# move with the host's noise (bench/run's CPU per request moved ±30% between
# runs of the same binary on this VM), for comparing builds of the gateway
# with each other and with the bare proxy. User-space instructions only: the
# kernel's share (syscalls, about a quarter of either proxy's CPU) is not in
# it.
#
# Each target runs under cachegrind, pinned to CPU 0 with GOMAXPROCS=1, at
# 20 and then 80 req/s for 16 s (steadyload); the difference of the two
# totals over the difference of the requests is the cost of one request,
# start-up and idle work cancelling out. Switchyard runs as bench/run
# --plain configures it (journal, SQLite store and ledger on).
#
#   bench/instructions.sh [non-stream|stream] [SWITCHYARD_BINARY...]
#
# Needs valgrind and taskset. About 1 minute per target.
set -euo pipefail
mode=${1:-non-stream}; shift || true
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
export CGO_ENABLED=0
for p in cmd/switchyard bench/bareproxy bench/steadyload; do
  go build -trimpath -ldflags='-s -w' -o "$tmp/$(basename $p)" ./$p
done
bins=("$@"); [ ${#bins[@]} -gt 0 ] || bins=("$tmp/switchyard")
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
emu=$(port); gw=$(port); adm=$(port)
GOMAXPROCS=1 taskset -c 1 "$tmp/switchyard" emulate openai --listen 127.0.0.1:$emu --output-tokens 64 >"$tmp/emu.log" 2>&1 &
until curl -sf -o /dev/null 127.0.0.1:$emu/emulator/knobs; do sleep 0.2; done
stream=false; knobs='{"ttft":"0s","tps":0}'
if [ "$mode" = stream ]; then stream=true; knobs='{"ttft":"10ms","tps":500}'; fi
curl -sf -o /dev/null -X POST 127.0.0.1:$emu/emulator/knobs -d "$knobs"
count() { # count RATE ARGV... -> total instructions of ARGV serving RATE req/s for 16 s
  local rate=$1; shift
  GOMAXPROCS=1 taskset -c 0 valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$tmp/cg.out" "$@" >"$tmp/proxy.log" 2>&1 &
  local pid=$!
  until curl -s -o /dev/null 127.0.0.1:$gw/; do sleep 0.5; done
  GOMAXPROCS=1 taskset -c 1 "$tmp/steadyload" --url http://127.0.0.1:$gw/v1/chat/completions --rate "$rate" --duration 16s --stream=$stream
  sleep 1.5; kill -TERM $pid; wait $pid || true
  awk '/^summary/ {print $2}' "$tmp/cg.out"
}
per() { # per NAME ARGV...
  local name=$1; shift
  local lo hi; lo=$(count 20 "$@"); hi=$(count 80 "$@")
  echo "$mode $name: $(( (hi - lo) / (80*16 - 20*16) )) instructions/request"
}
per "bare proxy" "$tmp/bareproxy" --listen 127.0.0.1:$gw --upstream http://127.0.0.1:$emu
for b in "${bins[@]}"; do
  rm -rf "$tmp/data"; mkdir "$tmp/data"
  cat >"$tmp/sy.yaml" <<YAML
listen: 127.0.0.1:$gw
admin: {listen: 127.0.0.1:$adm, token: bench-admin-token-0123456789}
data_dir: $tmp/data
log: {level: warn}
keys:
  - {name: bench, key: sk-sy-bench-0123456789abcdef}
providers:
  - {name: emu, type: openai, base_url: http://127.0.0.1:$emu/v1, api_key: emulated}
models:
  - name: bench-model
    deployments:
      - {provider: emu, model: bench-model, price: {input: "0.15", output: "0.60"}}
YAML
  per "$b" "$b" serve --config "$tmp/sy.yaml"
done
