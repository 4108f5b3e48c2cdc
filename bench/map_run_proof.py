#!/usr/bin/env python3
"""The Python half of bench/map_run_proof.sh (issue 19's 100,000-item proof):
the data set, the definition, a signature-checking request log in front of
s3rver, and the checks of a finished run. Run by the shell script, not by
hand; single-threaded except the proxy's server threads.

  map_run_proof.py proxy UPSTREAM LOG       S3 proxy (tests/integrations/aws_servers.py
                                            SignatureChecker): prints port=N, appends
                                            "METHOD PATH" per request (BADSIG ... per
                                            refused one) to LOG until SIGTERM
  map_run_proof.py data VARIANT N PATH      jsonl/csv: the object at PATH; prefix: N
                                            small files in the directory PATH
  map_run_proof.py definition VARIANT TYPE BATCH CONCURRENCY BUCKET
  map_run_proof.py check ENDPOINT S3 BUCKET VARIANT N BATCH EXEC_ARN PROXY_LOG
                                            the checks; prints them and a summary, exits 1
                                            when one fails
"""
import json
import os
import re
import signal
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integrations"))

LABEL = "bill"
PREFIX = "results"
ENTRY_ORDER = ["Cause", "Error", "ExecutionArn", "Input", "InputDetails", "Name", "Output",
               "OutputDetails", "RedriveCount", "RedriveStatus", "RedriveStatusReason",
               "StartDate", "StateMachineArn", "Status", "StopDate"]


def item(i):
    return {"id": i, "customer": f"c{i % 97}", "amount": (i * 7) % 1000}


def proxy(upstream, log_path):
    import aws_servers
    checker = aws_servers.SignatureChecker(upstream, "s3")
    print(f"port={checker.server.server_address[1]}", flush=True)
    done = []
    signal.signal(signal.SIGTERM, lambda *_: done.append(1))
    written = problems = 0
    with open(log_path, "a") as log:
        while True:
            with checker.lock:
                new = checker.requests[written:]
                bad = checker.problems[problems:]
            for method, path in new:
                log.write(f"{method} {path}\n")
            for p in bad:
                log.write("BADSIG " + p.replace("\n", " | ") + "\n")
            written += len(new)
            problems += len(bad)
            log.flush()
            if done:
                return
            time.sleep(0.2)


def data(variant, n, path):
    if variant == "jsonl":
        with open(path, "w") as f:
            for i in range(n):
                f.write(json.dumps(item(i), separators=(",", ":")) + "\n")
    elif variant == "csv":  # no header row: CSVHeaderLocation GIVEN
        with open(path, "w") as f:
            for i in range(n):
                it = item(i)
                f.write(f"{it['id']},{it['customer']},{it['amount']}\n")
    else:
        os.makedirs(path, exist_ok=True)
        for i in range(n):
            with open(os.path.join(path, f"part-{i:06d}.json"), "w") as f:
                json.dump(item(i), f)


def definition(variant, execution_type, batch, concurrency, bucket):
    if variant == "jsonl":
        reader = {"Resource": "arn:aws:states:::s3:getObject",
                  "ReaderConfig": {"InputType": "JSONL"},
                  "Parameters": {"Bucket": bucket, "Key": "in/items.jsonl"}}
    elif variant == "csv":
        reader = {"Resource": "arn:aws:states:::s3:getObject",
                  "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "GIVEN",
                                   "CSVHeaders": ["id", "customer", "amount"]},
                  "Parameters": {"Bucket": bucket, "Key": "in/items.csv"}}
    else:
        reader = {"Resource": "arn:aws:states:::s3:listObjectsV2",
                  "Parameters": {"Bucket": bucket, "Prefix": "in/parts/"}}
    state = {"Type": "Map", "Label": LABEL, "ItemReader": reader,
             "ItemBatcher": {"MaxItemsPerBatch": batch, "BatchInput": {"run": "proof"}},
             "ItemProcessor": {
                 "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type},
                 "StartAt": "Process", "States": {"Process": {
                     "Type": "Pass", "Parameters": {"items.$": "$.Items",
                                                    "run.$": "$.BatchInput.run"},
                     "End": True}}},
             "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                              "Parameters": {"Bucket": bucket, "Prefix": PREFIX}},
             "End": True}
    if concurrency > 0:
        state["MaxConcurrency"] = concurrency
    print(json.dumps({"Comment": f"map_run_proof {variant}", "StartAt": "Bill",
                      "States": {"Bill": state}}))


def item_id(variant, it):
    """The item number an item read back stands for."""
    if variant == "jsonl":
        return it["id"] if it == item(it["id"]) else None
    if variant == "csv":  # every CSV value is a string
        i = int(it["id"])
        return i if it == {k: str(v) for k, v in item(i).items()} else None
    m = re.fullmatch(r"in/parts/part-(\d+)\.json", it.get("Key", ""))
    return int(m.group(1)) if m and set(it) >= {"Etag", "Key", "LastModified", "Size",
                                               "StorageClass"} else None


class Checks:
    def __init__(self):
        self.failed = 0

    def check(self, what, cond, detail=""):
        print(("ok   " if cond else "FAIL ") + what + ("" if cond else f": {detail}"),
              flush=True)
        self.failed += not cond
        return cond


def check(endpoint, s3_endpoint, bucket, variant, n, batch, exec_arn, proxy_log):
    import botocore.session
    from botocore.config import Config
    session = botocore.session.get_session()
    cfg = Config(retries={"max_attempts": 5}, read_timeout=120, s3={"addressing_style": "path"})
    sfn = session.create_client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
                                config=cfg)
    s3 = session.create_client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                               config=cfg)
    c = Checks()
    children_want = (n + batch - 1) // batch
    d = sfn.describe_execution(executionArn=exec_arn)
    c.check("the parent SUCCEEDED", d["status"] == "SUCCEEDED",
            f"{d['status']} {d.get('error')}: {str(d.get('cause'))[:300]}")
    seconds = (d.get("stopDate", d["startDate"]) - d["startDate"]).total_seconds()
    # The parent's history.
    events, kw = [], {}
    while True:
        page = sfn.get_execution_history(executionArn=exec_arn, maxResults=1000, **kw)
        events += page["events"]
        if not page.get("nextToken"):
            break
        kw = {"nextToken": page["nextToken"]}
    types = [e["type"] for e in events]
    history_bytes = len(json.dumps(events, default=str))
    c.check(f"the parent's history: ids 1..{len(events)}",
            [e["id"] for e in events] == list(range(1, len(events) + 1)))
    for t in ("MapRunStarted", "MapRunSucceeded", "ExecutionSucceeded"):
        c.check(f"one {t}", types.count(t) == 1, types)
    runs = [e["mapRunStartedEventDetails"]["mapRunArn"] for e in events
            if e["type"] == "MapRunStarted"]
    map_run = runs[0] if runs else ""
    uuid = map_run.rsplit(":", 1)[-1]
    out = json.loads(d.get("output") or "{}")
    c.check("the output is {MapRunArn, ResultWriterDetails{Bucket, Key}}",
            set(out) == {"MapRunArn", "ResultWriterDetails"} and out["MapRunArn"] == map_run
            and set(out["ResultWriterDetails"]) == {"Bucket", "Key"}
            and out["ResultWriterDetails"]["Bucket"] == bucket, out)
    # The children, on the hidden machine MACHINE/LABEL.
    machine = d["stateMachineArn"] + "/" + LABEL
    children, kw = [], {}
    while True:
        page = sfn.list_executions(stateMachineArn=machine, maxResults=1000, **kw)
        children += page["executions"]
        if not page.get("nextToken"):
            break
        kw = {"nextToken": page["nextToken"]}
    indexes = []
    for ch in children:
        m = re.fullmatch(re.escape(uuid) + r"-(\d+)", ch["name"])
        indexes.append(int(m.group(1)) if m else -1)
    c.check(f"{children_want} children <run uuid>-0..{children_want - 1}, each once",
            sorted(indexes) == list(range(children_want)),
            f"{len(children)} children, {len(set(indexes))} distinct indexes, "
            f"{indexes.count(-1)} of another name")
    c.check("every child SUCCEEDED", all(ch["status"] == "SUCCEEDED" for ch in children),
            {ch["status"] for ch in children})
    # The manifest and the result files.
    details = out.get("ResultWriterDetails", {})
    manifest_key = details.get("Key", f"{PREFIX}/{uuid}/manifest.json")
    c.check("the manifest's key is PREFIX/<run uuid>/manifest.json",
            manifest_key == f"{PREFIX}/{uuid}/manifest.json", manifest_key)
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=manifest_key)["Body"].read())
    files = manifest.get("ResultFiles", {})
    c.check("manifest.json: DestinationBucket, MapRunArn, ResultFiles{FAILED, PENDING, "
            "SUCCEEDED}", list(manifest) == ["DestinationBucket", "MapRunArn", "ResultFiles"]
            and manifest["DestinationBucket"] == bucket and manifest["MapRunArn"] == map_run
            and sorted(files) == ["FAILED", "PENDING", "SUCCEEDED"],
            json.dumps(manifest)[:300])
    c.check("no FAILED or PENDING file", not files.get("FAILED") and not files.get("PENDING"),
            files)
    seen = [0] * n
    names = []
    bad_items = bad_entries = 0
    result_bytes = 0
    keys = []
    for k, f in enumerate(files.get("SUCCEEDED", [])):
        keys.append(f["Key"])
        c.check(f"{f['Key']} is SUCCEEDED_{k}.json",
                f["Key"] == f"{PREFIX}/{uuid}/SUCCEEDED_{k}.json", f)
        body = s3.get_object(Bucket=bucket, Key=f["Key"])["Body"].read()
        result_bytes += len(body)
        c.check(f"{f['Key']}: {len(body)} bytes, as the manifest says", len(body) == f["Size"],
                f["Size"])
        for entry in json.loads(body):
            names.append(entry.get("Name"))
            if list(entry) != [k for k in ENTRY_ORDER if k in entry] \
                    or entry.get("Status") != "SUCCEEDED" or "ExecutionArn" not in entry:
                bad_entries += 1
                continue
            output = json.loads(entry["Output"])
            if output.get("run") != "proof":
                bad_entries += 1
            for it in output.get("items", []):
                i = item_id(variant, it)
                if i is None or not 0 <= i < n:
                    bad_items += 1
                else:
                    seen[i] += 1
    c.check(f"{children_want} entries, one per child, in AWS's member order",
            sorted(names) == sorted(f"{uuid}-{i}" for i in range(children_want))
            and bad_entries == 0, f"{len(names)} entries, {bad_entries} malformed")
    twice = sum(1 for s in seen if s > 1)
    missing = sum(1 for s in seen if s == 0)
    c.check(f"every one of the {n} items appears exactly once in the result files",
            twice == 0 and missing == 0 and bad_items == 0,
            f"{twice} twice, {missing} missing, {bad_items} not an item of the data set")
    # Each result file and the manifest written once (the proxy's log).
    puts = {}
    badsig = 0
    with open(proxy_log) as log:
        for line in log:
            if line.startswith("BADSIG"):
                badsig += 1
            elif line.startswith("PUT "):
                path = line.split(" ", 1)[1].strip().split("?")[0]
                puts[path] = puts.get(path, 0) + 1
    written = {k: puts.get(f"/{bucket}/{k}", 0) for k in keys + [manifest_key]}
    c.check("each result file and the manifest PUT exactly once",
            all(v == 1 for v in written.values()),
            {k: v for k, v in written.items() if v != 1})
    c.check("every S3 request stepwised signed verifies", badsig == 0, f"{badsig} refused")
    summary = {"variant": variant, "items": n, "children": len(children),
               "seconds": round(seconds, 1), "items_per_s": round(n / seconds) if seconds else 0,
               "parent_history_events": len(events), "parent_history_bytes": history_bytes,
               "result_files": len(keys), "result_bytes": result_bytes,
               "checks_failed": c.failed}
    print("SUMMARY " + json.dumps(summary), flush=True)
    return 1 if c.failed else 0


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "proxy" and len(argv) == 4:
        return proxy(argv[2], argv[3])
    if cmd == "data" and len(argv) == 5:
        return data(argv[2], int(argv[3]), argv[4])
    if cmd == "definition" and len(argv) == 7:
        return definition(argv[2], argv[3], int(argv[4]), int(argv[5]), argv[6])
    if cmd == "check" and len(argv) == 10:
        return check(argv[2], argv[3], argv[4], argv[5], int(argv[6]), int(argv[7]), argv[8],
                     argv[9])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv) or 0)
