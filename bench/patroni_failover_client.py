#!/usr/bin/env python3
"""The client side of bench/patroni_failover.sh: load, kill signal, checks, figures.

Run by that script (not by hand, not in CI). Over boto3 on the stepwised nodes' AWS JSON
endpoints (round robin, the next node on every retry):
  1. creates two state machines: a 5-state Pass chain and Pass -> Wait 1 s -> Pass;
  2. THREADS threads start executions of both, each with a unique name, retrying each start
     (connection refused or reset, timeouts, 5xx, ServiceUnavailable) until it is acknowledged
     or answered ExecutionAlreadyExists (then an earlier attempt committed it), and record
     every acknowledged start with its time (DIR/acks.jsonl);
  3. after --before seconds notes the histories of the 40 latest acknowledged executions
     (DIR/snapshot.json), then writes DIR/kill-now and waits for DIR/killed (the kill's time,
     written by the script); the load goes on --after seconds past the kill;
  4. waits until no acknowledged execution is RUNNING, then checks each one: it exists, it is
     in ListExecutions, it closed SUCCEEDED, its history has event ids 1..N with
     ExecutionStarted first and ExecutionSucceeded last and the same event types as every other
     execution of its machine (no step lost or run twice), and it still begins with the events
     noted before the kill;
  5. prints the figures and writes DIR/summary.json. Exit 0 when nothing is lost or wrong.
Single process; the starting threads share only the records (under a lock).
"""
import argparse
import collections
import json
import os
import sys
import threading
import time

import boto3
import botocore.exceptions
from botocore.config import Config

ROLE = "arn:aws:iam::123456789012:role/patroni-failover"
PASS_CHAIN = {"StartAt": "P1", "States": {
    "P1": {"Type": "Pass", "Next": "P2"}, "P2": {"Type": "Pass", "Next": "P3"},
    "P3": {"Type": "Pass", "Next": "P4"}, "P4": {"Type": "Pass", "Next": "P5"},
    "P5": {"Type": "Pass", "End": True}}}
WAIT_ONE = {"StartAt": "Before", "States": {
    "Before": {"Type": "Pass", "Next": "Wait"},
    "Wait": {"Type": "Wait", "Seconds": 1, "Next": "After"},
    "After": {"Type": "Pass", "End": True}}}


def client(endpoint):
    return boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(connect_timeout=2, read_timeout=15,
                                      retries={"max_attempts": 0}))


def error_kind(e):
    if isinstance(e, botocore.exceptions.ClientError):
        return e.response.get("Error", {}).get("Code", "ClientError")
    return type(e).__name__


class Retrying:
    """Calls one API operation on the nodes in turn until it answers (or a deadline)."""

    def __init__(self, endpoints):
        self.clients = [client(e) for e in endpoints]
        self.turn = 0

    def call(self, op, deadline_s=180, **kwargs):
        end = time.time() + deadline_s
        while True:
            c = self.clients[self.turn % len(self.clients)]
            self.turn += 1
            try:
                return getattr(c, op)(**kwargs)
            except botocore.exceptions.ClientError as e:
                if error_kind(e) in ("ExecutionDoesNotExist", "StateMachineAlreadyExists",
                                     "ValidationException", "InvalidArn"):
                    raise
                if time.time() > end:
                    raise
            except Exception:
                if time.time() > end:
                    raise
            time.sleep(0.2)

    def history(self, arn):
        events, token = [], None
        while True:
            kwargs = {"executionArn": arn, "maxResults": 1000}
            if token:
                kwargs["nextToken"] = token
            page = self.call("get_execution_history", **kwargs)
            events += [(e["id"], e["type"]) for e in page["events"]]
            token = page.get("nextToken")
            if not token:
                return events


class Load:
    def __init__(self, args, machines):
        self.args = args
        self.endpoints = args.endpoints.split(",")
        self.machines = machines  # [(kind, arn)]
        self.lock = threading.Lock()
        self.acks = []            # dicts, in acknowledgement order
        self.gave_up = []         # names never acknowledged
        self.errors = collections.Counter()
        self.stop_at = float("inf")
        self.out = open(os.path.join(args.dir, "acks.jsonl"), "w")

    def starter(self, t):
        clients = [client(e) for e in self.endpoints]
        seq = 0
        while time.time() < self.stop_at:
            kind, machine = self.machines[seq % len(self.machines)]
            name = "%s-t%d-%d" % (kind, t, seq)
            seq += 1
            arn = machine.replace(":stateMachine:", ":execution:") + ":" + name
            first = time.time()
            attempt = 0
            while True:
                c = clients[(t + attempt) % len(clients)]
                attempt += 1
                began = time.time()
                try:
                    arn = c.start_execution(stateMachineArn=machine, name=name,
                                            input=json.dumps({"name": name}))["executionArn"]
                    how = "started"
                except Exception as e:  # noqa: BLE001 - every failure is retried or recorded
                    kind_of_error = error_kind(e)
                    if kind_of_error == "ExecutionAlreadyExists":
                        how = "already-exists"
                    else:
                        with self.lock:
                            self.errors[kind_of_error] += 1
                        if time.time() - first > 300:
                            with self.lock:
                                self.gave_up.append(name)
                            break
                        time.sleep(0.2)
                        continue
                record = {"name": name, "arn": arn, "kind": kind, "first_attempt": first,
                          "attempt_began": began, "acked": time.time(), "attempts": attempt,
                          "how": how}
                with self.lock:
                    self.acks.append(record)
                    self.out.write(json.dumps(record) + "\n")
                    self.out.flush()
                break


def wait_file(path, timeout_s):
    end = time.time() + timeout_s
    while not os.path.exists(path):
        if time.time() > end:
            raise SystemExit("no %s within %d s" % (path, timeout_s))
        time.sleep(0.02)
    with open(path) as f:
        return f.read().split()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoints", required=True, help="comma-separated AWS JSON endpoints")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--before", type=float, default=20)
    ap.add_argument("--after", type=float, default=40)
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()
    api = Retrying(args.endpoints.split(","))

    machines = []
    for kind, definition in (("pass", PASS_CHAIN), ("wait", WAIT_ONE)):
        arn = api.call("create_state_machine", name="failover-" + kind, roleArn=ROLE,
                       definition=json.dumps(definition))["stateMachineArn"]
        machines.append((kind, arn))

    load = Load(args, machines)
    t0 = time.time()
    threads = [threading.Thread(target=load.starter, args=(t,), daemon=True)
               for t in range(args.threads)]
    for th in threads:
        th.start()
    time.sleep(args.before)

    # Note what the database has acknowledged for the latest executions, then ask for the kill.
    with load.lock:
        latest = [r["arn"] for r in load.acks[-40:]]
    snapshot = {arn: api.history(arn) for arn in latest}
    with open(os.path.join(args.dir, "snapshot.json"), "w") as f:
        json.dump(snapshot, f)
    open(os.path.join(args.dir, "kill-now"), "w").close()
    t_kill = float(wait_file(os.path.join(args.dir, "killed"), 60)[0])
    load.stop_at = t_kill + args.after
    for th in threads:
        th.join()
    t_load_end = time.time()
    load.out.close()

    acks = sorted(load.acks, key=lambda r: r["acked"])
    print("load: %d starts acknowledged in %.0f s (%d before the kill, %d after); "
          "retried errors: %s" % (
              len(acks), t_load_end - t0, sum(r["acked"] <= t_kill for r in acks),
              sum(r["acked"] > t_kill for r in acks), dict(load.errors) or "none"), flush=True)

    # Wait until every acknowledged execution has closed.
    failures = []
    lost = []
    status = {}
    pending = [r["arn"] for r in acks]
    end = time.time() + 240
    while pending and time.time() < end:
        still = []
        for arn in pending:
            try:
                s = api.call("describe_execution", executionArn=arn)["status"]
            except botocore.exceptions.ClientError as e:
                if error_kind(e) == "ExecutionDoesNotExist":
                    s = "MISSING"
                else:
                    raise
            status[arn] = s
            if s == "RUNNING":
                still.append(arn)
        pending = still
        if pending:
            time.sleep(1)
    for r in acks:
        s = status.get(r["arn"])
        if s == "MISSING":
            lost.append(r["name"])
        elif s != "SUCCEEDED":
            failures.append("%s is %s" % (r["name"], s))

    # Every acknowledged execution is listed.
    listed = set()
    for _, machine in machines:
        token = None
        while True:
            kwargs = {"stateMachineArn": machine, "maxResults": 1000}
            if token:
                kwargs["nextToken"] = token
            page = api.call("list_executions", **kwargs)
            listed.update(e["executionArn"] for e in page["executions"])
            token = page.get("nextToken")
            if not token:
                break
    not_listed = [r["name"] for r in acks if r["arn"] not in listed and r["name"] not in lost]
    for name in not_listed:
        failures.append("%s is not in ListExecutions" % name)

    # Every history: ids 1..N, the same event types as the others of its machine, and
    # still beginning with what was noted before the kill.
    shapes = {}  # kind -> Counter of type tuples
    histories = {}
    for r in acks:
        if r["name"] in lost:
            continue
        h = api.history(r["arn"])
        histories[r["arn"]] = h
        ids = [i for i, _ in h]
        if ids != list(range(1, len(h) + 1)):
            failures.append("%s: history ids are not 1..%d: %s" % (r["name"], len(h), ids))
        if not h or h[0][1] != "ExecutionStarted" or h[-1][1] != "ExecutionSucceeded":
            failures.append("%s: history does not run ExecutionStarted..ExecutionSucceeded: %s"
                            % (r["name"], [t for _, t in h]))
        shapes.setdefault(r["kind"], collections.Counter())[tuple(t for _, t in h)] += 1
    for kind, counter in shapes.items():
        usual, _ = counter.most_common(1)[0]
        for r in acks:
            h = histories.get(r["arn"])
            if r["kind"] == kind and h is not None and tuple(t for _, t in h) != usual:
                failures.append("%s: event types differ from its machine's usual %d events: %s"
                                % (r["name"], len(usual), [t for _, t in h]))
    snapshot_events = 0
    for arn, noted in snapshot.items():
        final = histories.get(arn)
        noted = [tuple(e) for e in noted]
        snapshot_events += len(noted)
        if final is None or [tuple(e) for e in final[:len(noted)]] != noted:
            failures.append("%s: history does not begin with the %d events noted before the kill"
                            % (arn, len(noted)))

    # Figures.
    after_kill = [r for r in acks if r["attempt_began"] > t_kill]
    serve_again = (min(r["acked"] for r in after_kill) - t_kill) if after_kill else None
    around = [r["acked"] for r in acks]
    gap = max((b - a for a, b in zip(around, around[1:])), default=0)
    promoted = wait_file(os.path.join(args.dir, "promoted"), 1)
    failover_s = float(promoted[2])
    sync_again = None
    if os.path.exists(os.path.join(args.dir, "sync-again")):
        sync_again = float(wait_file(os.path.join(args.dir, "sync-again"), 1)[0]) - t_kill
    before = [r for r in acks if r["acked"] <= t_kill]
    stalled_path = os.path.join(args.dir, "stalled")
    t_stall = float(wait_file(stalled_path, 1)[0]) if os.path.exists(stalled_path) else None
    during_stall = (sum(t_stall < r["acked"] <= t_kill for r in acks)
                    if t_stall is not None else None)
    summary = {
        "acknowledged": len(acks),
        "acknowledged_before_kill": len(before),
        "acknowledged_after_kill": len(acks) - len(before),
        "by_machine": dict(collections.Counter(r["kind"] for r in acks)),
        "acknowledged_as_already_exists": sum(r["how"] == "already-exists" for r in acks),
        "starts_per_s_before_kill": round(len(before) / max(t_kill - t0, 1e-9), 1),
        "wal_senders_stopped_before_kill_s": round(t_kill - t_stall, 2) if t_stall else None,
        "acknowledged_while_wal_senders_stopped": during_stall,
        "failover_s": round(failover_s, 2),
        "sync_standby_again_s": round(sync_again, 2) if sync_again is not None else None,
        "serving_again_s": round(serve_again, 2) if serve_again is not None else None,
        "longest_gap_between_acks_s": round(gap, 2),
        "retried_errors": dict(load.errors),
        "never_acknowledged": load.gave_up,
        "snapshot_executions": len(snapshot),
        "snapshot_events": snapshot_events,
        "histories_checked": len(histories),
        "events_checked": sum(len(h) for h in histories.values()),
        "lost": lost,
        "failures": failures[:50],
        "failure_count": len(failures),
    }
    with open(os.path.join(args.dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print("acknowledged starts: %d (%d before the kill, %d after; %s)" % (
        len(acks), len(before), len(acks) - len(before), summary["by_machine"]))
    if t_stall is not None:
        print("primary's WAL senders stopped %.2f s before the kill; starts acknowledged "
              "meanwhile: %d" % (t_kill - t_stall, during_stall))
    print("failover (kill -> a replica is primary, pg_is_in_recovery() false): %.2f s"
          % failover_s)
    if sync_again is not None:
        print("synchronous standby again: %.2f s after the kill" % sync_again)
    print("serving again (kill -> first start acknowledged among those sent after it): %s s"
          % summary["serving_again_s"])
    print("longest gap between two acknowledged starts: %.2f s" % gap)
    print("checked: %d of %d executions SUCCEEDED, %d histories (%d events) for gaps and "
          "shape, %d histories noted before the kill (%d events); %d failure(s)" % (
              sum(status.get(r["arn"]) == "SUCCEEDED" for r in acks), len(acks),
              len(histories), summary["events_checked"], len(snapshot), snapshot_events,
              len(failures)))
    print("lost: %d%s" % (len(lost), (" " + ", ".join(lost[:20])) if lost else ""))
    for f in failures[:20]:
        print("FAILURE: " + f)
    if load.gave_up:
        print("never acknowledged (not counted as lost): %d" % len(load.gave_up))
    return 1 if (lost or failures) else 0


if __name__ == "__main__":
    sys.exit(main())
