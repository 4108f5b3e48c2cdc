#!/usr/bin/env bash
# Drives the real `stepwise` CLI against the real stepwised: state machines,
# executions (start --wait, describe, list, history, history --follow, stop),
# activities, task reports, and `worker` running a shell command.
# Usage: cli_test.sh STEPWISED STEPWISE
set -u
STEPWISED=$1
SW=$2
TMP=$(mktemp -d)
SERVER_PID=
WORKER_PID=
cleanup() {
  [ -n "$WORKER_PID" ] && kill "$WORKER_PID" 2>/dev/null
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
# expect_contains NAME HAYSTACK NEEDLE
expect_contains() {
  case "$2" in *"$3"*) ok "$1" ;; *) fail "$1: expected '$3' in: $2" ;; esac
}

"$STEPWISED" --data-dir "$TMP/data" --grpc-listen 127.0.0.1:0 \
  --http-listen 127.0.0.1:0 --ports-file "$TMP/ports" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 200); do [ -s "$TMP/ports" ] && break; sleep 0.05; done
if [ ! -s "$TMP/ports" ]; then
  cat "$TMP/server.log"; echo "FAIL: stepwised did not start"; exit 1
fi
PORT=$(sed -n 's/^grpc=//p' "$TMP/ports")
export STEPWISE_ENDPOINT=127.0.0.1:$PORT
echo "stepwised on $STEPWISE_ENDPOINT"

# --- usage errors exit 2 ---
"$SW" start >/dev/null 2>&1; [ $? -eq 2 ] && ok "usage error exits 2" || fail "usage exit"

# --- state machines ---
cat >"$TMP/pass.json" <<'JSON'
{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"greeting":"hi"},"ResultPath":"$.r","Next":"B"},"B":{"Type":"Pass","End":true}}}
JSON
echo '{"StartAt":"Nope","States":{}}' >"$TMP/bad.json"
SM=$("$SW" machine create Hello --definition "$TMP/pass.json")
[ $? -eq 0 ] && expect_contains "machine create" "$SM" "arn:" || fail "machine create: $SM"
OUT=$("$SW" machine create Bad --definition "$TMP/bad.json" 2>&1); RC=$?
[ $RC -eq 1 ] && ok "invalid definition exits 1" || fail "invalid definition rc=$RC"
expect_contains "invalid definition diagnostics" "$OUT" "InvalidDefinition"
OUT=$("$SW" machine list); expect_contains "machine list" "$OUT" "Hello"
OUT=$("$SW" machine describe Hello); expect_contains "machine describe by name" "$OUT" "$SM"
OUT=$("$SW" machine describe "$SM" --json); expect_contains "machine describe --json" "$OUT" '"StartAt"'
OUT=$("$SW" machine update "$SM" --definition "$TMP/pass.json"); expect_contains "machine update" "$OUT" "updated"

# --- executions ---
OUT=$("$SW" start "$SM" --input '{"x":1}' --name run1 --wait 2>/dev/null)
expect_contains "start --wait status" "$OUT" '"status": "SUCCEEDED"'
expect_contains "start --wait output" "$OUT" '"greeting": "hi"'
EXEC=$("$SW" list "$SM" --json | sed -n 's/.*"executionArn": "\(.*\)".*/\1/p' | head -1)
expect_contains "list --json" "$EXEC" "run1"
OUT=$("$SW" list "$SM" --status SUCCEEDED); expect_contains "list table" "$OUT" "SUCCEEDED"
OUT=$("$SW" describe "$EXEC"); expect_contains "describe" "$OUT" "SUCCEEDED"
OUT=$("$SW" history "$EXEC"); expect_contains "history table" "$OUT" "PassStateExited"
expect_contains "history state names" "$OUT" "  A  "
OUT=$("$SW" history "$EXEC" --json); expect_contains "history --json" "$OUT" '"ExecutionSucceeded"'
OUT=$("$SW" describe "${EXEC}nope" 2>&1); RC=$?
[ $RC -eq 1 ] && ok "missing execution exits 1" || fail "missing execution rc=$RC"
expect_contains "AWS error name" "$OUT" "error: ExecutionDoesNotExist"

# --- activities, worker with a real shell command, history --follow ---
ACT=$("$SW" activity create shout)
expect_contains "activity create" "$ACT" "arn:"
OUT=$("$SW" activity list); expect_contains "activity list" "$OUT" "shout"
OUT=$("$SW" activity describe shout); expect_contains "activity describe" "$OUT" "$ACT"
cat >"$TMP/act.json" <<JSON
{"StartAt":"Shout","States":{"Shout":{"Type":"Task","Resource":"$ACT","HeartbeatSeconds":30,"Next":"Again"},
 "Again":{"Type":"Task","Resource":"$ACT","End":true}}}
JSON
ASM=$("$SW" machine create Shouter --definition "$TMP/act.json") || fail "create Shouter"
"$SW" worker --activity shout --concurrency 2 --heartbeat-seconds 1 -- \
  sh -c 'sleep 1.5; sed "s/hello/HELLO/"' >"$TMP/worker.log" 2>&1 &
WORKER_PID=$!
EXEC2=$("$SW" start "$ASM" --input '{"msg":"hello"}' --name follow1)
OUT=$(timeout 30 "$SW" history "$EXEC2" --follow); RC=$?
[ $RC -eq 0 ] && ok "history --follow ends when the execution closes" || fail "follow rc=$RC"
expect_contains "follow shows activity" "$OUT" "ActivitySucceeded"
expect_contains "follow shows close" "$OUT" "ExecutionSucceeded"
OUT=$("$SW" describe "$EXEC2" --json); expect_contains "worker output" "$OUT" '"msg": "HELLO"'
OUT=$("$SW" history "$EXEC2"); expect_contains "worker heartbeats accepted" "$OUT" "ActivitySucceeded"
kill -TERM "$WORKER_PID"; wait "$WORKER_PID"; RC=$?; WORKER_PID=
[ $RC -eq 0 ] && ok "worker stops on SIGTERM with exit 0" || fail "worker rc=$RC"

# A failing command: error name from stderr's first line, cause = stderr.
# (A fresh activity: stepwised does not yet drop long polls that the client
# cancelled, so a task could go to the stopped worker's abandoned poll.)
FACT=$("$SW" activity create grumble)
sed "s|$ACT|$FACT|g" "$TMP/act.json" >"$TMP/fact.json"
FSM=$("$SW" machine create Grumbler --definition "$TMP/fact.json") || fail "create Grumbler"
"$SW" worker --activity grumble -- sh -c 'echo "error: Shout.Failed" >&2; echo "too quiet" >&2; exit 4' \
  >"$TMP/worker2.log" 2>&1 &
WORKER_PID=$!
OUT=$(timeout 30 "$SW" start "$FSM" --input '{"msg":"x"}' --wait 2>/dev/null)
expect_contains "failed task status" "$OUT" '"status": "FAILED"'
expect_contains "failed task error" "$OUT" '"error": "Shout.Failed"'
expect_contains "failed task cause" "$OUT" "too quiet"
kill -INT "$WORKER_PID"; wait "$WORKER_PID"; WORKER_PID=

# --- task commands by hand, stop ---
EXEC3=$("$SW" start "$ASM" --name manual)
TOKEN=
for _ in $(seq 1 50); do
  sleep 0.1
  TOKEN=$("$SW" history "$EXEC3" --json | grep -c ActivityScheduled)
  [ "$TOKEN" != "0" ] && break
done
OUT=$("$SW" task heartbeat not-a-token 2>&1); RC=$?
[ $RC -eq 1 ] && ok "bad token exits 1" || fail "bad token rc=$RC"
expect_contains "bad token error" "$OUT" "error: "
OUT=$("$SW" stop "$EXEC3" --error Manual --cause "by test"); expect_contains "stop" "$OUT" "stopped"
OUT=$("$SW" describe "$EXEC3"); expect_contains "stopped status" "$OUT" "ABORTED"

# --- deletes ---
"$SW" machine delete Hello >/dev/null && ok "machine delete" || fail "machine delete"
"$SW" activity delete "$ACT" >/dev/null && ok "activity delete" || fail "activity delete"

if [ $FAILS -ne 0 ]; then
  echo "--- server log"; tail -30 "$TMP/server.log"
  echo "--- worker log"; cat "$TMP/worker.log" "$TMP/worker2.log" 2>/dev/null
  echo "$FAILS failure(s)"; exit 1
fi
echo "all passed"
