#!/usr/bin/env bash
# Runs `stepwise bench` against a fresh stepwised (scratch data directory,
# ephemeral ports) for each figure of the daemon issue's targets and prints
# one JSON object per figure, prefixed with its name. Use release binaries:
#   cmake --preset release -B build/ops-rel
#   cmake --build build/ops-rel --target stepwised stepwise_cli
#   bash tests/bench/stepwised_bench.sh build/ops-rel [SECONDS]
set -euo pipefail
BUILD=$(realpath "$1")
SECS=${2:-10}
TMP=$(mktemp -d)
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

start_server() {
  rm -rf "$TMP/data" "$TMP/ports"
  "$BUILD/server/stepwised" --data-dir "$TMP/data" --grpc-listen 127.0.0.1:0 \
    --http-listen 127.0.0.1:0 --ports-file "$TMP/ports" --log-level warn &
  SERVER_PID=$!
  for _ in $(seq 1 200); do [ -s "$TMP/ports" ] && break; sleep 0.05; done
  ENDPOINT=127.0.0.1:$(sed -n 's/^grpc=//p' "$TMP/ports")
  HTTP_ENDPOINT=http://127.0.0.1:$(sed -n 's/^http=//p' "$TMP/ports")
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=; }
bench() {  # NAME ARGS...
  local name=$1; shift
  echo "load before $name: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  echo "$name $("$BUILD/cli/stepwise" bench --endpoint "$ENDPOINT" --server-pid "$SERVER_PID" \
    --duration "$SECS" "$@")"
}

# A fresh server (empty RocksDB) for each figure.
start_server; bench start_at_1000_per_s --workload start-only --rate 1000 --concurrency 16; stop_server
start_server; bench start_max --workload start-only --concurrency 64; stop_server
start_server; bench pass_chain_10 --workload pass-chain --concurrency 64; stop_server
start_server; bench express_sync_10 --workload express-sync --concurrency 64; stop_server
# The same Express figure through the AWS JSON endpoint (plain node:http client).
start_server
echo "express_sync_10_aws_endpoint $(node "$(dirname "$0")/express_sync_http.mjs" "$HTTP_ENDPOINT" "$SECS" 64)"
stop_server
start_server; bench activity_round_trip --workload activity --concurrency 1 --workers 1; stop_server
start_server; bench activity_16_workers --workload activity --concurrency 64 --workers 16; stop_server
