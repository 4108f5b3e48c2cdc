#!/usr/bin/env python3
# RedriveExecution against the real stepwised, through clients nobody here
# wrote: the AWS CLI (redrive-execution, describe-execution, list-executions
# --redrive-filter) and botocore for the activity workers and reads.
#  1. A Task fails until its worker is fixed: FAILED, redrive-execution,
#     a SIGKILL and restart while the redriven execution waits for its
#     worker, SUCCEEDED with redriveCount 1; the clientToken makes a repeat
#     the same redrive; the history has one ExecutionRedriven.
#  2. A Map of 50 whose worker fails items 7, 19 and 33 the first time:
#     the redrive hands out only those 3 again (a SIGKILL after the first).
#  3. Refusals with AWS's errors (ExecutionNotRedrivable for a SUCCEEDED,
#     a RUNNING and an Express execution, ExecutionDoesNotExist, a bad
#     clientToken).
#  4. `stepwise redrive` (gRPC) on a stopped execution; `stepwise describe`.
#  5. An execution closed more than 14 days ago (a second daemon with
#     --time-scale 100000): NOT_REDRIVABLE and ExecutionNotRedrivable with
#     AWS's reason.
# Usage: redrive_test.py STEPWISED STEPWISE. Exits 77 without boto3. The AWS
# CLI is the first that knows redrive-execution ($AWS_BIN, /usr/bin/aws, then
# `aws` on PATH); without one its calls go through botocore.
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sfn_daemon import ACCOUNT, Aws, Checks, Daemon  # noqa: E402

try:
    import boto3  # noqa: F401
except ImportError:
    print("SKIP: boto3 not installed")
    sys.exit(77)


def aws_with_redrive():
    for path in [os.environ.get("AWS_BIN"), "/usr/bin/aws", shutil.which("aws")]:
        if not path or not os.access(path, os.X_OK):
            continue
        p = subprocess.run([path, "stepfunctions", "redrive-execution",
                            "--generate-cli-skeleton"], capture_output=True, timeout=60)
        if p.returncode == 0:
            return path
    print("note: no AWS CLI here knows redrive-execution (Debian's predates it); "
          "the CLI's calls go through botocore, the library under it")
    return None


class BotocoreCli(Aws):
    """Aws whose `aws stepfunctions OP --member VALUE ...` calls are made with
    botocore (for an AWS CLI too old to know redrive): the same operation and
    members, the same exit code and error text shape."""

    def run(self, *args):
        import datetime
        from botocore.exceptions import ClientError
        op = args[0].replace("-", "_")
        params = {}
        rest = list(args[1:])
        while rest:
            flag, value = rest.pop(0), rest.pop(0)
            words = flag[2:].split("-")
            params[words[0] + "".join(w.capitalize() for w in words[1:])] = str(value)
        if "maxResults" in params:
            params["maxResults"] = int(params["maxResults"])
        try:
            out = getattr(self.client(), op)(**params)
        except ClientError as e:
            return 255, None, f"An error occurred ({e.response['Error']['Code']}): {e}"
        out.pop("ResponseMetadata", None)
        text = json.dumps(out, default=lambda v: v.isoformat()
                          if isinstance(v, datetime.datetime) else str(v))
        return 0, json.loads(text), ""


STEPWISED, STEPWISE = sys.argv[1], sys.argv[2]
AWS_BIN = aws_with_redrive()
ACTIVITY_NAME = "jobs"
ACTIVITY = f"{ACCOUNT}:activity:{ACTIVITY_NAME}"
WORK = {"StartAt": "Prep", "States": {
    "Prep": {"Type": "Pass", "Result": "ready", "ResultPath": "$.prep", "Next": "Charge"},
    "Charge": {"Type": "Task", "Resource": ACTIVITY, "ResultPath": "$.charge", "End": True}}}
MAP = {"StartAt": "Each", "States": {
    "Each": {"Type": "Map", "ItemsPath": "$.items", "End": True,
             "ItemProcessor": {"StartAt": "Work", "States": {
                 "Work": {"Type": "Task", "Resource": ACTIVITY, "End": True}}}}}}

c = Checks()
daemon = Daemon(STEPWISED)
daemon.start()
aws = Aws(AWS_BIN, daemon) if AWS_BIN else BotocoreCli(None, daemon)


def poll(wait=True):
    """One activity task (input, token), or None when none comes."""
    t = aws.client().get_activity_task(activityArn=ACTIVITY, workerName="w")
    if not t.get("taskToken"):
        return None
    return json.loads(t["input"]), t["taskToken"]


def types(arn):
    return [e["type"] for e in aws.history(arn)]


try:
    aws.client().create_activity(name=ACTIVITY_NAME)
    machine = aws.create_machine("orders", WORK)

    # --- 1. a worker that fails until it is fixed ---
    ex = aws.client().start_execution(stateMachineArn=machine, name="order-1",
                                      input=json.dumps({"order": 1}))["executionArn"]
    inp, token = poll()
    aws.client().send_task_failure(taskToken=token, error="CardDeclined", cause="worker bug")
    d = aws.wait_status(ex)
    c.check("the broken worker fails the execution", d["status"] == "FAILED", d)
    d = aws.ok("describe-execution", "--execution-arn", ex)
    c.check("describe-execution: REDRIVABLE, redriveCount 0",
            d.get("redriveStatus") == "REDRIVABLE" and d.get("redriveCount") == 0, d)
    out = aws.ok("redrive-execution", "--execution-arn", ex, "--client-token", "fix-1")
    c.check("redrive-execution answers a redriveDate", "redriveDate" in out, out)
    again = aws.ok("redrive-execution", "--execution-arn", ex, "--client-token", "fix-1")
    c.check("the same clientToken is the same redrive", again == out, (again, out))
    d = aws.describe(ex)
    c.check("RUNNING again, redriveCount 1, no stopDate",
            d["status"] == "RUNNING" and d["redriveCount"] == 1 and "stopDate" not in d and
            d["redriveStatus"] == "NOT_REDRIVABLE", d)
    listed = aws.ok("list-executions", "--state-machine-arn", machine,
                    "--redrive-filter", "REDRIVEN")["executions"]
    c.check("list-executions --redrive-filter REDRIVEN",
            [e["name"] for e in listed] == ["order-1"] and listed[0]["status"] == "RUNNING",
            listed)
    daemon.restart_after_kill9()  # while the redriven execution waits for its worker
    inp, token = poll()
    c.check("the Task runs again with the input it had (Prep did not rerun)",
            inp == {"order": 1, "prep": "ready"}, inp)
    aws.client().send_task_success(taskToken=token, output=json.dumps({"charged": True}))
    aws.wait_status(ex)
    d = aws.ok("describe-execution", "--execution-arn", ex)
    c.check("SUCCEEDED with redriveCount 1 and a redriveDate",
            d["status"] == "SUCCEEDED" and d["redriveCount"] == 1 and "redriveDate" in d and
            json.loads(d["output"]) == {"order": 1, "prep": "ready",
                                        "charge": {"charged": True}} and
            d["redriveStatus"] == "NOT_REDRIVABLE" and
            d["redriveStatusReason"] == "Execution is SUCCEEDED and cannot be redriven.", d)
    t = types(ex)
    c.check("one ExecutionRedriven, Prep entered once, the failed Task entered again",
            t.count("ExecutionRedriven") == 1 and t.count("PassStateEntered") == 1 and
            t.count("TaskStateEntered") == 2 and t[-1] == "ExecutionSucceeded", t)
    ev = [e for e in aws.history(ex) if e["type"] == "ExecutionRedriven"][0]
    c.check("ExecutionRedriven carries redriveCount",
            ev.get("executionRedrivenEventDetails") == {"redriveCount": 1}, ev)

    # --- 2. a Map of 50 where items 7, 19 and 33 fail the first time ---
    bad = {7, 19, 33}
    mapper = aws.create_machine("batch", MAP)
    mx = aws.client().start_execution(stateMachineArn=mapper, name="batch-1",
                                      input=json.dumps({"items": list(range(50))}))[
        "executionArn"]
    held = []
    for _ in range(50):
        item, token = poll()
        if item in bad:
            held.append(token)  # failed after the others succeeded
        else:
            aws.client().send_task_success(taskToken=token, output=json.dumps(item * 10))
    aws.client().send_task_failure(taskToken=held[0], error="Bad", cause="first try")
    d = aws.wait_status(mx)
    c.check("the Map fails", d["status"] == "FAILED", d)
    aws.ok("redrive-execution", "--execution-arn", mx)
    rerun = []
    while True:
        got = poll() if len(rerun) < 3 else None
        if got is None:
            break
        rerun.append(got[0])
        aws.client().send_task_success(taskToken=got[1], output=json.dumps(got[0] * 10))
        if len(rerun) == 1:
            daemon.restart_after_kill9()  # halfway through the redriven Map
    d = aws.wait_status(mx)
    c.check("only items 7, 19 and 33 ran again", sorted(rerun) == [7, 19, 33], rerun)
    c.check("the redriven Map succeeds with all 50 results in order",
            d["status"] == "SUCCEEDED" and d["redriveCount"] == 1 and
            json.loads(d["output"]) == [i * 10 for i in range(50)], d)
    after = types(mx)
    after = after[after.index("ExecutionRedriven"):]
    c.check("3 MapIterationStarted and 3 ActivityScheduled after the redrive",
            after.count("MapIterationStarted") == 3 and after.count("ActivityScheduled") == 3,
            after)

    # --- 3. refusals ---
    c.check("a SUCCEEDED execution -> ExecutionNotRedrivable",
            aws.error_of("redrive-execution", "--execution-arn", ex) == "ExecutionNotRedrivable")
    code, msg = aws.api_error("redrive_execution", executionArn=f"{ACCOUNT}:execution:orders:nope")
    c.check("unknown execution -> ExecutionDoesNotExist", code == "ExecutionDoesNotExist",
            (code, msg))
    code, msg = aws.api_error("redrive_execution", executionArn=mx, clientToken="x" * 65)
    c.check("clientToken over 64 -> ValidationException naming it",
            code == "ValidationException" and "clientToken" in msg, (code, msg))
    nr = aws.ok("list-executions", "--state-machine-arn", machine,
                "--redrive-filter", "NOT_REDRIVEN")["executions"]
    c.check("NOT_REDRIVEN leaves the redriven one out", nr == [], nr)
    running = aws.client().start_execution(stateMachineArn=machine, name="order-running")[
        "executionArn"]
    rc, _, err = aws.run("redrive-execution", "--execution-arn", running)
    c.check("a RUNNING execution -> ExecutionNotRedrivable, AWS's reason",
            rc != 0 and "ExecutionNotRedrivable" in err and
            "Execution is RUNNING and cannot be redriven." in err, (rc, err))
    aws.client().stop_execution(executionArn=running)
    # --- 4. stepwise redrive (gRPC) ---
    def cli(*args):
        p = subprocess.run([STEPWISE, *args, "--endpoint", f"127.0.0.1:{daemon.grpc_port}"],
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    sx = aws.client().start_execution(stateMachineArn=machine, name="order-2")["executionArn"]
    aws.client().stop_execution(executionArn=sx, error="Ops", cause="paused")
    rc, out, err = cli("describe", sx)
    c.check("stepwise describe points at redrive", rc == 0 and "stepwise redrive" in out,
            (rc, out, err))
    rc, out, err = cli("redrive", sx, "--client-token", "cli-1")
    c.check("stepwise redrive ARN", rc == 0 and out.startswith("redrove " + sx), (rc, out, err))
    rc, out, err = cli("describe", sx, "--json")
    dj = json.loads(out) if rc == 0 else {}
    c.check("stepwise describe --json: RUNNING, redriveCount 1",
            dj.get("status") == "RUNNING" and dj.get("redriveCount") == 1, (rc, out, err))
    rc, out, err = cli("redrive", ex)
    c.check("stepwise redrive of a SUCCEEDED execution: exit 1, AWS's error name",
            rc == 1 and "ExecutionNotRedrivable" in err, (rc, err))

    # (3, continued) an Express execution, after the gRPC calls of 4.
    express = aws.client().create_state_machine(
        name="quick", roleArn="arn:aws:iam::123456789012:role/r", type="EXPRESS",
        definition=json.dumps({"StartAt": "W", "States": {
            "W": {"Type": "Wait", "Seconds": 30, "End": True}}}))["stateMachineArn"]
    xa = aws.client().start_execution(stateMachineArn=express)["executionArn"]
    code, msg = aws.api_error("redrive_execution", executionArn=xa)
    c.check("an Express execution -> ExecutionNotRedrivable",
            code == "ExecutionNotRedrivable" and "EXPRESS" in msg, (code, msg))

    # --- 5. too old: a daemon whose clock runs 10^5 times fast (14 days in 12.1 s) ---
    old_daemon = Daemon(STEPWISED, ["--time-scale", "100000"])
    old_daemon.start()
    try:
        old_aws = Aws(AWS_BIN, old_daemon) if AWS_BIN else BotocoreCli(None, old_daemon)
        old_aws.client().create_activity(name=ACTIVITY_NAME)
        old_machine = old_aws.create_machine("orders", WORK)
        ox = old_aws.client().start_execution(stateMachineArn=old_machine, name="old")[
            "executionArn"]
        t = old_aws.client().get_activity_task(activityArn=ACTIVITY, workerName="w")
        old_aws.client().send_task_failure(taskToken=t["taskToken"], error="Bad")
        d = old_aws.wait_status(ox)
        closed_at = time.time()
        c.check("FAILED, REDRIVABLE at first",
                d["status"] == "FAILED" and d["redriveStatus"] == "REDRIVABLE", d)
        time.sleep(max(0.0, closed_at + 13.0 - time.time()))  # 15 days at 10^5
        d = old_aws.describe(ox)
        c.check("closed over 14 days ago: NOT_REDRIVABLE, AWS's reason",
                d["redriveStatus"] == "NOT_REDRIVABLE" and
                d.get("redriveStatusReason") == "Execution redrivable period exceeded.", d)
        rc, _, err = old_aws.run("redrive-execution", "--execution-arn", ox)
        c.check("redrive-execution -> ExecutionNotRedrivable",
                rc != 0 and "ExecutionNotRedrivable" in err and
                "Execution redrivable period exceeded." in err, (rc, err))
    finally:
        old_daemon.cleanup()
except Exception as e:  # noqa: BLE001
    import traceback
    traceback.print_exc()
    c.check("no exception", False, repr(e))
c.finish(daemon)
