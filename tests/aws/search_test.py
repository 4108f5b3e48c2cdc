#!/usr/bin/env python3
# Search across executions against the real stepwised: the Stepwise.<Action>
# extensions on the AWS JSON endpoint, signed with botocore's own SigV4
# signer (PutIndexedFields, GetIndexedFields, SearchExecutions,
# CountExecutions), executions started and read with botocore, and the CLI
# (`stepwise machine index-fields`, `stepwise list --where [--count]`) over
# gRPC.
#  1. Two machines declare indexed fields (INPUT JSONPath, OUTPUT JSONata);
#     40 executions, some FAILED; every search is checked against the truth
#     kept here (which executions, newest first, pages of 7 via nextToken).
#  2. SIGKILL and restart: the same answers.
#  3. Refusals: a bad query (the column), a bad field (the member), an
#     unknown machine, a bad token.
#  4. The CLI's answers equal the endpoint's.
# Usage: search_test.py STEPWISED STEPWISE. Exits 77 without boto3.
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sfn_daemon import Aws, Checks, Daemon  # noqa: E402
from stepwise_ext import error_of, stepwise_call  # noqa: E402

try:
    import boto3  # noqa: F401
    import botocore  # noqa: F401
except ImportError:
    print("SKIP: boto3 not installed")
    sys.exit(77)

STEPWISED, STEPWISE = sys.argv[1], sys.argv[2]
ORDER = {"StartAt": "Check", "States": {
    "Check": {"Type": "Choice", "Choices": [
        {"Variable": "$.fail", "BooleanEquals": True, "Next": "Fail"}], "Default": "Done"},
    "Fail": {"Type": "Fail", "Error": "OrderFailed", "Cause": "asked to"},
    "Done": {"Type": "Pass", "Parameters": {"total.$": "$.amount", "tier": "gold"},
             "End": True}}}


def search_all(daemon, page_size=7, **params):
    """Every execution SearchExecutions finds, following nextToken; (names, pages)."""
    names, pages, token = [], 0, None
    while True:
        body = dict(params, maxResults=page_size)
        if token:
            body["nextToken"] = token
        status, out = stepwise_call(daemon, "SearchExecutions", body)
        if status != 200:
            raise RuntimeError(f"SearchExecutions {params}: {status} {out}")
        names += [e["name"] for e in out["executions"]]
        pages += 1
        token = out.get("nextToken")
        if not token or pages > 100:
            return names, pages


def cli(daemon, *args):
    p = subprocess.run([STEPWISE] + list(args) + ["--endpoint", f"127.0.0.1:{daemon.grpc_port}"],
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def main():
    checks = Checks()
    daemon = Daemon(STEPWISED)
    daemon.start()
    aws = Aws(None, daemon)
    try:
        orders = aws.create_machine("orders", ORDER)
        refunds = aws.create_machine("refunds", ORDER)
        fields = [{"name": "customerId", "source": "INPUT", "path": "$.customerId"},
                  {"name": "total", "source": "OUTPUT", "expression": "total"}]
        checks.check("PutIndexedFields answers {}",
                     stepwise_call(daemon, "PutIndexedFields",
                                   {"stateMachineArn": orders, "indexedFields": fields})
                     == (200, {}))
        stepwise_call(daemon, "PutIndexedFields",
                      {"stateMachineArn": refunds, "indexedFields": fields[:1]})
        got = stepwise_call(daemon, "GetIndexedFields", {"stateMachineArn": orders})
        checks.check("GetIndexedFields gives them back",
                     got == (200, {"indexedFields": fields}), got)

        # 40 executions, newest last here; the truth is kept as (name, machine,
        # customer, status, total).
        truth = []
        for i in range(40):
            machine = orders if i % 4 else refunds
            customer = f"c{i % 5}"
            fail = i % 7 == 0
            name = f"{'order' if machine == orders else 'refund'}-{i:02d}"
            aws.client().start_execution(
                stateMachineArn=machine, name=name,
                input=json.dumps({"customerId": customer, "amount": i, "fail": fail}))
            truth.append((name, machine, customer, "FAILED" if fail else "SUCCEEDED", i))
        for name, machine, *_ in truth:
            arn = machine.replace(":stateMachine:", ":execution:") + ":" + name
            aws.wait_status(arn)
        newest_first = list(reversed(truth))

        def expect(where, pred, machine=None):
            want = [t[0] for t in newest_first if pred(t)]
            params = {"query": where}
            if machine:
                params["stateMachineArn"] = machine
            names, pages = search_all(daemon, **params)
            count = stepwise_call(daemon, "CountExecutions", params)
            ok = names == want and count == (200, {"count": len(want)})
            checks.check(f"search {where!r}{' on ' + machine.split(':')[-1] if machine else ''}:"
                         f" {len(want)} executions in {pages} pages", ok,
                         f"got {names} count {count}, want {want}")

        def answers():
            expect('customerId = "c1"', lambda t: t[2] == "c1")
            expect('customerId = "c1" and status = FAILED',
                   lambda t: t[2] == "c1" and t[3] == "FAILED")
            expect('customerId = "c2"', lambda t: t[2] == "c2" and t[1] == orders, orders)
            expect('name starts with "refund-"', lambda t: t[0].startswith("refund-"))
            expect("total >= 30", lambda t: t[1] == orders and t[3] == "SUCCEEDED" and t[4] >= 30)
            expect('status = FAILED or customerId = "c4"',
                   lambda t: t[3] == "FAILED" or t[2] == "c4")
            expect("", lambda t: True)
            expect("stateMachine = refunds", lambda t: t[1] == refunds)

        answers()
        status, out = stepwise_call(daemon, "SearchExecutions",
                                    {"query": 'customerId = "c3"', "maxResults": 1})
        item = out["executions"][0] if status == 200 and out["executions"] else {}
        want_item = newest_first[[t[2] for t in newest_first].index("c3")]
        checks.check("a result row is a ListExecutions item with its indexedFields",
                     item.get("name") == want_item[0] and item.get("status") == want_item[3]
                     and item.get("stateMachineArn") == want_item[1]
                     and isinstance(item.get("startDate"), (int, float))
                     and item.get("indexedFields", {}).get("customerId") == "c3", item)

        daemon.restart_after_kill9()
        answers()

        # Refusals in AWS's shape.
        bad = stepwise_call(daemon, "SearchExecutions", {"query": "customerId ="})
        checks.check("a bad query is a ValidationException naming the column",
                     error_of(bad) == "ValidationException"
                     and bad[1].get("message") == "query: expected a value after '=' at column 13",
                     bad)
        bad = stepwise_call(daemon, "PutIndexedFields", {
            "stateMachineArn": orders,
            "indexedFields": [{"name": "ok", "source": "INPUT", "path": "$.a"},
                              {"name": "x-y", "source": "INPUT", "path": "$.b"}]})
        checks.check("a bad field name is a ValidationException naming the member",
                     error_of(bad) == "ValidationException"
                     and "indexedFields.2.member.name" in bad[1].get("message", ""), bad)
        checks.check("an unknown machine is StateMachineDoesNotExist",
                     error_of(stepwise_call(daemon, "SearchExecutions",
                                            {"stateMachineArn": orders + "-nope"}))
                     == "StateMachineDoesNotExist")
        checks.check("a bad nextToken is InvalidToken",
                     error_of(stepwise_call(daemon, "SearchExecutions",
                                            {"nextToken": "bm9wZQ"})) == "InvalidToken")
        checks.check("indexedFields must be a list (SerializationException)",
                     error_of(stepwise_call(daemon, "PutIndexedFields",
                                            {"stateMachineArn": orders, "indexedFields": 7}))
                     == "SerializationException")

        # The CLI, over gRPC.
        rc, out, err = cli(daemon, "list", "--where", 'customerId = "c1"', "--json")
        names = [e["name"] for e in json.loads(out)] if rc == 0 else err
        checks.check("stepwise list --where finds the same executions",
                     names == [t[0] for t in newest_first if t[2] == "c1"], names)
        rc, out, err = cli(daemon, "list", "orders", "--where", "status = FAILED", "--count")
        checks.check("stepwise list ARN --where --count counts one machine's",
                     rc == 0 and out.strip() == str(sum(1 for t in truth if t[1] == orders
                                                        and t[3] == "FAILED")), (rc, out, err))
        rc, out, err = cli(daemon, "machine", "index-fields", "refunds",
                           "customerId=input:$.customerId", "amount=input:{% amount %}")
        checks.check("stepwise machine index-fields sets and shows the fields",
                     rc == 0 and "amount" in out and "{% amount %}" in out
                     and "$.customerId" in out, (rc, out, err))
        got = stepwise_call(daemon, "GetIndexedFields", {"stateMachineArn": refunds})
        checks.check("... as the endpoint then tells",
                     got[1].get("indexedFields", [])[1:] ==
                     [{"name": "amount", "source": "INPUT", "expression": "amount"}], got)
        rc, out, err = cli(daemon, "list", "--where", "customerId =")
        checks.check("stepwise list --where with a bad query exits 1 naming the column",
                     rc == 1 and "column 13" in err, (rc, out, err))
    except Exception as e:  # noqa: BLE001
        checks.check("no exception", False, repr(e))
    checks.finish(daemon)


main()
