#!/usr/bin/env python3
"""Crash harness for Tasks that call out (issue 16): kill -9 of a real
stepwised at random times, at group-commit points (STEPWISE_TEST_CRASH_POINT
before_write:N / after_write:N) and in the middle of calls, against servers
that count every request per (execution, task).

Workload: CRASH_EXECUTIONS executions of one state machine:
  Http   arn:aws:states:::http:invoke POST to a loopback HTTP server the
         harness runs (API_KEY connection from --connections-file); the
         server answers {"nonce": <unique>} and counts the request;
  Put    arn:aws:states:::aws-sdk:dynamodb:putItem {id: execution name, nonce};
  Count  arn:aws:states:::dynamodb:updateItem (the optimized integration)
         ADD calls :1, UPDATED_NEW;
  Done   Pass.
The DynamoDB Tasks go to dynalite through a counting proxy the harness runs
(--aws-endpoint dynamodb=<proxy>). A part this build or box cannot run is
left out and the run says so in a NOTE line: the DynamoDB Tasks without
dynalite (bash scripts/install-aws-servers.sh), Http when stepwised has no
--connections-file, and Count goes through aws-sdk:dynamodb:updateItem when
a probe finds the optimized integration not wired in; with neither part it
skips (77).
Kills: the harness kills after a life of uniform [0, CRASH_MAX_GAP_MS) ms;
one life in three starts with a crash point; and one request in
CRASH_CALL_KILL_EVERY (default 4) is held by its server while the harness
kills the daemon (HTTP: before the answer is written; DynamoDB: after
dynalite applied the call, before the answer is written). After
CRASH_KILLS deaths the last life runs until every execution is closed.
Checks: every execution SUCCEEDED; every (execution, task) was called at
least once, and again after a kill that cut its answer (never skipped);
the HTTP answer in the output is one the server gave for that execution;
the item holds that nonce; the DynamoDB counter equals the number of
updateItem calls dynalite applied for the execution (at least one: AWS's
at-least-once) and the output's value is one of them.
Usage: service_call_crash_test.py <stepwised>. Exits 77 (skip) without
botocore or stepwised's --aws-endpoint, or when no part can run.
"""
import itertools
import json
import os
import random
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TESTS, "integrations"))
sys.path.insert(0, os.path.join(TESTS, "aws"))
import aws_servers  # noqa: E402
from sfn_daemon import Aws, Checks, Daemon  # noqa: E402

EXECUTIONS = int(os.environ.get("CRASH_EXECUTIONS", "30"))
KILLS = int(os.environ.get("CRASH_KILLS", "12"))
MAX_GAP_MS = int(os.environ.get("CRASH_MAX_GAP_MS", "3000"))
CALL_KILL_EVERY = int(os.environ.get("CRASH_CALL_KILL_EVERY", "4"))
DEADLINE_S = int(os.environ.get("CRASH_DEADLINE_S", "240"))
SEED = int(os.environ.get("CRASH_SEED", str(int(time.time()))))
TABLE = "crash-calls"
CONNECTION = "arn:aws:events:us-east-1:123456789012:connection/crash-calls/0f1e2d3c"


class QuietServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that says nothing when a killed daemon hung up
    mid-answer (that is the point here), and reports anything else."""
    daemon_threads = True

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class Killer:
    """Kill requests from the servers' handler threads to the main loop, and
    the count of deaths so far (the main loop's `life`)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.wanted = threading.Event()
        self.done = threading.Condition(self.lock)
        self.deaths = 0
        self.budget = KILLS
        self.rng = random.Random(SEED + 1)
        self.calls = 0

    def maybe_kill_during_call(self):
        """True when this call is to be cut: the daemon is dead on return."""
        with self.lock:
            self.calls += 1
            if self.budget <= 0 or self.rng.randrange(CALL_KILL_EVERY) != 0:
                return False
            self.budget -= 1
            target = self.deaths + 1
            self.wanted.set()
            deadline = time.time() + 20
            while self.deaths < target and time.time() < deadline:
                self.done.wait(0.5)
            return self.deaths >= target

    def killed(self):
        with self.lock:
            self.deaths += 1
            self.done.notify_all()

    def take_random_kill(self):
        with self.lock:
            if self.budget <= 0:
                return False
            self.budget -= 1
            return True


class Counts:
    """Requests per (execution, task), with the nonces answered and the
    calls cut by a kill (answer never written)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = {}     # (execution, task) -> count
        self.answers = {}      # (execution, task) -> [nonce or dynalite answer]
        self.cut = {}          # (execution, task) -> count of calls cut by a kill
        self.applied = {}      # execution -> updateItem calls dynalite answered 200
        self.nonce = itertools.count(1)

    def add(self, key):
        with self.lock:
            self.requests[key] = self.requests.get(key, 0) + 1

    def answered(self, key, value):
        with self.lock:
            self.answers.setdefault(key, []).append(value)

    def cut_call(self, key):
        with self.lock:
            self.cut[key] = self.cut.get(key, 0) + 1


def http_server(counts, killer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                execution = json.loads(body)["execution"]
            except (ValueError, KeyError, TypeError):
                self.send_error(400)
                return
            key = (execution, "Http")
            counts.add(key)
            if self.headers.get("x-api-key") != "crash-secret":
                self.send_error(401)
                return
            if killer.maybe_kill_during_call():
                counts.cut_call(key)   # the daemon died waiting: nobody reads this answer
                self.close_connection = True
                return
            nonce = f"n{next(counts.nonce)}"
            counts.answered(key, nonce)
            out = json.dumps({"nonce": nonce}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    server = QuietServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def dynamodb_proxy(counts, killer, upstream):
    """Forwards DynamoDB's JSON protocol to dynalite, counting PutItem and
    UpdateItem per execution (the item's id); some answers are cut by a kill
    after dynalite applied the call."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            target = self.headers.get("X-Amz-Target", "")
            op = target.split(".")[-1]
            try:
                doc = json.loads(body)
                execution = (doc.get("Item") or doc.get("Key"))["id"]["S"]
            except (ValueError, KeyError, TypeError):
                execution = None
            if execution is not None and not execution.startswith("call-"):
                execution = None   # the probe, not the workload
            key = (execution, {"PutItem": "Put", "UpdateItem": "Count"}.get(op, op))
            if execution is not None:
                counts.add(key)
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("host", "content-length", "connection")}
            req = urllib.request.Request(upstream + "/", data=body, headers=headers,
                                         method="POST")
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    status, reply = r.status, r.read()
                    reply_headers = r.getheaders()
            except urllib.error.HTTPError as e:
                status, reply, reply_headers = e.code, e.read(), e.headers.items()
            if execution is not None and status == 200:
                counts.answered(key, reply.decode())
                if op == "UpdateItem":
                    with counts.lock:
                        counts.applied[execution] = counts.applied.get(execution, 0) + 1
            if execution is not None and killer.maybe_kill_during_call():
                counts.cut_call(key)
                self.close_connection = True
                return
            self.send_response(status)
            for k, v in reply_headers:
                if k.lower() not in ("content-length", "connection", "transfer-encoding",
                                     "date", "server"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    server = QuietServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def definition(http_port, with_http, with_dynamodb, count_resource):
    states = {
        "Http": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                 "Parameters": {
                     "ApiEndpoint": f"http://127.0.0.1:{http_port}/call", "Method": "POST",
                     "Authentication": {"ConnectionArn": CONNECTION},
                     "RequestBody": {"execution.$": "$$.Execution.Name", "task": "Http"}},
                 "ResultSelector": {"nonce.$": "$.ResponseBody.nonce",
                                    "status.$": "$.StatusCode"},
                 "ResultPath": "$.http", "Next": "Put" if with_dynamodb else "Done"},
        "Done": {"Type": "Pass", "End": True},
    }
    if not with_http:
        del states["Http"]
    if with_dynamodb:
        states["Put"] = {
            "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:putItem",
            "Parameters": {"TableName": TABLE, "Item": {
                "id": {"S.$": "$$.Execution.Name"},
                "nonce": {"S.$": "$.http.nonce" if with_http else "$$.Execution.Name"}}},
            "ResultPath": None, "Next": "Count"}
        states["Count"] = {
            "Type": "Task", "Resource": count_resource,
            "Parameters": {"TableName": TABLE, "Key": {"id": {"S.$": "$$.Execution.Name"}},
                           "UpdateExpression": "ADD calls :one",
                           "ExpressionAttributeValues": {":one": {"N": "1"}},
                           "ReturnValues": "UPDATED_NEW"},
            "ResultSelector": {"calls.$": "$.Attributes.calls.N"},
            "ResultPath": "$.count", "Next": "Done"}
    start = "Http" if with_http else "Put" if with_dynamodb else "Done"
    return {"StartAt": start, "States": states}


OPTIMIZED_UPDATE = "arn:aws:states:::dynamodb:updateItem"
SDK_UPDATE = "arn:aws:states:::aws-sdk:dynamodb:updateItem"


def optimized_dynamodb_runs(aws):
    """Whether this stepwised runs the optimized dynamodb:updateItem (a probe
    execution on an item the workload never uses)."""
    arn = aws.create_machine("crash-calls-probe", {"StartAt": "U", "States": {"U": {
        "Type": "Task", "Resource": OPTIMIZED_UPDATE, "End": True, "Parameters": {
            "TableName": TABLE, "Key": {"id": {"S": "probe"}},
            "UpdateExpression": "ADD calls :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}}}}}})
    ex = aws.client().start_execution(stateMachineArn=arn)
    d = aws.wait_status(ex["executionArn"], timeout=60)
    if d["status"] != "SUCCEEDED":
        print(f"probe of {OPTIMIZED_UPDATE}: {d['status']} {d.get('error')}: "
              f"{d.get('cause')}", flush=True)
    return d["status"] == "SUCCEEDED"


def call_with_retries(fn, deadline):
    """fn() retried across deaths (connection errors) until `deadline`."""
    from botocore.exceptions import ClientError
    while True:
        try:
            return fn()
        except ClientError:
            raise
        except Exception:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    stepwised = sys.argv[1]
    aws_servers.botocore_or_skip()
    aws_servers.aws_integrations_or_skip(stepwised)
    with_http = "--connections-file" in aws_servers.stepwised_flags(stepwised)
    if not with_http:
        print("NOTE: this stepwised has no --connections-file (HTTP Task not built in): "
              "the HTTP part of the workload is skipped", flush=True)
    from botocore.exceptions import ClientError
    aws_servers.set_dummy_credentials()
    print(f"seed {SEED}: {EXECUTIONS} executions, {KILLS} deaths, gaps < {MAX_GAP_MS} ms, "
          f"one call in {CALL_KILL_EVERY} cut by a kill", flush=True)
    rng = random.Random(SEED)
    counts, killer = Counts(), Killer()
    work = tempfile.mkdtemp(prefix="sw_call_crash_")
    connections = os.path.join(work, "connections.json")
    with open(connections, "w") as f:
        json.dump({CONNECTION: {"Name": "crash-calls", "AuthorizationType": "API_KEY",
                                "AuthParameters": {"ApiKeyAuthParameters": {
                                    "ApiKeyName": "x-api-key",
                                    "ApiKeyValue": "crash-secret"}}}}, f)
    modules = aws_servers.modules_dir()
    dynalite = aws_servers.Server(modules, "dynalite") if modules else None
    if dynalite is None:
        print("NOTE: dynalite not installed (bash scripts/install-aws-servers.sh): "
              "the DynamoDB putItem/updateItem part of the workload is skipped; "
              "HTTP Tasks only", flush=True)
    http = http_server(counts, killer)
    if not with_http and dynalite is None:
        aws_servers.skip("neither the HTTP Task nor dynalite: nothing to crash")
    extra = ["--connections-file", connections] if with_http else []
    proxy = None
    if dynalite:
        ddb = aws_servers.client("dynamodb", dynalite.endpoint)
        aws_servers.create_table(ddb, TABLE)
        proxy = dynamodb_proxy(counts, killer, dynalite.endpoint)
        extra += ["--aws-endpoint", f"dynamodb=http://127.0.0.1:{proxy.server_address[1]}"]
    daemon = Daemon(stepwised, extra)
    checks = Checks()
    names = [f"call-{i}" for i in range(EXECUTIONS)]
    try:
        daemon.start()
        aws = Aws(None, daemon)
        end = time.time() + DEADLINE_S
        count_resource = OPTIMIZED_UPDATE
        if dynalite and not optimized_dynamodb_runs(aws):
            count_resource = SDK_UPDATE
            print(f"NOTE: {OPTIMIZED_UPDATE} does not run on this stepwised: Count uses "
                  f"{SDK_UPDATE}", flush=True)
        machine = call_with_retries(lambda: aws.create_machine(
            "crash-calls", definition(http.server_address[1], with_http, dynalite is not None,
                                      count_resource)), end)
        started = set()
        crash_lives = 0
        point_life = False

        def start_some(k):
            for name in names:
                if name in started or k <= 0:
                    continue
                try:
                    aws.client().start_execution(stateMachineArn=machine, name=name,
                                                 input=json.dumps({"n": name}))
                    started.add(name)
                except ClientError as e:
                    if e.response["Error"]["Code"] == "ExecutionAlreadyExists":
                        started.add(name)
                    else:
                        raise
                except Exception:
                    return  # the daemon died: next life
                k -= 1

        # Lives: each runs for a random gap (or until a call asks for a kill
        # or the crash point fires), starting a few executions.
        while killer.deaths < KILLS and time.time() < end:
            gap = rng.uniform(0, MAX_GAP_MS) / 1000
            life_end = time.time() + gap
            while time.time() < life_end and not killer.wanted.is_set() \
                    and daemon.proc.poll() is None:
                start_some(3)
                time.sleep(0.05)
            by_call = killer.wanted.is_set()
            if by_call or daemon.proc.poll() is None:
                if not by_call and not killer.take_random_kill():
                    break
                daemon.kill9()
            else:
                daemon.proc.wait()    # the crash point fired
            killer.wanted.clear()
            killer.killed()
            point = None
            point_life = False
            if rng.randrange(3) == 0:
                point = f"{rng.choice(['before_write', 'after_write'])}:{rng.randint(1, 40)}"
                crash_lives += 1
                point_life = True
            if point:
                os.environ["STEPWISE_TEST_CRASH_POINT"] = point
            try:
                daemon.start()
            except RuntimeError:
                os.environ.pop("STEPWISE_TEST_CRASH_POINT", None)
                point_life = False
                daemon.start()
            os.environ.pop("STEPWISE_TEST_CRASH_POINT", None)
        # The final life: no more kills; a crash-point life still running
        # would die by itself, so restart plainly.
        killer.budget = 0
        if daemon.proc.poll() is None and point_life:
            daemon.kill9()
            killer.killed()
        if daemon.proc.poll() is not None:
            daemon.start()
        while len(started) < len(names) and time.time() < end:
            start_some(len(names))
        print(f"{killer.deaths} deaths ({crash_lives} lives with a crash point), "
              f"{killer.calls} calls seen", flush=True)
        status = {}
        for name in names:
            arn = f"{machine.replace(':stateMachine:', ':execution:')}:{name}"
            d = aws.wait_status(arn, timeout=max(1, end - time.time()))
            status[name] = (d, json.loads(d["output"]) if d.get("output") else None)

        cut_total = sum(counts.cut.values())
        recalled = 0
        for name in names:
            d, out = status[name]
            checks.check(f"{name} SUCCEEDED", d["status"] == "SUCCEEDED",
                         f"{d['status']} {d.get('error')}: {d.get('cause')}")
            tasks = (["Http"] if with_http else []) + (["Put", "Count"] if dynalite else [])
            for task in tasks:
                key = (name, task)
                n, cut = counts.requests.get(key, 0), counts.cut.get(key, 0)
                checks.check(f"{name}/{task}: called (at least once)", n >= 1, counts.requests)
                if cut:
                    recalled += 1
                    checks.check(f"{name}/{task}: called again after the kill that cut its "
                                 f"answer ({n} calls, {cut} cut)", n >= cut + 1, "")
            if out is None:
                continue
            nonce = (out.get("http") or {}).get("nonce") if with_http else name
            if with_http:
                checks.check(f"{name}: HTTP answer in the output is one the server gave",
                             nonce in counts.answers.get((name, "Http"), []),
                             f"{nonce} not in {counts.answers.get((name, 'Http'))}")
            if dynalite:
                item = ddb.get_item(TableName=TABLE, Key={"id": {"S": name}},
                                    ConsistentRead=True).get("Item", {})
                checks.check(f"{name}: the item holds the output's nonce",
                             item.get("nonce", {}).get("S") == nonce, item)
                applied = counts.applied.get(name, 0)
                stored = int(item.get("calls", {}).get("N", "0"))
                checks.check(f"{name}: counter = updateItem calls dynalite applied "
                             f"({stored} = {applied}, >= 1)", stored == applied >= 1, "")
                seen = int((out.get("count") or {}).get("calls", "0"))
                checks.check(f"{name}: the output's counter is one of the applied calls",
                             1 <= seen <= applied, f"{seen} of {applied}")
        print(f"{cut_total} calls cut by a kill, in {recalled} (execution, task) pairs",
              flush=True)
        if KILLS >= 8 and EXECUTIONS >= 20:
            checks.check("some calls were cut by a kill (the harness did its job)",
                         cut_total > 0, "")
    except Exception:
        import traceback
        checks.check("no unexpected error", False, traceback.format_exc())
    finally:
        http.shutdown()
        if proxy:
            proxy.shutdown()
        if dynalite:
            dynalite.stop()
    checks.finish(daemon)


if __name__ == "__main__":
    sys.exit(main())
