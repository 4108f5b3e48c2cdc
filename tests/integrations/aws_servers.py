"""AWS-compatible servers nobody here wrote, for the end-to-end tests of the
AWS service integrations (tests/integrations/aws_servers_test.py), the
crash harness's call-out workload (tests/crash/service_call_crash_test.py)
and the hostile-input test (tests/hostile/service_task_hostile_test.py):
dynalite (DynamoDB, in memory) and s3rver (S3, files in a temporary
directory), each started as `node serve.js` on 127.0.0.1 and a port the
kernel picks, as installed by scripts/install-aws-servers.sh. Neither checks
a SigV4 signature (s3rver checks only the access key), so SignatureChecker
puts a proxy in front that recomputes every signature with botocore.
Also the checks every such test needs first: botocore present, the
stepwised under test built with the AWS integrations (--aws-endpoint),
a free loopback port. Single-threaded: one test script drives it.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SERVE_JS = os.path.join(HERE, "servers", "serve.js")

# s3rver's one account (it refuses other access keys); dynalite accepts any.
ACCESS_KEY_ID = "S3RVER"
SECRET_ACCESS_KEY = "S3RVER"
REGION = "us-east-1"


def skip(why):
    print(f"SKIP: {why}", flush=True)
    sys.exit(77)


def botocore_or_skip():
    try:
        import botocore.session  # noqa: F401
    except ImportError:
        skip("botocore not installed (apt-get install awscli)")


def modules_dir(required_in_ci=True):
    """node_modules of scripts/install-aws-servers.sh ($STEPWISE_AWS_SERVERS_DIR,
    else build/npm/aws-servers). Missing: installs under CI=true, else None."""
    base = os.environ.get("STEPWISE_AWS_SERVERS_DIR",
                          os.path.join(ROOT, "build", "npm", "aws-servers"))
    modules = os.path.join(base, "node_modules")
    ready = all(os.path.isfile(os.path.join(modules, p))
                for p in ("dynalite/cli.js", "s3rver/bin/s3rver.js"))
    if not ready and required_in_ci and os.environ.get("CI") == "true":
        subprocess.run(["bash", os.path.join(ROOT, "scripts", "install-aws-servers.sh")],
                       check=True)
        ready = True
    return modules if ready else None


def modules_dir_or_skip():
    modules = modules_dir()
    if modules is None:
        skip("dynalite/s3rver not installed (bash scripts/install-aws-servers.sh)")
    if shutil.which("node") is None:
        skip("node not installed")
    return modules


def stepwised_flags(stepwised):
    """The flags `stepwised --help` lists."""
    p = subprocess.run([stepwised, "--help"], capture_output=True, text=True, timeout=30)
    return p.stdout + p.stderr


def aws_integrations_or_skip(stepwised, also=()):
    """Exits 77 when this stepwised has no --aws-endpoint flag (the AWS
    service integrations are not built in) or lacks one of `also`."""
    flags = stepwised_flags(stepwised)
    for flag in ("aws-endpoint",) + tuple(also):
        if f"--{flag}" not in flags:
            skip(f"this stepwised has no --{flag} (its integrations are not built in)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def set_dummy_credentials():
    """The standard AWS environment variables stepwised signs with (s3rver's
    account), and no shared config or credentials file."""
    os.environ.update(AWS_ACCESS_KEY_ID=ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY,
                      AWS_DEFAULT_REGION=REGION, AWS_REGION=REGION,
                      AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)


class Server:
    """One `node serve.js` child; .port once it listens, .endpoint its URL."""

    def __init__(self, modules, kind, *args):
        self.work = tempfile.mkdtemp(prefix=f"sw_{kind}_")
        self.log_path = os.path.join(self.work, "server.log")
        extra = list(args)
        if kind == "s3rver":
            extra = [os.path.join(self.work, "data")] + extra
            os.makedirs(extra[0])
        log = open(self.log_path, "w")
        self.proc = subprocess.Popen(["node", SERVE_JS, modules, kind] + extra,
                                     stdout=subprocess.PIPE, stderr=log, text=True)
        log.close()
        line = self.proc.stdout.readline()
        if not line.startswith("port="):
            self.stop()
            raise RuntimeError(f"{kind} did not start: {line!r} {self.log()}")
        self.port = int(line.strip().split("=", 1)[1])
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def log(self):
        try:
            return open(self.log_path).read()[-2000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.work, ignore_errors=True)


def client(service, endpoint):
    """A botocore client for one of the servers (the test's own set-up and
    checks: tables, buckets, reading back what the state machines wrote)."""
    import botocore.session
    from botocore.config import Config
    return botocore.session.get_session().create_client(
        service, endpoint_url=endpoint, region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}))


def create_table(ddb, name, key="id"):
    ddb.create_table(TableName=name, AttributeDefinitions=[{"AttributeName": key,
                                                            "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                     BillingMode="PAY_PER_REQUEST")
    deadline = time.time() + 10
    while ddb.describe_table(TableName=name)["Table"]["TableStatus"] != "ACTIVE":
        if time.time() > deadline:
            raise RuntimeError(f"table {name} not ACTIVE")
        time.sleep(0.05)


class SignatureChecker:
    """A loopback proxy in front of `upstream` that checks every request's
    SigV4 signature (service `service`, ACCESS_KEY_ID/SECRET_ACCESS_KEY,
    REGION) by recomputing it with botocore (S3's rules for s3: unencoded
    path, x-amz-content-sha256), then forwards it. A bad one gets a 403 and
    is kept in .problems; .checked counts the good ones and .requests lists
    them as (method, path) in arrival order. .endpoint is the proxy's URL."""

    def __init__(self, upstream, service):
        from botocore.auth import S3SigV4Auth, SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        checker = self
        self.problems = []
        self.checked = 0
        self.requests = []
        self.lock = threading.Lock()
        auth_class = S3SigV4Auth if service == "s3" else SigV4Auth

        def problem(handler, body):
            auth = handler.headers.get("Authorization", "")
            if not auth.startswith("AWS4-HMAC-SHA256 "):
                return f"no SigV4 Authorization header: {auth!r}"
            parts = dict(p.strip().split("=", 1)
                         for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
            scope = parts.get("Credential", "").split("/")
            if len(scope) != 5 or scope[0] != ACCESS_KEY_ID or scope[2] != REGION \
                    or scope[3] != service or scope[4] != "aws4_request":
                return f"wrong credential scope {parts.get('Credential')}"
            signed = parts.get("SignedHeaders", "").split(";")
            for must in ("host", "x-amz-date"):
                if must not in signed:
                    return f"{must} is not signed ({signed})"
            headers = {h: handler.headers[h] for h in signed if h in handler.headers}
            url = f"http://{handler.headers['Host']}{handler.path}"
            req = AWSRequest(method=handler.command, url=url, data=body, headers=headers)
            req.context["timestamp"] = handler.headers["X-Amz-Date"]
            signer = auth_class(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), service, REGION)
            canonical = signer.canonical_request(req)
            expected = signer.signature(signer.string_to_sign(req, canonical), req)
            if expected != parts.get("Signature"):
                return f"{handler.command} {handler.path}: signature mismatch; botocore's " \
                       f"canonical request:\n{canonical}"
            return None

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_any(self):
                n = int(self.headers.get("Content-Length", "0") or 0)
                body = self.rfile.read(n) if n else b""
                bad = problem(self, body)
                with checker.lock:
                    if bad:
                        checker.problems.append(bad)
                    else:
                        checker.checked += 1
                        checker.requests.append((self.command, self.path))
                if bad:
                    out = b'{"__type":"InvalidSignatureException","message":"bad signature"}'
                    self.send_response(403)
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                    return
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "content-length", "connection")}
                req = urllib.request.Request(upstream + self.path, method=self.command,
                                             data=body if n else None, headers=headers)
                try:
                    with urllib.request.urlopen(req, timeout=60) as r:
                        status, reply, reply_headers = r.status, r.read(), r.getheaders()
                except urllib.error.HTTPError as e:
                    status, reply, reply_headers = e.code, e.read(), list(e.headers.items())
                self.send_response(status)
                length = None
                for k, v in reply_headers:
                    low = k.lower()
                    if low == "content-length":
                        length = v
                    elif low not in ("connection", "transfer-encoding", "date", "server"):
                        self.send_header(k, v)
                if self.command == "HEAD":
                    self.send_header("Content-Length", length or "0")
                    self.end_headers()
                    return
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
