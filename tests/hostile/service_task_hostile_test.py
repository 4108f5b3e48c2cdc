#!/usr/bin/env python3
"""Hostile inputs for the Task kinds that call out (issue 16): HTTP Tasks
(arn:aws:states:::http:invoke) and aws-sdk Tasks with bad parameters (wrong
types, an ftp:// endpoint, an unknown connection ARN, an endpoint port
nobody listens on, a response over 256 KiB, an endpoint answering garbage,
an unknown action) against a real stepwised on loopback. Each definition is
either refused at CreateStateMachine (ValidationException /
InvalidDefinition naming the field) or its execution fails with an error in
AWS's vocabulary (States.Http.Socket, States.DataLimitExceeded,
States.Runtime, States.TaskFailed, SERVICE.ExceptionName) whose cause names
the field or the resource; never a crash: after every case the daemon still
answers, and the run ends with a clean SIGTERM. dynalite and s3rver (when
installed) stand in for DynamoDB and S3 (their cases skipped, with a note,
when they are not); the hostile HTTP servers are the harness's own.
Usage: service_task_hostile_test.py <stepwised>. Exits 77 (skip) without
botocore, or when stepwised has no --aws-endpoint (without
--connections-file the http:invoke cases are left out, with a NOTE).
"""
import json
import os
import re
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TESTS, "integrations"))
sys.path.insert(0, os.path.join(TESTS, "aws"))
import aws_servers  # noqa: E402
from sfn_daemon import Aws, Checks, Daemon  # noqa: E402

CONNECTION = "arn:aws:events:us-east-1:123456789012:connection/hostile/1a2b3c4d"
BIG = 300 * 1024   # over the 256 KiB a Task result may be


def hostile_http(garbage_everywhere=False):
    """/ok answers {"ok":true}; /big a 300 KiB JSON body; /garbage a 200
    that is not JSON with a lying Content-Type; /html a 500 HTML page. With
    `garbage_everywhere` every path answers /garbage's body (an AWS endpoint
    gone wrong: clients post to "/")."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, status, body, ctype):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_any(self):
            n = int(self.headers.get("Content-Length", "0") or 0)
            if n:
                self.rfile.read(n)
            path = self.path.split("?")[0]
            if garbage_everywhere or path == "/garbage":
                self.answer(200, b"\x00\xff{not json", "application/x-amz-json-1.1")
            elif path == "/big":
                self.answer(200, json.dumps({"pad": "x" * BIG}).encode(), "application/json")
            elif path == "/html":
                self.answer(500, b"<html><body>oops</body></html>", "text/html")
            else:
                self.answer(200, b'{"ok":true}', "application/json")

        do_GET = do_POST = do_PUT = do_HEAD = do_any

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# Checks that fail today for a reason outside these tests, each with the
# reason. One listed here is printed as KNOWN GAP when it fails and fails
# the run when it passes (so the entry goes once the gap is closed).
KNOWN_GAPS = {}


class GapAwareChecks(Checks):
    """Checks, with KNOWN_GAPS reported instead of counted as failures."""

    def check(self, what, cond, detail=""):
        gap = KNOWN_GAPS.get(what)
        if gap is None:
            return super().check(what, cond, detail)
        if cond:
            return super().check(f"{what}: listed in KNOWN_GAPS but passes now: remove it",
                                 False)
        print(f"KNOWN GAP {what}: {gap}; seen: {str(detail)[:200]}", flush=True)
        return cond


AWS_ERROR = re.compile(
    r"^(States\.(Runtime|TaskFailed|DataLimitExceeded|Http\.Socket|Http\.StatusCode\.\d{3}"
    r"|Timeout)|[A-Z][A-Za-z0-9]*\.[A-Z][A-Za-z0-9]*(Exception|Error|Fault)"
    r"|Events\.ConnectionResource\.[A-Za-z]+)$")  # the HTTP Task's connection errors


def http_state(params):
    p = {"Method": "GET", "Authentication": {"ConnectionArn": CONNECTION}}
    p.update(params)
    return {"Type": "Task", "Resource": "arn:aws:states:::http:invoke", "Parameters": p,
            "End": True}


def sdk_state(resource, params):
    return {"Type": "Task", "Resource": f"arn:aws:states:::aws-sdk:{resource}",
            "Parameters": params, "End": True}


def cases(http_base, closed_port, with_servers, with_http):
    """(name, Task state, input, errors allowed at run time (regex), words one
    of which the error's cause or the refusal must contain)."""
    http_cases = [
        ("http ApiEndpoint a number", http_state({"ApiEndpoint": 42}), {},
         r"States\.(Runtime|TaskFailed)", ["ApiEndpoint"]),
        ("http ApiEndpoint from input a number", http_state({"ApiEndpoint.$": "$.u"}),
         {"u": 42}, r"States\.(Runtime|TaskFailed)", ["ApiEndpoint"]),
        ("http Method a list", http_state({"ApiEndpoint": f"{http_base}/ok",
                                           "Method": ["GET"]}), {},
         r"States\.(Runtime|TaskFailed)", ["Method"]),
        ("http Method unknown", http_state({"ApiEndpoint": f"{http_base}/ok",
                                            "Method": "BREW"}), {},
         r"States\.(Runtime|TaskFailed)", ["Method"]),
        ("http Headers a string", http_state({"ApiEndpoint": f"{http_base}/ok",
                                              "Headers": "x-a: b"}), {},
         r"States\.(Runtime|TaskFailed)", ["Headers"]),
        ("http QueryParameters a list", http_state({"ApiEndpoint": f"{http_base}/ok",
                                                    "QueryParameters": [1, 2]}), {},
         r"States\.(Runtime|TaskFailed)", ["QueryParameters"]),
        ("http ftp:// endpoint", http_state({"ApiEndpoint": "ftp://127.0.0.1/file"}), {},
         r"States\.(Runtime|TaskFailed)", ["ApiEndpoint", "ftp"]),
        ("http file:// endpoint from input", http_state({"ApiEndpoint.$": "$.u"}),
         {"u": "file:///etc/passwd"}, r"States\.(Runtime|TaskFailed)", ["ApiEndpoint", "file"]),
        ("http unknown connection ARN", http_state({
            "ApiEndpoint": f"{http_base}/ok",
            "Authentication": {"ConnectionArn": CONNECTION.replace("hostile", "nosuch")}}), {},
         r"States\.(Runtime|TaskFailed)|Events\.ConnectionResource\.\w+",
         ["connection", "Connection"]),
        ("http ConnectionArn not an ARN", http_state({
            "ApiEndpoint": f"{http_base}/ok", "Authentication": {"ConnectionArn": "nope"}}), {},
         r"States\.(Runtime|TaskFailed)|Events\.ConnectionResource\.\w+",
         ["ConnectionArn", "nope"]),
        ("http endpoint port nobody listens on",
         http_state({"ApiEndpoint": f"http://127.0.0.1:{closed_port}/x"}), {},
         r"States\.Http\.Socket", [str(closed_port), "127.0.0.1", "connect", "Connection"]),
        ("http response over 256 KiB", http_state({"ApiEndpoint": f"{http_base}/big"}), {},
         r"States\.(DataLimitExceeded|Http\.Socket)", ["size", "limit", "256", "exceed",
                                                       "large"]),
        ("http 500 with an HTML body", http_state({"ApiEndpoint": f"{http_base}/html"}), {},
         r"States\.Http\.StatusCode\.500", ["500", "oops", "Internal"]),
    ]
    out = http_cases if with_http else []
    out += [
        ("aws-sdk endpoint port nobody listens on",
         sdk_state("sqs:listQueues", {}), {}, r"Sqs\.SdkClientException|SQS\.SdkClientException",
         [str(closed_port), "127.0.0.1", "connect", "Connect", "Unable"]),
        ("aws-sdk endpoint answering garbage",
         sdk_state("secretsmanager:listSecrets", {}), {},
         r"SecretsManager\.\w+(Exception|Error)", ["SecretsManager", "parse", "JSON", "json",
                                                   "Unable", "unmarshall"]),
    ]
    if with_servers:
        out += [
            ("aws-sdk Parameters member of the wrong type",
             sdk_state("dynamodb:getItem", {"TableName": 42, "Key": "k"}), {},
             r"States\.(Runtime|TaskFailed)|DynamoDb\.\w+Exception",
             ["TableName", "tableName", "Key", "key", "String", "convert", "type"]),
            ("aws-sdk s3 getObject over 256 KiB",
             sdk_state("s3:getObject", {"Bucket": "hostile", "Key": "big.txt"}), {},
             r"States\.DataLimitExceeded", ["size", "limit", "256", "exceed", "large"]),
            ("aws-sdk s3 Key a number", sdk_state("s3:getObject", {"Bucket": "hostile",
                                                                   "Key": 42}), {},
             r"States\.(Runtime|TaskFailed)|S3\.\w+Exception", ["Key"]),
        ]
    return out


def refusal(aws, name, state):
    """(error code, message) of CreateStateMachine, ("", "") when accepted."""
    from sfn_daemon import ROLE
    return aws.api_error("create_state_machine", name=name, roleArn=ROLE, definition=json.dumps(
        {"StartAt": "T", "States": {"T": state}}))


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    stepwised = sys.argv[1]
    aws_servers.botocore_or_skip()
    aws_servers.aws_integrations_or_skip(stepwised)
    with_http = "--connections-file" in aws_servers.stepwised_flags(stepwised)
    if not with_http:
        print("NOTE: this stepwised has no --connections-file (HTTP Task not built in): "
              "the http:invoke cases are skipped", flush=True)
    aws_servers.set_dummy_credentials()
    work = tempfile.mkdtemp(prefix="sw_hostile_calls_")
    connections = os.path.join(work, "connections.json")
    with open(connections, "w") as f:
        json.dump({CONNECTION: {"Name": "hostile", "AuthorizationType": "BASIC",
                                "AuthParameters": {"BasicAuthParameters": {
                                    "Username": "u", "Password": "hostile-password"}}}}, f)
    http = hostile_http()
    garbage = hostile_http(garbage_everywhere=True)
    http_base = f"http://127.0.0.1:{http.server_address[1]}"
    closed_port = aws_servers.free_port()   # nobody listens there
    modules = aws_servers.modules_dir()
    s3rver = aws_servers.Server(modules, "s3rver", "hostile") if modules else None
    dynalite = aws_servers.Server(modules, "dynalite") if modules else None
    if s3rver is None:
        print("NOTE: dynalite/s3rver not installed (bash scripts/install-aws-servers.sh): "
              "the DynamoDB and S3 cases are skipped", flush=True)
    extra = (["--connections-file", connections] if with_http else []) + [
             "--aws-endpoint", f"sqs=http://127.0.0.1:{closed_port}",
             "--aws-endpoint",
             f"secretsmanager=http://127.0.0.1:{garbage.server_address[1]}"]
    if s3rver:
        aws_servers.client("s3", s3rver.endpoint).put_object(Bucket="hostile", Key="big.txt",
                                                              Body=b"y" * BIG)
        extra += ["--aws-endpoint", f"s3={s3rver.endpoint}",
                  "--aws-endpoint", f"dynamodb={dynalite.endpoint}"]
    daemon = Daemon(stepwised, extra)
    checks = GapAwareChecks()
    try:
        daemon.start()
        aws = Aws(None, daemon)
        for i, (name, state, payload, errors, words) in enumerate(
                cases(http_base, closed_port, s3rver is not None, with_http)):
            code, message = refusal(aws, f"hostile-{i}", state)
            if code:
                checks.check(f"{name}: refused at create with AWS's error name",
                             code in ("ValidationException", "InvalidDefinition"),
                             f"{code}: {message}")
                checks.check(f"{name}: the refusal names the field",
                             any(w in message for w in words), message)
            else:
                arn = aws.client().list_state_machines()["stateMachines"]
                arn = next(m["stateMachineArn"] for m in arn if m["name"] == f"hostile-{i}")
                ex = aws.client().start_execution(stateMachineArn=arn, input=json.dumps(payload))
                d = aws.wait_status(ex["executionArn"], timeout=120)
                error, cause = d.get("error", ""), d.get("cause", "")
                checks.check(f"{name}: FAILED", d["status"] == "FAILED",
                             f"{d['status']} {d.get('output', '')[:200]}")
                checks.check(f"{name}: error {error!r} in AWS's vocabulary",
                             AWS_ERROR.match(error or "") is not None
                             and re.fullmatch(errors, error or "") is not None,
                             f"{error}: {cause[:300]}")
                checks.check(f"{name}: the cause names the field or resource",
                             any(w in cause for w in words), cause[:300])
                checks.check(f"{name}: no secret in the cause",
                             "hostile-password" not in cause, cause[:300])
            checks.check(f"{name}: the daemon still answers",
                         daemon.proc.poll() is None
                         and aws.api_error("list_state_machines") == ("", ""), daemon.log_tail())
        # AWS refuses an aws-sdk action the service's SDK does not have, at
        # every entry point, in the words it uses for any unknown resource.
        unknown = "arn:aws:states:::aws-sdk:dynamodb:noSuchAction"
        words = (f"SCHEMA_VALIDATION_FAILED: The resource provided {unknown} is not recognized. "
                 "The value is not a valid resource ARN, or the resource is not available in "
                 "this region. at /States/T/Resource")
        state = {"Type": "Task", "Resource": unknown, "End": True}
        code, message = refusal(aws, "hostile-unknown-action", state)
        checks.check("aws-sdk unknown action: CreateStateMachine refuses it in AWS's words",
                     code == "InvalidDefinition" and words in message, f"{code}: {message}")
        v = aws.client().validate_state_machine_definition(
            definition=json.dumps({"StartAt": "T", "States": {"T": state}}))
        checks.check("aws-sdk unknown action: validation fails in AWS's words",
                     v.get("result") == "FAIL" and any(
                         f"{d.get('code')}: {d.get('message')} at {d.get('location')}" == words
                         for d in v.get("diagnostics", [])), v)
        known = dict(state, Resource="arn:aws:states:::aws-sdk:s3:listObjectsV2",
                     Parameters={"Bucket": "b"})
        code, message = refusal(aws, "hostile-known-action", known)
        checks.check("aws-sdk known action: CreateStateMachine accepts it", code == "",
                     f"{code}: {message}")
        if with_http:
            # AWS requires Authentication; Stepwise calls without a connection
            # and says so as a WARNING at validation (asl/validator_http_task.cc).
            no_auth = {"StartAt": "T", "States": {"T": {
                "Type": "Task", "Resource": "arn:aws:states:::http:invoke", "End": True,
                "Parameters": {"ApiEndpoint": f"{http_base}/ok", "Method": "GET"}}}}
            v = aws.client().validate_state_machine_definition(
                definition=json.dumps(no_auth), severity="WARNING")
            diags = v.get("diagnostics", [])
            checks.check("http no Authentication: validation warns, naming Authentication",
                         any(d.get("severity") == "WARNING" and "Authentication" in
                             d.get("message", "") for d in diags), v)
        log = daemon.log_tail(10 ** 7)
        checks.check("the connection's password is in no log line", "hostile-password" not in log,
                     "")
        daemon.stop()
        checks.check("clean exit on SIGTERM", daemon.proc.returncode == 0,
                     daemon.proc.returncode)
    except Exception:
        import traceback
        checks.check("no unexpected error", False, traceback.format_exc())
    finally:
        http.shutdown()
        garbage.shutdown()
        if s3rver:
            s3rver.stop()
            dynalite.stop()
    checks.finish(daemon)


if __name__ == "__main__":
    sys.exit(main())
