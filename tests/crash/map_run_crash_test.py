#!/usr/bin/env python3
"""Crash harness for Distributed Map runs (issue 19): parents whose
DISTRIBUTED Map runs its iterations as child executions, while a real
stepwised is killed with SIGKILL at random times and at group-commit points
(STEPWISE_TEST_CRASH_POINT before_write:N / after_write:N).

Workloads (every child: a 1-second Wait, then a Pass echoing its input, so
that deaths land while children are open):
  inline  CRASH_PARENTS parents inline-<p> of `maprun-crash-inline`: a
          DISTRIBUTED Map (Label `each`, MaxConcurrency 3) over the input's
          CRASH_ITEMS items, ItemSelector {i: Map.Item.Index, item:
          Map.Item.Value, parent: $.name};
  reader  (with s3rver, scripts/install-aws-servers.sh) CRASH_READER_PARENTS
          parents reader-<p> of `maprun-crash-reader`: ItemReader JSONL
          s3://maprun-crash/in/reader-<p>.jsonl (CRASH_READER_ITEMS lines),
          ItemBatcher MaxItemsPerBatch 5 with BatchInput {parent}, Label
          `batch`, MaxConcurrency 4, ResultWriter to out/reader-<p>;
  redrive CRASH_REDRIVE_PARENTS parents redrive-<p> of `maprun-crash-redrive`:
          the inline Map over CRASH_ITEMS items of which every sixth (j % 6
          == 1) says fail; a child of such an item fails (States.Runtime in
          its Trip state) while its $$.Execution.RedriveCount is 0. So the parent
          fails, and the starter redrives it (RedriveExecution, retried
          across deaths) until it succeeds: each redrive of the parent
          redrives its Map Run (failed and aborted children redriven,
          pending items started).
The starter starts each parent (retried until acknowledged or
ExecutionAlreadyExists). The main thread kills after lives of uniform
[0, CRASH_MAX_GAP_MS) ms, one life in three started with a crash point;
after CRASH_KILLS deaths the last life runs until every parent is closed
(CRASH_DEADLINE_S).
Checks, per parent: SUCCEEDED with the output computed independently (the
children's outputs in item order; for reader parents the ResultWriter's
details); its history's ids are 1..N, each previousEventId below its id,
one MapStateEntered, one MapRunStarted, one MapRunSucceeded, one
ExecutionSucceeded last. Per Map Run (uuid of the MapRunStarted ARN): the
hidden machine MACHINE/LABEL (ListExecutions) holds exactly the children
`<uuid>-0` .. `<uuid>-<n-1>`, no index twice and none missing, no child of
a uuid that is no parent's run; each child SUCCEEDED with the input of its
index (and its parent), and its history has one ExecutionStarted, one
WaitStateEntered and consecutive ids. Redrive parents: SUCCEEDED after at least one redrive, one MapRunStarted,
as many MapRunRedriven as ExecutionRedriven events; their children: one
per index, SUCCEEDED, one ExecutionStarted, and every child of a failing
item redriven (redriveCount >= 1). Reader parents: the manifest at the
key the parent's output names lists SUCCEEDED files only, and their entries
hold every item exactly once, in order, each batch once.
CI size: CRASH_PARENTS=3 CRASH_ITEMS=18 CRASH_READER_PARENTS=1
CRASH_READER_ITEMS=40 CRASH_REDRIVE_PARENTS=2 CRASH_KILLS=5 CRASH_MAX_GAP_MS=2000; long mode in
README.md. CRASH_SEED repeats a run's kill times and crash points.
Usage: map_run_crash_test.py STEPWISED. Exits 77 without botocore.
"""
import json
import os
import random
import re
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TESTS, "aws"))
sys.path.insert(0, os.path.join(TESTS, "integrations"))
from sfn_daemon import ACCOUNT, ROLE, Checks, Daemon  # noqa: E402

try:
    import botocore.session
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError:
    print("SKIP: botocore not installed")
    sys.exit(77)
import aws_servers  # noqa: E402

PARENTS = int(os.environ.get("CRASH_PARENTS", "3"))
ITEMS = int(os.environ.get("CRASH_ITEMS", "18"))
READER_PARENTS = int(os.environ.get("CRASH_READER_PARENTS", "1"))
READER_ITEMS = int(os.environ.get("CRASH_READER_ITEMS", "40"))
REDRIVE_PARENTS = int(os.environ.get("CRASH_REDRIVE_PARENTS", "2"))
KILLS = int(os.environ.get("CRASH_KILLS", "5"))
MAX_GAP_MS = int(os.environ.get("CRASH_MAX_GAP_MS", "2000"))
DEADLINE_S = int(os.environ.get("CRASH_DEADLINE_S", "240"))
SEED = int(os.environ.get("CRASH_SEED", str(int(time.time()))))

BUCKET = "maprun-crash"
BATCH = 5
CHILD = {"StartAt": "Hold", "States": {
    "Hold": {"Type": "Wait", "Seconds": 1, "Next": "Echo"},
    "Echo": {"Type": "Pass", "End": True}}}
INLINE = {"StartAt": "Each", "States": {"Each": {
    "Type": "Map", "Label": "each", "ItemsPath": "$.items", "MaxConcurrency": 3,
    "ItemSelector": {"i.$": "$$.Map.Item.Index", "item.$": "$$.Map.Item.Value",
                     "parent.$": "$.name"},
    "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                      **CHILD},
    "End": True}}}
READER = {"StartAt": "Each", "States": {"Each": {
    "Type": "Map", "Label": "batch", "MaxConcurrency": 4,
    "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                   "ReaderConfig": {"InputType": "JSONL"},
                   "Parameters": {"Bucket": BUCKET, "Key.$": "$.key"}},
    "ItemBatcher": {"MaxItemsPerBatch": BATCH, "BatchInput": {"parent.$": "$.name"}},
    "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                     "Parameters": {"Bucket": BUCKET, "Prefix.$": "$.out"}},
    "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                      **CHILD},
    "End": True}}}
# A child of a failing item fails until it is redriven: its Trip state asks
# for index RedriveCount - 1 of an array, out of range (States.Runtime) while
# the count is 0. Redrive reruns the failed state (Trip), which then passes.
FLAKY_CHILD = {"StartAt": "First", "States": {
    "First": {"Type": "Choice", "Choices": [
        {"Variable": "$.item.fail", "IsPresent": True, "Next": "Trip"}], "Default": "Hold"},
    "Trip": {"Type": "Pass", "ResultPath": None, "Next": "Hold", "Parameters": {
        "n.$": "States.ArrayGetItem(States.ArrayRange(0, 9, 1), "
               "States.MathAdd($$.Execution.RedriveCount, -1))"}},
    **CHILD["States"]}}
REDRIVE = {"StartAt": "Each", "States": {"Each": {
    **INLINE["States"]["Each"],
    "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                      **FLAKY_CHILD}}}}
MACHINES = {"inline": ("maprun-crash-inline", "each", INLINE),
            "reader": ("maprun-crash-reader", "batch", READER),
            "redrive": ("maprun-crash-redrive", "each", REDRIVE)}


def item(parent, j):
    it = {"k": f"{parent}/{j}", "v": 7 * j + len(parent)}
    if parent.startswith("redrive-") and j % 6 == 1:
        it["fail"] = True
    return it


def parent_input(kind, name):
    if kind in ("inline", "redrive"):
        return {"name": name, "items": [item(name, j) for j in range(ITEMS)]}
    return {"name": name, "key": f"in/{name}.jsonl", "out": f"out/{name}"}


def child_input(kind, name, index):
    """The input child `index` of parent `name` must have been given."""
    if kind in ("inline", "redrive"):
        return {"i": index, "item": item(name, index), "parent": name}
    first = index * BATCH
    return {"Items": [item(name, j) for j in range(first, min(first + BATCH, READER_ITEMS))],
            "BatchInput": {"parent": name}}


def children_of(kind):
    return ITEMS if kind in ("inline", "redrive") else (READER_ITEMS + BATCH - 1) // BATCH


class Clients:
    """A botocore client per thread for the daemon's current life."""

    def __init__(self, daemon):
        self.daemon = daemon
        self.local = threading.local()

    def get(self):
        if getattr(self.local, "start", None) != self.daemon.starts:
            self.local.client = botocore.session.get_session().create_client(
                "stepfunctions", endpoint_url=self.daemon.endpoint, region_name="us-east-1",
                aws_access_key_id="x", aws_secret_access_key="x",
                config=Config(inject_host_prefix=False, connect_timeout=2, read_timeout=30,
                              retries={"max_attempts": 1}))
            self.local.start = self.daemon.starts
        return self.local.client


class Run:
    def __init__(self, daemon, with_reader):
        self.clients = Clients(daemon)
        self.stop = threading.Event()
        self.parents = [("inline", f"inline-{p}") for p in range(PARENTS)]
        if with_reader:
            self.parents += [("reader", f"reader-{p}") for p in range(READER_PARENTS)]
        self.parents += [("redrive", f"redrive-{p}") for p in range(REDRIVE_PARENTS)]
        self.started = set()
        self.redrive_calls = {}  # redrive parent -> RedriveExecution calls acknowledged
        self.closed = set()
        self.start_calls = 0

    @staticmethod
    def arn(kind, name):
        return f"{ACCOUNT}:execution:{MACHINES[kind][0]}:{name}"

    def driver(self):
        """Starts every parent, then watches them close (across deaths)."""
        while not self.stop.is_set() and len(self.closed) < len(self.parents):
            for kind, name in self.parents:
                if self.stop.is_set() or name in self.closed:
                    continue
                try:
                    c = self.clients.get()
                    if name not in self.started:
                        self.start_calls += 1
                        try:
                            c.start_execution(
                                stateMachineArn=f"{ACCOUNT}:stateMachine:{MACHINES[kind][0]}",
                                name=name, input=json.dumps(parent_input(kind, name)))
                        except ClientError as e:
                            if e.response["Error"]["Code"] != "ExecutionAlreadyExists":
                                raise
                        self.started.add(name)
                    else:
                        status = c.describe_execution(executionArn=self.arn(kind, name))["status"]
                        if (kind == "redrive" and status == "FAILED"
                                and self.redrive_calls.get(name, 0) <= ITEMS):
                            try:
                                c.redrive_execution(executionArn=self.arn(kind, name))
                                self.redrive_calls[name] = self.redrive_calls.get(name, 0) + 1
                            except ClientError as e:
                                # Redriven by a call whose answer died with the daemon.
                                if e.response["Error"]["Code"] != "ExecutionNotRedrivable":
                                    raise
                        elif status != "RUNNING":
                            self.closed.add(name)
                except Exception:  # noqa: BLE001 - the daemon died: next round
                    time.sleep(0.1)
            time.sleep(0.1)


def history(client, arn):
    events, kw = [], {}
    while True:
        page = client.get_execution_history(executionArn=arn, maxResults=1000, **kw)
        events += page["events"]
        if not page.get("nextToken"):
            return events
        kw = {"nextToken": page["nextToken"]}


def history_problems(events, once):
    """Gaps, duplicates and misordered links in a history; `once`: event
    types that must appear exactly once."""
    problems = []
    ids = [e["id"] for e in events]
    if ids != list(range(1, len(ids) + 1)):
        problems.append(f"event ids not 1..{len(ids)}: {ids[:20]}")
    for e in events:
        if e.get("previousEventId", 0) >= e["id"]:
            problems.append(f"event {e['id']} has previousEventId {e['previousEventId']}")
    types = [e["type"] for e in events]
    for t in once:
        if types.count(t) != 1:
            problems.append(f"{types.count(t)} {t} events")
    if not types or types[-1] != "ExecutionSucceeded":
        problems.append(f"last event {types[-1] if types else None}")
    return problems


def list_all(client, machine_arn):
    out, kw = [], {}
    while True:
        page = client.list_executions(stateMachineArn=machine_arn, maxResults=1000, **kw)
        out += page["executions"]
        if not page.get("nextToken"):
            return out
        kw = {"nextToken": page["nextToken"]}


def verify_results(s3, name, details, violations):
    """The ResultWriter's manifest and SUCCEEDED files of reader parent `name`."""
    bucket, key = details["Bucket"], details["Key"]
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    files = manifest.get("ResultFiles", {})
    if files.get("FAILED") or files.get("PENDING") or not files.get("SUCCEEDED"):
        violations.append(f"{name}: manifest result files {files}")
    seen = []
    for f in files.get("SUCCEEDED", []):
        body = s3.get_object(Bucket=bucket, Key=f["Key"])["Body"].read()
        if len(body) != f["Size"]:
            violations.append(f"{name}: {f['Key']} is {len(body)} bytes, manifest says "
                              f"{f['Size']}")
        for entry in json.loads(body):
            if entry.get("Status") != "SUCCEEDED":
                violations.append(f"{name}: entry {entry.get('Name')} {entry.get('Status')}")
            seen += [it["k"] for it in json.loads(entry["Output"])["Items"]]
    want = [item(name, j)["k"] for j in range(READER_ITEMS)]
    if seen != want:
        twice = sorted({k for k in seen if seen.count(k) > 1})
        violations.append(f"{name}: result files hold {len(seen)} items ({len(set(seen))} "
                          f"distinct, twice: {twice[:5]}, missing: "
                          f"{sorted(set(want) - set(seen))[:5]}), want {len(want)} in order")


def verify(run, client, s3):
    violations = []
    counts = {"parent events": 0, "children": 0, "child events": 0}
    run_of = {}  # map run uuid -> (kind, parent)
    for kind, name in run.parents:
        arn = run.arn(kind, name)
        d = client.describe_execution(executionArn=arn)
        events = history(client, arn)
        counts["parent events"] += len(events)
        if kind == "redrive":
            problems = history_problems(events, ("MapRunStarted", "ExecutionSucceeded"))
            types = [e["type"] for e in events]
            redriven = types.count("MapRunRedriven")
            if redriven < 1 or redriven != types.count("ExecutionRedriven"):
                problems.append(f"{redriven} MapRunRedriven for "
                                f"{types.count('ExecutionRedriven')} ExecutionRedriven")
        else:
            problems = history_problems(events, ("MapStateEntered", "MapRunStarted",
                                                 "MapRunSucceeded", "ExecutionSucceeded"))
        started = [e["mapRunStartedEventDetails"]["mapRunArn"] for e in events
                   if e["type"] == "MapRunStarted"]
        for map_run in started:
            run_of[map_run.rsplit(":", 1)[1]] = (kind, name)
        if d["status"] != "SUCCEEDED":
            problems.append(f"status {d['status']} {d.get('error')}: {d.get('cause')}")
        else:
            out = json.loads(d["output"])
            if kind in ("inline", "redrive"):
                want = [child_input(kind, name, j) for j in range(ITEMS)]
                if out != want:
                    problems.append(f"output {d['output'][:300]}")
            elif s3 is not None:
                if out.get("MapRunArn") not in started:
                    problems.append(f"output's MapRunArn {out.get('MapRunArn')} is not the "
                                    f"run started {started}")
                verify_results(s3, name, out.get("ResultWriterDetails", {}), violations)
        if problems:
            violations.append(f"{name}: " + "; ".join(problems))
    # The children, per hidden machine.
    for kind in {k for k, _ in run.parents}:
        machine, label, _ = MACHINES[kind]
        listed = list_all(client, f"{ACCOUNT}:stateMachine:{machine}/{label}")
        counts["children"] += len(listed)
        by_run = {}
        for c in listed:
            m = re.fullmatch(r"(.+)-(\d+)", c["name"])
            if m is None or m.group(1) not in run_of:
                violations.append(f"child {c['name']} of no parent's Map Run")
                continue
            by_run.setdefault(m.group(1), []).append((int(m.group(2)), c))
        for uuid, (k, parent) in run_of.items():
            if k != kind:
                continue
            got = sorted(i for i, _ in by_run.get(uuid, []))
            if got != list(range(children_of(kind))):
                twice = sorted({i for i in got if got.count(i) > 1})
                violations.append(f"{parent}: {len(got)} children for "
                                  f"{children_of(kind)} indexes (twice: {twice}, missing: "
                                  f"{sorted(set(range(children_of(kind))) - set(got))[:10]})")
            for index, c in by_run.get(uuid, []):
                d = client.describe_execution(executionArn=c["executionArn"])
                events = history(client, c["executionArn"])
                counts["child events"] += len(events)
                if kind == "redrive":  # a redriven child enters its states again
                    problems = history_problems(events, ("ExecutionStarted",
                                                         "ExecutionSucceeded"))
                    if "fail" in child_input(kind, parent, index)["item"] and \
                            d.get("redriveCount", 0) < 1:
                        problems.append("a failing item's child was not redriven")
                else:
                    problems = history_problems(events, ("ExecutionStarted", "WaitStateEntered",
                                                         "ExecutionSucceeded"))
                if d["status"] != "SUCCEEDED":
                    problems.append(f"status {d['status']}")
                if json.loads(d["input"]) != child_input(kind, parent, index):
                    problems.append(f"input {d['input'][:200]}")
                if problems:
                    violations.append(f"{c['name']} ({parent}): " + "; ".join(problems))
    missing = {n for _, n in run.parents} - {p for _, p in run_of.values()}
    if missing:
        violations.append(f"parents without a MapRunStarted: {sorted(missing)}")
    return counts, violations


def main():
    stepwised = sys.argv[1]
    modules = aws_servers.modules_dir()
    s3rver = s3 = None
    extra = []
    if modules is not None and READER_PARENTS > 0:
        aws_servers.set_dummy_credentials()  # stepwised signs with s3rver's keys
        s3rver = aws_servers.Server(modules, "s3rver", BUCKET)
        s3 = aws_servers.client("s3", s3rver.endpoint)
        extra = ["--aws-endpoint", f"s3={s3rver.endpoint}"]
    else:
        print("NOTE: s3rver not installed (bash scripts/install-aws-servers.sh): the ItemReader "
              "workload is skipped", flush=True)
    checks = Checks()
    daemon = Daemon(stepwised, extra)
    daemon.start()
    run = Run(daemon, s3 is not None)
    rng = random.Random(SEED)
    readers = sum(k == "reader" for k, _ in run.parents)
    print(f"seed {SEED}: {len(run.parents)} parents ({PARENTS} x {ITEMS} inline items, "
          f"{readers} x {READER_ITEMS} JSONL items in batches of {BATCH}, "
          f"{REDRIVE_PARENTS} x {ITEMS} items redriven until they succeed), "
          f"{KILLS} deaths, gaps < {MAX_GAP_MS} ms", flush=True)
    for kind, name in run.parents:
        if kind == "reader":
            body = "".join(json.dumps(item(name, j)) + "\n" for j in range(READER_ITEMS))
            s3.put_object(Bucket=BUCKET, Key=f"in/{name}.jsonl", Body=body.encode())
    client = run.clients.get()
    for kind in {k for k, _ in run.parents}:
        client.create_state_machine(name=MACHINES[kind][0], roleArn=ROLE,
                                    definition=json.dumps(MACHINES[kind][2]))
    end = time.time() + DEADLINE_S
    t0 = time.time()
    driver = threading.Thread(target=run.driver, daemon=True)
    driver.start()
    deaths = point_lives = 0
    point_life = False
    try:
        while deaths < KILLS and time.time() < end and len(run.closed) < len(run.parents):
            life_end = time.time() + rng.uniform(0, MAX_GAP_MS) / 1000
            while time.time() < life_end and daemon.proc.poll() is None:
                time.sleep(0.02)
            if daemon.proc.poll() is None:
                daemon.kill9()
            else:
                daemon.proc.wait()  # the crash point fired
            deaths += 1
            point = None
            if rng.randrange(3) == 0:
                point = f"{rng.choice(['before_write', 'after_write'])}:{rng.randint(1, 40)}"
            point_life = point is not None
            point_lives += point_life
            if point:
                os.environ["STEPWISE_TEST_CRASH_POINT"] = point
            try:
                daemon.start()
            except RuntimeError:
                os.environ.pop("STEPWISE_TEST_CRASH_POINT", None)
                point_life = False
                daemon.start()
            os.environ.pop("STEPWISE_TEST_CRASH_POINT", None)
        # The final life: no crash point, runs until every parent closed.
        final_violations = []
        if daemon.proc.poll() is None and point_life:
            daemon.kill9()
            deaths += 1
        if daemon.proc.poll() is not None:
            daemon.start()
        while len(run.closed) < len(run.parents) and time.time() < end:
            time.sleep(0.2)
            if daemon.proc.poll() is not None:  # must not die without a crash point
                final_violations.append(
                    f"stepwised exited with {daemon.proc.returncode} in the final life")
                daemon.start()
        run.stop.set()
        driver.join(timeout=10)
        print(f"{deaths} deaths ({point_lives} lives with a crash point), "
              f"{run.start_calls} StartExecution calls, "
              f"{sum(run.redrive_calls.values())} RedriveExecution calls, all closed after "
              f"{time.time() - t0:.1f} s", flush=True)
        checks.check("every parent closed before the deadline",
                     len(run.closed) == len(run.parents),
                     sorted({n for _, n in run.parents} - run.closed))
        counts, violations = verify(run, run.clients.get(), s3)
        violations = final_violations + violations
        print(f"{counts['parent events']} parent events, {counts['children']} children, "
              f"{counts['child events']} child events", flush=True)
        for v in violations[:40]:
            print(f"  violation: {v}")
        want = sum(children_of(k) for k, _ in run.parents)
        checks.check(f"0 violations over {len(run.parents)} parents and {want} children",
                     not violations, f"{len(violations)} violations")
    except Exception as e:  # noqa: BLE001 - reported as a failed check
        import traceback
        traceback.print_exc()
        checks.check("no exception", False, repr(e))
    run.stop.set()
    if s3rver is not None:
        s3rver.stop()
    checks.finish(daemon)


if __name__ == "__main__":
    main()
