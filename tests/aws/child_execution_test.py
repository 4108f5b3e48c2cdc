#!/usr/bin/env python3
# Nested executions (arn:aws:states:::states:startExecution) against the real
# stepwised over its AWS endpoint, with stepwised killed by SIGKILL and
# restarted on the same data directory: right after each parent's start, and
# at random moments while the parents wait (down for up to 1 s, so timers
# fall due meanwhile), and right after the test's own
# SendTask*/StopExecution calls. Parents use .sync, .sync:2, the plain
# request-response start (fire and forget) and .waitForTaskToken; children
# succeed, fail, are stopped, or see their parent stopped or time out
# (TimeoutSeconds). Afterwards every
# parent has ended as AWS ends it and every parent has exactly one child
# (counted by AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID in the children's
# inputs, and matched with the ExecutionArn the parent's history reports).
# The client is botocore (the library under the AWS CLI), for speed.
# Usage: child_execution_test.py <stepwised> [--seed N]. Exits 77 without
# botocore.
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sfn_daemon import ACCOUNT, ROLE, Checks, Daemon, wait_for  # noqa: E402

try:
    import botocore.session
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError:
    print("SKIP: botocore is not installed (it comes with the AWS CLI: apt-get install awscli)")
    sys.exit(77)

STEPWISED = sys.argv[1]
SEED = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else \
    random.SystemRandom().randrange(1 << 30)
print(f"seed {SEED} (rerun with --seed {SEED})", flush=True)
rng = random.Random(SEED)

CHILD = f"{ACCOUNT}:stateMachine:Child"
CHILD_DEFINITION = {
    "StartAt": "Sleep",
    "States": {
        "Sleep": {"Type": "Wait", "SecondsPath": "$.sleep", "Next": "Outcome"},
        "Outcome": {"Type": "Choice", "Default": "Done", "Choices": [
            {"Variable": "$.outcome", "StringEquals": "fail", "Next": "Fail"}]},
        "Fail": {"Type": "Fail", "Error": "ChildFailed", "Cause": "the child failed on purpose"},
        "Done": {"Type": "Pass", "Parameters": {"child": "done", "scenario.$": "$.scenario"},
                 "End": True},
    },
}
PATTERNS = {  # parent machine -> Resource
    "ParentSync": "arn:aws:states:::states:startExecution.sync",
    "ParentSync2": "arn:aws:states:::states:startExecution.sync:2",
    "ParentFire": "arn:aws:states:::states:startExecution",
    "ParentToken": "arn:aws:states:::states:startExecution.waitForTaskToken",
    "ParentSyncTimeout": "arn:aws:states:::states:startExecution.sync",  # TimeoutSeconds 3
}
# name: (parent machine, child's Wait seconds, child outcome, the test's action)
SCENARIOS = {
    "sync_ok": ("ParentSync", 2, "ok", None),
    "sync2_ok": ("ParentSync2", 2, "ok", None),
    "sync_fail": ("ParentSync", 2, "fail", None),
    "sync2_fail": ("ParentSync2", 2, "fail", None),
    "fire": ("ParentFire", 2, "ok", None),
    "token_ok": ("ParentToken", 2, "ok", "send-success"),
    "token_fail": ("ParentToken", 2, "ok", "send-failure"),
    "sync_stop_parent": ("ParentSync", 300, "ok", "stop-parent"),
    "sync2_stop_child": ("ParentSync2", 300, "ok", "stop-child"),
    "token_stop_parent": ("ParentToken", 2, "ok", "stop-parent"),
    "sync_timeout": ("ParentSyncTimeout", 300, "ok", None),
}

c = Checks()
daemon = Daemon(STEPWISED)
client = None


def connect():
    global client
    client = botocore.session.get_session().create_client(
        "stepfunctions", endpoint_url=daemon.endpoint, region_name="us-east-1",
        aws_access_key_id="x", aws_secret_access_key="x",
        config=Config(inject_host_prefix=False, retries={"max_attempts": 8, "mode": "standard"},
                      connect_timeout=5, read_timeout=30))


def kill9(down=0.0):
    """SIGKILL, `down` seconds without a server (timers fall due), restart."""
    daemon.kill9()
    time.sleep(down)
    daemon.start()
    connect()  # no pooled connection to the dead process


def parent_definition(machine):
    child_input = {"sleep.$": "$.sleep", "outcome.$": "$.outcome", "scenario.$": "$.scenario",
                   "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}
    if machine == "ParentToken":
        child_input["TaskToken.$"] = "$$.Task.Token"
    task = {"Type": "Task", "Resource": PATTERNS[machine],
            "Parameters": {"StateMachineArn": CHILD, "Input": child_input}, "End": True}
    if machine == "ParentSyncTimeout":
        task["TimeoutSeconds"] = 3
    return {"StartAt": "RunChild", "States": {"RunChild": task}}


def children():
    """Every execution of Child, described: [(parent arn, description)]."""
    out = []
    for page in client.get_paginator("list_executions").paginate(stateMachineArn=CHILD):
        for e in page["executions"]:
            d = client.describe_execution(executionArn=e["executionArn"])
            out.append((json.loads(d["input"]).get("AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"), d))
    return out


def children_of(parent):
    return [d for p, d in children() if p == parent]


def start_parent(name, variant):
    machine, sleep, outcome, _ = SCENARIOS[name]
    return client.start_execution(
        stateMachineArn=f"{ACCOUNT}:stateMachine:{machine}", name=f"{name}-{variant}",
        input=json.dumps({"sleep": sleep, "outcome": outcome, "scenario": name}))["executionArn"]


def act(name, parent):
    """The test's part of a scenario: answer the callback or stop someone."""
    action = SCENARIOS[name][3]
    if action is None:
        return
    kids = wait_for(lambda: children_of(parent), timeout=20)
    if not c.check(f"{parent}: its child exists before the {action}", kids):
        return
    kid = kids[0]
    if action == "send-success":
        token = json.loads(kid["input"])["TaskToken"]
        client.send_task_success(taskToken=token, output=json.dumps({"answer": name}))
    elif action == "send-failure":
        token = json.loads(kid["input"])["TaskToken"]
        client.send_task_failure(taskToken=token, error="Nope", cause="the child said no")
    elif action == "stop-parent":
        client.stop_execution(executionArn=parent, error="Test", cause="stopped by the test")
    elif action == "stop-child":
        client.stop_execution(executionArn=kid["executionArn"], error="Test",
                              cause="stopped by the test")


def reported_child(parent):
    """The ExecutionArn in the parent's TaskSubmitted (or TaskSucceeded) output."""
    events = client.get_execution_history(executionArn=parent, maxResults=1000)["events"]
    for e in events:
        for key in ("taskSubmittedEventDetails", "taskSucceededEventDetails"):
            if key in e:
                out = json.loads(e[key].get("output", "{}"))
                if "ExecutionArn" in out:
                    return out["ExecutionArn"]
    return None


def check_parent(name, parent, kids):
    machine, _, outcome, action = SCENARIOS[name]
    d = client.describe_execution(executionArn=parent)
    status, error = d["status"], d.get("error")
    output = json.loads(d["output"]) if "output" in d else None
    if not c.check(f"{parent}: exactly one child", len(kids) == 1,
                   [k["executionArn"] for k in kids]):
        return
    kid = kids[0]
    c.check(f"{parent}: its history names that child", reported_child(parent) == kid["executionArn"],
            f"{reported_child(parent)} != {kid['executionArn']}")
    child_output = {"child": "done", "scenario": name}
    if action in ("stop-parent",):
        want_child = "ABORTED" if machine != "ParentToken" else "SUCCEEDED"
        c.check(f"{parent}: ABORTED, child {want_child}",
                status == "ABORTED" and kid["status"] == want_child, (status, kid["status"]))
    elif action == "stop-child":
        cause = json.loads(d.get("cause", "{}"))
        c.check(f"{parent}: FAILED States.TaskFailed, child ABORTED",
                status == "FAILED" and error == "States.TaskFailed" and
                cause.get("Status") == "ABORTED" and kid["status"] == "ABORTED", d)
    elif action == "send-success":
        c.check(f"{parent}: SUCCEEDED with the sent output",
                status == "SUCCEEDED" and output == {"answer": name}, d)
    elif action == "send-failure":
        c.check(f"{parent}: FAILED with the sent error",
                status == "FAILED" and error == "Nope" and d.get("cause") == "the child said no", d)
    elif machine == "ParentSyncTimeout":
        c.check(f"{parent}: FAILED States.Timeout (TimeoutSeconds), child ABORTED",
                status == "FAILED" and error == "States.Timeout" and kid["status"] == "ABORTED",
                (d, kid["status"]))
    elif machine == "ParentFire":
        # StartExecution's answer, plus the SDK metadata AWS's optimized
        # integrations add.
        c.check(f"{parent}: SUCCEEDED with ExecutionArn and StartDate",
                status == "SUCCEEDED" and {"ExecutionArn", "StartDate"} <= set(output) <=
                {"ExecutionArn", "StartDate", "SdkHttpMetadata", "SdkResponseMetadata"} and
                output["ExecutionArn"] == kid["executionArn"], d)
        c.check(f"{parent}: the child ran on and SUCCEEDED", kid["status"] == "SUCCEEDED", kid)
    elif outcome == "fail":
        cause = json.loads(d.get("cause", "{}"))
        c.check(f"{parent}: FAILED States.TaskFailed with the child's description",
                status == "FAILED" and error == "States.TaskFailed" and
                cause.get("Status") == "FAILED" and cause.get("Error") == "ChildFailed" and
                cause.get("ExecutionArn") == kid["executionArn"], d)
    else:
        want = json.dumps(child_output, separators=(",", ":"))
        ok = status == "SUCCEEDED" and output.get("Status") == "SUCCEEDED" and \
            output.get("ExecutionArn") == kid["executionArn"]
        if machine == "ParentSync":
            ok = ok and isinstance(output.get("Output"), str) and \
                json.loads(output["Output"]) == child_output
        else:
            ok = ok and output.get("Output") == child_output
        c.check(f"{parent}: SUCCEEDED with the child's description "
                f"(Output as {'text' if machine == 'ParentSync' else 'JSON'}, e.g. {want})", ok, d)


def main():
    daemon.start()
    connect()
    client.create_state_machine(name="Child", roleArn=ROLE, definition=json.dumps(CHILD_DEFINITION))
    for machine in PATTERNS:
        client.create_state_machine(name=machine, roleArn=ROLE,
                                    definition=json.dumps(parent_definition(machine)))
    parents = {}  # arn -> scenario
    t0 = time.time()
    # SIGKILL right after each parent's start.
    for name in SCENARIOS:
        parents[start_parent(name, "k0")] = name
        kill9()
    # SIGKILL at random moments while the parents wait.
    for name in SCENARIOS:
        parents[start_parent(name, "kr")] = name
    for _ in range(3):
        time.sleep(rng.uniform(0.0, 1.5))
        kill9(down=rng.uniform(0.0, 1.0))
    print(f"... {daemon.starts - 1} SIGKILLs so far, {time.time() - t0:.1f} s", flush=True)
    # The test's part, then a SIGKILL right after it.
    for parent, name in parents.items():
        act(name, parent)
    time.sleep(rng.uniform(0.0, 0.3))
    kill9()
    print(f"... {daemon.starts - 1} SIGKILLs, {time.time() - t0:.1f} s", flush=True)

    def all_closed():
        return all(client.describe_execution(executionArn=p)["status"] != "RUNNING"
                   for p in parents)
    c.check("every parent closed", wait_for(all_closed, timeout=40, interval=0.3))
    # Children that outlive their parent (fire and forget, callback) finish too.
    c.check("every child closed", wait_for(
        lambda: all(d["status"] != "RUNNING" for _, d in children()), timeout=20, interval=0.3),
        [(d["executionArn"], d["status"]) for _, d in children()])
    every_child = children()
    by_parent = {}
    for p, d in every_child:
        by_parent.setdefault(p, []).append(d)
    c.check("every child names a parent of this test", set(by_parent) <= set(parents),
            set(by_parent) - set(parents))
    c.check(f"{len(parents)} parents, {len(parents)} children",
            len(every_child) == len(parents), len(every_child))
    for parent, name in parents.items():
        check_parent(name, parent, by_parent.get(parent, []))
    print(f"... done in {time.time() - t0:.1f} s", flush=True)


try:
    main()
except (ClientError, RuntimeError, OSError, ValueError, KeyError) as e:
    c.check("test ran to the end", False, repr(e))
finally:
    daemon.stop()
c.finish(daemon)
