#!/usr/bin/env python3
# Human approval (examples/approval) against the real stepwised: the test
# runs the README's "Human approval" block as written (it creates the
# machines, starts the example's worker approver.sh, which uses the AWS CLI,
# and starts an execution), reads the approve command the worker prints,
# kills stepwised with SIGKILL, restarts it on the same data directory and
# runs that exact command with the AWS CLI; the execution finishes with the
# sent output. Then AWS's errors for callback tokens: a forged (altered)
# token is InvalidToken, a token of a task already completed, or of one whose
# TimeoutSeconds or HeartbeatSeconds ran out (heartbeats across a SIGKILL),
# is TaskTimedOut; the printed reject command fails the execution as the
# Catch says. Error checks go through the AWS CLI where the user meets them
# and otherwise through botocore (the CLI's library), to stay fast.
# Usage: approval_test.py <stepwised> <repository root>. Exits 77 without
# the AWS CLI.
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sfn_daemon import ACCOUNT, Aws, Checks, Daemon, aws_bin_or_skip, wait_for  # noqa: E402

STEPWISED, ROOT = sys.argv[1], sys.argv[2]
EXAMPLE = os.path.join(ROOT, "examples", "approval")
AWS_BIN = aws_bin_or_skip()
INVALID = "Invalid Token: 'Invalid token'"
GONE = "Task Timed Out: 'Provided task does not exist anymore'"

c = Checks()
daemon = Daemon(STEPWISED)
aws = Aws(AWS_BIN, daemon)
readme = None


class ReadmeBlock:
    """The README's "Human approval" block (between <!-- approval:begin -->
    and <!-- approval:end -->), run as written by bash -e from a scratch copy
    of examples/approval, against our endpoint, with `aws` on PATH being
    AWS_BIN. The approver.sh it leaves running in the background writes to
    worker.out for the rest of the test; stop() ends its process group."""

    def __init__(self):
        self.dir = os.path.join(daemon.work, "readme")
        os.makedirs(os.path.join(self.dir, "bin"))
        os.makedirs(os.path.join(self.dir, "examples"))
        shutil.copytree(EXAMPLE, os.path.join(self.dir, "examples", "approval"))
        os.symlink(AWS_BIN, os.path.join(self.dir, "bin", "aws"))
        text = open(os.path.join(ROOT, "README.md")).read()
        begin, end = text.find("<!-- approval:begin -->"), text.find("<!-- approval:end -->")
        block = [line for line in text[begin:end].splitlines()[1:] if not line.startswith("```")]
        self.script = os.path.join(self.dir, "block.sh")
        open(self.script, "w").write("\n".join(block) + "\n")
        self.out = os.path.join(self.dir, "worker.out")
        self.proc = None

    def run(self):
        """Runs the block; returns (exit code, its output up to its end)."""
        env = dict(aws.env, STEPWISE_AWS_ENDPOINT=daemon.endpoint,
                   PATH=os.path.join(self.dir, "bin") + os.pathsep + os.environ["PATH"])
        with open(self.out, "w") as out, open(self.out + ".err", "w") as err:
            self.proc = subprocess.Popen(["bash", "-e", self.script], cwd=self.dir, env=env,
                                         stdout=out, stderr=err, start_new_session=True)
        rc = self.proc.wait(timeout=120)
        return rc, open(self.out).read()

    def request(self, execution_arn):
        """The lines approver.sh printed for `execution_arn`'s request, once complete."""
        def find():
            lines = open(self.out).read().splitlines()
            head = f"Approval requested by {execution_arn}"
            if head not in lines:
                return None
            block = lines[lines.index(head):lines.index(head) + 6]
            return block if len(block) == 6 and block[4] == "To reject:" else None
        return wait_for(find, timeout=60)

    def stop(self):
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


def printed_command(lines, heading):
    """The command printed under `heading` ("To approve:"), as argv with our AWS CLI."""
    argv = shlex.split(lines[lines.index(heading) + 1])
    if argv[0] != "aws":
        raise RuntimeError(f"not an aws command: {argv}")
    return [AWS_BIN] + argv[1:]


def run_printed(argv):
    p = subprocess.run(argv, capture_output=True, text=True, env=aws.env, timeout=60)
    return p.returncode, p.stderr


def token_of(argv):
    return argv[argv.index("--task-token") + 1]


def callback_token_of(execution_arn):
    """The callback token as the worker side sees it: in the input of the
    child that the parent's TaskSubmitted names (None before that)."""
    for e in aws.history(execution_arn):
        if e["type"] == "TaskSubmitted":
            child = json.loads(e["taskSubmittedEventDetails"]["output"])["ExecutionArn"]
            return json.loads(aws.describe(child)["input"])["TaskToken"]
    return None


def forge(token):
    """The token with one character in its middle changed."""
    i = len(token) // 2
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]


def expect_error(what, name, message, *args):
    """Through the AWS CLI: args are `aws stepfunctions` arguments."""
    rc, _, err = aws.run(*args)
    c.check(f"{what} -> {name}", rc != 0 and f"({name})" in err and message in err,
            f"rc={rc} {err.strip()}")


def expect_api_error(what, name, message, operation, **params):
    """Through botocore (the AWS CLI's library), without a CLI process."""
    got, text = aws.api_error(operation, **params)
    c.check(f"{what} -> {name}", got == name and message in text, f"{got}: {text}")


def main():
    global readme
    daemon.start()
    readme = ReadmeBlock()
    rc, out = readme.run()
    c.check("the README block runs (exit 0)", rc == 0, out + open(readme.out + ".err").read())
    approval_def = json.load(open(os.path.join(EXAMPLE, "approval.json")))
    approval = f"{ACCOUNT}:stateMachine:Approval"
    notify = f"{ACCOUNT}:stateMachine:NotifyApprover"
    ex = f"{ACCOUNT}:execution:Approval:laptop"
    c.check("the README block started Approval:laptop", ex in out, out)

    # ---- approve across a SIGKILL ----
    lines = readme.request(ex)
    if not c.check("the worker printed the request", lines is not None, open(readme.out).read()):
        return
    c.check("worker shows the request", lines[1] == '  request: {"item": "laptop", "amount": 1200}',
            lines)
    approve = printed_command(lines, "To approve:")
    token = token_of(approve)
    c.check("callback token: at most 2048 characters", 0 < len(token) <= 2048, len(token))
    c.check("the approve command is send-task-success on our endpoint",
            approve[1:4] == ["stepfunctions", "--endpoint-url", daemon.endpoint] and
            "send-task-success" in approve, approve)
    # The notification child ran once and ended; the parent waits (TaskSubmitted).
    children = wait_for(lambda: [e for e in aws.executions(notify) if e["status"] == "SUCCEEDED"])
    c.check("one NotifyApprover child, succeeded", len(aws.executions(notify)) == 1 and
            len(children) == 1, aws.executions(notify))
    child_input = json.loads(aws.describe(children[0]["executionArn"])["input"])
    c.check("the child got $$.Task.Token and the parent's id",
            child_input.get("TaskToken") == token and
            child_input.get("AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID") == ex, child_input)
    submitted = wait_for(lambda: [e for e in aws.history(ex) if e["type"] == "TaskSubmitted"])
    c.check("parent: TaskSubmitted", len(submitted) == 1, aws.history(ex))

    daemon.restart_after_kill9()
    c.check("after SIGKILL and restart the execution still waits",
            aws.describe(ex)["status"] == "RUNNING", aws.describe(ex))
    expect_error("forged token (one character altered)", "InvalidToken", INVALID,
                 "send-task-success", "--task-token", forge(token), "--task-output", "{}")
    expect_api_error("forged token: heartbeat", "InvalidToken", INVALID,
                     "send_task_heartbeat", taskToken=forge(token))
    expect_api_error("forged token: failure", "InvalidToken", INVALID,
                     "send_task_failure", taskToken=forge(token), error="x")
    expect_api_error("truncated token", "InvalidToken", INVALID,
                     "send_task_success", taskToken=token[:-3], output="{}")
    expect_api_error("not a token at all", "InvalidToken", INVALID,
                     "send_task_success", taskToken="NoSuchTaskToken", output="{}")
    expect_api_error("invalid output JSON", "InvalidOutput", "Invalid Output",
                     "send_task_success", taskToken=token, output="{not json")
    rc, err = run_printed(approve)
    c.check("the printed approve command succeeds after the restart", rc == 0, err)
    d = aws.wait_status(ex)
    c.check("execution SUCCEEDED with the sent output",
            d["status"] == "SUCCEEDED" and json.loads(d["output"]) ==
            {"item": "laptop", "amount": 1200, "decision": {"approved": True}}, d)
    types = [e["type"] for e in aws.history(ex)]
    c.check("history: Scheduled, Started, Submitted, Succeeded",
            [t for t in types if t.startswith("Task") and t != "TaskStateEntered" and
             t != "TaskStateExited"] ==
            ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"], types)
    # Stale: the task is completed.
    rc, err = run_printed(approve)
    c.check("stale token (task completed) -> TaskTimedOut",
            rc != 0 and "(TaskTimedOut)" in err and GONE in err, err)
    expect_api_error("stale token: failure", "TaskTimedOut", GONE,
                     "send_task_failure", taskToken=token, error="Rejected")
    expect_api_error("stale token: heartbeat", "TaskTimedOut", GONE,
                     "send_task_heartbeat", taskToken=token)

    # ---- reject ----
    ex2 = aws.ok("start-execution", "--state-machine-arn", approval, "--name", "chair",
                 "--input", json.dumps({"item": "chair", "amount": 90}))["executionArn"]
    lines = readme.request(ex2)
    rc, err = run_printed(printed_command(lines, "To reject:"))
    c.check("the printed reject command succeeds", rc == 0, err)
    d = aws.wait_status(ex2)
    c.check("rejected: FAILED with error Rejected and the approver's cause",
            d["status"] == "FAILED" and d.get("error") == "Rejected" and
            d.get("cause") == "Not approved", d)

    # ---- expired: TimeoutSeconds ----
    quick = json.loads(json.dumps(approval_def))
    quick["States"]["RequestApproval"]["TimeoutSeconds"] = 2
    quick_arn = aws.create_machine("ApprovalQuick", quick)
    ex3 = aws.ok("start-execution", "--state-machine-arn", quick_arn, "--name", "late",
                 "--input", "{}")["executionArn"]
    late = wait_for(lambda: callback_token_of(ex3))
    d = aws.wait_status(ex3, timeout=20)
    c.check("TimeoutSeconds ran out: FAILED with States.Timeout",
            d["status"] == "FAILED" and d.get("error") == "States.Timeout", d)
    c.check("history: TaskTimedOut", "TaskTimedOut" in [e["type"] for e in aws.history(ex3)],
            aws.history(ex3))
    expect_error("expired token (TimeoutSeconds)", "TaskTimedOut", GONE,
                 "send-task-success", "--task-token", late, "--task-output", "{}")

    # ---- expired: HeartbeatSeconds, heartbeats across a SIGKILL ----
    beat = json.loads(json.dumps(approval_def))
    beat["States"]["RequestApproval"]["HeartbeatSeconds"] = 5
    beat["States"]["RequestApproval"]["TimeoutSeconds"] = 60
    beat_arn = aws.create_machine("ApprovalHeartbeat", beat)
    ex4 = aws.ok("start-execution", "--state-machine-arn", beat_arn, "--name", "beat",
                 "--input", "{}")["executionArn"]
    beat_token = wait_for(lambda: callback_token_of(ex4))
    started = time.time()
    beats = 0
    while time.time() - started < 11:  # more than twice HeartbeatSeconds
        err, _ = aws.api_error("send_task_heartbeat", taskToken=beat_token)
        beats += err == ""
        if not c.check(f"send-task-heartbeat ({beats + (err != '')})", err == "", err):
            break
        if beats == 2:
            daemon.restart_after_kill9()
        time.sleep(1)
    c.check("heartbeats (and a SIGKILL) keep it RUNNING past HeartbeatSeconds",
            aws.describe(ex4)["status"] == "RUNNING", aws.describe(ex4))
    d = aws.wait_status(ex4, timeout=20)
    c.check("HeartbeatSeconds ran out: FAILED with States.Timeout",
            d["status"] == "FAILED" and d.get("error") == "States.Timeout", d)
    expect_api_error("expired token (HeartbeatSeconds)", "TaskTimedOut", GONE,
                     "send_task_success", taskToken=beat_token, output="{}")
    expect_api_error("expired token: heartbeat", "TaskTimedOut", GONE,
                     "send_task_heartbeat", taskToken=beat_token)

    # A token of one daemon is not valid on another (its own key).
    other = Daemon(STEPWISED)
    try:
        other.start()
        got, text = Aws(AWS_BIN, other).api_error("send_task_success", taskToken=beat_token,
                                                  output="{}")
        c.check("another server's token -> InvalidToken", got == "InvalidToken", f"{got}: {text}")
    finally:
        other.cleanup()


try:
    main()
except Exception as e:  # a step that could not run is a failure, with the log
    c.check("test ran to the end", False, repr(e))
finally:
    if readme is not None:
        readme.stop()
    daemon.stop()
c.finish(daemon)
