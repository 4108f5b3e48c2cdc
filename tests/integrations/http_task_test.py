#!/usr/bin/env python3
"""The HTTP Task (arn:aws:states:::http:invoke) end to end: a real stepwised
on loopback (--connections-file, --http-ca-file) calling HTTP and HTTPS
servers written here (python3 http.server, TLS with a certificate the
openssl CLI makes for this run), driven with botocore's Step Functions
client over stepwised's AWS endpoint. Covers plain and TLS calls, the four
kinds of authentication (none, BASIC, API_KEY, OAUTH_CLIENT_CREDENTIALS:
the server checks the credentials that arrive and serves the token
endpoint; a refused token is fetched again), URL_ENCODED bodies, JSONata
Arguments, a 500 then 200 under Retry, a 404 caught by its AWS name, a slow
endpoint ending in States.Timeout, an unreachable one in States.Http.Socket,
.waitForTaskToken answered with SendTaskSuccess; hostile input: a
malformed connections file (stepwised refuses to start, naming the field),
an unknown connection ARN, an ftp:// ApiEndpoint, an oversize response.
Finally every secret is looked for in GetExecutionHistory, the daemon's log
(at debug level) and the console's pages and API: none may appear.
Usage: http_task_test.py <stepwised>. Exits 77 (skip) without botocore or
the openssl CLI.
"""
import base64
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "aws"))
from sfn_daemon import ROLE, Aws, Checks, Daemon, wait_for  # noqa: E402

try:
    import botocore.session  # noqa: F401
except ImportError:
    print("SKIP: botocore not installed (apt-get install awscli)")
    sys.exit(77)
if shutil.which("openssl") is None:
    print("SKIP: the openssl CLI is not installed")
    sys.exit(77)

CONN = "arn:aws:events:us-east-1:123456789012:connection"
BASIC_ARN, APIKEY_ARN, OAUTH_ARN = f"{CONN}/basic/1", f"{CONN}/apikey/2", f"{CONN}/oauth/3"
BASIC_USER, BASIC_PASS = "stepwise-user", "basic-pass-S3cr3t"
HDR_SECRET = "hdr-secret-S3cr3t"
APIKEY_VALUE = "apikey-value-S3cr3t"
CLIENT_ID, CLIENT_SECRET = "client-id-1", "client-secret-S3cr3t"
TOKENS = ["oauth-token-1-S3cr3t", "oauth-token-2-S3cr3t", "oauth-token-3-S3cr3t"]
SECRETS = [BASIC_PASS, HDR_SECRET, APIKEY_VALUE, CLIENT_SECRET] + TOKENS + [
    base64.b64encode(f"{BASIC_USER}:{BASIC_PASS}".encode()).decode(),
    base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()]


class Api(BaseHTTPRequestHandler):
    """The APIs the Tasks call; records what arrives (never echoes a secret)."""
    protocol_version = "HTTP/1.1"
    lock = threading.Lock()
    seen = []             # (path, headers dict lower-case, body)
    tokens_issued = 0
    token_requests = []   # (authorization ok, body)
    flaky_calls = 0
    callback_tokens = []

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Served-By", "http_task_test")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def handle_any(self):
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        headers = {k.lower(): v for k, v in self.headers.items()}
        with Api.lock:
            Api.seen.append((url.path, headers, body))
        auth = headers.get("authorization", "")
        if url.path == "/echo":
            parsed = None
            if headers.get("content-type", "").startswith("application/json") and body:
                parsed = json.loads(body)
            return self.reply(200, json.dumps({
                "method": self.command, "query": url.query, "json": parsed, "raw": body,
                "contentType": headers.get("content-type"), "trace": headers.get("x-trace"),
                "userAgent": headers.get("user-agent")}))
        if url.path == "/text":
            return self.reply(200, "plain words", "text/plain")
        if url.path == "/auth/basic":
            want = "Basic " + base64.b64encode(f"{BASIC_USER}:{BASIC_PASS}".encode()).decode()
            ok = auth == want and headers.get("x-signature") == HDR_SECRET
            return self.reply(200 if ok else 401, json.dumps({"auth": "basic", "ok": ok}))
        if url.path == "/auth/apikey":
            ok = headers.get("x-api-key") == APIKEY_VALUE
            return self.reply(200 if ok else 401, json.dumps({"auth": "apikey", "ok": ok}))
        if url.path == "/oauth/token":
            want = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            form = urllib.parse.parse_qs(body)
            ok = (self.command == "POST" and auth == want and
                  form.get("grant_type") == ["client_credentials"] and
                  form.get("scope") == ["read"] and headers.get("x-tenant") == "t1")
            with Api.lock:
                Api.token_requests.append(ok)
                if not ok:
                    return self.reply(401, json.dumps({"error": "invalid_client"}))
                token = TOKENS[min(Api.tokens_issued, len(TOKENS) - 1)]
                Api.tokens_issued += 1
            return self.reply(200, json.dumps({"access_token": token, "token_type": "Bearer",
                                               "expires_in": 3600}))
        if url.path == "/auth/oauth":
            # The first token is revoked: the caller must fetch another.
            ok = auth in ("Bearer " + TOKENS[1], "Bearer " + TOKENS[2])
            return self.reply(200 if ok else 401, json.dumps({"auth": "oauth", "ok": ok}))
        if url.path == "/flaky":
            with Api.lock:
                Api.flaky_calls += 1
                n = Api.flaky_calls
            if n == 1:
                return self.reply(500, json.dumps({"message": "try again"}))
            return self.reply(200, json.dumps({"attempt": n}))
        if url.path == "/missing":
            return self.reply(404, json.dumps({"message": "no such thing"}))
        if url.path == "/slow":
            time.sleep(6)
            return self.reply(200, "{}")
        if url.path == "/big":
            return self.reply(200, "x" * 300000, "text/plain")
        if url.path == "/callback":
            with Api.lock:
                Api.callback_tokens.append(json.loads(body)["token"])
            return self.reply(202, json.dumps({"queued": True}))
        return self.reply(404, "{}")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any


def serve(tls_context=None):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    server.daemon_threads = True
    if tls_context is not None:
        server.socket = tls_context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def make_cert(work):
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key


def connections_file(work, plain):
    conns = {
        BASIC_ARN: {"Name": "basic", "AuthorizationType": "BASIC", "AuthParameters": {
            "BasicAuthParameters": {"Username": BASIC_USER, "Password": BASIC_PASS},
            "InvocationHttpParameters": {"HeaderParameters": [
                {"Key": "X-Signature", "Value": HDR_SECRET, "IsValueSecret": True}]}}},
        APIKEY_ARN: {"Name": "apikey", "AuthorizationType": "API_KEY", "AuthParameters": {
            "ApiKeyAuthParameters": {"ApiKeyName": "X-Api-Key", "ApiKeyValue": APIKEY_VALUE}}},
        OAUTH_ARN: {"Name": "oauth", "AuthorizationType": "OAUTH_CLIENT_CREDENTIALS",
                    "AuthParameters": {"OAuthParameters": {
                        "AuthorizationEndpoint": f"{plain}/oauth/token", "HttpMethod": "POST",
                        "ClientParameters": {"ClientID": CLIENT_ID, "ClientSecret": CLIENT_SECRET},
                        "OAuthHttpParameters": {
                            "HeaderParameters": [{"Key": "X-Tenant", "Value": "t1"}],
                            "BodyParameters": [{"Key": "scope", "Value": "read"}]}}}},
    }
    path = os.path.join(work, "connections.json")
    with open(path, "w") as f:
        json.dump(conns, f)
    return path


def task(params, resource="arn:aws:states:::http:invoke", **extra):
    state = {"Type": "Task", "Resource": resource, "Parameters": params, "End": True}
    state.update(extra)
    return {"StartAt": "Call", "States": {"Call": state}}


def refused_start(stepwised, work, text):
    """stepwised's exit code and output when started with `text` as its connections file."""
    path = os.path.join(work, "bad_connections.json")
    with open(path, "w") as f:
        f.write(text)
    try:
        p = subprocess.run([stepwised, "--grpc-listen", "127.0.0.1:0", "--http-listen",
                            "127.0.0.1:0", "--data-dir", os.path.join(work, "refused"),
                            "--connections-file", path],
                           capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired:
        return 0, "(still running after 30 s)"


def main():
    stepwised = sys.argv[1]
    c = Checks()
    work = tempfile.mkdtemp(prefix="sw_http_task_")
    cert, key = make_cert(work)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    plain_server, tls_server = serve(), serve(tls)
    plain = f"http://127.0.0.1:{plain_server.server_address[1]}"
    secure = f"https://127.0.0.1:{tls_server.server_address[1]}"
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"

    # ---- hostile connections files: stepwised refuses to start ----
    rc, out = refused_start(stepwised, work, "{not json")
    c.check("a connections file that is not JSON refuses start-up", rc != 0 and
            "--connections-file" in out and "not JSON" in out, out[-500:])
    rc, out = refused_start(stepwised, work, json.dumps({BASIC_ARN: {
        "AuthorizationType": "BASIC", "AuthParameters": {"BasicAuthParameters": {
            "Username": "u"}}}}))
    c.check("a connection without its Password refuses start-up naming the field",
            rc != 0 and "AuthParameters.BasicAuthParameters.Password is required" in out,
            out[-500:])
    rc, out = refused_start(stepwised, work, json.dumps({OAUTH_ARN: {
        "AuthorizationType": "OAUTH_CLIENT_CREDENTIALS", "AuthParameters": {"OAuthParameters": {
            "AuthorizationEndpoint": "ftp://auth/token", "HttpMethod": "POST",
            "ClientParameters": {"ClientID": "i", "ClientSecret": CLIENT_SECRET}}}}}))
    c.check("an ftp:// AuthorizationEndpoint refuses start-up", rc != 0 and
            "AuthorizationEndpoint" in out and CLIENT_SECRET not in out, out[-500:])

    daemon = Daemon(stepwised, ["--connections-file", connections_file(work, plain),
                                "--http-ca-file", cert, "--log-level", "debug"])
    try:
        daemon.start()
        aws = Aws("/usr/bin/aws", daemon)
        sfn = aws.client()
        executions = []

        def run(name, definition, payload=None, timeout=30):
            arn = aws.create_machine(name, definition)
            ex = sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload or {}))
            executions.append((arn, ex["executionArn"]))
            return aws.wait_status(ex["executionArn"], timeout=timeout)

        def output(d):
            return json.loads(d.get("output") or "null")

        # ---- plain HTTP, no connection ----
        d = run("plain", task({"ApiEndpoint": f"{plain}/echo?x=1", "Method": "GET",
                               "Headers": {"X-Trace": "t-1"},
                               "QueryParameters": {"q": "a b", "tags": ["t1", "t2"]}}))
        out = output(d)
        c.check("plain GET succeeds", d["status"] == "SUCCEEDED", d)
        body = (out or {}).get("ResponseBody", {})
        c.check("the result has AWS's shape", out and sorted(out) == [
            "Headers", "ResponseBody", "StatusCode", "StatusText"] and out["StatusCode"] == 200
            and out["StatusText"] == "OK" and out["Headers"].get("x-served-by") ==
            ["http_task_test"], out)
        c.check("query and headers arrive", body.get("query") == "x=1&q=a%20b&tags=t1&tags=t2"
                and body.get("trace") == "t-1" and
                body.get("userAgent") == "Amazon|StepFunctions|HttpInvoke|us-east-1", body)
        d = run("head", task({"ApiEndpoint": f"{plain}/text", "Method": "HEAD"}))
        c.check("HEAD answers with headers and no body", d["status"] == "SUCCEEDED" and
                (output(d) or {}).get("ResponseBody") == "" and
                output(d)["Headers"].get("content-length") == ["11"], d)
        d = run("text", task({"ApiEndpoint": f"{plain}/text", "Method": "GET"}))
        c.check("a text response is kept as a string",
                (output(d) or {}).get("ResponseBody") == "plain words", d)

        # ---- TLS, verified against --http-ca-file ----
        d = run("tls", task({"ApiEndpoint": f"{secure}/echo", "Method": "POST",
                             "RequestBody": {"a": 1, "b": [True, None]}}))
        body = (output(d) or {}).get("ResponseBody", {})
        c.check("HTTPS POST with a JSON body", d["status"] == "SUCCEEDED" and
                body.get("json") == {"a": 1, "b": [True, None]} and
                body.get("contentType", "").startswith("application/json"), d)

        # ---- the four kinds of authentication ----
        d = run("basic", task({"ApiEndpoint": f"{secure}/auth/basic", "Method": "GET",
                               "Authentication": {"ConnectionArn": BASIC_ARN}}))
        c.check("BASIC credentials (and a secret invocation header) arrive over TLS",
                d["status"] == "SUCCEEDED" and output(d)["ResponseBody"]["ok"] is True, d)
        d = run("apikey", task({"ApiEndpoint": f"{plain}/auth/apikey", "Method": "GET",
                                "Authentication": {"ConnectionArn": APIKEY_ARN}}))
        c.check("API_KEY header arrives", d["status"] == "SUCCEEDED" and
                output(d)["ResponseBody"]["ok"] is True, d)
        d = run("oauth", task({"ApiEndpoint": f"{plain}/auth/oauth", "Method": "GET",
                               "Authentication": {"ConnectionArn": OAUTH_ARN}}))
        c.check("OAUTH_CLIENT_CREDENTIALS: a refused token is fetched again and the call made "
                "once more", d["status"] == "SUCCEEDED" and Api.tokens_issued == 2 and
                all(Api.token_requests), (d, Api.tokens_issued, Api.token_requests))
        d = run("oauth2", task({"ApiEndpoint": f"{plain}/auth/oauth", "Method": "GET",
                                "Authentication": {"ConnectionArn": OAUTH_ARN}}))
        c.check("the OAuth token is cached", d["status"] == "SUCCEEDED" and
                Api.tokens_issued == 2, (d, Api.tokens_issued))

        # ---- URL_ENCODED body, JSONata Arguments ----
        d = run("form", task({"ApiEndpoint": f"{plain}/echo", "Method": "POST",
                              "RequestBody": {"a": ["x", "y"], "n": 1},
                              "Transform": {"RequestBodyEncoding": "URL_ENCODED",
                                            "RequestEncodingOptions": {"ArrayFormat": "BRACKETS"}}}))
        body = (output(d) or {}).get("ResponseBody", {})
        c.check("URL_ENCODED with BRACKETS", body.get("raw") == "a%5B%5D=x&a%5B%5D=y&n=1" and
                body.get("contentType") == "application/x-www-form-urlencoded", body)
        jsonata = {"QueryLanguage": "JSONata", "StartAt": "Call", "States": {"Call": {
            "Type": "Task", "Resource": "arn:aws:states:::http:invoke", "End": True,
            "Arguments": {"ApiEndpoint": "{% $states.input.base & '/echo' %}", "Method": "PUT",
                          "RequestBody": {"who": "{% $states.input.who %}"}},
            "Output": "{% $states.result.ResponseBody.json %}"}}}
        d = run("jsonata", jsonata, {"base": plain, "who": "ada"})
        c.check("JSONata Arguments", d["status"] == "SUCCEEDED" and output(d) == {"who": "ada"}, d)

        # ---- errors by AWS's names ----
        d = run("flaky", task({"ApiEndpoint": f"{plain}/flaky", "Method": "GET"}, Retry=[{
            "ErrorEquals": ["States.Http.StatusCode.500"], "IntervalSeconds": 1,
            "MaxAttempts": 2}]))
        hist = aws.history(executions[-1][1])
        failed = [e for e in hist if e["type"] == "TaskFailed"]
        c.check("a 500 then 200 under Retry on States.Http.StatusCode.500",
                d["status"] == "SUCCEEDED" and len(failed) == 1 and
                failed[0]["taskFailedEventDetails"]["error"] == "States.Http.StatusCode.500" and
                output(d)["ResponseBody"] == {"attempt": 2}, (d, failed))
        cause = json.loads(failed[0]["taskFailedEventDetails"]["cause"]) if failed else {}
        c.check("the StatusCode error's cause is the response", cause.get("StatusCode") == 500
                and cause.get("ResponseBody") == {"message": "try again"}, cause)
        definition = task({"ApiEndpoint": f"{plain}/missing", "Method": "DELETE"})
        definition["States"]["Call"]["Catch"] = [{"ErrorEquals": ["States.Http.StatusCode.404"],
                                                  "ResultPath": "$.error", "Next": "Caught"}]
        definition["States"]["Caught"] = {"Type": "Pass", "End": True}
        d = run("missing", definition)
        c.check("a 404 is caught as States.Http.StatusCode.404", d["status"] == "SUCCEEDED" and
                output(d)["error"]["Error"] == "States.Http.StatusCode.404", d)
        d = run("slow", task({"ApiEndpoint": f"{plain}/slow", "Method": "GET"},
                             TimeoutSeconds=2), timeout=20)
        c.check("a slow endpoint ends in States.Timeout", d["status"] == "FAILED" and
                d.get("error") == "States.Timeout", d)
        definition = task({"ApiEndpoint": f"{closed}/x", "Method": "GET"})
        definition["States"]["Call"]["Catch"] = [{"ErrorEquals": ["States.Http.Socket"],
                                                  "ResultPath": "$.error", "Next": "Caught"}]
        definition["States"]["Caught"] = {"Type": "Pass", "End": True}
        d = run("socket", definition)
        c.check("an unreachable endpoint is States.Http.Socket", d["status"] == "SUCCEEDED" and
                output(d)["error"]["Error"] == "States.Http.Socket", d)

        # ---- .waitForTaskToken ----
        # The integration takes http:invoke.waitForTaskToken; the validator
        # refuses it at CreateStateMachine as AWS does (asl/task_integrations,
        # tests/hostile). While it does, the refusal is checked; once it is
        # accepted, the whole callback flow is.
        callback_def = task(
            {"ApiEndpoint": f"{secure}/callback", "Method": "POST",
             "Authentication": {"ConnectionArn": APIKEY_ARN},
             "RequestBody": {"token.$": "$$.Task.Token"}},
            resource="arn:aws:states:::http:invoke.waitForTaskToken")
        code, message = aws.api_error("create_state_machine", name="callback", roleArn=ROLE,
                                      definition=json.dumps(callback_def))
        if code:
            c.check(".waitForTaskToken is refused at creation with AWS's words",
                    code == "InvalidDefinition" and "arn:aws:states:::http:invoke."
                    "waitForTaskToken is not recognized" in message, (code, message))
        else:
            arn = f"arn:aws:states:us-east-1:123456789012:stateMachine:callback"
            ex = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
            executions.append((arn, ex))
            got = wait_for(lambda: list(Api.callback_tokens), timeout=20)
            c.check("the server receives the task token", len(got) == 1, got)
            time.sleep(0.5)
            c.check("the execution waits for its token", aws.describe(ex)["status"] == "RUNNING")
            if got:
                sfn.send_task_success(taskToken=got[0], output=json.dumps({"approved": True}))
            d = aws.wait_status(ex)
            hist = aws.history(ex)
            c.check(".waitForTaskToken finishes with SendTaskSuccess",
                    d["status"] == "SUCCEEDED" and output(d) == {"approved": True} and
                    any(e["type"] == "TaskSubmitted" for e in hist), d)

        # ---- hostile parameters ----
        d = run("ftp", task({"ApiEndpoint": "ftp://127.0.0.1/file", "Method": "GET"}))
        c.check("an ftp:// ApiEndpoint fails clearly", d["status"] == "FAILED" and
                "ApiEndpoint" in d.get("cause", "") and "http and https" in d.get("cause", ""), d)
        unknown = f"{CONN}/nope/9"
        definition = task({"ApiEndpoint": f"{plain}/echo", "Method": "GET",
                           "Authentication": {"ConnectionArn": unknown}})
        d = run("unknown", definition)
        c.check("an unknown connection ARN fails naming it", d["status"] == "FAILED" and
                d.get("error") == "Events.ConnectionResource.ResourceNotFound" and
                unknown in d.get("cause", ""), d)
        d = run("reserved", task({"ApiEndpoint": f"{plain}/echo", "Method": "GET",
                                  "Headers": {"Host": "evil"}}))
        c.check("a reserved header is refused", d["status"] == "FAILED" and
                "Headers.Host" in d.get("cause", ""), d)
        d = run("big", task({"ApiEndpoint": f"{plain}/big", "Method": "GET"}))
        c.check("an oversize response fails with States.DataLimitExceeded",
                d["status"] == "FAILED" and d.get("error") == "States.DataLimitExceeded", d)
        d = run("after", task({"ApiEndpoint": f"{plain}/text", "Method": "GET"}))
        c.check("the daemon still serves after all that", d["status"] == "SUCCEEDED", d)

        # ---- secrets: never in history, the log or the console ----
        seen_secret = [h for (_, headers, _) in Api.seen for h in headers.values()
                       if HDR_SECRET in h or APIKEY_VALUE in h]
        c.check("(the secrets did travel to the server)", len(seen_secret) >= 2, seen_secret)
        texts = {}
        for machine, ex in executions:
            texts[f"history {ex}"] = json.dumps(aws.history(ex), default=str)
            texts[f"describe {ex}"] = json.dumps(aws.describe(ex), default=str)
        daemon.stop()
        texts["daemon log"] = open(daemon.log_path).read()
        daemon.start()
        base = daemon.endpoint

        def get(path):
            with urllib.request.urlopen(base + path, timeout=10) as r:
                return r.read().decode(errors="replace")

        texts["console /"] = get("/")
        texts["console machines"] = get("/console/api/machines")
        for machine, ex in executions:
            q = urllib.parse.quote(machine, safe="")
            e = urllib.parse.quote(ex, safe="")
            texts[f"console executions {machine}"] = get(f"/console/api/executions?machine={q}")
            texts[f"console execution {ex}"] = get(f"/console/api/execution?arn={e}")
            texts[f"console tasks {ex}"] = get(f"/console/api/tasks?arn={e}")
        c.check("the history and console texts were read", len(texts) > 3 * len(executions))
        leaks = [(where, s) for where, text in texts.items() for s in SECRETS if s in text]
        c.check("no secret in history, log or console", not leaks, leaks[:5])
        c.check("(the log does speak of the HTTP calls)", "http" in texts["daemon log"])
    except Exception:  # a crash of the test is a failure, never a pass
        import traceback
        c.check("the test ran to its end", False, traceback.format_exc())
    finally:
        plain_server.shutdown()
        tls_server.shutdown()
        shutil.rmtree(work, ignore_errors=True)
        c.finish(daemon if "daemon" in locals() else None)


if __name__ == "__main__":
    main()
