# Shared by the callback and nested-execution suites of tests/aws
# (approval_test.py, child_execution_test.py): the real stepwised as a child
# process that can be killed with SIGKILL and restarted on the same data
# directory and the same ports, the AWS CLI against its AWS JSON endpoint
# (output parsed as JSON, AWS error names picked from stderr), waiting and
# pass/fail bookkeeping. Single-threaded: one test script drives it.
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ACCOUNT = "arn:aws:states:us-east-1:123456789012"
ROLE = "arn:aws:iam::123456789012:role/stepwise"


def aws_bin_or_skip():
    """The AWS CLI to use ($AWS_BIN, default /usr/bin/aws); exits 77 (skip) without it."""
    path = os.environ.get("AWS_BIN", "/usr/bin/aws")
    if not os.access(path, os.X_OK):
        print(f"SKIP: {path} not installed (apt-get install awscli)")
        sys.exit(77)
    return path


class Checks:
    """Counts ok/FAIL lines; finish() removes the daemon's directory and exits 1
    when any check failed."""

    def __init__(self):
        self.fails = 0
        self.count = 0
        self.t0 = time.time()

    def check(self, what, cond, detail=""):
        self.count += 1
        if cond:
            print(f"ok   [{time.time() - self.t0:5.1f} s] {what}", flush=True)
        else:
            self.fails += 1
            print(f"FAIL [{time.time() - self.t0:5.1f} s] {what}: {detail}", flush=True)
        return cond

    def finish(self, daemon=None):
        if self.fails and daemon is not None:
            print("--- stepwised log (tail) ---")
            print(daemon.log_tail())
        if daemon is not None:
            daemon.cleanup()
        print(f"{self.count - self.fails}/{self.count} checks passed", flush=True)
        sys.exit(1 if self.fails else 0)


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


class Daemon:
    """stepwised on 127.0.0.1; start() picks free ports the first time and
    keeps them, so restarts answer on the same endpoint."""

    def __init__(self, stepwised, extra_args=()):
        self.stepwised = stepwised
        self.extra_args = list(extra_args)
        self.work = tempfile.mkdtemp(prefix="sw_callbacks_")
        self.data = os.path.join(self.work, "data")
        self.log_path = os.path.join(self.work, "stepwised.log")
        self.proc = None
        self.grpc_port = 0
        self.http_port = 0
        self.starts = 0

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.http_port}"

    def start(self):
        ports = os.path.join(self.work, "ports")
        deadline = time.time() + 20
        while True:
            if os.path.exists(ports):
                os.unlink(ports)
            log = open(self.log_path, "a")
            log.write(f"--- start {self.starts + 1} ---\n")
            log.flush()
            self.proc = subprocess.Popen(
                [self.stepwised, "--grpc-listen", f"127.0.0.1:{self.grpc_port}",
                 "--http-listen", f"127.0.0.1:{self.http_port}", "--ports-file", ports,
                 "--data-dir", self.data, "--log-level", "warn"] + self.extra_args,
                stdout=log, stderr=subprocess.STDOUT)
            log.close()
            while self.proc.poll() is None and "http=" not in _read(ports):
                time.sleep(0.02)
            if self.proc.poll() is None:
                break
            # It exited: the old ports may still be held for a moment.
            if time.time() > deadline:
                raise RuntimeError("stepwised did not start:\n" + self.log_tail())
            time.sleep(0.2)
        text = _read(ports)
        values = dict(line.split("=", 1) for line in text.split() if "=" in line)
        self.grpc_port = int(values["grpc"])
        self.http_port = int(values["http"])
        self.starts += 1

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def restart_after_kill9(self):
        self.kill9()
        self.start()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.work, ignore_errors=True)

    def log_tail(self, chars=4000):
        try:
            return open(self.log_path).read()[-chars:]
        except OSError:
            return ""


class Aws:
    """`aws stepfunctions` against a Daemon's endpoint (run, ok, error_of);
    the reads and set-up calls (describe, history, executions,
    create_machine) go through botocore, the library under the AWS CLI,
    which spares a CLI process per poll."""

    def __init__(self, aws_bin, daemon):
        self.aws_bin = aws_bin
        self.daemon = daemon
        self._client = None
        self._client_start = 0
        self.env = dict(os.environ, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x",
                        AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                        AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_PAGER="")

    def run(self, *args):
        """Returns (exit code, parsed stdout or None, stderr text)."""
        p = subprocess.run(
            [self.aws_bin, "--endpoint-url", self.daemon.endpoint, "--output", "json",
             "stepfunctions"] + [str(a) for a in args],
            capture_output=True, text=True, env=self.env, timeout=120)
        out = None
        if p.stdout.strip():
            try:
                out = json.loads(p.stdout)
            except ValueError:
                out = p.stdout
        return p.returncode, out, p.stderr

    def ok(self, *args):
        """The parsed output; raises with stderr when the call fails."""
        rc, out, err = self.run(*args)
        if rc != 0:
            raise RuntimeError(f"aws stepfunctions {' '.join(map(str, args))}: rc={rc} {err}")
        return out

    def error_of(self, *args):
        """The AWS error name of a failing call ("" when it succeeded)."""
        rc, _, err = self.run(*args)
        if rc == 0:
            return ""
        start = err.find("(")
        end = err.find(")", start)
        return err[start + 1:end] if start >= 0 and end > start else err.strip()

    def client(self):
        """A botocore client for the daemon as it runs now (a new one after a restart)."""
        if self._client is None or self._client_start != self.daemon.starts:
            import botocore.session
            from botocore.config import Config
            self._client = botocore.session.get_session().create_client(
                "stepfunctions", endpoint_url=self.daemon.endpoint, region_name="us-east-1",
                aws_access_key_id="x", aws_secret_access_key="x",
                config=Config(inject_host_prefix=False, connect_timeout=5, read_timeout=70,
                              retries={"max_attempts": 8, "mode": "standard"}))
            self._client_start = self.daemon.starts
        return self._client

    def api_error(self, operation, **params):
        """(AWS error name, message) of a failing botocore call, ("", "") when it succeeds."""
        from botocore.exceptions import ClientError
        try:
            getattr(self.client(), operation)(**params)
            return "", ""
        except ClientError as e:
            return e.response["Error"]["Code"], e.response["Error"].get("Message", "")

    def describe(self, execution_arn):
        return self.client().describe_execution(executionArn=execution_arn)

    def history(self, execution_arn):
        return self.client().get_execution_history(executionArn=execution_arn,
                                                   maxResults=1000)["events"]

    def wait_status(self, execution_arn, timeout=30, not_status="RUNNING"):
        """DescribeExecution once its status is not `not_status` (or the last seen)."""
        deadline = time.time() + timeout
        while True:
            d = self.describe(execution_arn)
            if d["status"] != not_status or time.time() > deadline:
                return d
            time.sleep(0.1)

    def create_machine(self, name, definition):
        text = definition if isinstance(definition, str) else json.dumps(definition)
        return self.client().create_state_machine(name=name, roleArn=ROLE,
                                                  definition=text)["stateMachineArn"]

    def executions(self, machine_arn):
        out = []
        for page in self.client().get_paginator("list_executions").paginate(
                stateMachineArn=machine_arn):
            out += page["executions"]
        return out


def wait_for(fn, timeout=30, interval=0.1):
    """fn()'s first truthy value within `timeout` seconds, else the last one."""
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v or time.time() > deadline:
            return v
        time.sleep(interval)
