#!/usr/bin/env python3
# Tags of state machines and activities against the real stepwised, through
# clients nobody here wrote: the AWS CLI (tag-resource, untag-resource,
# list-tags-for-resource, create-state-machine --tags) and boto3 for AWS's
# refusals (51 tags -> TooManyTags with resourceName, characters outside
# AWS's pattern, the aws: prefix, an unknown resource, a version ARN, an
# execution ARN), then `stepwise tag/untag/tags` over gRPC. Tags survive a
# SIGKILL and restart on the same data directory; a deleted machine's tags
# go with it; TagResource and UntagResource are in the audit log.
# Usage: tags_test.py STEPWISED STEPWISE. Exits 77 without boto3 or the
# AWS CLI.
import json
import os
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
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})

c = Checks()
daemon = Daemon(STEPWISED)
audit_path = os.path.join(daemon.work, "audit.log")
daemon.extra_args = ["--audit-log", audit_path]
daemon.start()
aws = Aws(AWS_BIN, daemon)


def tags_of(arn):
    return aws.client().list_tags_for_resource(resourceArn=arn)["tags"]


def cli(*args):
    p = subprocess.run([STEPWISE, *args, "--endpoint", f"127.0.0.1:{daemon.grpc_port}"],
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


try:
    # --- the AWS CLI: tags at creation, tag, untag, list ---
    made = aws.ok("create-state-machine", "--name", "orders", "--definition", PASS,
                  "--role-arn", ROLE, "--tags", "key=team,value=payments", "key=env,value=")
    machine = made["stateMachineArn"]
    c.check("create-state-machine --tags",
            tags_of(machine) == [{"key": "team", "value": "payments"}, {"key": "env", "value": ""}],
            tags_of(machine))
    aws.ok("tag-resource", "--resource-arn", machine,
           "--tags", "key=team,value=risk", "key=Cost Center,value=34567")
    listed = aws.ok("list-tags-for-resource", "--resource-arn", machine)
    c.check("tag-resource replaces in place and appends",
            listed == {"tags": [{"key": "team", "value": "risk"}, {"key": "env", "value": ""},
                                {"key": "Cost Center", "value": "34567"}]}, listed)
    aws.ok("untag-resource", "--resource-arn", machine, "--tag-keys", "env", "not-there")
    c.check("untag-resource removes (absent keys are fine)",
            [t["key"] for t in tags_of(machine)] == ["team", "Cost Center"], tags_of(machine))
    activity = aws.ok("create-activity", "--name", "jobs",
                      "--tags", "key=owner,value=ops@example.com")["activityArn"]
    c.check("create-activity --tags",
            tags_of(activity) == [{"key": "owner", "value": "ops@example.com"}], tags_of(activity))
    # Idempotent creation keeps the tags there are (AWS's documented rule).
    again = aws.client().create_state_machine(name="orders", definition=PASS, roleArn=ROLE,
                                              tags=[{"key": "other", "value": "x"}])
    c.check("idempotent CreateStateMachine keeps its tags",
            again["stateMachineArn"] == machine and
            [t["key"] for t in tags_of(machine)] == ["team", "Cost Center"], tags_of(machine))
    aws.client().create_activity(name="jobs", tags=[{"key": "other", "value": "x"}])
    c.check("idempotent CreateActivity keeps its tags",
            [t["key"] for t in tags_of(activity)] == ["owner"], tags_of(activity))

    # --- AWS's refusals, through boto3 (botocore skips its own checks for
    # lengths; patterns are the server's) ---
    fifty = [{"key": f"k{i}", "value": "v"} for i in range(48)]
    aws.client().tag_resource(resourceArn=machine, tags=fifty)
    c.check("50 tags fit", len(tags_of(machine)) == 50, len(tags_of(machine)))
    from botocore.exceptions import ClientError
    try:
        aws.client().tag_resource(resourceArn=machine, tags=[{"key": "one-more", "value": "v"}])
        c.check("51st tag -> TooManyTags", False, "accepted")
    except ClientError as e:
        err = e.response["Error"]
        c.check("51st tag -> TooManyTags with resourceName",
                err["Code"] == "TooManyTags" and e.response.get("resourceName") == machine,
                e.response)
    c.check("refused TagResource changed nothing", len(tags_of(machine)) == 50)
    code, msg = aws.api_error("tag_resource", resourceArn=machine,
                              tags=[{"key": "team!", "value": "v"}])
    c.check("bad character -> ValidationException naming the pattern",
            code == "ValidationException" and "tags.1.member.key" in msg and "pattern" in msg,
            (code, msg))
    code, msg = aws.api_error("tag_resource", resourceArn=activity,
                              tags=[{"key": "aws:createdBy", "value": "me"}])
    c.check("aws: prefix -> ValidationException", code == "ValidationException" and "aws:" in msg,
            (code, msg))
    code, msg = aws.api_error("create_state_machine", name="toomany", definition=PASS,
                              roleArn=ROLE,
                              tags=[{"key": f"k{i}", "value": ""} for i in range(51)])
    c.check("CreateStateMachine with 51 tags -> TooManyTags", code == "TooManyTags", (code, msg))
    code, _ = aws.api_error("describe_state_machine",
                            stateMachineArn=f"{ACCOUNT}:stateMachine:toomany")
    c.check("... and nothing was created", code == "StateMachineDoesNotExist", code)
    unknown = f"{ACCOUNT}:stateMachine:nope"
    code, msg = aws.api_error("list_tags_for_resource", resourceArn=unknown)
    c.check("unknown machine -> ResourceNotFound",
            code == "ResourceNotFound" and msg == f"Resource not found: '{unknown}'", (code, msg))
    code, msg = aws.api_error("tag_resource", resourceArn=machine + ":1",
                              tags=[{"key": "k", "value": "v"}])
    c.check("version ARN -> ResourceNotFound (as AWS answers)", code == "ResourceNotFound",
            (code, msg))
    execution = aws.client().start_execution(stateMachineArn=machine)["executionArn"]
    code, msg = aws.api_error("list_tags_for_resource", resourceArn=execution)
    c.check("execution ARN -> InvalidArn",
            code == "InvalidArn" and "Resource type not valid in this context: execution" in msg,
            (code, msg))
    code, _ = aws.api_error("untag_resource", resourceArn="not-an-arn", tagKeys=["k"])
    c.check("malformed ARN -> InvalidArn", code == "InvalidArn", code)
    c.check("the AWS CLI names the error", aws.error_of(
        "list-tags-for-resource", "--resource-arn", unknown) == "ResourceNotFound")

    # --- stepwise tag / untag / tags (gRPC) ---
    rc, out, err = cli("tag", "jobs", "tier=gold", "note=a b=c")
    c.check("stepwise tag NAME KEY=VALUE...", rc == 0 and activity in out, (rc, out, err))
    rc, out, err = cli("tags", activity, "--json")
    c.check("stepwise tags --json",
            rc == 0 and json.loads(out)["tags"] == [{"key": "owner", "value": "ops@example.com"},
                                                    {"key": "tier", "value": "gold"},
                                                    {"key": "note", "value": "a b=c"}],
            (rc, out, err))
    rc, out, err = cli("untag", activity, "tier", "note")
    rc2, out2, _ = cli("tags", activity)
    c.check("stepwise untag, then the table",
            rc == 0 and rc2 == 0 and "owner" in out2 and "tier" not in out2, (rc, err, out2))
    rc, out, err = cli("tag", activity, "aws:x=1")
    c.check("stepwise tag refuses aws: (exit 1, AWS's error name)",
            rc == 1 and "error: ValidationException" in err, (rc, err))
    rc, out, err = cli("tag", activity, "novalue")
    c.check("stepwise tag without '=' is a usage error (exit 2)", rc == 2, (rc, err))

    # --- a restart keeps them; deleting a machine drops them ---
    before = tags_of(machine)
    daemon.restart_after_kill9()
    c.check("tags survive kill -9 and restart",
            tags_of(machine) == before and tags_of(activity) == [
                {"key": "owner", "value": "ops@example.com"}], tags_of(activity))
    aws.client().delete_state_machine(stateMachineArn=machine)
    code, _ = aws.api_error("list_tags_for_resource", resourceArn=machine)
    c.check("a deleted machine has no tags (ResourceNotFound)", code == "ResourceNotFound", code)

    # --- the audit log records TagResource and UntagResource with the ARN ---
    lines = [json.loads(x) for x in open(audit_path).read().splitlines() if x.strip()]
    seen = {(x["api"], x["action"], x["resource"], x["outcome"]) for x in lines}
    c.check("audit: TagResource over AWS JSON", ("aws", "TagResource", machine, "OK") in seen)
    c.check("audit: refused TagResource with its error",
            ("aws", "TagResource", machine, "TooManyTags") in seen)
    c.check("audit: UntagResource over AWS JSON", ("aws", "UntagResource", machine, "OK") in seen)
    c.check("audit: TagResource and UntagResource over gRPC",
            ("grpc", "TagResource", activity, "OK") in seen and
            ("grpc", "UntagResource", activity, "OK") in seen, sorted(seen))
    c.check("audit: ListTagsForResource is not recorded (it changes nothing)",
            not any(x["action"] == "ListTagsForResource" for x in lines))
except Exception as e:  # noqa: BLE001
    import traceback
    traceback.print_exc()
    c.check("no exception", False, repr(e))
c.finish(daemon)
