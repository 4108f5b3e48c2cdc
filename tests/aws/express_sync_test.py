# StartSyncExecution and Express executions through a real stepwised, with
# AWS's own clients: boto3 (success, failure, the Express time limit, input
# over 256 KiB, a STANDARD machine, duplicate names, the calls AWS refuses
# for Express) and the AWS CLI's start-sync-execution (which sends it to the
# "sync-" prefixed host; stepwised as its HTTP proxy: README,
# "StartSyncExecution"). The daemon runs
# its clock 100x fast (--time-scale 100), so the 5-minute Express limit
# comes after 3 s. Single-threaded.
# `stepwise start --sync` (gRPC) too when STEPWISE (the CLI) is given.
# Usage: express_sync_test.py STEPWISED [STEPWISE]
import json
import os
import subprocess
import sys
import time

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
PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"got.$": "$.x"},
                                         "End": True}}}
FAIL = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "broke"}}}
SLOW = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}


def error_of(fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    return "", ""


def main():
    stepwised = sys.argv[1]
    checks = Checks()
    daemon = Daemon(stepwised, ["--time-scale", "100"])
    daemon.start()
    try:
        run(checks, daemon)
    except Exception as e:  # noqa: BLE001 - reported as a failed check
        checks.check("no exception", False, repr(e))
    checks.finish(daemon)


def run(checks, daemon):
    # The SDKs prefix StartSyncExecution's host with "sync-"; a local
    # endpoint does not resolve so: the client is told not to.
    sfn = boto3.client("stepfunctions", endpoint_url=daemon.endpoint, region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x",
                       config=Config(inject_host_prefix=False, read_timeout=70,
                                     retries={"max_attempts": 1}))
    mk = lambda name, d, t="EXPRESS": sfn.create_state_machine(  # noqa: E731
        name=name, definition=json.dumps(d), roleArn=ROLE, type=t)["stateMachineArn"]
    fast, failing, slow = mk("fast", PASS), mk("failing", FAIL), mk("slow", SLOW)
    standard = mk("std", PASS, "STANDARD")

    r = sfn.start_sync_execution(stateMachineArn=fast, name="one", input='{"x": 42}',
                                 traceHeader="Root=1-abc")
    checks.check("success: status SUCCEEDED", r["status"] == "SUCCEEDED", r)
    checks.check("success: output", json.loads(r.get("output", "null")) == {"got": 42}, r)
    checks.check("success: express ARN with the name",
                 ":express:fast:one:" in r["executionArn"], r["executionArn"])
    checks.check("success: stateMachineArn, name", r["stateMachineArn"] == fast
                 and r["name"] == "one", r)
    checks.check("success: input and inputDetails", r["input"] == '{"x": 42}'
                 and r["inputDetails"] == {"included": True}
                 and r["outputDetails"] == {"included": True}, r)
    checks.check("success: dates", r["stopDate"] >= r["startDate"], r)
    checks.check("success: traceHeader echoed", r.get("traceHeader") == "Root=1-abc", r)
    b = r["billingDetails"]
    checks.check("success: billingDetails (64 MB, 100 ms units)",
                 b["billedMemoryUsedInMB"] == 64 and b["billedDurationInMilliseconds"] >= 100
                 and b["billedDurationInMilliseconds"] % 100 == 0, b)

    again = sfn.start_sync_execution(stateMachineArn=fast, name="one", input='{"x": 1}')
    checks.check("a name used before starts a new execution (Express)",
                 again["status"] == "SUCCEEDED" and again["executionArn"] != r["executionArn"],
                 again)

    f = sfn.start_sync_execution(stateMachineArn=failing)
    checks.check("failure: FAILED with error and cause (HTTP 200)",
                 f["status"] == "FAILED" and f.get("error") == "Boom"
                 and f.get("cause") == "broke" and "output" not in f, f)

    t0 = time.time()
    t = sfn.start_sync_execution(stateMachineArn=slow, input="{}")
    checks.check("over the Express limit: TIMED_OUT, States.Timeout",
                 t["status"] == "TIMED_OUT" and t.get("error") == "States.Timeout", t)
    checks.check("the limit is 5 minutes (3 s at 100x)", 2.0 < time.time() - t0 < 30,
                 time.time() - t0)

    code, msg = error_of(sfn.start_sync_execution, stateMachineArn=fast,
                         input=json.dumps({"x": "a" * 262144}))
    checks.check("input over 256 KiB -> InvalidExecutionInput", code == "InvalidExecutionInput",
                 (code, msg))
    code, msg = error_of(sfn.start_sync_execution, stateMachineArn=fast, input="{bad")
    checks.check("input not JSON -> InvalidExecutionInput", code == "InvalidExecutionInput",
                 (code, msg))
    code, msg = error_of(sfn.start_sync_execution, stateMachineArn=standard)
    checks.check("STANDARD machine -> StateMachineTypeNotSupported",
                 code == "StateMachineTypeNotSupported", (code, msg))
    code, msg = error_of(sfn.start_sync_execution,
                         stateMachineArn=fast.replace(":fast", ":nope"))
    checks.check("no such machine -> StateMachineDoesNotExist",
                 code == "StateMachineDoesNotExist", (code, msg))

    # Asynchronous Express: accepted, runs, and is not readable afterwards.
    a = sfn.start_execution(stateMachineArn=fast, input='{"x": 1}')
    checks.check("StartExecution of EXPRESS gives an express ARN",
                 ":express:fast:" in a["executionArn"], a)
    refused = "Invalid Arn: 'Resource type not valid in this context: express'"
    for op, kw in [(sfn.describe_execution, {}), (sfn.get_execution_history, {}),
                   (sfn.stop_execution, {}), (sfn.describe_state_machine_for_execution, {})]:
        code, msg = error_of(op, executionArn=a["executionArn"], **kw)
        checks.check(f"{op.__name__} of an Express execution -> InvalidArn",
                     code == "InvalidArn" and msg == refused, (code, msg))
    code, msg = error_of(sfn.list_executions, stateMachineArn=fast)
    checks.check("list_executions of an EXPRESS machine -> StateMachineTypeNotSupported",
                 code == "StateMachineTypeNotSupported", (code, msg))
    code, msg = error_of(sfn.create_state_machine, name="act", roleArn=ROLE, type="EXPRESS",
                         definition=json.dumps({"StartAt": "T", "States": {"T": {
                             "Type": "Task", "End": True,
                             "Resource": "arn:aws:states:us-east-1:123456789012:activity:a"}}}))
    checks.check("an activity in an EXPRESS machine -> InvalidDefinition",
                 code == "InvalidDefinition", (code, msg))

    aws_cli(checks, daemon, fast)
    if len(sys.argv) > 2:
        grpc_cli(checks, daemon, sys.argv[2], fast, standard)


def grpc_cli(checks, daemon, stepwise, fast, standard):
    """`stepwise start --sync`: StartSyncExecution over gRPC."""
    env = dict(os.environ, STEPWISE_ENDPOINT=f"127.0.0.1:{daemon.grpc_port}")
    p = subprocess.run([stepwise, "start", fast, "--sync", "--json", "--input", '{"x": 9}'],
                       capture_output=True, text=True, env=env, timeout=60)
    out = json.loads(p.stdout) if p.returncode == 0 else {}
    checks.check("stepwise start --sync (gRPC)", out.get("status") == "SUCCEEDED"
                 and out.get("output") == {"got": 9}
                 and ":express:fast:" in out.get("executionArn", "")
                 and out["billingDetails"]["billedMemoryUsedInMB"] == 64, (p.returncode, p.stderr))
    p = subprocess.run([stepwise, "start", standard, "--sync"], capture_output=True, text=True,
                       env=env, timeout=60)
    checks.check("stepwise start --sync of a STANDARD machine -> StateMachineTypeNotSupported",
                 p.returncode == 1 and "StateMachineTypeNotSupported" in p.stderr, p.stderr)
    p = subprocess.run([stepwise, "start", fast, "--wait"], capture_output=True, text=True,
                       env=env, timeout=60)
    checks.check("stepwise start --wait of an EXPRESS machine: usage error pointing to --sync",
                 p.returncode == 2 and "--sync" in p.stderr, (p.returncode, p.stderr))


def aws_cli(checks, daemon, fast):
    """The AWS CLI: start-sync-execution goes to http://sync-<host>:<port>."""
    aws = os.environ.get("AWS_BIN", "aws")
    env = dict(os.environ, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x",
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_PAGER="")
    try:
        subprocess.run([aws, "--version"], capture_output=True, env=env, check=True)
    except (OSError, subprocess.CalledProcessError):
        print("(no AWS CLI: its checks are skipped)")
        return
    # The CLI has no switch for the host prefix: it sends to
    # http://sync-localhost:PORT, which does not resolve here. The README's
    # way: stepwised as the CLI's HTTP proxy (it serves absolute-form
    # request targets), so no name is resolved at all.
    env["HTTP_PROXY"] = daemon.endpoint
    env["NO_PROXY"] = ""
    env.pop("no_proxy", None)
    env.pop("http_proxy", None)
    port = daemon.endpoint.rsplit(":", 1)[1]
    p = subprocess.run([aws, "--endpoint-url", f"http://localhost:{port}", "--output", "json",
                        "stepfunctions", "start-sync-execution", "--state-machine-arn", fast,
                        "--input", '{"x": 7}', "--cli-read-timeout", "70"],
                       capture_output=True, text=True, env=env, timeout=120)
    out = json.loads(p.stdout) if p.returncode == 0 else {}
    checks.check("aws start-sync-execution (HTTP_PROXY=the endpoint)",
                 out.get("status") == "SUCCEEDED" and json.loads(out["output"]) == {"got": 7}
                 and out["billingDetails"]["billedMemoryUsedInMB"] == 64, (p.returncode, p.stderr))


if __name__ == "__main__":
    main()
