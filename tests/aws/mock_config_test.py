#!/usr/bin/env python3
"""Mock-config testing end to end: a real stepwised started with
--mock-config (and once with SFN_MOCK_CONFIG), driven through its AWS
endpoint with the AWS CLI and botocore.

1. AWS's own example, unchanged (tests/aws/mock_config/: the
   LambdaSQSIntegration machine and MockConfigFile.json of the Step Functions
   developer guide, "Using mocked service integrations for testing in Step
   Functions Local"; MIT-0 sample code, see that folder's README.md), with
   the outcomes that page documents: HappyPath (both Tasks mocked; the
   Lambda response is SQSState's input; the SQS mock is the output),
   RetryPath (three mocked failures retried, the fourth invocation
   succeeds), HybridPath (LambdaState mocked, SQSState really calls SQS: a
   fake SQS endpoint on loopback, --aws-endpoint sqs=...).
2. What Step Functions Local never did: a JSONata machine mocking an HTTP
   Task, an aws-sdk Task, an activity (no worker), a .waitForTaskToken Task
   (no token sent), a .sync:2 child execution (the machine does not exist)
   and a Throw caught by Catch; AWS-shaped history events.
3. Hostile: a malformed mock file (stepwised refuses to start, naming the
   JSON path), an unknown test case and '#' with an empty name (InvalidArn
   naming them), an invocation the mock does not give (States.Runtime), a
   machine no test case names runs unmocked.
4. Stepwise's StepwiseTestCaseOptions: a test case with a TimeScale runs
   an hour's Wait and an hour's retry back-off in moments, while the same
   machine's unscaled test case still waits; a bad TimeScale is refused
   naming its JSON path.
5. Durable: stepwised killed (-9, the crash hook) once the commit that
   schedules a mocked Task is on disk answers it after the restart.
Usage: mock_config_test.py <stepwised>. Exits 77 (skip) without the AWS CLI
or botocore.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sfn_daemon import ACCOUNT, Aws, Checks, Daemon, aws_bin_or_skip  # noqa: E402

try:
    import botocore  # noqa: F401
except ImportError:
    print("SKIP: botocore not installed (apt-get install awscli)")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "mock_config")
MACHINE = f"{ACCOUNT}:stateMachine"


class FakeSqs(BaseHTTPRequestHandler):
    """SQS's SendMessage (AWS JSON 1.0) for the HybridPath: records each call."""
    protocol_version = "HTTP/1.1"
    calls = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        req = json.loads(body or b"{}")
        FakeSqs.calls.append((self.headers.get("X-Amz-Target", ""), req))
        out = json.dumps({
            "MD5OfMessageBody": hashlib.md5(req.get("MessageBody", "").encode()).hexdigest(),
            "MessageId": "real-sqs-message-1"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("x-amzn-RequestId", "fake-sqs-request")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


def events_of(aws, arn, kind):
    return [e for e in aws.history(arn) if e["type"] == kind]


def details(e):
    """The event's details object (the one *EventDetails member)."""
    for k, v in e.items():
        if k.endswith("EventDetails"):
            return v
    return {}


def start(aws, machine_arn, name, test_case, payload=None):
    args = ["start-execution", "--state-machine-arn", f"{machine_arn}#{test_case}",
            "--name", name]
    if payload is not None:
        args += ["--input", json.dumps(payload)]
    return aws.ok(*args)["executionArn"]


def aws_example(aws, checks, sqs):
    definition = open(os.path.join(EXAMPLE, "LambdaSQSIntegration.asl.json")).read()
    arn = aws.create_machine("LambdaSQSIntegration", definition)
    lambda_response = {"StatusCode": 200,
                       "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}
    sqs_mock = {"MD5OfMessageBody": "3bcb6e8e-7h85-4375-b0bc-1a59812c6e51",
                "MessageId": "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}

    # HappyPath, started as the guide does, with the AWS CLI.
    ex = start(aws, arn, "executionWithHappyPathMockedServices", "HappyPath")
    checks.check("HappyPath: the execution ARN is the machine's, without the test case",
                 ex == f"{ACCOUNT}:execution:LambdaSQSIntegration:"
                       "executionWithHappyPathMockedServices", ex)
    d = aws.wait_status(ex)
    checks.check("HappyPath: SUCCEEDED", d["status"] == "SUCCEEDED", d)
    checks.check("HappyPath: the output is MockedSQSSuccess's Return",
                 json.loads(d.get("output", "null")) == sqs_mock, d.get("output"))
    h = aws.history(ex)
    types = [e["type"] for e in h]
    checks.check("HappyPath: AWS-shaped Task events, no Lambda or SQS called",
                 types == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
                           "TaskSucceeded", "TaskStateExited", "TaskStateEntered",
                           "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
                           "ExecutionSucceeded"] and not FakeSqs.calls, (types, FakeSqs.calls))
    succeeded = [details(e) for e in h if e["type"] == "TaskSucceeded"]
    checks.check("HappyPath: LambdaState's TaskSucceeded is lambda/invoke with the mocked "
                 "Invoke response",
                 succeeded[0].get("resourceType") == "lambda"
                 and succeeded[0].get("resource") == "invoke"
                 and json.loads(succeeded[0]["output"]) == lambda_response, succeeded[0])
    checks.check("HappyPath: SQSState's TaskSucceeded is sqs/sendMessage with the mock",
                 succeeded[1].get("resourceType") == "sqs"
                 and succeeded[1].get("resource") == "sendMessage"
                 and json.loads(succeeded[1]["output"]) == sqs_mock, succeeded[1])
    entered = [details(e) for e in h if e["type"] == "TaskStateEntered"]
    checks.check("HappyPath: LambdaState's output is SQSState's input",
                 json.loads(entered[1]["input"]) == lambda_response, entered[1])
    scheduled = [details(e) for e in h if e["type"] == "TaskScheduled"]
    checks.check("HappyPath: SQSState was scheduled with its real parameters",
                 json.loads(scheduled[1]["parameters"]).get("QueueUrl")
                 == "https://sqs.us-east-1.amazonaws.com/123456789012/myQueue", scheduled[1])

    # RetryPath: invocation 0 and 1-2 throw, 3 returns (Retry MaxAttempts 3).
    ex = start(aws, arn, "executionWithRetryPath", "RetryPath")
    d = aws.wait_status(ex, timeout=60)
    checks.check("RetryPath: SUCCEEDED after the retries", d["status"] == "SUCCEEDED", d)
    checks.check("RetryPath: the output is MockedSQSSuccess's Return",
                 json.loads(d.get("output", "null")) == sqs_mock, d.get("output"))
    failed = [details(e) for e in events_of(aws, ex, "TaskFailed")]
    checks.check("RetryPath: the initial attempt and the first two retries fail as mocked",
                 [(f.get("error"), f.get("cause")) for f in failed] == [
                     ("Lambda.ResourceNotReadyException", "Lambda resource is not ready."),
                     ("Lambda.TimeoutException", "Lambda timed out."),
                     ("Lambda.TimeoutException", "Lambda timed out.")], failed)
    succeeded = [details(e) for e in events_of(aws, ex, "TaskSucceeded")]
    checks.check("RetryPath: the third retry succeeds with the Payload response",
                 len(succeeded) == 2 and json.loads(succeeded[0]["output"]) == lambda_response,
                 succeeded)
    checks.check("RetryPath: four LambdaState attempts scheduled",
                 len(events_of(aws, ex, "TaskScheduled")) == 5, aws.history(ex))

    # HybridPath: LambdaState mocked, SQSState really calls SQS.
    ex = start(aws, arn, "executionWithHybridPath", "HybridPath")
    d = aws.wait_status(ex, timeout=60)
    checks.check("HybridPath: SUCCEEDED", d["status"] == "SUCCEEDED", d)
    checks.check("HybridPath: SQSState called SQS once, SendMessage with the mocked Lambda "
                 "response as body",
                 len(FakeSqs.calls) == 1 and FakeSqs.calls[0][0] == "AmazonSQS.SendMessage"
                 and json.loads(FakeSqs.calls[0][1].get("MessageBody", "null")) == lambda_response
                 and FakeSqs.calls[0][1].get("QueueUrl")
                 == "https://sqs.us-east-1.amazonaws.com/123456789012/myQueue", FakeSqs.calls)
    out = json.loads(d.get("output", "null")) or {}
    checks.check("HybridPath: the output is the real SendMessage response",
                 out.get("MessageId") == "real-sqs-message-1", d.get("output"))

    # Hostile start requests.
    err = aws.error_of("start-execution", "--state-machine-arn", f"{arn}#NoSuchCase")
    rc, _, stderr = aws.run("start-execution", "--state-machine-arn", f"{arn}#NoSuchCase")
    checks.check("an unknown test case: InvalidArn naming it",
                 err == "InvalidArn" and "NoSuchCase" in stderr, (err, stderr))
    err = aws.error_of("start-execution", "--state-machine-arn", f"{arn}#")
    checks.check("'#' with an empty test case name: InvalidArn", err == "InvalidArn", err)
    err = aws.error_of("start-execution", "--state-machine-arn",
                       f"{MACHINE}:NoSuchMachine#HappyPath")
    checks.check("a test case on a machine that does not exist: StateMachineDoesNotExist",
                 err == "StateMachineDoesNotExist", err)
    return arn


# JSONata: an HTTP Task, an aws-sdk Task, an activity, .waitForTaskToken and
# a Throw caught by Catch, all mocked; none of them could run here for real
# (no HTTP server, no DynamoDB, no activity worker, no token sender).
JSONATA_MACHINE = {
    "QueryLanguage": "JSONata",
    "StartAt": "Http",
    "States": {
        "Http": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                 "Arguments": {"ApiEndpoint": "https://api.example.invalid/orders",
                               "Method": "GET",
                               "Authentication": {"ConnectionArn":
                                   "arn:aws:events:us-east-1:123456789012:connection/c/1"}},
                 "Output": {"http": "{% $states.result.ResponseBody %}"},
                 "Next": "Sdk"},
        "Sdk": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:getItem",
                "Arguments": {"TableName": "orders", "Key": {"id": {"S": "1"}}},
                "Assign": {"item": "{% $states.result.Item.id.S %}"},
                "Output": "{% $states.input %}",
                "Next": "Activity"},
        "Activity": {"Type": "Task",
                     "Resource": "arn:aws:states:us-east-1:123456789012:activity:nobody",
                     "Output": "{% $merge([$states.input, {'activity': $states.result}]) %}",
                     "Next": "Callback"},
        "Callback": {"Type": "Task",
                     "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                     "Arguments": {"QueueUrl": "https://sqs.example.invalid/q",
                                   "MessageBody": "{% $states.context.Task.Token %}"},
                     "Output": "{% $merge([$states.input, {'callback': $states.result, "
                               "'item': $item}]) %}",
                     "Next": "Child"},
        "Child": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                  "Arguments": {"StateMachineArn":
                                "arn:aws:states:us-east-1:123456789012:stateMachine:absent"},
                  "Output": "{% $merge([$states.input, {'child': $states.result.Output}]) %}",
                  "Next": "Fails"},
        "Fails": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                  "Arguments": {"FunctionName": "nowhere"},
                  "Catch": [{"ErrorEquals": ["Orders.Missing"], "Next": "Caught",
                             "Output": "{% $merge([$states.input, "
                                       "{'caught': $states.errorOutput}]) %}"}],
                  "End": True},
        "Caught": {"Type": "Succeed"},
    },
}

JSONATA_MOCKS = {
    "StateMachines": {
        "JsonataAll": {"TestCases": {"Everything": {
            "Http": "HttpOk", "Sdk": "ItemFound", "Activity": "ActivityDone",
            "Callback": "Approved", "Child": "ChildDone", "Fails": "Missing"}}},
    },
    "MockedResponses": {
        "HttpOk": {"0": {"Return": {"ResponseBody": {"orders": 3}, "StatusCode": 200}}},
        "ItemFound": {"0": {"Return": {"Item": {"id": {"S": "order-1"}}}}},
        "ActivityDone": {"0": {"Return": "done by nobody"}},
        "Approved": {"0": {"Return": {"approved": True}}},
        "ChildDone": {"0": {"Return": {"Status": "SUCCEEDED", "Output": {"child": 1}}}},
        "Missing": {"0": {"Throw": {"Error": "Orders.Missing", "Cause": "no such order"}}},
        "OnlyOnce": {"0": {"Return": 1}},
    },
}


def jsonata_all_kinds(aws, checks):
    arn = aws.create_machine("JsonataAll", JSONATA_MACHINE)
    ex = start(aws, arn, "everything", "Everything")
    d = aws.wait_status(ex, timeout=30)
    checks.check("JSONata: every kind of Task mocked, SUCCEEDED", d["status"] == "SUCCEEDED",
                 (d, [e["type"] for e in aws.history(ex)]))
    out = json.loads(d.get("output", "null")) or {}
    checks.check("JSONata: the HTTP, aws-sdk, activity, callback and .sync mocks flow through "
                 "Output and Assign, the Throw is caught",
                 out.get("http") == {"orders": 3} and out.get("activity") == "done by nobody"
                 and out.get("callback") == {"approved": True} and out.get("item") == "order-1"
                 and out.get("child") == {"child": 1}
                 and out.get("caught") == {"Error": "Orders.Missing", "Cause": "no such order"},
                 out)
    types = [e["type"] for e in aws.history(ex)]
    checks.check("JSONata: the activity's events are Activity* (no worker polled)",
                 "ActivityScheduled" in types and "ActivityStarted" in types
                 and "ActivitySucceeded" in types, types)
    checks.check("JSONata: the callback completes without TaskSubmitted or a token sent",
                 "TaskSubmitted" not in types and types.count("TaskFailed") == 1, types)
    failed = [details(e) for e in aws.history(ex) if e["type"] == "TaskFailed"]
    checks.check("JSONata: the mocked Throw is a TaskFailed of lambda/invoke",
                 failed and failed[0].get("error") == "Orders.Missing"
                 and failed[0].get("resourceType") == "lambda", failed)


BEYOND_MACHINE = {
    "StartAt": "Loop",
    "States": {
        "Loop": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:listQueues",
                 "ResultPath": "$.n", "Next": "Again"},
        "Again": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:listQueues",
                  "ResultPath": "$.m", "Next": "Loop2"},
        "Loop2": {"Type": "Choice", "Default": "Loop",
                  "Choices": [{"Variable": "$.stop", "IsPresent": True, "Next": "Done"}]},
        "Done": {"Type": "Succeed"},
    },
}


def beyond_the_list(aws, checks):
    """A state entered again past its mocked invocations: States.Runtime."""
    mocks_machine = aws.create_machine("Beyond", BEYOND_MACHINE)
    ex = start(aws, mocks_machine, "beyond", "Twice")
    d = aws.wait_status(ex, timeout=30)
    checks.check("an invocation the mock does not give fails the execution with "
                 "States.Runtime naming it",
                 d["status"] == "FAILED" and d.get("error") == "States.Runtime"
                 and "OnlyOnce" in d.get("cause", "") and "1" in d.get("cause", ""), d)
    n = len(events_of(aws, ex, "TaskSucceeded"))
    checks.check("... after the one invocation each state had", n == 2, n)


def unmocked_machine(aws, checks):
    """A machine without test cases, and one started without '#': unmocked."""
    arn = aws.create_machine("Plain", {"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Result": 1, "End": True}}})
    ex = aws.ok("start-execution", "--state-machine-arn", arn)["executionArn"]
    d = aws.wait_status(ex)
    checks.check("a machine started without a test case runs as usual",
                 d["status"] == "SUCCEEDED" and d.get("output") == "1", d)
    err = aws.error_of("start-execution", "--state-machine-arn", f"{arn}#HappyPath")
    checks.check("a test case of another machine: InvalidArn", err == "InvalidArn", err)


SLEEPY_MACHINE = {
    "StartAt": "Nap",
    "States": {
        "Nap": {"Type": "Wait", "Seconds": 3600, "Next": "Call"},
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:listQueues",
                 "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 3600,
                            "MaxAttempts": 1}],
                 "End": True},
    },
}
SLEEPY_MOCKS = {
    "StateMachines": {"Sleepy": {"TestCases": {"Fast": {"Call": "FlakyOnce"},
                                               "Slow": {"Call": "FlakyOnce"}}}},
    "MockedResponses": {"FlakyOnce": {"0": {"Throw": {"Error": "Flaky", "Cause": "first"}},
                                      "1": {"Return": {"QueueUrls": []}}}},
    # Stepwise's extension: Step Functions Local's files never have it.
    "StepwiseTestCaseOptions": {"Sleepy": {"Fast": {"TimeScale": 3600}}},
}


def test_case_time_scale(aws, checks):
    """StepwiseTestCaseOptions' TimeScale: an hour's Wait and an hour's
    back-off pass in a second each (of stepwised's clock); the unscaled
    test case beside it still waits its hour."""
    arn = aws.create_machine("Sleepy", SLEEPY_MACHINE)
    slow = start(aws, arn, "slow", "Slow")
    fast = start(aws, arn, "fast", "Fast")
    d = aws.wait_status(fast, timeout=20)
    types = [e["type"] for e in aws.history(fast)]
    checks.check("TimeScale 3600: an hour's Wait and an hour's retry back-off pass in "
                 "moments, SUCCEEDED after one retry",
                 d["status"] == "SUCCEEDED"
                 and json.loads(d.get("output", "null")) == {"QueueUrls": []}
                 and "WaitStateExited" in types and types.count("TaskFailed") == 1
                 and types.count("TaskSucceeded") == 1, (d, types))
    s = aws.ok("describe-execution", "--execution-arn", slow)
    types = [e["type"] for e in aws.history(slow)]
    checks.check("the same machine's test case without TimeScale still waits its hour",
                 s["status"] == "RUNNING" and "WaitStateExited" not in types, (s, types))
    aws.ok("stop-execution", "--execution-arn", slow)


def refused_files(stepwised, checks, work):
    cases = [
        ("not JSON", "{", "not JSON"),
        ("a Return and a Throw", json.dumps({"MockedResponses": {"R": {"0": {
            "Return": 1, "Throw": {"Error": "E"}}}}}), "$.MockedResponses.R[\"0\"]"),
        ("a bad range", json.dumps({"MockedResponses": {"R": {"2-1": {"Return": 1}}}}),
         "$.MockedResponses.R[\"2-1\"]"),
        ("a TimeScale of 0", json.dumps({"StateMachines": {"M": {"TestCases": {"T": {}}}},
                                         "StepwiseTestCaseOptions": {"M": {"T": {
                                             "TimeScale": 0}}}}),
         "$.StepwiseTestCaseOptions.M.T.TimeScale"),
        ("an unknown response", json.dumps({"StateMachines": {"M": {"TestCases": {"T": {
            "S": "Nope"}}}}, "MockedResponses": {}}), "$.StateMachines.M.TestCases.T.S"),
    ]
    for what, text, needle in cases:
        path = os.path.join(work, "bad.json")
        with open(path, "w") as f:
            f.write(text)
        p = subprocess.run([stepwised, "--mock-config", path, "--data-dir",
                            os.path.join(work, "data-bad"), "--grpc-listen", "127.0.0.1:0",
                            "--http-listen", "127.0.0.1:0"],
                           capture_output=True, text=True, timeout=30)
        checks.check(f"a mock file with {what}: stepwised refuses to start, naming {needle}",
                     p.returncode != 0 and needle in p.stderr + p.stdout,
                     (p.returncode, p.stderr[-500:]))
    p = subprocess.run([stepwised, "--mock-config", os.path.join(work, "missing.json"),
                        "--data-dir", os.path.join(work, "data-bad")],
                       capture_output=True, text=True, timeout=30)
    checks.check("a missing mock file: stepwised refuses to start",
                 p.returncode != 0 and "missing.json" in p.stderr + p.stdout, p.stderr[-300:])


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    stepwised = sys.argv[1]
    aws_bin = aws_bin_or_skip()
    os.environ.update(AWS_ACCESS_KEY_ID="AKIDMOCKTEST", AWS_SECRET_ACCESS_KEY="mock-secret",
                      AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    os.environ.pop("AWS_PROFILE", None)
    checks = Checks()
    work = tempfile.mkdtemp(prefix="sw_mock_config_")
    sqs = ThreadingHTTPServer(("127.0.0.1", 0), FakeSqs)
    threading.Thread(target=sqs.serve_forever, daemon=True).start()
    daemon = None
    try:
        # AWS's file unchanged, plus this test's machines in a second file
        # would need two daemons: merge them into one config instead.
        example = json.load(open(os.path.join(EXAMPLE, "MockConfigFile.json")))
        merged = {"StateMachines": dict(example["StateMachines"]),
                  "MockedResponses": dict(example["MockedResponses"])}
        merged["StateMachines"].update(JSONATA_MOCKS["StateMachines"])
        merged["StateMachines"]["Beyond"] = {"TestCases": {"Twice": {
            "Loop": "OnlyOnce", "Again": "OnlyOnce"}}}
        merged["MockedResponses"].update(JSONATA_MOCKS["MockedResponses"])
        merged["StateMachines"].update(SLEEPY_MOCKS["StateMachines"])
        merged["MockedResponses"].update(SLEEPY_MOCKS["MockedResponses"])
        merged["StepwiseTestCaseOptions"] = SLEEPY_MOCKS["StepwiseTestCaseOptions"]
        merged_path = os.path.join(work, "merged.json")
        with open(merged_path, "w") as f:
            json.dump(merged, f)
        # The Retry back-off (2 + 4 + 8 s) runs 100x faster.
        daemon = Daemon(stepwised, ["--mock-config", merged_path, "--time-scale", "100",
                                    "--aws-endpoint", f"sqs=http://127.0.0.1:{sqs.server_port}"])
        daemon.start()
        aws = Aws(aws_bin, daemon)
        aws_example(aws, checks, sqs)
        jsonata_all_kinds(aws, checks)
        beyond_the_list(aws, checks)
        unmocked_machine(aws, checks)
        test_case_time_scale(aws, checks)
        checks.check("stepwised still running", daemon.proc.poll() is None, daemon.log_tail())
        daemon.cleanup()

        # AWS's file alone, through Step Functions Local's variable.
        os.environ["SFN_MOCK_CONFIG"] = os.path.join(EXAMPLE, "MockConfigFile.json")
        daemon = Daemon(stepwised, ["--time-scale", "100"])
        daemon.start()
        aws = Aws(aws_bin, daemon)
        arn = aws.create_machine(
            "LambdaSQSIntegration", open(os.path.join(EXAMPLE, "LambdaSQSIntegration.asl.json")).read())
        ex = start(aws, arn, "viaEnvironment", "HappyPath")
        d = aws.wait_status(ex)
        checks.check("SFN_MOCK_CONFIG names the mock file: HappyPath SUCCEEDED",
                     d["status"] == "SUCCEEDED"
                     and json.loads(d.get("output", "null")).get("MessageId")
                     == "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51", d)

        daemon.cleanup()

        # kill -9 once the commit that schedules (and starts) a mocked Task
        # is on disk, before its answer: after the restart it answers again.
        os.environ["SFN_MOCK_CONFIG"] = os.path.join(EXAMPLE, "MockConfigFile.json")
        daemon = Daemon(stepwised, ["--time-scale", "100"])
        daemon.start()
        aws = Aws(aws_bin, daemon)
        arn = aws.create_machine(
            "LambdaSQSIntegration", open(os.path.join(EXAMPLE, "LambdaSQSIntegration.asl.json")).read())
        daemon.stop()
        os.environ["STEPWISE_TEST_CRASH_POINT"] = "after_write:1"
        daemon.start()
        del os.environ["STEPWISE_TEST_CRASH_POINT"]
        aws = Aws(aws_bin, daemon)
        rc, _, _ = aws.run("start-execution", "--state-machine-arn", f"{arn}#HappyPath",
                           "--name", "crashed")
        daemon.proc.wait(timeout=30)
        checks.check("the crash hook killed stepwised after the scheduling commit",
                     daemon.proc.returncode == -9, daemon.proc.returncode)
        daemon.start()
        del os.environ["SFN_MOCK_CONFIG"]
        ex = f"{ACCOUNT}:execution:LambdaSQSIntegration:crashed"
        d = aws.wait_status(ex)
        types = [e["type"] for e in aws.history(ex)]
        checks.check("after the restart the open mocked Task answers again: HappyPath SUCCEEDED "
                     "with one schedule per state",
                     d["status"] == "SUCCEEDED" and types.count("TaskScheduled") == 2
                     and types.count("TaskSucceeded") == 2, (d, types))

        refused_files(stepwised, checks, work)
    except Exception:  # report it, and still stop every process
        import traceback
        checks.check("no unexpected error", False, traceback.format_exc())
    finally:
        sqs.shutdown()
        import shutil
        shutil.rmtree(work, ignore_errors=True)
    checks.finish(daemon)


if __name__ == "__main__":
    sys.exit(main())
