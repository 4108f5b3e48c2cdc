# Calls of Stepwise's extensions on the AWS JSON endpoint (X-Amz-Target
# "Stepwise.<Action>", docs/aws-extensions.md), which AWS's SDKs do not
# model: the request is built and SigV4-signed by botocore's own
# AWSRequest and SigV4Auth, and sent with urllib. Shared by the search suites
# (tests/aws/search_test.py, tests/crash/search_crash_test.py).
import json
import urllib.error
import urllib.request


def stepwise_call(daemon, action, body):
    """(HTTP status, parsed body) of Stepwise.<action> with JSON `body`."""
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    data = json.dumps(body).encode()
    req = botocore.awsrequest.AWSRequest(
        method="POST", url=daemon.endpoint + "/", data=data,
        headers={"Content-Type": "application/x-amz-json-1.0",
                 "X-Amz-Target": "Stepwise." + action})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials("x", "x"), "states",
                            "us-east-1").add_auth(req)
    prepared = req.prepare()
    r = urllib.request.Request(prepared.url, data=data, method="POST",
                               headers=dict(prepared.headers.items()))
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def error_of(reply):
    """The AWS error name of a (status, body) reply; "" when it succeeded."""
    status, body = reply
    return body.get("__type", "").split("#")[-1] if status != 200 else ""
