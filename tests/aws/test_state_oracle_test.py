# TestState against AWS's recorded answers: every case of
# test_state_oracle/cases.json (requests rebuilt from LocalStack's TestState
# tests, answers AWS gave them as their snapshot files record) goes through
# boto3 to a real stepwised, and the answer is compared with AWS's: the
# same members, the same values (JSON text compared as JSON; the snapshot's
# placeholders such as <resource:1>, <region> and "date" match any text),
# the same error code and message. Prints each case and the pass count;
# fails when fewer than --min-pass cases match (the floor only goes up).
# Single-threaded. Usage: test_state_oracle_test.py STEPWISED [--min-pass N]
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sfn_daemon import Daemon  # noqa: E402

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError:
    print("SKIP: boto3 not installed")
    sys.exit(77)

PLACEHOLDER = re.compile(r"<[A-Za-z_]+(?::[0-9]+)?>|111111111111")


def parse(v):
    """JSON text parsed (recursively), so a member sent as text compares
    with the snapshot's parsed copy."""
    if isinstance(v, str):
        try:
            p = json.loads(v)
        except ValueError:
            return v
        return parse(p) if isinstance(p, (dict, list)) else p
    if isinstance(v, dict):
        return {k: parse(x) for k, x in v.items()}
    if isinstance(v, list):
        return [parse(x) for x in v]
    return v


def text_matches(expected, actual):
    if expected == "date":
        return isinstance(actual, str)
    if not PLACEHOLDER.search(expected):
        return expected == actual
    parts = PLACEHOLDER.split(expected)
    pattern = ".+?".join(re.escape(p) for p in parts)
    return isinstance(actual, str) and re.fullmatch(pattern, actual) is not None


def same(expected, actual, where="$"):
    """'' when `actual` matches `expected`, else where and how they differ."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{where}: expected an object, got {json.dumps(actual)}"
        if set(expected) != set(actual):
            return (f"{where}: members differ: missing {sorted(set(expected) - set(actual))}, "
                    f"extra {sorted(set(actual) - set(expected))}")
        for k in expected:
            d = same(expected[k], actual[k], f"{where}.{k}")
            if d:
                return d
        return ""
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(expected) != len(actual):
            return f"{where}: expected {json.dumps(expected)}, got {json.dumps(actual)}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            d = same(e, a, f"{where}[{i}]")
            if d:
                return d
        return ""
    if isinstance(expected, str):
        return "" if text_matches(expected, actual) else \
            f"{where}: expected {json.dumps(expected)}, got {json.dumps(actual)}"
    if isinstance(expected, bool) or isinstance(actual, bool):
        return "" if expected is actual else f"{where}: expected {expected}, got {actual}"
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return "" if float(expected) == float(actual) else f"{where}: expected {expected}, got {actual}"
    return "" if expected == actual else f"{where}: expected {expected!r}, got {actual!r}"


def run_case(client, case):
    aws = case["aws"]
    try:
        got = client.test_state(**case["request"])
    except ClientError as e:
        code = e.response["Error"]["Code"]
        message = e.response["Error"].get("Message", "")
        if "Error" in aws:
            want = (aws["Error"]["Code"], aws["Error"]["Message"])
            return "" if want == (code, message) else f"expected error {want}, got {(code, message)}"
        if "exception_typename" in aws:
            want = f"An error occurred ({aws['exception_typename']}) when calling the TestState operation: "
            return "" if aws["exception_value"] == want + message and code == aws["exception_typename"] \
                else f"expected {aws['exception_value']!r}, got {code}: {message}"
        return f"unexpected error {code}: {message}"
    if "Error" in aws or "exception_typename" in aws:
        return f"expected an error, got {json.dumps({k: v for k, v in got.items() if k != 'ResponseMetadata'})}"
    expected = parse({k: v for k, v in aws.items() if k != "ResponseMetadata"})
    actual = parse({k: v for k, v in got.items() if k != "ResponseMetadata"})
    return same(expected, actual)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stepwised")
    ap.add_argument("--min-pass", type=int, default=0)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "test_state_oracle", "cases.json")) as f:
        cases = json.load(f)["cases"]
    daemon = Daemon(args.stepwised)
    daemon.start()
    passed = 0
    try:
        client = boto3.client(
            "stepfunctions", endpoint_url=daemon.endpoint, region_name="us-east-1",
            aws_access_key_id="x", aws_secret_access_key="x",
            config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))
        for case in cases:
            if args.only and args.only not in case["id"]:
                continue
            diff = run_case(client, case)
            if diff:
                print(f"FAIL {case['id']}: {diff}")
            else:
                passed += 1
                print(f"ok   {case['id']}")
    finally:
        daemon.cleanup()
    total = len([c for c in cases if not args.only or args.only in c["id"]])
    print(f"{passed}/{total} TestState cases match AWS's recorded answers")
    sys.exit(0 if passed >= args.min_pass else 1)


if __name__ == "__main__":
    main()
