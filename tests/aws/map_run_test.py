#!/usr/bin/env python3
# The Map Run APIs against the real stepwised, through the AWS CLI:
# list-map-runs, describe-map-run (status, settings, item and execution
# counts), update-map-run lowering MaxConcurrency while the run goes on (at
# most one child RUNNING afterwards, also after a kill -9 and restart),
# list-executions --map-run-arn (the run's children, each naming its run;
# describe-execution of a child gives mapRunArn), the final SUCCEEDED
# record; bad input as AWS answers it (raw AWS JSON calls, since the CLI
# checks ranges itself): a negative maxConcurrency, a percentage over 100,
# a finished run, an unknown or malformed ARN, stateMachineArn and
# mapRunArn together; then `stepwise map-run describe|list` over gRPC.
# Map Run redrive: a child's worker fails one item, the parent fails;
# redrive-execution of the parent (the CLI's, or botocore's when the CLI is
# too old to have it) redrives the same Map Run
# (describe-map-run redriveCount, MapRunRedriven in the history) and reruns
# only the failed child.
# Usage: map_run_test.py STEPWISED STEPWISE. Exits 77 without the AWS CLI.
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sfn_daemon import ACCOUNT, Aws, Checks, Daemon, aws_bin_or_skip, wait_for  # noqa: E402

STEPWISED, STEPWISE = sys.argv[1], sys.argv[2]
AWS_BIN = aws_bin_or_skip()
ITEMS = 10

c = Checks()
daemon = Daemon(STEPWISED)
daemon.start()
aws = Aws(AWS_BIN, daemon)


def raw(action, body):
    """(HTTP status, parsed body) of one AWS JSON call."""
    req = urllib.request.Request(daemon.endpoint + "/", data=json.dumps(body).encode(),
                                 method="POST", headers={
                                     "Content-Type": "application/x-amz-json-1.0",
                                     "X-Amz-Target": "AWSStepFunctions." + action})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def cli(*args):
    p = subprocess.run([STEPWISE, *args, "--endpoint", f"127.0.0.1:{daemon.grpc_port}"],
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def take_task():
    t = aws.client().get_activity_task(activityArn=activity, workerName="w")
    return t if t.get("taskToken") else None


def answer(t):
    aws.client().send_task_success(taskToken=t["taskToken"], output=t["input"])


def children(status=None):
    """The run's children through botocore (the CLI's one call is below)."""
    extra = {"statusFilter": status} if status else {}
    out = []
    for page in aws.client().get_paginator("list_executions").paginate(mapRunArn=run, **extra):
        out += page["executions"]
    return out


try:
    activity = aws.client().create_activity(name="item-work")["activityArn"]
    machine = aws.create_machine("invoices", {
        "StartAt": "Each", "States": {"Each": {
            "Type": "Map", "Label": "items", "ItemsPath": "$.items", "MaxConcurrency": 3,
            "ToleratedFailureCount": 2,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Work",
                "States": {"Work": {"Type": "Task", "Resource": activity, "End": True}}},
            "End": True}}})
    started = aws.ok("start-execution", "--state-machine-arn", machine, "--name", "run1",
                     "--input", json.dumps({"items": [{"i": i} for i in range(ITEMS)]}))
    parent = started["executionArn"]
    first = [take_task() for _ in range(3)]
    c.check("three children take work (MaxConcurrency 3)", all(first))

    runs = aws.ok("list-map-runs", "--execution-arn", parent)["mapRuns"]
    c.check("list-map-runs: the one run, with the parent and its machine",
            len(runs) == 1 and runs[0]["executionArn"] == parent and
            runs[0]["stateMachineArn"] == machine and
            runs[0]["mapRunArn"].startswith(ACCOUNT + ":mapRun:invoices/items:") and
            "startDate" in runs[0] and "stopDate" not in runs[0], runs)
    run = runs[0]["mapRunArn"]
    d = aws.ok("describe-map-run", "--map-run-arn", run)
    c.check("describe-map-run while it runs: RUNNING, 3 running, 7 pending of 10",
            d["status"] == "RUNNING" and d["executionArn"] == parent and
            d["maxConcurrency"] == 3 and d["toleratedFailureCount"] == 2 and
            d["toleratedFailurePercentage"] == 0 and
            d["executionCounts"]["running"] == 3 and d["executionCounts"]["pending"] == 7 and
            d["executionCounts"]["total"] == ITEMS and d["itemCounts"] == d["executionCounts"] and
            "stopDate" not in d, d)
    print("describe-map-run (running):", json.dumps(d, indent=1))

    rc, out, err = aws.run("update-map-run", "--map-run-arn", run, "--max-concurrency", "1")
    c.check("update-map-run --max-concurrency 1", rc == 0, err)
    d = aws.client().describe_map_run(mapRunArn=run)
    c.check("describe-map-run shows the new MaxConcurrency", d["maxConcurrency"] == 1, d)

    kids = aws.ok("list-executions", "--map-run-arn", run)["executions"]
    c.check("list-executions --map-run-arn: the 3 children started, each naming the run",
            len(kids) == 3 and all(k["mapRunArn"] == run and k["status"] == "RUNNING"
                                   for k in kids), kids)
    child = aws.describe(kids[0]["executionArn"])
    c.check("describe-execution of a child gives its mapRunArn", child.get("mapRunArn") == run,
            child)
    c.check("the parent has no mapRunArn", "mapRunArn" not in aws.describe(parent))

    for t in first:
        answer(t)
    most_running = 0
    done = 3
    while done < ITEMS:
        t = take_task()
        if t is None:
            break
        most_running = max(most_running, len(children("RUNNING")))
        answer(t)
        done += 1
        if done == 6:
            daemon.restart_after_kill9()
            d = aws.client().describe_map_run(mapRunArn=run)
            c.check("after kill -9: still RUNNING, MaxConcurrency 1 kept",
                    d["status"] == "RUNNING" and d["maxConcurrency"] == 1, d)
    c.check("every item ran", done == ITEMS, done)
    c.check("after the update at most one child RUNNING at a time", most_running <= 1,
            most_running)
    final = aws.wait_status(parent)
    c.check("the parent succeeds", final["status"] == "SUCCEEDED", final)
    d = aws.ok("describe-map-run", "--map-run-arn", run)
    c.check("describe-map-run at the end: SUCCEEDED, 10 succeeded, a stopDate",
            d["status"] == "SUCCEEDED" and d["executionCounts"]["succeeded"] == ITEMS and
            d["executionCounts"]["running"] == 0 and d["executionCounts"]["pending"] == 0 and
            d["itemCounts"] == d["executionCounts"] and "stopDate" in d, d)
    print("describe-map-run (closed):", json.dumps(d, indent=1))
    kids = children()
    c.check("list-executions --map-run-arn: 10 children, all SUCCEEDED, names unique, "
            "itemCount 1 each (no ItemBatcher)",
            len(kids) == ITEMS and {k["status"] for k in kids} == {"SUCCEEDED"} and
            len({k["name"] for k in kids}) == ITEMS and
            all(k.get("itemCount") == 1 for k in kids), kids)
    page = aws.client().list_executions(mapRunArn=run, maxResults=4)
    c.check("list-executions --map-run-arn pages (maxResults 4, nextToken)",
            len(page["executions"]) == 4 and "nextToken" in page, page)

    # --- Map Run redrive: redrive-execution of the parent reruns only the failed child ---
    fixable = aws.create_machine("fixable", {
        "StartAt": "Each", "States": {"Each": {
            "Type": "Map", "Label": "items", "ItemsPath": "$.items",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Work",
                "States": {"Work": {"Type": "Task", "Resource": activity, "End": True}}},
            "End": True}}})
    started = aws.ok("start-execution", "--state-machine-arn", fixable, "--name", "r1",
                     "--input", json.dumps({"items": [{"i": i} for i in range(3)]}))
    rparent = started["executionArn"]
    tasks = [take_task() for _ in range(3)]
    c.check("redrive: three children take work", all(tasks), tasks)
    rrun = aws.ok("list-map-runs", "--execution-arn", rparent)["mapRuns"][0]["mapRunArn"]

    def run_children(status=None):
        extra = {"statusFilter": status} if status else {}
        return aws.client().list_executions(mapRunArn=rrun, **extra)["executions"]

    broken = [t for t in tasks if json.loads(t["input"])["i"] == 1][0]
    for t in tasks:
        if t is not broken:
            answer(t)
    wait_for(lambda: len(run_children("SUCCEEDED")) == 2)
    aws.client().send_task_failure(taskToken=broken["taskToken"], error="Item.Broken",
                                   cause="no customer")
    failed = aws.wait_status(rparent)
    c.check("redrive: the parent fails with the child's error",
            failed["status"] == "FAILED" and failed.get("error") == "Item.Broken", failed)
    # The AWS CLI's redrive-execution where it has it (aws-cli 1.x before the
    # 2023 models lacks it), else botocore's (what the CLI runs on).
    rc, out, err = aws.run("redrive-execution", "--execution-arn", rparent)
    redriven = (json.loads(out) if rc == 0
                else aws.client().redrive_execution(executionArn=rparent))
    c.check("redrive-execution answers a redriveDate", "redriveDate" in redriven, redriven)
    # botocore's model has redriveCount/redriveDate; an older CLI drops them.
    d = aws.client().describe_map_run(mapRunArn=rrun)
    c.check("describe-map-run after the redrive: RUNNING, redriveCount 1, a redriveDate",
            d["status"] == "RUNNING" and d.get("redriveCount") == 1 and "redriveDate" in d and
            "stopDate" not in d, d)
    again = take_task()
    c.check("the failed child runs again (item 1)",
            again is not None and json.loads(again["input"])["i"] == 1, again)
    c.check("the two succeeded children are kept, not rerun",
            len(run_children("SUCCEEDED")) == 2 and len(run_children("RUNNING")) == 1,
            run_children())
    answer(again)
    final = aws.wait_status(rparent)
    c.check("the redriven parent succeeds with the three results in order",
            final["status"] == "SUCCEEDED" and
            json.loads(final["output"]) == [{"i": 0}, {"i": 1}, {"i": 2}], final)
    d = aws.client().describe_map_run(mapRunArn=rrun)
    c.check("describe-map-run at the end: SUCCEEDED, 3 succeeded, redriveCount 1",
            d["status"] == "SUCCEEDED" and d["executionCounts"]["succeeded"] == 3 and
            d["executionCounts"]["failed"] == 0 and d.get("redriveCount") == 1, d)
    events = aws.history(rparent)
    redrives = [e for e in events if e["type"] == "MapRunRedriven"]
    c.check("the parent's history: one MapRunRedriven naming the run, redriveCount 1",
            len(redrives) == 1 and
            redrives[0]["mapRunRedrivenEventDetails"] == {"mapRunArn": rrun, "redriveCount": 1},
            redrives)
    rc, out, err = cli("map-run", "describe", rrun, "--json")
    shown = json.loads(out) if rc == 0 else {}
    c.check("stepwise map-run describe --json (gRPC): redriveCount 1 and a redriveDate",
            shown.get("redriveCount") == 1 and "redriveDate" in shown, (rc, out, err))
    kids = {k["name"]: aws.describe(k["executionArn"]) for k in run_children()}
    c.check("only the failed child was redriven (redriveCount 1; the others 0)",
            sorted(k.get("redriveCount", 0) for k in kids.values()) == [0, 0, 1], kids)

    # --- a redriven child that fails again at once ends the round ---
    # Redrive reruns the failed state; a child failing in a Fail state fails
    # again within the redrive's own commit. That close must reach the Map
    # Run: before the fix the round never ended (MaxConcurrency 1 kept the
    # slot, the parent stayed RUNNING).
    stubborn = aws.create_machine("stubborn", {
        "StartAt": "Each", "States": {"Each": {
            "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "First", "States": {
                    "First": {"Type": "Choice", "Default": "Done", "Choices": [
                        {"Variable": "$.fail", "IsPresent": True, "Next": "Broken"}]},
                    "Broken": {"Type": "Fail", "Error": "Item.Stubborn", "Cause": "always"},
                    "Done": {"Type": "Pass", "End": True}}},
            "End": True}}})
    sparent = aws.ok("start-execution", "--state-machine-arn", stubborn, "--name", "s1",
                     "--input", json.dumps({"items": [{}, {"fail": 1}, {}]}))["executionArn"]
    first = aws.wait_status(sparent)
    aws.client().redrive_execution(executionArn=sparent)
    second = aws.wait_status(sparent)
    c.check("a redrive whose child fails again at once: the parent FAILS again (not RUNNING "
            "forever), redriveCount 1 in its list row",
            first["status"] == "FAILED" and second["status"] == "FAILED" and
            second.get("error") == "Item.Stubborn" and
            [e.get("redriveCount") for e in aws.client().list_executions(
                stateMachineArn=stubborn)["executions"]] == [1], (first, second))

    # --- bad input, as AWS answers it ---
    code, body = raw("UpdateMapRun", {"mapRunArn": run, "maxConcurrency": -1})
    c.check("UpdateMapRun maxConcurrency -1 -> ValidationException naming it",
            code == 400 and body["__type"] == "ValidationException" and
            "maxConcurrency" in body["message"], body)
    code, body = raw("UpdateMapRun", {"mapRunArn": run, "toleratedFailurePercentage": 101})
    c.check("UpdateMapRun toleratedFailurePercentage 101 -> ValidationException naming it",
            code == 400 and body["__type"] == "ValidationException" and
            "toleratedFailurePercentage" in body["message"], body)
    code, body = raw("UpdateMapRun", {"mapRunArn": run, "maxConcurrency": 5})
    c.check("UpdateMapRun of a finished run -> ValidationException",
            code == 400 and body["__type"] == "ValidationException", body)
    unknown = ACCOUNT + ":mapRun:invoices/items:0f2d8a3e-5e57-4c1b-9f55-1d2a6a0b8c11"
    c.check("describe-map-run of an unknown run -> ResourceNotFound",
            aws.error_of("describe-map-run", "--map-run-arn", unknown) == "ResourceNotFound")
    c.check("describe-map-run of a malformed ARN -> InvalidArn",
            aws.api_error("describe_map_run", mapRunArn="arn:nope")[0] == "InvalidArn")
    code, body = raw("ListExecutions", {"mapRunArn": run, "stateMachineArn": machine})
    c.check("ListExecutions with stateMachineArn and mapRunArn -> ValidationException",
            code == 400 and body["__type"] == "ValidationException", body)
    c.check("list-map-runs of an unknown execution -> ExecutionDoesNotExist",
            aws.api_error("list_map_runs", executionArn=ACCOUNT + ":execution:invoices:nope")[0]
            == "ExecutionDoesNotExist")

    # --- the stepwise CLI over gRPC ---
    rc, out, err = cli("map-run", "describe", run)
    c.check("stepwise map-run describe", rc == 0 and "SUCCEEDED" in out and
            "10 succeeded" in out, (rc, out, err))
    print(out)
    rc, out, err = cli("map-run", "list", parent, "--json")
    c.check("stepwise map-run list --json",
            rc == 0 and json.loads(out)["mapRuns"][0]["mapRunArn"] == run, (rc, out, err))
    rc, out, err = cli("map-run", "describe", unknown)
    c.check("stepwise map-run describe of an unknown run: exit 1, ResourceNotFound",
            rc == 1 and "ResourceNotFound" in err, (rc, err))
except Exception as e:  # noqa: BLE001
    import traceback
    traceback.print_exc()
    c.check("no exception", False, repr(e))
c.finish(daemon)
