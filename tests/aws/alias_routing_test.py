#!/usr/bin/env python3
# An alias routing 80/20 between two published versions, proved through the
# AWS CLI against the real stepwised: create-state-machine --publish and
# update-state-machine --publish make versions 1 and 2 (each Pass answers
# its own result), create-state-machine-alias routes 80/20, 1,000
# StartExecution calls on the alias ARN go out from 8 botocore threads at
# once (timed: under 30 s), then `aws stepfunctions list-executions
# --state-machine-arn ALIAS` (the CLI paging through all 1,000) shows each
# execution's stateMachineVersionArn and stateMachineAliasArn, the split
# within 5 points of 80/20, and `describe-execution` of 5 executions of each
# version names the version and the alias and ran that version's
# definition. An AWS CLI too old for the version verbs (Debian's 2.9) is
# replaced by botocore, the library under the CLI, for those calls.
# versions_test.py covers the rest of versions and aliases.
# Usage: alias_routing_test.py STEPWISED. Exits 77 without boto3 or the CLI.
import json
import os
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sfn_daemon import ROLE, Aws, Checks, Daemon, aws_bin_or_skip  # noqa: E402

try:
    import botocore.session
    from botocore.config import Config
except ImportError:
    print("SKIP: boto3 not installed")
    sys.exit(77)

STARTS = 1000
THREADS = 8


def definition(result):
    return json.dumps({"StartAt": "P",
                       "States": {"P": {"Type": "Pass", "Result": result, "End": True}}})


def main():
    aws_bin = aws_bin_or_skip()
    c = Checks()
    daemon = Daemon(sys.argv[1])
    daemon.start()
    aws = Aws(aws_bin, daemon)

    def knows_versions(path):
        p = subprocess.run([path, "stepfunctions", "list-state-machine-aliases", "help"],
                           capture_output=True, text=True, env=aws.env, timeout=60)
        return "Invalid choice" not in p.stderr

    cli = next((b for b in [aws_bin, shutil.which("aws")] if b and knows_versions(b)), None)
    if cli:
        aws.aws_bin = cli
    print(f"version verbs through: {cli or 'botocore (the AWS CLI here predates them)'}")

    def call(cli_args, sdk_op, **params):
        if cli:
            return aws.ok(*cli_args)
        out = getattr(aws.client(), sdk_op)(**params)
        out.pop("ResponseMetadata", None)
        return json.loads(json.dumps(out, default=str))

    try:
        made = call(["create-state-machine", "--name", "split", "--definition", definition("one"),
                     "--role-arn", ROLE, "--publish"],
                    "create_state_machine", name="split", definition=definition("one"),
                    roleArn=ROLE, publish=True)
        machine, v1 = made["stateMachineArn"], made["stateMachineVersionArn"]
        v2 = call(["update-state-machine", "--state-machine-arn", machine, "--definition",
                   definition("two"), "--publish"],
                  "update_state_machine", stateMachineArn=machine, definition=definition("two"),
                  publish=True)["stateMachineVersionArn"]
        c.check("two versions published", v1 == machine + ":1" and v2 == machine + ":2",
                (v1, v2))
        routing = [{"stateMachineVersionArn": v1, "weight": 80},
                   {"stateMachineVersionArn": v2, "weight": 20}]
        alias = call(["create-state-machine-alias", "--name", "canary", "--routing-configuration",
                      json.dumps(routing)],
                     "create_state_machine_alias", name="canary",
                     routingConfiguration=routing)["stateMachineAliasArn"]
        c.check("create-state-machine-alias 80/20", alias == machine + ":canary", alias)

        # 1,000 starts through the alias from 8 threads at once.
        arns, errors = [], []
        lock = threading.Lock()

        def starter(k):
            client = botocore.session.get_session().create_client(
                "stepfunctions", endpoint_url=daemon.endpoint, region_name="us-east-1",
                aws_access_key_id="x", aws_secret_access_key="x",
                config=Config(retries={"max_attempts": 1}, max_pool_connections=2))
            for i in range(k, STARTS, THREADS):
                try:
                    r = client.start_execution(stateMachineArn=alias, name=f"s{i}")
                    with lock:
                        arns.append(r["executionArn"])
                except Exception as e:  # noqa: BLE001 - counted below
                    with lock:
                        errors.append(repr(e))

        t0 = time.time()
        threads = [threading.Thread(target=starter, args=(k,)) for k in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.time() - t0
        print(f"{STARTS} starts through the alias from {THREADS} threads in {took:.1f} s")
        c.check("1,000 StartExecution calls on the alias acknowledged",
                len(arns) == STARTS and not errors, errors[:3])
        c.check("1,000 starts take under 30 s", took < 30, took)

        # Every execution through the AWS CLI's list-executions on the alias.
        listed = aws.ok("list-executions", "--state-machine-arn", alias)["executions"] if cli \
            else aws.executions(alias)
        by_arn = {e["executionArn"]: e for e in listed}
        c.check("list-executions on the alias lists all 1,000",
                len(listed) == STARTS and set(by_arn) == set(arns), len(listed))
        counts = {v1: 0, v2: 0, None: 0}
        for e in listed:
            counts[e.get("stateMachineVersionArn") if e.get("stateMachineVersionArn") in
                   (v1, v2) else None] += 1
        print(f"alias 80/20 over {STARTS} starts: {counts[v1]} on version 1, "
              f"{counts[v2]} on version 2, {counts[None]} on neither")
        c.check("each listed execution names a version of the two and the alias",
                counts[None] == 0 and all(e.get("stateMachineAliasArn") == alias
                                          for e in listed), counts[None])
        c.check("the split is within 5 points of 80/20 (750..850 on version 1)",
                750 <= counts[v1] <= 850 and counts[v1] + counts[v2] == STARTS, counts)

        # describe-execution (the AWS CLI) of 5 executions of each version.
        sample = ([a for a in arns if by_arn.get(a, {}).get("stateMachineVersionArn") == v1][:5]
                  + [a for a in arns if by_arn.get(a, {}).get("stateMachineVersionArn") == v2][:5])
        described = []
        for arn in sample:
            aws.wait_status(arn)
            described.append(aws.ok("describe-execution", "--execution-arn", arn))
        right = [d for d in described
                 if d.get("stateMachineAliasArn") == alias and d["stateMachineArn"] == machine
                 and d["status"] == "SUCCEEDED"
                 and d["stateMachineVersionArn"] == by_arn[d["executionArn"]][
                     "stateMachineVersionArn"]
                 and json.loads(d["output"]) == ("one" if d["stateMachineVersionArn"] == v1
                                                 else "two")]
        c.check("describe-execution names the version and alias and ran that version "
                "(5 of each)", len(sample) == 10 and len(right) == 10,
                [d for d in described if d not in right][:2])
    except Exception as e:  # noqa: BLE001 - reported as a failed check
        import traceback
        traceback.print_exc()
        c.check("no exception", False, repr(e))
    c.finish(daemon)


if __name__ == "__main__":
    main()
