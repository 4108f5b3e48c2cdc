#!/usr/bin/env python3
"""Crash harness for RedriveExecution (issue 18): executions fail, are
redriven (some several times) and finish while a real stepwised is killed
with SIGKILL at random times and at group-commit points
(STEPWISE_TEST_CRASH_POINT before_write:N / after_write:N).

Workload: CRASH_EXECUTIONS executions redrive-<i> of one state machine:
  Prep  Pass;
  Work  activity Task (TimeoutSeconds 4, Retry on States.Timeout: a hand-out
        lost with a life comes back), its input naming the site and
        $$.Execution.RedriveCount;
  Each  inline Map of 3 items, each an activity Task alike;
  Done  Pass.
Execution i is planned to fail need(i) = i % 4 times: its first
need(i) // 2 runs fail at Work, the others at Map item i % 3 (the worker
answers SendTaskFailure "Broken" while the run's RedriveCount is below the
plan, success {"v": 10 * i + item} otherwise). Any other failure (an extra
one, or a success too early) shows in the final checks.
Threads: WORKERS activity workers (GetActivityTask, answers retried across
deaths until acknowledged or refused); one driver that starts each execution
(retried until acknowledged or ExecutionAlreadyExists) and, whenever it sees
one FAILED with redriveCount r below its plan, redrives it with clientToken
<name>-<r+1>: a call whose answer a death cut is sent again with the same
token; one acknowledged redrive in three is sent again at once, and an older
token of the same execution is sent again on its next failure, both of which
must answer the first redriveDate and redrive nothing. The main thread kills
the daemon after lives of uniform [0, CRASH_MAX_GAP_MS) ms, one life in
three started with a crash point; after CRASH_KILLS deaths the last life
runs until every execution is closed (CRASH_DEADLINE_S).
Checks, per execution: SUCCEEDED (none stuck RUNNING), with the output
computed independently; redriveCount equals need(i), the number of
ExecutionRedriven events, of ExecutionFailed events before the end, and of
distinct clientTokens acknowledged (each redrive either happened once or
not at all); the ExecutionRedriven events count 1..need(i); every
acknowledged redrive answered one redriveDate per token, the same each time
it was repeated; Prep entered once, Work entered need(i) // 2 + 1 times.
CI size: CRASH_EXECUTIONS=40 CRASH_KILLS=10; long mode in README.md.
CRASH_SEED repeats a run (kill times and crash points).
Usage: redrive_crash_test.py STEPWISED. Exits 77 without botocore.
"""
import json
import os
import random
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "aws"))
from sfn_daemon import ACCOUNT, ROLE, Checks, Daemon  # noqa: E402

try:
    import botocore.session
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError:
    print("SKIP: botocore not installed")
    sys.exit(77)

EXECUTIONS = int(os.environ.get("CRASH_EXECUTIONS", "40"))
KILLS = int(os.environ.get("CRASH_KILLS", "10"))
MAX_GAP_MS = int(os.environ.get("CRASH_MAX_GAP_MS", "3000"))
WORKERS = int(os.environ.get("CRASH_WORKERS", "3"))
DEADLINE_S = int(os.environ.get("CRASH_DEADLINE_S", "240"))
SEED = int(os.environ.get("CRASH_SEED", str(int(time.time()))))

ACTIVITY = f"{ACCOUNT}:activity:redrive-jobs"
MACHINE_NAME = "redrive-crash"
TASK = {"Type": "Task", "Resource": ACTIVITY, "TimeoutSeconds": 4,
        "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1,
                   "MaxAttempts": 50, "BackoffRate": 1}]}
DEFINITION = {"StartAt": "Prep", "States": {
    "Prep": {"Type": "Pass", "Result": "ready", "ResultPath": "$.prep", "Next": "Work"},
    "Work": dict(TASK, Parameters={"n.$": "$.n", "site": "work",
                                   "redrive.$": "$$.Execution.RedriveCount"},
                 ResultPath="$.work", Next="Each"),
    "Each": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.items",
             "ItemSelector": {"n.$": "$.n", "item.$": "$$.Map.Item.Value"},
             "ItemProcessor": {"StartAt": "Item", "States": {
                 "Item": dict(TASK, Parameters={"n.$": "$.n", "site.$": "$.item",
                                                "redrive.$": "$$.Execution.RedriveCount"},
                              End=True)}},
             "Next": "Done"},
    "Done": {"Type": "Pass", "End": True}}}
REFUSED = {"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"}


def need(i):
    return i % 4


def worker_fails(task):
    """True when the worker answers this task with a failure (the plan)."""
    n, site, r = task["n"], task["site"], task["redrive"]
    if r >= need(n):
        return False
    if r < need(n) // 2:
        return site == "work"
    return site == n % 3


def expected_output(i):
    return {"n": i, "prep": "ready", "work": {"v": 10 * i + 7},
            "items": [{"v": 10 * i + k} for k in range(3)]}


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
                config=Config(inject_host_prefix=False, connect_timeout=2, read_timeout=70,
                              retries={"max_attempts": 1}))
            self.local.start = self.daemon.starts
        return self.local.client


def code_of(e):
    return e.response["Error"]["Code"] if isinstance(e, ClientError) else ""


class Run:
    def __init__(self, daemon):
        self.daemon = daemon
        self.clients = Clients(daemon)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.names = [f"redrive-{i}" for i in range(EXECUTIONS)]
        self.machine = f"{ACCOUNT}:stateMachine:{MACHINE_NAME}"
        self.started = set()
        self.done = set()
        self.dates = {}        # (name, token) -> the redriveDate answered first
        self.tokens = {}       # name -> tokens acknowledged, in order
        self.violations = []
        self.answers = {"fail": 0, "ok": 0, "refused": 0, "resent": 0}
        self.redrive_calls = 0
        self.uncertain = 0

    def arn(self, name):
        return f"{ACCOUNT}:execution:{MACHINE_NAME}:{name}"

    def violate(self, what):
        with self.lock:
            self.violations.append(what)

    # ---- the activity workers ----
    def worker(self):
        while not self.stop.is_set():
            try:
                t = self.clients.get().get_activity_task(activityArn=ACTIVITY, workerName="w")
            except Exception:  # noqa: BLE001 - the daemon died: next life
                time.sleep(0.1)
                continue
            if not t.get("taskToken"):
                continue
            task = json.loads(t["input"])
            fail = worker_fails(task)
            while not self.stop.is_set():
                try:
                    c = self.clients.get()
                    if fail:
                        c.send_task_failure(taskToken=t["taskToken"], error="Broken",
                                            cause=f"planned failure at redrive {task['redrive']}")
                    else:
                        v = 10 * task["n"] + (7 if task["site"] == "work" else task["site"])
                        c.send_task_success(taskToken=t["taskToken"], output=json.dumps({"v": v}))
                    with self.lock:
                        self.answers["fail" if fail else "ok"] += 1
                    break
                except ClientError as e:
                    if code_of(e) in REFUSED:
                        with self.lock:
                            self.answers["refused"] += 1
                        break
                    time.sleep(0.1)
                except Exception:  # noqa: BLE001 - the daemon died: send again
                    time.sleep(0.1)

    # ---- the driver ----
    def redrive(self, name, token):
        """Sends RedriveExecution with `token` until an answer comes: the
        redriveDate, or the error name."""
        first = True
        while not self.stop.is_set():
            try:
                with self.lock:
                    self.redrive_calls += 1
                    if not first:
                        self.uncertain += 1
                r = self.clients.get().redrive_execution(executionArn=self.arn(name),
                                                         clientToken=token)
                return r["redriveDate"], ""
            except ClientError as e:
                return None, code_of(e)
            except Exception:  # noqa: BLE001 - cut by a death: the same token again
                first = False
                time.sleep(0.1)
        return None, "stopped"

    def acknowledge(self, name, token, date):
        key = (name, token)
        with self.lock:
            seen = self.dates.get(key)
            if seen is None:
                self.dates[key] = date
                self.tokens.setdefault(name, []).append(token)
        if seen is not None and seen != date:
            self.violate(f"{name}: clientToken {token} answered {date}, first {seen}")

    def drive_one(self, rng, name):
        c = self.clients.get()
        if name not in self.started:
            try:
                c.start_execution(stateMachineArn=self.machine, name=name,
                                  input=json.dumps({"n": int(name.split("-")[1]),
                                                    "items": [0, 1, 2]}))
            except ClientError as e:
                if code_of(e) != "ExecutionAlreadyExists":
                    raise
            self.started.add(name)
            return
        d = c.describe_execution(executionArn=self.arn(name))
        i = int(name.split("-")[1])
        r = d.get("redriveCount", 0)
        if d["status"] == "SUCCEEDED":
            self.done.add(name)
            return
        if d["status"] != "FAILED":
            return
        if r >= need(i):
            self.violate(f"{name}: FAILED after {r} redrives, planned {need(i)}: "
                         f"{d.get('error')}: {d.get('cause')}")
            self.done.add(name)
            return
        older = self.tokens.get(name, [])
        if older and rng.randrange(2) == 0:
            # An older token again on the FAILED execution: no new redrive.
            token = rng.choice(older)
            date, err = self.redrive(name, token)
            with self.lock:
                self.answers["resent"] += 1
            if err:
                self.violate(f"{name}: repeated token {token} answered {err}")
            else:
                self.acknowledge(name, token, date)
        token = f"{name}-{r + 1}"
        date, err = self.redrive(name, token)
        if err:
            self.violate(f"{name}: redrive {token} refused: {err}")
            self.done.add(name)
            return
        self.acknowledge(name, token, date)
        if rng.randrange(3) == 0:
            again, err = self.redrive(name, token)
            with self.lock:
                self.answers["resent"] += 1
            if err:
                self.violate(f"{name}: {token} sent again answered {err}")
            else:
                self.acknowledge(name, token, again)

    def driver(self):
        rng = random.Random(SEED + 2)
        while not self.stop.is_set():
            pending = [n for n in self.names if n not in self.done]
            if not pending:
                return
            for name in pending:
                if self.stop.is_set():
                    return
                try:
                    self.drive_one(rng, name)
                except Exception:  # noqa: BLE001 - the daemon died: next round
                    time.sleep(0.1)
            time.sleep(0.05)


def verify(checks, run, client):
    counts = {"events": 0, "redriven": 0}
    for name in run.names:
        i = int(name.split("-")[1])
        arn = run.arn(name)
        d = client.describe_execution(executionArn=arn)
        events = []
        kw = {}
        while True:
            page = client.get_execution_history(executionArn=arn, maxResults=1000, **kw)
            events += page["events"]
            if not page.get("nextToken"):
                break
            kw = {"nextToken": page["nextToken"]}
        counts["events"] += len(events)
        types = [e["type"] for e in events]
        redriven = [e["executionRedrivenEventDetails"]["redriveCount"]
                    for e in events if e["type"] == "ExecutionRedriven"]
        counts["redriven"] += len(redriven)
        r = d.get("redriveCount", 0)
        tokens = run.tokens.get(name, [])
        problems = []
        if d["status"] != "SUCCEEDED":
            problems.append(f"status {d['status']} (last event {types[-1] if types else None})")
        elif json.loads(d["output"]) != expected_output(i):
            problems.append(f"output {d['output']}")
        if r != need(i):
            problems.append(f"redriveCount {r}, planned {need(i)}")
        if redriven != list(range(1, r + 1)):
            problems.append(f"ExecutionRedriven counts {redriven} for redriveCount {r}")
        if types.count("ExecutionFailed") != r:
            problems.append(f"{types.count('ExecutionFailed')} ExecutionFailed for {r} redrives")
        if len(set(tokens)) != r:
            problems.append(f"{len(set(tokens))} clientTokens acknowledged for {r} redrives")
        if types.count("PassStateEntered") != 2 or types.count("MapStateEntered") != r - need(i) // 2 + 1:
            problems.append(f"states entered: {types.count('PassStateEntered')} Pass, "
                            f"{types.count('MapStateEntered')} Map")
        works = [e for e in events if e["type"] == "TaskStateEntered"
                 and e["stateEnteredEventDetails"]["name"] == "Work"]
        if len(works) != need(i) // 2 + 1:
            problems.append(f"Work entered {len(works)} times, planned {need(i) // 2 + 1}")
        dates = sorted(run.dates[(name, t)] for t in set(tokens))
        if len(set(dates)) != len(dates):
            problems.append(f"two tokens answered one redriveDate: {dates}")
        if problems:
            run.violate(f"{name}: " + "; ".join(problems))
    return counts


def main():
    stepwised = sys.argv[1]
    checks = Checks()
    daemon = Daemon(stepwised)
    daemon.start()
    run = Run(daemon)
    rng = random.Random(SEED)
    print(f"seed {SEED}: {EXECUTIONS} executions, {KILLS} deaths, gaps < {MAX_GAP_MS} ms, "
          f"{WORKERS} workers", flush=True)
    end = time.time() + DEADLINE_S
    client = run.clients.get()
    client.create_activity(name="redrive-jobs")
    client.create_state_machine(name=MACHINE_NAME, roleArn=ROLE,
                                definition=json.dumps(DEFINITION))
    threads = [threading.Thread(target=run.worker, daemon=True) for _ in range(WORKERS)]
    threads.append(threading.Thread(target=run.driver, daemon=True))
    for t in threads:
        t.start()
    deaths = point_lives = 0
    point_life = False
    try:
        while deaths < KILLS and time.time() < end:
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
                point = f"{rng.choice(['before_write', 'after_write'])}:{rng.randint(1, 60)}"
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
        # The final life: no crash point, runs until every execution closed.
        if daemon.proc.poll() is None and point_life:
            daemon.kill9()
            deaths += 1
        if daemon.proc.poll() is not None:
            daemon.start()
        while len(run.done) < len(run.names) and time.time() < end:
            time.sleep(0.2)
            if daemon.proc.poll() is not None:  # must not die without a crash point
                run.violate(f"stepwised exited with {daemon.proc.returncode} in the final life")
                daemon.start()
        run.stop.set()
        print(f"{deaths} deaths ({point_lives} lives with a crash point); "
              f"{run.redrive_calls} RedriveExecution calls ({run.uncertain} sent again after a "
              f"death cut the answer, {run.answers['resent']} tokens repeated on purpose); "
              f"worker answers acknowledged: {run.answers['fail']} failures, "
              f"{run.answers['ok']} successes, {run.answers['refused']} refused", flush=True)
        checks.check("every execution closed before the deadline",
                     len(run.done) == len(run.names),
                     sorted(set(run.names) - run.done)[:10])
        counts = verify(checks, run, run.clients.get())
        planned = sum(need(i) for i in range(EXECUTIONS))
        print(f"{counts['events']} events, {counts['redriven']} ExecutionRedriven "
              f"(planned {planned})", flush=True)
        for v in run.violations[:40]:
            print(f"  violation: {v}")
        checks.check(f"0 violations over {EXECUTIONS} executions "
                     f"({planned} planned redrives)", not run.violations,
                     f"{len(run.violations)} violations")
    except Exception as e:  # noqa: BLE001 - reported as a failed check
        import traceback
        traceback.print_exc()
        checks.check("no exception", False, repr(e))
    run.stop.set()
    checks.finish(daemon)


if __name__ == "__main__":
    main()
