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

The tolerance variant's settings come from the environment the shell script
sets: MAP_RUN_PROOF_FAIL_EVERY (K: the batches b with b % K == K // 2 fail;
0: none), MAP_RUN_PROOF_TOLERANCE (ToleratedFailurePercentage, "" for none),
MAP_RUN_PROOF_BATCH (the batch size, which batches fail depends on).
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


FAIL_EVERY = int(os.environ.get("MAP_RUN_PROOF_FAIL_EVERY") or 0)
TOLERANCE = os.environ.get("MAP_RUN_PROOF_TOLERANCE") or ""
BATCH = int(os.environ.get("MAP_RUN_PROOF_BATCH") or 100)
FAILED_ERROR = "ItemFailed"
FAILED_CAUSE = "the items of this batch say fail"
THRESHOLD_CAUSE = "The specified tolerated failure threshold was exceeded"


def failing_batch(b):
    return FAIL_EVERY > 0 and b % FAIL_EVERY == FAIL_EVERY // 2


def item(i):
    it = {"id": i, "customer": f"c{i % 97}", "amount": (i * 7) % 1000}
    if FAIL_EVERY:
        it["fail"] = failing_batch(i // BATCH)
    return it


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
    states = {"Process": {"Type": "Pass", "Parameters": {"items.$": "$.Items",
                                                         "run.$": "$.BatchInput.run"},
                          "End": True}}
    start = "Process"
    if FAIL_EVERY:  # a batch whose items say fail fails its child
        start = "Check"
        states["Check"] = {"Type": "Choice", "Default": "Process", "Choices": [
            {"Variable": "$.Items[0].fail", "BooleanEquals": True, "Next": "Broke"}]}
        states["Broke"] = {"Type": "Fail", "Error": FAILED_ERROR, "Cause": FAILED_CAUSE}
    state = {"Type": "Map", "Label": LABEL, "ItemReader": reader,
             "ItemBatcher": {"MaxItemsPerBatch": batch, "BatchInput": {"run": "proof"}},
             "ItemProcessor": {
                 "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type},
                 "StartAt": start, "States": states},
             "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                              "Parameters": {"Bucket": bucket, "Prefix": PREFIX}},
             "End": True}
    if concurrency > 0:
        state["MaxConcurrency"] = concurrency
    if TOLERANCE:
        state["ToleratedFailurePercentage"] = float(TOLERANCE)
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
    failing = {b for b in range(children_want) if failing_batch(b)}
    failed_items = sum(min(batch, n - b * batch) for b in failing)
    failed_share = 100.0 * len(failing) / children_want
    expect_success = not failing or (TOLERANCE != "" and failed_share <= float(TOLERANCE))
    if FAIL_EVERY:
        print(f"tolerance variant: {len(failing)} of {children_want} children fail "
              f"({failed_share:.2f}%, {failed_items} items), tolerance {TOLERANCE or 'none'}: "
              f"expecting {'SUCCEEDED' if expect_success else 'FAILED'}", flush=True)
    d = sfn.describe_execution(executionArn=exec_arn)
    if expect_success:
        c.check("the parent SUCCEEDED", d["status"] == "SUCCEEDED",
                f"{d['status']} {d.get('error')}: {str(d.get('cause'))[:300]}")
    else:
        c.check("the parent FAILED with States.ExceedToleratedFailureThreshold and AWS's cause",
                d["status"] == "FAILED"
                and d.get("error") == "States.ExceedToleratedFailureThreshold"
                and d.get("cause") == THRESHOLD_CAUSE,
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
    ends = ("MapRunSucceeded", "ExecutionSucceeded") if expect_success else \
        ("MapRunFailed", "ExecutionFailed")
    for t in ("MapRunStarted",) + ends:
        c.check(f"one {t}", types.count(t) == 1, types)
    runs = [e["mapRunStartedEventDetails"]["mapRunArn"] for e in events
            if e["type"] == "MapRunStarted"]
    map_run = runs[0] if runs else ""
    uuid = map_run.rsplit(":", 1)[-1]
    out = json.loads(d.get("output") or "{}")
    if expect_success:
        c.check("the output is {MapRunArn, ResultWriterDetails{Bucket, Key}}",
                set(out) == {"MapRunArn", "ResultWriterDetails"} and out["MapRunArn"] == map_run
                and set(out["ResultWriterDetails"]) == {"Bucket", "Key"}
                and out["ResultWriterDetails"]["Bucket"] == bucket, out)
    # The children, as list-executions --map-run-arn gives them (EXPRESS
    # children included).
    children, kw = [], {}
    while map_run:
        page = sfn.list_executions(mapRunArn=map_run, maxResults=1000, **kw)
        children += page["executions"]
        if not page.get("nextToken"):
            break
        kw = {"nextToken": page["nextToken"]}
    indexes = []
    for ch in children:
        m = re.fullmatch(re.escape(uuid) + r"-(\d+)", ch["name"])
        indexes.append(int(m.group(1)) if m else -1)
    status_of = dict(zip(indexes, (ch["status"] for ch in children)))
    counted = {}
    for ch in children:
        counted[ch["status"]] = counted.get(ch["status"], 0) + 1
    c.check("every listed child names its Map Run",
            all(ch.get("mapRunArn") == map_run for ch in children))
    if expect_success:
        c.check(f"{children_want} children <run uuid>-0..{children_want - 1}, each once",
                sorted(indexes) == list(range(children_want)),
                f"{len(children)} children, {len(set(indexes))} distinct indexes, "
                f"{indexes.count(-1)} of another name")
        c.check(f"the {len(failing)} children of failing batches FAILED, the others SUCCEEDED",
                all(status_of.get(i) == ("FAILED" if i in failing else "SUCCEEDED")
                    for i in range(children_want)), counted)
        c.check(f"the children's itemCount adds up to {n}",
                sum(ch.get("itemCount", 0) for ch in children) == n,
                sum(ch.get("itemCount", 0) for ch in children))
    else:
        c.check("no child listed twice, none of another name",
                len(set(indexes)) == len(indexes) and -1 not in indexes, counted)
        c.check("no child of a passing batch FAILED",
                all(st != "FAILED" or i in failing for i, st in status_of.items()), counted)
    mr = sfn.describe_map_run(mapRunArn=map_run) if map_run else {}
    ec, ic = mr.get("executionCounts", {}), mr.get("itemCounts", {})
    if expect_success:
        c.check(f"describe-map-run: SUCCEEDED, {children_want} executions "
                f"({len(failing)} failed), {n} items ({failed_items} failed)",
                mr.get("status") == "SUCCEEDED" and ec.get("total") == children_want
                and ec.get("failed") == len(failing)
                and ec.get("succeeded") == children_want - len(failing)
                and ic.get("total") == n and ic.get("failed") == failed_items,
                {"status": mr.get("status"), "executionCounts": ec, "itemCounts": ic})
    else:
        c.check("describe-map-run: FAILED", mr.get("status") == "FAILED",
                {"status": mr.get("status"), "executionCounts": ec})
    # The manifest and the result files.
    details = out.get("ResultWriterDetails", {})
    manifest_key = details.get("Key", f"{PREFIX}/{uuid}/manifest.json")
    keys, names, result_bytes = [], [], 0
    seen = [0] * n
    bad_items = bad_entries = 0
    if expect_success:
        c.check("the manifest's key is PREFIX/<run uuid>/manifest.json",
                manifest_key == f"{PREFIX}/{uuid}/manifest.json", manifest_key)
        manifest = json.loads(s3.get_object(Bucket=bucket, Key=manifest_key)["Body"].read())
        files = manifest.get("ResultFiles", {})
        c.check("manifest.json: DestinationBucket, MapRunArn, ResultFiles{FAILED, PENDING, "
                "SUCCEEDED}", list(manifest) == ["DestinationBucket", "MapRunArn", "ResultFiles"]
                and manifest["DestinationBucket"] == bucket and manifest["MapRunArn"] == map_run
                and sorted(files) == ["FAILED", "PENDING", "SUCCEEDED"],
                json.dumps(manifest)[:300])
        c.check("no PENDING file" + ("" if failing else ", no FAILED file"),
                not files.get("PENDING") and (failing or not files.get("FAILED")), files)
        failed_names = []
        for kind in ("SUCCEEDED", "FAILED"):
            for k, f in enumerate(files.get(kind, [])):
                keys.append(f["Key"])
                c.check(f"{f['Key']} is {kind}_{k}.json",
                        f["Key"] == f"{PREFIX}/{uuid}/{kind}_{k}.json", f)
                body = s3.get_object(Bucket=bucket, Key=f["Key"])["Body"].read()
                result_bytes += len(body)
                c.check(f"{f['Key']}: {len(body)} bytes, as the manifest says",
                        len(body) == f["Size"], f["Size"])
                for entry in json.loads(body):
                    (names if kind == "SUCCEEDED" else failed_names).append(entry.get("Name"))
                    if list(entry) != [k for k in ENTRY_ORDER if k in entry] \
                            or entry.get("Status") != kind or "ExecutionArn" not in entry:
                        bad_entries += 1
                        continue
                    if kind == "SUCCEEDED":
                        output = json.loads(entry["Output"])
                        if output.get("run") != "proof":
                            bad_entries += 1
                        batch_items = output.get("items", [])
                    else:  # a failed child: its error, and its items in its input
                        if entry.get("Error") != FAILED_ERROR or \
                                entry.get("Cause") != FAILED_CAUSE:
                            bad_entries += 1
                        batch_items = json.loads(entry.get("Input", "{}")).get("Items", [])
                    for it in batch_items:
                        i = item_id(variant, it)
                        if i is None or not 0 <= i < n:
                            bad_items += 1
                        else:
                            seen[i] += 1
        c.check(f"{children_want - len(failing)} SUCCEEDED entries and {len(failing)} FAILED "
                "entries, one per child, in AWS's member order",
                sorted(names) == sorted(f"{uuid}-{i}" for i in range(children_want)
                                        if i not in failing)
                and sorted(failed_names) == sorted(f"{uuid}-{i}" for i in failing)
                and bad_entries == 0,
                f"{len(names)} + {len(failed_names)} entries, {bad_entries} malformed")
        twice = sum(1 for s in seen if s > 1)
        missing = sum(1 for s in seen if s == 0)
        c.check(f"every one of the {n} items appears exactly once in the result files",
                twice == 0 and missing == 0 and bad_items == 0,
                f"{twice} twice, {missing} missing, {bad_items} not an item of the data set")
    else:
        listing = s3.list_objects_v2(Bucket=bucket, Prefix=f"{PREFIX}/")
        print(f"result files after the failed run: "
              f"{[o['Key'] for o in listing.get('Contents', [])]}", flush=True)
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
    if expect_success:
        written = {k: puts.get(f"/{bucket}/{k}", 0) for k in keys + [manifest_key]}
        c.check("each result file and the manifest PUT exactly once",
                all(v == 1 for v in written.values()),
                {k: v for k, v in written.items() if v != 1})
    c.check("every S3 request stepwised signed verifies", badsig == 0, f"{badsig} refused")
    summary = {"variant": variant, "type": os.environ.get("MAP_RUN_PROOF_TYPE", ""),
               "items": n, "children": len(children), "children_by_status": counted,
               "status": d["status"], "seconds": round(seconds, 1),
               "items_per_s": round(n / seconds) if seconds else 0,
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
