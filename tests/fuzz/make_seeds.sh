#!/usr/bin/env bash
# Extracts fuzz seed corpora from the shared conformance corpus into a build
# directory (never into the repository):
#   <out>/fuzz_definition/  every definition (execution and validation cases)
#   <out>/fuzz_jsonpath/    every InputPath/OutputPath/ResultPath/ItemsPath,
#                           other *Path, Choice Variable and ".$" path string
#   <out>/fuzz_intrinsics/  every "States.*" intrinsic call string
#   <out>/fuzz_aws_request/ per case, an AWS JSON request script: create the
#                           state machine (and its activities), start it
#                           with the case's input, poll/answer activity
#                           tasks, describe, read the history, list
#   <out>/fuzz_task_token/  (hand-written seeds only)
# and copies the hand-written seeds of tests/fuzz/seeds/ beside them.
# Usage: make_seeds.sh <out-dir> [shared-dir]   (default: ../shared)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: make_seeds.sh <out-dir> [shared-dir]}"
shared="${2:-$here/../../../shared}"
mkdir -p "$out"
for t in fuzz_definition fuzz_jsonpath fuzz_intrinsics fuzz_aws_request fuzz_task_token; do
  mkdir -p "$out/$t"
  cp "$here/seeds/$t/"* "$out/$t/" 2>/dev/null || true
done
python3 - "$shared/conformance" "$out" <<'PY'
import hashlib, json, os, sys
root, out = sys.argv[1], sys.argv[2]
counts = {"fuzz_definition": 0, "fuzz_jsonpath": 0, "fuzz_intrinsics": 0,
          "fuzz_aws_request": 0}
seen = set()

def put(target, text):
    data = text.encode("utf-8")
    key = (target, data)
    if key in seen or not data:
        return
    seen.add(key)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)
    counts[target] += 1

PATH_KEYS = {"InputPath", "OutputPath", "ResultPath", "ItemsPath", "Variable"}

def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            if isinstance(x, str):
                if x.startswith("States."):
                    put("fuzz_intrinsics", x)
                elif x.startswith("$") and (k in PATH_KEYS or k.endswith("Path") or k.endswith(".$")):
                    put("fuzz_jsonpath", x)
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)

SM = "arn:aws:states:us-east-1:123456789012:stateMachine:"

def aws_script(case, text):
    """The requests an AWS client would send to run this case."""
    name = "m" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    inp = case.get("input")
    if not isinstance(inp, str):
        inp = json.dumps(inp if inp is not None else {})
    reqs = []
    stubs = case.get("activity_stubs")
    if isinstance(stubs, dict):
        for stub in sorted(stubs):
            reqs.append(("CreateActivity", {"name": stub}))
    reqs.append(("CreateStateMachine", {"name": name, "definition": text,
                                        "roleArn": "arn:aws:iam::123456789012:role/r",
                                        "type": case.get("state_machine_type") or "STANDARD"}))
    reqs.append(("StartExecution", {"stateMachineArn": SM + name, "name": "e1", "input": inp}))
    ex = "arn:aws:states:us-east-1:123456789012:execution:" + name + ":e1"
    if isinstance(stubs, dict):
        for stub in sorted(stubs):
            arn = "arn:aws:states:us-east-1:123456789012:activity:" + stub
            reqs.append(("GetActivityTask", {"activityArn": arn, "workerName": "w"}))
            reqs.append(("SendTaskHeartbeat", {"taskToken": "$TOKEN"}))
            reqs.append(("SendTaskSuccess", {"taskToken": "$TOKEN", "output": "{}"}))
    reqs.append(("DescribeExecution", {"executionArn": ex}))
    reqs.append(("GetExecutionHistory", {"executionArn": ex, "maxResults": 5,
                                         "reverseOrder": True}))
    reqs.append(("ListExecutions", {"stateMachineArn": SM + name, "statusFilter": "RUNNING"}))
    reqs.append(("StopExecution", {"executionArn": ex, "error": "E", "cause": "c"}))
    return "\n%%\n".join(a + "\n" + json.dumps(b) for a, b in reqs)

for dirpath, _, files in os.walk(root):
    for fn in sorted(files):
        if not fn.endswith(".json") or fn == "index.json":
            continue
        try:
            with open(os.path.join(dirpath, fn), encoding="utf-8") as f:
                case = json.load(f)
        except (OSError, ValueError):
            continue
        if not isinstance(case, dict):
            continue
        text = case.get("definition_text")
        d = case.get("definition")
        if isinstance(d, str):
            text = text or d
            try:
                d = json.loads(d)
            except ValueError:
                d = None
        if text is None and d is not None:
            text = json.dumps(d, separators=(",", ":"))
        if isinstance(text, str):
            put("fuzz_definition", text)
            put("fuzz_aws_request", aws_script(case, text))
        if d is not None:
            walk(d)
for t, n in sorted(counts.items()):
    print(f"{t}: {n} seeds extracted into {out}/{t}")
PY
