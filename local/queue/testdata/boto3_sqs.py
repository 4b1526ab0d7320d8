"""Drives the local SQS through boto3: python3 boto3_sqs.py ENDPOINT_URL.

Exits non-zero with a message on the first mismatch; prints a JSON summary when
everything behaved."""
import base64
import hashlib
import json
import struct
import sys

import boto3
from botocore.exceptions import ClientError


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def attrs_md5(attrs):
    """SQS's message attribute digest, written out independently."""
    buf = b""
    for name in sorted(attrs):
        a = attrs[name]
        def lp(b):
            return struct.pack(">I", len(b)) + b
        buf += lp(name.encode()) + lp(a["DataType"].encode())
        if "StringValue" in a:
            buf += b"\x01" + lp(a["StringValue"].encode())
        else:
            buf += b"\x02" + lp(a["BinaryValue"])
    return hashlib.md5(buf).hexdigest()


def main():
    c = boto3.client("sqs", endpoint_url=sys.argv[1], region_name="us-east-1")
    url = c.create_queue(QueueName="boto3-q", Attributes={"VisibilityTimeout": "45"})["QueueUrl"]
    if not url.startswith(sys.argv[1]):
        fail("queue URL %s not on the endpoint" % url)
    attrs = {
        "color": {"DataType": "String", "StringValue": "grün"},
        "n": {"DataType": "Number", "StringValue": "7"},
        "raw": {"DataType": "Binary", "BinaryValue": b"\x00\xffdata"},
    }
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
    sent = c.send_message(QueueUrl=url, MessageBody="hello boto3", MessageAttributes=attrs,
                          MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": trace}})
    if sent["MD5OfMessageBody"] != hashlib.md5(b"hello boto3").hexdigest():
        fail("body digest %s" % sent["MD5OfMessageBody"])
    if sent["MD5OfMessageAttributes"] != attrs_md5(attrs):
        fail("attribute digest %s, want %s" % (sent["MD5OfMessageAttributes"], attrs_md5(attrs)))
    if sent["MD5OfMessageSystemAttributes"] != attrs_md5({"AWSTraceHeader": {"DataType": "String", "StringValue": trace}}):
        fail("system attribute digest %s" % sent["MD5OfMessageSystemAttributes"])
    batch = c.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "a", "MessageBody": "one"}, {"Id": "b", "MessageBody": "two", "DelaySeconds": 0}])
    if len(batch.get("Successful", [])) != 2 or batch.get("Failed"):
        fail("batch %r" % batch)

    got = []
    while len(got) < 3:
        r = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                              MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"])
        if not r.get("Messages"):
            fail("only %d of 3 messages received" % len(got))
        got.extend(r["Messages"])
    first = [m for m in got if m["Body"] == "hello boto3"][0]
    if first["MessageAttributes"]["raw"]["BinaryValue"] != b"\x00\xffdata":
        fail("binary attribute %r" % first["MessageAttributes"]["raw"])
    if first["MessageAttributes"]["color"]["StringValue"] != "grün":
        fail("string attribute %r" % first["MessageAttributes"]["color"])
    if first["Attributes"].get("AWSTraceHeader") != trace or first["Attributes"].get("ApproximateReceiveCount") != "1":
        fail("system attributes %r" % first["Attributes"])
    if first["MD5OfMessageAttributes"] != attrs_md5(attrs):
        fail("received attribute digest %s" % first["MD5OfMessageAttributes"])

    c.change_message_visibility(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=0)
    again = c.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"][0]
    if again["Attributes"]["ApproximateReceiveCount"] != "2":
        fail("receive count after visibility change %r" % again["Attributes"])
    c.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])
    res = c.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got) if m["Body"] != "hello boto3"])
    if len(res.get("Successful", [])) != 2:
        fail("delete batch %r" % res)

    qa = c.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    if qa["VisibilityTimeout"] != "45" or qa["ApproximateNumberOfMessages"] != "0" or qa["ApproximateNumberOfMessagesNotVisible"] != "0":
        fail("queue attributes %r" % qa)
    c.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "2"})
    if c.get_queue_attributes(QueueUrl=url, AttributeNames=["DelaySeconds"])["Attributes"]["DelaySeconds"] != "2":
        fail("set_queue_attributes did not stick")

    fifo = c.create_queue(QueueName="boto3.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    s1 = c.send_message(QueueUrl=fifo, MessageBody="f", MessageGroupId="g")
    s2 = c.send_message(QueueUrl=fifo, MessageBody="f", MessageGroupId="g")
    if s1["MessageId"] != s2["MessageId"] or "SequenceNumber" not in s1:
        fail("FIFO dedup %r %r" % (s1, s2))

    try:
        c.get_queue_url(QueueName="does-not-exist")
        fail("get_queue_url of a missing queue succeeded")
    except c.exceptions.QueueDoesNotExist as e:
        code = e.response["Error"]["Code"]
    except ClientError as e:
        fail("missing queue raised %s, not QueueDoesNotExist" % e.response["Error"])

    queues = c.list_queues(QueueNamePrefix="boto3")["QueueUrls"]
    c.delete_queue(QueueUrl=url)
    print(json.dumps({"queues": sorted(q.rsplit("/", 1)[1] for q in queues), "missingCode": code,
                      "received": sorted(m["Body"] for m in got)}))


main()
