"""Drives the local EventBridge with boto3. Usage: boto3_events.py ENDPOINT QUEUE_ARN.

Prints the id of the event it published, then "boto3 events ok".
"""
import datetime
import json
import sys

import boto3
from botocore.exceptions import ClientError

endpoint, queue_arn = sys.argv[1], sys.argv[2]
events = boto3.client("events", endpoint_url=endpoint, region_name="us-east-1")

bus = events.create_event_bus(Name="boto-bus")
assert bus["EventBusArn"].endswith(":event-bus/boto-bus"), bus

pattern = {"source": ["boto.app"], "detail": {"n": [{"numeric": [">", 1]}]}}
rule = events.put_rule(Name="boto-rule", EventBusName="boto-bus", EventPattern=json.dumps(pattern))
assert rule["RuleArn"].endswith(":rule/boto-bus/boto-rule"), rule

put = events.put_targets(
    Rule="boto-rule",
    EventBusName="boto-bus",
    Targets=[{
        "Id": "q",
        "Arn": queue_arn,
        "RetryPolicy": {"MaximumRetryAttempts": 4, "MaximumEventAgeInSeconds": 120},
        "InputTransformer": {"InputPathsMap": {"n": "$.detail.n"}, "InputTemplate": '{"n": <n>, "id": <aws.events.event.json>}'},
    }],
)
assert put["FailedEntryCount"] == 0, put

described = events.describe_rule(Name="boto-rule", EventBusName="boto-bus")
assert json.loads(described["EventPattern"]) == pattern, described
targets = events.list_targets_by_rule(Rule="boto-rule", EventBusName="boto-bus")["Targets"]
assert targets[0]["RetryPolicy"]["MaximumRetryAttempts"] == 4, targets

out = events.put_events(Entries=[
    {"Source": "boto.app", "DetailType": "t", "Detail": json.dumps({"n": 2}), "EventBusName": "boto-bus",
     "Time": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)},
    {"Source": "boto.app", "DetailType": "t", "Detail": "not json", "EventBusName": "boto-bus"},
])
assert out["FailedEntryCount"] == 1, out
assert out["Entries"][1]["ErrorCode"] == "MalformedDetail", out

event = {"id": "1", "account": "000000000000", "source": "boto.app", "time": "2026-01-01T00:00:00Z",
         "region": "us-east-1", "resources": [], "detail-type": "t", "detail": {"n": 0}}
assert events.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(event))["Result"] is False
event["detail"]["n"] = 5
assert events.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(event))["Result"] is True

try:
    events.put_rule(Name="bad", EventPattern='{"source": "not-a-list"}')
    raise SystemExit("invalid pattern accepted")
except ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidEventPatternException", e.response
    assert "Event pattern is not valid" in e.response["Error"]["Message"], e.response

try:
    events.describe_rule(Name="nope")
    raise SystemExit("missing rule described")
except events.exceptions.ResourceNotFoundException:
    pass

print(out["Entries"][0]["EventId"])
print("boto3 events ok")
