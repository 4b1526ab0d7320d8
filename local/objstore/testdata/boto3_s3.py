"""Drives the local S3 with boto3: python3 boto3_s3.py ENDPOINT [VERIFY]

Exits non-zero (with a traceback) when any check fails; prints OK at the end.
"""
import hashlib
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError

endpoint = sys.argv[1]
verify = not (len(sys.argv) > 2 and sys.argv[2] == "noverify")
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    verify=verify,
    config=botocore.config.Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
)


def error_of(fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError("expected an error from %s" % fn.__name__)


s3.create_bucket(Bucket="boto")
body = b'{"name": "Smaug", "type": "fire"}'
put = s3.put_object(Bucket="boto", Key="dragons/smaug.json", Body=body, ContentType="application/json", Metadata={"Origin": "boto3"})
assert put["ETag"] == '"%s"' % hashlib.md5(body).hexdigest(), put["ETag"]

got = s3.get_object(Bucket="boto", Key="dragons/smaug.json", ChecksumMode="ENABLED")
assert got["Body"].read() == body
assert got["ContentType"] == "application/json", got["ContentType"]
assert got["Metadata"] == {"origin": "boto3"}, got["Metadata"]

part = s3.get_object(Bucket="boto", Key="dragons/smaug.json", Range="bytes=2-5")
assert part["Body"].read() == body[2:6]
assert part["ContentRange"] == "bytes 2-5/%d" % len(body), part["ContentRange"]

for key in ["dragons/a b.json", "dragons/nested/x.json", "top.txt"]:
    s3.put_object(Bucket="boto", Key=key, Body=b"x")
listed = s3.list_objects_v2(Bucket="boto", Prefix="dragons/", Delimiter="/")
assert [o["Key"] for o in listed["Contents"]] == ["dragons/a b.json", "dragons/smaug.json"], listed["Contents"]
assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["dragons/nested/"], listed["CommonPrefixes"]
pages = s3.get_paginator("list_objects_v2").paginate(Bucket="boto", PaginationConfig={"PageSize": 1})
assert [o["Key"] for p in pages for o in p.get("Contents", [])] == ["dragons/a b.json", "dragons/nested/x.json", "dragons/smaug.json", "top.txt"]

# Conditional writes.
etag = s3.put_object(Bucket="boto", Key="cond.json", Body=b"[]", IfNoneMatch="*")["ETag"]
assert error_of(s3.put_object, Bucket="boto", Key="cond.json", Body=b"[1]", IfNoneMatch="*") == ("PreconditionFailed", 412)
assert error_of(s3.put_object, Bucket="boto", Key="cond.json", Body=b"[1]", IfMatch='"0000"') == ("PreconditionFailed", 412)
assert error_of(s3.put_object, Bucket="boto", Key="missing.json", Body=b"[1]", IfMatch=etag) == ("NoSuchKey", 404)
s3.put_object(Bucket="boto", Key="cond.json", Body=b"[1]", IfMatch=etag)
assert s3.get_object(Bucket="boto", Key="cond.json")["Body"].read() == b"[1]"

assert error_of(s3.get_object, Bucket="boto", Key="nope") == ("NoSuchKey", 404)
assert error_of(s3.head_object, Bucket="boto", Key="nope")[1] == 404

s3.copy_object(Bucket="boto", Key="copy.json", CopySource={"Bucket": "boto", "Key": "dragons/a b.json"})
assert s3.get_object(Bucket="boto", Key="copy.json")["Body"].read() == b"x"

deleted = s3.delete_objects(Bucket="boto", Delete={"Objects": [{"Key": "top.txt"}, {"Key": "copy.json"}]})
assert sorted(d["Key"] for d in deleted["Deleted"]) == ["copy.json", "top.txt"], deleted

s3.put_bucket_versioning(Bucket="boto", VersioningConfiguration={"Status": "Enabled"})
v1 = s3.put_object(Bucket="boto", Key="v", Body=b"1")["VersionId"]
s3.put_object(Bucket="boto", Key="v", Body=b"2")
assert s3.get_object(Bucket="boto", Key="v", VersionId=v1)["Body"].read() == b"1"
versions = s3.list_object_versions(Bucket="boto", Prefix="v")
assert len(versions["Versions"]) == 2, versions

s3.upload_fileobj(__import__("io").BytesIO(b"z" * 100000), "boto", "uploaded.bin")
assert s3.head_object(Bucket="boto", Key="uploaded.bin")["ContentLength"] == 100000
print("OK")
