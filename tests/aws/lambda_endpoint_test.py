#!/usr/bin/env python3
"""Lambda Tasks routed to a Lambda Invoke endpoint, end to end: a real
stepwised on loopback (--lambda-endpoint, --lambda-route) against a
Lambda-compatible HTTP server written here, which checks every request's
SigV4 signature with botocore (service lambda, the session token signed)
and serves a function that returns, one that raises (X-Amz-Function-Error:
Unhandled), a 404, a 429 and a slow one. Executions are driven through
stepwised's AWS endpoint with botocore's Step Functions client; their
output, error and cause are asserted. Also: an unreachable endpoint gives
Lambda.SdkClientException and the daemon stays up; a function routed to
its queue is never invoked; a task whose invoke was cut by kill -9 is
invoked again after the restart and its execution succeeds.
Usage: lambda_endpoint_test.py <stepwised>. Exits 77 (skip) without botocore.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    import botocore.session
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from botocore.config import Config
except ImportError:
    print("SKIP: botocore not installed (apt-get install awscli)")
    sys.exit(77)

KEY_ID, SECRET, TOKEN = "AKIDSTEPWISETEST", "lambda/test+secret", "session-token/xyz="
ACCOUNT, REGION = "123456789012", "us-east-1"

failures = []
checks = 0


def check(what, ok, detail=""):
    global checks
    checks += 1
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else f": {detail}"))
    if not ok:
        failures.append(what)


class FakeLambda(BaseHTTPRequestHandler):
    """Lambda's Invoke API for a few functions; verifies SigV4."""
    protocol_version = "HTTP/1.1"
    calls = []  # (function, qualifier, invocation type, payload)
    bad_signatures = []
    slow_release = threading.Event()
    slow_entered = threading.Event()
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("x-amzn-RequestId", "fake-req-%d" % len(FakeLambda.calls))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def signature_problem(self, body):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("AWS4-HMAC-SHA256 "):
            return "no SigV4 Authorization header: %r" % auth
        parts = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
        cred = parts["Credential"].split("/")
        if cred[0] != KEY_ID or cred[2] != REGION or cred[3] != "lambda":
            return "wrong credential scope %s" % parts["Credential"]
        signed = parts["SignedHeaders"].split(";")
        for must in ("host", "x-amz-date", "x-amz-security-token"):
            if must not in signed:
                return "%s is not signed (%s)" % (must, signed)
        if self.headers.get("X-Amz-Security-Token") != TOKEN:
            return "wrong session token"
        headers = {h: self.headers[h] for h in signed}
        url = "http://%s%s" % (self.headers["Host"], self.path)
        req = AWSRequest(method=self.command, url=url, data=body, headers=headers)
        req.context["timestamp"] = self.headers["X-Amz-Date"]
        signer = SigV4Auth(Credentials(KEY_ID, SECRET, TOKEN), "lambda", REGION)
        canonical = signer.canonical_request(req)
        expected = signer.signature(signer.string_to_sign(req, canonical), req)
        if expected != parts["Signature"]:
            return "signature mismatch; botocore's canonical request:\n" + canonical
        return None

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        url = urllib.parse.urlparse(self.path)
        segs = url.path.split("/")
        if len(segs) != 5 or segs[1] != "2015-03-31" or segs[2] != "functions" or segs[4] != "invocations":
            return self.reply(404, b'{"message":"unknown path"}')
        problem = self.signature_problem(body)
        if problem:
            FakeLambda.bad_signatures.append(problem)
            return self.reply(403, json.dumps({"message": problem}).encode(),
                              {"x-amzn-ErrorType": "InvalidSignatureException"})
        name = urllib.parse.unquote(segs[3])
        qualifier = urllib.parse.parse_qs(url.query).get("Qualifier", [""])[0]
        itype = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        with FakeLambda.lock:
            FakeLambda.calls.append((name, qualifier, itype, body.decode()))
        if name == "echo":
            if itype == "Event":
                return self.reply(202)
            out = {"echo": json.loads(body), "qualifier": qualifier, "type": itype}
            return self.reply(200, json.dumps(out).encode(),
                              {"X-Amz-Executed-Version": "3" if qualifier else "$LATEST"})
        if name == "raise":
            err = {"errorMessage": "Some exception was raised.", "errorType": "Exception",
                   "requestId": "r-1", "stackTrace": ["  File \"/var/task/handler.py\", line 2"]}
            return self.reply(200, json.dumps(err).encode(),
                              {"X-Amz-Function-Error": "Unhandled", "X-Amz-Executed-Version": "$LATEST"})
        if name == "throttled":
            return self.reply(429, b'{"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded",'
                                   b'"Type":"User","message":"Rate Exceeded."}',
                              {"x-amzn-ErrorType": "TooManyRequestsException"})
        if name == "slow":
            first = not FakeLambda.slow_entered.is_set()
            FakeLambda.slow_entered.set()
            if first:
                FakeLambda.slow_release.wait(30)
            try:
                return self.reply(200, b'{"slow":"done"}')
            except OSError:
                return None
        arn = "arn:aws:lambda:%s:%s:function:%s:%s" % (REGION, ACCOUNT, name, qualifier or "$LATEST")
        return self.reply(404, json.dumps({"Type": "User", "Message": "Function not found: " + arn}).encode(),
                          {"x-amzn-ErrorType": "ResourceNotFoundException"})


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Daemon:
    def __init__(self, binary, work, args):
        self.binary, self.work, self.args = binary, work, args
        self.proc = None

    def start(self):
        ports = os.path.join(self.work, "ports")
        if os.path.exists(ports):
            os.remove(ports)
        env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET,
                   AWS_SESSION_TOKEN=TOKEN, AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        self.log = open(os.path.join(self.work, "stepwised.log"), "a")
        self.proc = subprocess.Popen(
            [self.binary, "--grpc-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0",
             "--ports-file", ports, "--data-dir", os.path.join(self.work, "data"),
             "--log-level", "info"] + self.args, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        for _ in range(200):
            if os.path.exists(ports) and os.path.getsize(ports) > 0:
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        text = open(ports).read() if os.path.exists(ports) else ""
        http = [l.split("=")[1] for l in text.split() if l.startswith("http=")]
        if not http:
            raise SystemExit("stepwised did not start:\n" + open(os.path.join(self.work, "stepwised.log")).read())
        session = botocore.session.get_session()
        self.sfn = session.create_client(
            "stepfunctions", region_name=REGION, endpoint_url="http://127.0.0.1:" + http[0],
            aws_access_key_id="x", aws_secret_access_key="x",
            config=Config(retries={"max_attempts": 1}))

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


def machine(d, name, definition):
    return d.sfn.create_state_machine(name=name, definition=json.dumps(definition),
                                      roleArn="arn:aws:iam::%s:role/r" % ACCOUNT)["stateMachineArn"]


def run(d, arn, inp, name, wait=True):
    ex = d.sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(inp))["executionArn"]
    if not wait:
        return ex
    return await_end(d, ex)


def await_end(d, ex, seconds=20):
    end = time.time() + seconds
    while True:
        desc = d.sfn.describe_execution(executionArn=ex)
        if desc["status"] != "RUNNING" or time.time() > end:
            return desc
        time.sleep(0.05)


def task(resource, **extra):
    return {"StartAt": "T", "States": {"T": dict({"Type": "Task", "Resource": resource, "End": True}, **extra)}}


def main():
    binary = sys.argv[1]
    fake = ThreadingHTTPServer(("127.0.0.1", 0), FakeLambda)
    fake.daemon_threads = True
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    endpoint = "http://127.0.0.1:%d" % fake.server_address[1]
    work = tempfile.mkdtemp()
    dead = "http://127.0.0.1:%d" % closed_port()
    d = Daemon(binary, work, ["--lambda-endpoint", endpoint, "--lambda-route", "local-fn=queue",
                              "--lambda-route", "dead=" + dead])
    try:
        d.start()
        fn_arn = "arn:aws:lambda:%s:%s:function:" % (REGION, ACCOUNT)

        # A function ARN as Resource: the result is the function's return value.
        desc = run(d, machine(d, "legacy", task(fn_arn + "echo")), {"x": 1}, "legacy")
        out = json.loads(desc.get("output", "null"))
        check("legacy ARN succeeds with the return value",
              desc["status"] == "SUCCEEDED" and out == {"echo": {"x": 1}, "qualifier": "", "type": "RequestResponse"},
              desc)

        # lambda:invoke with a qualifier: the Invoke response around the payload.
        sm = machine(d, "invoke", task("arn:aws:states:::lambda:invoke",
                                       Parameters={"FunctionName": "echo:prod", "Payload": {"a.$": "$.x"}}))
        desc = run(d, sm, {"x": 7}, "invoke")
        out = json.loads(desc.get("output", "null")) or {}
        check("lambda:invoke succeeds with the Invoke response",
              desc["status"] == "SUCCEEDED" and out.get("Payload") == {"echo": {"a": 7}, "qualifier": "prod",
                                                                         "type": "RequestResponse"}
              and out.get("StatusCode") == 200 and out.get("ExecutedVersion") == "3"
              and out["SdkResponseMetadata"]["RequestId"].startswith("fake-req-"), desc)

        # InvocationType Event: 202, as Lambda answers it.
        sm = machine(d, "event", task("arn:aws:states:::lambda:invoke",
                                      Parameters={"FunctionName": "echo", "InvocationType": "Event",
                                                  "Payload": {"e": 1}}))
        desc = run(d, sm, {}, "event")
        out = json.loads(desc.get("output", "null")) or {}
        check("InvocationType Event passes through as 202",
              desc["status"] == "SUCCEEDED" and out.get("StatusCode") == 202 and out.get("Payload") == "", desc)
        check("the Event call carried its invocation type",
              ("echo", "", "Event", '{"e":1}') in FakeLambda.calls, FakeLambda.calls)

        # A function that raises: error = errorType, cause = its error document.
        desc = run(d, machine(d, "raise", task(fn_arn + "raise")), {}, "raise")
        cause = json.loads(desc.get("cause", "null") or "null")
        check("a raising function fails with its errorType",
              desc["status"] == "FAILED" and desc.get("error") == "Exception"
              and cause and cause.get("errorMessage") == "Some exception was raised.", desc)

        # 404: Lambda.ResourceNotFoundException with the SDK's cause, caught.
        definition = task("arn:aws:states:::lambda:invoke",
                          Parameters={"FunctionName.$": "$.FunctionName", "Payload.$": "$.Payload"},
                          Catch=[{"ErrorEquals": ["Lambda.Unknown"], "Next": "Unknown"},
                                 {"ErrorEquals": ["States.TaskFailed"], "Next": "Failed"}])
        definition["States"]["T"].pop("End")
        definition["States"]["T"]["Next"] = "Final"
        for s in ("Unknown", "Failed", "Final"):
            definition["States"][s] = {"Type": "Pass", "ResultPath": "$." + s.lower(), "End": True}
        sm = machine(d, "missing", definition)
        desc = run(d, sm, {"FunctionName": "no_such_fn", "Payload": None}, "missing")
        out = json.loads(desc.get("output", "null")) or {}
        want = ("Function not found: arn:aws:lambda:us-east-1:123456789012:function:no_such_fn:$LATEST "
                "(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; "
                "Request ID: fake-req-")
        got = (out.get("failed") or {})
        check("a missing function is Lambda.ResourceNotFoundException caught by States.TaskFailed",
              desc["status"] == "SUCCEEDED" and got.get("Error") == "Lambda.ResourceNotFoundException"
              and got.get("Cause", "").startswith(want) and got["Cause"].endswith("; Proxy: null)"), desc)

        # 429: Lambda.TooManyRequestsException.
        desc = run(d, machine(d, "throttled", task(fn_arn + "throttled")), {}, "throttled")
        check("a throttled call is Lambda.TooManyRequestsException",
              desc["status"] == "FAILED" and desc.get("error") == "Lambda.TooManyRequestsException"
              and desc.get("cause", "").startswith("Rate Exceeded. (Service: AWSLambda; Status Code: 429;"), desc)

        # Hostile: an endpoint nobody listens on.
        desc = run(d, machine(d, "dead", task(fn_arn + "dead")), {}, "dead")
        check("an unreachable endpoint is Lambda.SdkClientException",
              desc["status"] == "FAILED" and desc.get("error") == "Lambda.SdkClientException"
              and desc.get("cause", "").startswith("Unable to execute HTTP request:") and dead[7:] in desc["cause"],
              desc)
        check("stepwised is still up", d.proc.poll() is None and d.sfn.list_state_machines() is not None)

        # A function routed to its queue is never invoked over HTTP.
        ex = run(d, machine(d, "queued", task(fn_arn + "local-fn")), {}, "queued", wait=False)
        time.sleep(0.5)
        desc = d.sfn.describe_execution(executionArn=ex)
        check("local-fn=queue stays on its function queue",
              desc["status"] == "RUNNING" and all(c[0] != "local-fn" for c in FakeLambda.calls), desc)
        d.sfn.stop_execution(executionArn=ex)

        check("every request was signed as botocore signs it", not FakeLambda.bad_signatures,
              FakeLambda.bad_signatures[:1])

        # Durable: kill -9 while a function runs; the restart invokes it again.
        ex = run(d, machine(d, "slow", task(fn_arn + "slow", TimeoutSeconds=60)), {"n": 1}, "slow", wait=False)
        check("the slow function was invoked", FakeLambda.slow_entered.wait(10))
        d.kill()
        FakeLambda.slow_release.set()
        d.start()
        desc = await_end(d, ex)
        slow_calls = [c for c in FakeLambda.calls if c[0] == "slow"]
        check("after kill -9 the open task is invoked again and succeeds",
              desc["status"] == "SUCCEEDED" and json.loads(desc["output"]) == {"slow": "done"}
              and len(slow_calls) == 2 and slow_calls[0][3] == slow_calls[1][3] == '{"n":1}',
              (desc, slow_calls))
        log = open(os.path.join(work, "stepwised.log")).read()
        check("no secret in the log", SECRET not in log and TOKEN not in log and KEY_ID in log, log[-500:])
    finally:
        d.stop()
        fake.shutdown()
        if failures:
            print(open(os.path.join(work, "stepwised.log")).read()[-3000:])
        shutil.rmtree(work, ignore_errors=True)
    print("%d checks, %d failed" % (checks, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
