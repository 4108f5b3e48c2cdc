#!/usr/bin/env bash
# Lambda round trip through AWS Lambda's Runtime API, measured end to end:
# a real stepwised (BUILD's), `stepwise lambda-runtime` running AWS's
# Node.js runtime interface client (aws-lambda-ric, installed by
# scripts/install-lambda-ric.sh) on a one-line identity handler, and
# `stepwise bench --workload lambda` starting executions of a one-Lambda-Task
# machine and waiting for each to close. Two runs: one function process and
# one caller (the round trip's p50/p99), then PROCS function processes and
# CALLERS callers (invocations/s). Prints each run's JSON.
# Usage: tests/bench/lambda_bench.sh BUILD_DIR [SECONDS] [PROCS] [CALLERS]
#   e.g. tests/bench/lambda_bench.sh build/release 20 16 32
set -euo pipefail
BUILD=$(realpath "$1")
SECS=${2:-20}
PROCS=${3:-16}
CALLERS=${4:-32}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RIC=${STEPWISE_LAMBDA_RIC_DIR:-$ROOT/build/npm/lambda-ric}/node_modules/.bin/aws-lambda-ric
[ -x "$RIC" ] || { echo "aws-lambda-ric missing: bash scripts/install-lambda-ric.sh" >&2; exit 1; }
SW=$BUILD/cli/stepwise
TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
mkdir -p "$TMP/fn"
echo 'export const handler = async (event) => event;' >"$TMP/fn/index.mjs"

"$BUILD/server/stepwised" --data-dir "$TMP/data" --grpc-listen 127.0.0.1:0 \
  --http-listen 127.0.0.1:0 --ports-file "$TMP/ports" >"$TMP/server.log" 2>&1 &
SERVER=$!
PIDS+=($SERVER)
for _ in $(seq 1 200); do [ -s "$TMP/ports" ] && break; sleep 0.05; done
export STEPWISE_ENDPOINT=127.0.0.1:$(sed -n 's/^grpc=//p' "$TMP/ports")
export AWS_LAMBDA_NODEJS_USE_ALTERNATIVE_CLIENT_1=true

# run NAME PROCS CALLERS
run() {
  (cd "$TMP/fn" && exec "$SW" lambda-runtime --function "$1" --concurrency "$2" -- "$RIC" index.handler) \
    >"$TMP/runtime-$1.log" 2>&1 &
  local rt=$!
  PIDS+=($rt)
  sleep 3  # the copies start and poll
  echo "== $2 function process(es), $3 caller(s), ${SECS}s"
  "$SW" bench --workload lambda --function "$1" --concurrency "$3" --duration "$SECS" \
    --server-pid "$SERVER"
  kill -TERM "$rt"; wait "$rt" 2>/dev/null || true
}
run one 1 1
run many "$PROCS" "$CALLERS"
