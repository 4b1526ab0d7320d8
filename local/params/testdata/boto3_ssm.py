"""Drives the local Parameter Store through boto3; exits non-zero on any mismatch."""
import sys

import boto3
from botocore.exceptions import ClientError

ssm = boto3.client("ssm", endpoint_url=sys.argv[1], region_name="us-east-1")

assert ssm.put_parameter(Name="/dragons/bucket", Value="b1", Type="String")["Version"] == 1
assert ssm.put_parameter(Name="/dragons/bucket", Value="b2", Type="String", Overwrite=True)["Version"] == 2
ssm.put_parameter(Name="/dragons/key", Value="Dragons.json", Type="String")
ssm.put_parameter(Name="/dragons/secret", Value="s3cret", Type="SecureString")

p = ssm.get_parameter(Name="/dragons/bucket:1")["Parameter"]
assert p["Value"] == "b1" and p["Selector"] == ":1", p
assert p["LastModifiedDate"].year >= 2024, p

try:
    ssm.put_parameter(Name="/dragons/bucket", Value="x", Type="String")
    raise SystemExit("overwrite without Overwrite succeeded")
except ssm.exceptions.ParameterAlreadyExists:
    pass

got = ssm.get_parameters(Names=["/dragons/key", "/dragons/nope"])
assert [x["Value"] for x in got["Parameters"]] == ["Dragons.json"], got
assert got["InvalidParameters"] == ["/dragons/nope"], got

names = []
for page in ssm.get_paginator("get_parameters_by_path").paginate(
    Path="/dragons", WithDecryption=True, PaginationConfig={"PageSize": 1}
):
    names += [(x["Name"], x["Value"]) for x in page["Parameters"]]
assert names == [("/dragons/bucket", "b2"), ("/dragons/key", "Dragons.json"), ("/dragons/secret", "s3cret")], names

deleted = ssm.delete_parameters(Names=["/dragons/key", "/dragons/nope"])
assert deleted["DeletedParameters"] == ["/dragons/key"] and deleted["InvalidParameters"] == ["/dragons/nope"], deleted

try:
    ssm.get_parameter(Name="/dragons/key")
    raise SystemExit("deleted parameter still readable")
except ClientError as e:
    assert e.response["Error"]["Code"] == "ParameterNotFound", e.response

print("boto3 ssm ok")
