#!/usr/bin/env python3
"""A batch STOP and kill -9: a real stepwised parks N executions on a Wait,
a batch operation stops them all (Stepwise.StartBatchOperation), stepwised
is killed with SIGKILL when the job has processed about half of them, and
restarted on the same data directory; the job resumes from its saved page.

Checks: the kill came while the job was RUNNING with some but not all
processed; after the restart the job SUCCEEDED with selectedCount N and
succeeded + skipped = N, failed 0 (skipped: the ones the page being worked
on at the kill had already stopped); every selected execution is ABORTED
with exactly one ExecutionAborted event; the executions started after the
job are still RUNNING.
Usage: batch_crash_test.py <stepwised>. BATCH_N executions (default 1000;
10000 is the long mode, docs in tests/crash/README.md). Exits 77 without
boto3.
"""
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "aws"))
from batch_calls import call, wait_job  # noqa: E402
from sfn_daemon import Aws, Checks, Daemon  # noqa: E402

try:
    import boto3  # noqa: F401
except ImportError:
    print("SKIP: boto3 not installed")
    sys.exit(77)

N = int(os.environ.get("BATCH_N", "1000"))
PARK = {"StartAt": "Park", "States": {"Park": {"Type": "Wait", "Seconds": 36000, "End": True}}}


def main():
    checks = Checks()
    daemon = Daemon(sys.argv[1])
    daemon.start()
    aws = Aws(None, daemon)
    try:
        machine = aws.create_machine("parked", PARK)
        t0 = time.time()

        local = threading.local()

        def sfn():
            # One client per thread, made once: botocore clients are costly to
            # make and are not to be shared freely (made again after a restart).
            if getattr(local, "starts", -1) != daemon.starts:
                local.client = Aws(None, daemon).client()
                local.starts = daemon.starts
            return local.client

        def start(i):
            return sfn().start_execution(
                stateMachineArn=machine, name=f"e{i}", input="{}")["executionArn"]

        with ThreadPoolExecutor(8) as pool:
            selected = list(pool.map(start, range(N)))
        print(f"started {N} executions in {time.time() - t0:.1f} s", flush=True)
        time.sleep(0.01)
        t1 = time.time()
        job = call(daemon, "StartBatchOperation",
                   {"operation": "STOP", "stateMachineArn": machine,
                    "error": "Batch.Crash", "cause": "halfway"})["batchOperationId"]
        time.sleep(0.01)
        later = [aws.client().start_execution(stateMachineArn=machine, name=f"late{i}",
                                              input="{}")["executionArn"] for i in range(5)]
        seen = {}
        while True:
            seen = call(daemon, "DescribeBatchOperation", {"batchOperationId": job})
            # Past half, inside a page (250 each), not at its edge.
            if seen["status"] != "RUNNING" or seen["processedCount"] >= N // 2 + 60:
                break
            time.sleep(0.002)
        daemon.kill9()
        checks.check("killed while the job ran, partly done",
                     seen["status"] == "RUNNING" and 0 < seen["processedCount"] < N,
                     {k: seen[k] for k in ("status", "processedCount", "selectedCount")})
        print(f"killed at processedCount {seen['processedCount']} of {N}, "
              f"{time.time() - t1:.2f} s after the job started", flush=True)
        daemon.start()
        t2 = time.time()
        done = wait_job(daemon, job, timeout=600)
        print(f"the job ended {time.time() - t2:.2f} s after the restart "
              f"({time.time() - t1:.2f} s after it started): "
              f"selected {done['selectedCount']}, succeeded {done['succeededCount']}, "
              f"skipped {done['skippedCount']}, failed {done['failedCount']}", flush=True)
        checks.check("the job SUCCEEDED after the restart", done["status"] == "SUCCEEDED", done)
        checks.check("it selected exactly the N started before it",
                     done["selectedCount"] == N, done["selectedCount"])
        checks.check("its counts add up (succeeded + skipped = selected, none failed)",
                     done["succeededCount"] + done["skippedCount"] == N
                     and done["failedCount"] == 0 and done["processedCount"] == N,
                     {k: done[k] for k in ("succeededCount", "skippedCount", "failedCount")})

        def aborted_events(arn):
            c = sfn()
            d = c.describe_execution(executionArn=arn)
            events = c.get_execution_history(executionArn=arn, maxResults=1000)["events"]
            return d["status"], sum(1 for e in events if e["type"] == "ExecutionAborted")

        t3 = time.time()
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(aborted_events, selected))
        bad = [(a, r) for a, r in zip(selected, results) if r != ("ABORTED", 1)]
        checks.check(f"all {N} selected executions ABORTED with exactly one ExecutionAborted",
                     not bad, bad[:5])
        print(f"checked {N} histories in {time.time() - t3:.1f} s", flush=True)
        rest = [aws.client().describe_execution(executionArn=a)["status"] for a in later]
        checks.check("executions started after the job still RUNNING",
                     rest == ["RUNNING"] * 5, rest)
    finally:
        checks.finish(daemon)


main()
