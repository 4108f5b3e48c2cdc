#!/usr/bin/env python3
"""The AWS service integrations end to end against servers nobody here
wrote: dynalite (DynamoDB) and s3rver (S3) on loopback, each behind a
proxy that recomputes every request's SigV4 signature with botocore
(aws_servers.SignatureChecker), and stepwised's own AWS endpoint for
aws-sdk:sfn. A real stepwised starts with `--aws-endpoint dynamodb=…
--aws-endpoint s3=… --aws-endpoint sfn=<its own port>` and s3rver's
credentials in the standard environment variables; state machines run
through its AWS endpoint (botocore's Step Functions client):
- DynamoDB put/get/update/delete through the optimized integration
  (arn:aws:states:::dynamodb:*) and through aws-sdk:dynamodb:*, results
  compared with the shapes AWS returned in LocalStack's recordings
  (tests/aws/services/stepfunctions/v2/services/test_dynamodb_task_service
  and test_aws_sdk_task_service snapshots); a conditional put caught by
  DynamoDB.ConditionalCheckFailedException (optimized) and
  DynamoDb.ConditionalCheckFailedException (aws-sdk) with AWS's cause text;
- S3 putObject/getObject/headObject/listObjectsV2 through aws-sdk:s3, the
  objects read back with botocore; NoSuchKey caught as S3.NoSuchKeyException;
- aws-sdk:sfn startExecution/describeExecution against stepwised itself, and
  an unknown task token as Sfn.InvalidTokenException.
Usage: aws_servers_test.py <stepwised>. Exits 77 (skip) without botocore,
node or the servers (bash scripts/install-aws-servers.sh; installed under
CI=true), or when this stepwised has no --aws-endpoint.
"""
import hashlib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "aws"))
import aws_servers  # noqa: E402
from sfn_daemon import Aws, Checks, Daemon  # noqa: E402

TABLE = "stepwise-items"
BUCKET = "stepwise-bucket"
SDK_META = {"SdkHttpMetadata", "SdkResponseMetadata"}
REQUEST_ID = r"[^;,)]+"
# AWS's newer recordings end aws-sdk causes with the SDK's attempt count
# (Sfn.InvalidTokenException, recorded 2025-11), older ones do not
# (DynamoDb.ResourceNotFoundException): either is AWS's text.
ATTEMPTS = r"( \(SDK Attempt Count: \d+\))?"


def run(aws, checks, name, definition, payload, timeout=60):
    """Creates the machine, runs one execution; (DescribeExecution, output)."""
    arn = aws.create_machine(name, definition)
    ex = aws.client().start_execution(stateMachineArn=arn, input=json.dumps(payload))
    d = aws.wait_status(ex["executionArn"], timeout=timeout)
    out = json.loads(d["output"]) if d.get("output") else None
    if d["status"] != "SUCCEEDED":
        checks.check(f"{name}: SUCCEEDED", False,
                     f"{d['status']} {d.get('error')}: {d.get('cause')}")
    return d, out


def task(resource, parameters, result_path, nxt=None, **extra):
    state = {"Type": "Task", "Resource": resource, "Parameters": parameters,
             "ResultPath": result_path}
    state.update(extra)
    if nxt:
        state["Next"] = nxt
    else:
        state["End"] = True
    return state


def check_sdk_metadata(checks, what, out):
    """The optimized integrations' SdkHttpMetadata/SdkResponseMetadata (AWS's shape)."""
    meta = (out or {}).get("SdkHttpMetadata", {})
    checks.check(f"{what}: SdkHttpMetadata keys", set(meta) == {
        "AllHttpHeaders", "HttpHeaders", "HttpStatusCode"}, meta)
    checks.check(f"{what}: HttpStatusCode 200", meta.get("HttpStatusCode") == 200, meta)
    headers = {k.lower(): v for k, v in meta.get("HttpHeaders", {}).items()}
    checks.check(f"{what}: Content-Type in HttpHeaders",
                 headers.get("content-type", "").startswith("application/x-amz-json-1.0"),
                 headers)
    all_headers = meta.get("AllHttpHeaders", {})
    checks.check(f"{what}: AllHttpHeaders values are lists",
                 all_headers and all(isinstance(v, list) for v in all_headers.values()),
                 all_headers)
    rid = (out or {}).get("SdkResponseMetadata", {}).get("RequestId")
    checks.check(f"{what}: SdkResponseMetadata.RequestId", isinstance(rid, str) and rid, out)


def dynamodb_optimized(aws, checks, ddb):
    key = {"id": {"S": "opt1"}}
    item = {"id": {"S": "opt1"}, "data": {"S": "HelloWorld"}}
    r = "arn:aws:states:::dynamodb:"
    definition = {"StartAt": "PutItem", "States": {
        "PutItem": task(r + "putItem", {"TableName.$": "$.TableName", "Item.$": "$.Item"},
                        "$.putItemOutput", "GetItem"),
        "GetItem": task(r + "getItem", {"TableName.$": "$.TableName", "Key.$": "$.Key"},
                        "$.getItemOutput", "UpdateItem"),
        "UpdateItem": task(r + "updateItem", {
            "TableName.$": "$.TableName", "Key.$": "$.Key",
            "UpdateExpression.$": "$.UpdateExpression",
            "ExpressionAttributeValues.$": "$.ExpressionAttributeValues",
            "ReturnValues": "UPDATED_NEW"}, "$.updateItemOutput", "GetUpdated"),
        "GetUpdated": task(r + "getItem", {"TableName.$": "$.TableName", "Key.$": "$.Key"},
                           "$.getUpdatedOutput", "PutAgain"),
        "PutAgain": task(r + "putItem", {"TableName.$": "$.TableName", "Item.$": "$.Item",
                                         "ConditionExpression": "attribute_not_exists(id)"},
                         "$.conditionalOutput", "DeleteItem",
                         Catch=[{"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"],
                                 "ResultPath": "$.conditionalError", "Next": "DeleteItem"}]),
        "DeleteItem": task(r + "deleteItem", {"TableName.$": "$.TableName", "Key.$": "$.Key"},
                           "$.deleteItemOutput", "GetDeleted"),
        "GetDeleted": task(r + "getItem", {"TableName.$": "$.TableName", "Key.$": "$.Key"},
                           "$.getDeletedOutput"),
    }}
    d, out = run(aws, checks, "ddb-optimized", definition, {
        "TableName": TABLE, "Item": item, "Key": key, "UpdateExpression": "set S=:r",
        "ExpressionAttributeValues": {":r": {"S": "HelloWorldUpdated"}}})
    if out is None:
        return
    put = out.get("putItemOutput")
    checks.check("optimized putItem: only SDK metadata (AWS's shape)", set(put or {}) == SDK_META,
                 put)
    check_sdk_metadata(checks, "optimized putItem", put)
    got = out.get("getItemOutput", {})
    checks.check("optimized getItem: Item + SDK metadata", set(got) == SDK_META | {"Item"}, got)
    checks.check("optimized getItem: the item put", got.get("Item") == item, got)
    check_sdk_metadata(checks, "optimized getItem", got)
    upd = out.get("updateItemOutput", {})
    checks.check("optimized updateItem: Attributes UPDATED_NEW",
                 upd.get("Attributes") == {"S": {"S": "HelloWorldUpdated"}}, upd)
    checks.check("optimized updateItem: SDK metadata", set(upd) == SDK_META | {"Attributes"}, upd)
    checks.check("optimized getItem after update",
                 out.get("getUpdatedOutput", {}).get("Item") == dict(
                     item, S={"S": "HelloWorldUpdated"}), out.get("getUpdatedOutput"))
    err = out.get("conditionalError") or {}
    checks.check("optimized conditional put caught as DynamoDB.ConditionalCheckFailedException",
                 err.get("Error") == "DynamoDB.ConditionalCheckFailedException", out)
    checks.check("optimized conditional put: AWS's cause text", re.fullmatch(
        r"The conditional request failed \(Service: AmazonDynamoDBv2; Status Code: 400; "
        r"Error Code: ConditionalCheckFailedException; Request ID: " + REQUEST_ID +
        r"; Proxy: null\)", err.get("Cause", "")) is not None, err.get("Cause"))
    checks.check("optimized deleteItem: only SDK metadata",
                 set(out.get("deleteItemOutput") or {}) == SDK_META, out.get("deleteItemOutput"))
    checks.check("optimized getItem after delete: no Item",
                 "Item" not in out.get("getDeletedOutput", {"Item": 1}), out.get("getDeletedOutput"))
    checks.check("dynalite no longer holds the deleted item",
                 "Item" not in ddb.get_item(TableName=TABLE, Key=key), "")
    history = aws.history(d["executionArn"])
    scheduled = [e["taskScheduledEventDetails"] for e in history
                 if e["type"] == "TaskScheduled"]
    checks.check("optimized TaskScheduled: resourceType dynamodb, resource putItem",
                 scheduled and scheduled[0]["resourceType"] == "dynamodb"
                 and scheduled[0]["resource"] == "putItem", scheduled[:1])
    failed = [e["taskFailedEventDetails"] for e in history if e["type"] == "TaskFailed"]
    checks.check("optimized: one TaskFailed (the conditional put)",
                 len(failed) == 1 and failed[0]["resource"] == "putItem", failed)


def dynamodb_sdk(aws, checks, ddb):
    key = {"id": {"S": "sdk1"}}
    item = {"id": {"S": "sdk1"}, "data": {"S": "HelloWorld"}}
    r = "arn:aws:states:::aws-sdk:dynamodb:"
    definition = {"StartAt": "PutItem", "States": {
        "PutItem": task(r + "putItem", {"TableName.$": "$.TableName", "Item.$": "$.Item"},
                        "$.putItemOutput", "GetItem"),
        "GetItem": task(r + "getItem", {"TableName.$": "$.TableName", "Key.$": "$.Key"},
                        "$.getItemOutput", "UpdateItem"),
        "UpdateItem": task(r + "updateItem", {
            "TableName.$": "$.TableName", "Key.$": "$.Key",
            "UpdateExpression.$": "$.UpdateExpression",
            "ExpressionAttributeValues.$": "$.ExpressionAttributeValues",
            "ReturnValues": "UPDATED_NEW"}, "$.updateItemOutput", "PutAgain"),
        "PutAgain": task(r + "putItem", {"TableName.$": "$.TableName", "Item.$": "$.Item",
                                         "ConditionExpression": "attribute_not_exists(id)"},
                         "$.conditionalOutput", "DeleteItem",
                         Catch=[{"ErrorEquals": ["DynamoDb.ConditionalCheckFailedException"],
                                 "ResultPath": "$.conditionalError", "Next": "DeleteItem"}]),
        "DeleteItem": task(r + "deleteItem", {"TableName.$": "$.TableName", "Key.$": "$.Key"},
                           "$.deleteItemOutput", "NoTable"),
        "NoTable": task(r + "getItem", {"TableName": "no-such-table", "Key.$": "$.Key"},
                        "$.noTableOutput",
                        Catch=[{"ErrorEquals": ["DynamoDb.ResourceNotFoundException"],
                                "ResultPath": "$.noTableError", "Next": "Done"}]),
        "Done": {"Type": "Succeed"},
    }}
    d, out = run(aws, checks, "ddb-sdk", definition, {
        "TableName": TABLE, "Item": item, "Key": key, "UpdateExpression": "set S=:r",
        "ExpressionAttributeValues": {":r": {"S": "HelloWorldUpdated"}}})
    if out is None:
        return
    # AWS's aws-sdk results carry no SDK metadata: putItem {} , getItem {Item}.
    checks.check("aws-sdk putItem: {} (AWS's shape)", out.get("putItemOutput") == {},
                 out.get("putItemOutput"))
    checks.check("aws-sdk getItem: {Item}", out.get("getItemOutput") == {"Item": item},
                 out.get("getItemOutput"))
    checks.check("aws-sdk updateItem: {Attributes}", out.get("updateItemOutput") == {
        "Attributes": {"S": {"S": "HelloWorldUpdated"}}}, out.get("updateItemOutput"))
    err = out.get("conditionalError") or {}
    checks.check("aws-sdk conditional put caught as DynamoDb.ConditionalCheckFailedException",
                 err.get("Error") == "DynamoDb.ConditionalCheckFailedException", out)
    checks.check("aws-sdk conditional put: AWS's cause text", re.fullmatch(
        r"The conditional request failed \(Service: DynamoDb, Status Code: 400, Request ID: "
        + REQUEST_ID + r"\)" + ATTEMPTS, err.get("Cause", "")) is not None, err.get("Cause"))
    checks.check("aws-sdk deleteItem: {}", out.get("deleteItemOutput") == {},
                 out.get("deleteItemOutput"))
    nt = out.get("noTableError") or {}
    checks.check("aws-sdk unknown table: DynamoDb.ResourceNotFoundException",
                 nt.get("Error") == "DynamoDb.ResourceNotFoundException", out)
    checks.check("dynalite no longer holds the aws-sdk item",
                 "Item" not in ddb.get_item(TableName=TABLE, Key=key), "")
    history = aws.history(d["executionArn"])
    types = {e["taskScheduledEventDetails"]["resourceType"] for e in history
             if e["type"] == "TaskScheduled"}
    checks.check("aws-sdk TaskScheduled resourceType aws-sdk:dynamodb",
                 types == {"aws-sdk:dynamodb"}, types)


def s3_sdk(aws, checks, s3):
    # AWS's recordings (test_aws_sdk_task_service: test_s3_put_object[str]
    # and test_s3_get_object[str]): putObject of the string "text data"
    # stores its JSON text, "\"text data\"" (ETag 2b5df371…); getObject of an
    # object holding text data answers it as Body (ETag 332eec54…, 9 bytes).
    body = "text data"
    s3.put_object(Bucket=BUCKET, Key="plain.txt", Body=body.encode())
    r = "arn:aws:states:::aws-sdk:s3:"
    where = {"Bucket.$": "$.Bucket", "Key.$": "$.Key"}
    plain = {"Bucket.$": "$.Bucket", "Key": "plain.txt"}
    definition = {"StartAt": "PutObject", "States": {
        "PutObject": task(r + "putObject", dict(where, **{"Body.$": "$.Body"}),
                          "$.putObjectOutput", "PutJson"),
        "PutJson": task(r + "putObject", {"Bucket.$": "$.Bucket", "Key": "dir/doc.json",
                                          "Body": {"a": [1, 2], "b": "c"}},
                        "$.putJsonOutput", "GetObject"),
        "GetObject": task(r + "getObject", plain, "$.getObjectOutput", "GetPut"),
        "GetPut": task(r + "getObject", where, "$.getPutOutput", "HeadObject"),
        "HeadObject": task(r + "headObject", plain, "$.headObjectOutput", "List"),
        "List": task(r + "listObjectsV2", {"Bucket.$": "$.Bucket", "Prefix": "dir/"},
                     "$.listOutput", "Missing"),
        "Missing": task(r + "getObject", {"Bucket.$": "$.Bucket", "Key": "no/such/key"},
                        "$.missingOutput",
                        Catch=[{"ErrorEquals": ["S3.NoSuchKeyException"],
                                "ResultPath": "$.missingError", "Next": "Done"}]),
        "Done": {"Type": "Succeed"},
    }}
    d, out = run(aws, checks, "s3-sdk", definition,
                 {"Bucket": BUCKET, "Key": "dir/hello.txt", "Body": body})
    if out is None:
        return
    etag = '"%s"' % hashlib.md5(body.encode()).hexdigest()
    put_text = json.dumps(body)
    put_etag = '"%s"' % hashlib.md5(put_text.encode()).hexdigest()
    put = out.get("putObjectOutput") or {}
    checks.check("aws-sdk s3 putObject of a string: ETag of its JSON text (AWS's recording)",
                 put.get("ETag") == put_etag == '"2b5df3712557f503a9977a8ea893b2c9"', put)
    checks.check("aws-sdk s3 putObject: no SDK metadata", not (set(put) & SDK_META), put)
    stored = s3.get_object(Bucket=BUCKET, Key="dir/hello.txt")["Body"].read().decode()
    checks.check("s3rver holds the JSON text putObject wrote", stored == put_text, stored)
    got_put = out.get("getPutOutput") or {}
    checks.check("aws-sdk s3 getObject of it: Body is that text",
                 got_put.get("Body") == put_text and got_put.get("ETag") == put_etag, got_put)
    as_json = s3.get_object(Bucket=BUCKET, Key="dir/doc.json")["Body"].read().decode()
    checks.check("a JSON Body is stored as its JSON text",
                 json.loads(as_json) == {"a": [1, 2], "b": "c"}, as_json)
    got = out.get("getObjectOutput") or {}
    checks.check("aws-sdk s3 getObject: Body as text", got.get("Body") == body, got)
    checks.check("aws-sdk s3 getObject: ContentLength", got.get("ContentLength") == len(body), got)
    checks.check("aws-sdk s3 getObject: ETag (AWS's recording)",
                 got.get("ETag") == etag == '"332eec544317a6d340b8e77da7fe54ad"', got)
    checks.check("aws-sdk s3 getObject: LastModified, ContentType, Metadata",
                 {"LastModified", "ContentType", "Metadata"} <= set(got), got)
    # AWS's getObject result members (LocalStack's recorded getObject output).
    aws_members = {"AcceptRanges", "ContentLength", "ContentType", "ETag", "LastModified",
                   "Metadata", "ServerSideEncryption", "Body", "CacheControl",
                   "ContentDisposition", "ContentEncoding", "ContentLanguage", "Expires",
                   "VersionId", "StorageClass", "ChecksumCRC32", "ChecksumType",
                   "ContentRange", "Expiration", "WebsiteRedirectLocation"}
    checks.check("aws-sdk s3 getObject: only S3's member names", set(got) <= aws_members,
                 set(got) - aws_members)
    head = out.get("headObjectOutput") or {}
    checks.check("aws-sdk s3 headObject: ContentLength and ETag, no Body",
                 head.get("ContentLength") == len(body) and head.get("ETag") == etag
                 and "Body" not in head, head)
    listed = out.get("listOutput") or {}
    keys = sorted(c.get("Key") for c in listed.get("Contents", []))
    checks.check("aws-sdk s3 listObjectsV2: both keys under the prefix",
                 keys == ["dir/doc.json", "dir/hello.txt"], listed)
    checks.check("aws-sdk s3 listObjectsV2: KeyCount, Name, Prefix, IsTruncated",
                 listed.get("KeyCount") == 2 and listed.get("Name") == BUCKET
                 and listed.get("Prefix") == "dir/" and listed.get("IsTruncated") is False,
                 listed)
    sizes = {c.get("Key"): c.get("Size") for c in listed.get("Contents", [])}
    checks.check("aws-sdk s3 listObjectsV2: Size is a number",
                 sizes.get("dir/hello.txt") == len(put_text), sizes)
    missing = out.get("missingError") or {}
    checks.check("aws-sdk s3 missing key caught as S3.NoSuchKeyException",
                 missing.get("Error") == "S3.NoSuchKeyException", out)
    checks.check("aws-sdk s3 NoSuchKey: AWS's cause text", re.match(
        r"The specified key does not exist\.? \(Service: S3, Status Code: 404, Request ID: ",
        missing.get("Cause", "")) is not None, missing.get("Cause"))


def sfn_self(aws, checks):
    child = aws.create_machine("sfn-child", {"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Parameters": {"got.$": "$.n"}, "End": True}}})
    r = "arn:aws:states:::aws-sdk:sfn:"
    definition = {"StartAt": "Start", "States": {
        "Start": task(r + "startExecution", {"StateMachineArn": child, "Name.$": "$.name",
                                             "Input": {"n": 7}}, "$.started", "Wait"),
        "Wait": {"Type": "Wait", "Seconds": 1, "Next": "Describe"},
        "Describe": task(r + "describeExecution",
                         {"ExecutionArn.$": "$.started.ExecutionArn"}, "$.described",
                         "BadToken"),
        "BadToken": task(r + "sendTaskSuccess", {"TaskToken": "NoSuchTaskToken",
                                                 "Output": "{}"}, "$.tokenOutput",
                         Catch=[{"ErrorEquals": ["Sfn.InvalidTokenException"],
                                 "ResultPath": "$.tokenError", "Next": "Done"}]),
        "Done": {"Type": "Succeed"},
    }}
    d, out = run(aws, checks, "sfn-self", definition, {"name": "from-sdk-task"})
    if out is None:
        return
    started = out.get("started") or {}
    checks.check("aws-sdk sfn startExecution: {ExecutionArn, StartDate} (AWS's shape)",
                 set(started) == {"ExecutionArn", "StartDate"}
                 and started.get("ExecutionArn", "").endswith(":sfn-child:from-sdk-task"),
                 started)
    described = out.get("described") or {}
    checks.check("aws-sdk sfn describeExecution: the child SUCCEEDED with its output",
                 described.get("Status") == "SUCCEEDED"
                 and json.loads(described.get("Output", "null")) == {"got": 7}, described)
    token_error = out.get("tokenError") or {}
    checks.check("aws-sdk sfn unknown token: Sfn.InvalidTokenException",
                 token_error.get("Error") == "Sfn.InvalidTokenException", out)
    runs = aws.executions(child)
    checks.check("stepwised started exactly one child", len(runs) == 1, runs)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    stepwised = sys.argv[1]
    aws_servers.botocore_or_skip()
    modules = aws_servers.modules_dir_or_skip()
    aws_servers.aws_integrations_or_skip(stepwised)
    aws_servers.set_dummy_credentials()
    dynalite = aws_servers.Server(modules, "dynalite")
    s3rver = aws_servers.Server(modules, "s3rver", BUCKET)
    daemon = None
    proxies = []
    checks = Checks()
    try:
        ddb = aws_servers.client("dynamodb", dynalite.endpoint)
        s3 = aws_servers.client("s3", s3rver.endpoint)
        aws_servers.create_table(ddb, TABLE)
        signed_ddb = aws_servers.SignatureChecker(dynalite.endpoint, "dynamodb")
        signed_s3 = aws_servers.SignatureChecker(s3rver.endpoint, "s3")
        proxies += [signed_ddb, signed_s3]
        http_port = aws_servers.free_port()
        daemon = Daemon(stepwised, [
            "--aws-endpoint", f"dynamodb={signed_ddb.endpoint}",
            "--aws-endpoint", f"s3={signed_s3.endpoint}",
            "--aws-endpoint", f"sfn=http://127.0.0.1:{http_port}"])
        daemon.http_port = http_port
        daemon.start()
        aws = Aws(None, daemon)
        dynamodb_optimized(aws, checks, ddb)
        dynamodb_sdk(aws, checks, ddb)
        s3_sdk(aws, checks, s3)
        sfn_self(aws, checks)
        checks.check("stepwised still running", daemon.proc.poll() is None, daemon.log_tail())
        for name, proxy in (("DynamoDB", signed_ddb), ("S3", signed_s3)):
            checks.check(f"every {name} request carried a valid SigV4 signature "
                         f"({proxy.checked} checked)", proxy.checked > 0 and not proxy.problems,
                         proxy.problems[:2])
    except Exception as e:  # a failed call: report it, and still stop every process
        import traceback
        checks.check("no unexpected error", False, traceback.format_exc() or str(e))
    finally:
        for proxy in proxies:
            proxy.stop()
        dynalite.stop()
        s3rver.stop()
    checks.finish(daemon)


if __name__ == "__main__":
    sys.exit(main())
