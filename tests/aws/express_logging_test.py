# loggingConfiguration and the Express execution logs through boto3 and a
# real stepwised started with --express-log-dir and --express-log-stdout:
# Create/Update/Describe carry loggingConfiguration as AWS does (AWS's
# default when absent, Standard machines too), then Express executions
# (a success, a Fail state) at level ALL write CloudWatch Logs-shaped lines
# to DIR/<log group name>.jsonl and to stdout, a machine at FATAL without
# execution data writes only the failure without its data, a machine at OFF
# writes nothing; the console lists them.
# Usage: express_logging_test.py STEPWISED
import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sfn_daemon import Checks, Daemon  # noqa: E402

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError:
    print("SKIP: boto3 not installed")
    sys.exit(77)

ROLE = "arn:aws:iam::123456789012:role/r"
GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:/sw/orders:*"
QUIET_GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:quiet:*"
PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"Arg1": "argument1"},
                                         "End": True}}}
FAIL = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "SomeFailure",
                                         "Cause": "This state machines raises a failure."}}}
DEFAULT = {"level": "OFF", "includeExecutionData": False}


def logging(level, group, data):
    return {"level": level, "includeExecutionData": data,
            "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group}}]}


def read_lines(path):
    try:
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]
    except OSError:
        return []


def wait_for(fn, timeout=20):
    deadline = time.time() + timeout
    while True:
        got = fn()
        if got or time.time() > deadline:
            return got
        time.sleep(0.1)


def main():
    stepwised = sys.argv[1]
    checks = Checks()
    daemon = Daemon(stepwised)
    log_dir = os.path.join(daemon.work, "express-logs")
    daemon.extra_args = ["--express-log-dir", log_dir, "--express-log-stdout"]
    daemon.start()
    sfn = boto3.client(
        "stepfunctions", endpoint_url=daemon.endpoint, region_name="us-east-1",
        aws_access_key_id="x", aws_secret_access_key="x",
        config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))

    def error_of(fn, **kw):
        try:
            fn(**kw)
            return ""
        except ClientError as e:
            return e.response["Error"]["Code"]

    # ---- the API ----
    standard = sfn.create_state_machine(name="std", definition=json.dumps(PASS),
                                        roleArn=ROLE)["stateMachineArn"]
    got = sfn.describe_state_machine(stateMachineArn=standard)["loggingConfiguration"]
    checks.check("absent loggingConfiguration describes as AWS's default", got == DEFAULT, got)
    express = sfn.create_state_machine(
        name="orders", definition=json.dumps(PASS), roleArn=ROLE, type="EXPRESS",
        loggingConfiguration=logging("ALL", GROUP, True))["stateMachineArn"]
    got = sfn.describe_state_machine(stateMachineArn=express)["loggingConfiguration"]
    checks.check("Create stores loggingConfiguration", got == logging("ALL", GROUP, True), got)
    again = error_of(sfn.create_state_machine, name="orders", definition=json.dumps(PASS),
                     roleArn=ROLE, type="EXPRESS",
                     loggingConfiguration=logging("ERROR", GROUP, True))
    checks.check("Create again with another loggingConfiguration: StateMachineAlreadyExists",
                 again == "StateMachineAlreadyExists", again)
    same = error_of(sfn.create_state_machine, name="orders", definition=json.dumps(PASS),
                    roleArn=ROLE, type="EXPRESS", loggingConfiguration=logging("ALL", GROUP, True))
    checks.check("Create again with the same loggingConfiguration is idempotent", same == "", same)
    sfn.update_state_machine(stateMachineArn=standard,
                             loggingConfiguration=logging("FATAL", QUIET_GROUP, False))
    got = sfn.describe_state_machine(stateMachineArn=standard)
    checks.check("Update with only loggingConfiguration changes it, keeps the definition",
                 got["loggingConfiguration"] == logging("FATAL", QUIET_GROUP, False)
                 and json.loads(got["definition"]) == PASS, got)
    sfn.update_state_machine(stateMachineArn=standard, definition=json.dumps(FAIL))
    got = sfn.describe_state_machine(stateMachineArn=standard)["loggingConfiguration"]
    checks.check("Update without loggingConfiguration keeps it",
                 got == logging("FATAL", QUIET_GROUP, False), got)
    for name, bad in [("level without destination", {"level": "ALL"}),
                      ("two destinations", {"level": "ALL", "destinations": [
                          {"cloudWatchLogsLogGroup": {"logGroupArn": GROUP}}] * 2}),
                      ("bad log group ARN", logging("ALL", "arn:aws:logs:x", True))]:
        code = error_of(sfn.create_state_machine, name="bad", definition=json.dumps(PASS),
                        roleArn=ROLE, type="EXPRESS", loggingConfiguration=bad)
        checks.check(f"{name}: InvalidLoggingConfiguration",
                     code == "InvalidLoggingConfiguration", code)
    failing = sfn.create_state_machine(
        name="failing", definition=json.dumps(FAIL), roleArn=ROLE, type="EXPRESS",
        loggingConfiguration=logging("FATAL", QUIET_GROUP, False))["stateMachineArn"]
    silent = sfn.create_state_machine(
        name="silent", definition=json.dumps(PASS), roleArn=ROLE, type="EXPRESS",
        loggingConfiguration={"level": "OFF"})["stateMachineArn"]

    # ---- Express executions ----
    ok_arn = sfn.start_execution(stateMachineArn=express, input='{"a":1}')["executionArn"]
    fail_arn = sfn.start_execution(stateMachineArn=failing, input='{"s":"hidden"}')["executionArn"]
    silent_arn = sfn.start_execution(stateMachineArn=silent, input="{}")["executionArn"]
    # Express executions keep no history in the store: GetExecutionHistory
    # refuses them (InvalidArn), and their events reach the log writer.
    checks.check("GetExecutionHistory refuses an Express execution",
                 error_of(sfn.get_execution_history, executionArn=ok_arn) == "InvalidArn")

    orders_file = os.path.join(log_dir, "_sw_orders.jsonl")
    lines = wait_for(lambda: [l for l in read_lines(orders_file)
                              if l.get("execution_arn") == ok_arn
                              and l.get("type") == "ExecutionSucceeded"] and read_lines(orders_file))
    mine = [l for l in lines if l.get("execution_arn") == ok_arn]
    types = [l["type"] for l in mine]
    checks.check("level ALL: every event in DIR/_sw_orders.jsonl",
                 types == ["ExecutionStarted", "PassStateEntered", "PassStateExited",
                           "ExecutionSucceeded"], types)
    if mine:
        end = mine[-1]
        checks.check("end event in AWS's shape",
                     end["id"] == "4" and end["previous_event_id"] == "3"
                     and end["redrive_count"] == "0" and end["event_timestamp"].isdigit()
                     and json.loads(end["details"]["output"]) == {"Arg1": "argument1"}
                     and end["details"]["outputDetails"] == {"truncated": False}, end)
        checks.check("ids and previous_event_id are strings",
                     all(isinstance(l["id"], str) and isinstance(l["previous_event_id"], str)
                         for l in mine), mine)
    quiet = wait_for(lambda: read_lines(os.path.join(log_dir, "quiet.jsonl")))
    checks.check("level FATAL: only ExecutionFailed",
                 [l["type"] for l in quiet] == ["ExecutionFailed"], quiet)
    if quiet:
        checks.check("includeExecutionData false: error and cause, no input",
                     quiet[0]["details"] == {
                         "error": "SomeFailure",
                         "cause": "This state machines raises a failure."}
                     and "hidden" not in json.dumps(quiet), quiet)
    stdout_lines = wait_for(lambda: [l for l in daemon.log_tail(1 << 20).splitlines()
                                     if l.startswith('{"id":"')])
    checks.check("--express-log-stdout writes the same lines",
                 len(stdout_lines) == len(mine) + len(quiet), stdout_lines)
    files = sorted(os.listdir(log_dir))
    checks.check("level OFF writes nothing", files == ["_sw_orders.jsonl", "quiet.jsonl"], files)

    # ---- the console ----
    def console(query):
        with urllib.request.urlopen(f"{daemon.endpoint}/console/api/{query}") as r:
            return json.loads(r.read())
    listed = wait_for(lambda: console(f"express?machine={express}")["executions"])
    checks.check("console lists the machine's recent Express executions",
                 [e["executionArn"] for e in listed] == [ok_arn]
                 and listed[0]["status"] == "SUCCEEDED", listed)
    one = console(f"express?arn={ok_arn}")
    checks.check("console shows the logged events of one",
                 [e["type"] for e in one.get("events", [])] == types, one)
    silent_one = console(f"express?arn={silent_arn}")
    checks.check("console keeps an unlogged one without events",
                 silent_one.get("loggingLevel") == "OFF" and silent_one.get("events") == [],
                 silent_one)
    checks.check("console keeps the failed one", console(f"express?arn={fail_arn}")
                 .get("status") == "FAILED")
    checks.finish(daemon)


if __name__ == "__main__":
    main()
