#!/usr/bin/env bash
# Drives stepwised's AWS JSON endpoint with Debian's AWS CLI (/usr/bin/aws,
# apt package awscli): state machines from a file, executions, paged and
# reversed history, status filters, an activity round trip (success and
# failure), stop-execution, and AWS's error names; plus raw requests for
# what the CLI refuses to send (malformed JSON, missing members, unsupported
# actions). Output is parsed with python3, not just exit codes.
# Usage: awscli_test.sh <stepwised binary>. Exits 77 (skip) without awscli.
set -uo pipefail

STEPWISED=${1:?usage: awscli_test.sh <stepwised>}
AWS_BIN=${AWS_BIN:-/usr/bin/aws}
if [ ! -x "$AWS_BIN" ]; then
  echo "SKIP: $AWS_BIN not installed (apt-get install awscli)"; exit 77
fi

WORK=$(mktemp -d)
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

FAILS=0
CHECKS=0
ok()   { CHECKS=$((CHECKS + 1)); echo "ok   $*"; }
fail() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "FAIL $*"; }
# check <description> <python expression over `d` (the parsed JSON file $OUT)>
check() {
  local what=$1 expr=$2
  if python3 -c "import json,sys; d=json.load(open('$OUT')); sys.exit(0 if ($expr) else 1)" 2>/dev/null; then
    ok "$what"
  else
    fail "$what: expected $expr in: $(head -c 600 "$OUT")"
  fi
}
# get <python expression over d>: prints the value
get() { python3 -c "import json; d=json.load(open('$OUT')); print($1)"; }

"$STEPWISED" --grpc-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 --ports-file "$WORK/ports" \
  --data-dir "$WORK/data" --log-level warn >"$WORK/stepwised.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do [ -s "$WORK/ports" ] && break; sleep 0.1; done
HTTP_PORT=$(sed -n 's/^http=//p' "$WORK/ports")
[ -n "$HTTP_PORT" ] || { echo "stepwised did not start:"; cat "$WORK/stepwised.log"; exit 1; }
ENDPOINT="http://127.0.0.1:$HTTP_PORT"

export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER=""
OUT=$WORK/out.json
ERR=$WORK/err.txt
# sfn <args...>: runs `aws stepfunctions`, stdout to $OUT, stderr to $ERR; returns its exit code.
sfn() { "$AWS_BIN" --endpoint-url "$ENDPOINT" --output json stepfunctions "$@" >"$OUT" 2>"$ERR"; }
# expect_error <AwsName> <args...>
expect_error() {
  local name=$1; shift
  sfn "$@"; local rc=$?
  if [ $rc -ne 0 ] && grep -q "($name)" "$ERR"; then ok "$1 -> $name"
  else fail "$1 -> $name: rc=$rc $(cat "$ERR" "$OUT" | head -c 400)"; fi
}

ROLE=arn:aws:iam::123456789012:role/stepwise
ACCOUNT_PREFIX=arn:aws:states:us-east-1:123456789012

# ---- a state machine from a file ----
cat >"$WORK/hello.json" <<'JSON'
{"Comment": "hello", "StartAt": "Greet",
 "States": {
   "Greet": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('hello {}', $.who)"},
             "ResultPath": "$.out", "Next": "Shape"},
   "Shape": {"Type": "Pass", "OutputPath": "$.out", "Next": "Done"},
   "Done": {"Type": "Succeed"}}}
JSON
sfn create-state-machine --name hello --role-arn "$ROLE" --definition "file://$WORK/hello.json" \
  && ok "create-state-machine from file" || fail "create-state-machine: $(cat "$ERR")"
check "stateMachineArn" "d['stateMachineArn'] == '$ACCOUNT_PREFIX:stateMachine:hello'"
check "creationDate is a date" "d['creationDate'].startswith('20')"
SM=$(get "d['stateMachineArn']")

sfn describe-state-machine --state-machine-arn "$SM"
check "describe-state-machine" "d['name']=='hello' and d['type']=='STANDARD' and d['status']=='ACTIVE' and json.loads(d['definition'])['StartAt']=='Greet' and d['roleArn']=='$ROLE'"
sfn list-state-machines
check "list-state-machines" "[m['name'] for m in d['stateMachines']] == ['hello']"

# ---- executions ----
sfn start-execution --state-machine-arn "$SM" --name run1 --input '{"who":"world"}'
check "start-execution" "d['executionArn'] == '$ACCOUNT_PREFIX:execution:hello:run1'"
EX1=$(get "d['executionArn']")
for _ in $(seq 1 50); do
  sfn describe-execution --execution-arn "$EX1"; [ "$(get "d['status']")" != RUNNING ] && break; sleep 0.1
done
check "describe-execution: SUCCEEDED with output" "d['status']=='SUCCEEDED' and json.loads(d['output'])=={'greeting':'hello world'} and json.loads(d['input'])=={'who':'world'} and 'stopDate' in d"
# Same name and input while... closed: AWS says ExecutionAlreadyExists for a different input.
expect_error ExecutionAlreadyExists start-execution --state-machine-arn "$SM" --name run1 --input '{"who":"else"}'
sfn describe-state-machine-for-execution --execution-arn "$EX1"
check "describe-state-machine-for-execution" "d['name']=='hello' and 'updateDate' in d"

# ---- history: all, paged, reversed ----
sfn get-execution-history --execution-arn "$EX1"
check "history: 8 events" "len(d['events']) == 8"
check "history: AWS shape" "d['events'][0]['type']=='ExecutionStarted' and d['events'][0]['id']==1 and json.loads(d['events'][0]['executionStartedEventDetails']['input'])=={'who':'world'} and d['events'][-1]['type']=='ExecutionSucceeded' and 'executionSucceededEventDetails' in d['events'][-1]"
ALL_TYPES=$(get "','.join(e['type'] for e in d['events'])")
sfn get-execution-history --execution-arn "$EX1" --max-items 3 --page-size 2
check "history --max-items 3 --page-size 2: 3 events and a NextToken" "len(d['events'])==3 and 'NextToken' in d"
TOKEN=$(get "d['NextToken']")
PAGE1=$(get "','.join(e['type'] for e in d['events'])")
sfn get-execution-history --execution-arn "$EX1" --page-size 2 --starting-token "$TOKEN"
PAGE2=$(get "','.join(e['type'] for e in d['events'])")
[ "$PAGE1,$PAGE2" = "$ALL_TYPES" ] && ok "history pages join to the whole history" \
  || fail "history pages: $PAGE1 + $PAGE2 != $ALL_TYPES"
sfn get-execution-history --execution-arn "$EX1" --reverse-order --max-items 2
check "history --reverse-order" "[e['type'] for e in d['events']]==['ExecutionSucceeded','SucceedStateExited'] and [e['id'] for e in d['events']]==[8,7]"
sfn get-execution-history --execution-arn "$EX1" --no-include-execution-data
check "history --no-include-execution-data" "'input' not in d['events'][0]['executionStartedEventDetails']"

# ---- activities: success, failure ----
sfn create-activity --name work
check "create-activity" "d['activityArn']=='$ACCOUNT_PREFIX:activity:work'"
ACT=$(get "d['activityArn']")
sfn describe-activity --activity-arn "$ACT"
check "describe-activity" "d['name']=='work' and 'creationDate' in d"
sfn list-activities
check "list-activities" "[a['name'] for a in d['activities']]==['work']"
cat >"$WORK/worker.json" <<JSON
{"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "$ACT",
  "TimeoutSeconds": 300, "ResultPath": "\$.result", "End": true}}}
JSON
sfn create-state-machine --name worker --role-arn "$ROLE" --definition "file://$WORK/worker.json"
WSM=$(get "d['stateMachineArn']")

sfn start-execution --state-machine-arn "$WSM" --name ok1 --input '{"n":41}'
EXW=$(get "d['executionArn']")
sfn get-activity-task --activity-arn "$ACT" --worker-name cli-worker
check "get-activity-task: token and input" "len(d['taskToken'])>10 and json.loads(d['input'])=={'n':41}"
TT=$(get "d['taskToken']")
sfn send-task-heartbeat --task-token "$TT" && ok "send-task-heartbeat" || fail "send-task-heartbeat: $(cat "$ERR")"
sfn send-task-success --task-token "$TT" --task-output '{"answer":42}' && ok "send-task-success" \
  || fail "send-task-success: $(cat "$ERR")"
for _ in $(seq 1 50); do
  sfn describe-execution --execution-arn "$EXW"; [ "$(get "d['status']")" != RUNNING ] && break; sleep 0.1
done
check "activity execution SUCCEEDED with the worker's output" "d['status']=='SUCCEEDED' and json.loads(d['output'])=={'n':41,'result':{'answer':42}}"
expect_error TaskTimedOut send-task-success --task-token "$TT" --task-output '{}'
sfn get-execution-history --execution-arn "$EXW"
check "history has ActivityStarted(workerName) and ActivitySucceeded" "any(e['type']=='ActivityStarted' and e['activityStartedEventDetails']['workerName']=='cli-worker' for e in d['events']) and any(e['type']=='ActivitySucceeded' for e in d['events'])"

sfn start-execution --state-machine-arn "$WSM" --name bad1
EXF=$(get "d['executionArn']")
sfn get-activity-task --activity-arn "$ACT"
TT=$(get "d['taskToken']")
sfn send-task-failure --task-token "$TT" --error Worker.Broke --cause "it broke" && ok "send-task-failure" \
  || fail "send-task-failure: $(cat "$ERR")"
for _ in $(seq 1 50); do
  sfn describe-execution --execution-arn "$EXF"; [ "$(get "d['status']")" != RUNNING ] && break; sleep 0.1
done
check "failed activity: FAILED with error and cause" "d['status']=='FAILED' and d['error']=='Worker.Broke' and d['cause']=='it broke'"

# ---- stop-execution, status filters ----
sfn start-execution --state-machine-arn "$WSM" --name stuck
EXS=$(get "d['executionArn']")
sfn list-executions --state-machine-arn "$WSM" --status-filter RUNNING
check "list-executions --status-filter RUNNING" "[e['name'] for e in d['executions']]==['stuck']"
sfn stop-execution --execution-arn "$EXS" --error Operator.Stop --cause "no longer needed"
check "stop-execution: stopDate" "d['stopDate'].startswith('20')"
sfn describe-execution --execution-arn "$EXS"
check "stopped execution ABORTED" "d['status']=='ABORTED'"
sfn list-executions --state-machine-arn "$WSM" --status-filter SUCCEEDED
check "list-executions --status-filter SUCCEEDED" "[e['name'] for e in d['executions']]==['ok1'] and d['executions'][0]['status']=='SUCCEEDED'"
sfn list-executions --state-machine-arn "$WSM"
check "list-executions: all three, newest first" "[e['name'] for e in d['executions']]==['stuck','bad1','ok1']"
sfn list-executions --state-machine-arn "$WSM" --max-items 2
check "list-executions --max-items 2: paged" "len(d['executions'])==2 and 'NextToken' in d"
sfn list-executions --state-machine-arn "$WSM" --status-filter ABORTED
check "list-executions --status-filter ABORTED" "[e['name'] for e in d['executions']]==['stuck']"

# ---- update, validate ----
sfn update-state-machine --state-machine-arn "$SM" --definition "file://$WORK/hello.json"
check "update-state-machine: updateDate" "'updateDate' in d"
# (validate-state-machine-definition is newer than Debian's awscli 2.9: see the raw checks below.)

# ---- AWS error names ----
expect_error InvalidArn start-execution --state-machine-arn not-an-arn
expect_error InvalidArn describe-state-machine --state-machine-arn arn:aws:states:us-east-1:123456789012:activity:work
expect_error InvalidArn describe-activity --activity-arn not-an-arn
expect_error ExecutionDoesNotExist describe-execution --execution-arn "$ACCOUNT_PREFIX:execution:hello:nope"
expect_error ExecutionDoesNotExist get-execution-history --execution-arn "$ACCOUNT_PREFIX:execution:hello:nope"
expect_error StateMachineDoesNotExist start-execution --state-machine-arn "$ACCOUNT_PREFIX:stateMachine:nope"
expect_error InvalidDefinition create-state-machine --name broken --role-arn "$ROLE" --definition '{"StartAt":"Nowhere","States":{}}'
expect_error InvalidDefinition create-state-machine --name broken2 --role-arn "$ROLE" --definition 'not json'
expect_error InvalidName create-state-machine --name 'bad name' --role-arn "$ROLE" --definition "file://$WORK/hello.json"
expect_error InvalidExecutionInput start-execution --state-machine-arn "$SM" --input '{not json'
expect_error ActivityDoesNotExist describe-activity --activity-arn "$ACCOUNT_PREFIX:activity:nope"
expect_error InvalidToken send-task-success --task-token garbage --task-output '{}'
expect_error InvalidToken get-execution-history --execution-arn "$EX1" --starting-token bogus-token-that-is-not-ours
# start-sync-execution is tried in express_sync_test.py: the CLI sends it to sync-127.0.0.1,
# which does not resolve, and has no switch for host prefixes (README: stepwised as its
# HTTP_PROXY).

# ---- raw protocol checks: what the CLI will not send ----
python3 - "$ENDPOINT" <<'PY' || FAILS=$((FAILS + 1))
import json, sys, urllib.request, urllib.error
endpoint = sys.argv[1]
bad = 0
def call(action, body, host=None):
    req = urllib.request.Request(endpoint + "/", data=body.encode(), method="POST", headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AWSStepFunctions." + action if action else "",
        "Authorization": "AWS4-HMAC-SHA256 Credential=x/20240101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=00",
        **({"Host": host} if host else {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())
def expect(what, got, status, name, contains=""):
    global bad
    code, headers, body = got
    good = (code == status and body.get("__type") == name and contains in body.get("message", "")
            and headers.get("x-amzn-ErrorType") == name and headers.get("x-amzn-RequestId"))
    print(("ok   " if good else "FAIL ") + what + ("" if good else f": {code} {headers} {body}"))
    bad += 0 if good else 1
expect("malformed JSON -> SerializationException", call("ListExecutions", "{bad"), 400, "SerializationException")
expect("body not an object -> SerializationException", call("ListExecutions", "[1]"), 400, "SerializationException")
expect("wrong member type -> SerializationException", call("DescribeExecution", '{"executionArn": 5}'), 400, "SerializationException", "executionArn")
expect("missing member -> ValidationException naming it", call("DescribeExecution", "{}"), 400, "ValidationException", "'executionArn'")
expect("missing member (StartExecution) -> ValidationException", call("StartExecution", '{"input":"{}"}'), 400, "ValidationException", "'stateMachineArn'")
expect("maxResults out of range -> ValidationException", call("ListStateMachines", '{"maxResults": 5000}'), 400, "ValidationException", "maxResults")
expect("bad statusFilter -> ValidationException", call("ListExecutions", '{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:hello","statusFilter":"NOPE"}'), 400, "ValidationException", "statusFilter")
expect("TagResource without resourceArn -> ValidationException naming it", call("TagResource", '{"tags":[]}'), 400, "ValidationException", "'resourceArn'")
expect("StartSyncExecution on a sync- Host: missing member -> ValidationException",
       call("StartSyncExecution", "{}", host="sync-localhost"), 400, "ValidationException",
       "'stateMachineArn'")
for action, member in [("DescribeMapRun", "mapRunArn"), ("ListMapRuns", "executionArn"),
                       ("UpdateMapRun", "mapRunArn")]:
    expect(action + " without " + member + " -> ValidationException naming it",
           call(action, "{}", host="sync-localhost"), 400, "ValidationException", "'" + member + "'")
expect("DescribeMapRun of an unknown run -> ResourceNotFound",
       call("DescribeMapRun", '{"mapRunArn":"arn:aws:states:us-east-1:123456789012:mapRun:hello/m:0f2d8a3e-5e57-4c1b-9f55-1d2a6a0b8c11"}'),
       400, "ResourceNotFound", "Map Run Does Not Exist")
expect("unknown action", call("Frobnicate", "{}"), 400, "UnknownOperationException")
code, headers, body = call("TestState", json.dumps({"definition": json.dumps({"Type": "Pass", "Result": 1, "Next": "B"}), "inspectionLevel": "DEBUG"}), host="sync-localhost")
good = code == 200 and body.get("status") == "SUCCEEDED" and body.get("output") == "1" and body.get("nextState") == "B" and body["inspectionData"]["result"] == "1"
print(("ok   " if good else "FAIL ") + "TestState on a sync- Host" + ("" if good else f": {code} {body}"))
bad += 0 if good else 1
expect("no X-Amz-Target", call("", "{}"), 400, "UnknownOperationException")
code, headers, body = call("ValidateStateMachineDefinition", '{"definition": "{\\"StartAt\\":\\"A\\",\\"States\\":{\\"A\\":{\\"Type\\":\\"Pass\\",\\"Next\\":\\"B\\"}}}"}')
good = code == 200 and body["result"] == "FAIL" and body["diagnostics"][0]["severity"] == "ERROR" and body["truncated"] is False
print(("ok   " if good else "FAIL ") + "ValidateStateMachineDefinition: FAIL with diagnostics" + ("" if good else f": {body}"))
bad += 0 if good else 1
code, headers, body = call("ValidateStateMachineDefinition", json.dumps({"definition": json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})}))
good = code == 200 and body == {"result": "OK", "diagnostics": [], "truncated": False}
print(("ok   " if good else "FAIL ") + "ValidateStateMachineDefinition: OK" + ("" if good else f": {body}"))
bad += 0 if good else 1
code, headers, body = call("ListStateMachines", '{"unknownMember": 1}', host="sync-whatever.example")
good = code == 200 and "stateMachines" in body and headers.get("Content-Type") == "application/x-amz-json-1.0"
print(("ok   " if good else "FAIL ") + "unknown members ignored, any Host accepted")
bad += 0 if good else 1
code, headers, body = call("ListStateMachines", "")
good = code == 200 and "stateMachines" in body
print(("ok   " if good else "FAIL ") + "empty body is an empty request")
bad += 0 if good else 1
sys.exit(1 if bad else 0)
PY

kill -TERM "$PID"; wait "$PID"; RC=$?; PID=""
[ $RC -eq 0 ] && ok "stepwised exits 0 on SIGTERM" || fail "stepwised exit code $RC"

echo "awscli_test: $CHECKS checks, $FAILS failed"
[ $FAILS -eq 0 ]
