#!/usr/bin/env bash
# A/B comparison of two stepwised builds on one (possibly shared) box, for
# issue 21's method: runs one `stepwise bench` figure against a fresh
# stepwised of build A, then of build B, alternately, PAIRS times, and prints
# each run's two numbers (standard: transitions/s and server CPU µs per
# transition; start_1k: p50 and p99 ms; activity_16: tasks/s and round trip
# p50 ms), then their medians and the ratios B ÷ A. Alternating keeps a busy
# box's drift out of the ratios. Used for docs/performance.md.
#
# Usage: bench/ab_compare.sh [--pairs N] [--seconds S] [--figure F] DIR_A DIR_B
#   DIR_A, DIR_B  release build directories (server/stepwised, cli/stepwise)
#                 or directories holding the two programs directly
#   --figure      standard (default: durable 10-state Pass chains, 64 callers),
#                 payload_64k (the same with a 65,536-byte input),
#                 start_1k (StartExecution at 1,000/s, 16 callers: p50/p99),
#                 activity_16 (activity tasks, 16 workers, 64 callers)
#   --pairs N     A/B pairs (default 3); --seconds S per run (default 5)
# Every run uses the 807-byte input of bench/input_807.json and a scratch
# data directory with the WAL synced (stepwised's default). CI does not run it.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
INPUT=$HERE/input_807.json
PAIRS=3 SECS=5 FIGURE=standard
while [ $# -gt 2 ]; do
  case $1 in
    --pairs) PAIRS=$2; shift 2 ;;
    --seconds) SECS=$2; shift 2 ;;
    --figure) FIGURE=$2; shift 2 ;;
    *) echo "ab_compare: unknown flag $1" >&2; exit 2 ;;
  esac
done
[ $# -eq 2 ] || { sed -n '/^# Usage:/,/^# data directory/p' "$0" >&2; exit 2; }

bins() {  # DIR -> "stepwised stepwise"
  if [ -x "$1/server/stepwised" ]; then echo "$1/server/stepwised $1/cli/stepwise"
  else echo "$1/stepwised $1/stepwise"; fi
}
read -r SD_A CLI_A < <(bins "$1")
read -r SD_B CLI_B < <(bins "$2")
for b in "$SD_A" "$CLI_A" "$SD_B" "$CLI_B"; do
  [ -x "$b" ] || { echo "ab_compare: $b is missing" >&2; exit 2; }
done
case $FIGURE in
  standard|payload_64k) ARGS=(--workload pass-chain --concurrency 64) ;;
  start_1k) ARGS=(--workload start-only --rate 1000 --concurrency 16) ;;
  activity_16) ARGS=(--workload activity --concurrency 64 --workers 16) ;;
  *) echo "ab_compare: --figure must be standard, payload_64k, start_1k or activity_16" >&2; exit 2 ;;
esac

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ab-compare.XXXXXX")
PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
if [ "$FIGURE" = payload_64k ]; then
  # bench/side_by_side.sh's 64 KiB input: the 807-byte one padded to 65,536 bytes.
  node -e 'const fs = require("fs");
    const base = fs.readFileSync(process.argv[1], "utf8").replace(/}\s*$/, "");
    const frame = base + ",\"pad\":\"\"}";
    fs.writeFileSync(process.argv[2], base + ",\"pad\":\"" + "x".repeat(65536 - frame.length) + "\"}");' \
    "$INPUT" "$TMP/input_64k.json"
  INPUT=$TMP/input_64k.json
fi

# one SERVER CLI: prints the figure's numbers as "value [value2]".
one() {
  rm -rf "$TMP/data" "$TMP/ports"
  "$1" --data-dir "$TMP/data" --grpc-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 \
    --ports-file "$TMP/ports" --log-level warn &
  PID=$!
  for _ in $(seq 1 200); do [ -s "$TMP/ports" ] && break; sleep 0.05; done
  local ep=127.0.0.1:$(sed -n 's/^grpc=//p' "$TMP/ports")
  "$2" bench --endpoint "$ep" --server-pid "$PID" --duration "$SECS" --input "@$INPUT" \
    "${ARGS[@]}" >"$TMP/out.json"
  kill "$PID"; wait "$PID" || true; PID=
  node -e '
    const o = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const f = process.argv[2];
    if (f === "standard" || f === "payload_64k") { const p = o.pass_chain_10;
      console.log(p.transitions_per_s.toFixed(0), (p.server_cpu_us_per_transition ?? 0).toFixed(2)); }
    else if (f === "start_1k") { const s = o.start_only.start_execution_latency;
      console.log(s.p50_ms.toFixed(3), s.p99_ms.toFixed(3)); }
    else { const a = o.activity_3;
      console.log(a.tasks_per_s.toFixed(0), a.activity_round_trip.p50_ms.toFixed(2)); }
  ' "$TMP/out.json" "$FIGURE"
}

echo "ab_compare: $FIGURE, $PAIRS pairs of $SECS s; load $(cut -d' ' -f1-3 /proc/loadavg)"
A=() B=()
for i in $(seq 1 "$PAIRS"); do
  a=$(one "$SD_A" "$CLI_A"); echo "pair $i A: $a"; A+=("$a")
  b=$(one "$SD_B" "$CLI_B"); echo "pair $i B: $b"; B+=("$b")
done
node -e '
  const [a, b] = [JSON.parse(process.argv[1]), JSON.parse(process.argv[2])];
  const med = (xs, k) => { const s = xs.map(x => +x.split(" ")[k]).sort((p, q) => p - q);
    const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
  for (const k of [0, 1]) {
    const ma = med(a, k), mb = med(b, k);
    console.log(`median[${k}] A ${ma} B ${mb} ratio B/A ${(mb / ma).toFixed(3)}`);
  }
' "$(printf '%s\n' "${A[@]}" | node -e 'console.log(JSON.stringify(require("fs").readFileSync(0,"utf8").trim().split("\n")))')" \
  "$(printf '%s\n' "${B[@]}" | node -e 'console.log(JSON.stringify(require("fs").readFileSync(0,"utf8").trim().split("\n")))')"
echo "ab_compare: load after $(cut -d' ' -f1-3 /proc/loadavg)"
