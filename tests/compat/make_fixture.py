#!/usr/bin/env python3
# Writes the data directory that old_data_dir_test.py opens: run once with a
# stepwised built from the release the fixture stands for, then commit the
# tarball it prints. Usage:
#   make_fixture.py STEPWISED OUT.tar.gz
# The fixture holds, all written by that build: executions left RUNNING
# (an activity task queued and one handed out, one whose heartbeat ran out, a Map and a Parallel over
# activity tasks, a JSONata machine with variables, a Wait timer and a
# Retry's back-off timer armed), closed ones (SUCCEEDED, FAILED, ABORTED),
# tokens.json: the task token handed out, for the test to report with; and
# old_views.json: what that build answered for every execution (List,
# Describe, GetExecutionHistory), for the test to compare with.
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sfn import Stepwised  # noqa: E402

ACT = "arn:aws:states:us-east-1:123456789012:activity:work"


# Tasks carry no clocks of their own unless a machine wants one to have run
# out (Deadline): the fixture must not change meaning with the date it is
# opened on.
def task(next_or_end, **extra):
    t = {"Type": "Task", "Resource": ACT}
    t.update(extra)
    t.update(next_or_end)
    return t


MACHINES = {
    "Chain": {"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Result": {"step": 1}, "ResultPath": "$.prep", "Next": "Work"},
        "Work": task({"Next": "Done"}, ResultPath="$.work"),
        "Done": {"Type": "Succeed"}}},
    "Fan": {"StartAt": "Both", "States": {
        "Both": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "Each", "States": {"Each": {
                "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "End": True,
                "ItemProcessor": {"StartAt": "Item", "States": {"Item": task({"End": True})}}}}},
            {"StartAt": "One", "States": {"One": task({"End": True})}}]}}},
    "Vars": {"QueryLanguage": "JSONata", "StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"total": "{% $states.input.n * 2 %}"}, "Next": "Work"},
        "Work": {"Type": "Task", "Resource": ACT, "Arguments": {"n": "{% $total %}"},
                 "Output": "{% {'got': $states.result, 'total': $total} %}", "End": True}}},
    "Sleepy": {"StartAt": "Nap", "States": {
        "Nap": {"Type": "Wait", "Seconds": 5, "Next": "Woke"},
        "Woke": {"Type": "Pass", "Result": "awake", "End": True}}},
    "Retrying": {"StartAt": "Flaky", "States": {
        "Flaky": task({"End": True}, Retry=[{"ErrorEquals": ["Flake"], "IntervalSeconds": 5,
                                             "MaxAttempts": 3}])}},
    "Deadline": {"StartAt": "Slow", "States": {
        "Slow": task({"End": True}, HeartbeatSeconds=2, Catch=[
            {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.late", "Next": "Late"}]),
        "Late": {"Type": "Pass", "End": True}}},
    "Quick": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
    "Boom": {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "as planned"}}},
}


def main():
    binary, out = sys.argv[1], os.path.abspath(sys.argv[2])
    work = tempfile.mkdtemp()
    data = os.path.join(work, "data")
    sw = Stepwised(binary, data, work)
    try:
        sw.call("CreateActivity", {"name": "work"})
        arns = {}
        for name, d in MACHINES.items():
            arns[name] = sw.call("CreateStateMachine", {
                "name": name, "definition": json.dumps(d),
                "roleArn": "arn:aws:iam::123456789012:role/fixture"})["stateMachineArn"]

        def start(machine, name, inp):
            return sw.call("StartExecution", {"stateMachineArn": arns[machine], "name": name,
                                              "input": json.dumps(inp)})["executionArn"]

        # The first activity task handed out is Retrying's; fail it once so
        # its back-off timer is armed, then hand out Chain's and keep it.
        start("Retrying", "retrying-1", {"k": 1})
        t = sw.call("GetActivityTask", {"activityArn": ACT, "workerName": "fixture"})
        sw.call("SendTaskFailure", {"taskToken": t["taskToken"], "error": "Flake", "cause": "once"})
        start("Chain", "chain-handed-out", {"order": 1})
        held = sw.call("GetActivityTask", {"activityArn": ACT, "workerName": "fixture"})
        assert json.loads(held["input"])["prep"] == {"step": 1}, held
        # Deadline's task is handed out too: its heartbeat clock (2 s) has
        # run out whenever the fixture is opened.
        start("Deadline", "deadline-1", {"d": 1})
        late = sw.call("GetActivityTask", {"activityArn": ACT, "workerName": "fixture"})
        assert json.loads(late["input"]) == {"d": 1}, late
        start("Chain", "chain-queued", {"order": 2})
        start("Fan", "fan-1", {"items": [1, 2, 3]})
        start("Vars", "vars-1", {"n": 21})
        start("Sleepy", "sleepy-1", {})
        start("Quick", "quick-1", {"q": True})
        start("Boom", "boom-1", {})
        stopped = start("Chain", "chain-stopped", {"order": 3})
        sw.call("StopExecution", {"executionArn": stopped, "error": "Operator", "cause": "fixture"})
        time.sleep(1)
        with open(os.path.join(work, "tokens.json"), "w") as f:
            json.dump({"chain-handed-out": held["taskToken"]}, f)
        # What this build answered for every execution, for the test to
        # compare the new build's answers with.
        views = {}
        for machine, arn in arns.items():
            for e in sw.call("ListExecutions", {"stateMachineArn": arn})["executions"]:
                a = e["executionArn"]
                views[e["name"]] = {
                    "list": e,
                    "describe": sw.call("DescribeExecution", {"executionArn": a}),
                    "history": sw.call("GetExecutionHistory", {"executionArn": a,
                                                               "maxResults": 1000})["events"],
                }
        with open(os.path.join(work, "old_views.json"), "w") as f:
            json.dump(views, f, indent=1, sort_keys=True)
    finally:
        sw.stop()
    subprocess.check_call(["tar", "-C", work, "-czf", out, "data", "tokens.json", "old_views.json"])
    shutil.rmtree(work)
    print(out)


if __name__ == "__main__":
    main()
