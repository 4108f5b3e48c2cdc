#!/usr/bin/env python3
"""Hostile Distributed Maps (issue 19) against a real stepwised on loopback.

At create: DISTRIBUTED Map definitions with bad ItemReader, ItemBatcher,
ResultWriter, ProcessorConfig, MaxConcurrency, tolerance and Label fields
(wrong types, negative and huge numbers, unknown fields, a Resource that is
not the one S3 action allowed there, a CSVDelimiter or InputType AWS does
not have) go through CreateStateMachine: each is refused with AWS's
InvalidDefinition naming the field (its name or its /States/... location),
and nothing is made.
At run time: a DISTRIBUTED Map over ItemsPath that is not an array, an
ItemReader naming a missing bucket or object, a malformed JSONL, CSV or
JSON object in s3rver, a Bucket of the wrong type from the input, and a
ResultWriter to a missing bucket: each execution FAILS with AWS's error
(States.Runtime, States.ItemReaderFailed, States.ResultWriterFailed) whose
cause names the field, the object or the line.
After every case the daemon still answers; the run ends with a clean
SIGTERM. s3rver (scripts/install-aws-servers.sh) stands in for S3; without
it the S3 run-time cases are skipped with a NOTE.
Usage: map_run_hostile_test.py <stepwised>. Exits 77 (skip) without
botocore, or when stepwised has no --aws-endpoint.
"""
import copy
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TESTS, "integrations"))
sys.path.insert(0, os.path.join(TESTS, "aws"))
import aws_servers  # noqa: E402
from sfn_daemon import ROLE, Aws, Checks, Daemon  # noqa: E402

BUCKET = "hostile-maps"
GET = "arn:aws:states:::s3:getObject"
PUT = "arn:aws:states:::s3:putObject"


def distributed(**fields):
    """A DISTRIBUTED Map state `Each` over a Pass child, `fields` merged in
    (a None value removes the field)."""
    state = {"Type": "Map", "Label": "each",
             "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED",
                                                   "ExecutionType": "STANDARD"},
                               "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
             "End": True}
    for k, v in fields.items():
        if v is None:
            state.pop(k, None)
        else:
            state[k] = v
    return {"StartAt": "Each", "States": {"Each": state}}


def reader(resource=GET, config=None, params=None, **extra):
    r = {"Resource": resource,
         "ReaderConfig": {"InputType": "JSONL"} if config is None else config,
         "Parameters": {"Bucket": BUCKET, "Key": "items.jsonl"} if params is None else params}
    r.update(extra)
    return r


def writer(resource=PUT, config=None, **extra):
    w = {"Resource": resource, "Parameters": {"Bucket": BUCKET, "Prefix": "out"}}
    if config is not None:
        w["WriterConfig"] = config
    w.update(extra)
    return w


def processor(config):
    d = distributed()
    p = copy.deepcopy(d["States"]["Each"]["ItemProcessor"])
    p["ProcessorConfig"] = config
    return distributed(ItemProcessor=p)


HUGE = 10 ** 30
# (name, definition, words one of which the refusal must contain)
CREATE_CASES = [
    # ItemReader
    ("ItemReader a string", distributed(ItemReader="s3://bucket/key"), ["ItemReader"]),
    ("ItemReader unknown field", distributed(ItemReader=reader(Bucket=BUCKET)), ["Bucket"]),
    ("ItemReader Resource a number", distributed(ItemReader=reader(resource=42)), ["Resource"]),
    ("ItemReader Resource not an ARN", distributed(ItemReader=reader(resource="s3:getObject")),
     ["Resource"]),
    ("ItemReader Resource another S3 action",
     distributed(ItemReader=reader(resource="arn:aws:states:::s3:deleteObject")), ["Resource"]),
    ("ItemReader Resource a Lambda function",
     distributed(ItemReader=reader(
         resource="arn:aws:lambda:us-east-1:123456789012:function:f")), ["Resource"]),
    ("ReaderConfig a list", distributed(ItemReader=reader(config=["JSONL"])), ["ReaderConfig"]),
    ("ReaderConfig InputType unknown", distributed(ItemReader=reader(config={"InputType": "XML"})),
     ["InputType"]),
    ("ReaderConfig InputType a number", distributed(ItemReader=reader(config={"InputType": 42})),
     ["InputType"]),
    ("ReaderConfig CSVDelimiter unknown", distributed(ItemReader=reader(config={
        "InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "CSVDelimiter": "COLON"})),
     ["CSVDelimiter"]),
    ("ReaderConfig CSVDelimiter the character itself", distributed(ItemReader=reader(config={
        "InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "CSVDelimiter": ","})),
     ["CSVDelimiter"]),
    ("ReaderConfig CSVHeaderLocation unknown", distributed(ItemReader=reader(config={
        "InputType": "CSV", "CSVHeaderLocation": "LAST_ROW"})), ["CSVHeaderLocation"]),
    ("ReaderConfig CSVHeaders a string", distributed(ItemReader=reader(config={
        "InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": "id,name"})),
     ["CSVHeaders"]),
    ("ReaderConfig CSVHeaders of numbers", distributed(ItemReader=reader(config={
        "InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": [1, 2]})),
     ["CSVHeaders"]),
    ("ReaderConfig MaxItems negative", distributed(ItemReader=reader(config={
        "InputType": "JSONL", "MaxItems": -1})), ["MaxItems"]),
    ("ReaderConfig MaxItems huge", distributed(ItemReader=reader(config={
        "InputType": "JSONL", "MaxItems": HUGE})), ["MaxItems"]),
    ("ReaderConfig MaxItems a string", distributed(ItemReader=reader(config={
        "InputType": "JSONL", "MaxItems": "10"})), ["MaxItems"]),
    ("ReaderConfig unknown field", distributed(ItemReader=reader(config={
        "InputType": "JSONL", "Compression": "GZIP"})), ["Compression"]),
    # ItemBatcher
    ("ItemBatcher a number", distributed(ItemBatcher=100), ["ItemBatcher"]),
    ("ItemBatcher MaxItemsPerBatch zero", distributed(ItemBatcher={"MaxItemsPerBatch": 0}),
     ["MaxItemsPerBatch"]),
    ("ItemBatcher MaxItemsPerBatch negative", distributed(ItemBatcher={"MaxItemsPerBatch": -5}),
     ["MaxItemsPerBatch"]),
    ("ItemBatcher MaxItemsPerBatch a string", distributed(ItemBatcher={"MaxItemsPerBatch": "10"}),
     ["MaxItemsPerBatch"]),
    ("ItemBatcher MaxItemsPerBatch huge", distributed(ItemBatcher={"MaxItemsPerBatch": HUGE}),
     ["MaxItemsPerBatch"]),
    ("ItemBatcher MaxItemsPerBatch a fraction",
     distributed(ItemBatcher={"MaxItemsPerBatch": 2.5}), ["MaxItemsPerBatch"]),
    ("ItemBatcher MaxInputBytesPerBatch negative",
     distributed(ItemBatcher={"MaxInputBytesPerBatch": -1}), ["MaxInputBytesPerBatch"]),
    ("ItemBatcher unknown field", distributed(ItemBatcher={"MaxItemsPerBatch": 10,
                                                           "MaxBatches": 3}), ["MaxBatches"]),
    # ResultWriter
    ("ResultWriter a string", distributed(ResultWriter="s3://bucket/out"), ["ResultWriter"]),
    ("ResultWriter Resource getObject", distributed(ResultWriter=writer(resource=GET)),
     ["Resource"]),
    ("ResultWriter Resource a number", distributed(ResultWriter=writer(resource=7)),
     ["Resource"]),
    ("ResultWriter unknown field", distributed(ResultWriter=writer(Bucket=BUCKET)), ["Bucket"]),
    ("ResultWriter WriterConfig a string", distributed(ResultWriter=writer(config="JSON")),
     ["WriterConfig"]),
    ("ResultWriter OutputType unknown",
     distributed(ResultWriter=writer(config={"OutputType": "CSV"})), ["OutputType"]),
    ("ResultWriter Transformation unknown",
     distributed(ResultWriter=writer(config={"OutputType": "JSON", "Transformation": "SQUASH"})),
     ["Transformation"]),
    ("ResultWriter WriterConfig unknown field",
     distributed(ResultWriter=writer(config={"OutputType": "JSON", "Compression": "GZIP"})),
     ["Compression"]),
    # ProcessorConfig
    ("ProcessorConfig Mode unknown", processor({"Mode": "SPREAD"}), ["Mode"]),
    ("ProcessorConfig ExecutionType unknown",
     processor({"Mode": "DISTRIBUTED", "ExecutionType": "FAST"}), ["ExecutionType"]),
    ("ProcessorConfig ExecutionType a number",
     processor({"Mode": "DISTRIBUTED", "ExecutionType": 1}), ["ExecutionType"]),
    ("ProcessorConfig unknown field",
     processor({"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD", "Workers": 4}), ["Workers"]),
    ("ProcessorConfig a string", processor("DISTRIBUTED"), ["ProcessorConfig"]),
    # MaxConcurrency, tolerances, Label
    ("MaxConcurrency negative", distributed(MaxConcurrency=-1), ["MaxConcurrency"]),
    ("MaxConcurrency a string", distributed(MaxConcurrency="5"), ["MaxConcurrency"]),
    ("MaxConcurrency huge", distributed(MaxConcurrency=HUGE), ["MaxConcurrency"]),
    ("MaxConcurrency a fraction", distributed(MaxConcurrency=2.5), ["MaxConcurrency"]),
    ("MaxConcurrency and MaxConcurrencyPath", distributed(MaxConcurrency=2,
                                                          MaxConcurrencyPath="$.c"),
     ["MaxConcurrency"]),
    ("ToleratedFailurePercentage over 100", distributed(ToleratedFailurePercentage=150),
     ["ToleratedFailurePercentage"]),
    ("ToleratedFailurePercentage negative", distributed(ToleratedFailurePercentage=-1),
     ["ToleratedFailurePercentage"]),
    ("ToleratedFailurePercentage a string", distributed(ToleratedFailurePercentage="5"),
     ["ToleratedFailurePercentage"]),
    ("ToleratedFailureCount negative", distributed(ToleratedFailureCount=-1),
     ["ToleratedFailureCount"]),
    ("ToleratedFailureCount huge", distributed(ToleratedFailureCount=HUGE),
     ["ToleratedFailureCount"]),
    ("ToleratedFailureCount a fraction", distributed(ToleratedFailureCount=1.5),
     ["ToleratedFailureCount"]),
    ("ToleratedFailureCountPath not a path", distributed(ToleratedFailureCountPath="count"),
     ["ToleratedFailureCountPath"]),
    ("Label empty", distributed(Label=""), ["Label"]),
    ("Label a number", distributed(Label=3), ["Label"]),
    ("Label with a forbidden character", distributed(Label="a b"), ["Label"]),
]


def run_cases(with_s3):
    """(name, definition, input, S3 objects to put first {key: bytes}, errors
    allowed (regex), words one of which the cause must contain)."""
    out = [
        ("ItemsPath a string", distributed(ItemsPath="$.items"), {"items": "abc"}, {},
         r"States\.Runtime", ["ItemsPath", "array"]),
        ("ItemsPath a number", distributed(ItemsPath="$.items"), {"items": 7}, {},
         r"States\.Runtime", ["ItemsPath", "array"]),
        ("ItemsPath missing", distributed(ItemsPath="$.nothing"), {"items": [1]}, {},
         r"States\.Runtime", ["ItemsPath", "nothing"]),
    ]
    if not with_s3:
        return out
    jsonl = reader()
    return out + [
        ("ItemReader missing bucket", distributed(ItemReader=reader(
            params={"Bucket": "no-such-bucket", "Key": "items.jsonl"})), {}, {},
         r"States\.ItemReaderFailed", ["no-such-bucket"]),
        ("ItemReader missing object", distributed(ItemReader=reader(
            params={"Bucket": BUCKET, "Key": "no/such.jsonl"})), {}, {},
         r"States\.ItemReaderFailed", ["no/such.jsonl"]),
        ("ItemReader malformed JSONL", distributed(ItemReader=jsonl), {},
         {"items.jsonl": b'{"a":1}\n{"a":2}\n{"a":\n{"a":4}\n'},
         r"States\.ItemReaderFailed", ["line 3"]),
        ("ItemReader binary garbage as JSONL", distributed(ItemReader=reader(
            params={"Bucket": BUCKET, "Key": "garbage.jsonl"})), {},
         {"garbage.jsonl": bytes(range(256)) * 4},
         r"States\.ItemReaderFailed", ["garbage.jsonl", "line 1"]),
        ("ItemReader CSV with an unterminated quote", distributed(ItemReader=reader(
            config={"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
            params={"Bucket": BUCKET, "Key": "bad.csv"})), {},
         {"bad.csv": b'id,name\n1,"open quote\n2,two\n'},
         r"States\.ItemReaderFailed", ["bad.csv", "quote"]),
        ("ItemReader JSON neither an array nor an object", distributed(ItemReader=reader(
            config={"InputType": "JSON"}, params={"Bucket": BUCKET, "Key": "scalar.json"})), {},
         {"scalar.json": b'"just a string"'},
         r"States\.ItemReaderFailed", ["scalar.json", "array or object"]),
        ("ItemReader JSON truncated", distributed(ItemReader=reader(
            config={"InputType": "JSON"}, params={"Bucket": BUCKET, "Key": "cut.json"})), {},
         {"cut.json": b'[1,2,{"a":'},
         r"States\.ItemReaderFailed", ["cut.json"]),
        ("ItemReader Bucket a number from the input", distributed(ItemReader=reader(
            params={"Bucket.$": "$.bucket", "Key": "items.jsonl"})), {"bucket": 42}, {},
         r"States\.(ItemReaderFailed|Runtime)", ["Bucket"]),
        ("ResultWriter to a missing bucket", distributed(
            ItemsPath="$.items",
            ResultWriter={"Resource": PUT, "Parameters": {"Bucket": "no-such-out",
                                                          "Prefix": "out"}}),
         {"items": [1, 2, 3]}, {}, r"States\.ResultWriterFailed", ["no-such-out"]),
    ]


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    stepwised = sys.argv[1]
    aws_servers.botocore_or_skip()
    aws_servers.aws_integrations_or_skip(stepwised)
    aws_servers.set_dummy_credentials()
    modules = aws_servers.modules_dir()
    s3rver = aws_servers.Server(modules, "s3rver", BUCKET) if modules else None
    if s3rver is None:
        print("NOTE: s3rver not installed (bash scripts/install-aws-servers.sh): the S3 "
              "run-time cases are skipped", flush=True)
    extra = ["--aws-endpoint", f"s3={s3rver.endpoint}"] if s3rver else []
    daemon = Daemon(stepwised, extra)
    checks = Checks()
    try:
        daemon.start()
        aws = Aws(None, daemon)
        s3 = aws_servers.client("s3", s3rver.endpoint) if s3rver else None
        if s3:
            s3.put_object(Bucket=BUCKET, Key="items.jsonl", Body=b'{"a":1}\n')

        def still_answers(name):
            checks.check(f"{name}: the daemon still answers",
                         daemon.proc.poll() is None
                         and aws.api_error("list_state_machines") == ("", ""), daemon.log_tail())

        for i, (name, definition, words) in enumerate(CREATE_CASES):
            code, message = aws.api_error("create_state_machine", name=f"hostile-map-{i}",
                                          roleArn=ROLE, definition=json.dumps(definition))
            checks.check(f"{name}: refused at create with InvalidDefinition",
                         code == "InvalidDefinition", f"{code}: {message[:300]}")
            checks.check(f"{name}: the refusal names the field",
                         any(w in message for w in words), message[:300])
            still_answers(name)
        made = aws.client().list_state_machines()["stateMachines"]
        checks.check("no refused definition made a state machine", made == [],
                     [m["name"] for m in made])
        # The same definitions with the bad member fixed are accepted: the
        # refusals were for the field, not for the rest of the definition.
        code, message = aws.api_error(
            "create_state_machine", name="hostile-map-fine", roleArn=ROLE,
            definition=json.dumps(distributed(
                ItemReader=reader(config={"InputType": "CSV", "CSVHeaderLocation": "GIVEN",
                                          "CSVHeaders": ["id"], "CSVDelimiter": "PIPE",
                                          "MaxItems": 10}),
                ItemBatcher={"MaxItemsPerBatch": 10, "MaxInputBytesPerBatch": 1024},
                ResultWriter=writer(config={"OutputType": "JSONL", "Transformation": "COMPACT"}),
                MaxConcurrency=5, ToleratedFailurePercentage=5, ToleratedFailureCount=2)))
        checks.check("the same fields with good values are accepted", code == "",
                     f"{code}: {message[:300]}")

        for i, (name, definition, payload, objects, errors, words) in enumerate(
                run_cases(s3 is not None)):
            for key, body in objects.items():
                s3.put_object(Bucket=BUCKET, Key=key, Body=body)
            arn = aws.create_machine(f"hostile-map-run-{i}", definition)
            ex = aws.client().start_execution(stateMachineArn=arn, input=json.dumps(payload))
            d = aws.wait_status(ex["executionArn"], timeout=60)
            error, cause = d.get("error", ""), d.get("cause", "")
            checks.check(f"{name}: FAILED", d["status"] == "FAILED",
                         f"{d['status']} {d.get('output', '')[:200]}")
            checks.check(f"{name}: error {error!r} is AWS's",
                         re.fullmatch(errors, error or "") is not None, f"{error}: {cause[:300]}")
            checks.check(f"{name}: the cause names the field, object or line",
                         any(w in cause for w in words), cause[:300])
            still_answers(name)
        daemon.stop()
        checks.check("clean exit on SIGTERM", daemon.proc.returncode == 0,
                     daemon.proc.returncode)
    except Exception:
        import traceback
        checks.check("no unexpected error", False, traceback.format_exc())
    finally:
        if s3rver:
            s3rver.stop()
    checks.finish(daemon)


if __name__ == "__main__":
    sys.exit(main())
