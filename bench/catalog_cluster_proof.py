#!/usr/bin/env python3
"""Proof of the state machine catalog across cluster nodes (engine/catalog.h),
run by hand, not by ctest: starts deploy/cluster/run-local.sh's PostgreSQL and
three nodes on ports of its own, then through their AWS JSON endpoints (boto3):

  1. two threads call UpdateStateMachine on one machine N times each, one
     through node 1 and one through node 2, at once: every call must answer a
     distinct revisionId, and node 3 must describe revision 2N+1;
  2. an update through node 1: executions started through node 3 may run the
     previous definition within the catalog cache TTL (1 s, AWS's own
     eventual-consistency window) and must run the new one 1.1 s later;
  3. a delete through node 1: StartExecution through node 3 must answer
     StateMachineDoesNotExist 1.1 s later.

Exits 1 when a check fails. Before the compare-and-set catalog writes, step
1 answered 40 distinct revisionIds of 80 (every other update lost) and step 3
started the deleted machine.

  bench/catalog_cluster_proof.py [--updates N] [--keep]

Needs the build/dev binaries (STEPWISED overrides), boto3, PostgreSQL 15.
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
STATE = "/tmp/stepwise-catalog-proof"
ENV = dict(os.environ, STEPWISE_CLUSTER_DIR=STATE, GRPC_BASE="27810", HTTP_BASE="28190",
           PG_PORT="56532", STEPWISE=os.environ.get("STEPWISE", "/bin/true"))
ENDPOINTS = {i: "http://127.0.0.1:%d" % (28190 + i) for i in (1, 2, 3)}
ROLE = "arn:aws:iam::123456789012:role/r"


def client(node):
    return boto3.client("stepfunctions", endpoint_url=ENDPOINTS[node], region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(retries={"max_attempts": 1}))


def cluster(cmd):
    subprocess.run([os.path.join(ROOT, "deploy/cluster/run-local.sh"), cmd], env=ENV, check=True,
                   stdout=subprocess.DEVNULL)


def pass_definition(result):
    return json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result,
                                                        "End": True}}})


def output_of(sfn, arn, name):
    execution = sfn.start_execution(stateMachineArn=arn, name=name, input="{}")["executionArn"]
    for _ in range(200):
        d = sfn.describe_execution(executionArn=execution)
        if d["status"] != "RUNNING":
            return d.get("output")
        time.sleep(0.05)
    return None


def prove(updates):
    failures = []
    sfn = {i: client(i) for i in ENDPOINTS}
    arn = sfn[1].create_state_machine(name="race", definition=pass_definition(0),
                                      roleArn=ROLE)["stateMachineArn"]
    answered = {1: [], 2: []}
    errors = []

    def update_through(node):
        own = client(node)
        for k in range(updates):
            try:
                r = own.update_state_machine(stateMachineArn=arn,
                                             definition=pass_definition(node * 1000 + k))
                answered[node].append(r["revisionId"])
            except Exception as e:  # noqa: BLE001 (reported below)
                errors.append(str(e))

    started = time.time()
    threads = [threading.Thread(target=update_through, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - started
    ids = answered[1] + answered[2]
    final = sfn[3].describe_state_machine(stateMachineArn=arn)["revisionId"]
    print("1. %d updates through two nodes in %.1f s: %d answered, %d distinct revisionIds, "
          "%d errors; node 3 describes %s" % (2 * updates, elapsed, len(ids), len(set(ids)),
                                              len(errors), final))
    if len(set(ids)) != 2 * updates or errors or final != "race-%d" % (2 * updates + 1):
        failures.append("concurrent updates: %s" % (errors[:2] or "revisions lost or repeated"))

    sfn[1].update_state_machine(stateMachineArn=arn, definition=pass_definition(777))
    within = output_of(sfn[3], arn, "within-ttl")
    time.sleep(1.1)
    after = output_of(sfn[3], arn, "after-ttl")
    print("2. after an update through node 1, through node 3: %s at once (either), %s 1.1 s "
          "later (want 777)" % (within, after))
    if after != "777":
        failures.append("update not seen 1.1 s later: %s" % after)

    sfn[1].delete_state_machine(stateMachineArn=arn)
    time.sleep(1.1)
    try:
        sfn[3].start_execution(stateMachineArn=arn, name="after-delete", input="{}")
        print("3. after a delete through node 1, node 3 STARTED an execution")
        failures.append("deleted machine started")
    except sfn[3].exceptions.StateMachineDoesNotExist:
        print("3. after a delete through node 1, node 3 answers StateMachineDoesNotExist")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=40, help="updates per thread")
    parser.add_argument("--keep", action="store_true", help="leave the cluster running")
    args = parser.parse_args()
    cluster("start")
    try:
        failures = prove(args.updates)
    finally:
        if not args.keep:
            cluster("clean")
    for f in failures:
        print("FAILED:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
