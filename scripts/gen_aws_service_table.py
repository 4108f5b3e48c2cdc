#!/usr/bin/env python3
"""Prints integrations/aws/service_table.inc from botocore's service models.

Usage: scripts/gen_aws_service_table.py BOTOCORE_CHECKOUT > integrations/aws/service_table.inc
       scripts/gen_aws_service_table.py --shapes BOTOCORE_CHECKOUT > integrations/aws/service_shapes.inc

For every service whose model speaks AWS JSON 1.0/1.1, plus S3 (REST-XML)
and SNS (query): the name aws-sdk Resources use, the service name AWS SDK
for Java v2 gives it (what Step Functions puts in error names and causes),
the protocol, JSON version, target prefix, signing name, endpoint prefix,
API version, the modeled exceptions (shape name, and the wire code when
it differs), the structure members of APIs written in camelCase (Step
Functions takes and shows them in PascalCase), the members holding timestamps (shown as
ISO-8601) and the operations, as aws-sdk Resources name them (getItem,
listObjectsV2: AWS refuses an action the service's SDK does not have). Also the header/URI/query bindings of S3's GetObject,
HeadObject, PutObject and ListObjectsV2 members.
The checked-in .inc is what builds; rerun this when botocore adds services.

With --shapes: for the same services, each operation's output shape and
every shape reachable from one (structures with their required members,
lists, maps, enums; plain scalars inlined as "@type"), for TestState's
check of a mocked result (mock.fieldValidationMode). Rows are separated by
newlines, fields by tabs, list items by \x1f:
  op<TAB>action<TAB>OutputShape
  S<TAB>Name<TAB>required members<TAB>Member=Target ...   (structure)
  L<TAB>Name<TAB>Target | M<TAB>Name<TAB>ValueTarget | E<TAB>Name<TAB>values
"""
import json
import os
import re
import sys


def split_words(text):
    """AWS SDK for Java v2's CodegenNamingUtils.splitOnWordBoundaries."""
    r = re.sub(r"[^A-Za-z0-9]+", " ", text)
    r = re.sub(r"([^a-z]{2,})v([0-9]+)", r"\1 v\2 ", r)
    r = re.sub(r"([^A-Z]{2,})V([0-9]+)", r"\1 V\2 ", r)
    r = " ".join(re.split(r"(?<=[a-z])(?=[A-Z]([a-zA-Z]|[0-9]))", r)[::2])
    r = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", r)
    r = re.sub(r"([0-9])([a-zA-Z])", r"\1 \2", r)
    return re.sub(r" +", " ", r).strip().split(" ")


def java_service_name(service_id):
    return "".join(w[:1].upper() + w[1:].lower() for w in split_words(service_id))


def java_method_name(operation):
    """AWS SDK for Java v2's Utils.unCapitalize: the action name aws-sdk
    Resources use ("GetItem" -> "getItem", "ListObjectsV2" -> "listObjectsV2")."""
    i, out = 0, ""
    while True:
        out += operation[i].lower()
        i += 1
        if not (i < len(operation) and operation[i].isupper()
                and not (i < len(operation) - 1 and operation[i + 1].islower())):
            break
    return out + operation[i:]


def latest_model(data_dir, name):
    versions = sorted(v for v in os.listdir(os.path.join(data_dir, name))
                      if os.path.exists(os.path.join(data_dir, name, v, "service-2.json")))
    if not versions:
        return None
    with open(os.path.join(data_dir, name, versions[-1], "service-2.json")) as f:
        return json.load(f)


def cstr(s):
    return '"' + (s or "").replace("\\", "\\\\").replace('"', '\\"') + '"'


SCALARS = {"string", "integer", "long", "boolean", "double", "float", "timestamp", "blob",
           "bigdecimal", "biginteger", "byte", "short"}


def is_service_row(name, model):
    md = model["metadata"]
    return ((md.get("protocol") == "json" and md.get("jsonVersion") in ("1.0", "1.1"))
            or name in ("s3", "sns"))


def output_shapes(model):
    """The shape rows of `model`'s operation outputs (see --shapes above)."""
    shapes = model["shapes"]
    sep = "\x1f"

    def named(ref):
        sh = shapes[ref]
        if sh.get("document"):
            return "@document"
        if sh["type"] in SCALARS and not sh.get("enum"):
            return "@" + sh["type"]
        return ref

    rows, seen = [], set()
    stack = []
    for op_name, op in sorted(model["operations"].items()):
        if "output" in op:
            rows.append(f"op\t{java_method_name(op_name)}\t{named(op['output']['shape'])}")
            stack.append(op["output"]["shape"])
    while stack:
        name = stack.pop()
        target = named(name)
        if target.startswith("@") or name in seen:
            continue
        seen.add(name)
        sh = shapes[name]
        kind = sh["type"]
        if kind == "structure":
            members = sh.get("members", {})
            rows.append("S\t" + name + "\t" + sep.join(sh.get("required", [])) + "\t" +
                        sep.join(f"{m}={named(r['shape'])}" for m, r in members.items()))
            stack += [r["shape"] for r in members.values()]
        elif kind == "list":
            rows.append(f"L\t{name}\t{named(sh['member']['shape'])}")
            stack.append(sh["member"]["shape"])
        elif kind == "map":
            rows.append(f"M\t{name}\t{named(sh['value']['shape'])}")
            stack.append(sh["value"]["shape"])
        elif sh.get("enum"):
            rows.append(f"E\t{name}\t" + sep.join(sh["enum"]))
    return "\n".join(rows)


def shapes_main(checkout):
    data_dir = os.path.join(checkout, "botocore", "data")
    rows = {}
    for name in sorted(os.listdir(data_dir)):
        if not os.path.isdir(os.path.join(data_dir, name)):
            continue
        model = latest_model(data_dir, name)
        if model is None or not is_service_row(name, model):
            continue
        resource = java_service_name(model["metadata"]["serviceId"]).lower()
        if resource not in rows:
            rows[resource] = output_shapes(model)
    print("// Generated by scripts/gen_aws_service_table.py --shapes from botocore's")
    print("// service models; included by service_shapes.cc. Do not edit by hand.")
    print("// {resource name, output shapes (see the script)}")
    print("#define SW_AWS_OUTPUT_SHAPES \\")
    for resource, text in sorted(rows.items()):
        print("  {" + cstr(resource) + ", " + cstr(text).replace("\n", "\\n")
              .replace("\t", "\\t").replace("\x1f", "\\037") + "}, \\")
    print()


def main():
    if sys.argv[1] == "--shapes":
        return shapes_main(sys.argv[2])
    data_dir = os.path.join(sys.argv[1], "botocore", "data")
    rows = {}
    s3 = None
    for name in sorted(os.listdir(data_dir)):
        if not os.path.isdir(os.path.join(data_dir, name)):
            continue
        model = latest_model(data_dir, name)
        if model is None:
            continue
        md = model["metadata"]
        protocol = md.get("protocol")
        if name == "s3":
            s3 = model
        if not ((protocol == "json" and md.get("jsonVersion") in ("1.0", "1.1"))
                or name in ("s3", "sns")):
            continue
        sdk = java_service_name(md["serviceId"])
        resource = sdk.lower()
        if resource in rows:
            print(f"skipping {name}: {resource} already taken", file=sys.stderr)
            continue
        exceptions = []
        for shape_name, shape in sorted(model["shapes"].items()):
            if not shape.get("exception"):
                continue
            code = (shape.get("error") or {}).get("code")
            exceptions.append(shape_name if not code or code == shape_name
                              else f"{shape_name}={code}")
        kind = {"json": "kJson", "rest-xml": "kRestXml", "query": "kQuery"}[protocol]
        camel, timestamps, members = set(), set(), set()
        if protocol == "json":
            for shape in model["shapes"].values():
                if shape.get("type") != "structure" or shape.get("exception"):
                    continue
                for member, ref in shape.get("members", {}).items():
                    members.add(member)
                    if member[:1].islower():
                        camel.add(member)
                    if model["shapes"][ref["shape"]].get("type") == "timestamp":
                        timestamps.add(member)
        # Only APIs written in camelCase get their names translated: in the
        # others a stray camelCase member is rare, and renaming it could touch
        # a map's keys (a DynamoDB item's "resource" attribute).
        if len(camel) * 2 < len(members):
            camel = set()
        rows[resource] = (resource, sdk, kind, md.get("jsonVersion", ""),
                          md.get("targetPrefix", ""), md.get("signingName") or md["endpointPrefix"],
                          md["endpointPrefix"], md["apiVersion"], " ".join(exceptions),
                          " ".join(sorted(camel)), " ".join(sorted(timestamps)),
                          " ".join(sorted(java_method_name(op) for op in model["operations"])))
    print("// Generated by scripts/gen_aws_service_table.py from botocore's service")
    print("// models; included by service_table.cc. Do not edit by hand.")
    print("// {resource name, SDK service name, protocol, JSON version, target prefix,")
    print("//  signing name, endpoint prefix, API version, exceptions, camelCase members,")
    print("//  timestamp members, operations}")
    print("#define SW_AWS_SERVICES \\")
    for r in sorted(rows.values()):
        print("  {" + ", ".join(cstr(x) if i != 2 else f"AwsProtocol::{x}"
                                for i, x in enumerate(r)) + "}, \\")
    print()
    print("// S3 members: {operation, member, location, wire name, type}")
    print("#define SW_S3_MEMBERS \\")
    for op in ("GetObject", "HeadObject", "PutObject", "ListObjectsV2"):
        for suffix, direction in (("Request", "in"), ("Output", "out")):
            shape = s3["shapes"].get(op + suffix)
            for member, ref in shape["members"].items():
                loc = ref.get("location") or ("payload" if member == shape.get("payload")
                                              else "body")
                wire = ref.get("locationName", member)
                mtype = s3["shapes"][ref["shape"]]["type"]
                print("  {" + ", ".join(cstr(x) for x in (op, direction, member, loc, wire, mtype))
                      + "}, \\")
    print()


if __name__ == "__main__":
    main()
