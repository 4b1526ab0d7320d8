"""Drives the running local cloud's edge with boto3, as an application would.

Usage: python3 boto3_suite.py CONFIG.json

CONFIG holds the edge URL and the stack's names (see cli_test.go). Every check
raises on a mismatch, so the exit status says whether all passed; on success
the script prints one JSON object with the ID token it obtained from Cognito.
"""

import json
import sys
import time

import boto3
from botocore.config import Config


def check(cond, what, got=None):
    if not cond:
        raise AssertionError(f"{what}: got {got!r}")


def main():
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    edge = cfg["edge"]
    tag = cfg["tag"]

    def client(name, **kw):
        return boto3.client(name, endpoint_url=edge, region_name="us-east-1", **kw)

    # S3: the catalog.
    s3 = client("s3", config=Config(s3={"addressing_style": "path"}))
    body = s3.get_object(Bucket=cfg["bucket"], Key="Dragons.json")["Body"].read()
    catalog = json.loads(body)
    check(isinstance(catalog, list), "Dragons.json is a JSON array", type(catalog))
    names = [d.get("dragon_name_str") for d in catalog]
    check(cfg["dragonName"] in names, "Dragons.json holds the dragon posted in setup", names)

    # SSM: the bucket parameter.
    ssm = client("ssm")
    p = ssm.get_parameter(Name="/dragons/bucket")["Parameter"]
    check(p["Value"] == cfg["bucket"], "/dragons/bucket", p)

    # SQS: the workflow DLQ exists and holds nothing.
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName="dragons-workflow-dlq")["QueueUrl"]
    check(url == cfg["workflowDLQ"], "get_queue_url(dragons-workflow-dlq)", url)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=0)
    check(not got.get("Messages"), "the workflow DLQ is empty", got.get("Messages"))

    # EventBridge: a rule on the dragons bus delivers to a test queue.
    qname = f"client-{tag}-events"
    qurl = sqs.create_queue(QueueName=qname)["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=qurl, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    ev = client("events")
    ev.put_rule(Name=f"client-{tag}", EventBusName="dragons",
                EventPattern=json.dumps({"source": ["dragons.clients"], "detail-type": [f"check-{tag}"]}))
    t = ev.put_targets(Rule=f"client-{tag}", EventBusName="dragons", Targets=[{"Id": "q", "Arn": qarn}])
    check(t["FailedEntryCount"] == 0, "put_targets", t)
    r = ev.put_events(Entries=[{"EventBusName": "dragons", "Source": "dragons.clients", "DetailType": f"check-{tag}",
                                "Detail": json.dumps({"client": tag})}])
    check(r["FailedEntryCount"] == 0 and r["Entries"][0].get("EventId"), "put_events", r)
    msgs = sqs.receive_message(QueueUrl=qurl, MaxNumberOfMessages=10, WaitTimeSeconds=10).get("Messages", [])
    check(len(msgs) == 1, "one event delivered to the rule's queue", msgs)
    event = json.loads(msgs[0]["Body"])
    check(event["source"] == "dragons.clients" and event["detail-type"] == f"check-{tag}"
          and event["detail"] == {"client": tag} and event["id"] == r["Entries"][0]["EventId"], "delivered event", event)

    # Cognito: sign the local user in.
    idp = client("cognito-idp")
    auth = idp.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=cfg["clientId"],
                             AuthParameters={"USERNAME": cfg["username"], "PASSWORD": cfg["password"]})
    res = auth.get("AuthenticationResult") or {}
    check(res.get("IdToken", "").count(".") == 2 and res.get("AccessToken") and res.get("RefreshToken"),
          "initiate_auth tokens", auth)

    # Step Functions: the workflow.
    sfn = client("stepfunctions")
    machines = sfn.list_state_machines()["stateMachines"]
    arns = {m["stateMachineArn"]: m["type"] for m in machines}
    check(arns.get(cfg["stateMachineArn"]) == "EXPRESS", "list_state_machines", machines)
    d = sfn.describe_state_machine(stateMachineArn=cfg["stateMachineArn"])
    definition = json.loads(d["definition"])
    check(definition.get("StartAt") == "ValidateDragon" and "${" not in d["definition"]
          and cfg["validateFunctionArn"] in d["definition"], "describe_state_machine definition", d["definition"][:300])

    # Lambda: the functions, and ListDragons invoked with an API Gateway event.
    lam = client("lambda")
    fns = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    for fn in cfg["functions"]:
        check(fn in fns, f"list_functions has {fn}", fns)
    with open(cfg["eventFile"], "rb") as f:
        out = lam.invoke(FunctionName=cfg["listFunction"], Payload=f.read())
    check(out["StatusCode"] == 200 and "FunctionError" not in out, "invoke status", out)
    resp = json.loads(out["Payload"].read())
    listed = json.loads(resp["body"])
    check(resp["statusCode"] == 200 and listed and all(x["family_str"] == "red" for x in listed), "ListDragons answer", resp)

    # CloudWatch Logs: the function logs of the submit function.
    logs = client("logs")
    groups = [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]]
    group = "/aws/lambda/" + cfg["submitFunction"]
    check(group in groups, "describe_log_groups", groups)
    messages = [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]]
    for prefix in ("START RequestId:", "END RequestId:", "REPORT RequestId:"):
        check(any(m.startswith(prefix) for m in messages), f"a {prefix!r} line in {group}", messages[:10])

    # X-Ray: the setup POST's trace.
    xray = client("xray")
    now = time.time()
    ids = [s["Id"] for s in xray.get_trace_summaries(StartTime=cfg["since"], EndTime=now + 60)["TraceSummaries"]]
    check(cfg["traceId"] in ids, "get_trace_summaries has the POST's trace", ids)

    print(json.dumps({"idToken": res["IdToken"]}))


if __name__ == "__main__":
    main()
