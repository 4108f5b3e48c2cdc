# A minimal AWS Step Functions JSON 1.0 client for the compat tests: starts a
# stepwised on a data directory and calls its AWS endpoint with urllib (the
# server accepts unsigned calls when no keys or tokens are configured).
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request


class Stepwised:
    def __init__(self, binary, data_dir, work_dir):
        self.ports_file = os.path.join(work_dir, "ports")
        if os.path.exists(self.ports_file):
            os.remove(self.ports_file)
        self.log = open(os.path.join(work_dir, "stepwised.log"), "ab")
        self.proc = subprocess.Popen(
            [binary, "--data-dir", data_dir, "--grpc-listen", "127.0.0.1:0",
             "--http-listen", "127.0.0.1:0", "--ports-file", self.ports_file,
             "--log-level", "warn"],
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        while time.time() < deadline:
            if os.path.exists(self.ports_file) and os.path.getsize(self.ports_file) > 0:
                break
            if self.proc.poll() is not None:
                raise RuntimeError("stepwised exited at start-up")
            time.sleep(0.05)
        ports = dict(line.strip().split("=", 1) for line in open(self.ports_file) if "=" in line)
        self.endpoint = "http://127.0.0.1:" + ports["http"]

    def call(self, action, body):
        req = urllib.request.Request(self.endpoint + "/", data=json.dumps(body).encode(),
                                     method="POST", headers={
                                         "Content-Type": "application/x-amz-json-1.0",
                                         "X-Amz-Target": "AWSStepFunctions." + action})
        try:
            with urllib.request.urlopen(req, timeout=90) as r:
                return json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{action}: {e.code} {e.read().decode()}")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.log.close()
