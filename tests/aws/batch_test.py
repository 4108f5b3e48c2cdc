#!/usr/bin/env python3
# Batch operations against the real stepwised: Stepwise.StartBatchOperation,
# DescribeBatchOperation, ListBatchOperations and CancelBatchOperation as raw
# SigV4-signed JSON 1.0 requests (botocore's signer), the executions read
# and started with botocore, and the `stepwise batch` CLI (gRPC).
#  1. A STOP of the 30 RUNNING executions of a machine, with error and cause:
#     each ABORTED once with them; those started after the job, and another
#     machine's, keep running; a repeated clientToken is the same job.
#  2. `stepwise batch stop --where QUERY --wait --json` (the search
#     language, across machines), `batch list`,
#     `batch describe`, `batch cancel` of an ended job.
#  3. A REDRIVE (default filter) after a SIGKILL and restart: the jobs are
#     still listed; every ABORTED execution is RUNNING again, redriveCount 1.
#  4. Refusals: AWS's ValidationException naming the member, unknown ids,
#     an unknown machine, an EXPRESS machine.
# Usage: batch_test.py STEPWISED STEPWISE. Exits 77 without boto3.
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from batch_calls import call, error_of, wait_job  # noqa: E402
from sfn_daemon import ROLE, Aws, Checks, Daemon  # noqa: E402

try:
    import boto3  # noqa: F401
except ImportError:
    print("SKIP: boto3 not installed")
    sys.exit(77)

STEPWISED, STEPWISE = sys.argv[1], sys.argv[2]
PARK = {"StartAt": "Park", "States": {"Park": {"Type": "Wait", "Seconds": 3600, "End": True}}}


def start_many(aws, machine, n, prefix):
    return [aws.client().start_execution(stateMachineArn=machine, name=f"{prefix}{i}",
                                         input="{}")["executionArn"] for i in range(n)]


def cli(daemon, *args):
    p = subprocess.run([STEPWISE, *args, "--endpoint", f"127.0.0.1:{daemon.grpc_port}"],
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def main():
    checks = Checks()
    daemon = Daemon(STEPWISED)
    daemon.start()
    aws = Aws(None, daemon)
    try:
        sfn = aws.client()
        machine = aws.create_machine("parked", PARK)
        other = aws.create_machine("other", PARK)
        before = start_many(aws, machine, 30, "b")
        elsewhere = start_many(aws, other, 3, "o")
        time.sleep(0.01)

        # 1. STOP through the AWS endpoint.
        started = call(daemon, "StartBatchOperation", {
            "operation": "STOP", "stateMachineArn": machine, "error": "Batch.Stop",
            "cause": "maintenance", "clientToken": "stop-1"})
        job = started["batchOperationId"]
        checks.check("StartBatchOperation answers an id and a startDate",
                     job and isinstance(started.get("startDate"), (int, float)), started)
        again = call(daemon, "StartBatchOperation", {
            "operation": "STOP", "stateMachineArn": machine, "clientToken": "stop-1"})
        checks.check("a repeated clientToken is the same job",
                     again["batchOperationId"] == job, again)
        time.sleep(0.01)
        after = start_many(aws, machine, 4, "a")
        done = wait_job(daemon, job)
        checks.check("the STOP job SUCCEEDED", done["status"] == "SUCCEEDED", done)
        checks.check("it selected the 30 started before it",
                     done["selectedCount"] == 30 and done["processedCount"] == 30
                     and done["succeededCount"] + done["skippedCount"] == 30
                     and done["failedCount"] == 0 and done["failures"] == [], done)
        checks.check("it has a stopDate and its filter", "stopDate" in done
                     and done["statusFilter"] == "RUNNING" and done["operation"] == "STOP"
                     and done["stateMachineArn"] == machine, done)
        statuses = [sfn.describe_execution(executionArn=a)["status"] for a in before]
        checks.check("every selected execution is ABORTED",
                     statuses == ["ABORTED"] * 30, statuses)
        aborted = [e for e in aws.history(before[0]) if e["type"] == "ExecutionAborted"]
        checks.check("one ExecutionAborted with the job's error and cause",
                     len(aborted) == 1 and aborted[0]["executionAbortedEventDetails"] ==
                     {"error": "Batch.Stop", "cause": "maintenance"}, aborted)
        rest = [sfn.describe_execution(executionArn=a)["status"] for a in after + elsewhere]
        checks.check("later executions and another machine's keep running",
                     rest == ["RUNNING"] * 7, rest)

        # 2. The CLI.
        rc, out, err = cli(daemon, "batch", "stop", "--where", 'name starts with "a"',
                           "--wait", "--json", "--error", "Cli.Stop")
        checks.check("`stepwise batch stop --where QUERY --wait` ends SUCCEEDED", rc == 0 and
                     json.loads(out or "{}").get("status") == "SUCCEEDED", (rc, out, err))
        cli_job = json.loads(out or "{}")
        checks.check("the query selected the 4 later ones, across machines",
                     cli_job.get("selectedCount") == 4
                     and cli_job.get("succeededCount") == 4, cli_job)
        rest = [sfn.describe_execution(executionArn=a)["status"] for a in elsewhere]
        checks.check("the other machine's executions, not matching, keep running",
                     rest == ["RUNNING"] * 3, rest)
        rc, out, err = cli(daemon, "batch", "list", "--json")
        listed = [j["batchOperationId"] for j in json.loads(out or "{}").get("batchOperations", [])]
        checks.check("`stepwise batch list` shows both, newest first",
                     rc == 0 and listed == [cli_job.get("batchOperationId"), job], (out, err))
        rc, out, err = cli(daemon, "batch", "describe", job)
        checks.check("`stepwise batch describe` prints its progress",
                     rc == 0 and job in out and "SUCCEEDED" in out and "30/30" in out, out + err)
        rc, out, err = cli(daemon, "batch", "cancel", job)
        checks.check("`stepwise batch cancel` of an ended job leaves it SUCCEEDED", rc == 0 and
                     call(daemon, "DescribeBatchOperation",
                          {"batchOperationId": job})["status"] == "SUCCEEDED", out + err)
        rc, out, err = cli(daemon, "batch", "describe", "no-such-job")
        checks.check("`stepwise batch describe` of an unknown id fails naming the error",
                     rc == 1 and "BatchOperationDoesNotExist" in err, (rc, err))
        rc, out, err = cli(daemon, "batch", "stop")
        checks.check("`stepwise batch stop` without a machine or --where is refused",
                     rc == 1 and "ValidationException" in err, (rc, err))

        # 3. Durable across SIGKILL; REDRIVE.
        daemon.restart_after_kill9()
        jobs = call(daemon, "ListBatchOperations")["batchOperations"]
        checks.check("the jobs survive a SIGKILL",
                     [j["batchOperationId"] for j in jobs] ==
                     [cli_job.get("batchOperationId"), job]
                     and all(j["status"] == "SUCCEEDED" for j in jobs), jobs)
        redrive = call(daemon, "StartBatchOperation",
                       {"operation": "REDRIVE", "stateMachineArn": machine})
        done = wait_job(daemon, redrive["batchOperationId"])
        checks.check("the REDRIVE job reopened the machine's 34 ABORTED ones",
                     done["status"] == "SUCCEEDED" and done["selectedCount"] == 34
                     and done["succeededCount"] == 34
                     and done["statusFilter"] == "FAILED,TIMED_OUT,ABORTED", done)
        d = [aws.client().describe_execution(executionArn=a) for a in before + after]
        checks.check("each is RUNNING again with redriveCount 1",
                     all(x["status"] == "RUNNING" and x.get("redriveCount") == 1 for x in d),
                     [(x["status"], x.get("redriveCount")) for x in d][:5])

        # 4. Refusals.
        def refused(what, body, name, word, action="StartBatchOperation"):
            e, msg = error_of(daemon, action, body)
            checks.check(what, e == name and word in msg, (e, msg))

        refused("an unknown operation names 'operation'",
                {"operation": "PAUSE", "stateMachineArn": machine},
                "ValidationException", "operation")
        refused("a missing operation names 'operation'", {"stateMachineArn": machine},
                "ValidationException", "operation")
        refused("a bad statusFilter names it",
                {"operation": "STOP", "stateMachineArn": machine, "statusFilter": "DONE"},
                "ValidationException", "statusFilter")
        refused("neither machine nor query",
                {"operation": "STOP"}, "ValidationException", "stateMachineArn")
        refused("a clientToken over 64 characters",
                {"operation": "STOP", "stateMachineArn": machine, "clientToken": "t" * 65},
                "ValidationException", "clientToken")
        refused("a number for stateMachineArn is a SerializationException",
                {"operation": "STOP", "stateMachineArn": 7}, "SerializationException", "")
        refused("an unknown machine",
                {"operation": "STOP", "stateMachineArn": machine + "-nope"},
                "StateMachineDoesNotExist", "")
        express = sfn.create_state_machine(name="fast", roleArn=ROLE, type="EXPRESS",
                                           definition=json.dumps(PARK))["stateMachineArn"]
        refused("an EXPRESS machine",
                {"operation": "STOP", "stateMachineArn": express},
                "StateMachineTypeNotSupported", "")
        refused("DescribeBatchOperation of an unknown id", {"batchOperationId": "nope"},
                "BatchOperationDoesNotExist", "nope", action="DescribeBatchOperation")
        refused("DescribeBatchOperation without an id", {}, "ValidationException",
                "batchOperationId", action="DescribeBatchOperation")
        refused("CancelBatchOperation of an unknown id", {"batchOperationId": "nope"},
                "BatchOperationDoesNotExist", "nope", action="CancelBatchOperation")
    finally:
        checks.finish(daemon)


main()
