#!/usr/bin/env bash
# The search benchmark (issue 18, "Search"): 100,000 executions of a
# Pass-only machine indexing customerId (input {"customerId":"c<i mod 1000>"}),
# loaded by `stepwise bench --workload search-load` (64 callers) while
# stepwised is SIGKILLed once in the middle and restarted on the same data
# directory and port (the loader retries what the kill cut off; nothing is
# lost, nothing doubles); then 200 searches for one customer, timed whole
# (`--workload search-query`, every page), each checked to find exactly the
# 100 executions of that customer, and CountExecutions checked too; last,
# search_index_check on the stopped data directory. Out of CI (a minute or
# two); use release binaries for the figures:
#   cmake --preset release -B build/ops-rel
#   cmake --build build/ops-rel --target stepwised stepwise_cli search_index_check
#   bash tests/bench/search_bench.sh build/ops-rel [EXECUTIONS]
set -euo pipefail
BUILD=$(realpath "$1")
N=${2:-100000}
CUSTOMERS=1000
TMP=$(mktemp -d)
SERVER_PID=
LOADER_PID=
cleanup() {
  [ -n "$LOADER_PID" ] && kill "$LOADER_PID" 2>/dev/null
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

GRPC_PORT=0
start_server() {
  rm -f "$TMP/ports"
  "$BUILD/server/stepwised" --data-dir "$TMP/data" --grpc-listen "127.0.0.1:$GRPC_PORT" \
    --http-listen 127.0.0.1:0 --ports-file "$TMP/ports" --log-level warn >>"$TMP/log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 400); do grep -q '^http=' "$TMP/ports" 2>/dev/null && break; sleep 0.05; done
  GRPC_PORT=$(sed -n 's/^grpc=//p' "$TMP/ports")
  ENDPOINT=127.0.0.1:$GRPC_PORT
}
sw() { "$BUILD/cli/stepwise" "$@" --endpoint "$ENDPOINT"; }

start_server
cat >"$TMP/pass.json" <<'JSON'
{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}
JSON
sw machine create searched --definition "$TMP/pass.json" >/dev/null
sw machine index-fields searched 'customerId=input:$.customerId' >/dev/null

echo "loading $N executions (one SIGKILL during the load)..." >&2
sw bench --workload search-load --machine searched --executions "$N" \
  --customers "$CUSTOMERS" --concurrency 64 >"$TMP/load.json" &
LOADER_PID=$!
# Kill once about a third of the way through.
while :; do
  n=$(sw list --where '' --count 2>/dev/null || echo 0)
  [ "$n" -ge $((N / 3)) ] && break
  sleep 0.2
done
echo "SIGKILL at $n executions" >&2
kill -9 "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
start_server
wait "$LOADER_PID"; LOADER_PID=
echo "load $(cat "$TMP/load.json")"

TOTAL=$(sw list --where '' --count)
echo "executions after the load: $TOTAL (expected $N)"
[ "$TOTAL" -eq "$N" ] || { echo "FAIL: $TOTAL executions, expected $N" >&2; exit 1; }

# The same customer every search (c4711 mod 1000 = c711): N / CUSTOMERS each.
sw bench --workload search-query --query 'customerId = "c711"' \
  --expect $((N / CUSTOMERS)) --searches 200 | sed 's/^/search_one_customer /'
sw bench --workload search-query --query 'customerId = "c711" and status = SUCCEEDED' \
  --expect $((N / CUSTOMERS)) --searches 200 | sed 's/^/search_customer_and_status /'
sw bench --workload search-query --machine searched --query 'customerId = "c12"' \
  --expect $((N / CUSTOMERS)) --searches 200 | sed 's/^/search_customer_on_machine /'

kill "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=
"$BUILD/tests/crash/search_index_check" "$TMP/data"
