#!/bin/bash
# activity_breakdown.sh: where an activity task's time goes (issue 21). Runs
# `stepwise bench --workload activity` against a fresh stepwised per run and
# reads the server's /metrics after it, so each line says tasks/s, the round
# trip, and how many commits and synced batches (one fdatasync each) a task
# cost. With two binary folders it alternates them (A B A B ...), which is the
# only fair comparison on a shared box. Run by hand; not part of ctest.
#
#   bench/activity_breakdown.sh [-r RUNS] [-s SECS] BIN_A [BIN_B]
#
# BIN_* hold stepwised and stepwise (e.g. build/release/server and
# build/release/cli copied side by side, or /work/baseline-bin). Figures run:
#   a16     --concurrency 64 --workers 16   (what side_by_side.sh calls activity_16)
#   c16w16  --concurrency 16 --workers 16   (never more tasks than workers)
#   rt      --concurrency 1  --workers 1    (activity_round_trip)
# A 3-activity execution costs: 1 start commit, 3 report commits (each also
# schedules the next task or closes), and 3 hand-out commits unless the
# hand-out rode on the commit that scheduled the task (a poller was waiting:
# WorkerQueueRows::Schedule). So commits/execution is 4 (every hand-out rode)
# to 7 (none did).
set -euo pipefail
RUNS=3 SECS=5
while getopts r:s: o; do
  case $o in r) RUNS=$OPTARG ;; s) SECS=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-r RUNS] [-s SECS] BIN_A [BIN_B]" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
INPUT=$HERE/input_807.json

one() {  # one BIN NAME ARGS...: prints one result line
  local bin=$1 name=$2 tmp pid ep hp metrics
  shift 2
  tmp=$(mktemp -d)
  "$bin/stepwised" --data-dir "$tmp/data" --grpc-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 \
    --ports-file "$tmp/ports" --log-level warn &
  pid=$!
  for _ in $(seq 1 200); do [ -s "$tmp/ports" ] && break; sleep 0.05; done
  ep=127.0.0.1:$(sed -n 's/^grpc=//p' "$tmp/ports")
  hp=$(sed -n 's/^http=//p' "$tmp/ports")
  "$bin/stepwise" bench --endpoint "$ep" --server-pid "$pid" --workload activity \
    --duration "$SECS" --input "@$INPUT" "$@" >"$tmp/out.json"
  metrics=$(curl -s "127.0.0.1:$hp/metrics")
  kill "$pid"
  wait "$pid" || true
  python3 - "$bin" "$name" "$tmp/out.json" "$metrics" <<'PY'
import json, re, sys
bin_dir, name, out, metrics = sys.argv[1:5]
d = json.load(open(out))["activity_3"]
def metric(m):
    total = 0.0
    for line in metrics.splitlines():
        if re.match(m + r"(\{| )", line):
            total += float(line.rsplit(" ", 1)[1])
    return total
closed = metric("stepwise_executions_closed_total")
tasks = 3 * closed or 1
rt = d.get("activity_round_trip", {})
print(f"{bin_dir} {name}: tasks/s {d['tasks_per_s']:.0f}  rt p50 {rt.get('p50_ms', 0):.2f} ms "
      f"p95 {rt.get('p95_ms', 0):.2f} ms  commits/exec {metric('stepwise_commits_total') / (closed or 1):.2f}  "
      f"syncs/task {metric('stepwise_commit_batches_total') / tasks:.3f}  "
      f"server cpu us/transition {d.get('server_cpu_us_per_transition', 0):.0f}")
PY
  rm -rf "$tmp"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq 1 "$RUNS"); do
  for bin in "$@"; do
    one "$bin" a16 --concurrency 64 --workers 16
    one "$bin" c16w16 --concurrency 16 --workers 16
    one "$bin" rt --concurrency 1 --workers 1
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
