#!/usr/bin/env python3
"""Hostile batch operation requests against the real stepwised (AWS JSON
endpoint, Stepwise.<Action> targets, raw HTTP): wrong JSON types, unknown
members, members over their limits, invalid UTF-8, a body that is not an
object, JSON nested 10,000 deep, unknown ids of every shape, a STOP of a
machine of another account. Each is refused with AWS's error name naming
the member; none creates a job; the daemon still answers; a repeated
clientToken makes no second job.
Usage: batch_hostile_test.py <stepwised>. Exits 77 without boto3 (the
machine is created with botocore).
"""
import json
import os
import sys
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "aws"))
from batch_calls import call  # noqa: E402
from sfn_daemon import Aws, Checks, Daemon  # noqa: E402

try:
    import boto3  # noqa: F401
except ImportError:
    print("SKIP: boto3 not installed")
    sys.exit(77)

PARK = {"StartAt": "Park", "States": {"Park": {"Type": "Wait", "Seconds": 36000, "End": True}}}


def raw(daemon, action, body_bytes):
    req = urllib.request.Request(daemon.endpoint + "/", data=body_bytes, method="POST", headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "Stepwise." + action})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        text = e.read()
        try:
            return e.code, json.loads(text or b"{}")
        except ValueError:
            return e.code, {"raw": text.decode(errors="replace")}


def main():
    checks = Checks()
    daemon = Daemon(sys.argv[1])
    daemon.start()
    try:
        aws = Aws(None, daemon)
        machine = aws.create_machine("parked", PARK)
        aws.client().start_execution(stateMachineArn=machine, name="one", input="{}")

        def refused(what, action, body, name, words):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            status, out = raw(daemon, action, data)
            err = out.get("__type", "").split("#")[-1]
            msg = out.get("message", out.get("Message", ""))
            checks.check(what, status == 400 and err == name and words in msg,
                         (status, out))

        start = "StartBatchOperation"
        refused("operation as a number", start, {"operation": 1, "stateMachineArn": machine},
                "SerializationException", "operation")
        refused("stateMachineArn as a list", start,
                {"operation": "STOP", "stateMachineArn": [machine]},
                "SerializationException", "stateMachineArn")
        refused("statusFilter as an object", start,
                {"operation": "STOP", "stateMachineArn": machine, "statusFilter": {}},
                "SerializationException", "statusFilter")
        refused("error as a boolean", start,
                {"operation": "STOP", "stateMachineArn": machine, "error": True},
                "SerializationException", "error")
        refused("operation in lower case", start,
                {"operation": "stop", "stateMachineArn": machine},
                "ValidationException", "operation")
        refused("an empty statusFilter entry", start,
                {"operation": "STOP", "stateMachineArn": machine, "statusFilter": "RUNNING,"},
                "ValidationException", "statusFilter")
        refused("error over 256 characters", start,
                {"operation": "STOP", "stateMachineArn": machine, "error": "e" * 257},
                "ValidationException", "error")
        refused("cause over 32768 characters", start,
                {"operation": "STOP", "stateMachineArn": machine, "cause": "c" * 32769},
                "ValidationException", "cause")
        refused("error and cause with REDRIVE", start,
                {"operation": "REDRIVE", "stateMachineArn": machine, "error": "E"},
                "ValidationException", "error")
        refused("an empty clientToken", start,
                {"operation": "STOP", "stateMachineArn": machine, "clientToken": ""},
                "ValidationException", "clientToken")
        refused("a clientToken with a space", start,
                {"operation": "STOP", "stateMachineArn": machine, "clientToken": "a b"},
                "ValidationException", "clientToken")
        refused("a query that does not parse", start,
                {"operation": "STOP", "query": "status = = RUNNING"},
                "ValidationException", "query")
        refused("a query as a number", start, {"operation": "STOP", "query": 7},
                "SerializationException", "query")
        refused("a malformed machine ARN", start,
                {"operation": "STOP", "stateMachineArn": "not-an-arn"},
                "InvalidArn", "not-an-arn")
        refused("a machine of another account", start,
                {"operation": "STOP",
                 "stateMachineArn": machine.replace("123456789012", "999999999999")},
                "InvalidArn", "999999999999")
        refused("a body that is a list", start, b"[1,2]", "SerializationException", "")
        refused("a body that is not JSON", start, b"{operation: STOP", "SerializationException",
                "")
        refused("invalid UTF-8", start,
                b'{"operation":"STOP","stateMachineArn":"\xc3\x28"}',
                "SerializationException", "")
        refused("JSON nested 10,000 deep", start,
                b'{"operation":' + b"[" * 10000 + b"]" * 10000 + b"}",
                "SerializationException", "")
        for bad in ["", "../../etc/passwd", "x" * 5000, "\u0000", "batch_operation/"]:
            refused(f"DescribeBatchOperation of {bad[:20]!r}", "DescribeBatchOperation",
                    {"batchOperationId": bad}, "BatchOperationDoesNotExist", "")
        refused("batchOperationId as a number", "CancelBatchOperation",
                {"batchOperationId": 5}, "SerializationException", "batchOperationId")
        status, out = raw(daemon, "NoSuchBatchAction", b"{}")
        checks.check("an unknown Stepwise. action is UnknownOperationException",
                     status == 400 and "UnknownOperation" in out.get("__type", ""), out)

        jobs = call(daemon, "ListBatchOperations")["batchOperations"]
        checks.check("no refused request made a job", jobs == [], jobs)
        checks.check("the daemon still answers",
                     aws.client().describe_state_machine(stateMachineArn=machine)["name"] ==
                     "parked", "")

        # (The bound of ten open jobs is engine_batch_test's AtMostTenOpenJobs:
        # jobs here end too quickly to hold ten open.)
        made = [call(daemon, start, {"operation": "STOP", "stateMachineArn": machine,
                                     "clientToken": f"t{i}"})["batchOperationId"]
                for i in range(3)]
        again = call(daemon, start, {"operation": "STOP", "stateMachineArn": machine,
                                     "clientToken": "t0"})["batchOperationId"]
        checks.check("a repeated clientToken makes no new job", again == made[0], again)
    finally:
        checks.finish(daemon)


main()
