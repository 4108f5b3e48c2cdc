#!/usr/bin/env python3
# State machine versions and aliases against the real stepwised, through
# clients nobody here wrote: the AWS CLI (create-state-machine --publish,
# update-state-machine --publish, publish-state-machine-version,
# list-state-machine-versions, describe-state-machine on a version ARN,
# create/describe/update/list/delete-state-machine-alias) and boto3 for the
# rest: idempotent publish, revisionId conflicts, an alias routing 90/10
# between two versions over 1,000 StartExecution calls, executions naming
# their version and alias (DescribeExecution, ListExecutions and its
# version/alias filter), ConflictException deleting a routed version, the
# quotas with small configured limits, and everything surviving a SIGKILL
# and restart. An AWS CLI too old to know the version verbs (Debian's
# 2.9) is replaced by botocore, the library under the CLI, for those calls.
# Then `stepwise machine publish/versions` and `stepwise alias ...` over
# gRPC. Usage: versions_test.py STEPWISED STEPWISE. Exits 77 without boto3
# or the AWS CLI.
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sfn_daemon import ACCOUNT, ROLE, Aws, Checks, Daemon, aws_bin_or_skip  # noqa: E402

try:
    import boto3  # noqa: F401
    from botocore.config import Config  # noqa: F401
except ImportError:
    print("SKIP: boto3 not installed")
    sys.exit(77)

STEPWISED, STEPWISE = sys.argv[1], sys.argv[2]
AWS_BIN = aws_bin_or_skip()


def definition(result):
    return json.dumps({"StartAt": "P",
                       "States": {"P": {"Type": "Pass", "Result": result, "End": True}}})


c = Checks()


def cli(*args):
    p = subprocess.run([STEPWISE, *args, "--endpoint", f"127.0.0.1:{daemon.grpc_port}"],
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr

daemon = Daemon(STEPWISED)
daemon.extra_args = ["--max-versions-per-machine", "3", "--max-aliases-per-machine", "2"]
daemon.start()
aws = Aws(AWS_BIN, daemon)


def knows_versions(aws_bin):
    p = subprocess.run([aws_bin, "stepfunctions", "list-state-machine-versions"],
                       capture_output=True, text=True, env=aws.env, timeout=60)
    return "Invalid choice" not in p.stderr


CLI = next((b for b in [AWS_BIN, shutil.which("aws")] if b and knows_versions(b)), None)
if CLI:
    aws.aws_bin = CLI
print(f"version verbs through: {CLI or 'botocore (the AWS CLI here predates them)'}")


def call(cli_args, sdk_op, **params):
    """The AWS CLI's answer to `cli_args` when it knows them, else botocore's to sdk_op."""
    if CLI:
        return aws.ok(*cli_args)
    out = getattr(aws.client(), sdk_op)(**params)
    out.pop("ResponseMetadata", None)
    return json.loads(json.dumps(out, default=str))

try:
    sfn = aws.client
    # --- publish on create and update, through the AWS CLI ---
    made = call(["create-state-machine", "--name", "orders", "--definition", definition("one"),
                 "--role-arn", ROLE, "--publish", "--version-description", "first"],
                "create_state_machine", name="orders", definition=definition("one"),
                roleArn=ROLE, publish=True, versionDescription="first")
    machine = made["stateMachineArn"]
    v1 = made.get("stateMachineVersionArn")
    c.check("create-state-machine --publish names version 1", v1 == machine + ":1", made)
    upd = call(["update-state-machine", "--state-machine-arn", machine,
                "--definition", definition("two"), "--publish", "--version-description",
                "second"], "update_state_machine", stateMachineArn=machine,
               definition=definition("two"), publish=True, versionDescription="second")
    v2 = upd.get("stateMachineVersionArn")
    c.check("update-state-machine --publish names version 2",
            v2 == machine + ":2" and "revisionId" in upd, upd)
    listed = call(["list-state-machine-versions", "--state-machine-arn", machine],
                  "list_state_machine_versions", stateMachineArn=machine)
    c.check("list-state-machine-versions: newest first",
            [v["stateMachineVersionArn"] for v in listed["stateMachineVersions"]] == [v2, v1],
            listed)
    d1 = call(["describe-state-machine", "--state-machine-arn", v1], "describe_state_machine",
              stateMachineArn=v1)
    c.check("describe-state-machine on a version ARN: its definition and description",
            d1["stateMachineArn"] == v1 and json.loads(d1["definition"])["States"]["P"]["Result"]
            == "one" and d1.get("description") == "first" and d1.get("revisionId"), d1)
    latest = sfn().describe_state_machine(stateMachineArn=machine)
    c.check("describe-state-machine unqualified: the newest revision",
            json.loads(latest["definition"])["States"]["P"]["Result"] == "two", latest)

    # --- idempotent publish; revisionId must be the current one ---
    again = call(["publish-state-machine-version", "--state-machine-arn", machine],
                 "publish_state_machine_version", stateMachineArn=machine)
    c.check("publishing the current revision again returns its version",
            again["stateMachineVersionArn"] == v2, again)
    again = sfn().publish_state_machine_version(stateMachineArn=machine,
                                                revisionId=latest["revisionId"])
    c.check("... also with its revisionId", again["stateMachineVersionArn"] == v2, again)
    code, msg = aws.api_error("publish_state_machine_version", stateMachineArn=machine,
                              revisionId=d1["revisionId"])
    c.check("an old revisionId -> ConflictException", code == "ConflictException", (code, msg))
    c.check("no version was added",
            len(sfn().list_state_machine_versions(stateMachineArn=machine)
                ["stateMachineVersions"]) == 2)

    # --- an alias routing 90/10 ---
    routing = [{"stateMachineVersionArn": v1, "weight": 90},
               {"stateMachineVersionArn": v2, "weight": 10}]
    alias = call(["create-state-machine-alias", "--name", "live", "--description", "prod",
                  "--routing-configuration", json.dumps(routing)],
                 "create_state_machine_alias", name="live", description="prod",
                 routingConfiguration=routing)
    alias_arn = alias["stateMachineAliasArn"]
    c.check("create-state-machine-alias", alias_arn == machine + ":live", alias)
    desc = call(["describe-state-machine-alias", "--state-machine-alias-arn", alias_arn],
                "describe_state_machine_alias", stateMachineAliasArn=alias_arn)
    c.check("describe-state-machine-alias",
            desc["name"] == "live" and desc["description"] == "prod" and
            desc["routingConfiguration"] == [{"stateMachineVersionArn": v1, "weight": 90},
                                             {"stateMachineVersionArn": v2, "weight": 10}], desc)
    aliases = call(["list-state-machine-aliases", "--state-machine-arn", machine],
                   "list_state_machine_aliases", stateMachineArn=machine)
    c.check("list-state-machine-aliases",
            [a["stateMachineAliasArn"] for a in aliases["stateMachineAliases"]] == [alias_arn],
            aliases)
    counts = {v1: 0, v2: 0}
    started = []
    for i in range(1000):
        r = sfn().start_execution(stateMachineArn=alias_arn, name=f"r{i}")
        started.append(r["executionArn"])
    for arn in started:
        d = sfn().describe_execution(executionArn=arn)
        counts[d.get("stateMachineVersionArn")] = counts.get(d.get("stateMachineVersionArn"), 0) + 1
        if d.get("stateMachineAliasArn") != alias_arn or d["stateMachineArn"] != machine:
            c.check("every routed execution names the alias and the machine", False, d)
            break
    print(f"alias 90/10 over 1000 starts: {counts[v1]} on version 1, {counts[v2]} on version 2")
    c.check("1,000 starts through a 90/10 alias split 820..980 / 20..180",
            820 <= counts[v1] <= 980 and counts[v1] + counts[v2] == 1000, counts)
    last = aws.wait_status(started[-1])
    c.check("a routed execution runs its version's definition",
            last["output"] == json.dumps("one" if last["stateMachineVersionArn"] == v1
                                         else "two"), last)
    by_v2 = [e for p in sfn().get_paginator("list_executions").paginate(stateMachineArn=v2)
             for e in p["executions"]]
    c.check("list-executions with a version ARN lists that version's executions",
            len(by_v2) == counts[v2] and all(e["stateMachineVersionArn"] == v2 for e in by_v2),
            (len(by_v2), counts))
    by_alias = [e for p in sfn().get_paginator("list_executions").paginate(
        stateMachineArn=alias_arn) for e in p["executions"]]
    c.check("list-executions with an alias ARN lists the alias's executions",
            len(by_alias) == 1000 and all(e["stateMachineAliasArn"] == alias_arn
                                          for e in by_alias), len(by_alias))
    direct = sfn().start_execution(stateMachineArn=v2, name="direct")["executionArn"]
    dd = aws.wait_status(direct)
    c.check("StartExecution on a version ARN: that version, no alias",
            dd.get("stateMachineVersionArn") == v2 and "stateMachineAliasArn" not in dd and
            dd["output"] == json.dumps("two"), dd)
    plain = sfn().start_execution(stateMachineArn=machine, name="plain")["executionArn"]
    pd = aws.wait_status(plain)
    c.check("an unqualified start names no version",
            "stateMachineVersionArn" not in pd and pd["output"] == json.dumps("two"), pd)

    # --- a routed version cannot be deleted; unrouted it can ---
    code, msg = aws.api_error("delete_state_machine_version", stateMachineVersionArn=v1)
    c.check("deleting a version an alias routes to -> ConflictException naming the alias (by name, as AWS)",
            code == "ConflictException" and msg.endswith(": [live]"), (code, msg))
    only_v2 = [{"stateMachineVersionArn": v2, "weight": 100}]
    call(["update-state-machine-alias", "--state-machine-alias-arn", alias_arn,
          "--routing-configuration", json.dumps(only_v2)],
         "update_state_machine_alias", stateMachineAliasArn=alias_arn,
         routingConfiguration=only_v2)
    c.check("update-state-machine-alias", sfn().describe_state_machine_alias(
        stateMachineAliasArn=alias_arn)["routingConfiguration"] ==
        [{"stateMachineVersionArn": v2, "weight": 100}])
    call(["delete-state-machine-version", "--state-machine-version-arn", v1],
         "delete_state_machine_version", stateMachineVersionArn=v1)
    code, _ = aws.api_error("describe_state_machine", stateMachineArn=v1)
    c.check("a deleted version does not exist", code == "StateMachineDoesNotExist", code)
    code, _ = aws.api_error("start_execution", stateMachineArn=v1)
    c.check("StartExecution on a deleted version -> StateMachineDoesNotExist",
            code == "StateMachineDoesNotExist", code)

    # --- quotas (configured: 3 versions, 2 aliases per machine) ---
    sfn().update_state_machine(stateMachineArn=machine, definition=definition("three"),
                               publish=True)
    sfn().update_state_machine(stateMachineArn=machine, definition=definition("four"),
                               publish=True)
    code, msg = aws.api_error("update_state_machine", stateMachineArn=machine,
                              definition=definition("five"), publish=True)
    c.check("a 4th version over --max-versions-per-machine 3 -> ServiceQuotaExceededException",
            code == "ServiceQuotaExceededException", (code, msg))
    numbers = [v["stateMachineVersionArn"].rsplit(":", 1)[1] for v in
               sfn().list_state_machine_versions(stateMachineArn=machine)["stateMachineVersions"]]
    c.check("version numbers are never reused (1 deleted: 4, 3, 2)", numbers == ["4", "3", "2"],
            numbers)
    sfn().create_state_machine_alias(name="beta", routingConfiguration=[
        {"stateMachineVersionArn": machine + ":3", "weight": 100}])
    code, msg = aws.api_error("create_state_machine_alias", name="gamma", routingConfiguration=[
        {"stateMachineVersionArn": machine + ":3", "weight": 100}])
    c.check("a 3rd alias over --max-aliases-per-machine 2 -> ServiceQuotaExceededException",
            code == "ServiceQuotaExceededException", (code, msg))

    # --- a restart keeps everything ---
    before_versions = sfn().list_state_machine_versions(stateMachineArn=machine)
    before_alias = sfn().describe_state_machine_alias(stateMachineAliasArn=alias_arn)
    daemon.restart_after_kill9()
    after_versions = sfn().list_state_machine_versions(stateMachineArn=machine)
    after_alias = sfn().describe_state_machine_alias(stateMachineAliasArn=alias_arn)
    c.check("versions survive kill -9 and restart",
            after_versions["stateMachineVersions"] == before_versions["stateMachineVersions"])
    c.check("aliases survive kill -9 and restart",
            after_alias["routingConfiguration"] == before_alias["routingConfiguration"] and
            after_alias["description"] == "prod", after_alias)
    d = sfn().describe_execution(executionArn=started[0])
    c.check("executions keep their version and alias ARNs after a restart",
            d["stateMachineAliasArn"] == alias_arn and
            d["stateMachineVersionArn"] in (v1, v2), d)
    r = sfn().start_execution(stateMachineArn=alias_arn, name="after-restart")
    c.check("the alias routes after a restart",
            sfn().describe_execution(executionArn=r["executionArn"])
            ["stateMachineVersionArn"] == v2)

    # --- deleting the alias, then the machine, deletes its versions and aliases ---
    call(["delete-state-machine-alias", "--state-machine-alias-arn", alias_arn],
         "delete_state_machine_alias", stateMachineAliasArn=alias_arn)
    code, _ = aws.api_error("describe_state_machine_alias", stateMachineAliasArn=alias_arn)
    c.check("a deleted alias -> ResourceNotFound", code == "ResourceNotFound", code)
    sfn().delete_state_machine(stateMachineArn=machine)
    code, _ = aws.api_error("describe_state_machine", stateMachineArn=machine + ":3")
    c.check("deleting the machine deletes its versions", code == "StateMachineDoesNotExist",
            code)
    code, _ = aws.api_error("describe_state_machine_alias",
                            stateMachineAliasArn=machine + ":beta")
    c.check("... and its aliases", code == "ResourceNotFound", code)
    code, _ = aws.api_error("list_state_machine_versions",
                            stateMachineArn=f"{ACCOUNT}:stateMachine:nope")
    c.check("versions of an unknown machine -> StateMachineDoesNotExist",
            code == "StateMachineDoesNotExist", code)

    # --- stepwise machine publish / versions, stepwise alias (gRPC) ---
    other = sfn().create_state_machine(name="cli-orders", definition=definition("a"),
                                       roleArn=ROLE)["stateMachineArn"]
    rc, out, err = cli("machine", "publish", "cli-orders", "--description", "from the CLI")
    c.check("stepwise machine publish NAME", rc == 0 and out.strip() == other + ":1",
            (rc, out, err))
    sfn().update_state_machine(stateMachineArn=other, definition=definition("b"))
    rc, out, err = cli("machine", "publish", other, "--json")
    c.check("stepwise machine publish ARN --json",
            rc == 0 and json.loads(out)["stateMachineVersionArn"] == other + ":2", (rc, out, err))
    rc, out, err = cli("machine", "versions", "cli-orders", "--json")
    c.check("stepwise machine versions --json: newest first",
            rc == 0 and [v["stateMachineVersionArn"] for v in
                         json.loads(out)["stateMachineVersions"]] == [other + ":2", other + ":1"],
            (rc, out, err))
    rc, out, err = cli("alias", "create", "cli-orders", "live", "1=50", "2=50",
                       "--description", "half")
    c.check("stepwise alias create NAME ALIAS 1=50 2=50",
            rc == 0 and out.strip() == other + ":live", (rc, out, err))
    rc, out, err = cli("alias", "update", "cli-orders", "live", "2=100")
    rc2, out2, err2 = cli("alias", "describe", "cli-orders", "live", "--json")
    c.check("stepwise alias update, then describe --json",
            rc == 0 and rc2 == 0 and json.loads(out2)["routingConfiguration"] ==
            [{"stateMachineVersionArn": other + ":2", "weight": 100}] and
            json.loads(out2)["description"] == "half", (rc, err, out2, err2))
    rc, out, err = cli("alias", "list", "cli-orders")
    c.check("stepwise alias list", rc == 0 and other + ":live" in out, (rc, out, err))
    rc, out, err = cli("start", other + ":live", "--wait")
    c.check("stepwise start ALIAS_ARN --wait runs the routed version",
            rc == 0 and json.loads(out).get("output") == "b", (rc, out, err))
    rc, out, err = cli("alias", "create", "cli-orders", "bad", "1=50", "2=40")
    c.check("weights not summing to 100: exit 1 with AWS's error",
            rc == 1 and "ValidationException" in err, (rc, err))
    rc, out, err = cli("alias", "create", "cli-orders", "bad", "1")
    c.check("a route without '=': usage error (exit 2)", rc == 2, (rc, err))
    rc, out, err = cli("alias", "delete", "cli-orders", "live")
    rc2, _, err2 = cli("alias", "describe", "cli-orders", "live")
    c.check("stepwise alias delete", rc == 0 and rc2 == 1 and "ResourceNotFound" in err2,
            (rc, err, rc2, err2))
except Exception as e:  # noqa: BLE001
    import traceback
    traceback.print_exc()
    c.check("no exception", False, repr(e))
c.finish(daemon)
