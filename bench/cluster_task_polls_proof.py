#!/usr/bin/env python3
"""Proof of task polls served by any node of a cluster (docs/postgres.md
"Task polls on any node"), run by hand, not by ctest: starts
deploy/cluster/run-local.sh's PostgreSQL and three nodes on ports of its own,
starts N executions of an activity Task round-robin through the three nodes'
AWS JSON endpoints while W workers (boto3, each bound to one of the first K
nodes, in turn)
poll GetActivityTask and answer SendTaskSuccess to the node they polled,
then checks: every execution SUCCEEDED, exactly one ActivityStarted in each
history, no task token handed out twice, and how many tasks were handed out
by a node other than the polled one (the execution's owner: DescribeCluster
via psql). Prints tasks/s and the hand-out delays (ActivityScheduled to
ActivityStarted, from the histories). Exits 1 when a check fails.

  bench/cluster_task_polls_proof.py [--executions N] [--workers W] [--poll-nodes K] [--keep]

Needs the build/dev binaries (STEPWISED overrides), boto3, PostgreSQL 15.
One thread per worker plus the starter; the cluster is stopped at the end.
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time

import boto3
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATE = "/tmp/stepwise-polls-proof"
ENV = dict(os.environ, STEPWISE_CLUSTER_DIR=STATE, GRPC_BASE="27710", HTTP_BASE="28090",
           PG_PORT="56432", STEPWISE=os.environ.get("STEPWISE", "/bin/true"))
ENDPOINTS = ["http://127.0.0.1:%d" % (28090 + i) for i in (1, 2, 3)]
ACCOUNT = "123456789012"


def client(endpoint):
    return boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(read_timeout=70, retries={"max_attempts": 0}))


def run_local(cmd):
    subprocess.run([os.path.join(ROOT, "deploy/cluster/run-local.sh"), cmd], env=ENV, check=True,
                   stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--executions", type=int, default=300)
    ap.add_argument("--workers", type=int, default=6)
    ap.add_argument("--poll-nodes", type=int, default=1,
                    help="the workers poll only the first K nodes (1: 2/3 of the tasks "
                         "must come from another node)")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()

    run_local("start")
    failures = []
    try:
        time.sleep(6)  # the shards balance (lease TTL)
        admin = client(ENDPOINTS[0])
        activity = admin.create_activity(name="proof")["activityArn"]
        machine = admin.create_state_machine(
            name="proof", roleArn="arn:aws:iam::%s:role/r" % ACCOUNT,
            definition=json.dumps({"StartAt": "T", "States": {
                "T": {"Type": "Task", "Resource": activity, "End": True}}}))["stateMachineArn"]

        lock = threading.Lock()
        tokens = set()
        duplicates = []
        handed = {}  # input -> endpoint of the worker
        done = threading.Event()

        def worker(index):
            endpoint = ENDPOINTS[index % args.poll_nodes]
            sfn = client(endpoint)
            while not done.is_set():
                try:
                    t = sfn.get_activity_task(activityArn=activity, workerName="w%d" % index)
                except Exception:  # the cluster stopping under a last poll
                    if done.is_set():
                        return
                    raise
                token = t.get("taskToken")
                if not token:
                    continue
                with lock:
                    if token in tokens:
                        duplicates.append(token)
                    tokens.add(token)
                    handed[t["input"]] = endpoint
                    if len(handed) >= args.executions:
                        done.set()
                sfn.send_task_success(taskToken=token, output="{}")

        threads = [threading.Thread(target=worker, args=(i,), daemon=True)
                   for i in range(args.workers)]
        for t in threads:
            t.start()
        time.sleep(1)  # the workers wait before the first task is scheduled
        starters = [client(e) for e in ENDPOINTS]
        began = time.time()
        arns = []
        for i in range(args.executions):
            arns.append(starters[i % 3].start_execution(
                stateMachineArn=machine, name="p%d" % i,
                input=json.dumps({"i": i}))["executionArn"])
        if not done.wait(120):
            failures.append("only %d of %d tasks handed out within 120 s" %
                            (len(handed), args.executions))
        elapsed = time.time() - began
        print("%d tasks handed out in %.1f s (%.0f tasks/s) to %d workers polling %d of 3 nodes" %
              (len(handed), elapsed, len(handed) / elapsed, args.workers, args.poll_nodes))
        if duplicates:
            failures.append("%d task tokens handed out twice" % len(duplicates))

        owners = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", "56432", "-U", "stepwise", "stepwise", "-Atc",
             "SELECT shard_id, split_part(owner, '#', 1) FROM shards"],
            capture_output=True, text=True).stdout
        delays = []
        time.sleep(1)
        for arn in arns:
            d = admin.describe_execution(executionArn=arn)
            if d["status"] != "SUCCEEDED":
                failures.append("%s is %s" % (arn, d["status"]))
            events = admin.get_execution_history(executionArn=arn, maxResults=100)["events"]
            started = [e for e in events if e["type"] == "ActivityStarted"]
            scheduled = [e for e in events if e["type"] == "ActivityScheduled"]
            if len(started) != 1:
                failures.append("%s has %d ActivityStarted" % (arn, len(started)))
            elif scheduled:
                delays.append((started[0]["timestamp"] - scheduled[0]["timestamp"]).total_seconds())
        delays.sort()
        if delays:
            print("ActivityScheduled -> ActivityStarted: median %.0f ms, p99 %.0f ms, max %.0f ms" %
                  (1000 * delays[len(delays) // 2], 1000 * delays[int(len(delays) * 0.99)],
                   1000 * delays[-1]))
        print("shard owners: %s" % " ".join(sorted(set(
            line.split("|")[1] for line in owners.split() if "|" in line))))
        for e in ENDPOINTS:
            metrics = subprocess.run(["curl", "-s", e + "/metrics"], capture_output=True,
                                     text=True).stdout
            lines = [l for l in metrics.splitlines()
                     if l.startswith("stepwise_cluster_task_")]
            print("%s: %s" % (e, "; ".join(lines)))
    finally:
        run_local("stop" if args.keep else "clean")
    for f in failures[:20]:
        print("FAIL: " + f)
    print("FAILED" if failures else "OK: every task handed out exactly once, every execution "
          "SUCCEEDED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
