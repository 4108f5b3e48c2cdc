#!/usr/bin/env python3
"""Restart from any state and kill -9: a real stepwised restarts many closed
executions (Stepwise.RestartExecution, half with a name, half with the
default NAME-restart-N) while it is killed with SIGKILL CRASH_KILLS times (half
at random instants, half at a random group commit: STEPWISE_TEST_CRASH_POINT
after_write:N) and restarted on the same data directory. Each request is
retried until it is acknowledged, as a client would after a lost reply.

A restart is two commits on two executions (the new one, then the link in
the original); the checks say that after recovery each one either fully
exists or was completed by its retry:
  - every acknowledged execution exists and begins with an ExecutionStarted
    naming its original (stepwiseRestartedFrom);
  - each original's ExecutionRestarted events name distinct executions (no
    link twice), and exactly the executions that name it as their origin (no
    restarted execution left unlinked, no link to nothing);
  - each named request is one execution, linked once;
  - every original is still FAILED and each restarted execution ran to its
    end (FAILED at the same Fail state).
Usage: restart_crash_test.py <stepwised>. Exits 77 without boto3.
"""
import json
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "aws"))
from sfn_daemon import Checks, Daemon  # noqa: E402

try:
    import boto3
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.config import Config
    from botocore.credentials import Credentials
    from botocore.httpsession import URLLib3Session
except ImportError:
    print("SKIP: boto3 not installed")
    sys.exit(77)

ROLE = "arn:aws:iam::123456789012:role/r"
FAILING = {"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Result": "a", "ResultPath": "$.a", "Next": "B"},
    "B": {"Type": "Pass", "Result": "b", "ResultPath": "$.b", "Next": "F"},
    "F": {"Type": "Fail", "Error": "Broken", "Cause": "always"}}}


class Api:
    """The daemon's AWS endpoint as it runs now: botocore for AWS's actions,
    botocore's signer and HTTP session for the extension and raw reads."""

    def __init__(self, daemon):
        self.daemon = daemon
        self.session = URLLib3Session(timeout=(2, 10))

    def sfn(self):
        return boto3.client("stepfunctions", endpoint_url=self.daemon.endpoint,
                            region_name="us-east-1", aws_access_key_id="x",
                            aws_secret_access_key="x",
                            config=Config(inject_host_prefix=False, connect_timeout=2,
                                          read_timeout=10, retries={"max_attempts": 1}))

    def call(self, target, body):
        """(HTTP status, reply); raises on a transport error (a killed daemon)."""
        req = AWSRequest(method="POST", url=self.daemon.endpoint + "/", data=json.dumps(body),
                         headers={"Content-Type": "application/x-amz-json-1.0",
                                  "X-Amz-Target": target})
        SigV4Auth(Credentials("x", "x"), "states", "us-east-1").add_auth(req)
        resp = self.session.send(req.prepare())
        return resp.status_code, json.loads(resp.content.decode() or "{}")

    def history(self, arn):
        events, token = [], None
        while True:
            body = {"executionArn": arn, "maxResults": 1000}
            if token:
                body["nextToken"] = token
            status, out = self.call("AWSStepFunctions.GetExecutionHistory", body)
            if status != 200:
                raise RuntimeError(f"history of {arn}: {out}")
            events += out["events"]
            token = out.get("nextToken")
            if not token:
                return events


def main():
    stepwised = sys.argv[1]
    kills = int(os.environ.get("CRASH_KILLS", "8"))
    originals_n = int(os.environ.get("CRASH_EXECUTIONS", "40"))
    per_original = 3
    rng = random.Random(int(os.environ.get("CRASH_SEED", "11")))
    checks = Checks()
    daemon = Daemon(stepwised)
    daemon.start()
    api = Api(daemon)
    machine = api.sfn().create_state_machine(name="failing", definition=json.dumps(FAILING),
                                             roleArn=ROLE)["stateMachineArn"]
    originals = [api.sfn().start_execution(stateMachineArn=machine, name=f"o{i}",
                                           input=json.dumps({"i": i}))["executionArn"]
                 for i in range(originals_n)]
    for a in originals:
        while api.sfn().describe_execution(executionArn=a)["status"] == "RUNNING":
            time.sleep(0.05)

    # The requests: (original, name or "", input); named ones are idempotent.
    requests = []
    for i, o in enumerate(originals):
        for k in range(per_original):
            named = k % 2 == 0
            requests.append((o, f"o{i}-named-{k}" if named else "", {"i": i, "k": k}))
    rng.shuffle(requests)
    lock = threading.Lock()
    acked = []      # (original, name, new arn)
    refused = []    # (request, error) of requests refused other than by a dead daemon
    retries = [0]
    done = threading.Event()

    def worker(mine):
        for original, name, inp in mine:
            body = {"executionArn": original, "stateName": "B", "input": json.dumps(inp)}
            if name:
                body["name"] = name
            while True:
                try:
                    status, out = api.call("Stepwise.RestartExecution", body)
                except Exception:  # noqa: BLE001 - killed mid-call: retry
                    status, out = 0, {}
                if status == 200:
                    with lock:
                        acked.append((original, name, out["executionArn"]))
                    break
                if 400 <= status < 500:
                    with lock:
                        refused.append((body, out))
                    break
                with lock:
                    retries[0] += 1
                time.sleep(0.05)

    threads = [threading.Thread(target=worker, args=(requests[j::4],)) for j in range(4)]
    for t in threads:
        t.start()

    def start_plain():
        os.environ.pop("STEPWISE_TEST_CRASH_POINT", None)
        daemon.start()

    def killer():
        """Odd lives die at a random instant, even ones at a group commit
        (after_write:N, often between a restart's two commits)."""
        for life in range(kills):
            if done.is_set():
                return
            if life % 2 == 0:
                time.sleep(rng.uniform(0.05, 0.6))
                daemon.kill9()
                start_plain()
                continue
            daemon.kill9()
            os.environ["STEPWISE_TEST_CRASH_POINT"] = f"after_write:{rng.randint(1, 12)}"
            try:
                daemon.start()
            except RuntimeError:  # died at its point before it was up
                start_plain()
                continue
            os.environ.pop("STEPWISE_TEST_CRASH_POINT", None)
            end = time.time() + 5
            while daemon.proc.poll() is None and time.time() < end and not done.is_set():
                time.sleep(0.02)
            if daemon.proc.poll() is None:
                daemon.kill9()
            start_plain()

    k = threading.Thread(target=killer)
    k.start()
    for t in threads:
        t.join()
    done.set()
    k.join()
    checks.check(f"every request was acknowledged ({len(acked)} of {len(requests)}; "
                 f"{retries[0]} retries after a death, {daemon.starts - 1} deaths)",
                 len(acked) == len(requests) and not refused, refused[:3])

    # What the store says, read after the last restart.
    sfn = api.sfn()
    every = []
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine):
        every += [e["executionArn"] for e in page["executions"]]
    deadline = time.time() + 60
    while time.time() < deadline and any(
            sfn.describe_execution(executionArn=a)["status"] == "RUNNING" for a in every):
        time.sleep(0.2)
    origin_of = {}  # restarted execution -> the original its ExecutionStarted names
    for a in every:
        first = api.history(a)[0]
        frm = first.get("executionStartedEventDetails", {}).get("stepwiseRestartedFrom")
        if frm is not None:
            origin_of[a] = frm["executionArn"]
    bad_links, unlinked = [], []
    for o in originals:
        links = [e["executionRestartedEventDetails"]["executionArn"]
                 for e in api.history(o) if e["type"] == "ExecutionRestarted"]
        named_by = sorted(a for a, frm in origin_of.items() if frm == o)
        if len(links) != len(set(links)) or sorted(links) != named_by:
            bad_links.append((o, links, named_by))
    for original, name, arn in acked:
        if origin_of.get(arn) != original:
            unlinked.append((original, name, arn))
    checks.check("every acknowledged restart exists and names its original", not unlinked,
                 unlinked[:3])
    checks.check(f"each original links exactly the executions restarted from it, once "
                 f"({len(origin_of)} restarted executions)", not bad_links, bad_links[:3])
    named = [(o, n) for o, n, _ in acked if n]
    named_arns = {a for _, n, a in acked if n}
    checks.check("each named request is one execution",
                 len(named_arns) == len(named) and
                 all(a.endswith(":" + n) for _, n, a in acked if n), len(named_arns))
    statuses = {sfn.describe_execution(executionArn=a)["status"] for a in every}
    checks.check("originals and restarted executions all ended FAILED (at F)",
                 statuses == {"FAILED"}, statuses)
    checks.finish(daemon)


if __name__ == "__main__":
    main()
