#!/usr/bin/env bash
# End to end: Lambda Tasks served by stepwised's function queues to
# (1) `stepwise lambda-runtime`, running AWS's own Node.js runtime interface
# client (aws-lambda-ric, scripts/install-lambda-ric.sh) on the unchanged
# handler functions/index.mjs, and (2) `stepwise worker --function` running
# a shell command. Real stepwised on loopback, real HTTP, real processes.
# Checks: the legacy Resource arn:aws:lambda:…:function:NAME (result = the
# handler's return), arn:aws:states:::lambda:invoke + FunctionName (result
# .Payload), a handler that throws (Catch gets errorType and the error
# document as cause), a runtime that exits (Runtime.ExitError, the copy is
# started again), HeartbeatSeconds shorter than the handler (heartbeats keep
# it alive), and SIGTERM stopping everything.
# Usage: lambda_runtime_test.sh STEPWISED STEPWISE SOURCE_DIR
# The client is looked for in $STEPWISE_LAMBDA_RIC_DIR, else
# SOURCE_DIR/build/npm/lambda-ric. Missing: exit 77 (skipped), except with
# CI=true, where it is installed first and the test must run.
set -u
STEPWISED=$(realpath "$1")
SW=$(realpath "$2")
SRC=$(realpath "$3")
RIC_DIR=${STEPWISE_LAMBDA_RIC_DIR:-$SRC/build/npm/lambda-ric}
RIC=$RIC_DIR/node_modules/.bin/aws-lambda-ric
HERE=$(cd "$(dirname "$0")" && pwd)

if [ ! -f "$RIC_DIR/node_modules/aws-lambda-ric/dist/rapid-client.node" ]; then
  if [ "${CI:-}" = "true" ]; then
    STEPWISE_LAMBDA_RIC_DIR=$RIC_DIR bash "$SRC/scripts/install-lambda-ric.sh" ||
      { echo "FAIL: aws-lambda-ric could not be installed"; exit 1; }
  else
    echo "SKIP: aws-lambda-ric not installed in $RIC_DIR (bash scripts/install-lambda-ric.sh)"
    exit 77
  fi
fi
command -v node >/dev/null || { echo "FAIL: node missing"; exit 1; }

START_TIME=$(date +%s)
TMP=$(mktemp -d)
SERVER_PID=
RUNTIME_PID=
WORKER_PID=
cleanup() {
  [ -n "$RUNTIME_PID" ] && kill "$RUNTIME_PID" 2>/dev/null && wait "$RUNTIME_PID" 2>/dev/null
  [ -n "$WORKER_PID" ] && kill "$WORKER_PID" 2>/dev/null && wait "$WORKER_PID" 2>/dev/null
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
# expect_eq NAME ACTUAL EXPECTED
expect_eq() {
  if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected '$3', got '$2'"; fi
}
# jget JSON JS_EXPRESSION_OF_v: prints the expression's value as compact JSON.
jget() {
  node -e 'let out;
           try { const v = JSON.parse(process.argv[1]); const r = eval(process.argv[2]);
                 out = r === undefined ? "undefined" : JSON.stringify(r); }
           catch (e) { out = "(" + e.message + " in: " + process.argv[1] + ")"; }
           process.stdout.write(out);' "$1" "$2"
}

"$STEPWISED" --data-dir "$TMP/data" --grpc-listen 127.0.0.1:0 \
  --http-listen 127.0.0.1:0 --ports-file "$TMP/ports" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 200); do [ -s "$TMP/ports" ] && break; sleep 0.05; done
if [ ! -s "$TMP/ports" ]; then
  cat "$TMP/server.log"; echo "FAIL: stepwised did not start"; exit 1
fi
export STEPWISE_ENDPOINT=127.0.0.1:$(sed -n 's/^grpc=//p' "$TMP/ports")
echo "stepwised on $STEPWISE_ENDPOINT"

# machine NAME DEFINITION_JSON: creates it, prints its ARN.
machine() {
  echo "$2" >"$TMP/$1.json"
  "$SW" machine create "$1" --definition "$TMP/$1.json" || fail "machine create $1"
}
# run ARN INPUT: starts an execution and waits; prints {"status",...}.
run() { timeout 60 "$SW" start "$1" --input "$2" --wait 2>>"$TMP/start.log"; }

FN_ARN=arn:aws:lambda:us-east-1:123456789012:function:echo
LEGACY=$(machine Legacy '{"StartAt":"Call","States":{"Call":{"Type":"Task",
  "Resource":"'$FN_ARN'","End":true}}}')
INVOKE=$(machine Invoke '{"StartAt":"Call","States":{"Call":{"Type":"Task",
  "Resource":"arn:aws:states:::lambda:invoke",
  "Parameters":{"FunctionName":"echo","Payload.$":"$"},"End":true}}}')
CATCH=$(machine Catching '{"StartAt":"Call","States":{"Call":{"Type":"Task",
  "Resource":"'$FN_ARN'","Catch":[{"ErrorEquals":["CustomError"],"ResultPath":"$.err",
  "Next":"Caught"}],"End":true},"Caught":{"Type":"Pass","End":true}}}')
CATCH_INVOKE=$(machine CatchingInvoke '{"StartAt":"Call","States":{"Call":{"Type":"Task",
  "Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"echo",
  "Payload.$":"$"},"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],"End":true},
  "Caught":{"Type":"Pass","End":true}}}')
HEARTBEAT=$(machine Heartbeat '{"StartAt":"Call","States":{"Call":{"Type":"Task",
  "Resource":"'$FN_ARN'","HeartbeatSeconds":2,"End":true}}}')

# --- stepwise lambda-runtime with AWS's runtime interface client ---
# start_runtime FUNCTION HANDLER [VAR=value...]: in the background, with two
# copies of aws-lambda-ric in functions/. The copies' last argument (which
# aws-lambda-ric ignores) marks them as this test's for the check below.
MARK=stepwise-lambda-test-$$
start_runtime() {
  local fn=$1 handler=$2
  shift 2
  (cd "$HERE/functions" && exec env "$@" "$SW" lambda-runtime --function "$fn" --concurrency 2 \
     --heartbeat-seconds 0.5 -- "$RIC" "$handler" "$MARK") >>"$TMP/runtime.log" 2>&1 &
  RUNTIME_PID=$!
  sleep 0.5
  if ! kill -0 "$RUNTIME_PID" 2>/dev/null; then
    cat "$TMP/runtime.log"; echo "FAIL: stepwise lambda-runtime did not start"; exit 1
  fi
}
stop_runtime() {
  kill -TERM "$RUNTIME_PID"; wait "$RUNTIME_PID"; RC=$?; RUNTIME_PID=
  expect_eq "$1: lambda-runtime stops on SIGTERM with exit 0" "$RC" 0
  if ps -eo args | grep "aws-lambda-ric" | grep -q "[ ]$MARK"; then
    fail "$1: runtime copies left running after SIGTERM"
  else
    ok "$1: runtime copies stopped"
  fi
}

# Two rounds: aws-lambda-ric's native client (curl, the default) and, with
# AWS_LAMBDA_NODEJS_USE_ALTERNATIVE_CLIENT_1=true, its Node http client for
# /next; both must work against the same Runtime API.
for ROUND in native alternative; do
  if [ $ROUND = native ]; then
    start_runtime echo index.handler STEPWISE_ROUND=native
  else
    start_runtime echo index.handler AWS_LAMBDA_NODEJS_USE_ALTERNATIVE_CLIENT_1=true
  fi
  R="$ROUND client"

  OUT=$(run "$LEGACY" '{"hello":"world"}')
  expect_eq "$R: legacy Resource: status" "$(jget "$OUT" v.status)" '"SUCCEEDED"'
  expect_eq "$R: legacy Resource: result is the handler's return" \
    "$(jget "$OUT" v.output.echo)" '{"hello":"world"}'
  expect_eq "$R: context: function name and version" \
    "$(jget "$OUT" '[v.output.functionName, v.output.functionVersion, v.output.logGroupName]')" \
    '["echo","$LATEST","/aws/lambda/echo"]'
  expect_eq "$R: context: invoked ARN, request id, deadline" \
    "$(jget "$OUT" '[v.output.invokedFunctionArn, v.output.requestIdIsUuid, v.output.timeLeft]')" \
    '["'$FN_ARN'",true,true]'

  OUT=$(run "$INVOKE" '{"n":7}')
  expect_eq "$R: lambda:invoke: status" "$(jget "$OUT" v.status)" '"SUCCEEDED"'
  expect_eq "$R: lambda:invoke: Payload is the handler's return" \
    "$(jget "$OUT" v.output.Payload.echo)" '{"n":7}'
  expect_eq "$R: lambda:invoke: StatusCode" "$(jget "$OUT" v.output.StatusCode)" '200'

  OUT=$(run "$CATCH" '{"throw":"it broke"}')
  expect_eq "$R: handler throws: caught" "$(jget "$OUT" v.status)" '"SUCCEEDED"'
  expect_eq "$R: handler throws: Error is the errorType" "$(jget "$OUT" v.output.err.Error)" \
    '"CustomError"'
  expect_eq "$R: handler throws: Cause is the error document" \
    "$(jget "$OUT" 'const c = JSON.parse(v.output.err.Cause); [c.errorType, c.errorMessage, c.trace[0]]')" \
    '["CustomError","it broke","CustomError: it broke"]'

  OUT=$(run "$CATCH_INVOKE" '{"throw":"again"}')
  expect_eq "$R: lambda:invoke throws: Error" "$(jget "$OUT" v.output.Error)" '"CustomError"'
  expect_eq "$R: lambda:invoke throws: Cause" \
    "$(jget "$OUT" 'JSON.parse(v.output.Cause).errorMessage')" '"again"'

  OUT=$(run "$CATCH_INVOKE" '{"exit":3}')
  expect_eq "$R: runtime exits: Runtime.ExitError" "$(jget "$OUT" v.output.Error)" \
    '"Runtime.ExitError"'
  expect_eq "$R: runtime exits: cause as AWS words it" \
    "$(jget "$OUT" 'JSON.parse(v.output.Cause).errorMessage.replace(/RequestId: \S+/, "RequestId: X")')" \
    '"RequestId: X Error: Runtime exited with error: exit status 3"'
  # The copy is started again; both copies keep serving.
  for i in 1 2 3; do
    OUT=$(run "$LEGACY" '{"again":'$i'}')
    expect_eq "$R: after the exit, invocation $i" "$(jget "$OUT" v.output.echo.again)" "$i"
  done

  # HeartbeatSeconds 2 and a 4 s handler: the heartbeats (every 0.5 s) keep it.
  OUT=$(run "$HEARTBEAT" '{"sleepMs":4000}')
  expect_eq "$R: handler longer than HeartbeatSeconds" "$(jget "$OUT" v.status)" '"SUCCEEDED"'

  stop_runtime "$R"
done

# A handler that cannot be loaded: the runtime posts /runtime/init/error and
# exits; each invocation fails with that error, as in AWS.
BROKEN=$(machine Broken '{"StartAt":"Call","States":{"Call":{"Type":"Task",
  "Resource":"arn:aws:lambda:us-east-1:123456789012:function:broken","End":true}}}')
start_runtime broken missing.handler
OUT=$(run "$BROKEN" '{}')
expect_eq "init error: status and error" "$(jget "$OUT" '[v.status, v.error]')" \
  '["FAILED","Runtime.ImportModuleError"]'
expect_eq "init error: cause is the runtime's error document" \
  "$(jget "$OUT" 'JSON.parse(v.cause).errorMessage.startsWith("Error: Cannot find module")')" true
stop_runtime "init error"

# --- stepwise worker --function: a shell command for a function queue ---
SHOUT=$(machine Shout '{"StartAt":"Call","States":{"Call":{"Type":"Task",
  "Resource":"arn:aws:lambda:us-east-1:123456789012:function:shout","End":true}}}')
"$SW" worker --function shout --concurrency 2 -- sh -c 'sed "s/hello/HELLO/"' \
  >"$TMP/worker.log" 2>&1 &
WORKER_PID=$!
OUT=$(run "$SHOUT" '{"msg":"hello"}')
expect_eq "worker --function: result" "$(jget "$OUT" v.output)" '{"msg":"HELLO"}'
kill -TERM "$WORKER_PID"; wait "$WORKER_PID"; RC=$?; WORKER_PID=
expect_eq "worker --function stops on SIGTERM" "$RC" 0

GRUMBLE=$(machine Grumble '{"StartAt":"Call","States":{"Call":{"Type":"Task",
  "Resource":"arn:aws:lambda:us-east-1:123456789012:function:grumble","End":true}}}')
"$SW" worker --function grumble -- sh -c 'echo "error: Shout.Failed" >&2; echo "too quiet" >&2; exit 4' \
  >"$TMP/worker2.log" 2>&1 &
WORKER_PID=$!
OUT=$(run "$GRUMBLE" '{}')
expect_eq "worker --function failing: error" "$(jget "$OUT" '[v.status, v.error]')" \
  '["FAILED","Shout.Failed"]'
expect_eq "worker --function failing: cause" "$(jget "$OUT" 'v.cause.includes("too quiet")')" true
kill -TERM "$WORKER_PID"; wait "$WORKER_PID"; WORKER_PID=

echo "took $(( $(date +%s) - START_TIME )) s"
if [ $FAILS -ne 0 ]; then
  echo "--- server log"; tail -30 "$TMP/server.log"
  echo "--- runtime log"; tail -60 "$TMP/runtime.log"
  echo "--- worker logs"; cat "$TMP/worker.log" "$TMP/worker2.log" 2>/dev/null
  echo "--- start log"; tail -20 "$TMP/start.log"
  echo "$FAILS failure(s)"; exit 1
fi
echo "all passed"
