#!/usr/bin/env python3
# A data directory written by an earlier build opens in this one and its
# executions carry on. The fixture (made by make_fixture.py with the build
# its name gives) holds running executions with queued and handed-out
# activity tasks, Map and Parallel fan-out, JSONata variables, an armed Wait
# timer, a Retry back-off and a heartbeat clock (all due by the time the test
# runs, whatever the date), and closed ones. This test starts the stepwised
# under test on a copy of it and checks that:
#  - every machine, activity and execution is there, and List, Describe and
#    GetExecutionHistory answer what the old build answered (closed
#    executions exactly; running ones with the old events as a prefix);
#  - the task token the old build handed out is accepted;
#  - the queued tasks, the timers and the retry run to the outputs the
#    definitions give, and the histories stay well formed.
# Usage: old_data_dir_test.py STEPWISED FIXTURE.tar.gz
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
FAILS = []


def check(what, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + what + ("" if cond else f": {detail}"))
    if not cond:
        FAILS.append(what)


def main():
    binary, fixture = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp()
    sw = None
    try:
        subprocess.check_call(["tar", "-C", work, "-xzf", fixture])
        old = json.load(open(os.path.join(work, "old_views.json")))
        tokens = json.load(open(os.path.join(work, "tokens.json")))
        sw = Stepwised(binary, os.path.join(work, "data"), work)

        machines = {m["name"]: m["stateMachineArn"]
                    for m in sw.call("ListStateMachines", {})["stateMachines"]}
        check("all 8 state machines are listed", len(machines) == 8, machines)
        acts = sw.call("ListActivities", {})["activities"]
        check("the activity is listed", [a["activityArn"] for a in acts] == [ACT], acts)

        # Closed executions: exactly what the old build answered.
        names = {}
        for arn in machines.values():
            for e in sw.call("ListExecutions", {"stateMachineArn": arn})["executions"]:
                names[e["name"]] = e
        check("every execution is listed", sorted(names) == sorted(old), sorted(names))
        for name, view in sorted(old.items()):
            arn = view["describe"]["executionArn"]
            if view["describe"]["status"] == "RUNNING":
                continue
            d = sw.call("DescribeExecution", {"executionArn": arn})
            # Added since that build (RedriveExecution): the redrive verdict.
            # An execution closed by the old build kept no redrive point.
            status, reason = d.pop("redriveStatus", None), d.pop("redriveStatusReason", None)
            want = ("Execution is SUCCEEDED and cannot be redriven."
                    if d["status"] == "SUCCEEDED"
                    else "Execution was started before the launch of RedriveExecution.")
            check(f"{name}: redriveStatus NOT_REDRIVABLE with its reason",
                  status == "NOT_REDRIVABLE" and reason == want, (status, reason))
            check(f"{name}: DescribeExecution as before", d == view["describe"],
                  f"{d} != {view['describe']}")
            h = sw.call("GetExecutionHistory", {"executionArn": arn, "maxResults": 1000})["events"]
            check(f"{name}: history as before", h == view["history"], f"{h} != {view['history']}")
            check(f"{name}: ListExecutions row as before", names.get(name) == view["list"],
                  f"{names.get(name)} != {view['list']}")

        # The token the old build handed out.
        sw.call("SendTaskSuccess", {"taskToken": tokens["chain-handed-out"],
                                    "output": json.dumps({"done": "by the held token"})})

        # Work the queue until every execution has closed.
        running = {n for n, v in old.items() if v["describe"]["status"] == "RUNNING"}
        deadline = time.time() + 90
        served = 0
        while time.time() < deadline:
            open_now = [n for n in running
                        if sw.call("DescribeExecution",
                                   {"executionArn": old[n]["describe"]["executionArn"]})
                        ["status"] == "RUNNING"]
            if not open_now:
                break
            t = sw.call("GetActivityTask", {"activityArn": ACT, "workerName": "compat"})
            if t.get("taskToken"):
                served += 1
                sw.call("SendTaskSuccess", {"taskToken": t["taskToken"],
                                            "output": json.dumps({"echo": json.loads(t["input"])})})
        check("every running execution closed", not open_now, open_now)
        check("7 queued or retried tasks were served", served == 7, served)

        def out(name):
            d = sw.call("DescribeExecution", {"executionArn": old[name]["describe"]["executionArn"]})
            return d["status"], json.loads(d.get("output", "null"))

        check("chain-handed-out: the held token's output",
              out("chain-handed-out") == ("SUCCEEDED", {"order": 1, "prep": {"step": 1},
                                                        "work": {"done": "by the held token"}}),
              out("chain-handed-out"))
        check("chain-queued: a worker's output",
              out("chain-queued") == ("SUCCEEDED", {"order": 2, "prep": {"step": 1}, "work": {
                  "echo": {"order": 2, "prep": {"step": 1}}}}), out("chain-queued"))
        check("fan-1: Map and Parallel results in order",
              out("fan-1") == ("SUCCEEDED", [[{"echo": 1}, {"echo": 2}, {"echo": 3}],
                                             {"echo": {"items": [1, 2, 3]}}]), out("fan-1"))
        check("vars-1: the JSONata variable survived",
              out("vars-1") == ("SUCCEEDED", {"got": {"echo": {"n": 42}}, "total": 42}),
              out("vars-1"))
        status, output = out("deadline-1")
        check("deadline-1: the heartbeat clock ran out and Catch took States.Timeout",
              status == "SUCCEEDED" and output.get("late", {}).get("Error") == "States.Timeout",
              (status, output))
        check("sleepy-1: the Wait timer fired", out("sleepy-1") == ("SUCCEEDED", "awake"),
              out("sleepy-1"))
        check("retrying-1: the retry ran after its back-off",
              out("retrying-1") == ("SUCCEEDED", {"echo": {"k": 1}}), out("retrying-1"))

        # Running executions: the old events are the start of the new history,
        # and ids keep counting from where they were.
        for name in sorted(running):
            arn = old[name]["describe"]["executionArn"]
            h = sw.call("GetExecutionHistory", {"executionArn": arn, "maxResults": 1000})["events"]
            before = old[name]["history"]
            check(f"{name}: old events begin the history", h[:len(before)] == before,
                  f"{h[:len(before)]} != {before}")
            check(f"{name}: event ids count on",
                  [e["id"] for e in h] == list(range(1, len(h) + 1)), [e["id"] for e in h])
            check(f"{name}: ends with ExecutionSucceeded", h[-1]["type"] == "ExecutionSucceeded",
                  h[-1])
        # A second restart still opens and answers the same.
        sw.stop()
        sw = Stepwised(binary, os.path.join(work, "data"), work)
        check("reopened: retrying-1 still SUCCEEDED", out("retrying-1")[0] == "SUCCEEDED")
    finally:
        if sw is not None and sw.proc.poll() is None:
            sw.stop()
        log = os.path.join(work, "stepwised.log")
        if FAILS and os.path.exists(log):
            print(open(log).read()[-4000:])
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(FAILS)} failed")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
