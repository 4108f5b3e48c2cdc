#!/usr/bin/env python3
# Restart from any state (Stepwise.RestartExecution, an extension on the AWS
# endpoint) against the real stepwised: requests signed and sent with
# botocore's own SigV4 signer and HTTP session (no SDK models the action),
# the executions driven and read with botocore's Step Functions client, and
# `stepwise restart` (gRPC) from the CLI.
#  1. Prep -> Charge (an activity) -> Done fails in Charge; RestartExecution
#     from Charge starts ORIGINAL-restart-1 at Charge with the input Charge
#     was entered with (Prep does not run again); a SIGKILL and restart while
#     it waits for its worker; then SUCCEEDED. Both histories link each
#     other (stepwiseRestartedFrom, ExecutionRestarted) and botocore still
#     parses both histories.
#  2. `stepwise restart --from Charge --input ... --name ...` with an edited
#     input; a repeat of the same request is the same execution, linked once.
#  3. Refusals: a running execution (ExecutionNotRestartable), an unknown
#     state, a state inside a Parallel, input that is not JSON, wrong member
#     types, an unknown execution; the CLI's exit code and error name.
# Usage: restart_test.py STEPWISED STEPWISE. Exits 77 without boto3.
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sfn_daemon import ACCOUNT, Aws, Checks, Daemon  # noqa: E402

try:
    import boto3  # noqa: F401
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from botocore.httpsession import URLLib3Session
except ImportError:
    print("SKIP: boto3 not installed")
    sys.exit(77)

STEPWISED, STEPWISE = sys.argv[1], sys.argv[2]
ACTIVITY_NAME = "jobs"
ACTIVITY = f"{ACCOUNT}:activity:{ACTIVITY_NAME}"
WORK = {"StartAt": "Prep", "States": {
    "Prep": {"Type": "Pass", "Result": "ready", "ResultPath": "$.prep", "Next": "Charge"},
    "Charge": {"Type": "Task", "Resource": ACTIVITY, "ResultPath": "$.charge", "Next": "Done"},
    "Done": {"Type": "Pass", "End": True}}}
BRANCHY = {"StartAt": "Both", "States": {
    "Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Inner", "States": {
            "Inner": {"Type": "Task", "Resource": ACTIVITY, "End": True}}}]}}}

c = Checks()
daemon = Daemon(STEPWISED)
daemon.start()
aws = Aws(None, daemon)
session = URLLib3Session()


def call(target, body):
    """(HTTP status, parsed reply) of a SigV4-signed AWS JSON 1.0 call."""
    data = json.dumps(body) if isinstance(body, dict) else body
    req = AWSRequest(method="POST", url=daemon.endpoint + "/", data=data, headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target})
    SigV4Auth(Credentials("x", "x"), "states", "us-east-1").add_auth(req)
    resp = session.send(req.prepare())
    text = resp.content.decode() if resp.content else "{}"
    return resp.status_code, json.loads(text)


def restart(**members):
    return call("Stepwise.RestartExecution", members)


def error_of(**members):
    status, out = restart(**members)
    return out.get("__type", "") if status != 200 else "", out.get("message", "")


def raw_history(arn):
    status, out = call("AWSStepFunctions.GetExecutionHistory",
                       {"executionArn": arn, "maxResults": 1000})
    return out.get("events", []) if status == 200 else []


def poll():
    t = aws.client().get_activity_task(activityArn=ACTIVITY, workerName="w")
    if not t.get("taskToken"):
        return None
    return json.loads(t["input"]), t["taskToken"]


def failed_execution(machine, name, inp):
    ex = aws.client().start_execution(stateMachineArn=machine, name=name,
                                      input=json.dumps(inp))["executionArn"]
    _, token = poll()
    aws.client().send_task_failure(taskToken=token, error="CardDeclined", cause="bug")
    aws.wait_status(ex)
    return ex


def cli(*args):
    p = subprocess.run([STEPWISE, *args, "--endpoint", f"127.0.0.1:{daemon.grpc_port}"],
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def links(arn):
    return [e["executionRestartedEventDetails"]["executionArn"]
            for e in raw_history(arn) if e["type"] == "ExecutionRestarted"]


try:
    aws.client().create_activity(name=ACTIVITY_NAME)
    machine = aws.create_machine("orders", WORK)

    # --- 1. restart from the failed state, with its recorded input ---
    ex = failed_execution(machine, "order-1", {"order": 1})
    c.check("the original FAILED", aws.describe(ex)["status"] == "FAILED")
    charge_entry = [e["id"] for e in aws.history(ex)
                    if e["type"] == "TaskStateEntered"][0]
    status, out = restart(executionArn=ex, stateName="Charge")
    c.check("RestartExecution answers {executionArn, startDate}",
            status == 200 and set(out) == {"executionArn", "startDate"}, (status, out))
    new = out.get("executionArn", "")
    c.check("the new execution is ORIGINAL-restart-1",
            new == f"{ACCOUNT}:execution:orders:order-1-restart-1", new)
    daemon.restart_after_kill9()  # the restart is durable before its answer
    got = poll()
    c.check("Charge runs again with the input it was entered with",
            got is not None and got[0] == {"order": 1, "prep": "ready"}, got)
    aws.client().send_task_success(taskToken=got[1], output=json.dumps({"charged": True}))
    d = aws.wait_status(new)
    c.check("the restarted execution SUCCEEDED", d["status"] == "SUCCEEDED", d)
    types = [e["type"] for e in aws.history(new)]
    c.check("it began at Charge (Prep did not run)",
            types[:2] == ["ExecutionStarted", "TaskStateEntered"] and
            "PassStateEntered" in types and types.count("PassStateEntered") == 1, types)
    started = raw_history(new)[0]["executionStartedEventDetails"]
    c.check("its ExecutionStarted names the original (stepwiseRestartedFrom)",
            started.get("stepwiseRestartedFrom") ==
            {"executionArn": ex, "stateName": "Charge", "eventId": charge_entry}, started)
    orig = raw_history(ex)
    c.check("the original's last event is ExecutionRestarted naming the new execution",
            orig[-1]["type"] == "ExecutionRestarted" and
            orig[-1]["executionRestartedEventDetails"]["executionArn"] == new and
            orig[-1]["executionRestartedEventDetails"]["stateName"] == "Charge", orig[-1])
    parsed = aws.history(ex)
    c.check("botocore parses the original's history, ExecutionRestarted included",
            parsed[-1]["type"] == "ExecutionRestarted", parsed[-1])
    c.check("the original stays FAILED", aws.describe(ex)["status"] == "FAILED")

    # --- 2. the CLI, with an edited input; a repeat is the same execution ---
    rc, out, err = cli("restart", ex, "--from", "Charge", "--input", '{"order": 2}',
                       "--name", "order-1-fixed", "--json")
    dj = json.loads(out) if rc == 0 else {}
    c.check("stepwise restart --json answers the new ARN",
            dj.get("executionArn") == f"{ACCOUNT}:execution:orders:order-1-fixed", (rc, out, err))
    got = poll()
    c.check("the edited input reaches Charge", got is not None and got[0] == {"order": 2}, got)
    rc2, out2, err2 = cli("restart", ex, "--from", "Charge", "--input", '{"order": 2}',
                          "--name", "order-1-fixed", "--json")
    c.check("the same request again is the same execution",
            rc2 == 0 and json.loads(out2) == dj, (rc2, out2, err2))
    c.check("the original links each restart once",
            links(ex) == [new, f"{ACCOUNT}:execution:orders:order-1-fixed"], links(ex))
    aws.client().send_task_success(taskToken=got[1], output="{}")

    # --- 3. refusals ---
    running = aws.client().start_execution(stateMachineArn=machine,
                                           name="busy")["executionArn"]
    c.check("a RUNNING execution: ExecutionNotRestartable",
            error_of(executionArn=running, stateName="Charge")[0] == "ExecutionNotRestartable")
    aws.client().stop_execution(executionArn=running)
    name, msg = error_of(executionArn=ex, stateName="Nope")
    c.check("an unknown state: ValidationException naming stateName",
            name == "ValidationException" and "stateName" in msg, (name, msg))
    name, msg = error_of(executionArn=ex, stateName="Charge", input="{not json")
    c.check("input that is not JSON: ValidationException naming input",
            name == "ValidationException" and "input" in msg, (name, msg))
    name, msg = error_of(executionArn=ex)
    c.check("no stateName: ValidationException naming it",
            name == "ValidationException" and "stateName" in msg, (name, msg))
    name, msg = error_of(executionArn=ex, stateName=7)
    c.check("a stateName that is not a string: SerializationException",
            name == "SerializationException", (name, msg))
    name, msg = error_of(executionArn=ex, stateName="Charge", eventId="x")
    c.check("an eventId that is not a number: SerializationException",
            name == "SerializationException", (name, msg))
    name, _ = error_of(executionArn=ex + "-gone", stateName="Charge")
    c.check("an unknown execution: ExecutionDoesNotExist", name == "ExecutionDoesNotExist", name)
    branchy = aws.create_machine("branchy", BRANCHY)
    bx = failed_execution(branchy, "b1", {"x": 1})
    name, msg = error_of(executionArn=bx, stateName="Inner")
    c.check("a state inside a Parallel: only top-level states",
            name == "ValidationException" and "only top-level states" in msg, (name, msg))
    rc, out, err = cli("restart", ex, "--from", "Nope")
    c.check("stepwise restart of an unknown state: exit 1, ValidationException",
            rc == 1 and "ValidationException" in err, (rc, err))
except Exception as e:  # noqa: BLE001
    import traceback
    traceback.print_exc()
    c.check("no exception", False, repr(e))
c.finish(daemon)
