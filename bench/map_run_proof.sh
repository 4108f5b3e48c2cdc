#!/bin/bash
# map_run_proof.sh: issue 19's proof of a Distributed Map over a large data
# set, driven with the AWS CLI against s3rver and a fresh stepwised on
# loopback. Run by hand (long); not part of ctest. Documented in
# engine/map_run/README.md ("The 100,000-item proof").
#
#   bench/map_run_proof.sh [options] BUILD_DIR
#     --items N          items in the data set (default 100000)
#     --batch N          ItemBatcher MaxItemsPerBatch (default 100)
#     --concurrency N    the Map's MaxConcurrency (default 0: the server's default)
#     --type T           the children's ExecutionType, STANDARD (default) or EXPRESS
#     --variant V        jsonl (default): s3:getObject of a JSONL object;
#                        csv: a CSV object without a header row, CSVHeaderLocation GIVEN;
#                        prefix: s3:listObjectsV2 over N objects under a prefix
#     --fail-every K     tolerance variant (jsonl only): the items of every K-th
#                        batch (batch index b with b % K == K / 2) carry "fail": true
#                        and the child of such a batch fails (ItemFailed); K = 33
#                        fails about 3% of the items
#     --tolerance P      the Map's ToleratedFailurePercentage (default: none); with
#                        --fail-every the checks expect SUCCEEDED and the failed
#                        children in FAILED_n.json when the failed share <= P, else
#                        FAILED with States.ExceedToleratedFailureThreshold
#     --kill N           SIGKILL stepwised N times during the run, each after
#                        --kill-every seconds (default 5) of its life, and restart it
#                        on the same data directory
#     --keep             keep the work directory (printed)
#
# Steps: starts s3rver (scripts/install-aws-servers.sh's, installed if
# missing) behind a request-logging, signature-checking proxy
# (bench/map_run_proof.py proxy) and stepwised (BUILD_DIR/server/stepwised,
# --aws-endpoint s3=the proxy); with the AWS CLI creates the bucket, uploads
# the data set, creates the machine (DISTRIBUTED Map "Bill", Label "bill":
# ItemReader, ItemBatcher with BatchInput, a Pass child echoing its batch,
# ResultWriter to results/), starts it and polls describe-execution until it
# ends; then checks (map_run_proof.py check): the parent SUCCEEDED, its
# history, N/batch children <run uuid>-<index> listed by
# list-executions --map-run-arn (STANDARD and EXPRESS), each once, SUCCEEDED,
# their itemCount adding up to N, describe-map-run's counts, manifest.json and SUCCEEDED_n.json in AWS's shape, every item
# exactly once in them, each result file PUT once; and prints items/s, the
# peak RSS of stepwised (VmHWM, the largest of its lives), the parent's
# history size.
set -euo pipefail
ITEMS=100000 BATCH=100 CONCURRENCY=0 TYPE=STANDARD VARIANT=jsonl KILLS=0 KILL_EVERY=5 KEEP=0
FAIL_EVERY=0 TOLERANCE=
while [ $# -gt 1 ]; do
  case $1 in
    --items) ITEMS=$2; shift 2 ;;
    --batch) BATCH=$2; shift 2 ;;
    --concurrency) CONCURRENCY=$2; shift 2 ;;
    --type) TYPE=$2; shift 2 ;;
    --variant) VARIANT=$2; shift 2 ;;
    --fail-every) FAIL_EVERY=$2; shift 2 ;;
    --tolerance) TOLERANCE=$2; shift 2 ;;
    --kill) KILLS=$2; shift 2 ;;
    --kill-every) KILL_EVERY=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
[ $# -eq 1 ] || { echo "usage: $0 [options] BUILD_DIR (see the header)" >&2; exit 2; }
BUILD=$(cd "$1" && pwd)
case $VARIANT in jsonl|csv|prefix) ;; *) echo "--variant jsonl|csv|prefix" >&2; exit 2 ;; esac
case $TYPE in STANDARD|EXPRESS) ;; *) echo "--type STANDARD|EXPRESS" >&2; exit 2 ;; esac
[ "$FAIL_EVERY" = 0 ] || [ "$VARIANT" = jsonl ] || { echo "--fail-every needs --variant jsonl" >&2; exit 2; }
# The Python half reads the tolerance variant's settings from these.
export MAP_RUN_PROOF_FAIL_EVERY=$FAIL_EVERY MAP_RUN_PROOF_TOLERANCE=$TOLERANCE \
  MAP_RUN_PROOF_BATCH=$BATCH MAP_RUN_PROOF_TYPE=$TYPE
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HELPER=$ROOT/bench/map_run_proof.py
STEPWISED=$BUILD/server/stepwised
[ -x "$STEPWISED" ] || { echo "no $STEPWISED" >&2; exit 2; }
command -v aws >/dev/null || { echo "the AWS CLI is needed (apt-get install awscli)" >&2; exit 2; }
SERVERS=${STEPWISE_AWS_SERVERS_DIR:-$ROOT/build/npm/aws-servers}
[ -f "$SERVERS/node_modules/s3rver/bin/s3rver.js" ] ||
  STEPWISE_AWS_SERVERS_DIR=$SERVERS bash "$ROOT/scripts/install-aws-servers.sh"

WORK=$(mktemp -d /tmp/map_run_proof.XXXXXX)
PIDS=()
SW_PID=0
cleanup() {
  local p
  [ "$SW_PID" = 0 ] || kill -9 "$SW_PID" 2>/dev/null || true
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$KEEP" = 1 ]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
# s3rver's one account; stepwised signs with the same variables.
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1 \
  AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER=""
unset AWS_SESSION_TOKEN AWS_PROFILE

wait_port() {  # wait_port FILE KEY: the value of KEY=... in FILE, once written
  local i v
  for i in $(seq 1 400); do
    v=$(sed -n "s/^$2=//p" "$1" 2>/dev/null | head -1)
    [ -n "$v" ] && { echo "$v"; return; }
    sleep 0.05
  done
  echo "timed out waiting for $2 in $1" >&2
  return 1
}

mkdir -p "$WORK/s3"
# s3rver signs its ListObjectsV2 continuation tokens with DES, which Node's
# OpenSSL 3 refuses without the legacy provider: every truncated listing
# (more than 1,000 keys: --variant prefix) would answer InternalError.
node --openssl-legacy-provider "$ROOT/tests/integrations/servers/serve.js" "$SERVERS/node_modules" s3rver "$WORK/s3" \
  >"$WORK/s3rver.port" 2>"$WORK/s3rver.log" &
PIDS+=($!)
S3=http://127.0.0.1:$(wait_port "$WORK/s3rver.port" port)
python3 "$HELPER" proxy "$S3" "$WORK/s3-requests.log" >"$WORK/proxy.port" 2>"$WORK/proxy.err" &
PIDS+=($!)
PROXY=http://127.0.0.1:$(wait_port "$WORK/proxy.port" port)

GRPC_PORT=0 HTTP_PORT=0 PEAK_KB=0 LIVES=0
start_stepwised() {
  rm -f "$WORK/ports"
  echo "--- life $((LIVES + 1)) ---" >>"$WORK/stepwised.log"
  "$STEPWISED" --data-dir "$WORK/data" --grpc-listen "127.0.0.1:$GRPC_PORT" \
    --http-listen "127.0.0.1:$HTTP_PORT" --ports-file "$WORK/ports" --log-level warn \
    --aws-endpoint "s3=$PROXY" >>"$WORK/stepwised.log" 2>&1 &
  SW_PID=$!
  GRPC_PORT=$(wait_port "$WORK/ports" grpc)
  HTTP_PORT=$(wait_port "$WORK/ports" http)
  LIVES=$((LIVES + 1))
}
note_peak() {  # the largest VmHWM of stepwised's lives so far
  local kb
  kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$SW_PID/status" 2>/dev/null || echo 0)
  [ "${kb:-0}" -gt "$PEAK_KB" ] && PEAK_KB=$kb
  return 0
}
start_stepwised
SFN=(aws --endpoint-url "http://127.0.0.1:$HTTP_PORT" --output json stepfunctions)
S3API=(aws --endpoint-url "$S3" --output json s3api)

echo "map_run_proof: $ITEMS items ($VARIANT), batches of $BATCH, $TYPE children," \
  "MaxConcurrency $CONCURRENCY, $KILLS kills, failing batches 1 in $FAIL_EVERY," \
  "tolerance ${TOLERANCE:-none}; stepwised $STEPWISED; work $WORK"
BUCKET=proof
"${S3API[@]}" create-bucket --bucket "$BUCKET" >/dev/null
t=$(date +%s.%N)
case $VARIANT in
  jsonl) python3 "$HELPER" data jsonl "$ITEMS" "$WORK/items.jsonl"
         "${S3API[@]}" put-object --bucket "$BUCKET" --key in/items.jsonl \
           --body "$WORK/items.jsonl" >/dev/null ;;
  csv)   python3 "$HELPER" data csv "$ITEMS" "$WORK/items.csv"
         "${S3API[@]}" put-object --bucket "$BUCKET" --key in/items.csv \
           --body "$WORK/items.csv" >/dev/null ;;
  prefix) python3 "$HELPER" data prefix "$ITEMS" "$WORK/parts"
         aws --endpoint-url "$S3" s3 cp --recursive --only-show-errors "$WORK/parts" \
           "s3://$BUCKET/in/parts/" ;;
esac
echo "data set uploaded in $(python3 -c "import time; print(round(time.time() - $t, 1))") s"
python3 "$HELPER" definition "$VARIANT" "$TYPE" "$BATCH" "$CONCURRENCY" "$BUCKET" \
  >"$WORK/definition.json"
MACHINE=$("${SFN[@]}" create-state-machine --name "proof-$VARIANT" \
  --role-arn arn:aws:iam::123456789012:role/proof --definition "file://$WORK/definition.json" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["stateMachineArn"])')
EXEC=$("${SFN[@]}" start-execution --state-machine-arn "$MACHINE" --name run-1 --input '{}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["executionArn"])')
echo "started $EXEC"

status() {
  "${SFN[@]}" describe-execution --execution-arn "$EXEC" 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' 2>/dev/null || echo UNKNOWN
}
T0=$(date +%s)
KILLED=0
LIFE_START=$(date +%s)
ST=RUNNING
# Polls the parent; while it runs and kills are left, SIGKILLs stepwised once
# its life has lasted --kill-every seconds and starts it again.
while [ "$ST" = RUNNING ] || [ "$ST" = UNKNOWN ]; do
  sleep 0.5
  note_peak
  ST=$(status)
  if [ "$ST" = RUNNING ] && [ "$KILLED" -lt "$KILLS" ] &&
     [ $(( $(date +%s) - LIFE_START )) -ge "$KILL_EVERY" ]; then
    kill -9 "$SW_PID"
    wait "$SW_PID" 2>/dev/null || true
    KILLED=$((KILLED + 1))
    echo "SIGKILL $KILLED of $KILLS at $(( $(date +%s) - T0 )) s"
    start_stepwised
    LIFE_START=$(date +%s)
  fi
done
note_peak
echo "the parent ended $ST after $(( $(date +%s) - T0 )) s (polled), $KILLED SIGKILLs during the run"
[ "$KILLED" -lt "$KILLS" ] && echo "NOTE: the run ended before all $KILLS kills (--kill-every)"

set +e
python3 "$HELPER" check "http://127.0.0.1:$HTTP_PORT" "$S3" "$BUCKET" "$VARIANT" "$ITEMS" \
  "$BATCH" "$EXEC" "$WORK/s3-requests.log"
RC=$?
set -e
echo "peak RSS of stepwised (VmHWM, largest of $LIVES lives): $((PEAK_KB / 1024)) MiB"
echo "data directory: $(du -sm "$WORK/data" | cut -f1) MiB"
kill "$SW_PID"
wait "$SW_PID" || { echo "stepwised did not exit cleanly on SIGTERM"; RC=1; }
[ "$RC" = 0 ] && echo "map_run_proof: PASS" || echo "map_run_proof: FAIL"
exit "$RC"
