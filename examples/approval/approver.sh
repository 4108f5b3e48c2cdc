#!/usr/bin/env bash
# The approver's worker for examples/approval: an activity worker written with
# the AWS CLI only. It polls the activity `approval-requests` (GetActivityTask,
# a 60 s long poll), and for each request prints the request and the two
# exact commands that approve (SendTaskSuccess) or reject (SendTaskFailure)
# it with the callback token of the waiting RequestApproval state, then
# reports its own activity task done: the person, not this script, decides.
# Environment: STEPWISE_AWS_ENDPOINT (default http://127.0.0.1:8083), AWS_BIN
# (default aws), and the usual AWS_* credentials (any value when stepwised
# does not check them). It runs until stopped (Ctrl-C, kill).
# Usage: examples/approval/approver.sh
set -uo pipefail

ENDPOINT=${STEPWISE_AWS_ENDPOINT:-http://127.0.0.1:8083}
AWS_BIN=${AWS_BIN:-aws}
ACTIVITY=${APPROVAL_ACTIVITY_ARN:-arn:aws:states:us-east-1:123456789012:activity:approval-requests}

sfn() { "$AWS_BIN" --endpoint-url "$ENDPOINT" --output json stepfunctions "$@"; }

# field <python expression over d> <json text>: prints the value.
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[2]); print(eval(sys.argv[1]))' "$1" "$2"; }

echo "approver: waiting for approval requests on $ACTIVITY at $ENDPOINT" >&2
while true; do
  if ! task=$(sfn get-activity-task --activity-arn "$ACTIVITY" --worker-name approver); then
    echo "approver: GetActivityTask failed; trying again in 1 s" >&2
    sleep 1
    continue
  fi
  worker_token=$(field 'd.get("taskToken", "")' "$task")
  [ -n "$worker_token" ] || continue  # the long poll ended without work
  input=$(field 'd["input"]' "$task")
  callback=$(field 'd["TaskToken"]' "$input")
  request=$(field 'json.dumps(d.get("request"))' "$input")
  from=$(field 'd.get("AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID", "?")' "$input")
  cat <<EOF
Approval requested by $from
  request: $request
To approve:
  aws stepfunctions --endpoint-url $ENDPOINT send-task-success --task-token $callback --task-output '{"approved": true}'
To reject:
  aws stepfunctions --endpoint-url $ENDPOINT send-task-failure --task-token $callback --error Rejected --cause 'Not approved'
EOF
  # The notification is delivered: this worker's own task is done.
  for try in 1 2 3 4 5; do
    sfn send-task-success --task-token "$worker_token" --task-output '{"notified": true}' \
      >/dev/null && break
    echo "approver: SendTaskSuccess for the notification failed (try $try of 5)" >&2
    sleep 1
  done
done
