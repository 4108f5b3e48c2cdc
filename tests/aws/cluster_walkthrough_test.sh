#!/usr/bin/env bash
# The AWS CLI walkthrough through any node of a cluster: deploy/cluster/run-local.sh
# starts PostgreSQL 15 from initdb and three stepwised nodes (32 shards, one
# cluster secret) on free loopback ports, and every step of the walkthrough
# goes to the next node in turn with Debian's AWS CLI: an activity and a
# state machine created, three executions started (one on each node's
# shards), each task polled on one node, answered through
# another, described, listed and its history read through a third; an
# execution stopped through a node that does not run it; one of the AWS
# errors (ExecutionAlreadyExists) as the owner answers it. Output is parsed
# with python3, not just exit codes.
# Usage: cluster_walkthrough_test.sh <stepwised> <stepwise CLI>
# Exits 77 (skip) without awscli or PostgreSQL 15.
set -uo pipefail

STEPWISED=${1:?usage: cluster_walkthrough_test.sh <stepwised> <stepwise>}
STEPWISE_CLI=${2:?usage: cluster_walkthrough_test.sh <stepwised> <stepwise>}
AWS_BIN=${AWS_BIN:-/usr/bin/aws}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[ -x "$AWS_BIN" ] || { echo "SKIP: $AWS_BIN not installed (apt-get install awscli)"; exit 77; }
[ -x "$PG_BIN/initdb" ] || { echo "SKIP: PostgreSQL 15 not installed"; exit 77; }

WORK=$(mktemp -d)
chmod 755 "$WORK"  # PostgreSQL runs as its own user when this runs as root
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Three consecutive free ports above each base (run-local.sh uses base+1..3).
free_base() {
  while :; do
    local b; b=$(( $(free_port) - 1 ))
    local ok=1
    for i in 1 2 3; do
      python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1',$((b + i))))" 2>/dev/null || ok=0
    done
    [ $ok = 1 ] && { echo "$b"; return; }
  done
}
export STEPWISE_CLUSTER_DIR=$WORK/cluster STEPWISED STEPWISE=$STEPWISE_CLI PG_BIN
export PG_PORT=$(free_port) GRPC_BASE=$(free_base) HTTP_BASE=$(free_base)
cleanup() { bash "$ROOT/deploy/cluster/run-local.sh" clean >/dev/null 2>&1; rm -rf "$WORK"; }
trap cleanup EXIT

if ! bash "$ROOT/deploy/cluster/run-local.sh" start >"$WORK/start.log" 2>&1; then
  echo "FAIL run-local.sh start:"; cat "$WORK/start.log"; exit 1
fi

FAILS=0
CHECKS=0
ok()   { CHECKS=$((CHECKS + 1)); echo "ok   $*"; }
fail() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "FAIL $*"; }
export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER=""
OUT=$WORK/out.json
ERR=$WORK/err.txt
NEXT=0
# sfn <args...>: `aws stepfunctions` through the next node in turn.
sfn() {
  NEXT=$(( NEXT % 3 + 1 ))
  NODE=$NEXT
  "$AWS_BIN" --endpoint-url "http://127.0.0.1:$((HTTP_BASE + NEXT))" --output json \
    stepfunctions "$@" >"$OUT" 2>"$ERR"
}
get() { python3 -c "import json; d=json.load(open('$OUT')); print($1)"; }
check() {
  if python3 -c "import json,sys; d=json.load(open('$OUT')); sys.exit(0 if ($2) else 1)" 2>/dev/null; then
    ok "$1 (node $NODE)"
  else
    fail "$1 (node $NODE): expected $2 in: $(head -c 400 "$OUT") $(head -c 400 "$ERR")"
  fi
}

# Three live nodes share the 32 shards (a node that joined last may take
# a few seconds to get its share).
CLUSTER=$WORK/cluster.json
for _ in $(seq 1 300); do
  "$STEPWISE_CLI" admin cluster --json --endpoint "127.0.0.1:$((GRPC_BASE + 2))" >"$CLUSTER" 2>&1
  python3 -c "import json,sys; d=json.load(open('$CLUSTER')); sys.exit(0 if d['shardCount']==32 and not d['unownedShards'] and sum(1 for n in d['nodes'] if n['live'] and n['shards'])==3 else 1)" 2>/dev/null && break
  sleep 0.1
done
if python3 -c "import json,sys; d=json.load(open('$CLUSTER')); sys.exit(0 if d['shardCount']==32 and not d['unownedShards'] and sum(1 for n in d['nodes'] if n['live'] and n['shards'])==3 else 1)" 2>/dev/null; then
  ok "admin cluster: 3 live nodes hold all 32 shards"
else
  fail "admin cluster: $(head -c 800 "$CLUSTER")"
fi
# shard -> node address, as the database says now.
owner_of() {  # ARN -> the advertise address of its shard's holder
  python3 - "$1" "$CLUSTER" <<'PY'
import json, sys
h = 14695981039346656037
for c in sys.argv[1].encode():
    h ^= c
    h = (h * 1099511628211) & 0xFFFFFFFFFFFFFFFF
d = json.load(open(sys.argv[2]))
shard = h % d['shardCount']
print(next((n['advertiseAddress'] for n in d['nodes'] if shard in n['shards']), '?'))
PY
}

sfn create-activity --name walk-work && check "create-activity" "d['activityArn'].endswith(':activity:walk-work')"
ACT=$(get "d['activityArn']")
cat >"$WORK/def.json" <<JSON
{"StartAt":"Work","States":{
  "Work":{"Type":"Task","Resource":"$ACT","ResultPath":"\$.worked","Next":"Done"},
  "Done":{"Type":"Pass","End":true}}}
JSON
sfn create-state-machine --name walk --definition "file://$WORK/def.json" \
  --role-arn arn:aws:iam::123456789012:role/r && check "create-state-machine" "d['stateMachineArn'].endswith(':stateMachine:walk')"
SM=$(get "d['stateMachineArn']")

# Three execution names, one on each node's shards (the CLI takes about a
# second a call on a small machine: the walkthrough stays short).
EXEC_PREFIX=${SM/:stateMachine:/:execution:}
NAMES=()
declare -A PER_NODE=()
for k in $(seq 1 500); do
  owner=$(owner_of "$EXEC_PREFIX:walk-$k")
  [ "${PER_NODE[$owner]:-0}" -lt 1 ] || continue
  PER_NODE[$owner]=$(( ${PER_NODE[$owner]:-0} + 1 ))
  NAMES+=("walk-$k")
  [ ${#NAMES[@]} -eq 3 ] && break
done
N=${#NAMES[@]}
[ "$N" -eq 3 ] || fail "could not pick 3 names over the 3 nodes: ${NAMES[*]}"
for i in $(seq 1 $N); do
  sfn start-execution --state-machine-arn "$SM" --name "${NAMES[$((i - 1))]}" --input "{\"i\":$i}" \
    || fail "start-execution ${NAMES[$((i - 1))]}: $(cat "$ERR")"
done
ok "started $N executions through the three nodes in turn, one on each node's shards"
sfn start-execution --state-machine-arn "$SM" --name "${NAMES[0]}" --input '{"other":1}'
if grep -q "ExecutionAlreadyExists" "$ERR"; then ok "a second ${NAMES[0]} is ExecutionAlreadyExists (node $NODE)"
else fail "a second ${NAMES[0]}: $(cat "$ERR" "$OUT" | head -c 300)"; fi

# Each task polled on one node, answered through the next.
for i in $(seq 1 $N); do
  sfn get-activity-task --activity-arn "$ACT" --worker-name "w$i" || { fail "poll: $(cat "$ERR")"; continue; }
  TOKEN=$(get "d.get('taskToken','')")
  [ -n "$TOKEN" ] || { fail "poll $i got no task (node $NODE)"; continue; }
  INPUT=$(get "d['input']")
  sfn send-task-success --task-token "$TOKEN" --task-output "{\"by\":\"w$i\",\"got\":$INPUT}" \
    || fail "send-task-success: $(cat "$ERR")"
done
ok "$N tasks polled and answered through alternating nodes"

for i in $(seq 1 $N); do
  NAME=${NAMES[$((i - 1))]}
  for _ in $(seq 1 100); do
    sfn describe-execution --execution-arn "$EXEC_PREFIX:$NAME"
    [ "$(get "d['status']")" = RUNNING ] || break
    sleep 0.1
  done
  check "$NAME SUCCEEDED with its worker's output" \
    "d['status']=='SUCCEEDED' and json.loads(d['output'])['worked']['got']['i']==$i"
  sfn get-execution-history --execution-arn "$EXEC_PREFIX:$NAME"
  check "$NAME history" "[e['type'] for e in d['events']][0]=='ExecutionStarted' and d['events'][-1]['type']=='ExecutionSucceeded' and [e['id'] for e in d['events']]==list(range(1,len(d['events'])+1))"
done
sfn list-executions --state-machine-arn "$SM" --status-filter SUCCEEDED
check "list-executions: all $N SUCCEEDED" "len(d['executions'])==$N"

# A stop through a node that does not run the execution.
sfn start-execution --state-machine-arn "$SM" --name walk-stop
STOP_OWNER=$(owner_of "$EXEC_PREFIX:walk-stop")
for node in 1 2 3; do
  [ "127.0.0.1:$((GRPC_BASE + node))" = "$STOP_OWNER" ] && continue
  "$AWS_BIN" --endpoint-url "http://127.0.0.1:$((HTTP_BASE + node))" --output json stepfunctions \
    stop-execution --execution-arn "$EXEC_PREFIX:walk-stop" --error E --cause "through node $node" >"$OUT" 2>"$ERR"
  NODE=$node
  check "stop-execution through node $node, which does not run it" "'stopDate' in d"
  break
done
sfn describe-execution --execution-arn "$EXEC_PREFIX:walk-stop"
check "walk-stop ABORTED" "d['status']=='ABORTED' and d.get('error')=='E'"

echo "$CHECKS checks, $FAILS failed"
[ $FAILS -eq 0 ]
