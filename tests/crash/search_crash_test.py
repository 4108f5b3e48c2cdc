#!/usr/bin/env python3
# Search index and kill -9 (issue 18, "Search"): a real stepwised (through
# tests/aws/sfn_daemon.py) runs executions of a machine with indexed fields
# over its input (at start) and its output (at close, after a 1 s Wait),
# started by 4 threads through botocore, while the harness SIGKILLs it
# CRASH_KILLS times (CI: 4) after random lives of [0, CRASH_MAX_GAP_MS) ms.
# Then, once every execution closed: SearchExecutions for each customer finds
# every acknowledged execution (and nothing that was never started), the
# output field found every SUCCEEDED one, and after a clean stop
# search_index_check verifies the data directory: each visibility row has
# exactly its index entries, no entry is orphaned, rows and records agree.
# Usage: search_crash_test.py STEPWISED SEARCH_INDEX_CHECK. CRASH_SEED
# repeats a run. Exits 77 without botocore.
import json
import os
import random
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "aws"))
from sfn_daemon import Aws, Checks, Daemon  # noqa: E402
from stepwise_ext import stepwise_call  # noqa: E402

try:
    import botocore  # noqa: F401
except ImportError:
    print("SKIP: botocore not installed")
    sys.exit(77)


STEPWISED, CHECKER = sys.argv[1], sys.argv[2]
KILLS = int(os.environ.get("CRASH_KILLS", "4"))
MAX_GAP_MS = int(os.environ.get("CRASH_MAX_GAP_MS", "3000"))
SEED = int(os.environ.get("CRASH_SEED", str(int(time.time()))))
CUSTOMERS = 13
MACHINE = {"StartAt": "Wait", "States": {
    "Wait": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
    "Done": {"Type": "Pass", "Parameters": {"total.$": "$.n", "stage": "done"}, "End": True}}}


def main():
    rnd = random.Random(SEED)
    print(f"seed {SEED}, {KILLS} kills", flush=True)
    checks = Checks()
    daemon = Daemon(STEPWISED)
    daemon.start()
    aws = Aws(None, daemon)
    machine = aws.create_machine("searched", MACHINE)
    status, _ = stepwise_call(daemon, "PutIndexedFields", {
        "stateMachineArn": machine,
        "indexedFields": [{"name": "customerId", "source": "INPUT", "path": "$.customerId"},
                          {"name": "total", "source": "OUTPUT", "path": "$.total"},
                          {"name": "stage", "source": "OUTPUT", "expression": "stage"}]})
    checks.check("fields declared", status == 200)

    acked, tried = {}, {}
    lock = threading.Lock()
    stop = threading.Event()

    def starter(k):
        from botocore.exceptions import ClientError
        i = 0
        while not stop.is_set():
            name = f"s{k}-{i}"
            customer = f"c{(k * 1000 + i) % CUSTOMERS}"
            with lock:
                tried[name] = customer
            try:
                aws.client().start_execution(
                    stateMachineArn=machine, name=name,
                    input=json.dumps({"customerId": customer, "n": i}))
            except ClientError as e:
                # A start that landed before its answer was lost: the retry
                # of the same name and input finds it closed.
                if e.response["Error"]["Code"] != "ExecutionAlreadyExists":
                    time.sleep(0.05)
                    continue
            except Exception:  # noqa: BLE001 - the daemon is down: the same name again
                time.sleep(0.05)
                continue
            with lock:
                acked[name] = customer
            i += 1

    threads = [threading.Thread(target=starter, args=(k,), daemon=True) for k in range(4)]
    for t in threads:
        t.start()
    for _ in range(KILLS):
        time.sleep(rnd.uniform(0, MAX_GAP_MS) / 1000.0)
        daemon.restart_after_kill9()
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    checks.check(f"{len(acked)} executions acknowledged across {KILLS} kills", len(acked) > 0)

    # Every execution closes (its Wait timer survives the kills).
    deadline = time.time() + 120
    while time.time() < deadline:
        status, out = stepwise_call(daemon, "CountExecutions", {"query": "status = RUNNING"})
        if status == 200 and out["count"] == 0:
            break
        time.sleep(0.5)
    checks.check("every execution closed", status == 200 and out["count"] == 0, out)

    def searched(query):
        names, token = [], None
        while True:
            body = {"query": query, "maxResults": 1000}
            if token:
                body["nextToken"] = token
            st, page = stepwise_call(daemon, "SearchExecutions", body)
            if st != 200:
                raise RuntimeError(f"{query}: {st} {page}")
            names += [e["name"] for e in page["executions"]]
            token = page.get("nextToken")
            if not token:
                return names

    for c in range(CUSTOMERS):
        customer = f"c{c}"
        found = set(searched(f'customerId = "{customer}" and stage = "done"'))
        want = {n for n, cu in acked.items() if cu == customer}
        may = {n for n, cu in tried.items() if cu == customer}
        checks.check(f"customer {customer}: {len(want)} acknowledged, all found closed",
                     want <= found and found <= may,
                     f"missing {sorted(want - found)[:5]}, unknown {sorted(found - may)[:5]}")
    total = searched('stage = "done"')
    checks.check("no execution found twice", len(total) == len(set(total)))

    daemon.stop()
    p = subprocess.run([CHECKER, daemon.data], capture_output=True, text=True, timeout=120)
    print(p.stdout.strip())
    checks.check("search_index_check: the index holds exactly what the rows say",
                 p.returncode == 0, p.stderr[-2000:])
    checks.finish(daemon)


main()
