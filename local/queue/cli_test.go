package queue

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dragons-dev/dragons/internal/clitest"
)

type cliRunner struct {
	t   *testing.T
	aws clitest.Client
	url string
}

// run runs one CLI command with --output json and decodes its output; fail
// says whether the command is expected to fail, in which case stderr is returned.
func (r cliRunner) run(fail bool, args ...string) (map[string]any, string) {
	r.t.Helper()
	args = append(args, "--endpoint-url", r.url, "--output", "json")
	stdout, stderr, err := r.aws.Run(r.t.Context(), args...)
	if fail {
		if err == nil {
			r.t.Fatalf("%s %v succeeded, want failure: %s", r.aws.Bin, args, stdout)
		}
		return nil, string(stderr)
	}
	if err != nil {
		r.t.Fatalf("%v\n%s", err, stderr)
	}
	out, err := clitest.DecodeObject(stdout)
	if err != nil {
		r.t.Fatalf("%s %v: %v", r.aws.Bin, args, err)
	}
	return out, ""
}

// exerciseCLI runs the same scenario through one AWS CLI.
func exerciseCLI(t *testing.T, r cliRunner, name string) {
	out, _ := r.run(false, "sqs", "create-queue", "--queue-name", name, "--attributes", "VisibilityTimeout=40", "--tags", "team=dragons")
	u, _ := out["QueueUrl"].(string)
	if u != r.url+"/000000000000/"+name {
		t.Fatalf("create-queue QueueUrl = %v", out)
	}
	out, _ = r.run(false, "sqs", "send-message", "--queue-url", u, "--message-body", "hello cli <&>",
		"--message-attributes", `{"color":{"DataType":"String","StringValue":"red"}}`)
	if out["MD5OfMessageBody"] != md5Hex("hello cli <&>") ||
		out["MD5OfMessageAttributes"] != attributesMD5(map[string]Attribute{"color": {DataType: "String", StringValue: "red"}}) {
		t.Fatalf("send-message = %v", out)
	}
	out, _ = r.run(false, "sqs", "send-message-batch", "--queue-url", u, "--entries",
		`[{"Id":"a","MessageBody":"one"},{"Id":"b","MessageBody":"two"}]`)
	if ok, _ := out["Successful"].([]any); len(ok) != 2 {
		t.Fatalf("send-message-batch = %v", out)
	}
	out, _ = r.run(false, "sqs", "receive-message", "--queue-url", u, "--max-number-of-messages", "10",
		"--attribute-names", "All", "--message-attribute-names", "All")
	msgs, _ := out["Messages"].([]any)
	if len(msgs) != 3 {
		t.Fatalf("receive-message = %v", out)
	}
	var entries []map[string]string
	for i, m := range msgs {
		m := m.(map[string]any)
		if m["Body"] == "hello cli <&>" {
			color, _ := m["MessageAttributes"].(map[string]any)["color"].(map[string]any)
			sys, _ := m["Attributes"].(map[string]any)
			if color["StringValue"] != "red" || sys["ApproximateReceiveCount"] != "1" {
				t.Fatalf("received %v", m)
			}
		}
		entries = append(entries, map[string]string{"Id": string(rune('a' + i)), "ReceiptHandle": m["ReceiptHandle"].(string)})
	}
	ej, _ := json.Marshal(entries)
	out, _ = r.run(false, "sqs", "delete-message-batch", "--queue-url", u, "--entries", string(ej))
	if ok, _ := out["Successful"].([]any); len(ok) != 3 {
		t.Fatalf("delete-message-batch = %v", out)
	}
	out, _ = r.run(false, "sqs", "get-queue-attributes", "--queue-url", u, "--attribute-names", "All")
	a, _ := out["Attributes"].(map[string]any)
	if a["VisibilityTimeout"] != "40" || a["ApproximateNumberOfMessages"] != "0" || a["ApproximateNumberOfMessagesNotVisible"] != "0" {
		t.Fatalf("get-queue-attributes = %v", out)
	}
	_, stderr := r.run(true, "sqs", "get-queue-url", "--queue-name", "missing-"+name)
	if !strings.Contains(stderr, "NonExistentQueue") {
		t.Fatalf("missing queue error = %q", stderr)
	}
}

func TestAWSCLIv1JSONProtocol(t *testing.T) {
	aws := clitest.RequireCLI(t, clitest.CLIv1())
	t.Parallel()
	e := newEnv(t, Options{})
	exerciseCLI(t, cliRunner{t: t, aws: aws, url: e.srv.URL}, "cli-v1")
}

func TestAWSCLIv2QueryProtocol(t *testing.T) {
	aws := clitest.RequireCLI(t, clitest.CLIv2())
	t.Parallel()
	e := newEnv(t, Options{})
	exerciseCLI(t, cliRunner{t: t, aws: aws, url: e.srv.URL}, "cli-v2")
}

func TestBoto3(t *testing.T) {
	py := clitest.RequireBoto3(t)
	t.Parallel()
	e := newEnv(t, Options{})
	stdout, stderr, err := py.Run(t.Context(), filepath.Join("testdata", "boto3_sqs.py"), e.srv.URL)
	if err != nil {
		t.Fatalf("boto3 script: %v\n%s", err, stderr)
	}
	var res struct {
		Queues      []string
		MissingCode string
		Received    []string
	}
	if err := json.Unmarshal(stdout, &res); err != nil {
		t.Fatalf("boto3 output %q: %v", stdout, err)
	}
	if strings.Join(res.Queues, ",") != "boto3-q,boto3.fifo" || res.MissingCode != "AWS.SimpleQueueService.NonExistentQueue" ||
		strings.Join(res.Received, ",") != "hello boto3,one,two" {
		t.Fatalf("boto3 result = %+v", res)
	}
}
