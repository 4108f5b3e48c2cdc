#!/usr/bin/env python3
# A .sync parent that is stopped stops its child (AWS stops the job a .sync
# Task runs), even when stepwised is killed with SIGKILL right after
# StopExecution answered: for each of N parents (default 10) the test waits
# for the child to run (its Wait is 300 s), stops the parent, SIGKILLs
# stepwised as soon as the answer arrives and restarts it on the same data
# directory; afterwards every parent is ABORTED and so is every child.
# Registered as ctest aws_child_stop_crash. Before the stop row existed it
# failed (3 children of 10 left running): the child's StopExecution was only
# an after-commit effect of the parent's commit, lost when the process died.
# Usage: child_stop_crash_test.py <stepwised> [N]. Exits 77 without botocore.
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sfn_daemon import ACCOUNT, Aws, Checks, Daemon, wait_for  # noqa: E402

try:
    import botocore  # noqa: F401
except ImportError:
    print("SKIP: botocore is not installed (it comes with the AWS CLI: apt-get install awscli)")
    sys.exit(77)

STEPWISED = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 10
CHILD = f"{ACCOUNT}:stateMachine:Child"

c = Checks()
daemon = Daemon(STEPWISED)
aws = Aws("", daemon)  # botocore only


def child_of(parent):
    for e in aws.executions(CHILD):
        d = aws.describe(e["executionArn"])
        if json.loads(d["input"]).get("AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID") == parent:
            return d
    return None


def main():
    daemon.start()
    aws.create_machine("Child", {"StartAt": "Sleep", "States": {
        "Sleep": {"Type": "Wait", "Seconds": 300, "End": True}}})
    parent_machine = aws.create_machine("Parent", {"StartAt": "RunChild", "States": {"RunChild": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
        "Parameters": {"StateMachineArn": CHILD, "Input": {
            "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}},
        "End": True}}})
    parents = []
    for i in range(N):
        parent = aws.client().start_execution(stateMachineArn=parent_machine,
                                              name=f"p{i}")["executionArn"]
        parents.append(parent)
        if not c.check(f"{parent}: its child runs", wait_for(lambda: child_of(parent),
                                                             interval=0.02)):
            return
        aws.client().stop_execution(executionArn=parent, error="Test", cause="stopped by the test")
        daemon.restart_after_kill9()
    time.sleep(2)  # time to stop a child after the restart, if anything would
    for parent in parents:
        kid = child_of(parent)
        c.check(f"{parent}: ABORTED and its child ABORTED",
                aws.describe(parent)["status"] == "ABORTED" and kid["status"] == "ABORTED",
                (aws.describe(parent)["status"], kid["executionArn"], kid["status"]))


try:
    main()
except Exception as e:  # a step that could not run is a failure, with the log
    c.check("test ran to the end", False, repr(e))
finally:
    daemon.stop()
c.finish(daemon)
