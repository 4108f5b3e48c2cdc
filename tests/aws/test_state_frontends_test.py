# TestState through each front end of a real stepwised: boto3 on the AWS
# JSON endpoint and `stepwise test-state` on gRPC give the same answer for
# the same request (Pass, Choice, a mocked Task that is retriable, caught
# or failed, a mocked Parallel, a nested state by name), and both refuse
# what AWS refuses with AWS's error name. Single-threaded.
# Usage: test_state_frontends_test.py STEPWISED STEPWISE
import json
import os
import subprocess
import sys
import tempfile

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
TASK = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Done",
        "Parameters": {"FunctionName": "f", "Payload.$": "$"},
        "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 2, "MaxAttempts": 2}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Handler"}]}
CASES = [
    ("pass", {"definition": {"Type": "Pass", "Parameters": {"v.$": "$.a"}, "End": True},
              "input": {"a": 1}, "inspectionLevel": "DEBUG"}),
    ("choice", {"definition": {"Type": "Choice", "Default": "Small", "Choices": [
        {"Variable": "$.n", "NumericGreaterThan": 5, "Next": "Big"}]}, "input": {"n": 9}}),
    ("task result", {"definition": TASK, "input": {"a": 1}, "inspectionLevel": "TRACE",
                     "mock": {"result": json.dumps({"Payload": 7})}}),
    ("task retriable", {"definition": TASK, "input": {"a": 1}, "inspectionLevel": "DEBUG",
                        "mock": {"errorOutput": {"error": "Boom", "cause": "c"}},
                        "stateConfiguration": {"retrierRetryCount": 1}}),
    ("task caught", {"definition": TASK, "input": {"a": 1}, "inspectionLevel": "DEBUG",
                     "mock": {"errorOutput": {"error": "Boom", "cause": "c"}},
                     "stateConfiguration": {"retrierRetryCount": 2}}),
    ("parallel", {"definition": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}]},
        "input": {}, "mock": {"result": "[1]"}, "inspectionLevel": "DEBUG"}),
    ("nested by name", {"definition": {"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True, "ItemProcessor": {"StartAt": "In", "States": {
            "In": {"Type": "Pass", "Result": "x", "End": True}}}}}},
        "stateName": "In", "input": {}}),
]
REFUSED = [
    ("mock on Pass", {"definition": {"Type": "Pass", "End": True}, "mock": {"result": "{}"}},
     "ValidationException"),
    ("Map without mock", {"definition": {"Type": "Map", "End": True, "ItemProcessor": {
        "StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}}}, "InvalidDefinition"),
    ("Task without mock", {"definition": TASK}, "ValidationException"),
]


def boto_request(spec):
    req = dict(spec)
    req["definition"] = json.dumps(spec["definition"])
    if "input" in spec:
        req["input"] = json.dumps(spec["input"])
    req["roleArn"] = ROLE
    return req


def cli_args(spec, work):
    path = os.path.join(work, "definition.json")
    with open(path, "w") as f:
        json.dump(spec["definition"], f)
    args = ["test-state", "--definition", path, "--role-arn", ROLE]
    if "input" in spec:
        args += ["--input", json.dumps(spec["input"])]
    if "inspectionLevel" in spec:
        args += ["--inspection-level", spec["inspectionLevel"]]
    if "stateName" in spec:
        args += ["--state-name", spec["stateName"]]
    mock = spec.get("mock", {})
    if "result" in mock:
        args += ["--mock-result", mock["result"]]
    if "errorOutput" in mock:
        args += ["--mock-error", mock["errorOutput"]["error"],
                 "--mock-cause", mock["errorOutput"]["cause"]]
    config = spec.get("stateConfiguration", {})
    if "retrierRetryCount" in config:
        args += ["--retrier-retry-count", str(config["retrierRetryCount"])]
    return args


def main():
    stepwised, stepwise = sys.argv[1], sys.argv[2]
    checks = Checks()
    daemon = Daemon(stepwised)
    daemon.start()
    work = tempfile.mkdtemp(prefix="sw_test_state_")
    client = boto3.client(
        "stepfunctions", endpoint_url=daemon.endpoint, region_name="us-east-1",
        aws_access_key_id="x", aws_secret_access_key="x",
        config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))

    def cli(spec):
        return subprocess.run(
            [stepwise] + cli_args(spec, work) + ["--endpoint", f"127.0.0.1:{daemon.grpc_port}"],
            capture_output=True, text=True, timeout=60)

    statuses = {}
    for name, spec in CASES:
        got = client.test_state(**boto_request(spec))
        got.pop("ResponseMetadata", None)
        statuses[name] = got.get("status")
        p = cli(spec)
        ok = p.returncode == 0
        via_cli = json.loads(p.stdout) if ok else {"stderr": p.stderr}
        checks.check(f"{name}: AWS endpoint and CLI (gRPC) agree", via_cli == got,
                     f"boto3 {json.dumps(got)} cli {json.dumps(via_cli)}")
    checks.check("statuses", statuses == {
        "pass": "SUCCEEDED", "choice": "SUCCEEDED", "task result": "SUCCEEDED",
        "task retriable": "RETRIABLE", "task caught": "CAUGHT_ERROR", "parallel": "SUCCEEDED",
        "nested by name": "SUCCEEDED"}, json.dumps(statuses))
    for name, spec, error in REFUSED:
        try:
            client.test_state(**boto_request(spec))
            code = ""
        except ClientError as e:
            code = e.response["Error"]["Code"]
        checks.check(f"{name}: AWS endpoint refuses with {error}", code == error, code)
        p = cli(spec)
        checks.check(f"{name}: CLI refuses with {error}",
                     p.returncode == 1 and f"error: {error}:" in p.stderr, p.stderr)
    checks.finish(daemon)


if __name__ == "__main__":
    main()
