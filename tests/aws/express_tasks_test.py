#!/usr/bin/env python3
# Express executions run every kind of state the Standard ones do, with
# Retry and Catch, through a real stepwised and boto3's StartSyncExecution
# and StartExecution: a Map over three items, each a Parallel of two Lambda
# Tasks served from stepwised's function queue by a real `stepwise worker
# --function` process. One branch's function fails with "Flaky" the first
# time for each item (Retry runs it again), the other always fails with
# "Broken" (Catch goes on to a Pass with the error). An async Express execution of the same
# machine is followed to its end through the Express log file.
# Usage: express_tasks_test.py STEPWISED STEPWISE
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sfn_daemon import Checks, Daemon, wait_for  # noqa: E402

try:
    import boto3
    from botocore.config import Config
except ImportError:
    print("SKIP: boto3 not installed")
    sys.exit(77)

ROLE = "arn:aws:iam::123456789012:role/r"
FN = "arn:aws:lambda:us-east-1:123456789012:function:work"
GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:express-tasks:*"
MACHINE = {"StartAt": "Each", "States": {
    "Each": {"Type": "Map", "ItemsPath": "$.items", "End": True,
             "ItemProcessor": {"StartAt": "Both", "States": {
                 "Both": {"Type": "Parallel", "End": True, "Branches": [
                     {"StartAt": "Flaky", "States": {"Flaky": {
                         "Type": "Task", "Resource": FN, "Parameters": {"n.$": "$"},
                         "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1,
                                    "MaxAttempts": 2}],
                         "End": True}}},
                     {"StartAt": "Broken", "States": {
                         "Broken": {"Type": "Task", "Resource": FN,
                                    "Parameters": {"n.$": "$", "broken": True},
                                    "Catch": [{"ErrorEquals": ["States.ALL"],
                                               "Next": "Recovered"}],
                                    "End": True},
                         "Recovered": {"Type": "Pass", "End": True}}}]}}}}}}

# The function: doubles n; fails "Flaky" the first time it sees each n
# (a marker file per n), and "Broken" always when asked to.
FUNCTION = r'''
import json, os, sys
event = json.load(sys.stdin)
if event.get("broken"):
    print("error: Broken", file=sys.stderr); print("always broken", file=sys.stderr); sys.exit(1)
marker = os.path.join(sys.argv[1], "seen-%s" % event["n"])
if not os.path.exists(marker):
    open(marker, "w").close()
    print("error: Flaky", file=sys.stderr); print("first call", file=sys.stderr); sys.exit(1)
print(json.dumps({"doubled": event["n"] * 2}))
'''


def main():
    stepwised, stepwise = sys.argv[1], sys.argv[2]
    checks = Checks()
    daemon = Daemon(stepwised, ["--time-scale", "100"])
    log_dir = os.path.join(daemon.work, "express-logs")
    daemon.extra_args += ["--express-log-dir", log_dir]
    daemon.start()
    script = os.path.join(daemon.work, "fn.py")
    with open(script, "w") as f:
        f.write(FUNCTION)
    markers = os.path.join(daemon.work, "markers")
    os.makedirs(markers)
    worker = subprocess.Popen(
        [stepwise, "worker", "--function", "work", "--concurrency", "4",
         "--endpoint", f"127.0.0.1:{daemon.grpc_port}", "--", sys.executable, script, markers],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        run(checks, daemon, markers, log_dir)
    except Exception as e:  # noqa: BLE001 - reported as a failed check
        checks.check("no exception", False, repr(e))
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    checks.finish(daemon)


def run(checks, daemon, markers, log_dir):
    sfn = boto3.client("stepfunctions", endpoint_url=daemon.endpoint, region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x",
                       config=Config(inject_host_prefix=False, read_timeout=70,
                                     retries={"max_attempts": 0}))
    arn = sfn.create_state_machine(
        name="tasks", definition=json.dumps(MACHINE), roleArn=ROLE, type="EXPRESS",
        loggingConfiguration={"level": "ALL", "includeExecutionData": True,
                              "destinations": [{"cloudWatchLogsLogGroup":
                                                {"logGroupArn": GROUP}}]})["stateMachineArn"]
    want = [[{"doubled": n * 2}, {"Error": "Broken", "Cause": "error: Broken\nalways broken\n"}]
            for n in (1, 2, 3)]

    r = sfn.start_sync_execution(stateMachineArn=arn, input=json.dumps({"items": [1, 2, 3]}))
    checks.check("StartSyncExecution: Map of Parallels of Lambda Tasks SUCCEEDED",
                 r["status"] == "SUCCEEDED", r)
    got = json.loads(r.get("output", "null"))
    checks.check("Retry ran Flaky again and Catch recovered Broken, for every item",
                 got == want, got)
    checks.check("each item's Flaky function failed once first",
                 sorted(os.listdir(markers)) == ["seen-1", "seen-2", "seen-3"],
                 os.listdir(markers))

    # Async: the same machine, followed through its log file (the only
    # place an Express execution's history goes).
    for name in os.listdir(markers):
        os.remove(os.path.join(markers, name))
    ex = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"items": [1, 2, 3]}))
    path = os.path.join(log_dir, "express-tasks.jsonl")

    def events_of(execution_arn):
        if not os.path.exists(path):
            return []
        with open(path) as f:
            lines = [json.loads(line) for line in f if line.strip()]
        return [e for e in lines if e.get("execution_arn") == execution_arn]

    events = wait_for(lambda: [e for e in events_of(ex["executionArn"])
                               if e["type"] == "ExecutionSucceeded"] and
                      events_of(ex["executionArn"]), timeout=60) or []
    types = [e["type"] for e in events]
    checks.check("async Express execution SUCCEEDED (log file)",
                 "ExecutionSucceeded" in types, types[-5:])
    checks.check("its log shows the retried failures and the caught ones",
                 types.count("LambdaFunctionFailed") == 6 and
                 types.count("LambdaFunctionSucceeded") == 3,
                 {t: types.count(t) for t in set(types)})
    succeeded = [e for e in events if e["type"] == "ExecutionSucceeded"]
    out = json.loads(succeeded[0]["details"]["output"]) if succeeded else None
    checks.check("its output is the sync run's", out == want, out)


if __name__ == "__main__":
    main()
