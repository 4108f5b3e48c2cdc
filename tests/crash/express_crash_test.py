#!/usr/bin/env python3
"""Express executions and kill -9: a real stepwised runs Express executions
(StartExecution and StartSyncExecution) beside Standard ones and is killed
with SIGKILL CRASH_KILLS times at random instants, then restarted on the
same data directory.

Checks, at each death (the data directory read while the daemon is dead):
no byte string of an Express execution ARN (":express:") is in any file of
the data directory (RocksDB's WAL, tables, manifest), while the Standard
executions acknowledged in that life are (the check can see what it looks
for: the WAL holds keys as written). After each restart: every Standard
execution acknowledged before is still there; at the end every one of them
SUCCEEDED; StartSyncExecution still answers.
Usage: express_crash_test.py <stepwised>. Exits 77 without boto3.
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
    from botocore.config import Config
except ImportError:
    print("SKIP: boto3 not installed")
    sys.exit(77)

ROLE = "arn:aws:iam::123456789012:role/r"
WAITING = {"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Next": "W"},
    "W": {"Type": "Wait", "Seconds": 1, "Next": "B"},
    "B": {"Type": "Pass", "End": True}}}
FAST = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def client(daemon):
    return boto3.client("stepfunctions", endpoint_url=daemon.endpoint, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(inject_host_prefix=False, connect_timeout=2,
                                      read_timeout=10, retries={"max_attempts": 1}))


def files_containing(root, needle):
    found = []
    for d, _, names in os.walk(root):
        for n in names:
            path = os.path.join(d, n)
            try:
                with open(path, "rb") as f:
                    if needle in f.read():
                        found.append(n)
            except OSError:
                pass
    return found


def main():
    stepwised = sys.argv[1]
    kills = int(os.environ.get("CRASH_KILLS", "6"))
    checks = Checks()
    daemon = Daemon(stepwised)
    daemon.start()
    sfn = client(daemon)
    arns = {}
    for name, d, t in [("ex", WAITING, "EXPRESS"), ("fast", FAST, "EXPRESS"),
                       ("st", WAITING, "STANDARD")]:
        arns[name] = sfn.create_state_machine(name=name, definition=json.dumps(d), roleArn=ROLE,
                                              type=t)["stateMachineArn"]
    standard = []  # acknowledged Standard execution ARNs
    rng = random.Random(int(os.environ.get("CRASH_SEED", "7")))
    for life in range(kills):
        sfn = client(daemon)
        stop = threading.Event()
        acked = []

        def drive():
            while not stop.is_set():
                try:
                    sfn.start_execution(stateMachineArn=arns["ex"], input="{}")
                    sfn.start_sync_execution(stateMachineArn=arns["fast"], input="{}")
                    acked.append(sfn.start_execution(stateMachineArn=arns["st"],
                                                     input="{}")["executionArn"])
                except Exception:  # noqa: BLE001 - the daemon was killed mid-call
                    return

        threads = [threading.Thread(target=drive) for _ in range(3)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.8, 2.5))
        daemon.kill9()
        stop.set()
        for t in threads:
            t.join()
        standard.extend(acked)
        leaked = files_containing(daemon.data, b":express:")
        checks.check(f"death {life + 1}: no Express execution row in the data directory",
                     not leaked, leaked)
        seen = acked and files_containing(daemon.data, acked[-1].encode())
        checks.check(f"death {life + 1}: the Standard executions of this life are there "
                     f"({len(acked)} acknowledged)", bool(seen), acked[-1:] if acked else "none")
        daemon.start()
    sfn = client(daemon)
    r = sfn.start_sync_execution(stateMachineArn=arns["fast"], input='{"a": 1}')
    checks.check("StartSyncExecution answers after the restarts", r["status"] == "SUCCEEDED", r)
    deadline = time.time() + 60
    pending = list(standard)
    while pending and time.time() < deadline:
        pending = [a for a in pending
                   if sfn.describe_execution(executionArn=a)["status"] == "RUNNING"]
        if pending:
            time.sleep(0.5)
    statuses = {sfn.describe_execution(executionArn=a)["status"] for a in standard}
    checks.check(f"all {len(standard)} acknowledged Standard executions SUCCEEDED",
                 statuses <= {"SUCCEEDED"} and standard, statuses)
    checks.finish(daemon)


if __name__ == "__main__":
    main()
