#!/usr/bin/env bash
# The textbook order workflow (examples/orders), unchanged: three Node
# handlers under AWS's runtime interface client (aws-lambda-ric), each
# served by `stepwise lambda-runtime --function NAME -- aws-lambda-ric …`;
# both machines (function ARNs, and lambda:invoke) created, started and
# checked with the AWS CLI against a real stepwised on loopback. A good
# order is validated, charged and shipped; an order without items takes
# the Catch path with AWS's error (the handler's errorType) and cause (its
# error document). Also the history AWS records for each form.
# Usage: order_workflow_test.sh STEPWISED STEPWISE SOURCE_DIR
# aws-lambda-ric as lambda_runtime_test.sh finds it (skips without it,
# except with CI=true); the AWS CLI (Debian's awscli) is required.
set -u
STEPWISED=$(realpath "$1")
SW=$(realpath "$2")
SRC=$(realpath "$3")
RIC_DIR=${STEPWISE_LAMBDA_RIC_DIR:-$SRC/build/npm/lambda-ric}
RIC=$RIC_DIR/node_modules/.bin/aws-lambda-ric
if [ ! -f "$RIC_DIR/node_modules/aws-lambda-ric/dist/rapid-client.node" ]; then
  if [ "${CI:-}" = "true" ]; then
    STEPWISE_LAMBDA_RIC_DIR=$RIC_DIR bash "$SRC/scripts/install-lambda-ric.sh" ||
      { echo "FAIL: aws-lambda-ric could not be installed"; exit 1; }
  else
    echo "SKIP: aws-lambda-ric not installed in $RIC_DIR (bash scripts/install-lambda-ric.sh)"
    exit 77
  fi
fi
command -v aws >/dev/null || { echo "FAIL: the AWS CLI is missing (apt-get install awscli)"; exit 1; }

TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected '$3', got '$2'"; fi; }
# jget JSON PYTHON_EXPRESSION_OF_v: the expression's value as compact JSON.
jget() {
  python3 -c 'import json,sys
v = json.loads(sys.argv[1])
try:
    print(json.dumps(eval(sys.argv[2]), separators=(",", ":")))
except Exception as e:
    print("(%s)" % e)' "$1" "$2"
}

"$STEPWISED" --data-dir "$TMP/data" --grpc-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 \
  --ports-file "$TMP/ports" >"$TMP/server.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 200); do [ -s "$TMP/ports" ] && break; sleep 0.05; done
[ -s "$TMP/ports" ] || { cat "$TMP/server.log"; echo "FAIL: stepwised did not start"; exit 1; }
export STEPWISE_ENDPOINT=127.0.0.1:$(sed -n 's/^grpc=//p' "$TMP/ports")
HTTP=http://127.0.0.1:$(sed -n 's/^http=//p' "$TMP/ports")
export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=
sfn() { aws stepfunctions --endpoint-url "$HTTP" --output json "$@"; }

# The three functions, each under its own lambda-runtime, handlers unchanged.
export AWS_LAMBDA_NODEJS_USE_ALTERNATIVE_CLIENT_1=true
for f in ValidateOrder:validate-order ProcessPayment:process-payment CreateShipment:create-shipment; do
  (cd "$SRC/examples/orders/functions" &&
     exec "$SW" lambda-runtime --function "${f%%:*}" -- "$RIC" "${f#*:}.handler") \
    >>"$TMP/runtime-${f%%:*}.log" 2>&1 &
  PIDS+=($!)
done

ROLE=arn:aws:iam::123456789012:role/orders
for form in arn invoke; do
  sfn create-state-machine --name "orders-$form" --role-arn "$ROLE" \
    --definition "file://$SRC/examples/orders/order-$form.json" >/dev/null ||
    fail "create-state-machine orders-$form"
done

# run FORM NAME INPUT: starts with the AWS CLI, waits for the close, prints
# describe-execution's answer.
run() {
  local arn="arn:aws:states:us-east-1:123456789012:stateMachine:orders-$1"
  sfn start-execution --state-machine-arn "$arn" --name "$2" --input "$3" >/dev/null ||
    { fail "start-execution $2"; return; }
  local ex="arn:aws:states:us-east-1:123456789012:execution:orders-$1:$2" d status
  for _ in $(seq 1 300); do
    d=$(sfn describe-execution --execution-arn "$ex")
    status=$(jget "$d" 'v["status"]')
    [ "$status" != '"RUNNING"' ] && break
    sleep 0.2
  done
  echo "$d"
}
types() {
  sfn get-execution-history --execution-arn \
    "arn:aws:states:us-east-1:123456789012:execution:orders-$1:$2" \
    --query 'events[].type' --output text | tr '\t' ' '
}

GOOD='{"orderId":"o-1","items":[{"sku":"a","price":20,"quantity":2},{"sku":"b","price":5,"quantity":1}]}'
EMPTY='{"orderId":"o-2","items":[]}'
for form in arn invoke; do
  d=$(run "$form" good "$GOOD")
  expect_eq "$form: good order SUCCEEDED" "$(jget "$d" 'v["status"]')" '"SUCCEEDED"'
  out=$(jget "$d" 'v["output"]')
  expect_eq "$form: total computed by ValidateOrder" \
    "$(jget "$(jget "$d" 'json.loads(v["output"])')" 'v["total"]')" 45
  expect_eq "$form: charged by ProcessPayment" \
    "$(jget "$(jget "$d" 'json.loads(v["output"])')" 'v["payment"]')" '"CHARGED"'
  expect_eq "$form: shipped by CreateShipment (context.functionName)" \
    "$(jget "$(jget "$d" 'json.loads(v["output"])')" 'v["shipment"]["function"]')" '"CreateShipment"'
  d=$(run "$form" empty "$EMPTY")
  expect_eq "$form: empty order took the Catch path" "$(jget "$d" 'v["status"]')" '"SUCCEEDED"'
  err=$(jget "$d" 'json.loads(v["output"])["error"]')
  expect_eq "$form: error is the handler's errorType" "$(jget "$err" 'v["Error"]')" '"InvalidOrderError"'
  expect_eq "$form: cause is the error document" \
    "$(jget "$err" '[json.loads(v["Cause"])[k] for k in ("errorType", "errorMessage")]')" \
    '["InvalidOrderError","order o-2 has no items"]'
  expect_eq "$form: cause carries the stack trace" \
    "$(jget "$err" 'len(json.loads(v["Cause"])["trace"]) > 0')" true
done
expect_eq "arn: history of a good order" "$(types arn good)" \
  "ExecutionStarted TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited ExecutionSucceeded"
expect_eq "invoke: history of a rejected order" "$(types invoke empty)" \
  "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskFailed TaskStateExited PassStateEntered PassStateExited ExecutionSucceeded"

if [ "$FAILS" -ne 0 ]; then
  for f in "$TMP"/runtime-*.log "$TMP/server.log"; do echo "--- $f"; tail -20 "$f"; done
  echo "$FAILS check(s) failed"
  exit 1
fi
echo "all checks passed"
