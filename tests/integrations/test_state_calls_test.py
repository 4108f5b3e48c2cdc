#!/usr/bin/env python3
"""TestState on Task states WITHOUT a mock, end to end: a real stepwised
on loopback calls the Task's real resource once, as AWS's TestState does,
and answers with its outcome run through the state's output processing,
Retry and Catch, with inspection data. Driven with botocore's Step
Functions client over stepwised's AWS endpoint, and `stepwise test-state`
over gRPC:
- the HTTP Task (arn:aws:states:::http:invoke) against an HTTP server
  written here (python3 http.server): a POST whose body and answer come
  back through ResultSelector (DEBUG); at TRACE inspectionData.request and
  .response show the call, the connection's API key masked unless
  revealSecrets; a 404 caught by States.Http.StatusCode.404; a
  slow endpoint past TimeoutSeconds ending in States.Timeout;
- DynamoDB through aws-sdk:dynamodb:putItem/getItem and the optimized
  arn:aws:states:::dynamodb:getItem against dynalite behind a proxy that
  checks every SigV4 signature (tests/integrations/aws_servers.py);
- mock.fieldValidationMode: a mocked result checked against the API's
  output shape (STRICT by default, PRESENT, NONE);
- refusals in AWS's names: an activity and .waitForTaskToken without a
  mock (InvalidDefinition), no roleArn (ValidationException).
Usage: test_state_calls_test.py <stepwised> [<stepwise>]. Exits 77 (skip)
without botocore, node or the servers (bash scripts/install-aws-servers.sh;
installed under CI=true).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "aws"))
import aws_servers  # noqa: E402
from sfn_daemon import ROLE, Checks, Daemon  # noqa: E402

TABLE = "test-state-items"
HTTP = "arn:aws:states:::http:invoke"
CONNECTION = "arn:aws:events:us-east-1:123456789012:connection/apikey/1"
API_KEY = "apikey-value-S3cr3t"


class Api(BaseHTTPRequestHandler):
    """What the HTTP Tasks call; records each request that arrives."""
    protocol_version = "HTTP/1.1"
    lock = threading.Lock()
    seen = []  # (method, path, body text)

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Served-By", "test_state_calls_test")
        self.end_headers()
        self.wfile.write(data)

    def do_any(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(n).decode() if n else ""
        with Api.lock:
            Api.seen.append((self.command, self.path, body))
        if self.path.startswith("/slow"):
            time.sleep(3)
            try:
                return self.reply(200, {"late": True})
            except OSError:  # the caller gave up first, as it should
                return None
        if self.path.startswith("/missing"):
            return self.reply(404, {"message": "no such thing"})
        self.reply(200, {"method": self.command, "path": self.path,
                         "json": json.loads(body) if body else None})

    do_GET = do_POST = do_PUT = do_DELETE = do_any


def test_state(sfn, definition, payload=None, level="DEBUG", **extra):
    """client.test_state with `definition` (a dict) and `payload`; the answer
    without ResponseMetadata."""
    req = {"definition": json.dumps(definition), "roleArn": ROLE, "inspectionLevel": level}
    if payload is not None:
        req["input"] = json.dumps(payload)
    req.update(extra)
    out = sfn.test_state(**req)
    out.pop("ResponseMetadata", None)
    return out


def error_of(sfn, **req):
    try:
        sfn.test_state(**req)
        return ""
    except sfn.exceptions.ClientError as e:
        return e.response["Error"]["Code"]


def data(out, key):
    v = out.get("inspectionData", {}).get(key)
    return json.loads(v) if isinstance(v, str) else v


def http_cases(sfn, checks, api, stepwise, daemon, work):
    state = {"Type": "Task", "Resource": HTTP, "End": True,
             "Parameters": {"ApiEndpoint": f"{api}/echo", "Method": "POST",
                            "RequestBody": {"n.$": "$.n"}},
             "ResultSelector": {"code.$": "$.StatusCode", "body.$": "$.ResponseBody"}}
    before = len(Api.seen)
    out = test_state(sfn, state, {"n": 7})
    checks.check("HTTP Task without a mock: the server is called once",
                 Api.seen[before:] == [("POST", "/echo", '{"n":7}')], Api.seen[before:])
    checks.check("HTTP Task: SUCCEEDED with the real answer through ResultSelector",
                 out.get("status") == "SUCCEEDED" and json.loads(out.get("output", "null")) == {
                     "code": 200, "body": {"method": "POST", "path": "/echo",
                                           "json": {"n": 7}}}, out)
    result = data(out, "result") or {}
    checks.check("HTTP Task at DEBUG: inspectionData.result is the call's result",
                 result.get("StatusCode") == 200 and result.get("StatusText") == "OK" and
                 data(out, "afterParameters") == {"ApiEndpoint": f"{api}/echo",
                                                  "Method": "POST",
                                                  "RequestBody": {"n": 7}}, out)
    checks.check("HTTP Task at DEBUG: no request/response (TRACE only)",
                 "request" not in out.get("inspectionData", {}), out)

    keyed = dict(state, Parameters=dict(state["Parameters"],
                                        Authentication={"ConnectionArn": CONNECTION}))
    out = test_state(sfn, keyed, {"n": 9}, level="TRACE")
    req = out.get("inspectionData", {}).get("request", {})
    res = out.get("inspectionData", {}).get("response", {})
    checks.check("HTTP Task at TRACE: inspectionData.request shows the call",
                 req.get("protocol") == "http" and req.get("method") == "POST" and
                 req.get("url") == f"{api}/echo" and json.loads(req.get("body", "null")) ==
                 {"n": 9} and "content-type: application/json" in req.get("headers", ""), out)
    checks.check("HTTP Task at TRACE: inspectionData.response shows the answer",
                 res.get("protocol") == "http" and res.get("statusCode") == "200" and
                 res.get("statusMessage") == "OK" and
                 "x-served-by: test_state_calls_test" in res.get("headers", "") and
                 json.loads(res.get("body", "{}")).get("json") == {"n": 9}, out)
    checks.check("HTTP Task at TRACE: the connection's API key is masked",
                 API_KEY not in json.dumps(out) and "x-api-key: *****" in req.get("headers", ""),
                 req)
    out = test_state(sfn, keyed, {"n": 9}, level="TRACE", revealSecrets=True)
    req = out.get("inspectionData", {}).get("request", {})
    checks.check("HTTP Task at TRACE with revealSecrets: the API key is shown",
                 f"x-api-key: {API_KEY}" in req.get("headers", ""), req)

    caught = dict(state, Parameters={"ApiEndpoint": f"{api}/missing", "Method": "GET"},
                  Catch=[{"ErrorEquals": ["States.Http.StatusCode.404"],
                          "ResultPath": "$.err", "Next": "Handler"}])
    caught.pop("ResultSelector")
    out = test_state(sfn, caught, {"k": 1})
    err = json.loads(out.get("output", "{}")).get("err", {})
    checks.check("HTTP 404: CAUGHT_ERROR by States.Http.StatusCode.404",
                 out.get("status") == "CAUGHT_ERROR" and out.get("nextState") == "Handler" and
                 err.get("Error") == "States.Http.StatusCode.404" and
                 out.get("inspectionData", {}).get("errorDetails") == {"catchIndex": 0}, out)

    retried = dict(caught, Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}])
    out = test_state(sfn, retried, {"k": 1})
    checks.check("HTTP 404 with a Retry left: RETRIABLE",
                 out.get("status") == "RETRIABLE" and
                 out.get("error") == "States.Http.StatusCode.404", out)

    slow = {"Type": "Task", "Resource": HTTP, "End": True, "TimeoutSeconds": 1,
            "Parameters": {"ApiEndpoint": f"{api}/slow", "Method": "GET"}}
    t0 = time.time()
    out = test_state(sfn, slow, {}, level="INFO")
    took = time.time() - t0
    checks.check("a call past TimeoutSeconds: FAILED with States.Timeout",
                 out.get("status") == "FAILED" and out.get("error") == "States.Timeout" and
                 took < 2.9, (out, took))

    if stepwise:
        path = os.path.join(work, "http.json")
        with open(path, "w") as f:
            json.dump(state, f)
        p = subprocess.run([stepwise, "test-state", "--definition", path, "--role-arn", ROLE,
                            "--input", '{"n":8}', "--inspection-level", "TRACE",
                            "--endpoint", f"127.0.0.1:{daemon.grpc_port}"],
                           capture_output=True, text=True, timeout=60)
        got = json.loads(p.stdout) if p.returncode == 0 else {"stderr": p.stderr}
        checks.check("HTTP Task via `stepwise test-state` (gRPC) at TRACE: the real answer",
                     got.get("status") == "SUCCEEDED" and json.loads(got.get("output", "null"))
                     .get("body", {}).get("json") == {"n": 8} and
                     got.get("inspectionData", {}).get("request", {}).get("method") == "POST" and
                     got.get("inspectionData", {}).get("response", {}).get("statusCode") == "200",
                     got)


def dynamodb_cases(sfn, checks):
    item = {"id": {"S": "ts1"}, "v": {"S": "from TestState"}}
    put = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:putItem",
           "Parameters": {"TableName": TABLE, "Item.$": "$.item"}, "End": True}
    out = test_state(sfn, put, {"item": item}, level="TRACE")
    checks.check("aws-sdk:dynamodb:putItem without a mock: SUCCEEDED",
                 out.get("status") == "SUCCEEDED" and data(out, "result") == {}, out)
    get = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:getItem",
           "Parameters": {"TableName": TABLE, "Key": {"id": {"S": "ts1"}}},
           "ResultSelector": {"item.$": "$.Item"}, "End": True}
    out = test_state(sfn, get, {}, level="TRACE")
    checks.check("aws-sdk:dynamodb:getItem reads back what putItem wrote",
                 out.get("status") == "SUCCEEDED" and
                 json.loads(out.get("output", "null")) == {"item": item}, out)
    opt = {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
           "Parameters": {"TableName": TABLE, "Key": {"id": {"S": "ts1"}}}, "End": True}
    out = test_state(sfn, opt, {})
    checks.check("optimized dynamodb:getItem: Item and SdkHttpMetadata",
                 out.get("status") == "SUCCEEDED" and
                 json.loads(out.get("output", "{}")).get("Item") == item and
                 "SdkHttpMetadata" in json.loads(out.get("output", "{}")), out)
    missing = dict(get, Parameters={"TableName": "no-such-table", "Key": {"id": {"S": "x"}}})
    missing.pop("ResultSelector")
    out = test_state(sfn, missing, {})
    checks.check("aws-sdk getItem on a missing table: FAILED with DynamoDb.ResourceNotFoundException",
                 out.get("status") == "FAILED" and
                 out.get("error") == "DynamoDb.ResourceNotFoundException", out)


def mock_validation(sfn, checks):
    get = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:getItem",
           "Parameters": {"TableName": TABLE, "Key": {"id": {"S": "x"}}}, "End": True}
    bad = {"result": json.dumps({"Item": {"id": {"S": 5}}})}
    try:
        sfn.test_state(definition=json.dumps(get), roleArn=ROLE, mock=bad)
        got = ("", "")
    except sfn.exceptions.ClientError as e:
        got = (e.response["Error"]["Code"], e.response["Error"]["Message"])
    checks.check("a mocked result of the wrong type (STRICT by default): ValidationException",
                 got == ("ValidationException",
                         "Mock result schema validation error: Field 'S' must be a string"), got)
    out = test_state(sfn, get, {}, mock=dict(bad, fieldValidationMode="NONE"))
    checks.check("fieldValidationMode NONE: the same mock runs",
                 out.get("status") == "SUCCEEDED", out)
    start = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:startExecution",
             "Parameters": {"StateMachineArn": "arn:x"}, "End": True}
    partial = {"result": json.dumps({"StartDate": "2025-01-01T00:00:00Z"})}
    code = error_of(sfn, definition=json.dumps(start), roleArn=ROLE, mock=partial)
    checks.check("STRICT: a required member missing is refused", code == "ValidationException",
                 code)
    out = test_state(sfn, start, {}, mock=dict(partial, fieldValidationMode="PRESENT"))
    checks.check("PRESENT: the members present are enough", out.get("status") == "SUCCEEDED", out)


def refusals(sfn, checks, api):
    activity = {"Type": "Task", "End": True,
                "Resource": "arn:aws:states:us-east-1:123456789012:activity:a"}
    token = {"Type": "Task", "End": True, "Resource": HTTP + ".waitForTaskToken",
             "Parameters": {"ApiEndpoint": f"{api}/echo", "Method": "GET"}}
    for name, state in (("an activity", activity), (".waitForTaskToken", token)):
        code = error_of(sfn, definition=json.dumps(state), roleArn=ROLE)
        checks.check(f"{name} without a mock: InvalidDefinition", code == "InvalidDefinition",
                     code)
    http = {"Type": "Task", "Resource": HTTP, "End": True,
            "Parameters": {"ApiEndpoint": f"{api}/echo", "Method": "GET"}}
    code = error_of(sfn, definition=json.dumps(http))
    checks.check("a Task without a mock and without roleArn: ValidationException",
                 code == "ValidationException", code)


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__)
        return 2
    stepwised = sys.argv[1]
    stepwise = sys.argv[2] if len(sys.argv) == 3 else None
    aws_servers.botocore_or_skip()
    modules = aws_servers.modules_dir_or_skip()
    aws_servers.aws_integrations_or_skip(stepwised)
    aws_servers.set_dummy_credentials()
    import botocore.session
    from botocore.config import Config

    server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api = f"http://127.0.0.1:{server.server_address[1]}"
    dynalite = aws_servers.Server(modules, "dynalite")
    proxy = None
    daemon = None
    checks = Checks()
    work = tempfile.mkdtemp(prefix="sw_test_state_calls_")
    try:
        aws_servers.create_table(aws_servers.client("dynamodb", dynalite.endpoint), TABLE)
        proxy = aws_servers.SignatureChecker(dynalite.endpoint, "dynamodb")
        connections = os.path.join(work, "connections.json")
        with open(connections, "w") as f:
            json.dump({CONNECTION: {"Name": "apikey", "AuthorizationType": "API_KEY",
                                    "AuthParameters": {"ApiKeyAuthParameters": {
                                        "ApiKeyName": "X-Api-Key",
                                        "ApiKeyValue": API_KEY}}}}, f)
        daemon = Daemon(stepwised, ["--aws-endpoint", f"dynamodb={proxy.endpoint}",
                                    "--connections-file", connections])
        daemon.start()
        sfn = botocore.session.get_session().create_client(
            "stepfunctions", endpoint_url=daemon.endpoint, region_name="us-east-1",
            aws_access_key_id="x", aws_secret_access_key="x",
            config=Config(inject_host_prefix=False, read_timeout=70,
                          retries={"max_attempts": 1}))
        http_cases(sfn, checks, api, stepwise, daemon, work)
        dynamodb_cases(sfn, checks)
        mock_validation(sfn, checks)
        refusals(sfn, checks, api)
        checks.check(f"every DynamoDB request carried a valid SigV4 signature "
                     f"({proxy.checked} checked)", proxy.checked > 0 and not proxy.problems,
                     proxy.problems[:2])
        checks.check("stepwised still running", daemon.proc.poll() is None, daemon.log_tail())
    except Exception as e:  # a failed call: report it, and still stop every process
        import traceback
        checks.check("no unexpected error", False, traceback.format_exc() or str(e))
    finally:
        if proxy is not None:
            proxy.stop()
        dynalite.stop()
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    checks.finish(daemon)


if __name__ == "__main__":
    sys.exit(main())
