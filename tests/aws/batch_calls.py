# Calls of Stepwise's batch operation extensions (X-Amz-Target
# Stepwise.<Action>, docs/aws-extensions.md) as a user makes them: a raw
# JSON 1.0 request signed with SigV4 by botocore's own signer, since AWS's
# SDKs do not know these actions. Used by batch_test.py and
# tests/crash/batch_crash_test.py; one caller thread per Daemon.
import json
import time
import urllib.error
import urllib.request


def extension(daemon, action, body=None):
    """(HTTP status, parsed reply) of Stepwise.<action> with `body` (a dict)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    data = json.dumps(body or {}).encode()
    req = AWSRequest(method="POST", url=daemon.endpoint + "/", data=data, headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "Stepwise." + action})
    SigV4Auth(Credentials("x", "x"), "states", "us-east-1").add_auth(req)
    prepared = urllib.request.Request(daemon.endpoint + "/", data=data, method="POST",
                                      headers=dict(req.headers.items()))
    try:
        with urllib.request.urlopen(prepared, timeout=60) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def call(daemon, action, body=None):
    """The reply of a call that must succeed."""
    status, out = extension(daemon, action, body)
    if status != 200:
        raise RuntimeError(f"Stepwise.{action} {body}: HTTP {status} {out}")
    return out


def error_of(daemon, action, body=None):
    """(error name, message) of a call that should fail; ("", "") when it succeeded."""
    status, out = extension(daemon, action, body)
    if status == 200:
        return "", ""
    name = out.get("__type", "")
    return name.split("#")[-1], out.get("message", out.get("Message", ""))


def wait_job(daemon, job_id, timeout=120):
    """DescribeBatchOperation once the job has left RUNNING (or the last seen)."""
    deadline = time.time() + timeout
    while True:
        d = call(daemon, "DescribeBatchOperation", {"batchOperationId": job_id})
        if d["status"] != "RUNNING" or time.time() > deadline:
            return d
        time.sleep(0.05)
