#!/usr/bin/env bash
# The AWS endpoint's security with real clients: stepwised with TLS (a
# self-signed certificate made here with `openssl req`), AWS access keys and
# bearer tokens. Debian's AWS CLI (/usr/bin/aws) signs with a configured key
# (works over HTTPS via AWS_CA_BUNDLE), a wrong secret
# (InvalidSignatureException) and an unknown key (UnrecognizedClientException);
# curl sends bearer tokens, no credentials, an oversized body, /metrics with
# and without the token; a GetActivityTask poll whose client hangs up is not
# handed the task, a second poll gets it.
# Usage: awscli_auth_test.sh <stepwised binary>. Exits 77 (skip) without
# awscli, curl or openssl.
set -uo pipefail

STEPWISED=${1:?usage: awscli_auth_test.sh <stepwised>}
AWS_BIN=${AWS_BIN:-/usr/bin/aws}
for tool in "$AWS_BIN" "$(command -v curl)" "$(command -v openssl)"; do
  if [ ! -x "$tool" ]; then echo "SKIP: need $AWS_BIN, curl and openssl"; exit 77; fi
done

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

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1 \
  || { echo "openssl req failed"; exit 1; }
printf '# test keys\nAKIDSTEPWISE secret-one\nAKIDOTHER other/secret+2\n' >"$WORK/aws-keys"
printf 'token-abc\n' >"$WORK/tokens"

"$STEPWISED" --grpc-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 --ports-file "$WORK/ports" \
  --data-dir "$WORK/data" --log-level warn --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" \
  --auth-tokens-file "$WORK/tokens" --aws-credentials-file "$WORK/aws-keys" \
  >"$WORK/stepwised.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do [ -s "$WORK/ports" ] && break; sleep 0.1; done
HTTP_PORT=$(sed -n 's/^http=//p' "$WORK/ports")
[ -n "$HTTP_PORT" ] || { echo "stepwised did not start:"; cat "$WORK/stepwised.log"; exit 1; }
ENDPOINT="https://127.0.0.1:$HTTP_PORT"

export AWS_CA_BUNDLE=$WORK/cert.pem AWS_DEFAULT_REGION=eu-west-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER=""
OUT=$WORK/out.json
ERR=$WORK/err.txt
# sfn <key id> <secret> <args...>
sfn() {
  local id=$1 secret=$2; shift 2
  AWS_ACCESS_KEY_ID=$id AWS_SECRET_ACCESS_KEY=$secret \
    "$AWS_BIN" --endpoint-url "$ENDPOINT" --output json stepfunctions "$@" >"$OUT" 2>"$ERR"
}
# curl_aws <action> <body> [curl args...]: raw AWS JSON request; status to stdout.
curl_aws() {
  local action=$1 body=$2; shift 2
  curl -s --cacert "$WORK/cert.pem" -o "$OUT" -w '%{http_code}' -X POST "$ENDPOINT/" \
    -H "Content-Type: application/x-amz-json-1.0" -H "X-Amz-Target: AWSStepFunctions.$action" \
    --data-binary "$body" "$@"
}
json_is() { python3 -c "import json,sys; d=json.load(open('$OUT')); sys.exit(0 if ($1) else 1)" 2>/dev/null; }

# ---- SigV4 with the AWS CLI over HTTPS ----
if sfn AKIDSTEPWISE secret-one create-activity --name work && json_is "d['activityArn'].endswith(':activity:work')"; then
  ok "signed create-activity over HTTPS (AWS_CA_BUNDLE)"
else fail "signed create-activity: $(cat "$ERR" "$OUT" | head -c 400)"; fi
ACT=$(python3 -c "import json; print(json.load(open('$OUT'))['activityArn'])" 2>/dev/null)
if sfn AKIDOTHER 'other/secret+2' list-activities && json_is "len(d['activities'])==1"; then
  ok "second key (secret with / and +) lists activities"
else fail "second key: $(cat "$ERR" | head -c 400)"; fi
sfn AKIDSTEPWISE wrong-secret list-activities; rc=$?
if [ $rc -ne 0 ] && grep -q "(InvalidSignatureException)" "$ERR" && grep -q "does not match the signature" "$ERR"; then
  ok "wrong secret -> InvalidSignatureException"
else fail "wrong secret: rc=$rc $(head -c 400 "$ERR")"; fi
sfn AKIDUNKNOWN secret-one list-activities; rc=$?
if [ $rc -ne 0 ] && grep -q "(UnrecognizedClientException)" "$ERR"; then
  ok "unknown key -> UnrecognizedClientException"
else fail "unknown key: rc=$rc $(head -c 400 "$ERR")"; fi
AWS_ACCESS_KEY_ID=AKIDSTEPWISE AWS_SECRET_ACCESS_KEY=secret-one \
  "$AWS_BIN" --endpoint-url "http://127.0.0.1:$HTTP_PORT" stepfunctions list-activities \
  >"$OUT" 2>"$ERR"; rc=$?
[ $rc -ne 0 ] && ok "plain HTTP to the HTTPS listener fails" || fail "plain HTTP succeeded"

# ---- bearer tokens and no credentials (curl) ----
code=$(curl_aws ListActivities '{}' -H "Authorization: Bearer token-abc")
[ "$code" = 200 ] && json_is "len(d['activities'])==1" && ok "bearer token accepted" \
  || fail "bearer token: $code $(head -c 300 "$OUT")"
code=$(curl_aws ListActivities '{}' -H "Authorization: Bearer nope")
[ "$code" = 400 ] && json_is "d['__type']=='UnrecognizedClientException'" \
  && ok "unknown bearer token -> UnrecognizedClientException" || fail "bad bearer: $code $(head -c 300 "$OUT")"
code=$(curl_aws ListActivities '{}')
[ "$code" = 400 ] && json_is "d['__type']=='MissingAuthenticationTokenException'" \
  && ok "no credentials -> MissingAuthenticationTokenException" || fail "no creds: $code $(head -c 300 "$OUT")"
python3 -c "print('{\"name\":\"' + 'x'*(5<<20) + '\"}')" >"$WORK/big.json"
code=$(curl_aws CreateActivity "@$WORK/big.json" -H "Authorization: Bearer token-abc")
[ "$code" = 413 ] && json_is "d['__type']=='ValidationException' and 'exceeds' in d['message']" \
  && ok "oversized body -> 413 ValidationException" || fail "oversized: $code $(head -c 300 "$OUT")"

# ---- health stays open; metrics needs the token ----
code=$(curl -s --cacert "$WORK/cert.pem" -o /dev/null -w '%{http_code}' "$ENDPOINT/healthz")
[ "$code" = 200 ] && ok "/healthz open" || fail "/healthz: $code"
code=$(curl -s --cacert "$WORK/cert.pem" -o /dev/null -w '%{http_code}' "$ENDPOINT/metrics")
[ "$code" = 401 ] && ok "/metrics without token -> 401" || fail "/metrics without token: $code"

# ---- a poll whose client hung up is not handed the task ----
cat >"$WORK/sm.json" <<JSON
{"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "$ACT", "End": true}}}
JSON
sfn AKIDSTEPWISE secret-one create-state-machine --name worker --role-arn \
  arn:aws:iam::123456789012:role/x --definition "file://$WORK/sm.json" || fail "create-state-machine: $(cat "$ERR")"
SM=$(python3 -c "import json; print(json.load(open('$OUT'))['stateMachineArn'])")
# This poll is abandoned after 2 s (curl gives up and closes the connection).
curl_aws GetActivityTask "{\"activityArn\":\"$ACT\",\"workerName\":\"quitter\"}" \
  -H "Authorization: Bearer token-abc" --max-time 2 >/dev/null
sleep 0.5
sfn AKIDSTEPWISE secret-one start-execution --state-machine-arn "$SM" --input '{"n":7}' \
  && ok "start-execution" || fail "start-execution: $(cat "$ERR")"
EXEC=$(python3 -c "import json; print(json.load(open('$OUT'))['executionArn'])")
sfn AKIDSTEPWISE secret-one get-activity-task --activity-arn "$ACT" --worker-name stayer \
  --cli-read-timeout 10
if json_is "len(d.get('taskToken',''))>10 and json.loads(d['input'])=={'n':7}"; then
  ok "second poll gets the task the hung-up poll did not take"
  TOKEN=$(python3 -c "import json; print(json.load(open('$OUT'))['taskToken'])")
  sfn AKIDSTEPWISE secret-one send-task-success --task-token "$TOKEN" --task-output '{"ok":1}' \
    && ok "send-task-success" || fail "send-task-success: $(cat "$ERR")"
else
  fail "second poll: $(cat "$ERR" "$OUT" | head -c 400)"
fi
sfn AKIDSTEPWISE secret-one get-execution-history --execution-arn "$EXEC"
json_is "not any(e.get('activityStartedEventDetails',{}).get('workerName')=='quitter' for e in d['events'])" \
  && ok "history: the hung-up worker never started the activity" \
  || fail "history names the hung-up worker: $(head -c 600 "$OUT")"

# ---- executions started over HTTP count in the metrics ----
curl -s --cacert "$WORK/cert.pem" -H "Authorization: Bearer token-abc" "$ENDPOINT/metrics" >"$WORK/metrics.txt"
if grep -q "stepwise_executions_started_total{state_machine=\"[^\"]*worker\"} 1" "$WORK/metrics.txt"; then
  ok "/metrics with token counts the HTTP start"
else fail "/metrics: $(grep executions_started "$WORK/metrics.txt" | head -5)"; fi

echo "$((CHECKS - FAILS))/$CHECKS checks passed"
[ "$FAILS" -eq 0 ]
