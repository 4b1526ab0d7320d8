package queue

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// cliEnv is the environment the AWS CLIs and boto3 run with: fixed credentials
// and no user configuration.
func cliEnv() []string {
	return append(os.Environ(),
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=",
	)
}

// missingTool skips (or, with DRAGONS_REQUIRE_CLI=1, fails) when a client is absent.
func missingTool(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("DRAGONS_REQUIRE_CLI") == "1" {
		t.Fatalf("%s is required (DRAGONS_REQUIRE_CLI=1) but not available", what)
	}
	t.Skipf("%s is not installed; skipping its compatibility check", what)
}

// lookTool finds an executable on PATH, resolving a pyenv shim to the program it
// runs (the shim costs as much as the program's own start).
func lookTool(name string) (string, error) {
	bin, err := exec.LookPath(name)
	if err != nil || !strings.Contains(bin, "/shims/") {
		return bin, err
	}
	if out, err := exec.Command("pyenv", "which", name).Output(); err == nil {
		if real := strings.TrimSpace(string(out)); real != "" {
			return real, nil
		}
	}
	return bin, nil
}

type cliRunner struct {
	t   *testing.T
	bin string
	url string
}

// run runs one CLI command with --output json and decodes its output; fail
// says whether the command is expected to fail, in which case stderr is returned.
func (r cliRunner) run(fail bool, args ...string) (map[string]any, string) {
	r.t.Helper()
	args = append(args, "--endpoint-url", r.url, "--output", "json")
	cmd := exec.Command(r.bin, args...)
	cmd.Env = cliEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if fail {
		if err == nil {
			r.t.Fatalf("%s %v succeeded, want failure: %s", r.bin, args, stdout.String())
		}
		return nil, stderr.String()
	}
	if err != nil {
		r.t.Fatalf("%s %v: %v\n%s", r.bin, args, err, stderr.String())
	}
	out := map[string]any{}
	if s := strings.TrimSpace(stdout.String()); s != "" {
		if err := json.Unmarshal([]byte(s), &out); err != nil {
			r.t.Fatalf("%s %v: output is not JSON: %v\n%s", r.bin, args, err, s)
		}
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
	bin, err := lookTool("aws")
	if err != nil {
		missingTool(t, "AWS CLI v1 (aws on PATH)")
	}
	ver, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(ver), "aws-cli/1.") {
		missingTool(t, "AWS CLI v1 (aws on PATH is "+strings.TrimSpace(string(ver))+")")
	}
	t.Parallel()
	e := newEnv(t, Options{})
	exerciseCLI(t, cliRunner{t: t, bin: bin, url: e.srv.URL}, "cli-v1")
}

func TestAWSCLIv2QueryProtocol(t *testing.T) {
	const bin = "/usr/bin/aws"
	if _, err := os.Stat(bin); err != nil {
		missingTool(t, "Debian's AWS CLI v2 ("+bin+")")
	}
	t.Parallel()
	e := newEnv(t, Options{})
	exerciseCLI(t, cliRunner{t: t, bin: bin, url: e.srv.URL}, "cli-v2")
}

func TestBoto3(t *testing.T) {
	py, err := lookTool("python3")
	if err != nil {
		missingTool(t, "python3")
	}
	if err := exec.Command(py, "-c", "import boto3").Run(); err != nil {
		missingTool(t, "boto3")
	}
	t.Parallel()
	e := newEnv(t, Options{})
	cmd := exec.Command(py, filepath.Join("testdata", "boto3_sqs.py"), e.srv.URL)
	cmd.Env = cliEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("boto3 script: %v\n%s", err, stderr.String())
	}
	var res struct {
		Queues      []string
		MissingCode string
		Received    []string
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("boto3 output %q: %v", stdout.String(), err)
	}
	if strings.Join(res.Queues, ",") != "boto3-q,boto3.fifo" || res.MissingCode != "AWS.SimpleQueueService.NonExistentQueue" ||
		strings.Join(res.Received, ",") != "hello boto3,one,two" {
		t.Fatalf("boto3 result = %+v", res)
	}
}
