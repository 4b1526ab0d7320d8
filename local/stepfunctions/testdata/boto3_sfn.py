"""boto3 against the local Step Functions: python3 boto3_sfn.py ENDPOINT_URL.

StartSyncExecution and TestState carry the endpoint trait hostPrefix "sync-";
Config(inject_host_prefix=False) keeps them on the local endpoint.
"""
import json
import sys
import time

import boto3
from botocore.config import Config

endpoint = sys.argv[1]
sfn = boto3.client("stepfunctions", endpoint_url=endpoint, config=Config(inject_host_prefix=False))
role = "arn:aws:iam::000000000000:role/boto3"
definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "done", "ResultPath": "$.p", "End": True}}})

std = sfn.create_state_machine(name="boto3-std", definition=definition, roleArn=role)["stateMachineArn"]
express = sfn.create_state_machine(name="boto3-express", definition=definition, roleArn=role, type="EXPRESS")["stateMachineArn"]

started = sfn.start_execution(stateMachineArn=std, name="b1", input='{"from":"boto3"}')
for _ in range(400):
    desc = sfn.describe_execution(executionArn=started["executionArn"])
    if desc["status"] != "RUNNING":
        break
    time.sleep(0.01)
assert desc["status"] == "SUCCEEDED", desc
assert json.loads(desc["output"]) == {"from": "boto3", "p": "done"}, desc

out = sfn.start_sync_execution(stateMachineArn=express, input='{"n":1}')
assert out["status"] == "SUCCEEDED", out
assert json.loads(out["output"]) == {"n": 1, "p": "done"}, out
assert ":express:boto3-express:" in out["executionArn"], out

try:
    sfn.describe_execution(executionArn=out["executionArn"])
    raise AssertionError("describe of an Express execution succeeded")
except sfn.exceptions.InvalidArn:
    pass
try:
    sfn.start_sync_execution(stateMachineArn=std)
    raise AssertionError("sync start of a Standard machine succeeded")
except sfn.exceptions.StateMachineTypeNotSupported:
    pass

print("boto3 sfn ok")
