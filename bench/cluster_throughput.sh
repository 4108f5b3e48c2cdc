#!/usr/bin/env bash
# cluster_throughput.sh: throughput of a three-node cluster on this machine
# (deploy/cluster/run-local.sh: PostgreSQL 15 from initdb, fsync on, three
# stepwised nodes on 32 shards), for issue 20's report. A long run by hand,
# not in ctest or CI; on two cores it is a correctness rig, not a target.
#
#   bench/cluster_throughput.sh [DURATION_S] [CONCURRENCY]
#
# 1. pass chains: one `stepwise bench --workload start-only --states 10` per
#    node, all three at once for DURATION_S (default 20) with CONCURRENCY
#    (default 16) callers each; then waits until no execution of the three
#    machines is RUNNING and reports executions, seconds from the first start
#    to the last close, and executions/s and state transitions/s (10 Pass
#    states each);
# 2. activity: `stepwise bench --workload activity` through node 1 only
#    (16 workers), so the tasks of the other nodes' executions reach the
#    workers through task polls on any node.
# Prints the figures and the load average before and after; stops the
# cluster at the end and keeps its state directory (STEPWISE_CLUSTER_DIR,
# default /tmp/stepwise-cluster-throughput; run-local.sh clean removes it).
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-20}"
conc="${2:-16}"
export STEPWISE_CLUSTER_DIR="${STEPWISE_CLUSTER_DIR:-/tmp/stepwise-cluster-throughput}"
stepwise="${STEPWISE:-build/dev/cli/stepwise}"
run_local=deploy/cluster/run-local.sh
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
bash "$run_local" clean > /dev/null 2>&1 || true
bash "$run_local" start
trap 'bash "$run_local" stop > /dev/null 2>&1 || true' EXIT
sleep 3
out="$STEPWISE_CLUSTER_DIR/bench"
mkdir -p "$out"
t0=$(date +%s.%N)
for i in 1 2 3; do
  "$stepwise" bench --workload start-only --states 10 --duration "$duration" \
    --concurrency "$conc" --endpoint "127.0.0.1:771$i" > "$out/start-$i.json" 2> "$out/start-$i.err" &
done
wait
t_started=$(date +%s.%N)
for i in 1 2 3; do
  if [ ! -s "$out/start-$i.json" ]; then
    echo "bench through node $i printed nothing:"; cat "$out/start-$i.err"; exit 1
  fi
done
# Every execution of the three bench machines closed: count RUNNING ones.
running() {
  local n=0
  for arn in $("$stepwise" machine list --json --endpoint 127.0.0.1:7711 |
               python3 -c 'import json,sys; [print(m["stateMachineArn"]) for m in json.load(sys.stdin) if "bench-start" in m["name"]]'); do
    c=$(AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws stepfunctions --region us-east-1 \
          --endpoint-url http://127.0.0.1:8091 list-executions --state-machine-arn "$arn" \
          --status-filter RUNNING --query 'length(executions)' --output text)
    n=$((n + c))
  done
  echo "$n"
}
while [ "$(running)" != "0" ]; do sleep 0.5; done
t_closed=$(date +%s.%N)
python3 - "$out" "$t0" "$t_started" "$t_closed" <<'PY'
import json, sys, glob
out, t0, ts, tc = sys.argv[1], *map(float, sys.argv[2:])
starts = 0
for f in sorted(glob.glob(out + "/start-*.json")):
    d = json.load(open(f))
    w = d.get("start_only", d)
    n = w.get("executions") or w.get("started") or w.get("count") or 0
    print(f, json.dumps(w))
    starts += int(n)
secs = tc - t0
print(json.dumps({"nodes": 3, "executions": starts, "seconds_to_last_close": round(secs, 2),
                  "starting_seconds": round(ts - t0, 2),
                  "executions_per_s": round(starts / secs, 1),
                  "pass_transitions_per_s": round(starts * 10 / secs, 1)}))
PY
"$stepwise" bench --workload activity --duration "$duration" --workers 16 \
  --concurrency "$conc" --endpoint 127.0.0.1:7711
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
