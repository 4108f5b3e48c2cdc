#!/usr/bin/env bash
# The operator's view of Lambda tasks and nested executions, end to end on
# the real stepwised and `stepwise` CLI: a Lambda Task with no worker is
# reported as "waiting for a worker of function NAME" by `describe`,
# `history` and GET /metrics (function queues apart from activities), an
# activity Task likewise; a parent that runs a Pass child with
# states:startExecution.sync:2 shows "child ARN" in its history and describe,
# and the child shows "started by ARN".
# Usage: cli_waiting_links_test.sh STEPWISED STEPWISE
set -u
STEPWISED=$1
SW=$2
TMP=$(mktemp -d)
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
expect_contains() {
  case "$2" in *"$3"*) ok "$1" ;; *) fail "$1: expected '$3' in: $2" ;; esac
}
expect_not_contains() {
  case "$2" in *"$3"*) fail "$1: did not expect '$3' in: $2" ;; *) ok "$1" ;; esac
}

"$STEPWISED" --data-dir "$TMP/data" --grpc-listen 127.0.0.1:0 \
  --http-listen 127.0.0.1:0 --ports-file "$TMP/ports" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 200); do [ -s "$TMP/ports" ] && break; sleep 0.05; done
if [ ! -s "$TMP/ports" ]; then
  cat "$TMP/server.log"; echo "FAIL: stepwised did not start"; exit 1
fi
export STEPWISE_ENDPOINT=127.0.0.1:$(sed -n 's/^grpc=//p' "$TMP/ports")
HTTP=http://127.0.0.1:$(sed -n 's/^http=//p' "$TMP/ports")

# --- a Lambda Task and an activity Task that no worker serves ---
cat >"$TMP/fn.json" <<'JSON'
{"StartAt":"Validate","States":{"Validate":{"Type":"Task",
 "Resource":"arn:aws:lambda:us-east-1:123456789012:function:ValidateOrder","End":true}}}
JSON
FSM=$("$SW" machine create Orders --definition "$TMP/fn.json") || fail "create Orders"
FEXEC=$("$SW" start "$FSM" --name lonely)
ACT=$("$SW" activity create approve)
cat >"$TMP/act.json" <<JSON
{"StartAt":"Approve","States":{"Approve":{"Type":"Task","Resource":"$ACT","End":true}}}
JSON
ASM=$("$SW" machine create Approvals --definition "$TMP/act.json") || fail "create Approvals"
AEXEC=$("$SW" start "$ASM" --name waiting)
OUT=
for _ in $(seq 1 100); do
  OUT=$("$SW" describe "$FEXEC")
  case "$OUT" in *"waiting for a worker"*) break ;; esac
  sleep 0.05
done
expect_contains "describe: function with no worker" "$OUT" "waiting:       waiting for a worker of function ValidateOrder"
OUT=$("$SW" history "$FEXEC")
expect_contains "history: function with no worker" "$OUT" "waiting for a worker of function ValidateOrder"
for _ in $(seq 1 100); do
  OUT=$("$SW" describe "$AEXEC")
  case "$OUT" in *"waiting for a worker"*) break ;; esac
  sleep 0.05
done
expect_contains "describe: activity with no worker" "$OUT" "waiting for a worker of activity $ACT"
OUT=$("$SW" describe "$FEXEC" --json)
expect_not_contains "describe --json keeps AWS's shape" "$OUT" "waiting"
METRICS=$(curl -sf "$HTTP/metrics")
expect_contains "metrics: function queue" "$METRICS" 'stepwise_function_tasks_pending{function="ValidateOrder"} 1'
expect_contains "metrics: function pollers" "$METRICS" 'stepwise_function_pollers{function="ValidateOrder"} 0'
expect_contains "metrics: activity queue" "$METRICS" "stepwise_activity_tasks_pending{activity=\"$ACT\"} 1"
expect_not_contains "metrics: no function among activities" "$METRICS" 'activity="function:'
"$SW" stop "$FEXEC" >/dev/null || fail "stop $FEXEC"
"$SW" stop "$AEXEC" >/dev/null || fail "stop $AEXEC"
OUT=$("$SW" describe "$FEXEC")
expect_not_contains "describe: a stopped execution waits for nothing" "$OUT" "waiting for a worker"

# --- a parent and its child ---
echo '{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"done":true},"End":true}}}' >"$TMP/child.json"
CSM=$("$SW" machine create Child --definition "$TMP/child.json") || fail "create Child"
cat >"$TMP/parent.json" <<JSON
{"StartAt":"Run","States":{"Run":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2",
 "Parameters":{"StateMachineArn":"$CSM","Input":{"n":1,
   "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.\$":"\$\$.Execution.Id"}},"End":true}}}
JSON
PSM=$("$SW" machine create Parent --definition "$TMP/parent.json") || fail "create Parent"
OUT=$(timeout 30 "$SW" start "$PSM" --name p1 --wait 2>/dev/null)
expect_contains "parent succeeded" "$OUT" '"status": "SUCCEEDED"'
PEXEC=$("$SW" list "$PSM" --json | sed -n 's/.*"executionArn": "\(.*\)".*/\1/p' | head -1)
CEXEC=$("$SW" list "$CSM" --json | sed -n 's/.*"executionArn": "\(.*\)".*/\1/p' | head -1)
[ -n "$PEXEC" ] && [ -n "$CEXEC" ] || fail "parent and child executions listed: '$PEXEC' '$CEXEC'"
OUT=$("$SW" history "$PEXEC")
expect_contains "parent history links the child" "$OUT" "child $CEXEC"
case "$OUT" in *"TaskSucceeded"*"child $CEXEC"*) ok "TaskSucceeded names the child" ;;
  *) fail "TaskSucceeded names the child: $OUT" ;; esac
OUT=$("$SW" describe "$PEXEC")
expect_contains "parent describe links the child" "$OUT" "child:         $CEXEC"
OUT=$("$SW" describe "$CEXEC")
expect_contains "child describe links the parent" "$OUT" "started by:    $PEXEC"
OUT=$("$SW" history "$CEXEC")
expect_contains "child history links the parent" "$OUT" "started by $PEXEC"

if [ $FAILS -ne 0 ]; then
  echo "--- server log"; tail -30 "$TMP/server.log"
  echo "$FAILS failure(s)"; exit 1
fi
echo "all passed"
